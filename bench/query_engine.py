"""Benchmark: the stand-in's Athena against DuckDB reading the same Parquet directly.

Starts a stand-in (``python -m lab_helpers.offline.app``) in a subprocess with its own
``LAB_OFFLINE_DATA``, loads ``generate_sales(rows)`` as Parquet into its S3, declares the
Glue table through Athena DDL, then times CTAS + GROUP BY through boto3 Athena, and the same
two statements in DuckDB on the local Parquet file. Prints both times, their ratio and the
stand-in's peak RSS (``VmHWM``). Targets: ratio <= 1.5, peak RSS <= 1 GiB.

    python bench/query_engine.py [--rows 1000000] [--repeat 1] [--check]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from lab_helpers.sample_data import SCHEMA, generate_sales

BUCKET = "bench-query-engine"
DATABASE = "bench"
RATIO_TARGET = 1.5
RSS_TARGET = 1 << 30

CTAS_SELECT = (
    "SELECT order_id, order_date, region, channel, campaign, product_category, units, revenue, "
    "revenue / units AS unit_price, year(order_date) AS order_year FROM {source} WHERE units >= 2"
)
GROUP_BY = (
    "SELECT region, channel, COUNT(*) AS orders, SUM(units) AS units, ROUND(SUM(revenue), 2) AS revenue, "
    "ROUND(AVG(unit_price), 4) AS avg_price FROM {source} GROUP BY region, channel ORDER BY region, channel"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stand_in(data_dir: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, LAB_OFFLINE_DATA=data_dir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab_helpers.offline.app", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"stand-in exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/__lab_kit__/health", timeout=1) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.02)
    proc.terminate()
    raise RuntimeError("stand-in did not become healthy in 60 s")


def peak_rss(pid: int) -> int:
    """``VmHWM`` of a process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("VmHWM not found")


def athena_run(athena, sql: str, output: str) -> str:  # type: ignore[no-untyped-def]
    qid = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": DATABASE}, ResultConfiguration={"OutputLocation": output}
    )["QueryExecutionId"]
    while True:
        status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        time.sleep(0.01)
    if status["State"] != "SUCCEEDED":
        raise RuntimeError(f"{sql[:60]}… {status['State']}: {status.get('StateChangeReason')}")
    return qid


def athena_rows(athena, qid: str) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    rows = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
        rows += [tuple(d.get("VarCharValue") for d in r["Data"]) for r in page["ResultSet"]["Rows"]]
    return rows[1:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each side (best is reported)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-query-engine-"))
    local = work / "sales.parquet"
    frame = generate_sales(args.rows)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, local)
    del frame, table
    print(f"rows: {args.rows:,}  parquet: {local.stat().st_size / 1e6:.1f} MB")

    proc, url = start_stand_in(str(work / "offline-data"))
    try:
        session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1")
        s3 = session.client("s3", endpoint_url=url)
        athena = session.client("athena", endpoint_url=url)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="raw/sales/part-0.parquet", Body=local.read_bytes())
        output = f"s3://{BUCKET}/results/"
        athena_run(athena, f"CREATE DATABASE {DATABASE}", output)
        columns = ", ".join(f"{n} {t}" for n, t in SCHEMA)
        athena_run(athena, f"CREATE EXTERNAL TABLE sales ({columns}) STORED AS PARQUET LOCATION 's3://{BUCKET}/raw/sales/'", output)

        # The load check both sides do before timing: the table's row count.
        counted = athena_rows(athena, athena_run(athena, "SELECT COUNT(*) FROM sales", output))
        assert counted == [(str(args.rows),)], counted
        con = duckdb.connect()
        assert con.execute(f"SELECT COUNT(*) FROM read_parquet('{local}')").fetchone() == (args.rows,)

        stand_in_times, athena_result = [], []
        for i in range(args.repeat):
            started = time.perf_counter()
            athena_run(
                athena,
                f"CREATE TABLE enriched_{i} WITH (format = 'PARQUET', external_location = 's3://{BUCKET}/ctas/{i}/') AS "
                + CTAS_SELECT.format(source="sales"),
                output,
            )
            middle = time.perf_counter()
            qid = athena_run(athena, GROUP_BY.format(source=f"enriched_{i}"), output)
            athena_result = athena_rows(athena, qid)
            stand_in_times.append((time.perf_counter() - started, middle - started))

        duck_times, duck_result = [], []
        for i in range(args.repeat):
            out = work / f"enriched_{i}.parquet"
            started = time.perf_counter()
            con.execute(f"COPY ({CTAS_SELECT.format(source=f'read_parquet({str(local)!r})')}) TO '{out}' (FORMAT PARQUET)")
            middle = time.perf_counter()
            duck_result = con.execute(GROUP_BY.format(source=f"read_parquet('{out}')")).fetchall()
            duck_times.append((time.perf_counter() - started, middle - started))
        con.close()
        rss = peak_rss(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    same = [tuple(str(v) for v in row) for row in duck_result] == athena_result
    (stand_in, stand_in_ctas), (direct, direct_ctas) = min(stand_in_times), min(duck_times)
    ratio = stand_in / direct
    print(f"stand-in Athena (CTAS + GROUP BY via boto3): {stand_in * 1000:8.0f} ms  (CTAS {stand_in_ctas * 1000:.0f} ms)")
    print(f"DuckDB direct on local Parquet:              {direct * 1000:8.0f} ms  (CTAS {direct_ctas * 1000:.0f} ms)")
    print(f"ratio: {ratio:.2f} (target <= {RATIO_TARGET})  {'OK' if ratio <= RATIO_TARGET else 'MISSED'}")
    print(f"stand-in peak RSS: {rss / 2**20:.0f} MiB (target <= 1024 MiB)  {'OK' if rss <= RSS_TARGET else 'MISSED'}")
    print(f"results identical: {same}")
    ok = same and ratio <= RATIO_TARGET and rss <= RSS_TARGET
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
