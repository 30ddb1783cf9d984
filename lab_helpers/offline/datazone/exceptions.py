"""DataZone errors, named like the service's error shapes (botocore maps them to HTTP codes)."""

from __future__ import annotations

from moto.core.exceptions import ServiceException

from ..service_exceptions import (
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)

__all__ = ["AccessDeniedException", "ConflictException", "NotImplementedOffline", "ResourceNotFoundException",
           "ServiceQuotaExceededException", "ValidationException", "denied", "not_found"]


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
