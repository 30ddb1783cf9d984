"""Every DataZone operation the stand-in implements, called through boto3 and checked
against botocore's output shape for that operation (the service model is the contract)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

from .test_datazone_walkthrough import Walkthrough

MODEL = botocore.session.get_session().get_service_model("datazone")

OPERATIONS = """CreateDomain GetDomain ListDomains UpdateDomain DeleteDomain ListEnvironmentBlueprints GetEnvironmentBlueprint
PutEnvironmentBlueprintConfiguration GetEnvironmentBlueprintConfiguration ListEnvironmentBlueprintConfigurations
DeleteEnvironmentBlueprintConfiguration CreateUserProfile GetUserProfile SearchUserProfiles UpdateUserProfile CreateProject GetProject
ListProjects UpdateProject DeleteProject CreateProjectMembership ListProjectMemberships DeleteProjectMembership CreateEnvironmentProfile
GetEnvironmentProfile ListEnvironmentProfiles UpdateEnvironmentProfile DeleteEnvironmentProfile CreateEnvironment GetEnvironment
ListEnvironments DeleteEnvironment GetEnvironmentCredentials CreateDataSource GetDataSource ListDataSources UpdateDataSource
DeleteDataSource StartDataSourceRun GetDataSourceRun ListDataSourceRuns ListDataSourceRunActivities GetAsset AcceptPredictions
CreateListingChangeSet GetListing DeleteListing Search SearchListings CreateSubscriptionRequest GetSubscriptionRequestDetails
ListSubscriptionRequests AcceptSubscriptionRequest RejectSubscriptionRequest DeleteSubscriptionRequest ListSubscriptions GetSubscription
RevokeSubscription CancelSubscription ListSubscriptionGrants GetSubscriptionGrant CreateSubscriptionGrant DeleteSubscriptionGrant
ListSubscriptionTargets""".split()


def violations(value: Any, shape: Shape | None, path: str = "$") -> list[str]:
    """Where ``value`` breaks ``shape``: missing required members, wrong types, bad enums, unions."""
    if shape is None:
        return []
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {type(value).__name__}"]
        value = {k: v for k, v in value.items() if k != "ResponseMetadata"}
        out = [f"{path}.{name}: required member missing" for name in shape.required_members if name not in value]
        out += [f"{path}.{name}: not a member of {shape.name}" for name in value if name not in shape.members]
        if shape.is_tagged_union and len(value) != 1:
            out.append(f"{path}: union {shape.name} must set exactly one member, got {sorted(value)}")
        for name, member in value.items():
            if name in shape.members:
                out += violations(member, shape.members[name], f"{path}.{name}")
        return out
    if kind == "list":
        assert isinstance(shape, ListShape)
        if not isinstance(value, list):
            return [f"{path}: expected list"]
        return [v for i, item in enumerate(value) for v in violations(item, shape.member, f"{path}[{i}]")]
    if kind == "map":
        assert isinstance(shape, MapShape)
        if not isinstance(value, dict):
            return [f"{path}: expected map"]
        return [v for k, item in value.items() for v in violations(k, shape.key, f"{path}<key>") + violations(item, shape.value, f"{path}[{k}]")]
    checks: dict[str, Callable[[Any], bool]] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)),
        "double": lambda v: isinstance(v, (int, float)),
        "timestamp": lambda v: isinstance(v, datetime.datetime),
        "blob": lambda v: isinstance(v, (bytes, bytearray)),
    }
    if kind in checks and not checks[kind](value):
        return [f"{path}: expected {kind}, got {type(value).__name__} {value!r}"]
    if kind == "string" and shape.enum and value not in shape.enum:
        return [f"{path}: {value!r} not in enum {shape.enum}"]
    return []


class Recorder:
    """Calls operations as a persona and validates each response."""

    def __init__(self) -> None:
        self.called: set[str] = set()
        self.problems: list[str] = []

    def __call__(self, session: boto3.Session, operation: str, **kwargs: Any) -> dict[str, Any]:
        client = session.client("datazone")
        method = getattr(client, botocore.xform_name(operation))
        response = method(**kwargs)
        self.called.add(operation)
        self.problems += [f"{operation}: {v}" for v in violations(response, MODEL.operation_model(operation).output_shape)]
        return response


def test_validator_catches_shape_errors() -> None:
    shape = MODEL.operation_model("GetDomain").output_shape
    assert violations({"id": "dzd_x", "domainExecutionRole": "r", "status": "AVAILABLE"}, shape) == []
    assert any("status: required" in v for v in violations({"id": "dzd_x", "domainExecutionRole": "r"}, shape))
    assert any("not in enum" in v for v in violations({"id": "dzd_x", "domainExecutionRole": "r", "status": "READY"}, shape))


@pytest.fixture(scope="module")
def world(session_for: Callable[..., boto3.Session]) -> Walkthrough:
    return Walkthrough(session_for, "conformance").build()


def test_every_operation_matches_the_model(world: Walkthrough) -> None:
    call = Recorder()
    w, d = world, world.ids["domain"]
    admin, pub, cadmin, sub = w.producer_admin, w.publisher, w.consumer_admin, w.subscriber

    # domains
    role = admin.client("iam").get_role(RoleName="AmazonDataZoneDomainExecution")["Role"]["Arn"]
    spare = call(admin, "CreateDomain", name="conformance-spare", domainExecutionRole=role, tags={"k": "v"})
    call(admin, "GetDomain", identifier=d)
    call(admin, "ListDomains")
    call(admin, "UpdateDomain", identifier=spare["id"], description="updated")
    call(admin, "DeleteDomain", identifier=spare["id"])
    # blueprints
    blueprints = call(cadmin, "ListEnvironmentBlueprints", domainIdentifier=d, managed=True)["items"]
    lake = next(b["id"] for b in blueprints if b["name"] == "DefaultDataLake")
    call(cadmin, "GetEnvironmentBlueprint", domainIdentifier=d, identifier=lake)
    call(cadmin, "PutEnvironmentBlueprintConfiguration", domainIdentifier=d, environmentBlueprintIdentifier=lake, enabledRegions=["us-east-1"])
    call(cadmin, "GetEnvironmentBlueprintConfiguration", domainIdentifier=d, environmentBlueprintIdentifier=lake)
    call(cadmin, "ListEnvironmentBlueprintConfigurations", domainIdentifier=d)
    # users
    extra_arn = w.role_arn(pub).replace("DzPublisher", "DzExtraUser")
    admin.client("iam").create_role(RoleName="DzExtraUser", AssumeRolePolicyDocument="{}")
    extra = call(admin, "CreateUserProfile", domainIdentifier=d, userIdentifier=extra_arn, userType="IAM_ROLE")
    call(admin, "GetUserProfile", domainIdentifier=d, userIdentifier=extra["id"])
    call(admin, "SearchUserProfiles", domainIdentifier=d, userType="DATAZONE_IAM_USER")
    # projects
    project = call(pub, "CreateProject", domainIdentifier=d, name="conformance_project")["id"]
    call(pub, "GetProject", domainIdentifier=d, identifier=project)
    call(pub, "ListProjects", domainIdentifier=d, name="conformance_project")
    call(pub, "UpdateProject", domainIdentifier=d, identifier=project, description="d")
    call(pub, "CreateProjectMembership", domainIdentifier=d, projectIdentifier=project, member={"userIdentifier": extra["id"]}, designation="PROJECT_CONTRIBUTOR")
    call(pub, "ListProjectMemberships", domainIdentifier=d, projectIdentifier=project)
    call(pub, "DeleteProjectMembership", domainIdentifier=d, projectIdentifier=project, member={"userIdentifier": extra["id"]})
    call(admin, "UpdateUserProfile", domainIdentifier=d, userIdentifier=extra["id"], status="DEACTIVATED")
    # environment profiles and environments
    profile = call(pub, "CreateEnvironmentProfile", domainIdentifier=d, name="conformance-profile", environmentBlueprintIdentifier=lake,
                   projectIdentifier=project, awsAccountId="111111111111", awsAccountRegion="us-east-1")["id"]
    call(pub, "GetEnvironmentProfile", domainIdentifier=d, identifier=profile)
    call(pub, "ListEnvironmentProfiles", domainIdentifier=d, projectIdentifier=project)
    call(pub, "UpdateEnvironmentProfile", domainIdentifier=d, identifier=profile, description="d")
    env = call(pub, "CreateEnvironment", domainIdentifier=d, projectIdentifier=project, name="conformance_env", environmentProfileIdentifier=profile)["id"]
    call(pub, "GetEnvironment", domainIdentifier=d, identifier=env)
    call(pub, "ListEnvironments", domainIdentifier=d, projectIdentifier=project)
    call(pub, "GetEnvironmentCredentials", domainIdentifier=d, environmentIdentifier=env)
    call(pub, "ListSubscriptionTargets", domainIdentifier=d, environmentIdentifier=env)
    # data sources, runs, assets, listings
    pub.client("glue").create_table(DatabaseName="conformance_env_pub_db", TableInput={
        "Name": "cust_ord_tbl", "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "int"}]}})
    config = {"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": "conformance_env_pub_db"}]}}
    ds = call(pub, "CreateDataSource", domainIdentifier=d, projectIdentifier=project, environmentIdentifier=env, name="conformance-ds", type="GLUE",
              configuration=config)["id"]
    call(pub, "GetDataSource", domainIdentifier=d, identifier=ds)
    call(pub, "ListDataSources", domainIdentifier=d, projectIdentifier=project)
    call(pub, "UpdateDataSource", domainIdentifier=d, identifier=ds, description="d")
    run = call(pub, "StartDataSourceRun", domainIdentifier=d, dataSourceIdentifier=ds)["id"]
    call(pub, "GetDataSourceRun", domainIdentifier=d, identifier=run)
    call(pub, "ListDataSourceRuns", domainIdentifier=d, dataSourceIdentifier=ds)
    asset = call(pub, "ListDataSourceRunActivities", domainIdentifier=d, identifier=run)["items"][0]["dataAssetId"]
    call(pub, "GetAsset", domainIdentifier=d, identifier=asset)
    call(pub, "AcceptPredictions", domainIdentifier=d, identifier=asset, acceptChoices=[{"predictionTarget": "businessName", "editedValue": "Customer Orders"}])
    listing = call(pub, "CreateListingChangeSet", domainIdentifier=d, entityIdentifier=asset, entityType="ASSET", action="PUBLISH")["listingId"]
    call(pub, "GetListing", domainIdentifier=d, identifier=listing)
    call(pub, "Search", domainIdentifier=d, searchScope="ASSET", owningProjectIdentifier=project, additionalAttributes=["FORMS"])
    call(sub, "SearchListings", domainIdentifier=d, searchText="Customer", additionalAttributes=["FORMS"])
    # subscriptions: one rejected and deleted, one accepted, granted, revoked; the walkthrough's accepted and cancelled
    sproj = w.ids["Glue_Subscribe_Project"]
    req = call(sub, "CreateSubscriptionRequest", domainIdentifier=d, subscribedPrincipals=[{"project": {"identifier": sproj}}],
               subscribedListings=[{"identifier": listing}], requestReason="conformance")["id"]
    call(sub, "GetSubscriptionRequestDetails", domainIdentifier=d, identifier=req)
    call(pub, "ListSubscriptionRequests", domainIdentifier=d, status="PENDING", approverProjectId=project)
    call(pub, "RejectSubscriptionRequest", domainIdentifier=d, identifier=req, decisionComment="no")
    call(sub, "DeleteSubscriptionRequest", domainIdentifier=d, identifier=req)
    req = call(sub, "CreateSubscriptionRequest", domainIdentifier=d, subscribedPrincipals=[{"project": {"identifier": sproj}}],
               subscribedListings=[{"identifier": listing}], requestReason="conformance again")["id"]
    call(pub, "AcceptSubscriptionRequest", domainIdentifier=d, identifier=req)
    subscription = call(sub, "ListSubscriptions", domainIdentifier=d, subscriptionRequestIdentifier=req)["items"][0]["id"]
    call(sub, "GetSubscription", domainIdentifier=d, identifier=subscription)
    grant = call(sub, "ListSubscriptionGrants", domainIdentifier=d, subscriptionId=subscription)["items"][0]["id"]
    call(sub, "GetSubscriptionGrant", domainIdentifier=d, identifier=grant)
    call(sub, "DeleteSubscriptionGrant", domainIdentifier=d, identifier=grant)
    consumer_env = w.ids["glue_subscribe_environment"]
    call(sub, "CreateSubscriptionGrant", domainIdentifier=d, environmentIdentifier=consumer_env,
         grantedEntity={"listing": {"identifier": listing, "revision": "1"}})
    call(pub, "RevokeSubscription", domainIdentifier=d, identifier=subscription)
    # the walkthrough's Glue listing: subscribe, approve, cancel from the subscriber side
    wreq = call(sub, "CreateSubscriptionRequest", domainIdentifier=d, subscribedPrincipals=[{"project": {"identifier": sproj}}],
                subscribedListings=[{"identifier": w.ids["GLUE_listing"]}], requestReason="cancel me")["id"]
    call(pub, "AcceptSubscriptionRequest", domainIdentifier=d, identifier=wreq)
    wsub = call(sub, "ListSubscriptions", domainIdentifier=d, subscriptionRequestIdentifier=wreq)["items"][0]["id"]
    call(sub, "CancelSubscription", domainIdentifier=d, identifier=wsub)
    # cleanup order of the walkthrough
    call(pub, "DeleteListing", domainIdentifier=d, identifier=listing)
    call(pub, "DeleteDataSource", domainIdentifier=d, identifier=ds)
    call(pub, "DeleteEnvironment", domainIdentifier=d, identifier=env)
    call(pub, "DeleteEnvironmentProfile", domainIdentifier=d, identifier=profile)
    call(pub, "DeleteProject", domainIdentifier=d, identifier=project)
    call(cadmin, "DeleteEnvironmentBlueprintConfiguration", domainIdentifier=d, environmentBlueprintIdentifier=lake)

    assert call.problems == []
    assert set(OPERATIONS) - call.called == set()


def test_unimplemented_operation_answers_at_once(world: Walkthrough) -> None:
    dz = world.producer_admin.client("datazone")
    with pytest.raises(dz.exceptions.ClientError) as err:
        dz.create_glossary(domainIdentifier=world.ids["domain"], name="g", owningProjectIdentifier="p")
    assert err.value.response["Error"]["Code"] == "NotImplementedException"
    assert err.value.response["Error"]["Message"] == "CreateGlossary is not implemented offline"
