"""Who may do what in a domain: association, user profiles, project membership.

AWS decides with IAM policies plus DataZone's own checks; the stand-in keeps the rules the
walkthrough depends on:
- a principal of another account reaches the domain only while that account's RAM
  association (share accepted, not deleted) holds;
- admin operations (domain settings, user profiles, blueprint configuration) belong to the
  domain owner account; an associated account configures only its own blueprints;
- everything else needs the caller's user profile (matched by IAM role/user ARN). IAM
  principals of the domain's own account get theirs implicitly on first use (ACTIVATED,
  IAM_ROLE/IAM_USER; an assumed-role session maps to its role's ARN, path kept); principals
  of associated accounts need one made by the domain account (CreateUserProfile);
- project work needs membership of the project.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..identity import Caller, iam_role_of_arn
from .common import lookup, new_id
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


def same_principal(a: str, b: str) -> bool:
    """Two IAM ARNs name the same role/user: same account, kind and name (paths may differ)."""
    pa, pb = a.split(":"), b.split(":")
    if len(pa) < 6 or len(pb) < 6:
        return a == b
    (ka, _, na), (kb, _, nb) = pa[5].partition("/"), pb[5].partition("/")
    return pa[4] == pb[4] and ka == kb and na.rsplit("/", 1)[-1] == nb.rsplit("/", 1)[-1]


def iam_arn(principal_arn: str) -> str:
    """The principal's IAM ARN as IAM has it (with its path, e.g. ``aws-reserved/sso.amazonaws.com/``)."""
    role = iam_role_of_arn(principal_arn)
    return role.arn if role is not None else principal_arn


def find_profile(domain: Domain, arn: str) -> UserProfile | None:
    """The domain's user profile of an IAM principal, whatever its status."""
    return next((u for u in domain.users.values() if same_principal(u.arn, arn)), None)


def implicit_profile(domain: Domain, principal_arn: str) -> UserProfile:
    """The profile DataZone makes for a domain-account IAM principal on first use.

    Source: the user guide ("Manage users in the Amazon DataZone console": the domain account
    adds users of associated accounts) and AWS's CLI tutorial 059, which creates projects with
    the credentials that created the domain, no CreateUserProfile. The account root counts as
    an IAM_USER (assumption).
    """
    arn = iam_arn(principal_arn)
    user = UserProfile(id=new_id(), domain_id=domain.id, arn=arn, user_type="IAM_ROLE" if ":role/" in arn else "IAM_USER")
    domain.users[user.id] = user
    return user


def profile_of(domain: Domain, caller: Caller) -> UserProfile | None:
    """The caller's usable (ACTIVATED/ASSIGNED) profile; made on first use for domain-account principals."""
    profile = find_profile(domain, caller.principal_arn)
    if profile is None and caller.account_id == domain.owner_account:
        profile = implicit_profile(domain, caller.principal_arn)
    if profile is None or profile.status not in ("ACTIVATED", "ASSIGNED"):
        return None
    return profile


def require_profile(domain: Domain, caller: Caller, operation: str) -> UserProfile:
    """The caller's user profile in the domain; AccessDenied (AWS's text) without one."""
    profile = profile_of(domain, caller)
    if profile is None:
        raise deny(operation)
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
