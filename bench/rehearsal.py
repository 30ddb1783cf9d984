"""Rehearsal at AWS's pace: the lab's wall time against its critical path, sequential and parallel.

Runs the whole offline lab three times, each on a fresh stand-in and work dir:

1. at ``--pace instant``, in order: each notebook's own time (kernel, calls, SQL), no waiting;
2. at ``--pace aws/N`` (default aws/10), in order (``python -m lab_helpers run``);
3. at the same pace with ``--parallel``.

From the dependency graph (:mod:`lab_helpers.steps`), the waits of each notebook
(:data:`lab_helpers.durations.NOTEBOOK_WAITS`, a stage's waits overlapping) at the stand-in's
paced durations (:mod:`lab_helpers.offline.pace`), and each notebook's own time from run 1,
it computes the critical path (the longest chain of dependent notebooks) and the sequential
path (every notebook one after the other), and prints wall ÷ path for runs 2 and 3.
Targets: parallel ≤ 1.15 × the critical path; sequential ≤ 1.3 × the sequential path.

    .venv/bin/python bench/rehearsal.py [--pace aws/10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def run_once(pace: str, parallel: bool) -> tuple[float, list]:  # type: ignore[type-arg]
    """The whole lab on a fresh stand-in started at ``pace``: (wall seconds, runs)."""
    from lab_run import run_lab_once  # bench/lab_run.py, beside this script

    return run_lab_once(pace=pace, parallel=parallel)


def paths_for(own: dict[str, float], pace: str) -> tuple[float, float]:
    """(critical path, sequential path) in seconds: each notebook's own time plus its paced waits."""
    from lab_helpers import durations, steps
    from lab_helpers.offline import pace as rehearsal

    scale = rehearsal.parse(pace).scale or 0.0
    paced = {key for key, _ in rehearsal.PACED_MODELS.values()}
    weight = {n: own.get(n, 0.0) + durations.notebook_wait(
        n, lambda key: (durations.expected_seconds(key) or 0.0) * scale if key in paced else 0.0) for n in own}
    critical, _ = steps.critical_path(weight)
    return critical, sum(weight.values())


def main() -> int:
    from lab_helpers import runner

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pace", default="aws/10", help="the rehearsal pace (default aws/10)")
    args = parser.parse_args()
    instant_wall, instant_runs = run_once("instant", parallel=False)
    own = {r.number: r.seconds for r in instant_runs}
    critical, sequential = paths_for(own, args.pace)
    seq_wall, seq_runs = run_once(args.pace, parallel=False)
    par_wall, par_runs = run_once(args.pace, parallel=True)
    for title, runs in (("sequential", seq_runs), ("parallel", par_runs)):
        print(f"--- {title} at {args.pace}")
        print(runner.summary_table(runs))
    print()
    print(f"instant run:  {instant_wall:7.1f} s wall (the notebooks' own time: {sum(own.values()):.1f} s)")
    print(f"sequential:   {seq_wall:7.1f} s wall, sequential path {sequential:7.1f} s, "
          f"ratio {seq_wall / sequential:5.2f} (target <= 1.30)")
    print(f"parallel:     {par_wall:7.1f} s wall, critical path   {critical:7.1f} s, "
          f"ratio {par_wall / critical:5.2f} (target <= 1.15)")
    failed = [runner.failure_report(r) for r in (instant_runs, seq_runs, par_runs) if runner.failure_report(r)]
    if failed:
        print(failed[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
