"""Queries the personas run: Amazon Athena on Glue tables, the Amazon Redshift Data API,
and loading the walkthrough's sample sales data.

Two ways to each engine, same SQL:

- plain boto3: :func:`run_athena` (``start_query_execution`` + wait on
  ``get_query_execution``) and :func:`run_redshift` (``execute_statement`` + wait on
  ``describe_statement``), for DDL/CTAS/INSERT;
- awswrangler for results as DataFrames: :func:`athena_frame`
  (``wr.athena.read_sql_query``) and :func:`redshift_frame` (``wr.data_api.redshift``).
"""

from __future__ import annotations

import io
from typing import Any

import boto3
import pandas as pd
from botocore.exceptions import ClientError

from .sample_data import SCHEMA, to_csv_bytes
from .waits import WaitFailed, error_code, wait_for

RAW_DATABASE = "datazone_lab_raw"
RAW_TABLE = "sales_raw"
GLUE_TABLE = "mkt_sls_table"
REDSHIFT_TABLE = "rs_sls_tbl"
REDSHIFT_RAW_SCHEMA = "public"
_REDSHIFT_TYPES = {"bigint": "BIGINT", "date": "DATE", "string": "VARCHAR(64)", "int": "INTEGER",
                   "double": "DOUBLE PRECISION"}


class QueryFailed(RuntimeError):
    """A query ended FAILED/CANCELLED/ABORTED; the message is the engine's own error."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------- Athena

def run_athena(session: boto3.Session, sql: str, database: str, output: str,
               workgroup: str = "primary", timeout: float = 600) -> dict[str, Any]:
    """Run ``sql`` in Athena and wait for it; return ``get_query_execution()["QueryExecution"]``.

    Athena reads the table definitions from the Glue Data Catalog (Lake Formation decides
    what the caller may see), runs the query and writes the result CSV to ``output``.
    Raises :class:`QueryFailed` with Athena's ``StateChangeReason``.
    """
    athena = session.client("athena")
    query_id = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": database},
        ResultConfiguration={"OutputLocation": output}, WorkGroup=workgroup)["QueryExecutionId"]
    try:
        done = wait_for(lambda: athena.get_query_execution(QueryExecutionId=query_id),
                        f"Athena query {query_id[:8]}", lambda r: r["QueryExecution"]["Status"]["State"],
                        {"SUCCEEDED"}, {"FAILED", "CANCELLED"}, timeout=timeout, delay=0.5, max_delay=5,
                        progress=False)
    except WaitFailed as exc:
        raise QueryFailed(str(exc)) from None
    return done["QueryExecution"]


def athena_frame(session: boto3.Session, sql: str, database: str, output: str | None = None,
                 workgroup: str | None = None) -> pd.DataFrame:
    """The result of an Athena query as a DataFrame (``wr.athena.read_sql_query``).

    ``output`` None: results go to the workgroup's own location (a DataZone environment's
    workgroup writes under the environment's S3 prefix, which its user role may write to).

    ``ctas_approach=False``: awswrangler reads Athena's result CSV instead of creating a
    temporary table, so the subscriber needs no write access to the database.
    """
    import awswrangler as wr

    try:
        return wr.athena.read_sql_query(sql, database=database, s3_output=output, workgroup=workgroup,
                                        ctas_approach=False, boto3_session=session)
    except wr.exceptions.QueryFailed as exc:
        raise QueryFailed(str(exc)) from None


# ------------------------------------------------------------- Redshift Data API

def run_redshift(session: boto3.Session, sql: str, cluster_id: str, database: str, secret_arn: str,
                 timeout: float = 600) -> dict[str, Any]:
    """Run ``sql`` on the cluster through the Redshift Data API and wait; return ``describe_statement``.

    The Data API connects to the cluster with the credentials in the Secrets Manager
    secret, so no driver or network path to the cluster is needed. Raises
    :class:`QueryFailed` with the statement's ``Error``.
    """
    rsd = session.client("redshift-data")
    statement_id = rsd.execute_statement(Sql=sql, ClusterIdentifier=cluster_id, Database=database,
                                         SecretArn=secret_arn)["Id"]
    try:
        return wait_for(lambda: rsd.describe_statement(Id=statement_id), f"Redshift statement {statement_id[:8]}",
                        lambda r: r["Status"], {"FINISHED"}, {"FAILED", "ABORTED"}, timeout=timeout, progress=False,
                        delay=0.5, max_delay=5)
    except WaitFailed as exc:
        raise QueryFailed(str(exc)) from None


def redshift_frame(session: boto3.Session, sql: str, cluster_id: str, database: str,
                   secret_arn: str) -> pd.DataFrame:
    """The result of a Redshift query as a DataFrame (``wr.data_api.redshift.read_sql_query``)."""
    import awswrangler as wr

    con = wr.data_api.redshift.connect(cluster_id=cluster_id, database=database, secret_arn=secret_arn,
                                       boto3_session=session)
    try:
        return wr.data_api.redshift.read_sql_query(sql, con=con)
    except ClientError:
        raise
    except Exception as exc:  # awswrangler raises its own errors with the statement's Error
        raise QueryFailed(str(exc)) from None


def redshift_table_exists(session: boto3.Session, schema: str, table: str, cluster_id: str, database: str,
                          secret_arn: str) -> bool:
    """Whether ``schema.table`` exists (the Data API's ``list_tables``, which reads the cluster catalog)."""
    rsd = session.client("redshift-data")
    kwargs: dict[str, Any] = {"ClusterIdentifier": cluster_id, "Database": database, "SecretArn": secret_arn,
                              "SchemaPattern": schema, "TablePattern": table}
    while True:
        page = rsd.list_tables(**kwargs)
        if any(t.get("schema") == schema and t.get("name") == table for t in page.get("Tables", [])):
            return True
        if not page.get("NextToken"):
            return False
        kwargs["NextToken"] = page["NextToken"]


# ----------------------------------------------------------------- sample data

def upload_sales(session: boto3.Session, frame: pd.DataFrame, bucket: str,
                 key: str = "raw/sales/sales.csv") -> str:
    """Put the sample sales as one CSV object in S3; return its folder ``s3://bucket/raw/sales/``."""
    session.client("s3").put_object(Bucket=bucket, Key=key, Body=to_csv_bytes(frame), ContentType="text/csv")
    return f"s3://{bucket}/{key.rsplit('/', 1)[0]}/"


def ensure_raw_glue_table(session: boto3.Session, location: str, database: str = RAW_DATABASE,
                          table: str = RAW_TABLE) -> dict[str, Any]:
    """Get or create the raw CSV table over ``location`` in its OWN Glue database.

    It lives outside the DataZone environment's ``_pub_db`` so the Glue data source
    (which imports every table of that database) does not publish the raw data.
    """
    glue = session.client("glue")
    try:
        glue.create_database(DatabaseInput={"Name": database,
                                            "Description": "Raw sample data of the DataZone lab (not published)"})
    except ClientError as exc:
        if error_code(exc) != "AlreadyExistsException":
            raise
    try:
        return glue.get_table(DatabaseName=database, Name=table)["Table"]
    except ClientError as exc:
        if error_code(exc) != "EntityNotFoundException":
            raise
    glue.create_table(DatabaseName=database, TableInput={
        "Name": table, "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv", "skip.header.line.count": "1", "EXTERNAL": "TRUE"},
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in SCHEMA],
            "Location": location,
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                          "Parameters": {"field.delim": ",", "serialization.format": ","}},
        }})
    return glue.get_table(DatabaseName=database, Name=table)["Table"]


def glue_table_exists(session: boto3.Session, database: str, table: str) -> bool:
    """Whether the Glue Data Catalog has ``database.table`` (``glue.get_table``)."""
    try:
        session.client("glue").get_table(DatabaseName=database, Name=table)
        return True
    except ClientError as exc:
        if error_code(exc) == "EntityNotFoundException":
            return False
        raise


def ensure_athena_ctas(session: boto3.Session, database: str, output: str, location: str,
                       table: str = GLUE_TABLE, source: str = f"{RAW_DATABASE}.{RAW_TABLE}") -> bool:
    """Create ``database.table`` with Athena CTAS (Parquet at ``location``) unless it exists.

    This is the walkthrough's "run CTAS to create sample table mkt_sls_table" step. Returns
    True when the table was created now.
    """
    if glue_table_exists(session, database, table):
        return False
    columns = ", ".join(n for n, _ in SCHEMA)
    run_athena(session, f"CREATE TABLE {database}.{table} WITH (format = 'PARQUET', "
                        f"external_location = '{location}') AS SELECT {columns} FROM {source}", database, output)
    return True


def ensure_redshift_tables(session: boto3.Session, frame: pd.DataFrame, schema: str, cluster_id: str,
                           database: str, secret_arn: str, table: str = REDSHIFT_TABLE,
                           raw: str = f"{REDSHIFT_RAW_SCHEMA}.{RAW_TABLE}", batch: int = 250) -> bool:
    """Load the raw sales into Redshift (``raw``) and create ``schema.table`` by CTAS unless it exists.

    The raw table is filled with batched INSERTs through the Data API (no cluster IAM role
    needed, unlike COPY); a re-run refills it only when its row count differs. The CTAS
    writes into the environment's schema ``datazone_env_<environment>``, which the
    Redshift data source imports. Returns True when ``table`` was created now.
    """
    run = lambda sql: run_redshift(session, sql, cluster_id, database, secret_arn)  # noqa: E731
    columns = ", ".join(f"{n} {_REDSHIFT_TYPES[t]}" for n, t in SCHEMA)
    run(f"CREATE TABLE IF NOT EXISTS {raw} ({columns})")
    count = redshift_frame(session, f"SELECT count(*) AS n FROM {raw}", cluster_id, database, secret_arn)
    if int(count.iloc[0, 0]) != len(frame):
        run(f"DELETE FROM {raw}")
        for start in range(0, len(frame), batch):
            run(f"INSERT INTO {raw} VALUES " + ", ".join(_sql_row(r) for r in
                                                         frame.iloc[start:start + batch].itertuples(index=False)))
    if redshift_table_exists(session, schema, table, cluster_id, database, secret_arn):
        return False
    run(f"CREATE TABLE {schema}.{table} AS SELECT * FROM {raw}")
    return True


def _sql_row(row: Any) -> str:
    values = []
    for value in row:
        if isinstance(value, str):
            values.append("'" + value.replace("'", "''") + "'")
        elif hasattr(value, "isoformat"):
            values.append(f"'{value.isoformat()}'")
        else:
            values.append(str(value))
    return "(" + ", ".join(values) + ")"


def sales_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Orders, units and revenue per region: the aggregate the subscriber compares with the source."""
    frame = frame.copy()
    frame["revenue"] = frame["revenue"].astype(float)
    frame["units"] = frame["units"].astype(int)
    out = frame.groupby("region").agg(orders=("order_id", "count"), units=("units", "sum"),
                                      revenue=("revenue", "sum")).reset_index()
    out["revenue"] = out["revenue"].round(2)
    return out.sort_values("region").reset_index(drop=True)


def frame_from_csv(data: bytes) -> pd.DataFrame:
    """A CSV (as uploaded by :func:`upload_sales`) back into a DataFrame."""
    return pd.read_csv(io.BytesIO(data))


def attempt(query: Any, *args: Any, **kwargs: Any) -> tuple[pd.DataFrame | None, str | None]:
    """Run ``query(*args, **kwargs)`` expecting it may be refused: (frame, None) or (None, reason).

    Used to show that the subscriber cannot read the producer's data before the grant: an
    AccessDenied / table-not-found answer is the expected outcome there, not a lab error.
    """
    try:
        return query(*args, **kwargs), None
    except QueryFailed as exc:
        return None, str(exc)
    except ClientError as exc:
        return None, f"{error_code(exc)}: {exc.response.get('Error', {}).get('Message', '')}"
