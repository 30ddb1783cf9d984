"""The lab's own verdicts stop a run when the README's promises break, whatever runs the notebooks.

One offline lab, driven as a user does (``python -m lab_helpers run`` in a subprocess), broken on
purpose by the account administrators through plain boto3 calls, never by a switch in the product:

- **the consumer reads nothing it was not granted**: before 08, the administrators give the
  subscriber's environment role access to the producer's table outside DataZone (the producer's
  Lake Formation grant to the consumer account, a resource link in the subscriber's ``_sub_db``
  and the consumer's re-grant, what a subscription grant would do). 08 must fail on its refusal
  verdict, although every cell runs without an exception.
- **the data read equals the data published**: after 09, the publisher adds a row to each
  published table. 10 reads through the grants and must fail on its comparison with the sample.

Cleanup leaving nothing is 99's own verdict, run by ``tests/test_lab_rerun.py``.
"""

from __future__ import annotations

import pytest

from lab_helpers import datazone as dz
from lab_helpers import queries as q
from lab_helpers.offline import server
from tests.test_faults_and_security import (CONSUMER, PRODUCER, Lab, _account_admin, _env, _new_lab,  # noqa: F401
                                            assert_ok)  # _env: the same fixture (module scope)

SOURCE = {"Table": {"CatalogId": PRODUCER, "DatabaseName": "glue_publish_environment_pub_db", "Name": "mkt_sls_table"}}
READ = ["SELECT", "DESCRIBE"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, _env):
    """A lab run ``--to 07``: the subscriber's environments exist, nothing is requested yet."""
    lab = _new_lab(tmp_path_factory, "verdicts")
    try:
        assert_ok(lab.run("to-07", "--to", "07"))
        yield lab
    finally:
        server.stop(str(lab.work), lab.port)


def _subscriber_environment(lab: Lab) -> tuple[str, str]:
    """The subscriber's Glue environment: its user role ARN and its ``_sub_db``."""
    state = lab.state()
    env = lab.session("subscriber").client("datazone").get_environment(
        domainIdentifier=state["domain_id"], identifier=state["glue_subscribe_environment_id"])
    return dz.provisioned(env)["userRoleArn"], dz.glue_database(env, "Consumer")


def _lake_formation_admin(lab: Lab, account: str):  # type: ignore[no-untyped-def]
    """The account's administrator, made a data lake administrator (as one does before granting by hand)."""
    session = _account_admin(lab, account)
    lf = session.client("lakeformation")
    settings = lf.get_data_lake_settings()["DataLakeSettings"]
    me = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
    settings["DataLakeAdmins"] = [*settings.get("DataLakeAdmins", []), {"DataLakePrincipalIdentifier": me}]
    lf.put_data_lake_settings(DataLakeSettings=settings)
    return session


def _grant_outside_datazone(lab: Lab, undo: bool = False) -> None:
    """What a Glue subscription grant does, done (or undone) by the two administrators by hand."""
    role, sub_db = _subscriber_environment(lab)
    producer, consumer = _lake_formation_admin(lab, PRODUCER), _lake_formation_admin(lab, CONSUMER)
    link = {"Table": {"CatalogId": CONSUMER, "DatabaseName": sub_db, "Name": "mkt_sls_table"}}
    plf, clf, glue = producer.client("lakeformation"), consumer.client("lakeformation"), consumer.client("glue")
    if not undo:
        plf.grant_permissions(Principal={"DataLakePrincipalIdentifier": CONSUMER}, Resource=SOURCE,
                              Permissions=READ, PermissionsWithGrantOption=READ)
        glue.create_table(DatabaseName=sub_db, TableInput={"Name": "mkt_sls_table", "TargetTable": SOURCE["Table"]})
        clf.grant_permissions(Principal={"DataLakePrincipalIdentifier": role}, Resource=SOURCE, Permissions=READ)
        clf.grant_permissions(Principal={"DataLakePrincipalIdentifier": role}, Resource=link, Permissions=["DESCRIBE"])
        return
    clf.revoke_permissions(Principal={"DataLakePrincipalIdentifier": role}, Resource=link, Permissions=["DESCRIBE"])
    clf.revoke_permissions(Principal={"DataLakePrincipalIdentifier": role}, Resource=SOURCE, Permissions=READ)
    glue.delete_table(DatabaseName=sub_db, Name="mkt_sls_table")
    plf.revoke_permissions(Principal={"DataLakePrincipalIdentifier": CONSUMER}, Resource=SOURCE,
                           Permissions=READ, PermissionsWithGrantOption=READ)


def _subscriber_reads(lab: Lab) -> int:
    """Rows the subscriber's environment reads from ``mkt_sls_table`` in its ``_sub_db``."""
    state = lab.state()
    sub_dz = lab.session("subscriber").client("datazone")
    env = sub_dz.get_environment(domainIdentifier=state["domain_id"], identifier=state["glue_subscribe_environment_id"])
    session = dz.environment_session(sub_dz, state["domain_id"], env["id"], "us-east-1")
    sub_db = dz.glue_database(env, "Consumer")
    return len(q.athena_frame(session, f"SELECT * FROM {sub_db}.mkt_sls_table", sub_db, workgroup=dz.athena_workgroup(env)))


@pytest.fixture(scope="module")
def granted_early(lab):
    """Access granted by hand before any request; 08 run; the grant undone; 08 and 09 run again."""
    _grant_outside_datazone(lab)
    leaked = _subscriber_reads(lab)
    broken = lab.run("08-granted-early", "--only", "08")
    _grant_outside_datazone(lab, undo=True)
    with pytest.raises(q.QueryFailed):
        _subscriber_reads(lab)
    repaired = lab.run("08-09", "--from", "08", "--to", "09")
    return leaked, broken, repaired


def test_08_fails_when_the_consumer_reads_before_approval(granted_early):
    leaked, broken, repaired = granted_early
    assert leaked == 1000  # the break is real: the subscriber's role reads the producer's rows
    assert broken.code == 1, broken.text[-3000:]
    assert ("08_subscriber_request_access failed at cell 9: LabCheckFailed: Athena, subscribe database: the query "
            "returned rows although no subscription to the table is approved: the consumer reads data it was not "
            "granted.") in broken.err, broken.err[-3000:]
    assert "Traceback" not in broken.err
    assert_ok(repaired)  # with the hand-made grant gone, the same notebook passes


@pytest.fixture(scope="module")
def tampered(granted_early, lab):
    """After 09, the publisher adds a copy of one row to each published table; then 10 runs."""
    state = lab.state()
    publisher = lab.session("publisher")
    pub_dz = publisher.client("datazone")
    glue_env = pub_dz.get_environment(domainIdentifier=state["domain_id"], identifier=state["glue_publish_environment_id"])
    db = dz.glue_database(glue_env, "Producer")
    q.run_athena(dz.environment_session(pub_dz, state["domain_id"], glue_env["id"], "us-east-1"),
                 f"INSERT INTO {db}.mkt_sls_table SELECT * FROM {db}.mkt_sls_table LIMIT 1", db, None,
                 dz.athena_workgroup(glue_env))
    rs_env = pub_dz.get_environment(domainIdentifier=state["domain_id"], identifier=state["redshift_publish_environment_id"])
    table = f"{dz.redshift_schema(rs_env)}.rs_sls_tbl"
    q.run_redshift(publisher, f"INSERT INTO {table} SELECT * FROM {table} LIMIT 1", state["producer_cluster_id"], "dev",
                   state["producer_secret_arn"])
    return lab.run("10-tampered", "--only", "10")


def test_10_fails_when_the_data_read_is_not_the_data_published(tampered):
    assert tampered.code == 1, tampered.text[-3000:]
    assert "10_subscriber_query_data failed at cell" in tampered.err
    assert "LabCheckFailed: the data read is not the published sample: athena returned 1001 rows, the sample has 1000" \
        in tampered.err, tampered.err[-3000:]
    assert "redshift returned 1001 rows, the sample has 1000" in tampered.err
    assert "Traceback" not in tampered.err
