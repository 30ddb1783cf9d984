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
    port: int
    answering: bool
    ours: bool
    pid: int | None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def describe(self) -> str:
        if self.answering and self.ours:
            return f"offline stand-in running at {self.endpoint} (pid {self.pid})"
        if self.answering:
            return f"port {self.port} answers, but not with the lab's stand-in (another program uses it)"
        return f"offline stand-in not running (port {self.port})"


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


def status(port: int) -> ServerStatus:
    """Whether the stand-in answers on ``port``, and whether it is the lab's."""
    health = _health(port)
    if health is not None and health.get("kit") == KIT_MARKER:
        return ServerStatus(port, True, True, int(health["pid"]))
    return ServerStatus(port, _port_in_use(port), False, None)


def start(work_dir: str | os.PathLike[str], port: int, fresh: bool = False) -> tuple[ServerStatus, bool]:
    """Start the stand-in unless it already runs; returns ``(status, started_now)``.

    It restores the state saved in the work dir (see :mod:`.persistence`); ``fresh``
    discards that state first (refused while a stand-in runs).

    Concurrent starts (the runner warming it up while a kernel asks for it) are serialised
    by a lock file: the second caller waits for the first one's server. Raises
    :class:`ServerError` when the port is taken by another program or the process does
    not come up (the message points at its log).
    """
    folder = server_dir(work_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"server-{port}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _start_locked(work_dir, port, fresh)


def _start_locked(work_dir: str | os.PathLike[str], port: int, fresh: bool = False) -> tuple[ServerStatus, bool]:
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
            [sys.executable, "-m", "lab_helpers.offline.app", "--host", HOST, "--port", str(port), "--journal", str(journal)],
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
            _info_file(work_dir, port).write_text(json.dumps({"pid": process.pid, "port": port, "log": str(log_path)}))
            return current, True
        time.sleep(0.05)
    _terminate(process.pid)
    raise ServerError(f"the offline stand-in did not answer on port {port} within {timeout:.0f} s; see {log_path}")


def stop(work_dir: str | os.PathLike[str], port: int) -> bool:
    """Stop the lab's stand-in on ``port``; returns whether one was running."""
    current = status(port)
    info = _info_file(work_dir, port)
    pid = current.pid
    if pid is None and info.exists():
        pid = json.loads(info.read_text()).get("pid")
        if pid is not None and not _alive(pid):
            pid = None
    info.unlink(missing_ok=True)
    if pid is None:
        return False
    _terminate(pid)
    return True


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
