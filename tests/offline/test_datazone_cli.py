"""The AWS CLI (botocore underneath) reaches the offline DataZone like any client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import boto3

from .conftest import REGION
from .test_datazone_walkthrough import TRUST, Walkthrough, ensure_role

AWS = Path(sys.executable).with_name("aws")


def cli(session: boto3.Session, endpoint: str, *args: str) -> dict:
    creds = session.get_credentials().get_frozen_credentials()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": creds.access_key, "AWS_SECRET_ACCESS_KEY": creds.secret_key,
        "AWS_SESSION_TOKEN": creds.token or "", "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    done = subprocess.run([str(AWS), *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout or "{}")


def test_cli_creates_lists_and_searches(endpoint: str, session_for: Callable[..., boto3.Session]) -> None:
    w = Walkthrough(session_for, "cli")
    role = ensure_role(w.producer_admin, "AmazonDataZoneDomainExecution", TRUST)
    created = cli(w.producer_admin, endpoint, "datazone", "create-domain", "--name", "cli_domain", "--domain-execution-role", role,
                  "--domain-version", "V1")
    assert created["id"].startswith("dzd_")
    listed = cli(w.producer_admin, endpoint, "datazone", "list-domains")
    assert created["id"] in [d["id"] for d in listed["items"]]
    w.ids["domain"] = created["id"]
    w.add_users(("publisher",))
    found = cli(w.publisher, endpoint, "datazone", "search-listings", "--domain-identifier", created["id"], "--search-text", "sales")
    assert found.get("items", []) == []

    w.enable_blueprints(w.producer_admin)
    w.create_project(w.publisher, "Glue_Publish_Project")
    w.create_environment(w.publisher, "Glue_Publish_Project", "DefaultDataLake", "Cli_Environment")
    w.publisher.client("glue").create_table(DatabaseName="cli_environment_pub_db", TableInput={
        "Name": "mkt_sls_table", "StorageDescriptor": {"Columns": [{"Name": "sales", "Type": "double"}]}})
    w.publish("Glue_Publish_Project", "Cli_Environment", "GLUE", "cli_environment_pub_db")
    found = cli(w.publisher, endpoint, "datazone", "search-listings", "--domain-identifier", created["id"], "--search-text", "sales")
    assert [i["assetListing"]["name"] for i in found["items"]] == ["Market Sales Table"]
