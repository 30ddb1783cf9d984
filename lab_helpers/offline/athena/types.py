"""Type names across the three worlds: Glue (Hive DDL), Athena results (Trino) and DuckDB/Arrow."""

from __future__ import annotations

import re

import pyarrow as pa

_DECIMAL = re.compile(r"^decimal\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$")


def glue_to_arrow(glue_type: str) -> pa.DataType:
    """The Arrow type Athena reads a Glue column type as (complex types read as strings)."""
    t = glue_type.strip().lower()
    simple = {
        "bigint": pa.int64(),
        "int": pa.int32(),
        "integer": pa.int32(),
        "smallint": pa.int16(),
        "tinyint": pa.int8(),
        "double": pa.float64(),
        "float": pa.float32(),
        "real": pa.float32(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "binary": pa.binary(),
        "string": pa.string(),
    }
    if t in simple:
        return simple[t]
    if t.startswith(("varchar", "char")):
        return pa.string()
    match = _DECIMAL.match(t)
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2) or 0))
    if t == "decimal":
        return pa.decimal128(10, 0)
    return pa.string()


def glue_to_sqlglot(glue_type: str) -> str:
    """A type string sqlglot's Athena dialect understands, for type annotation."""
    t = glue_type.strip().lower()
    return "varchar" if t == "string" else t


def duck_to_glue(duck_type: str) -> str:
    """The Glue column type of a CTAS column from DuckDB's type name (after :func:`normalising_cast`)."""
    t = duck_type.upper()
    if t.startswith("DECIMAL"):
        return t.lower().replace(" ", "")
    return {
        "BIGINT": "bigint",
        "INTEGER": "int",
        "SMALLINT": "smallint",
        "TINYINT": "tinyint",
        "DOUBLE": "double",
        "FLOAT": "float",
        "BOOLEAN": "boolean",
        "DATE": "date",
        "TIMESTAMP": "timestamp",
        "BLOB": "binary",
    }.get(t, "string")


def duck_to_athena(duck_type: str) -> tuple[str, int, int]:
    """Athena's result type name, precision and scale for a DuckDB result column."""
    t = duck_type.upper()
    match = _DECIMAL.match(t.lower())
    if match:
        return "decimal", int(match.group(1)), int(match.group(2) or 0)
    return {
        "BIGINT": ("bigint", 19, 0),
        "INTEGER": ("integer", 10, 0),
        "SMALLINT": ("smallint", 5, 0),
        "TINYINT": ("tinyint", 3, 0),
        "DOUBLE": ("double", 17, 0),
        "FLOAT": ("real", 17, 0),
        "BOOLEAN": ("boolean", 0, 0),
        "DATE": ("date", 0, 0),
        "TIMESTAMP": ("timestamp", 3, 0),
        "BLOB": ("varbinary", 1073741824, 0),
    }.get(t, ("varchar", 2147483647, 0))


def normalising_cast(duck_type: str) -> str | None:
    """The DuckDB type to cast a result column to so it matches Trino's (None: keep).

    DuckDB widens SUM of integers to HUGEINT and has unsigned and zoned types that
    Athena does not; Trino gives bigint and plain timestamps.
    """
    t = duck_type.upper()
    if t in ("HUGEINT", "UHUGEINT", "UBIGINT", "UINTEGER"):
        return "BIGINT"
    if t in ("USMALLINT", "UTINYINT"):
        return "INTEGER"
    if t.startswith("TIMESTAMP") and t != "TIMESTAMP":
        return "TIMESTAMP"
    if t in ("TIME", "INTERVAL", "UUID") or t.endswith("[]") or t.startswith(("STRUCT", "MAP", "UNION")):
        return "VARCHAR"
    return None
