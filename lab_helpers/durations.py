"""How long the lab's asynchronous AWS resources usually take: one table, with sources.

The same table drives the progress bars (:func:`lab_helpers.waits.wait_for` scales each bar
to its resource's expected duration), the README's timing table
(``tools/update_durations_table.py``) and the offline stand-in's rehearsal pace
(``offline start --pace aws``, :mod:`lab_helpers.offline.pace`).
Each entry names its public source; where no public source gives a figure the entry says
**assumption** and why the figure is what it is. ``seconds=None`` means "no estimate":
the bar is then indeterminate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

BOTOCORE_REDSHIFT_WAITERS = "botocore `redshift` waiters-2.json (`ClusterAvailable`/`ClusterDeleted`: every 60 s, up to 30 times)"
DATAZONE_ENVIRONMENTS = ("DataZone user guide: environments are deployed from blueprints as AWS CloudFormation "
                         "stacks; [CreateEnvironment](https://docs.aws.amazon.com/datazone/latest/APIReference/"
                         "API_CreateEnvironment.html) returns `deploymentProperties` (`startTimeoutMinutes`, "
                         "`endTimeoutMinutes`): the deployment's time limits, not a typical duration")


@dataclass(frozen=True)
class Duration:
    """The typical duration of one asynchronous resource on AWS."""

    key: str  #: what :func:`~lab_helpers.waits.wait_for` is told (``kind=``)
    resource: str  #: what a person reads
    statuses: str  #: the statuses waited through, as the API reports them
    seconds: float | None  #: typical on AWS; None when nothing supports a figure
    notebooks: str  #: where the lab waits for it
    source: str  #: the public source of the figure, or why it is assumed
    assumption: bool = True


DURATIONS: tuple[Duration, ...] = (
    Duration("domain_create", "DataZone domain", "CREATING → AVAILABLE", 90, "01, 03",
             "assumption: `CreateDomain` is asynchronous (botocore `datazone` model: `DomainStatus`); no AWS page "
             "gives a figure. A V1 domain provisions its portal and catalog, no CloudFormation stack: a minute or two"),
    Duration("ram_association", "RAM share association (domain to consumer account)", "ASSOCIATING → ASSOCIATED", 30,
             "02, 03",
             "assumption: RAM documents associations as asynchronous (`ResourceShareAssociation.status`, RAM API "
             "reference) without a figure; a share of one resource with one account is metadata only: seconds"),
    Duration("environment_create", "DataZone environment", "CREATING → ACTIVE", 300, "05, 07",
             f"{DATAZONE_ENVIRONMENTS}; the figure is an assumption: a stack with a Glue database, an Athena "
             "workgroup and IAM roles takes a few minutes"),
    Duration("environment_delete", "DataZone environment deletion", "DELETING → gone", 180, "99, 05/07 on re-run",
             f"{DATAZONE_ENVIRONMENTS}; assumption: deleting the stack takes a little less than creating it"),
    Duration("data_source_create", "DataZone data source", "CREATING → READY", 10, "06",
             "assumption: `CreateDataSource` stores a configuration (botocore `datazone` model: `DataSourceStatus`); "
             "seconds"),
    Duration("data_source_run", "DataZone data source run", "REQUESTED/RUNNING → SUCCESS", 90, "06",
             "assumption: a run reads the Glue or Redshift metadata of a handful of tables into the inventory "
             "(DataZone user guide: [run a data source](https://docs.aws.amazon.com/datazone/latest/userguide/"
             "manually-start-data-source-run.html), no figure); about a minute"),
    Duration("data_source_delete", "DataZone data source deletion", "DELETING → gone", 10, "99",
             "assumption: metadata only; seconds"),
    Duration("listing_publish", "DataZone listing (publish an asset)", "CREATING → ACTIVE", 30, "06",
             "assumption: `CreateListingChangeSet` is asynchronous (botocore `datazone` model: `ListingStatus`) "
             "without a figure; catalog metadata: seconds"),
    Duration("subscription_grant", "DataZone subscription grant", "PENDING/IN_PROGRESS → COMPLETED", 120,
             "10",
             "assumption: DataZone grants through Lake Formation (Glue) or a Redshift datashare (DataZone user "
             "guide: [grant access to Glue assets](https://docs.aws.amazon.com/datazone/latest/userguide/"
             "grant-access-to-glue-asset.html)); no figure: a couple of minutes, datashares the longest"),
    Duration("subscription_revoke", "DataZone subscription revoke", "REVOKE_IN_PROGRESS → REVOKED", 60, "99",
             "assumption: the reverse of a grant, without the datashare's creation"),
    Duration("domain_delete", "DataZone domain deletion", "DELETING → gone", 90, "99",
             "assumption: as its creation (`DeleteDomain` is asynchronous, botocore `datazone` model)"),
    Duration("redshift_cluster_create", "Redshift provisioned cluster (ra3.xlplus, single node)",
             "creating → available", 600, "00 (create_prerequisites)",
             f"{BOTOCORE_REDSHIFT_WAITERS}: the SDK expects minutes, at most 30; assumption: about 10 minutes "
             "for one node"),
    Duration("redshift_cluster_delete", "Redshift cluster deletion", "deleting → gone", 300, "99",
             f"{BOTOCORE_REDSHIFT_WAITERS}; assumption: about 5 minutes"),
    Duration("redshift_workgroup_create", "Redshift Serverless workgroup", "CREATING → AVAILABLE", 180,
             "00 (create_prerequisites, `redshift: serverless`)",
             "assumption: `CreateWorkgroup` is asynchronous (botocore `redshift-serverless` model: `WorkgroupStatus` "
             "CREATING, AVAILABLE); no AWS page gives a figure; a third-party provider's documentation "
             "([alchemy.run, RedshiftServerless Workgroup](https://alchemy.run/providers/aws/redshiftserverless/workgroup)) "
             "says roughly 2-5 minutes: about 3 minutes"),
    Duration("redshift_workgroup_delete", "Redshift Serverless workgroup deletion", "DELETING → gone", 120,
             "99 (`redshift: serverless`)",
             "assumption: `DeleteWorkgroup` is asynchronous (botocore `redshift-serverless` model: `WorkgroupStatus` "
             "DELETING); no AWS page gives a figure; releasing the compute and its endpoint: about 2 minutes, "
             "less than its creation"),
    Duration("redshift_namespace_delete", "Redshift Serverless namespace deletion", "DELETING → gone", 60,
             "99 (`redshift: serverless`)",
             "assumption: `DeleteNamespace` is asynchronous (botocore `redshift-serverless` model: `NamespaceStatus` "
             "DELETING); no AWS page gives a figure; the namespace goes only once its workgroup is gone, without a "
             "final snapshot the lab does not ask for: about a minute"),
    Duration("athena_query", "Athena query (the lab's small tables)", "QUEUED/RUNNING → SUCCEEDED", 3, "05, 10",
             "assumption: Athena queues and plans every query (`QueryExecutionStatus`, Athena API reference); "
             "the lab's tables hold kilobytes: seconds"),
    Duration("cloudtrail_delivery", "CloudTrail management event (event history, `LookupEvents`)",
             "API call → listed by LookupEvents", 300, "11",
             "AWS CloudTrail User Guide ([How CloudTrail works](https://docs.aws.amazon.com/awscloudtrail/latest/"
             "userguide/how-cloudtrail-works.html), CloudTrail FAQs): CloudTrail typically delivers an event within "
             "about 5 minutes of the API call, a time that is not guaranteed; the stand-in lists it at once",
             assumption=False),
    Duration("redshift_statement", "Redshift Data API statement", "SUBMITTED/STARTED → FINISHED", 3, "05, 10",
             "assumption: `ExecuteStatement` is asynchronous (Redshift Data API reference: `DescribeStatement`); "
             "small statements: seconds"),
)

_BY_KEY = {d.key: d for d in DURATIONS}


def duration(key: str) -> Duration:
    """The entry for ``key``; a ``KeyError`` names the known keys."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"no expected duration for {key!r}: known are {', '.join(_BY_KEY)}") from None


def expected_seconds(key: str | None) -> float | None:
    """Typical seconds on AWS for ``key`` (None when unknown or ``key`` is None)."""
    return duration(key).seconds if key else None


def scaled(key: str, factor: float) -> float | None:
    """``key``'s duration times ``factor`` (a rehearsal at ``aws/10`` uses 0.1); None when unknown."""
    seconds = expected_seconds(key)
    return None if seconds is None else seconds * factor


def human(seconds: float | None) -> str:
    """``5 min 12 s``, ``40 s``, ``2 h 3 min``; "unknown" for None."""
    if seconds is None:
        return "unknown"
    total = int(round(seconds))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def markdown_table() -> str:
    """The README's timing table (generated: ``python tools/update_durations_table.py``)."""
    lines = ["| resource | statuses | notebook | typical on AWS | source |", "|---|---|---|---|---|"]
    for d in DURATIONS:
        typical = "no estimate" if d.seconds is None else f"~{human(d.seconds)}"
        lines.append(f"| {d.resource} | {d.statuses} | {d.notebooks} | {typical} | {d.source} |")
    return "\n".join(lines)


#: What each notebook waits for, stage by stage: the waits of one stage are independent and
#: proceed together (a stage lasts as long as its longest wait), the stages follow one another.
#: With the dependency graph of :mod:`lab_helpers.steps` this gives the lab's critical path
#: (``bench/rehearsal.py``).
NOTEBOOK_WAITS: dict[str, tuple[tuple[str, ...], ...]] = {
    "00": (("redshift_cluster_create",),),  # every account's cluster side by side (checked only, on AWS)
    "01": (("domain_create",),),
    "02": (),
    "03": (("ram_association",),),
    "04": (),
    "05": (("environment_create",), ("athena_query", "redshift_statement")),  # both environments side by side
    "06": (("data_source_create",), ("data_source_run",), ("listing_publish",)),  # two of each side by side
    "07": (("environment_create",),),
    "08": (("athena_query", "redshift_statement"),),
    "09": (),
    "10": (("subscription_grant",), ("athena_query", "redshift_statement")),
    "11": (),  # reads only
    "99": (("subscription_revoke",), ("data_source_delete",), ("environment_delete",), ("domain_delete",),
           ("redshift_cluster_delete",)),  # every account's cluster side by side
    # on Serverless the last stage is two instead: ("redshift_workgroup_delete",), ("redshift_namespace_delete",),
    # every account's side by side (the critical path assumes clusters)
}


def notebook_wait(number: str, seconds_of: Callable[[str], float | None] = expected_seconds) -> float:
    """Seconds notebook ``number`` spends waiting when each stage's waits overlap (unknown durations: 0)."""
    return sum(max((seconds_of(key) or 0.0) for key in stage) for stage in NOTEBOOK_WAITS.get(number, ()) if stage)
