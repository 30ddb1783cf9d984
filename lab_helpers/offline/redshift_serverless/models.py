"""Redshift Serverless state: namespaces (the data, the admin user) and workgroups (the compute).

One backend per account and Region (moto's ``BackendDict``). A namespace is AVAILABLE at
once; a workgroup walks CREATING → AVAILABLE through moto's state manager (model
``redshift-serverless::workgroup``; ``offline start --pace aws`` gives it AWS's duration,
:mod:`lab_helpers.offline.pace`). A deleted workgroup or namespace stays listed as DELETING
until its deletion's walk ends (models ``redshift-serverless::workgroup_deletion`` and
``redshift-serverless::namespace_deletion``, immediate by default), then is gone
(ResourceNotFoundException); meanwhile its name is taken and a second deletion is refused
(ConflictException). A namespace has at most one workgroup; a namespace with a workgroup,
even one being deleted, cannot be deleted; deleting a namespace deletes its databases (the
Data API's stores of the workgroups that served it) at once. Methods take the parsed input
and return the output shape (botocore ``redshift-serverless``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.moto_api import state_manager
from moto.moto_api._internal import mock_random as random

from ..datazone.state import Lifecycle, drop_gone, start_deletion
from .exceptions import ConflictException, ResourceNotFoundException, ValidationException

WORKGROUP_MODEL = "redshift-serverless::workgroup"
WORKGROUP_DELETION_MODEL = "redshift-serverless::workgroup_deletion"
NAMESPACE_DELETION_MODEL = "redshift-serverless::namespace_deletion"
for _model in (WORKGROUP_MODEL, WORKGROUP_DELETION_MODEL, NAMESPACE_DELETION_MODEL):
    state_manager.register_default_transition(_model, transition={"progression": "immediate"})

#: The status a deletion's walk ends in: the resource is then gone (never reported).
GONE = "DELETED"

#: Defaults AWS reports when a request leaves them out (CreateWorkgroup API reference: base
#: capacity 128 RPUs, port 5439; CreateNamespace: ``dev`` database, an AWS-owned KMS key).
DEFAULT_BASE_CAPACITY = 128
DEFAULT_PORT = 5439
DEFAULT_DATABASE = "dev"
AWS_OWNED_KEY = "AWS_OWNED_KMS_KEY"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@dataclass
class Namespace:
    name: str
    account_id: str
    region: str
    admin_username: str | None
    admin_password: str | None = field(repr=False)
    db_name: str
    kms_key_id: str
    iam_roles: list[str]
    default_iam_role: str | None
    log_exports: list[str]
    tags: dict[str, str]
    id: str = field(default_factory=lambda: str(random.uuid4()))
    created: datetime.datetime = field(default_factory=_now)
    lifecycle: Lifecycle = field(default_factory=lambda: Lifecycle(NAMESPACE_DELETION_MODEL, "AVAILABLE"))
    admin_secret_arn: str | None = None
    #: workgroups that served this namespace (the Data API's stores hold its databases)
    stores: set[str] = field(default_factory=set)

    @property
    def arn(self) -> str:
        return f"arn:aws:redshift-serverless:{self.region}:{self.account_id}:namespace/{self.id}"

    @property
    def status(self) -> str:
        return self.lifecycle.status

    def shape(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "namespaceName": self.name, "namespaceId": self.id, "namespaceArn": self.arn, "dbName": self.db_name,
            "kmsKeyId": self.kms_key_id, "iamRoles": list(self.iam_roles), "logExports": list(self.log_exports),
            "creationDate": self.created, "status": self.status,
        }
        if self.admin_username:
            body["adminUsername"] = self.admin_username
        if self.admin_secret_arn:
            body["adminPasswordSecretArn"] = self.admin_secret_arn
        if self.default_iam_role:
            body["defaultIamRoleArn"] = self.default_iam_role
        return body


@dataclass
class Workgroup:
    name: str
    namespace_name: str
    account_id: str
    region: str
    base_capacity: int
    port: int
    publicly_accessible: bool
    enhanced_vpc_routing: bool
    config_parameters: list[dict[str, str]]
    security_group_ids: list[str]
    subnet_ids: list[str]
    tags: dict[str, str]
    id: str = field(default_factory=lambda: str(random.uuid4()))
    created: datetime.datetime = field(default_factory=_now)
    lifecycle: Lifecycle = field(default_factory=lambda: Lifecycle(WORKGROUP_MODEL, "CREATING", "AVAILABLE"))

    @property
    def arn(self) -> str:
        return f"arn:aws:redshift-serverless:{self.region}:{self.account_id}:workgroup/{self.id}"

    @property
    def status(self) -> str:
        return self.lifecycle.status

    def shape(self) -> dict[str, Any]:
        return {
            "workgroupName": self.name, "workgroupId": self.id, "workgroupArn": self.arn, "namespaceName": self.namespace_name,
            "baseCapacity": self.base_capacity, "port": self.port, "publiclyAccessible": self.publicly_accessible,
            "enhancedVpcRouting": self.enhanced_vpc_routing, "configParameters": list(self.config_parameters),
            "securityGroupIds": list(self.security_group_ids), "subnetIds": list(self.subnet_ids),
            "creationDate": self.created, "status": self.status,
            "endpoint": {"address": f"{self.name}.{self.account_id}.{self.region}.redshift-serverless.amazonaws.com",
                         "port": self.port},
        }


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["key"]: t["value"] for t in items or []}


def _leave(item: Namespace | Workgroup, model: str, leaving: dict[str, Any]) -> None:
    """Start ``item``'s deletion: DELETING until ``model``'s walk ends, listed in ``leaving`` meanwhile."""
    if start_deletion(item.lifecycle, model, "DELETING", GONE):
        leaving[item.name] = item


def _page(items: list[Any], key: str, params: dict[str, Any]) -> dict[str, Any]:
    """A page of ``items`` (``maxResults``, ``nextToken`` as an offset)."""
    token = params.get("nextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise ValidationException("The nextToken is not valid.") from None
    size = int(params.get("maxResults") or 100)
    body: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        body["nextToken"] = str(start + size)
    return body


class RedshiftServerlessBackend(BaseBackend):
    """Amazon Redshift Serverless namespaces and workgroups of one account and Region."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.namespaces: dict[str, Namespace] = {}
        self.workgroups: dict[str, Workgroup] = {}
        #: being deleted (DELETING): still listed, their names taken; gone ones are dropped by :meth:`_leaving`
        self.leaving_namespaces: dict[str, Namespace] = {}
        self.leaving_workgroups: dict[str, Workgroup] = {}

    @staticmethod
    def _leaving(found: dict[str, Any]) -> dict[str, Any]:
        """``found`` without the resources whose deletion is over."""
        return drop_gone(found, GONE)

    def visible_namespace(self, name: str | None) -> Namespace | None:
        """The namespace, AVAILABLE or DELETING (None once gone)."""
        return self.namespaces.get(name or "") or self._leaving(self.leaving_namespaces).get(name or "")

    def visible_workgroup(self, name: str | None) -> Workgroup | None:
        """The workgroup, whatever its status (None once gone)."""
        return self.workgroups.get(name or "") or self._leaving(self.leaving_workgroups).get(name or "")

    # --- namespaces ----------------------------------------------------------------------
    def namespace(self, name: str | None) -> Namespace:
        found = self.namespaces.get(name or "")
        if found is None:
            raise ResourceNotFoundException(f"Namespace {name} not found.")
        return found

    def create_namespace(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["namespaceName"]
        if self.visible_namespace(name) is not None:
            raise ConflictException(f"Namespace with the name {name} already exists.")
        if p.get("manageAdminPassword") and p.get("adminUserPassword"):
            raise ValidationException("You can't use adminUserPassword if manageAdminPassword is true.")
        if not p.get("manageAdminPassword") and bool(p.get("adminUsername")) != bool(p.get("adminUserPassword")):
            raise ValidationException("adminUsername and adminUserPassword must be specified together.")
        namespace = Namespace(
            name=name, account_id=self.account_id, region=self.region_name, admin_username=p.get("adminUsername"),
            admin_password=p.get("adminUserPassword"), db_name=(p.get("dbName") or DEFAULT_DATABASE).lower(),
            kms_key_id=p.get("kmsKeyId") or AWS_OWNED_KEY, iam_roles=list(p.get("iamRoles") or []),
            default_iam_role=p.get("defaultIamRoleArn"), log_exports=list(p.get("logExports") or []), tags=_tags(p.get("tags")),
        )
        if p.get("manageAdminPassword"):
            namespace.admin_username = namespace.admin_username or "admin"
            namespace.admin_secret_arn = self._managed_secret(namespace)
        self.namespaces[name] = namespace
        return {"namespace": namespace.shape()}

    def _managed_secret(self, namespace: Namespace) -> str:
        """``manageAdminPassword``: Redshift keeps the admin's credentials in a secret it owns (name assumed)."""
        import json
        import secrets

        from moto.secretsmanager.models import secretsmanager_backends

        namespace.admin_password = "Lab" + secrets.token_hex(12) + "9"
        value = json.dumps({"username": namespace.admin_username, "password": namespace.admin_password})
        secret = secretsmanager_backends[self.account_id][self.region_name].create_secret(
            name=f"redshift!{namespace.name}-{namespace.admin_username}", secret_string=value, secret_binary=None,
            description=f"Admin credentials of Redshift Serverless namespace {namespace.name}", tags=[], kms_key_id=None,
            client_request_token=None, replica_regions=[], force_overwrite=False)
        return json.loads(secret)["ARN"]

    def _look(self, live: dict[str, Any], leaving: dict[str, Any], name: str | None) -> Any:
        """The resource a Get* names, after one look (``manual`` progression counts them); None once gone."""
        found = live.get(name or "") or leaving.get(name or "")
        if found is not None:
            found.lifecycle.advance()
        return live.get(name or "") or self._leaving(leaving).get(name or "")

    def get_namespace(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p.get("namespaceName")
        namespace = self._look(self.namespaces, self.leaving_namespaces, name)
        if namespace is None:
            raise ResourceNotFoundException(f"Namespace {name} not found.")
        return {"namespace": namespace.shape()}

    def list_namespaces(self, p: dict[str, Any]) -> dict[str, Any]:
        found = [*self.namespaces.values(), *self._leaving(self.leaving_namespaces).values()]
        return _page([n.shape() for n in sorted(found, key=lambda n: n.created)], "namespaces", p)

    def delete_namespace(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p.get("namespaceName")
        if name in self._leaving(self.leaving_namespaces):  # the error code is an assumption (DeleteNamespace lists it)
            raise ConflictException(f"Namespace {name} is already being deleted.")
        namespace = self.namespace(name)
        if any(w.namespace_name == namespace.name for w in self.workgroups.values()):
            raise ConflictException(f"There is a workgroup associated with the namespace {namespace.name}: delete the workgroup first.")
        leaving = next((w for w in self._leaving(self.leaving_workgroups).values() if w.namespace_name == namespace.name), None)
        if leaving is not None:  # assumption: AWS refuses until the workgroup is gone
            raise ConflictException(f"The workgroup {leaving.name} of namespace {namespace.name} is being deleted: "
                                    "delete the namespace once the workgroup is gone.")
        del self.namespaces[namespace.name]
        from ..redshift_data.engine import HUB

        for store in namespace.stores:  # the namespace holds the data: its databases go with it
            HUB.drop(self.account_id, self.region_name, store)
        _leave(namespace, NAMESPACE_DELETION_MODEL, self.leaving_namespaces)
        return {"namespace": namespace.shape()}

    # --- workgroups ----------------------------------------------------------------------
    def workgroup(self, name: str | None) -> Workgroup:
        found = self.workgroups.get(name or "")
        if found is None:
            raise ResourceNotFoundException(f"Workgroup {name} not found.")
        return found

    def create_workgroup(self, p: dict[str, Any]) -> dict[str, Any]:
        name, namespace_name = p["workgroupName"], p["namespaceName"]
        if self.visible_workgroup(name) is not None:
            raise ConflictException(f"Workgroup with the name {name} already exists.")
        if namespace_name in self._leaving(self.leaving_namespaces):
            raise ConflictException(f"Namespace {namespace_name} is being deleted.")
        namespace = self.namespace(namespace_name)
        taken = next((w for w in self.workgroups.values() if w.namespace_name == namespace_name), None)
        if taken is not None:
            raise ConflictException(f"Namespace {namespace_name} is already associated with workgroup {taken.name}.")
        base = int(p.get("baseCapacity") or DEFAULT_BASE_CAPACITY)
        if not (base == 4 or (8 <= base <= 1024 and base % 8 == 0)):
            raise ValidationException(f"baseCapacity {base} is not valid: use 4, or 8 to 1024 RPUs in units of 8.")
        workgroup = Workgroup(
            name=name, namespace_name=namespace_name, account_id=self.account_id, region=self.region_name, base_capacity=base,
            port=int(p.get("port") or DEFAULT_PORT), publicly_accessible=bool(p.get("publiclyAccessible", False)),
            enhanced_vpc_routing=bool(p.get("enhancedVpcRouting", False)),
            config_parameters=list(p.get("configParameters") or []), security_group_ids=list(p.get("securityGroupIds") or []),
            subnet_ids=list(p.get("subnetIds") or []), tags=_tags(p.get("tags")),
        )
        namespace.stores.add(name)
        self.workgroups[name] = workgroup
        return {"workgroup": workgroup.shape()}

    def get_workgroup(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p.get("workgroupName")
        workgroup = self._look(self.workgroups, self.leaving_workgroups, name)
        if workgroup is None:
            raise ResourceNotFoundException(f"Workgroup {name} not found.")
        return {"workgroup": workgroup.shape()}

    def list_workgroups(self, p: dict[str, Any]) -> dict[str, Any]:
        found = [*self.workgroups.values(), *self._leaving(self.leaving_workgroups).values()]
        return _page([w.shape() for w in sorted(found, key=lambda w: w.created)], "workgroups", p)

    def delete_workgroup(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p.get("workgroupName")
        if name in self._leaving(self.leaving_workgroups):  # the error code is an assumption (DeleteWorkgroup lists it)
            raise ConflictException(f"Workgroup {name} is already being deleted.")
        workgroup = self.workgroup(name)
        if workgroup.status == "CREATING":
            raise ConflictException(f"Workgroup {workgroup.name} is being created: try again when it is AVAILABLE.")
        del self.workgroups[workgroup.name]
        _leave(workgroup, WORKGROUP_DELETION_MODEL, self.leaving_workgroups)
        return {"workgroup": workgroup.shape()}

    # --- what the Data API and DataZone ask ----------------------------------------------
    def available_workgroup(self, name: str) -> Workgroup | None:
        """The workgroup if it exists and is AVAILABLE (the Data API connects to no other)."""
        workgroup = self.workgroups.get(name)
        return workgroup if workgroup is not None and workgroup.status == "AVAILABLE" else None

    def namespace_of(self, workgroup: Workgroup) -> Namespace:
        return self.namespaces[workgroup.namespace_name]

    # --- tags ----------------------------------------------------------------------------
    def _tagged(self, arn: str | None) -> Namespace | Workgroup:
        for item in [*self.namespaces.values(), *self.workgroups.values(), *self._leaving(self.leaving_namespaces).values(),
                     *self._leaving(self.leaving_workgroups).values()]:
            if item.arn == arn:
                return item
        raise ResourceNotFoundException(f"Resource {arn} not found.")

    def tag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        self._tagged(p.get("resourceArn")).tags.update(_tags(p.get("tags")))
        return {}

    def untag_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        item = self._tagged(p.get("resourceArn"))
        for key in p.get("tagKeys") or []:
            item.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"tags": [{"key": k, "value": v} for k, v in self._tagged(p.get("resourceArn")).tags.items()]}


redshiftserverless_backends = BackendDict(RedshiftServerlessBackend, "redshift-serverless")
