"""Small shared pieces: ids, clocks, pagination and input checks, as DataZone shapes them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

from moto.moto_api._internal import mock_random

from .exceptions import ResourceNotFoundException, ValidationException

T = TypeVar("T")

NAME_RE = re.compile(r"^[\w -]+$")


def new_id(prefix: str = "") -> str:
    """A DataZone-style id: 14 lower-case alphanumerics (domains get the ``dzd_`` prefix)."""
    return prefix + mock_random.get_random_string(length=14, lower_case=True)


def now() -> datetime:
    return datetime.now(timezone.utc)


def page(items: Sequence[T], params: dict[str, Any], default_max: int = 50) -> tuple[list[T], str | None]:
    """Slice ``items`` by ``maxResults``/``nextToken`` (an opaque offset) like the service does."""
    token = params.get("nextToken")
    start = 0
    if token:
        try:
            start = int(str(token).removeprefix("dzp-"))
        except ValueError:
            raise ValidationException("The nextToken is invalid.") from None
    size = max(1, int(params.get("maxResults") or default_max))
    chunk = list(items[start : start + size])
    nxt = f"dzp-{start + size}" if start + size < len(items) else None
    return chunk, nxt


def listing(items: list[Any], params: dict[str, Any], key: str = "items", default_max: int = 50) -> dict[str, Any]:
    """A ``{items, nextToken}`` response page."""
    chunk, nxt = page(items, params, default_max)
    out: dict[str, Any] = {key: chunk}
    if nxt:
        out["nextToken"] = nxt
    return out


def lookup(items: dict[str, T], identifier: str | None, kind: str, domain_id: str | None = None, *, forget_deleted: bool = False) -> T:
    """``items[identifier]``, else the service's not-found error for a ``kind`` (in the domain, when given).

    With ``forget_deleted`` a DELETED item is first dropped from ``items``: the service no longer knows it.
    """
    key = identifier or ""
    item = items.get(key)
    if forget_deleted and item is not None and getattr(item, "status") == "DELETED":
        del items[key]
        item = None
    if item is None:
        where = f" in domain {domain_id}" if domain_id else ""
        raise ResourceNotFoundException(f"{kind} {identifier} not found{where}.")
    return item


def require(params: dict[str, Any], *names: str) -> None:
    """ValidationException for missing required members (botocore checks these client-side too)."""
    for name in names:
        if params.get(name) in (None, ""):
            raise ValidationException(
                f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
            )


def check_name(value: str, member: str = "name", max_len: int = 64) -> str:
    """Resource names: 1..max_len characters of letters, digits, ``_``, ``-`` and spaces."""
    if not value or len(value) > max_len or not NAME_RE.match(value):
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: ^[\\w -]+$ and have length between 1 and {max_len}"
        )
    return value


def strip_none(data: dict[str, Any]) -> dict[str, Any]:
    """Drop ``None`` members so optional output members are simply absent."""
    return {k: v for k, v in data.items() if v is not None}


def param_map(params: list[dict[str, Any]] | None) -> dict[str, str]:
    """``[{name, value}]`` environment parameters as a dict."""
    return {p["name"]: p.get("value", "") for p in params or [] if p.get("name")}


def account_of_arn(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""
