"""Domain units and policy grants as the stand-in keeps them, and who a grant's principal covers.

Sources (see ``docs/aws-behaviour/datazone.md``): the DataZone user guide pages "Domain units
and authorization policies" and "Assign authorization policies within blueprint
configurations", and the botocore model's ``PolicyGrantPrincipal``/``PolicyGrantDetail`` shapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .common import now, strip_none

ENTITY_TYPES = {"DOMAIN_UNIT", "ENVIRONMENT_BLUEPRINT_CONFIGURATION", "ENVIRONMENT_PROFILE", "ASSET_TYPE"}

# projectDesignation of a grant -> the membership designations it covers. An owner is also a
# contributor (assumption: the user guide calls both "project members" with owner ⊇ contributor).
PROJECT_DESIGNATIONS: dict[str, set[str]] = {
    "OWNER": {"PROJECT_OWNER"},
    "CONTRIBUTOR": {"PROJECT_OWNER", "PROJECT_CONTRIBUTOR"},
    "PROJECT_CATALOG_STEWARD": {"PROJECT_CATALOG_STEWARD"},
}


@dataclass
class DomainUnit:
    """A node of the domain's unit tree; the root one is made with the domain."""

    id: str
    domain_id: str
    name: str
    parent_id: str | None
    owners: list[str]
    """User profile ids of the owners."""
    description: str | None = None
    created_by: str | None = None
    created_at: datetime = field(default_factory=now)

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "id": self.id}

    def to_dict(self) -> dict[str, Any]:
        return strip_none(
            {
                "id": self.id,
                "domainId": self.domain_id,
                "name": self.name,
                "parentDomainUnitId": self.parent_id,
                "description": self.description,
                "owners": [{"user": {"userId": owner}} for owner in self.owners],
                "createdAt": self.created_at,
                "lastUpdatedAt": self.created_at,
                "createdBy": self.created_by,
            }
        )


@dataclass
class PolicyGrant:
    """One ``AddPolicyGrant``: a policy on an entity for a principal."""

    id: str
    entity_type: str
    entity_id: str
    policy_type: str
    principal: dict[str, Any]
    detail: dict[str, Any]
    created_by: str
    created_at: datetime = field(default_factory=now)

    def same_as(self, entity_type: str, entity_id: str, policy_type: str, principal: dict[str, Any]) -> bool:
        """The same entity, policy and principal (the key for duplicates and RemovePolicyGrant)."""
        return (self.entity_type, self.entity_id, self.policy_type) == (entity_type, entity_id, policy_type) and canonical(
            self.principal
        ) == canonical(principal)

    def to_dict(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "detail": self.detail,
            "createdAt": self.created_at,
            "createdBy": self.created_by,
            "grantId": self.id,
        }


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True)


def ancestors(units: dict[str, DomainUnit], unit_id: str | None) -> list[str]:
    """``unit_id`` and its ancestors, nearest first."""
    chain: list[str] = []
    while unit_id and unit_id in units and unit_id not in chain:
        chain.append(unit_id)
        unit_id = units[unit_id].parent_id
    return chain


def in_unit(units: dict[str, DomainUnit], unit_id: str | None, scope: str, include_children: bool) -> bool:
    """Whether ``unit_id`` is ``scope`` or (with ``include_children``) below it."""
    if unit_id == scope:
        return True
    return include_children and scope in ancestors(units, unit_id)
