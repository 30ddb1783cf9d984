"""The Redshift Data API stand-in runs SQL for real, per account, through boto3 and awswrangler."""

from __future__ import annotations

import io
import itertools
import time
import uuid

import awswrangler as wr
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from lab_helpers.sample_data import generate_sales

from .conftest import CONSUMER, PRODUCER, REGION

_counter = itertools.count()

SALES_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    order_id BIGINT ENCODE az64 DISTKEY,
    order_date DATE ENCODE az64,
    region VARCHAR(64) ENCODE lzo,
    channel VARCHAR(32),
    campaign VARCHAR(64),
    product_category VARCHAR(64),
    units INTEGER,
    revenue DOUBLE PRECISION
) DISTSTYLE KEY COMPOUND SORTKEY (order_date, order_id)
"""


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


class Warehouse:
    """A cluster plus its admin secret in one account, and helpers to run SQL on it."""

    def __init__(self, session, account_id: str, cluster_id: str | None = None) -> None:
        self.session = session
        self.account_id = account_id
        self.cluster_id = cluster_id or unique("lab-rs")
        self.copy_role = f"arn:aws:iam::{account_id}:role/RedshiftCopy"
        session.client("redshift").create_cluster(
            IamRoles=[self.copy_role],
            ClusterIdentifier=self.cluster_id,
            NodeType="ra3.xlplus",
            ClusterType="single-node",
            MasterUsername="awsuser",
            MasterUserPassword="Passw0rd-lab",
            DBName="dev",
            Encrypted=True,
        )
        self.secret_arn = session.client("secretsmanager").create_secret(
            Name=unique("redshift-admin"), SecretString='{"username": "awsuser", "password": "Passw0rd-lab"}'
        )["ARN"]
        self.client = session.client("redshift-data")

    def submit(self, sql: str, **extra) -> str:
        return self.client.execute_statement(
            ClusterIdentifier=self.cluster_id, Database="dev", SecretArn=self.secret_arn, Sql=sql, **extra
        )["Id"]

    def wait(self, statement_id: str) -> dict:
        for _ in range(50):
            described = self.client.describe_statement(Id=statement_id)
            if described["Status"] in ("FINISHED", "FAILED", "ABORTED"):
                return described
            time.sleep(0.05)
        raise AssertionError(f"statement {statement_id} never finished")

    def run(self, sql: str, **extra) -> dict:
        described = self.wait(self.submit(sql, **extra))
        assert described["Status"] == "FINISHED", described.get("Error")
        return described

    def fail(self, sql: str) -> str:
        described = self.wait(self.submit(sql))
        assert described["Status"] == "FAILED"
        return described["Error"]

    def connect(self):
        return wr.data_api.redshift.connect(
            cluster_id=self.cluster_id, database="dev", secret_arn=self.secret_arn, boto3_session=self.session
        )

    def frame(self, sql: str) -> pd.DataFrame:
        return wr.data_api.redshift.read_sql_query(sql, con=self.connect())


@pytest.fixture
def warehouse(producer) -> Warehouse:
    return Warehouse(producer, PRODUCER)


@pytest.fixture
def consumer_warehouse(consumer) -> Warehouse:
    return Warehouse(consumer, CONSUMER)


def insert_sql(table: str, frame: pd.DataFrame) -> str:
    def literal(value) -> str:
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        return str(value) if not hasattr(value, "isoformat") else f"'{value.isoformat()}'"

    rows = ",\n".join("(" + ", ".join(literal(v) for v in row) + ")" for row in frame.itertuples(index=False))
    return f"INSERT INTO {table} VALUES\n{rows}"


def pandas_by_region(frame: pd.DataFrame) -> pd.DataFrame:
    return (
        frame.groupby("region")
        .agg(orders=("order_id", "count"), units=("units", "sum"), revenue=("revenue", "sum"))
        .reset_index()
        .sort_values("region")
        .reset_index(drop=True)
    )


AGG_SQL = """
SELECT region, COUNT(*) AS orders, SUM(units) AS units, ROUND(SUM(revenue), 2) AS revenue
FROM {table} GROUP BY region ORDER BY region
"""


def assert_matches_pandas(result: pd.DataFrame, sales: pd.DataFrame) -> None:
    expected = pandas_by_region(sales)
    assert list(result["region"]) == list(expected["region"])
    assert [int(v) for v in result["orders"]] == list(expected["orders"])
    assert [int(v) for v in result["units"]] == [int(v) for v in expected["units"]]
    assert [float(v) for v in result["revenue"]] == pytest.approx(list(expected["revenue"]), abs=0.01)


# --- loading and querying ----------------------------------------------------------------


def test_multi_row_insert_ctas_and_aggregates_match_pandas(warehouse):
    sales = generate_sales(500)
    warehouse.run("CREATE SCHEMA IF NOT EXISTS sales")
    warehouse.run(SALES_DDL.format(table="sales.orders"))
    inserted = warehouse.run(insert_sql("sales.orders", sales))
    assert inserted["ResultRows"] == 500
    assert inserted["HasResultSet"] is False

    ctas = warehouse.run(
        "CREATE TABLE public.rs_sls_tbl DISTSTYLE AUTO SORTKEY (order_date) AS "
        'SELECT * FROM "dev"."sales"."orders" WHERE units > 0'
    )
    assert ctas["ResultRows"] == 500

    result = warehouse.frame(AGG_SQL.format(table='"dev"."public"."rs_sls_tbl"'))
    assert_matches_pandas(result, sales)


def test_copy_from_s3_parquet_and_csv(warehouse):
    s3 = warehouse.session.client("s3")
    bucket = unique("lab-rs-copy")
    s3.create_bucket(Bucket=bucket)
    sales = generate_sales(500)
    half = len(sales) // 2
    for n, part in enumerate((sales.iloc[:half], sales.iloc[half:])):
        buffer = io.BytesIO()
        part.to_parquet(buffer, index=False)
        s3.put_object(Bucket=bucket, Key=f"parquet/sales/part-{n}.parquet", Body=buffer.getvalue())
    s3.put_object(Bucket=bucket, Key="csv/sales.csv", Body=sales.to_csv(index=False).encode())

    warehouse.run(SALES_DDL.format(table="public.sales_parquet"))
    warehouse.run(SALES_DDL.format(table="public.sales_csv"))
    copied = warehouse.run(
        f"COPY public.sales_parquet FROM 's3://{bucket}/parquet/sales' "
        f"IAM_ROLE '{warehouse.copy_role}' FORMAT AS PARQUET"
    )
    assert copied["ResultRows"] == 500
    warehouse.run(f"COPY public.sales_csv FROM 's3://{bucket}/csv/' IAM_ROLE default FORMAT AS CSV IGNOREHEADER 1")

    for table in ("public.sales_parquet", "public.sales_csv"):
        assert_matches_pandas(warehouse.frame(AGG_SQL.format(table=table)), sales)
    dates = warehouse.frame("SELECT MIN(order_date) AS first, MAX(order_date) AS last FROM public.sales_csv")
    assert dates.iloc[0]["first"] == str(sales["order_date"].min())

    error = warehouse.fail(f"COPY public.sales_csv FROM 's3://{bucket}/nothing-here' FORMAT CSV")
    assert "does not exist" in error
    foreign_role = "arn:aws:iam::111111111111:role/NotAssociated"
    error = warehouse.fail(f"COPY public.sales_csv FROM 's3://{bucket}/csv/' IAM_ROLE '{foreign_role}' CSV IGNOREHEADER 1")
    assert f"is not authorized to assume IAM Role {foreign_role}" in error
    assert "bucket does not exist" in warehouse.fail("COPY public.sales_csv FROM 's3://no-such-bucket-lab/x' CSV")
    assert warehouse.frame("SELECT COUNT(*) AS n FROM public.sales_csv")["n"].tolist() == [500]  # failed loads add nothing


def test_copy_csv_follows_redshifts_quoting_rules(warehouse):
    """COPY … CSV: a quoted field may hold the delimiter, a newline and a doubled quote (Redshift's CSV rules)."""
    s3 = warehouse.session.client("s3")
    bucket = unique("lab-rs-quotes")
    s3.create_bucket(Bucket=bucket)
    body = 'id,note,amount\n1,"a, ""b""",10.5\n2,"two\nlines",3\n3,plain,0\n'
    s3.put_object(Bucket=bucket, Key="csv/notes.csv", Body=body.encode())
    s3.put_object(Bucket=bucket, Key="pct/notes.csv", Body=b"1|%a| %%b%%%|10.5\n")
    warehouse.run("CREATE TABLE notes (id INT, note VARCHAR(40), amount NUMERIC(6,2))")
    copied = warehouse.run(f"COPY notes FROM 's3://{bucket}/csv/' IAM_ROLE default FORMAT AS CSV IGNOREHEADER 1")
    assert copied["ResultRows"] == 3
    rows = warehouse.frame("SELECT id, note, amount FROM notes ORDER BY id").values.tolist()
    assert [r[:2] for r in rows] == [[1, 'a, "b"'], [2, "two\nlines"], [3, "plain"]]
    assert [float(r[2]) for r in rows] == [10.5, 3.0, 0.0]
    # QUOTE AS names another quote character; DELIMITER another delimiter.
    warehouse.run("CREATE TABLE pct (id INT, note VARCHAR(40), amount NUMERIC(6,2))")
    warehouse.run(f"COPY pct FROM 's3://{bucket}/pct/' IAM_ROLE default CSV QUOTE AS '%' DELIMITER '|'")
    assert warehouse.frame("SELECT id, note FROM pct").values.tolist() == [[1, "a| %b%"]]


def test_typed_values_and_column_metadata(warehouse):
    warehouse.run(
        "CREATE TABLE typed (i INT8, j INT4, f FLOAT8, n NUMERIC(10,2), s VARCHAR(20), b BOOL, d DATE, t TIMESTAMP)"
    )
    warehouse.run(
        "INSERT INTO typed VALUES (1, 2, 1.5, 12.34, 'x', true, '2024-03-01', '2024-03-01 12:30:00'),"
        " (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
    )
    statement_id = warehouse.submit("SELECT * FROM typed ORDER BY i NULLS LAST")
    described = warehouse.wait(statement_id)
    assert described["HasResultSet"] is True and described["ResultRows"] == 2
    result = warehouse.client.get_statement_result(Id=statement_id)
    assert result["TotalNumRows"] == 2
    assert [c["typeName"] for c in result["ColumnMetadata"]] == [
        "int8", "int4", "float8", "numeric", "varchar", "bool", "date", "timestamp"
    ]
    numeric = result["ColumnMetadata"][3]
    assert (numeric["precision"], numeric["scale"]) == (10, 2)
    first, second = result["Records"]
    assert first == [
        {"longValue": 1},
        {"longValue": 2},
        {"doubleValue": 1.5},
        {"stringValue": "12.34"},
        {"stringValue": "x"},
        {"booleanValue": True},
        {"stringValue": "2024-03-01"},
        {"stringValue": "2024-03-01 12:30:00"},
    ]
    assert all(field == {"isNull": True} for field in second)


def test_unaliased_columns_are_named_like_redshift(warehouse):
    warehouse.run("CREATE TABLE names (a INT)")
    warehouse.run("INSERT INTO names VALUES (7), (8)")
    frame = warehouse.frame("SELECT COUNT(*), SUM(a), 7 / 2 FROM names")
    assert list(frame.columns) == ["count", "sum", "?column?"]
    assert frame.iloc[0].tolist() == [2, 15, 3]  # integer division, as in Redshift


def test_pagination_follows_next_token(warehouse, monkeypatch):
    from lab_helpers.offline.redshift_data import models

    monkeypatch.setattr(models, "PAGE_ROWS", 100)
    warehouse.run("CREATE TABLE numbers AS SELECT g AS n FROM generate_series(1, 250) AS s(g)")
    statement_id = warehouse.submit("SELECT n FROM numbers ORDER BY n")
    warehouse.wait(statement_id)
    first = warehouse.client.get_statement_result(Id=statement_id)
    assert len(first["Records"]) == 100 and first["TotalNumRows"] == 250 and "NextToken" in first
    pages = list(warehouse.client.get_paginator("get_statement_result").paginate(Id=statement_id))
    assert [len(p["Records"]) for p in pages] == [100, 100, 50]
    values = [r[0]["longValue"] for p in pages for r in p["Records"]]
    assert values == list(range(1, 251))
    frame = warehouse.frame("SELECT n FROM numbers")
    assert sorted(frame["n"]) == list(range(1, 251))


def test_named_parameters_bind_as_literals(warehouse):
    warehouse.run("CREATE TABLE p (id INT, name VARCHAR(10))")
    warehouse.run("INSERT INTO p VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    frame = wr.data_api.redshift.read_sql_query(
        "SELECT name FROM p WHERE id >= :id ORDER BY id", con=warehouse.connect(), parameters=[{"name": "id", "value": "2"}]
    )
    assert list(frame["name"]) == ["b", "c"]
    tricky = wr.data_api.redshift.read_sql_query(
        "SELECT COUNT(*) AS c FROM p WHERE name = :n", con=warehouse.connect(), parameters=[{"name": "n", "value": "a' OR '1'='1"}]
    )
    assert int(tricky.iloc[0]["c"]) == 0


def test_batch_execute_reports_sub_statements(warehouse):
    client = warehouse.client
    batch = client.batch_execute_statement(
        ClusterIdentifier=warehouse.cluster_id,
        Database="dev",
        SecretArn=warehouse.secret_arn,
        Sqls=["CREATE TABLE b1 (x INT)", "INSERT INTO b1 VALUES (1), (2), (3)", "SELECT SUM(x) AS total FROM b1"],
        StatementName="lab-batch",
    )
    described = warehouse.wait(batch["Id"])
    assert described["Status"] == "FINISHED" and described["HasResultSet"] is True
    subs = described["SubStatements"]
    assert [s["Id"] for s in subs] == [f"{batch['Id']}:{n}" for n in (1, 2, 3)]
    assert [s["Status"] for s in subs] == ["FINISHED"] * 3
    assert subs[1]["ResultRows"] == 3 and subs[2]["HasResultSet"] is True
    result = client.get_statement_result(Id=subs[2]["Id"])
    assert result["Records"] == [[{"longValue": 6}]]

    failed = client.batch_execute_statement(
        ClusterIdentifier=warehouse.cluster_id,
        Database="dev",
        SecretArn=warehouse.secret_arn,
        Sqls=["INSERT INTO b1 VALUES (10)", "SELECT * FROM no_such_table", "INSERT INTO b1 VALUES (20)"],
    )
    described = warehouse.wait(failed["Id"])
    assert described["Status"] == "FAILED"
    assert [s["Status"] for s in described["SubStatements"]] == ["FINISHED", "FAILED", "ABORTED"]
    assert 'relation "no_such_table" does not exist' in described["Error"]
    # One transaction: the first insert was rolled back with the failure.
    assert warehouse.frame("SELECT SUM(x) AS total FROM b1").iloc[0]["total"] == 6

    listed = client.list_statements(StatementName="lab-batch")["Statements"]
    assert [s["Id"] for s in listed] == [batch["Id"]]
    assert listed[0]["IsBatchStatement"] is True and len(listed[0]["QueryStrings"]) == 3


def test_errors_fail_the_statement_with_the_engine_message(warehouse):
    assert 'relation "missing_table" does not exist' in warehouse.fail("SELECT * FROM missing_table")
    warehouse.run("CREATE TABLE e (a INT)")
    assert 'column "nope" does not exist' in warehouse.fail("SELECT nope FROM e")
    assert "syntax error" in warehouse.fail("SELEC 1")
    assert "does not exist" in warehouse.fail("SELECT * FROM read_csv('/etc/passwd')")
    assert 'database "otherdb" does not exist' in warehouse.fail('SELECT * FROM "otherdb"."public"."e"')
    with pytest.raises(wr.data_api.redshift.RedshiftDataApiFailedException, match="does not exist"):
        warehouse.frame("SELECT * FROM missing_table")

    statement_id = warehouse.submit("SELECT * FROM missing_table")
    with pytest.raises(ClientError, match="Query does not have result"):
        warehouse.client.get_statement_result(Id=statement_id)
    with pytest.raises(ClientError, match="already in FAILED state"):
        warehouse.client.cancel_statement(Id=statement_id)


def test_unknown_cluster_and_missing_secret_are_refused(warehouse, producer):
    client = producer.client("redshift-data")
    with pytest.raises(ClientError) as unknown:
        client.execute_statement(ClusterIdentifier="no-such-cluster", Database="dev", SecretArn=warehouse.secret_arn, Sql="SELECT 1")
    assert unknown.value.response["Error"]["Code"] == "ValidationException"
    assert "doesn't exist" in unknown.value.response["Error"]["Message"]

    missing = f"arn:aws:secretsmanager:{REGION}:{PRODUCER}:secret:no-such-secret-AbCdEf"
    with pytest.raises(ClientError) as no_secret:
        client.execute_statement(ClusterIdentifier=warehouse.cluster_id, Database="dev", SecretArn=missing, Sql="SELECT 1")
    assert no_secret.value.response["Error"]["Code"] == "ValidationException"
    assert "can't find the specified secret" in no_secret.value.response["Error"]["Message"]

    # DbUser authentication (temporary credentials) is accepted for an existing cluster.
    statement = client.execute_statement(ClusterIdentifier=warehouse.cluster_id, Database="dev", DbUser="awsuser", Sql="SELECT 1 AS one")
    assert client.describe_statement(Id=statement["Id"])["Status"] == "FINISHED"

    with pytest.raises(ClientError, match="ResourceNotFoundException|Query does not exist"):
        client.describe_statement(Id=str(uuid.uuid4()))


def test_unknown_database_fails(warehouse):
    described = warehouse.wait(
        warehouse.client.execute_statement(
            ClusterIdentifier=warehouse.cluster_id, Database="nodb", SecretArn=warehouse.secret_arn, Sql="SELECT 1"
        )["Id"]
    )
    assert described["Status"] == "FAILED"
    assert 'database "nodb" does not exist' in described["Error"]
    warehouse.run("CREATE DATABASE nodb")
    described = warehouse.wait(
        warehouse.client.execute_statement(
            ClusterIdentifier=warehouse.cluster_id, Database="nodb", SecretArn=warehouse.secret_arn, Sql="SELECT 1 AS one"
        )["Id"]
    )
    assert described["Status"] == "FINISHED"


def test_serverless_workgroup_is_accepted(producer):
    client = producer.client("redshift-data")
    workgroup = unique("lab-wg")
    with pytest.raises(ClientError, match="endpoint doesn't exist"):  # a workgroup must exist, as a cluster must
        client.execute_statement(WorkgroupName=workgroup, Database="dev", Sql="SELECT 1")
    serverless = producer.client("redshift-serverless")
    serverless.create_namespace(namespaceName=f"{workgroup}-ns", adminUsername="admin", adminUserPassword="Passw0rd-lab")
    serverless.create_workgroup(workgroupName=workgroup, namespaceName=f"{workgroup}-ns")
    statement = client.execute_statement(WorkgroupName=workgroup, Database="dev", Sql="CREATE TABLE w AS SELECT 42 AS answer")
    assert client.describe_statement(Id=statement["Id"])["Status"] == "FINISHED"
    frame = wr.data_api.redshift.read_sql_query(
        "SELECT answer FROM w", con=wr.data_api.redshift.connect(workgroup_name=workgroup, database="dev", boto3_session=producer)
    )
    assert frame["answer"].tolist() == [42]
    described = client.describe_statement(Id=statement["Id"])
    assert described["WorkgroupName"] == workgroup and "ClusterIdentifier" not in described


def test_catalog_operations_list_what_sql_created(warehouse):
    warehouse.run("CREATE SCHEMA sales")
    warehouse.run("CREATE TABLE sales.orders (id INT8 NOT NULL, amount NUMERIC(12,2), note VARCHAR(40))")
    warehouse.run("CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE amount > 100")
    warehouse.run("CREATE DATABASE analytics")
    client = warehouse.client
    target = dict(ClusterIdentifier=warehouse.cluster_id, SecretArn=warehouse.secret_arn, Database="dev")
    assert client.list_databases(**target)["Databases"] == ["analytics", "dev"]
    schemas = client.list_schemas(**target)["Schemas"]
    assert {"public", "sales"} <= set(schemas) and "main" not in schemas
    assert client.list_schemas(**target, SchemaPattern="sal%")["Schemas"] == ["sales"]
    tables = client.list_tables(**target, SchemaPattern="sales")["Tables"]
    assert tables == [
        {"schema": "sales", "name": "big_orders", "type": "VIEW"},
        {"schema": "sales", "name": "orders", "type": "TABLE"},
    ]
    described = client.describe_table(**target, Schema="sales", Table="orders")
    assert described["TableName"] == "orders"
    assert [(c["name"], c["typeName"], c["nullable"]) for c in described["ColumnList"]] == [
        ("id", "int8", 0),
        ("amount", "numeric", 1),
        ("note", "varchar", 1),
    ]
    with pytest.raises(ClientError, match="does not exist"):
        client.list_schemas(ClusterIdentifier=warehouse.cluster_id, SecretArn=warehouse.secret_arn, Database="nodb")


def test_information_schema_is_limited_to_the_connected_database(warehouse, consumer_warehouse):
    warehouse.run("CREATE SCHEMA only_here")
    warehouse.run("CREATE TABLE only_here.t (id INT8, name VARCHAR(10))")
    count_sql = "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'only_here' AND table_name = 't'"
    assert warehouse.frame(count_sql).iloc[0]["n"] == 1
    assert consumer_warehouse.frame(count_sql).iloc[0]["n"] == 0
    catalogs = warehouse.frame("SELECT DISTINCT table_catalog FROM information_schema.tables")
    assert catalogs["table_catalog"].tolist() == ["dev"]
    columns = warehouse.frame(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'only_here' ORDER BY ordinal_position"
    )
    assert columns.values.tolist() == [["id", "bigint"], ["name", "character varying"]]
    assert warehouse.frame("SELECT tablename FROM pg_tables WHERE schemaname = 'only_here'")["tablename"].tolist() == ["t"]


def test_the_kits_redshift_helpers_run_against_the_stand_in(warehouse):
    """``lab_helpers.queries`` loads the sample by batched INSERTs and CTAS, and reads it back."""
    from lab_helpers import queries

    sales = generate_sales(300)
    schema = "datazone_env_redshift_publish_environment"
    warehouse.run(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    args = dict(schema=schema, cluster_id=warehouse.cluster_id, database="dev", secret_arn=warehouse.secret_arn)
    assert queries.ensure_redshift_tables(warehouse.session, sales, **args) is True
    assert queries.ensure_redshift_tables(warehouse.session, sales, **args) is False
    frame = queries.redshift_frame(
        warehouse.session, f'SELECT * FROM "dev"."{schema}"."rs_sls_tbl"', warehouse.cluster_id, "dev", warehouse.secret_arn
    )
    assert len(frame) == 300
    assert_matches_pandas(warehouse.frame(AGG_SQL.format(table=f"{schema}.rs_sls_tbl")), sales)


def test_identity_columns_and_informational_constraints(warehouse):
    warehouse.run(
        "CREATE TABLE ids (id BIGINT IDENTITY(1,1), code INT PRIMARY KEY, name VARCHAR(10) NOT NULL ENCODE zstd, UNIQUE (name))"
    )
    warehouse.run("INSERT INTO ids (code, name) VALUES (7, 'a'), (7, 'a')")  # not enforced, as in Redshift
    warehouse.run("INSERT INTO ids (code, name) VALUES (8, 'b')")
    assert warehouse.frame("SELECT id, code FROM ids ORDER BY id").values.tolist() == [[1, 7], [2, 7], [3, 8]]
    assert "Cannot insert a NULL value into column name" in warehouse.fail("INSERT INTO ids (code) VALUES (9)")
    warehouse.run("DROP TABLE ids")
    warehouse.run("CREATE TABLE ids (id BIGINT IDENTITY(100, 10), name VARCHAR(10))")
    warehouse.run("INSERT INTO ids (name) VALUES ('x'), ('y')")
    assert warehouse.frame("SELECT id FROM ids ORDER BY id")["id"].tolist() == [100, 110]


def test_describe_and_list_statements(warehouse):
    client = warehouse.client
    submitted = client.execute_statement(
        ClusterIdentifier=warehouse.cluster_id, Database="dev", SecretArn=warehouse.secret_arn,
        Sql="SELECT :x AS x", Parameters=[{"name": "x", "value": "hello"}], StatementName="lab-describe-1",
    )
    assert submitted["ClusterIdentifier"] == warehouse.cluster_id and submitted["Database"] == "dev"
    assert submitted["SecretArn"] == warehouse.secret_arn
    described = client.describe_statement(Id=submitted["Id"])
    assert described["Status"] == "FINISHED"
    assert described["QueryString"] == "SELECT :x AS x"
    assert described["QueryParameters"] == [{"name": "x", "value": "hello"}]
    assert described["Duration"] >= 0 and described["RedshiftPid"] > 0 and described["ResultRows"] == 1
    assert described["UpdatedAt"] >= described["CreatedAt"]
    assert client.get_statement_result(Id=submitted["Id"])["Records"] == [[{"stringValue": "hello"}]]

    failed = warehouse.submit("SELECT * FROM nowhere", StatementName="lab-describe-2")
    names = {s["Id"]: s for s in client.list_statements(StatementName="lab-describe", Status="ALL")["Statements"]}
    assert set(names) == {submitted["Id"], failed}
    assert [s["Id"] for s in client.list_statements(StatementName="lab-describe", Status="FAILED")["Statements"]] == [failed]
    pages = list(client.get_paginator("list_statements").paginate(StatementName="lab-describe", PaginationConfig={"PageSize": 1}))
    assert sorted(s["Id"] for p in pages for s in p["Statements"]) == sorted(names)

    batch = client.batch_execute_statement(
        ClusterIdentifier=warehouse.cluster_id, Database="dev", SecretArn=warehouse.secret_arn,
        Sqls=["SELECT :v AS v"], Parameters=[{"name": "v", "value": "7"}],
    )
    assert client.get_statement_result(Id=batch["Id"] + ":1")["Records"] == [[{"stringValue": "7"}]]
    with pytest.raises(ClientError, match="sub-statement"):
        client.get_statement_result(Id=batch["Id"])


def test_search_path_decides_where_unqualified_names_go(warehouse):
    warehouse.run("CREATE SCHEMA other")
    warehouse.run("CREATE TABLE public.same AS SELECT 'public' AS src")
    warehouse.run("CREATE TABLE other.same AS SELECT 'other' AS src; CREATE TABLE other.only_other AS SELECT 1 AS x")
    assert warehouse.frame("SELECT src FROM same")["src"].tolist() == ["public"]
    assert warehouse.frame("SET search_path TO other, public; SELECT src FROM same")["src"].tolist() == ["other"]
    assert warehouse.frame("SET search_path TO '$user', public, other; SELECT x FROM only_other")["x"].tolist() == [1]
    # Each Data API statement is its own session: the path does not stick.
    assert "does not exist" in warehouse.fail("SELECT x FROM only_other")
    warehouse.run("SET search_path TO other; CREATE TABLE made_here (y INT) -- goes to other; and ' is fine in a comment")
    assert warehouse.frame("SELECT COUNT(*) AS n FROM other.made_here")["n"].tolist() == [0]


def test_secret_credentials_must_log_in(warehouse):
    secrets = warehouse.session.client("secretsmanager")
    wrong = secrets.create_secret(Name=unique("rs-wrong"), SecretString='{"username": "awsuser", "password": "nope"}')["ARN"]
    not_json = secrets.create_secret(Name=unique("rs-text"), SecretString="awsuser:Passw0rd-lab")["ARN"]
    for arn, message in ((wrong, 'password authentication failed for user "awsuser"'), (not_json, "username and password")):
        statement = warehouse.client.execute_statement(
            ClusterIdentifier=warehouse.cluster_id, Database="dev", SecretArn=arn, Sql="CREATE TABLE never_made (x INT)"
        )
        described = warehouse.client.describe_statement(Id=statement["Id"])
        assert described["Status"] == "FAILED" and message in described["Error"]
    assert 'relation "never_made" does not exist' in warehouse.fail("SELECT * FROM never_made")
    with pytest.raises(ClientError, match="DatabaseConnectionException"):
        warehouse.client.list_schemas(ClusterIdentifier=warehouse.cluster_id, Database="dev", SecretArn=wrong)


def test_empty_result_keeps_its_columns(warehouse):
    warehouse.run("CREATE TABLE empty_one (a INT8, b VARCHAR(3))")
    statement_id = warehouse.submit("SELECT a, b FROM empty_one WHERE a > 0")
    described = warehouse.wait(statement_id)
    assert described["HasResultSet"] is True and described["ResultRows"] == 0
    result = warehouse.client.get_statement_result(Id=statement_id)
    assert result["Records"] == [] and result["TotalNumRows"] == 0
    assert [c["name"] for c in result["ColumnMetadata"]] == ["a", "b"]
    assert warehouse.frame("SELECT a, b FROM empty_one").empty
    ddl = warehouse.run("CREATE TABLE another (x INT)")
    assert ddl["HasResultSet"] is False
    with pytest.raises(ClientError, match="Query does not have result"):
        warehouse.client.get_statement_result(Id=ddl["Id"])


def test_list_statements_shows_only_the_callers_role(warehouse, session_for):
    """ListStatements returns the statements of the caller's IAM role (RoleLevel): another role of the account sees none."""
    mine = warehouse.submit("SELECT 1", StatementName="lab-rolelevel")
    other = session_for(warehouse.account_id, "OtherDataApiRole").client("redshift-data")
    assert [s["Id"] for s in warehouse.client.list_statements(StatementName="lab-rolelevel")["Statements"]] == [mine]
    assert other.list_statements(StatementName="lab-rolelevel")["Statements"] == []
    assert other.list_statements(StatementName="lab-rolelevel", RoleLevel=False)["Statements"] == []
