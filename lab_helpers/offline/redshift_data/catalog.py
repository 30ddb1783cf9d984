"""What ListDatabases, ListSchemas, ListTables and DescribeTable read: the hub's catalog."""

from __future__ import annotations

from typing import Any

from .engine import HUB, Location, redshift_type

_HIDDEN_SCHEMAS = ("main",)  # DuckDB's default schema; Redshift databases have none.


def schemas(location: Location, pattern: str | None) -> list[str]:
    with HUB.cursor(location) as cur:
        rows = cur.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = ? AND schema_name LIKE ? ORDER BY 1",
            [location.alias, pattern or "%"],
        ).fetchall()
    return [r[0] for r in rows if r[0] not in _HIDDEN_SCHEMAS]


def tables(location: Location, schema_pattern: str | None, table_pattern: str | None) -> list[dict[str, str]]:
    with HUB.cursor(location) as cur:
        rows = cur.execute(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema LIKE ? AND table_name LIKE ? ORDER BY 1, 2",
            [location.alias, schema_pattern or "%", table_pattern or "%"],
        ).fetchall()
    return [
        {"schema": schema, "name": name, "type": "VIEW" if kind == "VIEW" else "TABLE"}
        for schema, name, kind in rows
        if schema not in _HIDDEN_SCHEMAS
    ]


def columns(location: Location, schema: str, table: str) -> list[dict[str, Any]]:
    with HUB.cursor(location) as cur:
        rows = cur.execute(
            "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [location.alias, schema, table],
        ).fetchall()
    found = []
    for name, kind, nullable, default in rows:
        type_name, precision, scale = redshift_type(kind)
        column: dict[str, Any] = {
            "isCaseSensitive": type_name == "varchar",
            "isCurrency": False,
            "isSigned": type_name in ("int2", "int4", "int8", "float4", "float8", "numeric"),
            "label": name,
            "name": name,
            "nullable": 1 if nullable == "YES" else 0,
            "precision": precision,
            "scale": scale,
            "schemaName": schema,
            "tableName": table,
            "typeName": type_name,
            "length": 0,
        }
        if default is not None:
            column["columnDefault"] = str(default)
        found.append(column)
    return found
