"""Fills a kernel's per-process caches before its notebook runs (imported by the runner's warm kernels).

A notebook's first cell checks the Region against botocore's endpoint data and makes the
personas' clients, each of which parses its service's model: about 0.3 s per notebook on a
2-core machine, paid while the attendee waits unless the kernel did it while warming
(:data:`lab_helpers.kernels.BASE_WARM`). Importing this module does that work once, into
the same shared loader the kit's sessions use, and imports what that first cell imports on
first use (:data:`FIRST_CELL_IMPORTS`); nothing here calls AWS.
"""

from __future__ import annotations

import importlib

from .sessions import _LOADER
from .validate import LAB_SERVICES, OPTIONAL_SERVICES, _endpoint_data

#: The services whose models the notebooks load: the Region check's, plus identity and IAM.
SERVICES = (*LAB_SERVICES, *OPTIONAL_SERVICES, "sts", "iam")

#: What a notebook's first cell (``start_notebook``) imports on first use, about 15 ms: the offline stand-in's
#: client and the personas' policies (offline sessions), Redshift's helpers (preconditions), and the idna
#: codec ``http.client`` encodes the endpoint's host with on the first connection.
FIRST_CELL_IMPORTS = ("lab_helpers.offline.server", "lab_helpers.policies", "lab_helpers.redshift", "encodings.idna")


def warm() -> None:
    """Parse botocore's endpoint data and the lab's service models (and their endpoint rules) into the kit's loader,
    and import :data:`FIRST_CELL_IMPORTS`."""
    for name in FIRST_CELL_IMPORTS:
        importlib.import_module(name)
    _endpoint_data()
    for service in SERVICES:
        for kind in ("service-2", "endpoint-rule-set-1"):
            try:
                _LOADER.load_service_model(service, kind)
            except Exception:  # noqa: BLE001 (a botocore without that file: the notebook loads what it has)
                pass


warm()
