"""Redshift Data API that really runs SQL, offline (moto's returns three fixed rows).

``install()`` swaps moto's ``redshift-data`` handlers for ones backed by DuckDB: each
(account, Region, cluster or workgroup, database) is a DuckDB file under
``data_dir()/redshift``; SQL is translated from Redshift's dialect by sqlglot; COPY reads
moto's S3 in-process. A statement sees only its own account's databases; the DataZone
backend shares a table across accounts with :func:`expose_redshift_table`. Deleting a
cluster (or resetting moto) deletes its databases, as on AWS.

Modules: ``engine`` (DuckDB hub, locations, type names), ``translate`` (Redshift SQL →
DuckDB, isolation), ``copy`` (COPY from S3), ``runner`` (transactions, error messages),
``statement``/``models``/``responses`` (the Data API), ``catalog`` (List*/DescribeTable),
``inprocess`` (functions for other add-ons).
"""

from __future__ import annotations

from .engine import DatabaseNotFound, EngineError
from .inprocess import describe_schema, expose_redshift_table, hide_redshift_table, run_sql

__all__ = [
    "install",
    "expose_redshift_table",
    "hide_redshift_table",
    "run_sql",
    "describe_schema",
    "EngineError",
    "DatabaseNotFound",
]

_installed = False


def install() -> None:
    """Patch moto's Redshift Data API responses with the real engine (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.redshiftdata.responses import RedshiftDataAPIServiceResponse

    from .responses import HANDLERS

    for name, handler in HANDLERS.items():
        setattr(RedshiftDataAPIServiceResponse, name, handler)
    _follow_cluster_lifecycle()
    _installed = True


def _follow_cluster_lifecycle() -> None:
    """Deleting a cluster (or resetting moto) deletes its databases, as on AWS."""
    from moto.redshift.models import RedshiftBackend

    from .engine import HUB

    delete_cluster, reset = RedshiftBackend.delete_cluster, RedshiftBackend.reset

    def delete_cluster_and_data(self, **kwargs):  # type: ignore[no-untyped-def]
        identifier = kwargs.get("cluster_identifier")
        cluster = delete_cluster(self, **kwargs)
        HUB.drop(self.account_id, self.region_name, identifier)
        return cluster

    def reset_with_data(self) -> None:  # type: ignore[no-untyped-def]
        account_id, region = self.account_id, self.region_name
        reset(self)
        HUB.drop(account_id, region)

    RedshiftBackend.delete_cluster = delete_cluster_and_data  # type: ignore[method-assign]
    RedshiftBackend.reset = reset_with_data  # type: ignore[method-assign]
