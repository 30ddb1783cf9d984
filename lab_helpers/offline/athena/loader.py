"""Make a Glue table readable by DuckDB, the way Athena's readers interpret its S3 objects.

Every object under the table location is read (keys whose file name starts with ``_`` or
``.`` are skipped, as Hive does); Hive-style ``key=value`` folders fill partition columns.

- Parquet: DuckDB's Parquet reader on the objects' local mirror files (projection and
  filter pushdown), columns matched to the Glue schema by name.
- Text (LazySimpleSerDe/OpenCSVSerde): DuckDB's CSV reader with Hive's rules: the Glue
  column list, the SerDe delimiter, ``skip.header.line.count``, ``\\N`` is NULL, an empty
  field is an empty string, a value that does not parse as the column type is NULL,
  missing trailing fields are NULL; gzip objects are decompressed.
- JSON lines (JsonSerDe): Arrow's JSON reader.
"""

from __future__ import annotations

import gzip
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
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


def _partition_values(relative_key: str) -> dict[str, str | None]:
    """``key=value`` folders of an object key (Hive-unescaped; the default partition is NULL)."""
    values: dict[str, str | None] = {}
    for part in relative_key.split("/")[:-1]:
        key, sep, value = part.partition("=")
        if sep:
            values[key.lower()] = None if value == "__HIVE_DEFAULT_PARTITION__" else urllib.parse.unquote(value)
    return values


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _duck_type(glue_type: str) -> str:
    """DuckDB's name for a Glue column type."""
    t = glue_type.strip().lower()
    if t.startswith(("varchar", "char")) or t == "string":
        return "VARCHAR"
    return {"int": "INTEGER", "float": "FLOAT", "binary": "BLOB"}.get(t, t.upper())


def _is_nested(glue_type: str) -> bool:
    return "<" in glue_type


class _Files:
    """The table's objects as local files, grouped by partition values."""

    def __init__(self, table: GlueTable) -> None:
        _, prefix = s3_objects.split_uri(table.location)
        prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        partition_names = [c for c, _ in table.partition_keys]
        self.groups: dict[tuple[str | None, ...], list[tuple[s3_objects.ObjectInfo, Path]]] = {}
        self.scanned = 0
        for obj in _data_objects(table.location):
            path = s3_objects.local_file(obj.bucket, obj.key)
            self.scanned += obj.size
            found = _partition_values(obj.key[len(prefix) :])
            self.groups.setdefault(tuple(found.get(c) for c in partition_names), []).append((obj, path))


_Group = list[tuple[s3_objects.ObjectInfo, Path]]


def _union(table: GlueTable, files: _Files, select_one: Callable[[_Group], list[tuple[list[str], str]]]) -> str:
    """``UNION ALL`` of one SELECT per partition (its values as constants) over its files."""
    parts = []
    for values, group in files.groups.items():
        constants = [f"CAST({_literal(v)} AS {_duck_type(t)}) AS {_quote(c)}" for v, (c, t) in zip(values, table.partition_keys)]
        parts += [f"SELECT {', '.join(columns + constants)} FROM {source}" for columns, source in select_one(group)]
    if not parts:
        empty = [f"CAST(NULL AS {_duck_type(t)}) AS {_quote(c)}" for c, t in table.all_columns if not _is_nested(t)]
        parts.append(f"SELECT {', '.join(empty) or 'NULL AS __empty'} WHERE false")
    return " UNION ALL ".join(parts)


def _parquet_view(table: GlueTable, files: _Files) -> str:
    def select_one(group: _Group) -> list[tuple[list[str], str]]:
        present: set[str] = set()
        for obj, path in group:
            try:
                present.update(pq.read_schema(str(path)).names)
            except (pa.ArrowInvalid, OSError) as exc:
                raise AthenaError("HIVE_BAD_DATA", f"Error reading {obj.uri}: not a Parquet file ({exc})") from exc
        by_lower = {n.lower(): n for n in present}
        columns = []
        for name, glue_type in table.columns:
            source = by_lower.get(name)
            if _is_nested(glue_type):  # nested types are read as the file stores them
                columns.append(f"{'NULL' if source is None else _quote(source)} AS {_quote(name)}")
            else:
                expr = "NULL" if source is None else _quote(source)
                columns.append(f"CAST({expr} AS {_duck_type(glue_type)}) AS {_quote(name)}")
        paths = "[" + ", ".join(_literal(str(p)) for _, p in group) + "]"
        return [(columns, f"read_parquet({paths}, union_by_name = true)")]

    return _union(table, files, select_one)


def _csv_view(table: GlueTable, files: _Files) -> str:
    params = table.serde_params
    delimiter = params.get("separatorChar") or params.get("field.delim") or params.get("serialization.format") or ","
    if len(delimiter) != 1:
        delimiter = ","
    quote = params.get("quoteChar", '"') or '"'
    escape = params.get("escapeChar", quote)
    spec = "{" + ", ".join(f"{_literal(c)}: 'VARCHAR'" for c, _ in table.columns) + "}"
    columns = []
    for name, glue_type in table.columns:
        ref = _quote(name)
        duck = _duck_type(glue_type)
        if duck == "VARCHAR" or _is_nested(glue_type):
            columns.append(f"{ref} AS {ref}")
        else:  # Hive: a field that does not parse as the column type reads as NULL
            columns.append(f"TRY_CAST(NULLIF(TRIM({ref}), '') AS {duck}) AS {ref}")

    def select_one(group: _Group) -> list[tuple[list[str], str]]:
        sources = []
        for _, path in group:
            with open(path, "rb") as handle:
                compression = "gzip" if handle.read(2) == b"\x1f\x8b" else "none"
            sources.append(
                (
                    columns,
                    f"read_csv({_literal(str(path))}, columns = {spec}, header = false, skip = {table.header_lines}, "
                    f"delim = {_literal(delimiter)}, quote = {_literal(quote)}, escape = {_literal(escape)}, "
                    f"nullstr = '\\N', auto_detect = false, null_padding = true, strict_mode = false, "
                    f"compression = '{compression}')",
                )
            )
        return sources

    return _union(table, files, select_one)


def _json_table(table: GlueTable, files: _Files) -> pa.Table:
    targets = {c: glue_to_arrow(t) for c, t in table.columns}
    textual = (pa.types.is_date, pa.types.is_timestamp, pa.types.is_decimal)
    as_read = pa.schema([(c, pa.string() if any(check(t) for check in textual) else t) for c, t in targets.items()])
    options = pajson.ParseOptions(explicit_schema=as_read, unexpected_field_behavior="ignore")
    pieces = []
    for values, group in files.groups.items():
        for obj, path in group:
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            try:
                read = pajson.read_json(pa.BufferReader(data), parse_options=options)
                arrays = [read.column(c).cast(targets[c]) for c in targets]
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise AthenaError("HIVE_BAD_DATA", f"Error reading {obj.uri}: {exc}") from exc
            for value, (c, t) in zip(values, table.partition_keys):
                arrays.append(pa.array([value] * read.num_rows, pa.string()).cast(glue_to_arrow(t)))
            pieces.append(pa.Table.from_arrays(arrays, names=[c for c, _ in table.all_columns]))
    schema = pa.schema([(c, glue_to_arrow(t)) for c, t in table.all_columns])
    return pa.concat_tables(pieces) if pieces else schema.empty_table()


def register_table(con: duckdb.DuckDBPyConnection, view: str, table: GlueTable) -> int:
    """Make ``view`` in ``con`` read the table; returns the bytes scanned (the objects' sizes)."""
    fmt = table.data_format
    if fmt not in ("parquet", "csv", "json"):
        raise AthenaError("HIVE_UNSUPPORTED_FORMAT", f"Unable to read table {table.database}.{table.name}: format {fmt!r} is not supported offline")
    if not table.location:
        raise AthenaError("HIVE_PATH_NOT_FOUND", f"Table {table.database}.{table.name} has no location")
    files = _Files(table)
    if fmt == "json":
        con.register(view, _json_table(table, files))
    else:
        sql = _parquet_view(table, files) if fmt == "parquet" else _csv_view(table, files)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {_quote(view)} AS {sql}")
    return files.scanned
