"""Checks of single parameter values: strict types, ranges, Regions, folders, names.

Each function takes the value as the caller had it (a YAML file, papermill's ``-p``, the
widget form) and either returns it normalised or raises :class:`ConfigError` with one
sentence naming the parameter and the fix. :func:`lab_helpers.config.make_config` calls
them all, in one place, before anything is created.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import ConfigError

#: Every AWS service the lab calls; a Region must offer all of them.
LAB_SERVICES: dict[str, str] = {
    "datazone": "Amazon DataZone",
    "athena": "Amazon Athena",
    "glue": "AWS Glue",
    "redshift": "Amazon Redshift",
    "redshift-data": "the Amazon Redshift Data API",
    "ram": "AWS RAM",
    "secretsmanager": "AWS Secrets Manager",
    "s3": "Amazon S3",
    "lakeformation": "AWS Lake Formation",
    "cloudtrail": "AWS CloudTrail",
}
#: Services the lab uses only with some settings (``redshift: serverless``), checked in the Region when chosen.
OPTIONAL_SERVICES: dict[str, str] = {"redshift-serverless": "Amazon Redshift Serverless"}
#: ``sample_rows`` bounds: at least one row, and few enough that the lab stays quick offline and cheap on AWS.
SAMPLE_ROWS_RANGE: tuple[int, int] = (1, 100_000)
_REDSHIFT_ID_RE = re.compile(r"^[a-z](?:[a-z0-9]|-(?!-))*$")


def normalise_account_id(value: Any, name: str = "account_id") -> str:
    """Return ``value`` as a 12-digit AWS account id string.

    A string must hold the 12 digits (``1234-5678-9012`` is accepted as the console shows
    it). An int is what papermill's ``-p id 012345678901`` and an unquoted YAML id become:
    it is padded back only when it has 10 or 11 digits (leading zeros lost); anything
    shorter is refused, so ``123`` never becomes account ``000000000123``.
    """
    if isinstance(value, bool) or value is None:
        raise ConfigError(f"{name} is missing: set it to your 12-digit AWS account id.")
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(f"{name}={value!r} is not an AWS account id: use the 12 digits of the account.")
        text = str(value)
        if len(text) < 10:
            raise ConfigError(
                f"{name}={value!r} has only {len(text)} digits (read as a number, leading zeros are lost): "
                f"pass it as text: papermill -r {name} 0123… (in YAML quote it: {name}: \"0123…\").")
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{4}-\d{4}", text):
            text = text.replace("-", "")
    else:
        raise ConfigError(f"{name}={value!r} is not an AWS account id: use the 12 digits of the account, as text.")
    if not text.isdigit() or not text.isascii():
        raise ConfigError(f"{name}={value!r} is not an AWS account id: it must contain digits only (12 of them).")
    if len(text) > 12:
        raise ConfigError(f"{name}={value!r} has {len(text)} digits: an AWS account id has exactly 12.")
    if isinstance(value, str) and len(text) != 12:
        raise ConfigError(
            f"{name}={value!r} has {len(text)} digits: an AWS account id has exactly 12 (keep its leading zeros).")
    return text.zfill(12)


def strict_bool(value: Any, name: str) -> bool | None:
    """A real boolean, or the text ``true``/``false`` (any case); ``None`` stays ``None``.

    ``bool("false")`` is True, so text is parsed, never cast; ``yes``, ``1`` and the like
    are refused rather than guessed.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigError(f"{name}={value!r} is not true or false: write {name}: true (or false) in YAML, "
                      f"-p {name} True with papermill.")


def whole_number(value: Any, name: str, low: int, high: int, example: int) -> int:
    """An int (not a bool, float or text) within ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        kind = {"bool": "true/false", "str": "text", "float": "a decimal number"}.get(type(value).__name__,
                                                                                     type(value).__name__)
        raise ConfigError(f"{name}={value!r} is {kind}, not a whole number: write {name}: {example} "
                          f"(unquoted, no decimal point; papermill: -p {name} {example}).")
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range: use a whole number from {low} to {high}.")
    return value


def port_from_env(default: int) -> int:
    """``$LAB_OFFLINE_PORT`` as a port number (``default`` when unset)."""
    text = os.environ.get("LAB_OFFLINE_PORT", "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ConfigError(f"LAB_OFFLINE_PORT={text!r} is not a port number: set it to a number from 1 to 65535, "
                          "or unset it.")
    return whole_number(int(text), "LAB_OFFLINE_PORT", 1, 65535, default)


def text(value: Any, name: str, example: str) -> str:
    """A non-empty string (stripped)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name}={value!r} must be text, e.g. {name}: {example!r}.")
    return value.strip()


def redshift_identifier(value: Any, name: str) -> str:
    """A Redshift cluster identifier: 1-63 lowercase letters, digits, single hyphens, starting with a letter."""
    ident = text(value, name, "datazone-lab-cluster")
    if len(ident) > 63 or not _REDSHIFT_ID_RE.match(ident) or ident.endswith("-"):
        raise ConfigError(f"{name}={ident!r} is not a Redshift cluster identifier: use 1-63 lowercase letters, "
                          "digits and single hyphens, starting with a letter (e.g. 'datazone-lab-cluster').")
    return ident


_SERVERLESS_NAME_RE = re.compile(r"^[a-z0-9-]{3,64}$")


def redshift_kind(value: Any) -> str:
    """``redshift``: ``provisioned`` (a cluster, the default) or ``serverless`` (a namespace and workgroup)."""
    from .redshift import KINDS

    kind = text(value, "redshift", "provisioned").lower()
    if kind not in KINDS:
        guess = closest(kind, KINDS)
        hint = f"did you mean {guess!r}? " if guess else ""
        raise ConfigError(f"redshift={value!r} is unknown: {hint}use 'provisioned' (a cluster in each account, the "
                          "default) or 'serverless' (a Redshift Serverless namespace and workgroup in each account).")
    return kind


def serverless_name(value: Any, name: str, example: str) -> str:
    """A Redshift Serverless namespace or workgroup name: 3-64 lowercase letters, digits and hyphens."""
    found = text(value, name, example)
    if not _SERVERLESS_NAME_RE.match(found):
        raise ConfigError(f"{name}={found!r} is not a Redshift Serverless name: use 3-64 lowercase letters, digits "
                          f"and hyphens (e.g. {example!r}).")
    return found


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``word`` (difflib), if any is close."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def known_keys(params: dict[Any, Any], names: Iterable[str]) -> None:
    """Refuse the first key not in ``names``, naming the closest known key."""
    known = sorted(names)
    for key in params:
        if key in known:
            continue
        guess = closest(str(key), known)
        hint = f"did you mean {guess!r}?" if guess else f"the lab's parameters are {', '.join(known)}."
        raise ConfigError(f"unknown parameter {key!r}: {hint}")


@functools.lru_cache(maxsize=1)
def _endpoint_data() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """(every Region botocore knows, the Regions each lab service is offered in) from botocore's endpoint data.

    A service absent from the endpoint file (``redshift-data`` resolves through endpoint
    rules only) gets an empty set and is not used to refuse a Region.
    """
    from .sessions import new_session  # the kit's shared model loader: each service model is parsed once per process

    session = new_session()._session
    known = frozenset(r for p in session.get_data("endpoints")["partitions"] for r in p["regions"])
    offered = {service: frozenset(r for partition in session.get_available_partitions()
                                  for r in session.get_available_regions(service, partition_name=partition))
               for service in (*LAB_SERVICES, *OPTIONAL_SERVICES)}
    return known, offered


def lab_regions() -> list[str]:
    """The Regions where every service the lab uses is offered (per botocore), sorted."""
    known, offered = _endpoint_data()
    regions = set(known)
    for service in LAB_SERVICES:
        if service_regions := offered[service]:
            regions &= service_regions
    return sorted(regions)


def region(value: Any, name: str = "region", also: tuple[str, ...] = ()) -> str:
    """A Region botocore knows, in which DataZone and the lab's other services are offered.

    ``also`` names :data:`OPTIONAL_SERVICES` the chosen settings use (``("redshift-serverless",)``).
    """
    import botocore

    name_text = text(value, name, "us-east-1")
    known, offered = _endpoint_data()
    if name_text not in known:
        guess = closest(name_text, lab_regions())
        hint = f"did you mean {guess!r}?" if guess else "use a Region name such as 'us-east-1'."
        newer = (f" (if it is a new Region, upgrade boto3: botocore {botocore.__version__} does not know it)"
                 if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d+", name_text) else "")
        raise ConfigError(f"{name}={name_text!r} is not an AWS Region{newer}: {hint}")
    for service, title in [*LAB_SERVICES.items(), *((s, OPTIONAL_SERVICES[s]) for s in also)]:
        if offered[service] and name_text not in offered[service]:
            raise ConfigError(f"{name}={name_text!r}: {title} is not offered there (botocore's endpoint data): "
                              f"choose a Region where the lab's services run, e.g. us-east-1, eu-west-1.")
    return name_text


def writable_folder(value: Any, name: str) -> Path:
    """An absolute folder path that exists and is writable, or could be created (nothing is created here)."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    path = Path(text(value, name, "~/datazone-lab")).expanduser().resolve()
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{name}={str(path)!r} cannot be a folder: {existing} is a file. "
                          f"Set {name} to a folder you can write.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{name}={str(path)!r} is not writable ({existing} is read-only for you): "
                          f"set {name} to a folder you can write.")
    return path
