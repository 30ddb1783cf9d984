"""The committed notebooks are the lab's source: the shape every notebook keeps, checked here.

Authors edit the notebooks in JupyterLab; these rules replace the generator that used to
write them: valid nbformat, no outputs, stable unique cell ids, one type-hinted and
commented ``parameters`` cell, the persona's ``start_notebook`` right after it, and prose
(a markdown cell) before every step's code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from lab_helpers.runner import find_notebooks
from lab_helpers.steps import STEPS

NOTEBOOKS = sorted(find_notebooks(Path(__file__).resolve().parent.parent / "notebooks"))
FIX = "run `.venv/bin/python tools/clear_outputs.py` before committing"


def _read(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


def test_the_lab_has_its_notebooks() -> None:
    assert [p.stem for p in NOTEBOOKS] == [s.notebook for s in STEPS.values()], "notebooks and lab_helpers/steps.py differ"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_committed_without_outputs(path: Path) -> None:
    nb = _read(path)
    dirty = [c.id for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs: {FIX}"
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, f"{path.name}: run metadata left: {FIX}"
    assert all(set(c.metadata) <= {"tags"} for c in nb.cells), f"{path.name}: cell run metadata left: {FIX}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_cell_ids_present_and_unique(path: Path) -> None:
    ids = [c.get("id") for c in _read(path).cells]
    assert all(ids) and len(set(ids)) == len(ids), f"{path.name}: cell ids missing or repeated"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_one_documented_parameters_cell(path: Path) -> None:
    cells = _read(path).cells
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters' (exactly one is needed)"
    index = tagged[0]
    assert cells[index].cell_type == "code"
    assert index == next(i for i, c in enumerate(cells) if c.cell_type == "code"), "parameters must be the first code cell"
    assert cells[0].cell_type == "markdown" and re.match(rf"# {path.name[:2]} · ", cells[0].source), \
        f"{path.name}: the first cell is the title '# {path.name[:2]} · …'"
    source = cells[index].source
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            pytest.fail(f"{path.name}: parameter {ast.unparse(node.targets[0])} has no type hint")
        if isinstance(node, ast.AnnAssign):
            line = source.splitlines()[node.lineno - 1]
            assert "#" in line.split("=", 1)[1], f"{path.name}: parameter {ast.unparse(node.target)} has no comment"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.name.startswith("00")], ids=lambda p: p.name[:2])
def test_persona_start_follows_parameters(path: Path) -> None:
    cells = _read(path).cells
    index = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    start = cells[index + 1]
    step = STEPS[path.name[:2]]
    persona = step.persona if step.persona != "all" else "producer_admin"
    assert start.cell_type == "code" and f'start_notebook("{persona}", step="{step.number}"' in start.source, \
        f"{path.name}: the cell after the parameters must open the persona's session and check the step's " \
        f"preconditions with start_notebook({persona!r}, step={step.number!r}, …)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_prose_before_every_step(path: Path) -> None:
    cells = _read(path).cells
    index = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    first_step = index + (1 if path.name.startswith("00") else 2)
    for before, cell in zip(cells[first_step - 1:], cells[first_step:]):
        if cell.cell_type == "code":
            assert before.cell_type == "markdown" and before.source.strip(), \
                f"{path.name}: code cell {cell.id} has no markdown cell before it saying what the step does"
    assert cells[-1].cell_type == "markdown", f"{path.name}: the last cell is the recap and the link to the next notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_opens_like_a_workshop_step(path: Path) -> None:
    """The title cell says who you act as, how long it takes offline and on AWS, the goals and a diagram."""
    title = _read(path).cells[0].source
    for part, what in (("**You act as:**", "the persona"), ("**Time", "the time estimate"), ("on AWS", "the AWS time"),
                       ("**Goals**", "the goals"), ("```text\nproducer account", "the accounts diagram"),
                       ("https://aws.amazon.com/blogs/big-data/cross-account-data-collaboration-with-amazon-datazone-and-aws-"
                        "analytical-tools/", "the blog post's link")):
        assert part in title, f"{path.name}: the title cell lacks {what} ({part!r})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_ends_with_a_recap_and_a_link_to_the_next_notebook(path: Path) -> None:
    last = _read(path).cells[-1].source
    following = {p.name for p in NOTEBOOKS}
    names = [p.name for p in NOTEBOOKS]
    expected = names[(names.index(path.name) + 1) % len(names)]  # 99 leads back to 00
    assert last.startswith("## Recap"), f"{path.name}: the last cell is '## Recap …'"
    links = re.findall(r"\]\(([^)]+\.ipynb)\)", last)
    assert links == [expected] and expected in following, f"{path.name}: the recap links {links}, not [{expected}]"
