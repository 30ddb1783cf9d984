"""Re-execute the committed notebooks in place, offline, so their outputs show what to expect.

Runs 00 … 99 in order against a fresh stand-in and work dir (the same conditions nbval
uses in CI), with no injected parameters, and writes each notebook back with its outputs.

    .venv/bin/python tools/refresh_outputs.py [NN ...]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent



def main(argv: list[str]) -> int:
    from lab_helpers.offline import server
    from lab_helpers.offline.server import free_port
    from lab_helpers.runner import find_notebooks

    work, port = tempfile.mkdtemp(prefix="lab-refresh-"), free_port()
    os.environ.update(LAB_WORKDIR=work, LAB_OFFLINE_PORT=str(port))
    try:
        for path in find_notebooks(ROOT / "notebooks"):
            nb = nbformat.read(path, as_version=4)
            print(f"executing {path.name}", flush=True)
            client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
            try:
                client.execute()
            finally:
                nbformat.write(nb, path)
    finally:
        server.stop(work, port)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
