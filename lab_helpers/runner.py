"""Run the lab's notebooks headlessly with papermill, in number order.

Each notebook gets only the parameters it declares; executed copies go to
``runs/<timestamp>-<suffix>/`` (saved after every cell, so an interrupted or failed run
leaves its partial notebook). At the end a table says what ran, as whom, and how long it
took; a failure or a Ctrl-C names the notebook, the cell, the saved partial notebook and
the command that resumes there. A ``--from``/``--to``/``--only``/``--persona`` selection
that names a missing notebook or selects nothing is refused before anything runs.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import papermill as pm
from papermill.exceptions import PapermillExecutionError

from .config import PERSONAS, LabConfig, make_config, read_params_file
from .errors import ConfigError
from .steps import step_of

NOTEBOOK_RE = re.compile(r"^(\d{2})_(.+)\.ipynb$")
#: The kernels' own log lines (not cell output), in the run folder.
KERNEL_LOG = "kernels.log"


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
    """The persona a notebook acts as: from the steps table, else read from its name ('all' for setup and cleanup)."""
    try:
        return step_of(name).persona
    except KeyError:
        pass
    for persona in PERSONAS:
        if f"_{persona}_" in f"_{name}_":
            return persona
    return "all"


def find_notebooks(folder: Path) -> list[Path]:
    """``NN_name.ipynb`` files in ``folder``, in number order; a folder without any is an error."""
    if not folder.is_dir():
        raise ConfigError(f"--notebooks {folder} is not a folder: point it at the folder of the numbered notebooks.")
    found = [p for p in folder.iterdir() if NOTEBOOK_RE.match(p.name)]
    if not found:
        raise ConfigError(f"--notebooks {folder} holds no numbered notebook (NN_name.ipynb): "
                          "point it at the lab's notebooks/ folder.")
    return sorted(found, key=lambda p: (number_of(p), p.name))


def number_of(path: Path) -> int:
    """The notebook's number (``05`` for ``05_publisher_….ipynb``)."""
    return int(NOTEBOOK_RE.match(path.name).group(1))  # type: ignore[union-attr]


def _numbers(values: list[str], option: str, available: list[int]) -> list[int]:
    """``values`` as notebook numbers, each one present in ``available``."""
    listing = ", ".join(f"{n:02d}" for n in available)
    numbers = []
    for value in values:
        text = str(value).strip()
        if not (text.isdigit() and text.isascii() and len(text) <= 2):
            raise ConfigError(f"{option} {value!r} is not a notebook number: use the two digits of a notebook, "
                              f"e.g. {option} 05 (notebooks here: {listing}).")
        if int(text) not in available:
            raise ConfigError(f"{option} {text}: notebook {int(text):02d} does not exist (notebooks here: {listing}).")
        numbers.append(int(text))
    return numbers


def select(paths: list[Path], start: str | None = None, stop: str | None = None,
           only: list[str] | None = None, persona: str | None = None) -> list[Path]:
    """Filter notebooks by ``--from``/``--to`` numbers, ``--only`` numbers and ``--persona``.

    ``--persona`` keeps that persona's notebooks and 00 (setup), never 99 (cleanup). Raises
    :class:`ConfigError` when a number is not a notebook here or nothing is selected.
    """
    available = sorted({number_of(p) for p in paths})
    first = _numbers([start], "--from", available)[0] if start is not None else None
    last = _numbers([stop], "--to", available)[0] if stop is not None else None
    chosen_numbers = set(_numbers(only, "--only", available)) if only else None
    if persona is not None and persona not in PERSONAS:
        raise ConfigError(f"--persona {persona!r} is unknown: use one of {', '.join(PERSONAS)}.")
    chosen = []
    for path in paths:
        number = number_of(path)
        if first is not None and number < first:
            continue
        if last is not None and number > last:
            continue
        if chosen_numbers is not None and number not in chosen_numbers:
            continue
        if persona and persona_of(path.stem) != persona and number != 0:
            continue  # a persona's notebooks plus setup; cleanup (99) only when asked for
        chosen.append(path)
    if not chosen or (persona and all(persona_of(p.stem) != persona for p in chosen)):
        asked = " ".join(part for part in (
            f"--from {start}" if start is not None else "", f"--to {stop}" if stop is not None else "",
            f"--only {' '.join(only)}" if only else "", f"--persona {persona}" if persona else "") if part)
        raise ConfigError(f"{asked} selects no notebook{' of the ' + persona if persona else ''}: "
                          f"widen the selection (notebooks here: {', '.join(f'{n:02d}' for n in available)}).")
    return chosen


def declared_parameters(path: Path) -> set[str]:
    """Names the notebook's ``parameters`` cell declares."""
    return set(pm.inspect_notebook(str(path)).keys())


def run_lab(notebooks_dir: Path, params: dict[str, Any], out_dir: Path, paths: list[Path],
            kernel_name: str | None = None, stream=sys.stdout) -> list[NotebookRun]:
    """Execute ``paths`` in order into ``out_dir``; stops at the first failure or Ctrl-C.

    papermill saves each notebook after every cell, so a failed or interrupted notebook
    is left in ``out_dir`` as far as it ran; its run says ``FAILED`` or ``INTERRUPTED``.
    """
    from tqdm.auto import tqdm

    out_dir = out_dir.resolve()  # papermill runs in the notebooks' folder: a relative path would move
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
                kernel_name=kernel_name, progress_bar=False, log_output=False, request_save_on_cell_execute=True,
                kernel_manager_class=_quiet_kernel_manager(out_dir / KERNEL_LOG),
            )
            run.status = "ok"
        except KeyboardInterrupt:
            run.status = "INTERRUPTED"
            run.cell_index = _last_started_cell(run.output)
            run.error = "interrupted (Ctrl-C)"
            failed = True
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


def _quiet_kernel_manager(log: Path) -> type:
    """A kernel manager whose kernels write their own log lines to ``log``, not to this terminal.

    The cells' output reaches the notebook either way (through Jupyter messages); what a
    kernel prints on its own stderr is start-up warnings and, on Ctrl-C, the traceback of
    its socket closing under it, which would read as the lab crashing.
    """
    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            with open(log, "ab") as handle:  # the kernel process gets its own copy of the descriptor
                kw.setdefault("stdout", handle)
                kw.setdefault("stderr", handle)
                await super().start_kernel(**kw)

    return QuietKernelManager


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


def _last_started_cell(output: Path | None) -> int | None:
    """The index of the last cell papermill started in the saved partial notebook, if any."""
    import nbformat

    try:
        nb = nbformat.read(str(output), as_version=4)
    except Exception:  # not saved yet (interrupted while the kernel started)
        return None
    started = [i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def failure_report(runs: list[NotebookRun], resume: Callable[[str], str] | None = None) -> str | None:
    """What failed or was interrupted, where its partial notebook is, and the command that resumes there.

    ``resume`` gives the command line that resumes at a notebook number (default: ``--from NN``).
    """
    failed = next((r for r in runs if r.status in ("FAILED", "INTERRUPTED")), None)
    if failed is None:
        return None
    where = f"at cell {failed.cell_index}" if failed.cell_index is not None else "before any cell ran"
    saved = (f"partial notebook saved at {failed.output}" if failed.output and failed.output.exists()
             else "no partial notebook was saved (its kernel had not started)")
    command = resume(failed.number) if resume else f"python -m lab_helpers run --from {failed.number}"
    if failed.status == "INTERRUPTED":
        return f"{failed.name} was interrupted {where}\n{saved}\nresume with: {command}"
    return f"{failed.name} failed {where}: {failed.error}\n{saved}\nfix the cause, then resume with: {command}"


def default_run_dir(root: Path) -> Path:
    """``root/runs/<timestamp>-<suffix>``: the folder name for a new run (see :func:`create_run_dir`)."""
    return root / "runs" / f"{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def create_run_dir(root: Path) -> Path:
    """Create and return a new run folder; two runs started in the same second never share one."""
    for _ in range(100):
        folder = default_run_dir(root)
        try:
            folder.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigError(f"cannot create the run folder {folder} ({exc.strerror}): "
                              "give a folder you can write with --output.") from None
        return folder
    raise ConfigError(f"cannot find a free run folder name under {root / 'runs'}: give one with --output.")


def load_run_params(path: str | None) -> tuple[dict[str, Any], LabConfig]:
    """Parameters for the run (the YAML file, ids kept as written) and their validated config.

    Bad input stops here, before any notebook creates anything: the :class:`ConfigError`
    names the file and the parameter.
    """
    params = read_params_file(path) if path else {}
    try:
        return params, make_config(**params)
    except ConfigError as exc:
        if not path:
            raise
        raise ConfigError(f"{path}: {exc}") from None
