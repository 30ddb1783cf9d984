"""DataZone acts with customers' roles only when their trust admits datazone.amazonaws.com for the domain."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import boto3
import pytest
from botocore.exceptions import ClientError

from lab_helpers.offline.datazone import engines

from .conftest import CONSUMER, PRODUCER, REGION
from .test_datazone_walkthrough import Walkthrough


def service_trust(source_account: str, source_arn: str | None = None, actions: list[str] | None = None) -> str:
    """The trust DataZone's role pages document: the service, aws:SourceAccount (and aws:SourceArn)."""
    condition: dict = {"StringEquals": {"aws:SourceAccount": source_account}}
    if source_arn:
        condition["ArnEquals"] = {"aws:SourceArn": source_arn}
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "datazone.amazonaws.com"}, "Action": actions or ["sts:AssumeRole"], "Condition": condition}]})


@pytest.fixture(scope="module")
def world(session_for: Callable[..., boto3.Session]) -> Walkthrough:
    w = Walkthrough(session_for, "authz").join()
    w.create_project(w.subscriber, "Glue_Subscribe_Project")
    return w


def test_domain_execution_role_must_trust_datazone_for_the_domain_account(world: Walkthrough) -> None:
    iam, dz = world.producer_admin.client("iam"), world.producer_admin.client("datazone")
    tagged = ["sts:AssumeRole", "sts:TagSession"]
    wrong = iam.create_role(RoleName=f"dz-exec-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=service_trust(CONSUMER, actions=tagged))["Role"]["Arn"]
    with pytest.raises(ClientError) as info:
        dz.create_domain(name=f"authz-wrong-{uuid.uuid4().hex[:4]}", domainExecutionRole=wrong, domainVersion="V1")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    no_tag = iam.create_role(RoleName=f"dz-exec-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=service_trust(PRODUCER))["Role"]["Arn"]
    with pytest.raises(ClientError) as info:
        dz.create_domain(name=f"authz-notag-{uuid.uuid4().hex[:4]}", domainExecutionRole=no_tag, domainVersion="V1")
    assert "sts:TagSession" in info.value.response["Error"]["Message"]
    right = iam.create_role(RoleName=f"dz-exec-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=service_trust(PRODUCER, actions=tagged))["Role"]["Arn"]
    assert dz.create_domain(name=f"authz-right-{uuid.uuid4().hex[:4]}", domainExecutionRole=right, domainVersion="V1")["id"]


def test_provisioning_role_of_an_associated_account_trusts_the_domain_account(world: Walkthrough) -> None:
    iam = world.consumer_admin.client("iam")
    name = f"AmazonDataZoneProvisioning-{PRODUCER}"
    try:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=service_trust(CONSUMER))  # not the domain's account
        failed = world.create_environment(world.subscriber, "Glue_Subscribe_Project", "DefaultDataLake", "authz_env_refused")
        assert failed["status"] == "CREATE_FAILED"
        assert "provisioning role" in failed["lastDeployment"]["failureReason"]["message"]
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=service_trust(PRODUCER, world.domain_arn))
        env = world.create_environment(world.subscriber, "Glue_Subscribe_Project", "DefaultDataLake", "authz_env_ok")
        assert env["status"] == "ACTIVE"
    finally:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=service_trust(PRODUCER))


def test_environment_user_role_can_query_but_is_not_an_administrator(world: Walkthrough) -> None:
    env_id = world.ids.get("authz_env_ok") or world.create_environment(world.subscriber, "Glue_Subscribe_Project", "DefaultDataLake", "authz_env_ok")["id"]
    creds = world.subscriber.client("datazone").get_environment_credentials(domainIdentifier=world.ids["domain"], environmentIdentifier=env_id)
    env = boto3.Session(creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"], region_name=REGION)
    env.client("glue").get_databases()
    env.client("athena").list_work_groups()
    with pytest.raises(ClientError) as info:
        env.client("iam").list_roles()
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as info:
        env.client("s3").list_objects_v2(Bucket="some-other-bucket-of-the-account")
    assert info.value.response["Error"]["Code"] in ("AccessDenied", "NoSuchBucket")


def test_manage_access_role_is_checked_when_a_grant_is_fulfilled(world: Walkthrough) -> None:
    iam = world.consumer_admin.client("iam")
    other_domain = f"arn:aws:datazone:{REGION}:{PRODUCER}:domain/dzd_other"
    role = iam.create_role(RoleName=f"dz-manage-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=service_trust(PRODUCER, other_domain))["Role"]["Arn"]
    with pytest.raises(engines.ManageAccessRoleRefused, match="manage access role"):
        engines.require_manage_access_role(role, PRODUCER, world.domain_arn)
    engines.require_manage_access_role(role, PRODUCER, other_domain)
