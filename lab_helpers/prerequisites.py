"""The walkthrough's prerequisites, per account: an S3 bucket, an encrypted RA3 Redshift
cluster or (``redshift: serverless``) a Redshift Serverless namespace and workgroup, and a
Secrets Manager secret with the admin's credentials.

On the offline stand-in they are created through the same AWS APIs; on AWS they are
checked and reported (create them yourself, or set ``create_prerequisites: true``).
Anything missing stops the lab here, before the walkthrough creates anything.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass

import boto3
from botocore.exceptions import ClientError

from .config import LabConfig
from .errors import ShortTraceback

#: Node types that support datashares (the walkthrough's Redshift grants need them).
RA3_NODE_TYPES = ("ra3.16xlarge", "ra3.4xlarge", "ra3.xlplus", "ra3.large")


class PrerequisiteError(ShortTraceback, RuntimeError):
    """A prerequisite is missing or unsuitable; the message lists what to fix."""


@dataclass
class Check:
    account: str
    item: str
    name: str
    status: str  # "exists", "created", "missing", "unsuitable", "skipped"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("exists", "created", "skipped")


def bucket_name(account_id: str, region: str) -> str:
    """The lab's bucket in an account: raw data, Athena results, DataZone's S3 location."""
    return f"datazone-lab-{account_id}-{region}"


def ensure_bucket(session: boto3.Session, name: str, label: str, create: bool) -> Check:
    s3 = session.client("s3")
    try:
        s3.head_bucket(Bucket=name)
        return Check(label, "S3 bucket", name, "exists")
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            return Check(label, "S3 bucket", name, "unsuitable", f"not reachable: {exc.response['Error']['Code']}")
    if not create:
        return Check(label, "S3 bucket", name, "missing", f"create bucket {name} in the {label} account")
    region = session.region_name
    kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **kwargs)
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    return Check(label, "S3 bucket", name, "created")


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(20))
    return f"Lab{core}9"  # Redshift wants upper, lower and a digit


def ensure_cluster(session: boto3.Session, config: LabConfig, label: str) -> tuple[Check, str | None]:
    """Check (or create) the encrypted RA3 cluster; returns the check and a new password if one was set."""
    redshift = session.client("redshift")
    name = config.redshift_cluster
    try:
        cluster = redshift.describe_clusters(ClusterIdentifier=name)["Clusters"][0]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ClusterNotFound":
            raise
        if not config.creates_prerequisites:
            return Check(label, "Redshift cluster", name, "missing",
                         f"create an encrypted RA3 cluster '{name}' (or set redshift_cluster) in the {label} account"), None
        password = _password()
        redshift.create_cluster(
            ClusterIdentifier=name, NodeType="ra3.xlplus", ClusterType="single-node",
            MasterUsername="awsuser", MasterUserPassword=password, DBName=config.redshift_database,
            Encrypted=True, PubliclyAccessible=False,
            Tags=[{"Key": "created-by", "Value": "datazone-lab-kit"}],
        )
        return Check(label, "Redshift cluster", name, "created", "ra3.xlplus, encrypted"), password
    problems = []
    if cluster.get("NodeType") not in RA3_NODE_TYPES:
        problems.append(f"node type {cluster.get('NodeType')} does not support datashares: use RA3 ({', '.join(RA3_NODE_TYPES)}) or Serverless")
    if not cluster.get("Encrypted"):
        problems.append("the cluster is not encrypted: datashares need encryption on both clusters")
    if problems:
        return Check(label, "Redshift cluster", name, "unsuitable", "; ".join(problems)), None
    return Check(label, "Redshift cluster", name, "exists", f"{cluster.get('NodeType')}, encrypted"), None


#: Base capacity the kit gives a workgroup it creates: the smallest common one (Amazon Redshift
#: management guide, "Amazon Redshift Serverless capacity": 8 RPUs minimum, 128 by default); a
#: workgroup is billed per RPU-second while it runs queries, not per hour.
WORKGROUP_BASE_CAPACITY = 8
#: The admin user of a namespace the kit creates (its password goes into the kit's own secret,
#: which 05/07 tag for DataZone; a secret Redshift manages, ``manageAdminPassword``, belongs to Redshift).
NAMESPACE_ADMIN = "admin"
KIT_TAG = {"Key": "created-by", "Value": "datazone-lab-kit"}


def _not_found(exc: ClientError) -> bool:
    return exc.response["Error"]["Code"] == "ResourceNotFoundException"


def ensure_workgroup(session: boto3.Session, config: LabConfig, label: str) -> tuple[Check, str | None]:
    """Check (or create) the Serverless namespace and workgroup; returns the check and a new admin password if one was set."""
    from .waits import wait_for

    rs = session.client("redshift-serverless")
    name, namespace = config.redshift_workgroup, config.redshift_namespace
    item = "Redshift Serverless workgroup"
    try:
        workgroup = rs.get_workgroup(workgroupName=name)["workgroup"]
    except ClientError as exc:
        if not _not_found(exc):
            raise
        if not config.creates_prerequisites:
            return Check(label, item, name, "missing",
                         f"create a Redshift Serverless namespace '{namespace}' and its workgroup '{name}' (or set "
                         f"redshift_namespace/redshift_workgroup, or redshift: provisioned) in the {label} account"), None
        password = None
        try:
            rs.get_namespace(namespaceName=namespace)
        except ClientError as exc:
            if not _not_found(exc):
                raise
            password = _password()
            rs.create_namespace(namespaceName=namespace, adminUsername=NAMESPACE_ADMIN, adminUserPassword=password,
                                dbName=config.redshift_database, tags=[{"key": "created-by", "value": KIT_TAG["Value"]}])
        rs.create_workgroup(workgroupName=name, namespaceName=namespace, baseCapacity=WORKGROUP_BASE_CAPACITY,
                            publiclyAccessible=False, tags=[{"key": "created-by", "value": KIT_TAG["Value"]}])
        wait_for(lambda: rs.get_workgroup(workgroupName=name)["workgroup"], f"workgroup {name}", lambda w: w.get("status"),
                 {"AVAILABLE"}, timeout=1800, delay=5, kind="redshift_workgroup_create")
        return Check(label, item, name, "created", f"namespace {namespace}, base capacity {WORKGROUP_BASE_CAPACITY} RPUs"), password
    if workgroup.get("status") == "CREATING":
        workgroup = wait_for(lambda: rs.get_workgroup(workgroupName=name)["workgroup"], f"workgroup {name}",
                             lambda w: w.get("status"), {"AVAILABLE"}, timeout=1800, delay=5, kind="redshift_workgroup_create")
    if workgroup.get("status") != "AVAILABLE":
        return Check(label, item, name, "unsuitable", f"status {workgroup.get('status')}: wait until it is AVAILABLE"), None
    return Check(label, item, name, "exists", f"namespace {workgroup.get('namespaceName')}, "
                                              f"base capacity {workgroup.get('baseCapacity')} RPUs"), None


def ensure_compute(session: boto3.Session, config: LabConfig, label: str) -> tuple[Check, str | None]:
    """The cluster or the workgroup, as ``redshift`` says."""
    return (ensure_workgroup if config.warehouse.serverless else ensure_cluster)(session, config, label)


def _admin_secret_value(session: boto3.Session, config: LabConfig, password: str) -> dict[str, object]:
    """The secret's JSON (Secrets Manager's Redshift format: username, password, engine, host, port, dbname)."""
    if config.warehouse.serverless:
        rs = session.client("redshift-serverless")
        workgroup = rs.get_workgroup(workgroupName=config.redshift_workgroup)["workgroup"]
        namespace = rs.get_namespace(namespaceName=workgroup["namespaceName"])["namespace"]
        endpoint = workgroup.get("endpoint", {})
        return {"username": namespace.get("adminUsername", NAMESPACE_ADMIN), "password": password, "engine": "redshift",
                "host": endpoint.get("address", ""), "port": endpoint.get("port", 5439), "dbname": config.redshift_database}
    cluster = session.client("redshift").describe_clusters(ClusterIdentifier=config.redshift_cluster)["Clusters"][0]
    endpoint = cluster.get("Endpoint", {})
    return {"username": cluster["MasterUsername"], "password": password, "engine": "redshift",
            "host": endpoint.get("Address", ""), "port": endpoint.get("Port", 5439),
            "dbClusterIdentifier": config.redshift_cluster, "dbname": config.redshift_database}


def ensure_secret(session: boto3.Session, config: LabConfig, label: str, password: str | None) -> tuple[Check, str | None]:
    """Check (or create) the secret with the cluster's or workgroup's admin credentials; returns the check and its ARN."""
    sm = session.client("secretsmanager")
    name = config.redshift_secret
    try:
        arn = sm.describe_secret(SecretId=name)["ARN"]
        return Check(label, "Redshift admin secret", name, "exists"), arn
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    if not config.creates_prerequisites or password is None:
        compute = config.warehouse
        detail = (f"store the admin credentials of '{compute.name}' in Secrets Manager as '{name}' "
                  "(or set redshift_secret)")
        if config.creates_prerequisites:
            detail += (f"; the {'namespace' if compute.serverless else 'cluster'} existed already, so the kit does not "
                       "know its password")
        return Check(label, "Redshift admin secret", name, "missing", detail), None
    value = _admin_secret_value(session, config, password)
    arn = sm.create_secret(Name=name, SecretString=json.dumps(value),
                           Description=f"Admin credentials of the DataZone lab's {config.warehouse.label}",
                           Tags=[{"Key": "created-by", "Value": "datazone-lab-kit"}])["ARN"]
    return Check(label, "Redshift admin secret", name, "created"), arn


def ensure_prerequisites(config: LabConfig, sessions: dict[str, boto3.Session]) -> tuple[list[Check], dict[str, str]]:
    """Check or create every prerequisite in both accounts (``sessions``: 'producer'/'consumer' → admin session).

    Returns the checks and the ids to record in the state file. Raises
    :class:`PrerequisiteError` listing every problem when anything is missing or unsuitable.
    """
    checks: list[Check] = []
    ids: dict[str, str] = {"redshift_database": config.redshift_database}
    for label in ("producer", "consumer"):
        if label not in sessions:
            checks.append(Check(label, "prerequisites", "-", "skipped",
                                f"no {label} data administrator credentials on this machine: checked on theirs"))
    for label, session in sessions.items():
        account = config.producer_account_id if label == "producer" else config.consumer_account_id
        bucket = bucket_name(account, config.region)
        checks.append(ensure_bucket(session, bucket, label, config.creates_prerequisites))
        compute_check, password = ensure_compute(session, config, label)
        checks.append(compute_check)
        secret_check, arn = (ensure_secret(session, config, label, password) if compute_check.ok
                             else (Check(label, "Redshift admin secret", config.redshift_secret, "missing",
                                         f"needs the {config.warehouse.label} first"), None))
        checks.append(secret_check)
        ids[f"{label}_bucket"] = bucket
        ids[f"{label}_redshift"] = str(config.warehouse)
        if not config.warehouse.serverless:
            ids[f"{label}_cluster_id"] = config.redshift_cluster
        if arn:
            ids[f"{label}_secret_arn"] = arn
    bad = [c for c in checks if not c.ok]
    if bad:
        lines = "\n".join(f"- {c.account}: {c.item} '{c.name}' {c.status}: {c.detail}" for c in bad)
        raise PrerequisiteError(f"the walkthrough's prerequisites are not ready; nothing else was created:\n{lines}")
    return checks, ids


def checks_table(checks: list[Check]):  # -> pandas.DataFrame
    """The checks as a table: account, item, name, status, detail."""
    from .display import table

    return table(({"account": c.account, "item": c.item, "name": c.name, "status": c.status, "detail": c.detail}
                  for c in checks), ["account", "item", "name", "status", "detail"])


def ensure_all_prerequisites(config: LabConfig) -> list[Check]:
    """:func:`ensure_prerequisites` in the producer account and in every consumer account whose data
    administrator works on this machine; records each consumer's ids in its view of the state file.

    With several consumer accounts, a consumer's checks name its account (``consumer 333333333333``).
    """
    import dataclasses

    from .notebook import admin_sessions
    from .state import LabState

    checks: list[Check] = []
    for index, each in enumerate(config.each_consumer()):
        found, ids = ensure_prerequisites(each, admin_sessions(each))
        LabState(config.work_dir, each.state_scope).update(**ids)
        for check in found:
            if check.account == "producer" and index:
                continue  # the producer's account is checked once
            if check.account == "consumer" and len(config.consumers) > 1:
                check = dataclasses.replace(check, account=f"consumer {each.consumer_account_id}")
            checks.append(check)
    return checks
