"""The misuse catalogue's fault and security cases: nothing lost, nothing half-done, nothing leaked.

Each case drives the lab the way a user does, ``python -m lab_helpers ...`` in a subprocess
(exit code and the words on the terminal), and checks with ``python -m lab_helpers inventory --json``
that nothing was created where nothing should be and nothing lost where something should remain.

Two labs, each on its own port and work dir, carried from stage to stage by module-scoped fixtures
(a fixture chain, so any single test can be selected and still finds its stage):

- the fault lab: ``kill -9`` of the stand-in in the middle of notebook 05, ``offline start`` and
  resume; ``offline stop``/``start`` between notebooks; the state file deleted, then corrupt, in the
  middle of the lab; cleanup in the middle of the lab, then the whole lab again.
- the security lab: at ``--to 08`` (requests made, not approved) every direct route from the
  consumer account to the producer's data is refused, for the subscriber persona and for the
  subscriber's environment roles; after ``--from 09`` only the subscribed route reads; no secret
  value appears in any executed notebook of the whole run.

"Cleanup twice" is ``tests/test_lab_rerun.py::test_lab_twice_then_cleanup_twice``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lab_helpers import datazone as dz
from lab_helpers import queries as q
from lab_helpers.config import make_config
from lab_helpers.offline import server
from lab_helpers.sessions import clear_cache, persona_session

ROOT = Path(__file__).resolve().parent.parent
PRODUCER, CONSUMER = "111111111111", "222222222222"
P, C = f"producer ({PRODUCER})", f"consumer ({CONSUMER})"
DOMAIN = "Demo_cross_account_domain"
DOMAIN_ROLES = ("AmazonDataZoneGlueAccess-us-east-1-", "AmazonDataZoneRedshiftAccess-us-east-1-")

# What the inventory lists once the lab has run up to a notebook (the domain id is masked: ``dzd_*``).
AFTER_04 = {
    (P, "S3 bucket", f"datazone-lab-{PRODUCER}-us-east-1"), (P, "Redshift cluster", "datazone-lab-cluster"),
    (P, "Secrets Manager secret", "datazone-lab/redshift-admin"),
    (C, "S3 bucket", f"datazone-lab-{CONSUMER}-us-east-1"), (C, "Redshift cluster", "datazone-lab-cluster"),
    (C, "Secrets Manager secret", "datazone-lab/redshift-admin"),
    (P, "DataZone domain", DOMAIN), (P, "RAM resource share", f"DataZone-{DOMAIN}-dzd_*"),
    (P, "IAM role", "AmazonDataZoneDomainExecution"), (P, "IAM role", f"AmazonDataZoneProvisioning-{PRODUCER}"),
    (C, "IAM role", f"AmazonDataZoneProvisioning-{PRODUCER}"),
    *((side, "IAM role", f"{role}dzd_*") for side in (P, C) for role in DOMAIN_ROLES),
    *((side, "DataZone blueprint configuration", bp) for side in (P, C) for bp in ("DefaultDataLake", "DefaultDataWarehouse")),
}
AFTER_06 = AFTER_04 | {
    (P, "DataZone project", "Glue_Publish_Project"), (P, "DataZone project", "Redshift_Publish_Project"),
    (P, "DataZone environment", "Glue_Publish_Environment"), (P, "DataZone environment", "Redshift_Publish_Environment"),
    (P, "DataZone environment profile", "glue_publish-env-profile"),
    (P, "DataZone environment profile", "redshift_publish-env-profile"),
    (P, "Glue database", "glue_publish_environment_pub_db"), (P, "Glue database", "glue_publish_environment_sub_db"),
    (P, "Glue table", "glue_publish_environment_pub_db.mkt_sls_table"),
    (P, "Athena workgroup", "glue_publish_environment_wg"),
    (P, "IAM role (environment user role)", "datazone_usr_ of Glue_Publish_Environment"),
    (P, "IAM role (environment user role)", "datazone_usr_ of Redshift_Publish_Environment"),
    (P, "DataZone data source", "glue-publish-datasource"), (P, "DataZone data source", "rs-publish-datasource"),
    (P, "DataZone listing", "Market Sales Table"), (P, "DataZone listing", "Sales Table"),
    (P, "DataZone asset", "Market Sales Table"), (P, "DataZone asset", "Sales Table"),
}
AFTER_07 = AFTER_06 | {
    (C, "DataZone project", "Glue_Subscribe_Project"), (C, "DataZone project", "Redshift_Subscribe_Project"),
    (C, "DataZone environment", "glue_subscribe_environment"), (C, "DataZone environment", "redshift_subscribe_environment"),
    (C, "DataZone environment profile", "glue_subscribe-env-profile"),
    (C, "DataZone environment profile", "redshift_subscribe-env-profile"),
    (C, "Glue database", "glue_subscribe_environment_pub_db"), (C, "Glue database", "glue_subscribe_environment_sub_db"),
    (C, "Athena workgroup", "glue_subscribe_environment_wg"),
    (C, "IAM role (environment user role)", "datazone_usr_ of glue_subscribe_environment"),
    (C, "IAM role (environment user role)", "datazone_usr_ of redshift_subscribe_environment"),
}
AFTER_08 = AFTER_07 | {  # the subscriber's requests, pending until 09 approves them
    (C, "DataZone subscription request", "Market Sales Table"), (C, "DataZone subscription request", "Sales Table"),
}
AFTER_10 = AFTER_07 | {
    (C, "DataZone subscription", "Market Sales Table"), (C, "DataZone subscription", "Sales Table"),
    (C, "DataZone subscription grant", "Market Sales Table"), (C, "DataZone subscription grant", "Sales Table"),
    (C, "Glue table", "glue_subscribe_environment_sub_db.mkt_sls_table"),
}
EMPTY: dict[str, list] = {P: [], C: []}


# ------------------------------------------------------------------------------ a lab, driven as a user does
@dataclass
class Said:
    """One command: its exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class Lab:
    """A work dir and a port; ``cli`` runs ``python -m lab_helpers`` there as a subprocess."""

    work: Path
    port: int
    runs: dict[str, Path] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "_LAB_KIT_ENDPOINT", "AWS_PROFILE")}
        return {**env, "LAB_WORKDIR": str(self.work), "LAB_OFFLINE_PORT": str(self.port), "PYTHONPATH": str(ROOT)}

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "lab_helpers", *args]

    def cli(self, *args: str, timeout: float = 600) -> Said:
        done = subprocess.run(self.argv(*args), cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        return Said(done.returncode, done.stdout, done.stderr)

    def run(self, name: str, *selection: str) -> Said:
        """``run <selection> --output <work>/../runs/<name>``; the run folder is kept in ``runs[name]``."""
        self.runs[name] = self.work.parent / "runs" / name
        return self.cli("run", *selection, "--output", str(self.runs[name]))

    def inventory(self) -> dict[str, list[dict[str, str]]]:
        said = self.cli("inventory", "--json")
        assert said.code == 0, said.err
        return json.loads(said.out)  # stdout is only the JSON

    @property
    def config(self):  # type: ignore[no-untyped-def]
        return make_config(offline_port=self.port, work_dir=str(self.work))

    def state(self) -> dict[str, Any]:
        return json.loads((self.work / "lab_state.json").read_text())

    def session(self, persona: str):  # type: ignore[no-untyped-def]
        clear_cache()  # sessions from before a restart or a cleanup are not reused
        return persona_session(self.config, persona)


def _masked(name: str) -> str:
    return re.sub(r"dzd_[a-z0-9]+", "dzd_*", name)


def counts(inventory: dict[str, list[dict[str, str]]]) -> Counter:
    """How many times each (account, type, name) appears; an environment user role is named by its environment."""
    environments = {item["id"]: item["name"] for items in inventory.values() for item in items
                    if item["type"] == "DataZone environment"}

    def name(item: dict[str, str]) -> str:
        env_id = item["name"].removeprefix("datazone_usr_")
        if item["type"] == "IAM role (environment user role)" and env_id in environments:
            return f"datazone_usr_ of {environments[env_id]}"
        return _masked(item["name"])

    return Counter((account, item["type"], name(item)) for account, items in inventory.items() for item in items)


def ids(inventory: dict[str, list[dict[str, str]]]) -> dict[tuple[str, str, str], str]:
    return {(account, item["type"], item["name"]): item["id"] for account, items in inventory.items() for item in items}


def assert_exactly_once(inventory: dict[str, list[dict[str, str]]], expected: set[tuple[str, str, str]]) -> None:
    found = counts(inventory)
    twice = sorted(k for k, n in found.items() if n != 1)
    assert not twice, f"made more than once: {twice}"
    assert set(found) == expected, f"missing: {sorted(expected - set(found))}; unexpected: {sorted(set(found) - expected)}"


def assert_ok(said: Said) -> None:
    assert said.code == 0, said.text[-3000:]
    assert "FAILED" not in said.out and "Traceback" not in said.err, said.text[-3000:]


def _new_lab(tmp_path_factory: pytest.TempPathFactory, name: str) -> Lab:
    base = tmp_path_factory.mktemp(name)
    return Lab(base / "work", server.free_port())


@pytest.fixture(scope="module")
def _env():
    """The test process's own sessions set AWS_ENDPOINT_URL; put the environment back afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_ENDPOINT_URL", "_LAB_KIT_ENDPOINT"):
            patch.delenv(key, raising=False)
        yield patch
    clear_cache()


# ============================================================================== the fault lab
def _wait_for_cell(notebook: Path, marker: str, proc: subprocess.Popen, timeout: float = 240) -> None:
    """Until the executed copy of ``notebook`` shows the cell whose source has ``marker`` started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the run ended (code {proc.returncode}) before {notebook.name} reached {marker!r}: "
                                 f"{proc.communicate()[1][-3000:]}")
        try:
            cells = json.loads(notebook.read_text())["cells"]
        except (OSError, ValueError):  # not written yet, or being written
            cells = []
        if any(marker in "".join(c["source"]) and c["metadata"].get("papermill", {}).get("start_time") for c in cells):
            return
        time.sleep(0.05)
    raise AssertionError(f"{notebook.name} did not reach {marker!r} within {timeout} s")


def _notebook_error(notebook: Path) -> str:
    """``ename: evalue`` of the error output in ``notebook`` (as the runner reports it)."""
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"{output['ename']}: {output['evalue']}"
    raise AssertionError(f"{notebook.name} shows no error output")


@dataclass
class Crash:
    lab: Lab
    killed: Said
    pid: int
    started: Said
    resumed: Said
    inventory: dict[str, list[dict[str, str]]]


@pytest.fixture(scope="module")
def crashed(tmp_path_factory, _env):
    """Case 1's actions: ``run --to 05``; ``kill -9`` the stand-in while 05 creates its environments;
    ``offline start``; ``run --from 05 --to 06``."""
    lab = _new_lab(tmp_path_factory, "faults")
    out = lab.work.parent / "runs" / "killed"
    lab.runs["killed"] = out
    proc = subprocess.Popen(lab.argv("run", "--to", "05", "--output", str(out)), cwd=ROOT, env=lab.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_cell(out / "05_publisher_create_projects_and_environments.ipynb", "ensure_environments", proc)
        pid = server.status(lab.port).pid
        assert pid is not None, "no stand-in answers while 05 runs"
        os.kill(pid, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    killed = Said(proc.returncode, stdout, stderr)
    try:
        started = lab.cli("offline", "start")
        resumed = lab.run("resumed", "--from", "05", "--to", "06")
        yield Crash(lab, killed, pid, started, resumed, lab.inventory())
    finally:
        server.stop(str(lab.work), lab.port)


def test_kill_9_of_the_stand_in_in_the_middle_of_a_notebook(crashed):
    """The run names the notebook that failed, the stand-in that is gone and the resume command; ``offline start``
    restores the journal; resuming at that notebook completes it with nothing made twice."""
    lab, killed = crashed.lab, crashed.killed
    assert killed.code == 1, killed.text[-3000:]
    assert re.search(r"05_publisher_create_projects_and_environments\s+publisher\s+FAILED", killed.out), killed.out
    # What the notebook saw, as its partial copy shows it. Usually "Could not connect to the endpoint URL"; a kill
    # in the middle of a response gives another error (botocore accepts a body cut short), which the run reports too.
    seen = _notebook_error(lab.runs["killed"] / "05_publisher_create_projects_and_environments.ipynb")
    assert re.search(rf"05_publisher_create_projects_and_environments failed at cell \d+: {re.escape(seen)}\n",
                     killed.err), (seen, killed.err)
    assert f"the offline stand-in on port {lab.port} no longer answers" in killed.err  # and why, with the fix
    assert "python -m lab_helpers offline start -f " in killed.err
    assert re.search(r"resume with: python -m lab_helpers run -f \S+ --from 05 --to 05\n", killed.err), killed.err
    assert (lab.runs["killed"] / "05_publisher_create_projects_and_environments.ipynb").exists()  # partial notebook
    assert not (lab.runs["killed"] / "06_publisher_publish_assets.ipynb").exists()

    started = crashed.started
    assert started.code == 0, started.text
    assert re.search(r"restored the saved state: \d+ recorded request\(s\) replayed", started.out), started.out
    assert "answered differently" not in started.out, server.log_file(lab.work, lab.port).read_text()[-3000:]
    assert server.status(lab.port).pid not in (None, crashed.pid)

    assert_ok(crashed.resumed)
    assert_exactly_once(crashed.inventory, AFTER_06)


@dataclass
class Restart:
    lab: Lab
    stopped: Said
    started: Said
    state: dict[str, Any]
    resumed: Said
    before: dict[str, list[dict[str, str]]]
    after: dict[str, list[dict[str, str]]]


@pytest.fixture(scope="module")
def restarted(crashed):
    """Case 2's actions, after 06: ``offline stop``, ``offline start``, ``run --from 07 --to 07``."""
    lab = crashed.lab
    stopped = lab.cli("offline", "stop")
    started = lab.cli("offline", "start")
    state = lab.state()
    resumed = lab.run("after-restart", "--from", "07", "--to", "07")
    return Restart(lab, stopped, started, state, resumed, crashed.inventory, lab.inventory())


def test_restart_of_the_stand_in_between_notebooks(restarted):
    lab = restarted.lab
    assert restarted.stopped.code == 0, restarted.stopped.text
    assert f"stopped the offline stand-in on port {lab.port}" in restarted.stopped.out
    assert "'offline start' restores it" in restarted.stopped.out
    assert restarted.started.code == 0 and "restored the saved state" in restarted.started.out, restarted.started.text

    # every id lab_state.json holds still names the same thing
    state = restarted.state
    admin, publisher = lab.session("producer_admin").client("datazone"), lab.session("publisher").client("datazone")
    domain = state["domain_id"]
    assert admin.get_domain(identifier=domain)["name"] == DOMAIN
    for key, name in (("glue_publish_project_id", "Glue_Publish_Project"), ("redshift_publish_project_id", "Redshift_Publish_Project")):
        assert publisher.get_project(domainIdentifier=domain, identifier=state[key])["name"] == name
    for key, name in (("glue_publish_environment_id", "Glue_Publish_Environment"),
                      ("redshift_publish_environment_id", "Redshift_Publish_Environment")):
        assert publisher.get_environment(domainIdentifier=domain, identifier=state[key])["status"] == "ACTIVE"
        assert publisher.get_environment(domainIdentifier=domain, identifier=state[key])["name"] == name
    for key in ("glue_asset_id", "redshift_asset_id"):
        assert publisher.get_asset(domainIdentifier=domain, identifier=state[key])["id"] == state[key]
    for key in ("glue_listing_id", "redshift_listing_id"):
        assert publisher.get_listing(domainIdentifier=domain, identifier=state[key])["status"] == "ACTIVE"
    for key in ("publisher_user_profile_id", "subscriber_user_profile_id"):
        assert admin.get_user_profile(domainIdentifier=domain, userIdentifier=state[key])["status"] == "ACTIVATED"
    shares = lab.session("producer_admin").client("ram").get_resource_shares(
        resourceOwner="SELF", resourceShareArns=[state["resource_share_arn"]])["resourceShares"]
    assert [s["status"] for s in shares] == ["ACTIVE"]
    assert lab.session("publisher").client("secretsmanager").describe_secret(
        SecretId=state["producer_secret_arn"])["ARN"] == state["producer_secret_arn"]

    # and the lab goes on from where it was, creating only what 07 makes
    assert_ok(restarted.resumed)
    assert_exactly_once(restarted.after, AFTER_07)
    before, after = ids(restarted.before), ids(restarted.after)
    assert all(after[key] == value for key, value in before.items()), "an id changed across the restart"


@dataclass
class StateLost:
    lab: Lab
    before: dict[str, list[dict[str, str]]]
    missing: Said
    corrupt: Said
    after: dict[str, list[dict[str, str]]]
    asides: list[Path]


@pytest.fixture(scope="module")
def state_lost(restarted):
    """Case 5's actions, after 07: delete lab_state.json, ``run --from 08 --to 08``; then a corrupt state file and
    the lab again up to 08 (``run --to 08``), which finds everything by name."""
    lab = restarted.lab
    (lab.work / "lab_state.json").unlink()
    missing = lab.run("state-deleted", "--from", "08", "--to", "08")
    (lab.work / "lab_state.json").write_text('{"domain_id": "dzd_trunc')  # a torn write, say
    corrupt = lab.run("state-corrupt", "--to", "08")
    return StateLost(lab, restarted.after, missing, corrupt, lab.inventory(),
                     sorted(lab.work.glob("lab_state.json.corrupt-*")))


def test_state_file_deleted_or_corrupt_in_the_middle_of_the_lab(state_lost):
    lab, missing = state_lost.lab, state_lost.missing
    # deleted: the notebook's first cell names the earlier notebook to run again here, and how to resume;
    # nothing is created (the consumer's own steps must be in this machine's state: lab_helpers/steps.py)
    assert missing.code == 1, missing.text[-3000:]
    assert re.search(r"08_subscriber_request_access failed at cell \d+: PreconditionError: Run 00_lab_setup first "
                     r"\(then 03, 07\): this notebook needs the settings and prerequisites it records\.", missing.err), \
        missing.err
    assert "resume with: python -m lab_helpers run -f " in missing.err and "--from 08 --to 08" in missing.err

    # corrupt: set aside with a warning, and the lab run again up to 08 finds every resource again by name
    assert_ok(state_lost.corrupt)
    assert len(state_lost.asides) == 1 and state_lost.asides[0].read_text() == '{"domain_id": "dzd_trunc'
    setup = (lab.runs["state-corrupt"] / "00_lab_setup.ipynb").read_text()
    assert "is not valid JSON" in setup and "starting from an empty state" in setup
    assert_exactly_once(state_lost.after, AFTER_08)
    before, after = ids(state_lost.before), ids(state_lost.after)
    assert all(after[key] == value for key, value in before.items()), "a resource was made again instead of found"
    assert lab.state()["domain_id"] == next(i["id"] for i in state_lost.after[P] if i["type"] == "DataZone domain")


@dataclass
class CleanedMidway:
    lab: Lab
    cleanup: Said
    emptied: dict[str, list[dict[str, str]]]
    full: Said
    after: dict[str, list[dict[str, str]]]


@pytest.fixture(scope="module")
def cleaned_midway(state_lost):
    """Case 3's actions, after 08 (requests made, not approved): ``run --only 99``, then the whole lab ``run --to 10``."""
    lab = state_lost.lab
    cleanup = lab.run("cleanup-midway", "--only", "99")
    emptied = lab.inventory()
    full = lab.run("full", "--to", "10")
    return CleanedMidway(lab, cleanup, emptied, full, lab.inventory())


def test_cleanup_in_the_middle_of_the_lab_then_the_whole_lab(cleaned_midway):
    assert_ok(cleaned_midway.cleanup)
    assert cleaned_midway.emptied == EMPTY, cleaned_midway.emptied
    assert_ok(cleaned_midway.full)
    assert len(re.findall(r"\s+ok\s+[+\d]", cleaned_midway.full.out)) == 11
    assert_exactly_once(cleaned_midway.after, AFTER_10)  # the rest of the lab green, each resource once


# ============================================================================== the security lab
@pytest.fixture(scope="module")
def requested(tmp_path_factory, _env):
    """A lab run ``--to 08``: the subscriber has asked for both tables; nothing is approved."""
    lab = _new_lab(tmp_path_factory, "security")
    try:
        assert_ok(lab.run("to-08", "--to", "08"))
        yield lab
    finally:
        server.stop(str(lab.work), lab.port)


def _account_admin(lab: Lab, account: str):  # type: ignore[no-untyped-def]
    """The member account's administrator (the management account through OrganizationAccountAccessRole)."""
    from lab_helpers.sessions import OFFLINE_KEY, _assume, new_session

    lab.session("publisher")  # the stand-in runs
    base = new_session(aws_access_key_id=OFFLINE_KEY, aws_secret_access_key=OFFLINE_KEY, region_name="us-east-1")
    return _assume(base, f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", "test-admin", "us-east-1")


def _refusal(call) -> str:  # type: ignore[no-untyped-def]
    """What refusing ``call()`` said (``ALLOWED: ...`` when it was not refused)."""
    try:
        result = call()
    except ClientError as exc:
        error = exc.response["Error"]
        return f"{error.get('Code')}: {error.get('Message', '')}"
    except q.QueryFailed as exc:
        return f"FAILED: {exc}"
    if isinstance(result, dict) and "Id" in result and "Database" in result:  # a Redshift Data API statement
        return f"statement {result['Id']}"  # accepted: checked by the caller
    return f"ALLOWED: {str(result)[:300]}"


DENIED = re.compile(r"^(AccessDenied|AccessDeniedException): .*(not authorized|Access Denied)")


def direct_routes(lab: Lab) -> dict[str, dict[str, str]]:
    """Every direct route from the consumer account to the producer's data, tried by the subscriber persona and by
    the subscriber's environment roles; what each answered."""
    state = lab.state()
    domain = state["domain_id"]
    sub = lab.session("subscriber")
    sub_dz = sub.client("datazone")
    callers = {"subscriber": sub}
    for key in ("glue_subscribe_environment_id", "redshift_subscribe_environment_id"):
        callers[key.removesuffix("_id")] = dz.environment_session(sub_dz, domain, state[key], "us-east-1")
    glue_env = sub_dz.get_environment(domainIdentifier=domain, identifier=state["glue_subscribe_environment_id"])
    workgroup = dz.athena_workgroup(glue_env)

    producer_admin = _account_admin(lab, PRODUCER)
    bucket = state["producer_bucket"]
    publish_env = lab.session("publisher").client("datazone").get_environment(
        domainIdentifier=domain, identifier=state["glue_publish_environment_id"])
    prefix = dz.provisioned(publish_env)["s3BucketPath"].removeprefix(f"s3://{bucket}/")
    keys = [o["Key"] for o in producer_admin.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    assert keys, f"the producer's environment prefix {prefix} holds no object to try"
    roles = [f"arn:aws:iam::{PRODUCER}:role/{name}" for name in (
        "LabProducerAdmin", "LabPublisher", "OrganizationAccountAccessRole",
        f"datazone_usr_{state['glue_publish_environment_id']}", f"datazone_usr_{state['redshift_publish_environment_id']}")]

    answers: dict[str, dict[str, str]] = {}
    for caller, session in callers.items():
        s3, rsd = session.client("s3"), session.client("redshift-data")
        routes = {
            "s3 list bucket": lambda: s3.list_objects_v2(Bucket=bucket),
            "s3 list environment prefix": lambda: s3.list_objects_v2(Bucket=bucket, Prefix=prefix),
            "s3 get object": lambda: s3.get_object(Bucket=bucket, Key=keys[0]),
            "glue get_table": lambda: session.client("glue").get_table(
                CatalogId=PRODUCER, DatabaseName="glue_publish_environment_pub_db", Name="mkt_sls_table"),
            "athena producer table": lambda: q.run_athena(
                session, "SELECT * FROM glue_publish_environment_pub_db.mkt_sls_table", "glue_publish_environment_pub_db",
                None, workgroup=workgroup, timeout=60),
            "redshift data api": lambda: rsd.execute_statement(
                ClusterIdentifier=state["producer_cluster_id"], Database="dev", SecretArn=state["producer_secret_arn"],
                Sql='SELECT * FROM "dev"."datazone_env_redshift_publish_environment"."rs_sls_tbl"'),
            "secret value": lambda: session.client("secretsmanager").get_secret_value(SecretId=state["producer_secret_arn"]),
            **{f"assume {role.rsplit('/', 1)[1]}": (lambda role=role: session.client("sts").assume_role(
                RoleArn=role, RoleSessionName="cross-account-try")) for role in roles},
        }
        answers[caller] = {route: _refusal(call) for route, call in routes.items()}
        for route, answer in answers[caller].items():
            if answer.startswith("statement "):  # the Data API took it: the statement itself must fail
                described = rsd.describe_statement(Id=answer.split()[1])
                assert described["Status"] == "FAILED", f"{caller}: {route} ran: {described}"
                answers[caller][route] = f"FAILED: {described.get('Error', '')}"
    return answers


def assert_all_refused(answers: dict[str, dict[str, str]]) -> None:
    allowed = [f"{caller}: {route}" for caller, routes in answers.items() for route, a in routes.items() if a.startswith("ALLOWED")]
    assert not allowed, f"routes to the producer's data that were not refused: {allowed}"
    for caller, routes in answers.items():
        for route, answer in routes.items():
            if route.startswith("athena"):
                assert (DENIED.match(answer) or re.match(r"FAILED: .*(SCHEMA_NOT_FOUND|TABLE_NOT_FOUND|Lake Formation)", answer)), \
                    f"{caller}: {route}: {answer}"
            elif route == "redshift data api":
                assert DENIED.match(answer) or answer.startswith("FAILED: "), f"{caller}: {route}: {answer}"
            else:
                assert DENIED.match(answer), f"{caller}: {route}: {answer}"


def _sub_db_rows(lab: Lab) -> int:
    """Rows the subscriber's environment reads through its own ``_sub_db`` (the subscribed route)."""
    state = lab.state()
    sub_dz = lab.session("subscriber").client("datazone")
    env = sub_dz.get_environment(domainIdentifier=state["domain_id"], identifier=state["glue_subscribe_environment_id"])
    session = dz.environment_session(sub_dz, state["domain_id"], env["id"], "us-east-1")
    sub_db = dz.glue_database(env, "Consumer")
    frame = q.athena_frame(session, f"SELECT * FROM {sub_db}.mkt_sls_table", sub_db, workgroup=dz.athena_workgroup(env))
    return len(frame)


def test_before_the_grant_every_route_to_the_producers_data_is_refused(requested):
    lab = requested
    requests = lab.session("subscriber").client("datazone").list_subscription_requests(
        domainIdentifier=lab.state()["domain_id"], status="PENDING")["items"]
    assert len(requests) == 2, "the lab is not at 'requested, not approved'"
    before = lab.inventory()
    assert_exactly_once(before, AFTER_08)

    answers = direct_routes(lab)
    assert set(answers) == {"subscriber", "glue_subscribe_environment", "redshift_subscribe_environment"}
    assert_all_refused(answers)
    with pytest.raises(q.QueryFailed, match="TABLE_NOT_FOUND|does not exist|Lake Formation"):
        _sub_db_rows(lab)  # and the subscribed route gives nothing yet
    assert lab.inventory() == before  # the attempts created nothing


@pytest.fixture(scope="module")
def granted(requested):
    """The same lab, ``run --from 09 --to 10``: the requests approved, the subscriber reads."""
    assert_ok(requested.run("from-09", "--from", "09", "--to", "10"))
    return requested


def test_after_the_grant_only_the_subscribed_route_reads(granted):
    lab = granted
    assert _sub_db_rows(lab) == 1000  # sample_rows of parameters/offline.yaml
    assert_all_refused(direct_routes(lab))  # every direct route stays closed
    assert_exactly_once(lab.inventory(), AFTER_10)


SECRET_WORDS = re.compile(r"(?i)aws_secret_access_key|secretaccesskey|secret_access_key|session_?token|FQoGZXIvYXdzE")


def test_no_secret_value_in_any_executed_notebook(granted):
    """The Redshift admin passwords (and whole secret strings) and any AWS secret key or session token appear in no
    executed notebook of the whole run (00-10 and 99): outputs, metadata, papermill parameters; nor in kernels.log."""
    lab = granted
    values = []
    for account in (PRODUCER, CONSUMER):
        secret = _account_admin(lab, account).client("secretsmanager").get_secret_value(
            SecretId=lab.config.redshift_secret)["SecretString"]
        values += [secret, json.dumps(secret)[1:-1], json.loads(secret)["password"]]
    assert all(len(v) >= 12 for v in values)
    assert_ok(lab.run("cleanup", "--only", "99"))
    assert lab.inventory() == EMPTY

    files = [f for name in ("to-08", "from-09", "cleanup") for f in sorted(lab.runs[name].iterdir())]
    notebooks = [f for f in files if f.suffix == ".ipynb"]
    assert len(notebooks) == 12, [f.name for f in notebooks]
    for path in files:
        text = path.read_text(errors="replace")
        for value in values:
            assert value not in text, f"{path.name} holds a Redshift admin secret value"
        found = SECRET_WORDS.search(text)
        assert not found, f"{path.name} holds {found.group(0)!r}: {text[max(0, found.start() - 200):found.end() + 200]}"
    for path in notebooks:
        parameters = json.loads(path.read_text())["metadata"]["papermill"]["parameters"]
        assert not [k for k in parameters if re.search(r"(?i)secret|password|token|key", k)], parameters
