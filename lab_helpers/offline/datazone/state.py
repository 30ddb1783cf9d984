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

import weakref

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
        self._state = ManagedState(model, transitions)
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


def settle_all() -> int:
    """Read every live lifecycle's status (immediate progression ends each walk); returns how many.

    Run after a journal replay and before a pace applies, so resources restored from the
    journal are as settled as they were, not restarted on the rehearsal's clock.
    """
    live = list(_LIVE)
    for lifecycle in live:
        _ = lifecycle.status
    return len(live)
