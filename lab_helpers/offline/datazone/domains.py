"""Domains, managed blueprints and their per-account configuration, user profiles."""

from __future__ import annotations

from typing import Any

from ..identity import Caller
from ..service_roles import datazone_role_refusal
from . import engines
from .access import Store, deny, find_domain, find_profile, profile_of, require_owner_account, same_principal
from .blueprints import MANAGED, Blueprint
from .common import account_of_arn, listing, lookup, new_id, now, require
from .exceptions import ConflictException, ResourceNotFoundException, ValidationException
from .records import Domain, UserProfile
from .state import Lifecycle

USER_TYPES = {"IAM_USER", "IAM_ROLE", "SSO_USER"}


class DomainsMixin:
    store: Store
    account_id: str
    region_name: str

    # --- domains ---------------------------------------------------------------------------

    def create_domain(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Creates a domain in the caller's account; the execution role must exist there."""
        require(p, "name")
        version = p.get("domainVersion") or "V1"
        if version not in ("V1", "V2"):
            raise ValidationException(f"Invalid domainVersion {version}")
        role = p.get("domainExecutionRole")
        if not role:
            raise ValidationException("domainExecutionRole is required for domains of version V1")
        if account_of_arn(role) != caller.account_id or not engines.iam_principal_exists(role):
            raise ValidationException(
                f"Domain execution role {role} does not exist in account {caller.account_id} or cannot be assumed by Amazon DataZone"
            )
        if version == "V2" and not p.get("serviceRole"):
            raise ValidationException("serviceRole is required for domains of version V2")
        for other in self.store.domains.values():
            if other.owner_account == caller.account_id and other.name == p["name"] and other.status != "DELETED":
                raise ConflictException(f"Domain with name {p['name']} already exists")
        domain_id = new_id("dzd_")
        domain_arn = f"arn:aws:datazone:{self.region_name}:{caller.account_id}:domain/{domain_id}"
        refusal = datazone_role_refusal(role, caller.account_id, domain_arn, ["sts:AssumeRole", "sts:TagSession"])
        if refusal:  # DataZone assumes (and tags) the execution role as datazone.amazonaws.com
            raise ValidationException(f"Domain execution role {role} cannot be assumed by Amazon DataZone: {refusal}")
        created = now()
        domain = Domain(
            id=domain_id,
            arn=domain_arn,
            name=p["name"],
            description=p.get("description"),
            owner_account=caller.account_id,
            region=self.region_name,
            execution_role=role,
            service_role=p.get("serviceRole"),
            version=version,
            kms_key=p.get("kmsKeyIdentifier"),
            tags=dict(p.get("tags") or {}),
            single_sign_on=p.get("singleSignOn"),
            root_unit_id=new_id(),
            lifecycle=Lifecycle("datazone::domain", "CREATING", "AVAILABLE"),
        )
        for name, definition in MANAGED.items():
            blueprint = Blueprint(id=new_id(), name=name, created_at=created, definition=definition)
            domain.blueprints[blueprint.id] = blueprint
        self.store.domains[domain_id] = domain
        out = domain.to_dict()
        out["status"] = "CREATING"
        for key in ("createdAt", "lastUpdatedAt"):
            out.pop(key, None)
        return out

    def get_domain(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("identifier"))
        domain.lifecycle.advance()
        return domain.to_dict()

    def list_domains(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Domains of the caller's account and domains associated with it."""
        from .access import associated

        items = []
        for domain in list(self.store.domains.values()):
            if domain.status == "DELETED" or not associated(domain, caller.account_id):
                continue
            if p.get("status") and domain.status != p["status"]:
                continue
            items.append(domain.summary())
        return listing(items, p, default_max=25)

    def update_domain(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("identifier"))
        require_owner_account(domain, caller, "UpdateDomain")
        if p.get("domainExecutionRole"):
            if not engines.iam_principal_exists(p["domainExecutionRole"]):
                raise ValidationException(f"Domain execution role {p['domainExecutionRole']} does not exist")
            domain.execution_role = p["domainExecutionRole"]
        for key, attr in (("name", "name"), ("description", "description"), ("serviceRole", "service_role"), ("singleSignOn", "single_sign_on")):
            if p.get(key) is not None:
                setattr(domain, attr, p[key])
        domain.updated_at = now()
        out = domain.to_dict()
        return {k: out[k] for k in ("id", "rootDomainUnitId", "description", "singleSignOn", "domainExecutionRole", "serviceRole", "name", "lastUpdatedAt") if k in out}

    def delete_domain(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Deletes the domain; refused while it has projects unless ``skipDeletionCheck``."""
        domain = find_domain(self.store, caller, p.get("identifier"))
        require_owner_account(domain, caller, "DeleteDomain")
        if p.get("skipDeletionCheck") and p.get("cascadeDelete"):
            raise ValidationException("skipDeletionCheck and cascadeDelete cannot both be set")
        if domain.status == "DELETING":
            raise ConflictException(f"Domain {domain.id} is already being deleted")
        if domain.projects and not (p.get("skipDeletionCheck") or p.get("cascadeDelete")):
            raise ConflictException(
                f"Domain {domain.id} cannot be deleted while it has projects ({len(domain.projects)}); "
                "delete them first or set skipDeletionCheck"
            )
        domain.lifecycle.set("datazone::domain_deletion", "DELETING", "DELETED")
        domain.updated_at = now()
        return {"status": "DELETING"}

    # --- blueprints ------------------------------------------------------------------------

    def _blueprint(self, domain: Domain, identifier: str | None) -> Blueprint:
        return lookup(domain.blueprints, identifier, "Environment blueprint", domain.id)

    def list_environment_blueprints(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        items = [b.summary() for b in domain.blueprints.values() if not p.get("name") or b.name == p["name"]]
        if p.get("managed") is False:
            items = []  # no custom blueprints offline
        return listing(items, p)

    def get_environment_blueprint(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        return self._blueprint(domain, p.get("identifier")).detail()

    def _config_out(self, domain: Domain, account: str, blueprint_id: str) -> dict[str, Any]:
        config = domain.blueprint_configs.get((account, blueprint_id))
        if config is None:
            raise ResourceNotFoundException(
                f"Environment blueprint configuration for blueprint {blueprint_id} not found in account {account}."
            )
        return dict(config)

    def put_environment_blueprint_configuration(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Enables a blueprint for the calling account (owner or associated account)."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        blueprint = self._blueprint(domain, p.get("environmentBlueprintIdentifier"))
        if p.get("enabledRegions") is None:
            raise ValidationException("1 validation error detected: Value null at 'enabledRegions' failed to satisfy constraint: Member must not be null")
        for key in ("manageAccessRoleArn", "provisioningRoleArn"):
            arn = p.get(key)
            if arn and (account_of_arn(arn) != caller.account_id or not engines.iam_principal_exists(arn)):
                raise ValidationException(f"{key} {arn} does not exist in account {caller.account_id}")
        key = (caller.account_id, blueprint.id)
        previous = domain.blueprint_configs.get(key)
        stamp = now()
        config: dict[str, Any] = {
            "domainId": domain.id,
            "environmentBlueprintId": blueprint.id,
            "enabledRegions": list(p.get("enabledRegions") or []),
            "regionalParameters": {r: dict(v) for r, v in (p.get("regionalParameters") or {}).items()},
            "createdAt": previous["createdAt"] if previous else stamp,
            "updatedAt": stamp,
        }
        for key_name in ("provisioningRoleArn", "manageAccessRoleArn", "environmentRolePermissionBoundary"):
            if p.get(key_name):
                config[key_name] = p[key_name]
        domain.blueprint_configs[key] = config
        return dict(config)

    def get_environment_blueprint_configuration(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        blueprint = self._blueprint(domain, p.get("environmentBlueprintIdentifier"))
        return self._config_out(domain, caller.account_id, blueprint.id)

    def list_environment_blueprint_configurations(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        items = [dict(c) for (account, _), c in domain.blueprint_configs.items() if account == caller.account_id]
        return listing(items, p)

    def delete_environment_blueprint_configuration(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        blueprint = self._blueprint(domain, p.get("environmentBlueprintIdentifier"))
        self._config_out(domain, caller.account_id, blueprint.id)
        del domain.blueprint_configs[(caller.account_id, blueprint.id)]
        return {}

    # --- user profiles ---------------------------------------------------------------------

    def _user(self, domain: Domain, identifier: str | None) -> UserProfile:
        for user in domain.users.values():
            if identifier == user.id or same_principal(identifier or "", user.arn):
                return user
        raise ResourceNotFoundException(f"User profile {identifier} not found in domain {domain.id}.")

    def create_user_profile(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Adds an IAM user or role of the owner account or an associated account (owner account only)."""
        from .access import associated

        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        require_owner_account(domain, caller, "CreateUserProfile")
        require(p, "userIdentifier")
        arn = p["userIdentifier"]
        user_type = p.get("userType") or ("IAM_ROLE" if ":role/" in arn else "IAM_USER")
        if user_type not in USER_TYPES:
            raise ValidationException(f"Invalid userType {user_type}")
        if user_type == "SSO_USER":
            raise ValidationException("SSO users need IAM Identity Center, which the domain does not use (singleSignOn DISABLED)")
        kind = ":role/" if user_type == "IAM_ROLE" else ":user/"
        if not arn.startswith("arn:aws:iam::") or kind not in arn:
            raise ValidationException(f"userIdentifier {arn} is not an IAM {'role' if kind == ':role/' else 'user'} ARN")
        account = account_of_arn(arn)
        if not associated(domain, account):
            raise ValidationException(
                f"The principal {arn} belongs to account {account}, which is neither the domain account nor an associated account"
            )
        if not engines.principal_known(arn):
            raise ValidationException(f"The IAM principal {arn} does not exist")
        existing = find_profile(domain, arn)
        if existing is not None:  # no ConflictException in the model's CreateUserProfile errors: the profile is returned
            return existing.to_dict()
        user = UserProfile(id=new_id(), domain_id=domain.id, arn=arn, user_type=user_type)
        domain.users[user.id] = user
        return user.to_dict()

    def get_user_profile(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        return self._user(domain, p.get("userIdentifier")).to_dict()

    def search_user_profiles(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        if p.get("userType") not in ("DATAZONE_USER", "DATAZONE_IAM_USER", "DATAZONE_SSO_USER", "SSO_USER"):
            raise ValidationException(f"Invalid userType {p.get('userType')}")
        if caller.account_id != domain.owner_account and profile_of(domain, caller) is None:
            raise deny("SearchUserProfiles")
        items = []
        if p["userType"] in ("DATAZONE_USER", "DATAZONE_IAM_USER"):
            text = (p.get("searchText") or "").lower()
            items = [u.to_dict() for u in domain.users.values() if text in u.arn.lower() or text in u.id]
        return listing(items, p)

    def update_user_profile(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        require_owner_account(domain, caller, "UpdateUserProfile")
        user = self._user(domain, p.get("userIdentifier"))
        if p.get("status") not in ("ACTIVATED", "DEACTIVATED", "ASSIGNED", "NOT_ASSIGNED"):
            raise ValidationException(f"Invalid status {p.get('status')}")
        user.status = p["status"]
        return user.to_dict()

