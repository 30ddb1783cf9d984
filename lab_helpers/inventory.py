"""What the lab made, per account: ``python -m lab_helpers inventory`` and notebook 99.

Every kind of resource is found on its own terms, never only through a parent, so a
resource whose parent was deleted first (an orphan) is still listed:

- DataZone, in the lab's domain (found by name): projects, environment profiles (listed per
  account, not per project), subscriptions, subscription grants, pending subscription
  requests, listings and assets (searched domain-wide), blueprint configurations; the
  environments and data sources of each project (DataZone lists them only per project, and
  deleting a project deletes them, see below).
- What environments provision, listed in each account directly: the environments' Glue
  databases and tables, Athena workgroups, the environment user roles (``datazone_usr_*``)
  of the lab's domain or of a domain that is gone. DataZone's DeleteProject removes a
  project's environments but not these (user guide, "Delete project").
- The ``DataZone-<domain>-`` RAM share, the roles the lab tagged, and the prerequisites of
  00 (bucket, cluster, secret).

Accounts: every set in ``LabState.accounts_used()`` (same backend) plus the config's own,
so an account the settings have moved away from is still covered. Nothing comes from the
state file's ids, so the inventory is right even when the state file is lost.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.exceptions import ClientError

from . import datazone as dz
from .config import LabConfig
from .iam_roles import LAB_TAG, lab_roles

PRODUCER_PROJECTS = ("Glue_Publish_Project", "Redshift_Publish_Project")
CONSUMER_PROJECTS = ("Glue_Subscribe_Project", "Redshift_Subscribe_Project")
#: The environments of 05 (producer) and 07 (consumer), and what their blueprints name after them.
DATA_LAKE_ENVIRONMENTS = ("Glue_Publish_Environment", "glue_subscribe_environment")
LAB_GLUE_DATABASES = tuple(f"{env.lower()}_{kind}_db" for env in DATA_LAKE_ENVIRONMENTS for kind in ("pub", "sub"))
LAB_WORKGROUPS = tuple(f"{env.lower()}_wg" for env in DATA_LAKE_ENVIRONMENTS)
ENVIRONMENT_ROLE_PREFIX = "datazone_usr_"
Item = dict[str, str]
SIDES = (("producer", "producer_admin", "publisher"), ("consumer", "consumer_admin", "subscriber"))


def account_label(side: str, account_id: str, region: str | None = None) -> str:
    return f"{side} ({account_id})" if region is None else f"{side} ({account_id}, {region})"


def _item(kind: str, name: str, ident: str = "", status: str = "") -> Item:
    return {"type": kind, "name": name, "id": ident, "status": status or ""}


def _safe(items: list[Item], errors: list[Item], what: str, fn: Callable[[], list[Item]]) -> None:
    """Add ``fn()``'s items; an access error becomes a line saying what could not be listed."""
    try:
        items.extend(fn())
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in {"ResourceNotFoundException", "AccessDeniedException", "UnauthorizedException"}:
            errors.append(_item("(not listed)", what, "", code))
    except LookupError:
        pass


def account_sets(config: LabConfig) -> list[LabConfig]:
    """``config`` for each of its consumer accounts, and every other set of accounts the lab used
    (``accounts_used``, same backend): one producer and one consumer each."""
    from .state import LabState

    found = config.each_consumer()
    for entry in LabState(config.work_dir).accounts_used():
        if entry.get("backend", config.backend) != config.backend:
            continue
        try:
            other = entry_config(config, entry)
        except (KeyError, TypeError, ValueError):
            continue
        if all(_accounts(other) != _accounts(c) for c in found):
            found.append(other)
    return found


def entry_config(config: LabConfig, entry: dict[str, str]) -> LabConfig:
    """``config`` moved to an ``accounts_used`` entry's Region and accounts (a consumer of ``config``: with its credentials)."""
    other = dataclasses.replace(config, region=entry.get("region") or config.region,
                                producer_account_id=entry["producer_account_id"],
                                consumer_account_id=entry["consumer_account_id"])
    if other.consumer_account_id in config.consumers:
        other = dataclasses.replace(config.for_consumer(other.consumer_account_id), region=other.region,
                                    producer_account_id=other.producer_account_id)
    return other


def _accounts(config: LabConfig) -> tuple[str, str, str]:
    return config.region, config.producer_account_id, config.consumer_account_id


# --------------------------------------------------------------------------- DataZone
def domain_items(dzc: Any, domain_name: str) -> tuple[dict[str, Any] | None, list[Item]]:
    found = dz.find_domain(dzc, domain_name)
    if not found:
        return None, []
    return found, [_item("DataZone domain", found["name"], found["id"], found.get("status", ""))]


def projects_of(dzc: Any, domain_id: str) -> list[dict[str, Any]]:
    """Every project of the domain the caller is a member of."""
    return list(dz.paginate(dzc, "list_projects", domainIdentifier=domain_id))


def project_items(dzc: Any, domain_id: str, projects: Iterable[dict[str, Any]]) -> list[Item]:
    """Projects with their environments and data sources (DataZone lists those only per project)."""
    items: list[Item] = []
    for project in projects:
        pid = project["id"]
        items.append(_item("DataZone project", project["name"], pid, project.get("projectStatus", "")))
        for env in dz.paginate(dzc, "list_environments", domainIdentifier=domain_id, projectIdentifier=pid):
            if env.get("status") != "DELETED":
                items.append(_item("DataZone environment", env["name"], env["id"], env.get("status", "")))
        for src in dz.paginate(dzc, "list_data_sources", domainIdentifier=domain_id, projectIdentifier=pid):
            items.append(_item("DataZone data source", src["name"], src["dataSourceId"], src.get("status", "")))
    return items


def profile_items(dzc: Any, domain_id: str, account_id: str) -> list[Item]:
    """Environment profiles placed in ``account_id``, whatever project they belong to."""
    return [_item("DataZone environment profile", p["name"], p["id"])
            for p in dz.paginate(dzc, "list_environment_profiles", domainIdentifier=domain_id, awsAccountId=account_id)]


def live_grant(grant: dict[str, Any]) -> bool:
    """A grant still in effect: not every asset of it is revoked (a revoked grant is history)."""
    assets = grant.get("assets") or []
    return grant.get("status") not in {"DELETED"} and not (assets and all(a.get("status") == "REVOKED" for a in assets))


def catalog_items(dzc: Any, domain_id: str) -> dict[str, Callable[[], list[Item]]]:
    """Domain-wide kinds the caller can see, each a listing function: subscriptions, grants, requests, listings, assets."""
    def subscriptions() -> list[Item]:
        return [_item("DataZone subscription", s["subscribedListing"].get("name", ""), s["id"], s.get("status", ""))
                for s in dz.paginate(dzc, "list_subscriptions", domainIdentifier=domain_id, status="APPROVED")]

    def grants() -> list[Item]:
        """Named by their listing (a grant carries only the listing's id; subscriptions carry its name)."""
        names = {s["subscribedListing"].get("id"): s["subscribedListing"].get("name", "")
                 for status in ("APPROVED", "REVOKED", "CANCELLED")
                 for s in dz.paginate(dzc, "list_subscriptions", domainIdentifier=domain_id, status=status)}
        listing = lambda g: g.get("grantedEntity", {}).get("listing", {}).get("id", "")  # noqa: E731
        return [_item("DataZone subscription grant", names.get(listing(g)) or listing(g), g["id"], g.get("status", ""))
                for g in dz.paginate(dzc, "list_subscription_grants", domainIdentifier=domain_id) if live_grant(g)]

    def requests() -> list[Item]:
        return [_item("DataZone subscription request",
                      ", ".join(x.get("name", "") for x in r.get("subscribedListings", [])), r["id"], r.get("status", ""))
                for r in dz.paginate(dzc, "list_subscription_requests", domainIdentifier=domain_id, status="PENDING")]

    def listings() -> list[Item]:
        return [_item("DataZone listing", x.get("name", ""), x.get("listingId", ""), "ACTIVE")
                for x in dz.search_listings(dzc, domain_id)]

    def assets() -> list[Item]:
        return [_item("DataZone asset", a["assetItem"].get("name", ""), a["assetItem"].get("identifier", ""))
                for a in dz.paginate(dzc, "search", domainIdentifier=domain_id, searchScope="ASSET") if "assetItem" in a]

    return {"subscriptions": subscriptions, "subscription grants": grants, "subscription requests": requests,
            "listings": listings, "assets": assets}


def blueprint_items(dzc: Any, domain_id: str) -> list[Item]:
    names = {b["id"]: b["name"] for b in dz.paginate(dzc, "list_environment_blueprints", domainIdentifier=domain_id,
                                                      managed=True)}
    return [_item("DataZone blueprint configuration", names.get(c["environmentBlueprintId"], c["environmentBlueprintId"]),
                  c["environmentBlueprintId"], ",".join(c.get("enabledRegions") or []))
            for c in dz.blueprint_configurations(dzc, domain_id)]


def share_items(ram: Any, domain_name: str) -> list[Item]:
    return [_item("RAM resource share", s["name"], s["resourceShareArn"], s.get("status", ""))
            for s in dz.paginate(ram, "get_resource_shares", resourceOwner="SELF", resourceShareStatus="ACTIVE")
            if s["name"].startswith(f"DataZone-{domain_name}-")]


# --------------------------------------------------------------------------- what environments provision
def glue_items(glue: Any) -> list[Item]:
    items = []
    for db in dz.paginate(glue, "get_databases"):
        if db["Name"] in LAB_GLUE_DATABASES:
            items.append(_item("Glue database", db["Name"]))
            for tbl in dz.paginate(glue, "get_tables", DatabaseName=db["Name"]):
                items.append(_item("Glue table", f"{db['Name']}.{tbl['Name']}", "", tbl.get("TableType", "")))
    return items


def workgroup_items(athena: Any) -> list[Item]:
    """The data lake environments' Athena workgroups (``<environment>_wg``)."""
    found, token = [], None
    while True:
        page = athena.list_work_groups(**({"NextToken": token} if token else {}))
        found += page.get("WorkGroups", [])
        token = page.get("NextToken")
        if not token:
            break
    return [_item("Athena workgroup", w["Name"], "", w.get("State", "")) for w in found if w["Name"] in LAB_WORKGROUPS]


def _role_domains(iam: Any, name: str) -> set[str]:
    """The DataZone domain ids an environment role's inline policies name."""
    found: set[str] = set()
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        text = document if isinstance(document, str) else json.dumps(document)
        found |= set(re.findall(r"dzd[-_][a-zA-Z0-9_-]{1,36}", unquote(text)))
    return found


def environment_role_items(iam: Any, dzc: Any, lab_domain_id: str | None) -> list[Item]:
    """Environment user roles (``datazone_usr_<environment id>``) of the lab's domain or of a domain that is gone.

    The stack of an environment makes this role; when the environment record is deleted without
    its stack (DeleteProject with skipDeletionCheck) the role stays: an orphan.
    """
    items = []
    gone: dict[str, bool] = {}

    def is_gone(domain_id: str) -> bool:
        if domain_id not in gone:
            try:
                gone[domain_id] = dzc.get_domain(identifier=domain_id).get("status") in {"DELETED"}
            except ClientError as exc:
                gone[domain_id] = exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"
        return gone[domain_id]

    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if not role["RoleName"].startswith(ENVIRONMENT_ROLE_PREFIX):
                continue
            domains = _role_domains(iam, role["RoleName"])
            if (lab_domain_id and lab_domain_id in domains) or any(is_gone(d) for d in domains):
                items.append(_item("IAM role (environment user role)", role["RoleName"], role["Arn"]))
    return items


def role_items(iam: Any) -> list[Item]:
    items = []
    for role in lab_roles(iam):
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role["RoleName"]).get("Tags", [])}
        if tags.get(LAB_TAG["Key"]) == LAB_TAG["Value"]:
            items.append(_item("IAM role", role["RoleName"], role["Arn"]))
    return items


def serverless_items(rs: Any, config: LabConfig) -> list[Item]:
    """The lab's Redshift Serverless workgroup and namespace, if they exist."""
    items: list[Item] = []
    for kind, call, key in (("Redshift Serverless workgroup", lambda: rs.get_workgroup(workgroupName=config.redshift_workgroup), "workgroup"),
                            ("Redshift Serverless namespace", lambda: rs.get_namespace(namespaceName=config.redshift_namespace), "namespace")):
        try:
            found = call()[key]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            continue
        items.append(_item(kind, found[f"{key}Name"], found[f"{key}Arn"], found.get("status", "")))
    return items


def prerequisite_items(session: boto3.Session, config: LabConfig, account_id: str) -> list[Item]:
    from .prerequisites import bucket_name

    items: list[Item] = []
    s3 = session.client("s3")
    bucket = bucket_name(account_id, config.region)
    if any(b["Name"] == bucket for b in s3.list_buckets().get("Buckets", [])):
        items.append(_item("S3 bucket", bucket))
    if config.warehouse.serverless:
        items += serverless_items(session.client("redshift-serverless"), config)
    else:
        redshift = session.client("redshift")
        try:
            for cluster in redshift.describe_clusters(ClusterIdentifier=config.redshift_cluster)["Clusters"]:
                items.append(_item("Redshift cluster", cluster["ClusterIdentifier"], cluster.get("NodeType", ""),
                                   cluster.get("ClusterStatus", "")))
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in {"ClusterNotFound", "ClusterNotFoundFault"}:
                raise
    sm = session.client("secretsmanager")
    try:
        secret = sm.describe_secret(SecretId=config.redshift_secret)
        if not secret.get("DeletedDate"):
            items.append(_item("Secrets Manager secret", secret["Name"], secret["ARN"]))
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in {"ResourceNotFoundException"}:
            raise
    return items


# --------------------------------------------------------------------------- the inventory
def _dedupe(items: list[Item]) -> list[Item]:
    seen, out = set(), []
    for item in items:
        key = (item["type"], item["name"], item["id"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def accounts_inventory(config: LabConfig, label_region: bool = False) -> dict[str, list[Item]]:
    """{account label: items} for the producer and consumer accounts of ``config`` alone."""
    from .sessions import persona_session

    def session(persona: str) -> boto3.Session:
        return persona_session(config, persona)

    region = config.region if label_region else None
    labels = {side: account_label(side, config.account_of_side(side), region) for side, _, _ in SIDES}
    items: dict[str, list[Item]] = {side: [] for side, _, _ in SIDES}
    errors: dict[str, list[Item]] = {side: [] for side, _, _ in SIDES}
    admin_dz = session("producer_admin").client("datazone")
    try:  # the domain lives in the producer account; the consumer reaches it by the same id
        domain, found = domain_items(admin_dz, config.domain_name)
    except ClientError:
        domain, found = None, []
    items["producer"] += found
    _safe(items["producer"], errors["producer"], "RAM shares",
          lambda: share_items(session("producer_admin").client("ram"), config.domain_name))
    if domain is not None:
        domain_id = domain["id"]
        seen: set[tuple[str, str]] = set()
        # Catalog kinds are seen by both workers; each is filed once, under the first that sees it:
        # requests, subscriptions and grants under the subscriber, listings and assets under the publisher.
        order = {"subscriptions": ("consumer", "producer"), "subscription grants": ("consumer", "producer"),
                 "subscription requests": ("consumer", "producer"), "listings": ("producer", "consumer"),
                 "assets": ("producer", "consumer")}
        catalog: dict[str, dict[str, list[Item]]] = {}
        for side, admin, worker in SIDES:
            account = config.account_of_side(side)
            admin_c, worker_c = session(admin).client("datazone"), session(worker).client("datazone")
            _safe(items[side], errors[side], "blueprint configurations", lambda: blueprint_items(admin_c, domain_id))
            _safe(items[side], errors[side], "projects",
                  lambda: project_items(worker_c, domain_id, projects_of(worker_c, domain_id)))
            _safe(items[side], errors[side], "environment profiles", lambda: profile_items(worker_c, domain_id, account))
            catalog[side] = {}
            for kind, listed in catalog_items(worker_c, domain_id).items():
                found_items: list[Item] = []
                _safe(found_items, errors[side], f"DataZone {kind}", listed)
                catalog[side][kind] = found_items
        for kind, sides in order.items():
            for side in sides:
                for item in catalog.get(side, {}).get(kind, []):
                    if (kind, item["id"]) not in seen:
                        seen.add((kind, item["id"]))
                        items[side].append(item)
    domain_id = domain["id"] if domain else None
    for side, admin, _ in SIDES:
        account = config.account_of_side(side)
        admin_s = session(admin)
        _safe(items[side], errors[side], "Glue databases", lambda: glue_items(admin_s.client("glue")))
        _safe(items[side], errors[side], "Athena workgroups", lambda: workgroup_items(admin_s.client("athena")))
        _safe(items[side], errors[side], "prerequisites", lambda: prerequisite_items(admin_s, config, account))
        _safe(items[side], errors[side], "IAM roles", lambda: role_items(admin_s.client("iam")))
        _safe(items[side], errors[side], "environment roles",
              lambda: environment_role_items(admin_s.client("iam"), admin_s.client("datazone"), domain_id))
    return {labels[side]: _dedupe(items[side]) + errors[side] for side, _, _ in SIDES}


def lab_inventory(config: LabConfig) -> dict[str, list[Item]]:
    """{account label: [{type, name, id, status}, ...]} of everything the lab made, in every account it used."""
    from .sessions import CredentialsError

    out: dict[str, list[Item]] = {}
    for accounts in account_sets(config):
        try:
            part = accounts_inventory(accounts, label_region=accounts.region != config.region)
        except CredentialsError as exc:  # another set's accounts may not be reachable with today's credentials
            region = accounts.region if accounts.region != config.region else None
            part = {account_label(side, account, region): [_item("(not listed)", "no credentials", "", str(exc))]
                    for side, account in (("producer", accounts.producer_account_id),
                                          ("consumer", accounts.consumer_account_id))}
        for label, items in part.items():
            out[label] = _dedupe(out.get(label, []) + items)
    return _filed_once(out)


def _filed_once(items: dict[str, list[Item]]) -> dict[str, list[Item]]:
    """With several consumer accounts, a consumer's subscription, grant or request is seen by the producer too
    (in another consumer's pass): keep it only under the consumer account that made it."""
    kinds = {"DataZone subscription", "DataZone subscription grant", "DataZone subscription request"}
    consumers = {(i["type"], i["id"]) for label, rows in items.items() if label.startswith("consumer") for i in rows
                 if i["type"] in kinds}
    return {label: [i for i in rows if label.startswith("consumer") or (i["type"], i["id"]) not in consumers]
            for label, rows in items.items()}


def format_inventory(items: dict[str, list[Item]]) -> str:
    """One plain-text table per account (type, name, id, status), rows grouped by type; "nothing" when empty."""
    blocks = []
    for account, rows in items.items():
        if not rows:
            blocks.append(f"{account}: nothing of the lab")
            continue
        header = ("type", "name", "id", "status")
        ordered = sorted(rows, key=lambda r: (r.get("type", ""), r.get("name", "")))
        table = [header] + [tuple(str(r.get(k, "")) for k in header) for r in ordered]
        widths = [min(max(len(row[i]) for row in table), 60) for i in range(4)]
        lines = [f"{account}: {len(rows)} item(s)"]
        for n, row in enumerate(table):
            lines.append("  " + "  ".join(cell[:60].ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if n == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
