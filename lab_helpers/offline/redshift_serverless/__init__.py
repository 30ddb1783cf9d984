"""Offline Amazon Redshift Serverless: a moto-style backend (models, responses, urls) registered at install.

moto 5.2.5 has no Redshift Serverless (its server answers HTTP 500). ``install()`` puts
this package at ``sys.modules["moto.redshiftserverless"]`` and adds its host pattern to
moto's backend index, so moto's server routes ``redshift-serverless`` requests here; IAM
authorization is the stand-in's (:mod:`lab_helpers.offline.authorization`), as for every
service. Namespaces and workgroups are what the lab uses; a workgroup's databases are the
Redshift Data API's DuckDB stores (:mod:`lab_helpers.offline.redshift_data`).
"""

from __future__ import annotations

import re
import sys

_installed = False

URL_PATTERN = re.compile(r"https?://redshift-serverless\.(.+)\.amazonaws\.com")


def install() -> None:
    """Register the Redshift Serverless backend with moto (idempotent)."""
    global _installed
    if _installed:
        return
    import moto.backend_index as backend_index

    from . import models  # noqa: F401  (registers the state-manager default)

    sys.modules["moto.redshiftserverless"] = sys.modules[__name__]
    if not any(name == "redshiftserverless" for name, _ in backend_index.backend_url_patterns):
        # before moto's ``redshift`` pattern is irrelevant: that one needs ``redshift.`` right after the scheme
        backend_index.backend_url_patterns.append(("redshiftserverless", URL_PATTERN))
    _installed = True


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """moto imports ``moto.redshiftserverless`` and reads ``redshiftserverless_backends`` from it."""
    if name == "redshiftserverless_backends":
        from .models import redshiftserverless_backends

        return redshiftserverless_backends
    raise AttributeError(name)
