"""DataZone errors, named like the service's error shapes (botocore maps them to HTTP codes)."""

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


class NotImplementedOffline(ServiceException):
    """An operation the offline stand-in does not implement (HTTP 501, never retried)."""

    code = "NotImplementedException"

    def __init__(self, operation: str) -> None:
        super().__init__(f"{operation} is not implemented offline")


def not_found(kind: str, identifier: str) -> ResourceNotFoundException:
    """The service's not-found error for one resource."""
    return ResourceNotFoundException(f"{kind} {identifier} not found.")


def denied(message: str = "User is not permitted to perform operation") -> AccessDeniedException:
    return AccessDeniedException(message)
