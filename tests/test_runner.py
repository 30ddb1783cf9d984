"""The headless runner: parameters per notebook, order, summary, and a failure report that helps."""

import nbformat as nbf
import pytest

from lab_helpers import runner
from lab_helpers.cli import main


def _notebook(path, body, params="backend: str = 'offline'\nproducer_account_id: str = ''"):
    nb = nbf.v4.new_notebook(cells=[
        nbf.v4.new_markdown_cell("# test"),
        nbf.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        nbf.v4.new_code_cell(body),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbf.write(nb, path)


@pytest.fixture
def lab_dir(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "01_producer_admin_first.ipynb", "print('first', repr(producer_account_id))")
    _notebook(folder / "02_publisher_second.ipynb", "x = 1\nraise ValueError('the bucket is gone')")
    _notebook(folder / "10_subscriber_third.ipynb", "print('never')", params="region: str = 'x'")
    params = tmp_path / "p.yaml"
    params.write_text("backend: aws\nproducer_account_id: 012345670123\nconsumer_account_id: '444455556666'\nregion: eu-west-1\n")
    return folder, params


def test_order_and_selection(lab_dir):
    folder, _ = lab_dir
    names = [p.name[:2] for p in runner.find_notebooks(folder)]
    assert names == ["01", "02", "10"]
    assert [p.name[:2] for p in runner.select(runner.find_notebooks(folder), start="02")] == ["02", "10"]
    assert [p.name[:2] for p in runner.select(runner.find_notebooks(folder), only=["1", "10"])] == ["01", "10"]
    assert [p.name[:2] for p in runner.select(runner.find_notebooks(folder), persona="publisher")] == ["02"]
    _notebook(folder / "00_lab_setup.ipynb", "pass")
    _notebook(folder / "99_cleanup.ipynb", "pass")
    # a persona's notebooks plus setup, never the cleanup of everything
    assert [p.name[:2] for p in runner.select(runner.find_notebooks(folder), persona="subscriber")] == ["00", "10"]


def test_failure_report_names_notebook_cell_error_and_partial_copy(lab_dir, tmp_path, capsys):
    folder, params = lab_dir
    out = tmp_path / "out"
    code = main(["run", "-f", str(params), "--notebooks", str(folder), "--output", str(out)])
    assert code == 1
    captured = capsys.readouterr()
    table = captured.out
    assert "01_producer_admin_first" in table and "ok" in table
    assert "02_publisher_second" in table and "FAILED" in table
    assert "10_subscriber_third" in table and "skipped" in table
    err = captured.err
    # cell 3 of the saved notebook: papermill inserts the injected-parameters cell after the parameters cell
    assert "02_publisher_second failed at cell 3: ValueError: the bucket is gone" in err
    assert str(out / "02_publisher_second.ipynb") in err
    assert "--from 02" in err
    # the partial notebook was saved, and the first got only the parameters it declares, ids as written
    first = nbf.read(out / "01_producer_admin_first.ipynb", as_version=4)
    assert "first '012345670123'" in "".join(o.get("text", "") for c in first.cells for o in c.get("outputs", []))
    assert first.metadata.papermill.parameters == {"backend": "aws", "producer_account_id": "012345670123"}
    assert (out / "02_publisher_second.ipynb").exists()


def test_bad_parameters_stop_before_any_notebook_runs(lab_dir, tmp_path, capsys):
    folder, params = lab_dir
    params.write_text("backend: aws\nproducer_account_id: '12345'\nconsumer_account_id: '444455556666'\n")
    out = tmp_path / "out"
    assert main(["run", "-f", str(params), "--notebooks", str(folder), "--output", str(out)]) == 2
    assert "producer_account_id" in capsys.readouterr().err
    assert not out.exists()


def test_a_consumer_not_in_the_room_stops_before_any_notebook_runs(lab_dir, tmp_path, capsys):
    folder, params = lab_dir
    params.write_text("consumer_account_ids: ['222222222222', '333333333333']\n")
    out = tmp_path / "out"
    assert main(["run", "-f", str(params), "--notebooks", str(folder), "--output", str(out),
                 "--consumer", "444444444444"]) == 2
    assert "--consumer 444444444444 is not one of the lab's consumer accounts" in capsys.readouterr().err
    assert not out.exists()
