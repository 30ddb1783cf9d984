"""One headless run at a time per work dir: a lock file held for the whole run.

Two runs sharing a work dir would interleave their writes to ``lab_state.json`` and
race to create the same resources. ``fcntl.flock`` on ``<work_dir>/run.lock`` is held
while the run lasts; the kernel releases it when the process exits, even on a crash or
``kill -9``, so a stale file never blocks the next run. The file records who holds it,
so a refused run can name the other run's pid and start time.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from pathlib import Path
from types import TracebackType

from .errors import ConfigError

LOCK_FILE = "run.lock"


class RunLock:
    """``with RunLock(work_dir):`` holds the work dir's run lock or raises :class:`ConfigError`."""

    def __init__(self, work_dir: str | os.PathLike[str], command: str = "python -m lab_helpers run"):
        self.path = Path(work_dir) / LOCK_FILE
        self.command = command
        self._fd: int | None = None

    def acquire(self) -> None:
        """Create the work dir if needed and take the lock without waiting."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise ConfigError(f"work_dir={str(self.path.parent)!r} cannot be used ({exc.strerror}): "
                              "set work_dir to a folder you can write.") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise ConfigError(
                f"another run is using the work dir {self.path.parent} (pid {holder.get('pid', '?')}, "
                f"started {holder.get('started', '?')}): wait for it to finish, stop it (kill "
                f"{holder.get('pid', '<pid>')}), or give this run its own work_dir.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started": dt.datetime.now().isoformat(timespec="seconds"),
                                  "command": self.command}).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Clear the holder record and drop the lock (the file stays: removing it would race)."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        finally:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def _read_holder(fd: int) -> dict[str, object]:
    """The pid and start time the lock's holder wrote (empty if it has not written them yet)."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (ValueError, OSError):
        return {}
    return data if isinstance(data, dict) else {}
