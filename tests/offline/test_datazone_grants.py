"""What grants hand to the engines: the hooks' arguments, failures, revocation and deletion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from lab_helpers.offline import grants

from .conftest import CONSUMER, PRODUCER, REGION
from .test_datazone_walkthrough import Walkthrough


@pytest.fixture(scope="module")
def world(session_for: Callable[..., boto3.Session]) -> Walkthrough:
    return Walkthrough(session_for, "grants").build()


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Record the hooks the DataZone backend calls (the server runs in this process)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    for name in ("expose_glue_table", "hide_glue_table", "expose_redshift_table", "hide_redshift_table"):
        monkeypatch.setattr(grants, name, lambda _name=name, **kw: calls.append((_name, kw)))
    return calls


def test_glue_grant_exposes_the_table_in_the_subscriber_sub_db(world: Walkthrough, hooks: list) -> None:
    d, ids = world.ids["domain"], world.ids
    req = world.subscribe("Glue_Subscribe_Project", "Market Sales")
    world.approve(req["id"])
    grant = world.grants_of(ids["GLUE_listing"])[0]
    assert grant["status"] == "COMPLETED" and grant["assets"][0]["status"] == "GRANTED"
    assert grant["assets"][0]["targetName"] == "mkt_sls_table"
    assert hooks == [("expose_glue_table", {
        "region": REGION, "source_account": PRODUCER, "source_database": "glue_publish_environment_pub_db", "table": "mkt_sls_table",
        "target_account": CONSUMER, "target_database": "glue_subscribe_environment_sub_db"})]

    dz = world.subscriber.client("datazone")
    sub = dz.list_subscriptions(domainIdentifier=d, subscribedListingId=ids["GLUE_listing"], status="APPROVED")["items"][0]
    world.publisher.client("datazone").revoke_subscription(domainIdentifier=d, identifier=sub["id"])
    assert hooks[-1] == ("hide_glue_table", hooks[0][1])
    revoked = dz.get_subscription_grant(domainIdentifier=d, identifier=grant["id"])
    assert revoked["assets"][0]["status"] == "REVOKED"
    assert dz.get_subscription(domainIdentifier=d, identifier=sub["id"])["status"] == "REVOKED"


def test_redshift_grant_exposes_the_table_in_the_subscriber_schema(world: Walkthrough, hooks: list) -> None:
    ids = world.ids
    req = world.subscribe("Redshift_Subscribe_Project", "rs_sls_tbl")
    world.approve(req["id"])
    assert world.grants_of(ids["REDSHIFT_listing"])[0]["status"] == "COMPLETED"
    assert hooks == [("expose_redshift_table", {
        "region": REGION, "source_account": PRODUCER, "source_store": "producer-cluster", "source_database": "dev",
        "source_schema": "datazone_env_redshift_publish_environment", "table": "rs_sls_tbl", "target_account": CONSUMER,
        "target_store": "consumer-cluster", "target_database": "dev", "target_schema": "datazone_env_redshift_subscribe_environment"})]


def test_a_failing_hook_leaves_the_grant_failed_with_its_reason(world: Walkthrough, monkeypatch: pytest.MonkeyPatch) -> None:
    d, ids = world.ids["domain"], world.ids

    def broken(**_: Any) -> None:
        raise RuntimeError("Insufficient Lake Formation permission(s) on mkt_sls_table")

    monkeypatch.setattr(grants, "expose_glue_table", broken)
    monkeypatch.setattr(grants, "hide_glue_table", lambda **_: None)
    project = world.subscriber.client("datazone").create_project(domainIdentifier=d, name="Failing_Grant_Project")["id"]
    world.ids["Failing_Grant_Project"] = project
    env = world.create_environment(world.subscriber, "Failing_Grant_Project", "DefaultDataLake", "failing_grant_environment")
    req = world.subscribe("Failing_Grant_Project", "Market Sales")
    world.approve(req["id"])
    grant = next(g for g in world.grants_of(ids["GLUE_listing"]) if g["environmentId"] == env["id"])
    assert grant["status"] == "GRANT_FAILED"
    assert grant["assets"][0]["status"] == "GRANT_FAILED"
    assert grant["assets"][0]["failureCause"]["message"] == "Insufficient Lake Formation permission(s) on mkt_sls_table"


def test_environment_made_after_approval_needs_create_subscription_grant(world: Walkthrough, hooks: list) -> None:
    d, ids = world.ids["domain"], world.ids
    dz = world.subscriber.client("datazone")
    env = world.create_environment(world.subscriber, "Failing_Grant_Project", "DefaultDataLake", "late_environment")
    assert dz.list_subscription_grants(domainIdentifier=d, environmentId=env["id"])["items"] == []
    grant = dz.create_subscription_grant(domainIdentifier=d, environmentIdentifier=env["id"],
                                         grantedEntity={"listing": {"identifier": ids["GLUE_listing"], "revision": "1"}})
    assert grant["status"] == "PENDING"
    assert dz.get_subscription_grant(domainIdentifier=d, identifier=grant["id"])["status"] == "COMPLETED"
    assert hooks[-1][1]["target_database"] == "late_environment_sub_db"
    with pytest.raises(dz.exceptions.ConflictException):
        dz.create_subscription_grant(domainIdentifier=d, environmentIdentifier=env["id"],
                                     grantedEntity={"listing": {"identifier": ids["GLUE_listing"], "revision": "1"}})
    deleted = dz.delete_subscription_grant(domainIdentifier=d, identifier=grant["id"])
    assert deleted["assets"][0]["status"] == "REVOKE_IN_PROGRESS"
    assert hooks[-1][0] == "hide_glue_table"
    with pytest.raises(dz.exceptions.ResourceNotFoundException):
        dz.get_subscription_grant(domainIdentifier=d, identifier=grant["id"])


def test_deleting_an_environment_revokes_its_grants_and_drops_its_databases(world: Walkthrough, hooks: list) -> None:
    d = world.ids["domain"]
    dz = world.subscriber.client("datazone")
    env_id = world.ids["failing_grant_environment"]
    dz.delete_environment(domainIdentifier=d, identifier=env_id)
    with pytest.raises(dz.exceptions.ResourceNotFoundException):
        dz.get_environment(domainIdentifier=d, identifier=env_id)
    dbs = {db["Name"] for db in world.subscriber.client("glue").get_databases()["DatabaseList"]}
    assert "failing_grant_environment_sub_db" not in dbs and "glue_subscribe_environment_sub_db" in dbs
