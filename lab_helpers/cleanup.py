"""Delete everything the lab made, in dependency order, in every account it used (notebook 99).

Order, per set of accounts (the config's and every other in ``accounts_used``):
subscriptions (the publisher revokes them, which removes the grants), then whatever the
catalog still holds in effect (live subscription grants, approved subscriptions, pending
requests) → per project: requests, data sources, listings, environments (waited until
gone), profiles, the project → blueprint configurations (each account) → the RAM share →
the domain (waited until gone) → per account: IAM roles the lab tagged, environment user
roles and Athena workgroups left by environments whose stack outlived them, the
prerequisites of 00 (Redshift clusters or Serverless workgroups and namespaces and the secrets
the kit created, the lab's S3 buckets, the environments' Glue databases; the deletions go in
phases, each phase in every account before the next: every cluster's or workgroup's deletion
is asked for before any is waited for, and every namespace's once its workgroup is gone, so
the accounts' deletions overlap). A set of accounts the inventory then finds empty is
dropped from ``accounts_used``.

Each persona deletes what it owns. Every step is independent: "already gone"
(ResourceNotFound and friends) is reported as ``gone`` and anything else as ``failed: …``
without stopping the rest, so the cleanup is safe to run twice and after a partial failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional, TypeAlias

import boto3
from botocore.exceptions import ClientError

from . import datazone as dz
from .config import LabConfig
from .iam_roles import delete_role
from .inventory import (LAB_GLUE_DATABASES, entry_config, LAB_WORKGROUPS, _accounts, account_label, account_sets, accounts_inventory,
                        environment_role_items, live_grant, projects_of, role_items)
from .state import LabState
from .waits import GONE, error_code, wait_gone

GONE_CODES = {"ResourceNotFoundException", "NoSuchEntity", "NoSuchBucket", "ClusterNotFound", "ClusterNotFoundFault",
              "EntityNotFoundException", "UnknownResourceException", "InvalidResourceShareArnException", "404"}
PREREQ_TAG = ("created-by", "datazone-lab-kit")

#: One phase of a deletion in one account: it returns the next phase (None: done). :func:`cleanup_accounts`
#: runs each phase in every account before the next, so the accounts' waits overlap.
Phase: TypeAlias = Callable[[], Optional["Phase"]]


class Report:
    """Rows of what the cleanup did: account, type, name, result."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []

    def step(self, account: str, kind: str, name: str, action: Callable[[], Any]) -> bool:
        """Run ``action``; record deleted / gone / failed. True when the resource is gone now."""
        try:
            result = action()
            status = result if isinstance(result, str) else "deleted"
            ok = True
        except ClientError as exc:
            code = error_code(exc)
            ok = code in GONE_CODES
            status = "gone" if ok else f"failed: {code}: {exc.response.get('Error', {}).get('Message', '')}"
        except Exception as exc:  # a wait that failed or timed out: say so, carry on
            ok, status = False, f"failed: {exc}"
        self.rows.append({"account": account, "type": kind, "name": name, "result": status})
        return ok


def _start_project_deletion(report: Report, dzc: Any, domain_id: str, account: str, project: dict[str, Any],
                            owner: bool) -> list[dict[str, Any]]:
    """Delete the project's requests, data sources and listings; ask for its environments' deletion.

    Returns the environments asked to go: their deletions (CloudFormation stacks, minutes each on
    AWS) are waited for together with every other project's, by :func:`_wait_environments`.
    """
    pid, name = project["id"], project["name"]
    for req in dz.paginate(dzc, "list_subscription_requests", domainIdentifier=domain_id, owningProjectId=pid):
        report.step(account, "DataZone subscription request", f"{name}: {req['id']}",
                    lambda r=req: dzc.delete_subscription_request(domainIdentifier=domain_id, identifier=r["id"]))
    sources = list(dz.paginate(dzc, "list_data_sources", domainIdentifier=domain_id, projectIdentifier=pid))
    asked = [s for s in sources if report.step(account, "DataZone data source (delete requested)", s["name"],
                                               lambda s=s: dzc.delete_data_source(domainIdentifier=domain_id,
                                                                                  identifier=s["dataSourceId"]))]
    for src in asked:  # every deletion asked first, then each waited for
        report.step(account, "DataZone data source", src["name"],
                    lambda s=src: wait_gone(lambda: dzc.get_data_source(domainIdentifier=domain_id, identifier=s["dataSourceId"]),
                                            f"deletion of data source {s['name']}", timeout=600, kind="data_source_delete"))
    if owner:
        for listing in [item for item in dz.search_listings(dzc, domain_id) if item.get("owningProjectId") == pid]:
            report.step(account, "DataZone listing", listing.get("name", ""),
                        lambda item=listing: dzc.delete_listing(domainIdentifier=domain_id,
                                                                identifier=item["listingId"]))
    envs = [e for e in dz.paginate(dzc, "list_environments", domainIdentifier=domain_id, projectIdentifier=pid)
            if e.get("status") not in {"DELETED"}]
    for env in envs:
        report.step(account, "DataZone environment (delete requested)", env["name"],
                    lambda e=env: dzc.delete_environment(domainIdentifier=domain_id, identifier=e["id"]))
    return envs


def _wait_environments(report: Report, dzc: Any, domain_id: str, account: str, envs: list[dict[str, Any]]) -> None:
    for env in envs:
        report.step(account, "DataZone environment", env["name"],
                    lambda e=env: wait_gone(lambda: dzc.get_environment(domainIdentifier=domain_id, identifier=e["id"]),
                                             f"deletion of environment {e['name']}", kind="environment_delete"))


def _finish_project_deletion(report: Report, dzc: Any, domain_id: str, account: str, project: dict[str, Any]) -> None:
    """Delete the project's environment profiles, then the project."""
    pid, name = project["id"], project["name"]
    for prof in dz.paginate(dzc, "list_environment_profiles", domainIdentifier=domain_id, projectIdentifier=pid):
        report.step(account, "DataZone environment profile", prof["name"],
                    lambda p=prof: dzc.delete_environment_profile(domainIdentifier=domain_id, identifier=p["id"]))
    report.step(account, "DataZone project", name,
                lambda: dzc.delete_project(domainIdentifier=domain_id, identifier=pid, skipDeletionCheck=True))


def _revoke_subscriptions(report: Report, dzc: Any, domain_id: str, account: str, project: dict[str, Any]) -> None:
    """Revoke the approved subscriptions to ``project``'s listings (``revoke_subscription``, by the owner)."""
    for sub in dz.paginate(dzc, "list_subscriptions", domainIdentifier=domain_id, approverProjectId=project["id"],
                           status="APPROVED"):
        subscriber = sub.get("subscribedPrincipal", {}).get("project", {}).get("name", "")
        report.step(account, "DataZone subscription", f"{sub['subscribedListing'].get('name', '')} → {subscriber}",
                    lambda s=sub: dzc.revoke_subscription(domainIdentifier=domain_id, identifier=s["id"],
                                                          retainPermissions=False))


def _end_catalog(report: Report, clients: list[tuple[str, Any]], domain_id: str) -> None:
    """End what the catalog still holds in effect, whatever project it belongs to (orphans included).

    ``clients`` are (account label, DataZone client) of the subscriber, then the publisher:
    live subscription grants are deleted (which revokes them), approved subscriptions revoked
    by the owner or cancelled by the subscriber, pending requests deleted.
    """
    for account, dzc in clients:
        for grant in [g for g in dz.paginate(dzc, "list_subscription_grants", domainIdentifier=domain_id) if live_grant(g)]:
            report.step(account, "DataZone subscription grant", grant["id"],
                        lambda g=grant: dzc.delete_subscription_grant(domainIdentifier=domain_id, identifier=g["id"]))
    for (account, dzc), end in zip(reversed(clients), ("revoke_subscription", "cancel_subscription")):
        for sub in dz.paginate(dzc, "list_subscriptions", domainIdentifier=domain_id, status="APPROVED"):
            def finish(s: dict[str, Any] = sub, call: str = end, client: Any = dzc) -> None:
                kwargs = {"retainPermissions": False} if call == "revoke_subscription" else {}
                getattr(client, call)(domainIdentifier=domain_id, identifier=s["id"], **kwargs)
            report.step(account, "DataZone subscription", sub["subscribedListing"].get("name", ""), finish)
    for account, dzc in clients:
        for req in dz.paginate(dzc, "list_subscription_requests", domainIdentifier=domain_id, status="PENDING"):
            report.step(account, "DataZone subscription request", req["id"],
                        lambda r=req: dzc.delete_subscription_request(domainIdentifier=domain_id, identifier=r["id"]))


def _delete_environment_leftovers(report: Report, session: boto3.Session, label: str, domain_id: str | None) -> None:
    """Athena workgroups and environment user roles an environment's stack left behind."""
    athena = session.client("athena")
    names = {w["Name"] for w in athena.list_work_groups().get("WorkGroups", [])}
    for name in [w for w in LAB_WORKGROUPS if w in names]:
        report.step(label, "Athena workgroup", name,
                    lambda n=name: athena.delete_work_group(WorkGroup=n, RecursiveDeleteOption=True))
    iam = session.client("iam")
    for role in environment_role_items(iam, session.client("datazone"), domain_id):
        report.step(label, role["type"], role["name"], lambda n=role["name"]: None if delete_role(iam, n) else "gone")


def _delete_domain(report: Report, admin_dz: Any, domain: dict[str, Any], label: str) -> None:
    """The domain, last of DataZone: DeleteDomain leaves the grants placed through Lake Formation and
    Redshift (user guide, "Delete Amazon DataZone domains"), so the steps before it end them."""
    def delete() -> None:
        admin_dz.delete_domain(identifier=domain["id"], skipDeletionCheck=True)
        wait_gone(lambda: admin_dz.get_domain(identifier=domain["id"]), f"deletion of domain {domain['name']}",
                  kind="domain_delete")
    report.step(label, "DataZone domain", domain["name"], delete)


def _delete_blueprint_configurations(report: Report, dzc: Any, domain_id: str, account: str) -> None:
    for conf in dz.blueprint_configurations(dzc, domain_id):
        bp = conf["environmentBlueprintId"]
        report.step(account, "DataZone blueprint configuration", bp,
                    lambda b=bp: dzc.delete_environment_blueprint_configuration(
                        domainIdentifier=domain_id, environmentBlueprintIdentifier=b))


def _tagged_by_kit(tags: list[dict[str, str]]) -> bool:
    return any(t.get("Key") == PREREQ_TAG[0] and t.get("Value") == PREREQ_TAG[1] for t in tags or [])


def _start_prerequisites_deletion(report: Report, session: boto3.Session, config: LabConfig, label: str) -> Phase:
    """Delete the environments' Glue databases and ask for the deletion of the kit's cluster or workgroup.

    Returns the deletion's next :data:`Phase` (wait until the compute is gone; a workgroup's namespace after
    it): :func:`cleanup_accounts` asks in every account first, so the deletions (minutes each on AWS) overlap.
    """
    glue = session.client("glue")
    for db in LAB_GLUE_DATABASES:
        try:
            glue.get_database(Name=db)
        except ClientError as exc:
            if error_code(exc) == "EntityNotFoundException":
                continue
            raise
        report.step(label, "Glue database", db, lambda d=db: glue.delete_database(Name=d))
    if config.warehouse.serverless:
        return _start_serverless_deletion(report, session, config, label)
    return _start_cluster_deletion(report, session, config, label)


def _finish_prerequisites_deletion(report: Report, session: boto3.Session, config: LabConfig, account_id: str,
                                   label: str) -> None:
    """The admin secret and the lab's bucket (once the cluster or workgroup that used them is gone)."""
    from .prerequisites import bucket_name

    sm = session.client("secretsmanager")

    def delete_secret() -> str | None:
        secret = sm.describe_secret(SecretId=config.redshift_secret)
        if secret.get("DeletedDate"):
            return "gone"
        if not _tagged_by_kit(secret.get("Tags", [])):
            return "kept (not created by the lab kit)"
        sm.delete_secret(SecretId=secret["ARN"], ForceDeleteWithoutRecovery=True)
        return None

    report.step(label, "Secrets Manager secret", config.redshift_secret, delete_secret)
    bucket = bucket_name(account_id, config.region)
    report.step(label, "S3 bucket", bucket, lambda: empty_and_delete_bucket(session.client("s3"), bucket))


def _serverless_tagged_by_kit(rs: Any, arn: str) -> bool:
    tags = rs.list_tags_for_resource(resourceArn=arn).get("tags", [])
    return _tagged_by_kit([{"Key": t.get("key"), "Value": t.get("value")} for t in tags])


def _start_serverless_deletion(report: Report, session: boto3.Session, config: LabConfig, label: str) -> Phase:
    """Ask for the workgroup's deletion. Next phase: wait until it is gone, then ask for its namespace's
    deletion (AWS refuses to delete a namespace that still has a workgroup); the last: wait until that is gone."""
    rs = session.client("redshift-serverless")
    compute, namespace = config.warehouse, config.redshift_namespace
    name = compute.name

    def delete_workgroup() -> str | None:
        workgroup = compute.describe(session)
        if not _serverless_tagged_by_kit(rs, workgroup["workgroupArn"]):
            return "kept (not created by the lab kit)"
        if compute.status(workgroup) != compute.deleting:
            rs.delete_workgroup(workgroupName=name)
        return "deletion requested"

    def wait_workgroup() -> None:
        wait_gone(lambda: compute.describe(session), f"deletion of workgroup {name} ({label})",
                  status_key=compute.status_key, timeout=3600, kind=compute.wait_kind("delete"))

    def delete_namespace() -> str | None:
        found = rs.get_namespace(namespaceName=namespace)["namespace"]
        if not _serverless_tagged_by_kit(rs, found["namespaceArn"]):
            return "kept (not created by the lab kit)"
        if found.get("status") != "DELETING":
            rs.delete_namespace(namespaceName=namespace)
        return "deletion requested"

    def wait_namespace() -> None:
        wait_gone(lambda: rs.get_namespace(namespaceName=namespace)["namespace"],
                  f"deletion of namespace {namespace} ({label})", timeout=3600, kind="redshift_namespace_delete")

    finish_workgroup = _request_deletion(report, label, "Redshift Serverless workgroup", name, delete_workgroup,
                                         wait_workgroup)

    def then_namespace() -> Phase:
        finish_workgroup()  # gone (or kept, or failed: the namespace's request then says why it stays)
        return _request_deletion(report, label, "Redshift Serverless namespace", namespace, delete_namespace,
                                 wait_namespace)

    return then_namespace


def _start_cluster_deletion(report: Report, session: boto3.Session, config: LabConfig, label: str) -> Phase:
    """Ask for the cluster's deletion (a cluster already ``deleting`` is left to it); the returned step waits
    until it is gone."""
    compute = config.warehouse
    cluster_name = compute.name

    def delete_cluster() -> str | None:
        cluster = compute.describe(session)
        if not _tagged_by_kit(cluster.get("Tags", [])):
            return "kept (not created by the lab kit)"
        if compute.status(cluster) != compute.deleting:
            session.client("redshift").delete_cluster(ClusterIdentifier=cluster_name, SkipFinalClusterSnapshot=True)
        return "deletion requested"

    def wait_cluster() -> None:
        wait_gone(lambda: compute.describe(session), f"deletion of cluster {cluster_name} ({label})",
                  status_key=compute.status_key, timeout=3600, kind=compute.wait_kind("delete"))

    return _request_deletion(report, label, "Redshift cluster", cluster_name, delete_cluster, wait_cluster)


def _request_deletion(report: Report, label: str, kind: str, name: str, request: Callable[[], str | None],
                      wait: Callable[[], None]) -> Phase:
    """Ask for a deletion AWS carries out in the background; the returned step waits until the resource is gone.

    ``request`` returns ``"deletion requested"`` when AWS is deleting it (row "<kind> (delete requested)",
    then row "<kind>" once gone); a resource kept, already gone or failing gets one row "<kind>" and no wait.
    """
    asked = len(report.rows)
    report.step(label, f"{kind} (delete requested)", name, request)
    requested = report.rows[asked]["result"] == "deletion requested"
    if not requested:  # kept, gone or failed: that row says it all
        report.rows[asked]["type"] = kind

    def finish() -> None:
        if requested:
            report.step(label, kind, name, wait)

    return finish


def empty_and_delete_bucket(s3: Any, bucket: str) -> None:
    """Delete every object version and delete marker, then the bucket."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        keys = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    s3.delete_bucket(Bucket=bucket)


def cleanup_lab(config: LabConfig, sessions: dict[str, boto3.Session]) -> list[dict[str, str]]:
    """Delete the lab in every account it used; ``sessions`` maps the four personas to their sessions.

    ``sessions`` act in ``config``'s accounts; the other sets of ``accounts_used`` get persona
    sessions of their own. Returns the report rows (account, type, name, result), forgets the
    deleted ids in the state file (the saved settings stay) and keeps in ``accounts_used`` only
    the sets where something is left.
    """
    from .sessions import CredentialsError, persona_session

    report = Report()
    for accounts in _by_producer(config, account_sets(config)):
        mine = accounts.consumer_account_id == config.consumer_account_id and _accounts(accounts) == _accounts(config)
        region = None if mine or accounts.region == config.region else accounts.region
        try:
            use = sessions if mine else {p: persona_session(accounts, p) for p in sessions}
        except CredentialsError as exc:  # say so and clean the other sets
            report.rows.append({"account": account_label("producer", accounts.producer_account_id, region),
                                "type": "accounts", "name": "*", "result": f"failed: {exc}"})
            continue
        cleanup_accounts(report, accounts, use, region)
    state = LabState(config.work_dir)
    settings = state.get("settings")
    left = [entry for entry, accounts in _used_sets(config, state) if accounts is None or _left_in(accounts)]
    state.clear()
    if settings:
        state.update(settings=settings)
    if left:
        state.update(accounts_used=left)
    state.mark_cleanup_done()
    return report.rows


def _by_producer(config: LabConfig, sets: list[LabConfig]) -> list[LabConfig]:
    """The sets of accounts grouped by Region and producer: one config with every consumer account of the group
    (``config`` itself for its own group), so the domain goes only after every consumer's projects."""
    import dataclasses

    groups: dict[tuple[str, str], list[LabConfig]] = {}
    for each in sets:
        groups.setdefault((each.region, each.producer_account_id), []).append(each)
    out = []
    for (region, producer), members in groups.items():
        ids = tuple(dict.fromkeys(m.consumer_account_id for m in members))
        base = config if (region, producer) == (config.region, config.producer_account_id) else members[0]
        out.append(dataclasses.replace(base, consumer_account_ids=ids))
    return out


def _left_in(accounts: LabConfig) -> bool:
    """Whether anything of the lab is left in this set of accounts (unreachable counts as left)."""
    from .sessions import CredentialsError

    try:
        return any(accounts_inventory(accounts).values())
    except CredentialsError:
        return True


def _used_sets(config: LabConfig, state: LabState) -> list[tuple[dict[str, str], LabConfig | None]]:
    """Each ``accounts_used`` entry with its config (None when another backend's: not covered here)."""

    out: list[tuple[dict[str, str], LabConfig | None]] = []
    for entry in state.accounts_used():
        try:
            accounts = None if entry.get("backend", config.backend) != config.backend else entry_config(config, entry)
        except (KeyError, TypeError, ValueError):
            continue
        out.append((entry, accounts))
    return out


def cleanup_accounts(report: Report, config: LabConfig, sessions: dict[str, boto3.Session],
                     region: str | None = None) -> None:
    """Delete the lab in ``config``'s producer account and every consumer account (``sessions``: the chosen
    consumer's; the others' personas get sessions of their own)."""
    producer = account_label("producer", config.producer_account_id, region)
    consumers = _consumer_sessions(report, config, sessions, region)
    admin_dz = sessions["producer_admin"].client("datazone")
    try:
        domain = dz.find_domain(admin_dz, config.domain_name)
    except ClientError:
        domain = None
    if domain is not None:
        domain_id = domain["id"]
        publisher_dz = sessions["publisher"].client("datazone")
        try:
            owned = projects_of(publisher_dz, domain_id)
        except ClientError:
            owned = []
        for project in owned:  # the approving project revokes; revoking removes the grants
            _revoke_subscriptions(report, publisher_dz, domain_id, producer, project)
        workers = [(label, mine["subscriber"].client("datazone")) for label, _account, mine in consumers]
        workers.append((producer, publisher_dz))
        try:
            _end_catalog(report, workers, domain_id)
        except ClientError as exc:
            report.rows.append({"account": producer, "type": "DataZone subscription", "name": "*",
                                "result": f"not listed: {error_code(exc)}"})
        started = []
        for account, dzc in workers:
            try:
                projects = projects_of(dzc, domain_id)
            except ClientError as exc:
                report.rows.append({"account": account, "type": "DataZone project", "name": "*",
                                    "result": f"not listed: {error_code(exc)}"})
                continue
            for project in projects:
                started.append((account, dzc, project,
                                _start_project_deletion(report, dzc, domain_id, account, project, owner=True)))
        for account, dzc, _project, envs in started:  # every project's environments go side by side
            _wait_environments(report, dzc, domain_id, account, envs)
        for account, dzc, project, _envs in started:
            _finish_project_deletion(report, dzc, domain_id, account, project)
        for consumer, _account, mine in consumers:
            try:
                _delete_blueprint_configurations(report, mine["consumer_admin"].client("datazone"), domain_id, consumer)
            except ClientError as exc:
                report.rows.append({"account": consumer, "type": "DataZone blueprint configuration", "name": "*",
                                    "result": f"not listed: {error_code(exc)}"})
        _delete_blueprint_configurations(report, admin_dz, domain_id, producer)
    ram = sessions["producer_admin"].client("ram")
    for share in dz.paginate(ram, "get_resource_shares", resourceOwner="SELF", resourceShareStatus="ACTIVE"):
        if share["name"].startswith(f"DataZone-{config.domain_name}-"):
            report.step(producer, "RAM resource share", share["name"],
                        lambda s=share: ram.delete_resource_share(resourceShareArn=s["resourceShareArn"]))
    if domain is not None:
        _delete_domain(report, admin_dz, domain, producer)
    admins = [(sessions["producer_admin"], config.producer_account_id, producer)]
    admins += [(mine["consumer_admin"], account, label) for label, account, mine in consumers]
    finishing = []
    for admin, account, label in admins:
        iam = admin.client("iam")
        for role in role_items(iam):
            report.step(label, "IAM role", role["name"], lambda n=role["name"]: None if delete_role(iam, n) else "gone")
        try:
            _delete_environment_leftovers(report, admin, label, domain["id"] if domain else None)
        except ClientError as exc:
            report.rows.append({"account": label, "type": "environment leftovers", "name": "*",
                                "result": f"not listed: {error_code(exc)}"})
        finishing.append((admin, account, label, _start_prerequisites_deletion(report, admin, config, label)))
    phases: list[Phase | None] = [phase for *_, phase in finishing]
    while any(phases):  # each phase in every account before the next: the accounts' deletions go side by side
        phases = [phase() if phase else None for phase in phases]
    for admin, account, label, _phase in finishing:
        _finish_prerequisites_deletion(report, admin, config, account, label)


def _consumer_sessions(report: Report, config: LabConfig, sessions: dict[str, boto3.Session],
                       region: str | None) -> list[tuple[str, str, dict[str, boto3.Session]]]:
    """(label, account id, consumer personas' sessions) for each consumer account of ``config``; one whose
    credentials fail is reported and left out."""
    from .sessions import CredentialsError, persona_session

    found = []
    for account in config.consumers:
        label = account_label("consumer", account, region)
        if account == config.consumer_account_id:
            found.append((label, account, sessions))
            continue
        try:
            found.append((label, account, {p: persona_session(config.for_consumer(account), p)
                                           for p in ("consumer_admin", "subscriber")}))
        except CredentialsError as exc:
            report.rows.append({"account": label, "type": "accounts", "name": "*", "result": f"failed: {exc}"})
    return found


__all__ = ["cleanup_lab", "cleanup_accounts", "empty_and_delete_bucket", "Report", "GONE"]
