"""Benchmark: the stand-in's Athena against DuckDB reading the same Parquet directly.

For each size, starts a fresh stand-in (``python -m lab_helpers.offline.app``) in a
subprocess with its own ``LAB_OFFLINE_DATA``, loads ``generate_sales(rows)`` as Parquet into
its S3, declares the Glue table through Athena DDL, then times CTAS + GROUP BY through boto3
Athena, and the same two statements in DuckDB on the local Parquet file (with DuckDB's
defaults, and with the stand-in's settings). Prints one line per size: the times, the
ratios and the stand-in process's peak RSS (its ``VmHWM``, read from ``/proc`` before it
stops: the server alone, not this process). Targets: ratio <= 1.2, peak RSS <= 1 GiB and
growing less than the row count.

    python bench/query_engine.py [--rows 1000000 5000000] [--repeat 3] [--check]
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
from dataclasses import dataclass
from pathlib import Path

import boto3
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from lab_helpers.offline.athena.engine import MEMORY_LIMIT
from lab_helpers.sample_data import SCHEMA, generate_sales

BUCKET = "bench-query-engine"
DATABASE = "bench"
RATIO_TARGET = 1.2
RSS_TARGET = 1 << 30
#: The stand-in's DuckDB settings that change speed (see ``lab_helpers.offline.athena.engine``).
STAND_IN_SETTINGS: dict[str, object] = {"preserve_insertion_order": False, "memory_limit": MEMORY_LIMIT}

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


@dataclass
class Measure:
    """One size's figures: best times (total, CTAS part) in seconds, the stand-in's peak RSS in bytes."""

    rows: int
    parquet_bytes: int
    stand_in: tuple[float, float]
    direct: tuple[float, float]
    direct_same: tuple[float, float]
    rss: int
    identical: bool

    @property
    def ratio(self) -> float:
        return self.stand_in[0] / self.direct[0]

    @property
    def ratio_same(self) -> float:
        return self.stand_in[0] / self.direct_same[0]


def duck_once(con: duckdb.DuckDBPyConnection, local: Path, out: Path) -> tuple[tuple[float, float], list[tuple[str, ...]]]:
    """One CTAS + GROUP BY in DuckDB on the local Parquet file: (total, CTAS) seconds and the GROUP BY's rows."""
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    con.execute(f"COPY ({CTAS_SELECT.format(source=f'read_parquet({str(local)!r})')}) TO '{out}' (FORMAT PARQUET)")
    middle = time.perf_counter()
    result = con.execute(GROUP_BY.format(source=f"read_parquet('{out}')")).fetchall()
    return (time.perf_counter() - started, middle - started), [tuple(str(v) for v in row) for row in result]


def measure(rows: int, repeat: int) -> Measure:
    """Load ``rows`` sales rows into a fresh stand-in and time both sides on them."""
    work = Path(tempfile.mkdtemp(prefix="bench-query-engine-"))
    local = work / "sales.parquet"
    frame = generate_sales(rows)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, local)
    del frame, table

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
        assert counted == [(str(rows),)], counted
        assert duckdb.connect().execute(f"SELECT COUNT(*) FROM read_parquet('{local}')").fetchone() == (rows,)

        # Rounds interleave the three sides, so a load that drifts on a shared machine hits them alike.
        defaults, same = duckdb.connect(), duckdb.connect(config=STAND_IN_SETTINGS)
        stand_in_times, direct_times, same_times, identical = [], [], [], True
        for i in range(repeat):
            started = time.perf_counter()
            athena_run(
                athena,
                f"CREATE TABLE enriched_{i} WITH (format = 'PARQUET', external_location = 's3://{BUCKET}/ctas/{i}/') AS "
                + CTAS_SELECT.format(source="sales"),
                output,
            )
            middle = time.perf_counter()
            athena_result = athena_rows(athena, athena_run(athena, GROUP_BY.format(source=f"enriched_{i}"), output))
            stand_in_times.append((time.perf_counter() - started, middle - started))
            took, duck_result = duck_once(defaults, local, work / "direct.parquet")
            direct_times.append(took)
            same_times.append(duck_once(same, local, work / "same.parquet")[0])
            identical = identical and duck_result == athena_result
        rss = peak_rss(proc.pid)
        return Measure(rows, local.stat().st_size, min(stand_in_times), min(direct_times), min(same_times), rss, identical)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000], help="table sizes, one line each")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs of each side, interleaved; the best of each is reported (one run varies ±20 %% on a shared VM)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    print(f"targets: ratio <= {RATIO_TARGET} (against DuckDB direct), stand-in peak RSS <= {RSS_TARGET >> 20} MiB, growing less than rows")
    print(f"{'rows':>11} {'parquet':>8} {'stand-in':>9} {'(CTAS)':>7} {'DuckDB':>8} {'ratio':>6} {'same cfg':>9} {'ratio':>6} {'peak RSS':>9}  same rows")
    measures = []
    for rows in args.rows:
        m = measure(rows, args.repeat)
        measures.append(m)
        print(
            f"{m.rows:>11,} {m.parquet_bytes / 1e6:>6.1f}MB {m.stand_in[0] * 1000:>7.0f}ms {m.stand_in[1] * 1000:>5.0f}ms "
            f"{m.direct[0] * 1000:>6.0f}ms {m.ratio:>6.2f} {m.direct_same[0] * 1000:>7.0f}ms {m.ratio_same:>6.2f} "
            f"{m.rss / 2**20:>6.0f}MiB  {m.identical}",
            flush=True,
        )
    print("(same cfg: DuckDB direct with the stand-in's settings, so its ratio is the stand-in's own overhead)")
    ok = all(m.identical and m.ratio <= RATIO_TARGET and m.rss <= RSS_TARGET for m in measures)
    by_size = sorted(measures, key=lambda m: m.rows)
    if len(by_size) > 1 and by_size[-1].rows > by_size[0].rows:
        small, large = by_size[0], by_size[-1]
        rows_growth, rss_growth = large.rows / small.rows, large.rss / small.rss
        sublinear = rss_growth < rows_growth
        ok = ok and sublinear
        print(f"peak RSS grows x{rss_growth:.2f} for x{rows_growth:.1f} rows: {'less than linear, OK' if sublinear else 'MISSED'}")
    print("all targets met" if ok else "a target was MISSED")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
