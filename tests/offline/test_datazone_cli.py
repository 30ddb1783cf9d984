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


def test_a_public_script_creates_a_domain_then_projects_with_the_domain_accounts_credentials(endpoint: str) -> None:
    """AWS's CLI tutorial 059 shape, unchanged: role, domain, then projects, with whatever credentials the
    CLI has (here: the organization's management account). No user profile is made first: principals of
    the domain's own account reach a V1 domain directly. (The tutorial's next failure, CreateEnvironmentProfile
    without a policy grant, is pinned in test_datazone_authorization.py.)"""
    anyone = boto3.Session(aws_access_key_id="AKIDSCRIPTEXAMPLE", aws_secret_access_key="x", region_name=REGION)
    me = cli(anyone, endpoint, "sts", "get-caller-identity")
    account = me["Account"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "datazone.amazonaws.com"},
                                                      "Action": ["sts:AssumeRole", "sts:TagSession"],
                                                      "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}
    role = cli(anyone, endpoint, "iam", "create-role", "--role-name", "DataZoneTutorialExecution",
               "--assume-role-policy-document", json.dumps(trust))["Role"]["Arn"]
    domain = cli(anyone, endpoint, "datazone", "create-domain", "--name", "tutorial_domain",
                 "--domain-execution-role", role)
    project = cli(anyone, endpoint, "datazone", "create-project", "--domain-identifier", domain["id"],
                  "--name", "TutorialProject")
    assert project["domainId"] == domain["id"]
    listed = cli(anyone, endpoint, "datazone", "list-projects", "--domain-identifier", domain["id"])
    assert [p["name"] for p in listed["items"]] == ["TutorialProject"]
