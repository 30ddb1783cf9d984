"""The waits' progress as a person sees it: no bar for an instant wait, a bar scaled to the
resource's expected duration (not the timeout), green when it succeeds, red only when it fails.

Time is simulated (``clock``/``sleep``), and the widgets are created without a browser.
"""

from __future__ import annotations

import pytest

from lab_helpers import waits
from lab_helpers.durations import DURATIONS, expected_seconds
from lab_helpers.redshift import Warehouse
from lab_helpers.waits import WaitFailed, WaitTimeout, bar_state, wait_for


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def shown(monkeypatch):
    """The widgets a wait displays (JupyterLab mode), captured instead of sent to a front end."""
    monkeypatch.setenv("LAB_PROGRESS", "widget")
    boxes: list = []
    monkeypatch.setattr(waits, "_show", boxes.append)
    return boxes


def _environment(t: FakeTime, ready_at: float, final: str = "ACTIVE"):
    return lambda: {"status": final if t.now >= ready_at else "CREATING"}


def _wait(t: FakeTime, getter, **kw):
    kw.setdefault("kind", "environment_create")
    return wait_for(getter, "environment E", lambda r: r["status"], {"ACTIVE"}, {"CREATE_FAILED"},
                    delay=1, max_delay=1, sleep=t.sleep, clock=t.clock, **kw)


def test_an_instant_wait_shows_no_bar_at_all(shown, capsys):
    t = FakeTime()
    _wait(t, _environment(t, ready_at=1.5))
    assert shown == [], "a wait under two seconds must not leave a bar"
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_a_wait_that_succeeds_ends_green_with_its_duration(shown):
    t = FakeTime()
    _wait(t, _environment(t, ready_at=312))
    assert len(shown) == 1
    bar, label = shown[0].children
    assert bar.bar_style == "success" and bar.value == 1.0
    assert "ACTIVE after 5 min 12 s" in label.value


def test_a_failed_wait_ends_red(shown):
    t = FakeTime()
    with pytest.raises(WaitFailed):
        _wait(t, _environment(t, ready_at=10, final="CREATE_FAILED"))
    bar, label = shown[0].children
    assert bar.bar_style == "danger" and bar.value == 1.0  # all red, not a sliver
    assert "CREATE_FAILED after 10 s" in label.value


def test_a_timeout_ends_red(shown):
    t = FakeTime()
    with pytest.raises(WaitTimeout):
        _wait(t, _environment(t, ready_at=10_000), timeout=60)
    bar, label = shown[0].children
    assert bar.bar_style == "danger" and "gave up after 1 min" in label.value


def test_the_bar_fills_against_the_expected_duration_not_the_timeout(shown):
    t = FakeTime()
    expected = expected_seconds("environment_create")
    seen = {}

    def getter():
        if shown and t.now == expected // 2 + 1:  # the bar as painted at the previous poll
            seen["half"] = shown[0].children[0].value
        return {"status": "ACTIVE" if t.now >= expected * 1.2 else "CREATING"}

    _wait(t, getter, timeout=3600)
    assert seen["half"] == pytest.approx(0.5, abs=0.01), "half the expected duration is half the bar"
    assert 3600 > expected * 2  # the timeout would have given a bar at 4 % here


def test_a_resource_without_an_estimate_is_indeterminate_and_says_so():
    state = bar_state("workgroup W", "CREATING", 40, None)
    assert state.fraction is None and state.style == "info" and "no estimate" in state.label
    assert expected_seconds(None) is None


def test_a_wait_longer_than_usual_says_so_and_stays_unfinished():
    state = bar_state("environment E", "CREATING", 400, 300)
    assert state.style == "" and state.fraction < 1 and "longer than the usual ~5 min" in state.label


def test_under_papermill_the_progress_is_a_few_plain_lines(monkeypatch, capsys):
    monkeypatch.setenv("LAB_PROGRESS", "text")
    t = FakeTime()
    _wait(t, _environment(t, ready_at=312))
    err = capsys.readouterr()
    text = err.out + err.err
    assert "\r" not in text
    assert text.splitlines() == ["waiting for environment E (usually ~5 min): CREATING",
                                 "environment E: ACTIVE after 5 min 12 s"]


def test_every_wait_of_the_lab_names_a_known_duration():
    """Each ``kind=`` the helpers pass is in the table (a typo would silently drop the estimate)."""
    import re
    from pathlib import Path

    known = {d.key for d in DURATIONS}
    root = Path(__file__).resolve().parent.parent / "lab_helpers"
    lines = [line for path in root.glob("*.py") for line in path.read_text().splitlines()
             if "sort_values" not in line]  # pandas' sort kind="stable" is not a wait
    used = {m for line in lines for m in re.findall(r'kind="([a-z_]+)"', line)}
    # the Redshift compute's waits are named by kind (lab_helpers.redshift.Warehouse.wait_kind)
    used |= {Warehouse(kind, "x").wait_kind(event) for kind in ("provisioned", "serverless") for event in ("create", "delete")}
    assert used and used <= known, used - known
