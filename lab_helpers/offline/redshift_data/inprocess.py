"""In-process entry points for other add-ons: run SQL, describe a schema, share a table.

``expose_redshift_table`` is what a Redshift datashare plus a consumer view does on AWS:
the target database gets ``target_schema.table``, a read-only view of the producer's
table that stays current with it. DuckDB cannot open one file twice in a process, so
the view reads the producer's file through the hub's single attachment of it (see
:mod:`.engine`); the consumer's statements still cannot name the producer's database.
"""

from __future__ import annotations

from typing import Any

from .engine import HUB, DatabaseNotFound, EngineError, Location, redshift_type_text
from .models import default_database
from .runner import execute


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _open(account_id: str, region: str, store: str, database: str) -> Location:
    """The database, created if it is the store's default database; else it must exist."""
    location = Location(account_id, region, store, database)
    if location.database == default_database(account_id, region, store, store):  # a cluster's or a workgroup's
        HUB.ensure(location)
    elif not HUB.exists(location):
        raise DatabaseNotFound(f'FATAL: database "{location.database}" does not exist')
    return location


def run_sql(*, account_id: str, region: str, store: str, database: str, sql: str) -> list[dict[str, Any]]:
    """Run Redshift SQL in a cluster's/workgroup's database; rows of the last statement as dicts.

    Raises :class:`EngineError` with Redshift's message when the SQL fails.
    """
    location = _open(account_id, region, store, database)
    outcomes, failure = execute(location, [sql])
    if failure is not None:
        raise EngineError(failure.message)
    last = outcomes[-1]
    names = [name for name, _ in last.columns]
    return [dict(zip(names, row)) for row in last.rows]


def describe_schema(*, account_id: str, region: str, store: str, database: str, schema: str) -> dict[str, list[tuple[str, str]]]:
    """Tables and views of ``schema`` → [(column, Redshift type)], in column order."""
    location = _open(account_id, region, store, database)
    with HUB.cursor(location) as cur:
        rows = cur.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = ? ORDER BY table_name, ordinal_position",
            [location.alias, schema.lower()],
        ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        found.setdefault(table, []).append((column, redshift_type_text(kind)))
    return found


def _relation_kind(location: Location, schema: str, table: str) -> str | None:
    with HUB.cursor(location) as cur:
        row = cur.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_catalog = ? AND table_schema = ? AND table_name = ?",
            [location.alias, schema, table],
        ).fetchone()
    return None if row is None else str(row[0])


def expose_redshift_table(
    *,
    region: str,
    source_account: str,
    source_store: str,
    source_database: str,
    source_schema: str,
    table: str,
    target_account: str,
    target_store: str,
    target_database: str,
    target_schema: str,
) -> None:
    """Make ``target_schema.table`` in the target database a live read-only view of the source table (idempotent)."""
    source = _open(source_account, region, source_store, source_database)
    source_schema, target_schema, table = source_schema.lower(), target_schema.lower(), table.lower()
    if _relation_kind(source, source_schema, table) is None:
        raise EngineError(f'ERROR: relation "{source_schema}.{table}" does not exist')
    target = Location(target_account, region, target_store, target_database)
    HUB.ensure(target)
    if _relation_kind(target, target_schema, table) == "BASE TABLE":
        raise EngineError(f'ERROR: relation "{target_schema}.{table}" already exists')
    name = f"{target.alias}.{_quote(target_schema)}.{_quote(table)}"
    with HUB.cursor(target) as cur:
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {target.alias}.{_quote(target_schema)}")
        cur.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {source.alias}.{_quote(source_schema)}.{_quote(table)}")


def hide_redshift_table(
    *,
    region: str,
    source_account: str,
    source_store: str,
    source_database: str,
    source_schema: str,
    table: str,
    target_account: str,
    target_store: str,
    target_database: str,
    target_schema: str,
) -> None:
    """Remove what :func:`expose_redshift_table` made (idempotent); reading it then fails."""
    target = Location(target_account, region, target_store, target_database)
    target_schema, table = target_schema.lower(), table.lower()
    if not HUB.exists(target) or _relation_kind(target, target_schema, table) != "VIEW":
        return
    with HUB.cursor(target) as cur:
        cur.execute(f"DROP VIEW IF EXISTS {target.alias}.{_quote(target_schema)}.{_quote(table)}")
