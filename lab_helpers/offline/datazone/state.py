"""Async statuses through moto's state manager ("immediate" by default; "time" or "manual" on request).

With ``manual`` progression each ``get_*`` of the resource counts as one look, as in moto.

Model names, for ``/moto-api/state-manager/set-transition``:
``datazone::domain``, ``datazone::environment``, ``datazone::data_source``,
``datazone::data_source_run``, ``datazone::listing``, ``datazone::subscription_grant``,
``datazone::domain_deletion``, ``datazone::environment_deletion``, ``datazone::grant_deletion``
(resources on their way out). ``offline start --pace aws`` gives each its AWS duration
(:mod:`lab_helpers.offline.pace`).
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from moto.moto_api import state_manager
from moto.moto_api._internal.managed_state_model import ManagedState

MODELS = (
    "datazone::domain",
    "datazone::environment",
    "datazone::data_source",
    "datazone::data_source_run",
    "datazone::listing",
    "datazone::subscription_grant",
    "datazone::domain_deletion",
    "datazone::environment_deletion",
    "datazone::grant_deletion",
)

for _name in MODELS:
    state_manager.register_default_transition(_name, transition={"progression": "immediate"})


#: Every live lifecycle, so a restored stand-in can settle them before its pace applies.
_LIVE: "weakref.WeakSet[Lifecycle]" = weakref.WeakSet()


class _ScheduledState(ManagedState):
    """moto's ManagedState, except that ``time`` progression follows the clock, not the looks.

    moto starts a step's clock when the previous step was *observed*, so a resource nobody
    polls stands still and waiting for two resources one after the other takes the sum of
    their durations. On AWS a resource progresses whether or not anyone looks: here step
    ``n`` is reached ``n × seconds`` after the walk began, read or not.
    """

    def __init__(self, model_name: str, transitions: list[tuple[str | None, str]]):
        super().__init__(model_name, transitions)
        self._began = time.monotonic()

    @property
    def status(self) -> str | None:
        config = state_manager.get_transition(self.model_name)
        if config["progression"] != "time":
            return ManagedState.status.fget(self)  # type: ignore[attr-defined]
        walk = [self._transitions[0][0]] + [after for _, after in self._transitions if after != self._transitions[0][0]]
        due = int((time.monotonic() - self._began) // max(float(config["seconds"]), 1e-9))
        reached = walk.index(self._status) if self._status in walk else 0  # never go back (e.g. settled earlier)
        self._status = walk[min(max(due, reached), len(walk) - 1)]
        return self._status

    @status.setter
    def status(self, value: str) -> None:
        self._status = value


class Lifecycle:
    """A resource's status: a ManagedState walk that can be replaced (e.g. on deletion)."""

    def __init__(self, model: str, *statuses: str) -> None:
        self.set(model, *statuses)
        _LIVE.add(self)

    def set(self, model: str, *statuses: str) -> None:
        """Walk ``statuses`` in order (the last one is final); one status means settled."""
        if len(statuses) == 1:
            transitions: list[tuple[str | None, str]] = [(statuses[0], statuses[0])]
        else:
            transitions = list(zip(statuses[:-1], statuses[1:]))
        self._state = _ScheduledState(model, transitions)
        self._final = statuses[-1]

    @property
    def status(self) -> str:
        return self._state.status or self._final

    def advance(self) -> None:
        """A ``get_*`` looked at the resource (counts for ``manual`` progression)."""
        self._state.advance()

    @property
    def final(self) -> str:
        return self._final

    @property
    def settled(self) -> bool:
        return self.status == self._final


def start_deletion(lifecycle: Lifecycle, model: str, deleting: str, gone: str) -> bool:
    """Walk ``lifecycle`` from ``deleting`` to ``gone`` on ``model``; True while the deletion is under way.

    At an immediate pace it is over at once: the lifecycle then stays at ``deleting``, which the
    deletion's response reports, and the caller drops the resource.
    """
    lifecycle.set(model, deleting, gone)
    if lifecycle.status != gone:
        return True
    lifecycle.set(model, deleting)
    return False


def drop_gone(deleting: dict[str, Any], gone: str) -> dict[str, Any]:
    """``deleting`` (name → resource being deleted) without those whose ``status`` reached ``gone``."""
    for name in [n for n, item in deleting.items() if item.status == gone]:
        del deleting[name]
    return deleting


def settle_all() -> int:
    """Read every live lifecycle's status (immediate progression ends each walk); returns how many.

    Run after a journal replay and before a pace applies, so resources restored from the
    journal are as settled as they were, not restarted on the rehearsal's clock.
    """
    live = list(_LIVE)
    for lifecycle in live:
        _ = lifecycle.status
    return len(live)
