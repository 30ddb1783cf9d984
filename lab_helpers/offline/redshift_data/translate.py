"""Redshift SQL → DuckDB SQL for one connected database, with Redshift's isolation.

sqlglot's Redshift dialect parses; storage clauses DuckDB has no use for (``DISTSTYLE``,
``DISTKEY``, ``SORTKEY``, ``ENCODE``, ``BACKUP``) are stripped first. Every relation is
then qualified with the DuckDB alias of the connected database, so a statement can only
reach its own database (or, as on RA3, another database of the same cluster by a
three-part name). Table functions that read files and DuckDB-only statements are
refused. ``COPY`` is planned here and executed by :mod:`.copy`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from .engine import DEFAULT_SCHEMA, EngineError


@dataclass
class Query:
    """A statement DuckDB runs as is."""

    sql: str
    has_result: bool
    text: str


@dataclass
class NoOp:
    """Accepted and without effect offline (grants, ANALYZE, VACUUM, transaction control)."""

    text: str


@dataclass
class CreateDatabase:
    name: str
    exists_ok: bool
    text: str


@dataclass
class CopyFrom:
    """``COPY table [(columns)] FROM 's3://…' …``."""

    table: str
    """The DuckDB-qualified target table."""
    columns: list[str]
    uri: str
    format: str
    text: str
    ignore_header: int = 0
    delimiter: str | None = None
    null_as: str | None = None
    manifest: bool = False
    options: dict[str, str] = field(default_factory=dict)


Step = Query | NoOp | CreateDatabase | CopyFrom

_STORAGE = [
    re.compile(p, re.I)
    for p in (
        r"\bDISTSTYLE\s+(AUTO|EVEN|KEY|ALL)\b",
        r"\b(COMPOUND\s+|INTERLEAVED\s+)?SORTKEY\s*\([^)]*\)",
        r"\bSORTKEY\s+AUTO\b",
        r"\bDISTKEY\s*\([^)]*\)",
        r"\bDISTKEY\b",
        r"\bSORTKEY\b",
        r"\bENCODE\s+\w+",
        r"\bBACKUP\s+(YES|NO)\b",
        r"\bWITH\s+NO\s+SCHEMA\s+BINDING\b",
    )
]
_DENIED_FUNCTIONS = ("read_", "parquet_", "glob", "sniff_", "query", "duckdb_", "pragma_", "getenv", "iceberg_", "delta_")
_ALLOWED_TABLE_FUNCTIONS = {"generate_series", "exploding_generate_series", "range", "unnest"}
_SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_internal"}
_DML = (exp.Insert, exp.Update, exp.Delete, exp.Merge)
_OWN = "table_catalog = '{alias}' AND table_schema <> 'main'"
_INFO_TABLES = "(SELECT * REPLACE ('{database}' AS table_catalog) FROM information_schema.tables WHERE " + _OWN + ")"
_PG_TYPES = {
    "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "DOUBLE": "double precision",
    "FLOAT": "real", "VARCHAR": "character varying", "BOOLEAN": "boolean", "DATE": "date",
    "TIMESTAMP": "timestamp without time zone", "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "TIME": "time without time zone", "BLOB": "varbyte", "JSON": "super",
}
_PG_TYPE = (
    "CASE WHEN data_type LIKE 'DECIMAL%' THEN 'numeric' "
    + " ".join(f"WHEN data_type = '{k}' THEN '{v}'" for k, v in _PG_TYPES.items())
    + " ELSE lower(data_type) END"
)
_INFO_COLUMNS = (
    "(SELECT * REPLACE ('{database}' AS table_catalog, " + _PG_TYPE + " AS data_type) "
    "FROM information_schema.columns WHERE " + _OWN + ")"
)
#: Catalog views a statement may read, limited to the connected database (``{alias}``).
_CATALOG_VIEWS: dict[tuple[str, str], str] = {
    ("information_schema", "tables"): _INFO_TABLES,
    ("information_schema", "columns"): _INFO_COLUMNS,
    ("information_schema", "views"): "(SELECT * REPLACE ('{database}' AS table_catalog) FROM information_schema.views WHERE " + _OWN + ")",
    ("information_schema", "schemata"): (
        "(SELECT * REPLACE ('{database}' AS catalog_name) FROM information_schema.schemata "
        "WHERE catalog_name = '{alias}' AND schema_name <> 'main')"
    ),
    ("pg_catalog", "svv_tables"): _INFO_TABLES,
    ("pg_catalog", "svv_columns"): _INFO_COLUMNS,
    ("pg_catalog", "pg_tables"): (
        "(SELECT table_schema AS schemaname, table_name AS tablename, 'awsuser' AS tableowner "
        "FROM information_schema.tables WHERE " + _OWN + " AND table_type = 'BASE TABLE')"
    ),
    ("pg_catalog", "pg_views"): (
        "(SELECT table_schema AS schemaname, table_name AS viewname, 'awsuser' AS viewowner "
        "FROM information_schema.tables WHERE " + _OWN + " AND table_type = 'VIEW')"
    ),
}


def _segments(sql: str) -> list[tuple[str, str]]:
    """Split SQL into ("code" | "quoted" | "comment", text) pieces, honouring '' and "" escapes."""
    pieces: list[tuple[str, str]] = []
    i, n, code_start = 0, len(sql), 0

    def flush(upto: int) -> None:
        if upto > code_start:
            pieces.append(("code", sql[code_start:upto]))

    while i < n:
        ch, two = sql[i], sql[i : i + 2]
        if ch in "'\"":
            flush(i)
            j = i + 1
            while j < n:
                if sql[j] == ch and sql[j + 1 : j + 2] == ch:
                    j += 2
                elif sql[j] == ch:
                    break
                else:
                    j += 1
            pieces.append(("quoted", sql[i : j + 1]))
            i = code_start = j + 1
        elif two in ("--", "/*"):
            flush(i)
            end = sql.find("\n", i) if two == "--" else sql.find("*/", i + 2)
            end = n if end < 0 else end + (0 if two == "--" else 2)
            pieces.append(("comment", sql[i:end]))
            i = code_start = end
        else:
            i += 1
    flush(n)
    return pieces


def strip_storage_clauses(sql: str) -> str:
    """Remove Redshift's physical-design clauses (outside string literals and quoted names)."""
    out = []
    for kind, text in _segments(sql):
        if kind == "code":
            for pattern in _STORAGE:
                text = pattern.sub(" ", text)
        out.append(text)
    return "".join(out)


def split_statements(sql: str) -> list[str]:
    """Split on semicolons outside quotes and comments; drop comments and empty statements."""
    statements: list[str] = []
    current: list[str] = []
    for kind, text in _segments(sql):
        if kind == "comment":
            current.append(" ")
        elif kind == "quoted":
            current.append(text)
        else:
            pieces = text.split(";")
            current.append(pieces[0])
            for piece in pieces[1:]:
                statements.append("".join(current))
                current = [piece]
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip()]


@dataclass
class Context:
    """What a statement is connected to."""

    alias: str
    database: str
    resolve_database: Callable[[str], str]
    """Alias of another database of the same cluster/workgroup (raises EngineError if absent)."""
    parameters: dict[str, str] = field(default_factory=dict)
    temp_tables: set[str] = field(default_factory=set)
    written: dict[str, str] = field(default_factory=dict)
    """Relation names as the SQL wrote them (``schema.table`` or ``table``), for error messages."""
    search_path: list[str] = field(default_factory=lambda: [DEFAULT_SCHEMA])
    has_relation: Callable[[str, str], bool] = lambda schema, name: False
    """Whether ``schema.name`` exists in the connected database (for search_path lookups)."""

    def schema_for(self, name: str) -> str:
        """The schema an unqualified relation resolves to, following search_path."""
        if len(self.search_path) > 1:
            for schema in self.search_path:
                if self.has_relation(schema, name):
                    return schema
        return self.search_path[0] if self.search_path else DEFAULT_SCHEMA

    def catalog(self, name: str | None) -> str:
        if not name or name.lower() == self.database:
            return self.alias
        return self.resolve_database(name.lower())


def plan(sql: str, context: Context) -> list[Step]:
    """Translate a Data API ``Sql`` string into steps (several if it holds several statements)."""
    steps: list[Step] = []
    for text in split_statements(sql):
        if re.match(r"(?is)^\s*copy\s", text):
            steps.append(_plan_copy(text, context))
            continue
        path = re.match(r"(?is)^\s*set\s+(?:session\s+|local\s+)?search_path\s*(?:to|=)\s*(.+)$", text)
        if path:
            names = [p.strip().strip("'\"").lower() for p in path.group(1).split(",")]
            context.search_path = [n for n in names if n and n != "$user"] or [DEFAULT_SCHEMA]
            steps.append(NoOp(text))
            continue
        if re.match(r"(?is)^\s*reset\s+(search_path|all)\b", text):
            context.search_path = [DEFAULT_SCHEMA]
            steps.append(NoOp(text))
            continue
        if re.match(r"(?is)^\s*(vacuum|analyze|grant|revoke|alter\s+default\s+privileges|set|reset)\b", text):
            steps.append(NoOp(text))
            continue
        if re.match(r"(?is)^\s*(create|alter|drop)\s+(user|group|role)\b", text):
            steps.append(NoOp(text))
            continue
        try:
            tree = sqlglot.parse_one(strip_storage_clauses(text), read="redshift")
        except ParseError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "syntax error"
            raise EngineError(f"ERROR: syntax error: {first}") from exc
        steps.extend(_plan_tree(tree, text, context))
    return steps


def _plan_tree(tree: exp.Expression, text: str, context: Context) -> list[Step]:
    if isinstance(tree, (exp.Transaction, exp.Commit, exp.Rollback, exp.Grant, exp.Set, exp.Analyze)):
        return [NoOp(text)]
    if isinstance(tree, exp.Command):
        raise EngineError(f"ERROR: {tree.name.upper()} is not supported by the offline Redshift stand-in")
    if isinstance(tree, exp.Create) and (tree.args.get("kind") or "").upper() == "DATABASE":
        return [CreateDatabase(tree.this.name.lower(), bool(tree.args.get("exists")), text)]
    allowed = (exp.Query, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable, *_DML)
    if not isinstance(tree, allowed):
        raise EngineError(f"ERROR: {type(tree).__name__.upper()} statements are not supported by the offline Redshift stand-in")
    if isinstance(tree, (exp.Create, exp.Drop)):
        kind = (tree.args.get("kind") or "").upper()
        if kind not in ("TABLE", "VIEW", "SCHEMA"):
            verb = "CREATE" if isinstance(tree, exp.Create) else "DROP"
            raise EngineError(f"ERROR: {verb} {kind} is not supported by the offline Redshift stand-in")
    if isinstance(tree, exp.Drop) and len(tree.args.get("tables") or []) > 1:
        steps: list[Step] = []
        for table in tree.args["tables"]:
            single = tree.copy()
            single.set("tables", [table.copy()])
            steps.extend(_plan_tree(single, text, context))
        return steps
    _refuse_file_access(tree)
    _bind_parameters(tree, context)
    _unsize_types(tree)
    pre: list[Step] = []
    if isinstance(tree, exp.Create) and (tree.args.get("kind") or "").upper() == "TABLE":
        if tree.args.get("properties") and tree.find(exp.TemporaryProperty):
            context.temp_tables.add(tree.this.find(exp.Table).name.lower())  # type: ignore[union-attr]
        _qualify(tree, context)
        _drop_informational_constraints(tree)
        pre = _identity_sequences(tree)
    else:
        _qualify(tree, context)
    if isinstance(tree, exp.Query):
        _name_columns(tree)
    sql = tree.sql(dialect="duckdb")
    return [*pre, Query(sql, isinstance(tree, exp.Query), text)]


_UNSIZED = {exp.DataType.Type.VARBINARY, exp.DataType.Type.BINARY, exp.DataType.Type.BLOB}


def _unsize_types(tree: exp.Expression) -> None:
    """DuckDB's BLOB takes no length (Redshift's ``VARBYTE(n)``); SUPER is stored as JSON."""
    for node in tree.find_all(exp.DataType):
        if node.this in _UNSIZED:
            node.set("expressions", [])
        elif node.this == exp.DataType.Type.SUPER:
            node.set("this", exp.DataType.Type.JSON)


def _name_columns(tree: exp.Query) -> None:
    """Name unaliased result columns as Redshift does: ``count``, ``sum``, else ``?column?``."""
    first: exp.Expression = tree
    while isinstance(first, exp.SetOperation):
        first = first.this
    if not isinstance(first, exp.Select):
        return
    for node in list(first.expressions):
        if isinstance(node, (exp.Alias, exp.Column, exp.Star)) or node.find(exp.Star) is node:
            continue
        inner = node
        while isinstance(inner, (exp.Paren, exp.Window)):
            inner = inner.this
        if isinstance(inner, exp.Anonymous):
            name = inner.name.lower()
        elif isinstance(inner, exp.Func) and not isinstance(inner, exp.Cast):
            words = inner.sql(dialect="redshift").split("(")[0].split()
            name = words[-1].lower() if words else "?column?"
        elif isinstance(inner, exp.Cast):
            name = inner.to.this.value.lower() if isinstance(inner.to.this, exp.DataType.Type) else "?column?"
        else:
            name = "?column?"
        node.replace(exp.alias_(node.copy(), name, quoted=True))


def _refuse_file_access(tree: exp.Expression) -> None:
    for node in tree.find_all(exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        if name.startswith(_DENIED_FUNCTIONS) or "read" in type(node).__name__.lower():
            raise EngineError(f"ERROR: function {name}() does not exist")


def _bind_parameters(tree: exp.Expression, context: Context) -> None:
    """Replace ``:name`` placeholders by the request's parameter values, as literals."""
    for node in list(tree.find_all(exp.Placeholder)):
        name = node.name
        if name not in context.parameters:
            raise EngineError(f"ERROR: parameter :{name} has no value in Parameters")
        node.replace(exp.Literal.string(context.parameters[name]))


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _qualify(tree: exp.Expression, context: Context) -> None:
    """Point every relation (and schema) at the connected database's DuckDB catalog."""
    ctes = _cte_names(tree)
    kind = (tree.args.get("kind") or "").upper() if isinstance(tree, (exp.Create, exp.Drop)) else ""
    for table in list(tree.find_all(exp.Table)):
        if kind == "SCHEMA" and not table.name and table.args.get("db") is not None:
            # CREATE/DROP SCHEMA s: sqlglot keeps the schema name in ``db``.
            table.set("catalog", exp.to_identifier(context.catalog(table.catalog)))
            continue
        if not isinstance(table.this, exp.Identifier):
            func = table.this
            name = (func.name if isinstance(func, exp.Anonymous) else getattr(func, "sql_name", lambda: "")()).lower()
            if name not in _ALLOWED_TABLE_FUNCTIONS:
                raise EngineError(f"ERROR: function {name or type(func).__name__.lower()}() does not exist")
            continue
        name, schema = table.name.lower(), table.db.lower()
        if any(ch in part for part in (name, schema, table.catalog) for ch in "/\\"):
            raise EngineError(f'ERROR: relation "{table.sql()}" does not exist')
        if not schema and not table.catalog and (name in ctes or name in context.temp_tables):
            continue
        catalog_view = _CATALOG_VIEWS.get((schema or "pg_catalog", name)) or _CATALOG_VIEWS.get((schema, name))
        if catalog_view is not None and not table.catalog:
            sql = catalog_view.format(alias=context.alias, database=context.database)
            subquery = sqlglot.parse_one(sql, read="duckdb")
            table.replace(exp.alias_(subquery, table.alias or name, table=True))
            continue
        if schema in _SYSTEM_SCHEMAS or name.startswith(("svv_", "stv_", "stl_", "svl_", "pg_")):
            raise EngineError(f'ERROR: system relation "{table.sql()}" is not available in the offline Redshift stand-in')
        context.written.setdefault(name, f"{schema}.{name}" if schema else name)
        table.set("catalog", exp.to_identifier(context.catalog(table.catalog)))
        if not schema:
            table.set("db", exp.to_identifier(context.schema_for(name)))


_INFORMATIONAL = (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint, exp.Reference)


def _drop_informational_constraints(tree: exp.Create) -> None:
    """Redshift does not enforce PRIMARY KEY, UNIQUE or FOREIGN KEY (they only inform the planner)."""
    if not isinstance(tree.this, exp.Schema):
        return
    for node in list(tree.this.expressions):
        inner = node.args.get("kind") if isinstance(node, exp.ColumnConstraint) else node
        if isinstance(node, exp.Constraint):
            inner = (node.expressions or [None])[0]
        if isinstance(inner, (exp.PrimaryKey, exp.ForeignKey, *_INFORMATIONAL)):
            node.pop()
    for column in tree.this.find_all(exp.ColumnDef):
        for constraint in list(column.args.get("constraints") or []):
            if isinstance(constraint.args.get("kind"), _INFORMATIONAL):
                constraint.pop()


def _identity_sequences(tree: exp.Create) -> list[Step]:
    """``IDENTITY(seed, step)`` columns become a sequence and a ``nextval`` default."""
    steps: list[Step] = []
    table = tree.this.find(exp.Table) if isinstance(tree.this, exp.Schema) else None
    if table is None:
        return steps
    for column in tree.this.find_all(exp.ColumnDef):
        for constraint in list(column.args.get("constraints") or []):
            kind = constraint.args.get("kind")
            if not isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
                continue
            start = int(kind.args["start"].name) if kind.args.get("start") else 1
            step = int(kind.args["increment"].name) if kind.args.get("increment") else 1
            # A fresh sequence per CREATE, so a re-created table counts from its seed again.
            seq_name = f"{table.name}__{column.name}__seq_{uuid.uuid4().hex[:12]}".replace('"', "")
            seq = f'{table.catalog}."{table.db}"."{seq_name}"'
            steps.append(Query(f"CREATE SEQUENCE {seq} START {start} INCREMENT {step}", False, ""))
            constraint.set("kind", exp.DefaultColumnConstraint(this=exp.func("nextval", exp.Literal.string(seq))))
    return steps


def _plan_copy(text: str, context: Context) -> CopyFrom:
    """Parse Redshift's COPY from S3 (Parquet or CSV/delimited text)."""
    tokens = _copy_tokens(text)
    if len(tokens) < 4 or tokens[0].upper() != "COPY":
        raise EngineError("ERROR: syntax error at or near COPY")
    target, i = tokens[1], 2
    columns: list[str] = []
    if tokens[i] == "(":
        i += 1
        while tokens[i] != ")":
            if tokens[i] != ",":
                columns.append(tokens[i].strip('"').lower())
            i += 1
        i += 1
    if tokens[i].upper() != "FROM" or not tokens[i + 1].startswith("'"):
        raise EngineError("ERROR: syntax error: COPY needs FROM 's3://bucket/prefix'")
    uri = tokens[i + 1][1:-1].replace("''", "'")
    if not uri.lower().startswith("s3://"):
        raise EngineError("ERROR: COPY offline reads from Amazon S3 only (FROM 's3://…')")
    table = sqlglot.parse_one(target, read="redshift", into=exp.Table)
    _qualify(table, context)
    copy = CopyFrom(table=table.sql(dialect="duckdb"), columns=columns, uri=uri, format="TEXT", text=text)
    rest = tokens[i + 2 :]
    j = 0

    def value() -> str:
        nonlocal j
        j += 1
        if j < len(rest) and rest[j].upper() == "AS":
            j += 1
        if j >= len(rest):
            raise EngineError(f"ERROR: syntax error at end of COPY after {rest[j - 1]}")
        return rest[j][1:-1].replace("''", "'") if rest[j].startswith("'") else rest[j]

    while j < len(rest):
        word = rest[j].upper()
        if word in ("IAM_ROLE", "CREDENTIALS", "ACCESS_KEY_ID", "SECRET_ACCESS_KEY", "SESSION_TOKEN", "REGION"):
            copy.options[word] = value()
        elif word == "FORMAT":
            copy.format = value().upper()
        elif word in ("PARQUET", "CSV", "ORC", "JSON", "AVRO"):
            copy.format = word
        elif word == "QUOTE" and copy.format == "CSV":  # CSV [ QUOTE [AS] 'quote_character' ]
            copy.options["QUOTE"] = value()
        elif word == "IGNOREHEADER":
            copy.ignore_header = int(value())
        elif word == "DELIMITER":
            copy.delimiter = value()
        elif word == "NULL":
            copy.null_as = value()
        elif word == "MANIFEST":
            copy.manifest = True
        elif word in ("EMPTYASNULL", "BLANKSASNULL", "TRUNCATECOLUMNS", "ACCEPTINVCHARS", "TRIMBLANKS", "SERIALIZETOJSON", "REMOVEQUOTES", "ESCAPE", "EXPLICIT_IDS", "COMPUPDATE", "STATUPDATE"):
            if word in ("COMPUPDATE", "STATUPDATE") and j + 1 < len(rest) and rest[j + 1].upper() in ("ON", "OFF", "TRUE", "FALSE", "PRESET"):
                j += 1
            copy.options[word] = "true"
        elif word in ("DATEFORMAT", "TIMEFORMAT", "MAXERROR", "ENCODING"):
            copy.options[word] = value()
        else:
            raise EngineError(f'ERROR: COPY option "{rest[j]}" is not supported by the offline Redshift stand-in')
        j += 1
    if copy.format not in ("PARQUET", "CSV", "TEXT"):
        raise EngineError(f"ERROR: COPY FORMAT {copy.format} is not supported by the offline Redshift stand-in")
    return copy


def _copy_tokens(text: str) -> list[str]:
    """Words, quoted strings, quoted identifiers (kept with dots) and parentheses of a COPY."""
    pattern = re.compile(r"'(?:[^']|'')*'|(?:\"(?:[^\"]|\"\")*\"|[^\s(),'\"])+|[(),]")
    return pattern.findall(text)
