"""Verdicts: the checks a notebook shows as a green line, and raise when they do not hold.

A notebook that prints "refused as expected" or "both engines return exactly the published
sample" makes a promise; a warning in the output would let papermill, nbval and Run All
carry on as if it held. :func:`verdict` shows the line when the check holds and otherwise
raises :class:`LabCheckFailed`, a one-message error (no traceback) that names what to look
at, so every way of running the lab stops on it.
"""

from __future__ import annotations

from .display import note
from .errors import ShortTraceback


class LabCheckFailed(ShortTraceback, AssertionError):
    """A check the lab shows as a verdict did not hold; the message says what differs and where to look."""


def verdict(ok: bool, passed: str, failed: str) -> None:
    """Show ``passed`` in green when ``ok``; otherwise raise :class:`LabCheckFailed` with ``failed``."""
    if not ok:
        raise LabCheckFailed(failed)
    note(passed, "ok")


def _listed(found: dict[str, list[dict[str, str]]]) -> list[str]:
    """``account: type name`` for every item an inventory still lists (empty: nothing left)."""
    return [f"{account}: {item.get('type', '')} {item.get('name', '')}".rstrip()
            for account, items in found.items() for item in items]


def nothing_left(found: dict[str, list[dict[str, str]]]) -> None:
    """The cleanup verdict: the inventory lists nothing in any account, or :class:`LabCheckFailed` naming what is left."""
    left = _listed(found)
    shown = "; ".join(left[:8]) + (f"; and {len(left) - 8} more" if len(left) > 8 else "")
    verdict(not left, "nothing of the lab is left",
            f"the inventory still lists {len(left)} resource(s) of the lab: {shown}. Run this notebook again "
            "(cleanup skips what is gone); if they stay, the cleanup report above says why each one failed.")


def row_count(table: str, found: int, expected: int, fix: str) -> None:
    """The verdict on a table made from the sample: it holds exactly ``expected`` rows."""
    verdict(int(found) == int(expected), f"{table} holds the {expected} rows of the sample",
            f"{table} holds {int(found)} rows, the sample {expected}: {fix}")
