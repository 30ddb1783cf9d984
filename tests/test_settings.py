"""Settings that cannot be lost: 00's form starts from the saved settings, saves on Save, keeps them on Run All,
and refuses new accounts while the lab has resources in the saved ones (until 99 ran). No browser: the widgets'
objects are driven directly, and 00's own code cells run as Run All runs them."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from lab_helpers.config import make_config
from lab_helpers.notebook import AccountsLockedError, save_settings
from lab_helpers.state import LabState
from lab_helpers.widgets import lab_form

SETUP = Path(__file__).resolve().parent.parent / "notebooks" / "00_lab_setup.ipynb"
PRODUCER, CONSUMER, OTHER = "123456789012", "210987654321", "333344445555"


@pytest.fixture
def own_stand_in(tmp_path, lab_config):
    """Stop the stand-in a test's notebook started for its own work dir (on the session's port)."""
    yield
    from lab_helpers.offline import server
    from lab_helpers.sessions import clear_cache

    server.stop(str(tmp_path), lab_config.offline_port)
    clear_cache()  # the personas' cached sessions spoke to it


def _settings(work) -> dict:
    return LabState(work).get("settings")


def _run_all_of_setup(work, monkeypatch, **injected) -> dict:
    """Run 00's code cells up to the confirm cell as Run All does (papermill: ``injected`` after the parameters)."""
    monkeypatch.setenv("LAB_WORKDIR", str(work))
    cells = [c for c in nbformat.read(SETUP, as_version=4).cells if c.cell_type == "code"]
    confirm = next(i for i, c in enumerate(cells) if "form.save()" in c.source)
    namespace: dict = {}
    exec(cells[0].source, namespace)  # the parameters cell
    namespace.update(injected)
    for cell in cells[1:confirm + 1]:
        exec(cell.source, namespace)
    return namespace


def _form(work, **params):
    return lab_form(work_dir=str(work), **{k: None for k in ("backend", "region", "producer_account_id",
                                                              "consumer_account_id")}, **params)


def test_a_new_lab_starts_from_the_defaults(tmp_path):
    form = _form(tmp_path)
    assert (form.backend.value, form.region.value) == ("offline", "us-east-1")
    assert "Starting from the defaults" in form.origin_note.value


def test_save_saves_what_the_form_shows_and_says_so(tmp_path):
    form = _form(tmp_path)
    form.producer.value, form.consumer.value = PRODUCER, CONSUMER
    form.save_button.click()
    assert _settings(tmp_path)["producer_account_id"] == PRODUCER and _settings(tmp_path)["consumer_account_id"] == CONSUMER
    assert "Saved:" in form.saved.value and PRODUCER in form.saved.value and CONSUMER in form.saved.value
    assert LabState(tmp_path).accounts_used()[-1]["consumer_account_id"] == CONSUMER  # for 99's cleanup


def test_an_invalid_form_saves_nothing(tmp_path):
    form = _form(tmp_path)
    form.producer.value = "12345"
    assert form.click_save() is False
    assert "Not saved" in form.saved.value and "12" in form.saved.value and _settings(tmp_path) is None


def test_run_all_keeps_the_typed_and_saved_ids(tmp_path, monkeypatch):
    form = _form(tmp_path)
    form.producer.value, form.consumer.value = PRODUCER, CONSUMER
    form.save_button.click()
    namespace = _run_all_of_setup(tmp_path, monkeypatch)  # the parameters cell holds None: nothing passed
    assert (namespace["form"].producer.value, namespace["form"].consumer.value) == (PRODUCER, CONSUMER)
    assert "Starting from the saved settings" in namespace["form"].origin_note.value
    assert _settings(tmp_path)["producer_account_id"] == PRODUCER and _settings(tmp_path)["consumer_account_id"] == CONSUMER


def test_a_headless_run_with_parameters_saves_them(tmp_path, monkeypatch):
    _run_all_of_setup(tmp_path, monkeypatch)  # defaults saved first
    namespace = _run_all_of_setup(tmp_path, monkeypatch, producer_account_id=PRODUCER, consumer_account_id=CONSUMER,
                                  region="eu-west-1")
    assert "the notebook's parameters" in namespace["form"].origin_note.value
    assert _settings(tmp_path) | {"offline_port": None} == {
        "backend": "offline", "region": "eu-west-1", "producer_account_id": PRODUCER,
        "consumer_account_id": CONSUMER, "offline_port": None, "redshift": "provisioned"}


def test_the_accounts_cannot_change_once_the_lab_has_resources(tmp_path):
    form = _form(tmp_path)
    form.producer.value, form.consumer.value = PRODUCER, CONSUMER
    form.save_button.click()
    LabState(tmp_path).update(domain_id="dzd_1")  # 01 ran
    again = _form(tmp_path)
    again.consumer.value = OTHER
    assert again.click_save() is False
    assert "run 99_cleanup first" in again.saved.value and "consumer_account_id" in again.saved.value
    with pytest.raises(AccountsLockedError, match="run 99_cleanup first"):
        again.save()
    for field, value in (("region", "eu-west-1"), ("backend", "aws")):
        changed = _form(tmp_path)
        getattr(changed, field).value = value
        assert changed.click_save() is False, field
    assert _settings(tmp_path)["consumer_account_id"] == CONSUMER
    assert _form(tmp_path).click_save() is True  # the same accounts: saving is fine


def test_the_lock_covers_headless_runs_too(tmp_path, monkeypatch):
    save_settings(make_config(work_dir=str(tmp_path), producer_account_id=PRODUCER, consumer_account_id=CONSUMER))
    LabState(tmp_path).update(glue_subscribe_project_id="prj")  # the consumer's machine: 07 ran, no domain of its own
    with pytest.raises(AccountsLockedError):
        _run_all_of_setup(tmp_path, monkeypatch, producer_account_id=PRODUCER, consumer_account_id=OTHER)


def test_after_cleanup_the_accounts_may_change(tmp_path, lab_config, own_stand_in):
    from lab_helpers.cleanup import cleanup_lab
    from lab_helpers.sessions import persona_session

    config = make_config(work_dir=str(tmp_path), offline_port=lab_config.offline_port, producer_account_id="111111111111",
                         consumer_account_id="222222222222")
    save_settings(config)
    LabState(tmp_path).update(domain_id="dzd_gone")
    with pytest.raises(AccountsLockedError):
        save_settings(make_config(work_dir=str(tmp_path), producer_account_id=PRODUCER, consumer_account_id=CONSUMER))
    cleanup_lab(config, {p: persona_session(config, p) for p in ("producer_admin", "publisher", "consumer_admin", "subscriber")})
    assert LabState(tmp_path).get("cleanup_completed_at")
    form = _form(tmp_path)
    form.producer.value, form.consumer.value = PRODUCER, CONSUMER
    assert form.click_save() is True and _settings(tmp_path)["consumer_account_id"] == CONSUMER


def test_a_notebook_given_other_accounts_while_the_lab_has_resources_stops_at_once(tmp_path, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    save_settings(make_config(work_dir=str(tmp_path), producer_account_id=PRODUCER, consumer_account_id=CONSUMER))
    LabState(tmp_path).update(domain_id="dzd_1")
    InteractiveShell.instance().run_cell(
        "from lab_helpers.notebook import start_notebook\n"
        f"start_notebook('publisher', step='05', work_dir={str(tmp_path)!r}, consumer_account_id={OTHER!r})")
    out = capsys.readouterr()
    text = (out.out + out.err).strip()
    assert "AccountsLockedError" in text and "run 99_cleanup first" in text and len(text.splitlines()) == 1, text
    assert LabState(tmp_path).accounts_used() == [{"backend": "offline", "region": "us-east-1",
                                                  "producer_account_id": PRODUCER, "consumer_account_id": CONSUMER}]


def test_a_step_records_the_accounts_it_acts_in(tmp_path, lab_config, own_stand_in):
    from lab_helpers.notebook import start_notebook

    LabState(tmp_path).update(settings={"backend": "offline"}, **{k: "x" for k in (
        "redshift_database", "producer_bucket", "producer_redshift", "producer_secret_arn")})
    lab = start_notebook("producer_admin", show=False, step="01", work_dir=str(tmp_path),
                         offline_port=lab_config.offline_port)
    assert LabState(tmp_path).accounts_used() == [{"backend": "offline", "region": "us-east-1",
                                                  "producer_account_id": lab.config.producer_account_id,
                                                  "consumer_account_id": lab.config.consumer_account_id}]


def test_a_headless_run_saves_the_redshift_kind_for_the_other_notebooks(tmp_path, monkeypatch):
    _run_all_of_setup(tmp_path, monkeypatch, redshift="serverless")
    assert _settings(tmp_path)["redshift"] == "serverless"


def test_a_room_form_saves_every_consumer_and_the_one_to_act_for(tmp_path):
    from lab_helpers.notebook import resolve_config

    form = _form(tmp_path)
    assert form.acting.layout.display == "none"  # one consumer: nothing to choose
    form.producer.value, form.consumer.value = PRODUCER, f"{CONSUMER}, {OTHER}"
    assert form.acting.layout.display == "" and list(form.acting.options) == [CONSUMER, OTHER]
    form.acting.value = OTHER
    assert form.click_save() is True
    assert _settings(tmp_path)["consumer_account_ids"] == [CONSUMER, OTHER]
    assert _settings(tmp_path)["consumer_account_id"] == OTHER
    config = resolve_config(work_dir=str(tmp_path))  # a consumer notebook with its parameters left None
    assert config.consumer_account_id == OTHER and config.state_scope == OTHER
    LabState(tmp_path).update(domain_id="dzd_1")  # 01 ran: choosing another consumer of the room is fine
    again = _form(tmp_path)
    assert again.consumer.value == f"{CONSUMER}, {OTHER}" and again.acting.value == OTHER
    again.acting.value = CONSUMER
    assert again.click_save() is True
    again.consumer.value = CONSUMER  # dropping a consumer of the room is a change of accounts
    assert again.click_save() is False and "consumer_account_ids" in again.saved.value
