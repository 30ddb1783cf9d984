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

from typing import Any

import boto3
import pandas as pd
from botocore.exceptions import ClientError

from .display import LabTable
from .errors import ShortTraceback
from .redshift import Warehouse
from .sample_data import SCHEMA
from .waits import WaitFailed, error_code, wait_for

#: Imported inside functions (awswrangler takes a second to import); warm kernels import it ahead (:mod:`.kernels`).
LAZY_IMPORTS = ("awswrangler",)
RAW_TABLE = "sales_raw"
GLUE_TABLE = "mkt_sls_table"
REDSHIFT_TABLE = "rs_sls_tbl"
REDSHIFT_RAW_SCHEMA = "public"
_REDSHIFT_TYPES = {"bigint": "BIGINT", "date": "DATE", "string": "VARCHAR(64)", "int": "INTEGER",
                   "double": "DOUBLE PRECISION"}


class QueryFailed(ShortTraceback, RuntimeError):
    """A query ended FAILED/CANCELLED/ABORTED; the message is the engine's own error."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------- Athena

def run_athena(session: boto3.Session, sql: str, database: str, output: str | None,
               workgroup: str = "primary", timeout: float = 600) -> dict[str, Any]:
    """Run ``sql`` in Athena and wait for it; return ``get_query_execution()["QueryExecution"]``.

    Athena reads the table definitions from the Glue Data Catalog (Lake Formation decides
    what the caller may see), runs the query and writes the result CSV to ``output`` (None:
    the workgroup's own result location). Raises :class:`QueryFailed` with Athena's
    ``StateChangeReason``.
    """
    athena = session.client("athena")
    kwargs: dict[str, Any] = {"ResultConfiguration": {"OutputLocation": output}} if output else {}
    query_id = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": database}, WorkGroup=workgroup, **kwargs)["QueryExecutionId"]
    try:
        done = wait_for(lambda: athena.get_query_execution(QueryExecutionId=query_id),
                        f"Athena query {query_id[:8]}", lambda r: r["QueryExecution"]["Status"]["State"],
                        {"SUCCEEDED"}, {"FAILED", "CANCELLED"}, timeout=timeout, delay=0.5, max_delay=5,
                        kind="athena_query")
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
        return LabTable(wr.athena.read_sql_query(sql, database=database, s3_output=output, workgroup=workgroup,
                                                 ctas_approach=False, boto3_session=session))
    except wr.exceptions.QueryFailed as exc:
        raise QueryFailed(str(exc)) from None


# ------------------------------------------------------------- Redshift Data API

def run_redshift(session: boto3.Session, sql: str, cluster_id: Warehouse | str, database: str, secret_arn: str,
                 timeout: float = 600) -> dict[str, Any]:
    """Run ``sql`` on the cluster or workgroup through the Redshift Data API and wait; return ``describe_statement``.

    ``cluster_id`` is a :class:`~lab_helpers.redshift.Warehouse` (or a cluster id). The Data
    API connects with the credentials in the Secrets Manager secret, so no driver or
    network path to the cluster is needed. Raises :class:`QueryFailed` with the statement's ``Error``.
    """
    rsd = session.client("redshift-data")
    statement_id = rsd.execute_statement(Sql=sql, Database=database, SecretArn=secret_arn,
                                         **Warehouse.of(cluster_id).data_api())["Id"]
    try:
        return wait_for(lambda: rsd.describe_statement(Id=statement_id), f"Redshift statement {statement_id[:8]}",
                        lambda r: r["Status"], {"FINISHED"}, {"FAILED", "ABORTED"}, timeout=timeout,
                        delay=0.5, max_delay=5, kind="redshift_statement")
    except WaitFailed as exc:
        raise QueryFailed(str(exc)) from None


def redshift_frame(session: boto3.Session, sql: str, cluster_id: Warehouse | str, database: str,
                   secret_arn: str) -> pd.DataFrame:
    """The result of a Redshift query as a DataFrame (``wr.data_api.redshift.read_sql_query``)."""
    import awswrangler as wr

    con = wr.data_api.redshift.connect(database=database, secret_arn=secret_arn, boto3_session=session,
                                       **Warehouse.of(cluster_id).wrangler())
    try:
        return LabTable(wr.data_api.redshift.read_sql_query(sql, con=con))
    except ClientError:
        raise
    except Exception as exc:  # awswrangler raises its own errors with the statement's Error
        raise QueryFailed(str(exc)) from None


def redshift_table_exists(session: boto3.Session, schema: str, table: str, cluster_id: Warehouse | str, database: str,
                          secret_arn: str) -> bool:
    """Whether ``schema.table`` exists (the Data API's ``list_tables``, which reads the catalog)."""
    rsd = session.client("redshift-data")
    kwargs: dict[str, Any] = {**Warehouse.of(cluster_id).data_api(), "Database": database, "SecretArn": secret_arn,
                              "SchemaPattern": schema, "TablePattern": table}
    while True:
        page = rsd.list_tables(**kwargs)
        if any(t.get("schema") == schema and t.get("name") == table for t in page.get("Tables", [])):
            return True
        if not page.get("NextToken"):
            return False
        kwargs["NextToken"] = page["NextToken"]


# ----------------------------------------------------------------- sample data

def glue_table_exists(session: boto3.Session, database: str, table: str) -> bool:
    """Whether the Glue Data Catalog has ``database.table`` (``glue.get_table``)."""
    try:
        session.client("glue").get_table(DatabaseName=database, Name=table)
        return True
    except ClientError as exc:
        if error_code(exc) == "EntityNotFoundException":
            return False
        raise


_ATHENA_TYPES = {"bigint": "BIGINT", "date": "DATE", "string": "VARCHAR", "int": "INTEGER", "double": "DOUBLE"}


def _values_select(frame: pd.DataFrame) -> str:
    """``SELECT CAST(c AS type) … FROM (VALUES (…), …) AS t(c, …)``: the rows as typed SQL literals."""
    names = [n for n, _ in SCHEMA]
    casts = ", ".join(f"CAST({n} AS {_ATHENA_TYPES[t]}) AS {n}" for n, t in SCHEMA)
    rows = ", ".join(_sql_row(r) for r in frame[names].itertuples(index=False))
    return f"SELECT {casts} FROM (VALUES {rows}) AS t({', '.join(names)})"


def _athena_count(session: boto3.Session, database: str, table: str, workgroup: str) -> int:
    return int(athena_frame(session, f"SELECT count(*) AS n FROM {database}.{table}", database, workgroup=workgroup).iloc[0, 0])


def ensure_athena_ctas(session: boto3.Session, database: str, frame: pd.DataFrame, workgroup: str,
                       table: str = GLUE_TABLE, batch: int = 1000) -> bool:
    """Create ``database.table`` from ``frame`` with Athena CTAS unless it holds exactly those rows.

    The walkthrough's "run CTAS to create sample table mkt_sls_table" step, done as the
    data portal's "Open Athena" does it: ``session`` is the environment's user role
    (:func:`lab_helpers.datazone.environment_session`), the query runs in the environment's
    ``workgroup``, and with no ``external_location`` Athena writes the Parquet files under
    the workgroup's result location, the environment's S3 prefix. The environment's Glue
    databases are governed by Lake Formation, which grants that role, not the publisher's
    own IAM principal, the right to create tables there. The rows travel as SQL
    literals (``VALUES``), as in the DataZone getting-started guide's CTAS, ``batch`` rows per
    statement (CTAS, then INSERT INTO) to stay far below Athena's 256 KB query-text limit.
    A table with another row count (an interrupted run) is dropped and made again.
    Returns True when the table was created now.
    """
    if glue_table_exists(session, database, table):
        if _athena_count(session, database, table, workgroup) == len(frame):
            return False
        run_athena(session, f"DROP TABLE {database}.{table}", database, None, workgroup)
    chunks = [frame.iloc[start:start + batch] for start in range(0, len(frame), batch)]
    run_athena(session, f"CREATE TABLE {database}.{table} WITH (format = 'PARQUET') AS {_values_select(chunks[0])}",
               database, None, workgroup)
    for chunk in chunks[1:]:
        run_athena(session, f"INSERT INTO {database}.{table} {_values_select(chunk)}", database, None, workgroup)
    return True


def ensure_redshift_tables(session: boto3.Session, frame: pd.DataFrame, schema: str, cluster_id: Warehouse | str,
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
    """Orders, units and revenue per region: the aggregate the subscriber compares with the source.

    Numbers are read with ``pd.to_numeric`` whatever type the engine returned (awswrangler
    gives Athena's BIGINT as ``Int64`` and the Redshift Data API's values as plain numbers or
    text); a value that is not a number counts as missing, so it shows as a difference.
    """
    frame = frame.copy()
    frame["revenue"] = pd.to_numeric(frame["revenue"], errors="coerce")
    frame["units"] = pd.to_numeric(frame["units"], errors="coerce")
    out = frame.groupby("region").agg(orders=("region", "size"), units=("units", "sum"),
                                      revenue=("revenue", "sum")).reset_index()
    out["units"] = out["units"].astype("int64")
    out["revenue"] = out["revenue"].astype(float).round(2)
    return LabTable(out.sort_values("region").reset_index(drop=True))


def compare_with_sample(sample: pd.DataFrame, engines: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, list[str]]:
    """Each engine's rows against the published ``sample``: (summary table, differences).

    The table has the sample's orders, units and revenue per region and each engine's next to
    them (``orders (athena)`` ...). A difference is a total row count, a region, an order or
    unit count that is not equal, or a revenue more than half a cent away; none means the
    engines read exactly what was published.
    """
    expected = sales_summary(sample)
    summary, differences = expected, []
    for engine, frame in engines.items():
        if len(frame) != len(sample):
            differences.append(f"{engine} returned {len(frame)} rows, the sample has {len(sample)}")
        got = sales_summary(frame)
        merged = expected.merge(got, on="region", how="outer", suffixes=("", f" ({engine})"), indicator=True)
        for _, row in merged.iterrows():
            if row["_merge"] != "both":
                where = "only in the sample" if row["_merge"] == "left_only" else f"only in {engine}'s rows"
                differences.append(f"{engine}: region {row['region']} is {where}")
                continue
            for column in ("orders", "units"):
                if int(row[column]) != int(row[f"{column} ({engine})"]):
                    differences.append(f"{engine}: {row['region']} has {int(row[f'{column} ({engine})'])} {column}, "
                                       f"the sample {int(row[column])}")
            if abs(float(row["revenue"]) - float(row[f"revenue ({engine})"])) >= 0.005:
                differences.append(f"{engine}: {row['region']} revenue is {row[f'revenue ({engine})']:.2f}, "
                                   f"the sample's {row['revenue']:.2f}")
        summary = summary.merge(got, on="region", how="outer", suffixes=("", f" ({engine})"))
    return summary, differences


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


#: How the engines say "you may not see this": a table/schema that is not there for the caller,
#: Lake Formation's or IAM's refusal, Redshift's missing relation or permission.
_NO_ACCESS = ("TABLE_NOT_FOUND", "SCHEMA_NOT_FOUND", "does not exist", "Insufficient Lake Formation permission",
              "Insufficient permissions", "AccessDenied", "not authorized", "permission denied")


def check_refused(engine: str, error: str | None, approved: bool = False) -> str:
    """The verdict on a query that must be refused: the line to show, or :class:`LabCheckFailed`.

    ``error`` None means the query ran. That is right only once the publisher has approved
    the subscription (``approved``: a re-run of 08 after 09); before, the consumer read data
    it was not granted, and this raises. An error that is not a refusal (a syntax error, a
    missing workgroup, a timeout) raises too: "refused as expected" must never hide a broken query.
    """
    from .verdicts import LabCheckFailed

    if error is None:
        if approved:
            return f"{engine}: the query ran (the subscription was approved earlier)"
        raise LabCheckFailed(f"{engine}: the query returned rows although no subscription to the table is approved: "
                             "the consumer reads data it was not granted. Look at who granted access outside "
                             "DataZone (Lake Formation permissions on the producer's table, a resource link or "
                             "datashare made by hand) and revoke it.")
    if not any(marker.lower() in error.lower() for marker in _NO_ACCESS):
        raise LabCheckFailed(f"{engine}: the query failed, but not because access is refused: {error}")
    return f"{engine}: refused as expected: {error}"
