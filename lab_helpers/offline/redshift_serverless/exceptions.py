"""Redshift Serverless errors, named like the service's error shapes (botocore ``redshift-serverless``)."""

from __future__ import annotations

from ..service_exceptions import ConflictException, ResourceNotFoundException, ValidationException

__all__ = ["ConflictException", "ResourceNotFoundException", "ValidationException"]
