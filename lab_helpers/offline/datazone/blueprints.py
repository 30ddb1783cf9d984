"""The managed environment blueprints a V1 domain offers (DefaultDataLake, DefaultDataWarehouse)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

DATA_LAKE = "DefaultDataLake"
DATA_WAREHOUSE = "DefaultDataWarehouse"
PROVIDER = "Amazon DataZone"

GLUE_ASSET_TYPES = ["GlueTableAssetType", "GlueViewAssetType"]
REDSHIFT_ASSET_TYPES = ["RedshiftTableAssetType", "RedshiftViewAssetType"]


def _param(key: str, description: str, optional: bool = True) -> dict[str, Any]:
    return {
        "keyName": key,
        "description": description,
        "fieldType": "String",
        "isEditable": True,
        "isOptional": optional,
        "isUpdateSupported": False,
    }


MANAGED: dict[str, dict[str, Any]] = {
    DATA_LAKE: {
        "description": "Load and query data in AWS Glue and Amazon Athena",
        "template": "https://datazone-blueprints.s3.amazonaws.com/DefaultDataLake/template.json",
        "userParameters": [
            _param("producerGlueDbName", "Name of the AWS Glue database for publishing data (default <env>_pub_db)"),
            _param("consumerGlueDbName", "Name of the AWS Glue database for subscribed data (default <env>_sub_db)"),
            _param("workgroupName", "Name of the Amazon Athena workgroup"),
        ],
    },
    DATA_WAREHOUSE: {
        "description": "Load and query data in Amazon Redshift",
        "template": "https://datazone-blueprints.s3.amazonaws.com/DefaultDataWarehouse/template.json",
        "userParameters": [
            _param("dataAccessSecretsArn", "ARN of the AWS Secrets Manager secret with the Redshift credentials", False),
            _param("dbName", "Name of the Amazon Redshift database", False),
            _param("clusterName", "Name of the Amazon Redshift provisioned cluster"),
            _param("workgroupName", "Name of the Amazon Redshift Serverless workgroup"),
        ],
    },
}


@dataclass
class Blueprint:
    """One managed blueprint as a domain lists it (ids are per domain, like on AWS)."""

    id: str
    name: str
    created_at: datetime
    definition: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.definition["description"],
            "provider": PROVIDER,
            "provisioningProperties": {"cloudFormation": {"templateUrl": self.definition["template"]}},
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "deploymentProperties": {"startTimeoutMinutes": 30, "endTimeoutMinutes": 30},
            "userParameters": [dict(p) for p in self.definition["userParameters"]],
            "glossaryTerms": [],
        }
