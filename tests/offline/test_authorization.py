"""IAM enforcement in the stand-in: each rule refused with AWS's error code, and admitted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from lab_helpers.offline.service_roles import service_role_refusal

from .conftest import CONSUMER, PRODUCER, REGION, ensure_admin_role

MANAGEMENT = "123456789012"
TRUST_MANAGEMENT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}, "Action": "sts:AssumeRole"}]}


def _code(info: pytest.ExceptionInfo) -> str:
    return info.value.response["Error"]["Code"]


def _message(info: pytest.ExceptionInfo) -> str:
    return info.value.response["Error"]["Message"]


def _session(endpoint: str, role_arn: str, via: boto3.Session | None = None) -> boto3.Session:
    sts = (via or boto3.Session(region_name=REGION)).client("sts", endpoint_url=endpoint, region_name=REGION)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="test")["Credentials"]
    return boto3.Session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region_name=REGION)


@pytest.fixture(scope="module")
def admin(endpoint: str):
    """An administrator session of each member account, through OrganizationAccountAccessRole."""
    cache: dict[str, boto3.Session] = {}

    def get(account: str) -> boto3.Session:
        if account not in cache:
            cache[account] = _session(endpoint, f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole")
        return cache[account]

    return get


def make_role(admin_session: boto3.Session, policy: dict | None, trust: dict = TRUST_MANAGEMENT, name: str | None = None) -> str:
    """A role of the admin session's account with an inline policy (None: no policy)."""
    iam = admin_session.client("iam")
    name = name or f"t-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return arn


def allow(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# --- default credentials, OrganizationAccountAccessRole ---------------------------------------


def test_default_credentials_are_the_management_account_with_full_access(endpoint):
    client = boto3.client("sts", region_name=REGION, aws_access_key_id="anything-at-all", aws_secret_access_key="x")
    assert client.get_caller_identity()["Arn"] == f"arn:aws:iam::{MANAGEMENT}:root"
    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="another-key", aws_secret_access_key="y")
    s3.create_bucket(Bucket="auth-mgmt-bucket")
    assert "auth-mgmt-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_aws_cli_with_its_default_credentials_works(endpoint):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="cli-key", AWS_SECRET_ACCESS_KEY="cli-secret", AWS_ENDPOINT_URL=endpoint)
    env.pop("AWS_SESSION_TOKEN", None)
    cli = [sys.executable, "-m", "awscli"]
    probe = subprocess.run(cli + ["--version"], capture_output=True, text=True, env=env)
    if probe.returncode != 0:
        pytest.skip("the AWS CLI (awscli) is not installed in this environment")
    out = subprocess.run(cli + ["sts", "get-caller-identity", "--output", "json"], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout)["Account"] == MANAGEMENT
    subprocess.run(cli + ["iam", "list-roles", "--output", "json"], capture_output=True, text=True, env=env, check=True)


def test_organization_account_access_role_in_a_fresh_member_account(endpoint):
    fresh = "333344445555"
    session = _session(endpoint, f"arn:aws:iam::{fresh}:role/OrganizationAccountAccessRole")
    assert session.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"] == fresh
    iam = session.client("iam", endpoint_url=endpoint)
    role = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}
    attached = iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AdministratorAccess"]
    iam.create_role(RoleName="made-by-admin", AssumeRolePolicyDocument=json.dumps(TRUST_MANAGEMENT))  # admin: allowed


def test_member_account_principal_cannot_use_organization_access_role_of_another(endpoint, admin):
    consumer_role = make_role(admin(CONSUMER), allow({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    consumer = _session(endpoint, consumer_role)
    with pytest.raises(ClientError) as info:
        _session(endpoint, f"arn:aws:iam::{PRODUCER}:role/OrganizationAccountAccessRole", via=consumer)
    assert _code(info) == "AccessDenied"
    assert _message(info) == (
        f"User: {consumer.client('sts').get_caller_identity()['Arn']} is not authorized to perform: sts:AssumeRole "
        f"on resource: arn:aws:iam::{PRODUCER}:role/OrganizationAccountAccessRole"
    )


# --- identity policies ----------------------------------------------------------------------


def test_identity_policy_missing_allow_and_explicit_deny(endpoint, admin):
    none = _session(endpoint, make_role(admin(PRODUCER), None))
    with pytest.raises(ClientError) as info:
        none.client("glue").get_databases()
    assert _code(info) == "AccessDeniedException"
    assert "is not authorized to perform: glue:GetDatabases" in _message(info)

    allowed = _session(endpoint, make_role(admin(PRODUCER), allow({"Effect": "Allow", "Action": "glue:Get*", "Resource": "*"})))
    allowed.client("glue").get_databases()

    denied = _session(endpoint, make_role(admin(PRODUCER), allow(
        {"Effect": "Allow", "Action": "glue:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "glue:GetDatabases", "Resource": "*"})))
    with pytest.raises(ClientError) as info:
        denied.client("glue").get_databases()
    assert _code(info) == "AccessDeniedException"
    assert "explicit deny" in _message(info)


def test_iam_refusal_names_the_resource(endpoint, admin):
    session = _session(endpoint, make_role(admin(PRODUCER), allow({"Effect": "Allow", "Action": "iam:GetRole", "Resource": f"arn:aws:iam::{PRODUCER}:role/OrganizationAccountAccessRole"})))
    iam = session.client("iam")
    iam.get_role(RoleName="OrganizationAccountAccessRole")
    with pytest.raises(ClientError) as info:
        iam.list_roles()
    assert _code(info) == "AccessDenied"
    assert _message(info).startswith("User: arn:aws:sts::111111111111:assumed-role/")
    with pytest.raises(ClientError) as info:
        iam.get_role(RoleName="made-elsewhere")
    assert _code(info) == "AccessDenied"
    assert f"on resource: arn:aws:iam::{PRODUCER}:role/made-elsewhere" in _message(info)


def test_conditions_on_requested_region(endpoint, admin):
    policy = allow({"Effect": "Allow", "Action": "athena:ListWorkGroups", "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}})
    session = _session(endpoint, make_role(admin(PRODUCER), policy))
    session.client("athena", region_name="us-east-1").list_work_groups()
    with pytest.raises(ClientError) as info:
        session.client("athena", region_name="eu-west-1").list_work_groups()
    assert _code(info) == "AccessDeniedException"


def test_datazone_and_redshift_data_go_through_authorization(endpoint, admin):
    session = _session(endpoint, make_role(admin(PRODUCER), allow({"Effect": "Allow", "Action": "datazone:ListDomains", "Resource": "*"})))
    session.client("datazone").list_domains()
    with pytest.raises(ClientError) as info:
        session.client("datazone").get_domain(identifier="dzd_nothing")
    assert _code(info) == "AccessDeniedException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as info:
        session.client("redshift-data").list_statements()
    assert _code(info) == "AccessDeniedException"
    assert "redshift-data:ListStatements" in _message(info)


def test_redshift_data_with_a_secret_needs_get_secret_value(endpoint, admin):
    sm = admin(PRODUCER).client("secretsmanager")
    arn = sm.create_secret(Name=f"rs-{uuid.uuid4().hex[:6]}", SecretString='{"username":"u","password":"p"}',
                           Tags=[{"Key": "Team", "Value": "a"}])["ARN"]
    data_only = _session(endpoint, make_role(admin(PRODUCER), allow({"Effect": "Allow", "Action": "redshift-data:*", "Resource": "*"})))
    with pytest.raises(ClientError) as info:
        data_only.client("redshift-data").list_databases(ClusterIdentifier="nocluster", Database="dev", SecretArn=arn)
    assert _code(info) == "AccessDeniedException"
    assert "secretsmanager:GetSecretValue" in _message(info)


# --- trust policies -------------------------------------------------------------------------


def test_nonexistent_role_cannot_be_assumed(endpoint):
    with pytest.raises(ClientError) as info:
        _session(endpoint, f"arn:aws:iam::{PRODUCER}:role/DoesNotExist")
    assert _code(info) == "AccessDenied"
    assert _message(info).endswith(f"sts:AssumeRole on resource: arn:aws:iam::{PRODUCER}:role/DoesNotExist")


def test_trust_of_other_account_refuses_and_explicit_trust_admits(endpoint, admin):
    caller_arn = make_role(admin(CONSUMER), allow({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    caller = _session(endpoint, caller_arn)
    producer_only = make_role(admin(PRODUCER), allow({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    with pytest.raises(ClientError) as info:
        _session(endpoint, producer_only, via=caller)
    assert _code(info) == "AccessDenied"
    trusting = make_role(admin(PRODUCER), None, trust=allow({"Effect": "Allow", "Principal": {"AWS": caller_arn}, "Action": "sts:AssumeRole"}))
    assumed = _session(endpoint, trusting, via=caller)
    assert assumed.client("sts").get_caller_identity()["Account"] == PRODUCER  # keys bound to the role's account


def test_account_root_trust_needs_identity_allow(endpoint, admin):
    target = make_role(admin(PRODUCER), None, trust=allow({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PRODUCER}:root"}, "Action": "sts:AssumeRole"}))
    without = _session(endpoint, make_role(admin(PRODUCER), None))
    with pytest.raises(ClientError) as info:
        _session(endpoint, target, via=without)
    assert _code(info) == "AccessDenied"
    with_allow = _session(endpoint, make_role(admin(PRODUCER), allow({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target})))
    _session(endpoint, target, via=with_allow)


def test_trust_conditions_external_id(endpoint, admin):
    trust = allow({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}, "Action": "sts:AssumeRole",
                   "Condition": {"StringEquals": {"sts:ExternalId": "secret-id"}}})
    target = make_role(admin(PRODUCER), None, trust=trust)
    sts = boto3.client("sts", region_name=REGION)
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=target, RoleSessionName="ses")
    assert _code(info) == "AccessDenied"
    sts.assume_role(RoleArn=target, RoleSessionName="ses", ExternalId="secret-id")


def test_service_trust_never_admits_an_iam_caller(endpoint, admin):
    target = make_role(admin(PRODUCER), None, trust=allow({"Effect": "Allow", "Principal": {"Service": "datazone.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    with pytest.raises(ClientError) as info:
        boto3.client("sts", region_name=REGION).assume_role(RoleArn=target, RoleSessionName="ses")
    assert _code(info) == "AccessDenied"


def test_invalid_session_token_is_refused(endpoint, admin):
    good = _session(endpoint, f"arn:aws:iam::{PRODUCER}:role/OrganizationAccountAccessRole")
    creds = good.get_credentials()
    bad = boto3.client("sts", region_name=REGION, aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key, aws_session_token="forged")
    with pytest.raises(ClientError) as info:
        bad.get_caller_identity()
    assert _code(info) == "InvalidClientTokenId"


# --- resource boundaries --------------------------------------------------------------------


def test_s3_cross_account_refused_unless_bucket_policy_allows(endpoint, admin):
    bucket = f"auth-producer-{uuid.uuid4().hex[:8]}"
    padmin = admin(PRODUCER).client("s3")
    padmin.create_bucket(Bucket=bucket)
    padmin.put_object(Bucket=bucket, Key="data/a.csv", Body=b"x")
    reader_arn = make_role(admin(CONSUMER), allow({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    reader = _session(endpoint, reader_arn).client("s3")
    for call in (lambda: reader.list_objects_v2(Bucket=bucket), lambda: reader.get_object(Bucket=bucket, Key="data/a.csv"),
                 lambda: reader.put_object(Bucket=bucket, Key="x", Body=b"y"), lambda: reader.delete_object(Bucket=bucket, Key="data/a.csv"),
                 lambda: reader.delete_bucket(Bucket=bucket)):
        with pytest.raises(ClientError) as info:
            call()
        assert _code(info) == "AccessDenied"
    padmin.put_bucket_policy(Bucket=bucket, Policy=json.dumps(allow(
        {"Effect": "Allow", "Principal": {"AWS": reader_arn}, "Action": ["s3:GetObject", "s3:ListBucket"],
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]})))
    assert reader.get_object(Bucket=bucket, Key="data/a.csv")["Body"].read() == b"x"
    assert reader.list_objects_v2(Bucket=bucket)["KeyCount"] == 1
    with pytest.raises(ClientError) as info:
        reader.put_object(Bucket=bucket, Key="x", Body=b"y")
    assert _code(info) == "AccessDenied"


def test_s3_same_account_bucket_policy_alone_admits_and_deny_wins(endpoint, admin):
    bucket = f"auth-same-{uuid.uuid4().hex[:8]}"
    padmin = admin(PRODUCER).client("s3")
    padmin.create_bucket(Bucket=bucket)
    padmin.put_object(Bucket=bucket, Key="k", Body=b"v")
    role = make_role(admin(PRODUCER), None)
    s3 = _session(endpoint, role).client("s3")
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=bucket, Key="k")
    assert _code(info) == "AccessDenied"
    padmin.put_bucket_policy(Bucket=bucket, Policy=json.dumps(allow(
        {"Effect": "Allow", "Principal": {"AWS": role}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/*"})))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    with pytest.raises(ClientError) as info:
        padmin.delete_object(Bucket=bucket, Key="k")  # even the administrator: explicit deny
    assert _code(info) == "AccessDenied"

    # the other way round: the caller's own explicit Deny wins over the bucket policy's Allow
    denied_role = make_role(admin(PRODUCER), allow({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}))
    policy = json.loads(padmin.get_bucket_policy(Bucket=bucket)["Policy"])
    policy["Statement"].append({"Effect": "Allow", "Principal": {"AWS": denied_role}, "Action": "s3:GetObject",
                                "Resource": f"arn:aws:s3:::{bucket}/*"})
    padmin.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    with pytest.raises(ClientError) as info:
        _session(endpoint, denied_role).client("s3").get_object(Bucket=bucket, Key="k")
    assert _code(info) == "AccessDenied"  # S3's message says only "Access Denied"


def test_s3_prefix_condition(endpoint, admin):
    bucket = f"auth-prefix-{uuid.uuid4().hex[:8]}"
    admin(PRODUCER).client("s3").create_bucket(Bucket=bucket)
    role = make_role(admin(PRODUCER), allow({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
                                             "Condition": {"StringLike": {"s3:prefix": "public/*"}}}))
    s3 = _session(endpoint, role).client("s3")
    s3.list_objects_v2(Bucket=bucket, Prefix="public/x")
    with pytest.raises(ClientError) as info:
        s3.list_objects_v2(Bucket=bucket, Prefix="private/")
    assert _code(info) == "AccessDenied"


def test_secret_of_another_account_and_secret_tags(endpoint, admin):
    sm = admin(PRODUCER).client("secretsmanager")
    name = f"auth-{uuid.uuid4().hex[:6]}"
    arn = sm.create_secret(Name=name, SecretString="s", Tags=[{"Key": "AmazonDataZoneProject", "Value": "prj1"}])["ARN"]
    other = _session(endpoint, make_role(admin(CONSUMER), allow({"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"})))
    with pytest.raises(ClientError) as info:
        other.client("secretsmanager").get_secret_value(SecretId=arn)
    assert _code(info) == "AccessDeniedException"
    tagged = allow({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                    "Condition": {"StringEquals": {"secretsmanager:ResourceTag/AmazonDataZoneProject": "prj1"}}})
    reader = _session(endpoint, make_role(admin(PRODUCER), tagged)).client("secretsmanager")
    assert reader.get_secret_value(SecretId=arn)["SecretString"] == "s"
    arn2 = sm.create_secret(Name=name + "-b", SecretString="t", Tags=[{"Key": "AmazonDataZoneProject", "Value": "prj2"}])["ARN"]
    with pytest.raises(ClientError) as info:
        reader.get_secret_value(SecretId=arn2)
    assert _code(info) == "AccessDeniedException"


def test_glue_catalog_of_another_account_is_refused(endpoint, admin):
    glue = admin(CONSUMER).client("glue")
    glue.get_databases(CatalogId=CONSUMER)
    with pytest.raises(ClientError) as info:
        glue.get_databases(CatalogId=PRODUCER)
    assert _code(info) == "AccessDeniedException"


# --- service roles ----------------------------------------------------------------------------

DOMAIN_ARN = f"arn:aws:datazone:{REGION}:{PRODUCER}:domain/dzd_abc"


def test_service_role_refusal(endpoint, admin):
    trust = allow({"Effect": "Allow", "Principal": {"Service": "datazone.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"],
                   "Condition": {"StringEquals": {"aws:SourceAccount": PRODUCER}, "ArnEquals": {"aws:SourceArn": DOMAIN_ARN}}})
    role = make_role(admin(CONSUMER), None, trust=trust)
    context = {"aws:SourceAccount": PRODUCER, "aws:SourceArn": DOMAIN_ARN}
    assert service_role_refusal(role, "datazone.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"], context) is None
    assert "does not allow" in service_role_refusal(role, "datazone.amazonaws.com", ["sts:AssumeRole"], {**context, "aws:SourceAccount": CONSUMER})
    assert service_role_refusal(role, "datazone.amazonaws.com", ["sts:AssumeRole"], {"aws:SourceAccount": PRODUCER}) is not None
    assert service_role_refusal(role, "glue.amazonaws.com", ["sts:AssumeRole"], context) is not None
    assert "does not exist" in service_role_refusal(f"arn:aws:iam::{CONSUMER}:role/nope", "datazone.amazonaws.com", ["sts:AssumeRole"], context)
    only_assume = make_role(admin(CONSUMER), None, trust=allow(
        {"Effect": "Allow", "Principal": {"Service": "datazone.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    assert service_role_refusal(only_assume, "datazone.amazonaws.com", ["sts:AssumeRole"], context) is None
    assert "sts:TagSession" in service_role_refusal(only_assume, "datazone.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"], context)


def test_fixture_admin_roles(endpoint):
    assert ensure_admin_role(endpoint, PRODUCER, "LabProducerTester").endswith(":role/LabProducerTester")
