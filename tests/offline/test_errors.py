"""Every request is answered in AWS's error format: missing operations, missing services,
Regions that do not exist and crashes name what failed, and none is retried as a 500 page."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError
from werkzeug.exceptions import NotFound

from lab_helpers.offline.errors import aws_errors

from .conftest import REGION


def _client(session: boto3.Session, service: str, region: str = REGION):
    """A client that counts the HTTP requests it sends (retries included)."""
    client = session.client(service, region_name=region)
    sent: list[str] = []
    client.meta.events.register("before-send", lambda request, **_: sent.append(request.url))
    return client, sent


def _refused(call, sent: list[str]) -> ClientError:
    started = time.monotonic()
    with pytest.raises(ClientError) as caught:
        call()
    assert len(sent) == 1, f"retried: {len(sent)} requests"
    assert time.monotonic() - started < 5
    return caught.value


@pytest.mark.parametrize(("service", "operation", "kwargs", "named", "code"), [
    ("athena", "get_table_metadata", {"CatalogName": "AwsDataCatalog", "DatabaseName": "d", "TableName": "t"},
     "Athena.GetTableMetadata", "NotImplementedException"),
    ("athena", "list_table_metadata", {"CatalogName": "AwsDataCatalog", "DatabaseName": "d"},
     "Athena.ListTableMetadata", "NotImplementedException"),
    ("redshift", "modify_cluster_iam_roles", {"ClusterIdentifier": "c", "AddIamRoles": []},
     "Redshift.ModifyClusterIamRoles", "InvalidAction"),
    ("redshift-serverless", "list_snapshots", {}, "RedshiftServerless.ListSnapshots", "NotImplementedException"),
])
def test_an_operation_the_stand_in_lacks_is_a_named_501(producer, service, operation, kwargs, named, code):
    client, sent = _client(producer, service)
    error = _refused(lambda: getattr(client, operation)(**kwargs), sent)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error.response["Error"]["Code"] == code
    assert error.response["Error"]["Message"] == f"The offline stand-in does not implement {named}."


@pytest.mark.parametrize(("service", "operation", "kwargs", "code", "status"), [
    ("datazone", "list_domains", {}, "InvalidSignatureException", 403),
    ("athena", "list_work_groups", {}, "InvalidSignatureException", 403),
    ("sts", "get_caller_identity", {}, "SignatureDoesNotMatch", 403),
    ("s3", "list_buckets", {}, "AuthorizationHeaderMalformed", 400),
])
def test_a_region_that_does_not_exist_is_refused_as_a_bad_credential_scope(producer, service, operation, kwargs,
                                                                           code, status):
    client, sent = _client(producer, service, "us-east-9")
    error = _refused(lambda: getattr(client, operation)(**kwargs), sent)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error.response["Error"]["Code"] == code
    assert "valid region, not 'us-east-9'" in error.response["Error"]["Message"]


def test_a_crash_is_an_internal_failure_naming_the_operation(producer, monkeypatch):
    from botocore.config import Config
    from moto.athena.responses import AthenaResponse

    def crash(self):  # noqa: ANN001
        raise RuntimeError("boom")

    monkeypatch.setattr(AthenaResponse, "list_work_groups", crash)
    client = producer.client("athena", region_name=REGION, config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as caught:
        client.list_work_groups()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert caught.value.response["Error"]["Code"] == "InternalFailure"
    assert "Athena.ListWorkGroups: RuntimeError: boom" in caught.value.response["Error"]["Message"]


def test_werkzeugs_html_not_found_page_becomes_a_json_error():
    """A path no route matches (werkzeug's HTML 404) is answered as a missing operation."""
    app = aws_errors(NotFound())
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/v2/domains/dzd_x/nothing-here", "QUERY_STRING": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5055", "wsgi.url_scheme": "http", "wsgi.input": None,
               "HTTP_HOST": "127.0.0.1:5055",
               "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/datazone/aws4_request, "
                                     "SignedHeaders=host, Signature=x"}
    answered: dict = {}
    body = b"".join(app(environ, lambda status, headers, exc_info=None: answered.update(status=status,
                                                                                         headers=dict(headers))))
    assert answered["status"].startswith("501")
    assert answered["headers"]["X-Amzn-Errortype"] == "NotImplementedException"
    assert b"does not implement DataZone." in body
