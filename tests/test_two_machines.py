"""Two teams, two machines: each side runs only its persona's notebooks, in its own work dir.

The producer's machine and the consumer's machine share nothing but the (offline) AWS
accounts: every id a notebook needs is found again by name, the state file only caches.
"""

import pytest

from lab_helpers.cli import main
from lab_helpers.offline import server
from lab_helpers.offline.server import free_port


@pytest.fixture
def shared_port(monkeypatch):
    port = free_port()
    monkeypatch.setenv("LAB_OFFLINE_PORT", str(port))
    yield port


def _run(monkeypatch, work, *args):
    monkeypatch.setenv("LAB_WORKDIR", str(work))
    return main(["run", "--output", str(work / "runs"), *args])


def test_consumer_side_runs_on_a_machine_without_the_producers_state(tmp_path, monkeypatch, shared_port, capsys):
    producer, consumer, third = tmp_path / "producer", tmp_path / "consumer", tmp_path / "third"
    try:
        assert _run(monkeypatch, producer, "--only", "00", "01", "02") == 0
        assert _run(monkeypatch, consumer, "--persona", "consumer_admin") == 0  # 00 and 03, no state file
        assert not (consumer / "lab_state.json").read_text().count("glue_publish")
        assert _run(monkeypatch, producer, "--only", "04", "05", "06") == 0
        assert _run(monkeypatch, consumer, "--only", "07", "08") == 0
        assert _run(monkeypatch, producer, "--only", "09") == 0
        assert _run(monkeypatch, consumer, "--only", "10") == 0
        assert _run(monkeypatch, third, "--only", "99") == 0  # cleanup from a fresh folder finds everything
        out = capsys.readouterr().out
        assert "FAILED" not in out
        monkeypatch.setenv("LAB_WORKDIR", str(third))
        assert main(["inventory"]) == 0
        assert capsys.readouterr().out.count("nothing of the lab") == 2
    finally:
        server.stop(str(producer), shared_port)
