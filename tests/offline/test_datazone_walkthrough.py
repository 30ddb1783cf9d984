"""The walkthrough's happy path through boto3 alone, against the offline stand-in.

:class:`Walkthrough` is also the scenario builder the other DataZone tests reuse: each step
is one method, acting as the persona the blog names (producer admin and publisher in the
producer account, consumer admin and subscriber in the consumer account).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from lab_helpers.offline.datazone import engines

from .conftest import CONSUMER, PRODUCER, REGION

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "datazone.amazonaws.com"},
                                                              "Action": ["sts:AssumeRole", "sts:TagSession"]}]})
ACCOUNT_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})


def ensure_role(session: boto3.Session, name: str, trust: str = ACCOUNT_TRUST) -> str:
    iam = session.client("iam")
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        return iam.get_role(RoleName=name)["Role"]["Arn"]


def persona(session_for: Callable[..., boto3.Session], account: str, role: str) -> boto3.Session:
    """A session of an IAM role that exists in its account (DataZone user profiles need that).

    ``session_for`` makes the role an administrator of its account (AdministratorAccess): the
    stand-in enforces IAM, and the walkthrough's personas create roles, domains, shares,
    buckets, tables and clusters.
    """
    return session_for(account, role)


def wait(get: Callable[[], dict[str, Any]], key: str, done: set[str], timeout: float = 10) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        item = get()
        if item.get(key) in done or time.time() > deadline:
            return item
        time.sleep(0.05)


def sql_rows(session: boto3.Session, cluster: str, secret: str, sql: str) -> list[list[Any]]:
    """Run ``sql`` through the Redshift Data API; its rows as plain values (fails on a failed statement)."""
    rsd = session.client("redshift-data")
    stmt = rsd.execute_statement(ClusterIdentifier=cluster, Database="dev", SecretArn=secret, Sql=sql)
    described = wait(lambda: rsd.describe_statement(Id=stmt["Id"]), "Status", {"FINISHED", "FAILED", "ABORTED"})
    assert described["Status"] == "FINISHED", described.get("Error")
    if not described.get("HasResultSet"):
        return []
    records = rsd.get_statement_result(Id=stmt["Id"])["Records"]
    return [[None if f.get("isNull") else next(iter(f.values())) for f in record] for record in records]


class Walkthrough:
    """The blog's steps as boto3 calls; ids are kept on the instance."""

    def __init__(self, session_for: Callable[..., boto3.Session], tag: str) -> None:
        self.tag = tag
        self.producer_admin = persona(session_for, PRODUCER, "DzProducerAdmin")
        self.publisher = persona(session_for, PRODUCER, "DzPublisher")
        self.consumer_admin = persona(session_for, CONSUMER, "DzConsumerAdmin")
        self.subscriber = persona(session_for, CONSUMER, "DzSubscriber")
        self.ids: dict[str, str] = {}

    @staticmethod
    def dz(session: boto3.Session):  # type: ignore[no-untyped-def]
        return session.client("datazone")

    def role_arn(self, session: boto3.Session) -> str:
        arn = session.client("sts").get_caller_identity()["Arn"]  # arn:aws:sts::acct:assumed-role/Role/session
        account, role = arn.split(":")[4], arn.split("/")[1]
        return f"arn:aws:iam::{account}:role/{role}"

    # step 1
    def create_domain(self) -> dict[str, Any]:
        role = ensure_role(self.producer_admin, "AmazonDataZoneDomainExecution", TRUST)
        dz = self.dz(self.producer_admin)
        created = dz.create_domain(name=f"Demo_cross_account_domain_{self.tag}", domainExecutionRole=role, domainVersion="V1")
        self.ids["domain"] = created["id"]
        self.domain_arn = created["arn"]
        return wait(lambda: dz.get_domain(identifier=created["id"]), "status", {"AVAILABLE", "CREATION_FAILED"})

    # steps 2-3
    def share_domain(self) -> dict[str, Any]:
        ram = self.producer_admin.client("ram")
        perms = ram.list_permissions(resourceType="datazone:Domain")["permissions"]
        perm = next(p["arn"] for p in perms if p["name"] == "AWSRAMPermissionAmazonDataZoneDomainFullAccessWithPortalAccess")
        share = ram.create_resource_share(
            name=f"DataZone-{self.tag}-{self.ids['domain']}", resourceArns=[self.domain_arn], principals=[CONSUMER],
            permissionArns=[perm], allowExternalPrincipals=True,
        )["resourceShare"]
        self.share_arn = share["resourceShareArn"]
        return share

    def accept_association(self) -> dict[str, Any]:
        ram = self.consumer_admin.client("ram")
        inv = next(i for i in ram.get_resource_share_invitations(resourceShareArns=[self.share_arn])["resourceShareInvitations"]
                   if i["status"] == "PENDING")
        return ram.accept_resource_share_invitation(resourceShareInvitationArn=inv["resourceShareInvitationArn"])["resourceShareInvitation"]

    def enable_blueprints(self, session: boto3.Session) -> dict[str, str]:
        dz = self.dz(session)
        account = session.client("sts").get_caller_identity()["Account"]
        manage = ensure_role(session, f"AmazonDataZoneGlueAccess-{REGION}-{self.ids['domain']}", TRUST)
        provisioning = ensure_role(session, f"AmazonDataZoneProvisioning-{PRODUCER}", TRUST)
        blueprints = {b["name"]: b["id"] for b in dz.list_environment_blueprints(domainIdentifier=self.ids["domain"], managed=True)["items"]}
        for name in ("DefaultDataLake", "DefaultDataWarehouse"):
            dz.put_environment_blueprint_configuration(
                domainIdentifier=self.ids["domain"], environmentBlueprintIdentifier=blueprints[name], enabledRegions=[REGION],
                manageAccessRoleArn=manage, provisioningRoleArn=provisioning,
                regionalParameters={REGION: {"S3Location": f"s3://datazone-{account}"}} if name == "DefaultDataLake" else {},
            )
            self.authorize_profiles(session, account, blueprints[name])
        self.blueprints = blueprints
        return blueprints

    def authorize_profiles(self, session: boto3.Session, account: str, blueprint_id: str) -> str:
        """The account lets every project of the domain (contributors and owners) create environment profiles from its configuration."""
        dz = self.dz(session)
        root = dz.get_domain(identifier=self.ids["domain"])["rootDomainUnitId"]
        return dz.add_policy_grant(
            domainIdentifier=self.ids["domain"], entityType="ENVIRONMENT_BLUEPRINT_CONFIGURATION", entityIdentifier=f"{account}:{blueprint_id}",
            policyType="CREATE_ENVIRONMENT_PROFILE", detail={"createEnvironmentProfile": {}},
            principal={"project": {"projectDesignation": "CONTRIBUTOR",
                                   "projectGrantFilter": {"domainUnitFilter": {"domainUnit": root, "includeChildDomainUnits": True}}}},
        )["grantId"]

    # step 4
    def add_users(self, who_all: tuple[str, ...] = ("publisher", "subscriber")) -> None:
        dz = self.dz(self.producer_admin)
        for who in who_all:
            arn = self.role_arn(getattr(self, who))
            self.ids[f"{who}_user"] = dz.create_user_profile(domainIdentifier=self.ids["domain"], userIdentifier=arn, userType="IAM_ROLE")["id"]

    # steps 5 and 8
    def create_project(self, session: boto3.Session, name: str) -> str:
        project = self.dz(session).create_project(domainIdentifier=self.ids["domain"], name=name)
        self.ids[name] = project["id"]
        return project["id"]

    def make_secret(self, session: boto3.Session, cluster: str, project: str) -> str:
        sm = session.client("secretsmanager")
        name = f"dz-{self.tag}-{cluster}-{project}"
        return sm.create_secret(
            Name=name, SecretString=json.dumps({"username": "admin", "password": "Passw0rd!"}),
            Tags=[{"Key": "DataZone.rs.cluster", "Value": f"{cluster}:dev"}, {"Key": "AmazonDataZoneProject", "Value": project},
                  {"Key": "AmazonDataZoneDomain", "Value": self.ids["domain"]}],
        )["ARN"]

    def make_cluster(self, session: boto3.Session, cluster: str) -> None:
        rs = session.client("redshift")
        try:
            rs.create_cluster(ClusterIdentifier=cluster, NodeType="ra3.xlplus", MasterUsername="admin", MasterUserPassword="Passw0rd!",
                              DBName="dev", Encrypted=True)
        except rs.exceptions.ClusterAlreadyExistsFault:
            pass

    # steps 6 and 9
    def create_environment(self, session: boto3.Session, project: str, kind: str, name: str, params: list[dict[str, str]] | None = None) -> dict[str, Any]:
        dz = self.dz(session)
        account = session.client("sts").get_caller_identity()["Account"]
        profile = dz.create_environment_profile(
            domainIdentifier=self.ids["domain"], name=f"{name}-profile", environmentBlueprintIdentifier=self.blueprints[kind],
            projectIdentifier=self.ids[project], awsAccountId=account, awsAccountRegion=REGION, userParameters=params or [],
        )
        env = dz.create_environment(domainIdentifier=self.ids["domain"], projectIdentifier=self.ids[project], name=name,
                                    environmentProfileIdentifier=profile["id"])
        self.ids[name] = env["id"]
        return wait(lambda: dz.get_environment(domainIdentifier=self.ids["domain"], identifier=env["id"]), "status",
                    {"ACTIVE", "CREATE_FAILED", "VALIDATION_FAILED"})

    def redshift_environment(self, session: boto3.Session, project: str, cluster: str, name: str) -> dict[str, Any]:
        self.make_cluster(session, cluster)
        secret = self.make_secret(session, cluster, self.ids[project])
        self.ids[f"{name}_secret"] = secret
        return self.create_environment(session, project, "DefaultDataWarehouse", name, [
            {"name": "dataAccessSecretsArn", "value": secret}, {"name": "dbName", "value": "dev"}, {"name": "clusterName", "value": cluster}])

    def sample_tables(self) -> None:
        """The publisher's sample tables: mkt_sls_table in Glue, rs_sls_tbl in Redshift."""
        glue = self.publisher.client("glue")
        try:  # other tests' walkthroughs share the producer account and the walkthrough's names
            glue.create_table(DatabaseName="glue_publish_environment_pub_db", TableInput={
                "Name": "mkt_sls_table",
                "StorageDescriptor": {"Columns": [{"Name": "region", "Type": "string"}, {"Name": "sales", "Type": "double"}],
                                      "Location": "s3://lab-bucket/mkt_sls_table/"},
                "TableType": "EXTERNAL_TABLE"})
        except glue.exceptions.AlreadyExistsException:
            pass
        schema = "datazone_env_redshift_publish_environment"
        sql = f"CREATE TABLE IF NOT EXISTS {schema}.rs_sls_tbl (region VARCHAR(20), sales DOUBLE PRECISION)"
        assert engines.redshift_engine_available(), "the stand-in's Redshift engine is missing"
        sql_rows(self.publisher, "producer-cluster", self.ids["Redshift_Publish_Environment_secret"], sql)

    # step 7
    def publish(self, project: str, env: str, kind: str, database: str, schema: str | None = None, table: str | None = None) -> dict[str, Any]:
        dz = self.dz(self.publisher)
        domain = self.ids["domain"]
        if kind == "GLUE":
            config = {"glueRunConfiguration": {"relationalFilterConfigurations": [{"databaseName": database, "filterExpressions": [{"type": "INCLUDE", "expression": "*"}]}]}}
        else:
            config = {"redshiftRunConfiguration": {
                "relationalFilterConfigurations": [{"databaseName": database, "schemaName": schema, "filterExpressions": [{"type": "INCLUDE", "expression": "*"}]}],
                "redshiftCredentialConfiguration": {"secretManagerArn": self.ids[f"{env}_secret"]},
                "redshiftStorage": {"redshiftClusterSource": {"clusterName": "producer-cluster"}}}}
        ds = dz.create_data_source(domainIdentifier=domain, projectIdentifier=self.ids[project], environmentIdentifier=self.ids[env],
                                   name=f"{kind.lower()}-publish-datasource", type=kind, configuration=config,
                                   recommendation={"enableBusinessNameGeneration": True})
        wait(lambda: dz.get_data_source(domainIdentifier=domain, identifier=ds["id"]), "status", {"READY"})
        run = dz.start_data_source_run(domainIdentifier=domain, dataSourceIdentifier=ds["id"])
        run = wait(lambda: dz.get_data_source_run(domainIdentifier=domain, identifier=run["id"]), "status", {"SUCCESS", "FAILED", "PARTIALLY_SUCCEEDED"})
        activities = dz.list_data_source_run_activities(domainIdentifier=domain, identifier=run["id"])["items"]
        table = table or ("mkt_sls_table" if kind == "GLUE" else "rs_sls_tbl")
        asset_id = next(a["dataAssetId"] for a in activities if a["technicalName"] == table)
        dz.accept_predictions(domainIdentifier=domain, identifier=asset_id, acceptRule={"rule": "ALL"})
        change = dz.create_listing_change_set(domainIdentifier=domain, entityIdentifier=asset_id, entityType="ASSET", action="PUBLISH")
        listing = wait(lambda: dz.get_listing(domainIdentifier=domain, identifier=change["listingId"]), "status", {"ACTIVE"})
        self.ids[f"{kind}_asset"], self.ids[f"{kind}_listing"] = asset_id, change["listingId"]
        return {"data_source": ds, "run": run, "activities": activities, "listing": listing}

    # step 10
    def subscribe(self, project: str, text: str) -> dict[str, Any]:
        dz = self.dz(self.subscriber)
        hits = dz.search_listings(domainIdentifier=self.ids["domain"], searchText=text)["items"]
        listing = next(h["assetListing"] for h in hits if h["assetListing"]["owningProjectId"] in (self.ids["Glue_Publish_Project"], self.ids["Redshift_Publish_Project"]))
        return dz.create_subscription_request(
            domainIdentifier=self.ids["domain"], subscribedPrincipals=[{"project": {"identifier": self.ids[project]}}],
            subscribedListings=[{"identifier": listing["listingId"]}], requestReason="Walkthrough analysis")

    def approve(self, request_id: str) -> dict[str, Any]:
        return self.dz(self.publisher).accept_subscription_request(domainIdentifier=self.ids["domain"], identifier=request_id,
                                                                  decisionComment="approved")

    def grants_of(self, listing_id: str) -> list[dict[str, Any]]:
        dz = self.dz(self.subscriber)
        items = dz.list_subscription_grants(domainIdentifier=self.ids["domain"], subscribedListingId=listing_id)["items"]
        return [wait(lambda g=g: dz.get_subscription_grant(domainIdentifier=self.ids["domain"], identifier=g["id"]), "status",
                     {"COMPLETED", "GRANT_FAILED"}) for g in items]

    def join(self) -> Walkthrough:
        """Steps 1-4: the domain, its association with the consumer account, blueprints in both, the users."""
        self.create_domain()
        self.share_domain()
        self.accept_association()
        self.enable_blueprints(self.producer_admin)
        self.enable_blueprints(self.consumer_admin)
        self.add_users()
        return self

    # everything up to published listings, consumer projects and environments
    def build(self) -> Walkthrough:
        self.join()
        self.create_project(self.publisher, "Glue_Publish_Project")
        self.create_project(self.publisher, "Redshift_Publish_Project")
        self.create_environment(self.publisher, "Glue_Publish_Project", "DefaultDataLake", "Glue_Publish_Environment")
        self.redshift_environment(self.publisher, "Redshift_Publish_Project", "producer-cluster", "Redshift_Publish_Environment")
        self.sample_tables()
        self.publish("Glue_Publish_Project", "Glue_Publish_Environment", "GLUE", "glue_publish_environment_pub_db")
        self.publish("Redshift_Publish_Project", "Redshift_Publish_Environment", "REDSHIFT", "dev", "datazone_env_redshift_publish_environment")
        self.create_project(self.subscriber, "Glue_Subscribe_Project")
        self.create_project(self.subscriber, "Redshift_Subscribe_Project")
        self.create_environment(self.subscriber, "Glue_Subscribe_Project", "DefaultDataLake", "glue_subscribe_environment")
        self.redshift_environment(self.subscriber, "Redshift_Subscribe_Project", "consumer-cluster", "redshift_subscribe_environment")
        return self


@pytest.fixture(scope="module")
def walk(session_for: Callable[..., boto3.Session]) -> Walkthrough:
    return Walkthrough(session_for, "happy")


def test_walkthrough_happy_path(walk: Walkthrough) -> None:
    domain = walk.create_domain()
    assert domain["status"] == "AVAILABLE" and domain["domainVersion"] == "V1"

    walk.share_domain()
    invitation = walk.accept_association()
    assert invitation["status"] == "ACCEPTED"
    consumer_view = walk.dz(walk.consumer_admin).get_domain(identifier=walk.ids["domain"])
    assert consumer_view["id"] == walk.ids["domain"]

    walk.enable_blueprints(walk.producer_admin)
    walk.enable_blueprints(walk.consumer_admin)
    walk.add_users()
    walk.create_project(walk.publisher, "Glue_Publish_Project")
    walk.create_project(walk.publisher, "Redshift_Publish_Project")

    glue_env = walk.create_environment(walk.publisher, "Glue_Publish_Project", "DefaultDataLake", "Glue_Publish_Environment")
    assert glue_env["status"] == "ACTIVE", glue_env.get("lastDeployment")
    resources = {r["name"]: r["value"] for r in glue_env["provisionedResources"]}
    assert resources["glueProducerDBName"] == "glue_publish_environment_pub_db"
    assert resources["glueConsumerDBName"] == "glue_publish_environment_sub_db"
    dbs = {d["Name"] for d in walk.publisher.client("glue").get_databases()["DatabaseList"]}
    assert {"glue_publish_environment_pub_db", "glue_publish_environment_sub_db"} <= dbs
    workgroup = walk.publisher.client("athena").get_work_group(WorkGroup=resources["athenaWorkgroupName"])["WorkGroup"]
    assert workgroup["Configuration"]["ResultConfiguration"]["OutputLocation"].startswith(f"s3://datazone-{PRODUCER}/")

    rs_env = walk.redshift_environment(walk.publisher, "Redshift_Publish_Project", "producer-cluster", "Redshift_Publish_Environment")
    assert rs_env["status"] == "ACTIVE", rs_env.get("lastDeployment")
    walk.sample_tables()

    glue = walk.publish("Glue_Publish_Project", "Glue_Publish_Environment", "GLUE", "glue_publish_environment_pub_db")
    assert glue["run"]["status"] == "SUCCESS"
    assert ("mkt_sls_table", "SUCCEEDED_CREATED") in [(a["technicalName"], a["dataAssetStatus"]) for a in glue["activities"]]
    assert glue["listing"]["name"] == "Market Sales Table"
    rs = walk.publish("Redshift_Publish_Project", "Redshift_Publish_Environment", "REDSHIFT", "dev", "datazone_env_redshift_publish_environment")
    assert "rs_sls_tbl" in [a["technicalName"] for a in rs["activities"]]
    assert rs["listing"]["name"] == "Sales Table"
    asset = walk.dz(walk.publisher).get_asset(domainIdentifier=walk.ids["domain"], identifier=walk.ids["GLUE_asset"])
    assert asset["listing"]["listingStatus"] == "ACTIVE"
    assert any(f["formName"] == "GlueTableForm" and "sales" in f["content"] for f in asset["formsOutput"])

    walk.create_project(walk.subscriber, "Glue_Subscribe_Project")
    walk.create_project(walk.subscriber, "Redshift_Subscribe_Project")
    sub_env = walk.create_environment(walk.subscriber, "Glue_Subscribe_Project", "DefaultDataLake", "glue_subscribe_environment")
    assert sub_env["status"] == "ACTIVE" and sub_env["awsAccountId"] == CONSUMER
    rs_sub_env = walk.redshift_environment(walk.subscriber, "Redshift_Subscribe_Project", "consumer-cluster", "redshift_subscribe_environment")
    assert rs_sub_env["status"] == "ACTIVE", rs_sub_env.get("lastDeployment")

    glue_request = walk.subscribe("Glue_Subscribe_Project", "Market Sales")
    assert glue_request["status"] == "PENDING"
    assert glue_request["subscribedListings"][0]["id"] == walk.ids["GLUE_listing"]
    rs_request = walk.subscribe("Redshift_Subscribe_Project", "rs_sls_tbl")
    assert rs_request["subscribedListings"][0]["id"] == walk.ids["REDSHIFT_listing"]

    pending = walk.dz(walk.publisher).list_subscription_requests(domainIdentifier=walk.ids["domain"], status="PENDING",
                                                                  approverProjectId=walk.ids["Glue_Publish_Project"])["items"]
    assert [r["id"] for r in pending] == [glue_request["id"]]
    assert walk.approve(glue_request["id"])["status"] == "ACCEPTED"
    assert walk.approve(rs_request["id"])["status"] == "ACCEPTED"

    subs = walk.dz(walk.subscriber).list_subscriptions(domainIdentifier=walk.ids["domain"], status="APPROVED")["items"]
    assert {s["subscribedListing"]["id"] for s in subs} == {walk.ids["GLUE_listing"], walk.ids["REDSHIFT_listing"]}

    for kind, env in (("GLUE", "glue_subscribe_environment"), ("REDSHIFT", "redshift_subscribe_environment")):
        found = walk.grants_of(walk.ids[f"{kind}_listing"])
        assert len(found) == 1 and found[0]["environmentId"] == walk.ids[env]
        grant = found[0]
        # The engines are real: a grant must complete (GRANT_FAILED is a failure, never an accepted outcome).
        assert grant["status"] == "COMPLETED", grant["assets"]
        assert [a["status"] for a in grant["assets"]] == ["GRANTED"]

    # After the grant the subscriber reads exactly the producer's rows through its own cluster and schema.
    table = "datazone_env_redshift_publish_environment.rs_sls_tbl"
    sql_rows(walk.publisher, "producer-cluster", walk.ids["Redshift_Publish_Environment_secret"],
             f"INSERT INTO {table} VALUES ('Europe', 10.5), ('Asia Pacific', 2.25), (NULL, 0)")
    published = sql_rows(walk.publisher, "producer-cluster", walk.ids["Redshift_Publish_Environment_secret"],
                         f"SELECT region, sales FROM {table} ORDER BY region NULLS LAST, sales")
    read = sql_rows(walk.subscriber, "consumer-cluster", walk.ids["redshift_subscribe_environment_secret"],
                    'SELECT region, sales FROM "dev"."datazone_env_redshift_subscribe_environment"."rs_sls_tbl" '
                    "ORDER BY region NULLS LAST, sales")
    assert ["Europe", 10.5] in read and ["Asia Pacific", 2.25] in read and [None, 0.0] in read
    assert read == published

    # The Redshift grant's datashare: outbound in the producer account, inbound in the consumer account.
    for session in (walk.producer_admin, walk.consumer_admin):
        shares = [s for s in session.client("redshift").describe_data_shares()["DataShares"] if "rs_sls_tbl" in s["DataShareArn"]]
        assert len(shares) == 1 and shares[0]["DataShareArn"].split(":")[4] == PRODUCER
        assert [(a["ConsumerIdentifier"], a["Status"]) for a in shares[0]["DataShareAssociations"]] == [(CONSUMER, "ACTIVE")]
