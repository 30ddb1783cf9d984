"""Handles Redshift Serverless requests: botocore's model parses them, the backend answers, the model serializes."""

from __future__ import annotations

import re
import threading
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import TYPE_RESPONSE, ActionResult, BaseResponse
from moto.core.utils import camelcase_to_underscores, get_service_model
from werkzeug.exceptions import HTTPException

from .exceptions import ValidationException
from .models import RedshiftServerlessBackend, redshiftserverless_backends

_lock = threading.RLock()


def check_constraints(params: dict[str, Any], shape: Any) -> None:
    """The input's top-level strings against the model's ``min``/``max``/``pattern`` (botocore does not check these)."""
    for name, member in shape.members.items():
        value = params.get(name)
        if not isinstance(value, str):
            continue
        meta = member.metadata
        if len(value) < meta.get("min", 0) or len(value) > meta.get("max", len(value)) or (
                meta.get("pattern") and not re.search(meta["pattern"], value)):
            raise ValidationException(
                f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy constraint: Member must "
                f"have length between {meta.get('min', 0)} and {meta.get('max', '∞')} and match pattern {meta.get('pattern', '.*')}")


class RedshiftServerlessResponse(BaseResponse):
    """One handler for every Redshift Serverless operation (``X-Amz-Target: RedshiftServerless.<Operation>``)."""

    def __init__(self) -> None:
        super().__init__(service_name="redshift-serverless")
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> RedshiftServerlessBackend:
        return redshiftserverless_backends[self.current_account][self.region]

    def call_action(self) -> TYPE_RESPONSE:
        operation = self._get_action()
        try:  # IAM identity policies, as for every other service (lab_helpers.offline.authorization)
            self._authenticate_and_authorize_normal_action()
        except HTTPException as refusal:
            headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amzn-Errortype": getattr(refusal, "error_type", "AccessDeniedException")}
            return refusal.code or 400, headers, str(refusal.description)
        handler = getattr(self.backend, camelcase_to_underscores(operation or ""), None)
        if not operation or handler is None or not callable(handler) or operation.startswith("_"):
            # the stand-in's error wrapper answers a named 501 (lab_helpers.offline.errors)
            raise NotImplementedError(f"RedshiftServerless.{operation}")
        try:
            params: dict[str, Any] = dict(self.params or {})
            check_constraints(params, get_service_model(self.boto3_service_name).operation_model(operation).input_shape)
            with _lock:
                result = handler(params)
        except ServiceException as error:
            return self.serialized(ActionResult(error))
        return self.serialized(ActionResult(result))
