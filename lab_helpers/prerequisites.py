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
from .redshift import Warehouse

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
    """Check (or start creating) the encrypted RA3 cluster; returns the check and a new password if one was set.

    A cluster takes minutes to create: this does not wait (:func:`wait_compute` does, for every
    account together)."""
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
    """Check (or start creating) the Serverless namespace and workgroup; returns the check and a new admin
    password if one was set. Does not wait for the workgroup (:func:`wait_compute` does)."""
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
        return Check(label, item, name, "created", f"namespace {namespace}, base capacity {WORKGROUP_BASE_CAPACITY} RPUs"), password
    return Check(label, item, name, "exists", f"namespace {workgroup.get('namespaceName')}, "
                                              f"base capacity {workgroup.get('baseCapacity')} RPUs"), None


def ensure_compute(session: boto3.Session, config: LabConfig, label: str) -> tuple[Check, str | None]:
    """The cluster or the workgroup, as ``redshift`` says (checked, or its creation started)."""
    return (ensure_workgroup if config.warehouse.serverless else ensure_cluster)(session, config, label)


#: What the lab cannot use, by status, and what to do (botocore ``redshift``/``redshift-serverless`` statuses).
UNUSABLE = {"deleting": "wait until it is gone, then run this notebook again", "DELETING":
            "wait until it is gone, then run this notebook again", "paused": "resume it", "pausing": "resume it"}


def wait_compute(session: boto3.Session, config: LabConfig, check: Check) -> Check:
    """Wait until the cluster or workgroup of ``check`` is available if it is being created (on AWS: minutes).

    Returns ``check``, or an ``unsuitable`` one when the compute is in a state the lab cannot use.
    """
    from .waits import wait_for

    if not check.ok or check.status == "skipped":
        return check
    compute = Warehouse(config.warehouse.kind, check.name)
    found = compute.describe(session)
    if compute.status(found) == compute.creating:
        found = wait_for(lambda: compute.describe(session), f"{compute.noun} {check.name} ({check.account})",
                         compute.status, {compute.ready}, timeout=3600, kind=compute.wait_kind("create"))
    status = compute.status(found)
    if status in UNUSABLE or (compute.serverless and status != compute.ready):
        fix = UNUSABLE.get(status, f"wait until it is {compute.ready}")
        return Check(check.account, check.item, check.name, "unsuitable", f"status {status}: {fix}")
    return check


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


#: account id → (its compute's check, the admin password the kit set, if it created the compute)
Started = dict[str, tuple[Check, str | None]]


def start_computes(plan: list[tuple[LabConfig, dict[str, boto3.Session]]]) -> Started:
    """Check every account's cluster or workgroup, starting the creation of the missing ones, THEN wait for
    all of them: their creations (minutes each on AWS) proceed together, not one account after another.

    ``plan``: (config, 'producer'/'consumer' → admin session) pairs; an account is handled once.
    """
    started: Started = {}
    where: dict[str, tuple[LabConfig, boto3.Session]] = {}
    for config, sessions in plan:
        for label, session in sessions.items():
            account = config.account_of_side(label)
            if account not in started:
                started[account] = ensure_compute(session, config, label)
                where[account] = (config, session)
    for account, (check, password) in started.items():
        config, session = where[account]
        started[account] = (wait_compute(session, config, check), password)
    return started


def ensure_prerequisites(config: LabConfig, sessions: dict[str, boto3.Session],
                         started: Started | None = None) -> tuple[list[Check], dict[str, str]]:
    """Check or create every prerequisite in both accounts (``sessions``: 'producer'/'consumer' → admin session).

    ``started``: the computes :func:`start_computes` already saw to (else it is called here, for
    both accounts together). Returns the checks and the ids to record in the state file. Raises
    :class:`PrerequisiteError` listing every problem when anything is missing or unsuitable.
    """
    checks: list[Check] = []
    ids: dict[str, str] = {"redshift_database": config.redshift_database}
    for label in ("producer", "consumer"):
        if label not in sessions:
            checks.append(Check(label, "prerequisites", "-", "skipped",
                                f"no {label} data administrator credentials on this machine: checked on theirs"))
    started = started if started is not None else start_computes([(config, sessions)])
    for label, session in sessions.items():
        account = config.account_of_side(label)
        bucket = bucket_name(account, config.region)
        checks.append(ensure_bucket(session, bucket, label, config.creates_prerequisites))
        compute_check, password = started[account]
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
    Every account's cluster or workgroup is created side by side (:func:`start_computes`).

    With several consumer accounts, a consumer's checks name its account (``consumer 333333333333``).
    """
    import dataclasses

    from .notebook import admin_sessions
    from .state import LabState

    checks: list[Check] = []
    plan = [(each, admin_sessions(each)) for each in config.each_consumer()]
    started = start_computes(plan)  # every account's cluster or workgroup at once
    for index, (each, sessions) in enumerate(plan):
        found, ids = ensure_prerequisites(each, sessions, started)
        LabState(config.work_dir, each.state_scope).update(**ids)
        for check in found:
            if check.account == "producer" and index:
                continue  # the producer's account is checked once
            if check.account == "consumer" and len(config.consumers) > 1:
                check = dataclasses.replace(check, account=f"consumer {each.consumer_account_id}")
            checks.append(check)
    return checks
