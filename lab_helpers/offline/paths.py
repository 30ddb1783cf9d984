"""Where the stand-in keeps its files (DuckDB databases, scratch space)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DATA_ENV = "LAB_OFFLINE_DATA"


def data_dir() -> Path:
    """The stand-in's data folder: ``$LAB_OFFLINE_DATA``, else a per-process temp folder."""
    value = os.environ.get(DATA_ENV)
    if not value:
        value = os.path.join(tempfile.gettempdir(), f"lab-offline-{os.getpid()}")
        os.environ[DATA_ENV] = value
    path = Path(value)
    path.mkdir(parents=True, exist_ok=True)
    return path
