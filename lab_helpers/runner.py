"""Run the lab's notebooks headlessly with papermill, in number order.

Each notebook gets only the parameters it declares; executed copies go to
``runs/<timestamp>/``. At the end a table says what ran, as whom, and how long it took;
a failure names the notebook, the cell, the error and the saved partial notebook.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import papermill as pm
from papermill.exceptions import PapermillExecutionError

from .config import PERSONAS, LabConfig, make_config, read_params_file

NOTEBOOK_RE = re.compile(r"^(\d{2})_(.+)\.ipynb$")


@dataclass
class NotebookRun:
    number: str
    name: str
    persona: str
    status: str = "pending"
    seconds: float = 0.0
    output: Path | None = None
    error: str = ""
    cell_index: int | None = None


def persona_of(name: str) -> str:
    """The persona a notebook acts as, read from its name ('all' for setup and cleanup)."""
    for persona in PERSONAS:
        if f"_{persona}_" in f"_{name}_":
            return persona
    return "all"


def find_notebooks(folder: Path) -> list[Path]:
    """``NN_name.ipynb`` files in ``folder``, in number order."""
    found = [p for p in folder.iterdir() if NOTEBOOK_RE.match(p.name)]
    return sorted(found, key=lambda p: (int(NOTEBOOK_RE.match(p.name).group(1)), p.name))  # type: ignore[union-attr]


def select(paths: list[Path], start: str | None = None, stop: str | None = None,
           only: list[str] | None = None, persona: str | None = None) -> list[Path]:
    """Filter notebooks by ``--from``/``--to`` numbers, ``--only`` numbers and ``--persona``.

    ``--persona`` keeps that persona's notebooks and 00 (setup), never 99 (cleanup).
    """
    chosen = []
    for path in paths:
        number = int(NOTEBOOK_RE.match(path.name).group(1))  # type: ignore[union-attr]
        if start is not None and number < int(start):
            continue
        if stop is not None and number > int(stop):
            continue
        if only and number not in {int(n) for n in only}:
            continue
        if persona and persona_of(path.stem) != persona and number != 0:
            continue  # a persona's notebooks plus setup; cleanup (99) only when asked for
        chosen.append(path)
    return chosen


def declared_parameters(path: Path) -> set[str]:
    """Names the notebook's ``parameters`` cell declares."""
    return set(pm.inspect_notebook(str(path)).keys())


def run_lab(notebooks_dir: Path, params: dict[str, Any], out_dir: Path, paths: list[Path],
            kernel_name: str | None = None, stream=sys.stdout) -> list[NotebookRun]:
    """Execute ``paths`` in order into ``out_dir``; stops at the first failure."""
    from tqdm.auto import tqdm

    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [NotebookRun(NOTEBOOK_RE.match(p.name).group(1), p.stem, persona_of(p.stem)) for p in paths]  # type: ignore[union-attr]
    bar = tqdm(total=len(paths), desc="lab", unit="notebook", file=stream, leave=True)
    failed = False
    for path, run in zip(paths, runs):
        if failed:
            run.status = "skipped"
            continue
        bar.set_postfix_str(path.stem)
        wanted = declared_parameters(path)
        given = {k: v for k, v in params.items() if k in wanted}
        run.output = out_dir / path.name
        started = time.monotonic()
        try:
            pm.execute_notebook(
                str(path), str(run.output), parameters=given, cwd=str(notebooks_dir),
                kernel_name=kernel_name, progress_bar=False, log_output=False, request_save_on_cell_execute=False,
            )
            run.status = "ok"
        except PapermillExecutionError as exc:
            run.status = "FAILED"
            run.cell_index = exc.cell_index
            run.error = f"{exc.ename}: {exc.evalue}"
            failed = True
        except Exception as exc:  # kernel died, notebook unreadable, ...
            run.status = "FAILED"
            run.error = f"{type(exc).__name__}: {exc}"
            failed = True
        run.seconds = time.monotonic() - started
        bar.update(1)
    bar.close()
    return runs


def start_stand_in_early(config) -> None:  # type: ignore[no-untyped-def]
    """Start the offline stand-in in a thread while the first kernel starts (its start-up overlaps).

    The notebooks' own first use waits for it (the start is serialised by a lock file).
    """
    import threading

    from .offline import server

    def start() -> None:
        try:
            server.start(config.work_dir, config.offline_port)
        except server.ServerError:
            pass  # the first notebook that needs it reports the problem in its own words

    threading.Thread(target=start, name="stand-in-start", daemon=True).start()


def summary_table(runs: list[NotebookRun]) -> str:
    """A plain-text table: notebook, persona, status, seconds."""
    rows = [("notebook", "persona", "status", "seconds")]
    rows += [(r.name, r.persona, r.status, f"{r.seconds:.1f}" if r.status != "skipped" else "-") for r in runs]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    total = sum(r.seconds for r in runs)
    lines.append(f"total {total:.1f} s")
    return "\n".join(lines)


def failure_report(runs: list[NotebookRun]) -> str | None:
    failed = next((r for r in runs if r.status == "FAILED"), None)
    if failed is None:
        return None
    where = f"cell {failed.cell_index}" if failed.cell_index is not None else "before any cell ran"
    return (f"{failed.name} failed at {where}: {failed.error}\n"
            f"partial notebook saved at {failed.output}\n"
            f"fix the cause, then resume with: python -m lab_helpers run --from {failed.number}")


def default_run_dir(root: Path) -> Path:
    return root / "runs" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def load_run_params(path: str | None) -> tuple[dict[str, Any], LabConfig]:
    """Parameters for the run (the YAML file, ids kept as written) and their validated config.

    Bad input stops here, before any notebook creates anything.
    """
    params = read_params_file(path) if path else {}
    return params, make_config(**params)
