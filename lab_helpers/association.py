"""Domain association: the producer shares the domain with AWS RAM, the consumer accepts.

Producer side (step 2): a RAM resource share named ``DataZone-<domainName>-<domainId>``
(administrator policies only allow share names starting with ``DataZone``) of the domain
ARN with the consumer account, using the RAM managed permission that lets the consumer's
users call the DataZone APIs and use the data portal. The console calls it
"DataZonePortalReadWrite"; RAM names it ``AWSRAMPermissionAmazonDataZoneDomainFullAccessWithPortalAccess``
and the lab looks it up by name with ``list_permissions``.

Consumer side (step 3): RAM delivers an invitation (outside one AWS Organization); once it
is accepted, DataZone answers the consumer's ``get_domain`` for the shared domain.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from .datazone import paginate, wait_domain
from .waits import error_code, wait_for

PORTAL_PERMISSION = "AWSRAMPermissionAmazonDataZoneDomainFullAccessWithPortalAccess"
RESOURCE_TYPE = "datazone:Domain"
#: Errors a consumer sees while the association is not accepted or not propagated yet.
NOT_YET_VISIBLE = ("AccessDeniedException", "ResourceNotFoundException", "UnauthorizedException",
                   "ValidationException")


def share_name(domain_name: str, domain_id: str) -> str:
    """``DataZone-<domainName>-<domainId>``: the name the DataZone console gives the share."""
    return f"DataZone-{domain_name}-{domain_id}"


def domain_id_from_share_name(name: str) -> str | None:
    """The domain id at the end of a ``DataZone-<domainName>-<domainId>`` share name."""
    if not name.startswith("DataZone-"):
        return None
    match = re.search(r"-(dzd[_-][A-Za-z0-9]+)$", name)
    return match.group(1) if match else name.rsplit("-", 1)[-1]


def portal_permission_arn(ram: Any, preferred: str = PORTAL_PERMISSION) -> str:
    """ARN of the RAM managed permission for DataZone domains with portal access.

    ``list_permissions(resourceType="datazone:Domain")`` lists the permissions RAM offers
    for domains; the lab takes ``preferred``, else any whose name mentions portal access.
    """
    found = list(paginate(ram, "list_permissions", resourceType=RESOURCE_TYPE))
    for perm in found:
        if perm["name"] == preferred:
            return perm["arn"]
    for perm in found:
        if "Portal" in perm["name"]:
            return perm["arn"]
    names = ", ".join(p["name"] for p in found) or "none"
    raise LookupError(f"RAM offers no {preferred} permission for {RESOURCE_TYPE} (found: {names})")


def find_share(ram: Any, name: str) -> dict[str, Any] | None:
    """The caller's ACTIVE resource share called ``name``, or None."""
    for share in paginate(ram, "get_resource_shares", resourceOwner="SELF", name=name, resourceShareStatus="ACTIVE"):
        if share["name"] == name:
            return share
    return None


def ensure_domain_share(ram: Any, domain: dict[str, Any], consumer_account_id: str,
                        permission_arn: str | None = None) -> dict[str, Any]:
    """Get or create the RAM share of ``domain`` (a ``get_domain`` response) with the consumer.

    ``create_resource_share`` with ``allowExternalPrincipals=True`` works across
    Organizations: RAM then sends the consumer an invitation. An existing share gains the
    consumer as principal if it lacks it. Waits until the domain is ASSOCIATED to the share.
    """
    name = share_name(domain["name"], domain["id"])
    share = find_share(ram, name)
    if share is None:
        share = ram.create_resource_share(
            name=name, resourceArns=[domain["arn"]], principals=[consumer_account_id],
            permissionArns=[permission_arn or portal_permission_arn(ram)], allowExternalPrincipals=True,
            tags=[{"key": "created-by", "value": "datazone-lab"}])["resourceShare"]
    else:
        principals = {a["associatedEntity"] for a in associations(ram, share["resourceShareArn"], "PRINCIPAL")
                      if a["status"] not in {"DISASSOCIATED", "DISASSOCIATING"}}
        if consumer_account_id not in principals:
            ram.associate_resource_share(resourceShareArn=share["resourceShareArn"], principals=[consumer_account_id])
    arn = share["resourceShareArn"]

    def resource_status() -> dict[str, Any]:
        found = [a for a in associations(ram, arn, "RESOURCE") if a["associatedEntity"] == domain["arn"]]
        return found[0] if found else {"status": "NOT LISTED YET"}

    wait_for(resource_status, f"RAM share {name}", lambda r: r.get("status"), {"ASSOCIATED"}, {"FAILED"},
             timeout=600, kind="ram_association")
    return share


def associations(ram: Any, share_arn: str, association_type: str) -> list[dict[str, Any]]:
    """The share's PRINCIPAL or RESOURCE associations (``get_resource_share_associations``)."""
    return list(paginate(ram, "get_resource_share_associations", associationType=association_type,
                         resourceShareArns=[share_arn]))


def associated_accounts(ram: Any, share_arn: str) -> set[str]:
    """The accounts that accepted the share (their PRINCIPAL association is ASSOCIATED).

    DataZone adds users only from the domain's account and associated accounts, so in a room
    04 adds the subscribers of these accounts and names the others, whose admin runs 03 first.
    """
    return {a["associatedEntity"] for a in associations(ram, share_arn, "PRINCIPAL") if a.get("status") == "ASSOCIATED"}


# ------------------------------------------------------------------- consumer side

def find_invitation(ram: Any, domain_id: str | None = None, domain_name: str | None = None) -> dict[str, Any] | None:
    """The newest RAM invitation to a ``DataZone-…`` share of the domain (by id or by name)."""
    matches = []
    for inv in paginate(ram, "get_resource_share_invitations"):
        name = inv.get("resourceShareName", "")
        if not name.startswith("DataZone-"):
            continue
        if domain_id and domain_id_from_share_name(name) != domain_id:
            continue
        if domain_name and not name.startswith(f"DataZone-{domain_name}-"):
            continue
        matches.append(inv)
    matches.sort(key=lambda i: str(i.get("invitationTimestamp", "")))
    pending = [i for i in matches if i.get("status") == "PENDING"]
    return (pending or matches or [None])[-1]


def accept_invitation(ram: Any, invitation: dict[str, Any]) -> dict[str, Any]:
    """Accept a PENDING invitation; an ACCEPTED one is returned as it is.

    REJECTED or EXPIRED (after 7 days) invitations cannot be accepted: the producer admin
    must share again (delete the share and re-run 02).
    """
    status = invitation.get("status")
    if status == "ACCEPTED":
        return invitation
    if status != "PENDING":
        raise RuntimeError(f"the invitation to {invitation.get('resourceShareName')} is {status}: ask the producer "
                           "admin to delete the share and run 02_producer_admin_request_association again")
    try:
        return ram.accept_resource_share_invitation(
            resourceShareInvitationArn=invitation["resourceShareInvitationArn"])["resourceShareInvitation"]
    except ClientError as exc:
        if error_code(exc) == "ResourceShareInvitationAlreadyAcceptedException":
            return {**invitation, "status": "ACCEPTED"}
        raise


def shared_domains(ram: Any) -> list[dict[str, Any]]:
    """Domains other accounts share with the caller (``list_resources(resourceOwner="OTHER-ACCOUNTS")``).

    Inside one Organization there is no invitation: this is where the domain shows up.
    """
    return list(paginate(ram, "list_resources", resourceOwner="OTHER-ACCOUNTS", resourceType=RESOURCE_TYPE))


def locate_shared_domain(ram: Any, domain_name: str, domain_id: str | None = None) -> tuple[str | None, dict | None]:
    """(domain id, invitation) of the shared domain: from the invitation, else from RAM's shared resources."""
    invitation = find_invitation(ram, domain_id=domain_id, domain_name=None if domain_id else domain_name)
    if invitation is not None:
        return domain_id_from_share_name(invitation["resourceShareName"]), invitation
    if domain_id:
        return domain_id, None
    for resource in shared_domains(ram):
        return resource["arn"].rsplit("/", 1)[-1], None
    return None, None


def wait_domain_visible(dz: Any, domain_id: str, timeout: float = 900) -> dict[str, Any]:
    """Poll the consumer's ``get_domain`` until it answers: once the invitation is accepted, RAM associates
    the account with the share (ASSOCIATING → ASSOCIATED) before DataZone lets it in."""
    return wait_domain(dz, domain_id, not_yet=NOT_YET_VISIBLE, timeout=timeout, kind="ram_association")


def association_rows(ram: Any, share_arn: str) -> list[dict[str, Any]]:
    """Both kinds of associations of the share, for a table: type, entity, status, message."""
    rows = []
    for kind in ("RESOURCE", "PRINCIPAL"):
        for a in associations(ram, share_arn, kind):
            rows.append({"type": kind, "associated entity": a["associatedEntity"], "status": a["status"],
                         "external": a.get("external", ""), "message": a.get("statusMessage", "")})
    return rows
