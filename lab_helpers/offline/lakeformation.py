"""Lake Formation on the stand-in: which databases it governs and who may do what there.

moto's own Lake Formation backend is the store of grants (``GrantPermissions``,
``ListPermissions`` and ``RevokePermissions`` through boto3 show the same grants the
engines enforce). This module adds what moto lacks:

* **Governed databases.** A Glue database is Lake Formation-managed when
  ``IAMAllowedPrincipals`` holds nothing on it: its ``CreateTableDefaultPermissions`` is an
  explicit list without ``IAM_ALLOWED_PRINCIPALS`` and no grant to that group exists on it.
  A database created without the field takes the account default (``IAM_ALLOWED_PRINCIPALS``
  ALL), so it stays IAM-only (https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html).
* **DataZone's grants.** A DefaultDataLake environment's databases are created governed;
  its user role gets database permissions and its manage-access role becomes a data lake
  administrator (:func:`govern_environment_databases`). A subscription grant gives the
  subscriber's environment role SELECT/DESCRIBE on the source table and DESCRIBE on the
  resource link, cross-account through the producer's grant to the consumer account
  (:func:`grant_subscription`, :func:`revoke_subscription`).
* **Checks.** :func:`missing` answers whether a principal lacks a permission, with the
  denial message Lake Formation gives (the engines wrap it as their service does).

Assumptions are marked in ``docs/aws-behaviour/lakeformation.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

IAM_ALLOWED = "IAM_ALLOWED_PRINCIPALS"
#: What DataZone grants the environment user role on each of its databases (assumption:
#: the exact list is not published; these let the role create, alter and drop its tables).
ENVIRONMENT_DATABASE_PERMISSIONS = ("CREATE_TABLE", "ALTER", "DROP", "DESCRIBE")
#: What a subscription grant gives on the subscribed table ("read-only (SELECT)" access).
SUBSCRIBER_TABLE_PERMISSIONS = ("SELECT", "DESCRIBE")
#: How Lake Formation names a permission in its denial messages ("Required Create Table on db").
_SPOKEN = {"CREATE_TABLE": "Create Table", "DROP": "Drop", "ALTER": "Alter", "INSERT": "Insert", "SELECT": "Select", "DESCRIBE": "Describe"}


def backend(account_id: str, region: str):  # type: ignore[no-untyped-def]
    """moto's Lake Formation backend of the account and Region (the grant store)."""
    from moto.lakeformation.models import lakeformation_backends

    return lakeformation_backends[account_id][region]


def database_resource(catalog_id: str, database: str) -> dict[str, Any]:
    return {"Database": {"CatalogId": catalog_id, "Name": database.lower()}}


def table_resource(catalog_id: str, database: str, table: str) -> dict[str, Any]:
    return {"Table": {"CatalogId": catalog_id, "DatabaseName": database.lower(), "Name": table.lower()}}


def principal(identifier: str) -> dict[str, str]:
    return {"DataLakePrincipalIdentifier": identifier}


def grant(account_id: str, region: str, who: str, resource: dict[str, Any], permissions: Iterable[str], grantable: Iterable[str] = ()) -> None:
    """``GrantPermissions`` in ``account_id``'s Lake Formation (merges with what is there)."""
    backend(account_id, region).grant_permissions(account_id, principal(who), resource, list(permissions), list(grantable))


def revoke(account_id: str, region: str, who: str, resource: dict[str, Any], permissions: Iterable[str], grantable: Iterable[str] = ()) -> None:
    """``RevokePermissions`` (no error when nothing was granted)."""
    backend(account_id, region).revoke_permissions(account_id, principal(who), resource, list(permissions), list(grantable))


def held(account_id: str, region: str, who: str, resource: dict[str, Any]) -> set[str]:
    """The permissions ``who`` holds on ``resource`` in ``account_id``'s Lake Formation."""
    catalog = backend(account_id, region).grants.get(account_id)
    found: set[str] = set()
    for entry in list(catalog.permissions) if catalog else []:
        if entry.principal == principal(who) and entry.resource == resource:
            found |= set(entry.permissions) | set(entry.permissions_with_grant_options)
    return found


def holders(account_id: str, region: str, resource: dict[str, Any]) -> list[str]:
    """Principals holding any permission on ``resource`` in ``account_id``'s Lake Formation."""
    catalog = backend(account_id, region).grants.get(account_id)
    entries = list(catalog.permissions) if catalog else []
    return [e.principal.get("DataLakePrincipalIdentifier", "") for e in entries if e.resource == resource]


def forget(account_id: str, region: str, resource: dict[str, Any]) -> None:
    """Drop every grant on a resource that no longer exists (Lake Formation does on delete)."""
    catalog = backend(account_id, region).grants.get(account_id)
    if catalog:
        catalog.permissions = {e for e in catalog.permissions if e.resource != resource}


def is_admin(account_id: str, region: str, who: str) -> bool:
    settings = backend(account_id, region).get_data_lake_settings(account_id)
    return any(a.get("DataLakePrincipalIdentifier") == who for a in settings.get("DataLakeAdmins") or [])


def add_admin(account_id: str, region: str, who: str) -> None:
    """Add a data lake administrator (``PutDataLakeSettings`` keeping the other settings)."""
    lf = backend(account_id, region)
    settings = dict(lf.get_data_lake_settings(account_id))
    admins = list(settings.get("DataLakeAdmins") or [])
    if not any(a.get("DataLakePrincipalIdentifier") == who for a in admins):
        admins.append(principal(who))
    settings["DataLakeAdmins"] = admins
    lf.put_data_lake_settings(account_id, settings)


def _glue_database(account_id: str, region: str, name: str):  # type: ignore[no-untyped-def]
    from moto.glue.models import glue_backends

    dbs = glue_backends[account_id][region].databases
    return dbs.get(name) or next((db for key, db in dbs.items() if key.lower() == name.lower()), None)


def is_governed(account_id: str, region: str, database: str) -> bool:
    """Whether Lake Formation permissions (not IAM alone) govern the database."""
    db = _glue_database(account_id, region, database)
    if db is None:
        return False
    defaults = db.input.get("CreateTableDefaultPermissions")
    if defaults is None or any((d.get("Principal") or {}).get("DataLakePrincipalIdentifier") == IAM_ALLOWED for d in defaults):
        return False
    return not held(account_id, region, IAM_ALLOWED, database_resource(account_id, db.name))


def _roles(account_id: str, region: str) -> dict[str, str]:
    """Environment database → its environment's user role (kept on the moto backend, reset with it)."""
    lf = backend(account_id, region)
    if not hasattr(lf, "lab_environment_roles"):
        lf.lab_environment_roles = {}
    return lf.lab_environment_roles  # type: ignore[no-any-return]


def govern_environment_databases(account_id: str, region: str, databases: Iterable[str], user_role: str, manage_role: str | None) -> None:
    """What a DefaultDataLake environment's stack does to Lake Formation.

    The databases are Lake Formation-managed (no ``IAMAllowedPrincipals``), the user role
    gets :data:`ENVIRONMENT_DATABASE_PERMISSIONS` on each, and the manage-access role is a
    data lake administrator (DataZone fails environment creation when it cannot add it).
    """
    for name in databases:
        db = _glue_database(account_id, region, name)
        if db is None:
            continue
        db.input["CreateTableDefaultPermissions"] = []
        grant(account_id, region, user_role, database_resource(account_id, db.name), ENVIRONMENT_DATABASE_PERMISSIONS)
        _roles(account_id, region)[db.name.lower()] = user_role
    if manage_role:
        add_admin(account_id, region, manage_role)


def environment_role(account_id: str, region: str, database: str) -> str | None:
    """The user role of the environment that made ``database``, if one did."""
    return _roles(account_id, region).get(database.lower())


def table_created(account_id: str, region: str, database: str, table: str, creator: str) -> None:
    """The creator of a table in a governed database holds all permissions on it (implicit permission)."""
    if is_governed(account_id, region, database):
        grant(account_id, region, creator, table_resource(account_id, database, table), ["ALL"], ["ALL"])


def table_dropped(account_id: str, region: str, database: str, table: str) -> None:
    forget(account_id, region, table_resource(account_id, database, table))


def grant_subscription(*, region: str, source_account: str, source_database: str, table: str, target_account: str, target_database: str) -> None:
    """Lake Formation grants of a completed Glue subscription grant.

    The subscriber environment's role gets SELECT/DESCRIBE on the source table and DESCRIBE
    on the resource link; across accounts the producer first grants the consumer account
    (with grant option) and the consumer's Lake Formation re-grants to the role.
    """
    role = environment_role(target_account, region, target_database)
    if role is None:
        return
    source = table_resource(source_account, source_database, table)
    if source_account != target_account:
        grant(source_account, region, target_account, source, SUBSCRIBER_TABLE_PERMISSIONS, SUBSCRIBER_TABLE_PERMISSIONS)
    grant(target_account, region, role, source, SUBSCRIBER_TABLE_PERMISSIONS)
    grant(target_account, region, role, table_resource(target_account, target_database, table), ["DESCRIBE"])


def revoke_subscription(*, region: str, source_account: str, source_database: str, table: str, target_account: str, target_database: str) -> None:
    """Undo :func:`grant_subscription` (the account grant goes when no role of that account still uses it)."""
    role = environment_role(target_account, region, target_database)
    source = table_resource(source_account, source_database, table)
    if role is not None:
        revoke(target_account, region, role, source, SUBSCRIBER_TABLE_PERMISSIONS)
        revoke(target_account, region, role, table_resource(target_account, target_database, table), ["DESCRIBE"])
    if source_account != target_account and not holders(target_account, region, source):
        revoke(source_account, region, target_account, source, SUBSCRIBER_TABLE_PERMISSIONS, SUBSCRIBER_TABLE_PERMISSIONS)


def _allows(have: set[str], needed: str) -> bool:
    return needed in have or "ALL" in have


def missing_on_database(account_id: str, region: str, database: str, needed: str, who: str) -> str | None:
    """Lake Formation's denial when ``who`` lacks ``needed`` on a governed database, else None."""
    db = _glue_database(account_id, region, database)
    if db is None or not is_governed(account_id, region, db.name):
        return None
    if _allows(held(account_id, region, who, database_resource(account_id, db.name)), needed):
        return None
    return f"Insufficient Lake Formation permission(s): Required {_SPOKEN.get(needed, needed.title())} on {db.name}"


def missing_on_table(account_id: str, region: str, database: str, table: str, needed: str, who: str, caller_account: str | None = None) -> str | None:
    """Lake Formation's denial when ``who`` lacks ``needed`` on a table of a governed database, else None.

    ``caller_account`` is where ``who`` lives: a table of another account needs that
    account's re-grant to ``who`` and the owner's grant to the caller's account (or to ``who``).
    """
    db = _glue_database(account_id, region, database)
    if db is None or not is_governed(account_id, region, db.name):
        return None
    resource = table_resource(account_id, db.name, table)
    home = caller_account or account_id
    if needed == "DESCRIBE" and is_admin(home, region, who) and home == account_id:
        return None  # data lake administrators describe everything in their catalog
    allowed = _allows(held(home, region, who, resource), needed)
    if allowed and home != account_id:
        allowed = _allows(held(account_id, region, home, resource) | held(account_id, region, who, resource), needed)
    return None if allowed else f"Insufficient Lake Formation permission(s) on {table.lower()}"
