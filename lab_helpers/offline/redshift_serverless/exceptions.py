"""Redshift Serverless errors, named like the service's error shapes (botocore ``redshift-serverless``)."""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class ValidationException(ServiceException):
    code = "ValidationException"


class ConflictException(ServiceException):
    code = "ConflictException"


class ResourceNotFoundException(ServiceException):
    code = "ResourceNotFoundException"


class NotImplementedOffline(ServiceException):
    """An operation the offline stand-in does not implement."""

    code = "NotImplementedException"

    def __init__(self, operation: str) -> None:
        super().__init__(f"{operation} is not implemented offline")
