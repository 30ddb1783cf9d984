"""A room: one producer, three consumer accounts (``parameters/offline-three-consumers.yaml``).

Driven as a workshop host does, ``python -m lab_helpers run`` in a subprocess:

- ``--to 07``: the producer's notebooks act for every consumer (prerequisites, association, users),
  03 and 07 run once per consumer;
- ``--from 08 --to 11 --consumer A B``: two consumers subscribe and read, the third does not; the producer's
  administrator audits the room (11): one row per consumer account, A and B approved, granted and read, C nothing;
- each subscriber reads exactly the published sample through its own grants; the third consumer's
  queries are refused in Lake Formation's and Redshift's words, and DataZone shows it no subscription;
- 99 leaves nothing in any of the four accounts;
- a team that has not accepted the association yet does not stop 04 for the others: its subscriber is named,
  then added by a later run.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lab_helpers import datazone as dz
from lab_helpers import queries as q
from lab_helpers.config import make_config
from lab_helpers.offline import server
from lab_helpers.sessions import clear_cache, persona_session
from lab_helpers.state import LabState
from tests.test_faults_and_security import ROOT, Lab, _env, _new_lab, assert_ok  # noqa: F401  (_env: fixture)

PARAMS = str(ROOT / "parameters" / "offline-three-consumers.yaml")
PRODUCER = "111111111111"
A, B, C = "222222222222", "333333333333", "444444444444"


@pytest.fixture(scope="module")
def room(tmp_path_factory, _env):
    """The room's lab: every consumer through 07, then A and B through 10 and the audit; C subscribes to nothing."""
    lab = _new_lab(tmp_path_factory, "room")
    try:
        assert_ok(lab.run("to-07", "-f", PARAMS, "--to", "07"))
        assert_ok(lab.run("a-b", "-f", PARAMS, "--from", "08", "--to", "11", "--consumer", A, B))
        yield lab
    finally:
        server.stop(str(lab.work), lab.port)


def _config(lab: Lab, consumer: str):  # type: ignore[no-untyped-def]
    return make_config(offline_port=lab.port, work_dir=str(lab.work), consumer_account_ids=[A, B, C],
                       consumer_account_id=consumer)


def test_each_consumer_ran_its_own_notebooks(room):
    first, second = room.runs["to-07"], room.runs["a-b"]
    for consumer in (A, B, C):
        for stem in ("03_consumer_admin_accept_association", "07_subscriber_create_projects_and_environments"):
            assert (first / f"{stem}-{consumer}.ipynb").exists()
    assert sorted(p.name for p in second.glob("10_*.ipynb")) == [f"10_subscriber_query_data-{A}.ipynb",
                                                                  f"10_subscriber_query_data-{B}.ipynb"]
    assert not (first / "03_consumer_admin_accept_association.ipynb").exists()  # no run without a consumer


def test_each_subscriber_reads_what_it_subscribed_to(room):
    """Each consumer's 10 compared its reads with the published sample (its verdict); its own state says so."""
    for consumer in (A, B):
        state = LabState(room.work, _config(room, consumer).state_scope).load()
        assert state["query_rows"] == {"athena": 1000, "redshift": 1000}, consumer
        assert state["consumer_cluster_id"] and state["glue_subscribe_project_id"]
    assert LabState(room.work, C).get("query_rows") is None
    projects = {LabState(room.work, _config(room, c).state_scope).get("glue_subscribe_project_id") for c in (A, B, C)}
    assert len(projects) == 3  # each consumer team its own subscribe project


def test_a_consumer_that_did_not_subscribe_reads_nothing(room):
    """C's subscriber, in C's own environment and cluster, is refused in the engines' own words."""
    clear_cache()
    config = _config(room, C)
    state = LabState(room.work, config.state_scope).load()
    subscriber = persona_session(config, "subscriber")
    dzc = subscriber.client("datazone")
    domain_id = state["domain_id"]
    for project in ("glue_subscribe_project_id", "redshift_subscribe_project_id"):
        assert list(dz.paginate(dzc, "list_subscriptions", domainIdentifier=domain_id,
                                owningProjectId=state[project])) == []
    env = dzc.get_environment(domainIdentifier=domain_id, identifier=state["glue_subscribe_environment_id"])
    sub_db = dz.glue_database(env, "Consumer")
    env_session = dz.environment_session(dzc, domain_id, env["id"], "us-east-1")
    refusals = {
        "Athena, C's subscribe database": q.attempt(q.athena_frame, env_session, f"SELECT * FROM {sub_db}.mkt_sls_table",
                                                    sub_db, workgroup=dz.athena_workgroup(env))[1],
        "Athena, the producer's database": q.attempt(
            q.athena_frame, env_session, "SELECT * FROM glue_publish_environment_pub_db.mkt_sls_table", sub_db,
            workgroup=dz.athena_workgroup(env))[1],
        "Redshift": q.attempt(q.redshift_frame, subscriber,
                              'SELECT * FROM "dev"."datazone_env_redshift_subscribe_environment"."rs_sls_tbl"',
                              state["consumer_cluster_id"], state["redshift_database"], state["consumer_secret_arn"])[1],
    }
    for engine, error in refusals.items():
        assert error is not None, f"{engine}: C read data it never subscribed to"
        assert q.check_refused(engine, error).startswith(f"{engine}: refused as expected"), error


def _room_audit(lab: Lab):  # type: ignore[no-untyped-def]
    """What 11 shows the producer's administrator in the room, through the same functions."""
    from lab_helpers import audit

    clear_cache()
    config = _config(lab, A)
    state = LabState(lab.work).load()
    listings = {state["glue_listing_id"]: "mkt_sls_table", state["redshift_listing_id"]: "rs_sls_tbl"}
    projects = [state["glue_publish_project_id"], state["redshift_publish_project_id"]]
    publisher = persona_session(config, "publisher").client("datazone")
    requests = audit.subscription_requests(publisher, state["domain_id"], projects,
                                           persona_session(config, "producer_admin").client("datazone"), listings)
    subscriptions = audit.subscriptions(publisher, state["domain_id"], projects, listings, requests)
    grants = audit.subscription_grants(publisher, state["domain_id"], listings, subscriptions)
    admins = {c: persona_session(config.for_consumer(c), "consumer_admin") for c in (A, B, C)}
    subscribers = {c: persona_session(config.for_consumer(c), "subscriber") for c in (A, B, C)}
    queries = pd.concat([*(audit.athena_queries(s, listings.values()) for s in admins.values()),
                         *(audit.data_api_statements(s, listings.values()) for s in subscribers.values())],
                        ignore_index=True)
    return {"requests": requests, "subscriptions": subscriptions, "grants": grants, "queries": queries,
            "per account": audit.by_account(config.consumers, requests, grants, queries, [A, B, C])}


def test_the_audit_shows_each_consumer_account_of_the_room(room):
    """11 ran once, for the whole room, and passed its verdicts (C asked for nothing: shown empty, not failed).

    Its tables name the consumer account of each request, subscription, grant and query; the per-account
    table: A and B asked for, were approved, granted and read both tables; C has nothing.
    """
    ran = room.runs["a-b"] / "11_producer_admin_audit.ipynb"
    assert ran.exists() and not list(room.runs["a-b"].glob("11_*-*.ipynb"))  # once, not per consumer
    shown = ran.read_text()
    assert "each consumer account that asked (222222222222, 333333333333)" in shown
    assert "each consumer account that subscribed read both shared tables" in shown
    found = _room_audit(room)
    both = "mkt_sls_table, rs_sls_tbl"
    rows = {r["account"]: r for r in found["per account"].to_dict("records")}
    assert list(rows) == [A, B, C]
    for consumer in (A, B):
        assert (rows[consumer]["requested"], rows[consumer]["approved"], rows[consumer]["granted"],
                rows[consumer]["read"]) == (both, both, both, both), rows[consumer]
    assert (rows[C]["requested"], rows[C]["approved"], rows[C]["granted"], rows[C]["read"]) == ("", "", "", "")
    requests = found["requests"]
    assert sorted(requests["account"]) == [A, A, B, B] and set(requests["status"]) == {"ACCEPTED"}
    assert sorted(found["subscriptions"]["account"]) == [A, A, B, B]
    assert sorted(found["grants"]["account"]) == [A, A, B, B] and set(found["grants"]["status"]) == {"COMPLETED"}
    for consumer in (A, B):  # each account's history shows its own queries only
        mine = found["queries"][found["queries"]["account"] == consumer]
        assert set(mine["engine"]) == {"Athena", "Redshift Data API"}, consumer
    theirs = found["queries"][found["queries"]["account"] == C]  # only the refused attempts of the test above
    assert not theirs["state"].isin(["SUCCEEDED", "FINISHED"]).any(), theirs


def test_cleanup_empties_every_consumer_account(room):
    assert_ok(room.run("99", "-f", PARAMS, "--only", "99"))
    said = room.cli("inventory", "--json", "-f", PARAMS)
    assert said.code == 0, said.err
    left = json.loads(said.out)
    labels = {f"producer ({PRODUCER})", *(f"consumer ({c})" for c in (A, B, C))}
    assert labels <= set(left), sorted(left)
    assert all(not items for items in left.values()), {k: v for k, v in left.items() if v}


def test_a_team_that_has_not_accepted_yet_does_not_stop_the_others(tmp_path_factory, _env):
    """04 in a room adds the subscribers of the associated accounts and names the rest; a later run adds them.

    The first consumer (A, whose keys are the state file's top level) is the late one: neither 04's
    precondition nor its cell may wait for it while B has accepted.
    """
    lab = _new_lab(tmp_path_factory, "late-team")
    try:
        assert_ok(lab.run("to-02", "-f", PARAMS, "--to", "02"))
        assert_ok(lab.run("b-accepts", "-f", PARAMS, "--only", "03", "--consumer", B))
        assert_ok(lab.run("users", "-f", PARAMS, "--only", "04"))
        said = (lab.runs["users"] / "04_producer_admin_add_users.ipynb").read_text()
        assert f"not associated yet, so not added: {A}, {C}" in said
        def profiles():  # type: ignore[no-untyped-def]  (A, the first consumer, keeps the top level of the file)
            return {c: LabState(lab.work, None if c == A else c).get("subscriber_user_profile_id") for c in (A, B, C)}

        profile = profiles()
        assert profile[B] and not profile[A] and not profile[C]
        assert_ok(lab.run("a-c-accept", "-f", PARAMS, "--only", "03", "--consumer", A, C))
        assert_ok(lab.run("users-again", "-f", PARAMS, "--only", "04"))
        again = profiles()
        assert again[B] == profile[B] and again[A] and again[C] and len(set(again.values())) == 3
    finally:
        server.stop(str(lab.work), lab.port)
