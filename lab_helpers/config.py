"""The lab's parameters: load, normalise and validate them before anything is created.

The same parameters drive the widget form, papermill and the command line. Account ids
arrive as whatever the caller had (papermill turns ``012345678901`` into an int, YAML
may read it as octal); :func:`normalise_account_id` gives back the 12 digits.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import socket
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from . import validate
from .errors import ConfigError
from .validate import normalise_account_id

Backend = Literal["offline", "aws"]
BACKENDS: tuple[str, ...] = ("offline", "aws")

#: The walkthrough's personas and the account each acts in.
PERSONAS: dict[str, str] = {
    "producer_admin": "producer",
    "publisher": "producer",
    "consumer_admin": "consumer",
    "subscriber": "consumer",
}
PERSONA_TITLES: dict[str, str] = {
    "producer_admin": "Producer data administrator",
    "publisher": "Data publisher",
    "consumer_admin": "Consumer data administrator",
    "subscriber": "Data subscriber",
}
#: The IAM role each persona uses in the offline stand-in (assumed through STS).
OFFLINE_ROLES: dict[str, str] = {
    "producer_admin": "LabProducerAdmin",
    "publisher": "LabPublisher",
    "consumer_admin": "LabConsumerAdmin",
    "subscriber": "LabSubscriber",
}

OFFLINE_PRODUCER = "111111111111"
OFFLINE_CONSUMER = "222222222222"
DEFAULT_REGION = "us-east-1"
#: Only for a LabConfig built directly; make_config gives each user and work dir its own port.
DEFAULT_PORT = 5055
#: The ports a work dir's stand-in is given from (below Linux's ephemeral range, 32768-60999).
PORT_RANGE = (20000, 32000)
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


@dataclass(frozen=True)
class LabConfig:
    """Validated lab parameters. Build it with :func:`make_config`."""

    backend: str = "offline"
    region: str = DEFAULT_REGION
    producer_account_id: str = OFFLINE_PRODUCER
    #: The consumer account this config acts for (one of ``consumer_account_ids``; the first by default).
    consumer_account_id: str = OFFLINE_CONSUMER
    #: Every consumer account of the room, in order (empty: ``consumer_account_id`` alone).
    consumer_account_ids: tuple[str, ...] = ()
    #: aws mode: a named profile per persona (from ~/.aws/config), or ...
    profiles: dict[str, str] = field(default_factory=dict)
    #: ... a role ARN per persona to assume from the default credentials.
    role_arns: dict[str, str] = field(default_factory=dict)
    #: The consumer personas' profiles and role ARNs per consumer account (``profiles``/``role_arns`` hold the chosen one's).
    consumer_profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    consumer_role_arns: dict[str, dict[str, str]] = field(default_factory=dict)
    offline_port: int = DEFAULT_PORT
    work_dir: str = ""
    domain_name: str = "Demo_cross_account_domain"
    sample_rows: int = 1000
    #: Redshift compute in each account: ``provisioned`` (a cluster) or ``serverless`` (a namespace + workgroup).
    redshift: str = "provisioned"
    #: Redshift prerequisites (same names in both accounts): cluster or namespace/workgroup, database,
    #: admin secret (name or ARN).
    redshift_cluster: str = "datazone-lab-cluster"
    redshift_namespace: str = "datazone-lab-namespace"
    redshift_workgroup: str = "datazone-lab-workgroup"
    redshift_database: str = "dev"
    redshift_secret: str = "datazone-lab/redshift-admin"
    #: Create missing prerequisites (bucket, cluster, secret)? Default: yes offline, no on AWS (check only).
    create_prerequisites: bool | None = None

    @property
    def warehouse(self):  # -> lab_helpers.redshift.Warehouse
        """The Redshift compute this lab uses in each account (a cluster or a workgroup, by ``redshift``)."""
        from .redshift import Warehouse

        return Warehouse(self.redshift, self.redshift_workgroup if self.redshift == "serverless" else self.redshift_cluster)

    @property
    def creates_prerequisites(self) -> bool:
        return self.backend == "offline" if self.create_prerequisites is None else bool(self.create_prerequisites)

    def account_of(self, persona: str) -> str:
        """The account id a persona acts in."""
        return self.account_of_side(PERSONAS[check_persona(persona)])

    def account_of_side(self, side: str) -> str:
        """The account id of a side: ``producer`` or ``consumer``."""
        return self.producer_account_id if side == "producer" else self.consumer_account_id

    @property
    def consumers(self) -> tuple[str, ...]:
        """Every consumer account id, in order (one for the walkthrough's two-account lab)."""
        return self.consumer_account_ids or (self.consumer_account_id,)

    @property
    def state_scope(self) -> str | None:
        """Where this consumer's state keys live: ``None`` (the top level) for the first consumer, else its id."""
        return None if self.consumer_account_id == self.consumers[0] else self.consumer_account_id

    def for_consumer(self, account_id: str) -> LabConfig:
        """This config acting for consumer ``account_id`` (one of :attr:`consumers`), with that consumer's credentials."""
        if account_id not in self.consumers:
            raise ConfigError(f"consumer account {account_id} is not one of this lab's consumer accounts "
                              f"({', '.join(self.consumers)}): choose one of them, or add it to consumer_account_ids.")
        producer = {"profiles": {}, "role_arns": {}}
        for name in producer:
            producer[name] = {p: v for p, v in getattr(self, name).items() if PERSONAS[p] == "producer"}
        return replace(self, consumer_account_id=account_id,
                       profiles={**producer["profiles"], **self.consumer_profiles.get(account_id, {})},
                       role_arns={**producer["role_arns"], **self.consumer_role_arns.get(account_id, {})})

    def each_consumer(self) -> list[LabConfig]:
        """This config for every consumer account in turn (the producer's notebooks act for all of them)."""
        return [self.for_consumer(account) for account in self.consumers]

    @property
    def endpoint_url(self) -> str:
        """The offline stand-in's endpoint (only meaningful when ``backend == "offline"``)."""
        return f"http://127.0.0.1:{self.offline_port}"


def check_persona(persona: str) -> str:
    """``persona`` if it is one of the walkthrough's four, else an error naming the closest."""
    if persona not in PERSONAS:
        guess = validate.closest(str(persona), PERSONAS)
        hint = f"did you mean {guess!r}? " if guess else ""
        raise ConfigError(f"persona={persona!r} is unknown: {hint}use one of {', '.join(PERSONAS)}.")
    return persona


def default_work_dir() -> Path:
    """``$LAB_WORKDIR``, else ``.lab`` in the kit's checkout (found from the current folder), else ``~/.datazone-lab``."""
    env = os.environ.get("LAB_WORKDIR")
    if env:
        return Path(env).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "lab_helpers").is_dir() and (folder / "notebooks").is_dir():
            return folder / ".lab"
    return Path.home() / ".datazone-lab"


def make_config(**params: Any) -> LabConfig:
    """Validate lab parameters (a notebook's parameters cell, a YAML file, the widget form).

    The one place every input is checked, before anything is created: unknown keys
    (named with the closest known one), strict types (account ids as 12 digits, booleans,
    whole numbers in range), Regions from botocore's endpoint data, a writable work_dir.
    ``None`` and ``""`` mean "use the default". Raises :class:`ConfigError` naming the
    first bad parameter and the fix.
    """
    names = {f.name for f in fields(LabConfig)} - {"consumer_profiles", "consumer_role_arns"}  # derived, not given
    validate.known_keys(params, names)
    values = {k: v for k, v in params.items() if v is not None and v != ""}
    backend = validate.text(values.get("backend", "offline"), "backend", "offline").lower()
    if backend not in BACKENDS:
        raise ConfigError(f"backend={params.get('backend')!r} is unknown: use 'offline' (the default) or 'aws'.")
    values["backend"] = backend
    if "redshift" in values:
        values["redshift"] = validate.redshift_kind(values["redshift"])
    serverless = ("redshift-serverless",) if values.get("redshift") == "serverless" else ()
    values["region"] = validate.region(values.get("region", DEFAULT_REGION), also=serverless)
    if backend == "offline":
        values.setdefault("producer_account_id", OFFLINE_PRODUCER)
        if "consumer_account_ids" not in values:
            values.setdefault("consumer_account_id", OFFLINE_CONSUMER)
    if "producer_account_id" not in values:
        raise ConfigError("producer_account_id is missing: the aws backend needs both account ids.")
    values["producer_account_id"] = normalise_account_id(values["producer_account_id"], "producer_account_id")
    values["consumer_account_ids"], values["consumer_account_id"] = _consumer_accounts(values)
    consumers = values["consumer_account_ids"]
    for name, example in (("profiles", "lab-publisher"), ("role_arns", "arn:aws:iam::111122223333:role/DataPublisher")):
        values[name], values[f"consumer_{name}"] = _credentials(values.get(name), name, example, consumers,
                                                                 values["consumer_account_id"])
    producer_arns = {p: a for p, a in values["role_arns"].items() if PERSONAS[p] == "producer"}
    for account, arns in [(values["producer_account_id"], producer_arns), *values["consumer_role_arns"].items()]:
        for persona, arn in arns.items():
            if not _ROLE_ARN_RE.match(arn):
                raise ConfigError(f"role_arns[{persona!r}]={arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>).")
            side = PERSONAS[persona]
            expected = values["producer_account_id"] if side == "producer" else account
            if arn.split(":")[4] != expected:
                fix = ("fix the ARN or the account id" if len(consumers) == 1 or side == "producer" else
                       f"give one per consumer account, e.g. role_arns: {{{persona}: {{'{expected}': 'arn:aws:iam::{expected}:role/…'}}}}")
                raise ConfigError(
                    f"role_arns[{persona!r}] is in account {arn.split(':')[4]}, but the {persona} acts in the "
                    f"{side} account {expected}: {fix}."
                )
    values["sample_rows"] = validate.whole_number(values.get("sample_rows", 1000), "sample_rows",
                                                  *validate.SAMPLE_ROWS_RANGE, 1000)
    values["create_prerequisites"] = validate.strict_bool(values.get("create_prerequisites"), "create_prerequisites")
    for key, example in (("domain_name", "Demo_cross_account_domain"), ("redshift_database", "dev"),
                         ("redshift_secret", "datazone-lab/redshift-admin")):
        if key in values:
            values[key] = validate.text(values[key], key, example)
    if "redshift_cluster" in values:
        values["redshift_cluster"] = validate.redshift_identifier(values["redshift_cluster"], "redshift_cluster")
    for key, example in (("redshift_namespace", "datazone-lab-namespace"), ("redshift_workgroup", "datazone-lab-workgroup")):
        if key in values:
            values[key] = validate.serverless_name(values[key], key, example)
    values["work_dir"] = str(validate.writable_folder(values.get("work_dir") or default_work_dir(), "work_dir"))
    if "offline_port" in values:
        values["offline_port"] = validate.whole_number(values["offline_port"], "offline_port", 1, 65535, DEFAULT_PORT)
    else:
        values["offline_port"] = offline_port_for(values["work_dir"], record=backend == "offline")
    return LabConfig(**values)


def port_file(work_dir: str | os.PathLike[str]) -> Path:
    """Where a work dir records its stand-in's port."""
    return Path(work_dir) / "offline" / "port"


def offline_port_for(work_dir: str | os.PathLike[str], record: bool = True) -> int:
    """The stand-in port of this user and work dir: ``$LAB_OFFLINE_PORT``, else the port recorded in
    the work dir, else one derived from the user and the work dir's path (the first free one from
    there) and recorded, so it stays the same on every start.

    Two people, or two checkouts, on one machine get different ports and so never share, or
    stop, each other's stand-in. An explicit ``offline_port`` (parameters, ``--port``) wins.
    """
    from_env = validate.port_from_env(0)
    if from_env:
        return from_env
    path = port_file(work_dir)
    try:
        recorded = int(path.read_text().strip())
        if 1 <= recorded <= 65535:
            return recorded
    except (OSError, ValueError):
        pass
    port = _derived_port(work_dir)
    if record:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"port.{os.getpid()}")
        temporary.write_text(f"{port}\n")
        os.replace(temporary, path)
    return port


def _derived_port(work_dir: str | os.PathLike[str]) -> int:
    """A port in :data:`PORT_RANGE` hashed from the user and the work dir; the next free one if taken."""
    try:
        user = str(os.getuid())
    except AttributeError:  # Windows
        user = getpass.getuser()
    seed = f"{user}:{Path(work_dir).expanduser().resolve()}".encode()
    low, high = PORT_RANGE
    start = int(hashlib.sha256(seed).hexdigest(), 16) % (high - low)
    for step in range(200):
        port = low + (start + step) % (high - low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    return low + start


def _consumer_accounts(values: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    """``consumer_account_ids`` (a list, or text separated by commas) and the chosen ``consumer_account_id``, checked:
    12 digits each, none twice, none the producer's; the chosen one among them (default: the first)."""
    producer = values["producer_account_id"]
    listed = values.get("consumer_account_ids")
    name = "consumer_account_id" if listed is None else "consumer_account_ids"
    if listed is None:
        if "consumer_account_id" not in values:
            raise ConfigError("consumer_account_id is missing: the aws backend needs both account ids "
                              "(or give consumer_account_ids: a list of consumer accounts).")
        listed = [values["consumer_account_id"]]
    elif isinstance(listed, str):
        listed = [part for part in re.split(r"[\s,]+", listed) if part]
    elif not isinstance(listed, (list, tuple)):
        raise ConfigError(f"consumer_account_ids={listed!r} must be a list of 12-digit account ids, "
                          "e.g. ['222222222222', '333333333333'].")
    if not listed:
        raise ConfigError("consumer_account_ids is empty: list at least one consumer account id.")
    ids: list[str] = []
    for index, value in enumerate(listed):
        account = normalise_account_id(value, f"consumer_account_ids[{index}]" if name == "consumer_account_ids" else name)
        if account in ids:
            raise ConfigError(f"consumer_account_ids lists {account} twice: keep each consumer account once.")
        if account == producer:
            if len(listed) == 1:
                raise ConfigError(f"producer_account_id and consumer_account_id are the same ({producer}): "
                                  "the walkthrough needs two different AWS accounts.")
            raise ConfigError(f"consumer_account_ids lists the producer account {producer}: "
                              "a consumer needs an account of its own; remove it from the list.")
        ids.append(account)
    chosen = values.get("consumer_account_id")
    if chosen is None:
        return tuple(ids), ids[0]
    chosen = normalise_account_id(chosen, "consumer_account_id")
    if chosen not in ids:
        raise ConfigError(f"consumer_account_id={chosen} is not among consumer_account_ids ({', '.join(ids)}): "
                          "choose one of them, or add it to the list.")
    return tuple(ids), chosen


def _credentials(value: Any, name: str, example: str, consumers: tuple[str, ...],
                 chosen: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """``profiles``/``role_arns``: the chosen consumer's flat mapping and every consumer's.

    A consumer persona's value is text (the same for every consumer account) or a mapping
    consumer account id → text (``subscriber: {'222222222222': team-a-subscriber, ...}``).
    """
    mapping = value or {}
    if not isinstance(mapping, dict):
        raise ConfigError(f"{name} must map persona names to values, e.g. {{'publisher': {example!r}}}.")
    flat = {p: v for p, v in mapping.items() if not isinstance(v, dict)}
    per_account = {p: v for p, v in mapping.items() if isinstance(v, dict)}
    checked = _persona_mapping(flat, name, example)
    per_consumer: dict[str, dict[str, str]] = {account: {} for account in consumers}
    for persona, item in checked.items():
        if PERSONAS[persona] == "consumer":
            for account in consumers:
                per_consumer[account][persona] = item
    for persona, accounts in per_account.items():
        _persona_mapping({persona: None}, name, example)  # an unknown persona: named with the closest
        if PERSONAS[persona] != "consumer":
            raise ConfigError(f"{name}[{persona!r}] must be text, e.g. {example!r}: the {persona} acts in the one "
                              "producer account (only consumer personas take one value per consumer account).")
        for key, item in accounts.items():
            account = normalise_account_id(key, f"{name}[{persona!r}] key {key!r}")
            if account not in consumers:
                raise ConfigError(f"{name}[{persona!r}] names account {account}, which is not a consumer account "
                                  f"({', '.join(consumers)}): fix the key or consumer_account_ids.")
            text = _persona_mapping({persona: item}, f"{name}[{persona!r}][{key!r}]", example).get(persona)
            if text:
                per_consumer[account][persona] = text
    return {**checked, **per_consumer[chosen]}, {a: v for a, v in per_consumer.items() if v}


def _persona_mapping(value: Any, name: str, example: str) -> dict[str, str]:
    """``{persona: text}``; empty values are dropped, unknown personas and non-text values refused."""
    mapping = value or {}
    if not isinstance(mapping, dict):
        raise ConfigError(f"{name} must map persona names to values, e.g. {{'publisher': {example!r}}}.")
    for persona, item in mapping.items():
        try:
            check_persona(persona)
        except ConfigError as exc:
            raise ConfigError(f"{name}: {exc}") from None
        if item is not None and not isinstance(item, str):
            raise ConfigError(f"{name}[{persona!r}]={item!r} must be text, e.g. {example!r}.")
    return {p: v.strip() for p, v in mapping.items() if v and v.strip()}


class _DigitsKeepingLoader(yaml.SafeLoader):
    """SafeLoader that keeps account ids as written and refuses a key given twice.

    Plain YAML reads ``012345670123`` as the octal number 1402433619 and ``111111111111``
    as an int; an AWS account id must stay the digits the author wrote. Plain YAML also
    keeps the last of two equal keys silently; a parameters file must say one thing.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                continue
            if key in seen:
                raise ConfigError(f"{key!r} is given twice (line {key_node.start_mark.line + 1}): keep one of them.")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    if isinstance(text, str) and text.isdigit() and ((len(text) > 1 and text.startswith("0")) or len(text) == 12):
        return text
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_DigitsKeepingLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def read_params_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML parameters file, keeping account ids as the digits written.

    A file that is missing, unreadable, not YAML or not a mapping raises one
    :class:`ConfigError` naming the file and what to do.
    """
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"parameters file {where} does not exist: check the path, or copy "
                          "parameters/aws.example.yaml (or parameters/offline.yaml) there.") from None
    except IsADirectoryError:
        raise ConfigError(f"parameters file {where} is a folder: give the path of a .yaml file.") from None
    except PermissionError:
        raise ConfigError(f"parameters file {where} cannot be read (permission denied): "
                          "check its permissions.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"parameters file {where} is not a text (UTF-8) file: give a YAML parameters file.") from None
    except OSError as exc:
        raise ConfigError(f"parameters file {where} cannot be read ({exc.strerror}).") from None
    try:
        data = yaml.load(text, Loader=_DigitsKeepingLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"parameters file {where} is not valid YAML{at} ({problem}): fix the syntax, "
                          "one 'name: value' per line.") from None
    except ConfigError as exc:
        raise ConfigError(f"parameters file {where}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"parameters file {where} must hold a mapping of parameter names to values "
                          f"(name: value per line), not a {type(data).__name__}.")
    return data


def load_config(path: str | os.PathLike[str] | None = None, **overrides: Any) -> LabConfig:
    """Config from a parameters file (optional) with keyword overrides on top; errors name the file."""
    params = read_params_file(path) if path else {}
    params.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return make_config(**params)
    except ConfigError as exc:
        if not path:
            raise
        raise ConfigError(f"{path}: {exc}") from None
