"""RAM as the DataZone domain association uses it: shares of domain ARNs, invitations, views."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from lab_helpers.offline.ram import is_associated

from .conftest import CONSUMER, PRODUCER, REGION

PORTAL = "AWSRAMPermissionAmazonDataZoneDomainFullAccessWithPortalAccess"


def domain_arn(suffix: str) -> str:
    return f"arn:aws:datazone:{REGION}:{PRODUCER}:domain/dzd_{suffix}"


def share(producer, arn: str, name: str, **extra):  # type: ignore[no-untyped-def]
    return producer.client("ram").create_resource_share(name=name, resourceArns=[arn], principals=[CONSUMER], **extra)["resourceShare"]


def invitation(consumer, share_arn: str):  # type: ignore[no-untyped-def]
    found = consumer.client("ram").get_resource_share_invitations(resourceShareArns=[share_arn])["resourceShareInvitations"]
    assert len(found) == 1
    return found[0]


def test_datazone_permissions_have_their_real_names(producer) -> None:
    perms = {p["name"]: p for p in producer.client("ram").list_permissions(resourceType="datazone:Domain")["permissions"]}
    assert {"AWSRAMDefaultPermissionAmazonDataZoneDomain", PORTAL} <= set(perms)
    assert perms[PORTAL]["arn"] == f"arn:aws:ram::aws:permission/{PORTAL}"
    assert perms["AWSRAMDefaultPermissionAmazonDataZoneDomain"]["isResourceTypeDefault"] is True
    types = {t["resourceType"] for t in producer.client("ram").list_resource_types()["resourceTypes"]}
    assert "datazone:Domain" in types


def test_domain_share_invitation_lifecycle(producer, consumer) -> None:
    arn = domain_arn("ramlifecycle01")
    ram, cram = producer.client("ram"), consumer.client("ram")
    perm = f"arn:aws:ram::aws:permission/{PORTAL}"
    created = share(producer, arn, "DataZone-ram-lifecycle", permissionArns=[perm], allowExternalPrincipals=True)
    share_arn = created["resourceShareArn"]
    assert created["status"] == "ACTIVE"

    resources = ram.get_resource_share_associations(associationType="RESOURCE", resourceShareArns=[share_arn])["resourceShareAssociations"]
    assert [(a["associatedEntity"], a["status"]) for a in resources] == [(arn, "ASSOCIATED")]
    principals = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[share_arn])["resourceShareAssociations"]
    assert [(a["associatedEntity"], a["status"], a["external"]) for a in principals] == [(CONSUMER, "ASSOCIATING", True)]

    inv = invitation(consumer, share_arn)
    assert inv["status"] == "PENDING" and inv["senderAccountId"] == PRODUCER and inv["receiverAccountId"] == CONSUMER
    assert share_arn not in [s["resourceShareArn"] for s in cram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]]
    assert not is_associated(arn, CONSUMER, REGION)

    accepted = cram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])["resourceShareInvitation"]
    assert accepted["status"] == "ACCEPTED"
    assert is_associated(arn, CONSUMER, REGION)
    others = cram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert share_arn in [s["resourceShareArn"] for s in others]
    shared = cram.list_resources(resourceOwner="OTHER-ACCOUNTS", resourceType="datazone:Domain")["resources"]
    assert arn in [r["arn"] for r in shared]
    principals = ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[share_arn])["resourceShareAssociations"]
    assert principals[0]["status"] == "ASSOCIATED"

    with pytest.raises(ClientError) as err:
        cram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    assert err.value.response["Error"]["Code"] == "ResourceShareInvitationAlreadyAcceptedException"

    ram.delete_resource_share(resourceShareArn=share_arn)
    assert not is_associated(arn, CONSUMER, REGION)
    assert arn not in [r["arn"] for r in cram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]]


def test_rejected_invitation_never_associates(producer, consumer) -> None:
    arn = domain_arn("ramrejected001")
    share_arn = share(producer, arn, "DataZone-ram-rejected")["resourceShareArn"]
    cram = consumer.client("ram")
    inv = invitation(consumer, share_arn)
    assert cram.reject_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])["resourceShareInvitation"]["status"] == "REJECTED"
    assert not is_associated(arn, CONSUMER, REGION)
    with pytest.raises(ClientError) as err:
        cram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    assert err.value.response["Error"]["Code"] == "ResourceShareInvitationAlreadyRejectedException"


def test_only_the_receiver_answers_an_invitation(producer, consumer) -> None:
    share_arn = share(producer, domain_arn("ramreceiver01"), "DataZone-ram-receiver")["resourceShareArn"]
    inv = invitation(consumer, share_arn)
    with pytest.raises(ClientError) as err:
        producer.client("ram").accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    assert err.value.response["Error"]["Code"] == "ResourceShareInvitationArnNotFoundException"


def test_associate_adds_an_invited_principal_and_disassociate_ends_access(producer, consumer) -> None:
    arn = domain_arn("ramassociate1")
    ram = producer.client("ram")
    share_arn = ram.create_resource_share(name="DataZone-ram-associate", resourceArns=[arn])["resourceShare"]["resourceShareArn"]
    assoc = ram.associate_resource_share(resourceShareArn=share_arn, principals=[CONSUMER])["resourceShareAssociations"]
    assert assoc[0]["status"] == "ASSOCIATING"
    inv = invitation(consumer, share_arn)
    consumer.client("ram").accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])
    assert is_associated(arn, CONSUMER, REGION)
    ram.disassociate_resource_share(resourceShareArn=share_arn, principals=[CONSUMER])
    assert not is_associated(arn, CONSUMER, REGION)


def test_other_resource_types_still_validated(producer) -> None:
    with pytest.raises(ClientError) as err:
        producer.client("ram").create_resource_share(name="bad", resourceArns=["arn:aws:datazone:us-east-1:111111111111:notatype/x"])
    assert err.value.response["Error"]["Code"] == "MalformedArnException"
