"""Every raw Redshift Data API response body fits botocore's output shape (no stray or mistyped keys)."""

from __future__ import annotations

import json
from typing import Any

from botocore.model import Shape

from .test_redshift_data import Warehouse, warehouse  # noqa: F401


def problems(value: Any, shape: Shape, path: str = "$") -> list[str]:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {type(value).__name__}"]
        found = [f"{path}.{k}: not in shape {shape.name}" for k in value if k not in shape.members]
        found += [f"{path}.{k}: required" for k in shape.required_members if k not in value]
        for key, item in value.items():
            if key in shape.members and item is not None:
                found += problems(item, shape.members[key], f"{path}.{key}")
        return found
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected list"]
        return [p for i, item in enumerate(value) for p in problems(item, shape.member, f"{path}[{i}]")]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected string, got {value!r}"]
        enum = shape.enum or []
        return [f"{path}: {value!r} not in {enum}"] if enum and value not in enum else []
    if kind in ("integer", "long"):
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: expected integer, got {value!r}"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: expected boolean, got {value!r}"]
    if kind in ("double", "float"):
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else [f"{path}: expected number"]
    if kind == "timestamp":
        return [] if isinstance(value, (int, float, str)) and not isinstance(value, bool) else [f"{path}: expected timestamp"]
    if kind == "blob":
        return [] if isinstance(value, str) else [f"{path}: expected base64 string"]
    return []


def test_raw_responses_fit_botocore_shapes(warehouse):
    client = warehouse.client
    seen: dict[str, list[str]] = {}

    def check(http_response, model, **_: Any) -> None:
        body = json.loads(http_response.content or b"{}")
        if http_response.status_code == 200:
            seen.setdefault(model.name, []).extend(problems(body, model.output_shape))

    client.meta.events.register("after-call.redshift-data", check)
    warehouse.run("CREATE TABLE shaped (i INT8, d FLOAT8, n NUMERIC(5,1), s VARCHAR(5), b BOOL, t DATE, v VARBYTE(8))")
    warehouse.run("INSERT INTO shaped VALUES (1, 2.5, 3.5, 'x', false, '2024-01-01', 'ab'::varbyte), (NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
    statement_id = warehouse.submit("SELECT * FROM shaped", StatementName="shape-check", Parameters=[{"name": "unused", "value": "1"}])
    client.get_statement_result(Id=warehouse.wait(statement_id)["Id"])
    batch = client.batch_execute_statement(
        ClusterIdentifier=warehouse.cluster_id, Database="dev", SecretArn=warehouse.secret_arn, Sqls=["SELECT 1", "SELECT * FROM nope"]
    )
    client.describe_statement(Id=batch["Id"])
    client.describe_statement(Id=batch["Id"] + ":1")
    client.get_statement_result(Id=batch["Id"] + ":1")
    client.list_statements(MaxResults=2)
    client.list_statements(Status="FAILED")
    target = dict(ClusterIdentifier=warehouse.cluster_id, SecretArn=warehouse.secret_arn, Database="dev")
    client.list_databases(**target)
    client.list_schemas(**target)
    client.list_tables(**target, MaxResults=1)
    client.describe_table(**target, Schema="public", Table="shaped")

    assert set(seen) >= {"ExecuteStatement", "BatchExecuteStatement", "DescribeStatement", "GetStatementResult", "ListStatements",
                         "ListDatabases", "ListSchemas", "ListTables", "DescribeTable"}
    assert {op: found for op, found in seen.items() if found} == {}
