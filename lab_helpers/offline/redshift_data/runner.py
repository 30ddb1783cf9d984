"""Run Redshift SQL against a location's DuckDB database and report it the way Redshift does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from .copy import check_role, read_source
from .engine import HUB, EngineError, Location
from .translate import Context, CopyFrom, CreateDatabase, NoOp, Query, plan

_ALIAS = re.compile(r"\brs_[0-9a-f]{16}\b\.?")


@dataclass
class Outcome:
    """What one Data API statement produced."""

    has_result_set: bool = False
    columns: list[tuple[str, str]] = field(default_factory=list)
    """(name, DuckDB type) of the result set."""
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    result_rows: int = 0
    """Rows returned, or rows affected by DML/COPY/CTAS."""


@dataclass
class BatchFailure:
    index: int
    message: str


def redshift_message(exc: Exception, written: dict[str, str] | None = None) -> str:
    """DuckDB's error in Redshift's words, without hints that name other databases."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    body = re.sub(r"^[A-Za-z ]*Error: ", "", first)
    body = re.sub(r"\s*Did you mean.*$", "", body)
    rules = [
        (r'Table with name "?([^"]+?)"? does not exist because schema "?([^"]+?)"? does not exist.*', r'relation "\1" does not exist'),
        (r'Table with name "?([^"!]+?)"? does not exist!?.*', r'relation "\1" does not exist'),
        (r'Table or view with name "?([^"!]+?)"? does not exist!?.*', r'relation "\1" does not exist'),
        (r'View with name "?([^"!]+?)"? does not exist!?.*', r'relation "\1" does not exist'),
        (r'Schema with name "?([^"!]+?)"? does not exist!?.*', r'schema "\1" does not exist'),
        (r'Referenced column "?([^"]+?)"? not found.*', r'column "\1" does not exist'),
        (r'Table with name "?([^"]+?)"? already exists!?.*', r'relation "\1" already exists'),
        (r'NOT NULL constraint failed: [^.]+\."?([^"\s]+)"?', r"Cannot insert a NULL value into column \1"),
        # A consumer's shared (exposed) table is a view: PostgreSQL's words, which Redshift inherits.
        (r'"?([^"\s]+)"? is not an? table', r"cannot insert into a view"),
        (r"Can only delete from base table", r"cannot delete from a view"),
        (r"Can only update base table", r"cannot update a view"),
        (r'Cannot access file "([^"]+)" - file system operations are disabled.*', r'relation "\1" does not exist'),
        (r'Schema with name "?([^"]+?)"? already exists!?.*', r'schema "\1" already exists'),
    ]
    for pattern, replacement in rules:
        if re.fullmatch(pattern, body):
            body = re.sub(pattern, replacement, body)
            break
    body = _ALIAS.sub("", body)
    if written:
        body = re.sub(r'^relation "([^".]+)"', lambda m: f'relation "{written.get(m.group(1).lower(), m.group(1))}"', body)
    return body if body.startswith(("ERROR:", "FATAL:")) else f"ERROR: {body}"


def execute(
    location: Location, sqls: list[str], parameters: dict[str, str] | None = None
) -> tuple[list[Outcome], BatchFailure | None]:
    """Run ``sqls`` in one transaction; on the first failure roll back and report which one failed."""
    outcomes: list[Outcome] = []
    try:
        with HUB.cursor(location) as cur:
            context = Context(location.alias, location.database, _resolver(location), dict(parameters or {}))
            context.has_relation = lambda schema, name: _has_relation(cur, location, schema, name)
            cur.execute("BEGIN TRANSACTION")
            for index, sql in enumerate(sqls):
                try:
                    outcomes.append(_run(cur, location, sql, context))
                except (EngineError, duckdb.Error) as exc:
                    _rollback(cur)
                    message = str(exc) if isinstance(exc, EngineError) else redshift_message(exc, context.written)
                    return outcomes, BatchFailure(index, message)
                except Exception as exc:  # noqa: BLE001 - a translation gap must fail the statement, not hang it
                    _rollback(cur)
                    return outcomes, BatchFailure(index, f"ERROR: the offline Redshift stand-in cannot run this: {exc!r}")
            try:
                cur.execute("COMMIT")
            except duckdb.Error as exc:
                _rollback(cur)
                return outcomes, BatchFailure(len(sqls) - 1, redshift_message(exc))
    except EngineError as exc:  # the database does not exist
        return outcomes, BatchFailure(0, str(exc))
    return outcomes, None


def _has_relation(cur: duckdb.DuckDBPyConnection, location: Location, schema: str, name: str) -> bool:
    row = cur.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_catalog = ? AND table_schema = ? AND table_name = ?",
        [location.alias, schema, name],
    ).fetchone()
    return row is not None


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass


def _resolver(location: Location):  # type: ignore[no-untyped-def]
    def resolve(name: str) -> str:
        other = location.sibling(name)
        if not HUB.exists(other):
            raise EngineError(f'ERROR: database "{name}" does not exist')
        return other.alias

    return resolve


def _run(cur: duckdb.DuckDBPyConnection, location: Location, sql: str, context: Context) -> Outcome:
    outcome = Outcome()
    for step in plan(sql, context):
        outcome = Outcome()
        if isinstance(step, NoOp):
            continue
        if isinstance(step, CreateDatabase):
            other = location.sibling(step.name)
            if HUB.exists(other):
                if not step.exists_ok:
                    raise EngineError(f'ERROR: database "{step.name}" already exists')
            else:
                HUB.ensure(other)
            continue
        if isinstance(step, CopyFrom):
            outcome.result_rows = _copy(cur, location, step)
            continue
        assert isinstance(step, Query)
        cur.execute(step.sql)
        if step.has_result:
            outcome.has_result_set = True
            outcome.columns = [(d[0], str(d[1])) for d in cur.description or []]
            outcome.rows = cur.fetchall()
            outcome.result_rows = len(outcome.rows)
        elif cur.description and [d[0] for d in cur.description] == ["Count"]:
            counted = cur.fetchall()
            outcome.result_rows = int(counted[0][0]) if counted else 0
    return outcome


def _copy(cur: duckdb.DuckDBPyConnection, location: Location, copy: CopyFrom) -> int:
    check_role(location.account_id, location.region, location.store, copy)
    source = read_source(location.account_id, copy)
    columns = f" ({', '.join(_quote(c) for c in copy.columns)})" if copy.columns else ""
    cur.register("__lab_copy_source", source)
    try:
        cur.execute(f"INSERT INTO {copy.table}{columns} SELECT * FROM __lab_copy_source")
        return int(cur.fetchall()[0][0])
    finally:
        cur.unregister("__lab_copy_source")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
