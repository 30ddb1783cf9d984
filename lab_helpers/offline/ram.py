"""AWS RAM as the DataZone domain association needs it, patched into moto 5.2.5.

moto refuses ``datazone`` ARNs, makes no invitations and has no ``OTHER-ACCOUNTS`` view.
This add-on lets a domain be shared with another account, which receives an invitation
(PENDING → ACCEPTED / REJECTED) and then sees the share; principal associations report
ASSOCIATING until accepted, and for a while after (moto's state manager, model
``ram::association``: immediate by default, ``offline start --pace aws`` gives it AWS's
duration, :mod:`lab_helpers.offline.pace`). :func:`is_associated` is the query DataZone asks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time, utcnow
from moto.moto_api import state_manager

from .datazone.state import Lifecycle

DATAZONE_RESOURCE_TYPE = "datazone:Domain"
DATAZONE_PERMISSIONS = (
    ("AWSRAMDefaultPermissionAmazonDataZoneDomain", True),
    ("AWSRAMPermissionAmazonDataZoneDomainFullAccessWithPortalAccess", False),
    ("AWSRAMPermissionAmazonDataZoneDomainExtendedServiceAccess", False),
    ("AWSRAMPermissionsAmazonDatazoneDomainExtendedServiceWithPortalAccess", False),
)

#: The principal association of an accepted invitation: ASSOCIATING → ASSOCIATED.
ASSOCIATION_MODEL = "ram::association"
state_manager.register_default_transition(ASSOCIATION_MODEL, transition={"progression": "immediate"})

_installed = False


@dataclass
class Invitation:
    """A resource share invitation to one account."""

    arn: str
    share_arn: str
    share_name: str
    sender: str
    receiver: str
    region: str
    status: str = "PENDING"
    created: datetime = field(default_factory=utcnow)
    #: once accepted: the account's association to the share, on its way to ASSOCIATED
    association: Lifecycle | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "resourceShareInvitationArn": self.arn,
            "resourceShareName": self.share_name,
            "resourceShareArn": self.share_arn,
            "senderAccountId": self.sender,
            "receiverAccountId": self.receiver,
            "invitationTimestamp": unix_time(self.created),
            "status": self.status,
        }


_invitations: list[Invitation] = []


class _RamError(JsonRESTError):
    code = 400

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(error_type, message)


def _account(principal: str) -> str | None:
    """A principal that names a whole account (``123456789012`` or its root ARN)."""
    if principal.isdigit() and len(principal) == 12:
        return principal
    if principal.startswith("arn:aws:iam::") and principal.endswith(":root"):
        return principal.split(":")[4]
    return None


def _backend(account_id: str, region: str):  # type: ignore[no-untyped-def]
    from moto.ram.models import ram_backends

    return ram_backends[account_id][region]


def _all_shares(region: str) -> list[Any]:
    from moto.ram.models import ram_backends

    shares = []
    for account_id in list(ram_backends.keys()):
        if region in ram_backends[account_id].keys():
            shares.extend(ram_backends[account_id][region].resource_shares)
    return shares


def _invitation(share_arn: str, account_id: str) -> Invitation | None:
    return next((i for i in reversed(_invitations) if i.share_arn == share_arn and i.receiver == account_id), None)


def principal_status(share: Any, principal: str) -> str:
    """ASSOCIATING until an invited account accepts and its association is made; DISASSOCIATED once rejected or deleted."""
    if share.status != "ACTIVE":
        return "DISASSOCIATED"
    account = _account(principal)
    if account is None or account == share.owning_account_id:
        return "ASSOCIATED"
    invitation = _invitation(share.arn, account)
    if invitation is None:
        return "ASSOCIATED"
    if invitation.status == "ACCEPTED":
        return invitation.association.status if invitation.association is not None else "ASSOCIATED"
    return {"PENDING": "ASSOCIATING"}.get(invitation.status, "DISASSOCIATED")


def is_associated(domain_arn: str, account_id: str, region: str) -> bool:
    """Whether ``account_id`` holds an accepted, undeleted share of the DataZone domain."""
    owner = domain_arn.split(":")[4]
    if account_id == owner:
        return True
    for share in _backend(owner, region).resource_shares:
        if share.status != "ACTIVE" or domain_arn not in share.resource_arns:
            continue
        for principal in share.principals:
            if _account(principal) == account_id and principal_status(share, principal) == "ASSOCIATED":
                return True
    return False


# --- responses ----------------------------------------------------------------------------------


def _params(response: Any) -> dict[str, Any]:
    try:
        return json.loads(response.body or "{}")
    except ValueError:
        return {}


def create_resource_share(self: Any) -> str:
    """Creates the share; each other account named as a principal gets a PENDING invitation."""
    params = _params(self)
    if params.get("allowExternalPrincipals") is False:
        outside = [p for p in params.get("principals") or [] if (_account(p) or self.current_account) != self.current_account]
        if outside:
            raise _RamError("InvalidParameterException", f"Principal {outside[0]} is outside your organization and allowExternalPrincipals is false.")
    result = self.ram_backend.create_resource_share(**params)
    share = next(s for s in self.ram_backend.resource_shares if s.arn == result["resourceShare"]["resourceShareArn"])
    share.permission_arns = list(params.get("permissionArns") or [])
    share.tags = list(params.get("tags") or [])
    _invite(share, share.principals, self.region)
    result["resourceShare"]["status"] = share.status
    return json.dumps(result)


def _uuid() -> str:
    from moto.moto_api._internal import mock_random

    return str(mock_random.uuid4())


def get_resource_shares(self: Any) -> str:
    """SELF: the caller's shares; OTHER-ACCOUNTS: shares whose invitation the caller accepted."""
    params = _params(self)
    owner = params.get("resourceOwner")
    if owner not in ("SELF", "OTHER-ACCOUNTS"):
        raise _RamError("InvalidParameterException", f"{owner} is not a valid resource owner. Specify either SELF or OTHER-ACCOUNTS and try again.")
    if owner == "SELF":
        shares = list(self.ram_backend.resource_shares)
    else:
        shares = [
            s
            for s in _all_shares(self.region)
            if s.owning_account_id != self.current_account
            and any(_account(p) == self.current_account for p in s.principals)
            and (inv := _invitation(s.arn, self.current_account)) is not None
            and inv.status == "ACCEPTED"
        ]
    wanted = params.get("resourceShareArns")
    items = []
    for share in shares:
        if wanted and share.arn not in wanted:
            continue
        if params.get("name") and share.name != params["name"]:
            continue
        if params.get("resourceShareStatus") and share.status != params["resourceShareStatus"]:
            continue
        item = share.describe()
        if getattr(share, "tags", None):
            item["tags"] = share.tags
        items.append(item)
    return json.dumps({"resourceShares": items})


def get_resource_share_associations(self: Any) -> str:
    """Principal associations carry the invitation's progress; resource ones are ASSOCIATED."""
    params = _params(self)
    kind = params.get("associationType")
    if kind not in ("PRINCIPAL", "RESOURCE"):
        raise _RamError("InvalidParameterException", f"{kind} is not a valid association type. Specify either PRINCIPAL or RESOURCE and try again.")
    out = []
    for share in self.ram_backend.resource_shares:
        if params.get("resourceShareArns") and share.arn not in params["resourceShareArns"]:
            continue
        entities = share.principals if kind == "PRINCIPAL" else share.resource_arns
        for entity in entities:
            if kind == "PRINCIPAL" and params.get("principal") and params["principal"] != entity:
                continue
            if kind == "RESOURCE" and params.get("resourceArn") and params["resourceArn"] != entity:
                continue
            status = principal_status(share, entity) if kind == "PRINCIPAL" else ("ASSOCIATED" if share.status == "ACTIVE" else "DISASSOCIATED")
            if params.get("associationStatus") and params["associationStatus"] != status:
                continue
            account = _account(entity)
            out.append(
                {
                    "resourceShareArn": share.arn,
                    "resourceShareName": share.name,
                    "associatedEntity": entity,
                    "associationType": kind,
                    "status": status,
                    "creationTime": unix_time(share.creation_time),
                    "lastUpdatedTime": unix_time(share.last_updated_time),
                    "external": bool(kind == "PRINCIPAL" and account and account != share.owning_account_id),
                }
            )
    return json.dumps({"resourceShareAssociations": out})


def get_resource_share_invitations(self: Any) -> str:
    """Invitations the caller's account received (or sent, for the sender)."""
    params = _params(self)
    arns = params.get("resourceShareInvitationArns")
    share_arns = params.get("resourceShareArns")
    items = []
    for inv in _invitations:
        if inv.region != self.region or self.current_account not in (inv.receiver, inv.sender):
            continue
        if arns and inv.arn not in arns:
            continue
        if share_arns and inv.share_arn not in share_arns:
            continue
        items.append(inv.describe())
    if arns and not items:
        raise _RamError("ResourceShareInvitationArnNotFoundException", f"ResourceShareInvitationArn {arns[0]} could not be found.")
    return json.dumps({"resourceShareInvitations": items})


def _answer(self: Any, accept: bool) -> str:
    params = _params(self)
    arn = params.get("resourceShareInvitationArn")
    inv = next((i for i in _invitations if i.arn == arn and i.receiver == self.current_account), None)
    if inv is None:
        raise _RamError("ResourceShareInvitationArnNotFoundException", f"ResourceShareInvitationArn {arn} could not be found.")
    if inv.status == "ACCEPTED":
        raise _RamError("ResourceShareInvitationAlreadyAcceptedException", f"The invitation {arn} was already accepted.")
    if inv.status == "REJECTED":
        raise _RamError("ResourceShareInvitationAlreadyRejectedException", f"The invitation {arn} was already rejected.")
    share = next((s for s in _backend(inv.sender, inv.region).resource_shares if s.arn == inv.share_arn), None)
    if share is None or share.status != "ACTIVE":
        raise _RamError("ResourceShareInvitationExpiredException", f"The invitation {arn} is no longer valid: the resource share was deleted.")
    inv.status = "ACCEPTED" if accept else "REJECTED"
    if accept:
        inv.association = Lifecycle(ASSOCIATION_MODEL, "ASSOCIATING", "ASSOCIATED")
    return json.dumps({"resourceShareInvitation": inv.describe(), "clientToken": params.get("clientToken")})


def _resource_type(arn: str) -> str:
    """``datazone:Domain`` for a domain ARN; ``service:Type`` from other ARNs."""
    parts = arn.split(":")
    kind = parts[5].split("/")[0] if len(parts) > 5 else ""
    return f"{parts[2]}:{kind[:1].upper()}{kind[1:]}" if len(parts) > 2 else ""


def list_resources(self: Any) -> str:
    """Resources the caller shares (SELF) or that accepted shares give it (OTHER-ACCOUNTS)."""
    params = _params(self)
    owner = params.get("resourceOwner")
    if owner not in ("SELF", "OTHER-ACCOUNTS"):
        raise _RamError("InvalidParameterException", f"{owner} is not a valid resource owner. Specify either SELF or OTHER-ACCOUNTS and try again.")
    if owner == "SELF":
        shares = [s for s in self.ram_backend.resource_shares if s.status == "ACTIVE"]
    else:
        shares = [
            s for s in _all_shares(self.region)
            if s.status == "ACTIVE" and s.owning_account_id != self.current_account
            and any(_account(p) == self.current_account and principal_status(s, p) == "ASSOCIATED" for p in s.principals)
        ]
    items = []
    for share in shares:
        if params.get("resourceShareArns") and share.arn not in params["resourceShareArns"]:
            continue
        if params.get("principal") and params["principal"] not in share.principals:
            continue
        for arn in share.resource_arns:
            kind = _resource_type(arn)
            if params.get("resourceType") and params["resourceType"].lower() != kind.lower():
                continue
            if params.get("resourceArns") and arn not in params["resourceArns"]:
                continue
            items.append({
                "arn": arn, "type": kind, "resourceShareArn": share.arn, "status": "AVAILABLE",
                "creationTime": unix_time(share.creation_time), "lastUpdatedTime": unix_time(share.last_updated_time),
                "resourceRegionScope": "REGIONAL",
            })
    return json.dumps({"resources": items})


def _share_of(self: Any, arn: str | None) -> Any:
    share = next((s for s in self.ram_backend.resource_shares if s.arn == arn), None)
    if share is None:
        raise _RamError("UnknownResourceException", f"ResourceShare {arn} could not be found.")
    return share


def _invite(share: Any, principals: list[str], region: str) -> None:
    for principal in principals:
        account = _account(principal)
        if account and account != share.owning_account_id:
            if not share.allow_external_principals:
                raise _RamError("InvalidParameterException", f"Principal {principal} is outside your organization and allowExternalPrincipals is false.")
            _invitations.append(Invitation(
                arn=f"arn:aws:ram:{region}:{share.owning_account_id}:resource-share-invitation/{_uuid()}",
                share_arn=share.arn, share_name=share.name, sender=share.owning_account_id, receiver=account, region=region,
            ))


def _association(share: Any, entity: str, kind: str, status: str) -> dict[str, Any]:
    account = _account(entity)
    return {
        "resourceShareArn": share.arn, "resourceShareName": share.name, "associatedEntity": entity, "associationType": kind,
        "status": status, "creationTime": unix_time(share.creation_time), "lastUpdatedTime": unix_time(share.last_updated_time),
        "external": bool(kind == "PRINCIPAL" and account and account != share.owning_account_id),
    }


def associate_resource_share(self: Any) -> str:
    """Adds principals (invited like at creation) and resources to a share."""
    params = _params(self)
    share = _share_of(self, params.get("resourceShareArn"))
    new_principals = [p for p in params.get("principals") or [] if p not in share.principals]
    share.add_principals(new_principals)
    share.add_resources([r for r in params.get("resourceArns") or [] if r not in share.resource_arns])
    _invite(share, new_principals, self.region)
    share.last_updated_time = utcnow()
    out = [_association(share, p, "PRINCIPAL", "ASSOCIATING") for p in params.get("principals") or []]
    out += [_association(share, r, "RESOURCE", "ASSOCIATING") for r in params.get("resourceArns") or []]
    return json.dumps({"resourceShareAssociations": out, "clientToken": params.get("clientToken")})


def disassociate_resource_share(self: Any) -> str:
    """Removes principals and resources from a share (their access ends at once)."""
    params = _params(self)
    share = _share_of(self, params.get("resourceShareArn"))
    for principal in params.get("principals") or []:
        if principal in share.principals:
            share.principals.remove(principal)
    for arn in params.get("resourceArns") or []:
        if arn in share.resource_arns:
            share.resource_arns.remove(arn)
    share.last_updated_time = utcnow()
    out = [_association(share, p, "PRINCIPAL", "DISASSOCIATING") for p in params.get("principals") or []]
    out += [_association(share, r, "RESOURCE", "DISASSOCIATING") for r in params.get("resourceArns") or []]
    return json.dumps({"resourceShareAssociations": out, "clientToken": params.get("clientToken")})


def accept_resource_share_invitation(self: Any) -> str:
    return _answer(self, True)


def reject_resource_share_invitation(self: Any) -> str:
    return _answer(self, False)


def install() -> None:
    """Patch moto's RAM (idempotent): DataZone domains, invitations, OTHER-ACCOUNTS."""
    global _installed
    if _installed:
        return
    from moto.ram import models, responses, urls, utils

    if "domain" not in models.ResourceShare.SHAREABLE_RESOURCES:
        models.ResourceShare.SHAREABLE_RESOURCES.append("domain")
    if not any(t["resourceType"] == DATAZONE_RESOURCE_TYPE for t in utils.RAM_RESOURCE_TYPES):
        utils.RAM_RESOURCE_TYPES.append({"resourceType": DATAZONE_RESOURCE_TYPE, "serviceName": "datazone", "resourceRegionScope": "REGIONAL"})
    for name, default in DATAZONE_PERMISSIONS:
        if not any(p["name"] == name for p in utils.AWS_MANAGED_PERMISSIONS):
            utils.AWS_MANAGED_PERMISSIONS.append(
                utils.format_ram_permission(
                    name=name,
                    resource_type=DATAZONE_RESOURCE_TYPE,
                    creation_time="2023-10-04 18:00:00.000",
                    is_resource_type_default=default,
                )
            )
    original_reset = models.ResourceAccessManagerBackend.reset

    def reset(backend: Any) -> None:
        """moto's reset also forgets the invitations the account sent."""
        _invitations[:] = [i for i in _invitations if not (i.sender == backend.account_id and i.region == backend.region_name)]
        original_reset(backend)

    models.ResourceAccessManagerBackend.reset = reset  # type: ignore[method-assign]
    cls = responses.ResourceAccessManagerResponse
    for fn in (
        create_resource_share,
        get_resource_shares,
        get_resource_share_associations,
        get_resource_share_invitations,
        accept_resource_share_invitation,
        reject_resource_share_invitation,
        list_resources,
        associate_resource_share,
        disassociate_resource_share,
    ):
        setattr(cls, fn.__name__, fn)
    for path in ("getresourceshareinvitations", "acceptresourceshareinvitation", "rejectresourceshareinvitation",
                 "listresources", "associateresourceshare", "disassociateresourceshare"):
        urls.url_paths.setdefault("{0}/" + path + "$", cls.dispatch)
    _installed = True
