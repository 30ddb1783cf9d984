"""DataZone's own authorization (V1 domains): implicit user profiles, domain units, policy grants.

Each rule has a refusal with AWS's error code and an admission; sources are in
``docs/aws-behaviour/datazone.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest import ADMIN_POLICY, CONSUMER, MANAGEMENT, PRODUCER, REGION
from .test_datazone_governance import code, denied, fresh_domain
from .test_datazone_walkthrough import TRUST, Walkthrough, ensure_role, persona

DENIED_PROFILE = "User is not permitted to perform operation: CreateEnvironmentProfile"


@pytest.fixture(scope="module")
def world(session_for: Callable[..., boto3.Session]) -> Walkthrough:
    w = Walkthrough(session_for, "dzauth").build()
    w.outsider = persona(session_for, CONSUMER, "DzAuthzOutsider")  # type: ignore[attr-defined]
    return w


def grant_args(domain: str, account: str, blueprint: str, principal: dict[str, Any]) -> dict[str, Any]:
    return dict(domainIdentifier=domain, entityType="ENVIRONMENT_BLUEPRINT_CONFIGURATION", entityIdentifier=f"{account}:{blueprint}",
                policyType="CREATE_ENVIRONMENT_PROFILE", detail={"createEnvironmentProfile": {}}, principal=principal)


def all_projects(root: str) -> dict[str, Any]:
    return {"project": {"projectDesignation": "CONTRIBUTOR",
                        "projectGrantFilter": {"domainUnitFilter": {"domainUnit": root, "includeChildDomainUnits": True}}}}


def profile_args(domain: str, project: str, blueprint: str, account: str, name: str) -> dict[str, Any]:
    return dict(domainIdentifier=domain, name=name, environmentBlueprintIdentifier=blueprint, projectIdentifier=project,
                awsAccountId=account, awsAccountRegion=REGION)


# --- AWS's CLI tutorial 059 --------------------------------------------------------------------

def test_tutorial_059_flow(session_for: Callable[..., boto3.Session]) -> None:
    """Create domain, projects with the same credentials, enable a blueprint; the profile needs a grant."""
    admin = persona(session_for, PRODUCER, "DzTutorialAdmin")
    dz = admin.client("datazone")
    domain = fresh_domain(admin, "tutorial_059")
    d = domain["id"]
    project = dz.create_project(domainIdentifier=d, name="PublishingProject")  # no CreateUserProfile: implicit
    assert project["domainUnitId"] == domain["rootDomainUnitId"]
    lake = dz.list_environment_blueprints(domainIdentifier=d, managed=True, name="DefaultDataLake")["items"][0]["id"]
    args = profile_args(d, project["id"], lake, PRODUCER, "DataLakeProfile")
    assert denied(dz.create_environment_profile, **args) == DENIED_PROFILE  # not even enabled: no grant

    dz.put_environment_blueprint_configuration(
        domainIdentifier=d, environmentBlueprintIdentifier=lake, enabledRegions=[REGION],
        manageAccessRoleArn=ensure_role(admin, f"AmazonDataZoneGlueAccess-{REGION}-{d}", TRUST),
        provisioningRoleArn=ensure_role(admin, f"AmazonDataZoneProvisioning-{PRODUCER}", TRUST))
    assert denied(dz.create_environment_profile, **args) == DENIED_PROFILE  # enabling adds no grant

    dz.add_policy_grant(**grant_args(d, PRODUCER, lake, all_projects(domain["rootDomainUnitId"])))
    assert dz.create_environment_profile(**args)["projectId"] == project["id"]


def test_root_domain_unit_is_owned_by_the_creator_and_grants_project_creation(session_for: Callable[..., boto3.Session]) -> None:
    admin = persona(session_for, PRODUCER, "DzUnitAdmin")
    dz = admin.client("datazone")
    domain = fresh_domain(admin, "root_unit")
    d, root = domain["id"], domain["rootDomainUnitId"]
    assert dz.get_domain(identifier=d)["rootDomainUnitId"] == root
    unit = dz.get_domain_unit(domainIdentifier=d, identifier=root)
    creator = dz.get_user_profile(domainIdentifier=d, userIdentifier=f"arn:aws:iam::{PRODUCER}:role/DzUnitAdmin")
    assert unit["owners"] == [{"user": {"userId": creator["id"]}}] and "parentDomainUnitId" not in unit
    assert dz.list_domain_units_for_parent(domainIdentifier=d, parentDomainUnitIdentifier=root)["items"] == []
    grants = dz.list_policy_grants(domainIdentifier=d, entityType="DOMAIN_UNIT", entityIdentifier=root, policyType="CREATE_PROJECT")["grantList"]
    assert [g["principal"] for g in grants] == [{"user": {"allUsersGrantFilter": {}}}]
    with pytest.raises(ClientError) as err:
        dz.get_domain_unit(domainIdentifier=d, identifier="nosuchunit0000")
    assert code(err) == "ResourceNotFoundException"

    # without the default grant nobody but the unit's owner creates projects
    other = persona(session_for, PRODUCER, "DzUnitUser").client("datazone")
    other.create_project(domainIdentifier=d, name="while_allowed")
    denied(other.remove_policy_grant, domainIdentifier=d, entityType="DOMAIN_UNIT", entityIdentifier=root,
           policyType="CREATE_PROJECT", principal={"user": {"allUsersGrantFilter": {}}})  # not an owner of the unit
    dz.remove_policy_grant(domainIdentifier=d, entityType="DOMAIN_UNIT", entityIdentifier=root,
                           policyType="CREATE_PROJECT", principal={"user": {"allUsersGrantFilter": {}}})
    assert denied(other.create_project, domainIdentifier=d, name="now_refused") == "User is not permitted to perform operation: CreateProject"
    dz.create_project(domainIdentifier=d, name="owner_still_may")


# --- implicit user profiles --------------------------------------------------------------------

def test_assumed_role_with_a_path_maps_to_its_role_arn(session_for: Callable[..., boto3.Session], world: Walkthrough) -> None:
    iam = session_for(PRODUCER, "LabBootstrap").client("iam")
    name = "AWSReservedSSO_DzAnalyst_0123456789abcdef"
    try:
        iam.create_role(RoleName=name, Path="/aws-reserved/sso.amazonaws.com/", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                                                     "Action": "sts:AssumeRole"}]}))
        iam.attach_role_policy(RoleName=name, PolicyArn=ADMIN_POLICY)  # IAM lets it call DataZone; DataZone decides the rest
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    sso = session_for(PRODUCER, name)
    project = sso.client("datazone").create_project(domainIdentifier=world.ids["domain"], name="sso_analyst_project")
    arn = f"arn:aws:iam::{PRODUCER}:role/aws-reserved/sso.amazonaws.com/{name}"
    # by id: an ARN with a path in the URL trips the server's region parsing offline (a known gap)
    profile = world.producer_admin.client("datazone").get_user_profile(domainIdentifier=world.ids["domain"], userIdentifier=project["createdBy"])
    assert profile["details"]["iam"]["arn"] == arn


def test_the_account_root_gets_an_implicit_profile(endpoint: str) -> None:
    """The default credentials act as the root of moto's default account (assumption: root counts)."""
    root = boto3.Session(region_name=REGION)
    account = root.client("sts").get_caller_identity()["Account"]
    domain = fresh_domain(root, "root_principal")
    dz = root.client("datazone")
    project = dz.create_project(domainIdentifier=domain["id"], name="root_project")
    profile = dz.get_user_profile(domainIdentifier=domain["id"], userIdentifier=project["createdBy"])
    assert profile["details"]["iam"]["arn"] == f"arn:aws:iam::{account}:root"


def test_associated_account_user_needs_a_profile_from_the_domain_account(world: Walkthrough) -> None:
    d = world.ids["domain"]
    outsider = world.outsider.client("datazone")  # type: ignore[attr-defined]
    arn = f"arn:aws:iam::{CONSUMER}:role/DzAuthzOutsider"
    assert denied(outsider.create_project, domainIdentifier=d, name="outsider_project") == "User is not permitted to perform operation: CreateProject"
    denied(world.consumer_admin.client("datazone").create_user_profile, domainIdentifier=d, userIdentifier=arn, userType="IAM_ROLE")
    made = world.producer_admin.client("datazone").create_user_profile(domainIdentifier=d, userIdentifier=arn, userType="IAM_ROLE")
    assert made["status"] == "ACTIVATED"
    assert outsider.create_project(domainIdentifier=d, name="outsider_project")["createdBy"] == made["id"]
    # a second CreateUserProfile returns the same profile (the model lists no ConflictException)
    again = world.producer_admin.client("datazone").create_user_profile(domainIdentifier=d, userIdentifier=arn, userType="IAM_ROLE")
    assert again["id"] == made["id"]


# --- CREATE_ENVIRONMENT_PROFILE grants -----------------------------------------------------------

def test_consumer_grant_round_trip(world: Walkthrough) -> None:
    """The consumer admin's grant (made in build()) admits the subscriber; removed, it refuses; re-added, it admits."""
    d, lake = world.ids["domain"], world.blueprints["DefaultDataLake"]
    admin, sub = world.consumer_admin.client("datazone"), world.subscriber.client("datazone")
    root = admin.get_domain(identifier=d)["rootDomainUnitId"]
    listed = dict(domainIdentifier=d, entityType="ENVIRONMENT_BLUEPRINT_CONFIGURATION", entityIdentifier=f"{CONSUMER}:{lake}",
                  policyType="CREATE_ENVIRONMENT_PROFILE")
    grants = admin.list_policy_grants(**listed)["grantList"]
    assert [g["principal"] for g in grants] == [all_projects(root)]
    args = profile_args(d, world.ids["Glue_Subscribe_Project"], lake, CONSUMER, "roundtrip-profile")

    admin.remove_policy_grant(domainIdentifier=d, entityType="ENVIRONMENT_BLUEPRINT_CONFIGURATION", entityIdentifier=f"{CONSUMER}:{lake}",
                              policyType="CREATE_ENVIRONMENT_PROFILE", principal=all_projects(root))
    assert admin.list_policy_grants(**listed)["grantList"] == []
    assert denied(sub.create_environment_profile, **args) == DENIED_PROFILE

    added = admin.add_policy_grant(**grant_args(d, CONSUMER, lake, all_projects(root)))
    assert [g["grantId"] for g in admin.list_policy_grants(**listed)["grantList"]] == [added["grantId"]]
    assert sub.create_environment_profile(**args)["awsAccountId"] == CONSUMER


def test_duplicate_grant_conflicts_and_listing_pages(world: Walkthrough) -> None:
    d, wh = world.ids["domain"], world.blueprints["DefaultDataWarehouse"]
    admin = world.consumer_admin.client("datazone")
    root = admin.get_domain(identifier=d)["rootDomainUnitId"]
    with pytest.raises(ClientError) as err:
        admin.add_policy_grant(**grant_args(d, CONSUMER, wh, all_projects(root)))
    assert code(err) == "ConflictException"
    one = {"project": {"projectDesignation": "OWNER", "projectIdentifier": world.ids["Glue_Subscribe_Project"]}}
    admin.add_policy_grant(**grant_args(d, CONSUMER, wh, one))
    listed = dict(domainIdentifier=d, entityType="ENVIRONMENT_BLUEPRINT_CONFIGURATION", entityIdentifier=f"{CONSUMER}:{wh}",
                  policyType="CREATE_ENVIRONMENT_PROFILE")
    first = admin.list_policy_grants(maxResults=1, **listed)
    second = admin.list_policy_grants(maxResults=1, nextToken=first["nextToken"], **listed)
    assert len(first["grantList"]) == len(second["grantList"]) == 1 and "nextToken" not in second
    pages = admin.get_paginator("list_policy_grants").paginate(PaginationConfig={"PageSize": 1}, **listed)
    assert [g["principal"] for page in pages for g in page["grantList"]] == [all_projects(root), one]


def test_who_may_grant_on_a_blueprint_configuration(world: Walkthrough) -> None:
    d, lake = world.ids["domain"], world.blueprints["DefaultDataLake"]
    root = world.producer_admin.client("datazone").get_domain(identifier=d)["rootDomainUnitId"]
    principal = {"project": {"projectDesignation": "OWNER", "projectIdentifier": world.ids["Glue_Publish_Project"]}}
    # the domain account does not grant on the consumer's configuration, nor a user of the domain
    denied(world.producer_admin.client("datazone").add_policy_grant, **grant_args(d, CONSUMER, lake, principal))
    denied(world.publisher.client("datazone").add_policy_grant, **grant_args(d, CONSUMER, lake, principal))
    # the unit's owner may, once the consumer account delegates to the owners of the root unit
    admin = world.consumer_admin.client("datazone")
    admin.add_policy_grant(domainIdentifier=d, entityType="ENVIRONMENT_BLUEPRINT_CONFIGURATION", entityIdentifier=f"{CONSUMER}:{lake}",
                           policyType="DELEGATE_CREATE_ENVIRONMENT_PROFILE", detail={"delegateCreateEnvironmentProfile": {}},
                           principal={"domainUnit": {"domainUnitDesignation": "OWNER", "domainUnitIdentifier": root}})
    assert world.producer_admin.client("datazone").add_policy_grant(**grant_args(d, CONSUMER, lake, principal))["grantId"]
    with pytest.raises(ClientError) as err:  # no such configuration
        admin.add_policy_grant(**grant_args(d, CONSUMER, "nosuchblueprint", principal))
    assert code(err) == "ValidationException"


def test_grant_covers_only_its_designation(world: Walkthrough) -> None:
    """A CONTRIBUTOR grant admits owners and contributors, not a catalog viewer of the same project."""
    d, lake = world.ids["domain"], world.blueprints["DefaultDataLake"]
    viewer_arn = f"arn:aws:iam::{PRODUCER}:role/DzAuthzViewer"
    _iam_admin_role(world, "DzAuthzViewer")
    world.producer_admin.client("datazone").create_user_profile(domainIdentifier=d, userIdentifier=viewer_arn, userType="IAM_ROLE")
    pub = world.publisher.client("datazone")
    pub.create_project_membership(domainIdentifier=d, projectIdentifier=world.ids["Glue_Publish_Project"],
                                  member={"userIdentifier": viewer_arn}, designation="PROJECT_CATALOG_VIEWER")
    viewer = boto3.Session(**_session_kwargs(world, "DzAuthzViewer"))
    args = profile_args(d, world.ids["Glue_Publish_Project"], lake, PRODUCER, "viewer-profile")
    assert denied(viewer.client("datazone").create_environment_profile, **args) == DENIED_PROFILE
    args["name"] = "owner-profile"
    assert pub.create_environment_profile(**args)["name"] == "owner-profile"


def _iam_admin_role(world: Walkthrough, role: str) -> None:
    """A role of the producer account that IAM lets do anything: what is tested is DataZone's own refusal."""
    ensure_role(world.producer_admin, role)
    world.producer_admin.client("iam").attach_role_policy(RoleName=role, PolicyArn=ADMIN_POLICY)


def _session_kwargs(world: Walkthrough, role: str) -> dict[str, Any]:
    sts = world.producer_admin.client("sts")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{PRODUCER}:role/{role}", RoleSessionName=role)["Credentials"]
    return dict(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"], region_name=REGION)


# --- project membership and subscription approval -------------------------------------------------

def test_existing_member_conflicts(world: Walkthrough) -> None:
    d = world.ids["domain"]
    with pytest.raises(ClientError) as err:
        world.publisher.client("datazone").create_project_membership(
            domainIdentifier=d, projectIdentifier=world.ids["Glue_Publish_Project"],
            member={"userIdentifier": world.ids["publisher_user"]}, designation="PROJECT_CONTRIBUTOR")
    assert code(err) == "ConflictException" and err.value.response["Error"]["Message"] == "User is already in the project."


@pytest.mark.parametrize("designation, admitted", [("PROJECT_CONTRIBUTOR", True), ("PROJECT_CATALOG_STEWARD", True),
                                                    ("PROJECT_CATALOG_VIEWER", False), ("PROJECT_CATALOG_CONSUMER", False)])
def test_who_of_the_owning_project_decides(world: Walkthrough, designation: str, admitted: bool) -> None:
    d, pub = world.ids["domain"], world.publisher.client("datazone")
    role = f"DzAuthz{designation.title().replace('_', '')}"
    arn = f"arn:aws:iam::{PRODUCER}:role/{role}"
    _iam_admin_role(world, role)
    world.producer_admin.client("datazone").create_user_profile(domainIdentifier=d, userIdentifier=arn, userType="IAM_ROLE")
    pub.create_project_membership(domainIdentifier=d, projectIdentifier=world.ids["Glue_Publish_Project"],
                                  member={"userIdentifier": arn}, designation=designation)
    sub = world.subscriber.client("datazone")
    project = sub.create_project(domainIdentifier=d, name=f"shop_{role}")["id"]
    request = sub.create_subscription_request(domainIdentifier=d, subscribedPrincipals=[{"project": {"identifier": project}}],
                                              subscribedListings=[{"identifier": world.ids["GLUE_listing"]}], requestReason="analysis")
    decider = boto3.Session(**_session_kwargs(world, role)).client("datazone")
    if admitted:
        assert decider.accept_subscription_request(domainIdentifier=d, identifier=request["id"])["status"] == "ACCEPTED"
    else:
        assert denied(decider.accept_subscription_request, domainIdentifier=d, identifier=request["id"]) == \
            "User is not permitted to perform operation: AcceptSubscriptionRequest"
        assert pub.reject_subscription_request(domainIdentifier=d, identifier=request["id"])["status"] == "REJECTED"


def test_project_names_are_unique_in_the_domain(world: Walkthrough) -> None:
    """Another user, even of another project, cannot take a project's name (a room's teams each need their own)."""
    d = world.ids["domain"]
    dz = world.producer_admin.client("datazone")
    with pytest.raises(ClientError) as err:
        dz.create_project(domainIdentifier=d, name="Glue_Publish_Project")
    assert code(err) == "ConflictException"
    assert err.value.response["Error"]["Message"].startswith("A project with name Glue_Publish_Project already exists")
    assert dz.create_project(domainIdentifier=d, name="Glue_Publish_Project_2")["name"] == "Glue_Publish_Project_2"
