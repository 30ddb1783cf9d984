"""Data sources and their runs (the import of Glue and Redshift tables as assets), assets,
business-name predictions, listings (publish / unpublish) and catalog search."""

from __future__ import annotations

import json
from typing import Any

from ..identity import Caller
from . import engines
from .access import Store, find_domain, is_member, require_member, require_profile
from .blueprints import DATA_LAKE, DATA_WAREHOUSE
from .common import check_name, listing, lookup, new_id, now, page, require, strip_none
from .exceptions import ConflictException, ResourceNotFoundException, ValidationException
from .naming import business_name
from .records import Asset, DataSource, DataSourceRun, Domain, Environment, Listing, Project, UserProfile
from .state import Lifecycle

GLUE_TYPE = "amazon.datazone.GlueTableAssetType"
REDSHIFT_TYPE = "amazon.datazone.RedshiftTableAssetType"
TYPE_NAMES = {GLUE_TYPE: "GlueTableAssetType", REDSHIFT_TYPE: "RedshiftTableAssetType"}
RUN_CONFIGURATIONS = {"GLUE": (DATA_LAKE, "glueRunConfiguration"), "REDSHIFT": (DATA_WAREHOUSE, "redshiftRunConfiguration")}
"""Data source type → the environment blueprint it needs and its run configuration member."""


class CatalogMixin:
    store: Store

    # --- data sources ----------------------------------------------------------------------

    def _data_source(self, domain: Domain, identifier: str | None) -> DataSource:
        return lookup(domain.data_sources, identifier, "Data source", domain.id)

    def _ds_as_member(self, caller: Caller, p: dict[str, Any], key: str, operation: str) -> tuple[Domain, DataSource, UserProfile]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, operation)
        ds = self._data_source(domain, p.get(key))
        require_member(self._project(domain, ds.project_id), user, operation)  # type: ignore[attr-defined]
        return domain, ds, user

    def _configuration(self, env: Environment, kind: str, given: dict[str, Any] | None) -> dict[str, Any]:
        """The data source configuration as the service reports it (defaults from the environment)."""
        given = dict(given or {})
        if kind not in RUN_CONFIGURATIONS:
            raise ValidationException(f"Data source type {kind} is not supported offline (GLUE and REDSHIFT are)")
        blueprint, member = RUN_CONFIGURATIONS[kind]
        if env.blueprint.name != blueprint:
            raise ValidationException(f"A {kind} data source needs a {blueprint} environment; {env.name} is {env.blueprint.name}")
        run = dict(given.get(member) or {})
        if not run.get("relationalFilterConfigurations"):
            raise ValidationException(f"{member}.relationalFilterConfigurations is required")
        if kind == "REDSHIFT":
            for rf in run["relationalFilterConfigurations"]:
                if not rf.get("schemaName"):
                    raise ValidationException("schemaName is required in each Redshift relationalFilterConfiguration")
            if not run.get("redshiftStorage"):
                cluster = env.resource("clusterName")
                run["redshiftStorage"] = (
                    {"redshiftClusterSource": {"clusterName": cluster}} if cluster
                    else {"redshiftServerlessSource": {"workgroupName": env.resource("workgroupName")}}
                )
            if not run.get("redshiftCredentialConfiguration"):
                run["redshiftCredentialConfiguration"] = {"secretManagerArn": env.resource("redshiftSecretArn")}
        out = {"accountId": env.account_id, "region": env.region, **run}
        return {member: strip_none(out)}

    def create_data_source(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "CreateDataSource")
        require(p, "name", "projectIdentifier", "type")
        check_name(p["name"], max_len=256)
        project = self._project(domain, p["projectIdentifier"])  # type: ignore[attr-defined]
        require_member(project, user, "CreateDataSource")
        if not p.get("environmentIdentifier"):
            raise ValidationException("environmentIdentifier is required for V1 domains")
        env = self._environment(domain, p["environmentIdentifier"])  # type: ignore[attr-defined]
        if env.project_id != project.id:
            raise ValidationException(f"Environment {env.id} does not belong to project {project.id}")
        if env.status != "ACTIVE":
            raise ValidationException(f"Environment {env.id} is {env.status}, not ACTIVE")
        if any(d.name == p["name"] and d.project_id == project.id for d in domain.data_sources.values()):
            raise ConflictException(f"A data source with name {p['name']} already exists in project {project.id}")
        ds = DataSource(
            id=new_id(),
            domain_id=domain.id,
            project_id=project.id,
            environment_id=env.id,
            name=p["name"],
            description=p.get("description"),
            type=p["type"],
            configuration=self._configuration(env, p["type"], p.get("configuration")),
            enable_setting=p.get("enableSetting") or "ENABLED",
            publish_on_import=bool(p.get("publishOnImport", False)),
            recommendation=p.get("recommendation") or {"enableBusinessNameGeneration": True},
            schedule=p.get("schedule"),
            asset_forms=list(p.get("assetFormsInput") or []),
            lifecycle=Lifecycle("datazone::data_source", "CREATING", "READY"),
        )
        domain.data_sources[ds.id] = ds
        out = ds.to_dict()
        out["status"] = "CREATING"
        out.pop("lastRunAssetCount", None)
        return out

    def get_data_source(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, ds, _ = self._ds_as_member(caller, p, "identifier", "GetDataSource")
        ds.lifecycle.advance()
        return ds.to_dict()

    def list_data_sources(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "ListDataSources")
        require(p, "projectIdentifier")
        require_member(self._project(domain, p["projectIdentifier"]), user, "ListDataSources")  # type: ignore[attr-defined]
        items = []
        for ds in domain.data_sources.values():
            checks = ((p.get("projectIdentifier"), ds.project_id), (p.get("environmentIdentifier"), ds.environment_id),
                      (p.get("type"), ds.type), (p.get("status"), ds.status), (p.get("name"), ds.name))
            if all(want is None or want == have for want, have in checks):
                items.append(ds.summary())
        return listing(items, p)

    def update_data_source(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain, ds, _ = self._ds_as_member(caller, p, "identifier", "UpdateDataSource")
        if p.get("name") and p["name"] != ds.name:
            check_name(p["name"], max_len=256)
            if any(d.name == p["name"] and d.project_id == ds.project_id for d in domain.data_sources.values()):
                raise ConflictException(f"A data source with name {p['name']} already exists in project {ds.project_id}")
            ds.name = p["name"]
        for key, attr in (("description", "description"), ("enableSetting", "enable_setting"), ("publishOnImport", "publish_on_import"),
                          ("schedule", "schedule"), ("recommendation", "recommendation")):
            if p.get(key) is not None:
                setattr(ds, attr, p[key])
        if p.get("assetFormsInput") is not None:
            ds.asset_forms = list(p["assetFormsInput"])
        if p.get("configuration") is not None:
            ds.configuration = self._configuration(domain.environments[ds.environment_id], ds.type, p["configuration"])
        ds.updated_at = now()
        out = ds.to_dict()
        out.pop("lastRunAssetCount", None)
        return out

    def delete_data_source(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain, ds, _ = self._ds_as_member(caller, p, "identifier", "DeleteDataSource")
        out = ds.to_dict()
        out["status"] = "DELETING"
        out.pop("lastRunAssetCount", None)
        out.pop("recommendation", None)
        del domain.data_sources[ds.id]
        return out

    # --- runs ------------------------------------------------------------------------------

    def start_data_source_run(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Imports the tables the filters select, creating or updating assets."""
        domain, ds, user = self._ds_as_member(caller, p, "dataSourceIdentifier", "StartDataSourceRun")
        if ds.status != "READY":
            raise ConflictException(f"Data source {ds.id} is {ds.status}, not READY")
        if ds.enable_setting == "DISABLED":
            raise ValidationException(f"Data source {ds.id} is disabled")
        if ds.last_run is not None and ds.last_run.status in ("REQUESTED", "RUNNING"):
            raise ConflictException(f"Data source {ds.id} already has a run in progress ({ds.last_run.id})")
        env = domain.environments[ds.environment_id]
        run = DataSourceRun(
            id=new_id(), data_source_id=ds.id, project_id=ds.project_id, domain_id=domain.id,
            lifecycle=Lifecycle("datazone::data_source_run", "REQUESTED", "RUNNING", "SUCCESS"),
            snapshot=json.dumps(ds.configuration),
        )
        self._import(domain, ds, env, run, user)
        final = "SUCCESS"
        if run.error and not (run.added or run.updated or run.unchanged):
            final = "FAILED"
        elif run.error or run.failed:
            final = "PARTIALLY_SUCCEEDED"
        run.lifecycle.set("datazone::data_source_run", "REQUESTED", "RUNNING", final)
        ds.runs.append(run)
        domain.runs[run.id] = run
        out = run.to_dict()
        out["status"] = "REQUESTED"
        for key in ("runStatisticsForAssets", "stoppedAt", "errorMessage"):
            out.pop(key, None)
        return out

    def _tables(self, ds: DataSource, env: Environment) -> list[tuple[str, str, dict[str, list[tuple[str, str]]] | None, dict[str, Any]]]:
        """(database, schema, tables or None when missing, filter config) per relational filter."""
        out = []
        if ds.type == "GLUE":
            for rf in ds.configuration["glueRunConfiguration"]["relationalFilterConfigurations"]:
                out.append((rf["databaseName"], "", engines.glue_tables(env.account_id, env.region, rf["databaseName"]), rf))
        else:
            conf = ds.configuration["redshiftRunConfiguration"]
            storage = conf["redshiftStorage"]
            store = (storage.get("redshiftClusterSource") or {}).get("clusterName") or (storage.get("redshiftServerlessSource") or {}).get("workgroupName") or ""
            for rf in conf["relationalFilterConfigurations"]:
                try:
                    tables: dict[str, list[tuple[str, str]]] | None = engines.describe_schema(
                        account_id=env.account_id, region=env.region, store=store, database=rf["databaseName"], schema=rf["schemaName"]
                    )
                except Exception:
                    tables = None
                out.append((rf["databaseName"], rf["schemaName"], tables, {**rf, "store": store}))
        return out

    def _import(self, domain: Domain, ds: DataSource, env: Environment, run: DataSourceRun, user: UserProfile) -> None:
        errors = []
        for database, schema, tables, rf in self._tables(ds, env):
            if tables is None:
                where = f"{database}.{schema}" if schema else database
                errors.append(f"{'Schema' if schema else 'Database'} {where} not found in account {env.account_id}")
                continue
            for table, columns in sorted(tables.items()):
                if not engines.matches(table, rf.get("filterExpressions")):
                    continue
                status, asset = self._upsert_asset(domain, ds, env, database, schema, table, columns, rf.get("store", ""), user)
                if status == "SUCCEEDED_CREATED":
                    run.added += 1
                elif status == "SUCCEEDED_UPDATED":
                    run.updated += 1
                else:
                    run.unchanged += 1
                if ds.publish_on_import and asset.listing_id is None:
                    self._publish(domain, asset, user)
                stamp = now()
                run.activities.append({
                    "database": database, "dataSourceRunId": run.id, "technicalName": table, "dataAssetStatus": status,
                    "projectId": ds.project_id, "dataAssetId": asset.id, "technicalDescription": "", "createdAt": stamp, "updatedAt": stamp,
                })
        run.error = "; ".join(errors) or None

    def _upsert_asset(self, domain: Domain, ds: DataSource, env: Environment, database: str, schema: str, table: str,
                      columns: list[tuple[str, str]], store: str, user: UserProfile) -> tuple[str, Asset]:
        cols = [{"columnName": c, "dataType": t} for c, t in columns]
        if ds.type == "GLUE":
            external = f"arn:aws:glue:{env.region}:{env.account_id}:table/{database}/{table}"
            forms = {"GlueTableForm": {"catalogId": env.account_id, "region": env.region, "databaseName": database, "tableName": table,
                                       "tableArn": external, "columns": cols}}
            source = {"kind": "glue", "account": env.account_id, "region": env.region, "database": database, "table": table}
            type_id = GLUE_TYPE
        else:
            store_key = "clusterName" if env.resource("clusterName") else "workgroupName"
            external = f"arn:aws:redshift:{env.region}:{env.account_id}:table/{store}/{database}/{schema}/{table}"
            forms = {"RedshiftTableForm": {"accountId": env.account_id, "region": env.region, store_key: store, "databaseName": database,
                                           "schemaName": schema, "tableName": table, "columns": cols}}
            source = {"kind": "redshift", "account": env.account_id, "region": env.region, "store": store, "database": database,
                      "schema": schema, "table": table}
            type_id = REDSHIFT_TYPE
        for form in ds.asset_forms:
            try:
                forms[form["formName"]] = json.loads(form.get("content") or "{}")
            except ValueError:
                raise ValidationException(f"Form {form['formName']} content is not valid JSON") from None
        existing = next((a for a in domain.assets.values() if a.external_identifier == external and a.project_id == ds.project_id), None)
        predict = bool((ds.recommendation or {}).get("enableBusinessNameGeneration"))
        if existing is None:
            asset = Asset(
                id=new_id(), domain_id=domain.id, project_id=ds.project_id, data_source_id=ds.id, technical_name=table,
                type_identifier=type_id, external_identifier=external, forms=forms, source=source, created_by=user.id, name=table,
                predicted_name=business_name(table) if predict else None,
            )
            domain.assets[asset.id] = asset
            return "SUCCEEDED_CREATED", asset
        if existing.forms != forms:
            existing.forms = forms
            existing.revision += 1
            existing.updated_at = now()
            return "SUCCEEDED_UPDATED", existing
        return "UNCHANGED", existing

    def _run_as_member(self, caller: Caller, p: dict[str, Any], operation: str) -> DataSourceRun:
        """The run ``p["identifier"]``, if the caller is a member of its project."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, operation)
        run = lookup(domain.runs, p.get("identifier"), "Data source run", domain.id)
        require_member(self._project(domain, run.project_id), user, operation)  # type: ignore[attr-defined]
        return run

    def get_data_source_run(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        run = self._run_as_member(caller, p, "GetDataSourceRun")
        run.lifecycle.advance()
        return run.to_dict()

    def list_data_source_runs(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        _, ds, _ = self._ds_as_member(caller, p, "dataSourceIdentifier", "ListDataSourceRuns")
        items = [r.summary() for r in reversed(ds.runs) if not p.get("status") or r.status == p["status"]]
        return listing(items, p)

    def list_data_source_run_activities(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        run = self._run_as_member(caller, p, "ListDataSourceRunActivities")
        done = run.status in ("SUCCESS", "PARTIALLY_SUCCEEDED", "FAILED")
        items = [dict(a) for a in run.activities if done and (not p.get("status") or a["dataAssetStatus"] == p["status"])]
        return listing(items, p)

    # --- assets ----------------------------------------------------------------------------

    def _asset(self, domain: Domain, identifier: str | None) -> Asset:
        return lookup(domain.assets, identifier, "Asset", domain.id)

    def _asset_dict(self, domain: Domain, asset: Asset) -> dict[str, Any]:
        out: dict[str, Any] = strip_none({
            "id": asset.id, "name": asset.name, "typeIdentifier": asset.type_identifier, "typeRevision": "1",
            "externalIdentifier": asset.external_identifier, "revision": str(asset.revision), "description": asset.description,
            "createdAt": asset.updated_at, "createdBy": asset.created_by, "firstRevisionCreatedAt": asset.created_at,
            "firstRevisionCreatedBy": asset.created_by, "glossaryTerms": [], "owningProjectId": asset.project_id,
            "domainId": domain.id, "formsOutput": asset.forms_output(), "readOnlyFormsOutput": asset.read_only_forms(),
        })
        if asset.listing_id and asset.listing_id in domain.listings:
            lst = domain.listings[asset.listing_id]
            out["listing"] = {"listingId": lst.id, "listingStatus": lst.status}
        return out

    def get_asset(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Owning-project members read any asset; others only assets listed in the catalog."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "GetAsset")
        asset = self._asset(domain, p.get("identifier"))
        project = self._project(domain, asset.project_id)  # type: ignore[attr-defined]
        listed = asset.listing_id in domain.listings and domain.listings[asset.listing_id].status == "ACTIVE"
        if not is_member(project, user) and not listed:
            require_member(project, user, "GetAsset")
        if p.get("revision") and str(p["revision"]) != str(asset.revision):
            raise ResourceNotFoundException(f"Revision {p['revision']} of asset {asset.id} not found.")
        return self._asset_dict(domain, asset)

    def accept_predictions(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Accepts the generated business name (or an edited one) as the asset's name."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "AcceptPredictions")
        asset = self._asset(domain, p.get("identifier"))
        require_member(self._project(domain, asset.project_id), user, "AcceptPredictions")  # type: ignore[attr-defined]
        rule = (p.get("acceptRule") or {}).get("rule", "ALL" if not p.get("acceptChoices") else None)
        chosen: str | None = None
        for choice in p.get("acceptChoices") or []:
            if choice.get("editedValue"):
                chosen = choice["editedValue"]
            elif asset.predicted_name:
                chosen = asset.predicted_name
        if chosen is None and rule == "ALL" and asset.predicted_name:
            chosen = asset.predicted_name
        if chosen and chosen != asset.name:
            asset.name = chosen
            asset.revision += 1
            asset.updated_at = now()
        if chosen or rule in ("ALL", "NONE"):
            asset.predicted_name = None
        return {"domainId": domain.id, "assetId": asset.id, "revision": str(asset.revision)}

    # --- listings --------------------------------------------------------------------------

    def _publish(self, domain: Domain, asset: Asset, user: UserProfile) -> Listing:
        existing = domain.listings.get(asset.listing_id or "")
        if existing is not None:
            existing.revision += 1
            existing.asset_revision = asset.revision
            existing.name, existing.description, existing.forms = asset.name, asset.description, asset.forms_json()
            existing.updated_at = now()
            existing.lifecycle.set("datazone::listing", "CREATING", "ACTIVE")
            return existing
        lst = Listing(
            id=new_id(), domain_id=domain.id, asset=asset, asset_revision=asset.revision, name=asset.name, description=asset.description,
            forms=asset.forms_json(), created_by=user.id, lifecycle=Lifecycle("datazone::listing", "CREATING", "ACTIVE"),
        )
        domain.listings[lst.id] = lst
        asset.listing_id = lst.id
        return lst

    def create_listing_change_set(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """PUBLISH makes (or revises) the asset's listing; UNPUBLISH takes it out of the catalog."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "CreateListingChangeSet")
        require(p, "entityIdentifier", "entityType", "action")
        if p["entityType"] != "ASSET":
            raise ValidationException(f"entityType {p['entityType']} is not supported offline (ASSET is)")
        asset = self._asset(domain, p["entityIdentifier"])
        require_member(self._project(domain, asset.project_id), user, "CreateListingChangeSet")  # type: ignore[attr-defined]
        if p.get("entityRevision") and str(p["entityRevision"]) != str(asset.revision):
            raise ValidationException(f"Revision {p['entityRevision']} is not the latest revision ({asset.revision}) of asset {asset.id}")
        if p["action"] == "PUBLISH":
            lst = self._publish(domain, asset, user)
        elif p["action"] == "UNPUBLISH":
            lst = domain.listings.get(asset.listing_id or "")  # type: ignore[assignment]
            if lst is None:
                raise ValidationException(f"Asset {asset.id} is not published")
            lst.lifecycle.set("datazone::listing", "INACTIVE")
            lst.updated_at = now()
        else:
            raise ValidationException(f"Invalid action {p['action']}")
        return {"listingId": lst.id, "listingRevision": str(lst.revision), "status": lst.status}

    def _listing(self, domain: Domain, identifier: str | None) -> Listing:
        return lookup(domain.listings, identifier, "Listing", domain.id)

    def get_listing(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "GetListing")
        lst = self._listing(domain, p.get("identifier"))
        if lst.status != "ACTIVE" and not is_member(self._project(domain, lst.owning_project_id), user):  # type: ignore[attr-defined]
            raise ResourceNotFoundException(f"Listing {lst.id} not found in domain {domain.id}.")
        if p.get("listingRevision") and str(p["listingRevision"]) != str(lst.revision):
            raise ResourceNotFoundException(f"Revision {p['listingRevision']} of listing {lst.id} not found.")
        lst.lifecycle.advance()
        return lst.to_dict()

    def delete_listing(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "DeleteListing")
        lst = self._listing(domain, p.get("identifier"))
        require_member(self._project(domain, lst.owning_project_id), user, "DeleteListing")  # type: ignore[attr-defined]
        del domain.listings[lst.id]
        lst.asset.listing_id = None
        return {}

    # --- search ----------------------------------------------------------------------------

    def search(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Inventory search: assets of the caller's projects (or of ``owningProjectIdentifier``)."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        user = require_profile(domain, caller, "Search")
        scope = p.get("searchScope")
        if scope not in ("ASSET", "GLOSSARY", "GLOSSARY_TERM", "DATA_PRODUCT"):
            raise ValidationException(f"Invalid searchScope {scope}")
        projects: list[Project] = [pr for pr in domain.projects.values() if is_member(pr, user)]
        if p.get("owningProjectIdentifier"):
            project = self._project(domain, p["owningProjectIdentifier"])  # type: ignore[attr-defined]
            require_member(project, user, "Search")
            projects = [project]
        ids = {pr.id for pr in projects}
        found = []
        if scope == "ASSET":
            for asset in domain.assets.values():
                if asset.project_id not in ids:
                    continue
                fields = self._fields(asset.name, asset.description, asset.technical_name, asset.forms_json(), asset.type_identifier,
                                      asset.project_id, asset.id, None)
                if _text_match(fields, p) and _filter_match(p.get("filters"), fields):
                    found.append(asset)
        found = _sorted(found, p.get("sort"))
        chunk, nxt = page(found, p)
        with_forms = "FORMS" in (p.get("additionalAttributes") or [])
        items = []
        for asset in chunk:
            item = self._asset_dict(domain, asset)
            for key in ("revision", "formsOutput", "readOnlyFormsOutput", "listing", "id"):
                item.pop(key, None)
            item["identifier"] = asset.id
            if with_forms:
                item["additionalAttributes"] = {"formsOutput": asset.forms_output()}
            items.append({"assetItem": item})
        return strip_none({"items": items, "nextToken": nxt, "totalMatchCount": len(found)})

    @staticmethod
    def _fields(name: str, description: str | None, technical: str, forms: str, type_id: str, project: str, asset_id: str,
                listing_id: str | None) -> dict[str, str]:
        return {
            "name": name, "description": description or "", "technicalName": technical, "forms": forms,
            "typeName": TYPE_NAMES.get(type_id, type_id), "assetType": type_id, "owningProjectId": project,
            "entityId": asset_id, "assetId": asset_id, "listingId": listing_id or "",
        }

    def search_listings(self, caller: Caller, p: dict[str, Any]) -> dict[str, Any]:
        """Catalog search over published (ACTIVE) listings: text, filters, sort, pages."""
        domain = find_domain(self.store, caller, p.get("domainIdentifier"))
        require_profile(domain, caller, "SearchListings")
        found = []
        for lst in list(domain.listings.values()):
            if lst.status != "ACTIVE":
                continue
            fields = self._fields(lst.name, lst.description, lst.asset.technical_name, lst.forms, lst.asset.type_identifier,
                                  lst.owning_project_id, lst.asset.id, lst.id)
            if _text_match(fields, p) and _filter_match(p.get("filters"), fields):
                found.append(lst)
        found = _sorted(found, p.get("sort"))
        chunk, nxt = page(found, p)
        with_forms = "FORMS" in (p.get("additionalAttributes") or [])
        return strip_none({"items": [lst.search_item(with_forms) for lst in chunk], "nextToken": nxt, "totalMatchCount": len(found)})


def _text_match(fields: dict[str, str], p: dict[str, Any]) -> bool:
    """Every word of ``searchText`` appears in the searched attributes (all by default)."""
    text = (p.get("searchText") or "").strip().lower()
    if not text or text == "*":
        return True
    wanted = [s.get("attribute") for s in p.get("searchIn") or []]
    keys = [k for k in ("name", "description", "technicalName", "forms") if not wanted or k in wanted or (k == "forms" and any("." in w for w in wanted if w))]
    hay = " ".join(fields[k] for k in keys).lower().replace("_", " ") + " " + " ".join(fields[k] for k in keys).lower()
    return all(word in hay for word in text.split())


FILTER_ALIASES = {
    "amazon.datazone.assetTypeName": "typeName", "typeIdentifier": "assetType", "entityType": "assetType",
    "owningProjectIdentifier": "owningProjectId", "amazon.datazone.owningProjectId": "owningProjectId",
}


def _filter_match(clause: dict[str, Any] | None, fields: dict[str, str]) -> bool:
    """A FilterClause: ``filter`` (EQ / TEXT_SEARCH on an attribute), ``and``, ``or``."""
    if not clause:
        return True
    if "and" in clause:
        return all(_filter_match(c, fields) for c in clause["and"])
    if "or" in clause:
        return any(_filter_match(c, fields) for c in clause["or"])
    flt = clause.get("filter") or {}
    attribute = FILTER_ALIASES.get(flt.get("attribute", ""), flt.get("attribute", ""))
    value = str(flt.get("value", flt.get("intValue", "")))
    have = fields.get(attribute)
    if have is None:  # a form attribute such as GlueTableForm.databaseName
        have = fields["forms"]
        return value.lower() in have.lower()
    if flt.get("operator") == "TEXT_SEARCH":
        return value.lower() in have.lower()
    return have == value or have.lower() == value.lower()


def _sorted(items: list[Any], sort: dict[str, Any] | None) -> list[Any]:
    if not sort:
        return items
    key = sort.get("attribute")
    reverse = sort.get("order") == "DESCENDING"
    if key in ("name", "NAME"):
        return sorted(items, key=lambda i: i.name.lower(), reverse=reverse)
    return sorted(items, key=lambda i: i.updated_at, reverse=reverse)
