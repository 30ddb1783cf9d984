"""Tag the Redshift admin secret so Amazon DataZone may use it.

A DataWarehouse environment (and a Redshift data source) reads the cluster credentials from
a Secrets Manager secret. DataZone's Redshift access role may only read secrets carrying:

- ``datazone.rs.cluster = <cluster>:<database>`` (``datazone.rs.workgroup`` for Serverless;
  the blog writes ``DataZone.rs.cluster``, the user guide lower case: tag keys are
  case-sensitive and the lab uses the user guide's spelling),
- ``AmazonDataZoneProject = <projectId>`` (the project whose environment uses it),
- ``AmazonDataZoneDomain = <domainId>``.
"""

from __future__ import annotations

from typing import Any

from .redshift import Warehouse


def datazone_secret_tags(cluster: Warehouse | str, database: str, project_id: str, domain_id: str) -> dict[str, str]:
    """The tags DataZone requires on a cluster's or a workgroup's secret (``cluster``: a Warehouse or a cluster id)."""
    warehouse = Warehouse.of(cluster)
    return {warehouse.secret_tag_key(): f"{warehouse.name}:{database}", "AmazonDataZoneProject": project_id,
            "AmazonDataZoneDomain": domain_id}


def tag_redshift_secret(secretsmanager: Any, secret_arn: str, cluster: Warehouse | str, database: str, project_id: str,
                        domain_id: str) -> dict[str, str]:
    """Put the DataZone tags on the secret (``secretsmanager.tag_resource``, idempotent); return all its tags."""
    tags = datazone_secret_tags(cluster, database, project_id, domain_id)
    secretsmanager.tag_resource(SecretId=secret_arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    described = secretsmanager.describe_secret(SecretId=secret_arn)
    return {t["Key"]: t["Value"] for t in described.get("Tags", [])}
