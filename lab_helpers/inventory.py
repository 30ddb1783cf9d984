"""What the lab made, per account: ``python -m lab_helpers inventory`` and notebook 99.

Everything is found by name (the domain ``Demo_cross_account_domain``, the walkthrough's
project and environment names, the ``DataZone-<domain>-`` share, the lab's roles, bucket,
cluster and secret), never from the state file, so the inventory is right even when the
state file is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError

from . import datazone as dz
from .config import LabConfig
from .iam_roles import LAB_TAG, lab_roles

PRODUCER_PROJECTS = ("Glue_Publish_Project", "Redshift_Publish_Project")
CONSUMER_PROJECTS = ("Glue_Subscribe_Project", "Redshift_Subscribe_Project")
LAB_GLUE_DATABASES = ("glue_publish_environment_pub_db", "glue_publish_environment_sub_db",
                      "glue_subscribe_environment_pub_db", "glue_subscribe_environment_sub_db")
Item = dict[str, str]


def account_label(side: str, account_id: str) -> str:
    return f"{side} ({account_id})"


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


def domain_items(dzc: Any, domain_name: str) -> tuple[dict[str, Any] | None, list[Item]]:
    found = dz.find_domain(dzc, domain_name)
    if not found:
        return None, []
    return found, [_item("DataZone domain", found["name"], found["id"], found.get("status", ""))]


def project_items(dzc: Any, domain_id: str, names: tuple[str, ...]) -> list[Item]:
    """Projects by name, with their environments, profiles, data sources, subscriptions and listings."""
    items: list[Item] = []
    for name in names:
        project = dz.find_project(dzc, domain_id, name)
        if project is None:
            continue
        pid = project["id"]
        items.append(_item("DataZone project", name, pid, project.get("projectStatus", "")))
        for env in dz.paginate(dzc, "list_environments", domainIdentifier=domain_id, projectIdentifier=pid):
            if env.get("status") != "DELETED":
                items.append(_item("DataZone environment", env["name"], env["id"], env.get("status", "")))
        for prof in dz.paginate(dzc, "list_environment_profiles", domainIdentifier=domain_id, projectIdentifier=pid):
            items.append(_item("DataZone environment profile", prof["name"], prof["id"]))
        for src in dz.paginate(dzc, "list_data_sources", domainIdentifier=domain_id, projectIdentifier=pid):
            items.append(_item("DataZone data source", src["name"], src["dataSourceId"], src.get("status", "")))
        for sub in dz.paginate(dzc, "list_subscriptions", domainIdentifier=domain_id, owningProjectId=pid):
            items.append(_item("DataZone subscription", sub["subscribedListing"].get("name", ""), sub["id"],
                               sub.get("status", "")))
        for listing in dz.search_listings(dzc, domain_id):
            if listing.get("owningProjectId") == pid:
                items.append(_item("DataZone listing", listing.get("name", ""), listing.get("listingId", ""), "ACTIVE"))
    return items


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


def glue_items(glue: Any) -> list[Item]:
    items = []
    for db in dz.paginate(glue, "get_databases"):
        if db["Name"] in LAB_GLUE_DATABASES:
            items.append(_item("Glue database", db["Name"]))
            for tbl in dz.paginate(glue, "get_tables", DatabaseName=db["Name"]):
                items.append(_item("Glue table", f"{db['Name']}.{tbl['Name']}", "", tbl.get("TableType", "")))
    return items


def prerequisite_items(session: boto3.Session, config: LabConfig, account_id: str) -> list[Item]:
    from .prerequisites import bucket_name

    items: list[Item] = []
    s3 = session.client("s3")
    bucket = bucket_name(account_id, config.region)
    if any(b["Name"] == bucket for b in s3.list_buckets().get("Buckets", [])):
        items.append(_item("S3 bucket", bucket))
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


def role_items(iam: Any) -> list[Item]:
    items = []
    for role in lab_roles(iam):
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role["RoleName"]).get("Tags", [])}
        if tags.get(LAB_TAG["Key"]) == LAB_TAG["Value"]:
            items.append(_item("IAM role", role["RoleName"], role["Arn"]))
    return items


def lab_inventory(config: LabConfig) -> dict[str, list[Item]]:
    """{account label: [{type, name, id, status}, ...]} of everything the lab made in both accounts."""
    from .sessions import persona_session

    out: dict[str, list[Item]] = {}
    try:  # the domain lives in the producer account; the consumer reaches it by the same id
        domain, domain_found = domain_items(persona_session(config, "producer_admin").client("datazone"),
                                            config.domain_name)
    except ClientError:
        domain, domain_found = None, []
    for side, admin, worker, projects in (("producer", "producer_admin", "publisher", PRODUCER_PROJECTS),
                                          ("consumer", "consumer_admin", "subscriber", CONSUMER_PROJECTS)):
        account = config.producer_account_id if side == "producer" else config.consumer_account_id
        admin_s, worker_s = persona_session(config, admin), persona_session(config, worker)
        items: list[Item] = []
        errors: list[Item] = []
        if side == "producer":
            items += domain_found
            _safe(items, errors, "RAM shares", lambda: share_items(admin_s.client("ram"), config.domain_name))
        if domain is not None:
            _safe(items, errors, "blueprint configurations", lambda: blueprint_items(admin_s.client("datazone"), domain["id"]))
            _safe(items, errors, "projects", lambda: project_items(worker_s.client("datazone"), domain["id"], projects))
        _safe(items, errors, "Glue databases", lambda: glue_items(admin_s.client("glue")))
        _safe(items, errors, "prerequisites", lambda: prerequisite_items(admin_s, config, account))
        _safe(items, errors, "IAM roles", lambda: role_items(admin_s.client("iam")))
        out[account_label(side, account)] = items + errors
    return out


def format_inventory(items: dict[str, list[Item]]) -> str:
    """One plain-text table per account (type, name, id, status); "nothing" when empty."""
    blocks = []
    for account, rows in items.items():
        if not rows:
            blocks.append(f"{account}: nothing of the lab")
            continue
        header = ("type", "name", "id", "status")
        table = [header] + [tuple(str(r.get(k, "")) for k in header) for r in rows]
        widths = [min(max(len(row[i]) for row in table), 60) for i in range(4)]
        lines = [f"{account}: {len(rows)} item(s)"]
        for n, row in enumerate(table):
            lines.append("  " + "  ".join(cell[:60].ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if n == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
