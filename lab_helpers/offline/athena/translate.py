"""Turn an Athena (Trino) query into DuckDB SQL over the engine's table views.

Every catalog table reference is resolved in the caller's Glue catalog and replaced by a
view name (keeping the table name as its alias, so ``sales.region`` still binds). With the
Glue schemas known, sqlglot qualifies and type-annotates the query, which makes Trino's
semantics survive transpilation (integer division, ``date_trunc`` on a date is a date).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from .catalog import AthenaError, GlueTable, resolve_table
from .governance import require_readable
from .types import glue_to_sqlglot


@dataclass
class Translation:
    """DuckDB SQL and the Glue tables it reads, by view name."""

    sql: str
    views: dict[str, GlueTable] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    """Output column names when sqlglot could resolve them (duplicates kept, as in Athena)."""


def position(sql: str, node: exp.Expression) -> str:
    """``line:col`` of a node as Athena reports it (1-based)."""
    first = node
    if isinstance(node, (exp.Table, exp.Column)):
        parts = [node.args.get(k) for k in ("catalog", "db", "table", "this")]
        first = next((p for p in parts if isinstance(p, exp.Identifier)), node.this)
    meta = first.meta if isinstance(first, exp.Expression) else {}
    start = meta.get("start")
    if start is None:
        return "1:1"
    line = sql.count("\n", 0, start) + 1
    col = start - (sql.rfind("\n", 0, start) + 1) + 1
    return f"{line}:{col}"


def parse_one(sql: str) -> exp.Expression:
    """Parse one Athena statement; a parse error becomes Athena's ``SYNTAX_ERROR``."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except sqlglot.errors.ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        where = f"line {err.get('line', 1)}:{err.get('col', 1)}: " if err else ""
        raise AthenaError("SYNTAX_ERROR", f"{where}{err.get('description') or exc}") from exc
    except sqlglot.errors.SqlglotError as exc:  # e.g. an unterminated string
        raise AthenaError("SYNTAX_ERROR", str(exc)) from exc
    if len(statements) != 1:
        raise AthenaError("SYNTAX_ERROR", "Only one sql statement is allowed. Got: " + str(len(statements)))
    return statements[0]


def name_projections(query: exp.Expression, auto: bool = True) -> list[int]:
    """Alias unnamed output columns ``_col<i>`` as Athena does; returns the unnamed positions."""
    select = query
    while isinstance(select, exp.SetOperation):
        select = select.this
    if isinstance(select, exp.Subquery):
        select = select.unnest()
    if not isinstance(select, exp.Select):
        return []
    unnamed = []
    for i, projection in enumerate(list(select.expressions)):
        if isinstance(projection, (exp.Alias, exp.Column, exp.Star)):
            continue
        unnamed.append(i)
        if auto:
            projection.replace(exp.alias_(projection.copy(), f"_col{i}", quoted=False))
    return unnamed


_DATE_RESULT = (exp.TimestampTrunc, exp.DateTrunc, exp.DateAdd, exp.DateSub, exp.Add, exp.Sub)


def _fix_trino_semantics(tree: exp.Expression) -> None:
    """Keep Trino's types where DuckDB's differ.

    Date arithmetic and truncation of a date stay dates in Trino (DuckDB returns
    timestamps); Trino's ``format`` is printf-style (DuckDB's ``format`` is fmt-style);
    ``millisecond`` is the millisecond of the second.
    """
    def is_date(node: exp.Expression | None) -> bool:
        return node is not None and node.type is not None and node.type.is_type(exp.DataType.Type.DATE)

    for node in list(tree.find_all(*_DATE_RESULT)):
        truncation = isinstance(node, (exp.TimestampTrunc, exp.DateTrunc))
        if is_date(node.this) if truncation else is_date(node):
            node.replace(exp.cast(node.copy(), exp.DataType.build("DATE")))
    for node in list(tree.find_all(exp.Format)):
        node.replace(exp.Anonymous(this="printf", expressions=[node.this, *node.expressions]))
    for node in list(tree.find_all(exp.Anonymous)):
        if node.name.lower() == "millisecond":  # DuckDB counts the seconds' milliseconds too
            node.replace(exp.Mod(this=node.copy(), expression=exp.Literal.number(1000)))


def _substitute(
    tree: exp.Expression,
    sql: str,
    account_id: str,
    region: str,
    default_db: str | None,
    prefix: str,
    result: Translation,
    by_key: dict[tuple[str, str, str], str],
    depth: int,
    principal: str | None = None,
) -> None:
    """Replace catalog tables by view names (and Athena views by their SQL, resolved in their own schema)."""
    if depth > 10:
        raise AthenaError("VIEW_IS_RECURSIVE", "View is recursive or nested more than 10 levels")
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            # Table functions would reach DuckDB's own readers (files, globs): Athena has none of them.
            name = table.this.sql(dialect="athena") if table.this is not None else "?"
            raise AthenaError("FUNCTION_NOT_FOUND", f"line {position(sql, table)}: Table function '{name[:60]}' not registered")
        name = table.name
        if not table.db and name.lower() in cte_names:
            continue
        catalog = table.catalog
        if catalog and catalog.lower() != "awsdatacatalog":
            raise AthenaError("CATALOG_NOT_FOUND", f"line {position(sql, table)}: Catalog '{catalog}' does not exist")
        database = table.db or default_db
        if not database:
            raise AthenaError("SCHEMA_NOT_FOUND", f"line {position(sql, table)}: Schema must be specified when session schema is not set")
        if principal is not None:
            require_readable(account_id, region, database, name, principal)
        glue = resolve_table(account_id, region, database, name, position(sql, table))
        alias = table.alias or name
        if glue.view_sql is not None:
            inner = parse_one(glue.view_sql)
            _substitute(inner, glue.view_sql, glue.account_id, region, glue.view_schema, prefix, result, by_key, depth + 1, principal)
            table_alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(alias))
            table.replace(exp.Subquery(this=inner, alias=table_alias.copy()))
            continue
        key = (glue.account_id, glue.database.lower(), glue.name.lower())
        view = by_key.setdefault(key, f"{prefix}{len(by_key)}")
        result.views[view] = glue
        table.set("this", exp.to_identifier(view))
        table.set("db", None)
        table.set("catalog", None)
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))


def translate(
    sql: str, query: exp.Expression, account_id: str, region: str, default_db: str | None, prefix: str = "__athena_t",
    principal: str | None = None,
) -> Translation:
    """Resolve ``query``'s tables through Glue and transpile it to DuckDB.

    With a ``principal`` every table read is checked against Lake Formation first.
    """
    tree = query.copy()
    result = Translation(sql="")
    _substitute(tree, sql, account_id, region, default_db, prefix, result, {}, depth=0, principal=principal)
    schema = {view: {c: glue_to_sqlglot(t) for c, t in g.all_columns} for view, g in result.views.items()}
    try:
        typed = qualify(tree.copy(), schema=schema, dialect="athena", quote_identifiers=False, validate_qualify_columns=True)
        typed = annotate_types(typed, schema=schema, dialect="athena")
        _fix_trino_semantics(typed)
        tree = typed
        qualified = True
    except Exception:  # sqlglot cannot qualify everything; DuckDB's binder then has the last word
        qualified = False
    if qualified and isinstance(tree, exp.Query) and "*" not in tree.named_selects:
        result.names = list(tree.named_selects)
    try:
        result.sql = tree.sql(dialect="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE, copy=False)  # tree is ours
    except sqlglot.errors.UnsupportedError as exc:
        raise AthenaError("NOT_SUPPORTED", str(exc)) from exc
    return result
