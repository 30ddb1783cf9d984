"""CloudTrail's event history in the stand-in: every management call it served, per account and Region.

moto 5.2.5's CloudTrail keeps trails but records nothing and has no ``LookupEvents``. Here the
authorization hook (:func:`lab_helpers.offline.authorization.authorize`, the one place every
signed request is seen) calls :func:`record` for each request to a service CloudTrail logs
management events for, and ``LookupEvents`` answers from those records in CloudTrail's shape
(botocore's ``cloudtrail`` model; the CloudTrail User Guide, "CloudTrail record contents"):

- an event is visible in the account whose API was called (``recipientAccountId``, the
  caller's account in the stand-in) and in the Region of the call (IAM's in us-east-1); a
  cross-account ``sts:AssumeRole`` also in the role's account;
- refused calls are recorded with ``errorCode``/``errorMessage``; ``responseElements`` is null;
- sensitive request members (passwords, secret values, session tokens) read
  ``HIDDEN_DUE_TO_SECURITY_REASONS``; no response is recorded, so no secret value either;
- events appear at once (on AWS, typically within about 5 minutes: a simplification).

With a journal (:mod:`.persistence`) the records are kept next to it and survive a restart;
the replay of the journal records nothing again.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

#: Signing names whose management events the stand-in records (S3's object calls are data events: not recorded).
RECORDED = frozenset({"datazone", "ram", "lakeformation", "athena", "redshift-data", "redshift", "glue", "iam", "sts",
                      "secretsmanager", "cloudtrail"})
GLOBAL_REGION = {"iam": "us-east-1"}
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_SENSITIVE = ("password", "secretstring", "secretbinary", "secretaccesskey", "sessiontoken", "clientsecret")
_READ_ONLY = re.compile(r"(Get|List|Describe|Search|BatchGet|Lookup|Head)[A-Z0-9].*")
READ_ONLY_ACTIONS = frozenset({"AssumeRole"})
LOOKUP_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId")
MAX_RESULTS = 50
#: Where a stand-in with a journal keeps its event history (next to the journal).
FILE_NAME = "cloudtrail-events.jsonl"

_lock = threading.Lock()
_events: dict[tuple[str, str], list[dict[str, Any]]] = {}
_file: Path | None = None
_paused = threading.local()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def redact(value: Any, key: str = "") -> Any:
    """Request members as CloudTrail shows them: lowerCamelCase keys, sensitive values hidden."""
    if key and key.replace("_", "").lower().endswith(_SENSITIVE):
        return HIDDEN
    if isinstance(value, dict):
        return {_lower_first(k): redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    return value


def request_parameters(response: Any) -> dict[str, Any] | None:
    """The request's members: the JSON body, else the query/form members (without Action/Version)."""
    raw = getattr(response, "body", None)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if raw and raw.lstrip().startswith("{"):
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if isinstance(body, dict):
            return redact(body) or None
    query = getattr(response, "querystring", None) or {}
    members = {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in query.items()
               if k not in ("Action", "Version") and not k.startswith("X-Amz-")}
    return redact(members) or None


def _identity(requester: Any, access_key: str) -> tuple[dict[str, Any], str]:
    """(userIdentity, Username) of the requester, as CloudTrail shows them."""
    from .identity import iam_role

    base = {"arn": requester.arn, "accountId": requester.account, "accessKeyId": access_key}
    if requester.kind == "role":
        role = iam_role(requester.account, requester.name or "")
        role_id = getattr(role, "id", requester.name)
        session = requester.arn.rsplit("/", 1)[-1]
        issuer = {"type": "Role", "principalId": role_id, "arn": requester.principal_arn,
                  "accountId": requester.account, "userName": requester.name}
        return ({"type": "AssumedRole", "principalId": f"{role_id}:{session}", **base,
                 "sessionContext": {"sessionIssuer": issuer, "attributes": {"mfaAuthenticated": "false"}}}, session)
    if requester.kind == "user":
        return {"type": "IAMUser", "principalId": requester.name, **base, "userName": requester.name}, requester.name or ""
    return {"type": "Root", "principalId": requester.account, **base}, "root"


#: ARN service → the namespace of CloudTrail's resource types (``AWS::IAM::Role``, ``AWS::SecretsManager::Secret``).
_NAMESPACES = {"iam": "IAM", "sts": "IAM", "secretsmanager": "SecretsManager", "glue": "Glue", "redshift": "Redshift",
               "athena": "Athena", "datazone": "DataZone", "ram": "RAM", "lakeformation": "LakeFormation"}


def _resources(service: str, target_arn: str | None, response: Any) -> list[dict[str, str]]:
    """The resources an event names: the request's target (as the authorization derived it), DataZone's domain."""
    found = []
    parts = (target_arn or "").split(":", 5)
    if len(parts) == 6:
        word = re.split(r"[/:]", parts[5], maxsplit=1)[0]
        found.append({"ResourceType": f"AWS::{_NAMESPACES.get(parts[2], parts[2].title())}::{word[:1].upper()}{word[1:]}",
                      "ResourceName": target_arn})
    path = str(getattr(response, "path", "") or "")
    domain = re.match(r"/v2/domains/([^/]+)", path)
    if service == "datazone" and domain:
        found.append({"ResourceType": "AWS::DataZone::Domain", "ResourceName": domain.group(1)})
    return found


def record(requester: Any, access_key: str, service: str, operation: str, region: str, response: Any,
           target_arn: str | None = None, target_owner: str | None = None, refusal: str | None = None,
           error_code: str = "AccessDenied") -> str | None:
    """Record one call as a management event (a service CloudTrail logs); returns its event id."""
    if service not in RECORDED or getattr(_paused, "on", False):
        return None
    region = GLOBAL_REGION.get(service, region)
    identity, username = _identity(requester, access_key)
    when = _now()
    event_id = str(uuid.uuid4())
    read_only = bool(_READ_ONLY.fullmatch(operation)) or operation in READ_ONLY_ACTIONS
    headers = getattr(response, "headers", {}) or {}
    request = getattr(response, "request", None)
    detail: dict[str, Any] = {
        "eventVersion": "1.09", "userIdentity": identity, "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{service}.amazonaws.com", "eventName": operation, "awsRegion": region,
        "sourceIPAddress": getattr(request, "remote_addr", None) or "127.0.0.1",
        "userAgent": headers.get("User-Agent", ""), "requestParameters": request_parameters(response),
        "responseElements": None, "requestID": str(uuid.uuid4()), "eventID": event_id, "readOnly": read_only,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": requester.account,
        "eventCategory": "Management",
    }
    if refusal is not None:
        detail["errorCode"], detail["errorMessage"] = error_code, refusal
    event = {"EventId": event_id, "EventName": operation, "ReadOnly": str(read_only).lower(), "AccessKeyId": access_key,
             "EventTime": when.timestamp(), "EventSource": detail["eventSource"], "Username": username,
             "Resources": _resources(service, target_arn, response), "CloudTrailEvent": json.dumps(detail)}
    accounts = [requester.account]
    if service == "sts" and target_owner and target_owner != requester.account:
        accounts.append(target_owner)  # the role's account sees the AssumeRole as well
    with _lock:
        for account in accounts:
            _events.setdefault((account, region), []).append(event)
        if _file is not None:
            with _file.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps({"accounts": accounts, "region": region, "event": event}) + "\n")
    return event_id


def events(account: str, region: str) -> list[dict[str, Any]]:
    """The events visible in ``account`` and ``region``, newest first."""
    with _lock:
        return list(reversed(_events.get((account, region), [])))


def keep_in(path: str | Path) -> None:
    """Keep the records in ``path`` (JSON lines): load what it holds, append from now on."""
    global _file
    path = Path(path)
    with _lock:
        _file = path
        if not path.exists():
            return
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line
            for account in entry["accounts"]:
                _events.setdefault((account, entry["region"]), []).append(entry["event"])


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Record nothing in this thread (the journal's replay: its calls were recorded when they were made)."""
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = False


def reset() -> None:
    """Forget every record (tests)."""
    with _lock:
        _events.clear()


# --- LookupEvents ------------------------------------------------------------------------------


class LookupError_(Exception):
    """A LookupEvents validation error: CloudTrail's error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _matches(event: dict[str, Any], key: str, value: str) -> bool:
    if key in ("ResourceType", "ResourceName"):
        return any(r.get(key) == value for r in event.get("Resources", []))
    return str(event.get(key)) == value


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def lookup(account: str, region: str, params: dict[str, Any], exclude: str | None = None) -> dict[str, Any]:
    """``LookupEvents`` for ``account``/``region``: attribute, time window, page of at most 50, newest first."""
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise LookupError_("InvalidLookupAttributesException", "You can only specify one lookup attribute.")
    for attribute in attributes:
        if attribute.get("AttributeKey") not in LOOKUP_KEYS:
            raise LookupError_("InvalidLookupAttributesException",
                               f"Attribute key {attribute.get('AttributeKey')} is not valid.")
    start, end = _epoch(params.get("StartTime")), _epoch(params.get("EndTime"))
    if start is not None and end is not None and start > end:
        raise LookupError_("InvalidTimeRangeException", "Start time must be before end time.")
    size = params.get("MaxResults") or MAX_RESULTS
    if not isinstance(size, int) or not 1 <= size <= MAX_RESULTS:
        raise LookupError_("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    if params.get("EventCategory") not in (None, "insight"):
        raise LookupError_("InvalidEventCategoryException", "The event category is not valid.")
    if params.get("EventCategory") == "insight":
        return {"Events": []}
    chosen = [e for e in events(account, region) if e["EventId"] != exclude
              and (start is None or e["EventTime"] >= start) and (end is None or e["EventTime"] <= end)
              and all(_matches(e, a["AttributeKey"], a.get("AttributeValue", "")) for a in attributes)]
    offset = 0
    token = params.get("NextToken")
    if token:
        try:
            before = json.loads(base64.b64decode(token))["before"]
        except (ValueError, KeyError, TypeError):
            raise LookupError_("InvalidNextTokenException", "Invalid NextToken.") from None
        offset = next((i for i, e in enumerate(chosen) if e["EventId"] == before), None)
        if offset is None:
            raise LookupError_("InvalidNextTokenException", "Invalid NextToken.")
        offset += 1
    page = chosen[offset:offset + size]
    body: dict[str, Any] = {"Events": page}
    if offset + size < len(chosen):
        body["NextToken"] = base64.b64encode(json.dumps({"before": page[-1]["EventId"]}).encode()).decode()
    return body


_installed = False


def install() -> None:
    """Give moto's CloudTrail a ``LookupEvents`` answered from the records (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.core.exceptions import JsonRESTError

    def lookup_events(self: Any) -> str:
        params = json.loads(self.body or "{}")
        try:
            body = lookup(self.current_account, self.region, params, getattr(self, "lab_event_id", None))
        except LookupError_ as error:
            raise JsonRESTError(error.code, error.message) from None
        return json.dumps(body)

    CloudTrailResponse.lookup_events = lookup_events  # type: ignore[attr-defined]
    _installed = True
