"""Who is calling: map a request's access key to its account and IAM principal.

moto binds the keys that ``sts.assume_role`` returns to the role's account; this module
reads that binding back so add-ons can enforce per-principal rules (DataZone user
profiles, project membership) the way AWS does with the caller's identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID


@dataclass(frozen=True)
class Caller:
    """The principal behind a request."""

    account_id: str
    arn: str
    """The caller ARN as ``sts.get_caller_identity`` reports it."""
    principal_arn: str
    """The IAM role or user ARN (an assumed role's role ARN)."""


def caller_from_access_key(access_key: str) -> Caller:
    """Resolve an access key to the caller, like STS ``GetCallerIdentity``."""
    from moto.iam.models import get_account_id_from, iam_backends
    from moto.sts.models import sts_backends

    account_id = get_account_id_from(access_key)
    for partition in ("aws",):
        assumed = sts_backends[account_id][partition].get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            role_arn = assumed.role_arn
            return Caller(account_id, assumed.arn, role_arn)
        iam = iam_backends[account_id][partition]
        if access_key in iam.access_keys:
            key = iam.access_keys[access_key]
            if key.role_arn:
                return Caller(account_id, key.role_arn, key.role_arn)
            user = next((u for u in iam.users.values() if any(k.access_key_id == access_key for k in u.access_keys)), None)
            if user is not None:
                return Caller(account_id, user.arn, user.arn)
    root = f"arn:aws:iam::{account_id or DEFAULT_ACCOUNT_ID}:root"
    return Caller(account_id or DEFAULT_ACCOUNT_ID, root, root)


def caller_of(response) -> Caller:  # type: ignore[no-untyped-def]
    """The caller of the request a moto ``BaseResponse`` is handling."""
    return caller_from_access_key(response.get_access_key())


def iam_role(account_id: str, name: str) -> Any | None:
    """moto's IAM role called ``name`` in ``account_id`` (names are unique in an account), or None."""
    from moto.iam.models import iam_backends

    return next((r for r in iam_backends[account_id]["aws"].roles.values() if r.name == name), None)


def iam_role_of_arn(role_arn: str) -> Any | None:
    """moto's IAM role a role ARN names (by its account and last path segment), or None."""
    parts = role_arn.split(":")
    if len(parts) < 6 or not parts[4].isdigit() or not parts[5].startswith("role/"):
        return None
    return iam_role(parts[4], parts[5].rsplit("/", 1)[-1])
