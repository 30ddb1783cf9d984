"""IAM authorization on every request to the stand-in, replacing moto's shallow check.

``install()`` sets moto's ``INITIAL_NO_AUTH_ACTION_COUNT`` to 0 and replaces
``ActionAuthenticatorMixin._authenticate_and_authorize_action`` (the hook moto's
``BaseResponse.call_action`` and its S3 handlers call) with :func:`authorize`:

1. Who: the access key of the SigV4 ``Authorization`` header (or a presigned URL's
   ``X-Amz-Credential``). An IAM user's key acts as the user, an ``sts:AssumeRole`` key as the
   role session (its session token must be sent, else ``InvalidClientTokenId``); any other
   key is the organisation's management account (moto's default account), acting with full
   access in it. Signatures are not verified (the stand-in has no secret for such keys).
2. What: ``<iam prefix>:<Operation>`` and, where it can be derived reliably, the resource ARN
   (S3 bucket/object, IAM role/user/group/policy, ``sts:AssumeRole``'s role, Secrets
   Manager's secret); elsewhere the resource is "not derived" and every ``Resource`` of a
   statement matches (an assumption).
3. Decision (IAM User Guide, policy evaluation logic and cross-account logic): an explicit
   Deny in any policy refuses; within one account an Allow in the identity policies or in
   the resource's policy suffices; across accounts both must allow. The resource policies
   are S3 bucket policies, secrets' resource policies and, for ``sts:AssumeRole``, the role's
   trust policy (which must admit the caller in every case).

Errors follow each service's protocol: ``AccessDenied`` (IAM, STS, Redshift, S3) or
``AccessDeniedException`` (JSON and REST-JSON services).
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import InvalidClientTokenIdError, JsonRESTError, _RESTError

from .identity import iam_role, iam_role_of_arn
from .policy import Decision, Principal, Request, evaluate

PARTITION = "aws"
MANAGEMENT_ACCOUNT = DEFAULT_ACCOUNT_ID

#: SigV4 signing names whose IAM action prefix differs.
IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "execute-api": "execute-api", "states": "states"}

#: moto's S3 operation names → S3's IAM actions (Amazon S3 actions and the operations they authorize).
S3_ACTIONS = {
    "ListObjects": "ListBucket", "ListObjectsV2": "ListBucket", "HeadBucket": "ListBucket", "ListBuckets": "ListAllMyBuckets",
    "DeleteObjects": "DeleteObject", "ListMultipartUploads": "ListBucketMultipartUploads", "HeadObject": "GetObject",
    "CopyObject": "PutObject", "GetBucketCors": "GetBucketCORS", "PutBucketCors": "PutBucketCORS",
}

QUERY_SERVICES = {"iam", "sts", "redshift"}


@dataclass(frozen=True)
class Requester:
    """The principal a request's access key stands for."""

    account: str
    arn: str
    """The caller ARN (assumed-role session, user or account root), as in error messages."""
    principal_arn: str
    """aws:PrincipalArn: the role ARN of a session, the user ARN, or the account root ARN."""
    kind: str
    """``root``, ``user`` or ``role``."""
    name: str | None = None

    def as_principal(self) -> Principal:
        return Principal(account=self.account, arns=frozenset({self.arn, self.principal_arn}))

    def context(self, region: str) -> dict[str, Any]:
        ctx: dict[str, Any] = {
            "aws:principalaccount": self.account,
            "aws:principalarn": self.principal_arn,
            "aws:requestedregion": region,
            "aws:principaltype": {"root": "Account", "user": "User", "role": "AssumedRole"}[self.kind],
        }
        if self.kind == "user" and self.name:
            ctx["aws:username"] = self.name
        return ctx


class AccessDenied(Exception):
    """A refusal: rendered per service by :func:`_error`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- who -----------------------------------------------------------------------------------


def resolve(access_key: str, session_token: str | None) -> Requester:
    """The requester of an access key; raises ``InvalidClientTokenIdError`` for a bad session token."""
    from moto.iam.models import get_account_id_from, iam_backends
    from moto.sts.models import sts_backends

    account = get_account_id_from(access_key)
    iam = iam_backends[account][PARTITION]
    key = iam.access_keys.get(access_key)
    if key is None:  # not an IAM key: the management account's default credentials
        return Requester(MANAGEMENT_ACCOUNT, f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root", f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root", "root")
    assumed = sts_backends[account][PARTITION].get_assumed_role_from_access_key(access_key)
    if assumed is not None:
        if session_token != assumed.session_token:
            raise InvalidClientTokenIdError()
        role_name = assumed.role_arn.split("/")[-1]
        return Requester(account, assumed.arn, assumed.role_arn, "role", role_name)
    user = next((u for u in iam.users.values() if any(k.access_key_id == access_key for k in u.access_keys)), None)
    if user is None or session_token:
        raise InvalidClientTokenIdError()
    return Requester(account, user.arn, user.arn, "user", user.name)


def identity_policies(requester: Requester) -> tuple[list[str], list[str] | None]:
    """The principal's identity policy documents and its permissions boundary (None: no boundary)."""
    from moto.iam.models import iam_backends

    iam = iam_backends[requester.account][PARTITION]
    docs: list[str] = []

    def managed(policies: Any) -> None:
        for policy in policies:
            docs.append(_default_version(policy))

    if requester.kind == "user":
        user = iam.get_user(requester.name)
        docs += [p for p in user.policies.values()]
        managed(user.managed_policies.values())
        for group in iam.get_groups_for_user(requester.name):
            docs += list(group.policies.values())
            managed(group.managed_policies.values())
        boundary_arn = getattr(user, "permissions_boundary", None)
    elif requester.kind == "role":
        role = iam_role(requester.account, requester.name or "")
        if role is None:  # the role was deleted after the session began
            return [], None
        docs += list(role.policies.values())
        managed(role.managed_policies.values())
        boundary_arn = role.permissions_boundary
    else:
        return [], None
    boundary = None
    if boundary_arn:
        policy = iam.managed_policies.get(boundary_arn)
        boundary = [_default_version(policy)] if policy is not None else []
    return docs, boundary


def _default_version(policy: Any) -> str:
    return next(v.document for v in policy.versions if v.is_default)


# --- what ----------------------------------------------------------------------------------


def _credential(response: Any) -> tuple[str, str, str] | None:
    """(access key, region, signing service) from the Authorization header or a presigned URL."""
    header = response.headers.get("Authorization") or ""
    match = re.search(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request", header)
    if match is None:
        credential = response.querystring.get("X-Amz-Credential")
        if credential:
            value = credential[0] if isinstance(credential, list) else credential
            match = re.match(r"([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request", value)
    if match is None:
        return None
    return match.group(1), match.group(2), match.group(3)


def _session_token(response: Any) -> str | None:
    token = response.headers.get("X-Amz-Security-Token")
    if token:
        return str(token)
    value = response.querystring.get("X-Amz-Security-Token")
    return (value[0] if isinstance(value, list) else value) or None


def _param(response: Any, name: str) -> str | None:
    try:
        value = response._get_param(name)
    except Exception:  # a body moto cannot parse as the protocol
        return None
    return value if isinstance(value, str) and value else None


def _iam_resource(response: Any, account: str) -> str | None:
    from moto.iam.models import iam_backends

    iam = iam_backends[account][PARTITION]
    if _param(response, "PolicyArn") and not (_param(response, "RoleName") or _param(response, "UserName")
                                               or _param(response, "GroupName")):
        return _param(response, "PolicyArn")  # policy operations; attach/detach act on the role/user/group
    if _param(response, "RoleName"):
        name = _param(response, "RoleName")
        role = iam_role(account, name)
        return role.arn if role else f"arn:aws:iam::{account}:role/{name}"
    if _param(response, "UserName"):
        name = _param(response, "UserName")
        user = iam.users.get(name)
        return user.arn if user else f"arn:aws:iam::{account}:user/{name}"
    if _param(response, "GroupName"):
        return f"arn:aws:iam::{account}:group/{_param(response, 'GroupName')}"
    return None


@dataclass
class Target:
    """The resource of a request: its ARN (None: not derived), owner account, policy, context keys."""

    arn: str | None = None
    owner: str | None = None
    policy: str | None = None
    context: dict[str, Any] | None = None
    trust: bool = False
    """The policy is a role trust policy: it must admit the caller even within the account."""


def _secret_target(secret_id: str, account: str, region: str) -> Target:
    from moto.secretsmanager.models import secretsmanager_backends

    owner = account
    if secret_id.startswith("arn:"):
        parts = secret_id.split(":")
        owner, region = parts[4], parts[3]
    secret = secretsmanager_backends[owner][region].secrets.get(secret_id)
    if secret is None:
        arn = secret_id if secret_id.startswith("arn:") else None
        return Target(arn, owner, context={"secretsmanager:secretid": secret_id})
    ctx: dict[str, Any] = {"secretsmanager:secretid": secret.arn}
    for tag in secret.tags or []:
        ctx[f"secretsmanager:resourcetag/{tag['Key'].lower()}"] = tag["Value"]
        ctx[f"aws:resourcetag/{tag['Key'].lower()}"] = tag["Value"]
    return Target(secret.arn, owner, getattr(secret, "policy", None), ctx)


def _role_target(role_arn: str) -> Target:
    parts = role_arn.split(":")
    if len(parts) < 6 or not parts[4].isdigit() or not parts[5].startswith("role/"):
        return Target(role_arn, None, None, trust=True)
    role = iam_role_of_arn(role_arn)  # creating the account's backend makes OrganizationAccountAccessRole
    if role is not None and role.arn != role_arn:  # the ARN must carry the role's path
        role = None
    return Target(role_arn, parts[4], role.assume_role_policy_document if role else None, trust=True)


def _s3_target(resource: str) -> Target:
    from moto.s3.models import s3_backends

    if resource in ("arn:aws:s3:::*", "*"):
        return Target(None)
    bucket = resource.split(":::", 1)[-1].split("/", 1)[0]
    located = s3_backends.bucket_accounts.get(bucket)
    if located is None:
        return Target(resource)
    owner = located[1]
    policy = s3_backends[owner][located[0]].buckets.get(bucket)
    raw = policy.policy if policy is not None else None
    return Target(resource, owner, raw.decode() if isinstance(raw, bytes) else raw)


def target_of(response: Any, service: str, operation: str, requester: Requester, region: str, s3_resource: str | None) -> Target:
    """The resource a request acts on, as far as the stand-in derives it."""
    if service == "s3":
        target = _s3_target(s3_resource or "*")
        ctx = {}
        for key in ("prefix", "delimiter", "max-keys"):
            value = response.querystring.get(key)
            if value:
                ctx[f"s3:{key}"] = value[0] if isinstance(value, list) else value
        target.context = ctx
        return target
    if service == "sts" and operation == "AssumeRole":
        target = _role_target(_param(response, "RoleArn") or "")
        target.context = {k: v for k, v in (("sts:externalid", _param(response, "ExternalId")),
                                              ("sts:rolesessionname", _param(response, "RoleSessionName"))) if v}
        return target
    if service == "iam":
        policy_arn = _param(response, "PolicyArn")
        return Target(_iam_resource(response, requester.account), requester.account,
                      context={"iam:policyarn": policy_arn} if policy_arn else None)
    if service == "secretsmanager" and _param(response, "SecretId"):
        return _secret_target(_param(response, "SecretId") or "", requester.account, region)
    if service == "redshift-serverless":
        return _serverless_target(response, requester.account, region)
    if service == "glue":
        catalog = _param(response, "CatalogId")
        if catalog and catalog != requester.account:
            # moto serves the caller's own catalog only: another account's catalog is refused
            return Target(f"arn:aws:glue:{region}:{catalog}:catalog", catalog)
    return Target(None, None)


def _serverless_target(response: Any, account: str, region: str) -> Target:
    """A Redshift Serverless namespace or workgroup named by the request (its ARN carries its id)."""
    from .redshift_serverless.models import redshiftserverless_backends

    backend = redshiftserverless_backends[account][region]
    workgroup, namespace = _param(response, "workgroupName"), _param(response, "namespaceName")
    found = backend.visible_workgroup(workgroup) if workgroup else (
        backend.visible_namespace(namespace) if namespace else None)
    if found is not None:
        return Target(found.arn, account)
    arn = _param(response, "resourceArn")
    return Target(arn, account) if arn else Target(None, None)


# --- decision ------------------------------------------------------------------------------


#: Environment variable naming a file where the stand-in appends one JSON line per decision on a
#: role's request (principal, action, resource, context, refusal): how the kit checks that each
#: statement of a persona's policy is needed (tests/test_persona_policies.py).
DECISION_LOG = "LAB_AUTH_LOG"
_log_lock = threading.Lock()


def _log_decision(requester: Requester, action: str, target: Target, context: dict[str, Any], refusal: str | None) -> None:
    path = os.environ.get(DECISION_LOG)
    if not path or requester.kind != "role":
        return
    line = json.dumps({"principal": requester.principal_arn, "action": action, "resource": target.arn,
                       "context": context, "refusal": refusal}, default=str)
    with _log_lock, open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def decide(requester: Requester, action: str, target: Target, context: dict[str, Any]) -> str | None:
    """None if allowed, else the refusal message (AWS's wording); logged when ``LAB_AUTH_LOG`` is set."""
    refusal = _decide(requester, action, target, context)
    _log_decision(requester, action, target, context, refusal)
    return refusal


def _decide(requester: Requester, action: str, target: Target, context: dict[str, Any]) -> str | None:
    request = Request(action, target.arn, context, requester.as_principal())
    if requester.kind == "root":
        identity = Decision.ALLOW if requester.account == MANAGEMENT_ACCOUNT else Decision.NOT_APPLICABLE
    else:
        docs, boundary = identity_policies(requester)
        identity = evaluate(docs, request)
        if boundary is not None and identity is Decision.ALLOW:
            limit = evaluate(boundary, request)
            identity = Decision.DENY if limit is Decision.DENY else identity if limit is Decision.ALLOW else Decision.NOT_APPLICABLE
    on = f" on resource: {target.arn}" if target.arn else ""
    head = f"User: {requester.arn} is not authorized to perform: {action}{on}"
    if identity is Decision.DENY:
        return f"{head} with an explicit deny in an identity-based policy"
    same_account = target.owner is None or target.owner == requester.account
    if target.trust:
        return _trust_refusal(requester, target, request, identity, head)
    resource = evaluate([target.policy], request) if target.policy else Decision.NOT_APPLICABLE
    if resource is Decision.DENY:
        return f"{head} with an explicit deny in a resource-based policy"
    if same_account:
        # a resource policy naming the account (not the principal) delegates to identity policies
        named = evaluate([target.policy], Request(action, target.arn, context, Principal(arns=request.principal.arns))) if target.policy else Decision.NOT_APPLICABLE  # type: ignore[union-attr]
        if identity is Decision.ALLOW or named is Decision.ALLOW:
            return None
        return f"{head} because no identity-based policy allows the {action} action"
    if identity is not Decision.ALLOW:
        return f"{head} because no identity-based policy allows the {action} action"
    if resource is not Decision.ALLOW:
        return f"{head} because no resource-based policy allows the {action} action"
    return None


def _trust_refusal(requester: Requester, target: Target, request: Request, identity: Decision, head: str) -> str | None:
    """sts:AssumeRole: the role must exist and its trust policy admit the caller (AWS's message has no reason)."""
    if target.policy is None:
        return head
    trust = evaluate([target.policy], request)
    if trust is not Decision.ALLOW:
        return head
    named = evaluate([target.policy], Request(request.action, request.resource, request.context, Principal(arns=request.principal.arns)))  # type: ignore[union-attr]
    if identity is Decision.ALLOW or (named is Decision.ALLOW and target.owner == requester.account):
        return None
    return head


# --- the hook ------------------------------------------------------------------------------


def _operation(response: Any, service: str) -> str:
    if service == "s3":
        name = str(response.data.get("Action") or "") if isinstance(response.data, dict) else ""
        query = getattr(response, "querystring", None) or {}
        if "encryption" in query:  # moto's action map files bucket-encryption calls under the bucket's default
            return {"PUT": "PutEncryptionConfiguration", "GET": "GetEncryptionConfiguration",
                    "DELETE": "PutEncryptionConfiguration"}.get(response.method, name)
        return S3_ACTIONS.get(name, name)
    return str(response._get_action() or "")


def _error(service: str, message: str, bucket: str | None) -> Exception:
    if service == "s3":
        from moto.s3.exceptions import BucketAccessDeniedError, S3AccessDeniedError

        return BucketAccessDeniedError(bucket=bucket) if bucket else S3AccessDeniedError()
    if service in QUERY_SERVICES:
        error = _RESTError("AccessDenied", message)
        error.code = 403
        return error
    error = JsonRESTError("AccessDeniedException", message)
    error.code = 403 if service in ("datazone", "lakeformation", "ram") else 400
    return error


def authorize(response: Any, s3_resource: str | None = None) -> None:
    """Authorize the request ``response`` (a moto ``BaseResponse``) is handling, or raise AWS's error."""
    credential = _credential(response)
    if credential is None:
        service = response.service_name if hasattr(response, "service_name") else ""
        raise _error(str(service), "Anonymous requests are not authorized", None)
    access_key, region, signing_name = credential
    service = IAM_PREFIX.get(signing_name, signing_name)
    requester = resolve(access_key, _session_token(response))
    operation = _operation(response, service)
    action = f"{service}:{operation}"
    if action.lower() == "sts:getcalleridentity":  # always allowed, even with an explicit Deny
        _trail(response, requester, access_key, service, operation, region, Target(), None)
        return
    target = target_of(response, service, operation, requester, region, s3_resource)
    context = {**requester.context(region), **(target.context or {})}
    if target.owner:
        context["aws:resourceaccount"] = target.owner
    refusal = decide(requester, action, target, context)
    if refusal is None and service == "redshift-data":
        refusal = _redshift_data_secret(response, requester, region) or _redshift_data_iam(response, requester, region)
    if refusal is None:
        refusal = _companion_refusal(response, requester, service, operation, target, context)
    _trail(response, requester, access_key, service, operation, region, target, refusal)
    if refusal is not None:
        bucket = s3_resource.split(":::", 1)[-1].split("/", 1)[0] if s3_resource and s3_resource != "arn:aws:s3:::*" else None
        raise _error(service, refusal, bucket)


def _trail(response: Any, requester: Requester, access_key: str, service: str, operation: str, region: str,
           target: Target, refusal: str | None) -> None:
    """Record the call in the account's CloudTrail event history (:mod:`.cloudtrail`)."""
    from . import cloudtrail

    code = "AccessDenied" if service in QUERY_SERVICES else "AccessDeniedException"
    response.lab_event_id = cloudtrail.record(requester, access_key, service, operation, region, response,
                                              target.arn, target.owner, refusal, code)


#: Request members naming a role the service will use: the caller must be allowed iam:PassRole on it,
#: to that service (AmazonDataZoneFullAccess grants it as ``IAMPassRoleStatement`` with
#: ``iam:PassedToService = datazone.amazonaws.com``; IAM user guide, "Granting a user permissions
#: to pass a role to an AWS service").
PASSED_ROLES: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("datazone", "CreateDomain"): ("datazone.amazonaws.com", ("domainExecutionRole", "serviceRole")),
    ("datazone", "PutEnvironmentBlueprintConfiguration"): ("datazone.amazonaws.com",
                                                           ("provisioningRoleArn", "manageAccessRoleArn")),
}
#: Creating a resource WITH tags also needs the service's tagging action (IAM user guide "Permissions
#: required to tag IAM entities"; Secrets Manager CreateSecret API reference; Redshift's
#: service authorization reference lists redshift:CreateTags as a dependent action of CreateCluster).
TAG_ON_CREATE: dict[tuple[str, str], str] = {
    ("iam", "CreateRole"): "iam:TagRole",
    ("iam", "CreateUser"): "iam:TagUser",
    ("secretsmanager", "CreateSecret"): "secretsmanager:TagResource",
    ("redshift", "CreateCluster"): "redshift:CreateTags",
}


def _has_member(response: Any, name: str) -> bool:
    try:
        if response._get_param(name):
            return True
    except Exception:  # a body moto cannot parse as the protocol
        pass
    query = getattr(response, "querystring", None) or {}
    return any(key == name or key.startswith(f"{name}.") for key in query)


def _companion_refusal(response: Any, requester: Requester, service: str, operation: str, target: Target,
                       context: dict[str, Any]) -> str | None:
    """The further actions AWS checks for this request: iam:PassRole on passed roles, tagging on create."""
    passed = PASSED_ROLES.get((service, operation))
    if passed:
        to_service, members = passed
        for member in members:
            role = _param(response, member)
            if role:
                owner = role.split(":")[4] if role.count(":") >= 5 else requester.account
                refusal = decide(requester, "iam:PassRole", Target(role, owner),
                                 {**context, "iam:passedtoservice": to_service, "aws:resourceaccount": owner})
                if refusal:
                    return refusal
    tagging = TAG_ON_CREATE.get((service, operation))
    if tagging and _has_member(response, "Tags"):
        return decide(requester, tagging, target, context)
    return None


def _redshift_data_secret(response: Any, requester: Requester, region: str) -> str | None:
    """The Data API reads a ``SecretArn`` with the caller's permissions: secretsmanager:GetSecretValue."""
    secret = _param(response, "SecretArn")
    if not secret:
        return None
    target = _secret_target(secret, requester.account, region)
    context = {**requester.context(region), **(target.context or {})}
    return decide(requester, "secretsmanager:GetSecretValue", target, context)


def _redshift_data_iam(response: Any, requester: Requester, region: str) -> str | None:
    """A workgroup without ``SecretArn``: the Data API gets temporary credentials with the caller's identity,
    which needs ``redshift-serverless:GetCredentials`` on the workgroup (Redshift Data API user guide,
    "Authorizing access to the Amazon Redshift Data API": temporary credentials, Serverless)."""
    workgroup = _param(response, "WorkgroupName")
    if not workgroup or _param(response, "SecretArn"):
        return None
    from .redshift_serverless.models import redshiftserverless_backends

    found = redshiftserverless_backends[requester.account][region].workgroups.get(workgroup)
    target = Target(found.arn if found else None, requester.account)
    context = {**requester.context(region), "aws:resourceaccount": requester.account}
    return decide(requester, "redshift-serverless:GetCredentials", target, context)


def _report_root_caller() -> None:
    """GetCallerIdentity with the default credentials answers as the account root, as AWS does for root.

    (moto answers ``arn:aws:sts::<account>:user/moto``.)
    """
    from moto.sts.models import STSBackend

    original = STSBackend.get_caller_identity

    def get_caller_identity(self: STSBackend, access_key_id: str, region: str) -> tuple[str, str, str]:
        user_id, arn, account = original(self, access_key_id, region)
        if arn.endswith(":user/moto"):
            return account, f"arn:aws:iam::{account}:root", account
        return user_id, arn, account

    STSBackend.get_caller_identity = get_caller_identity  # type: ignore[method-assign]


def _bucket_policies_here_only() -> None:
    """moto pre-checks bucket policies ignoring ``Principal`` and ``Condition`` (bare 403): :func:`decide` does it."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        return PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


_installed = False


def install() -> None:
    """Turn IAM enforcement on in moto and route its hook to :func:`authorize` (idempotent)."""
    global _installed
    if _installed:
        return
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
            ActionAuthenticatorMixin.request_count += 1
            return
        if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
            return
        from moto.iam.access_control import S3IAMRequest

        authorize(self, resource if iam_request_cls is S3IAMRequest else None)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action  # type: ignore[method-assign]
    _report_root_caller()
    _bucket_policies_here_only()
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    _installed = True

