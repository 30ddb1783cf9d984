"""A room: one producer, three consumer accounts (``parameters/offline-three-consumers.yaml``).

Driven as a workshop host does, ``python -m lab_helpers run`` in a subprocess:

- ``--to 07``: the producer's notebooks act for every consumer (prerequisites, association, users),
  03 and 07 run once per consumer;
- ``--from 08 --to 10 --consumer A B``: two consumers subscribe and read, the third does not;
- each subscriber reads exactly the published sample through its own grants; the third consumer's
  queries are refused in Lake Formation's and Redshift's words, and DataZone shows it no subscription;
- 99 leaves nothing in any of the four accounts.
"""

from __future__ import annotations

import json

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
    """The room's lab: every consumer through 07, then A and B through 10; C subscribes to nothing."""
    lab = _new_lab(tmp_path_factory, "room")
    try:
        assert_ok(lab.run("to-07", "-f", PARAMS, "--to", "07"))
        assert_ok(lab.run("a-b", "-f", PARAMS, "--from", "08", "--to", "10", "--consumer", A, B))
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


def test_cleanup_empties_every_consumer_account(room):
    assert_ok(room.run("99", "-f", PARAMS, "--only", "99"))
    said = room.cli("inventory", "--json", "-f", PARAMS)
    assert said.code == 0, said.err
    left = json.loads(said.out)
    labels = {f"producer ({PRODUCER})", *(f"consumer ({c})" for c in (A, B, C))}
    assert labels <= set(left), sorted(left)
    assert all(not items for items in left.values()), {k: v for k, v in left.items() if v}
