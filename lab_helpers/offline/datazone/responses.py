"""Handles DataZone requests: botocore's model parses them, the backend answers, the model serializes."""

from __future__ import annotations

import threading
import warnings
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import TYPE_RESPONSE, ActionResult, BaseResponse
from moto.core.utils import camelcase_to_underscores
from werkzeug.exceptions import HTTPException

from ..identity import caller_of
from .exceptions import NotImplementedOffline
from .models import DataZoneBackend, datazone_backends

# One operation at a time: the threaded server shares the Region's domains between requests.
_lock = threading.RLock()


class DataZoneResponse(BaseResponse):
    """One handler for every DataZone operation.

    The operation comes from the method and path (botocore's rest-json routing); the backend
    method of the same snake_case name gets the caller and the parsed input. An operation
    the backend lacks answers at once with ``NotImplementedException`` naming it.
    """

    def __init__(self) -> None:
        super().__init__(service_name="datazone")
        self.automated_parameter_parsing = True

    @property
    def datazone_backend(self) -> DataZoneBackend:
        return datazone_backends[self.current_account][self.region]

    def call_action(self) -> TYPE_RESPONSE:
        operation = self._get_action()
        if not operation:
            body = '{"message": "No DataZone operation matches this method and path"}'
            return 404, {"Content-Type": "application/json", "X-Amzn-Errortype": "UnknownOperationException"}, body
        try:  # IAM identity policies, as for every other service (lab_helpers.offline.authorization)
            self._authenticate_and_authorize_normal_action()
        except HTTPException as refusal:
            headers = {"Content-Type": "application/json", "X-Amzn-Errortype": getattr(refusal, "error_type", "AccessDeniedException")}
            return refusal.code or 403, headers, str(refusal.description)
        handler = getattr(self.datazone_backend, camelcase_to_underscores(operation), None)
        try:
            if handler is None or not callable(handler) or operation.startswith("_"):
                raise NotImplementedOffline(operation)
            params: dict[str, Any] = dict(self.params or {})
            with _lock:
                result = handler(caller_of(self), params)
        except ServiceException as error:
            with warnings.catch_warnings():  # NotImplementedException is ours, not in the model: intended
                warnings.simplefilter("ignore")
                status, headers, body = self.serialized(ActionResult(error))
            return status, headers, body
        status, headers, body = self.serialized(ActionResult(result))
        return status, headers, body
