"""The audit (awswrangler-style): who asked for what, which grants exist, who queried, and the API activity.

Every function takes a boto3 session (or a DataZone client) and returns a pandas DataFrame;
the same calls on AWS and offline. What each caller may see is AWS's rule, not the kit's:

- DataZone shows a project's subscription requests, subscriptions and grants to the
  project's members: the producer side reads them as the publisher (owner of the publishing
  projects, who decided the requests);
- Lake Formation's ``ListPermissions`` and Redshift's ``DescribeDataShares`` answer for the
  caller's account; Athena's query history for the workgroups of the caller's account;
  the Data API's ``ListStatements`` only the statements of the caller's IAM role;
- CloudTrail's ``LookupEvents`` answers with the events of the caller's account and Region,
  delivered on AWS within about 5 minutes of the call (the stand-in: at once).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pandas as pd

from .datazone import paginate

#: The event sources the audit reads from CloudTrail (the walkthrough's services).
AUDITED_SOURCES = ("datazone", "ram", "lakeformation", "athena", "redshift-data")
REQUEST_STATUSES = ("PENDING", "ACCEPTED", "REJECTED")
#: :func:`by_account`'s "read" for a consumer account whose query history this machine cannot read.
UNSEEN = "(its query history is not on this machine)"


def _time(value: Any) -> pd.Timestamp | None:
    """A UTC timestamp from botocore's datetime, epoch seconds or ISO text (None stays None)."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return pd.Timestamp(value, unit="s", tz="UTC")
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _frame(rows: list[dict[str, Any]], columns: list[str], sort: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(sort, kind="stable").reset_index(drop=True) if sort and len(frame) else frame


def _column_by(frame: pd.DataFrame | None, key: str, value: str) -> dict[str, str]:
    """``{row[key]: row[value]}`` of a table (empty for ``None``)."""
    return {} if frame is None or not len(frame) else dict(zip(frame[key], frame[value]))


def _mentions(text: str, tables: Iterable[str]) -> list[str]:
    lowered = (text or "").lower()
    return [t for t in tables if t.lower() in lowered]


# ------------------------------------------------------------------ DataZone: the subscription story

def user_arns(dzc: Any, domain_id: str, user_ids: Iterable[str]) -> dict[str, str]:
    """DataZone user profile id → the IAM principal's ARN it stands for (``""`` for a profile the caller may not read)."""
    arns = {}
    for user_id in {u for u in user_ids if u}:
        try:
            profile = dzc.get_user_profile(domainIdentifier=domain_id, userIdentifier=user_id)
            arns[user_id] = ((profile.get("details") or {}).get("iam") or {}).get("arn", "")
        except Exception:  # noqa: BLE001 - a profile the caller may not read: unknown
            arns[user_id] = ""
    return arns


def user_names(dzc: Any, domain_id: str, user_ids: Iterable[str]) -> dict[str, str]:
    """DataZone user profile id → the IAM principal it stands for (its ARN's last part); unknown ids stay ids."""
    return {u: arn.rsplit("/", 1)[-1] or u for u, arn in user_arns(dzc, domain_id, user_ids).items()}


def _arn_account(arn: str) -> str:
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 else ""


def subscription_requests(dzc: Any, domain_id: str, approver_project_ids: Iterable[str],
                          profiles: Any = None, assets: dict[str, str] | None = None) -> pd.DataFrame:
    """Who asked for which listing, when, why; its status; who decided, when, with which comment.

    ``list_subscription_requests`` per approving project and status, then
    ``get_subscription_request_details`` for each (the caller must be a member of the project).
    ``profiles``: a DataZone client that may read user profiles (names the users and the ``account`` each
    request came from: the requester's IAM account; else ids and ``""``);
    ``assets``: listing id → the name to show (else the listing's name).
    """
    seen: dict[str, dict[str, Any]] = {}
    for project in approver_project_ids:
        for status in REQUEST_STATUSES:
            for item in paginate(dzc, "list_subscription_requests", domainIdentifier=domain_id, status=status,
                                 approverProjectId=project):
                seen.setdefault(item["id"], item)
    details = [dzc.get_subscription_request_details(domainIdentifier=domain_id, identifier=i) for i in seen]
    users = [u for req in details for u in (req.get("createdBy"), req.get("reviewerId"), req.get("updatedBy"))]
    arns = user_arns(profiles, domain_id, users) if profiles is not None else {}
    names = {u: arn.rsplit("/", 1)[-1] or u for u, arn in arns.items()}
    rows = []
    for req in details:
        listing = (req.get("subscribedListings") or [{}])[0]
        project = (req.get("subscribedPrincipals") or [{}])[0].get("project", {})
        decided = req.get("status") != "PENDING"
        reviewer = req.get("reviewerId") or (req.get("updatedBy") if decided else None)
        rows.append({"account": _arn_account(arns.get(req.get("createdBy", ""), "")),
                     "request id": req["id"], "asset": (assets or {}).get(listing.get("id"), listing.get("name", "")),
                     "subscriber project": project.get("name") or project.get("id", ""),
                     "requested by": names.get(req.get("createdBy", ""), req.get("createdBy", "")),
                     "requested at": _time(req.get("createdAt")), "reason": req.get("requestReason", ""),
                     "status": req.get("status"),
                     "decided by": names.get(reviewer or "", reviewer or "") if decided else "",
                     "decided at": _time(req.get("updatedAt")) if decided else None,
                     "decision comment": req.get("decisionComment", "")})
    return _frame(rows, ["account", "request id", "asset", "subscriber project", "requested by", "requested at", "reason",
                         "status", "decided by", "decided at", "decision comment"], "requested at")


def subscriptions(dzc: Any, domain_id: str, approver_project_ids: Iterable[str],
                  assets: dict[str, str] | None = None, requests: pd.DataFrame | None = None) -> pd.DataFrame:
    """The subscriptions to the projects' listings, any status (``REVOKED``/``CANCELLED``: the revocations).

    ``requests`` (:func:`subscription_requests`' table): gives each subscription the ``account`` its request came from.
    """
    accounts = _column_by(requests, "request id", "account")
    rows = []
    for project in approver_project_ids:
        for sub in paginate(dzc, "list_subscriptions", domainIdentifier=domain_id, approverProjectId=project):
            listing = sub.get("subscribedListing") or {}
            principal = (sub.get("subscribedPrincipal") or {}).get("project", {})
            rows.append({"account": accounts.get(sub.get("subscriptionRequestId", ""), ""),
                         "subscription id": sub["id"], "asset": (assets or {}).get(listing.get("id"), listing.get("name", "")),
                         "subscriber project": principal.get("name") or principal.get("id", ""),
                         "status": sub.get("status"), "request id": sub.get("subscriptionRequestId", ""),
                         "created at": _time(sub.get("createdAt")), "updated at": _time(sub.get("updatedAt")),
                         "revoked": sub.get("status") in ("REVOKED", "CANCELLED")})
    return _frame(rows, ["account", "subscription id", "asset", "subscriber project", "status", "request id",
                         "created at", "updated at", "revoked"], "created at")


def subscription_grants(dzc: Any, domain_id: str, listing_ids: dict[str, str],
                        subscriptions: pd.DataFrame | None = None,
                        environments: dict[str, str] | None = None) -> pd.DataFrame:
    """The grants of the listings (``{listing id: asset name}``): environment, status, asset status, target.

    Each grant's ``account``: that of its subscription (``subscriptions``, :func:`subscriptions`' table), else
    ``environments`` (environment id → account, e.g. from the consumers' state), else ``""``
    (a grant's ``subscriptionId`` is deprecated in the API, so it may be absent).
    """
    accounts = _column_by(subscriptions, "subscription id", "account")
    rows = []
    for listing_id, name in listing_ids.items():
        for grant in paginate(dzc, "list_subscription_grants", domainIdentifier=domain_id, subscribedListingId=listing_id):
            asset = (grant.get("assets") or [{}])[0]
            environment = grant.get("environmentId", "")
            account = accounts.get(grant.get("subscriptionId") or "") or (environments or {}).get(environment, "")
            rows.append({"account": account, "grant id": grant["id"], "asset": name, "environment id": environment,
                         "status": grant.get("status"), "asset status": asset.get("status", ""),
                         "target": asset.get("targetName", ""), "created at": _time(grant.get("createdAt")),
                         "updated at": _time(grant.get("updatedAt"))})
    return _frame(rows, ["account", "grant id", "asset", "environment id", "status", "asset status", "target",
                         "created at", "updated at"], "created at")


# ------------------------------------------------------------------ what the grants are made of

def _account(session: boto3.Session) -> str:
    return session.client("sts").get_caller_identity()["Account"]


def lake_formation_permissions(session: boto3.Session, tables: Iterable[str]) -> pd.DataFrame:
    """Lake Formation permissions on the named tables (and links to them) in the session's account."""
    lf, tables, account = session.client("lakeformation"), list(tables), _account(session)
    rows, token = [], None
    while True:
        page = lf.list_permissions(**({"NextToken": token} if token else {}))
        for entry in page.get("PrincipalResourcePermissions", []):
            table = (entry.get("Resource") or {}).get("Table") or (entry.get("Resource") or {}).get("TableWithColumns")
            if not table or table.get("Name") not in tables:
                continue
            rows.append({"account": account, "principal": entry["Principal"]["DataLakePrincipalIdentifier"],
                         "table": f"{table.get('CatalogId', account)}:{table.get('DatabaseName')}.{table.get('Name')}",
                         "permissions": ", ".join(sorted(entry.get("Permissions", []))),
                         "grantable": ", ".join(sorted(entry.get("PermissionsWithGrantOption", [])))})
        token = page.get("NextToken")
        if not token:
            break
    return _frame(rows, ["account", "principal", "table", "permissions", "grantable"], "table")


def datashares(session: boto3.Session, tables: Iterable[str] = ()) -> pd.DataFrame:
    """The Redshift datashares the session's account makes or receives (those naming ``tables``, if given)."""
    redshift, tables, account = session.client("redshift"), list(tables), _account(session)
    rows = []
    for page in redshift.get_paginator("describe_data_shares").paginate():
        for share in page.get("DataShares", []):
            arn = share["DataShareArn"]
            if tables and not _mentions(arn, tables):
                continue
            for association in share.get("DataShareAssociations") or [{}]:
                rows.append({"account": account, "datashare": arn.rsplit("/", 1)[-1],
                             "direction": "outbound" if arn.split(":")[4] == account else "inbound",
                             "producer account": arn.split(":")[4], "consumer": association.get("ConsumerIdentifier", ""),
                             "status": association.get("Status", ""), "since": _time(association.get("CreatedDate"))})
    return _frame(rows, ["account", "datashare", "direction", "producer account", "consumer", "status", "since"],
                  "datashare")


# ------------------------------------------------------------------ who queried the shared tables

def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def athena_queries(session: boto3.Session, tables: Iterable[str]) -> pd.DataFrame:
    """Athena queries naming the tables, in every workgroup of the session's account (its query history)."""
    athena, tables, account = session.client("athena"), list(tables), _account(session)
    rows = []
    groups, token = [], None
    while True:  # ListWorkGroups has no paginator in botocore
        page = athena.list_work_groups(**({"NextToken": token} if token else {}))
        groups += page.get("WorkGroups", [])
        token = page.get("NextToken")
        if not token:
            break
    executions = []
    for group in groups:
        ids = [i for p in athena.get_paginator("list_query_executions").paginate(WorkGroup=group["Name"])
               for i in p.get("QueryExecutionIds", [])]
        for chunk in _chunks(ids, 50):
            executions += athena.batch_get_query_execution(QueryExecutionIds=chunk).get("QueryExecutions", [])
    for execution in executions:
        named = _mentions(execution.get("Query", ""), tables)
        if not named:
            continue
        status = execution.get("Status") or {}
        rows.append({"account": account, "engine": "Athena", "workgroup": execution.get("WorkGroup", ""),
                     "table": ", ".join(named), "state": status.get("State", ""),
                     "submitted at": _time(status.get("SubmissionDateTime")),
                     "query": " ".join(execution.get("Query", "").split())[:200], "id": execution["QueryExecutionId"]})
    return _frame(rows, ["account", "engine", "workgroup", "table", "state", "submitted at", "query", "id"],
                  "submitted at")


def data_api_statements(session: boto3.Session, tables: Iterable[str]) -> pd.DataFrame:
    """Redshift Data API statements naming the tables that the session's IAM role ran (``ListStatements``)."""
    data, tables, account = session.client("redshift-data"), list(tables), _account(session)
    rows = []
    for page in data.get_paginator("list_statements").paginate(Status="ALL"):
        for statement in page.get("Statements", []):
            named = _mentions(statement.get("QueryString", ""), tables)
            if named:
                rows.append({"account": account, "engine": "Redshift Data API",
                             "target": statement.get("ClusterIdentifier") or statement.get("WorkgroupName") or "",
                             "table": ", ".join(named), "state": statement.get("Status", ""),
                             "submitted at": _time(statement.get("CreatedAt")),
                             "query": " ".join(statement.get("QueryString", "").split())[:200], "id": statement["Id"]})
    return _frame(rows, ["account", "engine", "target", "table", "state", "submitted at", "query", "id"], "submitted at")


# ------------------------------------------------------------------ CloudTrail

def api_activity(session: boto3.Session, sources: Iterable[str] = AUDITED_SOURCES,
                 since: datetime | None = None) -> pd.DataFrame:
    """CloudTrail management events of the sources (``datazone``...) in the session's account and Region.

    ``since``: the start of the window (default: the last 24 hours); newest events first.
    """
    trail, account = session.client("cloudtrail"), _account(session)
    start = since or datetime.now(timezone.utc) - timedelta(days=1)
    rows = []
    for source in sources:
        attribute = [{"AttributeKey": "EventSource", "AttributeValue": f"{source}.amazonaws.com"}]
        for page in trail.get_paginator("lookup_events").paginate(LookupAttributes=attribute, StartTime=start):
            for event in page.get("Events", []):
                detail = json.loads(event.get("CloudTrailEvent") or "{}")
                rows.append({"time": _time(event.get("EventTime")), "account": account, "service": source,
                             "event": event.get("EventName", ""), "user": event.get("Username", ""),
                             "principal": (detail.get("userIdentity") or {}).get("arn", ""),
                             "read only": event.get("ReadOnly") == "true", "error": detail.get("errorCode", "")})
    frame = _frame(rows, ["time", "account", "service", "event", "user", "principal", "read only", "error"], "time")
    return frame.iloc[::-1].reset_index(drop=True)


# ------------------------------------------------------------------ a room: one row per consumer account

def by_account(accounts: Iterable[str], requests: pd.DataFrame, grants: pd.DataFrame,
               queries: pd.DataFrame | None = None, histories: Iterable[str] = ()) -> pd.DataFrame:
    """One row per consumer account (every one listed, in order): the tables it asked for, was approved,
    is granted (``COMPLETED``) and read (its succeeded ``queries``; :data:`UNSEEN` for an account not among
    ``histories``, those whose query history this machine's credentials could read).

    A consumer that asked for nothing has empty cells: nothing to judge, not a failure.
    """
    def tables(frame: pd.DataFrame | None, account: str, column: str = "asset", **equal: Any) -> str:
        if frame is None or not len(frame):
            return ""
        rows = frame[frame["account"] == account]
        for key, values in equal.items():
            rows = rows[rows[key].isin(values)]
        return ", ".join(sorted(set(", ".join(rows[column]).split(", ")) - {""}))

    rows = []
    for account in accounts:
        seen = account in set(histories)
        rows.append({"account": account, "requested": tables(requests, account),
                     "approved": tables(requests, account, status=["ACCEPTED"]),
                     "granted": tables(grants, account, status=["COMPLETED"]),
                     "read": tables(queries, account, "table", state=["SUCCEEDED", "FINISHED"]) if seen else UNSEEN})
    return pd.DataFrame(rows, columns=["account", "requested", "approved", "granted", "read"])


# ------------------------------------------------------------------ the timeline

def timeline_events(requests: pd.DataFrame, grants: pd.DataFrame, queries: pd.DataFrame,
                    activity: pd.DataFrame) -> pd.DataFrame:
    """One row per dated event of the lab (lane, time, label), for :func:`timeline_chart`."""
    rows = []
    for _, r in requests.iterrows():
        rows.append({"lane": "subscription requested", "time": r["requested at"], "label": r["asset"]})
        if r["decided at"] is not None and not pd.isna(r["decided at"]):
            rows.append({"lane": f"request {str(r['status']).lower()}", "time": r["decided at"], "label": r["asset"]})
    for _, g in grants.iterrows():
        rows.append({"lane": f"grant {str(g['status']).lower()}", "time": g["updated at"], "label": g["asset"]})
    for _, q in queries.iterrows():
        rows.append({"lane": f"query ({q['engine']})", "time": q["submitted at"], "label": q["table"]})
    for _, a in activity[~activity["read only"]].iterrows() if len(activity) else []:
        rows.append({"lane": f"API call: {a['service']}", "time": a["time"], "label": a["event"]})
    frame = pd.DataFrame(rows, columns=["lane", "time", "label"]).dropna(subset=["time"])
    return frame.sort_values("time", kind="stable").reset_index(drop=True)


def timeline_chart(events: pd.DataFrame, title: str = "The lab's events") -> Any:
    """A matplotlib chart: one lane per kind of event, a dot per event at its time. Returns the Axes."""
    import matplotlib.pyplot as plt

    lanes = list(dict.fromkeys(events["lane"]))
    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(lanes), 3) + 1.2))
    for number, lane in enumerate(lanes):
        times = pd.to_datetime(events.loc[events["lane"] == lane, "time"], utc=True).dt.tz_localize(None)
        ax.scatter(times, [number] * len(times), s=36)
    ax.set_yticks(range(len(lanes)), lanes)
    ax.invert_yaxis()
    ax.set_xlabel("time (UTC)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return ax
