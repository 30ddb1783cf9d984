"""The stand-in keeps its state: stop/start and kill -9 lose nothing; --fresh starts empty."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lab_helpers.cli import main
from lab_helpers.offline import persistence, server
from lab_helpers.offline.server import free_port

MEMBER = "111111111111"
REGION = "us-east-1"
TRUST_DATAZONE = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "datazone.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]})
TRUST_ACCOUNT = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:root"}, "Action": "sts:AssumeRole"}]})


def _session(creds: dict[str, str] | None = None) -> boto3.Session:
    if creds is None:
        return boto3.Session(aws_access_key_id="offline", aws_secret_access_key="offline", region_name=REGION)
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def _client(session: boto3.Session, service: str, port: int) -> Any:
    return session.client(service, endpoint_url=f"http://127.0.0.1:{port}", config=Config(retries={"max_attempts": 1}))


def _admin_creds(port: int) -> dict[str, str]:
    sts = _client(_session(), "sts", port)
    return sts.assume_role(RoleArn=f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole",
                           RoleSessionName="account-admin")["Credentials"]


def _athena_run(athena: Any, sql: str, database: str, output: str) -> dict[str, Any]:
    qid = athena.start_query_execution(QueryString=sql, QueryExecutionContext={"Database": database},
                                       ResultConfiguration={"OutputLocation": output})["QueryExecutionId"]
    for _ in range(400):
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        time.sleep(0.05)
    raise AssertionError(f"query {qid} did not finish")


def build_state(port: int) -> dict[str, Any]:
    """Create things across services as a member account's administrator; return their ids."""
    creds = _admin_creds(port)
    admin = _session(creds)
    c = lambda service: _client(admin, service, port)  # noqa: E731
    ids: dict[str, Any] = {"creds": creds}
    ids["role"] = c("iam").create_role(RoleName="persisted-role", AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["RoleId"]
    ids["persona_creds"] = c("sts").assume_role(RoleArn=f"arn:aws:iam::{MEMBER}:role/persisted-role",
                                                RoleSessionName="persona")["Credentials"]
    bucket = f"persist-{MEMBER}"
    c("s3").create_bucket(Bucket=bucket)
    c("s3").put_object(Bucket=bucket, Key="raw/data.csv", Body=b"a,b\n1,x\n2,y\n")
    ids["etag"] = c("s3").head_object(Bucket=bucket, Key="raw/data.csv")["ETag"]
    execution_role = c("iam").create_role(RoleName="DzExec", AssumeRolePolicyDocument=TRUST_DATAZONE)["Role"]["Arn"]
    dz = c("datazone")
    domain = dz.create_domain(name="persisted_domain", domainExecutionRole=execution_role, domainVersion="V1")
    ids["domain"] = domain["id"]
    ids["project"] = dz.create_project(domainIdentifier=domain["id"], name="persisted_project")["id"]
    c("glue").create_database(DatabaseInput={"Name": "persist_db"})
    execution = _athena_run(c("athena"), f"CREATE TABLE ctas_t WITH (format='PARQUET', external_location='s3://{bucket}/ctas/') "
                            "AS SELECT 1 AS a, 'one' AS b UNION ALL SELECT 2, 'two'", "persist_db", f"s3://{bucket}/athena/")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"].get("StateChangeReason")
    ids["ctas_query"] = execution["QueryExecutionId"]
    c("redshift").create_cluster(ClusterIdentifier="persist-rs", NodeType="ra3.xlplus", ClusterType="single-node",
                                 MasterUsername="awsuser", MasterUserPassword="Passw0rd-lab", DBName="dev", Encrypted=True)
    secret = c("secretsmanager").create_secret(Name="persist-admin", SecretString='{"username": "awsuser", "password": "Passw0rd-lab"}')
    ids["secret"] = secret["ARN"]
    rsd = c("redshift-data")
    for sql in ("CREATE TABLE kept (id INT, name VARCHAR(10))", "INSERT INTO kept VALUES (1, 'a'), (2, 'b')"):
        statement = rsd.execute_statement(ClusterIdentifier="persist-rs", Database="dev", SecretArn=secret["ARN"], Sql=sql)
        assert rsd.describe_statement(Id=statement["Id"])["Status"] == "FINISHED"
    return ids


def check_state(port: int, ids: dict[str, Any]) -> None:
    """Everything :func:`build_state` made is there, with the same ids; old credentials still work."""
    admin = _session(ids["creds"])  # obtained before the restart
    c = lambda service: _client(admin, service, port)  # noqa: E731
    assert c("sts").get_caller_identity()["Account"] == MEMBER
    assert c("iam").get_role(RoleName="persisted-role")["Role"]["RoleId"] == ids["role"]
    persona = _client(_session(ids["persona_creds"]), "sts", port).get_caller_identity()
    assert persona["Arn"] == f"arn:aws:sts::{MEMBER}:assumed-role/persisted-role/persona"
    bucket = f"persist-{MEMBER}"
    obj = c("s3").get_object(Bucket=bucket, Key="raw/data.csv")
    assert obj["Body"].read() == b"a,b\n1,x\n2,y\n" and obj["ETag"] == ids["etag"]
    dz = c("datazone")
    assert dz.get_domain(identifier=ids["domain"])["status"] == "AVAILABLE"
    assert dz.get_project(domainIdentifier=ids["domain"], identifier=ids["project"])["name"] == "persisted_project"
    athena = c("athena")
    assert athena.get_query_execution(QueryExecutionId=ids["ctas_query"])["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    assert c("glue").get_table(DatabaseName="persist_db", Name="ctas_t")["Table"]["StorageDescriptor"]["Location"] == f"s3://{bucket}/ctas/"
    rows = _athena_run(athena, "SELECT SUM(a) AS s FROM ctas_t", "persist_db", f"s3://{bucket}/athena/")
    result = athena.get_query_results(QueryExecutionId=rows["QueryExecutionId"])["ResultSet"]["Rows"]
    assert result[1]["Data"][0]["VarCharValue"] == "3"
    rsd = c("redshift-data")
    statement = rsd.execute_statement(ClusterIdentifier="persist-rs", Database="dev", SecretArn=ids["secret"],
                                      Sql="SELECT id, name FROM kept ORDER BY id")
    records = rsd.get_statement_result(Id=statement["Id"])["Records"]
    assert [(row[0]["longValue"], row[1]["stringValue"]) for row in records] == [(1, "a"), (2, "b")]


@pytest.fixture()
def stand_in(tmp_path: Path):
    port = free_port()
    work = str(tmp_path)
    yield port, work
    server.stop(work, port)


def _restarted_output(capsys: pytest.CaptureFixture[str], port: int, work: str, *extra: str) -> str:
    assert main(["offline", "start", "--port", str(port), "--work-dir", work, *extra]) == 0
    return capsys.readouterr().out


def test_state_survives_stop_and_start(stand_in, capsys) -> None:
    port, work = stand_in
    server.start(work, port)
    ids = build_state(port)
    saved = persistence.saved_requests(work)
    assert saved > 10
    assert main(["offline", "stop", "--port", str(port), "--work-dir", work]) == 0
    out = _restarted_output(capsys, port, work)
    assert f"{saved} recorded request(s) replayed" in out
    assert "answered differently" not in out, server.log_file(work, port).read_text()[-3000:]
    check_state(port, ids)


def test_state_survives_kill_9_and_a_torn_last_line(stand_in, capsys) -> None:
    port, work = stand_in
    status, _ = server.start(work, port)
    ids = build_state(port)
    os.kill(status.pid, signal.SIGKILL)
    for _ in range(100):
        if not server.status(port).answering:
            break
        time.sleep(0.05)
    journal = persistence.journal_path(work)
    with open(journal, "ab") as file:  # a crash in the middle of writing one more line
        file.write(b'{"n": 999, "status": 200, "environ": {"REQUEST_METH')
    out = _restarted_output(capsys, port, work)
    assert "recorded request(s) replayed" in out
    check_state(port, ids)
    assert journal.read_bytes().endswith(b"\n"), "the torn line is cut off before new lines are appended"
    # the restored stand-in keeps recording: a new object survives the next restart too
    admin = _session(ids["creds"])
    _client(admin, "s3", port).put_object(Bucket=f"persist-{MEMBER}", Key="after.txt", Body=b"later")
    server.stop(work, port)
    server.start(work, port)
    assert _client(admin, "s3", port).get_object(Bucket=f"persist-{MEMBER}", Key="after.txt")["Body"].read() == b"later"


def test_cloudtrail_history_survives_a_restart_once_and_fresh_forgets_it(stand_in, capsys) -> None:
    """The event history is kept next to the journal; the replay records nothing again; --fresh forgets it."""
    port, work = stand_in
    server.start(work, port)
    admin = _session(_admin_creds(port))
    _client(admin, "glue", port).create_database(DatabaseInput={"Name": "trail_kept"})

    def created() -> list[str]:
        trail = _client(_session(_admin_creds(port)), "cloudtrail", port)
        events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateDatabase"}])
        return [json.loads(e["CloudTrailEvent"])["requestParameters"]["databaseInput"]["name"] for e in events["Events"]]

    assert created() == ["trail_kept"]
    server.stop(work, port)
    assert "replayed" in _restarted_output(capsys, port, work)
    assert created() == ["trail_kept"]  # kept, and not recorded a second time by the replay
    server.stop(work, port)
    _restarted_output(capsys, port, work, "--fresh")
    assert created() == []


def test_fresh_and_reset_start_empty(stand_in, capsys) -> None:
    port, work = stand_in
    server.start(work, port)
    creds = _admin_creds(port)
    _client(_session(creds), "s3", port).create_bucket(Bucket="fresh-check")
    assert main(["offline", "start", "--fresh", "--port", str(port), "--work-dir", work]) == 1  # refused while running
    assert "stop it first" in capsys.readouterr().err
    server.stop(work, port)
    out = _restarted_output(capsys, port, work, "--fresh")
    assert "started empty" in out
    with pytest.raises(ClientError) as gone:  # the member account's admin keys are gone with the state
        _client(_session(creds), "s3", port).head_bucket(Bucket="fresh-check")
    # 404 (the stand-in maps unknown keys to its default account, where no such bucket is) or AWS's 403
    assert gone.value.response["Error"]["Code"] in ("403", "404", "InvalidAccessKeyId")
    _client(_session(_admin_creds(port)), "s3", port).create_bucket(Bucket="fresh-check")
    assert main(["offline", "reset", "--port", str(port), "--work-dir", work]) == 0
    assert "discarded the saved state" in capsys.readouterr().out
    assert not server.status(port).answering
    assert "started empty" in _restarted_output(capsys, port, work)


# ------------------------------------------------------------------------------ unit rules


def _environ(method: str, path: str = "/", target: str | None = None, query: str = "", content_type: str = "") -> dict[str, Any]:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "CONTENT_TYPE": content_type}
    if target:
        environ["HTTP_X_AMZ_TARGET"] = target
    return environ


@pytest.mark.parametrize(("environ", "body", "recorded"), [
    (_environ("POST", target="AmazonAthena.StartQueryExecution"), b"{}", True),
    (_environ("POST", target="AmazonAthena.GetQueryResults"), b"{}", False),
    (_environ("POST", content_type="application/x-www-form-urlencoded"), b"Action=AssumeRole&Version=2011-06-15", True),
    (_environ("POST", content_type="application/x-www-form-urlencoded"), b"Action=GetCallerIdentity", False),
    (_environ("POST", content_type="application/x-www-form-urlencoded"), b"Action=GetSessionToken", True),
    (_environ("GET", "/v2/domains/dzd_x/projects/p"), b"", False),
    (_environ("GET", "/v2/domains/dzd_x/environments/e1/credentials"), b"", True),
    (_environ("POST", "/v2/domains/dzd_x/search"), b"{}", False),
    (_environ("POST", "/v2/domains/dzd_x/projects"), b"{}", True),
    (_environ("POST", "/ListPermissions"), b"{}", False),
    (_environ("POST", "/GrantPermissions"), b"{}", True),
    (_environ("PUT", "/bucket/key"), b"data", True),
    (_environ("DELETE", "/bucket/key"), b"", True),
    (_environ("GET", "/bucket/key"), b"", False),
    (_environ("POST", "/moto-api/recorder/start-recording"), b"", False),
])
def test_which_requests_are_recorded(environ, body, recorded) -> None:
    assert persistence.changes_state(environ, body) is recorded


def test_a_torn_last_line_is_dropped(tmp_path: Path) -> None:
    journal = tmp_path / "requests.jsonl"
    journal.write_bytes(b'{"n": 0}\n{"n": 1}\n{"n": 2, "env')
    entries, torn = persistence._load(journal)
    assert [e["n"] for e in entries] == [0, 1] and torn
    assert journal.read_bytes() == b'{"n": 0}\n{"n": 1}\n'


def test_a_request_that_now_answers_otherwise_does_not_stop_the_restore(stand_in, capsys) -> None:
    port, work = stand_in
    server.start(work, port)
    s3 = _client(_session(_admin_creds(port)), "s3", port)
    s3.create_bucket(Bucket="first")
    s3.put_object(Bucket="first", Key="k", Body=b"v")
    server.stop(work, port)
    journal = persistence.journal_path(work)
    lines = journal.read_bytes().splitlines(keepends=True)
    bogus = json.loads(lines[-1])
    bogus["environ"]["PATH_INFO"] = bogus["environ"]["RAW_URI"] = bogus["environ"]["REQUEST_URI"] = "/no-such-bucket/k"
    broken = {"n": bogus["n"], "status": 200, "environ": {"REQUEST_METHOD": "POST"}, "body": "%%not base64"}
    journal.write_bytes(b"".join(lines[:-1]) + (json.dumps(bogus) + "\n").encode() + (json.dumps(broken) + "\n").encode() + lines[-1])
    out = _restarted_output(capsys, port, work)
    assert "2 answered differently than before" in out
    log = server.log_file(work, port).read_text()
    assert "/no-such-bucket/k" in log and "answered 404, recorded 200" in log
    assert s3.get_object(Bucket="first", Key="k")["Body"].read() == b"v"
