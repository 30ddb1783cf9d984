"""Lake Formation on DataZone's environment databases, enforced by Athena as the query's caller.

Each rule has a refusal and an admission: CREATE_TABLE on a governed database for CTAS,
CREATE EXTERNAL TABLE and CREATE VIEW; SELECT on a governed table (through a resource link:
DESCRIBE on the link, SELECT on the target, and across accounts the owner's grant); DROP and
INSERT on a governed table; databases Lake Formation does not govern stay IAM-only.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from .conftest import CONSUMER, PRODUCER, REGION
from .test_datazone_walkthrough import Walkthrough

PUB_DB, SUB_DB, TABLE = "lf_pub_env_pub_db", "lf_sub_env_sub_db", "lf_sales"
ROWS = 40
VALUES = ", ".join(
    f"({i}, {i * 10 + 5}, {i * 1.5}, {i}.25e0, 'region_{i % 4}', DATE '2024-01-{i % 28 + 1:02d}')" for i in range(ROWS)
)
CTAS = (
    f"CREATE TABLE {PUB_DB}.{TABLE} WITH (format='PARQUET') AS SELECT * FROM (VALUES {VALUES}) "
    "AS t(id, units, price, ratio, region, sale_date)"
)


class Lab:
    """A domain with a publishing and a subscribing DefaultDataLake environment (own names)."""

    def __init__(self, session_for: Callable[..., boto3.Session]) -> None:
        w = self.w = Walkthrough(session_for, "lakeformation").join()
        for session, account in ((w.producer_admin, PRODUCER), (w.consumer_admin, CONSUMER)):
            s3 = session.client("s3")
            try:
                s3.create_bucket(Bucket=f"datazone-{account}")
            except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
                pass
        w.create_project(w.publisher, "Glue_Publish_Project")
        self.pub_env = w.create_environment(w.publisher, "Glue_Publish_Project", "DefaultDataLake", "lf_pub_env")
        w.create_project(w.subscriber, "Glue_Subscribe_Project")
        self.sub_env = w.create_environment(w.subscriber, "Glue_Subscribe_Project", "DefaultDataLake", "lf_sub_env")
        assert self.pub_env["status"] == self.sub_env["status"] == "ACTIVE"

    @staticmethod
    def resource(env: dict[str, Any], name: str) -> str:
        return next(r["value"] for r in env["provisionedResources"] if r["name"] == name)

    def env_session(self, member: boto3.Session, env: dict[str, Any]) -> boto3.Session:
        """The environment's user role, as DataZone's GetEnvironmentCredentials hands it out."""
        creds = member.client("datazone").get_environment_credentials(domainIdentifier=self.w.ids["domain"], environmentIdentifier=env["id"])
        return boto3.Session(aws_access_key_id=creds["accessKeyId"], aws_secret_access_key=creds["secretAccessKey"],
                             aws_session_token=creds["sessionToken"], region_name=REGION)

    @property
    def pub_role(self) -> boto3.Session:
        return self.env_session(self.w.publisher, self.pub_env)

    @property
    def sub_role(self) -> boto3.Session:
        return self.env_session(self.w.subscriber, self.sub_env)


def query(session: boto3.Session, sql: str, env: dict[str, Any], database: str | None = None) -> dict[str, Any]:
    """Run ``sql`` in the environment's workgroup (its result location) and wait for the end."""
    athena = session.client("athena")
    context = {"QueryExecutionContext": {"Database": database}} if database else {}
    qid = athena.start_query_execution(QueryString=sql, WorkGroup=Lab.resource(env, "athenaWorkgroupName"), **context)["QueryExecutionId"]
    deadline = time.time() + 30
    while True:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED") or time.time() > deadline:
            return execution


def rows(session: boto3.Session, execution: dict[str, Any]) -> list[list[str | None]]:
    result = session.client("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    return [[c.get("VarCharValue") for c in r["Data"]] for r in result["ResultSet"]["Rows"]]


def refused(execution: dict[str, Any], needle: str, hive_ddl: bool = False) -> None:
    """FAILED by Lake Formation: Athena's permission error (a Hive DDL statement reports Glue's refusal)."""
    status = execution["Status"]
    assert status["State"] == "FAILED", status
    prefix = "FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. MetaException(message:" \
        if hive_ddl else "Insufficient permissions to execute the query. "
    assert status["StateChangeReason"].startswith(prefix), status["StateChangeReason"]
    assert needle in status["StateChangeReason"], status["StateChangeReason"]
    assert status["AthenaError"]["ErrorType"] == 1500 and status["AthenaError"]["ErrorCategory"] == 2


def succeeded(execution: dict[str, Any]) -> None:
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]


def role_of(session: boto3.Session) -> str:
    arn = session.client("sts").get_caller_identity()["Arn"]
    return f"arn:aws:iam::{arn.split(':')[4]}:role/{arn.split('/')[1]}"


def of_this_table(grants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grants on this module's table (other tests' subscriptions grant to the same consumer account)."""
    return [p for p in grants if p["Resource"].get("Table", {}).get("Name") == TABLE]


def permissions(session: boto3.Session, who: str) -> list[dict[str, Any]]:
    """``ListPermissions`` of the session's account, those of ``who`` (the API wants a Resource with a Principal)."""
    listed = session.client("lakeformation").list_permissions()["PrincipalResourcePermissions"]
    return [p for p in listed if p["Principal"]["DataLakePrincipalIdentifier"] == who]


@pytest.fixture(scope="module")
def lab(session_for: Callable[..., boto3.Session]) -> Lab:
    return Lab(session_for)


@pytest.fixture(scope="module")
def published(lab: Lab) -> Lab:
    """The environment role made the table by CTAS and the publisher published it."""
    execution = query(lab.pub_role, CTAS, lab.pub_env)
    succeeded(execution)
    lab.w.publish("Glue_Publish_Project", "lf_pub_env", "GLUE", PUB_DB, table=TABLE)
    return lab


def test_environment_provisioning_grants_the_user_role_its_databases(lab: Lab) -> None:
    role = Lab.resource(lab.pub_env, "userRoleArn")
    granted = {p["Resource"]["Database"]["Name"]: sorted(p["Permissions"]) for p in permissions(lab.w.producer_admin, role) if "Database" in p["Resource"]}
    assert granted == {PUB_DB: ["ALTER", "CREATE_TABLE", "DESCRIBE", "DROP"], "lf_pub_env_sub_db": ["ALTER", "CREATE_TABLE", "DESCRIBE", "DROP"]}
    admins = lab.w.producer_admin.client("lakeformation").get_data_lake_settings()["DataLakeSettings"]["DataLakeAdmins"]
    assert {"DataLakePrincipalIdentifier": f"arn:aws:iam::{PRODUCER}:role/AmazonDataZoneGlueAccess-{REGION}-{lab.w.ids['domain']}"} in admins
    database = lab.w.publisher.client("glue").get_database(Name=PUB_DB)["Database"]
    assert database["CreateTableDefaultPermissions"] == []  # no IAMAllowedPrincipals: Lake Formation governs it


def test_ctas_into_the_environment_database_needs_create_table(lab: Lab) -> None:
    """The publisher's own role is not the environment's: Lake Formation refuses, the table is not made."""
    refused(query(lab.w.publisher, CTAS.replace(TABLE, "by_publisher"), lab.pub_env),
            f"Insufficient Lake Formation permission(s): Required Create Table on {PUB_DB}")
    glue = lab.w.publisher.client("glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_table(DatabaseName=PUB_DB, Name="by_publisher")


def test_environment_role_ctas_writes_under_the_environment_location(published: Lab) -> None:
    lab = published
    table = lab.w.publisher.client("glue").get_table(DatabaseName=PUB_DB, Name=TABLE)["Table"]
    s3_path = Lab.resource(lab.pub_env, "s3BucketPath")
    assert s3_path.startswith(f"s3://datazone-{PRODUCER}/") and table["StorageDescriptor"]["Location"].startswith(f"{s3_path}/")
    # Trino's literal types: 1.5 is a decimal, 1.25e0 a double, 'x' a varchar (Glue: string)
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("id", "int"), ("units", "int"), ("price", "decimal(3,1)"), ("ratio", "double"), ("region", "string"), ("sale_date", "date")]
    role = lab.pub_role
    result = query(role, f"SELECT COUNT(*), SUM(units), MIN(sale_date), MAX(region), SUM(ratio) FROM {TABLE}", lab.pub_env, PUB_DB)
    succeeded(result)
    assert rows(role, result)[1] == [str(ROWS), str(sum(i * 10 + 5 for i in range(ROWS))), "2024-01-01", "region_3", str(sum(i + 0.25 for i in range(ROWS)))]
    creator = {p["Resource"]["Table"]["Name"]: p["Permissions"] for p in permissions(lab.w.producer_admin, Lab.resource(lab.pub_env, "userRoleArn"))
               if "Table" in p["Resource"]}
    assert creator[TABLE] == ["ALL"]  # a table's creator holds all permissions on it


def test_select_in_a_governed_database_needs_select(published: Lab) -> None:
    refused(query(published.w.publisher, f"SELECT COUNT(*) FROM {PUB_DB}.{TABLE}", published.pub_env),
            f"Insufficient Lake Formation permission(s) on {TABLE}")


def test_subscriber_reads_through_sub_db_after_the_grant_and_not_after_revoke(published: Lab) -> None:
    lab, w = published, published.w
    d = w.ids["domain"]
    select = f"SELECT region, COUNT(*) AS n FROM {SUB_DB}.{TABLE} GROUP BY region ORDER BY region"
    before = query(lab.sub_role, select, lab.sub_env)
    assert before["Status"]["State"] == "FAILED"
    assert before["Status"]["StateChangeReason"] == f"TABLE_NOT_FOUND: line 1:35: Table 'awsdatacatalog.{SUB_DB}.{TABLE}' does not exist", before

    request = w.dz(w.subscriber).create_subscription_request(
        domainIdentifier=d, subscribedPrincipals=[{"project": {"identifier": w.ids["Glue_Subscribe_Project"]}}],
        subscribedListings=[{"identifier": w.ids["GLUE_listing"]}], requestReason="Lake Formation test")
    w.approve(request["id"])
    assert [g["status"] for g in w.grants_of(w.ids["GLUE_listing"])] == ["COMPLETED"]

    sub_role = Lab.resource(lab.sub_env, "userRoleArn")
    held = {(p["Resource"]["Table"]["CatalogId"], p["Resource"]["Table"]["DatabaseName"]): sorted(p["Permissions"])
            for p in permissions(w.consumer_admin, sub_role) if "Table" in p["Resource"]}
    assert held == {(PRODUCER, PUB_DB): ["DESCRIBE", "SELECT"], (CONSUMER, SUB_DB): ["DESCRIBE"]}
    account_grant = of_this_table(permissions(w.producer_admin, CONSUMER))
    assert [sorted(p["PermissionsWithGrantOption"]) for p in account_grant] == [["DESCRIBE", "SELECT"]]

    after = query(lab.sub_role, select, lab.sub_env)
    succeeded(after)
    assert rows(lab.sub_role, after)[1:] == [[f"region_{i}", str(ROWS // 4)] for i in range(4)]
    # the subscriber's own role is not the environment's: the grant is not to it
    refused(query(w.subscriber, select, lab.sub_env), f"Insufficient Lake Formation permission(s) on {TABLE}")

    sub = w.dz(w.subscriber).list_subscriptions(domainIdentifier=d, subscribedListingId=w.ids["GLUE_listing"], status="APPROVED")["items"][0]
    w.dz(w.publisher).revoke_subscription(domainIdentifier=d, identifier=sub["id"])
    assert of_this_table(permissions(w.consumer_admin, sub_role)) == []  # the table and its link (other tests add links)
    assert of_this_table(permissions(w.producer_admin, CONSUMER)) == []
    gone = query(lab.sub_role, select, lab.sub_env)
    assert gone["Status"]["State"] == "FAILED"  # the revoke removed the resource link: as before the grant
    assert gone["Status"]["StateChangeReason"] == before["Status"]["StateChangeReason"]


def test_resource_link_needs_describe_on_link_select_on_target_and_the_owner_grant(published: Lab) -> None:
    """A link made by hand in the governed sub_db: each Lake Formation grant in the chain is needed."""
    lab, w = published, published.w
    link = f"link_{uuid.uuid4().hex[:6]}"
    w.consumer_admin.client("glue").create_table(DatabaseName=SUB_DB, TableInput={
        "Name": link, "TargetTable": {"CatalogId": PRODUCER, "DatabaseName": PUB_DB, "Name": TABLE, "Region": REGION}})
    role = Lab.resource(lab.sub_env, "userRoleArn")
    consumer_lf, producer_lf = w.consumer_admin.client("lakeformation"), w.producer_admin.client("lakeformation")
    target = {"Table": {"CatalogId": PRODUCER, "DatabaseName": PUB_DB, "Name": TABLE}}
    select = f"SELECT COUNT(*) FROM {SUB_DB}.{link}"

    refused(query(lab.sub_role, select, lab.sub_env), f"on {link}")  # no DESCRIBE on the link
    consumer_lf.grant_permissions(Principal={"DataLakePrincipalIdentifier": role}, Permissions=["DESCRIBE"],
                                  Resource={"Table": {"CatalogId": CONSUMER, "DatabaseName": SUB_DB, "Name": link}})
    refused(query(lab.sub_role, select, lab.sub_env), f"on {TABLE}")  # no SELECT on the target
    consumer_lf.grant_permissions(Principal={"DataLakePrincipalIdentifier": role}, Permissions=["SELECT"], Resource=target)
    refused(query(lab.sub_role, select, lab.sub_env), f"on {TABLE}")  # the producer has not shared it
    producer_lf.grant_permissions(Principal={"DataLakePrincipalIdentifier": CONSUMER}, Permissions=["SELECT"],
                                  PermissionsWithGrantOption=["SELECT"], Resource=target)
    try:
        admitted = query(lab.sub_role, select, lab.sub_env)
        succeeded(admitted)
        assert rows(lab.sub_role, admitted)[1] == [str(ROWS)]
    finally:
        producer_lf.revoke_permissions(Principal={"DataLakePrincipalIdentifier": CONSUMER}, Permissions=["SELECT"],
                                       PermissionsWithGrantOption=["SELECT"], Resource=target)
        consumer_lf.revoke_permissions(Principal={"DataLakePrincipalIdentifier": role}, Permissions=["SELECT"], Resource=target)


def test_views_external_tables_insert_and_drop_follow_lake_formation(published: Lab) -> None:
    lab, publisher = published, published.w.publisher
    role = lab.pub_role
    view = f"CREATE VIEW {PUB_DB}.lf_view AS SELECT region, units FROM {PUB_DB}.{TABLE}"
    refused(query(publisher, view, lab.pub_env), f"Required Create Table on {PUB_DB}")
    succeeded(query(role, view, lab.pub_env))
    succeeded(query(role, f"SELECT COUNT(*) FROM {PUB_DB}.lf_view", lab.pub_env))
    refused(query(publisher, f"SELECT COUNT(*) FROM {PUB_DB}.lf_view", lab.pub_env), "on lf_view")

    external = (f"CREATE EXTERNAL TABLE {PUB_DB}.lf_ext (a int) STORED AS PARQUET "
                f"LOCATION '{Lab.resource(lab.pub_env, 's3BucketPath')}/lf_ext/'")
    refused(query(publisher, external, lab.pub_env), f"Required Create Table on {PUB_DB}", hive_ddl=True)
    succeeded(query(role, external, lab.pub_env))

    insert = f"INSERT INTO {PUB_DB}.{TABLE} VALUES (999, 1, 1.0, 2.5e0, 'x', DATE '2024-02-01')"
    refused(query(publisher, insert, lab.pub_env), f"on {TABLE}")
    succeeded(query(role, insert, lab.pub_env))

    refused(query(publisher, f"DROP TABLE {PUB_DB}.lf_ext", lab.pub_env), "Insufficient Lake Formation permission(s) on lf_ext", hive_ddl=True)
    succeeded(query(role, f"DROP TABLE {PUB_DB}.lf_ext", lab.pub_env))
    assert not [p for p in permissions(lab.w.producer_admin, role_of(role)) if p["Resource"].get("Table", {}).get("Name") == "lf_ext"]


def test_databases_without_lake_formation_stay_iam_only(lab: Lab) -> None:
    """A database made without CreateTableDefaultPermissions keeps IAMAllowedPrincipals; one made governed does not."""
    glue = lab.w.publisher.client("glue")
    plain, governed = f"lf_plain_{uuid.uuid4().hex[:6]}", f"lf_gov_{uuid.uuid4().hex[:6]}"
    glue.create_database(DatabaseInput={"Name": plain})
    glue.create_database(DatabaseInput={"Name": governed, "CreateTableDefaultPermissions": []})
    ctas = "CREATE TABLE {db}.t AS SELECT 1 AS a"
    succeeded(query(lab.w.publisher, ctas.format(db=plain), lab.pub_env))
    succeeded(query(lab.w.publisher, f"SELECT a FROM {plain}.t", lab.pub_env))
    refused(query(lab.w.publisher, ctas.format(db=governed), lab.pub_env), f"Required Create Table on {governed}")
    # hybrid: granting IAMAllowedPrincipals on the database hands it back to IAM
    lab.w.producer_admin.client("lakeformation").grant_permissions(
        Principal={"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, Permissions=["ALL"],
        Resource={"Database": {"CatalogId": PRODUCER, "Name": governed}})
    succeeded(query(lab.w.publisher, ctas.format(db=governed), lab.pub_env))
