"""Subscription requests, their approval, subscriptions and the grants that carry them out.

Accepting a request makes a subscription per listing and a grant to every environment of
the subscribing project that exists then and takes the asset's type (Glue tables go to
DefaultDataLake environments, Redshift tables to DefaultDataWarehouse ones). A grant calls
the engines' hooks (:mod:`lab_helpers.offline.grants`); an exception there leaves it
GRANT_FAILED with the message as the asset's ``failureCause``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ..identity import Caller
from . import engines
from .access import Store, deny, find_domain, is_member, require_member, require_profile
from .blueprints import DATA_LAKE, DATA_WAREHOUSE
from .common import listing, lookup, new_id, now, require
from .exceptions import AccessDeniedException, ConflictException, ResourceNotFoundException, ValidationException
from .records import Domain, Environment, Grant, Listing, Subscription, SubscriptionRequest, UserProfile
from .state import Lifecycle

GLUE_TYPE = "amazon.datazone.GlueTableAssetType"
T = TypeVar("T")


APPROVER_DESIGNATIONS = {"PROJECT_OWNER", "PROJECT_CONTRIBUTOR", "PROJECT_CATALOG_STEWARD"}


def _member_of_any(domain: Domain, user: UserProfile, project_ids: Iterable[str]) -> bool:
    """Whether the user is a member of one of these projects (a deleted project counts for none)."""
    return any(pid in domain.projects and is_member(domain.projects[pid], user) for pid in project_ids)


def _sort_by_time(items: list[Any], p: dict[str, Any]) -> None:
    """Sort in place by creation (or ``sortBy`` UPDATED_AT) time, newest last unless ``sortOrder`` is DESCENDING."""
    items.sort(key=lambda i: i.created_at if p.get("sortBy") != "UPDATED_AT" else i.updated_at, reverse=p.get("sortOrder") == "DESCENDING")


def _env_takes(env: Environment, lst: Listing) -> bool:
    wanted = DATA_LAKE if lst.asset.type_identifier == GLUE_TYPE else DATA_WAREHOUSE
    return env.blueprint.name == wanted


def _hook_kwargs(env: Environment, lst: Listing) -> tuple[str, dict[str, str]]:
    """The hook family (``glue_table`` / ``redshift_table``) and its keyword arguments."""
    src = lst.asset.source
    if src["kind"] == "glue":
        return "glue_table", {
            "region": env.region, "source_account": src["account"], "source_database": src["database"], "table": src["table"],
            "target_account": env.account_id, "target_database": env.resource("glueConsumerDBName") or "",
        }
    return "redshift_table", {
        "region": env.region, "source_account": src["account"], "source_store": src["store"], "source_database": src["database"],
        "source_schema": src["schema"], "table": src["table"], "target_account": env.account_id,
        "target_store": env.resource("clusterName") or env.resource("workgroupName") or "",
        "target_database": env.resource("dbName") or "", "target_schema": env.resource("schemaName") or "",
    }


class SubscriptionsMixin:
    store: Store

    # --- grants (shared) -------------------------------------------------------------------

    def _make_grant(self, domain: Domain, env: Environment, lst: Listing, subscription: Subscription | None, created_by: str) -> Grant:
        target = next(t for t in env.targets if lst.asset.type_identifier.split(".")[-1] in t.asset_types)
        grant = Grant(
            id=new_id(), domain_id=domain.id, created_by=created_by, environment=env, target=target, listing=lst,
            subscription=subscription, lifecycle=Lifecycle("datazone::subscription_grant", "PENDING", "IN_PROGRESS", "COMPLETED"),
        )
        family, kwargs = _hook_kwargs(env, lst)
        try:
            engines.require_manage_access_role(target.manage_role, domain.owner_account, domain.arn)
            engines.grant_hook(f"expose_{family}")(**kwargs)
        except Exception as exc:  # the engine's reason is the grant's failure cause
            grant.failure = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
            grant.lifecycle.set("datazone::subscription_grant", "PENDING", "IN_PROGRESS", "GRANT_FAILED")
        domain.grants[grant.id] = grant
        return grant

    def _revoke_grant(self, grant: Grant, retain: bool = False) -> None:
        """Undo a grant in the engines (unless permissions are retained); marks its asset REVOKED."""
        if grant.asset_status == "REVOKED":
            return
        if grant.status == "COMPLETED" and not retain:
            family, kwargs = _hook_kwargs(grant.environment, grant.listing)
            try:
                engines.grant_hook(f"hide_{family}")(**kwargs)
            except Exception as exc:
                grant.failure = str(exc) or type(exc).__name__
                grant.asset_status = "REVOKE_FAILED"
                grant.updated_at = now()
                return
        grant.asset_status = "REVOKED"
        grant.updated_at = now()

    # --- requests --------------------------------------------------------------------------

    def _request(self, domain: Domain, identifier: str | None) -> SubscriptionRequest:
        return lookup(domain.requests, identifier, "Subscription request", domain.id)

    def _visible(
        self, caller: Caller, p: dict[str, Any], operation: str,
        find: Callable[[Domain, str | None], T], sees: Callable[[Domain, T, UserProfile], bool],
    ) -> tuple[Domain, T]:
        """The domain and ``find``'s item ``p["identifier"]``, if the caller ``sees`` it (AccessDenied otherwise)."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, operation)
        item = find(domain, p.get("identifier"))
        if not sees(domain, item, user):
            raise deny(operation)
        return domain, item

    def _sees_request(self, domain: Domain, req: SubscriptionRequest, user: UserProfile) -> bool:
        return _member_of_any(domain, user, {req.project_id} | {lst.owning_project_id for lst in req.listings})

    def create_subscription_request(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """A project member asks for published listings on the project's behalf."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "CreateSubscriptionRequest")
        require(p, "subscribedPrincipals", "subscribedListings", "requestReason")
        principals = p["subscribedPrincipals"]
        if len(principals) != 1 or "project" not in principals[0]:
            raise ValidationException("Exactly one subscribed principal of type project is supported")
        project = self._project(domain, principals[0]["project"].get("identifier"))  # type: ignore[attr-defined]
        require_member(project, user, "CreateSubscriptionRequest")
        listings = []
        for item in p["subscribedListings"]:
            lst = domain.listings.get(item.get("identifier") or "")
            if lst is None or lst.status != "ACTIVE":
                raise ResourceNotFoundException(f"Listing {item.get('identifier')} not found in domain {domain.id}.")
            if lst.owning_project_id == project.id:
                raise ValidationException(f"Project {project.id} owns listing {lst.id} and cannot subscribe to it")
            for other in domain.requests.values():
                if other.status == "PENDING" and other.project_id == project.id and any(o.id == lst.id for o in other.listings):
                    raise ConflictException(f"A pending subscription request ({other.id}) for listing {lst.id} by project {project.id} already exists")
            for sub in domain.subscriptions.values():
                if sub.status == "APPROVED" and sub.project_id == project.id and sub.listing.id == lst.id:
                    raise ConflictException(f"Project {project.id} is already subscribed to listing {lst.id} (subscription {sub.id})")
            listings.append(lst)
        owners = {lst.owning_project_id: domain.projects[lst.owning_project_id].name for lst in listings if lst.owning_project_id in domain.projects}
        req = SubscriptionRequest(
            id=new_id(), domain_id=domain.id, created_by=user.id, project_id=project.id, project_name=project.name,
            listings=listings, owner_names=owners, reason=p["requestReason"],
        )
        domain.requests[req.id] = req
        return req.to_dict()

    def get_subscription_request_details(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, req = self._visible(caller, p, "GetSubscriptionRequestDetails", self._request, self._sees_request)
        return req.to_dict()

    def list_subscription_requests(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Requests the caller's projects made (``owningProjectId``) or must decide (``approverProjectId``)."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "ListSubscriptionRequests")
        items = []
        for req in domain.requests.values():
            if not self._sees_request(domain, req, user):
                continue
            if p.get("status") and req.status != p["status"]:
                continue
            if p.get("owningProjectId") and req.project_id != p["owningProjectId"]:
                continue
            if p.get("approverProjectId") and all(lst.owning_project_id != p["approverProjectId"] for lst in req.listings):
                continue
            if p.get("subscribedListingId") and all(lst.id != p["subscribedListingId"] for lst in req.listings):
                continue
            items.append(req)
        _sort_by_time(items, p)
        out = []
        for req in items:
            item = req.to_dict()
            item.pop("metadataForms", None)
            out.append(item)
        return listing(out, p)

    def _decide(self, caller: Caller, p: dict[str, Any], operation: str, status: str) -> tuple[Domain, SubscriptionRequest, UserProfile]:
        """Records the decision (``status``): members of the project owning the listings decide, never on their own request.

        User guide ("Approve or reject a subscription request"): "You must be a member of the
        owning project". Which designations count is an assumption: owner, contributor and
        catalog steward decide; catalog viewers and consumers (read/subscribe roles) do not.
        """
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, operation)
        req = self._request(domain, p.get("identifier"))
        for lst in req.listings:
            owning = self._project(domain, lst.owning_project_id)  # type: ignore[attr-defined]
            require_member(owning, user, operation)
            if owning.members[user.id].designation not in APPROVER_DESIGNATIONS:
                raise deny(operation)
        if req.created_by == user.id:
            raise AccessDeniedException(f"User is not permitted to perform operation: {operation}. A requester cannot decide on its own subscription request")
        if req.status != "PENDING":
            raise ValidationException(f"Subscription request {req.id} is {req.status}, not PENDING")
        req.status, req.reviewer_id, req.updated_by = status, user.id, user.id
        req.decision_comment = p.get("decisionComment")
        req.updated_at = now()
        return domain, req, user

    def accept_subscription_request(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain, req, user = self._decide(caller, p, "AcceptSubscriptionRequest", "ACCEPTED")
        envs = [e for e in domain.environments.values() if e.project_id == req.project_id and e.status == "ACTIVE"]
        for lst in req.listings:
            sub = Subscription(
                id=new_id(), domain_id=domain.id, created_by=req.created_by, project_id=req.project_id, project_name=req.project_name,
                listing=lst, owner_name=req.owner_names.get(lst.owning_project_id, ""), request_id=req.id, updated_by=user.id,
            )
            domain.subscriptions[sub.id] = sub
            for env in envs:
                if _env_takes(env, lst):
                    self._make_grant(domain, env, lst, sub, user.id)
        return req.to_dict()

    def reject_subscription_request(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, req, _ = self._decide(caller, p, "RejectSubscriptionRequest", "REJECTED")
        return req.to_dict()

    def delete_subscription_request(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain, req = self._visible(caller, p, "DeleteSubscriptionRequest", self._request, self._sees_request)
        del domain.requests[req.id]
        return {}

    # --- subscriptions ---------------------------------------------------------------------

    def _subscription(self, domain: Domain, identifier: str | None) -> Subscription:
        return lookup(domain.subscriptions, identifier, "Subscription", domain.id)

    def _sees_subscription(self, domain: Domain, sub: Subscription, user: UserProfile) -> bool:
        return _member_of_any(domain, user, (sub.project_id, sub.listing.owning_project_id))

    def list_subscriptions(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "ListSubscriptions")
        checks = lambda s: (  # noqa: E731
            (p.get("subscriptionRequestIdentifier"), s.request_id), (p.get("status"), s.status), (p.get("subscribedListingId"), s.listing.id),
            (p.get("owningProjectId"), s.project_id), (p.get("approverProjectId"), s.listing.owning_project_id),
        )
        items = [s for s in domain.subscriptions.values() if self._sees_subscription(domain, s, user) and all(w is None or w == h for w, h in checks(s))]
        _sort_by_time(items, p)
        return listing([s.to_dict() for s in items], p)

    def get_subscription(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, sub = self._visible(caller, p, "GetSubscription", self._subscription, self._sees_subscription)
        return sub.to_dict()

    def _end(self, caller: Caller, p: dict[str, Any], operation: str, owner_side: bool, status: str) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, operation)
        sub = self._subscription(domain, p.get("identifier"))
        project_id = sub.listing.owning_project_id if owner_side else sub.project_id
        require_member(self._project(domain, project_id), user, operation)  # type: ignore[attr-defined]
        if sub.status != "APPROVED":
            raise ValidationException(f"Subscription {sub.id} is {sub.status}, not APPROVED")
        retain = bool(p.get("retainPermissions"))
        for grant in [g for g in domain.grants.values() if g.subscription is sub]:
            self._revoke_grant(grant, retain=retain)
        sub.status, sub.updated_by, sub.retain_permissions = status, user.id, retain
        sub.updated_at = now()
        return sub.to_dict()

    def revoke_subscription(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """The owning project withdraws access (unless ``retainPermissions``)."""
        return self._end(caller, p, "RevokeSubscription", owner_side=True, status="REVOKED")

    def cancel_subscription(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """The subscribing project gives the subscription up."""
        return self._end(caller, p, "CancelSubscription", owner_side=False, status="CANCELLED")

    # --- grants ----------------------------------------------------------------------------

    def _grant(self, domain: Domain, identifier: str | None) -> Grant:
        return lookup(domain.grants, identifier, "Subscription grant", domain.id, forget_deleted=True)

    def _sees_grant(self, domain: Domain, grant: Grant, user: UserProfile) -> bool:
        return _member_of_any(domain, user, (grant.environment.project_id, grant.listing.owning_project_id))

    def list_subscription_grants(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "ListSubscriptionGrants")
        items = []
        for grant in list(domain.grants.values()):
            if grant.status == "DELETED":
                del domain.grants[grant.id]
                continue
            checks = (
                (p.get("environmentId"), grant.environment.id), (p.get("subscriptionTargetId"), grant.target.id),
                (p.get("subscribedListingId"), grant.listing.id), (p.get("subscriptionId"), grant.subscription.id if grant.subscription else None),
                (p.get("owningProjectId"), grant.environment.project_id),
            )
            if self._sees_grant(domain, grant, user) and all(w is None or w == h for w, h in checks):
                items.append(grant)
        _sort_by_time(items, p)
        return listing([g.to_dict() for g in items], p)

    def get_subscription_grant(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, grant = self._visible(caller, p, "GetSubscriptionGrant", self._grant, self._sees_grant)
        grant.lifecycle.advance()
        return grant.to_dict()

    def create_subscription_grant(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Grants an approved subscription to an environment made after the approval."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "CreateSubscriptionGrant")
        require(p, "environmentIdentifier", "grantedEntity")
        env = self._environment(domain, p["environmentIdentifier"])  # type: ignore[attr-defined]
        require_member(self._project(domain, env.project_id), user, "CreateSubscriptionGrant")  # type: ignore[attr-defined]
        if env.status != "ACTIVE":
            raise ValidationException(f"Environment {env.id} is {env.status}, not ACTIVE")
        entity = (p["grantedEntity"] or {}).get("listing") or {}
        lst = domain.listings.get(entity.get("identifier") or "")
        if lst is None:
            raise ResourceNotFoundException(f"Listing {entity.get('identifier')} not found in domain {domain.id}.")
        sub = next((s for s in domain.subscriptions.values() if s.listing is lst and s.project_id == env.project_id and s.status == "APPROVED"), None)
        if sub is None:
            raise ValidationException(f"Project {env.project_id} has no approved subscription to listing {lst.id}")
        if not _env_takes(env, lst):
            raise ValidationException(f"Environment {env.id} ({env.blueprint.name}) has no subscription target for {lst.asset.type_identifier}")
        if p.get("subscriptionTargetIdentifier") and all(t.id != p["subscriptionTargetIdentifier"] for t in env.targets):
            raise ResourceNotFoundException(f"Subscription target {p['subscriptionTargetIdentifier']} not found in environment {env.id}.")
        for grant in domain.grants.values():
            if grant.environment is env and grant.listing is lst and grant.status not in ("GRANT_FAILED", "DELETED") and grant.asset_status != "REVOKED":
                raise ConflictException(f"Subscription grant {grant.id} already grants listing {lst.id} to environment {env.id}")
        grant = self._make_grant(domain, env, lst, sub, user.id)
        out = grant.to_dict()
        out["status"] = "PENDING"
        out["assets"][0]["status"] = "GRANT_PENDING"
        out["assets"][0].pop("failureCause", None)
        out["assets"][0].pop("failureTimestamp", None)
        out["assets"][0].pop("grantedTimestamp", None)
        return out

    def delete_subscription_grant(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, grant = self._visible(caller, p, "DeleteSubscriptionGrant", self._grant, self._sees_grant)
        self._revoke_grant(grant)
        grant.lifecycle.set("datazone::grant_deletion", "DELETING", "DELETED")
        out = grant.to_dict()
        out["status"] = "IN_PROGRESS"
        out["assets"][0]["status"] = "REVOKE_IN_PROGRESS"
        return out
