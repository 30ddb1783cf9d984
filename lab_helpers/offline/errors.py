"""Every request gets an answer in AWS's error format, never moto's HTML error page.

moto answers an operation it lacks (``NotImplementedError`` in
``moto.core.responses.BaseResponse.call_action``), a service it lacks (no backend for the
host: ``create_backend_app(None)`` fails) and any crash with werkzeug's HTML "500 Internal
Server Error" page. botocore cannot parse that, and retries it as a server error. This
WSGI middleware answers instead, in the request's protocol (JSON/rest-json: ``__type`` and
``X-Amzn-Errortype``; query: ``<ErrorResponse><Error><Code>``; S3: ``<Error><Code>``):

- an operation or service the stand-in lacks: **501** ``NotImplementedException``
  (``InvalidAction`` for query protocols, S3's own ``NotImplemented``) naming
  ``<Service>.<Operation>``; botocore does not retry 501;
- a request signed for a Region that does not exist (``us-east-9``): **403**, with the code
  and message AWS endpoints give for a credential scoped to an invalid Region
  (``InvalidSignatureException`` / ``SignatureDoesNotMatch``: "Credential should be scoped
  to a valid region"; S3: 400 ``AuthorizationHeaderMalformed``). On AWS such a client
  would not even reach an endpoint (the host name does not resolve); the stand-in is
  reached through ``AWS_ENDPOINT_URL``, so it answers as a real endpoint would;
- any other failure: **500** ``InternalFailure`` (S3: ``InternalError``) naming the
  operation and the exception, with the traceback in the stand-in's log.
"""

from __future__ import annotations

import functools
import io
import json
import re
import sys
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

WsgiApp = Callable[..., Iterable[bytes]]

NOT_IMPLEMENTED = 501
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_SIGNING_NAME_ALIASES = {"monitoring": "cloudwatch", "email": "ses", "states": "stepfunctions",
                         "elasticloadbalancing": "elbv2", "tagging": "resourcegroupstaggingapi"}


@dataclass(frozen=True)
class Target:
    """What a request asks for, as far as it can be told: service, Region, protocol, operation."""

    service: str  # botocore's service name (or the signing name when botocore has no model)
    service_id: str  # "Athena", "RedshiftServerless": how messages name the service
    protocol: str  # json, rest-json, query, ec2, rest-xml
    region: str | None
    operation: str | None
    json_version: str = "1.1"

    @property
    def action(self) -> str:
        return f"{self.service_id}.{self.operation or '(unrecognised operation)'}"


@functools.cache
def known_regions() -> frozenset[str]:
    """Every Region of every AWS partition, as botocore's endpoint data lists them."""
    from botocore.loaders import create_loader

    data = create_loader().load_data("endpoints")
    return frozenset(region for partition in data["partitions"] for region in partition.get("regions", {}))


@functools.cache
def _service_model(name: str) -> Any:
    import botocore.session

    try:
        return botocore.session.get_session().get_service_model(name)
    except Exception:  # noqa: BLE001 - unknown to botocore: the caller falls back
        return None


def _scope(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(Region, signing name) from the SigV4 credential scope (header or presigned query)."""
    found = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found:
        return found.group(1), found.group(2)
    credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential")
    if credential:
        parts = credential[0].split("/")
        if len(parts) == 5:
            return parts[2], parts[3]
    return None


def _operation(service: str, environ: dict[str, Any], body: bytes | None) -> str | None:
    """The operation's name, found the way moto routes requests (Action, X-Amz-Target, method + path)."""
    from moto.core.request import Request
    from moto.core.routing import get_service_router

    copy = {**environ, "wsgi.input": io.BytesIO(body or b""), "CONTENT_LENGTH": str(len(body or b""))}
    try:
        operation, _ = get_service_router(service).match(Request(copy))
        return str(operation.name)
    except Exception:  # noqa: BLE001 - no operation matches (or no model): read what the request says
        return _fallback_operation(environ, body)


def describe(environ: dict[str, Any], body: bytes | None) -> Target:
    """Who the request is for, from its signature and botocore's model of the service."""
    from moto.core.request import determine_request_protocol

    region, signing_name = _scope(environ) or (None, "")
    service = _SIGNING_NAME_ALIASES.get(signing_name, signing_name)
    model = _service_model(service) if service else None
    if model is None:
        protocol = "query" if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form") else "json"
        return Target(service or "unknown", service or "Unknown", protocol, region, _fallback_operation(environ, body))
    try:
        protocol = determine_request_protocol(model, environ.get("CONTENT_TYPE"))
    except NotImplementedError:
        protocol = model.protocol
    service_id = str(model.metadata.get("serviceId", service)).replace(" ", "")
    return Target(service, service_id, protocol, region, _operation(service, environ, body),
                  str(model.metadata.get("jsonVersion", "1.1")))


def _fallback_operation(environ: dict[str, Any], body: bytes | None) -> str | None:
    """The operation a request names itself (``X-Amz-Target``, or ``Action`` in the body or query)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    action = (parse_qs((body or b"").decode(errors="replace")).get("Action")
              or parse_qs(environ.get("QUERY_STRING", "")).get("Action"))
    return action[0] if action else None


def error_body(target: Target, status: int, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers, body) of an AWS error in the target's protocol."""
    from http import HTTPStatus

    request_id = str(uuid.uuid4())
    status_line = f"{status} {HTTPStatus(status).phrase}"
    headers = [("x-amzn-RequestId", request_id), ("x-amz-request-id", request_id)]
    if target.protocol in {"json", "rest-json"}:
        content_type = "application/json" if target.protocol == "rest-json" else f"application/x-amz-json-{target.json_version}"
        body = json.dumps({"__type": code, "message": message}).encode()
        headers += [("Content-Type", content_type), ("X-Amzn-Errortype", code)]
    elif target.service == "s3":
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>'
                f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>").encode()
        headers.append(("Content-Type", "application/xml"))
    elif target.protocol == "ec2":
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{escape(code)}</Code>'
                f"<Message>{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>").encode()
        headers.append(("Content-Type", "text/xml"))
    else:  # query, and rest-xml services other than S3
        kind = "Sender" if status < 500 else "Receiver"
        body = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
                f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return status_line, headers, body


def not_implemented(target: Target) -> tuple[str, list[tuple[str, str]], bytes]:
    """501 naming the operation: the stand-in lacks it (or the whole service)."""
    code = "NotImplemented" if target.service == "s3" else (
        "InvalidAction" if target.protocol in {"query", "ec2"} else "NotImplementedException")
    return error_body(target, NOT_IMPLEMENTED, code, f"The offline stand-in does not implement {target.action}.")


def unknown_region(target: Target) -> tuple[str, list[tuple[str, str]], bytes]:
    """What an AWS endpoint answers a request whose credential is scoped to a Region that does not exist."""
    message = (f"Credential should be scoped to a valid region, not '{target.region}'. "
               f"({target.region} is not an AWS Region: on AWS the endpoint would not even resolve.)")
    if target.service == "s3":
        return error_body(target, 400, "AuthorizationHeaderMalformed", message)
    code = "SignatureDoesNotMatch" if target.protocol in {"query", "ec2", "rest-xml"} else "InvalidSignatureException"
    return error_body(target, 403, code, message)


def internal_failure(target: Target, exc: BaseException | None) -> tuple[str, list[tuple[str, str]], bytes]:
    """500 naming the operation and what went wrong (the traceback is in the stand-in's log)."""
    what = f"{type(exc).__name__}: {exc}" if exc is not None else "an internal error"
    code = "InternalError" if target.service == "s3" else "InternalFailure"
    return error_body(target, 500, code, f"The offline stand-in failed on {target.action}: {what} (see its log).")


def _has_backend(target: Target) -> bool:
    """Whether moto (or one of the kit's add-ons) serves the target's service at all."""
    from moto import backends
    from moto.backend_index import backend_url_patterns

    names = {name for name, _ in backend_url_patterns}
    return target.service in names or target.service in backends.list_of_moto_modules()


def _buffer_form_body(environ: dict[str, Any]) -> bytes | None:
    """Read a form-encoded (query protocol) body and put it back, so the operation can be named later."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def aws_errors(app: WsgiApp) -> WsgiApp:
    """Wrap moto's dispatcher: unknown Regions, missing operations and crashes answer as AWS errors."""

    def respond(start_response: Callable[..., Any], answer: tuple[str, list[tuple[str, str]], bytes]) -> list[bytes]:
        status_line, headers, body = answer
        start_response(status_line, headers)
        return [body]

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = _buffer_form_body(environ)
        scope = _scope(environ)
        if scope and scope[0] not in known_regions():
            return respond(start_response, unknown_region(describe(environ, body)))
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured.update(status=status, headers=headers)
            return lambda data: None

        try:
            result = app(environ, capture)
        except NotImplementedError:
            return respond(start_response, not_implemented(describe(environ, body)))
        except Exception as exc:  # noqa: BLE001 - answered as AWS would, logged for the developer
            target = describe(environ, body)
            if scope and not _has_backend(target):
                return respond(start_response, not_implemented(target))
            traceback.print_exc(file=sys.stderr)
            return respond(start_response, internal_failure(target, exc))
        return _pass_or_replace(environ, body, captured, result, start_response, respond)

    return wrapped


def _pass_or_replace(environ: dict[str, Any], body: bytes | None, captured: dict[str, Any], result: Iterable[bytes],
                     start_response: Callable[..., Any], respond: Callable[..., list[bytes]]) -> Iterable[bytes]:
    """Pass the answer through, unless it is werkzeug's HTML error page (an unrouted path, say)."""
    if "status" not in captured:  # an app that calls start_response only once iterated
        result = [b"".join(result)]
    status = int(str(captured["status"]).split()[0])
    content_type = dict((k.lower(), v) for k, v in captured.get("headers", [])).get("content-type", "")
    if status < 400 or not content_type.startswith("text/html"):
        start_response(captured["status"], captured["headers"])
        return result
    chunks = b"".join(result)
    if hasattr(result, "close"):
        result.close()  # type: ignore[attr-defined]
    if not chunks.lstrip()[:15].lower().startswith(b"<!doctype html"):
        start_response(captured["status"], captured["headers"])
        return [chunks]
    target = describe(environ, body)
    if status in {404, 405}:
        return respond(start_response, not_implemented(target))
    return respond(start_response, internal_failure(target, None))
