"""Redshift Serverless errors, named like the service's error shapes (botocore ``redshift-serverless``)."""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class ValidationException(ServiceException):
    code = "ValidationException"


class ConflictException(ServiceException):
    code = "ConflictException"


class ResourceNotFoundException(ServiceException):
    code = "ResourceNotFoundException"

