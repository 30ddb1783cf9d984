"""The stand-in serves moto's services and binds assumed-role keys to their account."""

from lab_helpers.offline.identity import caller_from_access_key

from .conftest import CONSUMER, PRODUCER


def test_assumed_role_keys_act_in_their_account(producer, consumer):
    assert producer.client("sts").get_caller_identity()["Account"] == PRODUCER
    assert consumer.client("sts").get_caller_identity()["Account"] == CONSUMER


def test_caller_resolves_role_arn(producer):
    key = producer.get_credentials().access_key
    caller = caller_from_access_key(key)
    assert caller.account_id == PRODUCER
    assert caller.principal_arn == f"arn:aws:iam::{PRODUCER}:role/LabProducerTester"


def test_buckets_are_per_account(producer, consumer):
    producer.client("s3").create_bucket(Bucket="app-test-producer-bucket")
    names = [b["Name"] for b in consumer.client("s3").list_buckets()["Buckets"]]
    assert "app-test-producer-bucket" not in names
