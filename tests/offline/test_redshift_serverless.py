"""The stand-in serves Redshift Serverless (moto has none): namespaces, workgroups, and the Data API on workgroups."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.moto_api import state_manager

from lab_helpers.offline.redshift_data import expose_redshift_table, run_sql
from lab_helpers.offline.redshift_serverless.models import (NAMESPACE_DELETION_MODEL, WORKGROUP_DELETION_MODEL,
                                                        WORKGROUP_MODEL)

from .conftest import CONSUMER, MANAGEMENT, PRODUCER, REGION, _assume
from .test_redshift_data import unique
from .test_redshift_data_shapes import problems

PASSWORD = "Passw0rd-serverless"


class Serverless:
    """A namespace + workgroup in one account, with the admin's secret."""

    def __init__(self, session: boto3.Session, name: str | None = None) -> None:
        self.session = session
        self.name = name or unique("lab-wg")
        self.rs = session.client("redshift-serverless")
        self.namespace = self.rs.create_namespace(namespaceName=f"{self.name}-ns", adminUsername="admin",
                                                  adminUserPassword=PASSWORD, dbName="dev")["namespace"]
        self.workgroup = self.rs.create_workgroup(workgroupName=self.name, namespaceName=f"{self.name}-ns", baseCapacity=8)["workgroup"]
        self.secret_arn = session.client("secretsmanager").create_secret(
            Name=unique("wg-admin"), SecretString=json.dumps({"username": "admin", "password": PASSWORD}))["ARN"]
        self.data = session.client("redshift-data")

    def run(self, sql: str, **target: Any) -> dict[str, Any]:
        target = target or {"SecretArn": self.secret_arn}
        statement = self.data.execute_statement(WorkgroupName=self.name, Database="dev", Sql=sql, **target)
        return self.data.describe_statement(Id=statement["Id"])


@pytest.fixture
def serverless(producer) -> Serverless:
    return Serverless(producer)


def test_responses_fit_botocore_shapes_and_statuses(producer) -> None:
    client = producer.client("redshift-serverless")
    seen: dict[str, list[str]] = {}

    def check(http_response, model, **_: Any) -> None:
        if http_response.status_code == 200:
            seen.setdefault(model.name, []).extend(problems(json.loads(http_response.content or b"{}"), model.output_shape))

    client.meta.events.register("after-call.redshift-serverless", check)
    name = unique("shape")
    namespace = client.create_namespace(namespaceName=name, adminUsername="admin", adminUserPassword=PASSWORD)["namespace"]
    workgroup = client.create_workgroup(workgroupName=name, namespaceName=name)["workgroup"]
    client.get_namespace(namespaceName=name)
    client.get_workgroup(workgroupName=name)
    client.list_namespaces()
    client.list_workgroups()
    client.tag_resource(resourceArn=workgroup["workgroupArn"], tags=[{"key": "team", "value": "lab"}])
    assert client.list_tags_for_resource(resourceArn=workgroup["workgroupArn"])["tags"] == [{"key": "team", "value": "lab"}]
    client.delete_workgroup(workgroupName=name)
    client.delete_namespace(namespaceName=name)
    assert {op: found for op, found in seen.items() if found} == {}
    assert len(seen) == 10
    assert namespace["status"] == "AVAILABLE" and namespace["dbName"] == "dev"
    assert namespace["namespaceArn"] == f"arn:aws:redshift-serverless:{REGION}:{PRODUCER}:namespace/{namespace['namespaceId']}"
    assert workgroup["baseCapacity"] == 128 and workgroup["endpoint"]["port"] == 5439


def test_aws_error_codes(serverless) -> None:
    rs = serverless.rs
    cases = [
        (lambda: rs.create_namespace(namespaceName=f"{serverless.name}-ns"), "ConflictException"),
        (lambda: rs.create_workgroup(workgroupName=serverless.name, namespaceName=f"{serverless.name}-ns"), "ConflictException"),
        (lambda: rs.create_workgroup(workgroupName=unique("other"), namespaceName=f"{serverless.name}-ns"), "ConflictException"),
        (lambda: rs.create_workgroup(workgroupName=unique("other"), namespaceName="no-such-ns"), "ResourceNotFoundException"),
        (lambda: rs.get_namespace(namespaceName="no-such-ns"), "ResourceNotFoundException"),
        (lambda: rs.get_workgroup(workgroupName="no-such-wg"), "ResourceNotFoundException"),
        (lambda: rs.delete_workgroup(workgroupName="no-such-wg"), "ResourceNotFoundException"),
        (lambda: rs.delete_namespace(namespaceName=f"{serverless.name}-ns"), "ConflictException"),  # its workgroup first
        (lambda: rs.create_namespace(namespaceName="Not_Valid"), "ValidationException"),
        (lambda: rs.create_namespace(namespaceName=unique("ns"), manageAdminPassword=True, adminUserPassword=PASSWORD),
         "ValidationException"),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == code


def test_managed_admin_password_is_a_secret_redshift_owns(producer) -> None:
    name = unique("managed")
    namespace = producer.client("redshift-serverless").create_namespace(namespaceName=name, manageAdminPassword=True)["namespace"]
    value = json.loads(producer.client("secretsmanager").get_secret_value(SecretId=namespace["adminPasswordSecretArn"])["SecretString"])
    assert value["username"] == namespace["adminUsername"] and value["password"]


def test_workgroup_is_creating_until_its_paced_duration_has_passed(producer) -> None:
    state_manager.set_transition(WORKGROUP_MODEL, {"progression": "manual", "times": 2})
    try:
        rs = producer.client("redshift-serverless")
        name = unique("paced")
        rs.create_namespace(namespaceName=name, adminUsername="admin", adminUserPassword=PASSWORD)
        assert rs.create_workgroup(workgroupName=name, namespaceName=name)["workgroup"]["status"] == "CREATING"
        with pytest.raises(ClientError, match="doesn't exist"):  # the Data API connects to AVAILABLE workgroups only
            producer.client("redshift-data").execute_statement(WorkgroupName=name, Database="dev", Sql="SELECT 1")
        statuses = [rs.get_workgroup(workgroupName=name)["workgroup"]["status"] for _ in range(3)]
        assert statuses[0] == "CREATING" and statuses[-1] == "AVAILABLE"
    finally:
        state_manager.set_transition(WORKGROUP_MODEL, {"progression": "immediate"})



def _code(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_a_paced_deletion_is_listed_deleting_then_gone_and_the_namespace_waits_for_its_workgroup(serverless) -> None:
    rs, name, namespace = serverless.rs, serverless.name, f"{serverless.name}-ns"
    for model in (WORKGROUP_DELETION_MODEL, NAMESPACE_DELETION_MODEL):
        state_manager.set_transition(model, {"progression": "time", "seconds": 1.5})
    try:
        asked = time.monotonic()
        assert rs.delete_workgroup(workgroupName=name)["workgroup"]["status"] == "DELETING"
        assert rs.get_workgroup(workgroupName=name)["workgroup"]["status"] == "DELETING"
        assert {w["workgroupName"]: w["status"] for w in rs.list_workgroups()["workgroups"]}[name] == "DELETING"
        assert _code(lambda: rs.delete_namespace(namespaceName=namespace)) == "ConflictException"  # its workgroup goes first
        assert _code(lambda: rs.delete_workgroup(workgroupName=name)) == "ConflictException"  # already deleting
        assert _code(lambda: rs.create_workgroup(workgroupName=name, namespaceName=namespace)) == "ConflictException"
        with pytest.raises(ClientError, match="doesn't exist"):  # the Data API connects to AVAILABLE workgroups only
            serverless.run("SELECT 1")
        while time.monotonic() - asked < 1.6:
            time.sleep(0.1)
        assert _code(lambda: rs.get_workgroup(workgroupName=name)) == "ResourceNotFoundException"
        assert name not in {w["workgroupName"] for w in rs.list_workgroups()["workgroups"]}

        asked = time.monotonic()
        assert rs.delete_namespace(namespaceName=namespace)["namespace"]["status"] == "DELETING"
        assert rs.get_namespace(namespaceName=namespace)["namespace"]["status"] == "DELETING"
        assert {n["namespaceName"]: n["status"] for n in rs.list_namespaces()["namespaces"]}[namespace] == "DELETING"
        assert _code(lambda: rs.delete_namespace(namespaceName=namespace)) == "ConflictException"  # already deleting
        while time.monotonic() - asked < 1.6:
            time.sleep(0.1)
        assert _code(lambda: rs.get_namespace(namespaceName=namespace)) == "ResourceNotFoundException"
        assert namespace not in {n["namespaceName"] for n in rs.list_namespaces()["namespaces"]}
    finally:
        for model in (WORKGROUP_DELETION_MODEL, NAMESPACE_DELETION_MODEL):
            state_manager.set_transition(model, {"progression": "immediate"})


def test_at_the_default_pace_a_deletion_is_over_at_once(serverless) -> None:
    rs, name, namespace = serverless.rs, serverless.name, f"{serverless.name}-ns"
    assert rs.delete_workgroup(workgroupName=name)["workgroup"]["status"] == "DELETING"
    assert _code(lambda: rs.get_workgroup(workgroupName=name)) == "ResourceNotFoundException"
    assert rs.delete_namespace(namespaceName=namespace)["namespace"]["status"] == "DELETING"
    assert _code(lambda: rs.get_namespace(namespaceName=namespace)) == "ResourceNotFoundException"


def test_data_api_runs_on_a_workgroup_with_its_admin_secret(serverless) -> None:
    assert serverless.run("CREATE TABLE t (i INT)")["Status"] == "FINISHED"
    serverless.run("INSERT INTO t VALUES (1), (2)")
    described = serverless.run("SELECT sum(i) AS s FROM t")
    assert described["Status"] == "FINISHED" and described["WorkgroupName"] == serverless.name
    rows = serverless.data.get_statement_result(Id=described["Id"])["Records"]
    assert rows == [[{"longValue": 3}]]


def test_a_wrong_password_cannot_log_in(serverless) -> None:
    wrong = serverless.session.client("secretsmanager").create_secret(
        Name=unique("wrong"), SecretString=json.dumps({"username": "admin", "password": "nope"}))["ARN"]
    described = serverless.run("SELECT 1", SecretArn=wrong)
    assert described["Status"] == "FAILED" and "password authentication failed" in described["Error"]


def test_a_workgroup_of_another_account_is_not_reachable(serverless, consumer) -> None:
    with pytest.raises(ClientError, match="doesn't exist"):
        consumer.client("redshift-data").execute_statement(WorkgroupName=serverless.name, Database="dev", Sql="SELECT 1")


def _limited_session(endpoint_session: boto3.Session, actions: list[str]) -> boto3.Session:
    """A role of the producer account allowed only ``actions``."""
    iam = endpoint_session.client("iam")
    name = unique("DataApiOnly")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    iam.put_role_policy(RoleName=name, PolicyName="only", PolicyDocument=json.dumps(policy))
    endpoint = endpoint_session.client("sts").meta.endpoint_url
    return _assume(boto3.client("sts", region_name=REGION, endpoint_url=endpoint), arn, name)


def test_iam_credentials_on_a_workgroup_need_get_credentials(serverless) -> None:
    without = _limited_session(serverless.session, ["redshift-data:*"])
    with pytest.raises(ClientError, match="redshift-serverless:GetCredentials"):
        without.client("redshift-data").execute_statement(WorkgroupName=serverless.name, Database="dev", Sql="SELECT 1")
    allowed = _limited_session(serverless.session, ["redshift-data:*", "redshift-serverless:GetCredentials"])
    statement = allowed.client("redshift-data").execute_statement(WorkgroupName=serverless.name, Database="dev", Sql="SELECT 1")
    assert allowed.client("redshift-data").describe_statement(Id=statement["Id"])["Status"] == "FINISHED"


def test_a_datashare_between_workgroups_reads_the_producer_table_and_deleting_the_namespace_drops_its_data(producer, consumer) -> None:
    source, target = Serverless(producer), Serverless(consumer)
    source.run("CREATE TABLE public.shared (i INT)")
    source.run("INSERT INTO public.shared VALUES (7)")
    target.run("CREATE SCHEMA sub")
    expose_redshift_table(region=REGION, source_account=PRODUCER, source_store=source.name, source_database="dev",
                          source_schema="public", table="shared", target_account=CONSUMER, target_store=target.name,
                          target_database="dev", target_schema="sub")
    assert run_sql(account_id=CONSUMER, region=REGION, store=target.name, database="dev", sql="SELECT i FROM sub.shared") == [{"i": 7}]
    assert target.run("INSERT INTO sub.shared VALUES (8)")["Status"] == "FAILED"  # read-only, as a datashare
    source.rs.delete_workgroup(workgroupName=source.name)
    source.rs.delete_namespace(namespaceName=f"{source.name}-ns")
    source.rs.create_namespace(namespaceName=f"{source.name}-ns", adminUsername="admin", adminUserPassword=PASSWORD)
    source.rs.create_workgroup(workgroupName=source.name, namespaceName=f"{source.name}-ns")
    assert source.run("SELECT * FROM public.shared")["Status"] == "FAILED"  # a new namespace starts empty


def test_prerequisites_checks_the_workgroup_and_creates_it_only_where_the_settings_say(producer, tmp_path) -> None:
    from lab_helpers.config import make_config
    from lab_helpers.prerequisites import PrerequisiteError, ensure_prerequisites

    name = unique("prereq")
    settings = dict(redshift="serverless", redshift_workgroup=name, redshift_namespace=f"{name}-ns",
                    redshift_secret=f"datazone-lab/{name}", work_dir=str(tmp_path), offline_port=1)
    with pytest.raises(PrerequisiteError, match=f"create a Redshift Serverless namespace '{name}-ns' and its workgroup '{name}'"):
        ensure_prerequisites(make_config(create_prerequisites=False, **settings), {"producer": producer})  # as on AWS
    with pytest.raises(ClientError):
        producer.client("redshift-serverless").get_workgroup(workgroupName=name)  # checking created nothing
    checks, ids = ensure_prerequisites(make_config(create_prerequisites=True, **settings), {"producer": producer})
    assert [(c.item, c.status) for c in checks if c.account == "producer"][1:] == [
        ("Redshift Serverless workgroup", "created"), ("Redshift admin secret", "created")]
    assert ids["producer_redshift"] == f"workgroup/{name}" and "producer_cluster_id" not in ids
    data = producer.client("redshift-data")  # the secret logs in to the workgroup
    statement = data.execute_statement(WorkgroupName=name, Database="dev", SecretArn=ids["producer_secret_arn"], Sql="SELECT 1")
    assert data.describe_statement(Id=statement["Id"])["Status"] == "FINISHED"
    again, _ = ensure_prerequisites(make_config(create_prerequisites=False, **settings), {"producer": producer})
    assert [c.status for c in again if c.account == "producer"][1:] == ["exists", "exists"]
