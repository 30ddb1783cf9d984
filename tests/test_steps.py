"""The walkthrough's steps declared once: needs, done, preconditions at start_notebook, status."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from lab_helpers import steps
from lab_helpers.cli import main
from lab_helpers.config import make_config
from lab_helpers.errors import ConfigError, folded_traceback
from lab_helpers.notebook import Lab, PreconditionError, check_preconditions
from lab_helpers.runner import persona_of
from lab_helpers.state import PRODUCED_BY, LabState, MissingStateError
from lab_helpers.steps import STEPS

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _code(number: str) -> str:
    nb = nbformat.read(NOTEBOOKS / f"{STEPS[number].notebook}.ipynb", as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def _state_after(*numbers: str, side: str | None = None) -> dict:
    """A state holding the keys of ``numbers`` (00: both sides' prerequisites unless ``side``)."""
    state: dict = {}
    for number in numbers:
        keys = STEPS[number].keys_for(side) if side else STEPS[number].produces
        state.update({key: f"{key}-value" for key in keys})
    return state



@pytest.fixture
def own_stand_in(tmp_path, lab_config):
    """Stop the stand-in a test's notebook started for its own work dir (on the session's port)."""
    yield
    from lab_helpers.offline import server
    from lab_helpers.sessions import clear_cache

    server.stop(str(tmp_path), lab_config.offline_port)
    clear_cache()  # the personas' cached sessions spoke to it


# ------------------------------------------------------------------ the table agrees with the notebooks
@pytest.mark.parametrize("number", [n for n in STEPS if n not in ("00", "99")])
def test_every_id_a_notebook_reads_comes_from_a_step_it_needs(number):
    """``lab.state.require(key)``: the notebook recording ``key`` is among the step's requirements."""
    needed = {s.notebook for s in steps.requirements(number)}
    for key in re.findall(r"state\.require\(\"(\w+)\"\)", _code(number)):
        assert PRODUCED_BY[key] in needed | {STEPS[number].notebook}, \
            f"{number} reads {key} from {PRODUCED_BY[key]}, which steps.py does not list among its needs"


@pytest.mark.parametrize("number", [n for n in STEPS if n not in ("00", "99")])
def test_every_step_records_the_keys_that_show_it_done(number):
    code = _code(number)
    for key in STEPS[number].produces:
        persona_keyed = key.split("_", 1)[1]  # 04 records f"{p}_user_profile_id" for p in the personas
        assert re.search(rf"\b{key}\s*=", code) or f'f"{{p}}_{persona_keyed}"' in code, \
            f"{STEPS[number].notebook} never records {key}"


def test_needs_follow_the_walkthrough():
    assert steps.numbers(steps.requirements("07")) == ["00", "01", "02", "03", "04"]  # not 05 or 06
    assert "04" in steps.numbers(steps.requirements("05"))
    assert {"07", "09"} <= set(steps.numbers(steps.requirements("10")))
    assert steps.requirements("00") == [] and steps.requirements("99") == []
    order = steps.numbers(steps.topological_order())
    assert all(order.index(d) < order.index(n) for n, needs in steps.graph().items() for d in needs)


def test_a_parallel_run_starts_what_is_ready_and_cleans_up_last():
    assert steps.numbers(steps.ready(["00", "01", "02", "03", "04"])) == ["05", "07"]  # side by side
    assert steps.numbers(steps.ready(["00", "01", "02", "03", "04"], started=["05"])) == ["07"]
    assert steps.numbers(steps.ready([], among=["07", "08"])) == ["07"]  # steps not selected are not waited for
    assert steps.numbers(steps.ready(set(STEPS) - {"10", "11", "99"})) == ["10"]  # 11 waits for 10, 99 for every other step
    assert steps.requirements("99") == []  # yet it may run at any time on its own


def test_a_cycle_in_the_needs_is_refused():
    looped = {**STEPS, "01": STEPS["01"].__class__("01", "01_x", "producer_admin", "x", "x", ("02",))}
    with pytest.raises(ValueError, match="cycle"):
        steps.topological_order(looped)


def test_critical_path_follows_the_longest_chain_of_needs():
    seconds, path = steps.critical_path({"05": 100, "06": 50, "07": 120, "08": 10})
    assert (seconds, path) == (160, ["00", "01", "02", "03", "04", "05", "06", "08", "09", "10", "11", "99"])  # 07 beside 05+06


def test_produced_by_names_the_first_notebook_recording_a_key():
    assert PRODUCED_BY["domain_id"] == "01_producer_admin_create_domain"  # 03 records it again on its machine
    assert PRODUCED_BY["glue_listing_id"] == "06_publisher_publish_assets"
    assert PRODUCED_BY["producer_bucket"] == "00_lab_setup"
    with pytest.raises(MissingStateError, match="run 04_producer_admin_add_users first"):
        LabState("/nonexistent-lab-dir").require("subscriber_user_profile_id")


def test_step_of_accepts_numbers_and_names_only_of_this_walkthrough():
    assert steps.step_of("5").notebook == steps.step_of("05_publisher_create_projects_and_environments.ipynb").notebook
    with pytest.raises(KeyError):
        steps.step_of("05_publisher_b")


def test_runner_personas_come_from_the_table():
    assert persona_of("99_cleanup") == "all" and persona_of("03_consumer_admin_accept_association") == "consumer_admin"
    assert persona_of("02_publisher_second") == "publisher"  # a notebook not in the table: read from its name


# ------------------------------------------------------------------ done, missing
def test_done_and_missing_before_read_the_state():
    state = _state_after("00", "01", "02", "03")
    assert steps.numbers(steps.done(state)) == ["00", "01", "02", "03"]
    assert steps.numbers(steps.missing_before("05", state)) == ["04"]
    assert steps.missing_before("04", state) == []


def test_setup_counts_per_side():
    consumer_only = _state_after("00", side="consumer")
    assert STEPS["00"].done(consumer_only, "consumer") and not STEPS["00"].done(consumer_only, "producer")
    assert steps.numbers(steps.missing_before("01", consumer_only)) == ["00"]


def test_cleanup_is_done_only_after_the_last_step():
    assert STEPS["99"].done({"cleanup_completed_at": "t"})
    assert not STEPS["99"].done({"cleanup_completed_at": "t", **_state_after("01")})


# ------------------------------------------------------------------ preconditions (the cross-machine rule)
def _lab(tmp_path, persona: str, state: dict) -> Lab:
    LabState(tmp_path).update(**state)
    return Lab(make_config(work_dir=str(tmp_path)), persona, None, {"Arn": "x", "Account": "1"}, LabState(tmp_path))  # type: ignore[arg-type]


def test_a_step_run_too_early_names_the_notebook_to_run(tmp_path):
    lab = _lab(tmp_path, "publisher", _state_after("00", "01", "02", "03"))
    with pytest.raises(PreconditionError) as caught:
        check_preconditions(lab, "05")
    assert str(caught.value) == "Run 04_producer_admin_add_users first: this notebook needs the users it adds."
    rendered = caught.value._render_traceback_()
    assert len(rendered) == 1 and "Traceback" not in rendered[0]


def test_the_earliest_missing_step_is_named_first(tmp_path, monkeypatch):
    monkeypatch.setitem(steps.PROBES, "03", lambda lab: False)
    with pytest.raises(PreconditionError, match=r"^Run 00_lab_setup first \(then 01, 02, 03, 04\): "):
        check_preconditions(_lab(tmp_path, "publisher", {}), "05")


def test_a_step_done_passes(tmp_path):
    check_preconditions(_lab(tmp_path, "publisher", _state_after("00", "01", "02", "03", "04")), "05")


def test_other_side_steps_found_by_name_in_aws_count_as_done(tmp_path, monkeypatch):
    """The consumer's machine never ran 04-06: 08 starts when the lookup finds the published assets."""
    consumer_state = {**_state_after("00", side="consumer"), **_state_after("03", "07")}
    monkeypatch.setitem(steps.PROBES, "06", lambda lab: True)
    check_preconditions(_lab(tmp_path, "subscriber", consumer_state), "08")


def test_other_side_steps_the_lookup_does_not_find_stop_the_notebook(tmp_path, monkeypatch):
    consumer_state = {**_state_after("00", side="consumer"), **_state_after("03", "07")}
    monkeypatch.setitem(steps.PROBES, "06", lambda lab: False)
    monkeypatch.setitem(steps.PROBES, "03", lambda lab: True)
    with pytest.raises(PreconditionError, match="^Run 06_publisher_publish_assets first: this notebook needs the assets "):
        check_preconditions(_lab(tmp_path, "subscriber", consumer_state), "08")


def test_other_side_steps_without_a_usable_lookup_are_trusted(tmp_path, monkeypatch):
    consumer_state = {**_state_after("00", side="consumer"), **_state_after("03")}

    def denied(lab):
        raise PermissionError("AccessDenied")

    monkeypatch.setitem(steps.PROBES, "06", denied)
    check_preconditions(_lab(tmp_path, "subscriber", consumer_state), "07")  # 04: no lookup, trusted
    check_preconditions(_lab(tmp_path, "subscriber", {**consumer_state, **_state_after("07")}), "08")


def test_own_side_steps_must_be_in_this_machines_state(tmp_path, monkeypatch):
    monkeypatch.setattr(steps, "PROBES", {n: (lambda lab: True) for n in STEPS})  # AWS would say yes: not asked
    with pytest.raises(PreconditionError, match="Run 07_subscriber_create_projects_and_environments first"):
        check_preconditions(_lab(tmp_path, "subscriber", {**_state_after("00", side="consumer"), **_state_after("03")}), "08")


def test_start_notebook_in_ipython_shows_one_box(lab_config, own_stand_in, tmp_path, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    LabState(tmp_path).update(**_state_after("00", "01", "02", "03"))
    InteractiveShell.instance().run_cell(
        "from lab_helpers.notebook import start_notebook\n"
        f"start_notebook('publisher', step='05', work_dir={str(tmp_path)!r}, offline_port={lab_config.offline_port})")
    out = capsys.readouterr()
    text = "\n".join(line for line in (out.out + out.err).strip().splitlines()
                     if not line.startswith("Started the offline AWS stand-in"))  # its first use starts it
    assert text.endswith("PreconditionError\x1b[0m: Run 04_producer_admin_add_users first: "
                         "this notebook needs the users it adds."), text
    assert len(text.splitlines()) == 1 and "Traceback" not in text


def test_the_full_traceback_stays_available_folded():
    try:
        raise ConfigError("x is wrong: fix it")
    except ConfigError as exc:
        bundle = folded_traceback(exc)
    assert bundle["text/html"].startswith('<details class="lab-traceback">') and "<details open" not in bundle["text/html"]
    assert "Traceback (most recent call last)" in bundle["text/plain"] and "test_steps.py" in bundle["text/plain"]


def test_a_kernel_shows_the_folded_traceback_below_the_message_once(monkeypatch):
    from IPython.core.events import EventManager, available_events

    shown = []
    shell = type("Kernelish", (), {"kernel": object()})()
    shell.events = EventManager(shell, available_events)
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    try:
        raise ConfigError("x is wrong")
    except ConfigError as exc:
        assert exc._render_traceback_() == ["\x1b[0;31mConfigError\x1b[0m: x is wrong"]
        assert exc._render_traceback_() == ["\x1b[0;31mConfigError\x1b[0m: x is wrong"]  # ipykernel asks twice
    assert shown == []  # not above the message: after the cell
    shell.events.trigger("post_run_cell", None)
    shell.events.trigger("post_run_cell", None)  # the next cell shows nothing more
    assert len(shown) == 1 and "<details" in shown[0]["text/html"]


@pytest.mark.parametrize("error", [
    "lab_helpers.prerequisites.PrerequisiteError", "lab_helpers.waits.WaitFailed", "lab_helpers.waits.WaitTimeout",
    "lab_helpers.queries.QueryFailed", "lab_helpers.sessions.CredentialsError", "lab_helpers.state.MissingStateError",
    "lab_helpers.notebook.PreconditionError", "lab_helpers.notebook.AccountsLockedError"])
def test_foreseeable_errors_render_as_one_line(error):
    import importlib

    module, name = error.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), name)
    try:
        exc = cls("what went wrong: the fix")
    except TypeError:  # the waits' errors also carry what was waited for and its last status
        exc = cls("what went wrong: the fix", "environment x", "FAILED")
    assert exc._render_traceback_() == [f"\x1b[0;31m{name}\x1b[0m: what went wrong: the fix"]


# ------------------------------------------------------------------ status
def test_status_marks_done_next_and_not_yet(tmp_path):
    LabState(tmp_path).update(**_state_after("00", "01", "02", "03"))
    rows = {r["notebook"][:2]: r["status"] for r in steps.status_rows(LabState(tmp_path).load())}
    assert [rows[n] for n in ("00", "03", "04", "05", "07", "99")] == ["done", "done", "next", "not yet", "not yet", "not yet"]
    table = steps.lab_status(str(tmp_path))
    assert "04_producer_admin_add_users" in repr(table) and "next" in repr(table)
    assert '<table class="lab-status">' in table._repr_html_() and "index" not in table._repr_html_()


def test_status_shows_parallel_steps_as_next():
    rows = {r["notebook"][:2]: r["status"] for r in steps.status_rows(_state_after("00", "01", "02", "03", "04"))}
    assert rows["05"] == rows["07"] == "next"  # the publisher and the subscriber can go on side by side


def test_status_command_prints_the_table(tmp_path, capsys):
    LabState(tmp_path).update(**_state_after("00", "01"))
    assert main(["status", "--work-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"01_producer_admin_create_domain\s+producer_admin\s+.*done", out)
    assert re.search(r"02_producer_admin_request_association\s+.*next", out)


def test_a_parallel_run_follows_the_steps_graph(tmp_path, monkeypatch):
    """run_lab(parallel=True) without ``needs``: each of the lab's notebooks waits for what steps.py says it needs."""
    from lab_helpers import kernels, runner

    captured = {}

    def execute(jobs, *args, **kwargs):
        captured.update({job.key: set(job.needs) for job in jobs})
        return {job.key: type("Outcome", (), {"status": "ok", "error": "", "cell_index": None, "started": 0.0,
                                              "ended": 0.0, "seconds": 0.0})() for job in jobs}

    monkeypatch.setattr(kernels, "execute", execute)
    paths = runner.find_notebooks(NOTEBOOKS)
    runner.run_lab(NOTEBOOKS, {}, tmp_path, paths, parallel=True)
    assert captured["07"] == {"00", "01", "02", "03", "04"}  # directly 00, 03, 04; through them 01, 02; not 05/06
    assert captured["05"] == {"00", "01", "02", "03", "04"}
    assert captured["99"] == set(STEPS) - {"99"}


def test_a_selection_waits_for_what_it_needs_through_steps_left_out():
    from lab_helpers.steps import needs_among

    needs = needs_among(["05", "07", "10", "99"])
    assert needs["10"] == {"05", "07"}  # through 09, 08 and 06, not selected
    assert needs["07"] == frozenset() and needs["05"] == frozenset()
    assert needs["99"] == {"05", "07", "10"}


def test_status_links_to_the_portal_and_consoles_on_aws_and_says_why_not_offline():
    from lab_helpers.steps import StatusTable, status_links, status_rows

    on_aws = {"settings": {"backend": "aws", "region": "eu-west-1"}, "domain_id": "dzd_1",
              "portal_url": "https://dzd_1.datazone.eu-west-1.on.aws"}
    links = status_links(on_aws)
    assert links["Data portal"] == "https://dzd_1.datazone.eu-west-1.on.aws"
    assert links["DataZone console"].startswith("https://eu-west-1.console.aws.amazon.com/datazone/")
    html_table = StatusTable(status_rows(on_aws), links)._repr_html_()
    assert '<a href="https://dzd_1.datazone.eu-west-1.on.aws" target="_blank"' in html_table
    offline = status_links({"settings": {"backend": "offline"}, "domain_id": "dzd_1"})
    assert list(offline) == ["Data portal"] and offline["Data portal"].startswith("offline:")
    assert "<a " not in StatusTable(status_rows({}), offline)._repr_html_()


def test_a_room_runs_each_consumer_side_notebook_once_per_consumer(tmp_path, monkeypatch):
    """run_lab(consumers=…): 03, 07, 08, 10 once per consumer with its consumer_account_id; a consumer's
    notebook waits for its own earlier ones, a producer's notebook for every consumer's."""
    from lab_helpers import kernels, runner

    captured = {}

    def execute(jobs, *args, **kwargs):
        captured.update({job.key: (set(job.needs), job.parameters, job.output.name) for job in jobs})
        return {job.key: type("Outcome", (), {"status": "ok", "error": "", "cell_index": None, "started": 0.0,
                                              "ended": 0.0, "seconds": 0.0})() for job in jobs}

    monkeypatch.setattr(kernels, "execute", execute)
    room = ["222222222222", "333333333333"]
    runs = runner.run_lab(NOTEBOOKS, {"sample_rows": 10}, tmp_path, runner.find_notebooks(NOTEBOOKS), parallel=True,
                          consumers=room)
    assert [r.key for r in runs][:6] == ["00", "01", "02", "03@222222222222", "03@333333333333", "04"]
    needs, params, output = captured["07@333333333333"]
    assert needs == {"00", "01", "02", "03@333333333333", "04"} and params["consumer_account_id"] == "333333333333"
    assert output == "07_subscriber_create_projects_and_environments-333333333333.ipynb"
    assert captured["09"][0] >= {"08@222222222222", "08@333333333333"}
    assert captured["10@222222222222"][0] >= {"09", "07@222222222222"} and "07@333333333333" not in captured["10@222222222222"][0]
    assert "consumer_account_id" not in captured["04"][1]  # the producer's notebooks act for every consumer


# ------------------------------------------------------------------ a room: 09 approves every consumer's requests
ROOM_A, ROOM_B = "222222222222", "333333333333"


def _room(tmp_path, b_approved: bool) -> None:
    """A room's state file: A asked and 09 approved; B asked later (approved by a second 09 when ``b_approved``)."""
    a_ids, b_ids = ["r-a-glue", "r-a-rs"], ["r-b-glue", "r-b-rs"]
    LabState(tmp_path).update(**{**_state_after("00", "01", "02", "03", "04", "05", "06", "07"),
                                 "settings": {"backend": "offline", "consumer_account_ids": [ROOM_A, ROOM_B]}},
                              glue_subscription_request_id=a_ids[0], redshift_subscription_request_id=a_ids[1],
                              approved_request_ids=a_ids + (b_ids if b_approved else []))
    LabState(tmp_path, ROOM_B).update(**_state_after("03", "07"), glue_subscription_request_id=b_ids[0],
                                      redshift_subscription_request_id=b_ids[1])


def test_a_room_consumer_whose_requests_09_did_not_approve_is_sent_to_09(tmp_path, monkeypatch):
    """09 approved A's requests only: B's 10 is told to run 09 (it would wait for grants that never come)."""
    _room(tmp_path, b_approved=False)
    monkeypatch.setitem(steps.PROBES, "09", lambda lab: False)  # B's subscriptions are not approved in AWS either
    config = make_config(work_dir=str(tmp_path), consumer_account_ids=[ROOM_A, ROOM_B], consumer_account_id=ROOM_B)
    b = Lab(config, "subscriber", None, {"Arn": "x", "Account": ROOM_B},  # type: ignore[arg-type]
            LabState(tmp_path, config.state_scope))
    with pytest.raises(PreconditionError, match="^Run 09_publisher_approve_requests first"):
        check_preconditions(b, "10")
    a_config = config.for_consumer(ROOM_A)
    check_preconditions(Lab(a_config, "subscriber", None, {"Arn": "x", "Account": ROOM_A},  # type: ignore[arg-type]
                            LabState(tmp_path, a_config.state_scope)), "10")  # A's were approved


@pytest.mark.parametrize("b_approved", [False, True])
def test_the_producers_status_in_a_room_shows_09_done_only_for_every_consumer(tmp_path, b_approved):
    _room(tmp_path, b_approved)
    producer = {r["notebook"][:2]: r["status"] for r in steps.lab_status(str(tmp_path)).rows}
    b_view = {r["notebook"][:2]: r["status"] for r in steps.lab_status(str(tmp_path), ROOM_B).rows}
    assert producer["09"] == b_view["09"] == ("done" if b_approved else "next")
