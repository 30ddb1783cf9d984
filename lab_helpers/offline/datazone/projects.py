"""Projects and their memberships: the creator becomes PROJECT_OWNER."""

from __future__ import annotations

from typing import Any

from ..identity import Caller
from .access import Store, deny, find_domain, is_member, require_member, require_profile
from .common import check_name, listing, lookup, new_id, now, require
from .exceptions import ConflictException, ResourceNotFoundException, ValidationException
from .policies import may_create_project
from .records import Domain, Member, Project, UserProfile

DESIGNATIONS = {"PROJECT_OWNER", "PROJECT_CONTRIBUTOR", "PROJECT_CATALOG_VIEWER", "PROJECT_CATALOG_CONSUMER", "PROJECT_CATALOG_STEWARD"}


class ProjectsMixin:
    store: Store

    def _project(self, domain: Domain, identifier: str | None) -> Project:
        return lookup(domain.projects, identifier, "Project", domain.id)

    def _project_as_member(self, caller: Caller, domain_id: str | None, project_id: str | None, operation: str) -> tuple[Domain, Project, UserProfile]:
        """Domain, project and the caller's profile, if the caller is a project member."""
        domain = find_domain(self.store, caller, domain_id)
        profile = require_profile(domain, caller, operation)
        project = self._project(domain, project_id)
        require_member(project, profile, operation)
        return domain, project, profile

    def create_project(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Creates a project in ``domainUnitId`` (default: the root unit) if a CREATE_PROJECT grant covers the caller."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        profile = require_profile(domain, caller, "CreateProject")
        require(p, "name")
        check_name(p["name"])
        unit = p.get("domainUnitId") or domain.root_unit_id
        if unit not in domain.domain_units:
            raise ValidationException(f"Domain unit {unit} not found in domain {domain.id}")
        if not may_create_project(domain, profile, unit):
            raise deny("CreateProject")
        if any(pr.name == p["name"] for pr in domain.projects.values()):
            raise ConflictException(f"A project with name {p['name']} already exists in domain {domain.id}")
        project = Project(
            id=new_id(),
            domain_id=domain.id,
            name=p["name"],
            description=p.get("description"),
            created_by=profile.id,
            glossary_terms=list(p.get("glossaryTerms") or []),
            domain_unit_id=unit,
        )
        project.members[profile.id] = Member(profile.id, "PROJECT_OWNER")
        domain.projects[project.id] = project
        return project.to_dict()

    def get_project(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, project, _ = self._project_as_member(caller, p.get("domainIdentifier"), p.get("identifier"), "GetProject")
        return project.to_dict()

    def list_projects(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """The caller's projects (membership), optionally by name (a prefix match, like the service)."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        profile = require_profile(domain, caller, "ListProjects")
        user = p.get("userIdentifier")
        if user:
            user_profile = next((u for u in domain.users.values() if user in (u.id, u.arn)), None)
            if user_profile is None:
                raise ResourceNotFoundException(f"User profile {user} not found in domain {domain.id}.")
            profile = user_profile
        items = [
            pr.summary()
            for pr in domain.projects.values()
            if is_member(pr, profile) and (not p.get("name") or pr.name.startswith(p["name"]))
        ]
        return listing(items, p)

    def update_project(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain, project, _ = self._project_as_member(caller, p.get("domainIdentifier"), p.get("identifier"), "UpdateProject")
        if p.get("name") and p["name"] != project.name:
            check_name(p["name"])
            if any(pr.name == p["name"] for pr in domain.projects.values()):
                raise ConflictException(f"A project with name {p['name']} already exists in domain {domain.id}")
            project.name = p["name"]
        if p.get("description") is not None:
            project.description = p["description"]
        if p.get("glossaryTerms") is not None:
            project.glossary_terms = list(p["glossaryTerms"])
        project.updated_at = now()
        return project.to_dict()

    def delete_project(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Deletes a project; refused while it has environments unless ``skipDeletionCheck``.

        With ``skipDeletionCheck`` the project's DataZone contents go with it (user guide, "Delete
        project": data sources, environments, assets; the grants DataZone placed are revoked), but
        not the AWS resources DataZone helped create: the environments' Glue databases, Athena
        workgroups, user roles and Redshift schemas stay in their accounts.
        """
        domain, project, profile = self._project_as_member(caller, p.get("domainIdentifier"), p.get("identifier"), "DeleteProject")
        if project.members.get(profile.id, Member("", "")).designation != "PROJECT_OWNER":
            raise ValidationException("Only a project owner can delete the project")
        envs = [e for e in domain.environments.values() if e.project_id == project.id and e.status != "DELETED"]
        if envs and not p.get("skipDeletionCheck"):
            raise ValidationException(
                f"Project {project.id} cannot be deleted while it has environments ({len(envs)}); delete them first"
            )
        self._delete_contents(domain, project)
        del domain.projects[project.id]
        return {}

    def _delete_contents(self, domain: Domain, project: Project) -> None:
        """The project's DataZone entities, as DeleteProject removes them; provisioned resources are left."""
        listings = {lst.id for lst in domain.listings.values() if lst.owning_project_id == project.id}
        envs = {e.id for e in domain.environments.values() if e.project_id == project.id}
        for grant in [g for g in domain.grants.values() if g.environment.id in envs or g.listing.id in listings]:
            self._revoke_grant(grant)  # type: ignore[attr-defined]
            domain.grants.pop(grant.id, None)
        for env_id in envs:
            env = domain.environments[env_id]
            if env.status != "DELETED":
                env.lifecycle.set("datazone::environment_deletion", "DELETED")
                env.updated_at = now()
        for table, belongs in ((domain.data_sources, lambda d: d.project_id == project.id),
                               (domain.env_profiles, lambda e: e.project_id == project.id),
                               (domain.assets, lambda a: a.project_id == project.id),
                               (domain.listings, lambda lst: lst.id in listings),
                               (domain.requests, lambda r: r.project_id == project.id),
                               (domain.subscriptions, lambda s: s.project_id == project.id)):
            for key in [k for k, item in table.items() if belongs(item)]:
                del table[key]

    def create_project_membership(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain, project, profile = self._project_as_member(caller, p.get("domainIdentifier"), p.get("projectIdentifier"), "CreateProjectMembership")
        if project.members[profile.id].designation != "PROJECT_OWNER":
            raise ValidationException("Only a project owner can add members")
        designation = p.get("designation")
        if designation not in DESIGNATIONS:
            raise ValidationException(f"Invalid designation {designation}")
        identifier = (p.get("member") or {}).get("userIdentifier")
        if not identifier:
            raise ValidationException("member.userIdentifier is required (groups need IAM Identity Center)")
        user = next((u for u in domain.users.values() if identifier in (u.id, u.arn)), None)
        if user is None:
            raise ResourceNotFoundException(f"User profile {identifier} not found in domain {domain.id}.")
        if user.id in project.members:
            raise ConflictException("User is already in the project.")  # assumption: text as AWS clients match it
        project.members[user.id] = Member(user.id, designation)
        return {}

    def list_project_memberships(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, project, _ = self._project_as_member(caller, p.get("domainIdentifier"), p.get("projectIdentifier"), "ListProjectMemberships")
        members = [{"memberDetails": {"user": {"userId": m.user_id}}, "designation": m.designation} for m in project.members.values()]
        if p.get("sortOrder") == "DESCENDING":
            members.reverse()
        return listing(members, p, key="members")

    def delete_project_membership(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain, project, profile = self._project_as_member(caller, p.get("domainIdentifier"), p.get("projectIdentifier"), "DeleteProjectMembership")
        identifier = (p.get("member") or {}).get("userIdentifier")
        user = next((u for u in domain.users.values() if identifier in (u.id, u.arn)), None)
        if user is None or user.id not in project.members:
            raise ResourceNotFoundException(f"Member {identifier} not found in project {project.id}.")
        if project.members[profile.id].designation != "PROJECT_OWNER" and user.id != profile.id:
            raise ValidationException("Only a project owner can remove other members")
        owners = [m for m in project.members.values() if m.designation == "PROJECT_OWNER"]
        if project.members[user.id].designation == "PROJECT_OWNER" and len(owners) == 1:
            raise ValidationException("A project must keep at least one owner")
        del project.members[user.id]
        return {}
