"""The state file carries ids between notebooks and says which notebook to run when one is missing."""

import json

import pytest

from lab_helpers.state import LabState, MissingStateError


def test_update_merges_and_persists(tmp_path):
    state = LabState(tmp_path)
    state.update(domain_id="dzd_1")
    state.update(glue_publish_project_id="p1")
    assert json.loads((tmp_path / "lab_state.json").read_text()) == {"domain_id": "dzd_1", "glue_publish_project_id": "p1"}
    assert LabState(tmp_path).require("domain_id") == "dzd_1"


def test_missing_id_names_the_notebook_to_run(tmp_path):
    with pytest.raises(MissingStateError, match="run 01_producer_admin_create_domain first"):
        LabState(tmp_path).require("domain_id")


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    state = LabState(tmp_path)
    state.update(a=1)

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr("lab_helpers.state.os.replace", boom)
    with pytest.raises(OSError):
        state.update(a=2)
    assert LabState(tmp_path).get("a") == 1  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab_state.json", "lab_state.json.lock"]  # no temp file


def test_updates_from_parallel_processes_are_all_kept(tmp_path) -> None:
    """Two notebooks running side by side update the same state file; no update is lost."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_update_many, args=(str(tmp_path), f"w{n}")) for n in range(4)]
    for proc in workers:
        proc.start()
    for proc in workers:
        proc.join(60)
    from lab_helpers.state import LabState

    data = LabState(tmp_path).load()
    assert sorted(k for k in data if k.startswith("w")) == sorted(f"w{n}-{i}" for n in range(4) for i in range(25))


def _update_many(work_dir: str, prefix: str) -> None:
    from lab_helpers.state import LabState

    state = LabState(work_dir)
    for i in range(25):
        state.update(**{f"{prefix}-{i}": i})
