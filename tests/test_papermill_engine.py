"""The runner's papermill engine writes less often and leaves the same notebook on disk."""

import json

import nbformat
import papermill as pm
import pytest

from lab_helpers import papermill_engine


def _notebook(tmp_path, cells):
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "in.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_saved_notebook_shows_the_running_cell_and_every_cells_timings(tmp_path, monkeypatch):
    out = tmp_path / "out.ipynb"
    peek = (f"import json; cells = json.load(open({str(out)!r}))['cells']\n"
            "print([c['metadata']['papermill']['status'] for c in cells])")
    path = _notebook(tmp_path, [nbformat.v4.new_markdown_cell("# a step"), nbformat.v4.new_code_cell("x = 1"),
                                nbformat.v4.new_markdown_cell("## the next"), nbformat.v4.new_code_cell(peek)])
    writes = []
    real = papermill_engine.papermill_io.write
    monkeypatch.setattr(papermill_engine.papermill_io, "write", lambda text, p: (writes.append(p), real(text, p)))
    pm.execute_notebook(str(path), str(out), engine_name=papermill_engine.ENGINE_NAME, progress_bar=False)

    saved = json.loads(out.read_text())
    running = "".join(saved["cells"][3]["outputs"][0]["text"])
    assert running.strip() == "['completed', 'completed', 'completed', 'running']"  # on disk while it ran
    assert all(c["metadata"]["papermill"]["duration"] is not None for c in saved["cells"])
    assert [c["metadata"]["papermill"]["status"] for c in saved["cells"]] == ["completed"] * 4
    # the start, each code cell's start and end, the engine's end, papermill's own last write (stock: 1 + 2 * 4 + 1 + 1)
    assert len(writes) == 1 + 2 * 2 + 1 + 1


def test_a_failed_cell_is_on_disk_with_its_error(tmp_path):
    out = tmp_path / "out.ipynb"
    path = _notebook(tmp_path, [nbformat.v4.new_code_cell("raise ValueError('no such domain')"),
                                nbformat.v4.new_markdown_cell("never reached")])
    with pytest.raises(pm.PapermillExecutionError):
        pm.execute_notebook(str(path), str(out), engine_name=papermill_engine.ENGINE_NAME, progress_bar=False)
    saved = nbformat.read(out, as_version=4)
    nbformat.validate(saved)
    ran = [c for c in saved.cells if "papermill" in c.metadata]  # papermill puts its error banner first
    assert ran[0].outputs[-1]["evalue"] == "no such domain"
    assert [c.metadata.papermill.status for c in ran] == ["failed", "pending"]
