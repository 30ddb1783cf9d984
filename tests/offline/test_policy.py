"""The policy evaluator (lab_helpers.offline.policy): AWS's documented evaluation rules."""

from __future__ import annotations

import pytest

from lab_helpers.offline.policy import Decision, Principal, Request, condition_holds, evaluate, principal_matches


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_S3 = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::bucket/*"}


def test_allow_needed_and_implicit_deny():
    assert evaluate([doc(ALLOW_S3)], Request("s3:GetObject", "arn:aws:s3:::bucket/k")) is Decision.ALLOW
    assert evaluate([doc(ALLOW_S3)], Request("s3:PutObject", "arn:aws:s3:::bucket/k")) is Decision.NOT_APPLICABLE
    assert evaluate([], Request("s3:GetObject", "arn:aws:s3:::bucket/k")) is Decision.NOT_APPLICABLE


def test_explicit_deny_wins_over_allow():
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert evaluate([doc(ALLOW_S3), doc(deny)], Request("s3:GetObject", "arn:aws:s3:::bucket/k")) is Decision.DENY


def test_action_case_insensitive_and_wildcards():
    assert evaluate([doc(ALLOW_S3)], Request("S3:getobject", "arn:aws:s3:::bucket/k")) is Decision.ALLOW
    q = {"Effect": "Allow", "Action": "glue:Get?able", "Resource": "*"}
    assert evaluate([doc(q)], Request("glue:GetTable", None)) is Decision.ALLOW
    assert evaluate([doc(q)], Request("glue:GetTables", None)) is Decision.NOT_APPLICABLE


def test_not_action_and_not_resource():
    st = {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}
    assert evaluate([doc(st)], Request("s3:GetObject", "arn:aws:s3:::bucket/k")) is Decision.ALLOW
    assert evaluate([doc(st)], Request("iam:GetRole", "arn:aws:s3:::bucket/k")) is Decision.NOT_APPLICABLE
    assert evaluate([doc(st)], Request("s3:GetObject", "arn:aws:s3:::secret/k")) is Decision.NOT_APPLICABLE


def test_resource_is_case_sensitive():
    assert evaluate([doc(ALLOW_S3)], Request("s3:GetObject", "arn:aws:s3:::Bucket/k")) is Decision.NOT_APPLICABLE


def test_underived_resource_matches_every_resource_element():
    assert evaluate([doc(ALLOW_S3)], Request("s3:GetObject", None)) is Decision.ALLOW


@pytest.mark.parametrize(
    ("operator", "values", "context", "expected"),
    [
        ("StringEquals", "a", {"k": "a"}, True),
        ("StringEquals", "a", {"k": "b"}, False),
        ("StringEquals", ["x", "a"], {"k": "a"}, True),
        ("StringEquals", "a", {}, False),  # missing key: false
        ("StringNotEquals", "a", {"k": "b"}, True),
        ("StringNotEquals", "a", {"k": "a"}, False),
        ("StringNotEquals", "a", {}, True),  # negated operator, missing key: true
        ("StringLike", "data/*", {"k": "data/x.csv"}, True),
        ("StringLike", "data/*", {"k": "other/x"}, False),
        ("StringNotLike", "data/*", {"k": "other/x"}, True),
        ("StringEqualsIfExists", "a", {}, True),
        ("StringEqualsIfExists", "a", {"k": "b"}, False),
        ("ArnEquals", "arn:aws:datazone:us-east-1:111111111111:domain/dzd_1", {"k": "arn:aws:datazone:us-east-1:111111111111:domain/dzd_1"}, True),
        ("ArnLike", "arn:aws:iam::*:role/dz*", {"k": "arn:aws:iam::222222222222:role/dzrole"}, True),
        ("ArnLike", "arn:aws:iam::*:role/dz*", {"k": "arn:aws:iam::222222222222:user/dzrole"}, False),
        ("ArnNotEquals", "arn:aws:iam::1:role/a", {"k": "arn:aws:iam::1:role/b"}, True),
        ("ArnNotLike", "arn:aws:iam::*:role/a*", {"k": "arn:aws:iam::1:role/abc"}, False),
        ("Bool", "true", {"k": "true"}, True),
        ("Bool", True, {"k": "false"}, False),
        ("Null", "true", {}, True),
        ("Null", "false", {}, False),
        ("Null", "false", {"k": "v"}, True),
        ("ForAllValues:StringLike", "datazone*", {"k": ["datazoneDomain", "datazoneProject"]}, True),
        ("ForAllValues:StringLike", "datazone*", {"k": ["datazoneDomain", "other"]}, False),
        ("ForAllValues:StringLike", "datazone*", {}, True),  # no values: true
        ("ForAnyValue:StringEquals", ["a", "b"], {"k": ["z", "b"]}, True),
        ("ForAnyValue:StringEquals", ["a", "b"], {"k": ["z"]}, False),
        ("ForAnyValue:StringEquals", ["a"], {}, False),
    ],
)
def test_condition_operators(operator, values, context, expected):
    assert condition_holds(operator, "k", values, context) is expected


def test_condition_keys_are_case_insensitive_and_all_must_hold():
    st = {"Effect": "Allow", "Action": "*", "Resource": "*",
          "Condition": {"StringEquals": {"aws:PrincipalAccount": "111111111111", "aws:RequestedRegion": "us-east-1"}}}
    ctx = {"aws:principalaccount": "111111111111", "aws:requestedregion": "us-east-1"}
    assert evaluate([doc(st)], Request("s3:GetObject", None, ctx)) is Decision.ALLOW
    assert evaluate([doc(st)], Request("s3:GetObject", None, {**ctx, "aws:requestedregion": "eu-west-1"})) is Decision.NOT_APPLICABLE


def test_policy_variables_in_resource():
    st = {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::home/${aws:username}/*"}
    assert evaluate([doc(st)], Request("s3:GetObject", "arn:aws:s3:::home/ana/k", {"aws:username": "ana"})) is Decision.ALLOW
    assert evaluate([doc(st)], Request("s3:GetObject", "arn:aws:s3:::home/bob/k", {"aws:username": "ana"})) is Decision.NOT_APPLICABLE
    assert evaluate([doc(st)], Request("s3:GetObject", "arn:aws:s3:::home/ana/k", {})) is Decision.NOT_APPLICABLE


def test_unknown_operator_never_grants_but_denies():
    allow = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}
    assert evaluate([doc(allow)], Request("s3:GetObject", None)) is Decision.NOT_APPLICABLE
    deny = dict(allow, Effect="Deny")
    assert evaluate([doc(deny)], Request("s3:GetObject", None)) is Decision.DENY


ROLE = Principal(account="222222222222", arns=frozenset({"arn:aws:iam::222222222222:role/R", "arn:aws:sts::222222222222:assumed-role/R/s"}))


@pytest.mark.parametrize(
    ("element", "principal", "expected"),
    [
        ("*", ROLE, True),
        ({"AWS": "*"}, ROLE, True),
        ({"AWS": "arn:aws:iam::222222222222:root"}, ROLE, True),
        ({"AWS": "222222222222"}, ROLE, True),
        ({"AWS": "arn:aws:iam::111111111111:root"}, ROLE, False),
        ({"AWS": ["arn:aws:iam::222222222222:role/R"]}, ROLE, True),
        ({"AWS": "arn:aws:iam::222222222222:role/Other"}, ROLE, False),
        ({"AWS": "arn:aws:sts::222222222222:assumed-role/R/s"}, ROLE, True),
        ({"Service": "datazone.amazonaws.com"}, ROLE, False),
        ({"Service": "datazone.amazonaws.com"}, Principal(service="datazone.amazonaws.com"), True),
        ({"AWS": "arn:aws:iam::222222222222:root"}, Principal(account="222222222222", service="datazone.amazonaws.com"), False),
        ({"AWS": "*"}, None, False),
    ],
)
def test_principal_element(element, principal, expected):
    assert principal_matches(element, principal) is expected


def test_trust_policy_statement_with_principal_and_condition():
    trust = doc({"Effect": "Allow", "Principal": {"Service": "datazone.amazonaws.com"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}}})
    svc = Principal(service="datazone.amazonaws.com")
    assert evaluate([trust], Request("sts:AssumeRole", None, {"aws:sourceaccount": "111111111111"}, svc)) is Decision.ALLOW
    assert evaluate([trust], Request("sts:AssumeRole", None, {"aws:sourceaccount": "222222222222"}, svc)) is Decision.NOT_APPLICABLE
    assert evaluate([trust], Request("sts:AssumeRole", None, {}, svc)) is Decision.NOT_APPLICABLE
