"""Run the lab's notebooks headlessly with papermill: in number order, or side by side (``--parallel``).

Each notebook gets only the parameters it declares and a fresh kernel, started and warmed
ahead while the previous notebook runs (:mod:`lab_helpers.kernels`); executed copies go to
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
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import papermill as pm

from .config import PERSONAS, LabConfig, make_config, read_params_file
from .errors import ConfigError
from .steps import needs_among, step_of

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
    started: float | None = None  # wall clock (time.time())
    ended: float | None = None
    output: Path | None = None
    error: str = ""
    cell_index: int | None = None
    consumer: str | None = None  # a consumer-side notebook run for this consumer account (a room: once per consumer)

    @property
    def key(self) -> str:
        """The job's key: the number, with ``@<consumer account>`` for a notebook run once per consumer."""
        return f"{self.number}@{self.consumer}" if self.consumer else self.number

    @property
    def label(self) -> str:
        return f"{self.name} @{self.consumer}" if self.consumer else self.name


def _in_table(name: str) -> bool:
    """Whether ``name`` is one of the walkthrough's notebooks (lab_helpers/steps.py)."""
    try:
        step_of(name)
    except KeyError:
        return False
    return True


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


def per_consumer(path: Path) -> bool:
    """Whether a notebook acts for one consumer account at a time (03, 07, 08, 10: the consumer side's)."""
    return _in_table(path.stem) and step_of(path.stem).side == "consumer"


def run_lab(notebooks_dir: Path, params: dict[str, Any], out_dir: Path, paths: list[Path],
            kernel_name: str | None = None, stream=sys.stdout, parallel: bool = False,
            needs: Mapping[str, Collection[str]] | None = None,
            consumers: list[str] | None = None) -> list[NotebookRun]:
    """Execute ``paths`` into ``out_dir``; a failure stops new starts, Ctrl-C interrupts.

    Each notebook runs on a fresh kernel that was started and warmed while the previous one
    ran (:mod:`lab_helpers.kernels`). In order by default; with ``parallel`` each notebook
    starts as soon as the notebooks ``needs[number]`` names have succeeded (default: the
    walkthrough's graph among the selected notebooks, :func:`lab_helpers.steps.needs_among`). papermill saves
    each notebook after every cell, so a failed or interrupted notebook is left in
    ``out_dir`` as far as it ran; its run says ``FAILED`` or ``INTERRUPTED``.

    ``consumers`` (a room): each consumer-side notebook runs once per consumer account, in turn,
    with ``consumer_account_id`` set (saved as ``NN_name-<account>.ipynb``); a producer-side
    notebook acts for every consumer and, in parallel, waits for every consumer's notebooks it needs.
    """
    from tqdm.auto import tqdm

    from . import kernels

    out_dir = out_dir.resolve()  # papermill runs in the notebooks' folder: a relative path would move
    out_dir.mkdir(parents=True, exist_ok=True)
    units = [(p, c) for p in paths for c in (consumers if consumers and per_consumer(p) else [None])]
    runs = [NotebookRun(NOTEBOOK_RE.match(p.name).group(1), p.stem, persona_of(p.stem), consumer=c)  # type: ignore[union-attr]
            for p, c in units]
    by_key = {r.key: r for r in runs}
    if needs is None:
        needs = needs_among(dict.fromkeys(r.number for r in runs if _in_table(r.name)))
    keys_of: dict[str, list[str]] = {}
    for run in runs:
        keys_of.setdefault(run.number, []).append(run.key)

    def waits_for(run: NotebookRun) -> frozenset[str]:
        found: set[str] = set()
        for number in (needs or {}).get(run.number, ()):
            keys = keys_of.get(number, [number])
            same = [k for k in keys if k == f"{number}@{run.consumer}"]
            found.update(same if run.consumer and same else keys)  # a consumer waits for its own; the producer for all
        return frozenset(found)

    jobs = []
    for (path, consumer), run in zip(units, runs):
        wanted = declared_parameters(path)
        run.output = out_dir / (f"{path.stem}-{consumer}.ipynb" if consumer else path.name)
        given = {k: v for k, v in params.items() if k in wanted}
        if consumer:
            given["consumer_account_id"] = consumer
        jobs.append(kernels.Job(run.key, path, run.output, given, waits_for(run)))
    bar = tqdm(total=len(runs), desc="lab", unit="notebook", file=stream, leave=True)
    running: list[str] = []

    def event(kind: str, job: Any, outcome: Any) -> None:
        if kind == "started":
            running.append(by_key[job.key].label)
        else:
            running.remove(by_key[job.key].label)
            bar.update(1)
        bar.set_postfix_str(", ".join(running))

    outcomes = kernels.execute(jobs, notebooks_dir, out_dir / KERNEL_LOG, kernel_name=kernel_name,
                               parallel=parallel, on_event=event)
    bar.close()
    for run in runs:
        outcome = outcomes[run.key]
        run.status, run.error, run.cell_index = outcome.status, outcome.error, outcome.cell_index
        run.started, run.ended, run.seconds = outcome.started, outcome.ended, outcome.seconds
    return runs


def chosen_consumers(config: LabConfig, asked: list[str] | None) -> list[str] | None:
    """The consumer accounts a run acts for, one at a time: ``--consumer`` ids (each one of the config's), else
    every consumer account when there are several; ``None`` for the two-account lab (nothing repeats)."""
    from .validate import normalise_account_id

    if not asked:
        return list(config.consumers) if len(config.consumers) > 1 else None
    chosen = []
    for value in asked:
        account = normalise_account_id(value, "--consumer")
        if account not in config.consumers:
            raise ConfigError(f"--consumer {account} is not one of the lab's consumer accounts "
                              f"({', '.join(config.consumers)}): use one of them, or add it to consumer_account_ids.")
        chosen.append(account)
    return list(dict.fromkeys(chosen))


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
    """A plain-text table: notebook, persona, status, start and end (seconds from the run's start), seconds."""
    began = min((r.started for r in runs if r.started is not None), default=None)

    def at(moment: float | None) -> str:
        return f"+{moment - began:.1f}" if moment is not None and began is not None else "-"

    rows = [("notebook", "persona", "status", "start", "end", "seconds")]
    rows += [(r.label, r.persona, r.status, at(r.started), at(r.ended), f"{r.seconds:.1f}" if r.status != "skipped" else "-")
             for r in runs]
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 3 else cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    ended = max((r.ended for r in runs if r.ended is not None), default=None)
    wall = f"{ended - began:.1f} s wall" if began is not None and ended is not None else "nothing ran"
    lines.append(f"total {sum(r.seconds for r in runs):.1f} s of notebooks, {wall}")
    return "\n".join(lines)


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
