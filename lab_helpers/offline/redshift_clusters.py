"""Redshift provisioned clusters with AWS's lifecycle, patched into moto 5.2.5 (whose clusters are available at once).

A new cluster walks ``creating`` → ``available`` and a deleted one ``deleting`` → gone,
each through moto's state manager (models ``redshift::cluster`` and
``redshift::cluster_deletion``; immediate by default, ``offline start --pace aws`` gives
them AWS's durations, :mod:`lab_helpers.offline.pace`). While a cluster is ``creating`` it
has no endpoint (``describe_clusters`` shows its status and no ``Endpoint``) and the Data
API refuses it (:func:`unavailable`); while it is ``deleting`` it is listed with that status,
its name is taken and a second ``DeleteCluster`` is refused with ``InvalidClusterState``.
"""

from __future__ import annotations

from typing import Any

from moto.moto_api import state_manager

from .datazone.state import Lifecycle, drop_gone, start_deletion

CLUSTER_MODEL = "redshift::cluster"
DELETION_MODEL = "redshift::cluster_deletion"
for _model in (CLUSTER_MODEL, DELETION_MODEL):
    state_manager.register_default_transition(_model, transition={"progression": "immediate"})

#: The status a cluster reaches when its deletion is over (it is then gone: ClusterNotFound).
GONE = "deleted"

_installed = False


def _deleting(backend: Any) -> dict[str, Any]:
    """Clusters of ``backend`` whose deletion is under way (gone ones are dropped here)."""
    return drop_gone(backend.__dict__.setdefault("lab_deleting_clusters", {}), GONE)


def unavailable(account_id: str, region: str, identifier: str) -> str | None:
    """The status of cluster ``identifier`` when it exists but is not ``available`` (None otherwise)."""
    from moto.redshift.models import redshift_backends

    cluster = redshift_backends[account_id][region].clusters.get(identifier)
    if cluster is None or cluster.status == "available":
        return None
    return str(cluster.status)


def install() -> None:
    """Give moto's clusters their lifecycle (idempotent; after :mod:`.redshift_data`, whose deletion drops the data)."""
    global _installed
    if _installed:
        return
    from moto.redshift.exceptions import ClusterAlreadyExistsFaultError, ClusterNotFoundError, RedshiftClientError
    from moto.redshift.models import Cluster, RedshiftBackend

    def get_status(self: Any) -> str:
        lifecycle = self.__dict__.get("lab_lifecycle")
        return lifecycle.status if lifecycle is not None else self.__dict__.get("lab_status", "available")

    def set_status(self: Any, value: str) -> None:
        lifecycle = self.__dict__.get("lab_lifecycle")
        if lifecycle is not None:  # pause, resume and the like: settled at once, as moto has them
            lifecycle.set(CLUSTER_MODEL, value)
        else:
            self.__dict__["lab_status"] = value

    def endpoint(self: Any) -> dict[str, Any] | None:
        """No endpoint until the cluster is available (describe_clusters then leaves ``Endpoint`` out)."""
        return None if self.status == "creating" else {"Address": self.address, "Port": self.port}

    Cluster.status = property(get_status, set_status)  # type: ignore[assignment]
    Cluster.endpoint = property(endpoint)  # type: ignore[assignment]
    create, describe, delete = RedshiftBackend.create_cluster, RedshiftBackend.describe_clusters, RedshiftBackend.delete_cluster

    def create_cluster(self: Any, **kwargs: Any) -> Any:
        if kwargs.get("cluster_identifier") in _deleting(self):
            raise ClusterAlreadyExistsFaultError()
        cluster = create(self, **kwargs)
        cluster.__dict__["lab_lifecycle"] = Lifecycle(CLUSTER_MODEL, "creating", "available")
        return cluster

    def describe_clusters(self: Any, cluster_identifier: str | None = None, tag_keys: list[str] | None = None) -> list[Any]:
        deleting = _deleting(self)
        if cluster_identifier and cluster_identifier in deleting:
            found = [deleting[cluster_identifier]]
        else:
            found = describe(self, cluster_identifier, tag_keys)
            if not cluster_identifier:
                keys = set(tag_keys or [])
                found += [c for c in deleting.values() if not keys or keys & {t["Key"] for t in c.tags}]
        for cluster in found:  # a look (``manual`` progression counts them, as moto does)
            if "lab_lifecycle" in cluster.__dict__:
                cluster.__dict__["lab_lifecycle"].advance()
        return found

    def delete_cluster(self: Any, **kwargs: Any) -> Any:
        identifier = kwargs.get("cluster_identifier")
        if identifier in _deleting(self):
            raise RedshiftClientError("InvalidClusterState", f"There is an operation running on the Cluster "
                                      f"{identifier}. Please try to delete it at a later time.")
        if identifier not in self.clusters:
            raise ClusterNotFoundError(identifier)
        cluster = delete(self, **kwargs)  # moto's (and the Data API's: its databases go now)
        lifecycle = cluster.__dict__["lab_lifecycle"] = Lifecycle(DELETION_MODEL, "deleting")
        if start_deletion(lifecycle, DELETION_MODEL, "deleting", GONE):
            _deleting(self)[identifier] = cluster
        return cluster

    RedshiftBackend.create_cluster = create_cluster  # type: ignore[method-assign]
    RedshiftBackend.describe_clusters = describe_clusters  # type: ignore[method-assign]
    RedshiftBackend.delete_cluster = delete_cluster  # type: ignore[method-assign]
    _installed = True
