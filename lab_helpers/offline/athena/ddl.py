"""Athena's DDL and utility statements, applied to the caller's Glue catalog.

``CREATE DATABASE``/``DROP DATABASE``, ``CREATE EXTERNAL TABLE … LOCATION``, ``DROP TABLE``,
``SHOW TABLES``/``SHOW DATABASES``/``SHOW COLUMNS``/``SHOW CREATE TABLE`` and ``DESCRIBE``.
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING

from sqlglot import exp

from . import catalog as cat
from .catalog import AthenaError

if TYPE_CHECKING:
    from .engine import _Run

_SHOW = re.compile(
    r"^\s*SHOW\s+(?P<what>TABLES|DATABASES|SCHEMAS|COLUMNS|CREATE\s+TABLE)"
    r"(?:\s+(?:IN|FROM)\s+(?P<target>[`\"\w.]+))?(?:\s+(?P<table>[`\"\w.]+))?(?:\s+(?:LIKE\s+)?'(?P<pattern>[^']*)')?\s*;?\s*$",
    re.IGNORECASE,
)


def _glue_type(kind: exp.DataType) -> str:
    return re.sub(r"\s+", "", kind.sql(dialect="hive").lower())


def _split(name: str, default_db: str) -> tuple[str, str]:
    parts = [p.strip('`"') for p in name.split(".")]
    return (parts[-2], parts[-1]) if len(parts) >= 2 else (default_db, parts[-1])


def create_external_table(run: "_Run", create: exp.Create) -> None:
    from .engine import _properties

    schema = create.this
    target = schema.this if isinstance(schema, exp.Schema) else schema
    database, name = (target.db or run.database), target.name.lower()
    if not isinstance(schema, exp.Schema):
        raise AthenaError("SYNTAX_ERROR", "CREATE TABLE needs a column list or AS SELECT")
    run.require_on_database(database, "CREATE_TABLE", hive_ddl=True)
    if cat.find_table(run.account_id, run.region, database, name) is not None and create.args.get("exists"):
        run.ddl_result([], [], "CREATE_TABLE")
        return
    columns = [(c.name.lower(), _glue_type(c.args["kind"])) for c in schema.expressions if isinstance(c, exp.ColumnDef)]
    props = _properties(create)
    partitions: list[tuple[str, str]] = []
    for prop in create.args["properties"].expressions if create.args.get("properties") else []:
        if isinstance(prop, exp.PartitionedByProperty) and isinstance(prop.this, exp.Schema):
            partitions = [(c.name.lower(), _glue_type(c.args["kind"])) for c in prop.this.expressions]
    location = props.get("location")
    if not location:
        raise AthenaError("SYNTAX_ERROR", "External tables need a LOCATION 's3://…' offline")
    stored = (props.get("format") or "").upper()
    serde = props.get("serde", "")
    if stored == "PARQUET" or "parquet" in props.get("inputformat", "").lower() or "parquet" in serde.lower():
        data_format = "parquet"
    elif stored == "JSONFILE" or "json" in serde.lower():
        data_format = "json"
    elif stored in ("", "TEXTFILE") or "text" in props.get("inputformat", "").lower():
        data_format = "csv"
    else:
        raise AthenaError("NOT_SUPPORTED", f"STORED AS {stored} is not supported offline (TEXTFILE, PARQUET, JSON)")
    delimiter = props.get("field.delim") or props.get("serde:separatorchar") or props.get("serde:field.delim") or ("," if "opencsv" in serde.lower() else "\x01")
    tblprops = {k: v for k, v in props.items() if "." in k and not k.startswith("serde:") and k != "field.delim"}
    tblprops.update({k: v for k, v in props.items() if k in ("classification",)})
    spec = cat.table_input(name, columns, location, data_format, delimiter=delimiter, extra_parameters=tblprops)
    if serde:
        spec["StorageDescriptor"]["SerdeInfo"] = {
            "SerializationLibrary": serde,
            "Parameters": {k[6:]: v for k, v in props.items() if k.startswith("serde:")},
        }
    spec["PartitionKeys"] = [{"Name": c, "Type": t} for c, t in partitions]
    cat.create_table(run.account_id, run.region, database, spec)
    run.created(database, name)
    run.ddl_result([], [], "CREATE_TABLE")


_PRESTO_TYPES = {"string": "varchar", "int": "integer", "float": "real", "binary": "varbinary"}


def create_view(run: "_Run", create: exp.Create) -> None:
    """CREATE [OR REPLACE] VIEW: checks the query, then stores it in Glue as a Presto view."""
    from .types import duck_to_glue, normalising_cast

    target = create.this.this if isinstance(create.this, exp.Schema) else create.this
    database, name = (target.db or run.database), target.name.lower()
    if cat.find_database(run.account_id, run.region, database) is None:
        raise AthenaError("SCHEMA_NOT_FOUND", f"Schema '{database}' does not exist")
    run.require_on_database(database, "CREATE_TABLE")
    query = create.expression
    _, names, types = run._relation(query.copy(), auto_names=True)
    if isinstance(create.this, exp.Schema):
        names = [c.name for c in create.this.expressions]
    columns = [(n.lower(), duck_to_glue(normalising_cast(t) or t)) for n, t in zip(names, types)]
    presto = [(n, _PRESTO_TYPES.get(t, t)) for n, t in columns]
    spec = cat.view_input(name, database, query.sql(dialect="athena"), columns, presto)
    existing = cat.find_table(run.account_id, run.region, database, name)
    if existing is not None:
        current = existing.get_version(str(existing._current_version))
        if not create.args.get("replace"):
            raise AthenaError("TABLE_ALREADY_EXISTS", f"View 'awsdatacatalog.{database}.{name}' already exists")
        if current.get("TableType") != "VIRTUAL_VIEW":
            raise AthenaError("TABLE_ALREADY_EXISTS", f"Table 'awsdatacatalog.{database}.{name}' already exists and is not a view")
        cat.glue_backend(run.account_id, run.region).update_table(existing.database_name, existing.name, spec)
    else:
        cat.create_table(run.account_id, run.region, database, spec)
        run.created(database, name)
    run.ddl_result([], [], "CREATE_VIEW")


def describe(run: "_Run", database: str, name: str) -> None:
    """DESCRIBE: name, type, comment per column, then Hive's partition section."""
    table = cat.resolve_table(run.account_id, run.region, database, name)

    def line(*cells: str) -> list[str]:
        return [f"{cell:<20}" for cell in (*cells, "", "")[:3]]

    rows = [line(c, t) for c, t in table.all_columns]
    if table.partition_keys:
        rows += [line(""), line("# Partition Information"), line("# col_name", "data_type", "comment"), line("")]
        rows += [line(c, t) for c, t in table.partition_keys]
    run.ddl_result(["col_name", "data_type", "comment"], rows, "DESCRIBE_TABLE")


def show_create(run: "_Run", database: str, name: str) -> None:
    table = cat.resolve_table(run.account_id, run.region, database, name)
    cols = ",\n".join(f"  `{c}` {t}" for c, t in table.columns)
    lines = [f"CREATE EXTERNAL TABLE `{table.database}`.`{table.name}`(", cols, ")"]
    if table.partition_keys:
        lines.append("PARTITIONED BY (" + ", ".join(f"`{c}` {t}" for c, t in table.partition_keys) + ")")
    lines += ["ROW FORMAT SERDE", f"  '{table.serde}'", "STORED AS INPUTFORMAT", f"  '{table.input_format}'", "LOCATION", f"  '{table.location}'"]
    if table.parameters:
        lines.append("TBLPROPERTIES (" + ", ".join(f"'{k}'='{v}'" for k, v in sorted(table.parameters.items())) + ")")
    run.ddl_result(["createtab_stmt"], [[line] for line in "\n".join(lines).split("\n")], "SHOW_CREATE_TABLE")


def show(run: "_Run", text: str) -> None:
    match = _SHOW.match(text)
    if not match:
        raise AthenaError("NOT_SUPPORTED", f"Unsupported SHOW statement offline: {text.strip()[:80]}")
    what = re.sub(r"\s+", " ", match.group("what").upper())
    pattern = match.group("pattern")
    if what == "TABLES":
        database = (match.group("target") or run.database).strip('`"')
        names = cat.list_table_names(run.account_id, run.region, database)
        if pattern:
            names = [n for n in names if any(fnmatch.fnmatch(n, p.strip().replace("|", "")) for p in pattern.split("|"))]
        run.ddl_result(["tab_name"], [[n] for n in names], "SHOW_TABLES")
    elif what in ("DATABASES", "SCHEMAS"):
        names = sorted(cat.glue_backend(run.account_id, run.region).databases)
        if pattern:
            names = [n for n in names if any(fnmatch.fnmatch(n, p.strip()) for p in pattern.split("|"))]
        run.ddl_result(["database_name"], [[n] for n in names], "SHOW_DATABASES")
    elif what == "COLUMNS":
        target = match.group("target") or ""
        database, name = _split(target, run.database)
        if match.group("table"):
            database, name = target.strip('`"'), match.group("table").strip('`"')
        table = cat.resolve_table(run.account_id, run.region, database, name)
        run.ddl_result(["field"], [[c] for c, _ in table.all_columns], "SHOW_COLUMNS")
    else:
        database, name = _split(match.group("table") or match.group("target") or "", run.database)
        show_create(run, database, name)


def _drop(run: "_Run", database: str, name: str, if_exists: bool) -> None:
    """DROP TABLE/VIEW: on a governed database the caller needs DROP on the table (a link: on the link)."""
    from .. import lakeformation
    from . import governance

    found = cat.find_table(run.account_id, run.region, database, name)
    if found is not None and run.principal is not None:
        governance.require_on_table(run.account_id, run.region, found.database_name, found.name, "DROP", run.principal, hive_ddl=True)
    cat.drop_table(run.account_id, run.region, database, name, if_exists)
    if found is not None:
        lakeformation.table_dropped(run.account_id, run.region, found.database_name, found.name)


def execute(run: "_Run", statement: exp.Expression) -> None:
    """Apply one non-query statement (raises :class:`AthenaError`)."""
    if isinstance(statement, exp.Create):
        kind = (statement.kind or "").upper()
        if kind in ("DATABASE", "SCHEMA"):
            props = {}
            from .engine import _properties

            props = _properties(statement)
            cat.create_database(run.account_id, run.region, statement.this.name, bool(statement.args.get("exists")), props.get("location"))
            run.ddl_result([], [], "CREATE_DATABASE")
            return
        if kind == "TABLE":
            create_external_table(run, statement)
            return
        if kind == "VIEW":
            create_view(run, statement)
            return
        raise AthenaError("NOT_SUPPORTED", f"CREATE {kind} is not supported offline")
    if isinstance(statement, exp.Drop):
        kind = (statement.args.get("kind") or "").upper()
        if kind == "TABLE":
            for table in statement.args.get("tables") or [statement.this]:
                _drop(run, table.db or run.database, table.name, bool(statement.args.get("exists")))
            run.ddl_result([], [], "DROP_TABLE")
            return
        if kind == "VIEW":
            for table in statement.args.get("tables") or [statement.this]:
                found = cat.find_table(run.account_id, run.region, table.db or run.database, table.name)
                if found is not None and found.get_version(str(found._current_version)).get("TableType") != "VIRTUAL_VIEW":
                    raise AthenaError("NOT_SUPPORTED", f"'{table.name}' is a table, not a view: use DROP TABLE")
                _drop(run, table.db or run.database, table.name, bool(statement.args.get("exists")))
            run.ddl_result([], [], "DROP_VIEW")
            return
        if kind in ("DATABASE", "SCHEMA"):
            target = (statement.args.get("tables") or [statement.this])[0]
            name = target.name or target.db
            cat.drop_database(run.account_id, run.region, name, bool(statement.args.get("exists")), bool(statement.args.get("cascade")))
            run.ddl_result([], [], "DROP_DATABASE")
            return
        raise AthenaError("NOT_SUPPORTED", f"DROP {kind} is not supported offline")
    if isinstance(statement, exp.Describe):
        table = statement.this
        describe(run, table.db or run.database, table.name)
        return
    if isinstance(statement, exp.Command) and str(statement.this).upper() == "SHOW":
        show(run, run.sql)
        return
    if isinstance(statement, exp.Command) and " ".join(str(statement.this).upper().split()) == "MSCK REPAIR":
        # Partitions are read from the key=value folders on every query, so there is nothing to
        # register; the statement still checks that the table exists, as Athena does.
        match = re.match(r"^\s*TABLE\s+([`\"\w.]+)\s*;?\s*$", statement.expression.name, re.IGNORECASE)
        if not match:
            raise AthenaError("SYNTAX_ERROR", "MSCK REPAIR TABLE needs a table name")
        database, name = _split(match.group(1), run.database)
        cat.resolve_table(run.account_id, run.region, database, name)
        run.ddl_result([], [], "MSCK_REPAIR_TABLE")
        return
    raise AthenaError("NOT_SUPPORTED", f"Statement {type(statement).__name__} is not supported offline")
