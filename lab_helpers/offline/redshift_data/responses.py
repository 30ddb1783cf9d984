"""Handlers that replace moto's Redshift Data API responses (JSON protocol, ``RedshiftData.*``)."""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_types import TYPE_RESPONSE
from moto.redshiftdata.models import redshiftdata_backends

from .models import DataApi


def _api(self: Any) -> DataApi:
    return DataApi(redshiftdata_backends[self.current_account][self.region])


def _ok(body: dict[str, Any]) -> TYPE_RESPONSE:
    return 200, {}, json.dumps(body)


def _target(self: Any) -> dict[str, Any]:
    """The cluster or workgroup and the credentials a request names."""
    return {
        "cluster_identifier": self._get_param("ClusterIdentifier"),
        "workgroup_name": self._get_param("WorkgroupName"),
        "secret_arn": self._get_param("SecretArn"),
        "db_user": self._get_param("DbUser"),
    }


def _paging(self: Any) -> dict[str, Any]:
    """A request's page size and token."""
    return {"next_token": self._get_param("NextToken"), "max_results": self._get_param("MaxResults")}


def _run_by(self: Any) -> tuple[str, str]:
    """(role or user ARN, session ARN) of the caller, as ListStatements' RoleLevel tells them apart."""
    from ..identity import caller_of

    caller = caller_of(self)
    return caller.principal_arn, caller.arn


def execute_statement(self: Any) -> TYPE_RESPONSE:
    statement = _api(self).execute_statement(
        sql=self._get_param("Sql"),
        database=self._get_param("Database"),
        parameters=self._get_param("Parameters"),
        statement_name=self._get_param("StatementName"),
        **_target(self),
    )
    statement.run_by = _run_by(self)
    return _ok(statement.submitted())


def batch_execute_statement(self: Any) -> TYPE_RESPONSE:
    statement = _api(self).batch_execute_statement(
        sqls=self._get_param("Sqls") or [],
        parameters=self._get_param("Parameters"),
        database=self._get_param("Database"),
        statement_name=self._get_param("StatementName"),
        **_target(self),
    )
    statement.run_by = _run_by(self)
    return _ok(statement.submitted())


def describe_statement(self: Any) -> TYPE_RESPONSE:
    return _ok(_api(self).describe_statement(self._get_param("Id")))


def get_statement_result(self: Any) -> TYPE_RESPONSE:
    return _ok(_api(self).get_statement_result(self._get_param("Id"), self._get_param("NextToken")))


def list_statements(self: Any) -> TYPE_RESPONSE:
    return _ok(
        _api(self).list_statements(
            status=self._get_param("Status"),
            statement_name=self._get_param("StatementName"),
            database=self._get_param("Database"),
            cluster_identifier=self._get_param("ClusterIdentifier"),
            workgroup_name=self._get_param("WorkgroupName"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
            caller=_run_by(self),
            role_level=self._get_param("RoleLevel") is not False,
        )
    )


def cancel_statement(self: Any) -> TYPE_RESPONSE:
    return _ok({"Status": _api(self).cancel_statement(self._get_param("Id"))})


def list_databases(self: Any) -> TYPE_RESPONSE:
    return _ok(_api(self).list_databases(database=self._get_param("Database"), **_paging(self), **_target(self)))


def list_schemas(self: Any) -> TYPE_RESPONSE:
    return _ok(
        _api(self).list_schemas(
            database=self._get_param("Database"), schema_pattern=self._get_param("SchemaPattern"), **_paging(self), **_target(self)
        )
    )


def list_tables(self: Any) -> TYPE_RESPONSE:
    return _ok(
        _api(self).list_tables(
            database=self._get_param("Database"),
            schema_pattern=self._get_param("SchemaPattern"),
            table_pattern=self._get_param("TablePattern"),
            **_paging(self),
            **_target(self),
        )
    )


def describe_table(self: Any) -> TYPE_RESPONSE:
    return _ok(
        _api(self).describe_table(
            database=self._get_param("Database"),
            schema=self._get_param("Schema"),
            table=self._get_param("Table"),
            **_paging(self),
            **_target(self),
        )
    )


HANDLERS = {
    "list_databases": list_databases,
    "list_schemas": list_schemas,
    "list_tables": list_tables,
    "describe_table": describe_table,
    "execute_statement": execute_statement,
    "batch_execute_statement": batch_execute_statement,
    "describe_statement": describe_statement,
    "get_statement_result": get_statement_result,
    "list_statements": list_statements,
    "cancel_statement": cancel_statement,
}
