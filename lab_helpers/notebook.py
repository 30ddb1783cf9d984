"""What every notebook does first: validate parameters, act as its persona, say who it is.

``lab = start_notebook("publisher", **params)`` gives the notebook its config, the
persona's boto3 session, the state file and other personas' sessions (cleanup acts as
all four), and shows a banner naming the persona, the account and the backend, so a
room full of people does not run the consumer's step with the producer's credentials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

import pandas as pd

from . import display as _display  # noqa: F401  (table display options)
from . import validate
from .config import PERSONA_TITLES, PERSONAS, ConfigError, LabConfig, default_work_dir, make_config
from .sessions import CredentialsError, check_identity, persona_session
from .state import LabState

#: Settings the setup notebook saves for the others (a ``None`` parameter falls back to them).
SAVED_SETTINGS = ("backend", "region", "producer_account_id", "consumer_account_id", "offline_port")


@dataclass
class Lab:
    """The context a notebook works in."""

    config: LabConfig
    persona: str
    session: boto3.Session
    identity: dict[str, str]
    state: LabState
    _others: dict[str, boto3.Session] = field(default_factory=dict, repr=False)

    @property
    def account_id(self) -> str:
        return self.config.account_of(self.persona) if self.persona in PERSONAS else self.identity["Account"]

    def client(self, service: str, persona: str | None = None) -> Any:
        """A boto3 client for ``service`` as this notebook's persona (or another one)."""
        return self.session_of(persona).client(service)

    def session_of(self, persona: str | None = None) -> boto3.Session:
        """The boto3 session of ``persona`` (default: this notebook's)."""
        if persona is None or persona == self.persona:
            return self.session
        if persona not in self._others:
            self._others[persona] = persona_session(self.config, persona)
        return self._others[persona]


def start_notebook(persona: str, show: bool = True, **params: Any) -> Lab:
    """Validate ``params``, open ``persona``'s session, check its identity, show the banner.

    Bad parameters or credentials stop the notebook here, before anything is created, with
    one short message naming the fix (the errors render without a traceback in Jupyter).
    """
    try:
        config = resolve_config(**params)
    except ConfigError as exc:
        raise ConfigError(f"{exc} Fix the parameters cell (or the settings of 00_lab_setup), "
                          "then run the notebook again.") from None
    try:
        session = persona_session(config, persona)
        identity = check_identity(session, config, persona)
    except CredentialsError as exc:
        raise CredentialsError(f"{exc} Then run the notebook again.") from None
    lab = Lab(config, persona, session, identity, LabState(config.work_dir))
    if show:
        from .display import show_banner

        show_banner(lab)
    return lab


def banner_text(lab: Lab) -> str:
    """One line: who this notebook acts as, in which account, against what."""
    side = PERSONAS.get(lab.persona, "")
    target = (f"the offline stand-in at {lab.config.endpoint_url}" if lab.config.backend == "offline"
              else f"AWS ({lab.config.region})")
    return (f"Acting as the {PERSONA_TITLES.get(lab.persona, lab.persona).lower()} in the {side} account "
            f"{lab.account_id} ({lab.identity['Arn']}), talking to {target}.")


def resolve_config(**params: Any) -> LabConfig:
    """Validate ``params``; those left ``None`` take the settings saved by 00_lab_setup."""
    work_dir = str(validate.writable_folder(params.get("work_dir") or default_work_dir(), "work_dir"))
    saved = LabState(work_dir).get("settings", {})
    saved = {k: v for k, v in saved.items() if k in SAVED_SETTINGS} if isinstance(saved, dict) else {}
    given = {k: v for k, v in params.items() if v is not None and v != ""}
    return make_config(**{**saved, **given, "work_dir": work_dir})


def save_settings(config: LabConfig) -> None:
    """Record the validated settings so the other notebooks use the same accounts and Region."""
    LabState(config.work_dir).update(settings={k: getattr(config, k) for k in SAVED_SETTINGS})


def persona_identities(config: LabConfig) -> pd.DataFrame:
    """Who each persona is: ``sts.get_caller_identity`` for all four, checked against its account.

    In a workshop the producer and the consumer sit at different machines, so a persona
    without credentials here is shown as such; if no persona has any, this raises.
    """
    rows, problems = [], []
    for persona, side in PERSONAS.items():
        row = {"persona": persona, "role in the walkthrough": PERSONA_TITLES[persona], "account side": side,
               "account": config.account_of(persona)}
        try:
            ident = check_identity(persona_session(config, persona), config, persona)
            row.update({"identity (ARN)": ident["Arn"], "status": "ok"})
        except CredentialsError as exc:
            row.update({"identity (ARN)": "", "status": f"not usable on this machine: {exc}"})
            problems.append(str(exc))
        rows.append(row)
    if len(problems) == len(PERSONAS):
        raise CredentialsError("no persona has usable credentials here:\n- " + "\n- ".join(problems))
    return _display.table(rows)


def admin_sessions(config: LabConfig) -> dict[str, boto3.Session]:
    """The data administrators' sessions that work on this machine: ``{"producer": …, "consumer": …}``."""
    found = {}
    for label, persona in (("producer", "producer_admin"), ("consumer", "consumer_admin")):
        try:
            session = persona_session(config, persona)
            check_identity(session, config, persona)
        except CredentialsError:
            continue
        found[label] = session
    return found
