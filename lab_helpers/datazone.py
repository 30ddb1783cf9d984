"""The walkthrough's Amazon DataZone steps as get-or-create calls.

Every ``ensure_*`` function first looks the resource up by NAME (through botocore's
paginators) and creates it only when it is missing, so running a notebook twice creates
nothing new. Functions take a boto3 ``datazone`` client of the persona who acts; the
same calls work against AWS and the offline stand-in. Asynchronous resources are waited
for with :func:`lab_helpers.waits.wait_for`, which raises with DataZone's own failure reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from .redshift import Warehouse
from .waits import dig, error_code, failure_reason, retry, wait_for, wait_gone

DOMAIN_EXECUTION_ROLE = "AmazonDataZoneDomainExecution"
DATA_LAKE = "DefaultDataLake"
DATA_WAREHOUSE = "DefaultDataWarehouse"
_GONE_DOMAIN = {"DELETING", "DELETED"}


def paginate(client: Any, operation: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item of a ``List*``/``Search*`` call, through botocore's paginator.

    AWS returns pages of ``items`` (or ``members``/``permissions``...); the paginator
    follows ``nextToken`` until the last page.
    """
    if not client.can_paginate(operation):  # e.g. ram.list_permissions: follow nextToken by hand
        method = getattr(client, operation)
        token = None
        while True:
            page = method(**kwargs, **({"nextToken": token} if token else {}))
            lists = [v for k, v in page.items() if isinstance(v, list) and k != "ResponseMetadata"]
            yield from lists[0] if lists else []
            token = page.get("nextToken")
            if not token:
                return
    paginator = client.get_paginator(operation)
    keys = [key.expression for key in paginator.result_keys]
    for page in paginator.paginate(**kwargs):
        for key in keys:
            yield from page.get(key) or []


# ---------------------------------------------------------------- domain (step 1)

def find_domain(dz: Any, name: str) -> dict[str, Any] | None:
    """The domain called ``name`` that is not being deleted (``list_domains``), or None.

    ``list_domains`` lists the domains the caller's account owns *and* those shared with it
    through an accepted RAM association.
    """
    for item in paginate(dz, "list_domains"):
        if item["name"] == name and item.get("status") not in _GONE_DOMAIN:
            return item
    return None


def ensure_domain(dz: Any, name: str, execution_role_arn: str, description: str = "",
                  tags: dict[str, str] | None = None, wait: bool = True) -> dict[str, Any]:
    """Get or create the V1 domain ``name``; wait until it is AVAILABLE; return ``get_domain``.

    Behind ``create_domain`` DataZone sets up the domain (its portal, root domain unit and
    catalog) and assumes ``execution_role_arn`` to act on the caller's behalf. The domain
    moves CREATING → AVAILABLE (or CREATION_FAILED with ``failureReasons``).
    """
    found = find_domain(dz, name)
    if found is None:
        kwargs: dict[str, Any] = {"name": name, "domainExecutionRole": execution_role_arn, "domainVersion": "V1",
                                  "description": description or f"{name} (cross-account DataZone lab)"}
        if tags:
            kwargs["tags"] = tags
        domain_id = retry(lambda: dz.create_domain(**kwargs), f"create domain {name}")["id"]
    else:
        domain_id = found["id"]
    return wait_domain(dz, domain_id, name) if wait else dz.get_domain(identifier=domain_id)


def wait_domain(dz: Any, domain_id: str, name: str = "", not_yet: tuple[str, ...] = (),
                timeout: float = 1800, kind: str = "domain_create") -> dict[str, Any]:
    """Wait until ``get_domain`` reports AVAILABLE (``not_yet`` error codes are retried; ``kind``: what is awaited)."""
    return wait_for(lambda: dz.get_domain(identifier=domain_id), f"domain {name or domain_id}",
                    lambda r: r.get("status"), {"AVAILABLE"}, {"CREATION_FAILED", "DELETED", "DELETION_FAILED"},
                    not_yet=not_yet, timeout=timeout, kind=kind)


# ------------------------------------------------------------ blueprints (steps 1, 3)

def blueprint_id(dz: Any, domain_id: str, name: str) -> str:
    """The id of the AWS-managed blueprint ``name`` (DefaultDataLake, DefaultDataWarehouse).

    ``managed=True`` is needed: without it the list can be empty.
    """
    for item in paginate(dz, "list_environment_blueprints", domainIdentifier=domain_id, managed=True, name=name):
        if item["name"] == name:
            return item["id"]
    raise LookupError(f"blueprint {name!r} is not offered by domain {domain_id}")


def enable_blueprint(dz: Any, domain_id: str, name: str, region: str, provisioning_role_arn: str,
                     manage_access_role_arn: str, regional_parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """Enable blueprint ``name`` for the CALLER's account in ``region`` (idempotent put).

    ``put_environment_blueprint_configuration`` records, per (domain, account), which
    Regions may host environments of this blueprint, the role DataZone uses to provision
    them (CloudFormation) and the role that manages access (Lake Formation / Redshift
    datashares). An empty ``enabledRegions`` would only fail later, at environment creation.
    """
    bp_id = blueprint_id(dz, domain_id, name)
    kwargs: dict[str, Any] = {
        "domainIdentifier": domain_id, "environmentBlueprintIdentifier": bp_id, "enabledRegions": [region],
        "provisioningRoleArn": provisioning_role_arn, "manageAccessRoleArn": manage_access_role_arn,
    }
    if regional_parameters:
        kwargs["regionalParameters"] = {region: dict(regional_parameters)}
    retry(lambda: dz.put_environment_blueprint_configuration(**kwargs), f"enable blueprint {name}")
    return dz.get_environment_blueprint_configuration(domainIdentifier=domain_id, environmentBlueprintIdentifier=bp_id)


def blueprint_configurations(dz: Any, domain_id: str) -> list[dict[str, Any]]:
    """The blueprint configurations of the caller's account (``list_environment_blueprint_configurations``)."""
    return list(paginate(dz, "list_environment_blueprint_configurations", domainIdentifier=domain_id))


# --------------------------------------------------------------------- users (step 4)

_ASSUMED = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/.+$")


SSO_ROLE_PATH = "aws-reserved/sso.amazonaws.com/"


def principal_arn(caller_arn: str, role_path: str | None = None) -> str:
    """The IAM principal behind ``sts.get_caller_identity()["Arn"]``.

    An assumed-role ARN ``arn:aws:sts::<acct>:assumed-role/<Role>/<session>`` becomes the role
    ARN ``arn:aws:iam::<acct>:role/<path><Role>`` (DataZone user profiles name roles, not
    sessions). The session ARN does not carry the role's path: pass ``role_path`` (from
    ``iam.get_role``); without it an IAM Identity Center role (``AWSReservedSSO_…``) gets the
    path IAM Identity Center gives its roles, ``aws-reserved/sso.amazonaws.com/``. User and
    role ARNs come back unchanged.
    """
    match = _ASSUMED.match(caller_arn)
    if match:
        partition, account, role = match.groups()
        if role_path is None:
            role_path = SSO_ROLE_PATH if role.startswith("AWSReservedSSO_") else ""
        path = role_path.strip("/")
        return f"arn:{partition}:iam::{account}:role/{path + '/' if path else ''}{role}"
    return caller_arn


def principal_arn_of(session: Any) -> str:
    """The IAM principal (role ARN with its path, or user ARN) a boto3 session acts as.

    Reads the role's path with ``iam.get_role`` on the caller's own role; when the caller may
    not read it (``AccessDenied``) the path is inferred as :func:`principal_arn` does.
    """
    arn = session.client("sts").get_caller_identity()["Arn"]
    match = _ASSUMED.match(arn)
    if not match:
        return arn
    try:
        return session.client("iam").get_role(RoleName=match.group(3))["Role"]["Arn"]
    except ClientError as exc:
        if error_code(exc) not in {"AccessDenied", "AccessDeniedException", "NoSuchEntity"}:
            raise
        return principal_arn(arn)


def ensure_user_profile(dz: Any, domain_id: str, iam_arn: str, user_type: str | None = None) -> dict[str, Any]:
    """Get or create the domain user profile of the IAM user/role ``iam_arn``.

    Only the domain owner account may add principals of associated accounts. An assumed-role
    session needs an ``IAM_ROLE`` profile (the default for role ARNs).
    """
    user_type = user_type or ("IAM_ROLE" if ":role/" in iam_arn else "IAM_USER")
    try:
        return dz.get_user_profile(domainIdentifier=domain_id, userIdentifier=iam_arn, type="IAM")
    except ClientError as exc:
        if error_code(exc) not in {"ResourceNotFoundException", "ValidationException"}:
            raise
    try:
        return dz.create_user_profile(domainIdentifier=domain_id, userIdentifier=iam_arn, userType=user_type)
    except ClientError as exc:
        if error_code(exc) != "ConflictException":
            raise
        return dz.get_user_profile(domainIdentifier=domain_id, userIdentifier=iam_arn, type="IAM")


def user_profiles(dz: Any, domain_id: str) -> list[dict[str, Any]]:
    """IAM user profiles of the domain (``search_user_profiles(userType="DATAZONE_IAM_USER")``)."""
    return list(paginate(dz, "search_user_profiles", domainIdentifier=domain_id, userType="DATAZONE_IAM_USER"))


# ------------------------------------------------------------------ projects (step 5)

def find_project(dz: Any, domain_id: str, name: str) -> dict[str, Any] | None:
    """The project called exactly ``name`` (``list_projects(name=…)`` matches prefixes too)."""
    for item in paginate(dz, "list_projects", domainIdentifier=domain_id, name=name):
        if item["name"] == name and item.get("projectStatus") not in {"DELETING"}:
            return item
    return None


def ensure_project(dz: Any, domain_id: str, name: str, description: str = "", account_id: str = "") -> dict[str, Any]:
    """Get or create project ``name``; return ``get_project``.

    The caller becomes the project's owner. Project names are unique in a domain, hence
    the lookup first (a second ``create_project`` would fail with ConflictException).
    ``account_id`` (a consumer of a room): when another account's project already has the
    name, the project is ``<name>_<account_id>`` instead (each consumer team its own).
    """
    names = [name, f"{name}_{account_id}"] if account_id else [name]
    found = next((p for p in (find_project(dz, domain_id, n) for n in names) if p), None)
    if found:
        return dz.get_project(domainIdentifier=domain_id, identifier=found["id"])
    for index, each in enumerate(names):
        try:
            project_id = dz.create_project(domainIdentifier=domain_id, name=each,
                                           description=description or name.replace("_", " "))["id"]
        except ClientError as exc:
            if error_code(exc) != "ConflictException" or index == len(names) - 1:
                raise
            continue
        return dz.get_project(domainIdentifier=domain_id, identifier=project_id)
    raise AssertionError("unreachable")


def ensure_membership(dz: Any, domain_id: str, project_id: str, user_id: str,
                      designation: str = "PROJECT_CONTRIBUTOR") -> bool:
    """Make user profile ``user_id`` a member of the project; False if it already was."""
    for member in paginate(dz, "list_project_memberships", domainIdentifier=domain_id, projectIdentifier=project_id):
        if dig(member, "memberDetails.user.userId") == user_id:
            return False
    try:
        dz.create_project_membership(domainIdentifier=domain_id, projectIdentifier=project_id,
                                     member={"userIdentifier": user_id}, designation=designation)
    except ClientError as exc:
        if error_code(exc) != "ConflictException":
            raise
        return False
    return True


# ---------------------------------------------------- environments (steps 6, 9)

def ensure_environment_profile(dz: Any, domain_id: str, project_id: str, name: str, blueprint: str,
                               account_id: str, region: str,
                               user_parameters: dict[str, str] | None = None, description: str = "") -> dict[str, Any]:
    """Get or create environment profile ``name`` (a blueprint bound to an account and Region).

    The console's "quick setup" profiles are nothing but this call.
    """
    bp_id = blueprint_id(dz, domain_id, blueprint)
    for item in paginate(dz, "list_environment_profiles", domainIdentifier=domain_id, name=name,
                         projectIdentifier=project_id):
        if item["name"] == name:
            return dz.get_environment_profile(domainIdentifier=domain_id, identifier=item["id"])
    kwargs: dict[str, Any] = {"domainIdentifier": domain_id, "projectIdentifier": project_id, "name": name,
                              "environmentBlueprintIdentifier": bp_id, "awsAccountId": account_id,
                              "awsAccountRegion": region, "description": description or name}
    if user_parameters:
        kwargs["userParameters"] = [{"name": k, "value": v} for k, v in user_parameters.items()]
    return dz.create_environment_profile(**kwargs)


#: Environment statuses a deployment ends in when it failed: a re-run deletes and recreates them.
FAILED_ENVIRONMENT = frozenset({"CREATE_FAILED", "VALIDATION_FAILED"})


def find_environment(dz: Any, domain_id: str, project_id: str, name: str) -> dict[str, Any] | None:
    """The project's environment called ``name`` that is not deleted, or None."""
    for item in paginate(dz, "list_environments", domainIdentifier=domain_id, projectIdentifier=project_id, name=name):
        if item["name"] == name and item.get("status") not in {"DELETED", "DELETING"}:
            return item
    return None


def _replace_failed_environment(dz: Any, domain_id: str, environment: dict[str, Any]) -> None:
    """Say why an environment failed (AWS's ``lastDeployment.failureReason``), delete it, wait until it is gone."""
    reason = failure_reason(environment) or "the service gave no reason"
    print(f"environment {environment['name']} ended {environment['status']}: {reason}; "
          "deleting it and creating it again")
    dz.delete_environment(domainIdentifier=domain_id, identifier=environment["id"])
    wait_gone(lambda: dz.get_environment(domainIdentifier=domain_id, identifier=environment["id"]),
              f"deletion of environment {environment['name']}", kind="environment_delete")


def ensure_environment(dz: Any, domain_id: str, project_id: str, name: str, profile_id: str,
                       user_parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """Get or start creating environment ``name``; does NOT wait (start several, then wait).

    Behind ``create_environment`` DataZone deploys the blueprint's CloudFormation stack in
    the profile's account with the provisioning role: for a data lake the Glue databases
    ``<env>_pub_db``/``<env>_sub_db``, an Athena workgroup and an IAM user role; for a
    data warehouse the Redshift schema ``datazone_env_<env>`` and its grants. An environment
    left ``CREATE_FAILED``/``VALIDATION_FAILED`` by an earlier run is reported with AWS's
    reason, deleted and created again (after the cause is fixed, a re-run heals it).
    """
    found = find_environment(dz, domain_id, project_id, name)
    if found:
        current = dz.get_environment(domainIdentifier=domain_id, identifier=found["id"])
        if current.get("status") not in FAILED_ENVIRONMENT:
            return current
        _replace_failed_environment(dz, domain_id, current)
    kwargs: dict[str, Any] = {"domainIdentifier": domain_id, "projectIdentifier": project_id, "name": name,
                              "environmentProfileIdentifier": profile_id}
    if user_parameters:
        kwargs["userParameters"] = [{"name": k, "value": v} for k, v in user_parameters.items()]
    return dz.create_environment(**kwargs)


def wait_environment(dz: Any, domain_id: str, environment_id: str, name: str = "",
                     timeout: float = 3600) -> dict[str, Any]:
    """Wait until the environment is ACTIVE (CREATE_FAILED/VALIDATION_FAILED raise with
    ``lastDeployment.failureReason.message``)."""
    return wait_for(lambda: dz.get_environment(domainIdentifier=domain_id, identifier=environment_id),
                    f"environment {name or environment_id}", lambda r: r.get("status"), {"ACTIVE"},
                    {"CREATE_FAILED", "VALIDATION_FAILED", "UPDATE_FAILED", "DELETE_FAILED", "DELETED",
                     "SUSPENDED", "DISABLED", "EXPIRED", "INACCESSIBLE"}, timeout=timeout,
                    kind="environment_create")


def provisioned(environment: dict[str, Any]) -> dict[str, str]:
    """An environment's ``provisionedResources`` as {name: value} (glueProducerDBName, ...)."""
    return {r["name"]: r["value"] for r in environment.get("provisionedResources") or []}


# ------------------------------------------------------- data sources (step 7)

def glue_source_configuration(database: str, include: str = "*", exclude: list[str] | None = None) -> dict[str, Any]:
    """``configuration`` of a GLUE data source importing ``database``'s tables matching ``include``."""
    expressions = [{"type": "INCLUDE", "expression": include}]
    expressions += [{"type": "EXCLUDE", "expression": e} for e in exclude or []]
    return {"glueRunConfiguration": {"relationalFilterConfigurations": [
        {"databaseName": database, "filterExpressions": expressions}]}}


def redshift_source_configuration(database: str, schema: str, secret_arn: str, cluster: Warehouse | str,
                                  include: str = "*") -> dict[str, Any]:
    """``configuration`` of a REDSHIFT data source importing ``database.schema`` of a cluster or workgroup."""
    return {"redshiftRunConfiguration": {
        "relationalFilterConfigurations": [{"databaseName": database, "schemaName": schema,
                                            "filterExpressions": [{"type": "INCLUDE", "expression": include}]}],
        "redshiftCredentialConfiguration": {"secretManagerArn": secret_arn},
        "redshiftStorage": Warehouse.of(cluster).storage(),
    }}


def ensure_data_source(dz: Any, domain_id: str, project_id: str, environment_id: str, name: str,
                       source_type: str, configuration: dict[str, Any], wait: bool = True) -> dict[str, Any]:
    """Get or create data source ``name`` (GLUE or REDSHIFT) and wait until it is READY.

    A data source tells DataZone where to harvest technical metadata (Glue catalog or
    Redshift schema) into the project's inventory as assets; nothing is published yet.
    """
    found = next((d for d in paginate(dz, "list_data_sources", domainIdentifier=domain_id,
                                      projectIdentifier=project_id, name=name) if d["name"] == name), None)
    if found:
        source_id = found["dataSourceId"]
    else:
        source_id = dz.create_data_source(
            domainIdentifier=domain_id, projectIdentifier=project_id, environmentIdentifier=environment_id,
            name=name, type=source_type, configuration=configuration, enableSetting="ENABLED",
            publishOnImport=False, recommendation={"enableBusinessNameGeneration": True})["id"]
    if not wait:
        return dz.get_data_source(domainIdentifier=domain_id, identifier=source_id)
    return wait_data_source(dz, domain_id, source_id, name)


def wait_data_source(dz: Any, domain_id: str, source_id: str, name: str = "") -> dict[str, Any]:
    """Wait until the data source is READY (FAILED_* raise with DataZone's reason)."""
    return wait_for(lambda: dz.get_data_source(domainIdentifier=domain_id, identifier=source_id),
                    f"data source {name or source_id}", lambda r: r.get("status"), {"READY"},
                    {"FAILED_CREATION", "FAILED_UPDATE", "FAILED_DELETION"}, timeout=900,
                    kind="data_source_create")


def ensure_data_sources(dz: Any, domain_id: str, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Get or create several data sources, THEN wait for all of them (their creations overlap).

    Each spec holds :func:`ensure_data_source`'s arguments: ``project_id``, ``environment_id``,
    ``name``, ``source_type``, ``configuration``.
    """
    started = [ensure_data_source(dz, domain_id, wait=False, **spec) for spec in specs]
    return [wait_data_source(dz, domain_id, source["id"], source["name"]) for source in started]


_RUN_ACTIVE = {"REQUESTED", "RUNNING"}


def run_data_source(dz: Any, domain_id: str, data_source_id: str, name: str = "",
                    timeout: float = 1800) -> dict[str, Any]:
    """Run the data source once (or join the run already in progress) and wait for its end.

    A run may start by itself when the data source is created: ``list_data_source_runs``
    comes first so no ConflictException is raised. SUCCESS and PARTIALLY_SUCCEEDED end the
    wait; FAILED raises with the run's ``errorMessage``.
    """
    return wait_run(dz, domain_id, start_or_join_run(dz, domain_id, data_source_id), name or data_source_id,
                    timeout)


def start_or_join_run(dz: Any, domain_id: str, data_source_id: str) -> str:
    """The id of the data source's run in progress, or of a run started now."""
    running = next((r for r in paginate(dz, "list_data_source_runs", domainIdentifier=domain_id,
                                        dataSourceIdentifier=data_source_id) if r["status"] in _RUN_ACTIVE), None)
    if running:
        return running["id"]
    try:
        return dz.start_data_source_run(domainIdentifier=domain_id, dataSourceIdentifier=data_source_id)["id"]
    except ClientError as exc:
        if error_code(exc) != "ConflictException":
            raise
        return next(r["id"] for r in paginate(dz, "list_data_source_runs", domainIdentifier=domain_id,
                                              dataSourceIdentifier=data_source_id) if r["status"] in _RUN_ACTIVE)


def wait_run(dz: Any, domain_id: str, run_id: str, name: str, timeout: float = 1800) -> dict[str, Any]:
    """Wait for a data source run's end (SUCCESS or PARTIALLY_SUCCEEDED; FAILED raises with its errorMessage)."""
    return wait_for(lambda: dz.get_data_source_run(domainIdentifier=domain_id, identifier=run_id),
                    f"data source run of {name}", lambda r: r.get("status"),
                    {"SUCCESS", "PARTIALLY_SUCCEEDED"}, {"FAILED"}, timeout=timeout,
                    kind="data_source_run")


def run_activities(dz: Any, domain_id: str, run_id: str) -> list[dict[str, Any]]:
    """What a run did per table: technicalName, dataAssetId, dataAssetStatus (SKIPPED_NO_ACCESS = Lake Formation)."""
    return list(paginate(dz, "list_data_source_run_activities", domainIdentifier=domain_id, identifier=run_id))


def data_source_assets(dz: Any, domain_id: str, data_source_id: str) -> dict[str, str]:
    """{technical table name: asset id} of every asset the data source's runs made or updated."""
    assets: dict[str, str] = {}
    runs = sorted(paginate(dz, "list_data_source_runs", domainIdentifier=domain_id,
                           dataSourceIdentifier=data_source_id), key=lambda r: str(r.get("createdAt")))
    for run in runs:
        for activity in run_activities(dz, domain_id, run["id"]):
            if activity.get("dataAssetId"):
                assets[activity["technicalName"]] = activity["dataAssetId"]
    return assets


def accept_predictions(dz: Any, domain_id: str, asset_id: str) -> bool:
    """Accept all the metadata DataZone generated for the asset ("Accept All" in the portal).

    Business-name generation renames ``mkt_sls_table`` to e.g. "Market Sales Table": later
    steps match on the asset id, never the name. False when there was nothing to accept.
    """
    try:
        dz.accept_predictions(domainIdentifier=domain_id, identifier=asset_id, acceptRule={"rule": "ALL"})
    except ClientError as exc:
        if error_code(exc) in {"ValidationException", "ConflictException"}:
            return False
        raise
    return True


def publish_asset(dz: Any, domain_id: str, asset_id: str, timeout: float = 900) -> dict[str, Any]:
    """Publish the asset to the business data catalog and wait until its listing is ACTIVE.

    ``create_listing_change_set(action="PUBLISH")`` makes a listing (a snapshot of the asset's
    metadata) that every project of the domain, in any associated account, can find and
    subscribe to. An asset already listed and ACTIVE is left as it is.
    """
    listing_id, name = start_publish(dz, domain_id, asset_id)
    return wait_listing(dz, domain_id, listing_id, name, timeout)


def start_publish(dz: Any, domain_id: str, asset_id: str) -> tuple[str, str]:
    """Publish the asset unless it is listed or being listed: ``(listing id, asset name)``."""
    asset = dz.get_asset(domainIdentifier=domain_id, identifier=asset_id)
    listing = asset.get("listing") or {}
    if listing.get("listingStatus") in ("ACTIVE", "CREATING"):
        return listing["listingId"], asset.get("name", asset_id)
    return (dz.create_listing_change_set(domainIdentifier=domain_id, entityIdentifier=asset_id,
                                         entityType="ASSET", action="PUBLISH")["listingId"], asset.get("name", asset_id))


def wait_listing(dz: Any, domain_id: str, listing_id: str, name: str, timeout: float = 900) -> dict[str, Any]:
    """Wait until the listing is ACTIVE (INACTIVE raises)."""
    return wait_for(lambda: dz.get_listing(domainIdentifier=domain_id, identifier=listing_id),
                    f"listing of {name}", lambda r: r.get("status"), {"ACTIVE"},
                    {"INACTIVE"}, timeout=timeout, kind="listing_publish")


# ------------------------------------------------------ search and subscribe (step 10)

def search_listings(dz: Any, domain_id: str, text: str = "") -> list[dict[str, Any]]:
    """The catalog's asset listings matching ``text`` (``search_listings``), as assetListing dicts."""
    kwargs: dict[str, Any] = {"domainIdentifier": domain_id}
    if text:
        kwargs["searchText"] = text
    return [item["assetListing"] for item in paginate(dz, "search_listings", **kwargs) if item.get("assetListing")]


def listed(dz: Any, domain_id: str, listing_ids: set[str], timeout: float = 120) -> list[dict[str, Any]]:
    """The catalog's listings among ``listing_ids``, searched again until all show or ``timeout`` seconds pass.

    The catalog's search index follows a publication after a moment; the caller decides
    what a listing still missing at the end means.
    """
    import time

    deadline = time.monotonic() + timeout
    while True:
        found = [item for item in search_listings(dz, domain_id) if item.get("listingId") in listing_ids]
        if {item["listingId"] for item in found} >= listing_ids or time.monotonic() >= deadline:
            return found
        time.sleep(5)


def listing_for_asset(dz: Any, domain_id: str, asset_id: str, text: str = "") -> dict[str, Any]:
    """The catalog listing of asset ``asset_id`` (found by id: names change with business names)."""
    for listing in search_listings(dz, domain_id, text):
        if listing.get("entityId") == asset_id:
            return listing
    if text:
        return listing_for_asset(dz, domain_id, asset_id)
    raise LookupError(f"asset {asset_id} is not published in domain {domain_id}: run 06_publisher_publish_assets")


def ensure_subscription_request(dz: Any, domain_id: str, project_id: str, listing_id: str,
                                reason: str) -> dict[str, Any]:
    """Request a subscription of ``project_id`` to ``listing_id``, unless one is pending or accepted.

    DataZone notifies the listing's owning project, whose members approve or reject it.
    """
    for status in ("PENDING", "ACCEPTED"):
        for item in paginate(dz, "list_subscription_requests", domainIdentifier=domain_id, status=status,
                             subscribedListingId=listing_id, owningProjectId=project_id):
            return item
    return dz.create_subscription_request(
        domainIdentifier=domain_id, requestReason=reason,
        subscribedPrincipals=[{"project": {"identifier": project_id}}],
        subscribedListings=[{"identifier": listing_id}])


def pending_requests(dz: Any, domain_id: str, approver_project_id: str) -> list[dict[str, Any]]:
    """Subscription requests waiting for the approval of project ``approver_project_id``."""
    return list(paginate(dz, "list_subscription_requests", domainIdentifier=domain_id, status="PENDING",
                         approverProjectId=approver_project_id))


def approve_request(dz: Any, domain_id: str, request_id: str, comment: str) -> dict[str, Any]:
    """Accept a subscription request. DataZone then creates a subscription and grants access to
    every environment of the subscribing project (Lake Formation grants through a resource link
    for Glue tables, a Redshift datashare for Redshift tables)."""
    return dz.accept_subscription_request(domainIdentifier=domain_id, identifier=request_id,
                                          decisionComment=comment)


def wait_grant(dz: Any, domain_id: str, environment_id: str, listing_id: str, name: str = "",
               timeout: float = 1800) -> dict[str, Any]:
    """Wait until the subscription grant of ``listing_id`` to ``environment_id`` is COMPLETED.

    Grants are made asynchronously after approval; until one exists the status is "NO GRANT YET".
    GRANT_FAILED raises with the asset's ``failureCause.message``.
    """
    def latest() -> dict[str, Any]:
        grants = list(paginate(dz, "list_subscription_grants", domainIdentifier=domain_id,
                               environmentId=environment_id, subscribedListingId=listing_id))
        if not grants:
            return {"status": "NO GRANT YET"}
        return dz.get_subscription_grant(domainIdentifier=domain_id, identifier=grants[-1]["id"])

    return wait_for(latest, f"subscription grant of {name or listing_id}", lambda r: r.get("status"),
                    {"COMPLETED"}, {"GRANT_FAILED", "GRANT_AND_REVOKE_FAILED", "INACCESSIBLE"}, timeout=timeout,
                    kind="subscription_grant")


def subscriptions(dz: Any, domain_id: str, project_id: str) -> list[dict[str, Any]]:
    """Approved subscriptions of the subscribing project ``project_id``."""
    return list(paginate(dz, "list_subscriptions", domainIdentifier=domain_id, owningProjectId=project_id,
                         status="APPROVED"))


# ------------------------------------------------------- steps as the notebooks call them

def blueprint_configuration_id(account_id: str, blueprint_id: str) -> str:
    """How policy grants name a blueprint configuration: ``<awsAccountId>:<environmentBlueprintId>``."""
    return f"{account_id}:{blueprint_id}"


def grant_environment_profile_creation(dz: Any, domain_id: str, account_id: str, blueprint_id: str,
                                       domain_unit_id: str, designation: str = "CONTRIBUTOR") -> bool:
    """Let projects of the domain unit (and its children) create environment profiles from a blueprint.

    ``put_environment_blueprint_configuration`` alone does not authorize anybody to use the
    blueprint: the console's blueprint page adds this authorization policy, an API script
    must call ``add_policy_grant`` (policy ``CREATE_ENVIRONMENT_PROFILE`` on the entity
    ``ENVIRONMENT_BLUEPRINT_CONFIGURATION`` ``<account>:<blueprint id>``), or DataZone answers
    "User is not permitted to perform operation: CreateEnvironmentProfile". ``designation``
    CONTRIBUTOR admits project owners and contributors. Returns False when the grant existed.
    """
    entity = {"domainIdentifier": domain_id, "entityType": "ENVIRONMENT_BLUEPRINT_CONFIGURATION",
              "entityIdentifier": blueprint_configuration_id(account_id, blueprint_id),
              "policyType": "CREATE_ENVIRONMENT_PROFILE"}
    principal = {"project": {"projectDesignation": designation, "projectGrantFilter": {
        "domainUnitFilter": {"domainUnit": domain_unit_id, "includeChildDomainUnits": True}}}}
    for grant in paginate(dz, "list_policy_grants", **entity):
        if grant.get("principal") == principal:
            return False
    dz.add_policy_grant(**entity, principal=principal,
                        detail={"createEnvironmentProfile": {"domainUnitId": domain_unit_id}})
    return True


def enable_lab_blueprints(dz: Any, domain_id: str, region: str, roles: dict[str, str],
                          s3_location: str, account_id: str) -> list[dict[str, Any]]:
    """Enable DefaultDataLake and DefaultDataWarehouse for the caller's account (what quick setup does).

    ``roles`` comes from :func:`lab_helpers.iam_roles.ensure_blueprint_roles`; the data lake's
    ``S3Location`` is where DataZone-made Glue databases keep their data; ``account_id`` is
    the caller's account. Each configuration also gets the policy grant that lets the domain's
    projects create environment profiles from it. Returns table rows.
    """
    root_unit = dz.get_domain(identifier=domain_id)["rootDomainUnitId"]
    rows = []
    for name, manage in ((DATA_LAKE, roles["glue"]), (DATA_WAREHOUSE, roles["redshift"])):
        params = {"S3Location": s3_location} if name == DATA_LAKE else None
        conf = enable_blueprint(dz, domain_id, name, region, roles["provisioning"], manage, params)
        granted = grant_environment_profile_creation(dz, domain_id, account_id, conf["environmentBlueprintId"], root_unit)
        rows.append({"blueprint": name, "blueprint id": conf["environmentBlueprintId"],
                     "enabled regions": ", ".join(conf.get("enabledRegions") or []),
                     "manage-access role": (conf.get("manageAccessRoleArn") or "").rsplit("/", 1)[-1],
                     "provisioning role": (conf.get("provisioningRoleArn") or "").rsplit("/", 1)[-1],
                     "S3Location": dig(conf, f"regionalParameters.{region}.S3Location") or "",
                     "profile creation granted": "now" if granted else "already"})
    return rows


def ensure_environments(dz: Any, domain_id: str, specs: list[dict[str, Any]],
                        timeout: float = 3600) -> dict[str, dict[str, Any]]:
    """Get or create several environment profiles and environments, THEN wait for all of them.

    Each spec: ``project_id``, ``name`` (environment), ``profile`` (profile name),
    ``blueprint``, ``account_id``, ``region`` and optional ``profile_parameters`` /
    ``parameters`` (environment userParameters). Starting every environment before waiting
    lets their CloudFormation deployments run side by side. Returns {name: get_environment}.
    """
    started = {}
    for spec in specs:
        profile = ensure_environment_profile(dz, domain_id, spec["project_id"], spec["profile"], spec["blueprint"],
                                             spec["account_id"], spec["region"], spec.get("profile_parameters"))
        started[spec["name"]] = ensure_environment(dz, domain_id, spec["project_id"], spec["name"], profile["id"],
                                                   spec.get("parameters"))
    return {name: wait_environment(dz, domain_id, env["id"], name, timeout=timeout) for name, env in started.items()}


def environment_rows(environments: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Table rows: environment, id, status, account, and what it provisioned."""
    return [{"environment": name, "id": env["id"], "status": env.get("status"), "account": env.get("awsAccountId"),
             "provisioned": ", ".join(f"{k}={v}" for k, v in provisioned(env).items()
                                      if "Db" in k or "DB" in k or "chema" in k or "orkgroup" in k)}
            for name, env in environments.items()]


def environment_session(dz: Any, domain_id: str, environment_id: str, region: str) -> Any:
    """A boto3 session acting as the environment's user role (``get_environment_credentials``).

    This is what "Open Athena" in the data portal does: DataZone hands a project member
    temporary credentials of the environment's IAM user role, the principal its Lake
    Formation grants (and subscriptions) are made to. The same call on both backends.
    """
    from .sessions import new_session

    creds = dz.get_environment_credentials(domainIdentifier=domain_id, environmentIdentifier=environment_id)
    return new_session(aws_access_key_id=creds["accessKeyId"], aws_secret_access_key=creds["secretAccessKey"],
                       aws_session_token=creds.get("sessionToken"), region_name=region)


def athena_workgroup(environment: dict[str, Any]) -> str:
    """The Athena workgroup a data lake environment provisioned, read from ``provisionedResources``.

    The resource's name is not documented (the stand-in says ``athenaWorkgroupName``), so it is
    looked up by type/name rather than assumed; no workgroup found is an error naming what
    the environment did provision (never a silent fall-back to ``primary``).
    """
    for resource in environment.get("provisionedResources") or []:
        if "workgroup" in resource.get("name", "").lower() and "athena" in (resource.get("name", "") + resource.get("type", "")).lower():
            return resource["value"]
    names = ", ".join(r.get("name", "?") for r in environment.get("provisionedResources") or []) or "nothing"
    raise LookupError(f"environment {environment.get('name')} provisioned no Athena workgroup (it lists {names}): "
                      "open the environment in the data portal and check its deployment")


def glue_database(environment: dict[str, Any], kind: str = "Producer") -> str:
    """The Glue database a data lake environment made: ``<env>_pub_db`` (Producer) or ``<env>_sub_db`` (Consumer)."""
    res = provisioned(environment)
    found = res.get(f"glue{kind}DBName") or res.get(f"glue{kind}DbName")
    suffix = "pub_db" if kind == "Producer" else "sub_db"
    return found or f"{environment['name'].lower()}_{suffix}"


def redshift_schema(environment: dict[str, Any]) -> str:
    """The Redshift schema a data warehouse environment made: ``datazone_env_<environment name>``."""
    for key, value in provisioned(environment).items():
        if "schema" in key.lower():
            return value
    return f"datazone_env_{environment['name'].lower()}"


def project_rows(projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table rows of ``get_project`` responses."""
    return [{"project": p["name"], "id": p["id"], "status": p.get("projectStatus", ""),
             "created by": p.get("createdBy", "")} for p in projects]


def publish_table(dz: Any, domain_id: str, data_source_id: str, table: str, name: str = "") -> dict[str, Any]:
    """Run the data source, accept the generated metadata of ``table``'s asset and publish it.

    Returns a table row: table, asset id, asset (business) name, listing id, listing status,
    and the run's statistics. This is "Run → Accept All → Publish Asset" in the portal.
    """
    return publish_tables(dz, domain_id, [(data_source_id, table, name)])[0]


def publish_tables(dz: Any, domain_id: str, items: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """:func:`publish_table` for several ``(data_source_id, table, name)`` at once, stage by stage.

    Every run is started before any is waited for, and every publication before any listing
    is waited for, so the data sources' runs and the listings proceed side by side (on AWS a
    run takes about a minute: two in a row would take two). Returns one row per item.
    """
    runs = [wait_run(dz, domain_id, run_id, name) for run_id, name in
            [(start_or_join_run(dz, domain_id, source_id), name) for source_id, _, name in items]]
    assets = []
    for (source_id, table, name), run in zip(items, runs):
        found = data_source_assets(dz, domain_id, source_id)
        if table not in found:
            skipped = [f"{a['technicalName']}: {a.get('dataAssetStatus')}" for a in run_activities(dz, domain_id, run["id"])]
            raise LookupError(f"the run of {name or source_id} made no asset for {table!r} "
                              f"(activities: {'; '.join(skipped) or 'none'})")
        assets.append((found[table], accept_predictions(dz, domain_id, found[table])))
    publishing = [start_publish(dz, domain_id, asset_id) for asset_id, _ in assets]
    listings = [wait_listing(dz, domain_id, listing_id, name) for listing_id, name in publishing]
    rows = []
    for (_, table, _), run, (asset_id, accepted), listing in zip(items, runs, assets, listings):
        stats = run.get("runStatisticsForAssets") or {}
        rows.append({"table": table, "asset id": asset_id, "asset name": listing.get("name", ""),
                     "metadata accepted": accepted, "listing id": listing["id"], "listing status": listing["status"],
                     "run": run["status"], "added/updated/unchanged": "/".join(str(stats.get(k, 0)) for k in
                                                                                ("added", "updated", "unchanged"))})
    return rows


def find_listing(dz: Any, domain_id: str, asset_id: str | None = None, text: str = "") -> dict[str, Any]:
    """The listing of ``asset_id`` if known, else the first listing whose name/technical name matches ``text``."""
    if asset_id:
        return listing_for_asset(dz, domain_id, asset_id, text)
    for listing in search_listings(dz, domain_id, text):
        return listing
    raise LookupError(f"nothing in the catalog matches {text!r}: run 06_publisher_publish_assets")


def listing_rows(listings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table rows of search results (assetListing items)."""
    return [{"name": item.get("name"), "asset id": item.get("entityId"), "listing id": item.get("listingId"),
             "revision": item.get("listingRevision"), "type": item.get("entityType"),
             "owning project id": item.get("owningProjectId")} for item in listings]


def request_rows(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table rows of subscription requests."""
    rows = []
    for req in requests:
        listing = (req.get("subscribedListings") or [{}])[0]
        principal = (req.get("subscribedPrincipals") or [{}])[0].get("project", {})
        rows.append({"request id": req["id"], "status": req.get("status"), "asset": listing.get("name", ""),
                     "subscriber project": principal.get("name") or principal.get("id", ""),
                     "reason": req.get("requestReason", ""), "decision": req.get("decisionComment", "")})
    return rows


def decided_requests(dz: Any, domain_id: str, approver_project_id: str) -> list[dict[str, Any]]:
    """Requests the project already accepted (to show on a re-run)."""
    return list(paginate(dz, "list_subscription_requests", domainIdentifier=domain_id, status="ACCEPTED",
                         approverProjectId=approver_project_id))


def grant_row(grant: dict[str, Any], name: str) -> dict[str, Any]:
    """Table row of a subscription grant."""
    assets = grant.get("assets") or [{}]
    return {"asset": name, "grant id": grant.get("id"), "grant status": grant.get("status"),
            "asset status": assets[0].get("status", ""), "target": assets[0].get("targetName", ""),
            "environment id": grant.get("environmentId")}


__all__ = [name for name in dir() if not name.startswith("_") and name not in {
    "annotations", "Any", "Iterator", "ClientError", "re", "dig", "error_code", "retry", "wait_for"}]
