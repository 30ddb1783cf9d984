"""Lake Formation checks of an Athena query, as the caller of StartQueryExecution.

Athena asks Lake Formation on behalf of the principal who started the query. On a governed
database (see :mod:`lab_helpers.offline.lakeformation`) it needs CREATE_TABLE on the
database to create a table or view, DROP/INSERT on a table to drop or fill it, and to read a
table SELECT on it; a resource link needs DESCRIBE on the link and SELECT on its target.
Databases Lake Formation does not govern keep IAM-only behaviour. A refusal fails the query
with :class:`PermissionDenied` (Athena's error type 1500, "Permission error").
"""

from __future__ import annotations

import uuid

from .. import lakeformation as lf
from . import catalog as cat
from .catalog import AthenaError

#: The prefix Athena puts before a permission failure of a query.
_PREFIX = "Insufficient permissions to execute the query. "
#: How Athena reports a Glue refusal of a Hive DDL statement (CREATE EXTERNAL TABLE, DROP TABLE).
_HIVE_DDL = (
    "FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. MetaException(message:{message} "
    "(Service: AmazonDataCatalog; Status Code: 400; Error Code: AccessDeniedException; Request ID: {request}; Proxy: null))"
)
#: Athena's error catalog: error type 1500 is "Permission error".
PERMISSION_ERROR_TYPE = 1500


class PermissionDenied(AthenaError):
    """A query refused by Lake Formation; ``str()`` is Athena's ``StateChangeReason``."""

    error_type = PERMISSION_ERROR_TYPE

    def __init__(self, message: str, hive_ddl: bool = False) -> None:
        reason = _HIVE_DDL.format(message=message, request=uuid.uuid4()) if hive_ddl else _PREFIX + message
        Exception.__init__(self, reason)
        self.code = "PERMISSION_DENIED"


def account_of(principal: str) -> str:
    """The account of an IAM principal ARN (``arn:aws:iam::<account>:…``)."""
    parts = principal.split(":")
    return parts[4] if len(parts) > 4 else ""


def require_on_database(account_id: str, region: str, database: str, needed: str, principal: str, hive_ddl: bool = False) -> None:
    """Refuse unless ``principal`` holds ``needed`` (or ALL) on a governed database."""
    denial = lf.missing_on_database(account_id, region, database, needed, principal)
    if denial:
        raise PermissionDenied(denial, hive_ddl)


def require_on_table(
    account_id: str, region: str, database: str, table: str, needed: str, principal: str, hive_ddl: bool = False
) -> None:
    """Refuse unless ``principal`` holds ``needed`` (or ALL) on a table of a governed database."""
    denial = lf.missing_on_table(account_id, region, database, table, needed, principal, account_of(principal) or account_id)
    if denial:
        raise PermissionDenied(denial, hive_ddl)


def require_readable(account_id: str, region: str, database: str, name: str, principal: str) -> None:
    """Refuse a read of ``database.name`` (following resource links) the principal may not do.

    A missing table or database is left to the catalog's own errors.
    """
    fake = cat.find_table(account_id, region, database, name)
    hops = 0
    while fake is not None and hops <= 5:
        target = fake.get_version(str(fake._current_version)).get("TargetTable")
        if not target:
            require_on_table(account_id, region, fake.database_name, fake.name, "SELECT", principal)
            return
        require_on_table(account_id, region, fake.database_name, fake.name, "DESCRIBE", principal)
        account_id, region = target.get("CatalogId") or account_id, target.get("Region") or region
        fake = cat.find_table(account_id, region, target["DatabaseName"], target["Name"])
        hops += 1
