"""The stand-in's WSGI application: moto's dispatcher with the lab's add-ons installed.

Run as a process with ``python -m lab_helpers.offline.app --port N``; the lifecycle
(detached start, status, stop) lives in :mod:`lab_helpers.offline.server`.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
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


def share_botocore_loader() -> None:
    """Let every botocore session of this process read each model file once (call before importing moto).

    moto makes a fresh ``boto3.Session()`` wherever it needs botocore's data (EC2's Region
    table at import, each backend's Region list, service names), and a fresh loader of its own
    for each model it serializes with: each reads botocore's endpoint data (about 0.1 s), lists
    botocore's data folders and reads the models it asks for again. One botocore loader, as one
    botocore session would use, serves the sessions, and one moto loader serves moto: the
    stand-in starts about 0.6 s sooner on a 2-core machine. The data is read-only; nothing else changes.
    """
    import botocore.loaders
    import botocore.session

    if getattr(botocore.session.create_loader, "shared", False):
        return
    loaders: dict[str | None, botocore.loaders.Loader] = {}
    create = botocore.loaders.create_loader

    def shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = create(search_path_string)
        return loaders[search_path_string]

    shared_loader.shared = True  # type: ignore[attr-defined]
    botocore.loaders.create_loader = shared_loader  # type: ignore[assignment]  (callers that import it when they run)
    botocore.session.create_loader = shared_loader  # type: ignore[assignment]  (botocore's sessions imported it already)
    import moto.core.utils  # not EC2: its Region table reads botocore's data at import

    moto_loader = moto.core.utils.create_loader()
    moto.core.utils.create_loader = lambda: moto_loader  # type: ignore[assignment]


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
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from .errors import aws_errors

    install_addons()
    routes = DomainDispatcherApplication(build_backend_app)
    dispatcher = aws_errors(routes)
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

    # Warming draws from moto's random (moto builds a default account's backend): only between the recorded requests
    app.warm = (lambda: warm_routes(routes, recorder.lock)) if recorder else (lambda: None)  # type: ignore[attr-defined]
    return app


def build_backend_app(backend: str) -> Any:
    """moto's ``create_backend_app`` (a service's request routing), leaving moto's random as it found it.

    moto builds a backend for its default account while building a service's routing, which draws
    from its seeded random. Built inside a request (moto builds on a service's first request) that
    would shift the ids the request draws, differently depending on whether the service was built
    earlier (:func:`warm_routes`); a replay of the journal must draw the same ids.
    """
    from moto.moto_api._internal import mock_random
    from moto.moto_server.werkzeug_app import create_backend_app

    state = mock_random.getstate()
    try:
        return create_backend_app(backend)
    finally:
        mock_random.setstate(state)


#: The services the lab calls (botocore's names) whose request routing is built ahead of use. Not IAM: building
#: it makes IAM's backend for moto's default account, the account of the stand-in's default credentials; a request
#: from them (00's first AssumeRole) otherwise makes it, drawing ids from moto's random. Built or not, the request
#: then drew different ids, and the journal replays without the warm-up (a restart's replay failed on IAM alone).
WARMED_SERVICES = ("sts", "s3", "datazone", "glue", "athena", "redshift", "secretsmanager", "ram", "lakeformation",
                   "redshift-data", "redshift-serverless", "cloudtrail", "organizations")


def warm_routes(routes: Any, lock: Any) -> None:  # moto's DomainDispatcherApplication, the recorder's lock
    """Build what moto and the kit build on a service's first request, ahead of use, holding ``lock`` for each.

    That is moto's per-service Flask app (importing its models), moto's operation router
    (a URL map from the botocore model) and the kit's copy of botocore's model and Region
    list for AWS-format errors: 0.1 to 0.4 s per service on a 2-core machine (STS, DataZone, Glue, Redshift, CloudTrail), paid inside
    the lab's first notebooks, and AWS's managed policies that each account's IAM holds (parsed once,
    :func:`.iam_policies.preload`). Run in a thread while the first kernel starts, it is paid while
    nothing waits. Nothing is created in the lab's accounts and nothing is recorded. Each
    service is built holding the recorder's lock, never in the middle of a request: building
    puts moto's random back as it found it (:func:`build_backend_app`), which a request
    drawing from it meanwhile would see. A failure here only leaves the work to the first request.
    """
    from moto.core.routing import get_service_router

    from . import iam_policies
    from .errors import _service_model, known_regions

    iam_policies.preload()  # parsing only: no account's IAM is made, nothing is drawn from moto's random
    known_regions()
    for service in WARMED_SERVICES:
        backend = service.replace("-", "")
        try:
            with lock:
                if backend not in routes.app_instances:
                    built = routes.create_app(backend)
                    with routes.lock:
                        routes.app_instances.setdefault(backend, built)
                router = get_service_router(service)
                router._get_router(router._service_model.protocol)  # what its first request's match() builds
                _service_model(service)
        except Exception:  # noqa: BLE001, S112 (a warm-up: the first request builds what is missing)
            continue


_serving = threading.local()  # whether this server thread answers on a kept-alive connection


class _Selectors:
    """``werkzeug.serving``'s ``selectors`` module, as that module sees it: inert in a keep-alive thread.

    After each response werkzeug reads whatever the client sends within 10 ms and discards it
    (the rest of an unread body, on a connection it then closes). On a kept-alive connection that
    is the client's next request: the keep-alive handler reads the unread body itself instead.
    """

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def DefaultSelector(self) -> Any:  # noqa: N802 (the name werkzeug calls)
        return _NothingToRead() if getattr(_serving, "kept_alive", False) else self._real.DefaultSelector()


class _NothingToRead:
    def register(self, *args: Any) -> None:
        pass

    def select(self, timeout: float | None = None) -> list[Any]:
        return []

    def close(self) -> None:
        pass


class _Body:
    """A request body read from the connection up to its Content-Length and never past it (``read`` blocks
    for the bytes asked, as the connection's buffered reader does)."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream, self.left = stream, length

    def _take(self, data: bytes) -> bytes:
        self.left -= len(data)
        return data

    def read(self, size: int | None = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        return self._take(self._stream.read(size)) if size else b""

    def readline(self, size: int | None = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        return self._take(self._stream.readline(size)) if size else b""

    def exhaust(self) -> None:
        """Read what the application left of the body (nothing more arrives once the client has gone)."""
        while self.left > 0 and self.read(min(self.left, 1 << 16)):
            pass


def _request_handler() -> type:
    """moto's request handler, keeping an HTTP/1.1 client's connection open between its requests.

    Werkzeug's development server answers every request with ``Connection: close``: it cannot
    tell where a body the application did not read ends. Every botocore call then opens a TCP
    connection and the server starts a thread for it, about 600 times a lab on one 2-core machine.
    This handler bounds each request's body by its Content-Length (:class:`_Body`) and reads what the
    application left of it after the response, so the connection is at the next request line; a chunked body
    (no length) still closes the connection. Nagle's algorithm is off, as on botocore's side, or the
    response's header and body segments wait for the client's delayed acknowledgement (40 ms).
    With a werkzeug whose ``serving`` module no longer reads through ``selectors``, moto's handler
    is used unchanged (every connection closed, as before).
    """
    import werkzeug.serving
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    real = getattr(werkzeug.serving, "selectors", None)
    if real is None or not hasattr(real, "DefaultSelector"):
        return MotoRequestHandler
    if not isinstance(real, _Selectors):
        werkzeug.serving.selectors = _Selectors(real)  # type: ignore[attr-defined]

    class KeepAliveRequestHandler(MotoRequestHandler):
        disable_nagle_algorithm = True
        body: _Body | None = None

        def make_environ(self) -> dict[str, Any]:
            environ = super().make_environ()
            length = environ.get("CONTENT_LENGTH") or "0"
            if not environ.get("wsgi.input_terminated") and length.isdigit():  # a body of known length (or none)
                self.body = _Body(environ["wsgi.input"], int(length))
                environ["wsgi.input"] = self.body
                _serving.kept_alive = True
            return environ

        def send_header(self, keyword: str, value: str) -> None:
            if keyword.lower() == "connection" and value.lower() == "close" and self.body is not None \
                    and not self.close_connection:  # http.server's reading of the request: the client keeps it
                return
            super().send_header(keyword, value)

        def run_wsgi(self) -> None:
            self.body = None
            try:
                super().run_wsgi()
            finally:
                _serving.kept_alive = False
            if self.body is None:
                self.close_connection = True
                return
            try:
                self.body.exhaust()
            except OSError:  # the client went away: the connection ends here
                self.close_connection = True

    return KeepAliveRequestHandler


def make_server(host: str, port: int, work_dir: str | None = None, app: Callable[..., Iterable[bytes]] | None = None):  # type: ignore[no-untyped-def]
    """A threaded werkzeug server for ``app`` (default :func:`make_app`; port 0 picks a free port), keeping
    clients' connections open between requests (:func:`_request_handler`)."""
    from werkzeug.serving import make_server as _make_server

    return _make_server(host, port, app or make_app(work_dir), threaded=True, request_handler=_request_handler())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the lab's offline AWS stand-in.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--work-dir", help="the lab work dir this stand-in belongs to (reported by its health endpoint)")
    parser.add_argument("--journal", help="keep state: replay this journal of requests, then append to it")
    parser.add_argument("--pace", default="instant", help="instant (default), aws, or aws/N: AWS's durations divided by N")
    args = parser.parse_args(argv)
    # moto's EC2, which its Redshift builds per account, loads ~0.5 s of public AMIs the lab never asks for
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    share_botocore_loader()
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
    app = app or make_app(args.work_dir, pace=pace.spec)
    server = make_server(args.host, args.port, args.work_dir, app)
    threading.Thread(target=app.warm, name="warm-routes", daemon=True).start()  # type: ignore[attr-defined]
    print(f"lab offline stand-in listening on http://{args.host}:{args.port} (pid {os.getpid()})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
