"""Who may do what in a domain: association, user profiles, project membership.

AWS decides with IAM policies plus DataZone's own checks; the stand-in keeps the rules the
walkthrough depends on:
- a principal of another account reaches the domain only while that account's RAM
  association (share accepted, not deleted) holds;
- admin operations (domain settings, user profiles, blueprint configuration) belong to the
  domain owner account; an associated account configures only its own blueprints;
- everything else needs the caller's user profile (matched by IAM role/user ARN), and
  project work needs membership of the project.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..identity import Caller
from .common import lookup
from .exceptions import AccessDeniedException
from .records import Domain, Project, UserProfile


@dataclass
class Store:
    """A Region's DataZone state, shared by every account (domains are reached cross-account)."""

    domains: dict[str, Domain] = field(default_factory=dict)


def deny(operation: str = "") -> AccessDeniedException:
    return AccessDeniedException("User is not permitted to perform operation" + (f": {operation}" if operation else ""))


def associated(domain: Domain, account_id: str) -> bool:
    """The owner account, or an account whose RAM association with the domain holds."""
    if account_id == domain.owner_account:
        return True
    from ..ram import is_associated

    return is_associated(domain.arn, account_id, domain.region)


def find_domain(store: Store, caller: Caller, identifier: str | None) -> Domain:
    """The domain, if the caller's account reaches it (AccessDenied otherwise, like AWS)."""
    domain = lookup(store.domains, identifier, "Domain", forget_deleted=True)
    if not associated(domain, caller.account_id):
        raise AccessDeniedException(
            f"User: {caller.arn} is not authorized to access domain {domain.id}: "
            "the domain is not shared with this account or the association is not accepted"
        )
    return domain


def require_owner_account(domain: Domain, caller: Caller, operation: str) -> None:
    if caller.account_id != domain.owner_account:
        raise deny(operation)


def profile_of(domain: Domain, caller: Caller) -> UserProfile | None:
    return next((u for u in domain.users.values() if u.arn == caller.principal_arn and u.status in ("ACTIVATED", "ASSIGNED")), None)


def require_profile(domain: Domain, caller: Caller, operation: str) -> UserProfile:
    """The caller's user profile in the domain; AccessDenied without one."""
    profile = profile_of(domain, caller)
    if profile is None:
        raise AccessDeniedException(
            f"User is not permitted to perform operation: {operation}. "
            f"{caller.principal_arn} has no user profile in domain {domain.id}"
        )
    return profile


def is_member(project: Project, profile: UserProfile | None) -> bool:
    return profile is not None and profile.id in project.members


def require_member(project: Project, profile: UserProfile, operation: str) -> None:
    if not is_member(project, profile):
        raise AccessDeniedException(
            f"User is not permitted to perform operation: {operation}. User {profile.id} is not a member of project {project.id}"
        )


def actor_id(domain: Domain, caller: Caller) -> str:
    """``createdBy``: the caller's user profile id, else its principal ARN (admins)."""
    profile = profile_of(domain, caller)
    return profile.id if profile else caller.principal_arn
