"""Shared fixtures: a detached offline stand-in per test session, free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lab_helpers.offline.server import free_port

from lab_helpers.config import LabConfig, make_config



@pytest.fixture(scope="session")
def lab_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabConfig]:
    """Offline config on a private port and work dir; the stand-in it starts is stopped at the end."""
    from lab_helpers.offline import server
    from lab_helpers.sessions import clear_cache

    config = make_config(backend="offline", offline_port=free_port(), work_dir=str(tmp_path_factory.mktemp("lab")))
    yield config
    server.stop(config.work_dir, config.offline_port)
    clear_cache()
