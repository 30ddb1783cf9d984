"""Offline Amazon DataZone: a moto-style backend (models, responses, urls) registered at install.

``install()`` puts this package at ``sys.modules["moto.datazone"]`` and adds its host
patterns to moto's backend index, so moto's server routes DataZone requests here.
"""

from __future__ import annotations

import re
import sys

_installed = False

URL_PATTERN = re.compile(r"https?://datazone\.(.+)\.(api\.aws|amazonaws\.com)")


def install() -> None:
    """Register the DataZone backend with moto (idempotent)."""
    global _installed
    if _installed:
        return
    import moto.backend_index as backend_index

    from . import models, state  # noqa: F401  (registers the state-manager defaults)

    module = sys.modules[__name__]
    sys.modules["moto.datazone"] = module
    if not any(name == "datazone" for name, _ in backend_index.backend_url_patterns):
        backend_index.backend_url_patterns.append(("datazone", URL_PATTERN))
    _installed = True


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """moto imports ``moto.datazone`` and reads ``datazone_backends`` from it."""
    if name == "datazone_backends":
        from .models import datazone_backends

        return datazone_backends
    raise AttributeError(name)
