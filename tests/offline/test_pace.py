"""Rehearsal pace: ``--pace aws/N`` gives the stand-in's asynchronous resources AWS's durations ÷ N."""

from __future__ import annotations

import time
from collections.abc import Iterator

import boto3
import pytest
from moto.moto_api import state_manager

from lab_helpers.offline import pace
from lab_helpers.offline.datazone.state import MODELS

from .conftest import MANAGEMENT, REGION


@pytest.mark.parametrize("spec, scale", [("instant", None), (None, None), ("aws", 1.0), ("aws/10", 0.1), ("AWS/4", 0.25),
                                         ("aws/2.5", 0.4)])
def test_pace_forms(spec: str | None, scale: float | None) -> None:
    assert pace.parse(spec).scale == scale


@pytest.mark.parametrize("spec", ["fast", "aws/0", "aws/-1", "aws/", "instant/2", "aws/ten", "aws10"])
def test_a_pace_it_does_not_understand_names_the_valid_forms(spec: str) -> None:
    with pytest.raises(pace.PaceError, match="instant, aws, or aws/N"):
        pace.parse(spec)


def test_every_datazone_model_has_a_pace() -> None:
    from lab_helpers.offline.redshift_serverless.models import WORKGROUP_MODEL

    assert set(pace.PACED_MODELS) == set(MODELS) | {WORKGROUP_MODEL}


@pytest.fixture
def restore_transitions() -> Iterator[None]:
    yield
    for model in pace.PACED_MODELS:
        state_manager.set_transition(model, {"progression": "immediate"})


def test_paced_domain_takes_its_scaled_duration(endpoint: str, restore_transitions: None) -> None:
    dz = boto3.client("datazone", region_name=REGION, endpoint_url=endpoint)
    iam = boto3.client("iam", region_name=REGION, endpoint_url=endpoint)
    trust = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"datazone.amazonaws.com"},'
             '"Action":["sts:AssumeRole","sts:TagSession"]}]}')
    try:
        role = iam.create_role(RoleName="PaceExecution", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName="PaceExecution")["Role"]["Arn"]
    unpaced = dz.create_domain(name="pace-before", domainExecutionRole=role)["id"]
    dz.delete_domain(identifier=unpaced)  # its deletion never looked at (as after a journal replay)
    applied = pace.apply(pace.parse("aws/100"), {"domain_create": 120.0, "domain_delete": 120.0})  # 2 min on AWS → 1.2 s
    assert applied["datazone::domain"] == pytest.approx(1.2)
    assert applied["datazone::environment"] == 0.0  # no duration known: immediate
    with pytest.raises(dz.exceptions.ResourceNotFoundException):  # settled before the pace applied
        dz.get_domain(identifier=unpaced)
    started = time.monotonic()
    paced = dz.create_domain(name="pace-after", domainExecutionRole=role)["id"]
    assert dz.get_domain(identifier=paced)["status"] == "CREATING"
    while dz.get_domain(identifier=paced)["status"] == "CREATING":
        assert time.monotonic() - started < 5, "the paced domain never became AVAILABLE"
        time.sleep(0.1)
    assert 1.1 <= time.monotonic() - started <= 2.0
    assert MANAGEMENT  # the default credentials act in the management account


def test_paced_resources_progress_whether_or_not_anyone_looks(restore_transitions: None) -> None:
    """Two grants waited for one after the other take the longer duration, not the sum (as on AWS)."""
    from lab_helpers.offline.datazone.state import Lifecycle

    state_manager.set_transition("datazone::subscription_grant", {"progression": "time", "seconds": 0.3})
    first = Lifecycle("datazone::subscription_grant", "PENDING", "IN_PROGRESS", "COMPLETED")
    second = Lifecycle("datazone::subscription_grant", "PENDING", "IN_PROGRESS", "COMPLETED")
    assert first.status == "PENDING"
    time.sleep(0.35)
    assert first.status == "IN_PROGRESS"
    time.sleep(0.35)
    assert first.status == "COMPLETED"
    assert second.status == "COMPLETED"  # never looked at until now, and done all the same


def test_every_paced_model_has_an_aws_duration_in_the_kits_table() -> None:
    known = pace.aws_seconds()
    assert {key for key, _ in pace.PACED_MODELS.values()} <= set(known)
