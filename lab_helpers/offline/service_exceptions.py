"""The error shapes the JSON services the stand-in adds share (botocore ``datazone``, ``redshift-serverless``).

Each service's ``exceptions.py`` re-exports what it uses, as moto's per-service packages do.
A class carries only the error code: moto's serializer takes the HTTP status and the body's
shape from the model of the service that answers, so one class serves every service that
declares a shape of that name.
"""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class ValidationException(ServiceException):
    code = "ValidationException"


class ConflictException(ServiceException):
    code = "ConflictException"


class ResourceNotFoundException(ServiceException):
    code = "ResourceNotFoundException"


class AccessDeniedException(ServiceException):
    code = "AccessDeniedException"


class ServiceQuotaExceededException(ServiceException):
    code = "ServiceQuotaExceededException"
