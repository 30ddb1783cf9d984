"""CloudTrail's event history in the stand-in: the lab's own calls, in CloudTrail's shape, per account."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError

from .conftest import CONSUMER, PRODUCER, REGION
from .test_redshift_data_shapes import problems

SECRET = "s3cr3t-Passw0rd!"


@pytest.fixture(scope="module")
def calls(session_for):
    """Some management calls in each account: a secret made (its value must never show), a database, a refusal."""
    producer, consumer = session_for(PRODUCER, "TrailProducer"), session_for(CONSUMER, "TrailConsumer")
    started = datetime.now(timezone.utc)  # exact: the stand-in is shared, calls of other tests fall outside
    sm = producer.client("secretsmanager")
    sm.create_secret(Name="trail/test-secret", SecretString=json.dumps({"username": "admin", "password": SECRET}))
    sm.get_secret_value(SecretId="trail/test-secret")
    producer.client("glue").create_database(DatabaseInput={"Name": "trail_db"})
    for n in range(3):
        consumer.client("glue").create_database(DatabaseInput={"Name": f"trail_consumer_db_{n}"})
    ended = datetime.now(timezone.utc)
    return {"producer": producer, "consumer": consumer, "started": started, "ended": ended}


def _lookup(session: boto3.Session, **kwargs):  # type: ignore[no-untyped-def]
    return session.client("cloudtrail").lookup_events(**kwargs)


def test_events_fit_botocore_shape_and_name_the_caller(calls):
    client = calls["producer"].client("cloudtrail")
    seen: list[str] = []

    def check(http_response, model, **_):  # type: ignore[no-untyped-def]
        seen.extend(problems(json.loads(http_response.content), model.output_shape))

    client.meta.events.register("after-call.cloudtrail.LookupEvents", check)
    answer = client.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateDatabase"}],
                                   StartTime=calls["started"])  # the stand-in is shared: earlier tests made databases too
    assert seen == []
    (event,) = answer["Events"]
    assert event["EventSource"] == "glue.amazonaws.com" and event["ReadOnly"] == "false"
    detail = json.loads(event["CloudTrailEvent"])
    assert detail["userIdentity"]["type"] == "AssumedRole"
    assert detail["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"].endswith(":role/TrailProducer")
    assert detail["recipientAccountId"] == detail["userIdentity"]["accountId"] == PRODUCER
    assert detail["eventType"] == "AwsApiCall" and detail["managementEvent"] is True and detail["awsRegion"] == REGION
    assert detail["requestParameters"]["databaseInput"]["name"] == "trail_db"
    assert event["Username"] == detail["userIdentity"]["arn"].rsplit("/", 1)[-1]


def test_each_account_sees_only_the_calls_made_to_it(calls):
    def names(session):  # type: ignore[no-untyped-def]
        found = _lookup(session, LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "glue.amazonaws.com"}],
                        StartTime=calls["started"])
        # the stand-in is shared with earlier tests, whose background work may still call Glue: the fixture's own calls
        return [json.loads(e["CloudTrailEvent"])["requestParameters"]["databaseInput"]["name"] for e in found["Events"]
                if e["Username"] in ("TrailProducer", "TrailConsumer")]

    assert names(calls["producer"]) == ["trail_db"]
    assert names(calls["consumer"]) == ["trail_consumer_db_2", "trail_consumer_db_1", "trail_consumer_db_0"]  # newest first


def test_secret_values_are_never_recorded(calls):
    everything = json.dumps(_lookup(calls["producer"], StartTime=calls["started"])["Events"], default=str)
    assert "CreateSecret" in everything and "GetSecretValue" in everything
    assert SECRET not in everything
    create = _lookup(calls["producer"], LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateSecret"}],
                     StartTime=calls["started"])
    detail = json.loads(create["Events"][0]["CloudTrailEvent"])
    assert detail["requestParameters"]["secretString"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert detail["responseElements"] is None


def test_pages_of_at_most_max_results_newest_first_then_the_time_window(calls):
    consumer = calls["consumer"]
    # the fixture's three CreateDatabase calls: its session, in its time window (the stand-in is shared with other tests)
    source = [{"AttributeKey": "Username", "AttributeValue": "TrailConsumer"}]
    window = {"StartTime": calls["started"], "EndTime": calls["ended"]}
    first = _lookup(consumer, LookupAttributes=source, MaxResults=2, **window)
    second = _lookup(consumer, LookupAttributes=source, MaxResults=2, NextToken=first["NextToken"], **window)
    assert len(first["Events"]) == 2 and len(second["Events"]) == 1 and "NextToken" not in second
    times = [e["EventTime"] for e in first["Events"] + second["Events"]]
    assert times == sorted(times, reverse=True)
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert _lookup(consumer, LookupAttributes=source, StartTime=later)["Events"] == []
    assert _lookup(consumer, LookupAttributes=source, EndTime=calls["started"])["Events"] == []
    with pytest.raises(ClientError) as refused:
        _lookup(consumer, MaxResults=51)
    assert refused.value.response["Error"]["Code"] in ("InvalidMaxResultsException", "ParamValidationError")


def test_lookup_attributes_filter_and_bad_requests_get_cloudtrails_errors(calls):
    producer = calls["producer"]
    by_user = _lookup(producer, LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "true"}])
    assert by_user["Events"] and all(e["ReadOnly"] == "true" for e in by_user["Events"])
    one = by_user["Events"][0]
    assert [e["EventId"] for e in _lookup(producer, LookupAttributes=[
        {"AttributeKey": "EventId", "AttributeValue": one["EventId"]}])["Events"]] == [one["EventId"]]
    key = _lookup(producer, LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": one["AccessKeyId"]}])
    assert key["Events"] and {e["AccessKeyId"] for e in key["Events"]} == {one["AccessKeyId"]}
    for kwargs, code in (
        ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "a"},
                               {"AttributeKey": "EventName", "AttributeValue": "b"}]}, "InvalidLookupAttributesException"),
        ({"StartTime": datetime.now(timezone.utc), "EndTime": calls["started"]}, "InvalidTimeRangeException"),
        ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
    ):
        with pytest.raises(ClientError) as refused:
            _lookup(producer, **kwargs)
        assert refused.value.response["Error"]["Code"] == code


def test_refused_calls_are_recorded_with_their_error_and_lookup_needs_permission(calls):
    producer = calls["producer"]
    iam = producer.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PRODUCER}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="TrailReader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="TrailReader", PolicyName="glue-only", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "glue:GetDatabases", "Resource": "*"}]}))
    creds = producer.client("sts").assume_role(RoleArn=f"arn:aws:iam::{PRODUCER}:role/TrailReader",
                                               RoleSessionName="reader")["Credentials"]
    reader = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"], region_name=REGION)
    with pytest.raises(ClientError) as refused:
        reader.client("cloudtrail").lookup_events()
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    found = _lookup(producer, LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "reader"}])["Events"]
    detail = json.loads(found[0]["CloudTrailEvent"])
    assert detail["eventName"] == "LookupEvents" and detail["errorCode"] == "AccessDeniedException"
    assert "cloudtrail:LookupEvents" in detail["errorMessage"]


def test_events_name_their_resources(calls):
    found = _lookup(calls["producer"], LookupAttributes=[{"AttributeKey": "ResourceType",
                                                          "AttributeValue": "AWS::SecretsManager::Secret"}])["Events"]
    assert {e["EventName"] for e in found} == {"GetSecretValue"}  # CreateSecret names no SecretId
    (resource,) = found[0]["Resources"]
    by_name = _lookup(calls["producer"], LookupAttributes=[{"AttributeKey": "ResourceName",
                                                           "AttributeValue": resource["ResourceName"]}])["Events"]
    assert [e["EventId"] for e in by_name] == [found[0]["EventId"]]
