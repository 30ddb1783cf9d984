"""Keeps one slow optional import out of the runner's processes: jsonschema's IRI syntax checker.

nbformat validates notebooks with jsonschema, which imports ``rfc3987_syntax`` when it is
installed (JupyterLab's ``jupyter-events`` asks for jsonschema's ``format-nongpl`` extra).
That package compiles a Lark grammar on import: about 2 s per process on a 2-core machine,
paid by ``python -m lab_helpers run`` and again by its worker fork server before the first
kernel starts. Notebook validation never checks the ``iri`` formats it serves, so the runner
marks the module absent; jsonschema then leaves those two format checkers out, exactly as
when the package is not installed. Kernels never import jsonschema, so notebooks see no change.
"""

from __future__ import annotations

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  (None: "not installed" to the import system)
