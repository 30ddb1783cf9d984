"""Whether an AWS service may use an IAM role: the role's trust policy, as the service sees it.

When a service such as Amazon DataZone acts with a customer's role it calls
``sts:AssumeRole`` (and ``sts:TagSession`` when it tags the session) as the service
principal, with the context keys ``aws:SourceAccount`` and ``aws:SourceArn`` set to the
resource on whose behalf it acts (IAM User Guide, "The confused deputy problem"; the
DataZone role pages show the trust policies that test them).
"""

from __future__ import annotations

from .identity import iam_role_of_arn
from .policy import Decision, Principal, Request, evaluate

PARTITION = "aws"


def role_trust_policy(role_arn: str) -> str | None:
    """The trust policy of an existing IAM role (JSON), or None when the role does not exist."""
    role = iam_role_of_arn(role_arn)
    return role.assume_role_policy_document if role is not None else None


def service_role_refusal(role_arn: str, service: str, actions: list[str], context: dict[str, str]) -> str | None:
    """None when ``role_arn`` exists and its trust lets ``service`` perform every action; else why not.

    ``service`` is the service principal (``datazone.amazonaws.com``); ``actions`` e.g.
    ``["sts:AssumeRole", "sts:TagSession"]``; ``context`` the request's condition keys
    (``{"aws:SourceAccount": "111111111111", "aws:SourceArn": "arn:aws:datazone:...:domain/dzd_..."}``).
    """
    trust = role_trust_policy(role_arn or "")
    if trust is None:
        return f"Role {role_arn} does not exist"
    keys = {k.lower(): v for k, v in context.items()}
    for action in actions:
        decision = evaluate([trust], Request(action, role_arn, keys, Principal(service=service)))
        if decision is Decision.DENY:
            return f"The trust policy of role {role_arn} denies {service} the action {action}"
        if decision is not Decision.ALLOW:
            shown = ", ".join(f"{k}={v}" for k, v in context.items())
            return f"The trust policy of role {role_arn} does not allow {service} to perform {action}" + (f" with {shown}" if shown else "")
    return None


DATAZONE = "datazone.amazonaws.com"


def datazone_role_refusal(role_arn: str | None, domain_account: str, domain_arn: str, actions: list[str] | None = None) -> str | None:
    """Whether DataZone may assume ``role_arn`` for a domain: ``aws:SourceAccount`` is the domain's
    account and ``aws:SourceArn`` the domain's ARN, also when the role is in an associated account."""
    if not role_arn:
        return None
    context = {"aws:SourceAccount": domain_account, "aws:SourceArn": domain_arn}
    return service_role_refusal(role_arn, DATAZONE, actions or ["sts:AssumeRole"], context)
