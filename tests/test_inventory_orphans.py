"""The inventory finds orphans (resources whose parent was deleted first) and cleanup removes them.

A lab run to 10 offline (private work dir and port). Its stand-in journal and state file are
kept in a cache folder (``$LAB_TEST_CACHE``, default ``<tmp>/lab-kit-test-cache``), keyed by the notebooks and ``lab_helpers`` (the inventory and cleanup
excluded, so a planted bug in them reuses the run): each test restores that lab in a fresh
work dir, where the stand-in replays the journal.

Orphans are made the way a user makes them: a project deleted with ``skipDeletionCheck``
(DataZone deletes its environments, assets and listings, revokes its grants, and leaves what
the environments' stacks made: Glue databases, the Athena workgroup, the user role), the
state file deleted, and a second set of accounts in ``accounts_used`` holding leftovers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab_helpers import cleanup
from lab_helpers.cli import main
from lab_helpers.config import LabConfig, make_config
from lab_helpers.inventory import accounts_inventory, format_inventory, lab_inventory
from lab_helpers.offline import server
from lab_helpers.offline.persistence import journal_path
from lab_helpers.offline.server import free_port
from lab_helpers.sessions import clear_cache, persona_session
from lab_helpers.state import STATE_FILE, LabState

ROOT = Path(__file__).resolve().parent.parent
PRODUCER, CONSUMER = "111111111111", "222222222222"
OTHER_PRODUCER, OTHER_CONSUMER = "333333333333", "444444444444"
P, C = f"producer ({PRODUCER})", f"consumer ({CONSUMER})"
OP = f"producer ({OTHER_PRODUCER})"
PERSONAS = ("producer_admin", "publisher", "consumer_admin", "subscriber")
NOT_KEYED = {"cleanup.py", "inventory.py"}


def _lab_key() -> str:
    digest = hashlib.sha256()
    files = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "lab_helpers").rglob("*.py")) + sorted(
        (ROOT / "lab_helpers" / "policies").glob("*.json")) + sorted((ROOT / "parameters").glob("*.yaml"))
    for path in files:
        if path.name not in NOT_KEYED:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def lab_at_10(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``lab_state.json`` and the stand-in journal of a whole lab run (cached)."""
    saved = Path(os.environ.get("LAB_TEST_CACHE", Path(tempfile.gettempdir()) / "lab-kit-test-cache")) / f"lab-at-10-{_lab_key()}"
    saved.mkdir(parents=True, exist_ok=True)
    if (saved / "requests.jsonl").is_file() and (saved / STATE_FILE).is_file():
        return saved
    work, port = tmp_path_factory.mktemp("lab-run"), free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAB_WORKDIR", str(work))
        patch.setenv("LAB_OFFLINE_PORT", str(port))
        try:
            assert main(["run", "--to", "10", "--output", str(work.parent / f"{work.name}-runs")]) == 0
        finally:
            server.stop(str(work), port)
            clear_cache()
    shutil.copy(journal_path(work), saved / "requests.jsonl")
    shutil.copy(work / STATE_FILE, saved / STATE_FILE)
    return saved


@pytest.fixture
def lab(lab_at_10: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LabConfig]:
    """The lab at 10, restored in a fresh work dir on a free port."""
    work, port = tmp_path / "work", free_port()
    journal_path(work).parent.mkdir(parents=True)
    shutil.copy(lab_at_10 / "requests.jsonl", journal_path(work))
    shutil.copy(lab_at_10 / STATE_FILE, work / STATE_FILE)
    monkeypatch.setenv("LAB_WORKDIR", str(work))
    monkeypatch.setenv("LAB_OFFLINE_PORT", str(port))
    clear_cache()
    config = make_config(offline_port=port, work_dir=str(work))
    LabState(work).record_accounts(config)
    yield config
    server.stop(str(work), port)
    clear_cache()


def _sessions(config: LabConfig) -> dict:
    return {p: persona_session(config, p) for p in PERSONAS}


def _kinds(inventory: dict[str, list[dict[str, str]]]) -> set[tuple[str, str, str]]:
    return {(account, item["type"], item["name"]) for account, items in inventory.items() for item in items}


def _project(config: LabConfig, persona: str, name: str) -> tuple[str, dict]:
    from lab_helpers import datazone as dz

    dzc = persona_session(config, persona).client("datazone")
    domain_id = dz.find_domain(persona_session(config, "producer_admin").client("datazone"), config.domain_name)["id"]
    return domain_id, dz.find_project(dzc, domain_id, name)


def _environment_role(config: LabConfig, persona: str, project: str, environment: str) -> str:
    from lab_helpers import datazone as dz

    domain_id, found = _project(config, persona, project)
    dzc = persona_session(config, persona).client("datazone")
    return f"datazone_usr_{dz.find_environment(dzc, domain_id, found['id'], environment)['id']}"


def _leftovers_in_other_accounts(config: LabConfig) -> LabConfig:
    """A second set of accounts the lab used: an environment's Glue database and workgroup are left there."""
    import dataclasses

    other = dataclasses.replace(config, producer_account_id=OTHER_PRODUCER, consumer_account_id=OTHER_CONSUMER)
    for persona in PERSONAS:  # the other accounts' persona roles, as 00 makes them there
        persona_session(other, persona)
    from lab_helpers.sessions import OFFLINE_KEY, _account_admin, new_session

    base = new_session(aws_access_key_id=OFFLINE_KEY, aws_secret_access_key=OFFLINE_KEY, region_name=other.region)
    root = _account_admin(base, other, "producer_admin")  # DataZone's stack acts as the account, not as a persona
    root.client("glue").create_database(DatabaseInput={"Name": "glue_publish_environment_pub_db"})
    root.client("athena").create_work_group(Name="glue_publish_environment_wg")
    return other


def test_orphans_are_listed_by_kind_and_cleanup_removes_them(lab: LabConfig):
    publisher = persona_session(lab, "publisher").client("datazone")
    subscriber = persona_session(lab, "subscriber").client("datazone")
    glue_role = _environment_role(lab, "publisher", "Glue_Publish_Project", "Glue_Publish_Environment")
    rs_role = _environment_role(lab, "subscriber", "Redshift_Subscribe_Project", "redshift_subscribe_environment")
    other = _leftovers_in_other_accounts(lab)
    whole = {k[1] for k in _kinds(lab_inventory(lab))}  # the lab at 10: every kind it makes
    assert whole >= {"DataZone domain", "DataZone project", "DataZone environment", "DataZone listing",
                     "DataZone asset", "DataZone environment profile", "DataZone data source",
                     "DataZone subscription", "DataZone subscription grant", "DataZone blueprint configuration",
                     "RAM resource share", "IAM role", "IAM role (environment user role)", "Athena workgroup",
                     "Glue database", "Glue table", "S3 bucket", "Redshift cluster", "Secrets Manager secret"}, whole

    # Parents first: two projects deleted with skipDeletionCheck, then the state file.
    domain_id, glue_project = _project(lab, "publisher", "Glue_Publish_Project")
    publisher.delete_project(domainIdentifier=domain_id, identifier=glue_project["id"], skipDeletionCheck=True)
    _, rs_project = _project(lab, "subscriber", "Redshift_Subscribe_Project")
    subscriber.delete_project(domainIdentifier=domain_id, identifier=rs_project["id"], skipDeletionCheck=True)
    Path(lab.work_dir, STATE_FILE).unlink()
    LabState(lab.work_dir).update(accounts_used=[  # what 00 recorded before (kept aside from the ids)
        {"backend": "offline", "region": lab.region, "producer_account_id": acc.producer_account_id,
         "consumer_account_id": acc.consumer_account_id} for acc in (lab, other)])

    found = _kinds(lab_inventory(lab))
    # What the deleted projects' environments made, listed on its own terms in each account.
    assert (P, "Glue database", "glue_publish_environment_pub_db") in found
    assert (P, "Glue database", "glue_publish_environment_sub_db") in found
    assert (P, "Athena workgroup", "glue_publish_environment_wg") in found
    assert (P, "IAM role (environment user role)", glue_role) in found
    assert (C, "IAM role (environment user role)", rs_role) in found
    # DataZone deleted the environments themselves (DeleteProject deletes a project's contents).
    assert not {k for k in found if k[1] == "DataZone environment" and k[2] in ("Glue_Publish_Environment",
                                                                                 "redshift_subscribe_environment")}
    # ... and its assets and listings (the subscribed one included), and the subscriber project's profiles.
    assert not {k for k in found if k[1] in ("DataZone listing", "DataZone asset") and k[2] == "Market Sales Table"}
    assert (C, "DataZone environment profile", "redshift_subscribe-env-profile") not in found
    # The subscriber's subscription to the deleted project's listing is still there, seen domain-wide.
    assert (C, "DataZone subscription", "Market Sales Table") in found, sorted(found)
    # The other projects' catalog entries, listed domain-wide.
    assert (P, "DataZone listing", "Sales Table") in found and (P, "DataZone asset", "Sales Table") in found
    # A set of accounts the settings moved away from is covered too.
    assert (OP, "Glue database", "glue_publish_environment_pub_db") in found
    assert (OP, "Athena workgroup", "glue_publish_environment_wg") in found

    rows = cleanup.cleanup_lab(lab, _sessions(lab))
    failed = [r for r in rows if r["result"].startswith(("failed", "not listed"))]
    assert not failed, failed
    after = lab_inventory(lab)
    assert all(not items for items in after.values()), format_inventory(after)
    assert not any(accounts_inventory(other).values()), accounts_inventory(other)  # the other set, emptied
    assert LabState(lab.work_dir).accounts_used() == []  # and dropped: no set left to clean


def test_a_cleanup_that_skips_environments_is_noticed(lab: LabConfig):
    """With the environments' deletion taken out of cleanup (their DeleteEnvironment calls and the sweep
    of what their stacks left), the projects still go (skipDeletionCheck) and DataZone drops the
    environment records, yet what the environments made stays: the inventory is not empty."""
    real = cleanup.dz.paginate

    def without_environments(client, operation, **kwargs):  # type: ignore[no-untyped-def]
        return iter(()) if operation == "list_environments" else real(client, operation, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cleanup.dz, "paginate", without_environments)
        patch.setattr(cleanup, "_delete_environment_leftovers", lambda *args, **kwargs: None)
        cleanup.cleanup_lab(lab, _sessions(lab))
    after = lab_inventory(lab)
    left = _kinds(after)
    assert (P, "Athena workgroup", "glue_publish_environment_wg") in left, format_inventory(after)
    assert (C, "Athena workgroup", "glue_subscribe_environment_wg") in left
    roles = {k[0] for k in left if k[1] == "IAM role (environment user role)"}
    assert roles == {P, C}, format_inventory(after)
    assert LabState(lab.work_dir).accounts_used(), "an account set with leftovers must stay in accounts_used"


def test_cleanup_ends_what_the_domain_holds_before_deleting_it(lab: LabConfig):
    """DeleteDomain removes DataZone's entities but not the grants placed through Lake Formation and Redshift
    (user guide, "Delete Amazon DataZone domains"): cleanup ends them itself. With the domain's deletion
    taken out, an orphaned subscription (its listing's project deleted first) is ended too, and the domain
    is all that is left of DataZone."""
    publisher = persona_session(lab, "publisher").client("datazone")
    domain_id, glue_project = _project(lab, "publisher", "Glue_Publish_Project")
    publisher.delete_project(domainIdentifier=domain_id, identifier=glue_project["id"], skipDeletionCheck=True)
    assert (C, "DataZone subscription", "Market Sales Table") in _kinds(lab_inventory(lab))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cleanup, "_delete_domain", lambda *args, **kwargs: None)
        cleanup.cleanup_lab(lab, _sessions(lab))
    left = _kinds(lab_inventory(lab))
    assert {k for k in left if k[1].startswith("DataZone")} == {(P, "DataZone domain", lab.domain_name)}, sorted(left)


def test_inventory_json_is_only_json_and_text_groups_types(lab: LabConfig, capsys: pytest.CaptureFixture[str]):
    assert main(["inventory", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert P in data and C in data
    text = format_inventory(data)
    producer_block = text.split("\n\n")[0]
    types = [line.split("  ")[1] if line.startswith("  ") else "" for line in producer_block.splitlines()[3:]]
    assert types == sorted(types), "rows are grouped by type"
