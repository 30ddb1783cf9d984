"""Fast unit tests of the walkthrough helpers: the wait, get-or-create logic, names and tags.

botocore's Stubber checks every request against the service model (the contract for both
backends), so a wrong parameter name fails here without any server.
"""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from lab_helpers import association as assoc
from lab_helpers import datazone as dz
from lab_helpers import iam_roles
from lab_helpers.redshift_secret import datazone_secret_tags, tag_redshift_secret
from lab_helpers.waits import GONE, WaitFailed, WaitTimeout, failure_reason, retry, wait_for

NOW = dt.datetime(2025, 3, 5, tzinfo=dt.timezone.utc)
DOMAIN = "dzd_abc123"


def client(service: str):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def statuses(*values):
    it = iter(values)
    return lambda: next(it)


def _err(code: str, message: str = "boom") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Op")


# ------------------------------------------------------------------------ wait_for

def test_wait_returns_final_response_polling_at_its_floor_early_on():
    clock = FakeClock()
    getter = statuses({"status": "CREATING"}, {"status": "CREATING"}, {"status": "CREATING"}, {"status": "ACTIVE", "id": 1})
    out = wait_for(getter, "environment E", lambda r: r["status"], {"ACTIVE"}, {"CREATE_FAILED"},
                   delay=2, max_delay=5, sleep=clock.sleep, clock=clock, progress=False)
    assert out == {"status": "ACTIVE", "id": 1}
    assert clock.sleeps == [2, 2, 2]


@pytest.mark.parametrize("ready_at", [0.5, 3, 12, 30, 75, 300, 900, 1700])
def test_a_wait_overshoots_its_resource_by_at_most_a_tenth_or_its_floor(ready_at):
    """Whatever the resource takes (AWS's pace or a rehearsal's), it is seen within max(10 %, 2 s) of being
    ready, with polls never closer than 2 s (DataZone's API rates)."""
    clock = FakeClock()
    seen = []

    def getter():
        seen.append(clock.now)
        return {"status": "ACTIVE" if clock.now >= ready_at else "CREATING"}

    wait_for(getter, "environment E", lambda r: r["status"], {"ACTIVE"}, sleep=clock.sleep, clock=clock, progress=False)
    assert seen[-1] - ready_at <= max(0.1 * ready_at, 2.0) + 1e-9
    assert min(b - a for a, b in zip(seen, seen[1:]) or [(0, 2)]) >= 2.0


def test_wait_failure_carries_the_services_reason():
    env = {"status": "CREATE_FAILED", "lastDeployment": {"failureReason": {"code": "X", "message": "needs a region"}}}
    with pytest.raises(WaitFailed, match="environment E ended CREATE_FAILED: needs a region") as info:
        wait_for(lambda: env, "environment E", lambda r: r["status"], {"ACTIVE"}, {"CREATE_FAILED"}, progress=False)
    assert info.value.status == "CREATE_FAILED" and info.value.response is env


def test_wait_timeout_names_what_and_last_status():
    clock = FakeClock()
    with pytest.raises(WaitTimeout, match=r"domain D after 10 s: last status 'CREATING'"):
        wait_for(lambda: {"status": "CREATING"}, "domain D", lambda r: r["status"], {"AVAILABLE"},
                 timeout=10, delay=3, sleep=clock.sleep, clock=clock, progress=False)


def test_wait_retries_not_yet_codes_and_raises_others():
    clock = FakeClock()
    calls = iter([_err("AccessDeniedException"), _err("AccessDeniedException"), {"status": "AVAILABLE"}])

    def getter():
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    assert wait_for(getter, "domain", lambda r: r["status"], {"AVAILABLE"}, not_yet={"AccessDeniedException"},
                    sleep=clock.sleep, clock=clock, progress=False) == {"status": "AVAILABLE"}

    def denied():
        raise _err("ValidationException")

    with pytest.raises(ClientError) as raised:  # an error not listed in not_yet is passed on at once
        wait_for(denied, "domain", lambda r: r["status"], {"AVAILABLE"}, not_yet={"AccessDeniedException"},
                 progress=False)
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_wait_gone_is_done_for_deletions():
    def gone():
        raise _err("ResourceNotFoundException")

    assert wait_for(gone, "deletion", lambda r: r["status"], {"DELETED"}, gone_is_done=True, progress=False) == {
        "status": GONE}


@pytest.mark.parametrize("response, reason", [
    ({"failureReasons": [{"code": "A", "message": "role not assumable"}]}, "role not assumable"),
    ({"errorMessage": {"errorType": "ACCESS_DENIED_EXCEPTION", "errorDetail": "no LF grant"}},
     "ACCESS_DENIED_EXCEPTION: no LF grant"),
    ({"assets": [{"assetId": "a1", "failureCause": {"message": "cluster not encrypted"}}]}, "asset a1: cluster not encrypted"),
    ({"QueryExecution": {"Status": {"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND"}}}, "TABLE_NOT_FOUND"),
    ({"Status": "FAILED", "Error": "relation does not exist"}, "relation does not exist"),
    ({"statusMessage": "principal not found"}, "principal not found"),
    ({"status": "FAILED"}, None),
])
def test_failure_reason_finds_each_services_field(response, reason):
    assert failure_reason(response) == reason


def test_retry_waits_out_role_propagation():
    calls = iter([_err("ValidationException", "role cannot be assumed"), {"id": "dzd_1"}])

    def create():
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    import lab_helpers.waits as waits

    original = waits.time.sleep
    waits.time.sleep = lambda s: None
    try:
        assert retry(create, "create domain") == {"id": "dzd_1"}
    finally:
        waits.time.sleep = original


# ------------------------------------------------------------------------ names

def test_principal_arn_from_assumed_role():
    assert dz.principal_arn("arn:aws:sts::111111111111:assumed-role/LabPublisher/session-1") == \
        "arn:aws:iam::111111111111:role/LabPublisher"
    assert dz.principal_arn("arn:aws:iam::111111111111:user/alice") == "arn:aws:iam::111111111111:user/alice"


def test_principal_arn_keeps_role_paths():
    sso = "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_DataPublisher_0123abcd/alice@example.com"
    assert dz.principal_arn(sso) == \
        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataPublisher_0123abcd"
    assert dz.principal_arn("arn:aws:sts::111111111111:assumed-role/R/s", "/teams/data/") == \
        "arn:aws:iam::111111111111:role/teams/data/R"
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    sts, iam = client("sts"), client("iam")
    session.client = {"sts": sts, "iam": iam}.__getitem__  # type: ignore[method-assign]
    role = {"Path": "/aws-reserved/sso.amazonaws.com/eu-west-1/", "RoleName": "AWSReservedSSO_P_1", "RoleId": "AROAEXAMPLEEXAMPLE12",
            "Arn": "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_P_1",
            "CreateDate": NOW}
    with Stubber(sts) as s1, Stubber(iam) as s2:
        s1.add_response("get_caller_identity", {"Arn": "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_P_1/bob",
                                                "Account": "111111111111", "UserId": "AROAEXAMPLEEXAMPLE12:bob"})
        s2.add_response("get_role", {"Role": role}, {"RoleName": "AWSReservedSSO_P_1"})
        assert dz.principal_arn_of(session) == role["Arn"]


def test_share_names_round_trip():
    name = assoc.share_name("Demo_cross_account_domain", "dzd_5x8abc")
    assert name == "DataZone-Demo_cross_account_domain-dzd_5x8abc"
    assert assoc.domain_id_from_share_name(name) == "dzd_5x8abc"
    assert assoc.domain_id_from_share_name("other-share") is None


def test_role_names_follow_the_console():
    names = iam_roles.role_names("us-east-1", DOMAIN, "111111111111")
    assert names == {"execution": "AmazonDataZoneDomainExecution",
                     "glue": f"AmazonDataZoneGlueAccess-us-east-1-{DOMAIN}",
                     "redshift": f"AmazonDataZoneRedshiftAccess-us-east-1-{DOMAIN}",
                     "provisioning": "AmazonDataZoneProvisioning-111111111111"}
    trust = iam_roles.trust_policy("111111111111", tag_session=True)["Statement"][0]
    assert trust["Principal"] == {"Service": "datazone.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]


def test_consumer_roles_trust_the_domain_account_not_their_own():
    """DataZone assumes an associated account's roles on the DOMAIN's behalf (user guide role pages)."""
    import json

    iam = client("iam")
    domain_arn = f"arn:aws:datazone:us-east-1:111111111111:domain/{DOMAIN}"
    created: dict[str, dict] = {}
    with Stubber(iam) as stub:
        for kind in ("glue", "redshift", "provisioning"):
            stub.add_client_error("get_role", "NoSuchEntity")
            stub.add_response("create_role", {"Role": {"Path": "/", "RoleName": "r", "RoleId": "AROAEXAMPLEEXAMPLE12",
                                                       "Arn": f"arn:aws:iam::222222222222:role/{kind}", "CreateDate": NOW}})
            stub.add_response("list_attached_role_policies", {"AttachedPolicies": []})
            stub.add_response("attach_role_policy", {})
            if kind == "redshift":
                stub.add_response("put_role_policy", {})
        calls: list[dict] = []
        iam.meta.events.register("provide-client-params.iam.CreateRole", lambda params, **_: calls.append(params))
        iam_roles.ensure_blueprint_roles(iam, "us-east-1", DOMAIN, domain_arn)
    for params in calls:
        condition = json.loads(params["AssumeRolePolicyDocument"])["Statement"][0]["Condition"]
        assert condition["StringEquals"] == {"aws:SourceAccount": "111111111111"}, params["RoleName"]
        created[params["RoleName"]] = condition
    assert created[f"AmazonDataZoneGlueAccess-us-east-1-{DOMAIN}"]["ArnEquals"] == {"aws:SourceArn": domain_arn}
    assert "AmazonDataZoneProvisioning-111111111111" in created


def test_ensure_role_repairs_the_trust_of_a_role_that_exists():
    import json

    iam = client("iam")
    wrong = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "datazone.amazonaws.com"},
                                                      "Action": "sts:AssumeRole",
                                                      "Condition": {"StringEquals": {"aws:SourceAccount": "222222222222"}}}]}
    right = iam_roles.trust_policy("111111111111")
    role = {"Path": "/", "RoleName": "r", "RoleId": "AROAEXAMPLEEXAMPLE12", "Arn": "arn:aws:iam::222222222222:role/r",
            "CreateDate": NOW}
    with Stubber(iam) as stub:
        stub.add_response("get_role", {"Role": {**role, "AssumeRolePolicyDocument": json.dumps(wrong)}})
        stub.add_response("update_assume_role_policy", {}, {"RoleName": "r", "PolicyDocument": json.dumps(right)})
        stub.add_response("get_role", {"Role": {**role, "AssumeRolePolicyDocument": json.dumps(right)}})
        stub.add_response("list_attached_role_policies", {"AttachedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/P"}]})
        iam_roles.ensure_role(iam, "r", right, ["arn:aws:iam::aws:policy/P"], "d")
        stub.assert_no_pending_responses()
    with Stubber(iam) as stub:  # a role whose trust is right is left as it is
        stub.add_response("get_role", {"Role": {**role, "AssumeRolePolicyDocument": json.dumps(right)}})
        stub.add_response("list_attached_role_policies", {"AttachedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/P"}]})
        iam_roles.ensure_role(iam, "r", right, ["arn:aws:iam::aws:policy/P"], "d")
        stub.assert_no_pending_responses()


def test_secret_tags():
    assert datazone_secret_tags("c1", "dev", "prj", DOMAIN) == {
        "datazone.rs.cluster": "c1:dev", "AmazonDataZoneProject": "prj", "AmazonDataZoneDomain": DOMAIN}
    from lab_helpers.redshift import Warehouse

    assert datazone_secret_tags(Warehouse.of("workgroup/wg"), "dev", "prj", DOMAIN) == {
        "datazone.rs.workgroup": "wg:dev", "AmazonDataZoneProject": "prj", "AmazonDataZoneDomain": DOMAIN}


# ------------------------------------------------------------- get-or-create (Stubber)

def test_ensure_project_finds_existing_by_exact_name():
    c = client("datazone")
    with Stubber(c) as stub:
        stub.add_response("list_projects", {"items": [
            {"domainId": DOMAIN, "id": "p0", "name": "Glue_Publish_Project_old", "createdBy": "u"},
            {"domainId": DOMAIN, "id": "p1", "name": "Glue_Publish_Project", "createdBy": "u"}]},
            {"domainIdentifier": DOMAIN, "name": "Glue_Publish_Project"})
        stub.add_response("get_project", {"domainId": DOMAIN, "id": "p1", "name": "Glue_Publish_Project", "createdBy": "u"},
                          {"domainIdentifier": DOMAIN, "identifier": "p1"})
        assert dz.ensure_project(c, DOMAIN, "Glue_Publish_Project")["id"] == "p1"
        stub.assert_no_pending_responses()


def test_ensure_project_creates_when_missing():
    c = client("datazone")
    with Stubber(c) as stub:
        stub.add_response("list_projects", {"items": []}, {"domainIdentifier": DOMAIN, "name": "P"})
        stub.add_response("create_project", {"domainId": DOMAIN, "id": "p9", "name": "P", "createdBy": "u"},
                          {"domainIdentifier": DOMAIN, "name": "P", "description": ANY})
        stub.add_response("get_project", {"domainId": DOMAIN, "id": "p9", "name": "P", "createdBy": "u"},
                          {"domainIdentifier": DOMAIN, "identifier": "p9"})
        assert dz.ensure_project(c, DOMAIN, "P")["id"] == "p9"


def test_ensure_domain_reuses_the_domain_and_waits(monkeypatch):
    c = client("datazone")
    summary = {"id": DOMAIN, "name": "Demo", "arn": "arn:aws:datazone:us-east-1:111111111111:domain/" + DOMAIN,
               "managedAccountId": "111111111111", "status": "CREATING", "createdAt": NOW}
    with Stubber(c) as stub:
        stub.add_response("list_domains", {"items": [summary]}, {})
        stub.add_response("get_domain", {"id": DOMAIN, "name": "Demo", "status": "AVAILABLE", "domainExecutionRole": "r"},
                          {"identifier": DOMAIN})
        assert dz.ensure_domain(c, "Demo", "arn:aws:iam::111111111111:role/AmazonDataZoneDomainExecution")["status"] == \
            "AVAILABLE"
        stub.assert_no_pending_responses()


def test_run_data_source_joins_a_run_in_progress():
    c = client("datazone")
    run = {"id": "r1", "dataSourceId": "ds", "type": "PRIORITIZED", "status": "RUNNING", "projectId": "p",
           "createdAt": NOW, "updatedAt": NOW}
    with Stubber(c) as stub:
        stub.add_response("list_data_source_runs", {"items": [run]}, {"domainIdentifier": DOMAIN, "dataSourceIdentifier": "ds"})
        stub.add_response("get_data_source_run", {**run, "domainId": DOMAIN, "status": "SUCCESS"},
                          {"domainIdentifier": DOMAIN, "identifier": "r1"})
        assert dz.run_data_source(c, DOMAIN, "ds")["status"] == "SUCCESS"  # no start_data_source_run
        stub.assert_no_pending_responses()


def test_publish_asset_keeps_an_active_listing():
    c = client("datazone")
    with Stubber(c) as stub:
        stub.add_response("get_asset", {"id": "a1", "name": "Market Sales Table", "typeIdentifier": "t", "typeRevision": "1",
                                        "revision": "1", "owningProjectId": "p", "domainId": DOMAIN, "formsOutput": [],
                                        "listing": {"listingId": "l1", "listingStatus": "ACTIVE"}},
                          {"domainIdentifier": DOMAIN, "identifier": "a1"})
        stub.add_response("get_listing", {"domainId": DOMAIN, "id": "l1", "listingRevision": "1", "status": "ACTIVE"},
                          {"domainIdentifier": DOMAIN, "identifier": "l1"})
        assert dz.publish_asset(c, DOMAIN, "a1")["id"] == "l1"  # no create_listing_change_set
        stub.assert_no_pending_responses()


def test_subscription_request_is_not_made_twice():
    c = client("datazone")
    pending = {"id": "sr1", "createdBy": "u", "domainId": DOMAIN, "status": "PENDING", "createdAt": NOW, "updatedAt": NOW,
               "requestReason": "why", "subscribedPrincipals": [{"project": {"id": "p"}}],
               "subscribedListings": [{"id": "l1", "name": "n", "description": "d", "item": {"assetListing": {"entityId": "a1"}},
                                                     "ownerProjectId": "o"}]}
    with Stubber(c) as stub:
        stub.add_response("list_subscription_requests", {"items": [pending]},
                          {"domainIdentifier": DOMAIN, "status": "PENDING", "subscribedListingId": "l1",
                           "owningProjectId": "p"})
        assert dz.ensure_subscription_request(c, DOMAIN, "p", "l1", "why")["id"] == "sr1"
        stub.assert_no_pending_responses()


def test_membership_skips_existing_member():
    c = client("datazone")
    with Stubber(c) as stub:
        stub.add_response("list_project_memberships",
                          {"members": [{"memberDetails": {"user": {"userId": "u1"}}, "designation": "PROJECT_OWNER"}]},
                          {"domainIdentifier": DOMAIN, "projectIdentifier": "p"})
        assert dz.ensure_membership(c, DOMAIN, "p", "u1") is False


def test_portal_permission_is_looked_up_by_name_without_paginator():
    ram = client("ram")
    perm = lambda name: {"arn": f"arn:aws:ram::aws:permission/{name}", "name": name}  # noqa: E731
    with Stubber(ram) as stub:
        stub.add_response("list_permissions", {"permissions": [perm("AWSRAMDefaultPermissionAmazonDataZoneDomain")],
                                               "nextToken": "t"}, {"resourceType": "datazone:Domain"})
        stub.add_response("list_permissions", {"permissions": [perm(assoc.PORTAL_PERMISSION)]},
                          {"resourceType": "datazone:Domain", "nextToken": "t"})
        assert assoc.portal_permission_arn(ram).endswith("/" + assoc.PORTAL_PERMISSION)
    with Stubber(ram) as stub:
        stub.add_response("list_permissions", {"permissions": []}, {"resourceType": "datazone:Domain"})
        with pytest.raises(LookupError, match="found: none"):
            assoc.portal_permission_arn(ram)


def test_accept_invitation_refuses_expired():
    with pytest.raises(RuntimeError, match="EXPIRED"):
        assoc.accept_invitation(client("ram"), {"status": "EXPIRED", "resourceShareName": "DataZone-x-dzd_1"})
    accepted = {"status": "ACCEPTED"}
    assert assoc.accept_invitation(client("ram"), accepted) is accepted


def test_ensure_role_attaches_only_missing_policies():
    iam = client("iam")
    role = {"Path": "/", "RoleName": "R", "RoleId": "AROAEXAMPLE123456789", "Arn": "arn:aws:iam::111111111111:role/R",
            "CreateDate": NOW}
    have, want = iam_roles.managed_policy_arn("glue"), iam_roles.managed_policy_arn("redshift")
    with Stubber(iam) as stub:
        stub.add_response("get_role", {"Role": {**role, "AssumeRolePolicyDocument": "%7B%7D"}}, {"RoleName": "R"})
        stub.add_response("list_attached_role_policies", {"AttachedPolicies": [{"PolicyArn": have, "PolicyName": "g"}]},
                          {"RoleName": "R"})
        stub.add_response("attach_role_policy", {}, {"RoleName": "R", "PolicyArn": want})
        assert iam_roles.ensure_role(iam, "R", {}, [have, want], "d")["Arn"] == role["Arn"]
        stub.assert_no_pending_responses()


def test_tag_redshift_secret_uses_secretsmanager_tags():
    sm = client("secretsmanager")
    with Stubber(sm) as stub:
        stub.add_response("tag_resource", {}, {"SecretId": "arn:s", "Tags": [
            {"Key": "datazone.rs.cluster", "Value": "c:dev"}, {"Key": "AmazonDataZoneProject", "Value": "p"},
            {"Key": "AmazonDataZoneDomain", "Value": DOMAIN}]})
        stub.add_response("describe_secret", {"Tags": [{"Key": "AmazonDataZoneProject", "Value": "p"}]},
                          {"SecretId": "arn:s"})
        assert tag_redshift_secret(sm, "arn:s", "c", "dev", "p", DOMAIN) == {"AmazonDataZoneProject": "p"}


def test_environment_helpers_read_provisioned_resources():
    env = {"name": "Glue_Publish_Environment", "provisionedResources": [
        {"name": "glueProducerDBName", "value": "glue_publish_environment_pub_db", "type": "x"},
        {"name": "schemaName", "value": "datazone_env_x", "type": "x"}]}
    assert dz.glue_database(env) == "glue_publish_environment_pub_db"
    assert dz.glue_database(env, "Consumer") == "glue_publish_environment_sub_db"
    assert dz.redshift_schema(env) == "datazone_env_x"
    assert dz.redshift_schema({"name": "Redshift_Publish_Environment"}) == "datazone_env_redshift_publish_environment"


def test_sources_configurations_match_the_model():
    c = client("datazone")
    with Stubber(c) as stub:
        stub.add_response("create_data_source", {"id": "ds", "name": "n", "domainId": DOMAIN, "projectId": "p"}, {
            "domainIdentifier": DOMAIN, "projectIdentifier": "p", "environmentIdentifier": "e", "name": "n",
            "type": "REDSHIFT", "configuration": dz.redshift_source_configuration("dev", "s", "arn:s", "c"),
            "enableSetting": "ENABLED", "publishOnImport": False, "recommendation": ANY})
        c.create_data_source(domainIdentifier=DOMAIN, projectIdentifier="p", environmentIdentifier="e", name="n",
                             type="REDSHIFT", configuration=dz.redshift_source_configuration("dev", "s", "arn:s", "c"),
                             enableSetting="ENABLED", publishOnImport=False,
                             recommendation={"enableBusinessNameGeneration": True})
    glue = dz.glue_source_configuration("db", exclude=["sales_raw"])
    assert glue["glueRunConfiguration"]["relationalFilterConfigurations"][0]["filterExpressions"] == [
        {"type": "INCLUDE", "expression": "*"}, {"type": "EXCLUDE", "expression": "sales_raw"}]


def test_sales_summary_matches_the_generator():
    from lab_helpers.queries import sales_summary
    from lab_helpers.sample_data import generate_sales

    frame = generate_sales(50)
    summary = sales_summary(frame)
    assert summary["orders"].sum() == 50
    assert abs(summary["revenue"].sum() - frame["revenue"].sum()) < 0.05


# ---------------------------------------------------- against the offline stand-in

@pytest.fixture(scope="module")
def personas(lab_config):
    from lab_helpers.sessions import persona_session

    return {p: persona_session(lab_config, p) for p in ("producer_admin", "publisher", "consumer_admin", "subscriber")}


def test_domain_association_and_projects_are_get_or_create(lab_config, personas):
    """Steps 0-3 and 5 twice against the stand-in: the second pass creates nothing new."""
    import json

    admin, consumer, publisher = personas["producer_admin"], personas["consumer_admin"], personas["publisher"]
    region, producer_id = lab_config.region, lab_config.producer_account_id
    publisher_arn = dz.principal_arn(publisher.client("sts").get_caller_identity()["Arn"])
    try:  # the persona's own role (it exists in a real account; the stand-in only knows assumed sessions)
        admin.client("iam").create_role(RoleName=publisher_arn.rsplit("/", 1)[-1], AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": []}))
    except ClientError:
        pass
    ids = []
    for _ in range(2):
        role = iam_roles.ensure_execution_role(admin.client("iam"), producer_id)
        domain = dz.ensure_domain(admin.client("datazone"), "Helper_test_domain", role["Arn"])
        roles = iam_roles.ensure_blueprint_roles(admin.client("iam"), region, domain["id"], domain["arn"])
        rows = dz.enable_lab_blueprints(admin.client("datazone"), domain["id"], region, roles, "s3://b/datazone/",
                                        producer_id)
        share = assoc.ensure_domain_share(admin.client("ram"), domain, lab_config.consumer_account_id)
        domain_id, invitation = assoc.locate_shared_domain(consumer.client("ram"), "Helper_test_domain")
        assert domain_id == domain["id"] and invitation is not None
        assoc.accept_invitation(consumer.client("ram"), invitation)
        seen = assoc.wait_domain_visible(consumer.client("datazone"), domain_id, timeout=60)
        profile = dz.ensure_user_profile(admin.client("datazone"), domain["id"], publisher_arn)
        project = dz.ensure_project(publisher.client("datazone"), domain["id"], "Helper_Test_Project")
        ids.append((role["Arn"], domain["id"], share["resourceShareArn"], profile["id"], project["id"], seen["id"]))
    assert ids[0] == ids[1]
    assert {r["blueprint"] for r in rows} == {dz.DATA_LAKE, dz.DATA_WAREHOUSE}
    assert len([d for d in dz.paginate(admin.client("datazone"), "list_domains") if d["name"] == "Helper_test_domain"]) == 1
    assert len(list(dz.paginate(admin.client("ram"), "get_resource_shares", resourceOwner="SELF",
                                name=assoc.share_name("Helper_test_domain", ids[0][1])))) == 1


# ------------------------------------------------------------- inventory and cleanup

def test_format_inventory_tables_and_empty_accounts():
    from lab_helpers.inventory import format_inventory

    text = format_inventory({"producer (111111111111)": [{"type": "DataZone domain", "name": "Demo", "id": DOMAIN,
                                                          "status": "AVAILABLE"}],
                             "consumer (222222222222)": []})
    assert "producer (111111111111): 1 item(s)" in text and "DataZone domain" in text and DOMAIN in text
    assert "consumer (222222222222): nothing of the lab" in text


def test_cleanup_report_treats_not_found_as_gone_and_carries_on():
    from lab_helpers.cleanup import Report

    report = Report()

    def missing():
        raise _err("ResourceNotFoundException")

    def denied():
        raise _err("AccessDeniedException", "not a member")

    assert report.step("producer", "DataZone project", "P", missing) is True
    assert report.step("producer", "DataZone project", "Q", denied) is False
    assert report.step("producer", "S3 bucket", "b", lambda: None) is True
    assert [r["result"] for r in report.rows] == ["gone", "failed: AccessDeniedException: not a member", "deleted"]


def test_a_failed_environment_is_reported_deleted_and_created_again(capsys, monkeypatch):
    """An environment an earlier run left CREATE_FAILED is not reused: AWS's reason, then delete and recreate."""
    monkeypatch.setattr("lab_helpers.waits.time.sleep", lambda s: None)
    c = client("datazone")
    failed = {"id": "env1", "name": "E", "status": "CREATE_FAILED", "domainId": DOMAIN, "projectId": "p",
              "provider": "Amazon DataZone", "createdBy": "u",
              "lastDeployment": {"failureReason": {"code": "400", "message": "Unable to assume role arn:aws:iam::2:role/P"}}}
    summary = {k: failed[k] for k in ("id", "name", "status", "domainId", "projectId", "provider", "createdBy")}
    with Stubber(c) as stub:
        stub.add_response("list_environments", {"items": [summary]})
        stub.add_response("get_environment", failed, {"domainIdentifier": DOMAIN, "identifier": "env1"})
        stub.add_response("delete_environment", {}, {"domainIdentifier": DOMAIN, "identifier": "env1"})
        stub.add_client_error("get_environment", "ResourceNotFoundException")
        stub.add_response("create_environment", {**summary, "id": "env2", "status": "CREATING"},
                          {"domainIdentifier": DOMAIN, "projectIdentifier": "p", "name": "E",
                           "environmentProfileIdentifier": "prof"})
        assert dz.ensure_environment(c, DOMAIN, "p", "E", "prof")["id"] == "env2"
        stub.assert_no_pending_responses()
    assert "ended CREATE_FAILED: Unable to assume role" in capsys.readouterr().out
    active = {**summary, "status": "ACTIVE"}
    with Stubber(c) as stub:  # an ACTIVE one is simply reused
        stub.add_response("list_environments", {"items": [active]})
        stub.add_response("get_environment", active)
        assert dz.ensure_environment(c, DOMAIN, "p", "E", "prof")["id"] == "env1"


def test_profile_creation_grant_is_added_once():
    """AddPolicyGrant CREATE_ENVIRONMENT_PROFILE on <account>:<blueprint>, skipped when listed already."""
    c = client("datazone")
    entity = {"domainIdentifier": DOMAIN, "entityType": "ENVIRONMENT_BLUEPRINT_CONFIGURATION",
              "entityIdentifier": "222222222222:bp1", "policyType": "CREATE_ENVIRONMENT_PROFILE"}
    principal = {"project": {"projectDesignation": "CONTRIBUTOR", "projectGrantFilter": {
        "domainUnitFilter": {"domainUnit": "root1", "includeChildDomainUnits": True}}}}
    with Stubber(c) as stub:
        stub.add_response("list_policy_grants", {"grantList": []}, entity)
        stub.add_response("add_policy_grant", {"grantId": "g1"}, {
            **entity, "principal": principal, "detail": {"createEnvironmentProfile": {"domainUnitId": "root1"}}})
        assert dz.grant_environment_profile_creation(c, DOMAIN, "222222222222", "bp1", "root1") is True
        stub.add_response("list_policy_grants", {"grantList": [
            {"principal": principal, "detail": {"createEnvironmentProfile": {"domainUnitId": "root1"}},
             "createdAt": NOW, "createdBy": "u", "grantId": "g1"}]}, entity)
        assert dz.grant_environment_profile_creation(c, DOMAIN, "222222222222", "bp1", "root1") is False
        stub.assert_no_pending_responses()


def test_a_refusal_verdict_raises_when_the_query_failed_for_another_reason():
    from lab_helpers.queries import check_refused

    assert "refused as expected" in check_refused("Athena", "TABLE_NOT_FOUND: line 1:15: Table 'x.y' does not exist")
    assert "refused as expected" in check_refused(
        "Athena", "Insufficient permissions to execute the query. Insufficient Lake Formation permission(s) on mkt_sls_table")
    assert "approved earlier" in check_refused("Redshift", None, approved=True)
    with pytest.raises(AssertionError, match="although no subscription"):
        check_refused("Redshift", None)
    with pytest.raises(AssertionError, match="not because access is refused"):
        check_refused("Athena", "InvalidRequestException: WorkGroup primary is not found")
    with pytest.raises(AssertionError):
        check_refused("Athena", "SYNTAX_ERROR: line 1:8: mismatched input")
