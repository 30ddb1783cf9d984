"""One boto3 session per persona: the only place where the two backends differ.

- ``aws``: a named profile per persona, or a role ARN assumed from the default
  credentials, or the default credential chain.
- ``offline``: ``sts.assume_role`` into the persona's role of its account on the local
  stand-in (moto binds the returned keys to that account); the stand-in is started on
  first use and ``AWS_ENDPOINT_URL`` points every client (boto3, awswrangler) at it.

Everything after the session is the same code for both backends.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
import threading
import time
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.handlers
import botocore.loaders
import botocore.session
from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError, ProfileNotFound

from .config import OFFLINE_ROLES, PERSONA_TITLES, PERSONAS, ConfigError, LabConfig, check_persona
from .errors import ShortTraceback

OFFLINE_KEY = "offline-lab-key"  # not a secret: the stand-in accepts any key
_cache: dict[tuple[Any, ...], boto3.Session] = {}
_admins: dict[tuple[Any, ...], boto3.Session] = {}  # offline: each account's administrator, per endpoint and Region
_ENDPOINT_SET_BY_KIT = "_LAB_KIT_ENDPOINT"
#: One botocore loader for every session the kit makes: each service model is read once per process.
_LOADER = botocore.loaders.create_loader()
#: Offline: a persona's saved role credentials are reused while they have this many seconds left (AssumeRole gives 3600).
PASS_MARGIN = 900
_passes_after = 0.0  # saved credentials older than this are ignored (set by clear_cache)
#: botocore's built-in event handlers, registered once (per version of botocore's list): each session starts from a copy.
_builtin: tuple[tuple[int, int], Any] | None = None


def _builtin_events() -> Any:
    """A copy of a registry holding botocore's built-in handlers (``botocore.handlers.BUILTIN_HANDLERS``).

    Made again when that list changes: moto, for one, appends its request interceptor to it on import.
    """
    global _builtin
    listed = botocore.handlers.BUILTIN_HANDLERS
    key = (len(listed), id(listed[-1]) if listed else 0)
    if _builtin is None or _builtin[0] != key:
        _builtin = (key, botocore.session.Session()._original_handler)
    return copy.copy(_builtin[1])


class LabSession(boto3.Session):
    """A boto3 session that makes one client per service, Region and settings, and hands it out again.

    boto3 makes a new client on every ``session.client(...)`` call: its class, its event
    registry and its connection pool, about 5-10 ms each, and the kit asks for the same
    clients many times in a notebook (awswrangler, for one, asks on every call with a new but
    equal ``Config``). Clients are thread-safe and their credentials are the session's, so one
    serves every caller that asks with the same arguments: the same endpoint, SSL settings and
    ``Config`` options. Any other argument (credentials of its own, an ``api_version``) gets a
    client of its own, as from boto3.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[tuple[Any, ...], Any] = {}
        self._clients_lock = threading.Lock()

    def client(self, service_name: str, region_name: str | None = None, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        key = _client_key(service_name, region_name, args, kwargs)
        if key is None:
            return super().client(service_name, region_name, *args, **kwargs)
        with self._clients_lock:
            if key not in self._clients:
                self._clients[key] = super().client(service_name, region_name, *args, **kwargs)
            return self._clients[key]


#: ``session.client`` arguments under which a client is shared (with a ``Config``, by its options).
_SHARED_ARGUMENTS = frozenset({"endpoint_url", "use_ssl", "verify", "config"})


def _client_key(service: str, region: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """What makes two ``client()`` calls ask for the same client, or ``None`` when they may not share one."""
    if args or not set(kwargs) <= _SHARED_ARGUMENTS:
        return None
    config = kwargs.get("config")
    try:
        options = None if config is None else json.dumps(getattr(config, "_user_provided_options", None), sort_keys=True)
    except TypeError:  # an option that is not plain data (an object of the caller's): that client is its own
        return None
    return (service, region, kwargs.get("endpoint_url"), kwargs.get("use_ssl", True), kwargs.get("verify"), options)


def new_session(**kwargs: Any) -> boto3.Session:
    """``boto3.Session(**kwargs)`` sharing the kit's model loader (four personas, one parse per model).

    A botocore session registers its ~400 built-in handlers one by one, checking each one's
    signature (about 20 ms); the kit's copies a registry that holds them already, as botocore
    copies a session's for every client it makes. Same handlers, same order.
    """
    core = botocore.session.Session(event_hooks=_builtin_events(), include_builtin_handlers=False)
    core.register_component("data_loader", _LOADER)
    return LabSession(botocore_session=core, **kwargs)


class CredentialsError(ShortTraceback, RuntimeError):
    """A persona's credentials are missing, expired or belong to the wrong account."""


def persona_session(config: LabConfig, persona: str) -> boto3.Session:
    """A boto3 session acting as ``persona`` (producer_admin, publisher, consumer_admin, subscriber)."""
    check_persona(persona)
    key = (config.backend, config.region, config.account_of(persona), config.offline_port,
           tuple(sorted(config.profiles.items())), tuple(sorted(config.role_arns.items())), persona)
    if key in _cache:
        return _cache[key]
    session = _offline_session(config, persona) if config.backend == "offline" else _aws_session(config, persona)
    _cache[key] = session
    return session


def offline_role_arn(config: LabConfig, persona: str) -> str:
    """The IAM role a persona assumes on the stand-in."""
    return f"arn:aws:iam::{config.account_of(persona)}:role/{OFFLINE_ROLES[persona]}"


def _offline_session(config: LabConfig, persona: str) -> boto3.Session:
    from .offline.server import ensure_running

    stand_in = ensure_running(config.work_dir, config.offline_port)
    os.environ["AWS_ENDPOINT_URL"] = config.endpoint_url
    os.environ[_ENDPOINT_SET_BY_KIT] = config.endpoint_url
    passes = _PersonaPasses(config, stand_in.pid)
    creds = passes.get(persona)
    if creds is None:
        admin_key = (config.endpoint_url, config.region, config.account_of(persona))
        if admin_key not in _admins:  # two personas share each account, and its administrator
            base = new_session(aws_access_key_id=OFFLINE_KEY, aws_secret_access_key=OFFLINE_KEY, region_name=config.region)
            _admins[admin_key] = _account_admin(base, config, persona)
        admin = _admins[admin_key]
        _ensure_offline_persona_role(admin, config, persona)
        creds = _assume_credentials(admin, offline_role_arn(config, persona), persona)
        passes.put(persona, creds)
    return _session_with(creds, config.region)


def _account_admin(base: boto3.Session, config: LabConfig, persona: str) -> boto3.Session:
    """The persona's account administrator, as AWS Organizations provides one.

    The stand-in's default credentials act in the organization's management account; every
    member account has ``OrganizationAccountAccessRole`` (AdministratorAccess) trusting it.
    """
    account = config.account_of(persona)
    return _assume(base, f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", "account-admin", config.region)


def _ensure_offline_persona_role(admin: boto3.Session, config: LabConfig, persona: str) -> None:
    """Give the stand-in's account the persona's IAM role, as an account admin would on AWS.

    The role trusts its own account (whose administrator then assumes it) and carries
    exactly the kit's policy document for the persona (:mod:`lab_helpers.policies`), so
    the stand-in's IAM enforcement proves that document is enough for the walkthrough.
    DataZone finds the role when the producer admin adds the persona as a user.
    """
    from .policies import POLICY_NAME, persona_policy

    account = config.account_of(persona)
    iam = admin.client("iam")
    name = OFFLINE_ROLES[persona]
    policy = {"RoleName": name, "PolicyName": POLICY_NAME, "PolicyDocument": json.dumps(persona_policy(persona))}
    try:  # IAM answers NoSuchEntity when the role does not exist yet (one request when it does)
        iam.put_role_policy(**policy)
    except iam.exceptions.NoSuchEntityException:
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                          "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                        Description=f"{PERSONA_TITLES[persona]} of the DataZone lab (offline stand-in)")
        iam.put_role_policy(**policy)


def _aws_session(config: LabConfig, persona: str) -> boto3.Session:
    if os.environ.get("AWS_ENDPOINT_URL") and os.environ.get("AWS_ENDPOINT_URL") == os.environ.get(_ENDPOINT_SET_BY_KIT):
        os.environ.pop("AWS_ENDPOINT_URL")  # left by an offline session in this process
    try:
        if persona in config.role_arns:
            base = new_session(profile_name=config.profiles.get(persona), region_name=config.region)
            session = _assume(base, config.role_arns[persona], persona, config.region)
        else:
            session = new_session(profile_name=config.profiles.get(persona), region_name=config.region)
        check_identity(session, config, persona)
    except (ProfileNotFound, PartialCredentialsError) as exc:
        raise CredentialsError(f"{PERSONA_TITLES[persona]}: {exc}. Fix profiles[{persona!r}] in the parameters.") from None
    return session


def _assume(base: boto3.Session, role_arn: str, persona: str, region: str) -> boto3.Session:
    return _session_with(_assume_credentials(base, role_arn, persona), region)


def _assume_credentials(base: boto3.Session, role_arn: str, persona: str) -> dict[str, Any]:
    """``sts.assume_role``'s ``Credentials`` (AccessKeyId, SecretAccessKey, SessionToken, Expiration)."""
    try:
        return base.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=f"datazone-lab-{persona}")["Credentials"]
    except NoCredentialsError:
        raise CredentialsError(
            f"no AWS credentials to assume {role_arn} for the {persona}: configure a profile or environment credentials."
        ) from None
    except ClientError as exc:
        raise CredentialsError(_explain(exc, persona)) from None


def _session_with(creds: dict[str, Any], region: str) -> boto3.Session:
    return new_session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"], region_name=region)


class _PersonaPasses:
    """Offline personas' role credentials, shared by the kernels of one stand-in through its folder in the work dir.

    Each notebook runs in a fresh kernel, and making a persona costs its account administrator's
    AssumeRole, the put of the persona's policy and the persona's AssumeRole. The first kernel
    that makes a persona writes its credentials to ``offline/personas-<port>.json``; the next
    kernels reuse them while the same stand-in process serves (a restarted or ``--fresh``
    stand-in has another pid, and knows none of them), while the kit's policy document for the
    persona is the one that was put, and while they have :data:`PASS_MARGIN` seconds left. The
    stand-in accepts any key, so they give nothing away; AWS credentials are never written.
    :func:`clear_cache` makes this process ignore what was written before it.
    """

    def __init__(self, config: LabConfig, stand_in_pid: int | None) -> None:
        from .offline.server import server_dir

        self.path = server_dir(config.work_dir) / f"personas-{config.offline_port}.json"
        self.pid = stand_in_pid
        self.config = config

    def _policy(self, persona: str) -> str:
        from .policies import persona_policy

        return hashlib.sha256(json.dumps(persona_policy(persona)).encode()).hexdigest()

    def _read(self) -> dict[str, Any]:
        try:
            found = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return found.get("personas", {}) if isinstance(found, dict) and found.get("stand_in_pid") == self.pid else {}

    def get(self, persona: str) -> dict[str, Any] | None:
        """The persona's saved credentials, if they are still good to use (else ``None``)."""
        if self.pid is None:
            return None
        entry = self._read().get(offline_role_arn(self.config, persona))
        if not isinstance(entry, dict) or entry.get("policy") != self._policy(persona) or entry.get("saved", 0) < _passes_after:
            return None
        try:
            left = datetime.fromisoformat(entry["Expiration"]) - datetime.now(timezone.utc)
        except (KeyError, TypeError, ValueError):
            return None
        return entry if left.total_seconds() > PASS_MARGIN else None

    def put(self, persona: str, creds: dict[str, Any]) -> None:
        """Save the persona's credentials for the next kernels (replaced atomically; a failed write only costs them time)."""
        if self.pid is None:
            return
        expiration = creds["Expiration"]
        entry = {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
                 "SessionToken": creds["SessionToken"], "policy": self._policy(persona), "saved": time.time(),
                 "Expiration": expiration.isoformat() if isinstance(expiration, datetime) else str(expiration)}
        personas = {**self._read(), offline_role_arn(self.config, persona): entry}
        try:
            fd, scratch = tempfile.mkstemp(dir=self.path.parent, prefix=".personas-")
            with os.fdopen(fd, "w") as handle:
                json.dump({"stand_in_pid": self.pid, "personas": personas}, handle)
            os.replace(scratch, self.path)
        except OSError:
            pass


def whoami(session: boto3.Session) -> dict[str, str]:
    """``sts.get_caller_identity`` of a session: Account, Arn, UserId."""
    ident = session.client("sts").get_caller_identity()
    return {"Account": ident["Account"], "Arn": ident["Arn"], "UserId": ident["UserId"]}


def check_identity(session: boto3.Session, config: LabConfig, persona: str) -> dict[str, str]:
    """Stop unless the session's credentials belong to ``persona``'s account (and role, when known)."""
    try:
        ident = whoami(session)
    except NoCredentialsError:
        raise CredentialsError(
            f"no AWS credentials for the {PERSONA_TITLES[persona].lower()}: set profiles[{persona!r}] "
            "or role_arns in the parameters, or log in (aws sso login / aws configure)."
        ) from None
    except ClientError as exc:
        raise CredentialsError(_explain(exc, persona)) from None
    expected = config.account_of(persona)
    if ident["Account"] != expected:
        raise CredentialsError(
            f"these credentials act in account {ident['Account']}, but this notebook expects the "
            f"{PERSONA_TITLES[persona].lower()} of the {PERSONAS[persona]} account {expected}: "
            f"use the {persona}'s credentials (profiles[{persona!r}] / role_arns[{persona!r}])."
        )
    role = config.role_arns.get(persona) or (offline_role_arn(config, persona) if config.backend == "offline" else None)
    if role and f":assumed-role/{role.rsplit('/', 1)[-1]}/" not in ident["Arn"]:
        raise CredentialsError(
            f"these credentials are {ident['Arn']}, but this notebook expects the "
            f"{PERSONA_TITLES[persona].lower()} ({role})."
        )
    return ident


def _explain(exc: ClientError, persona: str) -> str:
    code = exc.response.get("Error", {}).get("Code", "")
    if code in {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}:
        return (f"the credentials for the {persona} have expired: refresh them (aws sso login, or new temporary "
                "credentials) and run the cell again.")
    if code in {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"}:
        return f"the credentials for the {persona} are not valid ({code}): check the profile or access keys."
    if code == "AccessDenied":
        return f"the {persona} may not assume its role: {exc.response['Error'].get('Message', code)}"
    return f"{persona}: {code}: {exc.response.get('Error', {}).get('Message', exc)}"


def clear_cache() -> None:
    """Forget cached sessions (after the stand-in restarts, or credentials change), and the personas' saved credentials."""
    global _passes_after
    _cache.clear()
    _admins.clear()
    _passes_after = time.time()


__all__ = ["persona_session", "new_session", "whoami", "check_identity", "CredentialsError", "ConfigError", "clear_cache"]
