"""Rehearsal pace: ``--pace aws/N`` gives the stand-in's asynchronous resources AWS's durations ÷ N."""

from __future__ import annotations

import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.moto_api import state_manager

from lab_helpers.offline import pace
from lab_helpers.offline.datazone.state import MODELS

from .conftest import CONSUMER, MANAGEMENT, PRODUCER, REGION


@pytest.mark.parametrize("spec, scale", [("instant", None), (None, None), ("aws", 1.0), ("aws/10", 0.1), ("AWS/4", 0.25),
                                         ("aws/2.5", 0.4)])
def test_pace_forms(spec: str | None, scale: float | None) -> None:
    assert pace.parse(spec).scale == scale


@pytest.mark.parametrize("spec", ["fast", "aws/0", "aws/-1", "aws/", "instant/2", "aws/ten", "aws10"])
def test_a_pace_it_does_not_understand_names_the_valid_forms(spec: str) -> None:
    with pytest.raises(pace.PaceError, match="instant, aws, or aws/N"):
        pace.parse(spec)


def test_every_asynchronous_model_has_a_pace() -> None:
    from lab_helpers.offline.ram import ASSOCIATION_MODEL
    from lab_helpers.offline.redshift_clusters import CLUSTER_MODEL, DELETION_MODEL
    from lab_helpers.offline.redshift_serverless.models import (NAMESPACE_DELETION_MODEL, WORKGROUP_DELETION_MODEL,
                                                            WORKGROUP_MODEL)

    assert set(pace.PACED_MODELS) == set(MODELS) | {WORKGROUP_MODEL, WORKGROUP_DELETION_MODEL, NAMESPACE_DELETION_MODEL,
                                                    CLUSTER_MODEL, DELETION_MODEL, ASSOCIATION_MODEL}


@pytest.fixture
def restore_transitions() -> Iterator[None]:
    yield
    for model in pace.PACED_MODELS:
        state_manager.set_transition(model, {"progression": "immediate"})


def test_paced_domain_takes_its_scaled_duration(endpoint: str, restore_transitions: None) -> None:
    dz = boto3.client("datazone", region_name=REGION, endpoint_url=endpoint)
    iam = boto3.client("iam", region_name=REGION, endpoint_url=endpoint)
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"datazone.amazonaws.com"},'
             '"Action":["sts:AssumeRole","sts:TagSession"]}]}')
    try:
        role = iam.create_role(RoleName="PaceExecution", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName="PaceExecution")["Role"]["Arn"]
    unpaced = dz.create_domain(name="pace-before", domainExecutionRole=role)["id"]
    dz.delete_domain(identifier=unpaced)  # its deletion never looked at (as after a journal replay)
    applied = pace.apply(pace.parse("aws/100"), {"domain_create": 120.0, "domain_delete": 120.0})  # 2 min on AWS → 1.2 s
    assert applied["datazone::domain"] == pytest.approx(1.2)
    assert applied["datazone::environment"] == 0.0  # no duration known: immediate
    with pytest.raises(dz.exceptions.ResourceNotFoundException):  # settled before the pace applied
        dz.get_domain(identifier=unpaced)
    started = time.monotonic()
    paced = dz.create_domain(name="pace-after", domainExecutionRole=role)["id"]
    assert dz.get_domain(identifier=paced)["status"] == "CREATING"
    while dz.get_domain(identifier=paced)["status"] == "CREATING":
        assert time.monotonic() - started < 5, "the paced domain never became AVAILABLE"
        time.sleep(0.1)
    assert 1.1 <= time.monotonic() - started <= 2.0
    assert MANAGEMENT  # the default credentials act in the management account


def test_paced_resources_progress_whether_or_not_anyone_looks(restore_transitions: None) -> None:
    """Two grants waited for one after the other take the longer duration, not the sum (as on AWS)."""
    from lab_helpers.offline.datazone.state import Lifecycle

    state_manager.set_transition("datazone::subscription_grant", {"progression": "time", "seconds": 0.3})
    first = Lifecycle("datazone::subscription_grant", "PENDING", "IN_PROGRESS", "COMPLETED")
    second = Lifecycle("datazone::subscription_grant", "PENDING", "IN_PROGRESS", "COMPLETED")
    assert first.status == "PENDING"
    time.sleep(0.35)
    assert first.status == "IN_PROGRESS"
    time.sleep(0.35)
    assert first.status == "COMPLETED"
    assert second.status == "COMPLETED"  # never looked at until now, and done all the same


def test_every_paced_model_has_an_aws_duration_in_the_kits_table() -> None:
    known = pace.aws_seconds()
    assert {key for key, _ in pace.PACED_MODELS.values()} <= set(known)


@pytest.fixture
def on_stand_in(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients without an endpoint speak to the session's stand-in (an earlier test may have pointed them elsewhere)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)


def _until(check, limit: float) -> float:  # type: ignore[no-untyped-def]
    """Seconds until ``check()`` is true (fails after ``limit``)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < limit, "never happened"
        time.sleep(0.05)
    return time.monotonic() - started


def _cluster(redshift, name: str) -> dict:  # type: ignore[no-untyped-def]
    return redshift.create_cluster(ClusterIdentifier=name, NodeType="ra3.xlplus", ClusterType="single-node",
                                   MasterUsername="awsuser", MasterUserPassword="Paced1234", Encrypted=True)["Cluster"]


def test_paced_cluster_is_creating_then_available_and_the_data_api_waits_for_it(producer, on_stand_in: None,
                                                                                  restore_transitions: None) -> None:
    pace.apply(pace.parse("aws/200"), {"redshift_cluster_create": 600.0, "redshift_cluster_delete": 600.0})  # 3 s each
    redshift, data = producer.client("redshift"), producer.client("redshift-data")
    started = time.monotonic()
    assert _cluster(redshift, "paced-cluster")["ClusterStatus"] == "creating"
    created = time.monotonic()

    def described() -> dict:
        return redshift.describe_clusters(ClusterIdentifier="paced-cluster")["Clusters"][0]

    assert described()["ClusterStatus"] == "creating" and "Endpoint" not in described()
    with pytest.raises(ClientError) as refused:  # no endpoint yet: the Data API cannot connect
        data.execute_statement(ClusterIdentifier="paced-cluster", Database="dev", DbUser="awsuser", Sql="SELECT 1")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "creating" in refused.value.response["Error"]["Message"]
    _until(lambda: described()["ClusterStatus"] == "available", 10)
    assert time.monotonic() - started >= 2.9 and time.monotonic() - created <= 4.5
    assert described()["Endpoint"]["Port"] == 5439
    statement = data.execute_statement(ClusterIdentifier="paced-cluster", Database="dev", DbUser="awsuser", Sql="SELECT 1")
    assert data.describe_statement(Id=statement["Id"])["Status"] == "FINISHED"

    deleted = time.monotonic()
    assert redshift.delete_cluster(ClusterIdentifier="paced-cluster", SkipFinalClusterSnapshot=True)["Cluster"][
        "ClusterStatus"] == "deleting"
    assert described()["ClusterStatus"] == "deleting"
    for refusal, call in (("InvalidClusterState", lambda: redshift.delete_cluster(
            ClusterIdentifier="paced-cluster", SkipFinalClusterSnapshot=True)),
                          ("ClusterAlreadyExists", lambda: _cluster(redshift, "paced-cluster"))):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == refusal

    def gone() -> bool:
        try:
            described()
        except ClientError as exc:
            return exc.response["Error"]["Code"] == "ClusterNotFound"
        return False

    _until(gone, 10)
    assert 2.9 <= time.monotonic() - deleted <= 4.5


def test_paced_ram_association_is_associating_for_a_while_after_the_invitation_is_accepted(
        producer, consumer, on_stand_in: None, restore_transitions: None) -> None:
    from lab_helpers.offline.ram import is_associated

    pace.apply(pace.parse("aws/10"), {"ram_association": 30.0})  # 3 s
    arn = f"arn:aws:datazone:{REGION}:{PRODUCER}:domain/dzd_pacedassoc01"
    ram, cram = producer.client("ram"), consumer.client("ram")
    share_arn = ram.create_resource_share(name="DataZone-paced", resourceArns=[arn], principals=[CONSUMER],
                                          allowExternalPrincipals=True)["resourceShare"]["resourceShareArn"]
    invitation = cram.get_resource_share_invitations(resourceShareArns=[share_arn])["resourceShareInvitations"][0]

    def principal() -> str:
        return ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[share_arn])[
            "resourceShareAssociations"][0]["status"]

    started = time.monotonic()
    cram.accept_resource_share_invitation(resourceShareInvitationArn=invitation["resourceShareInvitationArn"])
    accepted = time.monotonic()
    assert principal() == "ASSOCIATING" and not is_associated(arn, CONSUMER, REGION)
    _until(lambda: principal() == "ASSOCIATED", 10)
    assert time.monotonic() - started >= 2.9 and time.monotonic() - accepted <= 4.5
    assert is_associated(arn, CONSUMER, REGION)
    ram.delete_resource_share(resourceShareArn=share_arn)


def test_both_accounts_clusters_are_created_and_deleted_side_by_side(producer, consumer, tmp_path, monkeypatch, on_stand_in: None,
                                                         restore_transitions: None) -> None:
    """``ensure_all_prerequisites`` starts every account's cluster, then waits: one cluster's duration, not two;
    cleanup likewise for the deletions."""
    import json

    from lab_helpers import notebook
    from lab_helpers.config import make_config
    from lab_helpers.prerequisites import ensure_all_prerequisites

    per_cluster = 8.0
    pace.apply(pace.parse("aws/75"), {"redshift_cluster_create": 600.0})  # 8 s each
    monkeypatch.setattr(notebook, "admin_sessions", lambda config: {"producer": producer, "consumer": consumer})
    config = make_config(create_prerequisites=True, redshift_cluster="paced-prereq", redshift_secret="datazone-lab/paced",
                         domain_name="Paced_no_domain", work_dir=str(tmp_path), offline_port=1,
                         producer_account_id=PRODUCER, consumer_account_id=CONSUMER)
    started = time.monotonic()
    checks = ensure_all_prerequisites(config)
    took = time.monotonic() - started
    print(f"prerequisites of two accounts with {per_cluster:.0f} s clusters: {took:.1f} s")
    assert [(c.account, c.status) for c in checks if c.item == "Redshift cluster"] == [
        ("producer", "created"), ("consumer", "created")]
    # one after the other they take at least two durations; side by side one, plus a poll (2 s) and the other calls
    assert per_cluster <= took < 2 * per_cluster, f"two clusters took {took:.1f} s, one takes {per_cluster:.0f} s"
    for session in (producer, consumer):  # each admin secret names its cluster's endpoint, known once available
        secret = json.loads(session.client("secretsmanager").get_secret_value(SecretId="datazone-lab/paced")["SecretString"])
        assert secret["host"].startswith("paced-prereq.")

    # cleanup (99) asks for both deletions, then waits: one deletion's duration, not two
    from lab_helpers import cleanup

    for name, value in (("role_items", lambda iam: []), ("_delete_environment_leftovers", lambda *args: None),
                        ("LAB_GLUE_DATABASES", ())):  # only the prerequisites here: other tests' resources stay
        monkeypatch.setattr(cleanup, name, value)
    pace.apply(pace.parse("aws/75"), {"redshift_cluster_delete": 600.0})  # 8 s each
    report, started = cleanup.Report(), time.monotonic()
    admins = {"producer_admin": producer, "publisher": producer, "consumer_admin": consumer, "subscriber": consumer}
    cleanup.cleanup_accounts(report, config, admins)
    took = time.monotonic() - started
    print(f"cleanup of two accounts' clusters with {per_cluster:.0f} s deletions: {took:.1f} s")
    assert [(r["account"].split(" ")[0], r["result"]) for r in report.rows if r["type"] == "Redshift cluster"] == [
        ("producer", "deleted"), ("consumer", "deleted")]
    assert per_cluster <= took < 2 * per_cluster, f"two deletions took {took:.1f} s, one takes {per_cluster:.0f} s"


def test_both_accounts_serverless_deletions_go_side_by_side(producer, consumer, tmp_path, monkeypatch, on_stand_in: None,
                                                            restore_transitions: None) -> None:
    """Cleanup asks for every account's workgroup deletion, then (each workgroup gone) every namespace's, then waits:
    one workgroup deletion plus one namespace deletion, not two of each."""
    from lab_helpers import cleanup, notebook
    from lab_helpers.config import make_config
    from lab_helpers.prerequisites import ensure_all_prerequisites

    monkeypatch.setattr(notebook, "admin_sessions", lambda config: {"producer": producer, "consumer": consumer})
    config = make_config(create_prerequisites=True, redshift="serverless", redshift_workgroup="paced-sls",
                         redshift_namespace="paced-sls-ns", redshift_secret="datazone-lab/paced-sls",
                         domain_name="Paced_no_domain", work_dir=str(tmp_path), offline_port=1,
                         producer_account_id=PRODUCER, consumer_account_id=CONSUMER)
    checks = ensure_all_prerequisites(config)  # at the default pace: available at once
    assert [(c.account, c.status) for c in checks if c.item == "Redshift Serverless workgroup"] == [
        ("producer", "created"), ("consumer", "created")]

    for name, value in (("role_items", lambda iam: []), ("_delete_environment_leftovers", lambda *args: None),
                        ("LAB_GLUE_DATABASES", ())):  # only the prerequisites here: other tests' resources stay
        monkeypatch.setattr(cleanup, name, value)
    per_workgroup, per_namespace = 6.0, 8.0
    pace.apply(pace.parse("aws/20"), {"redshift_workgroup_delete": 120.0, "redshift_namespace_delete": 160.0})
    report, started = cleanup.Report(), time.monotonic()
    admins = {"producer_admin": producer, "publisher": producer, "consumer_admin": consumer, "subscriber": consumer}
    cleanup.cleanup_accounts(report, config, admins)
    took = time.monotonic() - started
    print(f"cleanup of two accounts' workgroups ({per_workgroup:.0f} s) and namespaces ({per_namespace:.0f} s): {took:.1f} s")
    for kind in ("Redshift Serverless workgroup", "Redshift Serverless namespace"):
        assert [(r["account"].split(" ")[0], r["result"]) for r in report.rows if r["type"] == kind] == [
            ("producer", "deleted"), ("consumer", "deleted")], report.rows
    one = per_workgroup + per_namespace
    # side by side: one of each, plus polls (2 s) and the other calls; the namespaces one after the other: at
    # least one more namespace deletion (22 s), everything one after the other 28 s
    assert one <= took < one + per_namespace, f"two accounts took {took:.1f} s, one workgroup and namespace take {one:.0f} s"
