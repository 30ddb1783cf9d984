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



def test_the_stand_in_warms_every_lab_service_between_requests_only():
    """The stand-in builds its services' request routing while the first kernel starts, between requests (holding
    the recorder's lock), and leaves moto's seeded random as it was: the ids a request draws, and its replay
    draws again, do not depend on whether its service was built before it or inside it."""
    import threading

    from moto.moto_api._internal import mock_random
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from lab_helpers.offline.app import WARMED_SERVICES, build_backend_app, install_addons, warm_routes

    install_addons()
    lock, unlocked_builds = threading.RLock(), []

    def build(backend: str):  # type: ignore[no-untyped-def]
        if not lock._is_owned():  # type: ignore[attr-defined]
            unlocked_builds.append(backend)
        return build_backend_app(backend)

    routes = DomainDispatcherApplication(build)
    random_before = mock_random.getstate()
    warm_routes(routes, lock)
    assert mock_random.getstate() == random_before  # a request's ids do not depend on when its service was built
    assert set(routes.app_instances) >= {service.replace("-", "") for service in WARMED_SERVICES}
    assert unlocked_builds == []
