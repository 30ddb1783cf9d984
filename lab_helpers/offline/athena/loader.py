"""Read a Glue table's S3 objects for DuckDB, the way Athena's readers interpret them.

Every object under the table location is read (keys whose file name starts with ``_`` or
``.`` are skipped, as Hive does). CSV/text uses the Glue column list and types, the field
delimiter and ``skip.header.line.count``; Parquet is matched to the Glue columns by name.
Hive-style ``key=value`` folders fill partition columns.

Unpartitioned Parquet is handed to DuckDB's own reader (objects copied to scratch files,
so DuckDB pushes projections and filters down); everything else goes through Arrow.
"""

from __future__ import annotations

import gzip
import os
import urllib.parse
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from .. import s3_objects
from .catalog import AthenaError, GlueTable
from .types import glue_to_arrow


def _data_objects(location: str) -> list[s3_objects.ObjectInfo]:
    bucket, prefix = s3_objects.split_uri(location)
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    try:
        objects = s3_objects.list_objects(bucket, prefix)
    except s3_objects.NoSuchBucket as exc:
        raise AthenaError("HIVE_PATH_NOT_FOUND", f"{exc} (table location {location})") from exc
    keep = []
    for obj in objects:
        name = obj.key.rsplit("/", 1)[-1]
        if name and not name.startswith(("_", ".")) and not obj.key.endswith("/"):
            keep.append(obj)
    return keep


def _partition_values(table: GlueTable, relative_key: str) -> dict[str, str | None]:
    """``key=value`` folders of an object key (Hive-unescaped; the default partition is NULL)."""
    values: dict[str, str | None] = {}
    for part in relative_key.split("/")[:-1]:
        key, sep, value = part.partition("=")
        if sep:
            values[key.lower()] = None if value == "__HIVE_DEFAULT_PARTITION__" else urllib.parse.unquote(value)
    return values


def _read_csv(table: GlueTable, data: bytes, names: list[str]) -> pa.Table:
    params = table.serde_params
    delimiter = params.get("separatorChar") or params.get("field.delim") or params.get("serialization.format") or ","
    if len(delimiter) != 1:
        delimiter = ","
    quote = params.get("quoteChar", '"')
    columns = [c for c, _ in table.columns]
    types = {c: glue_to_arrow(t) for c, t in table.columns}
    read = pacsv.ReadOptions(column_names=columns, skip_rows=table.header_lines, block_size=1 << 24)
    parse = pacsv.ParseOptions(delimiter=delimiter, quote_char=quote or False, newlines_in_values=False)
    convert = pacsv.ConvertOptions(
        column_types=types,
        include_columns=names,
        null_values=["\\N", ""],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        timestamp_parsers=[pacsv.ISO8601, "%Y-%m-%d %H:%M:%S.%f"],
    )
    return pacsv.read_csv(pa.BufferReader(data), read_options=read, parse_options=parse, convert_options=convert)


def _read_parquet(table: GlueTable, data: bytes, names: list[str]) -> pa.Table:
    file = pq.ParquetFile(pa.BufferReader(data))
    available = {n.lower(): n for n in file.schema_arrow.names}
    wanted = [available[n] for n in names if n in available]
    read = file.read(columns=wanted, use_threads=True)
    types = dict(table.columns)
    arrays, fields = [], []
    for name in names:
        target = glue_to_arrow(types[name])
        if name in available:
            column = read.column(available[name])
            if column.type != target:
                try:
                    column = column.cast(target)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise AthenaError(
                        "HIVE_BAD_DATA",
                        f"Field {name}'s type {column.type} in parquet is incompatible with type {types[name]} defined in table schema",
                    ) from exc
        else:
            column = pa.nulls(read.num_rows, target)
        arrays.append(column)
        fields.append(pa.field(name, target))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields)) if fields else pa.table({"__rows": pa.nulls(read.num_rows)})


def _read_json(table: GlueTable, data: bytes, names: list[str]) -> pa.Table:
    targets = {c: glue_to_arrow(t) for c, t in table.columns}
    textual = (pa.types.is_date, pa.types.is_timestamp, pa.types.is_decimal)
    as_read = {c: pa.string() if any(check(t) for check in textual) else t for c, t in targets.items()}
    schema = pa.schema(list(as_read.items()))
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    read = pajson.read_json(pa.BufferReader(data), parse_options=options).select(names)
    return pa.Table.from_arrays([read.column(n).cast(targets[n]) for n in names], names=names) if names else read


def load_table(table: GlueTable, columns: list[str] | None = None) -> tuple[pa.Table, int]:
    """The table's rows (only ``columns`` if given, in table order) and the bytes scanned."""
    fmt = table.data_format
    readers = {"csv": _read_csv, "parquet": _read_parquet, "json": _read_json}
    if fmt not in readers:
        raise AthenaError("HIVE_UNSUPPORTED_FORMAT", f"Unable to read table {table.database}.{table.name}: format {fmt!r} is not supported offline")
    if not table.location:
        raise AthenaError("HIVE_PATH_NOT_FOUND", f"Table {table.database}.{table.name} has no location")
    data_names = [c for c, _ in table.columns]
    partition_names = [c for c, _ in table.partition_keys]
    wanted = [c for c, _ in table.all_columns] if columns is None else [c for c, _ in table.all_columns if c in set(columns)]
    read_names = [c for c in wanted if c in data_names]
    schema = pa.schema([(c, glue_to_arrow(t)) for c, t in table.all_columns if c in wanted])
    bucket, prefix = s3_objects.split_uri(table.location)
    pieces, scanned = [], 0
    for obj in _data_objects(table.location):
        data = s3_objects.read_object(obj.bucket, obj.key)
        scanned += len(data)
        if fmt != "parquet" and data[:2] == b"\x1f\x8b":  # gzip text, as Athena's text writers produce
            data = gzip.decompress(data)
        try:
            piece = readers[fmt](table, data, read_names)
        except AthenaError:
            raise
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
            raise AthenaError("HIVE_BAD_DATA", f"Error reading {obj.uri}: {exc}") from exc
        rows = piece.num_rows
        arrays = [piece.column(c) if c in read_names else None for c in wanted]
        if partition_names:
            values = _partition_values(table, obj.key[len(prefix.rstrip("/")) + 1 :])
            for i, name in enumerate(wanted):
                if name in partition_names:
                    raw = pa.array([values.get(name)] * rows, pa.string())
                    arrays[i] = raw.cast(schema.field(name).type)
        if not wanted:
            pieces.append(pa.table({"__rows": pa.nulls(rows, pa.bool_())}))
            continue
        pieces.append(pa.Table.from_arrays(arrays, schema=schema))
    if not pieces:
        empty = schema if wanted else pa.schema([("__rows", pa.bool_())])
        return empty.empty_table(), 0
    return (pieces[0] if len(pieces) == 1 else pa.concat_tables(pieces)), scanned


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _duck_type(glue_type: str) -> str:
    t = glue_type.strip().lower()
    return {"string": "VARCHAR", "int": "INTEGER", "float": "FLOAT", "binary": "BLOB"}.get(t, t.upper() if not t.startswith(("varchar", "char")) else "VARCHAR")


def _register_parquet_files(con: duckdb.DuckDBPyConnection, view: str, table: GlueTable, scratch: Path) -> int:
    """Define ``view`` over DuckDB's Parquet reader on the objects' local mirror files."""
    objects = _data_objects(table.location)
    _, prefix = s3_objects.split_uri(table.location)
    prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    groups: dict[tuple[str | None, ...], list[str]] = {}
    scanned, present = 0, set()
    partition_names = [c for c, _ in table.partition_keys]
    for obj in objects:
        path = s3_objects.local_file(obj.bucket, obj.key)
        scanned += obj.size
        try:
            names = pq.read_schema(str(path)).names
        except (pa.ArrowInvalid, OSError) as exc:
            raise AthenaError("HIVE_BAD_DATA", f"Error reading {obj.uri}: {exc}") from exc
        present.update(names)
        found = _partition_values(table, obj.key[len(prefix) :])
        groups.setdefault(tuple(found.get(c) for c in partition_names), []).append(str(path))
    by_lower = {n.lower(): n for n in present}
    select = []
    for name, glue_type in table.columns:
        duck = _duck_type(glue_type)
        source = by_lower.get(name)
        if "<" in glue_type:  # nested types are read as the file stores them
            expr = "NULL" if source is None else _quote(source)
        else:
            expr = f"CAST(NULL AS {duck})" if source is None else f"CAST({_quote(source)} AS {duck})"
        select.append(f"{expr} AS {_quote(name)}")
    parts = []
    for values, paths in groups.items():
        constants = [
            f"CAST({_literal(v)} AS {_duck_type(t)}) AS {_quote(c)}" for v, (c, t) in zip(values, table.partition_keys)
        ]
        files = "[" + ", ".join(_literal(p) for p in paths) + "]"
        parts.append(f"SELECT {', '.join(select + constants)} FROM read_parquet({files}, union_by_name = true)")
    if not parts:
        nulls = [f"CAST(NULL AS {_duck_type(t)}) AS {_quote(c)}" for c, t in table.partition_keys]
        parts.append(f"SELECT {', '.join(select + nulls)} WHERE false")
    sql = " UNION ALL ".join(parts)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {_quote(view)} AS {sql}")
    return scanned


def register_table(
    con: duckdb.DuckDBPyConnection, view: str, table: GlueTable, columns: list[str] | None, scratch: Path
) -> int:
    """Make ``view`` in ``con`` read the table; returns the bytes scanned."""
    if table.data_format == "parquet" and table.location:
        scratch.mkdir(parents=True, exist_ok=True)
        return _register_parquet_files(con, view, table, scratch)
    arrow, scanned = load_table(table, columns)
    con.register(view, arrow)
    return scanned
