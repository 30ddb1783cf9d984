"""What every notebook does first: validate parameters, act as its persona, say who it is.

``lab = start_notebook("publisher", step="05", **params)`` gives the notebook its config,
the persona's boto3 session, the state file and other personas' sessions (cleanup acts as
all four), checks that the earlier steps it needs are done (see :func:`check_preconditions`)
and shows a banner naming the persona, the account and the backend, so a room full of
people does not run the consumer's step with the producer's credentials.

The settings 00_lab_setup saves (:func:`save_settings`) are the other notebooks' defaults;
the accounts, Region and backend cannot change while the lab has resources (until 99 ran).
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
from .errors import ShortTraceback
from .state import LabState
from .steps import STEPS, Step, unmet

#: Settings the setup notebook saves for the others (a ``None`` parameter falls back to them).
SAVED_SETTINGS = ("backend", "region", "producer_account_id", "consumer_account_id", "offline_port",
                  "consumer_account_ids", "redshift")
#: The settings that name where the lab's resources are: fixed while any exist (the consumer chosen among
#: ``consumer_account_ids`` may change: the accounts are the same).
ACCOUNT_SETTINGS = ("backend", "region", "producer_account_id", "consumer_account_ids")


class PreconditionError(ShortTraceback, RuntimeError):
    """An earlier step this notebook needs is not done: the message names the notebook to run."""


class AccountsLockedError(ConfigError):
    """The accounts, Region or backend would change while the lab has resources in the old ones."""


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

    def each_consumer(self) -> list[Lab]:
        """This notebook's context for every consumer account in turn: its config, its view of the state file and
        its personas' sessions (the producer's notebooks act for every consumer of the room)."""
        return [Lab(each, self.persona, self.session, self.identity, LabState(each.work_dir, each.state_scope))
                for each in self.config.each_consumer()]

    def session_of(self, persona: str | None = None) -> boto3.Session:
        """The boto3 session of ``persona`` (default: this notebook's)."""
        if persona is None or persona == self.persona:
            return self.session
        if persona not in self._others:
            self._others[persona] = persona_session(self.config, persona)
        return self._others[persona]


def start_notebook(persona: str, show: bool = True, step: str | None = None, **params: Any) -> Lab:
    """Validate ``params``, open ``persona``'s session, check its identity and ``step``'s preconditions, show the banner.

    Bad parameters or credentials, accounts other than the saved ones while the lab has
    resources (except in 99, the cleanup), or an earlier step not done, stop the notebook
    here, before anything is created, with one short message naming the fix (the errors
    render without a traceback in Jupyter; the traceback stays available, folded). The
    accounts a step acts in are added to the state's ``accounts_used`` for 99.
    """
    try:
        config = resolve_config(**params)
    except ConfigError as exc:
        raise ConfigError(f"{exc} Fix the parameters cell (or the settings of 00_lab_setup), "
                          "then run the notebook again.") from None
    cleanup = step is not None and STEPS.get(str(step).zfill(2)) is not None and STEPS[str(step).zfill(2)].runs_last
    if step is not None and not cleanup:
        check_accounts_change(config)  # parameters naming other accounts while the lab has resources: refused
    try:
        session = persona_session(config, persona)
        identity = check_identity(session, config, persona)
    except CredentialsError as exc:
        raise CredentialsError(f"{exc} Then run the notebook again.") from None
    lab = Lab(config, persona, session, identity, LabState(config.work_dir, config.state_scope))
    if step is not None:
        check_preconditions(lab, step)
        if not cleanup:
            lab.state.record_accounts(config)  # 99 cleans every account set the lab acted in
    if show:
        from .display import show_banner

        show_banner(lab)
    return lab


def check_preconditions(lab: Lab, step: str | Step) -> None:
    """Raise :class:`PreconditionError` naming the earliest earlier step ``step`` needs that is not done.

    The rule (:func:`lab_helpers.steps.unmet`): a step of this notebook's own side (producer
    or consumer; 00's prerequisites of that side) is done when its ids are in this
    machine's state file. A step of the other side may have run on another machine (a
    workshop runs each side's notebooks where its credentials are, and the notebooks find
    ids again by name in AWS): it is done when its ids are in the state file or, failing
    that, when the same by-name lookup in AWS finds its result; it stops this notebook
    only when that lookup finds nothing, never when the lookup itself cannot run.
    """
    missing = unmet(step, lab.state.load(), lab)
    if not missing:
        return
    first = missing[0]
    then = f" (then {', '.join(s.number for s in missing[1:])})" if len(missing) > 1 else ""
    raise PreconditionError(f"Run {first.notebook} first{then}: this notebook needs {first.gives}.")


def accounts_of(settings: Any) -> dict[str, Any]:
    """The backend, Region and account ids of a config or a saved-settings dict."""
    get = settings.get if isinstance(settings, dict) else lambda k: getattr(settings, k, None)
    found = {k: get(k) for k in ACCOUNT_SETTINGS}
    found["consumer_account_ids"] = list(found["consumer_account_ids"] or [get("consumer_account_id")])
    return found


def lab_in_use(state: dict[str, Any]) -> bool:
    """Whether the state shows walkthrough resources (a step from 01 to 10 recorded ids), as after 01."""
    return any(state.get(k) not in (None, "", [], {}) for n, s in STEPS.items() if n not in ("00", "99")
               for k in s.produces)


def check_accounts_change(config: LabConfig) -> None:
    """Refuse new accounts, Region or backend while the lab has resources in the saved ones (until 99 ran)."""
    state = LabState(config.work_dir).load()
    saved = state.get("settings") if isinstance(state.get("settings"), dict) else None
    if saved is None:
        used = LabState(config.work_dir).accounts_used()
        saved = used[-1] if used else None
    if not saved or not lab_in_use(state) or accounts_of(saved) == accounts_of(config):
        return
    old, new = accounts_of(saved), accounts_of(config)
    changed = ", ".join(k for k in ACCOUNT_SETTINGS if old[k] != new[k])
    consumers = old["consumer_account_ids"]
    changed = changed.replace("consumer_account_ids", "consumer_account_id" if len(consumers) == 1 else
                              "consumer_account_ids")
    raise AccountsLockedError(
        f"the lab has resources in producer account {old['producer_account_id']} and consumer account"
        f"{'s' if len(consumers) > 1 else ''} {', '.join(consumers)} ({old['backend']}, {old['region']}), "
        f"so its {changed} cannot change now: "
        f"run 99_cleanup first to delete them, then change the settings (or put the settings back to those).")


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
    if "consumer_account_id" in given and "consumer_account_ids" not in given:
        try:  # a saved consumer list holds for a consumer chosen among it; another account replaces it
            if validate.normalise_account_id(given["consumer_account_id"]) not in saved.get("consumer_account_ids", []):
                saved.pop("consumer_account_ids", None)
        except ConfigError:
            pass  # make_config names the bad id
    elif "consumer_account_ids" in given and "consumer_account_id" not in given:
        saved.pop("consumer_account_id", None)  # the first of the given list, unless chosen
    return make_config(**{**saved, **given, "work_dir": work_dir})


def saved_settings(work_dir: str | None = None) -> dict[str, Any]:
    """The settings 00_lab_setup saved in ``work_dir`` (default: the lab's), or ``{}``."""
    saved = LabState(work_dir or default_work_dir()).get("settings", {})
    return {k: v for k, v in saved.items() if k in SAVED_SETTINGS} if isinstance(saved, dict) else {}


def save_settings(config: LabConfig) -> dict[str, Any]:
    """Record the validated settings for the other notebooks and the accounts for 99; returns what was saved.

    Raises :class:`AccountsLockedError` when the accounts, Region or backend would change
    while the lab has resources in the saved ones.
    """
    check_accounts_change(config)
    state = LabState(config.work_dir)
    settings = {k: getattr(config, k) for k in SAVED_SETTINGS if k != "consumer_account_ids"}
    if len(config.consumers) > 1:  # one consumer: the settings as they always were
        settings["consumer_account_ids"] = list(config.consumers)
    state.update(settings=settings)
    state.record_accounts(config)
    return settings


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


def usable_session(config: LabConfig, persona: str) -> boto3.Session | None:
    """``persona``'s session if its credentials work on this machine (a workshop gives each side its own), else None."""
    try:
        session = persona_session(config, persona)
        check_identity(session, config, persona)
    except CredentialsError:
        return None
    return session


def admin_sessions(config: LabConfig) -> dict[str, boto3.Session]:
    """The data administrators' sessions that work on this machine: ``{"producer": …, "consumer": …}``."""
    found = {}
    for label, persona in (("producer", "producer_admin"), ("consumer", "consumer_admin")):
        session = usable_session(config, persona)
        if session is not None:
            found[label] = session
    return found


def consumer_sessions(config: LabConfig, persona: str) -> dict[str, boto3.Session]:
    """A consumer ``persona``'s sessions that work on this machine, one per consumer account of the lab
    (a room: every one of ``consumer_account_ids``): ``{account id: session}``."""
    found = {}
    for each in config.each_consumer():
        session = usable_session(each, persona)
        if session is not None:
            found[each.consumer_account_id] = session
    return found
