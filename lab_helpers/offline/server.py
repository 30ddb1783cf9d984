"""Start, inspect and stop the offline stand-in as a detached process.

The stand-in runs in its own process (not in a notebook kernel) so every kernel, the
AWS CLI and any boto3 client see the same state through ``AWS_ENDPOINT_URL``. It binds
127.0.0.1 only, writes to a log file, and holds no terminal or pipe of its caller.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import persistence
from .app import HEALTH_PATH, KIT_MARKER

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
#: Extra start-up time per saved request to replay (seconds).
REPLAY_ALLOWANCE = 0.5


class ServerError(RuntimeError):
    """The stand-in could not be started or reached; the message says what to do."""


@dataclass(frozen=True)
class ServerStatus:
    """What answers on a port: the lab's stand-in (``ours``), another program, or nothing.

    ``work_dir`` is the lab work dir the stand-in was started for, as its health endpoint
    reports it (``None`` for another program or an in-process server).
    """

    port: int
    answering: bool
    ours: bool
    pid: int | None
    work_dir: str | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def belongs_to(self, work_dir: str | os.PathLike[str]) -> bool:
        """Whether this is the lab's stand-in started for ``work_dir``."""
        return self.ours and self.work_dir is not None and self.work_dir == _identity(work_dir)

    def describe(self) -> str:
        if self.answering and self.ours:
            owner = f", work dir {self.work_dir}" if self.work_dir else ""
            return f"offline stand-in running at {self.endpoint} (pid {self.pid}{owner})"
        if self.answering:
            return f"port {self.port} answers, but not with the lab's stand-in (another program uses it)"
        return f"offline stand-in not running (port {self.port})"


@dataclass(frozen=True)
class StopResult:
    """What ``stop`` did: ``stopped`` is true only when it ended a stand-in of this work dir.

    ``refused`` is true when something else holds the port (another work dir's stand-in or
    another program) and was left alone; ``message`` says what happened, for people.
    """

    stopped: bool
    message: str
    refused: bool = False

    def __bool__(self) -> bool:
        return self.stopped


def _identity(work_dir: str | os.PathLike[str]) -> str:
    """The work dir as the stand-in reports it: an absolute path with symlinks resolved."""
    return str(Path(work_dir).expanduser().resolve())


def server_dir(work_dir: str | os.PathLike[str]) -> Path:
    return Path(work_dir) / "offline"


def _info_file(work_dir: str | os.PathLike[str], port: int) -> Path:
    return server_dir(work_dir) / f"server-{port}.json"


def log_file(work_dir: str | os.PathLike[str], port: int) -> Path:
    return server_dir(work_dir) / f"server-{port}.log"


def _health(port: int, timeout: float = 1.0) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{HEALTH_PATH}", timeout=timeout) as reply:
            return json.loads(reply.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def pace_of(port: int) -> str | None:
    """The rehearsal pace the lab's stand-in on ``port`` runs at (``None``: not the lab's stand-in)."""
    health = _health(port)
    return str(health.get("pace") or "instant") if health and health.get("kit") == KIT_MARKER else None


def status(port: int) -> ServerStatus:
    """Whether the stand-in answers on ``port``, and whether it is the lab's."""
    health = _health(port)
    if health is not None and health.get("kit") == KIT_MARKER:
        return ServerStatus(port, True, True, int(health["pid"]), health.get("work_dir"))
    return ServerStatus(port, _port_in_use(port), False, None)


def start(work_dir: str | os.PathLike[str], port: int, fresh: bool = False,
          pace: str | None = None) -> tuple[ServerStatus, bool]:
    """Start the stand-in unless it already runs; returns ``(status, started_now)``.

    It restores the state saved in the work dir (see :mod:`.persistence`); ``fresh``
    discards that state first (refused while a stand-in runs). ``pace`` is the rehearsal
    pace (:mod:`.pace`: ``instant``, ``aws``, ``aws/N``); a running stand-in keeps its own.

    Concurrent starts (the runner warming it up while a kernel asks for it) are serialised
    by a lock file: the second caller waits for the first one's server. Raises
    :class:`ServerError` when the port is taken by another program or the process does
    not come up (the message points at its log).
    """
    folder = server_dir(work_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"server-{port}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _start_locked(work_dir, port, fresh, pace)


def _start_locked(work_dir: str | os.PathLike[str], port: int, fresh: bool = False,
                  pace: str | None = None) -> tuple[ServerStatus, bool]:
    current = status(port)
    if current.ours:
        if fresh:
            raise ServerError(f"the offline stand-in already runs on port {port} with its state: stop it first "
                              f"(python -m lab_helpers offline stop --port {port}), then start --fresh")
        return current, False
    if current.answering:
        raise ServerError(
            f"port {port} is already in use by another program: stop it, or choose a free port "
            f"with --port N (offline_port in the parameters)."
        )
    folder = server_dir(work_dir)
    data = folder / f"data-{port}"
    shutil.rmtree(data, ignore_errors=True)  # databases are rebuilt by replaying the saved state
    data.mkdir(parents=True)
    if fresh:
        persistence.discard(work_dir)
    journal = persistence.journal_path(work_dir)
    timeout = START_TIMEOUT + REPLAY_ALLOWANCE * persistence.saved_requests(work_dir)
    log_path = log_file(work_dir, port)
    # PYTHONHASHSEED: the same set orders in every process, so a replay draws ids in the same order
    env = {**os.environ, "LAB_OFFLINE_DATA": str(data), "MOTO_PORT": str(port), "PYTHONHASHSEED": "0"}
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.pop(key, None)
    with open(log_path, "ab") as log, open(os.devnull, "rb") as devnull:
        process = subprocess.Popen(
            _command(work_dir, port, journal, pace),
            stdin=devnull,
            stdout=log,
            stderr=subprocess.STDOUT,
            close_fds=True,
            start_new_session=True,
            cwd=folder,
            env=env,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(
                f"the offline stand-in exited during start-up (code {process.returncode}); see {log_path}"
            )
        current = status(port)
        if current.ours:
            _info_file(work_dir, port).write_text(json.dumps(
                {"pid": process.pid, "port": port, "work_dir": _identity(work_dir), "log": str(log_path)}))
            return current, True
        time.sleep(0.05)
    _terminate(process.pid)
    raise ServerError(f"the offline stand-in did not answer on port {port} within {timeout:.0f} s; see {log_path}")


def _command(work_dir: str | os.PathLike[str], port: int, journal: os.PathLike[str] | str | None = None,
             pace: str | None = None) -> list[str]:
    """The stand-in's command line; it names the port and the work dir it belongs to (its journal, its pace)."""
    command = [sys.executable, "-m", "lab_helpers.offline.app", "--host", HOST, "--port", str(port),
               "--work-dir", _identity(work_dir)]
    command += ["--journal", str(journal)] if journal else []
    return command + ["--pace", pace] if pace else command


def stop(work_dir: str | os.PathLike[str], port: int) -> StopResult:
    """Stop the stand-in that was started for ``work_dir`` on ``port``, and nothing else.

    The process is identified through its health endpoint (pid and work dir), never from
    the info file alone: a pid there may be stale and reused by an unrelated process. A
    stand-in of another work dir on the same port, or another program, is left alone and
    the result says whose it is. Only when the port answers nothing healthy is the info
    file's pid considered, and then only if that process's command line is this work dir's
    stand-in on this port (a hung stand-in).
    """
    current = status(port)
    info = _info_file(work_dir, port)
    recorded = _read_info(info)
    if current.ours:
        if not current.belongs_to(work_dir):
            if recorded is not None and recorded.get("pid") != current.pid:
                info.unlink(missing_ok=True)  # ours is gone; the port now serves someone else
            owner = f"work dir {current.work_dir}" if current.work_dir else "an unnamed work dir"
            return StopResult(False, f"port {port} is served by the offline stand-in of another lab ({owner}, "
                                     f"pid {current.pid}); left it running. Stop it from that checkout.", True)
        _terminate(current.pid)  # type: ignore[arg-type]
        info.unlink(missing_ok=True)
        return StopResult(True, f"stopped the offline stand-in on port {port} (pid {current.pid})")
    pid = recorded.get("pid") if recorded else None
    if isinstance(pid, int) and _alive(pid) and _is_stand_in(pid, work_dir, port):
        _terminate(pid)  # alive and ours by its command line, but not answering: hung
        info.unlink(missing_ok=True)
        return StopResult(True, f"stopped the offline stand-in on port {port} (pid {pid}, it did not answer)")
    info.unlink(missing_ok=True)  # stale: the process is gone, or the pid now belongs to another process
    if current.answering:
        return StopResult(False, f"port {port} is used by another program, not the lab's stand-in; left it alone.", True)
    return StopResult(False, f"no offline stand-in was running on port {port}")


def recorded_ports(work_dir: str | os.PathLike[str]) -> list[int]:
    """Ports of the stand-ins this work dir started (from their info files)."""
    ports = []
    for path in server_dir(work_dir).glob("server-*.json"):
        try:
            ports.append(int(path.stem.removeprefix("server-")))
        except ValueError:
            continue
    return sorted(ports)


def _read_info(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _command_line(pid: int) -> str | None:
    """A process's arguments joined by spaces (``/proc`` on Linux, else ``ps``); ``None`` when unknown."""
    try:
        return " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0"))
    except OSError:
        pass
    try:
        done = subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _is_stand_in(pid: int, work_dir: str | os.PathLike[str], port: int) -> bool:
    """Whether ``pid`` runs this work dir's stand-in on ``port`` (judged by its command line)."""
    args = _command_line(pid)
    expected = " ".join(_command(work_dir, port)[1:])  # the interpreter's path may be spelt differently
    return bool(args) and f"{expected} " in f"{args} "


def ensure_running(work_dir: str | os.PathLike[str], port: int) -> ServerStatus:
    """Start the stand-in if it is not running (the helpers call this on first use)."""
    current, started = start(work_dir, port)
    if started:
        print(f"Started the offline AWS stand-in at {current.endpoint} "
              f"(stop it with: python -m lab_helpers offline stop --port {port})")
    return current


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        return True


def _terminate(pid: int, timeout: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
