"""Run one Athena statement for real: DuckDB over the tables' objects in moto's S3.

Outputs follow Athena: a SELECT writes ``<output>/<id>.csv`` (every value quoted, header
row) and ``<id>.csv.metadata``; a CTAS writes Parquet (or text/JSON) files to the table
location, creates the Glue table and lists its files in ``<output>/<id>-manifest.csv``;
DDL writes ``<output>/<id>.txt``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlglot import exp

from .. import lakeformation, s3_objects
from ..paths import data_dir
from . import catalog as cat
from . import governance
from .catalog import AthenaError
from .loader import register_table
from .translate import name_projections, parse_one, position, translate
from .types import duck_to_athena, duck_to_glue, normalising_cast


@dataclass
class Outcome:
    """What an execution produced (what GetQueryExecution and GetQueryResults report)."""

    state: str = "SUCCEEDED"
    reason: str | None = None
    statement_type: str = "DML"
    substatement_type: str | None = None
    output_location: str | None = None
    manifest_location: str | None = None
    scanned_bytes: int = 0
    output_rows: int = 0
    output_bytes: int = 0
    engine_ms: int = 0
    column_info: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[str | None]] | None = None
    """Result rows held in memory (DDL results and small results); None: read the CSV."""
    error_type: int | None = None
    """Athena's ``AthenaError.ErrorType`` when the engine knows it (1500: permission error)."""


def column_info(name: str, athena_type: str, precision: int = 0, scale: int = 0) -> dict[str, Any]:
    """One ``ColumnInfo`` entry as Athena returns it."""
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": athena_type,
        "Precision": precision,
        "Scale": scale,
        "Nullable": "UNKNOWN",
        "CaseSensitive": athena_type == "varchar",
    }


_DB: tuple[str, duckdb.DuckDBPyConnection] | None = None
_DB_LOCK = threading.Lock()
#: DuckDB's memory budget: past it, sorts, joins and aggregations spill to the scratch folder.
MEMORY_LIMIT = "512MB"


def _database() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per data folder; each execution works in its own connection.

    User SQL must not reach the server's files: DuckDB may only touch the S3 mirror and the
    engine's scratch folder (external access off, configuration locked). Memory stays
    bounded: rows are streamed in no particular order unless the query says ORDER BY (as
    on Athena; keeping scan order would buffer whole results), and what does not fit in
    :data:`MEMORY_LIMIT` spills to disk.
    """
    global _DB
    folder = str(data_dir())
    with _DB_LOCK:
        if _DB is None or _DB[0] != folder:
            allowed = [str(s3_objects.mirror_dir()) + "/", str(scratch_dir()) + "/"]
            config = {"preserve_insertion_order": False, "memory_limit": MEMORY_LIMIT, "temp_directory": str(scratch_dir() / "spill")}
            db = duckdb.connect(":memory:", config=config)
            db.execute("SET allowed_directories = ?", [allowed])
            db.execute("SET enable_external_access = false")
            db.execute("SET lock_configuration = true")
            _DB = (folder, db)
        return _DB[1]


def scratch_dir() -> Path:
    folder = data_dir() / "athena-tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tmp_path(suffix: str) -> str:
    fd, path = tempfile.mkstemp(suffix=suffix, dir=scratch_dir())
    os.close(fd)
    os.unlink(path)
    return path


def _upload_file(path: str, uri: str) -> None:
    bucket, key = s3_objects.split_uri(uri)
    s3_objects.put_file(bucket, key, path)


class _Run:
    """State of one execution: the caller (account, principal), region, output folder, DuckDB connection.

    ``principal`` is the IAM role or user ARN that started the query; with it, Lake Formation
    governs what the query may read and create (see :mod:`.governance`). None skips those checks.
    """

    def __init__(
        self, account_id: str, region: str, query_id: str, sql: str, database: str | None, output_dir: str, principal: str | None = None
    ) -> None:
        self.account_id, self.region, self.query_id, self.sql = account_id, region, query_id, sql
        self.principal = principal
        self.database = (database or "default").strip("`\"")  # Athena accepts a quoted context database
        self.output_dir = output_dir if output_dir.endswith("/") else output_dir + "/"
        self.out = Outcome()
        self.con = _database().cursor()

    # ----------------------------------------------------------------- helpers
    def _relation(self, query: exp.Expression, auto_names: bool = True) -> tuple[str, list[str], list[str]]:
        """DuckDB SQL for ``query`` with its output renamed positionally, plus names and types."""
        if auto_names:
            name_projections(query)
        prefix = f"__athena_{self.query_id.replace('-', '')[:12]}_t"
        translation = translate(self.sql, query, self.account_id, self.region, self.database, prefix, self.principal)
        for view, glue in translation.views.items():
            self.out.scanned_bytes += register_table(self.con, view, glue)
        try:
            rel = self.con.sql(translation.sql)
        except duckdb.Error as exc:
            raise _engine_error(exc, self.sql, query) from exc
        names, types = list(rel.columns), [str(t) for t in rel.types]
        if translation.names and len(translation.names) == len(names):
            names = translation.names  # DuckDB renames duplicates (a, a_1); Athena keeps them
        aliases = ", ".join(f"__c{i}" for i in range(len(names)))
        return f"({translation.sql}) AS __q({aliases})", names, types

    def _copy(self, select_sql: str, target: str, options: str) -> int:
        try:
            row = self.con.execute(f"COPY ({select_sql}) TO '{target}' ({options})").fetchone()
        except duckdb.Error as exc:
            raise _engine_error(exc, self.sql) from exc
        return int(row[0]) if row else 0

    def _write_data(
        self, select_sql: str, location: str, fmt: str, compression: str, delimiter: str, partitioned: list[str] | None = None
    ) -> tuple[int, list[str], list[tuple[list[str], str]]]:
        """Write the rows under ``location`` the way Athena's writers do (Hive folders per partition).

        Returns the row count, the written object URIs and, per partition, its values and folder.
        """
        options = {
            "parquet": f"FORMAT PARQUET, COMPRESSION '{compression.lower()}'",
            "csv": f"FORMAT CSV, HEADER false, DELIMITER '{delimiter}', QUOTE '', ESCAPE '', NULLSTR '\\N', "
            f"COMPRESSION '{'gzip' if compression == 'GZIP' else 'none'}'",
            "json": f"FORMAT JSON, COMPRESSION '{'gzip' if compression == 'GZIP' else 'none'}'",
        }[fmt]
        suffix = ".gz" if fmt != "parquet" and compression == "GZIP" else ""
        local = _tmp_path(".out")
        files: list[str] = []
        partitions: list[tuple[list[str], str]] = []
        try:
            if partitioned:
                by = ", ".join(_quote(c) for c in partitioned)
                count = self._copy(select_sql, local, f"{options}, PARTITION_BY ({by})")
                for n, path in enumerate(sorted(Path(local).rglob("*"))):
                    if not path.is_file():
                        continue
                    values = [urllib.parse.unquote(p.split("=", 1)[1]) for p in path.relative_to(local).parts[:-1]]
                    folder = location + "".join(f"{c}={_hive_escape(v)}/" for c, v in zip(partitioned, values))
                    uri = f"{folder}{self.query_id}_{n:05d}{suffix}"
                    _upload_file(str(path), uri)
                    files.append(uri)
                    if folder not in [f for _, f in partitions]:
                        partitions.append((values, folder))
            else:
                count = self._copy(select_sql, local, options)
                if count:
                    uri = f"{location}{self.query_id}_00000{suffix}"
                    _upload_file(local, uri)
                    files.append(uri)
        finally:
            if os.path.isdir(local):
                shutil.rmtree(local, ignore_errors=True)
            elif os.path.exists(local):
                os.unlink(local)
        return count, files, partitions

    def _write_manifest(self, files: list[str]) -> None:
        manifest = f"{self.output_dir}{self.query_id}-manifest.csv"
        bucket, key = s3_objects.split_uri(manifest)
        s3_objects.put_object(bucket, key, "".join(f"{f}\n" for f in files).encode())
        self.out.manifest_location = manifest

    def _require_bucket(self, uri: str) -> None:
        bucket, _ = s3_objects.split_uri(uri)
        if not s3_objects.bucket_exists(bucket):
            raise AthenaError("HIVE_PATH_NOT_FOUND", f"Unable to verify/create output bucket {bucket}")

    def require_on_database(self, database: str, needed: str, hive_ddl: bool = False) -> None:
        """Lake Formation: the caller needs ``needed`` on the database when Lake Formation governs it."""
        if self.principal is not None:
            governance.require_on_database(self.account_id, self.region, database, needed, self.principal, hive_ddl)

    def created(self, database: str, table: str) -> None:
        """The caller made ``database.table``: in a governed database it holds all permissions on it."""
        if self.principal is not None:
            lakeformation.table_created(self.account_id, self.region, database, table, self.principal)

    # -------------------------------------------------------------- statements
    def select(self, query: exp.Expression) -> None:
        self.out.statement_type, self.out.substatement_type = "DML", "SELECT"
        self._require_bucket(self.output_dir)
        source, names, types = self._relation(query)
        columns = []
        for i, duck_type in enumerate(types):
            ref = f"__c{i}"
            shown = duck_to_athena(normalising_cast(duck_type) or duck_type)
            if _is_complex(duck_type):
                shown = (_complex_name(duck_type), 0, 0)
            cast = normalising_cast(duck_type)
            if cast:
                ref, duck_type = f"CAST({ref} AS {cast})", cast
            if duck_type == "TIMESTAMP":
                ref = f"strftime({ref}, '%Y-%m-%d %H:%M:%S.%g')"
            elif duck_type in ("DOUBLE", "FLOAT"):  # Java's spelling of the special values
                ref = (
                    f"CASE WHEN isnan({ref}) THEN 'NaN' WHEN {ref} = 'inf'::DOUBLE THEN 'Infinity' "
                    f"WHEN {ref} = '-inf'::DOUBLE THEN '-Infinity' ELSE CAST({ref} AS VARCHAR) END"
                )
            elif duck_type == "BOOLEAN":
                ref = f"CASE WHEN {ref} THEN 'true' WHEN NOT {ref} THEN 'false' END"
            columns.append(ref)
            self.out.column_info.append(column_info(names[i], *shown))
        rows_file, local = _tmp_path(".csv"), _tmp_path(".csv")
        try:
            select = ", ".join(f"{c} AS __o{i}" for i, c in enumerate(columns)) or "1"
            count = self._copy(f"SELECT {select} FROM {source}", rows_file, "FORMAT CSV, HEADER false, FORCE_QUOTE *")
            self.out.output_rows = count
            location = f"{self.output_dir}{self.query_id}.csv"
            with open(local, "wb") as out:  # DuckDB would rename duplicate names in its header
                out.write((",".join(_quote(n) for n in names) + "\n").encode())
                with open(rows_file, "rb") as rows:
                    shutil.copyfileobj(rows, out, s3_objects.CHUNK)
                self.out.output_bytes = out.tell()
            if count <= 10_000:
                table = read_result_csv(Path(local).read_bytes(), len(names))
                self.out.rows = [list(r) for r in zip(*(c.to_pylist() for c in table.columns))]
            _upload_file(local, location)
        finally:
            for path in (rows_file, local):
                if os.path.exists(path):
                    os.unlink(path)
        self._write_metadata(f"{location}.metadata")
        self.out.output_location = location

    def ctas(self, create: exp.Create) -> None:
        self.out.statement_type, self.out.substatement_type = "DDL", "CREATE_TABLE_AS_SELECT"
        target = create.this
        database, name = (target.db or self.database), target.name
        props = _properties(create)
        if cat.find_database(self.account_id, self.region, database) is None:
            raise AthenaError("SCHEMA_NOT_FOUND", f"line {position(self.sql, target)}: Schema '{database}' does not exist")
        self.require_on_database(database, "CREATE_TABLE")
        if cat.find_table(self.account_id, self.region, database, name) is not None:
            if create.args.get("exists"):
                self._rows_result(0)
                return
            raise AthenaError("TABLE_ALREADY_EXISTS", f"line {position(self.sql, target)}: Table 'awsdatacatalog.{database}.{name}' already exists")
        for unsupported in ("bucketed_by", "bucket_count", "partitioning", "table_type", "is_external"):
            if unsupported in props and not (unsupported == "table_type" and props[unsupported].upper() == "HIVE"):
                raise AthenaError("NOT_SUPPORTED", f"CTAS property '{unsupported}' is not supported offline")
        fmt = (props.get("format") or "PARQUET").upper()
        if fmt not in ("PARQUET", "TEXTFILE", "JSON"):
            raise AthenaError("NOT_SUPPORTED", f"CTAS format '{fmt}' is not supported offline (PARQUET, TEXTFILE, JSON)")
        location = props.get("external_location") or f"{self.output_dir}tables/{self.query_id}/"
        if not location.endswith("/"):
            location += "/"
        self._require_bucket(self.output_dir)
        bucket, prefix = s3_objects.split_uri(location)
        if not s3_objects.bucket_exists(bucket):
            raise AthenaError("HIVE_PATH_NOT_FOUND", f"Bucket {bucket} of location {location} does not exist")
        if s3_objects.list_objects(bucket, prefix):
            raise AthenaError("HIVE_PATH_ALREADY_EXISTS", f"Target directory for table '{database}.{name}' already exists: {location}")
        query = create.expression
        if isinstance(query, exp.Subquery):
            query = query.unnest()
        unnamed = name_projections(query, auto=False)
        if unnamed:
            raise AthenaError("SYNTAX_ERROR", f"Column name not specified at position {unnamed[0] + 1}")
        source, names, types = self._relation(query, auto_names=False)
        seen: set[str] = set()
        columns, glue_columns = [], []
        for i, (col, duck_type) in enumerate(zip(names, types)):
            if col.lower() in seen:
                raise AthenaError("SYNTAX_ERROR", f"Column name '{col}' specified more than once")
            seen.add(col.lower())
            if duck_type.upper() == '"NULL"' or duck_type.upper() == "NULL":
                raise AthenaError("SYNTAX_ERROR", f"Column type is unknown: {col}")
            cast = normalising_cast(duck_type)
            ref = f"CAST(__c{i} AS {cast})" if cast else f"__c{i}"
            columns.append(f"{ref} AS {_quote(col.lower())}")
            glue_columns.append((col.lower(), duck_to_glue(cast or duck_type)))
        with_data = not any(isinstance(p, exp.WithDataProperty) and p.args.get("no") for p in _property_nodes(create))
        select_sql = f"SELECT {', '.join(columns)} FROM {source}" + ("" if with_data else " LIMIT 0")
        compression = (props.get("write_compression") or ("GZIP" if fmt != "PARQUET" else "SNAPPY")).upper()
        delimiter = props.get("field_delimiter") or ("\x01" if fmt == "TEXTFILE" else ",")
        data_format = {"PARQUET": "parquet", "TEXTFILE": "csv", "JSON": "json"}[fmt]
        partitioned = _partition_columns(create)
        if partitioned and [c for c, _ in glue_columns[-len(partitioned) :]] != partitioned:
            raise AthenaError(
                "SYNTAX_ERROR",
                "Partition keys must be the last columns in the table and in the same order as the table properties: "
                + str(partitioned),
            )
        count, files, partitions = self._write_data(select_sql, location, data_format, compression, delimiter, partitioned)
        extra = {"parquet.compression": compression} if fmt == "PARQUET" else {}
        data_columns = glue_columns[: len(glue_columns) - len(partitioned)]
        spec = cat.table_input(name.lower(), data_columns, location, data_format, delimiter=delimiter, extra_parameters=extra)
        spec["PartitionKeys"] = [{"Name": c, "Type": t} for c, t in glue_columns[len(data_columns) :]]
        cat.create_table(self.account_id, self.region, database, spec)
        self.created(database, name)
        for values, folder in partitions:
            storage = dict(spec["StorageDescriptor"], Location=folder)
            cat.glue_backend(self.account_id, self.region).create_partition(database, name.lower(), {"Values": values, "StorageDescriptor": storage})
        self._write_manifest(files)
        self._rows_result(count)

    def insert(self, insert: exp.Insert) -> None:
        """``INSERT INTO db.t [(cols)] SELECT|VALUES …``: a new data file in the table's location."""
        self.out.statement_type, self.out.substatement_type = "DML", "INSERT"
        target = insert.this
        listed = None
        if isinstance(target, exp.Schema):
            listed = [c.name.lower() for c in target.expressions]
            target = target.this
        database, name = (target.db or self.database), target.name
        if self.principal is not None:
            governance.require_on_table(self.account_id, self.region, database, name, "INSERT", self.principal)
        table = cat.resolve_table(self.account_id, self.region, database, name, position(self.sql, target))
        if table.account_id != self.account_id:
            raise AthenaError("PERMISSION_DENIED", f"Insufficient Lake Formation permission(s) on {database}.{name} (INSERT into a shared table)")
        if table.partition_keys:
            raise AthenaError("NOT_SUPPORTED", "INSERT INTO a partitioned table is not supported offline")
        if table.data_format not in ("parquet", "csv", "json"):
            raise AthenaError("NOT_SUPPORTED", f"INSERT INTO a {table.data_format} table is not supported offline")
        self._require_bucket(self.output_dir)
        source, names, types = self._relation(insert.expression, auto_names=True)
        targets = listed or [c for c, _ in table.columns]
        if len(targets) != len(names):
            raise AthenaError("SYNTAX_ERROR", f"Insert query has {len(names)} columns but the target has {len(targets)}")
        unknown = [c for c in targets if c not in dict(table.columns)]
        if unknown:
            raise AthenaError("COLUMN_NOT_FOUND", f"Insert column name does not exist in target table: {unknown[0]}")
        from .loader import _duck_type

        select = []
        for column, glue_type in table.columns:
            ref = f"__c{targets.index(column)}" if column in targets else "NULL"
            select.append(f"CAST({ref} AS {_duck_type(glue_type)}) AS {_quote(column)}")
        compression = (table.parameters.get("parquet.compression") or "SNAPPY") if table.data_format == "parquet" else "NONE"
        delimiter = table.serde_params.get("field.delim") or table.serde_params.get("separatorChar") or ","
        location = table.location if table.location.endswith("/") else table.location + "/"
        count, files, _ = self._write_data(f"SELECT {', '.join(select)} FROM {source}", location, table.data_format, compression, delimiter)
        self._write_manifest(files)
        self._rows_result(count)

    def _rows_result(self, count: int) -> None:
        """CTAS reports the rows it wrote, as Trino does: one bigint column ``rows``."""
        self.out.output_rows = count
        self.out.column_info = [column_info("rows", "bigint", 19)]
        self.out.rows = [["rows"], [str(count)]]
        location = f"{self.output_dir}{self.query_id}.csv"
        bucket, key = s3_objects.split_uri(location)
        s3_objects.put_object(bucket, key, f'"rows"\n"{count}"\n'.encode())
        self._write_metadata(f"{self.output_dir}{self.query_id}.metadata")
        self.out.output_location = location

    def _write_metadata(self, uri: str) -> None:
        bucket, key = s3_objects.split_uri(uri)
        s3_objects.put_object(bucket, key, json.dumps({"ColumnInfo": self.out.column_info}).encode())

    def ddl_result(self, columns: list[str], rows: list[list[str]], substatement: str) -> None:
        """DDL and utility results: ``<id>.txt`` (tab separated), rows without a header."""
        self.out.statement_type = "UTILITY" if substatement in ("SHOW_TABLES", "SHOW_DATABASES", "DESCRIBE_TABLE", "SHOW_COLUMNS") else "DDL"
        self.out.substatement_type = substatement
        self.out.column_info = [column_info(c, "string") for c in columns]
        self.out.rows = rows
        self._require_bucket(self.output_dir)
        location = f"{self.output_dir}{self.query_id}.txt"
        bucket, key = s3_objects.split_uri(location)
        s3_objects.put_object(bucket, key, "".join("\t".join(r) + "\n" for r in rows).encode())
        self.out.output_location = location


def _is_complex(duck_type: str) -> bool:
    return duck_type.endswith("]") or duck_type.upper().startswith(("STRUCT", "MAP"))


def _complex_name(duck_type: str) -> str:
    """Athena's type name of a nested column (values are shown as text, as Athena's CSV does)."""
    upper = duck_type.upper()
    return "array" if upper.endswith("]") else "row" if upper.startswith("STRUCT") else "map"


_MISSING_COLUMN = (
    re.compile(r'Referenced column "([^"]+)" not found'),
    re.compile(r'does not have a column named "([^"]+)"'),
)


def _engine_error(exc: Exception, sql: str, query: exp.Expression | None = None) -> AthenaError:
    """DuckDB's error as Athena's category and message (without DuckDB's internal SQL echo)."""
    full = str(exc).strip()
    message = full.split("\n")[0]
    for pattern in _MISSING_COLUMN:
        match = pattern.search(full)
        if match:
            name = match.group(1)
            where = "1:8"
            for column in query.find_all(exp.Column) if query is not None else []:
                if column.name.lower() == name.lower():
                    where = position(sql, column)
                    name = column.sql(dialect="athena")
                    break
            return AthenaError(
                "COLUMN_NOT_FOUND", f"line {where}: Column '{name}' cannot be resolved or requester is not authorized to access requested resources"
            )
    missing_function = re.search(r"Function with name (\w+) does not exist", full)
    if missing_function:
        return AthenaError("FUNCTION_NOT_FOUND", f"Function '{missing_function.group(1).lower()}' not registered")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return AthenaError(
            "EXCEEDED_LOCAL_MEMORY_LIMIT", f"Query exhausted resources at this scale factor (the offline engine's memory limit is {MEMORY_LIMIT})"
        )
    if isinstance(exc, duckdb.ParserException):
        return AthenaError("SYNTAX_ERROR", message)
    if isinstance(exc, (duckdb.BinderException, duckdb.CatalogException)):
        return AthenaError("SYNTAX_ERROR", message)
    if isinstance(exc, duckdb.ConversionException):
        return AthenaError("INVALID_CAST_ARGUMENT", message)
    if isinstance(exc, duckdb.OutOfRangeException):
        return AthenaError("NUMERIC_VALUE_OUT_OF_RANGE", message)
    if isinstance(exc, duckdb.InvalidInputException):
        return AthenaError("INVALID_FUNCTION_ARGUMENT", message)
    return AthenaError("GENERIC_INTERNAL_ERROR", message)


_HIVE_ESCAPED = set('"#%\'*/:=?\\\x7f{[]^')


def _hive_escape(value: str) -> str:
    """A partition value as Hive writes it in a folder name (``__HIVE_DEFAULT_PARTITION__`` for NULL)."""
    if value == "__HIVE_DEFAULT_PARTITION__":
        return value
    return "".join(f"%{ord(ch):02X}" if ch in _HIVE_ESCAPED or ord(ch) < 32 else ch for ch in value)


def _partition_columns(create: exp.Create) -> list[str]:
    """``partitioned_by = ARRAY['a', 'b']`` of a CTAS, lower-cased."""
    for prop in _property_nodes(create):
        if isinstance(prop, exp.PartitionedByProperty):
            items = prop.this.expressions if isinstance(prop.this, (exp.Array, exp.Schema, exp.Tuple)) else [prop.this]
            return [(i.name if not isinstance(i, exp.Literal) else i.this).lower() for i in items]
    return []


def _property_nodes(create: exp.Create) -> list[exp.Expression]:
    props = create.args.get("properties")
    return list(props.expressions) if props else []


def _literal(node: exp.Expression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, (exp.Literal, exp.Var, exp.Identifier)):
        return str(node.this)
    return node.sql(dialect="athena")


def _properties(create: exp.Create) -> dict[str, str]:
    """``WITH (...)``/``TBLPROPERTIES`` of a CREATE as lower-case keys."""
    found: dict[str, str] = {}
    for prop in _property_nodes(create):
        if isinstance(prop, exp.Property) and type(prop) is exp.Property:
            found[_literal(prop.this).lower()] = _literal(prop.args.get("value"))
        elif isinstance(prop, exp.FileFormatProperty):
            inner = prop.this
            if isinstance(inner, exp.InputOutputFormat):
                found["inputformat"] = _literal(inner.args.get("input_format"))
            else:
                found["format"] = _literal(inner)
        elif isinstance(prop, exp.LocationProperty):
            found["location"] = _literal(prop.this)
        elif isinstance(prop, exp.PartitionedByProperty):
            found["partitioned_by"] = prop.this.sql()
        elif isinstance(prop, exp.RowFormatDelimitedProperty):
            if prop.args.get("fields"):
                found["field.delim"] = _literal(prop.args["fields"])
        elif isinstance(prop, exp.RowFormatSerdeProperty):
            found["serde"] = _literal(prop.this)
            serde_props = prop.args.get("serde_properties")
            for item in serde_props.expressions if serde_props else []:
                found[f"serde:{_literal(item.this)}"] = _literal(item.args.get("value"))
    return found


def _csv_options(columns: int, block_size: int) -> dict[str, Any]:
    """How a result CSV reads: every column a string, unquoted empty is NULL, quoted newlines are values
    (the header is the first row)."""
    names = [f"c{i}" for i in range(columns)]
    return {
        "read_options": pacsv.ReadOptions(column_names=names, block_size=block_size),
        "parse_options": pacsv.ParseOptions(newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True, quoted_strings_can_be_null=False, null_values=[""]
        ),
    }


def read_result_csv(data: bytes, columns: int) -> pa.Table:
    """An Athena result CSV as a table of strings (header as the first row); unquoted empty is NULL."""
    if not data.strip() or not columns:
        return pa.table({f"c{i}": pa.array([], pa.string()) for i in range(columns)})
    return pacsv.read_csv(pa.BufferReader(data), **_csv_options(columns, 1 << 24))


class ResultPages:
    """GetQueryResults pages of a result CSV file, read forward one block at a time.

    Only the block holding the current page is in memory: pages asked in order (as a
    paginator does) continue where the last one ended; an earlier page reads the file again.
    """

    BLOCK = 1 << 20

    def __init__(self, path: Path, columns: int) -> None:
        self.path, self.columns = path, columns
        self.lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        self._start, self._batch = 0, None  # the batch in hand and the index of its first row
        self._reader: pacsv.CSVStreamingReader | None = None
        if self.columns and self.path.stat().st_size:
            self._reader = pacsv.open_csv(str(self.path), **_csv_options(self.columns, self.BLOCK))

    def _batch_at(self, row: int) -> pa.RecordBatch | None:
        """The batch holding ``row`` (None past the last row)."""
        if row < self._start:
            self._open()
        while self._batch is None or row >= self._start + self._batch.num_rows:
            if self._reader is None:
                return None
            if self._batch is not None:
                self._start += self._batch.num_rows
            try:
                self._batch = self._reader.read_next_batch()
            except StopIteration:
                self._batch, self._reader = None, None
                return None
        return self._batch

    def page(self, start: int, size: int) -> tuple[list[list[str | None]], bool]:
        """Rows ``start … start+size-1`` and whether more rows follow."""
        with self.lock:
            rows: list[list[str | None]] = []
            while len(rows) < size:
                batch = self._batch_at(start + len(rows))
                if batch is None:
                    return rows, False
                part = batch.slice(start + len(rows) - self._start, size - len(rows))
                rows += [list(r) for r in zip(*(c.to_pylist() for c in part.columns))]
            return rows, self._batch_at(start + size) is not None


def _bind(statement: exp.Expression, parameters: list[str] | None) -> exp.Expression:
    """Substitute ``?`` placeholders with ``ExecutionParameters`` (SQL literals), in order."""
    import sqlglot

    holes = [p for p in statement.find_all(exp.Placeholder) if not p.this]
    given = list(parameters or [])
    if len(holes) != len(given):
        raise AthenaError("INVALID_PARAMETER_USAGE", f"Incorrect number of parameters: expected {len(holes)} but found {len(given)}")
    for hole, value in zip(holes, given):
        hole.replace(sqlglot.parse_one(value, read="athena"))
    return statement


_DDL_WORDS = ("CREATE", "DROP", "ALTER", "MSCK", "SHOW", "DESCRIBE")


def run(
    account_id: str,
    region: str,
    query_id: str,
    sql: str,
    database: str | None,
    output_dir: str,
    parameters: list[str] | None = None,
    principal: str | None = None,
) -> Outcome:
    """Execute ``sql`` as ``principal`` of ``account_id`` in ``region``; never raises for query errors (FAILED instead)."""
    from . import ddl

    started = time.perf_counter()
    state = _Run(account_id, region, query_id, sql, database, output_dir, principal)
    if sql.lstrip().upper().startswith(_DDL_WORDS):
        state.out.statement_type = "DDL"  # until the statement says otherwise (also when parsing fails)
    try:
        statement = _bind(parse_one(sql), parameters)
        if isinstance(statement, exp.Create) and (statement.kind or "").upper() == "TABLE" and statement.expression is not None:
            state.ctas(statement)
        elif isinstance(statement, exp.Query):
            state.select(statement)
        elif isinstance(statement, exp.Insert):
            state.insert(statement)
        else:
            ddl.execute(state, statement)
    except AthenaError as exc:
        state.out.state, state.out.reason = "FAILED", str(exc)
        state.out.error_type = getattr(exc, "error_type", None)
    except Exception as exc:  # an engine bug must still end the query, like Athena's internal errors
        state.out.state, state.out.reason = "FAILED", f"GENERIC_INTERNAL_ERROR: {type(exc).__name__}: {exc}"
    finally:
        state.con.close()
    state.out.engine_ms = int((time.perf_counter() - started) * 1000)
    if state.out.state == "FAILED":
        state.out.rows, state.out.column_info = None, []
    return state.out
