"""The lab's state file: ids one notebook creates and later notebooks need.

One JSON file (``lab_state.json`` in the lab's working folder), written atomically
(temp file + rename), so a crash never leaves half a file. The state only caches ids:
every id can be found again by name in AWS. So a state file that is not a JSON object
(hand-edited, truncated by a full disk) never blocks the lab or its cleanup: it is moved
aside to ``lab_state.json.corrupt-<timestamp>``, named in a message, and read as empty.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from .errors import ShortTraceback
from .steps import per_consumer_keys, produced_by

STATE_FILE = "lab_state.json"

#: Which notebook records each key, so a missing key can say what to run (from the steps table).
PRODUCED_BY: dict[str, str] = produced_by()
#: Keys kept per consumer account; another consumer than the first keeps its own under ``consumers.<account id>``.
CONSUMER_KEYS: frozenset[str] = per_consumer_keys()


class MissingStateError(ShortTraceback, KeyError):
    """A notebook needs an id an earlier notebook records."""

    def __str__(self) -> str:  # KeyError quotes its argument; show the sentence instead
        return str(self.args[0])


class LabState:
    """Read and update the state file in ``work_dir``, as seen by one consumer account.

    With many consumer accounts, the first one's keys (:data:`CONSUMER_KEYS`) sit at the top
    level, as in the two-account lab; ``consumer`` (another consumer's id,
    ``LabConfig.state_scope``) reads and writes that consumer's keys under
    ``consumers.<id>`` instead, and sees the rest of the file as it is. So every view is
    shaped like a one-consumer state file, and one consumer's file is what it always was.
    """

    def __init__(self, work_dir: str | os.PathLike[str], consumer: str | None = None):
        self.path = Path(work_dir) / STATE_FILE
        self.consumer = consumer

    def load(self) -> dict[str, Any]:
        """The state (this consumer's view of it) as a dict."""
        return self._view(self.load_file())

    def _view(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.consumer is None:
            return data
        scoped = data.get("consumers", {}).get(self.consumer) if isinstance(data.get("consumers"), dict) else None
        return {**{k: v for k, v in data.items() if k not in CONSUMER_KEYS}, **(scoped if isinstance(scoped, dict) else {})}

    def load_file(self) -> dict[str, Any]:
        """The whole file as a dict; a corrupt file is moved aside (see :meth:`set_aside`) and read as empty."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            self.set_aside(f"is not valid JSON ({exc})")
            return {}
        if not isinstance(data, dict):
            self.set_aside(f"holds a JSON {type(data).__name__}, not an object of ids")
            return {}
        return data

    def set_aside(self, problem: str, stream: TextIO | None = None) -> Path | None:
        """Move the corrupt state file to ``lab_state.json.corrupt-<timestamp>`` and say so."""
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return None  # another process moved it first
        print(f"warning: the lab's state file {self.path} {problem}; moved it to {aside.name} and starting "
              "from an empty state (the notebooks find the lab's resources again by name in AWS).",
              file=stream or sys.stderr)
        return aside

    def get(self, key: str, default: Any = None) -> Any:
        return self.load().get(key, default)

    def require(self, key: str) -> Any:
        """The value of ``key``, or an error naming the notebook that records it."""
        value = self.load().get(key)
        if value is None:
            producer = PRODUCED_BY.get(key, "an earlier notebook")
            raise MissingStateError(
                f"'{key}' is not in {self.path}: run {producer} first (or check the lab's work_dir)."
            )
        return value

    def update(self, **values: Any) -> dict[str, Any]:
        """Merge ``values`` into the file atomically and return the new state.

        Notebooks running side by side (``run --parallel``) update the same file: the
        read-merge-write holds an exclusive lock (``lab_state.json.lock``), so no update is lost.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self.load_file()
            if self.consumer is None:
                data.update(values)
            else:
                consumers = data["consumers"] = data.get("consumers") if isinstance(data.get("consumers"), dict) else {}
                mine = consumers.setdefault(self.consumer, {})
                mine.update({k: v for k, v in values.items() if k in CONSUMER_KEYS})
                data.update({k: v for k, v in values.items() if k not in CONSUMER_KEYS})
            self._write(data)
        return self._view(data)

    def record_accounts(self, config: Any) -> list[dict[str, str]]:
        """Add ``config``'s accounts and Region to ``accounts_used`` (once; a set per consumer account); return the list.

        Every set of accounts the lab has acted in stays listed until cleanup has emptied it,
        so 99 can clean an account even after the settings moved on to another one.
        """
        consumers = getattr(config, "consumers", None) or (config.consumer_account_id,)
        used = self.accounts_used()
        added = False
        for consumer in consumers:
            entry = {"backend": config.backend, "region": config.region,
                     "producer_account_id": config.producer_account_id, "consumer_account_id": consumer}
            if entry not in used:
                used.append(entry)
                added = True
        if added:
            self.update(accounts_used=used)
        return used

    def accounts_used(self) -> list[dict[str, str]]:
        """The account sets (backend, Region, producer and consumer ids) the lab has acted in."""
        used = self.get("accounts_used", [])
        return [dict(e) for e in used if isinstance(e, dict)] if isinstance(used, list) else []

    def mark_cleanup_done(self) -> None:
        """Record that 99 ran its cleanup to the end (the accounts may change again; see ``save_settings``)."""
        self.update(cleanup_completed_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))

    def clear(self) -> None:
        self._write({})

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".lab_state.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
