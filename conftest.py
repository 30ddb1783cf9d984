"""pytest session hooks for nbval: the committed notebooks run against a private stand-in.

The kernels nbval starts inherit this process's environment, so the lab's working folder
and the stand-in's port are set here, before the first kernel starts; the stand-in the
notebooks start is stopped when the session ends.
"""

from __future__ import annotations

import os
import tempfile



def pytest_sessionstart(session) -> None:  # type: ignore[no-untyped-def]
    from lab_helpers.offline.server import free_port

    if "LAB_WORKDIR" not in os.environ:
        os.environ["LAB_WORKDIR"] = tempfile.mkdtemp(prefix="lab-nbval-")
        os.environ["LAB_OFFLINE_PORT"] = str(free_port())
        session.config._lab_server = (os.environ["LAB_WORKDIR"], int(os.environ["LAB_OFFLINE_PORT"]))


def pytest_sessionfinish(session, exitstatus) -> None:  # type: ignore[no-untyped-def]
    started = getattr(session.config, "_lab_server", None)
    if started:
        from lab_helpers.offline import server

        server.stop(*started)
