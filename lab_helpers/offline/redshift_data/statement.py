"""A Data API statement and how its results are encoded (``Field``, ``ColumnMetadata``)."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from moto.moto_api._internal import mock_random as random

from .engine import Location, redshift_type
from .runner import Outcome


@dataclass
class Statement:
    """One ExecuteStatement (or one sub-statement of a BatchExecuteStatement)."""

    id: str
    account_id: str
    region: str
    database: str
    query_string: str
    cluster_identifier: str | None = None
    workgroup_name: str | None = None
    db_user: str | None = None
    secret_arn: str | None = None
    statement_name: str | None = None
    query_parameters: list[dict[str, str]] | None = None
    status: str = "SUBMITTED"
    error: str | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    duration: int = -1
    redshift_pid: int = field(default_factory=lambda: random.randint(1073741824, 1073799999))
    redshift_query_id: int = 0
    has_result_set: bool = False
    result_rows: int = -1
    result_size: int = -1
    columns: list[tuple[str, str]] = field(default_factory=list)
    records: list[list[dict[str, Any]]] = field(default_factory=list)
    sub_statements: list["Statement"] = field(default_factory=list)
    is_batch: bool = False
    run_by: tuple[str, str] | None = None  # (IAM role or user ARN, session ARN) of the caller: ListStatements' RoleLevel

    @property
    def location(self) -> Location:
        return Location(self.account_id, self.region, self.store, self.database)

    @property
    def store(self) -> str:
        return self.cluster_identifier or self.workgroup_name or ""

    def finish(self, outcome: Outcome | None, error: str | None, started: float) -> None:
        """Record the outcome: FINISHED with a result, or FAILED with the engine's error."""
        self.updated_at = time.time()
        self.duration = int((self.updated_at - started) * 1e9)
        if error is not None:
            self.status, self.error = "FAILED", error
            return
        assert outcome is not None
        self.status = "FINISHED"
        self.has_result_set = outcome.has_result_set
        self.result_rows = outcome.result_rows
        if outcome.has_result_set:
            self.columns = outcome.columns
            self.records = [[field_value(v) for v in row] for row in outcome.rows]
            self.result_size = len(json.dumps(self.records))
        else:
            self.result_size = 0

    # --- response shapes -------------------------------------------------------------
    def submitted(self) -> dict[str, Any]:
        """ExecuteStatementOutput / BatchExecuteStatementOutput."""
        body: dict[str, Any] = {"Id": self.id, "CreatedAt": self.created_at, "Database": self.database}
        body.update(self._target())
        return body

    def _target(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key, value in (
            ("ClusterIdentifier", self.cluster_identifier),
            ("WorkgroupName", self.workgroup_name),
            ("DbUser", self.db_user),
            ("SecretArn", self.secret_arn),
        ):
            if value:
                body[key] = value
        return body

    def sub_description(self) -> dict[str, Any]:
        """SubStatementData."""
        body: dict[str, Any] = {
            "Id": self.id,
            "Duration": self.duration,
            "Status": self.status,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "QueryString": self.query_string,
            "ResultRows": self.result_rows,
            "ResultSize": self.result_size,
            "RedshiftQueryId": self.redshift_query_id,
            "HasResultSet": self.has_result_set,
        }
        if self.error:
            body["Error"] = self.error
        return body

    def description(self) -> dict[str, Any]:
        """DescribeStatementResponse."""
        body = self.sub_description()
        body.update(self._target())
        body.update(Database=self.database, RedshiftPid=self.redshift_pid, ResultFormat="JSON")
        if self.query_parameters:
            body["QueryParameters"] = self.query_parameters
        if self.is_batch:
            body["SubStatements"] = [s.sub_description() for s in self.sub_statements]
            body["QueryString"] = ";".join(s.query_string for s in self.sub_statements)
        return body

    def listing(self) -> dict[str, Any]:
        """StatementData."""
        body: dict[str, Any] = {
            "Id": self.id,
            "Status": self.status,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "IsBatchStatement": self.is_batch,
            "ResultFormat": "JSON",
        }
        if self.is_batch:
            body["QueryStrings"] = [s.query_string for s in self.sub_statements]
        else:
            body["QueryString"] = self.query_string
        for key, value in (("SecretArn", self.secret_arn), ("StatementName", self.statement_name)):
            if value:
                body[key] = value
        if self.query_parameters:
            body["QueryParameters"] = self.query_parameters
        return body


def field_value(value: Any) -> dict[str, Any]:
    """A Data API ``Field``: longValue, doubleValue, stringValue, booleanValue, blobValue or isNull."""
    if value is None:
        return {"isNull": True}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"longValue": value} if -(2**63) <= value < 2**63 else {"stringValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value} if math.isfinite(value) else {"stringValue": str(value)}
    if isinstance(value, decimal.Decimal):
        return {"stringValue": str(value)}
    if isinstance(value, dt.datetime):
        return {"stringValue": value.isoformat(sep=" ")}
    if isinstance(value, (dt.date, dt.time)):
        return {"stringValue": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"blobValue": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (list, dict)):
        return {"stringValue": json.dumps(value, default=str)}
    return {"stringValue": str(value)}


def column_metadata(name: str, duckdb_type: str) -> dict[str, Any]:
    """A Data API ``ColumnMetadata`` entry with Redshift's type name."""
    type_name, precision, scale = redshift_type(duckdb_type)
    return {
        "isCaseSensitive": type_name in ("varchar", "bpchar", "text"),
        "isCurrency": False,
        "isSigned": type_name in ("int2", "int4", "int8", "float4", "float8", "numeric"),
        "label": name,
        "name": name,
        "nullable": 1,
        "precision": precision,
        "scale": scale,
        "schemaName": "",
        "tableName": "",
        "typeName": type_name,
        "length": 0,
    }
