"""DataZone resources as the stand-in keeps them; ``to_dict`` gives the service's output shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .blueprints import Blueprint
from .common import now, strip_none
from .state import Lifecycle
from .units import DomainUnit, PolicyGrant


class Tracked:
    """A record whose status its :class:`Lifecycle` keeps."""

    lifecycle: Lifecycle

    @property
    def status(self) -> str:
        return self.lifecycle.status


def user_parameters(blueprint: Blueprint, values: dict[str, str]) -> list[dict[str, Any]]:
    """The blueprint's user parameter specs, each with the given value as its ``defaultValue``."""
    params = []
    for spec in blueprint.definition["userParameters"]:
        param = dict(spec)
        if spec["keyName"] in values:
            param["defaultValue"] = values[spec["keyName"]]
        params.append(param)
    return params


@dataclass
class UserProfile:
    id: str
    domain_id: str
    arn: str
    user_type: str  # IAM_USER | IAM_ROLE
    status: str = "ACTIVATED"

    def to_dict(self) -> dict[str, Any]:
        return {
            "domainId": self.domain_id,
            "id": self.id,
            "type": "IAM",
            "status": self.status,
            "details": {"iam": {"arn": self.arn}},
        }


@dataclass
class Member:
    user_id: str
    designation: str


@dataclass
class Project:
    id: str
    domain_id: str
    name: str
    description: str | None
    created_by: str
    glossary_terms: list[str] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    status: str = "ACTIVE"
    domain_unit_id: str | None = None

    def summary(self) -> dict[str, Any]:
        return strip_none(
            {
                "domainId": self.domain_id,
                "id": self.id,
                "name": self.name,
                "description": self.description,
                "projectStatus": self.status,
                "createdBy": self.created_by,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        out = self.summary()
        out.pop("updatedAt", None)
        out["lastUpdatedAt"] = self.updated_at
        out["glossaryTerms"] = list(self.glossary_terms)
        out["failureReasons"] = []
        if self.domain_unit_id:
            out["domainUnitId"] = self.domain_unit_id
        return out


@dataclass
class EnvironmentProfile:
    id: str
    domain_id: str
    name: str
    description: str | None
    blueprint_id: str
    project_id: str
    account_id: str
    region: str
    created_by: str
    user_parameters: dict[str, str] = field(default_factory=dict)
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    def summary(self) -> dict[str, Any]:
        return strip_none(
            {
                "id": self.id,
                "domainId": self.domain_id,
                "awsAccountId": self.account_id,
                "awsAccountRegion": self.region,
                "createdBy": self.created_by,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
                "name": self.name,
                "description": self.description,
                "environmentBlueprintId": self.blueprint_id,
                "projectId": self.project_id,
            }
        )

    def to_dict(self, blueprint: Blueprint) -> dict[str, Any]:
        return {**self.summary(), "userParameters": user_parameters(blueprint, self.user_parameters)}


@dataclass
class SubscriptionTarget:
    id: str
    domain_id: str
    project_id: str
    environment_id: str
    name: str
    type: str
    asset_types: list[str]
    config: list[dict[str, str]]
    principals: list[str]
    manage_role: str | None
    created_by: str
    created_at: datetime = field(default_factory=now)

    def to_dict(self) -> dict[str, Any]:
        return strip_none(
            {
                "id": self.id,
                "authorizedPrincipals": list(self.principals),
                "domainId": self.domain_id,
                "projectId": self.project_id,
                "environmentId": self.environment_id,
                "name": self.name,
                "type": self.type,
                "createdBy": self.created_by,
                "createdAt": self.created_at,
                "updatedAt": self.created_at,
                "manageAccessRole": self.manage_role,
                "applicableAssetTypes": list(self.asset_types),
                "subscriptionTargetConfig": [dict(c) for c in self.config],
                "provider": "Amazon DataZone",
                "subscriptionGrantCreationMode": "AUTOMATIC",
            }
        )


@dataclass
class Environment(Tracked):
    id: str
    domain_id: str
    project_id: str
    name: str
    description: str | None
    profile_id: str | None
    blueprint: Blueprint
    account_id: str
    region: str
    created_by: str
    user_parameters: dict[str, str]
    lifecycle: Lifecycle
    provisioned: list[dict[str, str]] = field(default_factory=list)
    failure: str | None = None
    targets: list[SubscriptionTarget] = field(default_factory=list)
    created_databases: list[str] = field(default_factory=list)
    created_workgroups: list[str] = field(default_factory=list)
    glossary_terms: list[str] = field(default_factory=list)
    deployment_id: str = ""
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @property
    def kind(self) -> str:
        return self.blueprint.name

    def resource(self, name: str) -> str | None:
        return next((r["value"] for r in self.provisioned if r["name"] == name), None)

    def summary(self) -> dict[str, Any]:
        return strip_none(
            {
                "projectId": self.project_id,
                "id": self.id,
                "domainId": self.domain_id,
                "createdBy": self.created_by,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
                "name": self.name,
                "description": self.description,
                "environmentProfileId": self.profile_id,
                "awsAccountId": self.account_id,
                "awsAccountRegion": self.region,
                "provider": "Amazon DataZone",
                "status": self.status,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        status = self.status
        deployment: dict[str, Any] = {
            "deploymentId": self.deployment_id,
            "deploymentType": "DELETE" if status in ("DELETING", "DELETED", "DELETE_FAILED") else "CREATE",
            "deploymentStatus": "IN_PROGRESS" if status in ("CREATING", "DELETING") else "SUCCESSFUL",
            "isDeploymentComplete": status not in ("CREATING", "DELETING"),
        }
        if self.failure and status in ("CREATE_FAILED", "VALIDATION_FAILED"):
            deployment["deploymentStatus"] = "FAILED"
            deployment["failureReason"] = {"code": status, "message": self.failure}
        return {
            **self.summary(),
            "environmentBlueprintId": self.blueprint.id,
            "provisionedResources": [dict(r) for r in self.provisioned] if status == "ACTIVE" else [],
            "environmentActions": [],
            "glossaryTerms": list(self.glossary_terms),
            "userParameters": user_parameters(self.blueprint, self.user_parameters),
            "lastDeployment": deployment,
            "provisioningProperties": {"cloudFormation": {"templateUrl": self.blueprint.definition["template"]}},
            "deploymentProperties": {"startTimeoutMinutes": 30, "endTimeoutMinutes": 30},
        }


@dataclass
class DataSourceRun(Tracked):
    id: str
    data_source_id: str
    project_id: str
    domain_id: str
    lifecycle: Lifecycle
    snapshot: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    error: str | None = None
    activities: list[dict[str, Any]] = field(default_factory=list)
    created_at: datetime = field(default_factory=now)

    def summary(self) -> dict[str, Any]:
        status = self.status
        out: dict[str, Any] = {
            "id": self.id,
            "dataSourceId": self.data_source_id,
            "type": "PRIORITIZED",
            "status": status,
            "projectId": self.project_id,
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
            "startedAt": self.created_at,
        }
        if status in ("SUCCESS", "FAILED", "PARTIALLY_SUCCEEDED"):
            out["stoppedAt"] = self.created_at
            out["runStatisticsForAssets"] = {
                "added": self.added,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "skipped": self.skipped,
                "failed": self.failed,
            }
        if self.error and status == "FAILED":
            out["errorMessage"] = {"errorType": "VALIDATION_EXCEPTION", "errorDetail": self.error}
        return out

    def to_dict(self) -> dict[str, Any]:
        out = self.summary()
        out["domainId"] = self.domain_id
        out["dataSourceConfigurationSnapshot"] = self.snapshot
        return out


@dataclass
class DataSource(Tracked):
    id: str
    domain_id: str
    project_id: str
    environment_id: str
    name: str
    description: str | None
    type: str
    configuration: dict[str, Any]
    enable_setting: str
    publish_on_import: bool
    recommendation: dict[str, Any] | None
    schedule: dict[str, Any] | None
    asset_forms: list[dict[str, Any]]
    lifecycle: Lifecycle
    runs: list[DataSourceRun] = field(default_factory=list)
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @property
    def last_run(self) -> DataSourceRun | None:
        return self.runs[-1] if self.runs else None

    def summary(self) -> dict[str, Any]:
        run = self.last_run
        out: dict[str, Any] = {
            "domainId": self.domain_id,
            "environmentId": self.environment_id,
            "dataSourceId": self.id,
            "name": self.name,
            "type": self.type,
            "status": self.status,
            "enableSetting": self.enable_setting,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "description": self.description,
            "schedule": self.schedule,
        }
        if run is not None:
            out["lastRunStatus"] = run.status
            out["lastRunAt"] = run.created_at
            out["lastRunAssetCount"] = run.added + run.updated + run.unchanged
            if run.error and run.status == "FAILED":
                out["lastRunErrorMessage"] = {"errorType": "VALIDATION_EXCEPTION", "errorDetail": run.error}
        return strip_none(out)

    def to_dict(self) -> dict[str, Any]:
        out = self.summary()
        out.pop("dataSourceId")
        out.update(
            id=self.id,
            projectId=self.project_id,
            configuration=self.configuration,
            publishOnImport=self.publish_on_import,
            assetFormsOutput=[
                strip_none({"formName": f["formName"], "typeName": f.get("typeIdentifier"), "typeRevision": f.get("typeRevision"), "content": f.get("content")})
                for f in self.asset_forms
            ],
        )
        if self.recommendation is not None:
            out["recommendation"] = self.recommendation
        return out


@dataclass
class Asset:
    id: str
    domain_id: str
    project_id: str
    data_source_id: str | None
    technical_name: str
    type_identifier: str
    external_identifier: str
    forms: dict[str, dict[str, Any]]
    source: dict[str, str]
    """Where the data lives: kind (glue/redshift), account, region, database, table, store, schema."""
    created_by: str
    name: str
    predicted_name: str | None = None
    description: str | None = None
    revision: int = 1
    listing_id: str | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    def forms_output(self) -> list[dict[str, Any]]:
        return [
            {"formName": name, "typeName": f"amazon.datazone.{name}Type", "typeRevision": "1", "content": json.dumps(content)}
            for name, content in self.forms.items()
        ]

    def read_only_forms(self) -> list[dict[str, Any]]:
        out = [{"formName": "DataSourceReferenceForm", "typeName": "amazon.datazone.DataSourceReferenceFormType", "typeRevision": "1",
                "content": json.dumps({"dataSourceIdentifier": self.data_source_id})}]
        if self.predicted_name:
            out.append({"formName": "BusinessNameGenerationForm", "typeName": "amazon.datazone.BusinessNameGenerationFormType",
                        "typeRevision": "1", "content": json.dumps({"businessName": self.predicted_name, "status": "PREDICTED"})})
        return out

    def forms_json(self) -> str:
        return json.dumps({name: content for name, content in self.forms.items()})


@dataclass
class Listing(Tracked):
    id: str
    domain_id: str
    asset: Asset
    asset_revision: int
    name: str
    description: str | None
    forms: str
    created_by: str
    lifecycle: Lifecycle
    revision: int = 1
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @property
    def owning_project_id(self) -> str:
        return self.asset.project_id

    def to_dict(self) -> dict[str, Any]:
        return strip_none(
            {
                "domainId": self.domain_id,
                "id": self.id,
                "listingRevision": str(self.revision),
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
                "createdBy": self.created_by,
                "updatedBy": self.created_by,
                "item": {
                    "assetListing": {
                        "assetId": self.asset.id,
                        "assetRevision": str(self.asset_revision),
                        "assetType": self.asset.type_identifier,
                        "createdAt": self.created_at,
                        "forms": self.forms,
                        "glossaryTerms": [],
                        "owningProjectId": self.asset.project_id,
                    }
                },
                "name": self.name,
                "description": self.description,
                "status": self.status,
            }
        )

    def search_item(self, with_forms: bool = False) -> dict[str, Any]:
        item: dict[str, Any] = strip_none(
            {
                "listingId": self.id,
                "listingRevision": str(self.revision),
                "name": self.name,
                "entityId": self.asset.id,
                "entityRevision": str(self.asset_revision),
                "entityType": self.asset.type_identifier,
                "description": self.description,
                "createdAt": self.created_at,
                "listingCreatedBy": self.created_by,
                "listingUpdatedBy": self.created_by,
                "glossaryTerms": [],
                "owningProjectId": self.asset.project_id,
            }
        )
        if with_forms:
            item["additionalAttributes"] = {"forms": self.forms}
        return {"assetListing": item}

    def subscribed(self, owner_project_name: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "revision": str(self.revision),
            "name": self.name,
            "description": self.description or "",
            "item": {
                "assetListing": {
                    "entityId": self.asset.id,
                    "entityRevision": str(self.asset_revision),
                    "entityType": self.asset.type_identifier,
                    "forms": self.forms,
                    "glossaryTerms": [],
                }
            },
            "ownerProjectId": self.asset.project_id,
            "ownerProjectName": owner_project_name,
        }


def _subscription_common(item: SubscriptionRequest | Subscription) -> dict[str, Any]:
    """The leading output members a subscription request and a subscription share."""
    return {
        "id": item.id,
        "createdBy": item.created_by,
        "updatedBy": item.updated_by,
        "domainId": item.domain_id,
        "status": item.status,
        "createdAt": item.created_at,
        "updatedAt": item.updated_at,
    }


@dataclass
class SubscriptionRequest:
    id: str
    domain_id: str
    created_by: str
    project_id: str
    project_name: str
    listings: list[Listing]
    owner_names: dict[str, str]
    reason: str
    status: str = "PENDING"
    updated_by: str | None = None
    reviewer_id: str | None = None
    decision_comment: str | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    def to_dict(self) -> dict[str, Any]:
        return strip_none(
            {
                **_subscription_common(self),
                "requestReason": self.reason,
                "subscribedPrincipals": [{"project": {"id": self.project_id, "name": self.project_name}}],
                "subscribedListings": [lst.subscribed(self.owner_names.get(lst.owning_project_id, "")) for lst in self.listings],
                "reviewerId": self.reviewer_id,
                "decisionComment": self.decision_comment,
            }
        )


@dataclass
class Subscription:
    id: str
    domain_id: str
    created_by: str
    project_id: str
    project_name: str
    listing: Listing
    owner_name: str
    request_id: str
    status: str = "APPROVED"
    updated_by: str | None = None
    retain_permissions: bool = False
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    def to_dict(self) -> dict[str, Any]:
        return strip_none(
            {
                **_subscription_common(self),
                "subscribedPrincipal": {"project": {"id": self.project_id, "name": self.project_name}},
                "subscribedListing": self.listing.subscribed(self.owner_name),
                "subscriptionRequestId": self.request_id,
                "retainPermissions": self.retain_permissions,
            }
        )


GRANT_ASSET_STATUS = {
    "PENDING": "GRANT_PENDING",
    "IN_PROGRESS": "GRANT_IN_PROGRESS",
    "COMPLETED": "GRANTED",
    "GRANT_FAILED": "GRANT_FAILED",
}


@dataclass
class Grant(Tracked):
    id: str
    domain_id: str
    created_by: str
    environment: Environment
    target: SubscriptionTarget
    listing: Listing
    subscription: Subscription | None
    lifecycle: Lifecycle
    failure: str | None = None
    asset_status: str | None = None
    """Overrides the status derived from the grant's (REVOKED, REVOKE_FAILED ...)."""
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    def to_dict(self) -> dict[str, Any]:
        status = self.status
        asset_status = self.asset_status or GRANT_ASSET_STATUS.get(status, "REVOKE_IN_PROGRESS")
        if status == "DELETING":
            status, asset_status = "IN_PROGRESS", "REVOKE_IN_PROGRESS"
        asset: dict[str, Any] = {
            "assetId": self.listing.asset.id,
            "assetRevision": str(self.listing.asset_revision),
            "status": asset_status,
            "targetName": self.listing.asset.technical_name,
        }
        if asset_status == "GRANTED":
            asset["grantedTimestamp"] = self.updated_at
        if self.failure and asset_status in ("GRANT_FAILED", "REVOKE_FAILED"):
            asset["failureCause"] = {"message": self.failure}
            asset["failureTimestamp"] = self.updated_at
        return strip_none(
            {
                "id": self.id,
                "createdBy": self.created_by,
                "domainId": self.domain_id,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
                "environmentId": self.environment.id,
                "subscriptionTargetId": self.target.id,
                "grantedEntity": {"listing": {"id": self.listing.id, "revision": str(self.listing.revision)}},
                "status": status,
                "assets": [asset],
                "subscriptionId": self.subscription.id if self.subscription else None,
            }
        )


@dataclass
class Domain(Tracked):
    id: str
    arn: str
    name: str
    description: str | None
    owner_account: str
    region: str
    execution_role: str
    service_role: str | None
    version: str
    kms_key: str | None
    tags: dict[str, str]
    single_sign_on: dict[str, Any] | None
    root_unit_id: str
    lifecycle: Lifecycle
    blueprints: dict[str, Blueprint] = field(default_factory=dict)
    blueprint_configs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    users: dict[str, UserProfile] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    env_profiles: dict[str, EnvironmentProfile] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)
    data_sources: dict[str, DataSource] = field(default_factory=dict)
    runs: dict[str, DataSourceRun] = field(default_factory=dict)
    assets: dict[str, Asset] = field(default_factory=dict)
    listings: dict[str, Listing] = field(default_factory=dict)
    requests: dict[str, SubscriptionRequest] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    domain_units: dict[str, DomainUnit] = field(default_factory=dict)
    policy_grants: dict[str, PolicyGrant] = field(default_factory=dict)
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @property
    def portal_url(self) -> str:
        return f"https://{self.id}.datazone.{self.region}.on.aws"

    def summary(self) -> dict[str, Any]:
        return strip_none(
            {
                "id": self.id,
                "name": self.name,
                "description": self.description,
                "arn": self.arn,
                "managedAccountId": self.owner_account,
                "status": self.status,
                "portalUrl": self.portal_url,
                "createdAt": self.created_at,
                "lastUpdatedAt": self.updated_at,
                "domainVersion": self.version,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        out = strip_none(
            {
                "id": self.id,
                "rootDomainUnitId": self.root_unit_id,
                "name": self.name,
                "description": self.description,
                "singleSignOn": self.single_sign_on or {"type": "DISABLED", "userAssignment": "MANUAL"},
                "domainExecutionRole": self.execution_role,
                "arn": self.arn,
                "kmsKeyIdentifier": self.kms_key,
                "status": self.status,
                "portalUrl": self.portal_url,
                "createdAt": self.created_at,
                "lastUpdatedAt": self.updated_at,
                "tags": dict(self.tags),
                "domainVersion": self.version,
                "serviceRole": self.service_role,
            }
        )
        return out
