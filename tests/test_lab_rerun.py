"""The whole lab runs twice without cleanup and creates nothing twice; cleanup runs twice and leaves nothing.

Both with provisioned clusters (parameters/offline.yaml, the default) and on Redshift Serverless
(parameters/offline-serverless.yaml).
"""

from collections import Counter
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from lab_helpers.cli import main
from lab_helpers.config import make_config
from lab_helpers.datazone import paginate
from lab_helpers.inventory import lab_inventory
from lab_helpers.offline import server
from lab_helpers.offline.server import free_port
from lab_helpers.sessions import persona_session


PARAMETERS = Path(__file__).resolve().parent.parent / "parameters"


@pytest.fixture(params=["provisioned", "serverless"])
def lab(request, tmp_path, monkeypatch):
    port = free_port()
    monkeypatch.setenv("LAB_OFFLINE_PORT", str(port))
    monkeypatch.setenv("LAB_WORKDIR", str(tmp_path))
    yield make_config(offline_port=port, work_dir=str(tmp_path), redshift=request.param)
    server.stop(str(tmp_path), port)


def _datazone_names(config):
    """Every DataZone resource of the lab, by kind and name, counted straight from the API.

    The publisher sees the producer's projects, the subscriber the consumer's (project members).
    """
    admin = persona_session(config, "producer_admin").client("datazone")
    names = Counter()
    domains = [d for d in paginate(admin, "list_domains") if d["name"] == config.domain_name]
    names.update(("domain", d["name"]) for d in domains)
    for domain in domains:
        for persona in ("publisher", "subscriber"):
            dzc = persona_session(config, persona).client("datazone")
            for project in paginate(dzc, "list_projects", domainIdentifier=domain["id"]):
                names[("project", project["name"])] += 1
                for env in paginate(dzc, "list_environments", domainIdentifier=domain["id"], projectIdentifier=project["id"]):
                    names[("environment", env["name"])] += 1
                for profile in paginate(dzc, "list_environment_profiles", domainIdentifier=domain["id"],
                                        projectIdentifier=project["id"]):
                    names[("environment profile", profile["name"])] += 1
                for source in paginate(dzc, "list_data_sources", domainIdentifier=domain["id"], projectIdentifier=project["id"]):
                    names[("data source", source["name"])] += 1
            for request in paginate(dzc, "list_subscription_requests", domainIdentifier=domain["id"], status="ACCEPTED"):
                names[("subscription request", persona, request["subscribedListings"][0]["name"])] += 1
    return names


def _audit(config):
    """What 11's audit shows after a run: requests, grants, datashares, queries and CloudTrail activity."""
    from lab_helpers import audit
    from lab_helpers.state import LabState

    state = LabState(config.work_dir).load()
    publisher = persona_session(config, "publisher").client("datazone")
    projects = [state["glue_publish_project_id"], state["redshift_publish_project_id"]]
    listings = {state["glue_listing_id"]: "mkt_sls_table", state["redshift_listing_id"]: "rs_sls_tbl"}
    producer, consumer = (persona_session(config, p) for p in ("producer_admin", "consumer_admin"))
    return {
        "requests": audit.subscription_requests(publisher, state["domain_id"], projects,
                                                persona_session(config, "producer_admin").client("datazone"), listings),
        "grants": audit.subscription_grants(publisher, state["domain_id"], listings),
        "shares": audit.datashares(consumer),
        "queries": audit.athena_queries(consumer, listings.values()),
        "statements": audit.data_api_statements(persona_session(config, "subscriber"), listings.values()),
        "producer activity": audit.api_activity(producer),
        "consumer activity": audit.api_activity(consumer),
    }


def _redshift(config):
    """The lab's Redshift compute in both accounts, as the admins see it (the cluster or the workgroup, by name)."""
    found = []
    for persona in ("producer_admin", "consumer_admin"):
        session = persona_session(config, persona)
        try:
            if config.warehouse.serverless:
                found.append(session.client("redshift-serverless").get_workgroup(
                    workgroupName=config.redshift_workgroup)["workgroup"]["workgroupName"])
            else:
                found += [c["ClusterIdentifier"] for c in session.client("redshift").describe_clusters(
                    ClusterIdentifier=config.redshift_cluster)["Clusters"]]
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("ResourceNotFoundException", "ClusterNotFound"):
                raise
    return found


def test_lab_twice_then_cleanup_twice(lab, tmp_path, capsys):
    params = ["-f", str(PARAMETERS / ("offline-serverless.yaml" if lab.warehouse.serverless else "offline.yaml"))]
    assert main(["run", *params, "--to", "11", "--output", str(tmp_path / "first")]) == 0
    assert _redshift(lab) == [lab.warehouse.name] * 2  # the chosen compute, in each account
    first = _datazone_names(lab)
    assert first[("domain", lab.domain_name)] == 1
    assert first[("project", "Glue_Publish_Project")] == 1 and first[("environment", "redshift_subscribe_environment")] == 1
    once = _audit(lab)
    assert main(["run", *params, "--to", "11", "--output", str(tmp_path / "second")]) == 0
    second = _datazone_names(lab)
    assert second == first  # a re-run finds everything by name and creates nothing new
    assert all(count == 1 for count in second.values()), [k for k, c in second.items() if c != 1]
    assert len(second) >= 15

    # The audit after two runs: still one approved request and one completed grant per table, decided by the
    # publisher with its comment; the consumer account sees the datashare; the subscriber's queries of both runs.
    twice = _audit(lab)
    requests = twice["requests"]
    assert sorted(requests["asset"]) == ["mkt_sls_table", "rs_sls_tbl"] and set(requests["status"]) == {"ACCEPTED"}
    assert set(requests["requested by"]) == {"LabSubscriber"} and set(requests["decided by"]) == {"LabPublisher"}
    assert all(requests["decision comment"]) and all(requests["reason"])
    assert requests["decided at"].gt(requests["requested at"]).all()
    assert sorted(twice["grants"]["asset"]) == ["mkt_sls_table", "rs_sls_tbl"] and set(twice["grants"]["status"]) == {"COMPLETED"}
    assert list(twice["shares"][["direction", "status"]].itertuples(index=False, name=None)) == [("inbound", "ACTIVE")]
    ok = lambda frame, state: len(frame[frame["state"] == state])  # noqa: E731
    assert ok(twice["queries"], "SUCCEEDED") > ok(once["queries"], "SUCCEEDED") >= 1  # 10 ran again
    assert ok(twice["statements"], "FINISHED") > ok(once["statements"], "FINISHED") >= 1
    producer_events, consumer_events = twice["producer activity"], twice["consumer activity"]
    assert len(producer_events[producer_events["event"] == "AcceptSubscriptionRequest"]) == 2  # the re-run approves nothing
    assert {"CreateSubscriptionRequest", "StartQueryExecution", "ExecuteStatement"} <= set(consumer_events["event"])
    # each account sees the calls made to it: none of the consumer's Athena queries shows in the producer's trail
    assert producer_events["principal"].str.contains(f":{lab.producer_account_id}:").all()
    assert consumer_events["principal"].str.contains(f":{lab.consumer_account_id}:").all()

    assert main(["run", *params, "--only", "99", "--output", str(tmp_path / "cleanup1")]) == 0
    assert main(["run", *params, "--only", "99", "--output", str(tmp_path / "cleanup2")]) == 0
    assert _redshift(lab) == []
    assert not _datazone_names(lab)
    inventory = lab_inventory(lab)
    assert all(not items for items in inventory.values()), inventory
