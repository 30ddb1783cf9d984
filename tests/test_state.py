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


def test_another_consumer_keeps_its_keys_apart_and_the_first_keeps_todays_layout(tmp_path):
    first, second = LabState(tmp_path), LabState(tmp_path, "333333333333")
    first.update(domain_id="dzd_1", glue_subscribe_project_id="p-a", subscriber_user_profile_id="u-a")
    second.update(glue_subscribe_project_id="p-b", subscriber_user_profile_id="u-b", approved_request_ids=["r"])
    on_disk = json.loads((tmp_path / "lab_state.json").read_text())
    assert on_disk["glue_subscribe_project_id"] == "p-a" and on_disk["approved_request_ids"] == ["r"]
    assert on_disk["consumers"] == {"333333333333": {"glue_subscribe_project_id": "p-b",
                                                     "subscriber_user_profile_id": "u-b"}}
    assert second.get("glue_subscribe_project_id") == "p-b" and second.get("domain_id") == "dzd_1"
    assert first.get("subscriber_user_profile_id") == "u-a"
    with pytest.raises(MissingStateError, match="run 07_subscriber"):
        LabState(tmp_path, "444444444444").require("glue_subscribe_project_id")  # not the first consumer's


def test_status_shows_a_room_consumer_its_own_steps(tmp_path, capsys):
    from lab_helpers.cli import main

    LabState(tmp_path).update(settings={"consumer_account_id": "222222222222",
                                        "consumer_account_ids": ["222222222222", "333333333333"]},
                              association_accepted="222222222222")
    LabState(tmp_path, "333333333333").update(domain_id="dzd_1")
    assert main(["status", "--work-dir", str(tmp_path), "--consumer", "333333333333"]) == 0
    assert "03_consumer_admin_accept_association" in (out := capsys.readouterr().out)
    assert [line for line in out.splitlines() if line.startswith("03_")][0].rstrip().endswith("not yet")
    assert main(["status", "--work-dir", str(tmp_path), "--consumer", "222222222222"]) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if line.startswith("03_")][0].rstrip().endswith("done")
    assert main(["status", "--work-dir", str(tmp_path), "--consumer", "444444444444"]) == 2
    assert "not one of the lab's consumer accounts" in capsys.readouterr().err
