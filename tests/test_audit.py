"""The audit's tables in a room, on DataZone answers shaped as the API's: each row names its consumer account."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lab_helpers import audit

A, B, C = "222222222222", "333333333333", "444444444444"
LISTINGS = {"l-glue": "mkt_sls_table", "l-rs": "rs_sls_tbl"}


class FakeDataZone:
    """Two consumer accounts' subscribers asked for both listings; A's are approved and granted, B's pending."""

    def __init__(self) -> None:
        self.requests = {f"r-{who}-{listing}": {"id": f"r-{who}-{listing}", "createdBy": f"u-{who}",
                                                 "createdAt": 1_700_000_000, "requestReason": "why",
                                                 "status": "ACCEPTED" if who == "a" else "PENDING",
                                                 "reviewerId": "u-pub" if who == "a" else None,
                                                 "updatedAt": 1_700_000_100,
                                                 "subscribedListings": [{"id": listing, "name": listing}],
                                                 "subscribedPrincipals": [{"project": {"id": f"p-{who}", "name": "P"}}]}
                         for who in ("a", "b") for listing in LISTINGS}
        self.users = {"u-a": f"arn:aws:iam::{A}:role/LabSubscriber", "u-b": f"arn:aws:iam::{B}:role/LabSubscriber",
                      "u-pub": "arn:aws:iam::111111111111:role/LabPublisher"}

    def can_paginate(self, operation: str) -> bool:
        return False

    def list_subscription_requests(self, status: str, **_: Any) -> dict[str, Any]:
        return {"items": [r for r in self.requests.values() if r["status"] == status]}

    def get_subscription_request_details(self, identifier: str, **_: Any) -> dict[str, Any]:
        return self.requests[identifier]

    def get_user_profile(self, userIdentifier: str, **_: Any) -> dict[str, Any]:
        return {"details": {"iam": {"arn": self.users[userIdentifier]}}}

    def list_subscriptions(self, **_: Any) -> dict[str, Any]:
        return {"items": [{"id": f"s-{listing}", "subscriptionRequestId": f"r-a-{listing}", "status": "APPROVED",
                           "subscribedListing": {"id": listing}, "subscribedPrincipal": {"project": {"id": "p-a"}},
                           "createdAt": 1_700_000_100} for listing in LISTINGS]}

    def list_subscription_grants(self, subscribedListingId: str, **_: Any) -> dict[str, Any]:
        return {"items": [{"id": f"g-{subscribedListingId}", "subscriptionId": f"s-{subscribedListingId}",
                           "environmentId": "e-a", "status": "COMPLETED", "assets": [{"status": "GRANTED"}],
                           "createdAt": 1_700_000_200, "updatedAt": 1_700_000_300}]}


def test_each_request_subscription_and_grant_names_its_consumer_account():
    dzc = FakeDataZone()
    requests = audit.subscription_requests(dzc, "dzd_x", ["p-pub"], profiles=dzc, assets=LISTINGS)
    assert sorted(zip(requests["account"], requests["status"])) == [(A, "ACCEPTED")] * 2 + [(B, "PENDING")] * 2
    subscriptions = audit.subscriptions(dzc, "dzd_x", ["p-pub"], LISTINGS, requests=requests)
    grants = audit.subscription_grants(dzc, "dzd_x", LISTINGS, subscriptions)
    assert list(subscriptions["account"]) == list(grants["account"]) == [A, A]
    unnamed = audit.subscription_requests(dzc, "dzd_x", ["p-pub"], assets=LISTINGS)  # no profile reader: unknown
    assert set(unnamed["account"]) == {""}
    by_env = audit.subscription_grants(dzc, "dzd_x", LISTINGS, environments={"e-a": A})  # subscriptionId aside
    assert list(by_env["account"]) == [A, A]


def test_one_row_per_consumer_account_and_a_consumer_that_asked_nothing_shows_nothing():
    dzc = FakeDataZone()
    requests = audit.subscription_requests(dzc, "dzd_x", ["p-pub"], profiles=dzc, assets=LISTINGS)
    grants = audit.subscription_grants(dzc, "dzd_x", LISTINGS, audit.subscriptions(dzc, "dzd_x", ["p-pub"], LISTINGS,
                                                                                   requests=requests))
    queries = pd.DataFrame([{"account": A, "table": "mkt_sls_table", "state": "SUCCEEDED"},
                            {"account": A, "table": "rs_sls_tbl", "state": "FINISHED"},
                            {"account": B, "table": "mkt_sls_table", "state": "FAILED"}])
    rows = audit.by_account([A, B, C], requests, grants, queries, histories=[A, B]).to_dict("records")
    both = "mkt_sls_table, rs_sls_tbl"
    assert rows == [
        {"account": A, "requested": both, "approved": both, "granted": both, "read": both},
        {"account": B, "requested": both, "approved": "", "granted": "", "read": ""},
        {"account": C, "requested": "", "approved": "", "granted": "", "read": audit.UNSEEN},
    ]
