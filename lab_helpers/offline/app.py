"""The stand-in's WSGI application: moto's dispatcher with the lab's add-ons installed.

Run as a process with ``python -m lab_helpers.offline.app --port N``; the lifecycle
(detached start, status, stop) lives in :mod:`lab_helpers.offline.server`.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .persistence import Recorder

KIT_MARKER = "datazone-lab-kit"
HEALTH_PATH = "/__lab_kit__/health"
DEFAULT_SEED = 20250305

_installed = False


def install_addons() -> None:
    """Install every add-on into moto (idempotent). Must run before the first request."""
    global _installed
    if _installed:
        return
    from . import (athena, authorization, cloudtrail, datashares, datazone, iam_policies, organizations, ram,
                   redshift_clusters, redshift_data, redshift_serverless)

    for addon in (iam_policies, organizations, authorization, athena, redshift_data, redshift_clusters, redshift_serverless,
                  ram, datazone, cloudtrail, datashares):
        addon.install()
    _list_moto_modules_once()
    _installed = True


def _list_moto_modules_once() -> None:
    """moto's dispatcher lists its package folder (a directory test per service) to route every request
    (``DomainDispatcherApplication.get_backend_for_host``): about 2 ms a request. The folder does not change
    while the stand-in serves, so it is listed once."""
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]


def seed(value: int = DEFAULT_SEED) -> None:
    """Seed moto's random so resource ids repeat run to run (same as ``/moto-api/seed``)."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(value)


def make_app(work_dir: str | None = None, recorder: Recorder | None = None,
             pace: str = "instant") -> Callable[..., Iterable[bytes]]:
    """moto's domain dispatcher, wrapped with the kit's health endpoint, AWS-format errors (and ``recorder``'s journal).

    The health answer names the process (``pid``) and the lab work dir it was started for
    (``work_dir``, ``None`` for an in-process server): ``offline stop`` stops only a
    stand-in of its own work dir (see :mod:`lab_helpers.offline.server`); ``pace`` is
    the rehearsal pace it was started with (:mod:`lab_helpers.offline.pace`).
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from .errors import aws_errors

    install_addons()
    dispatcher = aws_errors(DomainDispatcherApplication(create_backend_app))
    if recorder is not None:
        from . import cloudtrail

        dispatcher = recorder.wrap(dispatcher)
        cloudtrail.keep_in(recorder.path.with_name(cloudtrail.FILE_NAME))  # the event history survives a restart
    health = json.dumps({"kit": KIT_MARKER, "pid": os.getpid(), "work_dir": work_dir, "pace": pace}).encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            start_response("200 OK", [("Content-Type", "application/json")])
            return [health]
        return dispatcher(environ, start_response)

    return app


def make_server(host: str, port: int, work_dir: str | None = None, app: Callable[..., Iterable[bytes]] | None = None):  # type: ignore[no-untyped-def]
    """A threaded werkzeug server for ``app`` (default :func:`make_app`; port 0 picks a free port)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server as _make_server

    return _make_server(host, port, app or make_app(work_dir), threaded=True, request_handler=MotoRequestHandler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the lab's offline AWS stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--work-dir", help="the lab work dir this stand-in belongs to (reported by its health endpoint)")
    parser.add_argument("--journal", help="keep state: replay this journal of requests, then append to it")
    parser.add_argument("--pace", default="instant", help="instant (default), aws, or aws/N: AWS's durations divided by N")
    args = parser.parse_args(argv)
    from . import pace as rehearsal

    pace = rehearsal.parse(args.pace)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    seed(args.seed)
    app = None
    if args.journal:  # restore the saved state before the port answers
        from .persistence import Recorder

        recorder = Recorder.open(args.journal, args.seed, args.port)
        app = make_app(args.work_dir, recorder, pace.spec)
        print(recorder.restore().describe(), flush=True)
    if pace.scale is not None:  # after the replay: restored resources keep their settled statuses
        rehearsal.apply(pace, rehearsal.aws_seconds())
        print(f"rehearsal pace {pace.spec}: AWS's durations x {pace.scale:g}", flush=True)
    server = make_server(args.host, args.port, args.work_dir, app or make_app(args.work_dir, pace=pace.spec))
    print(f"lab offline stand-in listening on http://{args.host}:{args.port} (pid {os.getpid()})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
