"""The IAM roles Amazon DataZone assumes (walkthrough step 0), get-or-create.

The console's quick setup creates these roles silently; the lab makes them with IAM calls:

- ``AmazonDataZoneDomainExecution`` (domain account): DataZone acts with it on the
  domain's behalf (managed policy ``service-role/AmazonDataZoneDomainExecutionRolePolicy``).
- ``AmazonDataZoneGlueAccess-<region>-<domainId>`` (each account): DataZone grants Lake
  Formation permissions on published Glue tables with it.
- ``AmazonDataZoneRedshiftAccess-<region>-<domainId>`` (each account): DataZone reads the
  Redshift secret and manages datashares with it.
- ``AmazonDataZoneProvisioning-<domainAccountId>`` (each account): DataZone deploys
  environments (CloudFormation stacks) with it.

Every role trusts ``datazone.amazonaws.com`` only, limited to calls DataZone makes for the
**domain's** account (``aws:SourceAccount``; the access roles also to the domain, ``aws:SourceArn``),
in an associated account too: DataZone assumes them on behalf of the domain. Sources: the DataZone
user guide's role pages (AmazonDataZoneDomainExecutionRole, bootstraprole, glue-manage-access-role,
redshift-manage-access-role) and docs/aws-behaviour.md.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from .waits import error_code

EXECUTION_ROLE = "AmazonDataZoneDomainExecution"
POLICY = "arn:{partition}:iam::aws:policy/{path}{name}"
_MANAGED = {
    "execution": ("service-role/", "AmazonDataZoneDomainExecutionRolePolicy"),
    "glue": ("service-role/", "AmazonDataZoneGlueManageAccessRolePolicy"),
    "redshift": ("service-role/", "AmazonDataZoneRedshiftManageAccessRolePolicy"),
    "provisioning": ("", "AmazonDataZoneRedshiftGlueProvisioningPolicy"),
}
LAB_TAG = {"Key": "created-by", "Value": "datazone-lab"}


def managed_policy_arn(kind: str, partition: str = "aws") -> str:
    """ARN of the AWS managed policy a role of ``kind`` (execution, glue, redshift, provisioning) carries."""
    path, name = _MANAGED[kind]
    return POLICY.format(partition=partition, path=path, name=name)


def role_names(region: str, domain_id: str, domain_account_id: str) -> dict[str, str]:
    """The lab's role names in an account: execution (domain account only), glue, redshift, provisioning."""
    return {
        "execution": EXECUTION_ROLE,
        "glue": f"AmazonDataZoneGlueAccess-{region}-{domain_id}",
        "redshift": f"AmazonDataZoneRedshiftAccess-{region}-{domain_id}",
        "provisioning": f"AmazonDataZoneProvisioning-{domain_account_id}",
    }


def trust_policy(domain_account_id: str, tag_session: bool = False, domain_arn: str | None = None) -> dict[str, Any]:
    """Trust ``datazone.amazonaws.com`` for calls made on behalf of the domain's account (and the domain).

    ``tag_session`` (the domain execution role): DataZone also tags the session, with tag keys
    starting ``datazone``, as the user guide's trust policy for that role allows.
    """
    actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else ["sts:AssumeRole"]
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": domain_account_id}}
    if tag_session:
        condition["ForAllValues:StringLike"] = {"aws:TagKeys": ["datazone*"]}
    if domain_arn:
        condition["ArnEquals"] = {"aws:SourceArn": domain_arn}
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "datazone.amazonaws.com"}, "Action": actions,
        "Condition": condition}]}


def ensure_role(iam: Any, name: str, trust: dict[str, Any], managed_policies: list[str],
                description: str, inline: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Get or create IAM role ``name`` with its trust policy, managed and inline policies.

    An existing role is reconciled: a trust policy that differs is replaced
    (``update_assume_role_policy``), missing managed policies are attached and the inline
    policies rewritten (all idempotent in IAM). Returns ``iam.get_role()["Role"]``.
    """
    try:
        role = iam.get_role(RoleName=name)["Role"]
        if _document(role.get("AssumeRolePolicyDocument")) != trust:
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
            role = iam.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        try:
            role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                                   Description=description, Tags=[LAB_TAG])["Role"]
        except ClientError as exc2:
            if error_code(exc2) != "EntityAlreadyExists":
                raise
            role = iam.get_role(RoleName=name)["Role"]
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    for arn in managed_policies:
        if arn not in attached:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    for policy_name, document in (inline or {}).items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
    return role


def _document(value: Any) -> Any:
    """A policy document as IAM returns it (URL-encoded JSON text, or already a dict) as a dict."""
    if isinstance(value, str):
        from urllib.parse import unquote

        return json.loads(unquote(value))
    return value


def _partition(arn_or_none: str | None) -> str:
    return arn_or_none.split(":")[1] if arn_or_none else "aws"


def ensure_execution_role(iam: Any, account_id: str) -> dict[str, Any]:
    """The domain execution role ``AmazonDataZoneDomainExecution`` (domain account, before step 1).

    DataZone assumes it (and tags the session with the calling user) to act in the domain;
    ``account_id`` is the domain's account.
    """
    return ensure_role(iam, EXECUTION_ROLE, trust_policy(account_id, tag_session=True),
                       [managed_policy_arn("execution")], "Amazon DataZone domain execution role (lab)")


def ensure_blueprint_roles(iam: Any, region: str, domain_id: str, domain_arn: str) -> dict[str, str]:
    """The Glue access, Redshift access and provisioning roles of ONE account (after step 1).

    The roles are made in the caller's account; their trust names the DOMAIN's account and
    ARN (read from ``domain_arn``), also in an associated account, since DataZone assumes them
    on the domain's behalf. Returns {"glue": arn, "redshift": arn, "provisioning": arn}. The
    Redshift access role may read only secrets tagged for this domain.
    """
    domain_account_id = domain_arn.split(":")[4]
    names = role_names(region, domain_id, domain_account_id)
    partition = _partition(domain_arn)
    trust = trust_policy(domain_account_id, domain_arn=domain_arn)
    secrets = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
        "Condition": {"StringEquals": {"secretsmanager:ResourceTag/AmazonDataZoneDomain": domain_id}}}]}
    arns = {}
    arns["glue"] = ensure_role(iam, names["glue"], trust, [managed_policy_arn("glue", partition)],
                               "Amazon DataZone Glue manage-access role (lab)")["Arn"]
    arns["redshift"] = ensure_role(iam, names["redshift"], trust, [managed_policy_arn("redshift", partition)],
                                   "Amazon DataZone Redshift manage-access role (lab)",
                                   inline={"RedshiftSecretStatement": secrets})["Arn"]
    arns["provisioning"] = ensure_role(iam, names["provisioning"], trust_policy(domain_account_id),
                                       [managed_policy_arn("provisioning", partition)],
                                       "Amazon DataZone environment provisioning role (lab)")["Arn"]
    return arns


def delete_role(iam: Any, name: str) -> bool:
    """Detach/delete the role's policies, then the role. False if it did not exist."""
    try:
        for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        iam.delete_role(RoleName=name)
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return False
        raise
    return True


def lab_roles(iam: Any) -> list[dict[str, Any]]:
    """Roles in the account whose names the lab uses (AmazonDataZone*), sorted by name."""
    prefixes = ("AmazonDataZoneDomainExecution", "AmazonDataZoneGlueAccess-", "AmazonDataZoneRedshiftAccess-",
                "AmazonDataZoneProvisioning-")
    found = []
    for page in iam.get_paginator("list_roles").paginate():
        found += [r for r in page["Roles"] if r["RoleName"].startswith(prefixes)]
    return sorted(found, key=lambda r: r["RoleName"])
