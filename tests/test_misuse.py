"""Misuse ends in one clear message naming the fix, exit code 2, and nothing created.

Each case runs ``python -m lab_helpers run`` in-process (``cli.main``) with a bad
parameters file, option or environment, and checks: the exit code, the one ``error:``
line and its words, and that no work dir, state file, run folder or stand-in was made.
The Ctrl-C case runs the CLI in a subprocess and interrupts a slow notebook.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat as nbf
import pytest

from lab_helpers import cli, runner
from lab_helpers.config import ConfigError, make_config
from lab_helpers.runlock import RunLock
from lab_helpers.state import LabState

ROOT = Path(__file__).resolve().parent.parent
GOOD = "backend: aws\nproducer_account_id: '111122223333'\nconsumer_account_id: '444455556666'\n"


def _aws(line: str) -> str:
    """The good aws parameters with ``line`` (``key: value``) replacing or adding that key."""
    key = line.split(":", 1)[0]
    kept = [old for old in GOOD.splitlines() if not old.startswith(f"{key}:")]
    return "\n".join([*kept, line]) + "\n"


def _notebook(path: Path, body: str = "x = 1") -> None:
    nb = nbf.v4.new_notebook(cells=[
        nbf.v4.new_code_cell("backend: str = 'offline'", metadata={"tags": ["parameters"]}),
        nbf.v4.new_code_cell("print('before sleep', flush=True)"),
        nbf.v4.new_code_cell(body),
        nbf.v4.new_code_cell("print('after')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbf.write(nb, path)


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """A checkout-like folder: notebooks 00 01 05 10 99, a work dir not yet made, the stand-in and runner watched."""
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name in ("00_lab_setup", "01_producer_admin_a", "05_publisher_b", "10_subscriber_c", "99_cleanup"):
        _notebook(notebooks / f"{name}.ipynb")
    monkeypatch.setenv("LAB_WORKDIR", str(tmp_path / "work"))
    monkeypatch.delenv("LAB_OFFLINE_PORT", raising=False)
    monkeypatch.setattr(cli, "ROOT", tmp_path)  # default run folders go to tmp_path/runs
    started: list[object] = []
    monkeypatch.setattr(runner, "start_stand_in_early", lambda config: started.append(config))
    monkeypatch.setattr(runner, "run_lab", lambda *a, **k: pytest.fail("a notebook ran despite bad input"))
    lab = type("Lab", (), {})()
    lab.root, lab.notebooks, lab.work, lab.started = tmp_path, notebooks, tmp_path / "work", started
    lab.params = tmp_path / "p.yaml"
    lab.params.write_text(GOOD)
    return lab


def _refused(lab, capsys, *options: str, params: str | None = None) -> str:
    """Run the CLI; assert exit 2, one ``error:`` line, nothing created. Returns that line."""
    if params is not None:
        lab.params.write_text(params)
    argv = ["run", "--notebooks", str(lab.notebooks), *options]
    if "-f" not in options:
        argv[1:1] = ["-f", str(lab.params)]
    code = cli.main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert not lab.work.exists(), "the work dir was created"
    assert not (lab.root / "runs").exists(), "a run folder was created"
    assert lab.started == [], "the stand-in was started"
    return err


# ------------------------------------------------------------------ parameters
PARAMETER_CASES = {
    "unknown backend": ("backend: cloud\n", ["backend='cloud' is unknown", "use 'offline'"]),
    "invented Region": ("region: us-east-9\n", ["'us-east-9' is not an AWS Region", "upgrade boto3", "did you mean"]),
    "Region without dashes": ("region: useast1\n", ["did you mean 'us-east-1'?"]),
    "Region without DataZone": ("region: us-iso-east-1\n", ["Amazon DataZone is not offered there"]),
    "Region not text": ("region: 1\n", ["region=1 must be text"]),
    "short int account id": (_aws("producer_account_id: 123"),
                             ["pass it as text: papermill -r producer_account_id 0123"]),
    "nine-digit int id": (_aws("producer_account_id: 123456789"), ["has only 9 digits", "pass it as text"]),
    "short text id": (_aws("producer_account_id: '12345'"), ["has 5 digits", "exactly 12"]),
    "long id": (_aws("producer_account_id: '1234567890123'"), ["13 digits"]),
    "letters in id": (_aws("producer_account_id: 12345678901a"), ["digits only"]),
    "decimal id": (_aws("producer_account_id: 1.2e11"), ["is not an AWS account id"]),
    "same accounts": (_aws("consumer_account_id: '111122223333'"), ["are the same", "two different AWS accounts"]),
    "aws without consumer": ("backend: aws\nproducer_account_id: '111122223333'\n", ["consumer_account_id is missing"]),
    "text bool not true/false": ("create_prerequisites: 'yes'\n", ["create_prerequisites='yes' is not true or false"]),
    "int as bool": ("create_prerequisites: 1\n", ["create_prerequisites=1 is not true or false"]),
    "sample_rows text": ("sample_rows: '10'\n", ["sample_rows='10' is text, not a whole number", "sample_rows: 1000"]),
    "sample_rows decimal": ("sample_rows: 1.5\n", ["sample_rows=1.5 is a decimal number"]),
    "sample_rows bool": ("sample_rows: true\n", ["sample_rows=True is true/false"]),
    "sample_rows zero": ("sample_rows: 0\n", ["out of range: use a whole number from 1 to 100000"]),
    "sample_rows too many": ("sample_rows: 100001\n", ["sample_rows=100001 is out of range"]),
    "misspelt key": ("sample_row: 10\n", ["unknown parameter 'sample_row': did you mean 'sample_rows'?"]),
    "misspelt region key": ("regoin: us-east-1\n", ["unknown parameter 'regoin': did you mean 'region'?"]),
    "unrelated key": ("colour: blue\n", ["unknown parameter 'colour'", "the lab's parameters are"]),
    "port out of range": ("offline_port: 70000\n", ["offline_port=70000 is out of range", "1 to 65535"]),
    "port as text": ("offline_port: '5055'\n", ["offline_port='5055' is text"]),
    "misspelt persona": ("profiles: {publsher: lab-publisher}\n", ["profiles: persona='publsher'", "did you mean 'publisher'?"]),
    "profiles not a mapping": ("profiles: [lab-publisher]\n", ["profiles must map persona names"]),
    "profile not text": ("profiles: {publisher: 5}\n", ["profiles['publisher']=5 must be text"]),
    "role in other account": (_aws("role_arns: {publisher: 'arn:aws:iam::999999999999:role/X'}"),
                              ["is in account 999999999999", "fix the ARN or the account id"]),
    "not a role ARN": (_aws("role_arns: {publisher: my-role}"), ["is not an IAM role ARN"]),
    "cluster identifier": ("redshift_cluster: My_Cluster\n", ["is not a Redshift cluster identifier"]),
    "domain name not text": ("domain_name: 5\n", ["domain_name=5 must be text"]),
    "key given twice": ("region: us-east-1\nregion: eu-west-1\n", ["'region' is given twice (line 2)", "keep one"]),
}


@pytest.mark.parametrize("case", PARAMETER_CASES, ids=list(PARAMETER_CASES))
def test_bad_parameter_is_refused_before_anything_is_created(lab, capsys, case):
    text, expected = PARAMETER_CASES[case]
    err = _refused(lab, capsys, params=text)
    assert str(lab.params) in err  # names the file
    for words in expected:
        assert words in err


def test_work_dir_under_a_file_is_refused(lab, capsys):
    (lab.root / "afile").write_text("x")
    err = _refused(lab, capsys, params=_aws(f"work_dir: {lab.root / 'afile' / 'sub'}"))
    assert "is a file" in err and "Set work_dir to a folder you can write" in err


def test_unwritable_work_dir_is_refused(lab, capsys, monkeypatch):
    # /sys refuses mkdir even to root (os.access cannot tell): the run lock's mkdir is where it shows
    monkeypatch.setenv("LAB_WORKDIR", "/sys/lab-kit-test")
    err = _refused(lab, capsys)
    assert "/sys/lab-kit-test" in err and "folder you can write" in err


def test_output_under_a_file_is_refused(lab, capsys):
    (lab.root / "afile").write_text("x")
    err = _refused(lab, capsys, "--output", str(lab.root / "afile" / "out"))
    assert "--output" in err and "is a file" in err


def test_bad_port_in_the_environment_is_refused(lab, capsys, monkeypatch):
    monkeypatch.setenv("LAB_OFFLINE_PORT", "abc")
    assert "LAB_OFFLINE_PORT='abc' is not a port number" in _refused(lab, capsys, params="backend: offline\n")


def test_text_booleans_are_parsed_strictly():
    assert make_config(create_prerequisites="false").creates_prerequisites is False  # bool("false") would be True
    assert make_config(create_prerequisites=" TRUE ", backend="aws", producer_account_id="111122223333",
                       consumer_account_id="444455556666").creates_prerequisites is True
    assert make_config(producer_account_id=12345678901).producer_account_id == "012345678901"  # 11 digits: padded


# ------------------------------------------------------------------ files
def test_missing_parameters_file(lab, capsys):
    err = _refused(lab, capsys, "-f", str(lab.root / "nope.yaml"))
    assert "nope.yaml does not exist" in err and "parameters/aws.example.yaml" in err


def test_parameters_file_is_a_folder(lab, capsys):
    assert "is a folder: give the path of a .yaml file" in _refused(lab, capsys, "-f", str(lab.notebooks))


@pytest.mark.parametrize("text, expected", [
    ("backend: [offline\n", "is not valid YAML at line"),
    ("region: us-east-1\n  bad: indent\n", "is not valid YAML at line 2"),
    ("- backend\n- aws\n", "must hold a mapping of parameter names to values (name: value per line), not a list"),
    ("just some words\n", "not a str"),
], ids=["unclosed bracket", "bad indent", "a list", "a bare string"])
def test_parameters_file_that_is_not_a_yaml_mapping(lab, capsys, text, expected):
    assert expected in _refused(lab, capsys, params=text)


def test_parameters_file_that_is_not_text(lab, capsys):
    lab.params.write_bytes(b"\xff\xfe\x00binary")
    assert "is not a text (UTF-8) file" in _refused(lab, capsys)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_parameters_file(lab, capsys):
    lab.params.chmod(0)
    assert "cannot be read (permission denied)" in _refused(lab, capsys)


# ------------------------------------------------------------------ notebook selection
@pytest.mark.parametrize("options, expected", [
    (["--from", "five"], "--from 'five' is not a notebook number: use the two digits of a notebook, e.g. --from 05"),
    (["--only", "00", "42"], "--only 42: notebook 42 does not exist (notebooks here: 00, 01, 05, 10, 99)"),
    (["--from", "42"], "--from 42: notebook 42 does not exist"),
    (["--to", "07"], "--to 07: notebook 07 does not exist"),
    (["--only", "1x"], "--only '1x' is not a notebook number"),
    (["--from", "10", "--to", "05"], "--from 10 --to 05 selects no notebook: widen the selection"),
    (["--persona", "subscriber", "--only", "05"], "selects no notebook of the subscriber"),
    (["--persona", "publisher", "--to", "01"], "--to 01 --persona publisher selects no notebook of the publisher"),
], ids=["from five", "only 42", "from 42", "to 07", "only 1x", "from after to", "persona without its notebooks",
        "persona cut off by --to"])
def test_selection_that_names_no_notebook(lab, capsys, options, expected):
    assert expected in _refused(lab, capsys, *options)


def test_notebooks_folder_missing_or_empty(lab, capsys):
    assert "is not a folder" in _refused(lab, capsys, "--notebooks", str(lab.root / "missing"))
    (lab.root / "empty").mkdir()
    assert "holds no numbered notebook" in _refused(lab, capsys, "--notebooks", str(lab.root / "empty"))


def test_unknown_persona_is_refused_by_the_parser(lab, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "-f", str(lab.params), "--notebooks", str(lab.notebooks), "--persona", "tester"])
    assert exit_.value.code == 2
    assert "invalid choice: 'tester'" in capsys.readouterr().err
    assert not lab.work.exists()


# ------------------------------------------------------------------ one run at a time
def test_second_run_on_the_same_work_dir_names_the_first(lab, capsys):
    with RunLock(lab.work):
        code = cli.main(["run", "-f", str(lab.params), "--notebooks", str(lab.notebooks)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"another run is using the work dir {lab.work} (pid {os.getpid()}, started " in err
    assert "wait for it to finish" in err
    assert not (lab.root / "runs").exists() and lab.started == []


def test_lock_is_released_when_the_holder_crashes(tmp_path):
    code = ("import os, sys; from lab_helpers.runlock import RunLock; "
            "RunLock(sys.argv[1]).acquire(); os._exit(3)")  # dies holding it, without cleanup
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    assert subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env).returncode == 3
    with RunLock(tmp_path):  # free again
        pass


def test_run_folders_are_unique_within_one_second(tmp_path, monkeypatch):
    suffixes = iter(["aaaa", "aaaa", "bbbb"])  # the second run draws the first one's suffix, then another
    monkeypatch.setattr(runner.secrets, "token_hex", lambda _n: next(suffixes))
    first, second = runner.create_run_dir(tmp_path), runner.create_run_dir(tmp_path)
    assert first != second and first.is_dir() and second.is_dir()
    assert second.name.endswith("-bbbb")


# ------------------------------------------------------------------ state file
@pytest.mark.parametrize("content, problem", [
    ("{not json", "is not valid JSON"),
    ('["domain_id"]', "holds a JSON list, not an object of ids"),
    ("42", "holds a JSON int"),
    ("", "is not valid JSON"),
], ids=["not JSON", "a list", "a number", "empty file"])
def test_corrupt_state_is_moved_aside_and_read_as_empty(tmp_path, capsys, content, problem):
    (tmp_path / "lab_state.json").write_text(content)
    state = LabState(tmp_path)
    assert state.get("domain_id") is None
    err = capsys.readouterr().err
    assert str(tmp_path / "lab_state.json") in err and problem in err and "starting from an empty state" in err
    aside = list(tmp_path.glob("lab_state.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text() == content
    state.update(domain_id="dzd_1")  # and the lab carries on
    assert json.loads((tmp_path / "lab_state.json").read_text()) == {"domain_id": "dzd_1"}


# ------------------------------------------------------------------ notebooks: a short message, no traceback
def _run_in_ipython(code: str, capsys) -> str:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell(code)
    out = capsys.readouterr()
    return out.out + out.err


@pytest.mark.parametrize("params, expected", [
    ("region='us-east-9'", "ConfigError"),
    ("sample_rows='10'", "sample_rows='10' is text"),
    ("create_prerequisites='maybe'", "not true or false"),
], ids=["Region", "sample_rows", "boolean"])
def test_start_notebook_shows_one_line_for_bad_parameters(tmp_path, capsys, params, expected):
    text = _run_in_ipython(
        f"from lab_helpers.notebook import start_notebook\n"
        f"start_notebook('publisher', work_dir={str(tmp_path)!r}, {params})", capsys)
    assert expected in text and "Fix the parameters cell" in text
    assert "Traceback" not in text and "File " not in text
    assert len(text.strip().splitlines()) == 1, text
    assert list(tmp_path.iterdir()) == []  # nothing written to the work dir


def test_start_notebook_shows_one_line_for_bad_credentials(tmp_path, capsys, monkeypatch):
    (tmp_path / "config").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    text = _run_in_ipython(
        "from lab_helpers.notebook import start_notebook\n"
        f"start_notebook('publisher', work_dir={str(tmp_path)!r}, backend='aws', producer_account_id='111122223333',"
        " consumer_account_id='444455556666', profiles={'publisher': 'no-such-profile'})", capsys)
    assert "CredentialsError" in text and "profiles['publisher']" in text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1, text


def test_config_error_renders_without_traceback():
    assert ConfigError("x is wrong: fix it")._render_traceback_() == ["\x1b[0;31mConfigError\x1b[0m: x is wrong: fix it"]


# ------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_saves_the_partial_notebook_prints_summary_and_resume(tmp_path):
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    _notebook(notebooks / "01_producer_admin_fast.ipynb")
    _notebook(notebooks / "02_publisher_slow.ipynb", "import time\ntime.sleep(120)")
    _notebook(notebooks / "03_publisher_never.ipynb")
    params = tmp_path / "p.yaml"
    params.write_text(GOOD)
    out, work = tmp_path / "out", tmp_path / "work"
    env = dict(os.environ, PYTHONPATH=str(ROOT), LAB_WORKDIR=str(work))
    argv = [sys.executable, "-m", "lab_helpers", "run", "-f", str(params), "--notebooks", str(notebooks), "--output", str(out)]
    # a new session, so the signal goes to the process group as a terminal's Ctrl-C does
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    partial = out / "02_publisher_slow.ipynb"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (partial.exists() and "before sleep\\n" in partial.read_text()):
            time.sleep(0.2)
        assert partial.exists(), "the slow notebook never started"
        # meanwhile a second run on the same work dir is refused, naming the first
        second = subprocess.run(argv[:-1] + [str(tmp_path / "out2")], capture_output=True, text=True, env=env)
        assert second.returncode == 2 and f"(pid {proc.pid}, started " in second.stderr
        assert not (tmp_path / "out2").exists()
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    assert "01_producer_admin_fast" in stdout and "INTERRUPTED" in stdout and "skipped" in stdout
    assert f"partial notebook saved at {partial}" in stderr
    assert f"resume with: python -m lab_helpers run -f {params} --notebooks {notebooks} --from 02" in stderr
    assert "Traceback" not in stderr
    saved = nbf.read(partial, as_version=4)
    assert "before sleep" in "".join(o.get("text", "") for c in saved.cells for o in c.get("outputs", []))
    assert not (out / "03_publisher_never.ipynb").exists()
    with RunLock(work):  # released on exit
        pass
