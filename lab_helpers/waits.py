"""The one wait the lab uses: poll a getter until the resource reaches a final status.

botocore ships no waiters for DataZone, RAM or Athena, so every asynchronous step of the
walkthrough (domain, environment, data source run, listing, subscription grant, Athena
query, Redshift Data API statement, RAM association) waits through :func:`wait_for`:

- it calls ``getter()`` (usually a ``get_*``/``describe_*`` call), reads the status,
- shows a tqdm progress bar with the current status (a widget in JupyterLab, text under
  papermill or in a terminal),
- backs off between polls (``delay`` growing by ``backoff`` up to ``max_delay``),
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
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from .errors import ShortTraceback

T = TypeVar("T")

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


def _progress_bar(total: float, desc: str) -> Any:
    """A tqdm bar: the notebook widget when a JupyterLab/Notebook front end shows it, text otherwise.

    Kernels that JupyterLab starts carry ``JPY_SESSION_NAME``; papermill's (nbclient's) do not,
    and a widget there would only print ``HBox(...)``. ``LAB_PROGRESS=text|widget|off`` overrides.
    """
    choice = os.environ.get("LAB_PROGRESS", "").lower()
    kwargs: dict[str, Any] = {"total": total, "desc": desc, "unit": "s", "leave": True,
                              "bar_format": "{desc} [{elapsed}]",
                              "delay": 2.0}  # quick waits show no bar at all
    if choice == "off":
        kwargs["disable"] = True
    in_kernel = "ipykernel" in sys.modules
    if choice == "widget" or (choice != "text" and in_kernel and os.environ.get("JPY_SESSION_NAME")):
        try:
            from tqdm.notebook import tqdm as notebook_tqdm

            return notebook_tqdm(**kwargs)
        except Exception:  # ipywidgets missing: fall back to text
            pass
    from tqdm.std import tqdm as text_tqdm

    return text_tqdm(file=sys.stdout if in_kernel else sys.stderr, mininterval=1.0, **kwargs)


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
    backoff: float = 1.5,
    progress: bool = True,
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
    """
    not_yet = set(not_yet)
    started = clock()
    last_status: str | None = None
    last_response: Any = None
    bar = _progress_bar(timeout, f"waiting for {what}") if progress else None
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
            if bar is not None:
                bar.set_description_str(f"waiting for {what}: {current}")
            if current in done or current == GONE and gone_is_done:
                return response
            if current in failed:
                why = reason(response) if response is not None else None
                raise WaitFailed(f"{what} ended {current}: {why or 'the service gave no reason'}",
                                 what, current, response)
            elapsed = clock() - started
            if elapsed >= timeout:
                raise WaitTimeout(
                    f"gave up waiting for {what} after {elapsed:.0f} s: last status {last_status!r} "
                    f"(wanted {', '.join(sorted(done))})", what, last_status, last_response)
            pause = min(delay, max(timeout - elapsed, 0.0))
            sleep(pause)
            if bar is not None:
                bar.n = min(clock() - started, timeout)
                bar.refresh()
            delay = min(delay * backoff, max_delay)
    finally:
        if bar is not None:
            bar.close()


def wait_gone(getter: Callable[[], Any], what: str, status_key: str = "status", timeout: float = 1800) -> None:
    """Wait until a deleted resource reads DELETED or is not found (DELETE_FAILED/DELETION_FAILED raise)."""
    wait_for(getter, what, lambda r: r.get(status_key), {"DELETED"}, {"DELETE_FAILED", "DELETION_FAILED"},
             gone_is_done=True, timeout=timeout)


__all__ = ["wait_for", "wait_gone", "retry", "WaitError", "WaitFailed", "WaitTimeout", "failure_reason", "error_code", "dig", "GONE"]


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
