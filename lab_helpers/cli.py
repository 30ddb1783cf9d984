"""``python -m lab_helpers``: the offline stand-in, the headless runner, the steps' status and the inventory."""

from __future__ import annotations

import argparse
import contextlib
import json
import shlex
import signal
import sys
from pathlib import Path

from . import validate
from .config import PERSONAS, ConfigError, default_work_dir, load_config, offline_port_for

ROOT = Path(__file__).resolve().parent.parent


def _offline_target(args: argparse.Namespace) -> tuple[str, int]:
    """The work dir and port ``offline`` acts on: ``--work-dir``/``--port``, else the parameters file's
    (``-f``; its ``offline_port``, or ``$LAB_OFFLINE_PORT``), else the work dir's own port (chosen per
    user and work dir, and recorded there)."""
    config = load_config(args.file, work_dir=args.work_dir) if args.file else None
    work_dir = args.work_dir or str(config.work_dir if config else default_work_dir())
    work_dir = str(validate.writable_folder(work_dir, "--work-dir"))
    port = args.port or (config.offline_port if config else offline_port_for(work_dir))
    return work_dir, port


def _offline(args: argparse.Namespace) -> int:
    from .offline import persistence, server

    work_dir, port = _offline_target(args)
    if args.action == "start":
        from .offline import pace as rehearsal

        try:
            pace = rehearsal.parse(args.pace).spec
        except rehearsal.PaceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        try:
            status, started = server.start(work_dir, port, fresh=args.fresh, pace=pace)
        except server.ServerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if started:
            print(f"started the offline stand-in at {status.endpoint} (pid {status.pid}, pace {pace}); "
                  f"log: {server.log_file(work_dir, port)}")
            report = persistence.read_report(work_dir, port)
            print(report.describe() if report else "saved state: unknown (no restore report)")
        elif status.belongs_to(work_dir):
            running = server.pace_of(port)
            print(f"already running at {status.endpoint} (pid {status.pid}); nothing to do"
                  + (f" (its pace is {running}: stop it and start again for pace {pace})" if running != pace else ""))
        else:
            print(f"already running at {status.endpoint} (pid {status.pid}), started for another lab "
                  f"(work dir {status.work_dir}); using it, but only that lab can stop it")
        print(f"use it from any AWS client: export AWS_ENDPOINT_URL={status.endpoint}")
        return 0
    if args.action == "status":
        status = server.status(port)
        print(status.describe())
        if status.ours:
            print(f"endpoint: {status.endpoint}")
        return 0 if status.ours else 3
    if args.action == "reset":
        result = server.stop(work_dir, port)
        if result.refused:
            print(result.message, file=sys.stderr)
            return 1
        if result:
            print(result.message)
        count = persistence.discard(work_dir)
        print(f"discarded the saved state ({count} recorded requests); the next start begins empty")
        return 0
    ports = sorted({port, *server.recorded_ports(work_dir)}) if args.all else [port]
    refused = stopped = False
    for each in ports:
        result = server.stop(work_dir, each)
        print(result.message, file=sys.stderr if result.refused else sys.stdout)
        refused, stopped = refused or result.refused, stopped or bool(result)
    if stopped:
        print(f"its state is kept in {persistence.journal_path(work_dir)}; "
              f"'offline start' restores it, 'offline start --fresh' or 'offline reset' discards it")
    return 1 if refused else 0


def _run(args: argparse.Namespace) -> int:
    """Check everything, take the work dir's run lock, run the notebooks, report.

    Exit codes: 0 all ran, 1 a notebook failed, 2 bad input (nothing was created),
    130 interrupted (Ctrl-C; the partial notebook is saved and the resume command printed).
    """
    from . import runner
    from .runlock import RunLock

    params, config = runner.load_run_params(args.file)
    notebooks_dir = Path(args.notebooks)
    paths = runner.select(runner.find_notebooks(notebooks_dir), args.start, args.stop, args.only, args.persona)
    consumers = runner.chosen_consumers(config, args.consumer)
    if args.output:
        validate.writable_folder(args.output, "--output")
    with RunLock(config.work_dir, " ".join(["python -m lab_helpers", *sys.argv[1:]])):
        root = ROOT if (ROOT / "notebooks").is_dir() else Path.cwd()
        out_dir = Path(args.output).resolve() if args.output else runner.create_run_dir(root)
        print(f"running {len(paths)} notebook(s) into {out_dir}", flush=True)
        if config.backend == "offline":  # warm the stand-in up while the first kernel starts
            runner.start_stand_in_early(config)
        runs = runner.run_lab(notebooks_dir, params, out_dir, paths, kernel_name=args.kernel, stream=sys.stderr,
                              parallel=args.parallel, consumers=consumers)
        interrupted = any(r.status == "INTERRUPTED" for r in runs)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if interrupted else None  # a 2nd Ctrl-C: no cut-off
        try:
            print(runner.summary_table(runs), flush=True)
            report = runner.failure_report(runs, resume=lambda number: resume_command(args, number))
            if report:
                print(report, file=sys.stderr, flush=True)
                if config.backend == "offline" and not interrupted:
                    stand_in_gone(config, args)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
    if report:
        return 130 if interrupted else 1
    if config.backend == "offline":
        print(f"the offline stand-in keeps serving on {config.endpoint_url} so you can resume or explore; "
              f"stop it with: python -m lab_helpers offline stop --port {config.offline_port}")
    return 0


def stand_in_gone(config, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    """After a failed offline run: if the stand-in no longer answers (stopped, crashed), say so and how to restore it.

    Otherwise the notebook's error is only a connection error to 127.0.0.1, which does not name the fix.
    """
    from .offline import persistence, server

    if server.status(config.offline_port).ours:
        return
    print(f"the offline stand-in on port {config.offline_port} no longer answers (it was stopped or crashed during "
          f"the run); its state is saved in {persistence.journal_path(config.work_dir)}: start it again with "
          f"python -m lab_helpers offline start -f {shlex.quote(args.file)} (the resume command also starts it)",
          file=sys.stderr, flush=True)


def resume_command(args: argparse.Namespace, number: str) -> str:
    """The ``run`` command line that repeats this run's choices from notebook ``number`` on."""
    parts = ["python -m lab_helpers run", "-f", shlex.quote(args.file)]
    if Path(args.notebooks).resolve() != (ROOT / "notebooks").resolve():
        parts += ["--notebooks", shlex.quote(args.notebooks)]
    if args.only:
        parts += ["--only", *[n for n in args.only if int(n) >= int(number)]]
    else:
        parts += ["--from", number]
        if args.stop is not None:
            parts += ["--to", args.stop]
    if args.persona:
        parts += ["--persona", args.persona]
    if getattr(args, "consumer", None):
        parts += ["--consumer", *args.consumer]
    if args.kernel:
        parts += ["--kernel", shlex.quote(args.kernel)]
    if getattr(args, "parallel", False):
        parts.append("--parallel")  # notebooks that already ran side by side run again: each is re-runnable
    return " ".join(parts)


def _inventory(args: argparse.Namespace) -> int:
    from .inventory import format_inventory, lab_inventory

    config = load_config(args.file)
    if args.json:  # stdout carries only the JSON: status lines (a stand-in starting, say) go to stderr
        with contextlib.redirect_stdout(sys.stderr):
            items = lab_inventory(config)
        print(json.dumps(items, indent=2, default=str))
        return 0
    print(format_inventory(lab_inventory(config)))
    return 0


def _status(args: argparse.Namespace) -> int:
    from .steps import lab_status

    work_dir = args.work_dir or (str(load_config(args.file).work_dir) if args.file else str(default_work_dir()))
    scope = None
    if args.consumer:  # a room: that consumer's view of the state file
        from .notebook import saved_settings

        saved = saved_settings(work_dir)
        room = saved.get("consumer_account_ids") or [saved.get("consumer_account_id")]
        account = validate.normalise_account_id(args.consumer, "--consumer")
        if account not in room:
            raise ConfigError(f"--consumer {account} is not one of the lab's consumer accounts "
                              f"({', '.join(str(c) for c in room if c)}): use one of them.")
        scope = None if account == room[0] else account
    print(lab_status(work_dir, scope).text())
    return 0


def _policies(args: argparse.Namespace) -> int:
    from .policies import permission_table, persona_policy

    print(permission_table() if args.persona == "table" else json.dumps(persona_policy(args.persona), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lab_helpers", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    off = sub.add_parser("offline", help="start, inspect or stop the offline AWS stand-in")
    off.add_argument("action", choices=["start", "status", "stop", "reset"],
                     help="reset: stop it if running and discard its saved state")
    off.add_argument("--fresh", action="store_true", help="start: discard the saved state and start empty")
    off.add_argument("--pace", default="instant", metavar="PACE",
                     help="start: rehearsal pace of asynchronous resources: instant (default), aws (AWS's typical "
                          "durations) or aws/N (N times faster)")
    off.add_argument("--port", type=int, help="the stand-in's port (default: the parameters file's offline_port, "
                                              "else $LAB_OFFLINE_PORT, else the work dir's own, recorded in "
                                              "<work dir>/offline/port)")
    off.add_argument("--work-dir", help="the lab's working folder (default: the parameters file's, else .lab in the checkout)")
    off.add_argument("-f", "--file", help="parameters YAML (for work_dir and offline_port)")
    off.add_argument("--all", action="store_true",
                     help="stop: also every other port this work dir started a stand-in on")
    off.set_defaults(func=_offline)

    run = sub.add_parser("run", help="run the lab's notebooks headlessly with papermill")
    run.add_argument("-f", "--file", default=str(ROOT / "parameters" / "offline.yaml"), help="parameters YAML")
    run.add_argument("--from", dest="start", metavar="NN", help="first notebook number to run")
    run.add_argument("--to", dest="stop", metavar="NN", help="last notebook number to run")
    run.add_argument("--only", nargs="+", metavar="NN", help="run only these notebook numbers")
    run.add_argument("--persona", choices=list(PERSONAS), help="run only this persona's notebooks (plus 00 setup; never 99 cleanup)")
    run.add_argument("--consumer", nargs="+", metavar="ID",
                     help="a room: run the consumer-side notebooks (03, 07, 08, 10) for these consumer accounts "
                          "(default: every one of consumer_account_ids, in turn)")
    run.add_argument("--notebooks", default=str(ROOT / "notebooks"), help="folder of the numbered notebooks")
    run.add_argument("--output", help="folder for executed notebooks (default runs/<timestamp>-<suffix>)")
    run.add_argument("--kernel", help="Jupyter kernel name (default: the notebooks' own)")
    run.add_argument("--parallel", action="store_true",
                     help="run each notebook as soon as the notebooks it needs have succeeded (producer and consumer "
                          "side by side), each in its own kernel; default: one after the other")
    run.set_defaults(func=_run)

    inv = sub.add_parser("inventory", help="list the lab's resources per account")
    inv.add_argument("-f", "--file", default=str(ROOT / "parameters" / "offline.yaml"), help="parameters YAML")
    inv.add_argument("--json", action="store_true", help="machine-readable output")
    inv.set_defaults(func=_inventory)

    sta = sub.add_parser("status", help="the walkthrough's steps: done, next, not yet (from the lab's state file)")
    sta.add_argument("-f", "--file", help="parameters YAML (for work_dir)")
    sta.add_argument("--work-dir", help="the lab's working folder (default: $LAB_WORKDIR, else .lab in the checkout)")
    sta.add_argument("--consumer", metavar="ID", help="a room: the steps as this consumer account sees them")
    sta.set_defaults(func=_status)

    pol = sub.add_parser("policies", help="print a persona's IAM policy document (or the README's permission table)")
    pol.add_argument("persona", choices=[*PERSONAS, "table"])
    pol.set_defaults(func=_policies)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand; a foreseeable problem prints one ``error: …`` line and exits 2, Ctrl-C exits 130."""
    from .sessions import CredentialsError

    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except (ConfigError, CredentialsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted (Ctrl-C): nothing more was done", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
