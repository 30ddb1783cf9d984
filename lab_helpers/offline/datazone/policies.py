"""Domain units and policy grants: GetDomainUnit, ListDomainUnitsForParent, Add/List/RemovePolicyGrant.

DataZone's own authorization for V1 domains (user guide: "Domain units and authorization
policies in Amazon DataZone", "Assign authorization policies within Amazon DataZone
blueprint configurations"):
- a new domain has a root domain unit (``rootDomainUnitId``) owned by its creator, with the
  project creation policy granted to all users (AWS's CLI tutorial 059 creates projects with
  the domain's credentials right after CreateDomain);
- a project creates environment profiles from an account's blueprint configuration only with
  a CREATE_ENVIRONMENT_PROFILE grant on that configuration (``<account>:<blueprintId>``);
  PutEnvironmentBlueprintConfiguration adds none (tutorial 059's issue #76, terraform-provider-
  awscc issue 1587: "User is not permitted to perform operation: CreateEnvironmentProfile");
- the account owning a configuration grants on it; domain unit owners may when the account
  delegated to them (DELEGATE_CREATE_ENVIRONMENT_PROFILE); owners of a domain unit (or of an
  ancestor) grant on the unit.
Unconfirmed details are marked "assumption" here and in ``docs/aws-behaviour/datazone.md``.
"""

from __future__ import annotations

from typing import Any

from ..identity import Caller
from .access import Store, actor_id, deny, find_domain, find_profile, profile_of, require_profile, same_principal
from .common import listing, lookup, new_id, require
from .exceptions import ConflictException, NotImplementedOffline, ValidationException
from .records import Domain, Project, UserProfile
from .units import ENTITY_TYPES, PROJECT_DESIGNATIONS, DomainUnit, PolicyGrant, ancestors, in_unit

DETAIL_KEYS = {
    "CREATE_DOMAIN_UNIT": "createDomainUnit",
    "OVERRIDE_DOMAIN_UNIT_OWNERS": "overrideDomainUnitOwners",
    "ADD_TO_PROJECT_MEMBER_POOL": "addToProjectMemberPool",
    "OVERRIDE_PROJECT_OWNERS": "overrideProjectOwners",
    "CREATE_GLOSSARY": "createGlossary",
    "CREATE_FORM_TYPE": "createFormType",
    "CREATE_ASSET_TYPE": "createAssetType",
    "CREATE_PROJECT": "createProject",
    "CREATE_ENVIRONMENT_PROFILE": "createEnvironmentProfile",
    "DELEGATE_CREATE_ENVIRONMENT_PROFILE": "delegateCreateEnvironmentProfile",
    "CREATE_ENVIRONMENT": "createEnvironment",
    "CREATE_ENVIRONMENT_FROM_BLUEPRINT": "createEnvironmentFromBlueprint",
    "CREATE_PROJECT_FROM_PROJECT_PROFILE": "createProjectFromProjectProfile",
    "USE_ASSET_TYPE": "useAssetType",
}


def invalid(message: str) -> ValidationException:
    return ValidationException(message)


# --- who a grant covers ------------------------------------------------------------------------

def owns_unit(domain: Domain, profile: UserProfile | None, unit_id: str | None) -> bool:
    """The profile owns ``unit_id`` or one of its ancestors (assumption: ownership cascades down)."""
    return profile is not None and any(profile.id in domain.domain_units[u].owners for u in ancestors(domain.domain_units, unit_id))


def covers_user(domain: Domain, principal: dict[str, Any], profile: UserProfile) -> bool:
    """A ``user`` or ``domainUnit`` principal that includes this user profile (groups need IAM Identity Center: never)."""
    user = principal.get("user")
    if user is not None:
        if "allUsersGrantFilter" in user:
            return True
        ident = user.get("userIdentifier") or ""
        return ident == profile.id or same_principal(ident, profile.arn)
    unit = principal.get("domainUnit")
    if unit is not None:
        if unit.get("domainUnitIdentifier"):
            return owns_unit(domain, profile, unit["domainUnitIdentifier"])
        return any(profile.id in u.owners for u in domain.domain_units.values())
    return False


def covers_member(domain: Domain, principal: dict[str, Any], profile: UserProfile, project: Project) -> bool:
    """A principal that includes this user acting in ``project`` (designation and domain-unit filter)."""
    grant = principal.get("project")
    if grant is None:
        return covers_user(domain, principal, profile)
    member = project.members.get(profile.id)
    if member is None or member.designation not in PROJECT_DESIGNATIONS.get(grant.get("projectDesignation", ""), set()):
        return False
    if grant.get("projectIdentifier") and grant["projectIdentifier"] != project.id:
        return False
    scope = (grant.get("projectGrantFilter") or {}).get("domainUnitFilter")
    if scope is not None:
        return in_unit(domain.domain_units, project.domain_unit_id, scope["domainUnit"], bool(scope.get("includeChildDomainUnits")))
    return True  # assumption: no identifier and no filter means every project


def grants_on(domain: Domain, entity_type: str, entity_id: str, policy_type: str) -> list[PolicyGrant]:
    return [g for g in domain.policy_grants.values() if (g.entity_type, g.entity_id, g.policy_type) == (entity_type, entity_id, policy_type)]


def may_create_project(domain: Domain, profile: UserProfile, unit_id: str) -> bool:
    """CREATE_PROJECT granted to the user on the unit, or on an ancestor with ``includeChildDomainUnits``; unit owners may."""
    if owns_unit(domain, profile, unit_id):
        return True  # assumption: a domain unit owner may create projects in it
    for scope in ancestors(domain.domain_units, unit_id):
        for grant in grants_on(domain, "DOMAIN_UNIT", scope, "CREATE_PROJECT"):
            cascades = bool((grant.detail.get("createProject") or {}).get("includeChildDomainUnits"))
            if (scope == unit_id or cascades) and covers_user(domain, grant.principal, profile):
                return True
    return False


def may_create_environment_profile(domain: Domain, profile: UserProfile, project: Project, account: str, blueprint_id: str) -> bool:
    """A CREATE_ENVIRONMENT_PROFILE grant on ``<account>:<blueprint>`` covering the user in ``project``."""
    for grant in grants_on(domain, "ENVIRONMENT_BLUEPRINT_CONFIGURATION", f"{account}:{blueprint_id}", "CREATE_ENVIRONMENT_PROFILE"):
        unit = (grant.detail.get("createEnvironmentProfile") or {}).get("domainUnitId")
        if unit and not in_unit(domain.domain_units, project.domain_unit_id, unit, True):
            continue  # assumption: the detail's domainUnitId scopes the grant to that unit's projects
        if covers_member(domain, grant.principal, profile, project):
            return True
    return False


def setup_root_unit(domain: Domain, creator: UserProfile) -> DomainUnit:
    """The root domain unit a new domain gets, owned by its creator, CREATE_PROJECT for all users.

    Assumptions: the unit's name is the domain's; the default grant cascades to child units.
    """
    root = DomainUnit(id=domain.root_unit_id, domain_id=domain.id, name=domain.name, parent_id=None,
                      owners=[creator.id], created_by=creator.id)
    domain.domain_units[root.id] = root
    default = PolicyGrant(id=new_id(), entity_type="DOMAIN_UNIT", entity_id=root.id, policy_type="CREATE_PROJECT",
                          principal={"user": {"allUsersGrantFilter": {}}}, detail={"createProject": {"includeChildDomainUnits": True}},
                          created_by=creator.id)
    domain.policy_grants[default.id] = default
    return root


class PoliciesMixin:
    """Domain units and policy grants; also completes CreateDomain with the root unit."""

    store: Store

    def create_domain(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """CreateDomain (DomainsMixin), then the root domain unit owned by the creator's (implicit) profile."""
        out = super().create_domain(caller, p)  # type: ignore[misc]
        domain = self.store.domains[out["id"]]
        creator = profile_of(domain, caller)
        if creator is not None:
            setup_root_unit(domain, creator)
        return out

    # --- domain units ----------------------------------------------------------------------

    def get_domain_unit(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        require_profile(domain, caller, "GetDomainUnit")
        return lookup(domain.domain_units, p.get("identifier"), "Domain unit", domain.id).to_dict()

    def list_domain_units_for_parent(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        require_profile(domain, caller, "ListDomainUnitsForParent")
        require(p, "parentDomainUnitIdentifier")
        items = [u.summary() for u in domain.domain_units.values() if u.parent_id == p["parentDomainUnitIdentifier"]]
        return listing(items, p, default_max=25)

    # --- policy grants ---------------------------------------------------------------------

    def _entity(self, domain: Domain, caller: Caller, p: dict[str, Any], operation: str) -> tuple[str, str]:
        """The grant's entity, if it exists and the caller may manage its grants (AccessDenied otherwise)."""
        require(p, "entityType", "entityIdentifier", "policyType")
        kind, ident = p["entityType"], p["entityIdentifier"]
        if kind not in ENTITY_TYPES or p["policyType"] not in DETAIL_KEYS:
            raise invalid(f"Invalid entityType {kind} or policyType {p['policyType']}")
        profile = find_profile(domain, caller.principal_arn)
        if kind == "DOMAIN_UNIT":
            if ident not in domain.domain_units:
                raise invalid(f"Domain unit {ident} not found in domain {domain.id}")
            allowed = owns_unit(domain, profile_of(domain, caller), ident)
        elif kind == "ENVIRONMENT_BLUEPRINT_CONFIGURATION":
            account, _, blueprint = ident.partition(":")
            if not (account.isdigit() and len(account) == 12 and blueprint):
                raise invalid(f"entityIdentifier {ident} must be <awsAccountId>:<environmentBlueprintId>")
            if (account, blueprint) not in domain.blueprint_configs:
                raise invalid(f"Environment blueprint configuration {ident} not found in domain {domain.id}")
            allowed = caller.account_id == account or self._delegated(domain, profile, ident, p["policyType"])
        elif kind == "ENVIRONMENT_PROFILE":
            env_profile = domain.env_profiles.get(ident)
            if env_profile is None:
                raise invalid(f"Environment profile {ident} not found in domain {domain.id}")
            project = domain.projects.get(env_profile.project_id)
            member = project.members.get(profile.id) if project and profile else None
            allowed = caller.account_id == env_profile.account_id or (member is not None and member.designation == "PROJECT_OWNER")
        else:
            raise NotImplementedOffline(f"{operation} on {kind}")
        if not allowed:
            raise deny(operation)
        return kind, ident

    @staticmethod
    def _delegated(domain: Domain, profile: UserProfile | None, config_id: str, policy_type: str) -> bool:
        """A domain unit owner to whom the account delegated granting CREATE_ENVIRONMENT_PROFILE on the configuration."""
        if profile is None or policy_type != "CREATE_ENVIRONMENT_PROFILE":
            return False
        return any(covers_user(domain, g.principal, profile) for g in grants_on(
            domain, "ENVIRONMENT_BLUEPRINT_CONFIGURATION", config_id, "DELEGATE_CREATE_ENVIRONMENT_PROFILE"))

    def _check_principal(self, domain: Domain, principal: dict[str, Any]) -> None:
        """One principal kind, naming things that exist in the domain."""
        if len(principal) != 1:
            raise invalid("principal must set exactly one of user, group, project, domainUnit")
        (kind, body), = principal.items()
        if kind == "user":
            ident = body.get("userIdentifier")
            if ident and not any(ident == u.id or same_principal(ident, u.arn) for u in domain.users.values()):
                raise invalid(f"User {ident} not found in domain {domain.id}")
        elif kind == "project":
            if body.get("projectDesignation") not in PROJECT_DESIGNATIONS:
                raise invalid(f"Invalid projectDesignation {body.get('projectDesignation')}")
            if body.get("projectIdentifier") and body["projectIdentifier"] not in domain.projects:
                raise invalid(f"Project {body['projectIdentifier']} not found in domain {domain.id}")
            scope = (body.get("projectGrantFilter") or {}).get("domainUnitFilter")
            if scope and scope.get("domainUnit") not in domain.domain_units:
                raise invalid(f"Domain unit {scope.get('domainUnit')} not found in domain {domain.id}")
        elif kind == "domainUnit":
            if body.get("domainUnitIdentifier") and body["domainUnitIdentifier"] not in domain.domain_units:
                raise invalid(f"Domain unit {body['domainUnitIdentifier']} not found in domain {domain.id}")
        elif kind == "group":
            raise invalid("Group principals need IAM Identity Center, which the domain does not use")

    def add_policy_grant(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        kind, ident = self._entity(domain, caller, p, "AddPolicyGrant")
        require(p, "principal", "detail")
        self._check_principal(domain, p["principal"])
        detail = p["detail"]
        if list(detail) != [DETAIL_KEYS[p["policyType"]]]:
            raise invalid(f"detail must set {DETAIL_KEYS[p['policyType']]} for policyType {p['policyType']}")
        for grant in domain.policy_grants.values():
            if grant.same_as(kind, ident, p["policyType"], p["principal"]):
                raise ConflictException(f"A {p['policyType']} policy grant for this principal already exists on {kind} {ident}")  # assumption
        grant = PolicyGrant(id=new_id(), entity_type=kind, entity_id=ident, policy_type=p["policyType"],
                            principal=p["principal"], detail=detail, created_by=actor_id(domain, caller))
        domain.policy_grants[grant.id] = grant
        return {"grantId": grant.id}

    def list_policy_grants(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """The entity's grants of ``policyType``, oldest first (domain users, or whoever manages the entity)."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        if profile_of(domain, caller) is None:
            self._entity(domain, caller, p, "ListPolicyGrants")
        require(p, "entityType", "entityIdentifier", "policyType")
        items = [g.to_dict() for g in grants_on(domain, p["entityType"], p["entityIdentifier"], p["policyType"])]
        return listing(items, p, key="grantList", default_max=25)

    def remove_policy_grant(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Removes the grant named by ``grantIdentifier``, else the one for ``principal`` (no match: nothing to do, assumption)."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        kind, ident = self._entity(domain, caller, p, "RemovePolicyGrant")
        require(p, "principal")
        for grant in list(domain.policy_grants.values()):
            if p.get("grantIdentifier"):
                hit = grant.id == p["grantIdentifier"] and (grant.entity_type, grant.entity_id) == (kind, ident)
            else:
                hit = grant.same_as(kind, ident, p["policyType"], p["principal"])
            if hit:
                del domain.policy_grants[grant.id]
        return {}
