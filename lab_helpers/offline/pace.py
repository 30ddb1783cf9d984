"""Rehearsal pace: the stand-in's asynchronous resources take AWS's durations, or a fraction.

``offline start --pace aws`` gives every asynchronous resource of the lab (DataZone's, the
RAM association, the Redshift cluster or workgroup, their deletions and a namespace's) its
typical duration on AWS (from the kit's table of expected durations,
:mod:`lab_helpers.durations`); ``--pace aws/10`` divides them by ten; ``--pace instant``
(the default) settles every status at the first look, as before.

The pace is applied through moto's state manager (``progression: time``), model by model;
a model whose walk has several transitions (a grant: PENDING, IN_PROGRESS, COMPLETED)
spends the duration over them evenly. A journal replay runs instantly and its resources
are settled before the pace applies, so a restart does not restart their clocks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from moto.moto_api import state_manager

from .datazone.state import settle_all

DEFAULT = "instant"

#: State-manager model → (the durations table's key, transitions in its walk).
PACED_MODELS: dict[str, tuple[str, int]] = {
    "datazone::domain": ("domain_create", 1),
    "datazone::environment": ("environment_create", 1),
    "datazone::data_source": ("data_source_create", 1),
    "datazone::data_source_run": ("data_source_run", 2),
    "datazone::listing": ("listing_publish", 1),
    "datazone::subscription_grant": ("subscription_grant", 2),
    "datazone::domain_deletion": ("domain_delete", 1),
    "datazone::environment_deletion": ("environment_delete", 1),
    "datazone::grant_deletion": ("subscription_revoke", 1),
    "redshift-serverless::workgroup": ("redshift_workgroup_create", 1),
    "redshift-serverless::workgroup_deletion": ("redshift_workgroup_delete", 1),
    "redshift-serverless::namespace_deletion": ("redshift_namespace_delete", 1),
    "redshift::cluster": ("redshift_cluster_create", 1),
    "redshift::cluster_deletion": ("redshift_cluster_delete", 1),
    "ram::association": ("ram_association", 1),
}

_SPEC = re.compile(r"^(instant|aws)(?:/(\d+(?:\.\d+)?))?$")


class PaceError(ValueError):
    """A ``--pace`` value the stand-in does not understand; the message lists the valid forms."""


@dataclass(frozen=True)
class Pace:
    """A parsed ``--pace``: ``scale`` multiplies AWS's durations (``None``: instant)."""

    spec: str
    scale: float | None

    def seconds(self, aws_seconds: float) -> float:
        return 0.0 if self.scale is None else aws_seconds * self.scale


def parse(spec: str | None) -> Pace:
    """``instant``, ``aws`` or ``aws/N`` (N a positive number) → :class:`Pace`."""
    text = (spec or DEFAULT).strip().lower()
    match = _SPEC.match(text)
    if not match or (match.group(1) == "instant" and match.group(2)):
        raise PaceError(f"--pace {spec!r} is not understood: use instant, aws, or aws/N (e.g. aws/10: ten times faster)")
    if match.group(1) == "instant":
        return Pace("instant", None)
    divisor = float(match.group(2) or 1)
    if divisor <= 0:
        raise PaceError(f"--pace {spec!r}: the divisor must be positive; use instant, aws, or aws/N (e.g. aws/10)")
    return Pace(text, 1.0 / divisor)


def aws_seconds() -> dict[str, float]:
    """The kit's table of typical AWS durations (:mod:`lab_helpers.durations`): key → seconds."""
    from ..durations import DURATIONS

    return {d.key: float(d.seconds) for d in DURATIONS if d.seconds}


def apply(pace: Pace, aws_seconds: Mapping[str, float]) -> dict[str, float]:
    """Set each paced model's transition; returns model → seconds per transition (0: immediate).

    ``aws_seconds`` maps the durations table's keys to seconds on AWS; a key it lacks
    leaves that model immediate.
    """
    settle_all()
    applied: dict[str, float] = {}
    for model, (key, transitions) in PACED_MODELS.items():
        total = pace.seconds(aws_seconds.get(key, 0.0))
        if total <= 0:
            state_manager.set_transition(model, {"progression": "immediate"})
            applied[model] = 0.0
            continue
        per_step = total / transitions
        state_manager.set_transition(model, {"progression": "time", "seconds": per_step})
        applied[model] = per_step
    return applied
