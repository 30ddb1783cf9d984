"""Athena on the stand-in runs SQL for real: results are checked against pandas on the same data."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pandas as pd
import pytest

from lab_helpers.sample_data import SCHEMA, generate_sales, to_csv_bytes

from .conftest import CONSUMER, PRODUCER, REGION

ROWS = 2000


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@dataclass
class Lake:
    """A producer database with the sample sales uploaded as CSV and declared as a Glue table."""

    session: boto3.Session
    database: str
    bucket: str
    output: str
    frame: pd.DataFrame

    def run(self, sql: str, database: str | None = None, session: boto3.Session | None = None, output: str | None = None) -> dict:
        """Start a query, wait for a final state, return GetQueryExecution's QueryExecution."""
        athena = (session or self.session).client("athena")
        qid = athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": database or self.database},
            ResultConfiguration={"OutputLocation": output or self.output},
        )["QueryExecutionId"]
        for _ in range(200):
            execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                return execution
            time.sleep(0.05)
        raise AssertionError(f"query {qid} did not finish")

    def frame_of(self, execution: dict, session: boto3.Session | None = None) -> pd.DataFrame:
        """All result rows through GetQueryResults pagination (header row dropped)."""
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"].get("StateChangeReason")
        athena = (session or self.session).client("athena")
        rows, columns = [], None
        for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution["QueryExecutionId"]):
            columns = [c["Name"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
            rows += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
        assert rows[0] == columns
        return pd.DataFrame(rows[1:], columns=columns, dtype=object)


def make_lake(session: boto3.Session, rows: int = ROWS) -> Lake:
    database, bucket = unique("sales_db"), unique("lake").replace("_", "-")
    session.client("s3").create_bucket(Bucket=bucket)
    frame = generate_sales(rows)
    session.client("s3").put_object(Bucket=bucket, Key="raw/sales/part-0.csv", Body=to_csv_bytes(frame))
    glue = session.client("glue")
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": "sales",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "csv", "skip.header.line.count": "1"},
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in SCHEMA],
                "Location": f"s3://{bucket}/raw/sales/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                    "Parameters": {"field.delim": ","},
                },
            },
        },
    )
    return Lake(session, database, bucket, f"s3://{bucket}/athena-results/", frame)


@pytest.fixture(scope="module")
def lake(producer: boto3.Session) -> Lake:
    return make_lake(producer)


# ----------------------------------------------------------------------------- SELECT


def test_group_by_matches_pandas(lake: Lake) -> None:
    execution = lake.run("SELECT region, SUM(revenue) AS revenue, COUNT(*) AS orders FROM sales GROUP BY region ORDER BY region")
    got = lake.frame_of(execution)
    expected = lake.frame.groupby("region").agg(revenue=("revenue", "sum"), orders=("order_id", "count")).reset_index()
    assert list(got["region"]) == sorted(expected["region"])
    merged = got.merge(expected, on="region", suffixes=("_athena", "_pandas"))
    assert (merged["revenue_athena"].astype(float) - merged["revenue_pandas"]).abs().max() < 1e-6
    assert (merged["orders_athena"].astype(int) == merged["orders_pandas"]).all()


def test_column_info_uses_athena_type_names(lake: Lake) -> None:
    execution = lake.run(
        "SELECT order_id, units, revenue, region, order_date, units > 5 AS big, CAST(revenue AS DECIMAL(12,2)) AS dec, "
        "CAST(order_date AS TIMESTAMP) AS ts FROM sales WHERE order_id = 100001"
    )
    page = lake.session.client("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in info] == [
        ("order_id", "bigint"),
        ("units", "integer"),
        ("revenue", "double"),
        ("region", "varchar"),
        ("order_date", "date"),
        ("big", "boolean"),
        ("dec", "decimal"),
        ("ts", "timestamp"),
    ]
    assert info[6]["Precision"] == 12 and info[6]["Scale"] == 2
    first = lake.frame.iloc[0]
    values = [d.get("VarCharValue") for d in page["ResultSet"]["Rows"][1]["Data"]]
    assert values[0] == str(first["order_id"]) and values[3] == first["region"]
    assert values[4] == first["order_date"].isoformat()
    assert values[5] == ("true" if first["units"] > 5 else "false")
    assert values[7] == f"{first['order_date'].isoformat()} 00:00:00.000"


def test_unaliased_expressions_are_named_like_athena(lake: Lake) -> None:
    execution = lake.run("SELECT region, count(*), max(units) FROM sales GROUP BY region")
    assert list(lake.frame_of(execution).columns) == ["region", "_col1", "_col2"]


def test_join_matches_pandas(lake: Lake) -> None:
    sql = (
        "WITH totals AS (SELECT region, SUM(units) AS units FROM sales GROUP BY region) "
        "SELECT s.channel, t.region, COUNT(*) AS n, MAX(t.units) AS region_units "
        "FROM sales s JOIN totals t ON s.region = t.region WHERE s.channel = 'Online' GROUP BY s.channel, t.region"
    )
    got = lake.frame_of(lake.run(sql)).sort_values("region").reset_index(drop=True)
    f = lake.frame
    units = f.groupby("region")["units"].sum()
    online = f[f["channel"] == "Online"].groupby("region").size()
    assert list(got["region"]) == sorted(online.index)
    assert [int(x) for x in got["n"]] == [int(online[r]) for r in got["region"]]
    assert [int(x) for x in got["region_units"]] == [int(units[r]) for r in got["region"]]


def test_window_function_matches_pandas(lake: Lake) -> None:
    sql = (
        "SELECT order_id, region, revenue, "
        "ROW_NUMBER() OVER (PARTITION BY region ORDER BY revenue DESC, order_id) AS rnk "
        "FROM sales ORDER BY region, rnk"
    )
    got = lake.frame_of(lake.run(sql))
    top = got[got["rnk"] == "1"].set_index("region")["order_id"].astype(int)
    f = lake.frame.sort_values(["revenue", "order_id"], ascending=[False, True])
    expected = f.groupby("region").head(1).set_index("region")["order_id"]
    assert top.sort_index().to_dict() == expected.sort_index().to_dict()
    assert len(got) == len(lake.frame)


def test_date_functions_match_pandas(lake: Lake) -> None:
    sql = (
        "SELECT date_trunc('month', order_date) AS month, extract(month FROM order_date) AS m, year(order_date) AS y, "
        "SUM(revenue) AS revenue FROM sales GROUP BY 1, 2, 3 ORDER BY 1"
    )
    execution = lake.run(sql)
    got = lake.frame_of(execution)
    info = lake.session.client("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    types = [c["Type"] for c in info["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
    assert types[0] == "date" and types[2] in ("bigint", "integer")
    f = lake.frame.assign(month=pd.to_datetime(lake.frame["order_date"]).dt.to_period("M"))
    expected = f.groupby("month")["revenue"].sum()
    assert list(got["month"]) == [f"{p.year:04d}-{p.month:02d}-01" for p in expected.index]
    assert [int(x) for x in got["m"]] == [p.month for p in expected.index]
    assert set(got["y"]) == {str(p.year) for p in expected.index}
    assert max(abs(float(a) - b) for a, b in zip(got["revenue"], expected.values)) < 1e-6


def test_duplicate_output_names_are_kept(lake: Lake) -> None:
    got = lake.frame_of(lake.run("SELECT units, units FROM sales WHERE order_id = 100001"))
    assert list(got.columns) == ["units", "units"]


def test_aggregate_types_follow_trino(lake: Lake) -> None:
    execution = lake.run("SELECT SUM(units) AS u, COUNT(*) AS n, AVG(units) AS a, SUM(revenue) AS r, array_agg(units) AS arr FROM sales")
    page = lake.session.client("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    types = [c["Type"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
    assert types == ["bigint", "bigint", "double", "double", "array"]
    assert page["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"] == str(int(lake.frame["units"].sum()))


def test_trino_date_arithmetic_and_format(lake: Lake) -> None:
    execution = lake.run(
        "SELECT date_add('day', 3, DATE '2024-02-27') AS d1, DATE '2024-03-31' - INTERVAL '1' MONTH AS d2, "
        "date_add('hour', 3, DATE '2024-01-01') AS t1, format('%s-%d', 'a', 7) AS f, "
        "millisecond(TIMESTAMP '2024-01-01 10:11:12.345') AS ms, 1e0 / 0 AS inf"
    )
    page = lake.session.client("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    types = [c["Type"] for c in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
    values = [d.get("VarCharValue") for d in page["ResultSet"]["Rows"][1]["Data"]]
    assert types == ["date", "date", "timestamp", "varchar", "bigint", "double"]
    assert values == ["2024-03-01", "2024-02-29", "2024-01-01 03:00:00.000", "a-7", "345", "Infinity"]


def test_unknown_function_fails(lake: Lake) -> None:
    execution = lake.run("SELECT no_such_function(region) FROM sales")
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"].startswith("FUNCTION_NOT_FOUND")


def test_integer_division_follows_trino(lake: Lake) -> None:
    got = lake.frame_of(lake.run("SELECT 7 / 2 AS q, 7.0 / 2 AS r"))
    assert got.iloc[0].tolist() == ["3", "3.5"]


def test_unknown_column_fails_with_reason(lake: Lake) -> None:
    execution = lake.run("SELECT region FROM sales WHERE no_such_column > 1")
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"] == (
        "COLUMN_NOT_FOUND: line 1:32: Column 'no_such_column' cannot be resolved "
        "or requester is not authorized to access requested resources"
    )
    with pytest.raises(lake.session.client("athena").exceptions.InvalidRequestException):
        lake.session.client("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])


def test_unknown_table_fails_like_athena(lake: Lake) -> None:
    execution = lake.run("SELECT * FROM nowhere")
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"] == f"TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{lake.database}.nowhere' does not exist"


@pytest.mark.parametrize(
    "sql", ["SELECT * FROM read_text('/etc/passwd')", "SELECT * FROM read_parquet('/tmp/*/s3-mirror/*.obj')", "SELECT * FROM '/etc/passwd'"]
)
def test_sql_cannot_reach_server_files(lake: Lake, sql: str) -> None:
    execution = lake.run(sql)
    assert execution["Status"]["State"] == "FAILED"
    reason = execution["Status"]["StateChangeReason"]
    assert "root:" not in reason
    assert reason.startswith(("FUNCTION_NOT_FOUND: line 1:15: Table function", "TABLE_NOT_FOUND: line 1:15: Table")), reason


def test_engine_database_is_sandboxed(lake: Lake) -> None:
    import duckdb

    from lab_helpers.offline.athena.engine import _database

    lake.run("SELECT 1")
    con = _database().cursor()
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        con.execute("SELECT * FROM read_text('/etc/passwd')")
    with pytest.raises(duckdb.Error):
        con.execute("SET enable_external_access = true")


@pytest.mark.parametrize("sql", ["SELEC region FROM sales", "SELECT 'unterminated FROM sales", "SELECT 1; SELECT 2"])
def test_syntax_error_fails(lake: Lake, sql: str) -> None:
    execution = lake.run(sql)
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"].startswith("SYNTAX_ERROR")


def test_result_csv_and_metadata_written_to_output(lake: Lake) -> None:
    execution = lake.run("SELECT region, channel FROM sales WHERE order_id <= 100003 ORDER BY order_id")
    location = execution["ResultConfiguration"]["OutputLocation"]
    assert location == f"{lake.output}{execution['QueryExecutionId']}.csv"
    s3 = lake.session.client("s3")
    key = location.split("/", 3)[3]
    body = s3.get_object(Bucket=lake.bucket, Key=key)["Body"].read().decode()
    expected = ['"region","channel"'] + [f'"{r}","{c}"' for r, c in lake.frame[["region", "channel"]].head(3).itertuples(index=False)]
    assert body.splitlines() == expected
    s3.head_object(Bucket=lake.bucket, Key=key + ".metadata")
    stats = execution["Statistics"]
    assert stats["DataScannedInBytes"] > 0 and stats["EngineExecutionTimeInMillis"] >= 0 and "TotalExecutionTimeInMillis" in stats
    runtime = lake.session.client("athena").get_query_runtime_statistics(QueryExecutionId=execution["QueryExecutionId"])
    assert runtime["QueryRuntimeStatistics"]["Rows"]["OutputRows"] == 3
    assert runtime["QueryRuntimeStatistics"]["Rows"]["InputBytes"] == stats["DataScannedInBytes"]


def test_pagination_of_results(lake: Lake) -> None:
    execution = lake.run("SELECT order_id FROM sales ORDER BY order_id")
    athena = lake.session.client("athena")
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"QueryExecutionId": execution["QueryExecutionId"], "MaxResults": 700}
        if token:
            kwargs["NextToken"] = token
        page = athena.get_query_results(**kwargs)
        pages += 1
        seen += [r["Data"][0].get("VarCharValue") for r in page["ResultSet"]["Rows"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == -(-(ROWS + 1) // 700)
    assert seen[0] == "order_id"
    assert [int(x) for x in seen[1:]] == list(lake.frame["order_id"])


def test_nulls_and_empty_strings_are_distinct(lake: Lake) -> None:
    page = lake.frame_of(lake.run("SELECT CAST(NULL AS VARCHAR) AS n, '' AS e, 'a\"b' AS q"))
    assert page.iloc[0].tolist() == [None, "", 'a"b']


def test_missing_output_location_is_rejected(producer: boto3.Session) -> None:
    athena = producer.client("athena")
    with pytest.raises(athena.exceptions.InvalidRequestException, match="output location"):
        athena.start_query_execution(QueryString="SELECT 1")


def test_workgroup_output_location_is_used(lake: Lake) -> None:
    athena = lake.session.client("athena")
    group = unique("wg")
    athena.create_work_group(Name=group, Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{lake.bucket}/wg/"}})
    qid = athena.start_query_execution(QueryString="SELECT 40 + 2 AS answer", WorkGroup=group)["QueryExecutionId"]
    execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
    assert execution["ResultConfiguration"]["OutputLocation"] == f"s3://{lake.bucket}/wg/{qid}.csv"
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "42"


def test_execution_parameters_are_bound(lake: Lake) -> None:
    athena = lake.session.client("athena")
    qid = athena.start_query_execution(
        QueryString="SELECT COUNT(*) AS n FROM sales WHERE region = ? AND units > ?",
        QueryExecutionContext={"Database": lake.database},
        ResultConfiguration={"OutputLocation": lake.output},
        ExecutionParameters=["'Europe'", "10"],
    )["QueryExecutionId"]
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    f = lake.frame
    assert int(rows[1]["Data"][0]["VarCharValue"]) == int(((f["region"] == "Europe") & (f["units"] > 10)).sum())


# ------------------------------------------------------------------------------- CTAS


def test_ctas_writes_parquet_glue_table_and_manifest(lake: Lake) -> None:
    location = f"s3://{lake.bucket}/curated/mkt_sls_table/"
    execution = lake.run(
        f"CREATE TABLE mkt_sls_table WITH (format = 'PARQUET', external_location = '{location}') AS "
        "SELECT order_id, order_date, region, campaign, units, revenue, CAST(revenue AS DECIMAL(12,2)) AS rev_dec, "
        "units * 2 AS double_units FROM sales WHERE campaign <> 'None'"
    )
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"].get("StateChangeReason")
    assert execution["StatementType"] == "DDL"
    manifest = execution["Statistics"]["DataManifestLocation"]
    assert manifest == f"{lake.output}{execution['QueryExecutionId']}-manifest.csv"
    s3 = lake.session.client("s3")
    files = s3.get_object(Bucket=lake.bucket, Key=manifest.split("/", 3)[3])["Body"].read().decode().split()
    assert files and all(f.startswith(location) for f in files)
    table = lake.session.client("glue").get_table(DatabaseName=lake.database, Name="mkt_sls_table")["Table"]
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    assert columns == [
        ("order_id", "bigint"),
        ("order_date", "date"),
        ("region", "string"),
        ("campaign", "string"),
        ("units", "int"),
        ("revenue", "double"),
        ("rev_dec", "decimal(12,2)"),
        ("double_units", "int"),
    ]
    assert table["StorageDescriptor"]["Location"] == location
    # The files really are Parquet, and the table declares Parquet (else Athena on AWS could not read them).
    for uri in files:
        body = s3.get_object(Bucket=lake.bucket, Key=uri.split("/", 3)[3])["Body"].read()
        assert body[:4] == b"PAR1" and body[-4:] == b"PAR1", uri
    storage = table["StorageDescriptor"]
    assert storage["InputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    assert storage["OutputFormat"] == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    assert table["Parameters"]["classification"] == "parquet"
    expected = lake.frame[lake.frame["campaign"] != "None"]
    got = lake.frame_of(lake.run("SELECT order_id, units, revenue FROM mkt_sls_table ORDER BY order_id"))
    assert [int(x) for x in got["order_id"]] == list(expected["order_id"])
    assert [float(x) for x in got["revenue"]] == list(expected["revenue"])
    rows = lake.session.client("athena").get_query_results(QueryExecutionId=execution["QueryExecutionId"])["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == str(len(expected))


def test_ctas_without_location_goes_under_output(lake: Lake) -> None:
    execution = lake.run("CREATE TABLE by_channel AS SELECT channel, SUM(units) AS units FROM sales GROUP BY channel")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"].get("StateChangeReason")
    table = lake.session.client("glue").get_table(DatabaseName=lake.database, Name="by_channel")["Table"]
    assert table["StorageDescriptor"]["Location"] == f"{lake.output}tables/{execution['QueryExecutionId']}/"
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [("channel", "string"), ("units", "bigint")]
    got = lake.frame_of(lake.run("SELECT channel, units FROM by_channel ORDER BY channel"))
    expected = lake.frame.groupby("channel")["units"].sum().sort_index()
    assert list(got["channel"]) == list(expected.index) and [int(x) for x in got["units"]] == list(expected.values)


def test_partitioned_ctas_writes_hive_folders_and_glue_partitions(lake: Lake) -> None:
    name = unique("by_region")
    execution = lake.run(
        f"CREATE TABLE {name} WITH (format = 'PARQUET', partitioned_by = ARRAY['region']) AS "
        "SELECT order_id, revenue, region FROM sales"
    )
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"].get("StateChangeReason")
    glue = lake.session.client("glue")
    table = glue.get_table(DatabaseName=lake.database, Name=name)["Table"]
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["order_id", "revenue"]
    assert table["PartitionKeys"] == [{"Name": "region", "Type": "string"}]
    partitions = glue.get_partitions(DatabaseName=lake.database, TableName=name)["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == sorted(lake.frame["region"].unique())
    location = table["StorageDescriptor"]["Location"]
    assert any(p["StorageDescriptor"]["Location"] == f"{location}region=Middle East & Africa/" for p in partitions)
    got = lake.frame_of(lake.run(f"SELECT region, COUNT(*) AS n, SUM(revenue) AS r FROM {name} GROUP BY region ORDER BY region"))
    expected = lake.frame.groupby("region").agg(n=("order_id", "count"), r=("revenue", "sum"))
    assert list(got["region"]) == list(expected.index)
    assert [int(x) for x in got["n"]] == list(expected["n"])
    misplaced = lake.run(f"CREATE TABLE {name}_bad WITH (partitioned_by = ARRAY['region']) AS SELECT region, order_id FROM sales")
    assert misplaced["Status"]["State"] == "FAILED" and "Partition keys must be the last columns" in misplaced["Status"]["StateChangeReason"]


def test_ctas_into_existing_table_or_location_fails(lake: Lake) -> None:
    lake.run("CREATE TABLE dup_t AS SELECT 1 AS a")
    again = lake.run("CREATE TABLE dup_t AS SELECT 1 AS a")
    assert again["Status"]["State"] == "FAILED" and "already exists" in again["Status"]["StateChangeReason"]
    taken = lake.run(f"CREATE TABLE other_t WITH (external_location='s3://{lake.bucket}/raw/sales/') AS SELECT 1 AS a")
    assert taken["Status"]["State"] == "FAILED" and "HIVE_PATH_ALREADY_EXISTS" in taken["Status"]["StateChangeReason"]


def test_ctas_needs_column_names(lake: Lake) -> None:
    execution = lake.run("CREATE TABLE unnamed_t AS SELECT region, count(*) FROM sales GROUP BY region")
    assert execution["Status"]["State"] == "FAILED"
    assert "Column name not specified" in execution["Status"]["StateChangeReason"]


@pytest.mark.parametrize("fmt", ["TEXTFILE", "JSON"])
def test_ctas_text_formats_round_trip(lake: Lake, fmt: str) -> None:
    name = unique(f"ctas_{fmt.lower()}")
    execution = lake.run(
        f"CREATE TABLE {name} WITH (format = '{fmt}', field_delimiter = '|') AS "
        "SELECT order_id, region, revenue, order_date FROM sales WHERE units > 15"
    ) if fmt == "TEXTFILE" else lake.run(f"CREATE TABLE {name} WITH (format = '{fmt}') AS SELECT order_id, region, revenue, order_date FROM sales WHERE units > 15")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"].get("StateChangeReason")
    expected = lake.frame[lake.frame["units"] > 15]
    # The table declares the format written, and the objects are in it (gzip-compressed by default, as on Athena).
    table = lake.session.client("glue").get_table(DatabaseName=lake.database, Name=name)["Table"]
    storage = table["StorageDescriptor"]
    assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert storage["OutputFormat"] == "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    s3 = lake.session.client("s3")
    bucket, prefix = storage["Location"][5:].split("/", 1)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    assert keys
    lines = []
    for key in keys:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert body[:2] == b"\x1f\x8b" and key.endswith(".gz"), key
        lines += gzip.decompress(body).decode().splitlines()
    assert len(lines) == len(expected)
    if fmt == "JSON":
        assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
        assert table["Parameters"]["classification"] == "json"
        first = json.loads(lines[0])
        assert list(first) == ["order_id", "region", "revenue", "order_date"]
    else:
        assert storage["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
        assert storage["SerdeInfo"]["Parameters"]["field.delim"] == "|"
        assert all(len(line.split("|")) == 4 for line in lines)
    got = lake.frame_of(lake.run(f"SELECT order_id, region, revenue, order_date FROM {name} ORDER BY order_id"))
    assert [int(x) for x in got["order_id"]] == list(expected["order_id"])
    assert list(got["region"]) == list(expected["region"])
    assert [float(x) for x in got["revenue"]] == list(expected["revenue"])
    assert list(got["order_date"]) == [d.isoformat() for d in expected["order_date"]]


@pytest.mark.parametrize("fmt", ["PARQUET", "TEXTFILE"])
def test_insert_into_appends_rows(lake: Lake, fmt: str) -> None:
    name = unique("ins")
    created = lake.run(f"CREATE TABLE {name} WITH (format = '{fmt}') AS SELECT region, SUM(units) AS units FROM sales WHERE channel = 'Online' GROUP BY region")
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"].get("StateChangeReason")
    inserted = lake.run(f"INSERT INTO {name} SELECT region, SUM(units) FROM sales WHERE channel = 'Retail' GROUP BY region")
    assert inserted["Status"]["State"] == "SUCCEEDED", inserted["Status"].get("StateChangeReason")
    assert inserted["StatementType"] == "DML" and inserted["Statistics"]["DataManifestLocation"].endswith("-manifest.csv")
    values = lake.run(f"INSERT INTO {name} (units, region) VALUES (7, 'Nowhere')")
    assert values["Status"]["State"] == "SUCCEEDED", values["Status"].get("StateChangeReason")
    got = lake.frame_of(lake.run(f"SELECT region, SUM(units) AS units FROM {name} GROUP BY region ORDER BY region"))
    f = lake.frame[lake.frame["channel"].isin(["Online", "Retail"])]
    expected = f.groupby("region")["units"].sum().to_dict() | {"Nowhere": 7}
    assert {r: int(u) for r, u in zip(got["region"], got["units"])} == expected
    wrong = lake.run(f"INSERT INTO {name} SELECT region FROM sales")
    assert wrong["Status"]["State"] == "FAILED"
    assert wrong["Status"]["StateChangeReason"] == "SYNTAX_ERROR: Insert query has 1 columns but the target has 2"


# -------------------------------------------------------------------------------- DDL


def test_ddl_create_database_external_table_show_describe_drop(producer: boto3.Session) -> None:
    bucket = unique("ddl").replace("_", "-")
    producer.client("s3").create_bucket(Bucket=bucket)
    frame = generate_sales(300, seed=7)
    producer.client("s3").put_object(Bucket=bucket, Key="data/sales.csv", Body=to_csv_bytes(frame))
    output = f"s3://{bucket}/out/"
    db = unique("ddl_db")
    lake = Lake(producer, db, bucket, output, frame)
    assert lake.run(f"CREATE DATABASE {db}", database="default")["Status"]["State"] == "SUCCEEDED"
    assert producer.client("glue").get_database(Name=db)["Database"]["Name"] == db
    columns = ", ".join(f"{n} {t}" for n, t in SCHEMA)
    created = lake.run(
        f"CREATE EXTERNAL TABLE IF NOT EXISTS raw_sales ({columns}) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
        f"STORED AS TEXTFILE LOCATION 's3://{bucket}/data/' TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"].get("StateChangeReason")
    got = lake.frame_of(lake.run("SELECT COUNT(*) AS n, SUM(units) AS u FROM raw_sales"))
    assert got.iloc[0].tolist() == [str(len(frame)), str(int(frame["units"].sum()))]
    athena = producer.client("athena")
    shown = lake.run(f"SHOW TABLES IN {db}")
    rows = athena.get_query_results(QueryExecutionId=shown["QueryExecutionId"])["ResultSet"]["Rows"]
    assert [r["Data"][0]["VarCharValue"] for r in rows] == ["raw_sales"]
    assert shown["ResultConfiguration"]["OutputLocation"].endswith(".txt")
    described = lake.run("DESCRIBE raw_sales")
    rows = athena.get_query_results(QueryExecutionId=described["QueryExecutionId"])["ResultSet"]["Rows"]
    assert [(r["Data"][0]["VarCharValue"].strip(), r["Data"][1]["VarCharValue"].strip()) for r in rows] == SCHEMA
    assert lake.run("DROP TABLE raw_sales")["Status"]["State"] == "SUCCEEDED"
    assert producer.client("glue").get_tables(DatabaseName=db)["TableList"] == []
    assert lake.run("DROP TABLE IF EXISTS raw_sales")["Status"]["State"] == "SUCCEEDED"
    dropped_twice = lake.run("DROP TABLE raw_sales")["Status"]
    assert dropped_twice["State"] == "FAILED"
    assert dropped_twice["StateChangeReason"] == f"TABLE_NOT_FOUND: Table 'awsdatacatalog.{db}.raw_sales' does not exist"
    names = [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    assert db in names
    assert lake.run(f"DROP DATABASE {db}", database="default")["Status"]["State"] == "SUCCEEDED"
    assert db not in [d["Name"] for d in producer.client("glue").get_databases()["DatabaseList"]]


def test_msck_repair_checks_the_table_and_stop_keeps_final_state(lake: Lake) -> None:
    assert lake.run("MSCK REPAIR TABLE sales")["Status"]["State"] == "SUCCEEDED"
    missing = lake.run("MSCK REPAIR TABLE missing_table")["Status"]
    assert missing["State"] == "FAILED"
    assert missing["StateChangeReason"] == f"TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{lake.database}.missing_table' does not exist"
    done = lake.run("SELECT 1 AS x")
    athena = lake.session.client("athena")
    athena.stop_query_execution(QueryExecutionId=done["QueryExecutionId"])
    assert athena.get_query_execution(QueryExecutionId=done["QueryExecutionId"])["QueryExecution"]["Status"]["State"] == "SUCCEEDED"


def test_views_are_stored_in_glue_and_expanded(lake: Lake) -> None:
    name = unique("v_online")
    created = lake.run(f"CREATE VIEW {name} AS SELECT region, revenue FROM sales WHERE channel = 'Online'")
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"].get("StateChangeReason")
    table = lake.session.client("glue").get_table(DatabaseName=lake.database, Name=name)["Table"]
    assert table["TableType"] == "VIRTUAL_VIEW" and table["ViewOriginalText"].startswith("/* Presto View: ")
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [("region", "string"), ("revenue", "double")]
    got = lake.frame_of(lake.run(f"SELECT v.region, SUM(v.revenue) AS r FROM {name} v GROUP BY v.region ORDER BY 1"))
    f = lake.frame[lake.frame["channel"] == "Online"].groupby("region")["revenue"].sum()
    assert list(got["region"]) == list(f.index) and max(abs(float(a) - b) for a, b in zip(got["r"], f.values)) < 1e-6
    again = lake.run(f"CREATE VIEW {name} AS SELECT 1 AS x")
    assert again["Status"]["State"] == "FAILED"
    assert again["Status"]["StateChangeReason"] == f"TABLE_ALREADY_EXISTS: View 'awsdatacatalog.{lake.database}.{name}' already exists"
    replaced = lake.run(f"CREATE OR REPLACE VIEW {name} AS SELECT COUNT(*) AS n FROM sales")
    assert replaced["Status"]["State"] == "SUCCEEDED"
    assert lake.frame_of(lake.run(f"SELECT n FROM {name}"))["n"].tolist() == [str(ROWS)]
    assert lake.run(f"DROP VIEW {name}")["Status"]["State"] == "SUCCEEDED"
    dropped = lake.run(f"SELECT * FROM {name}")["Status"]
    assert dropped["State"] == "FAILED"
    assert dropped["StateChangeReason"] == f"TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{lake.database}.{name}' does not exist"


def test_text_tables_follow_hive_rules(producer: boto3.Session) -> None:
    import gzip

    bucket = unique("hive").replace("_", "-")
    producer.client("s3").create_bucket(Bucket=bucket)
    body = b"id|name|amount|day\n1|alice|2.5|2024-01-01\n2||oops|\n3|\\N|\\N|\\N\n4|dave\n"
    producer.client("s3").put_object(Bucket=bucket, Key="t/a.txt", Body=body)
    producer.client("s3").put_object(Bucket=bucket, Key="t/b.txt.gz", Body=gzip.compress(b"id|name|amount|day\n5|eve|7|2024-02-02\n"))
    producer.client("s3").put_object(Bucket=bucket, Key="t/_SUCCESS", Body=b"")
    db = unique("hive_db")
    lake = Lake(producer, db, bucket, f"s3://{bucket}/out/", generate_sales(1))
    assert lake.run(f"CREATE DATABASE {db}", database="default")["Status"]["State"] == "SUCCEEDED"
    created = lake.run(
        "CREATE EXTERNAL TABLE t (id int, name string, amount double, day date) ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' "
        f"LOCATION 's3://{bucket}/t/' TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"].get("StateChangeReason")
    got = lake.frame_of(lake.run("SELECT id, name, amount, day FROM t ORDER BY id"))
    assert got.values.tolist() == [
        ["1", "alice", "2.5", "2024-01-01"],
        ["2", "", None, None],
        ["3", None, None, None],
        ["4", "dave", None, None],
        ["5", "eve", "7.0", "2024-02-02"],
    ]


def test_parquet_external_table(producer: boto3.Session) -> None:
    import io

    bucket = unique("pq").replace("_", "-")
    producer.client("s3").create_bucket(Bucket=bucket)
    frame = generate_sales(500, seed=3)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    producer.client("s3").put_object(Bucket=bucket, Key="pq/part-0.parquet", Body=buffer.getvalue())
    db = unique("pq_db")
    producer.client("glue").create_database(DatabaseInput={"Name": db})
    lake = Lake(producer, db, bucket, f"s3://{bucket}/out/", frame)
    columns = ", ".join(f"{n} {t}" for n, t in SCHEMA)
    created = lake.run(f"CREATE EXTERNAL TABLE sales ({columns}) STORED AS PARQUET LOCATION 's3://{bucket}/pq/'")
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"].get("StateChangeReason")
    got = lake.frame_of(lake.run("SELECT product_category, AVG(revenue) AS avg_rev FROM sales GROUP BY 1 ORDER BY 1"))
    expected = frame.groupby("product_category")["revenue"].mean().sort_index()
    assert list(got["product_category"]) == list(expected.index)
    assert max(abs(float(a) - b) for a, b in zip(got["avg_rev"], expected.values)) < 1e-9


# ----------------------------------------------------------------------- accounts


def test_consumer_reads_only_through_a_resource_link(lake: Lake, consumer: boto3.Session) -> None:
    from lab_helpers.offline.grants import expose_glue_table, hide_glue_table

    sub_db = unique("sub_db")
    consumer.client("glue").create_database(DatabaseInput={"Name": sub_db})
    bucket = unique("consumer-results").replace("_", "-")
    consumer.client("s3").create_bucket(Bucket=bucket)
    output = f"s3://{bucket}/results/"

    def query(sql: str, database: str) -> dict:
        return lake.run(sql, database=database, session=consumer, output=output)

    direct = query(f"SELECT COUNT(*) FROM {lake.database}.sales", sub_db)
    assert direct["Status"]["State"] == "FAILED"
    # the producer's database is not in the consumer's catalog at all
    assert direct["Status"]["StateChangeReason"] == f"SCHEMA_NOT_FOUND: line 1:22: Schema '{lake.database}' does not exist"
    before = query("SELECT COUNT(*) FROM sales", sub_db)
    assert before["Status"]["State"] == "FAILED"
    assert before["Status"]["StateChangeReason"].startswith("TABLE_NOT_FOUND: line 1:22: Table 'awsdatacatalog.")

    link = dict(region=REGION, source_account=PRODUCER, source_database=lake.database, table="sales", target_account=CONSUMER, target_database=sub_db)
    expose_glue_table(**link)
    expose_glue_table(**link)  # idempotent
    linked = consumer.client("glue").get_table(DatabaseName=sub_db, Name="sales")["Table"]
    assert linked["TargetTable"]["CatalogId"] == PRODUCER
    after = lake.frame_of(query("SELECT region, SUM(revenue) AS revenue FROM sales GROUP BY region", sub_db), session=consumer)
    expected = lake.frame.groupby("region")["revenue"].sum()
    assert {r: round(float(v), 6) for r, v in zip(after["region"], after["revenue"])} == {r: round(v, 6) for r, v in expected.items()}

    described = query("DESCRIBE sales", sub_db)
    assert described["Status"]["State"] == "SUCCEEDED"
    ctas = query(f"CREATE TABLE mine AS SELECT region, COUNT(*) AS n FROM {sub_db}.sales GROUP BY region", sub_db)
    assert ctas["Status"]["State"] == "SUCCEEDED", ctas["Status"].get("StateChangeReason")
    denied = query("INSERT INTO sales SELECT * FROM sales", sub_db)
    assert denied["Status"]["State"] == "FAILED" and "permission" in denied["Status"]["StateChangeReason"].lower()

    hide_glue_table(**link)
    hide_glue_table(**link)  # no error when absent
    assert lake.run("SELECT COUNT(*) FROM sales")["Status"]["State"] == "SUCCEEDED"  # the producer's table is intact
    gone = query("SELECT COUNT(*) FROM sales", sub_db)
    assert gone["Status"]["State"] == "FAILED"
    assert gone["Status"]["StateChangeReason"] == f"TABLE_NOT_FOUND: line 1:22: Table 'awsdatacatalog.{sub_db}.sales' does not exist"


def test_expose_needs_existing_target_database(lake: Lake) -> None:
    from lab_helpers.offline.athena import expose_glue_table

    with pytest.raises(LookupError, match="does not exist"):
        expose_glue_table(
            region=REGION, source_account=PRODUCER, source_database=lake.database, table="sales", target_account=CONSUMER, target_database="missing_db"
        )


# -------------------------------------------------------------------- awswrangler


@pytest.mark.parametrize("ctas_approach", [True, False])
def test_awswrangler_read_sql_query(lake: Lake, ctas_approach: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import awswrangler as wr

    sql = "SELECT region, channel, SUM(revenue) AS revenue, COUNT(*) AS orders, MIN(order_date) AS first_day FROM sales GROUP BY region, channel"
    df = wr.athena.read_sql_query(sql, database=lake.database, ctas_approach=ctas_approach, boto3_session=lake.session)
    df = df.sort_values(["region", "channel"]).reset_index(drop=True)
    expected = (
        lake.frame.groupby(["region", "channel"])
        .agg(revenue=("revenue", "sum"), orders=("order_id", "count"), first_day=("order_date", "min"))
        .reset_index()
    )
    assert list(df.columns) == ["region", "channel", "revenue", "orders", "first_day"]
    assert list(df["region"]) == list(expected["region"]) and list(df["channel"]) == list(expected["channel"])
    assert (df["revenue"].astype(float) - expected["revenue"]).abs().max() < 1e-6
    assert list(df["orders"].astype(int)) == list(expected["orders"])
    assert [pd.Timestamp(x).date() for x in df["first_day"]] == list(expected["first_day"])
    if ctas_approach:
        tables = lake.session.client("glue").get_tables(DatabaseName=lake.database)["TableList"]
        assert not [t for t in tables if t["Name"].startswith("temp_table_")]


def test_awswrangler_partitioned_dataset_cache_and_describe(producer: boto3.Session) -> None:
    import awswrangler as wr

    bucket = unique("wr").replace("_", "-")
    producer.client("s3").create_bucket(Bucket=bucket)
    db = unique("wr_db")
    wr.catalog.create_database(db, boto3_session=producer)
    frame = generate_sales(3000, seed=11)
    wr.s3.to_parquet(frame, f"s3://{bucket}/pq/", dataset=True, database=db, table="sales", partition_cols=["channel"], boto3_session=producer)
    described = wr.athena.describe_table("sales", database=db, boto3_session=producer)
    assert described.set_index("Column Name").loc["channel", "Partition"]
    sql = "SELECT channel, COUNT(*) AS n, SUM(units) AS units FROM sales GROUP BY channel ORDER BY channel"
    first = wr.athena.read_sql_query(sql, database=db, ctas_approach=False, boto3_session=producer, s3_output=f"s3://{bucket}/out/")
    expected = frame.groupby("channel").agg(n=("order_id", "count"), units=("units", "sum")).reset_index()
    assert first["channel"].tolist() == expected["channel"].tolist()
    assert first["n"].tolist() == expected["n"].tolist() and first["units"].tolist() == expected["units"].tolist()
    cached = wr.athena.read_sql_query(
        sql, database=db, ctas_approach=False, boto3_session=producer, s3_output=f"s3://{bucket}/out/",
        athena_cache_settings={"max_cache_seconds": 900}, keep_files=True,
    )
    assert cached["n"].tolist() == expected["n"].tolist()


def test_large_results_page_from_the_result_file(lake: Lake) -> None:
    sql = (
        "SELECT lpad(CAST(s.order_id AS VARCHAR), 10, '0') AS padded, n FROM sales s "
        "CROSS JOIN UNNEST(sequence(1, 6)) AS t(n) ORDER BY s.order_id, n"
    )
    got = lake.frame_of(lake.run(sql))
    assert len(got) == 6 * ROWS
    assert got["padded"].iloc[0] == "0000100001" and got["n"].iloc[:6].tolist() == ["1", "2", "3", "4", "5", "6"]
    assert got["padded"].iloc[-1] == f"{100000 + ROWS:010d}"


def test_concurrent_queries_do_not_interfere(lake: Lake) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(region: str) -> tuple[str, float]:
        session = boto3.Session(
            aws_access_key_id=lake.session.get_credentials().access_key,
            aws_secret_access_key=lake.session.get_credentials().secret_key,
            aws_session_token=lake.session.get_credentials().token,
            region_name=REGION,
        )
        got = lake.frame_of(lake.run(f"SELECT SUM(revenue) AS r FROM sales WHERE region = '{region}'", session=session), session=session)
        return region, float(got["r"].iloc[0])

    regions = sorted(lake.frame["region"].unique()) * 2
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, regions))
    expected = lake.frame.groupby("region")["revenue"].sum()
    assert all(abs(value - expected[region]) < 1e-6 for region, value in results)


def _start_count_still_running(athena, lake: Lake) -> str:  # type: ignore[no-untyped-def]
    """Start a COUNT(*) of the sales table; it must report RUNNING and refuse results yet."""
    qid = athena.start_query_execution(
        QueryString="SELECT COUNT(*) AS n FROM sales",
        QueryExecutionContext={"Database": lake.database},
        ResultConfiguration={"OutputLocation": lake.output},
    )["QueryExecutionId"]
    assert athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "RUNNING"
    with pytest.raises(athena.exceptions.InvalidRequestException, match="not yet finished"):
        athena.get_query_results(QueryExecutionId=qid)
    return qid


def test_state_progression_follows_moto_state_manager(lake: Lake, endpoint: str) -> None:
    import json
    import urllib.request

    def call(path: str, body: dict) -> None:
        request = urllib.request.Request(f"{endpoint}/moto-api/state-manager/{path}", data=json.dumps(body).encode(), method="POST")
        urllib.request.urlopen(request).read()

    athena = lake.session.client("athena")
    call("set-transition", {"model_name": "athena::execution", "transition": {"progression": "manual", "times": 1}})
    try:
        qid = _start_count_still_running(athena, lake)
        assert athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "SUCCEEDED"
    finally:
        call("unset-transition", {"model_name": "athena::execution"})
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == str(ROWS)


def test_long_queries_return_running_and_finish_in_background(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    from lab_helpers.offline.athena import moto_patch

    monkeypatch.setattr(moto_patch, "SYNC_SECONDS", 0.0)
    original = moto_patch.run

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(moto_patch, "run", slow)
    athena = lake.session.client("athena")
    qid = _start_count_still_running(athena, lake)
    execution = lake.run("SELECT 1")  # other queries are not blocked
    assert execution["Status"]["State"] == "SUCCEEDED"
    for _ in range(100):
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
        if state != "RUNNING":
            break
        time.sleep(0.05)
    assert state == "SUCCEEDED"
    assert athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"][1]["Data"][0]["VarCharValue"] == str(ROWS)


def test_large_results_stream_block_by_block(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past 10,000 rows, GetQueryResults reads the result file a block at a time: every page in order,
    values with quotes, commas and newlines and NULLs across block boundaries, an earlier page asked again."""
    from lab_helpers.offline.athena import engine

    monkeypatch.setattr(engine.ResultPages, "BLOCK", 4096)  # a few pages per block, many blocks
    athena = lake.session.client("athena")
    sql = (
        "SELECT s.order_id * 10 + n AS k, CASE WHEN n = 3 THEN NULL WHEN n = 4 THEN '' "
        "ELSE concat('a,\"b', chr(10), CAST(n AS VARCHAR)) END AS v "
        "FROM sales s CROSS JOIN UNNEST(sequence(1, 6)) AS t(n) ORDER BY k"
    )
    qid = lake.run(sql)["QueryExecutionId"]
    pages, tokens, token = [], [], None
    while True:
        page = athena.get_query_results(QueryExecutionId=qid, MaxResults=1000, **({"NextToken": token} if token else {}))
        pages.append([[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]])
        token = page.get("NextToken")
        if not token:
            break
        tokens.append(token)
    rows = [r for p in pages for r in p]
    assert len(pages) == -(-(6 * ROWS + 1) // 1000) and rows[0] == ["k", "v"]
    expected = [
        [str(o * 10 + n), None if n == 3 else "" if n == 4 else f'a,"b\n{n}'] for o in lake.frame["order_id"] for n in range(1, 7)
    ]
    assert rows[1:] == expected
    again = athena.get_query_results(QueryExecutionId=qid, MaxResults=1000, NextToken=tokens[1])["ResultSet"]["Rows"]
    assert [[d.get("VarCharValue") for d in r["Data"]] for r in again] == pages[2]

    exact = lake.run(sql + f" LIMIT {6 * ROWS - 1}")["QueryExecutionId"]  # with the header: exactly 12 full pages
    last = athena.get_query_results(QueryExecutionId=exact, MaxResults=1000, NextToken=tokens[10])
    assert len(last["ResultSet"]["Rows"]) == 1000 and "NextToken" not in last


def test_query_over_the_engine_memory_fails_like_athena(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    from lab_helpers.offline.athena import engine

    monkeypatch.setattr(engine, "MEMORY_LIMIT", "2MB")
    monkeypatch.setattr(engine, "_DB", None)  # a fresh engine database with that limit, for this test only
    execution = lake.run("SELECT n, array_agg(s.region) AS regions FROM sales s CROSS JOIN UNNEST(sequence(1, 50)) AS t(n) GROUP BY n")
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"].startswith("EXCEEDED_LOCAL_MEMORY_LIMIT: Query exhausted resources at this scale factor")
