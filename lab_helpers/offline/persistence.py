"""The stand-in keeps its state: a journal of state-changing requests, replayed at start.

Every request that may change state is appended (one JSON line, flushed) to
``<work_dir>/offline/requests.jsonl`` after it was handled, in the order it was handled.
A new stand-in process replays the journal in-process, through the same WSGI application,
before it serves, so it ends with the same state, ids and keys: a ``stop``/``start`` or a
crash (``kill -9``) between notebooks loses nothing that was answered. This is moto's
recorder idea (``/moto-api/recorder/``) made repeatable:

- **Same random draws.** moto's ids and keys come from one seeded random stream, which
  read-only requests and threads also draw from. So each state-changing request number
  ``n`` reseeds the stream with ``"<seed>:<n>"`` before it runs, and all requests run one at
  a time: request ``n`` then draws the same values when it is replayed, whatever reads came
  between. The two values moto draws from ``os.urandom`` that later requests depend on (STS
  session tokens, S3 multipart upload ids) are drawn from the same stream (:func:`install`).
- **Reads are not recorded** (Get/List/Describe/Search..., GET/HEAD), except those that
  create state (STS ``GetSessionToken``, DataZone ``GetEnvironmentCredentials``...).
- **Robust replay.** A request that failed originally may fail again; one that now answers
  with another status is logged and the replay goes on. A torn last line (crash during the
  write) is dropped and cut off the file.

Async work ends settled: Athena queries run to completion during the replay (CTAS
recreates its table), the Redshift Data API re-runs its SQL into fresh DuckDB files, and
moto's state manager progresses statuses from the replayed requests.
"""

from __future__ import annotations

import base64
import fcntl
import io
import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs

log = logging.getLogger("lab_helpers.offline.persistence")

JOURNAL_NAME = "requests.jsonl"
WSGIApp = Callable[..., Iterable[bytes]]

_READ_PREFIX = re.compile(r"(?i)(get|list|describe|search|batchget|head)[a-z0-9]*")
#: Read-named actions that create state later requests depend on (credentials, tokens).
_MUTATING_READS = frozenset(
    a.lower()
    for a in (
        "GetSessionToken", "GetFederationToken", "GetClusterCredentials", "GetClusterCredentialsWithIAM",
        "GetCredentials", "GetEnvironmentCredentials", "GetIamPortalLoginUrl",
    )
)
#: GET paths that create state: DataZone GetEnvironmentCredentials assumes the user role.
_MUTATING_GETS = (re.compile(r"/v2/domains/[^/]+/environments/[^/]+/credentials/?$"),)
_NOT_RECORDED_PATHS = ("/moto-api/recorder/", "/__lab_kit__/")


def journal_path(work_dir: str | os.PathLike[str]) -> Path:
    """Where a work dir's stand-in keeps its journal."""
    return Path(work_dir) / "offline" / JOURNAL_NAME


def report_path(journal: Path, port: int) -> Path:
    """The restore report the server writes next to its journal before it serves."""
    return journal.with_name(f"restored-{port}.json")


@dataclass
class RestoreReport:
    """What a start restored: requests replayed, those that now answer differently, time taken."""

    restored: int = 0
    different: int = 0
    torn_line_dropped: bool = False
    seconds: float = 0.0

    def describe(self) -> str:
        if not self.restored:
            return "started empty (no saved state)"
        text = f"restored the saved state: {self.restored} recorded request(s) replayed in {self.seconds:.1f} s"
        if self.different:
            text += f"; {self.different} answered differently than before (see the log)"
        return text


def read_report(work_dir: str | os.PathLike[str], port: int) -> RestoreReport | None:
    """The report of the last start on ``port`` for ``work_dir``, if any."""
    try:
        return RestoreReport(**json.loads(report_path(journal_path(work_dir), port).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def discard(work_dir: str | os.PathLike[str]) -> int:
    """Delete the saved state (the journal); returns how many requests it held."""
    from .cloudtrail import FILE_NAME

    path = journal_path(work_dir)
    path.with_name(FILE_NAME).unlink(missing_ok=True)  # the CloudTrail event history of that state
    if not path.exists():
        return 0
    count = sum(1 for line in path.read_bytes().splitlines() if line.strip())
    path.unlink()
    return count


def saved_requests(work_dir: str | os.PathLike[str]) -> int:
    """How many requests the saved state holds (lines, a torn one included)."""
    path = journal_path(work_dir)
    return sum(1 for line in path.read_bytes().splitlines() if line.strip()) if path.exists() else 0


# --- which requests change state ---------------------------------------------------------
def _action(environ: dict[str, Any], body: bytes) -> str | None:
    """The operation name for JSON-target and query protocols (``X-Amz-Target``, ``Action=``)."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded") and body:
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return None


def changes_state(environ: dict[str, Any], body: bytes) -> bool:
    """Whether a request may change state (recorded); errs towards recording."""
    path = environ.get("PATH_INFO", "")
    if path.startswith(_NOT_RECORDED_PATHS):
        return False
    method = environ.get("REQUEST_METHOD", "GET").upper()
    if method in ("GET", "HEAD", "OPTIONS"):
        return any(p.search(path) for p in _MUTATING_GETS)
    action = _action(environ, body)
    if action is None and method == "POST":  # REST: Lake Formation/RAM name it in the path, DataZone searches
        segment = path.rstrip("/").rsplit("/", 1)[-1]
        if "search" in segment.lower():
            return False
        action = segment if segment.lower() != "listings" else None
    if action is None:
        return True
    return not _READ_PREFIX.fullmatch(action) or action.lower() in _MUTATING_READS


# --- determinism ---------------------------------------------------------------------------
_installed = False


def install() -> None:
    """Draw STS session tokens and S3 multipart upload ids from moto's seeded random (idempotent).

    moto takes both from ``os.urandom``; the kit checks session tokens, and a replayed
    ``UploadPart`` names its upload id, so a replay must produce the same values.
    """
    global _installed
    if _installed:
        return
    from moto.moto_api._internal import mock_random
    from moto.s3 import models as s3_models
    from moto.sts import models as sts_models
    from moto.sts.utils import SESSION_TOKEN_PREFIX

    def random_session_token() -> str:
        token = base64.b64encode(mock_random.randbytes(266)).decode()
        return SESSION_TOKEN_PREFIX + token[len(SESSION_TOKEN_PREFIX):]

    sts_models.random_session_token = random_session_token
    original_init = s3_models.FakeMultipart.__init__

    def multipart_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        raw = base64.b64encode(mock_random.randbytes(s3_models.UPLOAD_ID_BYTES)).decode()
        self.id = raw.replace("=", "").replace("+", "").replace("/", "")

    s3_models.FakeMultipart.__init__ = multipart_init
    _installed = True


def _reseed(base: str, number: int) -> None:
    from moto.moto_api._internal import mock_random

    mock_random.seed(f"{base}:{number}")


# --- the journal and the recording middleware ---------------------------------------------
def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated") or environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _recordable_environ(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in environ.items():
        if key.startswith(("wsgi.", "werkzeug.")) or key == "HTTP_TRANSFER_ENCODING":
            continue
        if isinstance(value, str) or (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
            kept[key] = value
    kept["CONTENT_LENGTH"] = str(len(body))
    return kept


class Recorder:
    """WSGI middleware that serialises requests, reseeds per write and journals writes.

    Open it with :meth:`open` (takes an exclusive lock on the journal: one stand-in per
    work dir), wrap moto's dispatcher with :meth:`wrap`, call :meth:`restore` before serving.
    """

    def __init__(self, path: Path, seed: int, port: int, file: TextIO, entries: list[dict[str, Any]], torn: bool) -> None:
        self.path = path
        self.port = port
        self._base = str(seed)
        self._file = file
        self._pending = entries
        self._torn = torn
        self._count = 0
        self._lock = threading.RLock()
        self._app: WSGIApp | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str], seed: int, port: int) -> "Recorder":
        """Open (or create) the journal, drop a torn last line, and lock it for this process."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        file = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            raise RuntimeError(f"another offline stand-in is using the saved state {path}; stop it first") from None
        entries, torn = _load(path)
        install()
        return cls(path, seed, port, file, entries, torn)

    @property
    def lock(self) -> threading.RLock:  # type: ignore[valid-type]
        """Held while a request runs: each state-changing request reseeds moto's random, so nothing else may draw
        from it meanwhile (a replay must draw the same ids)."""
        return self._lock

    def wrap(self, app: WSGIApp) -> WSGIApp:
        """The recording application around ``app`` (moto's dispatcher)."""
        self._app = app

        def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            body = _read_body(environ)
            with self._lock:
                status, headers, chunks = self._handle(environ, body)
            start_response(status, headers)
            return chunks

        return recording

    def _handle(self, environ: dict[str, Any], body: bytes, replaying: int | None = None) -> tuple[str, list[Any], list[bytes]]:
        """Run one request (the caller holds the lock); ``replaying`` is a journal entry's number."""
        assert self._app is not None, "wrap() first"
        writes = replaying is not None or changes_state(environ, body)
        if replaying is not None:
            self._count = replaying
        if writes:
            _reseed(self._base, self._count)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[Any], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        result = self._app(environ, capture)
        try:
            chunks = list(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        status = captured.get("status", "500 INTERNAL SERVER ERROR")
        if environ.get("PATH_INFO") == "/moto-api/seed":
            self._base = parse_qs(environ.get("QUERY_STRING", "")).get("a", [self._base])[0]
        if writes:
            if replaying is None:
                entry = {"n": self._count, "status": int(status.split()[0]), "environ": _recordable_environ(environ, body),
                         "body": base64.b64encode(body).decode("ascii")}
                self._file.write(json.dumps(entry, separators=(",", ":")) + "\n")
                self._file.flush()
            self._count += 1
        return status, captured.get("headers", []), chunks

    def restore(self) -> RestoreReport:
        """Replay the journal loaded by :meth:`open` (once, before serving; CloudTrail records nothing again)."""
        from . import cloudtrail
        from .athena import moto_patch

        started = time.monotonic()
        report = RestoreReport(torn_line_dropped=self._torn)
        sync_seconds, moto_patch.SYNC_SECONDS = moto_patch.SYNC_SECONDS, 3600.0  # queries finish during the replay
        try:
            with self._lock, cloudtrail.paused():
                for entry in self._pending:
                    report.restored += 1
                    if not self._replay_one(entry):
                        report.different += 1
        finally:
            moto_patch.SYNC_SECONDS = sync_seconds
        self._pending = []
        report.seconds = round(time.monotonic() - started, 2)
        report_path(self.path, self.port).write_text(json.dumps(asdict(report)))
        return report

    def _replay_one(self, entry: dict[str, Any]) -> bool:
        """Replay one request; False (and a log line) when it answers otherwise than recorded."""
        number = int(entry.get("n", self._count))
        label = f"request {number}"
        try:
            body = base64.b64decode(entry.get("body", ""))
            environ = self._environ(entry.get("environ", {}), body)
            label += f" ({environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} {_action(environ, body) or ''})"
            status, _, chunks = self._handle(environ, body, replaying=number)
        except Exception as exc:  # noqa: BLE001 - one request must not stop the restore
            self._count = number + 1
            print(f"replay: {label} raised {exc!r}", file=sys.stderr, flush=True)
            return False
        code = int(status.split()[0])
        if code != entry.get("status"):
            detail = b"".join(chunks)[:300].decode("utf-8", "replace")
            print(f"replay: {label} answered {code}, recorded {entry.get('status')}: {detail}", file=sys.stderr, flush=True)
            return False
        return True

    def _environ(self, recorded: dict[str, Any], body: bytes) -> dict[str, Any]:
        environ = dict(recorded)
        old_port = str(environ.get("SERVER_PORT", ""))
        if old_port and old_port != str(self.port):  # restarted on another port: requests name the new one
            environ["SERVER_PORT"] = str(self.port)
            host = environ.get("HTTP_HOST", "")
            if host.endswith(f":{old_port}"):
                environ["HTTP_HOST"] = f"{host[: -len(old_port)]}{self.port}"
        environ.update({
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http", "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "wsgi.input_terminated": True, "CONTENT_LENGTH": str(len(body)),
        })
        return environ

    def close(self) -> None:
        self._file.close()


def _load(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """Entries of the journal; a torn last line (crash mid-write) is dropped and cut off the file."""
    data = path.read_bytes()
    entries: list[dict[str, Any]] = []
    good_end = 0
    torn = False
    position = 0
    for line in data.splitlines(keepends=True):
        position += len(line)
        if not line.strip():
            good_end = position
            continue
        try:
            if not line.endswith(b"\n"):
                raise ValueError("no newline: torn")
            entries.append(json.loads(line))
            good_end = position
        except ValueError:
            torn = True
            if position != len(data):  # damage before the end is not a torn write: keep what follows out too
                log.warning("journal %s: unreadable line at byte %d; replay stops there", path, good_end)
            break
    if torn or good_end != len(data):
        with open(path, "r+b") as file:
            file.truncate(good_end)
    return entries, torn
