"""Redshift Data API state: statements, their results, and who may run them where.

The Data API checks the target (``ClusterIdentifier`` must name an ``available`` cluster, ``WorkgroupName``
an AVAILABLE Redshift Serverless workgroup, of the caller's account in the Region) and the
authentication (``SecretArn`` must be a secret of the caller's account; else a ``DbUser``
for a cluster, or the caller's IAM identity for a workgroup), then runs the SQL. Here it runs synchronously at submit time: by the time
``DescribeStatement`` is called the statement is FINISHED or FAILED, with the engine's
error. Results are kept on the statement and paged by ``GetStatementResult``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid as uuidlib
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.moto_api._internal import mock_random as random
from moto.redshiftdata.exceptions import ResourceNotFoundException, ValidationException

from . import catalog
from .engine import HUB, Location
from .runner import BatchFailure, Outcome, execute
from .statement import Statement, column_metadata


class DatabaseConnectionException(JsonRESTError):
    """The Data API could not connect to the database (for example, it does not exist)."""

    def __init__(self, message: str) -> None:
        super().__init__("DatabaseConnectionException", message)

#: Rows per GetStatementResult page (AWS pages by size, about 100 MB; rows keep it testable).
PAGE_ROWS = 1000
DEFAULT_DATABASE = "dev"


def _workgroup_namespace(account_id: str, region: str, workgroup_name: str | None) -> Any:
    """The namespace behind an AVAILABLE workgroup (None if the workgroup is missing or not available)."""
    from ..redshift_serverless.models import redshiftserverless_backends

    backend = redshiftserverless_backends[account_id][region]
    workgroup = backend.available_workgroup(workgroup_name or "")
    return backend.namespace_of(workgroup) if workgroup is not None else None


def default_database(account_id: str, region: str, cluster_identifier: str | None, workgroup_name: str | None = None) -> str:
    """The database a cluster, else a workgroup's namespace, was created with (``dev`` by default)."""
    if cluster_identifier:
        from moto.redshift.models import redshift_backends

        cluster = redshift_backends[account_id][region].clusters.get(cluster_identifier)
        if cluster is not None:
            return str(cluster.db_name or DEFAULT_DATABASE).lower()
    namespace = _workgroup_namespace(account_id, region, workgroup_name) if workgroup_name else None
    return str(namespace.db_name if namespace is not None else DEFAULT_DATABASE).lower()


class DataApi:
    """The Redshift Data API of one account and Region (statements live on moto's backend)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.account_id: str = backend.account_id
        self.region: str = backend.region_name
        self.statements: dict[str, Statement] = backend.__dict__.setdefault("lab_statements", {})

    # --- validation ------------------------------------------------------------------
    def _validate_target(self, cluster_identifier: str | None, workgroup_name: str | None) -> None:
        if bool(cluster_identifier) == bool(workgroup_name):
            raise ValidationException("Either ClusterIdentifier or WorkgroupName must be specified, but not both.")
        if cluster_identifier:
            from moto.redshift.models import redshift_backends

            if cluster_identifier not in redshift_backends[self.account_id][self.region].clusters:
                raise ValidationException("Redshift endpoint doesn't exist in this region.")
            from ..redshift_clusters import unavailable

            status = unavailable(self.account_id, self.region, cluster_identifier)
            if status is not None:  # creating (no endpoint yet), paused, ...
                raise ValidationException(f"Cluster {cluster_identifier} is not available: its status is {status}. "
                                          "Run the statement when the cluster is available.")
        elif _workgroup_namespace(self.account_id, self.region, workgroup_name) is None:
            raise ValidationException("Redshift endpoint doesn't exist in this region.")

    def _validate_auth(self, secret_arn: str | None, db_user: str | None, workgroup_name: str | None) -> None:
        if secret_arn and db_user:
            raise ValidationException("Only one of SecretArn or DbUser can be specified.")
        if not secret_arn and not db_user and not workgroup_name:
            raise ValidationException("Either SecretArn or DbUser must be specified for a provisioned cluster.")
        if secret_arn:
            from moto.secretsmanager.models import secretsmanager_backends

            secrets = secretsmanager_backends[self.account_id][self.region].secrets
            foreign = secret_arn.startswith("arn:") and secret_arn.split(":")[4:5] != [self.account_id]
            secret = secrets.get(secret_arn) if not foreign and secret_arn in secrets else None
            if secret is None or getattr(secret, "is_deleted", lambda: False)():
                raise ValidationException(
                    f"Secrets Manager can't find the specified secret {secret_arn} in account {self.account_id}."
                )

    def _login_error(self, secret_arn: str | None, cluster_identifier: str | None, workgroup_name: str | None = None) -> str | None:
        """Why the secret's credentials cannot log in to the cluster or workgroup (None when they can).

        The master (namespace admin) user's password must match; other users are not modelled
        (``CREATE USER`` is accepted without effect), so their passwords are not checked.
        """
        if not secret_arn:
            return None
        from moto.secretsmanager.models import secretsmanager_backends

        backend = secretsmanager_backends[self.account_id][self.region]
        try:
            value = json.loads(backend.get_secret_value(secret_arn, None, None).get("SecretString") or "")
            username, password = value["username"], value["password"]
        except Exception:  # noqa: BLE001 - no value, not JSON, or no username/password
            return f"FATAL: secret {secret_arn} must hold a JSON SecretString with username and password"
        if cluster_identifier:
            from moto.redshift.models import redshift_backends

            cluster = redshift_backends[self.account_id][self.region].clusters.get(cluster_identifier)
            if cluster is not None and username == cluster.master_username and password != cluster.master_user_password:
                return f'FATAL: password authentication failed for user "{username}"'
        elif workgroup_name:
            namespace = _workgroup_namespace(self.account_id, self.region, workgroup_name)
            if namespace is not None and username == namespace.admin_username and password != namespace.admin_password:
                return f'FATAL: password authentication failed for user "{username}"'
        return None

    def _new(self, database: str, query_string: str, **target: Any) -> Statement:
        if not database:
            raise ValidationException("Database must be specified.")
        return Statement(
            id=str(random.uuid4()),
            account_id=self.account_id,
            region=self.region,
            database=database.lower(),
            query_string=query_string,
            redshift_query_id=random.randint(100000, 999999),
            **target,
        )

    def _prepare(self, statement: Statement) -> None:
        """Create the store's default database on first use, as the cluster already has it."""
        location = statement.location
        if location.database == default_database(self.account_id, self.region, statement.cluster_identifier,
                                                 statement.workgroup_name):
            HUB.ensure(location)

    # --- operations ------------------------------------------------------------------
    def execute_statement(
        self,
        sql: str,
        database: str,
        cluster_identifier: str | None = None,
        workgroup_name: str | None = None,
        secret_arn: str | None = None,
        db_user: str | None = None,
        parameters: list[dict[str, str]] | None = None,
        statement_name: str | None = None,
    ) -> Statement:
        self._validate_target(cluster_identifier, workgroup_name)
        self._validate_auth(secret_arn, db_user, workgroup_name)
        if not sql or not sql.strip():
            raise ValidationException("Sql must not be empty.")
        statement = self._new(
            database,
            sql,
            cluster_identifier=cluster_identifier,
            workgroup_name=workgroup_name,
            secret_arn=secret_arn,
            db_user=db_user,
            statement_name=statement_name,
            query_parameters=parameters or None,
        )
        self.statements[statement.id] = statement
        self._prepare(statement)
        statement.status, started = "STARTED", time.time()
        values = {p["name"]: p["value"] for p in parameters or []}
        login = self._login_error(secret_arn, cluster_identifier, workgroup_name)
        outcomes, failure = ([], BatchFailure(0, login)) if login else execute(statement.location, [sql], values)
        statement.finish(outcomes[0] if outcomes else None, failure.message if failure else None, started)
        return statement

    def batch_execute_statement(
        self,
        sqls: list[str],
        database: str,
        cluster_identifier: str | None = None,
        workgroup_name: str | None = None,
        secret_arn: str | None = None,
        db_user: str | None = None,
        statement_name: str | None = None,
        parameters: list[dict[str, str]] | None = None,
    ) -> Statement:
        self._validate_target(cluster_identifier, workgroup_name)
        self._validate_auth(secret_arn, db_user, workgroup_name)
        if not sqls:
            raise ValidationException("Sqls must contain at least one statement.")
        target = dict(cluster_identifier=cluster_identifier, workgroup_name=workgroup_name, secret_arn=secret_arn, db_user=db_user)
        parent = self._new(database, ";".join(sqls), statement_name=statement_name, query_parameters=parameters or None, **target)
        parent.is_batch = True
        parent.sub_statements = [
            Statement(
                id=f"{parent.id}:{n}",
                account_id=self.account_id,
                region=self.region,
                database=parent.database,
                query_string=sql,
                redshift_query_id=parent.redshift_query_id + n,
                redshift_pid=parent.redshift_pid,
                **target,
            )
            for n, sql in enumerate(sqls, start=1)
        ]
        self.statements[parent.id] = parent
        self._prepare(parent)
        started = time.time()
        login = self._login_error(secret_arn, cluster_identifier, workgroup_name)
        values = {p["name"]: p["value"] for p in parameters or []}
        outcomes, failure = ([], BatchFailure(0, login)) if login else execute(parent.location, list(sqls), values)
        for n, sub in enumerate(parent.sub_statements):
            if n < len(outcomes):
                sub.finish(outcomes[n], None, started)
            elif failure is not None and n == failure.index:
                sub.finish(None, failure.message, started)
            else:
                sub.status, sub.updated_at = "ABORTED", time.time()
        if failure is not None:
            # The batch is one transaction: what ran before the failure was rolled back.
            parent.finish(None, failure.message, started)
        else:
            parent.finish(Outcome(result_rows=sum(max(o.result_rows, 0) for o in outcomes)), None, started)
            parent.has_result_set = any(o.has_result_set for o in outcomes)
        return parent

    # --- catalog ---------------------------------------------------------------------
    def _catalog_location(
        self, database: str, cluster_identifier: str | None, workgroup_name: str | None, secret_arn: str | None, db_user: str | None
    ) -> Location:
        self._validate_target(cluster_identifier, workgroup_name)
        self._validate_auth(secret_arn, db_user, workgroup_name)
        if not database:
            raise ValidationException("Database must be specified.")
        login = self._login_error(secret_arn, cluster_identifier, workgroup_name)
        if login:
            raise DatabaseConnectionException(login)
        store = cluster_identifier or workgroup_name or ""
        location = Location(self.account_id, self.region, store, database)
        if location.database == default_database(self.account_id, self.region, cluster_identifier, workgroup_name):
            HUB.ensure(location)
        elif not HUB.exists(location):
            raise DatabaseConnectionException(f'FATAL: database "{location.database}" does not exist')
        return location

    def list_databases(self, database: str, next_token: str | None, max_results: int | None, **target: Any) -> dict[str, Any]:
        location = self._catalog_location(database, **target)
        return _page("Databases", HUB.databases(self.account_id, self.region, location.store), next_token, max_results)

    def list_schemas(self, database: str, schema_pattern: str | None, next_token: str | None, max_results: int | None, **target: Any) -> dict[str, Any]:
        location = self._catalog_location(database, **target)
        return _page("Schemas", catalog.schemas(location, schema_pattern), next_token, max_results)

    def list_tables(
        self, database: str, schema_pattern: str | None, table_pattern: str | None, next_token: str | None, max_results: int | None, **target: Any
    ) -> dict[str, Any]:
        location = self._catalog_location(database, **target)
        return _page("Tables", catalog.tables(location, schema_pattern, table_pattern), next_token, max_results)

    def describe_table(self, database: str, schema: str | None, table: str | None, next_token: str | None, max_results: int | None, **target: Any) -> dict[str, Any]:
        location = self._catalog_location(database, **target)
        schema = (schema or "public").lower()
        if not table:
            raise ValidationException("Table must be specified.")
        body = _page("ColumnList", catalog.columns(location, schema, table.lower()), next_token, max_results)
        body["TableName"] = table.lower()
        return body

    def _get(self, statement_id: str) -> Statement:
        _validate_id(statement_id)
        parent_id, _, number = statement_id.partition(":")
        statement = self.statements.get(parent_id)
        if statement is None:
            raise ResourceNotFoundException()
        if number:
            index = int(number) - 1
            if not statement.is_batch or not 0 <= index < len(statement.sub_statements):
                raise ResourceNotFoundException()
            return statement.sub_statements[index]
        return statement

    def describe_statement(self, statement_id: str) -> dict[str, Any]:
        return self._get(statement_id).description()

    def get_statement_result(self, statement_id: str, next_token: str | None = None) -> dict[str, Any]:
        statement = self._get(statement_id)
        if statement.is_batch:
            raise ValidationException(
                "Query does not have result. Please check query status with DescribeStatement and use the sub-statement Id (Id:N) of a batch."
            )
        if statement.status != "FINISHED" or not statement.has_result_set:
            raise ValidationException("Query does not have result. Please check query status with DescribeStatement.")
        start = _decode_token(next_token, statement.id) if next_token else 0
        end = start + PAGE_ROWS
        body: dict[str, Any] = {
            "Records": statement.records[start:end],
            "ColumnMetadata": [column_metadata(name, kind) for name, kind in statement.columns],
            "TotalNumRows": len(statement.records),
        }
        if end < len(statement.records):
            body["NextToken"] = _encode_token(statement.id, end)
        return body

    def list_statements(
        self,
        status: str | None = None,
        statement_name: str | None = None,
        database: str | None = None,
        cluster_identifier: str | None = None,
        workgroup_name: str | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
        caller: tuple[str, str] | None = None,
        role_level: bool = True,
    ) -> dict[str, Any]:
        """The caller's statements, newest first: those of its IAM role (``RoleLevel``, the default) or of its
        session only (API reference, ListStatements ``RoleLevel``); another role's statements are not listed."""
        chosen = sorted(self.statements.values(), key=lambda s: s.created_at, reverse=True)
        if caller is not None:
            mine = caller[0] if role_level else caller[1]
            chosen = [s for s in chosen if s.run_by is None or s.run_by[0 if role_level else 1] == mine]
        if status and status != "ALL":
            chosen = [s for s in chosen if s.status == status]
        if statement_name:
            chosen = [s for s in chosen if (s.statement_name or "").startswith(statement_name)]
        if database:
            chosen = [s for s in chosen if s.database == database.lower()]
        if cluster_identifier:
            chosen = [s for s in chosen if s.cluster_identifier == cluster_identifier]
        if workgroup_name:
            chosen = [s for s in chosen if s.workgroup_name == workgroup_name]
        start = _decode_token(next_token, "list") if next_token else 0
        size = max_results or 100
        body: dict[str, Any] = {"Statements": [s.listing() for s in chosen[start : start + size]]}
        if start + size < len(chosen):
            body["NextToken"] = _encode_token("list", start + size)
        return body

    def cancel_statement(self, statement_id: str) -> bool:
        statement = self._get(statement_id)
        if statement.status not in ("SUBMITTED", "PICKED", "STARTED"):
            raise ValidationException(
                f"Could not cancel a query that is already in {statement.status} state with ID: {statement_id}"
            )
        statement.status, statement.updated_at = "ABORTED", time.time()
        return True


def _page(key: str, items: list[Any], next_token: str | None, max_results: int | None) -> dict[str, Any]:
    start = _decode_token(next_token, key) if next_token else 0
    size = max_results or 1000
    body: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        body["NextToken"] = _encode_token(key, start + size)
    return body


def _validate_id(statement_id: str | None) -> None:
    parent, _, number = (statement_id or "").partition(":")
    try:
        uuidlib.UUID(parent)
    except ValueError:
        raise ValidationException(
            "id must satisfy regex pattern: ^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\\d+)?$"
        ) from None
    if number and not number.isdigit():
        raise ValidationException("id must satisfy regex pattern: ^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\\d+)?$")


def _encode_token(scope: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([scope, offset]).encode()).decode()


def _decode_token(token: str, scope: str) -> int:
    try:
        found_scope, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
        if found_scope == scope and isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, TypeError):
        pass
    raise ValidationException("The NextToken is not valid.")
