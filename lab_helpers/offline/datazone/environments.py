"""Environment profiles, environments (what their stacks provision), subscription targets.

A DefaultDataLake environment makes the Glue databases ``<env>_pub_db`` and ``<env>_sub_db``
(or the names given) and an Athena workgroup (``workgroupName`` or ``<env>_wg``) in its account; a DefaultDataWarehouse environment checks its secret's
tags and makes the schema ``datazone_env_<env>`` in the cluster or workgroup database. Both
need the environment account's blueprint configuration with the Region enabled.
"""

from __future__ import annotations

import json
from typing import Any

from .. import lakeformation
from ..identity import Caller
from ..service_roles import datazone_role_refusal
from . import engines
from .access import Store, associated, deny, find_domain, require_member, require_profile
from .blueprints import DATA_LAKE, DATA_WAREHOUSE, GLUE_ASSET_TYPES, REDSHIFT_ASSET_TYPES, Blueprint
from .common import check_name, listing, lookup, new_id, now, param_map, require
from .exceptions import ConflictException, ValidationException
from .policies import may_create_environment_profile
from .records import Domain, Environment, EnvironmentProfile, SubscriptionTarget
from .state import Lifecycle


class ProvisioningError(Exception):
    """Environment creation failed: ``status`` is CREATE_FAILED or VALIDATION_FAILED."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def schema_name(env_name: str) -> str:
    return f"datazone_env_{env_name.lower()}"


class EnvironmentsMixin:
    store: Store

    # --- profiles --------------------------------------------------------------------------

    def _env_profile(self, domain: Domain, identifier: str | None) -> EnvironmentProfile:
        return lookup(domain.env_profiles, identifier, "Environment profile", domain.id)

    def _env_profile_as_member(self, caller: Caller, p: dict[str, Any], operation: str) -> tuple[Domain, EnvironmentProfile]:
        """The profile ``p["identifier"]``, if the caller is a member of its project."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, operation)
        profile = self._env_profile(domain, p.get("identifier"))
        require_member(self._project(domain, profile.project_id), user, operation)  # type: ignore[attr-defined]
        return domain, profile

    def _check_params(self, blueprint: Blueprint, params: dict[str, str]) -> None:
        known = {spec["keyName"] for spec in blueprint.definition["userParameters"]}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValidationException(f"Invalid userParameters {unknown} for blueprint {blueprint.name}; valid keys: {sorted(known)}")

    def create_environment_profile(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "CreateEnvironmentProfile")
        require(p, "name", "environmentBlueprintIdentifier", "projectIdentifier")
        check_name(p["name"])
        project = self._project(domain, p["projectIdentifier"])  # type: ignore[attr-defined]
        require_member(project, user, "CreateEnvironmentProfile")
        blueprint = self._blueprint(domain, p["environmentBlueprintIdentifier"])  # type: ignore[attr-defined]
        account = p.get("awsAccountId") or caller.account_id
        region = p.get("awsAccountRegion") or domain.region
        if not associated(domain, account):
            raise ValidationException(f"Account {account} is neither the domain account nor an associated account of domain {domain.id}")
        if not may_create_environment_profile(domain, user, project, account, blueprint.id):
            raise deny("CreateEnvironmentProfile")  # no CREATE_ENVIRONMENT_PROFILE grant on <account>:<blueprint>
        if any(ep.name == p["name"] and ep.project_id == project.id for ep in domain.env_profiles.values()):
            raise ConflictException(f"An environment profile with name {p['name']} already exists in project {project.id}")
        params = param_map(p.get("userParameters"))
        self._check_params(blueprint, params)
        profile = EnvironmentProfile(
            id=new_id(),
            domain_id=domain.id,
            name=p["name"],
            description=p.get("description"),
            blueprint_id=blueprint.id,
            project_id=project.id,
            account_id=account,
            region=region,
            created_by=user.id,
            user_parameters=params,
        )
        domain.env_profiles[profile.id] = profile
        return profile.to_dict(blueprint)

    def get_environment_profile(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        require_profile(domain, caller, "GetEnvironmentProfile")
        profile = self._env_profile(domain, p.get("identifier"))
        return profile.to_dict(domain.blueprints[profile.blueprint_id])

    def list_environment_profiles(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        require_profile(domain, caller, "ListEnvironmentProfiles")
        filters = {
            "account_id": p.get("awsAccountId"),
            "region": p.get("awsAccountRegion"),
            "blueprint_id": p.get("environmentBlueprintIdentifier"),
            "project_id": p.get("projectIdentifier"),
            "name": p.get("name"),
        }
        items = [
            ep.summary()
            for ep in domain.env_profiles.values()
            if all(value is None or getattr(ep, key) == value for key, value in filters.items())
        ]
        return listing(items, p)

    def update_environment_profile(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain, profile = self._env_profile_as_member(caller, p, "UpdateEnvironmentProfile")
        blueprint = domain.blueprints[profile.blueprint_id]
        if p.get("name"):
            profile.name = check_name(p["name"])
        if p.get("description") is not None:
            profile.description = p["description"]
        if p.get("userParameters") is not None:
            params = param_map(p["userParameters"])
            self._check_params(blueprint, params)
            profile.user_parameters.update(params)
        if p.get("awsAccountId"):
            profile.account_id = p["awsAccountId"]
        if p.get("awsAccountRegion"):
            profile.region = p["awsAccountRegion"]
        profile.updated_at = now()
        return profile.to_dict(blueprint)

    def delete_environment_profile(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain, profile = self._env_profile_as_member(caller, p, "DeleteEnvironmentProfile")
        in_use = [e.id for e in domain.environments.values() if e.profile_id == profile.id and e.status != "DELETED"]
        if in_use:
            raise ConflictException(f"Environment profile {profile.id} is used by environments {in_use}; delete them first")
        del domain.env_profiles[profile.id]
        return {}

    # --- environments ----------------------------------------------------------------------

    def _environment(self, domain: Domain, identifier: str | None) -> Environment:
        return lookup(domain.environments, identifier, "Environment", domain.id, forget_deleted=True)

    def _env_as_member(self, caller: Caller, p: dict[str, Any], key: str, operation: str) -> tuple[Domain, Environment]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, operation)
        env = self._environment(domain, p.get(key))
        require_member(self._project(domain, env.project_id), user, operation)  # type: ignore[attr-defined]
        return domain, env

    def create_environment(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Creates an environment from a profile; provisioning problems show in its status."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "CreateEnvironment")
        require(p, "projectIdentifier", "name")
        check_name(p["name"])
        project = self._project(domain, p["projectIdentifier"])  # type: ignore[attr-defined]
        require_member(project, user, "CreateEnvironment")
        profile: EnvironmentProfile | None = None
        if p.get("environmentProfileIdentifier"):
            profile = self._env_profile(domain, p["environmentProfileIdentifier"])
            blueprint = domain.blueprints[profile.blueprint_id]
            account, region = profile.account_id, profile.region
            params = dict(profile.user_parameters)
        elif p.get("environmentBlueprintIdentifier"):
            blueprint = self._blueprint(domain, p["environmentBlueprintIdentifier"])  # type: ignore[attr-defined]
            account = p.get("environmentAccountIdentifier") or caller.account_id
            region = p.get("environmentAccountRegion") or domain.region
            params = {}
        else:
            raise ValidationException("environmentProfileIdentifier is required for V1 domains")
        if not associated(domain, account):
            raise ValidationException(f"Account {account} is not associated with domain {domain.id}")
        extra = param_map(p.get("userParameters"))
        self._check_params(blueprint, extra)
        params.update(extra)
        if any(e.name == p["name"] and e.project_id == project.id and e.status != "DELETED" for e in domain.environments.values()):
            raise ConflictException(f"An environment with name {p['name']} already exists in project {project.id}")
        env = Environment(
            id=new_id(),
            domain_id=domain.id,
            project_id=project.id,
            name=p["name"],
            description=p.get("description"),
            profile_id=profile.id if profile else None,
            blueprint=blueprint,
            account_id=account,
            region=region,
            created_by=user.id,
            user_parameters=params,
            lifecycle=Lifecycle("datazone::environment", "CREATING", "ACTIVE"),
            glossary_terms=list(p.get("glossaryTerms") or []),
            deployment_id=new_id(),
        )
        try:
            self._provision(domain, env)
        except ProvisioningError as failure:
            env.failure = str(failure)
            env.provisioned = []
            env.targets = []
            env.lifecycle.set("datazone::environment", "CREATING", failure.status)
        domain.environments[env.id] = env
        out = env.to_dict()
        out["status"] = "CREATING"
        out["provisionedResources"] = []
        out["lastDeployment"] = {"deploymentId": env.deployment_id, "deploymentType": "CREATE", "deploymentStatus": "IN_PROGRESS", "isDeploymentComplete": False}
        return out

    def _provision(self, domain: Domain, env: Environment) -> None:
        """What the blueprint's stack makes; raises ProvisioningError with the service's reasons."""
        config = domain.blueprint_configs.get((env.account_id, env.blueprint.id))
        if config is None:
            raise ProvisioningError(
                "VALIDATION_FAILED",
                f"Environment blueprint {env.blueprint.name} ({env.blueprint.id}) is not enabled in account {env.account_id}: "
                "put an environment blueprint configuration first",
            )
        if not config.get("enabledRegions"):
            raise ProvisioningError("VALIDATION_FAILED", f"Blueprint {env.blueprint.name} needs to enable atleast one region in account {env.account_id}")
        if env.region not in config["enabledRegions"]:
            raise ProvisioningError(
                "VALIDATION_FAILED", f"Blueprint {env.blueprint.name} is not enabled in region {env.region} of account {env.account_id}"
            )
        refusal = datazone_role_refusal(config.get("provisioningRoleArn"), domain.owner_account, domain.arn)
        if refusal:  # the environment's stack is deployed with the provisioning role
            raise ProvisioningError("CREATE_FAILED", f"Amazon DataZone could not assume the provisioning role: {refusal}")
        user_role = f"arn:aws:iam::{env.account_id}:role/datazone_usr_{env.id}"
        common = [
            {"provider": "Amazon DataZone", "name": "userRoleArn", "type": "IAM_ROLE", "value": user_role},
        ]
        if env.blueprint.name == DATA_LAKE:
            base = env.name.lower()
            pub = env.user_parameters.get("producerGlueDbName") or f"{base}_pub_db"
            sub = env.user_parameters.get("consumerGlueDbName") or f"{base}_sub_db"
            workgroup = env.user_parameters.get("workgroupName") or f"{base}_wg"
            try:
                for db, what in ((pub, "publishing"), (sub, "subscribed")):
                    if engines.ensure_glue_database(env.account_id, env.region, db, f"DataZone environment {env.name}: {what} data"):
                        env.created_databases.append(db)
            except Exception as exc:  # moto's own validation
                raise ProvisioningError("CREATE_FAILED", f"Creating the Glue databases failed: {exc}") from exc
            s3_location = config.get("regionalParameters", {}).get(env.region, {}).get("S3Location")
            s3_path = (s3_location or f"s3://amazon-datazone-{env.account_id}-{env.region}").rstrip("/") + f"/{domain.id}/{env.id}"
            if engines.ensure_athena_workgroup(env.account_id, env.region, workgroup, f"{s3_path}/sys/athena/" if s3_location else None):
                env.created_workgroups.append(workgroup)
            engines.ensure_role(env.account_id, f"datazone_usr_{env.id}", policy=engines.environment_user_policy(
                env.account_id, env.region, domain.id, env.project_id, s3_path=s3_path, databases=[pub, sub], workgroup=workgroup))
            lakeformation.govern_environment_databases(env.account_id, env.region, (pub, sub), user_role, config.get("manageAccessRoleArn"))
            env.provisioned = common + [
                {"provider": "Amazon DataZone", "name": "glueProducerDBName", "type": "GLUE_DATABASE", "value": pub},
                {"provider": "Amazon DataZone", "name": "glueConsumerDBName", "type": "GLUE_DATABASE", "value": sub},
                {"provider": "Amazon DataZone", "name": "athenaWorkgroupName", "type": "ATHENA_WORKGROUP", "value": workgroup},
                {"provider": "Amazon DataZone", "name": "s3BucketPath", "type": "S3_PATH", "value": s3_path},
            ]
            target = SubscriptionTarget(
                id=new_id(), domain_id=domain.id, project_id=env.project_id, environment_id=env.id,
                name=f"DataLakeSubscriptionTarget-{env.id}", type="GlueSubscriptionTargetType", asset_types=list(GLUE_ASSET_TYPES),
                config=[{"formName": "GlueSubscriptionTargetConfigForm", "content": json.dumps({"databaseName": sub})}],
                principals=[user_role], manage_role=config.get("manageAccessRoleArn"), created_by=env.created_by,
            )
        elif env.blueprint.name == DATA_WAREHOUSE:
            target = self._provision_warehouse(domain, env, common, user_role, config)
        else:  # pragma: no cover - only managed blueprints exist offline
            raise ProvisioningError("VALIDATION_FAILED", f"Blueprint {env.blueprint.name} cannot be provisioned offline")
        env.targets = [target]

    def _provision_warehouse(self, domain: Domain, env: Environment, common: list[dict[str, str]], user_role: str, config: dict[str, Any]) -> SubscriptionTarget:
        params = env.user_parameters
        secret, db = params.get("dataAccessSecretsArn"), params.get("dbName")
        cluster, workgroup = params.get("clusterName"), params.get("workgroupName")
        missing = [k for k, v in (("dataAccessSecretsArn", secret), ("dbName", db)) if not v]
        if missing:
            raise ProvisioningError("VALIDATION_FAILED", f"Missing required parameters {missing} for blueprint {DATA_WAREHOUSE}")
        if bool(cluster) == bool(workgroup):
            raise ProvisioningError("VALIDATION_FAILED", "Exactly one of clusterName or workgroupName must be provided")
        if workgroup and not engines.workgroup_available(env.account_id, env.region, workgroup):
            raise ProvisioningError("VALIDATION_FAILED", f"Redshift Serverless workgroup {workgroup} does not exist (or is not "
                                    f"AVAILABLE) in account {env.account_id}")
        tags = engines.secret_tags(env.account_id, env.region, secret or "")
        if tags is None:
            raise ProvisioningError("VALIDATION_FAILED", f"Secret {secret} does not exist in account {env.account_id}")
        store_key, store = ("datazone.rs.cluster", cluster) if cluster else ("datazone.rs.workgroup", workgroup)
        expected = {store_key: f"{store}:{db}", "amazondatazoneproject": env.project_id, "amazondatazonedomain": domain.id}
        wrong = [k for k, v in expected.items() if tags.get(k) != v]
        if wrong:
            shown = {"datazone.rs.cluster": "datazone.rs.cluster", "datazone.rs.workgroup": "datazone.rs.workgroup",
                     "amazondatazoneproject": "AmazonDataZoneProject", "amazondatazonedomain": "AmazonDataZoneDomain"}
            raise ProvisioningError(
                "VALIDATION_FAILED",
                f"Secret {secret} is missing the tags DataZone requires: "
                + ", ".join(f"{shown[k]}={expected[k]}" for k in wrong)
                + " (tag the secret with the cluster or workgroup and database, the project id and the domain id)",
            )
        schema = schema_name(env.name)
        try:
            engines.run_sql(account_id=env.account_id, region=env.region, store=store or "", database=db or "",
                            sql=f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        except Exception as exc:
            raise ProvisioningError("CREATE_FAILED", f"Creating schema {schema} in {store}/{db} failed: {exc}") from exc
        engines.ensure_role(env.account_id, f"datazone_usr_{env.id}", policy=engines.environment_user_policy(
            env.account_id, env.region, domain.id, env.project_id))
        env.provisioned = common + [
            {"provider": "Amazon DataZone", "name": "redshiftSecretArn", "type": "SECRET", "value": secret or ""},
            {"provider": "Amazon DataZone", "name": "clusterName" if cluster else "workgroupName", "type": "REDSHIFT_CLUSTER" if cluster else "REDSHIFT_WORKGROUP", "value": store or ""},
            {"provider": "Amazon DataZone", "name": "dbName", "type": "REDSHIFT_DATABASE", "value": db or ""},
            {"provider": "Amazon DataZone", "name": "schemaName", "type": "REDSHIFT_SCHEMA", "value": schema},
        ]
        target_config = {"databaseName": db, "schemaName": schema, ("clusterIdentifier" if cluster else "workgroupName"): store}
        return SubscriptionTarget(
            id=new_id(), domain_id=domain.id, project_id=env.project_id, environment_id=env.id,
            name=f"DataWarehouseSubscriptionTarget-{env.id}", type="RedshiftSubscriptionTargetType", asset_types=list(REDSHIFT_ASSET_TYPES),
            config=[{"formName": "RedshiftSubscriptionTargetConfigForm", "content": json.dumps(target_config)}],
            principals=[user_role], manage_role=config.get("manageAccessRoleArn"), created_by=env.created_by,
        )

    def get_environment(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, env = self._env_as_member(caller, p, "identifier", "GetEnvironment")
        env.lifecycle.advance()
        return env.to_dict()

    def list_environments(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "ListEnvironments")
        require(p, "projectIdentifier")
        project = self._project(domain, p["projectIdentifier"])  # type: ignore[attr-defined]
        require_member(project, user, "ListEnvironments")
        items = []
        for env in list(domain.environments.values()):
            status = env.status
            if env.project_id != project.id or status == "DELETED":
                continue
            checks = (
                (p.get("awsAccountId"), env.account_id), (p.get("status"), status), (p.get("awsAccountRegion"), env.region),
                (p.get("environmentProfileIdentifier"), env.profile_id), (p.get("environmentBlueprintIdentifier"), env.blueprint.id),
                (p.get("provider"), "Amazon DataZone"), (p.get("name"), env.name),
            )
            if all(want is None or want == have for want, have in checks):
                items.append(env.summary())
        return listing(items, p)

    def delete_environment(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Deletes the environment: its grants are revoked, the Glue databases, the Athena workgroup and the user role it made are dropped.

        A workgroup left behind would keep the deleted environment's result location, which the user role of a
        new environment of the same name may not read (its stack names the workgroup after the environment).
        """
        domain, env = self._env_as_member(caller, p, "identifier", "DeleteEnvironment")
        if env.status in ("DELETING",):
            raise ConflictException(f"Environment {env.id} is already being deleted")
        for grant in [g for g in domain.grants.values() if g.environment.id == env.id]:
            self._revoke_grant(grant)  # type: ignore[attr-defined]
            domain.grants.pop(grant.id, None)
        for ds in [d for d in domain.data_sources.values() if d.environment_id == env.id]:
            domain.data_sources.pop(ds.id, None)
        for db in env.created_databases:  # the stack's own databases, not ones that existed before
            try:
                engines.drop_glue_database(env.account_id, env.region, db)
            except Exception:  # already gone
                pass
        for workgroup in env.created_workgroups:
            engines.drop_athena_workgroup(env.account_id, env.region, workgroup)
        if env.status != "DELETED":  # the stack's user role goes with the stack
            engines.drop_role(env.account_id, f"datazone_usr_{env.id}")
        env.lifecycle.set("datazone::environment_deletion", "DELETING", "DELETED")
        env.updated_at = now()
        return {}

    def get_environment_credentials(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Temporary credentials of the environment's user role (in the environment account)."""
        _, env = self._env_as_member(caller, p, "environmentIdentifier", "GetEnvironmentCredentials")
        if env.status != "ACTIVE":
            raise ValidationException(f"Environment {env.id} is {env.status}, not ACTIVE")
        role = env.resource("userRoleArn") or ""
        return engines.assume(env.account_id, env.region, role, f"datazone-{env.id}")

    def list_subscription_targets(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, env = self._env_as_member(caller, p, "environmentIdentifier", "ListSubscriptionTargets")
        items = [t.to_dict() for t in env.targets] if env.status == "ACTIVE" else []
        if p.get("sortOrder") == "DESCENDING":
            items.reverse()
        return listing(items, p)
