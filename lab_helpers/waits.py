"""The one wait the lab uses: poll a getter until the resource reaches a final status.

botocore ships no waiters for DataZone, RAM or Athena, so every asynchronous step of the
walkthrough (domain, environment, data source run, listing, subscription grant, Athena
query, Redshift Data API statement, RAM association) waits through :func:`wait_for`:

- it calls ``getter()`` (usually a ``get_*``/``describe_*`` call), reads the status,
- shows its progress once it has lasted two seconds: a bar scaled to the resource's expected
  duration (:mod:`lab_helpers.durations`) in JupyterLab, green when done and red on failure,
  and plain lines under papermill or in a terminal,
- spaces its polls in step with the time waited (:func:`poll_delay`: a tenth of it, 2 to 30 s),
- returns the last response when the status is one of ``done``,
- raises :class:`WaitFailed` with the service's own failure reason when it is one of
  ``failed`` (``lastDeployment.failureReason.message``, ``failureReasons``,
  ``errorMessage``, ``failureCause.message``, ``statusMessage``, ``StateChangeReason``,
  ``Error``),
- raises :class:`WaitTimeout` naming what it waited for and the last status it saw.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from .durations import expected_seconds, human
from .errors import ShortTraceback

T = TypeVar("T")
#: Imported inside functions (the progress bar in Jupyter); warm kernels import it ahead (:mod:`.kernels`).
LAZY_IMPORTS = ("ipywidgets",)

#: Status a getter reports when the resource is gone (a ``ResourceNotFoundException``).
GONE = "GONE"


class WaitError(ShortTraceback, RuntimeError):
    """Base class of the two ways a wait ends badly."""

    def __init__(self, message: str, what: str, status: str | None, response: Any = None):
        super().__init__(message)
        self.what, self.status, self.response = what, status, response


class WaitFailed(WaitError):
    """The resource reached a failure status; the message carries the service's reason."""


class WaitTimeout(WaitError, TimeoutError):
    """The resource did not reach a final status in time."""


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` ('' for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def dig(data: Any, path: str) -> Any:
    """``data["a"]["b"][0]["c"]`` for path ``a.b.0.c``; None when any step is missing."""
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
        if data is None:
            return None
    return data


_REASON_PATHS = (
    "lastDeployment.failureReason.message",  # DataZone environments
    "failureReasons",  # DataZone domains / projects
    "errorMessage",  # DataZone data sources and runs (a structure), or plain text
    "lastRunErrorMessage",
    "failureCause.message",  # DataZone subscription grant assets
    "statusMessage",  # RAM associations
    "QueryExecution.Status.StateChangeReason",  # Athena
    "QueryExecution.Status.AthenaError.ErrorMessage",
    "Status.StateChangeReason",
    "Error",  # Redshift Data API describe_statement
)


def failure_reason(response: Any) -> str | None:
    """The service's own explanation of a failure, found in the usual places of a response."""
    if not isinstance(response, dict):
        return None
    for path in _REASON_PATHS:
        value = dig(response, path)
        if not value:
            continue
        if isinstance(value, list):
            parts = [v.get("message") or v.get("code") if isinstance(v, dict) else str(v) for v in value]
            text = "; ".join(p for p in parts if p)
            if text:
                return text
            continue
        if isinstance(value, dict):
            text = value.get("errorDetail") or value.get("message") or value.get("errorType")
            if text:
                return f"{value.get('errorType', '')}: {text}".strip(": ") if value.get("errorType") else str(text)
            continue
        return str(value)
    for asset in response.get("assets") or []:  # subscription grant: the failing asset says why
        message = dig(asset, "failureCause.message")
        if message:
            return f"asset {asset.get('assetId')}: {message}"
    return None


#: A wait that ends sooner shows nothing at all.
SHOW_AFTER = 2.0


@dataclass(frozen=True)
class BarState:
    """What a wait's bar shows: ``fraction`` of the expected duration (None: no estimate),
    ``style`` (ipywidgets' ``bar_style``: '' running, 'info' running without estimate,
    'success', 'danger') and the ``label`` beside it."""

    fraction: float | None
    style: str
    label: str


def bar_state(what: str, status: str | None, elapsed: float, expected: float | None,
              outcome: str | None = None) -> BarState:
    """The bar of a wait for ``what`` after ``elapsed`` seconds, scaled to ``expected`` (not to the timeout).

    ``outcome``: None while waiting, ``"done"`` (green, full, "ACTIVE after 5 min 12 s"),
    ``"failed"`` or ``"timeout"`` (red).
    """
    took = human(elapsed)
    fraction = None if not expected else min(elapsed / expected, 1.0)
    if outcome == "done":
        return BarState(1.0, "success", f"{what}: {status} after {took}")
    if outcome == "failed":  # a full red bar: the wait is over, and it went wrong
        return BarState(1.0, "danger", f"{what}: {status} after {took}")
    if outcome == "timeout":
        return BarState(1.0, "danger", f"{what}: gave up after {took} (last status {status})")
    if expected is None:
        return BarState(None, "info", f"{what}: {status} · {took} (no estimate)")
    usual = f"~{human(expected)}"
    if elapsed > expected:  # still running: never a full bar, which would read as done
        return BarState(0.99, "", f"{what}: {status} · {took}, longer than the usual {usual}")
    return BarState(min(fraction or 0.0, 0.99), "", f"{what}: {status} · {took} (usually {usual})")


def _show(widget: Any) -> None:
    from IPython.display import display

    display(widget)


def progress_mode() -> str:
    """``widget`` in a JupyterLab/Notebook kernel, ``text`` under papermill or in a terminal, or ``off``.

    Kernels that JupyterLab starts carry ``JPY_SESSION_NAME``; papermill's (nbclient's) do not,
    and a widget there would only print ``HBox(...)``. ``LAB_PROGRESS=text|widget|off`` overrides.
    """
    choice = os.environ.get("LAB_PROGRESS", "").lower()
    if choice in ("text", "widget", "off"):
        return choice
    return "widget" if "ipykernel" in sys.modules and os.environ.get("JPY_SESSION_NAME") else "text"


class Progress:
    """A wait's progress: nothing for :data:`SHOW_AFTER` seconds, then a bar (JupyterLab) or plain lines.

    The bar fills against the resource's ``expected`` duration; it ends green with "ACTIVE
    after …" on success and red only on failure or timeout. In text mode (papermill, a
    terminal) it prints one line when the wait becomes visible, one per status change and one
    at the end: no carriage returns, nothing for a wait that ended within two seconds.
    """

    def __init__(self, what: str, expected: float | None, mode: str | None = None):
        self.what, self.expected = what, expected
        self.mode = mode or progress_mode()
        self.shown = False
        self.status: str | None = None
        self.widgets: tuple[Any, Any, Any] | None = None  # (box, bar, label)

    def update(self, status: str | None, elapsed: float) -> None:
        changed, self.status = status != self.status, status
        if self.mode == "off" or elapsed < SHOW_AFTER:
            return
        state = bar_state(self.what, status, elapsed, self.expected)
        if not self.shown:
            self.shown = True
            if self.mode == "widget" and self._make_widgets():
                self._paint(state)
                return
            self.mode = "text" if self.mode == "widget" else self.mode
            usual = f"usually ~{human(self.expected)}" if self.expected else "no estimate"
            self._print(f"waiting for {self.what} ({usual}): {status}")
        elif self.widgets is not None:
            self._paint(state)
        elif changed:
            self._print(f"  {self.what}: {status} after {human(elapsed)}")

    def finish(self, status: str | None, elapsed: float, outcome: str) -> None:
        """End the display: ``outcome`` is ``done``, ``failed`` or ``timeout``; silent if never shown."""
        self.status = status
        if not self.shown:
            return
        state = bar_state(self.what, status, elapsed, self.expected, outcome)
        if self.widgets is not None:
            self._paint(state)
        else:
            self._print(state.label)

    def _make_widgets(self) -> bool:
        try:
            import ipywidgets as w

            bar = w.FloatProgress(min=0.0, max=1.0, value=0.0, layout=w.Layout(width="320px"))
            label = w.HTML()
            box = w.HBox([bar, label])
            _show(box)
        except Exception:  # ipywidgets or IPython missing: plain text instead
            return False
        self.widgets = (box, bar, label)
        return True

    def _paint(self, state: BarState) -> None:
        import html

        _box, bar, label = self.widgets  # type: ignore[misc]
        bar.value = 1.0 if state.fraction is None else state.fraction
        bar.bar_style = state.style
        label.value = f"<span style='padding-left:8px'>{html.escape(state.label)}</span>"

    def _print(self, line: str) -> None:
        stream = sys.stdout if "ipykernel" in sys.modules else sys.stderr
        print(line, file=stream, flush=True)


#: A poll comes at most this share of the elapsed time after the previous one (the overshoot bound).
POLL_SHARE = 0.1


def poll_delay(elapsed: float, delay: float = 2.0, max_delay: float = 30.0) -> float:
    """Seconds until the next poll after ``elapsed`` seconds of waiting: ``POLL_SHARE × elapsed``
    within ``[delay, max_delay]``.

    A resource that becomes ready at time ``T`` is therefore seen by ``T + max(0.1 T, delay)``.
    With the default 2 s floor one wait makes at most one request every 2 s, far below
    DataZone's documented API rates (20 TPS for most operations, the lowest 3 TPS:
    https://docs.aws.amazon.com/datazone/latest/userguide/datazone-limits.html).
    """
    return min(max_delay, max(delay, POLL_SHARE * elapsed))


def wait_for(
    getter: Callable[[], T],
    what: str,
    status: Callable[[T], str | None],
    done: Collection[str],
    failed: Collection[str] = (),
    *,
    reason: Callable[[T], str | None] = failure_reason,  # type: ignore[assignment]
    not_yet: Iterable[str] = (),
    gone_is_done: bool = False,
    timeout: float = 1800.0,
    delay: float = 2.0,
    max_delay: float = 30.0,
    progress: bool = True,
    kind: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Poll ``getter`` until ``status(response)`` is in ``done``; return that response.

    - ``what`` names the resource in the bar and in errors ("environment Glue_Publish_Environment").
    - ``failed`` statuses raise :class:`WaitFailed` with ``reason(response)``.
    - AWS error codes in ``not_yet`` (e.g. ``AccessDeniedException`` while a RAM share
      propagates) count as "not there yet" and are polled again.
    - ``gone_is_done``: a ``ResourceNotFoundException`` ends the wait successfully (for
      deletions); the response is then ``{"status": "GONE"}``.
    - ``timeout`` seconds without a final status raise :class:`WaitTimeout`.
    - Polls are spaced by :func:`poll_delay`: at least ``delay`` seconds apart, at most
      ``max_delay``, and never more than a tenth of the time waited so far, so a wait
      overshoots its resource by no more than 10 % or ``delay`` (whichever is larger),
      however long the resource takes (at AWS's pace or a rehearsal's).
    - ``kind`` names the resource in :mod:`lab_helpers.durations`: its bar fills against that
      expected duration (indeterminate when unknown); waits under two seconds show nothing.
    """
    not_yet = set(not_yet)
    started = clock()
    last_status: str | None = None
    last_response: Any = None
    shown = Progress(what, expected_seconds(kind)) if progress else None
    outcome = "failed"
    try:
        while True:
            try:
                response: Any = getter()
                current = status(response)
            except ClientError as exc:
                code = error_code(exc)
                if gone_is_done and code in {"ResourceNotFoundException", "NoSuchEntity", "ResourceNotFound",
                                             "UnknownResourceException", "ClusterNotFound", "ClusterNotFoundFault"}:
                    response, current = {"status": GONE}, GONE
                elif code in not_yet:
                    message = str(exc.response.get("Error", {}).get("Message", ""))[:120]
                    response, current = None, f"not yet ({code}: {message})" if message else f"not yet ({code})"
                else:
                    raise
            last_status, last_response = current, response
            if current in done or current == GONE and gone_is_done:
                outcome = "done"
                return response
            if current in failed:
                why = reason(response) if response is not None else None
                raise WaitFailed(f"{what} ended {current}: {why or 'the service gave no reason'}",
                                 what, current, response)
            elapsed = clock() - started
            if elapsed >= timeout:
                outcome = "timeout"
                raise WaitTimeout(
                    f"gave up waiting for {what} after {elapsed:.0f} s: last status {last_status!r} "
                    f"(wanted {', '.join(sorted(done))})", what, last_status, last_response)
            if shown is not None:
                shown.update(current, elapsed)
            sleep(min(poll_delay(elapsed, delay, max_delay), max(timeout - elapsed, 0.0)))
    finally:
        if shown is not None:
            shown.finish(last_status, clock() - started, outcome)


def wait_gone(getter: Callable[[], Any], what: str, status_key: str = "status", timeout: float = 1800,
              kind: str | None = None) -> None:
    """Wait until a deleted resource reads DELETED or is not found (DELETE_FAILED/DELETION_FAILED raise)."""
    wait_for(getter, what, lambda r: r.get(status_key), {"DELETED"}, {"DELETE_FAILED", "DELETION_FAILED"},
             gone_is_done=True, timeout=timeout, kind=kind)


__all__ = ["wait_for", "wait_gone", "retry", "Progress", "bar_state", "BarState", "WaitError", "WaitFailed", "WaitTimeout", "failure_reason", "error_code", "dig", "GONE"]


def retry(call: Callable[[], T], what: str, codes: Iterable[str] = ("ValidationException", "AccessDeniedException",
                                                                      "InvalidParameterValueException"),
          timeout: float = 120.0) -> T:
    """Call ``call()`` until it stops failing with one of ``codes`` (IAM role propagation).

    A role created a moment ago may not be assumable yet: the first ``create_domain`` or
    ``put_environment_blueprint_configuration`` with it can fail. Uses :func:`wait_for`.
    """
    box: dict[str, Any] = {}

    def attempt() -> dict[str, Any]:
        box["result"] = call()
        return {"status": "done"}

    wait_for(attempt, what, lambda r: r["status"], {"done"}, not_yet=codes, timeout=timeout, delay=2,
             max_delay=10, progress=False)
    return box["result"]
