"""Thin adapters from DataZone to the other services' state in the stand-in.

Glue, Secrets Manager, IAM and STS come from moto's backends; Redshift SQL goes to
:mod:`lab_helpers.offline.redshift_data` when it offers ``run_sql``/``describe_schema``,
else to a small in-memory catalog (so DataZone works before that engine lands); grants
go to :mod:`lab_helpers.offline.grants`.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from typing import Any

from ..identity import iam_role

PARTITION = "aws"

# --- Glue -------------------------------------------------------------------------------------


def glue(account_id: str, region: str):  # type: ignore[no-untyped-def]
    from moto.glue.models import glue_backends

    return glue_backends[account_id][region]


def ensure_glue_database(account_id: str, region: str, name: str, description: str) -> bool:
    """Create the Glue database unless it exists (DataZone's environment stack does this); True if made."""
    backend = glue(account_id, region)
    if name in backend.databases:
        return False
    backend.create_database(name, {"Name": name, "Description": description})
    return True


def drop_glue_database(account_id: str, region: str, name: str) -> None:
    backend = glue(account_id, region)
    if name in backend.databases:
        backend.delete_database(name)


def glue_tables(account_id: str, region: str, database: str) -> dict[str, list[tuple[str, str]]] | None:
    """The database's tables and columns, or None when the database does not exist."""
    backend = glue(account_id, region)
    if database not in backend.databases:
        return None
    out: dict[str, list[tuple[str, str]]] = {}
    for name, table in backend.databases[database].tables.items():
        spec = table.as_dict()
        cols = spec.get("StorageDescriptor", {}).get("Columns", []) + spec.get("PartitionKeys", [])
        out[name] = [(c["Name"], c.get("Type", "string")) for c in cols]
    return out


def ensure_athena_workgroup(account_id: str, region: str, name: str, output_location: str | None) -> bool:
    """Create the environment's Athena workgroup (results under the blueprint's S3 location); True if made."""
    from moto.athena.models import athena_backends

    configuration: dict[str, Any] = {}
    if output_location:
        configuration = {"ResultConfiguration": {"OutputLocation": output_location}, "EnforceWorkGroupConfiguration": False}
    return athena_backends[account_id][region].create_work_group(name, configuration, "DataZone environment workgroup", []) is not None


def drop_athena_workgroup(account_id: str, region: str, name: str) -> None:
    from moto.athena.models import athena_backends

    athena_backends[account_id][region].delete_work_group(name)


def matches(name: str, filters: list[dict[str, str]] | None) -> bool:
    """Filter expressions: included by any INCLUDE (all when none), then dropped by any EXCLUDE."""
    filters = filters or []
    includes = [f["expression"] for f in filters if f.get("type") == "INCLUDE"]
    excludes = [f["expression"] for f in filters if f.get("type") == "EXCLUDE"]
    included = not includes or any(fnmatch.fnmatchcase(name.lower(), e.lower()) for e in includes)
    return included and not any(fnmatch.fnmatchcase(name.lower(), e.lower()) for e in excludes)


# --- Redshift ---------------------------------------------------------------------------------

_fallback: dict[tuple[str, str, str, str], dict[str, dict[str, list[tuple[str, str]]]]] = {}


def _engine(name: str) -> Callable[..., Any] | None:
    from .. import redshift_data

    return getattr(redshift_data, name, None)


def workgroup_available(account_id: str, region: str, name: str) -> bool:
    """Whether the account has this Redshift Serverless workgroup, AVAILABLE (the stand-in's Serverless backend)."""
    from ..redshift_serverless.models import redshiftserverless_backends

    return redshiftserverless_backends[account_id][region].available_workgroup(name) is not None


def run_sql(*, account_id: str, region: str, store: str, database: str, sql: str) -> Any:
    """Run SQL in a cluster/workgroup database (the engine, or the in-memory fallback)."""
    fn = _engine("run_sql")
    if fn is not None:
        return fn(account_id=account_id, region=region, store=store, database=database, sql=sql)
    schemas = _fallback.setdefault((account_id, region, store, database), {})
    match = re.match(r"\s*CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?\"?(\w+)\"?", sql, re.I)
    if match:
        schemas.setdefault(match.group(1).lower(), {})
    return None


def describe_schema(*, account_id: str, region: str, store: str, database: str, schema: str) -> dict[str, list[tuple[str, str]]]:
    """Tables and columns of a schema (``{}`` when empty)."""
    fn = _engine("describe_schema")
    if fn is not None:
        return dict(fn(account_id=account_id, region=region, store=store, database=database, schema=schema))
    return dict(_fallback.get((account_id, region, store, database), {}).get(schema.lower(), {}))


def fallback_add_table(account_id: str, region: str, store: str, database: str, schema: str, table: str, columns: list[tuple[str, str]]) -> None:
    """Put a table into the in-memory Redshift catalog (only used while the engine is absent)."""
    _fallback.setdefault((account_id, region, store, database), {}).setdefault(schema.lower(), {})[table] = columns


def redshift_engine_available() -> bool:
    return _engine("describe_schema") is not None and _engine("run_sql") is not None


# --- Secrets Manager, IAM, STS ------------------------------------------------------------------


def secret_tags(account_id: str, region: str, arn: str) -> dict[str, str] | None:
    """The secret's tags (keys lower-cased), or None when the secret does not exist."""
    from moto.secretsmanager.models import secretsmanager_backends

    secret = secretsmanager_backends[account_id][region].secrets.get(arn)
    if secret is None or getattr(secret, "is_deleted", lambda: False)():
        return None
    return {t["Key"].lower(): t["Value"] for t in (secret.tags or [])}


def iam_principal_exists(arn: str) -> bool:
    """Whether the IAM role or user ARN exists in its account."""
    from moto.iam.models import iam_backends

    parts = arn.split(":")
    if len(parts) < 6:
        return False
    iam = iam_backends[parts[4]][PARTITION]
    kind, _, path_name = parts[5].partition("/")
    name = path_name.rsplit("/", 1)[-1]
    if kind == "role":
        return iam_role(parts[4], name) is not None
    if kind == "user":
        return name in iam.users
    return False


def principal_known(arn: str) -> bool:
    """The IAM principal exists, or a session of it was assumed.

    moto's STS lets any role ARN be assumed without the role existing; on AWS only existing
    roles can be, so a role that some persona session has assumed counts as existing.
    """
    if iam_principal_exists(arn):
        return True
    from moto.sts.models import sts_backends

    parts = arn.split(":")
    if len(parts) < 6 or not parts[4].isdigit():
        return False
    return any(r.role_arn == arn for r in sts_backends[parts[4]][PARTITION].assumed_roles)


def ensure_role(account_id: str, name: str, trust_service: str = "datazone.amazonaws.com", policy: dict[str, Any] | None = None) -> str:
    """Create an IAM role (as an environment stack would) with its inline ``policy``; return its ARN."""
    from moto.iam.models import iam_backends

    iam = iam_backends[account_id][PARTITION]
    role = iam_role(account_id, name)
    if role is None:
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": trust_service}, "Action": ["sts:AssumeRole", "sts:TagSession"]}],
        }
        role = iam.create_role(name, json.dumps(trust), "/", None, "DataZone environment user role", [], None)
    if policy is not None:
        iam.put_role_policy(name, "DataZoneEnvironmentUserPolicy", json.dumps(policy))
    return role.arn


def drop_role(account_id: str, name: str) -> None:
    """Delete a role a stack made, with its inline and attached policies (nothing when it is gone)."""
    from moto.iam.models import iam_backends

    iam = iam_backends[account_id][PARTITION]
    role = iam_role(account_id, name)
    if role is None:
        return
    for policy_name in list(role.policies):
        iam.delete_role_policy(name, policy_name)
    for arn in list(role.managed_policies):
        iam.detach_role_policy(arn, name)
    iam.delete_role(name)


def environment_user_policy(
    account_id: str, region: str, domain_id: str, project_id: str, *, s3_path: str | None = None,
    databases: list[str] | None = None, workgroup: str | None = None,
) -> dict[str, Any]:
    """The environment user role's permissions: what DataZone's blueprints let it do.

    Modelled on the ``AmazonDataZoneEnvironmentRolePermissionsBoundary`` managed policy (the
    boundary DataZone puts on the roles it creates): Athena query execution, Glue catalog
    reads and writes, Lake Formation data access, the Redshift Data API, the environment's S3
    location, and ``secretsmanager:GetSecretValue`` on secrets tagged for the project. The
    exact inline policy of the blueprint's stack is not published (assumption).
    """
    statements: list[dict[str, Any]] = [
        {"Sid": "Athena", "Effect": "Allow", "Resource": "*", "Action": [
            "athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
            "athena:BatchGetQueryExecution", "athena:ListQueryExecutions", "athena:GetWorkGroup", "athena:ListWorkGroups",
            "athena:GetDataCatalog", "athena:ListDataCatalogs", "athena:GetDatabase", "athena:ListDatabases",
            "athena:GetTableMetadata", "athena:ListTableMetadata", "athena:GetQueryRuntimeStatistics"]},
        {"Sid": "GlueCatalog", "Effect": "Allow", "Resource": "*", "Action": [
            "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions",
            "glue:BatchGetPartition", "glue:SearchTables", "glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable",
            "glue:BatchDeleteTable", "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition",
            "glue:DeletePartition", "glue:BatchDeletePartition", "glue:GetTableVersion", "glue:GetTableVersions"]},
        {"Sid": "LakeFormation", "Effect": "Allow", "Resource": "*", "Action": ["lakeformation:GetDataAccess"]},
        {"Sid": "RedshiftDataApi", "Effect": "Allow", "Resource": "*", "Action": [
            "redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement", "redshift-data:DescribeStatement",
            "redshift-data:GetStatementResult", "redshift-data:ListStatements", "redshift-data:CancelStatement",
            "redshift-data:ListDatabases", "redshift-data:ListSchemas", "redshift-data:ListTables", "redshift-data:DescribeTable",
            "redshift:DescribeClusters", "redshift:GetClusterCredentials", "redshift-serverless:GetCredentials"]},
        {"Sid": "ProjectSecrets", "Effect": "Allow", "Resource": f"arn:aws:secretsmanager:{region}:{account_id}:secret:*",
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
         "Condition": {"StringEquals": {"secretsmanager:ResourceTag/AmazonDataZoneProject": project_id,
                                        "secretsmanager:ResourceTag/AmazonDataZoneDomain": domain_id}}},
    ]
    if s3_path:
        bucket, _, prefix = s3_path.removeprefix("s3://").partition("/")
        statements += [
            {"Sid": "EnvironmentBucket", "Effect": "Allow", "Resource": f"arn:aws:s3:::{bucket}",
             "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]},
            {"Sid": "EnvironmentObjects", "Effect": "Allow", "Resource": f"arn:aws:s3:::{bucket}/{prefix}/*" if prefix else f"arn:aws:s3:::{bucket}/*",
             "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]},
        ]
    return {"Version": "2012-10-17", "Statement": statements}


class ManageAccessRoleRefused(Exception):
    """DataZone cannot assume the manage-access role of a subscription target."""


def require_manage_access_role(role_arn: str | None, domain_account: str, domain_arn: str) -> None:
    """Raise unless DataZone may assume the manage-access role (trust: the domain's account and ARN)."""
    from ..service_roles import datazone_role_refusal

    refusal = datazone_role_refusal(role_arn, domain_account, domain_arn)
    if refusal:
        raise ManageAccessRoleRefused(f"Amazon DataZone could not assume the manage access role: {refusal}")


def assume(account_id: str, region: str, role_arn: str, session: str) -> dict[str, Any]:
    """Temporary credentials for a role, bound to its account like any assumed role."""
    from moto.sts.models import sts_backends

    role = sts_backends[account_id][PARTITION].assume_role(
        region_name=region, role_session_name=session, role_arn=role_arn, policy="", duration=3600, external_id=""
    )
    return {
        "accessKeyId": role.access_key_id,
        "secretAccessKey": role.secret_access_key,
        "sessionToken": role.session_token,
        "expiration": role.expiration,
    }


# --- Grants -----------------------------------------------------------------------------------


def grant_hook(name: str) -> Callable[..., Any]:
    """One of ``expose_glue_table``, ``hide_glue_table``, ``expose_redshift_table``, ``hide_redshift_table``."""
    from .. import grants

    return getattr(grants, name)
