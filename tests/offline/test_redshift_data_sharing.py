"""Accounts are isolated; a datashare-like exposure lets the consumer read one table, read-only."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError

from lab_helpers.offline.redshift_data import (
    EngineError,
    describe_schema,
    expose_redshift_table,
    hide_redshift_table,
    run_sql,
)
from lab_helpers.offline.redshift_data.engine import HUB
from lab_helpers.sample_data import generate_sales

from .conftest import CONSUMER, PRODUCER, REGION
from .test_redshift_data import AGG_SQL, SALES_DDL, Warehouse, assert_matches_pandas, consumer_warehouse, insert_sql, warehouse  # noqa: F401

#: The consumer's refusal to write into an exposed (shared) table, per statement.
READ_ONLY = {"INSERT": "ERROR: cannot insert into a view", "DELETE": "ERROR: cannot delete from a view",
             "UPDATE": "ERROR: cannot update a view"}


def _share(producer: Warehouse, consumer: Warehouse, schema: str = "datazone_env_sub") -> dict[str, str]:
    return dict(
        region=REGION,
        source_account=PRODUCER,
        source_store=producer.cluster_id,
        source_database="dev",
        source_schema="public",
        table="rs_sls_tbl",
        target_account=CONSUMER,
        target_store=consumer.cluster_id,
        target_database="dev",
        target_schema=schema,
    )


@pytest.fixture
def loaded(warehouse):
    sales = generate_sales(500)
    warehouse.run(SALES_DDL.format(table="public.rs_sls_tbl"))
    warehouse.run(insert_sql("public.rs_sls_tbl", sales))
    return warehouse, sales


@pytest.fixture
def twin_warehouse(loaded, consumer) -> Warehouse:
    """The consumer's cluster under the producer's cluster name, as in the lab (both accounts name theirs alike)."""
    return Warehouse(consumer, CONSUMER, cluster_id=loaded[0].cluster_id)


def test_consumer_reads_only_after_expose_and_not_after_hide(loaded, twin_warehouse):
    producer, sales = loaded
    consumer = twin_warehouse
    assert consumer.cluster_id == producer.cluster_id
    share = _share(producer, consumer)

    # Same names, other account: the consumer's cluster of the same name has no such relation.
    for sql, relation in (
        ("SELECT COUNT(*) FROM public.rs_sls_tbl", "public.rs_sls_tbl"),
        ('SELECT COUNT(*) FROM "dev"."public"."rs_sls_tbl"', "public.rs_sls_tbl"),
        ("SELECT COUNT(*) FROM datazone_env_sub.rs_sls_tbl", "datazone_env_sub.rs_sls_tbl"),
    ):
        assert f'relation "{relation}" does not exist' in consumer.fail(sql)
    # What the consumer writes stays in its own cluster of that name.
    consumer.run("CREATE TABLE public.rs_sls_tbl (x INT)")
    assert producer.frame("SELECT COUNT(*) AS n FROM public.rs_sls_tbl").iloc[0]["n"] == len(sales)
    assert consumer.frame("SELECT COUNT(*) AS n FROM public.rs_sls_tbl").iloc[0]["n"] == 0

    expose_redshift_table(**share)
    expose_redshift_table(**share)  # idempotent
    assert_matches_pandas(consumer.frame(AGG_SQL.format(table="datazone_env_sub.rs_sls_tbl")), sales)

    # Live like a datashare: new producer rows show up; the consumer cannot write.
    producer.run("INSERT INTO public.rs_sls_tbl VALUES (999999, '2024-12-31', 'Europe', 'Online', 'None', 'Books', 1, 10.0)")
    assert consumer.frame("SELECT COUNT(*) AS n FROM datazone_env_sub.rs_sls_tbl").iloc[0]["n"] == 501
    for write in ("INSERT INTO datazone_env_sub.rs_sls_tbl (order_id) VALUES (1)", "DELETE FROM datazone_env_sub.rs_sls_tbl",
                  "UPDATE datazone_env_sub.rs_sls_tbl SET units = 0"):
        assert consumer.fail(write) == READ_ONLY[write.split()[0]], write
    assert producer.frame("SELECT COUNT(*) AS n FROM public.rs_sls_tbl").iloc[0]["n"] == 501

    # Only the exposed table: the producer's other tables stay out of reach.
    producer.run("CREATE TABLE public.secret_tbl AS SELECT 1 AS x")
    assert 'relation "datazone_env_sub.secret_tbl" does not exist' in consumer.fail("SELECT * FROM datazone_env_sub.secret_tbl")

    hide_redshift_table(**share)
    hide_redshift_table(**share)  # idempotent
    assert 'relation "datazone_env_sub.rs_sls_tbl" does not exist' in consumer.fail(
        "SELECT COUNT(*) FROM datazone_env_sub.rs_sls_tbl"
    )
    assert producer.frame("SELECT COUNT(*) AS n FROM public.rs_sls_tbl").iloc[0]["n"] == 501


def test_consumer_cannot_point_at_the_producers_cluster(loaded, consumer_warehouse):
    producer, _ = loaded
    with pytest.raises(ClientError) as refused:
        consumer_warehouse.client.execute_statement(
            ClusterIdentifier=producer.cluster_id, Database="dev", DbUser="awsuser", Sql="SELECT 1"
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == "Redshift endpoint doesn't exist in this region."


def test_expose_unknown_table_is_refused(warehouse, consumer_warehouse):
    share = _share(warehouse, consumer_warehouse) | {"table": "no_such_table"}
    with pytest.raises(EngineError, match="does not exist"):
        expose_redshift_table(**share)


def test_run_sql_and_describe_schema_in_process(loaded):
    producer, sales = loaded
    where = dict(account_id=PRODUCER, region=REGION, store=producer.cluster_id, database="dev")
    run_sql(**where, sql="CREATE SCHEMA IF NOT EXISTS datazone_env_abc123")
    run_sql(**where, sql="CREATE SCHEMA IF NOT EXISTS datazone_env_abc123")
    rows = run_sql(**where, sql="SELECT region, COUNT(*) AS n FROM public.rs_sls_tbl GROUP BY region ORDER BY region")
    assert {r["region"]: r["n"] for r in rows} == sales.groupby("region").size().to_dict()

    run_sql(**where, sql="CREATE TABLE datazone_env_abc123.priced (id INT8, price NUMERIC(10,2), name VARCHAR(30), ok BOOL)")
    schema = describe_schema(**where, schema="public")
    assert schema["rs_sls_tbl"] == [
        ("order_id", "int8"),
        ("order_date", "date"),
        ("region", "varchar"),
        ("channel", "varchar"),
        ("campaign", "varchar"),
        ("product_category", "varchar"),
        ("units", "int4"),
        ("revenue", "float8"),
    ]
    assert describe_schema(**where, schema="datazone_env_abc123") == {
        "priced": [("id", "int8"), ("price", "numeric(10,2)"), ("name", "varchar"), ("ok", "bool")]
    }
    # The schema made in-process is visible to the Data API, and errors carry Redshift's words.
    producer.run("CREATE TABLE datazone_env_abc123.t AS SELECT 1 AS x")
    with pytest.raises(EngineError, match='relation "nope" does not exist'):
        run_sql(**where, sql="SELECT * FROM nope")
    other_account = dict(where, account_id=CONSUMER)
    with pytest.raises(EngineError, match='relation "public.rs_sls_tbl" does not exist'):
        run_sql(**other_account, sql="SELECT * FROM public.rs_sls_tbl")


def test_databases_survive_a_restart_with_exposures(loaded, consumer_warehouse):
    """Reopening the hub (as a new server process would) re-attaches files; views still resolve."""
    producer, sales = loaded
    share = _share(producer, consumer_warehouse, schema="restart_share")
    expose_redshift_table(**share)
    with HUB.lock:
        HUB._root = None  # force a fresh DuckDB instance on next use
    assert consumer_warehouse.frame("SELECT COUNT(*) AS n FROM restart_share.rs_sls_tbl").iloc[0]["n"] == len(sales)
    assert producer.frame("SELECT COUNT(*) AS n FROM public.rs_sls_tbl").iloc[0]["n"] == len(sales)


def test_concurrent_statements_from_both_accounts(loaded, consumer_warehouse):
    producer, sales = loaded
    expose_redshift_table(**_share(producer, consumer_warehouse, schema="busy"))
    consumer_warehouse.run("CREATE TABLE mine (x INT)")
    errors: list[BaseException] = []

    def work(warehouse: Warehouse, sql: str) -> None:
        try:
            for _ in range(5):
                warehouse.frame(sql)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(producer, "SELECT COUNT(*) AS n FROM public.rs_sls_tbl")),
        threading.Thread(target=work, args=(consumer_warehouse, "SELECT COUNT(*) AS n FROM busy.rs_sls_tbl")),
        threading.Thread(target=work, args=(consumer_warehouse, "SELECT COUNT(*) AS n FROM mine")),
        threading.Thread(target=lambda: [producer.run("INSERT INTO public.rs_sls_tbl SELECT * FROM public.rs_sls_tbl LIMIT 1") for _ in range(5)]),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert consumer_warehouse.frame("SELECT COUNT(*) AS n FROM busy.rs_sls_tbl").iloc[0]["n"] == len(sales) + 5


def test_deleting_a_cluster_deletes_its_databases(loaded, consumer_warehouse):
    producer, _ = loaded
    expose_redshift_table(**_share(producer, consumer_warehouse, schema="gone_share"))
    redshift = producer.session.client("redshift")
    redshift.delete_cluster(ClusterIdentifier=producer.cluster_id, SkipFinalClusterSnapshot=True)
    error = consumer_warehouse.fail("SELECT COUNT(*) FROM gone_share.rs_sls_tbl")
    assert "does not exist" in error and "rs_" not in error.replace("rs_sls_tbl", "")

    redshift.create_cluster(
        ClusterIdentifier=producer.cluster_id,
        NodeType="ra3.xlplus",
        ClusterType="single-node",
        MasterUsername="awsuser",
        MasterUserPassword="Passw0rd-lab",
        Encrypted=True,
    )
    assert 'relation "public.rs_sls_tbl" does not exist' in producer.fail("SELECT * FROM public.rs_sls_tbl")
    producer.run("CREATE TABLE public.rs_sls_tbl (x INT)")  # a new cluster starts empty


def test_sql_cannot_reach_files_or_other_accounts_databases(loaded, consumer_warehouse, tmp_path, monkeypatch):
    from lab_helpers.offline.redshift_data.engine import Location, root

    producer, _ = loaded
    producer_alias = Location(PRODUCER, REGION, producer.cluster_id, "dev").alias
    (root() / "loot.csv").write_text("a,b\n1,2\n")
    (tmp_path / "loot.csv").write_text("a,b\n1,2\n")
    monkeypatch.chdir(tmp_path)
    # Each is refused for the reason Redshift would give (not, say, a syntax error in the test's SQL).
    attempts = {
        f"SELECT * FROM {producer_alias}.public.rs_sls_tbl": f'database "{producer_alias}" does not exist',
        f'SELECT * FROM "{producer_alias}"."public"."rs_sls_tbl"': f'database "{producer_alias}" does not exist',
        "SELECT * FROM 'loot.csv'": 'relation "public.loot.csv" does not exist',
        f"SELECT * FROM '{(root() / 'loot.csv').as_posix()}'": "loot.csv\"\" does not exist",
        f"SELECT * FROM \"{tmp_path.as_posix()}/loot\".\"csv\"": '/loot"."csv"" does not exist',
        "SELECT * FROM read_csv('loot.csv')": "function read_csv() does not exist",
        "SELECT * FROM duckdb_databases()": "function duckdb_databases() does not exist",
        f"ATTACH '{producer.cluster_id}' AS x": "syntax error",  # no such statement in Redshift
        "INSTALL httpfs": "statements are not supported by the offline Redshift stand-in",
        "SELECT * FROM pg_catalog.pg_class": 'system relation "pg_catalog.pg_class" is not available',
        "SELECT * FROM stl_query": 'system relation "stl_query" is not available',
    }
    for sql, words in attempts.items():
        error = consumer_warehouse.fail(sql)
        assert error.startswith("ERROR:") and words in error, (sql, error)
    visible = consumer_warehouse.frame("SELECT table_name FROM information_schema.tables")
    assert "rs_sls_tbl" not in set(visible["table_name"])
    consumer_warehouse.run("SET enable_external_access = true")  # accepted, without effect
    assert "does not exist" in consumer_warehouse.fail("SELECT * FROM 'loot.csv'")
