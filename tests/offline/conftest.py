"""Fixtures for the stand-in's conformance tests: one in-process server per test session."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator

import boto3
import pytest

PRODUCER = "111111111111"
CONSUMER = "222222222222"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the stand-in (moto + add-ons) on a free loopback port for the whole session."""
    os.environ["LAB_OFFLINE_DATA"] = str(tmp_path_factory.mktemp("offline-data"))
    from lab_helpers.offline.app import make_server, seed

    seed()
    server = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(
        AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="offline", AWS_SECRET_ACCESS_KEY="offline", AWS_DEFAULT_REGION=REGION
    )
    yield url
    server.shutdown()
    thread.join(timeout=10)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _talk_to_this_stand_in(endpoint: str) -> Iterator[None]:
    """Every test here talks to the session's stand-in, even when a test elsewhere ran first and left
    ``AWS_ENDPOINT_URL`` on its own, stopped stand-in (a kit session sets it; ``make mutants`` runs such
    tests before these)."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    yield


ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
MANAGEMENT = "123456789012"


def _assume(sts, role_arn: str, session_name: str) -> boto3.Session:
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def ensure_admin_role(endpoint: str, account_id: str, role: str) -> str:
    """Create ``role`` in ``account_id`` (through OrganizationAccountAccessRole, as an administrator
    of the organisation would) with AdministratorAccess, trusting the management account."""
    sts = boto3.client("sts", region_name=REGION, endpoint_url=endpoint)
    admin = _assume(sts, f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", "fixture-admin")
    iam = admin.client("iam", endpoint_url=endpoint)
    try:
        return iam.get_role(RoleName=role)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        pass
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN_POLICY)
    return arn


@pytest.fixture(scope="session")
def session_for(endpoint: str) -> Callable[..., boto3.Session]:
    """``session_for(account_id, role="LabTester")``: a boto3 session acting in that account.

    Like the kit's offline sessions, it assumes a role of the account through STS on the
    stand-in; moto binds the returned keys to that account. The role is created first (an
    administrator role of the member account, trusting the management account) since the
    stand-in, like AWS, refuses to assume a role that does not exist.
    """

    def make(account_id: str, role: str = "LabTester") -> boto3.Session:
        arn = ensure_admin_role(endpoint, account_id, role)
        return _assume(boto3.client("sts", region_name=REGION, endpoint_url=endpoint), arn, role)

    return make


@pytest.fixture(scope="session")
def producer(session_for: Callable[..., boto3.Session]) -> boto3.Session:
    return session_for(PRODUCER, "LabProducerTester")


@pytest.fixture(scope="session")
def consumer(session_for: Callable[..., boto3.Session]) -> boto3.Session:
    return session_for(CONSUMER, "LabConsumerTester")
