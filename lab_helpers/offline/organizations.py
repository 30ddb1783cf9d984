"""AWS Organizations' ``OrganizationAccountAccessRole`` in every member account of the stand-in.

The stand-in's default credentials act in the organisation's management account (moto's
default account, 123456789012). When AWS Organizations creates a member account it creates
``OrganizationAccountAccessRole`` there, with the ``AdministratorAccess`` managed policy and
a trust policy that trusts the management account (AWS Organizations User Guide, "Accessing
a member account that has a management account access role"). Every other 12-digit account
of the stand-in gets that role when its IAM backend is created (first use, first
``AssumeRole`` into it, or after a moto reset).
"""

from __future__ import annotations

import json
import re
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID

ROLE_NAME = "OrganizationAccountAccessRole"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
MANAGEMENT_ACCOUNT = DEFAULT_ACCOUNT_ID

_installed = False


def trust_policy(management_account: str = MANAGEMENT_ACCOUNT) -> dict[str, Any]:
    """The role's trust policy: the management account (any of its principals allowed to assume it)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{management_account}:root"}, "Action": "sts:AssumeRole"}
        ],
    }


def is_member_account(account_id: str) -> bool:
    return bool(re.fullmatch(r"\d{12}", account_id)) and account_id != MANAGEMENT_ACCOUNT


def ensure_role(iam: Any) -> None:
    """Create the role in a member account's IAM backend unless it exists."""
    if not is_member_account(iam.account_id) or any(r.name == ROLE_NAME for r in iam.roles.values()):
        return
    iam.create_role(ROLE_NAME, json.dumps(trust_policy()), "/", None, "Created by AWS Organizations for the management account", [], None)
    if ADMINISTRATOR_ACCESS in iam.managed_policies:
        iam.attach_role_policy(ADMINISTRATOR_ACCESS, ROLE_NAME)


def install() -> None:
    """Make every member account's IAM backend start with the role (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.iam.models import IAMBackend

    initialize = IAMBackend.initialize_service_roles

    def initialize_service_roles(self: IAMBackend) -> None:
        initialize(self)
        ensure_role(self)

    IAMBackend.initialize_service_roles = initialize_service_roles  # type: ignore[method-assign]
    _installed = True
