"""The lab's parameters: load, normalise and validate them before anything is created.

The same parameters drive the widget form, papermill and the command line. Account ids
arrive as whatever the caller had (papermill turns ``012345678901`` into an int, YAML
may read it as octal); :func:`normalise_account_id` gives back the 12 digits.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import yaml

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
DEFAULT_PORT = 5055
_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")


class ConfigError(ValueError):
    """A lab parameter is wrong; the message names the parameter and the fix."""


def normalise_account_id(value: Any, name: str = "account_id") -> str:
    """Return ``value`` as a 12-digit AWS account id string.

    Accepts an int (papermill's reading of ``-p id 012345678901``) or a string; restores
    leading zeros. Rejects anything that is not 1-12 digits, naming ``name`` in the message.
    """
    if isinstance(value, bool) or value is None:
        raise ConfigError(f"{name} is missing: set it to your 12-digit AWS account id.")
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(f"{name}={value!r} is not an AWS account id: use the 12 digits of the account.")
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().replace("-", "") if re.fullmatch(r"\d{4}-\d{4}-\d{4}", value.strip()) else value.strip()
    else:
        raise ConfigError(f"{name}={value!r} is not an AWS account id: use the 12 digits of the account.")
    if not text.isdigit() or not text.isascii():
        raise ConfigError(f"{name}={value!r} is not an AWS account id: it must contain digits only (12 of them).")
    if len(text) > 12:
        raise ConfigError(f"{name}={value!r} has {len(text)} digits: an AWS account id has exactly 12.")
    if isinstance(value, str) and len(text) != 12:
        raise ConfigError(
            f"{name}={value!r} has {len(text)} digits: an AWS account id has exactly 12 (keep its leading zeros)."
        )
    return text.zfill(12)


@dataclass(frozen=True)
class LabConfig:
    """Validated lab parameters. Build it with :func:`make_config`."""

    backend: str = "offline"
    region: str = DEFAULT_REGION
    producer_account_id: str = OFFLINE_PRODUCER
    consumer_account_id: str = OFFLINE_CONSUMER
    #: aws mode: a named profile per persona (from ~/.aws/config), or ...
    profiles: dict[str, str] = field(default_factory=dict)
    #: ... a role ARN per persona to assume from the default credentials.
    role_arns: dict[str, str] = field(default_factory=dict)
    offline_port: int = DEFAULT_PORT
    work_dir: str = ""
    domain_name: str = "Demo_cross_account_domain"
    sample_rows: int = 1000
    #: Redshift prerequisites (same names in both accounts): cluster, database, admin secret (name or ARN).
    redshift_cluster: str = "datazone-lab-cluster"
    redshift_database: str = "dev"
    redshift_secret: str = "datazone-lab/redshift-admin"
    #: Create missing prerequisites (bucket, cluster, secret)? Default: yes offline, no on AWS (check only).
    create_prerequisites: bool | None = None

    @property
    def creates_prerequisites(self) -> bool:
        return self.backend == "offline" if self.create_prerequisites is None else bool(self.create_prerequisites)

    def account_of(self, persona: str) -> str:
        """The account id a persona acts in."""
        side = PERSONAS[check_persona(persona)]
        return self.producer_account_id if side == "producer" else self.consumer_account_id

    @property
    def endpoint_url(self) -> str:
        """The offline stand-in's endpoint (only meaningful when ``backend == "offline"``)."""
        return f"http://127.0.0.1:{self.offline_port}"


def check_persona(persona: str) -> str:
    if persona not in PERSONAS:
        raise ConfigError(f"persona={persona!r} is unknown: use one of {', '.join(PERSONAS)}.")
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
    """Validate lab parameters (as a notebook's parameters cell or a YAML file gives them).

    Unknown keys are ignored (notebooks carry other parameters too). Raises
    :class:`ConfigError` naming the first bad parameter.
    """
    names = {f.name for f in fields(LabConfig)}
    values = {k: v for k, v in params.items() if k in names and v is not None and v != ""}
    backend = str(values.get("backend", "offline")).strip().lower()
    if backend not in BACKENDS:
        raise ConfigError(f"backend={params.get('backend')!r} is unknown: use 'offline' (the default) or 'aws'.")
    values["backend"] = backend
    region = str(values.get("region", DEFAULT_REGION)).strip()
    if not _REGION_RE.match(region):
        raise ConfigError(f"region={region!r} is not an AWS Region name such as 'us-east-1'.")
    values["region"] = region
    if backend == "offline":
        values.setdefault("producer_account_id", OFFLINE_PRODUCER)
        values.setdefault("consumer_account_id", OFFLINE_CONSUMER)
    for key in ("producer_account_id", "consumer_account_id"):
        if key not in values:
            raise ConfigError(f"{key} is missing: the aws backend needs both account ids.")
        values[key] = normalise_account_id(values[key], key)
    if values["producer_account_id"] == values["consumer_account_id"]:
        raise ConfigError(
            "producer_account_id and consumer_account_id are the same "
            f"({values['producer_account_id']}): the walkthrough needs two different AWS accounts."
        )
    for key in ("profiles", "role_arns"):
        mapping = values.get(key) or {}
        if not isinstance(mapping, dict):
            raise ConfigError(f"{key} must map persona names to values, e.g. {{'publisher': '...'}}.")
        for persona in mapping:
            check_persona(persona)
        values[key] = {p: str(v) for p, v in mapping.items() if v}
    for persona, arn in values["role_arns"].items():
        if not _ROLE_ARN_RE.match(arn):
            raise ConfigError(f"role_arns[{persona!r}]={arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>).")
        expected = values[f"{PERSONAS[persona]}_account_id"]
        if arn.split(":")[4] != expected:
            raise ConfigError(
                f"role_arns[{persona!r}] is in account {arn.split(':')[4]}, but the {persona} acts in the "
                f"{PERSONAS[persona]} account {expected}: fix the ARN or the account id."
            )
    try:
        values["offline_port"] = int(values.get("offline_port", os.environ.get("LAB_OFFLINE_PORT", DEFAULT_PORT)))
        values["sample_rows"] = int(values.get("sample_rows", 1000))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"offline_port and sample_rows must be whole numbers: {exc}") from None
    if not 1 <= values["offline_port"] <= 65535:
        raise ConfigError(f"offline_port={values['offline_port']} is not a TCP port (1-65535).")
    if values["sample_rows"] < 1:
        raise ConfigError(f"sample_rows={values['sample_rows']} must be at least 1.")
    values["work_dir"] = str(Path(values["work_dir"]).expanduser().resolve()) if values.get("work_dir") else str(default_work_dir())
    return LabConfig(**values)


class _DigitsKeepingLoader(yaml.SafeLoader):
    """SafeLoader that keeps unquoted digit strings with a leading zero or 12 digits as written.

    Plain YAML reads ``012345670123`` as the octal number 1402433619 and ``111111111111``
    as an int; an AWS account id must stay the digits the author wrote.
    """


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = loader.construct_scalar(node)
    if isinstance(text, str) and text.isdigit() and (text.startswith("0") or len(text) == 12):
        return text
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_DigitsKeepingLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def read_params_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a YAML parameters file, keeping account ids as the digits written."""
    text = Path(path).read_text()
    data = yaml.load(text, Loader=_DigitsKeepingLoader) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of parameter names to values.")
    return data


def load_config(path: str | os.PathLike[str] | None = None, **overrides: Any) -> LabConfig:
    """Config from a parameters file (optional) with keyword overrides on top."""
    params = read_params_file(path) if path else {}
    params.update({k: v for k, v in overrides.items() if v is not None})
    return make_config(**params)
