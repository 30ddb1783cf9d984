"""The Redshift compute the lab uses in an account: a provisioned cluster or a Serverless workgroup.

The walkthrough takes either ("an Amazon Redshift provisioned cluster or Redshift Serverless
workgroup in each account"); the parameter ``redshift: provisioned | serverless`` chooses.
Everything that differs between the two is here, so the notebooks and the other helpers
take a :class:`Warehouse` and never ask which kind it is:

=====================  ==============================  ==================================
                       provisioned                     serverless
=====================  ==============================  ==================================
Data API target        ``ClusterIdentifier``           ``WorkgroupName``
secret tag (DataZone)  ``datazone.rs.cluster``         ``datazone.rs.workgroup``
environment parameter  ``clusterName``                 ``workgroupName``
data source storage    ``redshiftClusterSource``       ``redshiftServerlessSource``
=====================  ==============================  ==================================

(Redshift Data API reference, ExecuteStatement; DataZone user guide, "Create an environment
profile" / "Create an Amazon Redshift data source"; botocore ``datazone`` model,
``RedshiftStorage``.) The state file records it as ``cluster/<id>`` or ``workgroup/<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("provisioned", "serverless")
_PREFIX = {"provisioned": "cluster", "serverless": "workgroup"}


@dataclass(frozen=True)
class Warehouse:
    """One account's Redshift compute: ``kind`` (provisioned/serverless) and its cluster id or workgroup name."""

    kind: str
    name: str

    @classmethod
    def of(cls, value: Warehouse | str) -> Warehouse:
        """``cluster/<id>``, ``workgroup/<name>``, a Warehouse, or a bare cluster id (the kit's older state files)."""
        if isinstance(value, Warehouse):
            return value
        prefix, _, name = str(value).partition("/")
        if name and prefix == "workgroup":
            return cls("serverless", name)
        if name and prefix == "cluster":
            return cls("provisioned", name)
        return cls("provisioned", str(value))

    def __str__(self) -> str:
        return f"{_PREFIX[self.kind]}/{self.name}"

    @property
    def serverless(self) -> bool:
        return self.kind == "serverless"

    @property
    def label(self) -> str:
        """What a person reads: ``Redshift cluster`` or ``Redshift Serverless workgroup``."""
        return "Redshift Serverless workgroup" if self.serverless else "Redshift cluster"

    def data_api(self) -> dict[str, str]:
        """The Data API's target member."""
        return {"WorkgroupName": self.name} if self.serverless else {"ClusterIdentifier": self.name}

    def wrangler(self) -> dict[str, str]:
        """awswrangler's ``data_api.redshift.connect`` target argument."""
        return {"workgroup_name": self.name} if self.serverless else {"cluster_id": self.name}

    def secret_tag_key(self) -> str:
        """The tag DataZone needs on the admin secret, valued ``<name>:<database>``."""
        return "datazone.rs.workgroup" if self.serverless else "datazone.rs.cluster"

    def environment_parameters(self, secret_arn: str, database: str) -> dict[str, str]:
        """The DataWarehouse blueprint's parameters for this compute (environment or profile)."""
        return {"dataAccessSecretsArn": secret_arn, "dbName": database,
                ("workgroupName" if self.serverless else "clusterName"): self.name}

    @property
    def noun(self) -> str:
        """``workgroup`` or ``cluster``: how messages and the pace table's wait kinds name it."""
        return "workgroup" if self.serverless else "cluster"

    @property
    def status_key(self) -> str:
        """The status member of what :meth:`describe` returns (botocore: ``status`` or ``ClusterStatus``)."""
        return "status" if self.serverless else "ClusterStatus"

    @property
    def creating(self) -> str:
        return "CREATING" if self.serverless else "creating"

    @property
    def ready(self) -> str:
        return "AVAILABLE" if self.serverless else "available"

    @property
    def deleting(self) -> str:
        return "DELETING" if self.serverless else "deleting"

    def wait_kind(self, event: str) -> str:
        """The key of this compute's ``create`` or ``delete`` wait in :data:`lab_helpers.durations.DURATIONS`."""
        return f"redshift_{self.noun}_{event}"

    def describe(self, session: Any) -> dict[str, Any]:
        """The workgroup (``GetWorkgroup``) or cluster (``DescribeClusters``) as AWS describes it now; AWS's
        not-found error (``ResourceNotFoundException``, ``ClusterNotFound``) when it does not exist."""
        if self.serverless:
            return session.client("redshift-serverless").get_workgroup(workgroupName=self.name)["workgroup"]
        return session.client("redshift").describe_clusters(ClusterIdentifier=self.name)["Clusters"][0]

    def status(self, described: dict[str, Any]) -> str:
        """The status in what :meth:`describe` returned."""
        return described.get(self.status_key, "")

    def storage(self) -> dict[str, Any]:
        """A Redshift data source's ``redshiftStorage``."""
        if self.serverless:
            return {"redshiftServerlessSource": {"workgroupName": self.name}}
        return {"redshiftClusterSource": {"clusterName": self.name}}


def warehouse_of(state: Any, side: str) -> Warehouse:
    """The producer's or consumer's compute as 00 recorded it (``<side>_redshift``)."""
    return Warehouse.of(state.require(f"{side}_redshift"))
