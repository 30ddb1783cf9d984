"""Wall time of the full offline lab, per notebook, against a baseline of empty notebooks.

Runs every numbered notebook through papermill on a fresh stand-in and work dir, then the
same number of empty notebooks (one trivial cell each) on the same kernel, and prints both.
Targets: the whole lab under 90 s on the 2-core machine, and under 2x the baseline.

    .venv/bin/python bench/lab_run.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parent.parent



def main() -> int:
    from lab_helpers import runner
    from lab_helpers.offline import server
    from lab_helpers.offline.server import free_port

    work = tempfile.mkdtemp(prefix="lab-bench-")
    port = free_port()
    os.environ["LAB_WORKDIR"], os.environ["LAB_OFFLINE_PORT"] = work, str(port)
    params = runner.load_run_params(str(ROOT / "parameters" / "offline.yaml"))
    params.update(offline_port=port, work_dir=work)
    paths = runner.find_notebooks(ROOT / "notebooks")
    out = Path(work) / "runs"
    try:
        started = time.monotonic()
        runs = runner.run_lab(ROOT / "notebooks", params, out, paths, stream=open(os.devnull, "w"))
        lab_seconds = time.monotonic() - started
    finally:
        server.stop(work, port)
    failed = runner.failure_report(runs)

    empty = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    empty.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    empty_path = Path(work) / "empty.ipynb"
    nbformat.write(empty, empty_path)
    started = time.monotonic()
    for i in range(len(paths)):
        pm.execute_notebook(str(empty_path), str(Path(work) / f"empty-{i}.ipynb"), progress_bar=False)
    baseline = time.monotonic() - started

    print(runner.summary_table(runs))
    print()
    print(f"full offline lab:   {lab_seconds:6.1f} s for {len(paths)} notebooks (target < 90 s)")
    print(f"baseline:           {baseline:6.1f} s for {len(paths)} empty notebooks on the same kernel")
    print(f"ratio lab/baseline: {lab_seconds / baseline:6.2f} (target < 2.0)")
    if failed:
        print(failed, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
