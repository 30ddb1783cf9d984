"""Athena's view of the Glue Data Catalog: per-account lookups, resource links, table creation.

Athena resolves ``db.table`` in the caller's own catalog. A table that is a resource link
(``TargetTable`` set, what Lake Formation creates for a shared table) reads the target
table in the account that owns it; without a link another account's tables do not exist.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
LAZY_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"


class AthenaError(Exception):
    """A query failure, with Athena's error category (``TABLE_NOT_FOUND``, ``SYNTAX_ERROR``…)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass
class GlueTable:
    """A table as Athena reads it (after following resource links)."""

    account_id: str
    database: str
    name: str
    columns: list[tuple[str, str]]
    partition_keys: list[tuple[str, str]] = field(default_factory=list)
    location: str = ""
    input_format: str = ""
    serde: str = ""
    serde_params: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    table_type: str = "EXTERNAL_TABLE"
    view_sql: str | None = None
    """A view's SQL (Athena stores Presto views in Glue); None for tables."""
    view_schema: str | None = None

    @property
    def all_columns(self) -> list[tuple[str, str]]:
        return self.columns + self.partition_keys

    @property
    def data_format(self) -> str:
        """``parquet``, ``csv``, ``json`` or the classification Athena could not read."""
        text = f"{self.input_format} {self.serde} {self.parameters.get('classification', '')}".lower()
        if "parquet" in text:
            return "parquet"
        if "json" in text:
            return "json"
        if "csv" in text or "lazysimpleserde" in text or "textinputformat" in text:
            return "csv"
        return self.parameters.get("classification", "unknown") or "unknown"

    @property
    def header_lines(self) -> int:
        value = self.parameters.get("skip.header.line.count") or self.serde_params.get("skip.header.line.count") or "0"
        return int(value)


def glue_backend(account_id: str, region: str):  # type: ignore[no-untyped-def]
    from moto.glue.models import glue_backends

    return glue_backends[account_id][region]


def find_database(account_id: str, region: str, name: str):  # type: ignore[no-untyped-def]
    """The Glue database (names are case-insensitive in Athena), or None."""
    dbs = glue_backend(account_id, region).databases
    if name in dbs:
        return dbs[name]
    return next((db for key, db in dbs.items() if key.lower() == name.lower()), None)


def find_table(account_id: str, region: str, database: str, name: str):  # type: ignore[no-untyped-def]
    """The Glue table object (a moto ``FakeTable``), or None."""
    db = find_database(account_id, region, database)
    if db is None:
        return None
    if name in db.tables:
        return db.tables[name]
    return next((t for key, t in db.tables.items() if key.lower() == name.lower()), None)


PRESTO_VIEW_PREFIX = "/* Presto View: "


def view_definition(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The decoded Presto view of a Glue ``VIRTUAL_VIEW`` (``originalSql``, ``schema``, ``columns``)."""
    text = spec.get("ViewOriginalText") or ""
    if spec.get("TableType") != "VIRTUAL_VIEW" or not text.startswith(PRESTO_VIEW_PREFIX):
        return None
    encoded = text[len(PRESTO_VIEW_PREFIX) :].rsplit("*/", 1)[0].strip()
    return json.loads(base64.b64decode(encoded))


def view_input(name: str, database: str, sql: str, columns: list[tuple[str, str]], presto_columns: list[tuple[str, str]]) -> dict[str, Any]:
    """A Glue ``TableInput`` for an Athena view, as ``CREATE VIEW`` stores it."""
    definition = {
        "originalSql": sql,
        "catalog": "awsdatacatalog",
        "schema": database,
        "columns": [{"name": n, "type": t} for n, t in presto_columns],
        "owner": "",
        "runAsInvoker": False,
        "properties": {},
    }
    encoded = base64.b64encode(json.dumps(definition).encode()).decode()
    return {
        "Name": name,
        "TableType": "VIRTUAL_VIEW",
        "Parameters": {"presto_view": "true", "comment": "Presto View"},
        "ViewOriginalText": f"{PRESTO_VIEW_PREFIX}{encoded} */",
        "ViewExpandedText": "/* Presto View */",
        "StorageDescriptor": {"Columns": [{"Name": c, "Type": t} for c, t in columns], "Location": "", "SerdeInfo": {}},
        "PartitionKeys": [],
    }


def _describe(account_id: str, db_name: str, fake: Any) -> GlueTable:
    spec = fake.get_version(str(fake._current_version))
    sd = spec.get("StorageDescriptor") or {}
    serde = sd.get("SerdeInfo") or {}
    view = view_definition(spec)
    return GlueTable(
        view_sql=view["originalSql"] if view else None,
        view_schema=(view.get("schema") or db_name) if view else None,
        account_id=account_id,
        database=db_name,
        name=fake.name,
        columns=[(c["Name"].lower(), c.get("Type", "string")) for c in sd.get("Columns") or []],
        partition_keys=[(c["Name"].lower(), c.get("Type", "string")) for c in spec.get("PartitionKeys") or []],
        location=sd.get("Location") or "",
        input_format=sd.get("InputFormat") or "",
        serde=serde.get("SerializationLibrary") or "",
        serde_params=dict(serde.get("Parameters") or {}),
        parameters=dict(spec.get("Parameters") or {}),
        table_type=spec.get("TableType") or "EXTERNAL_TABLE",
    )


def resolve_table(account_id: str, region: str, database: str, name: str, position: str = "1:15") -> GlueTable:
    """Resolve ``database.name`` in ``account_id``'s catalog, following resource links.

    Raises :class:`AthenaError` (``SCHEMA_NOT_FOUND``/``TABLE_NOT_FOUND``) like Athena.
    """
    if find_database(account_id, region, database) is None:
        raise AthenaError("SCHEMA_NOT_FOUND", f"line {position}: Schema '{database}' does not exist")
    fake = find_table(account_id, region, database, name)
    if fake is None:
        raise AthenaError("TABLE_NOT_FOUND", f"line {position}: Table 'awsdatacatalog.{database}.{name}' does not exist")
    hops = 0
    while True:
        spec = fake.get_version(str(fake._current_version))
        target = spec.get("TargetTable")
        if not target:
            return _describe(account_id, fake.database_name, fake)
        hops += 1
        account_id = target.get("CatalogId") or account_id
        region = target.get("Region") or region
        db_name, table_name = target["DatabaseName"], target["Name"]
        fake = find_table(account_id, region, db_name, table_name)
        if fake is None or hops > 5:
            raise AthenaError(
                "TABLE_NOT_FOUND",
                f"line {position}: Table 'awsdatacatalog.{database}.{name}' does not exist "
                f"(resource link target {account_id}:{db_name}.{table_name} is missing)",
            )


def list_table_names(account_id: str, region: str, database: str) -> list[str]:
    db = find_database(account_id, region, database)
    if db is None:
        raise AthenaError("SCHEMA_NOT_FOUND", f"Schema '{database}' does not exist")
    return sorted(db.tables)


def table_input(
    name: str,
    columns: list[tuple[str, str]],
    location: str,
    data_format: str,
    *,
    delimiter: str = ",",
    header_lines: int = 0,
    extra_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Glue ``TableInput`` as Athena's DDL and CTAS create it."""
    parameters = {"EXTERNAL": "TRUE", "classification": data_format, "has_encrypted_data": "false"}
    if data_format == "parquet":
        storage = {"InputFormat": PARQUET_INPUT, "OutputFormat": PARQUET_OUTPUT, "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}}}
    elif data_format == "json":
        storage = {"InputFormat": TEXT_INPUT, "OutputFormat": TEXT_OUTPUT, "SerdeInfo": {"SerializationLibrary": JSON_SERDE, "Parameters": {}}}
    else:
        storage = {
            "InputFormat": TEXT_INPUT,
            "OutputFormat": TEXT_OUTPUT,
            "SerdeInfo": {"SerializationLibrary": LAZY_SERDE, "Parameters": {"field.delim": delimiter, "serialization.format": delimiter}},
        }
    if header_lines:
        parameters["skip.header.line.count"] = str(header_lines)
    parameters.update(extra_parameters or {})
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "StorageDescriptor": {"Columns": [{"Name": c, "Type": t} for c, t in columns], "Location": location, **storage},
        "PartitionKeys": [],
    }


def create_table(account_id: str, region: str, database: str, spec: dict[str, Any]) -> None:
    """Create a Glue table (raises :class:`AthenaError` if the database is missing or it exists)."""
    db = find_database(account_id, region, database)
    if db is None:
        raise AthenaError("SCHEMA_NOT_FOUND", f"Schema '{database}' does not exist")
    if find_table(account_id, region, db.name, spec["Name"]) is not None:
        raise AthenaError("TABLE_ALREADY_EXISTS", f"Table 'awsdatacatalog.{db.name}.{spec['Name']}' already exists")
    glue_backend(account_id, region).create_table(db.name, spec["Name"], spec)


def drop_table(account_id: str, region: str, database: str, name: str, if_exists: bool) -> None:
    """Remove the Glue table (a resource link drops only the link, as in Athena)."""
    fake = find_table(account_id, region, database, name)
    if fake is None:
        if if_exists:
            return
        if find_database(account_id, region, database) is None:
            raise AthenaError("SCHEMA_NOT_FOUND", f"Schema '{database}' does not exist")
        raise AthenaError("TABLE_NOT_FOUND", f"Table 'awsdatacatalog.{database}.{name}' does not exist")
    glue_backend(account_id, region).delete_table(fake.database_name, fake.name)


def create_database(account_id: str, region: str, name: str, if_not_exists: bool, location: str | None = None) -> None:
    if find_database(account_id, region, name) is not None:
        if if_not_exists:
            return
        raise AthenaError("SCHEMA_ALREADY_EXISTS", f"Schema '{name}' already exists")
    spec: dict[str, Any] = {"Name": name.lower()}
    if location:
        spec["LocationUri"] = location
    glue_backend(account_id, region).create_database(name.lower(), spec)


def drop_database(account_id: str, region: str, name: str, if_exists: bool, cascade: bool) -> None:
    db = find_database(account_id, region, name)
    if db is None:
        if if_exists:
            return
        raise AthenaError("SCHEMA_NOT_FOUND", f"Schema '{name}' does not exist")
    if db.tables and not cascade:
        raise AthenaError("SCHEMA_NOT_EMPTY", f"Schema '{name}' is not empty")
    glue_backend(account_id, region).delete_database(db.name)


def expose_glue_table(
    *, region: str, source_account: str, source_database: str, table: str, target_account: str, target_database: str
) -> None:
    """Create (idempotently) a resource link ``target_database.table`` in ``target_account`` to the source table.

    This is what Lake Formation does for a DataZone subscription grant on a Glue asset:
    the subscriber's database gets a link, and Athena in that account reads the source.
    """
    if find_table(source_account, region, source_database, table) is None:
        raise LookupError(f"source table {source_account}:{source_database}.{table} does not exist in {region}")
    db = find_database(target_account, region, target_database)
    if db is None:
        raise LookupError(f"target Glue database {target_database!r} does not exist in account {target_account} ({region})")
    target = {"CatalogId": source_account, "DatabaseName": source_database, "Name": table, "Region": region}
    link = {"Name": table, "TargetTable": target}
    existing = find_table(target_account, region, db.name, table)
    backend = glue_backend(target_account, region)
    if existing is None:
        backend.create_table(db.name, table, link)
        return
    current = existing.get_version(str(existing._current_version)).get("TargetTable")
    if current == target:
        return
    if not current:
        raise ValueError(f"{target_account}:{db.name}.{table} exists and is not a resource link")
    backend.update_table(db.name, existing.name, link)


def hide_glue_table(
    *, region: str, source_account: str, source_database: str, table: str, target_account: str, target_database: str
) -> None:
    """Remove the resource link :func:`expose_glue_table` made (no error if it is absent)."""
    existing = find_table(target_account, region, target_database, table)
    if existing is None:
        return
    target = existing.get_version(str(existing._current_version)).get("TargetTable") or {}
    points_at_source = (
        target.get("CatalogId") == source_account
        and target.get("DatabaseName", "").lower() == source_database.lower()
        and target.get("Name", "").lower() == table.lower()
    )
    if points_at_source:
        glue_backend(target_account, region).delete_table(existing.database_name, existing.name)
