"""Governance the lab depends on: each rule has a test that fails if the rule is removed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from .conftest import CONSUMER, PRODUCER, REGION
from .test_datazone_walkthrough import TRUST, Walkthrough, ensure_role, persona


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def denied(fn: Callable[..., Any], **kwargs: Any) -> str:
    with pytest.raises(ClientError) as err:
        fn(**kwargs)
    assert code(err) == "AccessDeniedException", err.value
    return err.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def world(session_for: Callable[..., boto3.Session]) -> Walkthrough:
    w = Walkthrough(session_for, "governance").build()
    w.stranger = persona(session_for, CONSUMER, "DzStranger")  # type: ignore[attr-defined]
    w.producer_stranger = persona(session_for, PRODUCER, "DzProducerStranger")  # type: ignore[attr-defined]
    w.onlooker = persona(session_for, CONSUMER, "DzOnlooker")  # type: ignore[attr-defined]
    return w


def fresh_domain(session: boto3.Session, name: str) -> dict[str, Any]:
    role = ensure_role(session, "AmazonDataZoneDomainExecution", TRUST)
    return session.client("datazone").create_domain(name=name, domainExecutionRole=role)


# --- association -----------------------------------------------------------------------------

def test_consumer_is_refused_before_acceptance_and_after_the_share_is_deleted(world: Walkthrough) -> None:
    domain = fresh_domain(world.producer_admin, "governance_association")
    consumer_dz = world.consumer_admin.client("datazone")
    denied(consumer_dz.get_domain, identifier=domain["id"])  # not shared at all

    ram = world.producer_admin.client("ram")
    share = ram.create_resource_share(name=f"DataZone-x-{domain['id']}", resourceArns=[domain["arn"]], principals=[CONSUMER])["resourceShare"]
    denied(consumer_dz.get_domain, identifier=domain["id"])  # invitation still PENDING
    denied(consumer_dz.list_environment_blueprints, domainIdentifier=domain["id"])
    assert domain["id"] not in [d["id"] for d in consumer_dz.list_domains()["items"]]

    cram = world.consumer_admin.client("ram")
    inv = cram.get_resource_share_invitations(resourceShareArns=[share["resourceShareArn"]])["resourceShareInvitations"][0]
    cram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    assert consumer_dz.get_domain(identifier=domain["id"])["id"] == domain["id"]
    assert domain["id"] in [d["id"] for d in consumer_dz.list_domains()["items"]]

    ram.delete_resource_share(resourceShareArn=share["resourceShareArn"])
    denied(consumer_dz.get_domain, identifier=domain["id"])
    denied(consumer_dz.put_environment_blueprint_configuration, domainIdentifier=domain["id"],
           environmentBlueprintIdentifier="anything", enabledRegions=[REGION])


def test_rejected_invitation_gives_no_access(world: Walkthrough) -> None:
    domain = fresh_domain(world.producer_admin, "governance_rejected")
    share = world.producer_admin.client("ram").create_resource_share(
        name=f"DataZone-r-{domain['id']}", resourceArns=[domain["arn"]], principals=[CONSUMER])["resourceShare"]
    cram = world.consumer_admin.client("ram")
    inv = cram.get_resource_share_invitations(resourceShareArns=[share["resourceShareArn"]])["resourceShareInvitations"][0]
    assert cram.reject_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])["resourceShareInvitation"]["status"] == "REJECTED"
    denied(world.consumer_admin.client("datazone").get_domain, identifier=domain["id"])


# --- user profiles and admin operations ----------------------------------------------------------

def test_associated_account_principal_without_user_profile_is_refused(world: Walkthrough) -> None:
    d = world.ids["domain"]
    dz = world.stranger.client("datazone")  # type: ignore[attr-defined]
    assert denied(dz.create_project, domainIdentifier=d, name="stranger_project") == "User is not permitted to perform operation: CreateProject"
    denied(dz.search_listings, domainIdentifier=d)
    denied(dz.list_projects, domainIdentifier=d)


def test_domain_account_principal_gets_an_implicit_profile(world: Walkthrough) -> None:
    """AWS's CLI tutorial 059: domain-account credentials create projects with no CreateUserProfile."""
    d = world.ids["domain"]
    dz = world.producer_stranger.client("datazone")  # type: ignore[attr-defined]
    project = dz.create_project(domainIdentifier=d, name="implicit_profile_project")
    arn = f"arn:aws:iam::{PRODUCER}:role/DzProducerStranger"
    profile = world.producer_admin.client("datazone").get_user_profile(domainIdentifier=d, userIdentifier=arn)
    assert (profile["status"], profile["details"]["iam"]["arn"]) == ("ACTIVATED", arn)
    assert project["createdBy"] == profile["id"]
    # creating it again (the walkthrough's step 4 for a domain-account user) returns the same profile
    again = world.producer_admin.client("datazone").create_user_profile(domainIdentifier=d, userIdentifier=arn, userType="IAM_ROLE")
    assert again["id"] == profile["id"]


def test_only_the_domain_account_creates_user_profiles(world: Walkthrough) -> None:
    arn = f"arn:aws:iam::{CONSUMER}:role/DzStranger"
    denied(world.consumer_admin.client("datazone").create_user_profile, domainIdentifier=world.ids["domain"], userIdentifier=arn, userType="IAM_ROLE")
    denied(world.consumer_admin.client("datazone").update_domain, identifier=world.ids["domain"], description="mine now")


def test_user_profiles_only_for_principals_of_associated_accounts(world: Walkthrough) -> None:
    with pytest.raises(ClientError) as err:
        world.producer_admin.client("datazone").create_user_profile(
            domainIdentifier=world.ids["domain"], userIdentifier="arn:aws:iam::333333333333:role/Outsider", userType="IAM_ROLE")
    assert code(err) == "ValidationException"
    with pytest.raises(ClientError) as err:  # neither created in IAM nor ever assumed
        world.producer_admin.client("datazone").create_user_profile(
            domainIdentifier=world.ids["domain"], userIdentifier=f"arn:aws:iam::{CONSUMER}:role/NeverCreatedGhost", userType="IAM_ROLE")
    assert code(err) == "ValidationException" and "does not exist" in err.value.response["Error"]["Message"]


def test_associated_account_configures_only_its_own_blueprints(world: Walkthrough) -> None:
    d = world.ids["domain"]
    lake = world.blueprints["DefaultDataLake"]
    consumer = world.consumer_admin.client("datazone").get_environment_blueprint_configuration(domainIdentifier=d, environmentBlueprintIdentifier=lake)
    producer = world.producer_admin.client("datazone").get_environment_blueprint_configuration(domainIdentifier=d, environmentBlueprintIdentifier=lake)
    assert consumer["regionalParameters"][REGION]["S3Location"] == f"s3://datazone-{CONSUMER}"
    assert producer["regionalParameters"][REGION]["S3Location"] == f"s3://datazone-{PRODUCER}"


# --- projects --------------------------------------------------------------------------------

def test_only_project_members_act_in_a_project(world: Walkthrough) -> None:
    d, ids = world.ids["domain"], world.ids
    dz = world.subscriber.client("datazone")
    denied(dz.get_project, domainIdentifier=d, identifier=ids["Glue_Publish_Project"])
    denied(dz.create_environment, domainIdentifier=d, projectIdentifier=ids["Glue_Publish_Project"], name="intruder_env",
           environmentProfileIdentifier=world.publisher.client("datazone").list_environment_profiles(
               domainIdentifier=d, projectIdentifier=ids["Glue_Publish_Project"])["items"][0]["id"])
    denied(dz.create_data_source, domainIdentifier=d, projectIdentifier=ids["Glue_Publish_Project"], environmentIdentifier=ids["Glue_Publish_Environment"],
           name="intruder-ds", type="GLUE", configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": "x"}]}})
    denied(dz.create_listing_change_set, domainIdentifier=d, entityIdentifier=ids["GLUE_asset"], entityType="ASSET", action="UNPUBLISH")
    denied(world.publisher.client("datazone").create_subscription_request, domainIdentifier=d,
           subscribedPrincipals=[{"project": {"identifier": ids["Redshift_Subscribe_Project"]}}],
           subscribedListings=[{"identifier": ids["GLUE_listing"]}], requestReason="not my project")
    names = [p["name"] for p in dz.list_projects(domainIdentifier=d)["items"]]
    assert "Glue_Publish_Project" not in names and "Glue_Subscribe_Project" in names


def test_project_names_are_unique_and_ids_must_exist(world: Walkthrough) -> None:
    dz = world.publisher.client("datazone")
    with pytest.raises(ClientError) as err:
        dz.create_project(domainIdentifier=world.ids["domain"], name="Glue_Publish_Project")
    assert code(err) == "ConflictException"
    with pytest.raises(ClientError) as err:
        dz.get_project(domainIdentifier=world.ids["domain"], identifier="nosuchproject1")
    assert code(err) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        dz.get_domain(identifier="dzd_nosuchdomain00")
    assert code(err) == "ResourceNotFoundException"


# --- subscriptions ---------------------------------------------------------------------------

def test_only_the_owning_project_decides_and_never_on_its_own_request(world: Walkthrough) -> None:
    d, ids = world.ids["domain"], world.ids
    pub = world.publisher.client("datazone")
    request = world.subscribe("Redshift_Subscribe_Project", "Market Sales")  # the Glue listing, from another project
    assert request["subscribedListings"][0]["id"] == ids["GLUE_listing"]
    sub_dz = world.subscriber.client("datazone")
    denied(sub_dz.accept_subscription_request, domainIdentifier=d, identifier=request["id"])
    denied(sub_dz.reject_subscription_request, domainIdentifier=d, identifier=request["id"])
    # a domain user who neither asked nor owns the listing may not decide either
    onlooker = world.onlooker  # type: ignore[attr-defined]
    world.producer_admin.client("datazone").create_user_profile(
        domainIdentifier=d, userIdentifier=f"arn:aws:iam::{CONSUMER}:role/DzOnlooker", userType="IAM_ROLE")
    denied(onlooker.client("datazone").accept_subscription_request, domainIdentifier=d, identifier=request["id"])
    assert pub.reject_subscription_request(domainIdentifier=d, identifier=request["id"])["status"] == "REJECTED"

    # the publisher shops for its own project: as a member of the owning project it still may not approve
    shop = pub.create_project(domainIdentifier=d, name="Publisher_Shopping_Project")["id"]
    own = pub.create_subscription_request(domainIdentifier=d, subscribedPrincipals=[{"project": {"identifier": shop}}],
                                          subscribedListings=[{"identifier": ids["GLUE_listing"]}], requestReason="mine")
    assert "own subscription request" in denied(pub.accept_subscription_request, domainIdentifier=d, identifier=own["id"])


def test_a_subscription_request_needs_a_published_listing_and_no_duplicate(world: Walkthrough) -> None:
    d, ids = world.ids["domain"], world.ids
    dz = world.subscriber.client("datazone")
    first = world.subscribe("Glue_Subscribe_Project", "Sales Table")
    with pytest.raises(ClientError) as err:
        dz.create_subscription_request(domainIdentifier=d, subscribedPrincipals=[{"project": {"identifier": ids["Glue_Subscribe_Project"]}}],
                                       subscribedListings=[{"identifier": first["subscribedListings"][0]["id"]}], requestReason="again")
    assert code(err) == "ConflictException"
    with pytest.raises(ClientError) as err:
        dz.create_subscription_request(domainIdentifier=d, subscribedPrincipals=[{"project": {"identifier": ids["Glue_Subscribe_Project"]}}],
                                       subscribedListings=[{"identifier": "nosuchlisting1"}], requestReason="nothing")
    assert code(err) == "ResourceNotFoundException"


def test_searches_show_published_listings_only(world: Walkthrough) -> None:
    d, ids = world.ids["domain"], world.ids
    pub, sub = world.publisher.client("datazone"), world.subscriber.client("datazone")

    def listed() -> set[str]:
        return {i["assetListing"]["entityId"] for i in sub.search_listings(domainIdentifier=d)["items"]}

    assert ids["REDSHIFT_asset"] in listed()
    pub.create_listing_change_set(domainIdentifier=d, entityIdentifier=ids["REDSHIFT_asset"], entityType="ASSET", action="UNPUBLISH")
    try:
        assert ids["REDSHIFT_asset"] not in listed()
        # an imported but never published asset is in the owner's inventory, not in the catalog
        inventory = {i["assetItem"]["identifier"] for i in pub.search(domainIdentifier=d, searchScope="ASSET",
                                                                      owningProjectIdentifier=ids["Redshift_Publish_Project"])["items"]}
        assert ids["REDSHIFT_asset"] in inventory
    finally:
        pub.create_listing_change_set(domainIdentifier=d, entityIdentifier=ids["REDSHIFT_asset"], entityType="ASSET", action="PUBLISH")
    assert ids["REDSHIFT_asset"] in listed()


def test_search_listings_filters_and_pages(world: Walkthrough) -> None:
    d, ids = world.ids["domain"], world.ids
    sub = world.subscriber.client("datazone")
    only_glue = sub.search_listings(domainIdentifier=d, filters={"filter": {"attribute": "owningProjectId", "value": ids["Glue_Publish_Project"]}})
    assert {i["assetListing"]["entityId"] for i in only_glue["items"]} == {ids["GLUE_asset"]}
    first = sub.search_listings(domainIdentifier=d, maxResults=1)
    assert len(first["items"]) == 1 and first["totalMatchCount"] >= 2 and first["nextToken"]
    second = sub.search_listings(domainIdentifier=d, maxResults=1, nextToken=first["nextToken"])
    assert second["items"][0]["assetListing"]["listingId"] != first["items"][0]["assetListing"]["listingId"]
    assert sub.search_listings(domainIdentifier=d, searchText="no such words anywhere")["items"] == []


# --- environments ----------------------------------------------------------------------------

def test_environment_needs_an_enabled_blueprint_configuration(world: Walkthrough) -> None:
    d = world.ids["domain"]
    cadmin = world.consumer_admin.client("datazone")
    lake = world.blueprints["DefaultDataLake"]
    saved = cadmin.get_environment_blueprint_configuration(domainIdentifier=d, environmentBlueprintIdentifier=lake)
    cadmin.put_environment_blueprint_configuration(domainIdentifier=d, environmentBlueprintIdentifier=lake, enabledRegions=[])
    try:
        env = world.create_environment(world.subscriber, "Glue_Subscribe_Project", "DefaultDataLake", "no_region_environment")
        assert env["status"] == "VALIDATION_FAILED"
        assert "atleast one region" in env["lastDeployment"]["failureReason"]["message"]
        cadmin.delete_environment_blueprint_configuration(domainIdentifier=d, environmentBlueprintIdentifier=lake)
        env = world.create_environment(world.subscriber, "Glue_Subscribe_Project", "DefaultDataLake", "no_config_environment")
        assert env["status"] == "VALIDATION_FAILED"
        assert "not enabled" in env["lastDeployment"]["failureReason"]["message"]
    finally:
        cadmin.put_environment_blueprint_configuration(domainIdentifier=d, environmentBlueprintIdentifier=lake, enabledRegions=saved["enabledRegions"],
                                                       regionalParameters=saved.get("regionalParameters", {}))


def test_redshift_environment_checks_the_secret_tags(world: Walkthrough) -> None:
    sm = world.subscriber.client("secretsmanager")
    secret = sm.create_secret(Name="governance-untagged", SecretString="{}",
                              Tags=[{"Key": "datazone.rs.cluster", "Value": "consumer-cluster:dev"}])["ARN"]
    env = world.create_environment(world.subscriber, "Redshift_Subscribe_Project", "DefaultDataWarehouse", "untagged_environment", [
        {"name": "dataAccessSecretsArn", "value": secret}, {"name": "dbName", "value": "dev"}, {"name": "clusterName", "value": "consumer-cluster"}])
    assert env["status"] == "VALIDATION_FAILED"
    message = env["lastDeployment"]["failureReason"]["message"]
    assert "AmazonDataZoneProject" in message and "AmazonDataZoneDomain" in message
    assert env["provisionedResources"] == []


def test_redshift_environment_on_a_workgroup_needs_the_workgroup(world: Walkthrough) -> None:
    """``workgroupName``: the workgroup must exist (AVAILABLE) in the environment's account; then the tags are checked."""
    sm = world.subscriber.client("secretsmanager")
    params = lambda secret, workgroup: [{"name": "dataAccessSecretsArn", "value": secret}, {"name": "dbName", "value": "dev"},  # noqa: E731
                                        {"name": "workgroupName", "value": workgroup}]
    secret = sm.create_secret(Name="governance-wg", SecretString="{}")["ARN"]
    env = world.create_environment(world.subscriber, "Redshift_Subscribe_Project", "DefaultDataWarehouse", "no_workgroup_environment",
                                   params(secret, "governance-wg"))
    assert env["status"] == "VALIDATION_FAILED" and "workgroup governance-wg does not exist" in env["lastDeployment"]["failureReason"]["message"]
    rs = world.subscriber.client("redshift-serverless")
    rs.create_namespace(namespaceName="governance-ns", adminUsername="admin", adminUserPassword="Passw0rd-wg")
    rs.create_workgroup(workgroupName="governance-wg", namespaceName="governance-ns")
    env = world.create_environment(world.subscriber, "Redshift_Subscribe_Project", "DefaultDataWarehouse", "untagged_wg_environment",
                                   params(secret, "governance-wg"))
    assert env["status"] == "VALIDATION_FAILED" and "datazone.rs.workgroup=governance-wg:dev" in env["lastDeployment"]["failureReason"]["message"]


def test_grants_go_to_environments_of_the_asset_type(world: Walkthrough) -> None:
    d, ids = world.ids["domain"], world.ids
    request = world.subscribe("Redshift_Subscribe_Project", "rs_sls_tbl")
    world.approve(request["id"])
    grants = world.subscriber.client("datazone").list_subscription_grants(domainIdentifier=d, subscribedListingId=ids["REDSHIFT_listing"])["items"]
    assert [g["environmentId"] for g in grants] == [ids["redshift_subscribe_environment"]]
    assert world.grants_of(ids["REDSHIFT_listing"])[0]["status"] == "COMPLETED"


def test_domain_deletion_is_refused_while_projects_exist(world: Walkthrough, session_for: Callable[..., boto3.Session]) -> None:
    admin = world.producer_admin.client("datazone")
    with pytest.raises(ClientError) as err:
        admin.delete_domain(identifier=world.ids["domain"])
    assert code(err) == "ConflictException"
    denied(world.consumer_admin.client("datazone").delete_domain, identifier=world.ids["domain"])


def test_delete_domain_with_skip_deletion_check(session_for: Callable[..., boto3.Session]) -> None:
    w = Walkthrough(session_for, "deleted")
    w.create_domain()
    w.add_users(("publisher",))
    w.create_project(w.publisher, "Doomed_Project")
    dz = w.producer_admin.client("datazone")
    assert dz.delete_domain(identifier=w.ids["domain"], skipDeletionCheck=True)["status"] == "DELETING"
    with pytest.raises(ClientError) as err:
        dz.get_domain(identifier=w.ids["domain"])
    assert code(err) == "ResourceNotFoundException"


# --- async statuses through moto's state manager -------------------------------------------------

@pytest.fixture
def timed(endpoint: str) -> Iterator[Callable[[str, float], None]]:
    names: list[str] = []

    def set_transition(model: str, seconds: float) -> None:
        names.append(model)
        requests.post(f"{endpoint}/moto-api/state-manager/set-transition",
                      data=json.dumps({"model_name": model, "transition": {"progression": "time", "seconds": seconds}}), timeout=10).raise_for_status()

    yield set_transition
    for model in names:
        requests.post(f"{endpoint}/moto-api/state-manager/unset-transition", data=json.dumps({"model_name": model}), timeout=10).raise_for_status()


def test_timed_progression_walks_the_real_states(world: Walkthrough, timed: Callable[[str, float], None]) -> None:
    d = world.ids["domain"]
    timed("datazone::environment", 0.4)
    dz = world.subscriber.client("datazone")
    profile = dz.list_environment_profiles(domainIdentifier=d, projectIdentifier=world.ids["Glue_Subscribe_Project"])["items"][0]["id"]
    env = dz.create_environment(domainIdentifier=d, projectIdentifier=world.ids["Glue_Subscribe_Project"], name="slow_environment",
                                environmentProfileIdentifier=profile)
    assert env["status"] == "CREATING"
    assert dz.get_environment(domainIdentifier=d, identifier=env["id"])["status"] == "CREATING"
    time.sleep(0.6)
    assert dz.get_environment(domainIdentifier=d, identifier=env["id"])["status"] == "ACTIVE"


def test_a_run_in_progress_conflicts(world: Walkthrough, timed: Callable[[str, float], None]) -> None:
    d = world.ids["domain"]
    dz = world.publisher.client("datazone")
    ds = dz.list_data_sources(domainIdentifier=d, projectIdentifier=world.ids["Glue_Publish_Project"])["items"][0]["dataSourceId"]
    timed("datazone::data_source_run", 30)
    run = dz.start_data_source_run(domainIdentifier=d, dataSourceIdentifier=ds)
    assert dz.get_data_source_run(domainIdentifier=d, identifier=run["id"])["status"] == "REQUESTED"
    with pytest.raises(ClientError) as err:
        dz.start_data_source_run(domainIdentifier=d, dataSourceIdentifier=ds)
    assert code(err) == "ConflictException"


def test_rerun_reports_unchanged_and_filters_apply(world: Walkthrough) -> None:
    d, ids = world.ids["domain"], world.ids
    glue = world.publisher.client("glue")
    for name in ("tmp_scratch", "sls_daily"):
        glue.create_table(DatabaseName="glue_publish_environment_pub_db", TableInput={
            "Name": name, "StorageDescriptor": {"Columns": [{"Name": "x", "Type": "int"}]}})
    dz = world.publisher.client("datazone")
    ds = dz.create_data_source(domainIdentifier=d, projectIdentifier=ids["Glue_Publish_Project"], environmentIdentifier=ids["Glue_Publish_Environment"],
                               name="filtered-ds", type="GLUE", configuration={"glueRunConfiguration": {"relationalFilterConfigurations": [{
                                   "databaseName": "glue_publish_environment_pub_db",
                                   "filterExpressions": [{"type": "INCLUDE", "expression": "*sls*"}, {"type": "EXCLUDE", "expression": "tmp_*"}]}]}})
    try:
        run = dz.start_data_source_run(domainIdentifier=d, dataSourceIdentifier=ds["id"])
        acts = dz.list_data_source_run_activities(domainIdentifier=d, identifier=run["id"])["items"]
        assert sorted(a["technicalName"] for a in acts) == ["mkt_sls_table", "sls_daily"]
        run = dz.start_data_source_run(domainIdentifier=d, dataSourceIdentifier=ds["id"])
        acts = dz.list_data_source_run_activities(domainIdentifier=d, identifier=run["id"])["items"]
        assert {a["dataAssetStatus"] for a in acts} == {"UNCHANGED"}
        assert dz.get_data_source_run(domainIdentifier=d, identifier=run["id"])["runStatisticsForAssets"]["unchanged"] == 2
    finally:  # the walkthrough's database is shared with other tests
        for name in ("tmp_scratch", "sls_daily"):
            glue.delete_table(DatabaseName="glue_publish_environment_pub_db", Name=name)


def test_manual_progression_counts_gets(world: Walkthrough, endpoint: str) -> None:
    d = world.ids["domain"]
    requests.post(f"{endpoint}/moto-api/state-manager/set-transition", timeout=10,
                  data=json.dumps({"model_name": "datazone::data_source_run", "transition": {"progression": "manual", "times": 1}})).raise_for_status()
    try:
        dz = world.publisher.client("datazone")
        ds = dz.list_data_sources(domainIdentifier=d, projectIdentifier=world.ids["Redshift_Publish_Project"])["items"][0]["dataSourceId"]
        run = dz.start_data_source_run(domainIdentifier=d, dataSourceIdentifier=ds)
        seen = [dz.get_data_source_run(domainIdentifier=d, identifier=run["id"])["status"] for _ in range(3)]
        assert seen == ["RUNNING", "SUCCESS", "SUCCESS"]
    finally:
        requests.post(f"{endpoint}/moto-api/state-manager/unset-transition", timeout=10,
                      data=json.dumps({"model_name": "datazone::data_source_run"})).raise_for_status()


def test_bad_values_are_validation_errors(world: Walkthrough) -> None:
    d = world.ids["domain"]
    pub = world.publisher.client("datazone")
    for call, kwargs in (
        (pub.create_project, {"domainIdentifier": d, "name": "bad/name!"}),
        (pub.create_project_membership, {"domainIdentifier": d, "projectIdentifier": world.ids["Glue_Publish_Project"],
                                         "member": {"userIdentifier": world.ids["subscriber_user"]}, "designation": "KING"}),
        (pub.search, {"domainIdentifier": d, "searchScope": "EVERYTHING"}),
        (pub.create_listing_change_set, {"domainIdentifier": d, "entityIdentifier": world.ids["GLUE_asset"], "entityType": "ASSET", "action": "SHOUT"}),
        (world.producer_admin.client("datazone").create_domain, {"name": "no_role_domain", "domainExecutionRole": f"arn:aws:iam::{PRODUCER}:role/Missing"}),
    ):
        with pytest.raises(ClientError) as err:
            call(**kwargs)
        assert code(err) == "ValidationException", (call, err.value)


def test_moto_reset_forgets_the_region_domains(producer: boto3.Session) -> None:
    from lab_helpers.offline.datazone.models import datazone_backends

    role = ensure_role(producer, "AmazonDataZoneDomainExecution", TRUST)
    dz = producer.client("datazone", region_name="eu-west-3")
    created = dz.create_domain(name="reset_me", domainExecutionRole=role)
    assert dz.get_domain(identifier=created["id"])["status"] == "AVAILABLE"
    datazone_backends[PRODUCER]["eu-west-3"].reset()
    with pytest.raises(ClientError) as err:
        dz.get_domain(identifier=created["id"])
    assert code(err) == "ResourceNotFoundException"
