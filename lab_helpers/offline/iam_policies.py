"""AWS managed IAM policies in the stand-in's accounts: the ones the lab's services use.

On AWS every account sees AWS's managed policies (the walkthrough attaches
``service-role/AmazonDataZoneDomainExecutionRolePolicy`` and friends). moto can load all
1,500 of them into every account, which costs about a second per account; the stand-in
loads those of the services the lab works with (DataZone, Glue, Athena, Redshift, S3,
Lake Formation, Secrets Manager, RAM, CloudFormation and the general job policies).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

#: Name prefixes of the managed policies every account of the stand-in has.
PREFIXES = (
    "AmazonDataZone", "AWSGlue", "AmazonAthena", "AmazonRedshift", "AmazonS3", "AWSLakeFormation",
    "SecretsManager", "AWSResourceAccessManager", "AWSCloudFormation", "AdministratorAccess",
    "PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess", "IAMReadOnlyAccess",
)

_installed = False


@cache
def _policy_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {name: data for name, data in json.loads(aws_managed_policies_data).items() if name.startswith(PREFIXES)}


def preload() -> None:
    """Parse the managed policies' data now (about 0.15 s), not in the request that first makes an account's IAM."""
    _policy_data()


def install() -> None:
    """Give every IAM backend the lab's AWS managed policies (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.iam.models import AWSManagedPolicy, IAMBackend

    def _init_aws_policies(self: IAMBackend) -> list[AWSManagedPolicy]:
        return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
                for name, data in _policy_data().items()]

    IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]
    _installed = True
