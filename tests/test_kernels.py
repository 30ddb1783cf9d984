"""Warm kernels: each notebook still gets a fresh kernel; parallel runs respect what each needs."""

from __future__ import annotations

from pathlib import Path

import nbformat

from lab_helpers.kernels import Job, execute


def _notebook(path: Path, source: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _job(tmp: Path, key: str, source: str, needs: tuple[str, ...] = ()) -> Job:
    return Job(key, _notebook(tmp / f"in{key}.ipynb", source), tmp / f"out{key}.ipynb", {}, frozenset(needs))


def test_a_warm_kernel_is_fresh_and_nothing_leaks_into_the_next_notebook(tmp_path: Path) -> None:
    first = _job(tmp_path, "1", "leaked = 'from notebook 1'\nimport os\nos.environ['LAB_LEAK'] = '1'")
    second = _job(tmp_path, "2", "import sys\n"
                                 "assert 'leaked' not in globals(), 'a name from notebook 1 reached notebook 2'\n"
                                 "assert not [n for n in globals() if n.startswith('_lab')], 'the warm-up bound names'\n"
                                 "assert 'pandas' in sys.modules and 'lab_helpers.notebook' in sys.modules, 'not warmed'\n"
                                 "import os\nassert 'LAB_LEAK' not in os.environ\n"
                                 "from ipykernel.kernelapp import IPKernelApp\n"  # it ends when its worker does
                                 "assert IPKernelApp.instance().parent_handle == os.getppid(), 'no parent to watch'\n"
                                 "print(len(In))")
    outcomes = execute([first, second], tmp_path, tmp_path / "kernels.log")
    assert [outcomes[k].status for k in ("1", "2")] == ["ok", "ok"], outcomes
    printed = nbformat.read(second.output, as_version=4).cells[0].outputs[0]["text"]
    assert printed.strip() == "2"  # the warm-up left no history: only this cell's input


def test_a_kernel_warms_what_its_notebook_imports_and_nothing_heavier(tmp_path: Path) -> None:
    """On 2 cores a warming kernel takes CPU from the running notebook: it imports what its notebook uses
    (with the kit's lazily imported libraries), not awswrangler and matplotlib for every notebook."""
    check = "import sys\nprint(sorted(m for m in ('awswrangler', 'matplotlib.pyplot', 'ipywidgets') if m in sys.modules))"
    plain = _job(tmp_path, "1", "from lab_helpers.notebook import start_notebook\n" + check)
    querying = _job(tmp_path, "2", "from lab_helpers import queries as q\n" + check)
    outcomes = execute([plain, querying], tmp_path, tmp_path / "kernels.log")
    assert [outcomes[k].status for k in ("1", "2")] == ["ok", "ok"], outcomes
    printed = [nbformat.read(j.output, as_version=4).cells[0].outputs[0]["text"].strip() for j in (plain, querying)]
    # queries.LAZY_IMPORTS (awswrangler) and, as queries imports waits, waits.LAZY_IMPORTS (its progress bar)
    assert printed == ["[]", "['awswrangler', 'ipywidgets']"]


def test_parallel_starts_each_notebook_once_what_it_needs_succeeded_and_a_failure_stops_new_starts(tmp_path: Path) -> None:
    flag = tmp_path / "written-by-2"
    slow = _job(tmp_path, "1", f"import pathlib, time\nfor _ in range(1200):\n    if pathlib.Path({str(flag)!r}).exists(): break\n"
                               "    time.sleep(0.1)\nelse:\n    raise TimeoutError('notebook 2 never ran beside notebook 1')")
    fast = _job(tmp_path, "2", f"import pathlib\npathlib.Path({str(flag)!r}).write_text('2')")
    after_both = _job(tmp_path, "3", "pass", needs=("1", "2"))
    failing = _job(tmp_path, "4", "raise ValueError('boom')", needs=("3",))
    after_failure = _job(tmp_path, "5", "pass", needs=("4",))
    outcomes = execute([slow, fast, after_both, failing, after_failure], tmp_path, tmp_path / "kernels.log",
                       parallel=True)
    assert outcomes["3"].started >= max(outcomes["1"].ended, outcomes["2"].ended)
    assert outcomes["1"].status == "ok", outcomes["1"].error  # it waited for notebook 2: they overlapped
    assert outcomes["4"].status == "FAILED" and "boom" in outcomes["4"].error
    assert outcomes["5"].status == "skipped" and not (tmp_path / "out5.ipynb").exists()


def test_each_run_gives_its_notebooks_the_callers_environment_of_that_moment(tmp_path: Path, monkeypatch) -> None:
    """Workers fork from a server started earlier: the environment must still be the caller's at the time of the run."""
    for value in ("first", "second"):
        monkeypatch.setenv("LAB_KERNELS_PROBE", value)
        job = _job(tmp_path, value, f"import os\nassert os.environ['LAB_KERNELS_PROBE'] == {value!r}, os.environ['LAB_KERNELS_PROBE']")
        outcome = execute([job], tmp_path, tmp_path / "kernels.log")[value]
        assert outcome.status == "ok", outcome.error
