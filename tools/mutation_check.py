"""Plant known bugs, one at a time, in a scratch copy of the repo and check the fast tests notice each.

Every ``tools/mutants/*.toml`` holds ``[[mutant]]`` tables::

    [[mutant]]
    name = "region-unanchored"             # unique across all files
    file = "lab_helpers/validate.py"       # relative to the repo root
    find = "exact text occurring exactly once"
    replace = "broken text"
    why = "accepts us-east-1x"             # the rule the bug breaks, as a user would notice it
    tests = ["tests/test_config.py"]       # fast pytest files (or node ids) that must catch it

For each mutant the script writes the broken file into a scratch copy of the tracked files
(the real tree is never touched), runs ``pytest -x -q`` on the listed tests there with
``PYTHONPATH`` set to the copy and nbval off, and reports whether a test failed (caught) or
all passed (survived). A ``find`` that does not occur exactly once is an error naming the
mutant, so the mutants stay in step with the code.

    python tools/mutation_check.py            # all mutants; exit 1 if any survived
    python tools/mutation_check.py --list     # what each mutant breaks
    python tools/mutation_check.py --only region-prefix-match --only sql   # one mutant, one file's mutants
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import threading
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS_DIR = ROOT / "tools" / "mutants"
FIELDS = ("name", "file", "find", "replace", "why", "tests")
# nbval's flags live in pyproject's addopts: clear them, and never collect notebooks (paths are explicit).
PYTEST_ARGS = ("-x", "-q", "-o", "addopts=", "-p", "no:cacheprovider", "-p", "no:nbval", "-p", "no:randomly")


class MutantError(Exception):
    """A mutant that cannot be applied (bad entry, or its ``find`` text not exactly once in its file)."""


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    find: str
    replace: str
    why: str
    tests: tuple[str, ...]
    source: str  # the .toml it came from


def load_mutants(folder: Path = MUTANTS_DIR) -> list[Mutant]:
    """Every mutant of every ``*.toml`` in ``folder``, in file then listing order."""
    mutants: list[Mutant] = []
    seen: dict[str, str] = {}
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise MutantError(f"no mutant files in {folder}")
    for path in files:
        with path.open("rb") as handle:
            try:
                entries = tomllib.load(handle).get("mutant", [])
            except tomllib.TOMLDecodeError as exc:
                raise MutantError(f"{path.name}: not valid TOML: {exc}") from exc
        for n, entry in enumerate(entries, 1):
            label = f"{path.name} mutant #{n} ({entry.get('name', 'no name')})"
            missing = [f for f in FIELDS if f not in entry]
            unknown = sorted(set(entry) - set(FIELDS))
            if missing or unknown:
                raise MutantError(f"{label}: missing {missing} / unknown {unknown} fields")
            if not isinstance(entry["tests"], list) or not entry["tests"]:
                raise MutantError(f"{label}: tests must be a non-empty list of test files")
            if entry["find"] == entry["replace"]:
                raise MutantError(f"{label}: replace is the same as find")
            if entry["name"] in seen:
                raise MutantError(f"{label}: name also used in {seen[entry['name']]}")
            seen[entry["name"]] = path.name
            mutants.append(Mutant(**{f: entry[f] for f in FIELDS if f != "tests"}, tests=tuple(entry["tests"]),
                                  source=path.name))
    return mutants


def check_applies(mutant: Mutant, tree: Path) -> None:
    """Raise :class:`MutantError` unless ``find`` occurs exactly once and every test path exists."""
    target = tree / mutant.file
    if not target.is_file():
        raise MutantError(f"mutant {mutant.name!r} ({mutant.source}): file {mutant.file} does not exist")
    count = target.read_text(encoding="utf-8").count(mutant.find)
    if count != 1:
        raise MutantError(f"mutant {mutant.name!r} ({mutant.source}): its find text occurs {count} times in "
                          f"{mutant.file} (must be exactly once): update the mutant to the current code")
    for test in mutant.tests:
        if not (tree / test.split("::")[0]).exists():
            raise MutantError(f"mutant {mutant.name!r} ({mutant.source}): test path {test} does not exist")


def scratch_copy(destination: Path) -> None:
    """Copy the tracked files (and new, not ignored ones) of the repo's working tree to ``destination``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def run_tests(tree: Path, tests: tuple[str, ...], timeout: float) -> tuple[str, str, float]:
    """(``passed`` | ``failed`` | ``error`` | ``timeout``, the first failing test or error line, seconds)."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    env.pop("AWS_ENDPOINT_URL", None)
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", *PYTEST_ARGS, *tests], cwd=tree, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", f"tests still running after {timeout:.0f} s", time.monotonic() - started
    seconds = time.monotonic() - started
    lines = (done.stdout + done.stderr).splitlines()
    if done.returncode == 0:
        return "passed", "", seconds
    failed = next((line for line in lines if line.startswith(("FAILED ", "ERROR "))), "")
    if done.returncode == 1 and failed:  # a test failed, or errored in its setup, because of the mutant
        return "failed", failed.removeprefix("FAILED ")[:160], seconds
    last = next((line for line in reversed(lines) if line.strip()), f"pytest exit {done.returncode}")
    return "error", f"pytest exit {done.returncode}: {last[:160]}", seconds


def imports_from(tree: Path) -> bool:
    """Whether ``lab_helpers`` imports from ``tree`` with PYTHONPATH set (not from an editable install elsewhere)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    found = subprocess.run([sys.executable, "-c", "import lab_helpers; print(lab_helpers.__file__)"], cwd=tree,
                           env=env, capture_output=True, text=True)
    return found.returncode == 0 and Path(found.stdout.strip()).resolve().is_relative_to(tree.resolve())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this mutant, or the mutants of tools/mutants/NAME.toml (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants and what each breaks, run nothing")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed per mutant's tests (default 300)")
    parser.add_argument("--jobs", "-j", type=int, default=min(2, os.cpu_count() or 1),
                        help="mutants tested at once, each in its own scratch copy (default: 2, or 1 on one core)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the first run of the selected tests on the unmutated copy")
    args = parser.parse_args(argv)
    try:
        mutants = load_mutants()
        for mutant in mutants:
            check_applies(mutant, ROOT)
    except MutantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.only:
        def chosen(m: Mutant) -> bool:
            return m.name in args.only or Path(m.source).stem in args.only
        unknown = sorted(set(args.only) - {m.name for m in mutants} - {Path(m.source).stem for m in mutants})
        if unknown:
            print(f"error: no mutant or mutant file named {', '.join(unknown)} (see --list)", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if chosen(m)]
    if args.list:
        for m in mutants:
            print(f"{m.name:34} {m.file}\n{'':34} breaks: {m.why}\n{'':34} tests: {' '.join(m.tests)}")
        print(f"{len(mutants)} mutants in {len({m.source for m in mutants})} files")
        return 0

    started = time.monotonic()
    jobs = max(1, min(args.jobs, len(mutants)))
    trees = [Path(tempfile.mkdtemp(prefix="mutation-check-")) for _ in range(jobs)]
    results: dict[str, list[str]] = {"caught": [], "survived": [], "error": []}
    try:
        for tree in trees:
            scratch_copy(tree)
        if not imports_from(trees[0]):
            print(f"error: lab_helpers does not import from the scratch copy {trees[0]} (PYTHONPATH)", file=sys.stderr)
            return 2
        if not args.no_baseline:
            all_tests = tuple(dict.fromkeys(t for m in mutants for t in m.tests))
            outcome, detail, seconds = run_tests(trees[0], all_tests, args.timeout * 2)
            print(f"baseline: {len(all_tests)} tests on the unmutated copy: {outcome} ({seconds:.0f} s)", flush=True)
            if outcome != "passed":
                print(f"error: the tests fail without any mutant ({detail}): fix them first", file=sys.stderr)
                return 2
        free = list(trees)
        lock = threading.Lock()

        def check(mutant: Mutant) -> None:
            with lock:
                tree = free.pop()
            target = tree / mutant.file
            original = target.read_text(encoding="utf-8")
            target.write_text(original.replace(mutant.find, mutant.replace, 1), encoding="utf-8")
            try:
                outcome, detail, seconds = run_tests(tree, mutant.tests, args.timeout)
            finally:
                target.write_text(original, encoding="utf-8")
                with lock:
                    free.append(tree)
            verdict = {"failed": "caught", "timeout": "caught", "passed": "survived"}.get(outcome, "error")
            note = {"caught": f"by {detail}", "survived": f"nothing failed: {mutant.why}", "error": detail}[verdict]
            with lock:
                results[verdict].append(mutant.name)
                print(f"{verdict.upper():9} {mutant.name:38} {seconds:6.1f} s  {note}", flush=True)

        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for future in [pool.submit(check, m) for m in mutants]:
                future.result()
    finally:
        for tree in trees:
            shutil.rmtree(tree, ignore_errors=True)

    total, caught = len(mutants), len(results["caught"])
    minutes, secs = divmod(int(time.monotonic() - started), 60)
    if results["survived"]:
        print(f"survived (add a test that fails on each): {', '.join(results['survived'])}")
    if results["error"]:
        print(f"errors (the mutant breaks collection or the run; fix the mutant): {', '.join(results['error'])}")
    print(f"mutation score: {caught}/{total} caught ({100 * caught / total if total else 0:.0f} %) in {minutes} min {secs} s")
    return 0 if caught == total else 1


if __name__ == "__main__":
    sys.exit(main())
