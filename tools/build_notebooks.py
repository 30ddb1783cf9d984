"""Write the walkthrough notebooks 01-10 and 99 (run: python tools/build_notebooks.py).

Every notebook has the same shape: a title cell (persona and purpose), ONE ``parameters``
cell, a cell opening the persona's session, then per walkthrough step a markdown cell in
the blog's words (what the persona does, why, and what AWS does behind the call) followed
by a short code cell calling ``lab_helpers`` and showing a table. Change the text here,
not in the .ipynb files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

PARAMETERS = """\
# Parameters (papermill -p NAME VALUE overrides them; None: the value 00_lab_setup saved).
# Checked before anything is created; account ids are text: papermill -r producer_account_id 0123…
from typing import Optional

backend: Optional[str] = None  # "offline" (local stand-in) or "aws"; None: as saved by 00 (default "offline")
region: Optional[str] = None  # AWS Region of the domain, e.g. "us-east-1"; None: as saved by 00
producer_account_id: Optional[str] = None  # 12 digits, e.g. "111111111111"; None: as saved by 00
consumer_account_id: Optional[str] = None  # 12 digits, e.g. "222222222222"; None: as saved by 00
profiles: dict = {}  # aws backend: persona -> named profile, e.g. {"publisher": "lab-publisher"}
role_arns: dict = {}  # aws backend: persona -> IAM role ARN to assume instead of a profile
offline_port: Optional[int] = None  # offline backend: port of the stand-in on 127.0.0.1 (None: 5055)
work_dir: str = ""  # folder of the lab's state file (default: .lab in the checkout)"""

SAMPLE_ROWS = '\nsample_rows: int = 1000  # rows of generated sample sales data: a whole number from 1 to 100000'


def start(persona: str) -> str:
    return (
        "from lab_helpers.notebook import start_notebook\n"
        "from lab_helpers.display import table, note\n\n"
        f'lab = start_notebook("{persona}", backend=backend, region=region, producer_account_id=producer_account_id,\n'
        "                     consumer_account_id=consumer_account_id, profiles=profiles, role_arns=role_arns,\n"
        "                     offline_port=offline_port, work_dir=work_dir{extra})"
    )


def notebook(name: str, persona: str, title: str, steps: list[tuple[str, str]], sample_rows: bool = False) -> None:
    """Write ``notebooks/<name>.ipynb``: title, parameters, start, then (markdown, code) per step."""
    params = PARAMETERS + (SAMPLE_ROWS if sample_rows else "")
    cells = [
        nbf.v4.new_markdown_cell(title),
        nbf.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        nbf.v4.new_code_cell(start(persona).format(extra=", sample_rows=sample_rows" if sample_rows else "")),
    ]
    for text, code in steps:
        cells.append(nbf.v4.new_markdown_cell(text.strip()))
        if code.strip():
            cells.append(nbf.v4.new_code_cell(code.strip()))
    prefix = name.split("_", 1)[0]
    for index, cell in enumerate(cells):  # stable ids: rebuilding changes nothing unless the text does
        cell["id"] = f"nb{prefix}-cell{index:02d}"
    nb = nbf.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    NOTEBOOKS.mkdir(exist_ok=True)
    nbf.write(nb, NOTEBOOKS / f"{name}.ipynb")


# --------------------------------------------------------------------------- 01
def nb01() -> None:
    notebook("01_producer_admin_create_domain", "producer_admin", """\
# 01 · Producer data administrator: create the Amazon DataZone domain

*Walkthrough step 1.* The producer account hosts the data assets and the Amazon DataZone domain
`Demo_cross_account_domain`. The console's **Quick setup** does three things in one click; this
notebook does them with API calls: it creates the domain's execution role and the domain, then
enables the **DefaultDataLake** and **DefaultDataWarehouse** blueprints in the producer account
(with the roles DataZone uses to provision environments and to manage access).""", [
        ("""\
## The domain execution role

Amazon DataZone acts on the domain's behalf with an IAM role, `AmazonDataZoneDomainExecution`.
It trusts only the DataZone service (`sts:AssumeRole` and `sts:TagSession`, for calls made in this
account) and carries the AWS managed policy `AmazonDataZoneDomainExecutionRolePolicy`.
The call is get-or-create: a re-run finds the role and changes nothing.""", """\
from lab_helpers import iam_roles

role = iam_roles.ensure_execution_role(lab.client("iam"), lab.account_id)
table([{"role": role["RoleName"], "arn": role["Arn"], "created": role["CreateDate"]}])"""),
        ("""\
## Create the domain `Demo_cross_account_domain`

`datazone.create_domain` (domain version **V1**, the environment-based flow the blog uses) makes the
domain, its data portal and its business data catalog. The domain starts `CREATING` and becomes
`AVAILABLE` after a short while; the progress bar shows its status. Its id (`dzd_…`) and ARN go into
the lab's state file for the next notebooks.""", """\
from lab_helpers import datazone as dz

domain = dz.ensure_domain(lab.client("datazone"), lab.config.domain_name, role["Arn"])
lab.state.update(domain_id=domain["id"], domain_arn=domain["arn"], domain_name=domain["name"],
                 domain_account_id=lab.account_id)
table([domain], ["name", "id", "status", "domainVersion", "portalUrl", "arn"])"""),
        ("""\
## Enable the default blueprints in the producer account

Quick setup enables two blueprints: **DefaultDataLake** (AWS Glue, Lake Formation and Athena) and
**DefaultDataWarehouse** (Amazon Redshift). A blueprint configuration is per domain *and* account:
it names the Regions where environments may be created, the **provisioning role** DataZone uses to
deploy environments (CloudFormation) and the **manage-access role** it uses to grant access to
published data (Lake Formation for Glue, datashares for Redshift). The data lake also needs an S3
location for the data of the Glue databases its environments create.

The Glue and Redshift access roles are named after the domain, so they are made now that it exists.""", """\
roles = iam_roles.ensure_blueprint_roles(lab.client("iam"), lab.config.region, domain["id"], domain["arn"])
s3_location = f"s3://{lab.state.require('producer_bucket')}/datazone/"
table(dz.enable_lab_blueprints(lab.client("datazone"), domain["id"], lab.config.region, roles, s3_location,
                               lab.account_id))"""),
        ("""\
## Next

The producer data administrator continues with **02_producer_admin_request_association**: share the
domain with the consumer account.""", ""),
    ])


# --------------------------------------------------------------------------- 02
def nb02() -> None:
    notebook("02_producer_admin_request_association", "producer_admin", """\
# 02 · Producer data administrator: request the domain association

*Walkthrough step 2.* In the console the producer admin opens the domain, goes to **Associated
Accounts**, enters the consumer account id and chooses **Request association** with the policy
"DataZonePortalReadWrite". Behind the button is an **AWS Resource Access Manager (RAM)** resource
share of the domain with the consumer account. Outside one AWS Organization RAM sends the consumer an
invitation, which the consumer admin accepts in notebook 03.""", [
        ("""\
## Find the RAM permission for portal access

"DataZonePortalReadWrite" is the console's label. RAM's managed permission for DataZone domains that
lets the consumer's users call the DataZone APIs **and** use the data portal is
`AWSRAMPermissionAmazonDataZoneDomainFullAccessWithPortalAccess`. The lab looks it up with
`ram.list_permissions(resourceType="datazone:Domain")` rather than hard-coding its ARN.""", """\
from lab_helpers import association as assoc

ram = lab.client("ram")
permission_arn = assoc.portal_permission_arn(ram)
table([{"permission": permission_arn.rsplit("/", 1)[-1], "arn": permission_arn}])"""),
        ("""\
## Request the association

`ram.create_resource_share` shares the domain ARN with the consumer account, named
`DataZone-<domainName>-<domainId>` as the console names it (administrator policies only allow share
names starting with `DataZone`). `allowExternalPrincipals=True` lets RAM invite an account outside
the producer's Organization. A re-run finds the share by name and adds the consumer only if missing.
The table shows the share's associations: the domain (resource) is `ASSOCIATED` at once; the consumer
(principal) stays `ASSOCIATING` until the invitation is accepted.""", """\
domain = lab.client("datazone").get_domain(identifier=lab.state.require("domain_id"))
share = assoc.ensure_domain_share(ram, domain, lab.config.consumer_account_id, permission_arn)
lab.state.update(resource_share_arn=share["resourceShareArn"], resource_share_name=share["name"])
table(assoc.association_rows(ram, share["resourceShareArn"]))"""),
        ("""\
## Next

The **consumer** data administrator continues with **03_consumer_admin_accept_association**.""", ""),
    ])


# --------------------------------------------------------------------------- 03
def nb03() -> None:
    notebook("03_consumer_admin_accept_association", "consumer_admin", """\
# 03 · Consumer data administrator: accept the domain association

*Walkthrough step 3.* In the consumer account (same Region) the data administrator opens Amazon
DataZone → **View requests**, reviews the request and chooses **Accept association**; the domain then
shows as *associated*. Then the admin enables the **DefaultDataLake** and **DefaultDataWarehouse**
blueprints for the consumer account, so the subscriber can create environments there (notebook 07).""", [
        ("""\
## Find the invitation

The association request arrives as an AWS RAM invitation to the share
`DataZone-<domainName>-<domainId>`. The notebook finds it by the domain id in the state file or, when
the consumer works from its own machine, by the domain name (`get_resource_share_invitations`).""", """\
from lab_helpers import association as assoc, datazone as dz, iam_roles

ram = lab.client("ram")
domain_id, invitation = assoc.locate_shared_domain(ram, lab.config.domain_name, lab.state.get("domain_id"))
if invitation is None and domain_id is None:
    raise RuntimeError("no invitation for the domain: run 02_producer_admin_request_association first")
table([invitation or {"resourceShareName": "(no invitation: same AWS Organization)"}],
      ["resourceShareName", "senderAccountId", "receiverAccountId", "status", "invitationTimestamp"])"""),
        ("""\
## Accept the association

`ram.accept_resource_share_invitation` accepts it (an invitation accepted before is left as it is).
DataZone then answers the consumer account's calls for the domain: the notebook polls
`datazone.get_domain` until it does, as RAM takes a moment to propagate the share.""", """\
if invitation is not None:
    invitation = assoc.accept_invitation(ram, invitation)
domain = assoc.wait_domain_visible(lab.client("datazone"), domain_id)
lab.state.update(domain_id=domain["id"], domain_arn=domain["arn"])
table([{"domain": domain["name"], "id": domain["id"], "status": domain["status"],
        "invitation": (invitation or {}).get("status", "n/a"), "seen from account": lab.account_id}])"""),
        ("""\
## Enable the blueprints in the consumer account

Blueprint configurations belong to (domain, account): the consumer admin enables **DefaultDataLake**
(with the Glue manage-access role) and **DefaultDataWarehouse** for the consumer account, with
roles made in the consumer account and the data lake's S3 location in the consumer's bucket.""", """\
roles = iam_roles.ensure_blueprint_roles(lab.client("iam"), lab.config.region, domain["id"], domain["arn"])
s3_location = f"s3://{lab.state.require('consumer_bucket')}/datazone/"
table(dz.enable_lab_blueprints(lab.client("datazone"), domain["id"], lab.config.region, roles, s3_location,
                               lab.account_id))"""),
        ("""\
## Next

The **producer** data administrator continues with **04_producer_admin_add_users**.""", ""),
    ])


# --------------------------------------------------------------------------- 04
def nb04() -> None:
    notebook("04_producer_admin_add_users", "producer_admin", """\
# 04 · Producer data administrator: add the data users to the domain

*Walkthrough step 4.* In **User management → Add → Add IAM users** the producer admin adds the data
publisher (an IAM principal of the producer account) and the data subscriber (an IAM principal of the
associated consumer account). Only the domain's owner account can add principals of associated
accounts.""", [
        ("""\
## Who are the publisher and the subscriber?

Each persona's IAM principal comes from its own session (`sts.get_caller_identity`). A persona that
works through an assumed role appears as `arn:aws:sts::<account>:assumed-role/<Role>/<session>`;
DataZone user profiles name the role itself, with its path: `arn:aws:iam::<account>:role/<path><Role>`
(an IAM Identity Center role lives under `aws-reserved/sso.amazonaws.com/`), so each persona reads its
own role with `iam.get_role`.""", """\
from lab_helpers import datazone as dz

users = {p: dz.principal_arn_of(lab.session_of(p)) for p in ("publisher", "subscriber")}
table([{"persona": p, "IAM principal": arn} for p, arn in users.items()])"""),
        ("""\
## Create their user profiles

`datazone.create_user_profile` (type `IAM_ROLE` for roles, `IAM_USER` for users) registers each
principal as a domain user, so it can sign in to the data portal, create projects and be a project
member. A re-run finds the existing profiles with `get_user_profile`.""", """\
dzc = lab.client("datazone")
domain_id = lab.state.require("domain_id")
profiles = {p: dz.ensure_user_profile(dzc, domain_id, arn) for p, arn in users.items()}
lab.state.update(**{f"{p}_user_profile_id": prof["id"] for p, prof in profiles.items()},
                 **{f"{p}_principal_arn": arn for p, arn in users.items()})
table([{"persona": p, "user profile id": prof["id"], "type": prof.get("type"), "status": prof.get("status"),
        "principal": (prof.get("details") or {}).get("iam", {}).get("arn")} for p, prof in profiles.items()])"""),
        ("""\
## Next

The **data publisher** continues with **05_publisher_create_projects_and_environments**.""", ""),
    ])


# --------------------------------------------------------------------------- 05
def nb05() -> None:
    notebook("05_publisher_create_projects_and_environments", "publisher", """\
# 05 · Data publisher: publish projects, environments and the sample tables

*Walkthrough steps 5 and 6.* The data publisher (producer account) creates two projects,
`Glue_Publish_Project` and `Redshift_Publish_Project`, an environment in each
(`Glue_Publish_Environment` from the data lake blueprint, `Redshift_Publish_Environment` from the data
warehouse blueprint), and the sample sales tables the walkthrough publishes: `mkt_sls_table` (Athena
CTAS) and `rs_sls_tbl` (Redshift CTAS).""", [
        ("""\
## Create the publish projects

A project groups people, environments and data. `datazone.create_project` makes the publisher the
project's owner. Names are unique in a domain, so the notebook looks each project up by name first.""", """\
from lab_helpers import datazone as dz

dzc = lab.client("datazone")
domain_id = lab.state.require("domain_id")
glue_project = dz.ensure_project(dzc, domain_id, "Glue_Publish_Project", "Publishes AWS Glue tables")
rs_project = dz.ensure_project(dzc, domain_id, "Redshift_Publish_Project", "Publishes Amazon Redshift tables")
lab.state.update(glue_publish_project_id=glue_project["id"], redshift_publish_project_id=rs_project["id"])
table(dz.project_rows([glue_project, rs_project]))"""),
        ("""\
## Tag the producer's Redshift secret for DataZone

The Redshift environment reads the cluster credentials from the Secrets Manager secret the data
admin made. DataZone may only use a secret tagged `datazone.rs.cluster = <cluster>:<database>`,
`AmazonDataZoneProject = <project id>` and `AmazonDataZoneDomain = <domain id>`
(the blog writes `DataZone.rs.cluster`).""", """\
from lab_helpers.redshift_secret import tag_redshift_secret

cluster, database = lab.state.require("producer_cluster_id"), lab.state.require("redshift_database")
secret_arn = lab.state.require("producer_secret_arn")
tags = tag_redshift_secret(lab.client("secretsmanager"), secret_arn, cluster, database, rs_project["id"], domain_id)
table([{"tag": k, "value": v} for k, v in tags.items()])"""),
        ("""\
## Create the environments `Glue_Publish_Environment` and `Redshift_Publish_Environment`

An environment profile binds a blueprint to an account and Region; an environment is the deployed
infrastructure a project works in. For `Glue_Publish_Environment` the Glue database names and the
Athena workgroup are left blank, so DataZone creates `glue_publish_environment_pub_db` (to publish
from) and `glue_publish_environment_sub_db` (for subscriptions). `Redshift_Publish_Environment` gets the
cluster, database and secret, and DataZone creates the schema
`datazone_env_redshift_publish_environment` in the cluster. Both are created first and then waited
for, so their deployments (CloudFormation stacks, minutes on AWS) run side by side.""", """\
region, account = lab.config.region, lab.account_id
envs = dz.ensure_environments(dzc, domain_id, [
    {"project_id": glue_project["id"], "name": "Glue_Publish_Environment", "profile": "glue_publish-env-profile",
     "blueprint": dz.DATA_LAKE, "account_id": account, "region": region},
    {"project_id": rs_project["id"], "name": "Redshift_Publish_Environment", "profile": "redshift_publish-env-profile",
     "blueprint": dz.DATA_WAREHOUSE, "account_id": account, "region": region,
     "parameters": {"dataAccessSecretsArn": secret_arn, "dbName": database, "clusterName": cluster}},
])
glue_env, rs_env = envs["Glue_Publish_Environment"], envs["Redshift_Publish_Environment"]
lab.state.update(glue_publish_environment_id=glue_env["id"], redshift_publish_environment_id=rs_env["id"])
table(dz.environment_rows(envs))"""),
        ("""\
## Generate the sample sales data

The blog creates its tables from "sample sales/marketing data". The lab generates that data
deterministically (the same rows every run): `sample_rows` orders with date, region, channel,
campaign, product category, units and revenue.""", """\
from lab_helpers import queries as q
from lab_helpers.sample_data import generate_sales

sales = generate_sales(sample_rows)
sales.head()"""),
        ("""\
## Create `mkt_sls_table` with Athena CTAS

In the data portal the publisher opens **Athena** from `Glue_Publish_Environment`: DataZone hands out
temporary credentials of the environment's **user role** (`get_environment_credentials`) and opens
the environment's own Athena workgroup. That matters on AWS: the environment's Glue databases are
governed by **Lake Formation**, which lets that role, and not the publisher's own IAM principal,
create tables in `glue_publish_environment_pub_db`. The CREATE TABLE AS SELECT carries the rows as
SQL values (as the DataZone getting-started guide's CTAS does, in batches of 1,000 rows); Athena
writes Parquet files under the workgroup's result location, the environment's S3 prefix, and
registers the table in the environment's database. A query verifies the table.""", """\
pub_db, workgroup = dz.glue_database(glue_env, "Producer"), dz.athena_workgroup(glue_env)
glue_env_session = dz.environment_session(dzc, domain_id, glue_env["id"], region)
q.ensure_athena_ctas(glue_env_session, pub_db, sales, workgroup)
q.athena_frame(glue_env_session, f"SELECT count(*) AS row_count, round(sum(revenue), 2) AS revenue "
                                 f"FROM {pub_db}.{q.GLUE_TABLE}", pub_db, workgroup=workgroup)"""),
        ("""\
## Create `rs_sls_tbl` with Redshift CTAS

In the Redshift query editor the publisher creates `rs_sls_tbl` in the environment's schema. Here
the Redshift Data API runs the SQL with the secret's credentials: the raw rows go into
`public.sales_raw`, then a CREATE TABLE AS SELECT makes
`datazone_env_redshift_publish_environment.rs_sls_tbl`. A query verifies it.""", """\
schema = dz.redshift_schema(rs_env)
q.ensure_redshift_tables(lab.session, sales, schema, cluster, database, secret_arn)
q.redshift_frame(lab.session, f"SELECT count(*) AS row_count, round(sum(revenue), 2) AS revenue "
                              f"FROM {schema}.{q.REDSHIFT_TABLE}", cluster, database, secret_arn)"""),
        ("""\
## Next

The publisher continues with **06_publisher_publish_assets**.""", ""),
    ], sample_rows=True)


# --------------------------------------------------------------------------- 06
def nb06() -> None:
    notebook("06_publisher_publish_assets", "publisher", """\
# 06 · Data publisher: publish the assets to the business data catalog

*Walkthrough step 7.* The publisher creates a data source per environment (`glue-publish-datasource`
for the Glue database, `rs-publish-datasource` for the Redshift schema), runs it, reviews the
metadata DataZone generated (**Accept All**) and publishes each asset (**Publish Asset**), so that
users of every associated account can find it in the catalog.""", [
        ("""\
## Create the data sources

A data source tells DataZone where to harvest technical metadata: all tables (`*`) of
`glue_publish_environment_pub_db`, and all tables of schema `datazone_env_redshift_publish_environment`
in database `dev` (read with the tagged secret). Creating it publishes nothing yet.""", """\
from lab_helpers import datazone as dz

dzc = lab.client("datazone")
domain_id = lab.state.require("domain_id")
glue_env = dzc.get_environment(domainIdentifier=domain_id, identifier=lab.state.require("glue_publish_environment_id"))
rs_env = dzc.get_environment(domainIdentifier=domain_id, identifier=lab.state.require("redshift_publish_environment_id"))
cluster, database = lab.state.require("producer_cluster_id"), lab.state.require("redshift_database")
glue_source = dz.ensure_data_source(dzc, domain_id, glue_env["projectId"], glue_env["id"], "glue-publish-datasource",
                                    "GLUE", dz.glue_source_configuration(dz.glue_database(glue_env)))
rs_source = dz.ensure_data_source(dzc, domain_id, rs_env["projectId"], rs_env["id"], "rs-publish-datasource", "REDSHIFT",
                                  dz.redshift_source_configuration(database, dz.redshift_schema(rs_env),
                                                                   lab.state.require("producer_secret_arn"), cluster))
table([glue_source, rs_source], ["name", "id", "type", "status", "environmentId", "lastRunStatus"])"""),
        ("""\
## Run them, accept the metadata, publish

**Run** imports each table as an asset of the project's inventory (a run may already be under way:
it is joined, not started twice). DataZone generates business metadata, e.g. the business name
"Market Sales Table" for `mkt_sls_table`; **Accept All** (`accept_predictions`) keeps it. **Publish**
(`create_listing_change_set(action="PUBLISH")`) makes a listing in the business data catalog; the
notebook waits until each listing is `ACTIVE`.""", """\
published = [dz.publish_table(dzc, domain_id, glue_source["id"], "mkt_sls_table", "glue-publish-datasource"),
             dz.publish_table(dzc, domain_id, rs_source["id"], "rs_sls_tbl", "rs-publish-datasource")]
glue_pub, rs_pub = published
lab.state.update(glue_data_source_id=glue_source["id"], redshift_data_source_id=rs_source["id"],
                 glue_asset_id=glue_pub["asset id"], redshift_asset_id=rs_pub["asset id"],
                 glue_listing_id=glue_pub["listing id"], redshift_listing_id=rs_pub["listing id"])
table(published)"""),
        ("""\
## The catalog now lists both assets

`search_listings` is what any domain user (in either account) searches in the data portal.""", """\
ours = {glue_pub["listing id"], rs_pub["listing id"]}
table(dz.listing_rows([item for item in dz.search_listings(dzc, domain_id) if item["listingId"] in ours]))"""),
        ("""\
## Next

The **data subscriber** continues with **07_subscriber_create_projects_and_environments**.""", ""),
    ])


# --------------------------------------------------------------------------- 07
def nb07() -> None:
    notebook("07_subscriber_create_projects_and_environments", "subscriber", """\
# 07 · Data subscriber: subscribe projects and environments

*Walkthrough steps 8 and 9.* In the consumer account the data subscriber creates the projects
`Glue_Subscribe_Project` and `Redshift_Subscribe_Project`, the environment profiles
`glue_subscribe-env-profile` (Default Data Lake) and `redshift_subscribe-env-profile`
(Default Data Warehouse, with the consumer's own cluster and secret), both in the consumer account,
and the environments `glue_subscribe_environment` and `redshift_subscribe_environment` that will
receive the subscribed data.""", [
        ("""\
## Create the subscribe projects

The projects live in the producer's domain, created from the consumer account through the accepted
association.""", """\
from lab_helpers import datazone as dz

dzc = lab.client("datazone")
domain_id = lab.state.require("domain_id")
glue_project = dz.ensure_project(dzc, domain_id, "Glue_Subscribe_Project", "Subscribes to AWS Glue tables")
rs_project = dz.ensure_project(dzc, domain_id, "Redshift_Subscribe_Project", "Subscribes to Amazon Redshift tables")
lab.state.update(glue_subscribe_project_id=glue_project["id"], redshift_subscribe_project_id=rs_project["id"])
table(dz.project_rows([glue_project, rs_project]))"""),
        ("""\
## Tag the consumer's Redshift secret

As in the producer account, DataZone may use the consumer cluster's secret only when it is tagged
with the cluster and database, the consumer project and the domain.""", """\
from lab_helpers.redshift_secret import tag_redshift_secret

cluster, database = lab.state.require("consumer_cluster_id"), lab.state.require("redshift_database")
secret_arn = lab.state.require("consumer_secret_arn")
tags = tag_redshift_secret(lab.client("secretsmanager"), secret_arn, cluster, database, rs_project["id"], domain_id)
table([{"tag": k, "value": v} for k, v in tags.items()])"""),
        ("""\
## Create the environment profiles and environments

`glue_subscribe-env-profile`: blueprint Default Data Lake, account = consumer, all projects authorized,
publishing from any database. `redshift_subscribe-env-profile`: blueprint Default Data Warehouse,
"Enter my own" parameter set with the consumer's cluster, database and secret. Then the environments
`glue_subscribe_environment` (DataZone creates `glue_subscribe_environment_sub_db`) and
`redshift_subscribe_environment` (schema `datazone_env_redshift_subscribe_environment`), created first
and waited for together.""", """\
region, account = lab.config.region, lab.account_id
envs = dz.ensure_environments(dzc, domain_id, [
    {"project_id": glue_project["id"], "name": "glue_subscribe_environment", "profile": "glue_subscribe-env-profile",
     "blueprint": dz.DATA_LAKE, "account_id": account, "region": region},
    {"project_id": rs_project["id"], "name": "redshift_subscribe_environment",
     "profile": "redshift_subscribe-env-profile", "blueprint": dz.DATA_WAREHOUSE, "account_id": account,
     "region": region,
     "profile_parameters": {"dataAccessSecretsArn": secret_arn, "dbName": database, "clusterName": cluster}},
])
lab.state.update(glue_subscribe_environment_id=envs["glue_subscribe_environment"]["id"],
                 redshift_subscribe_environment_id=envs["redshift_subscribe_environment"]["id"])
table(dz.environment_rows(envs))"""),
        ("""\
## Next

The subscriber continues with **08_subscriber_request_access**.""", ""),
    ])


# --------------------------------------------------------------------------- 08
def nb08() -> None:
    notebook("08_subscriber_request_access", "subscriber", """\
# 08 · Data subscriber: find the data and request access

*Walkthrough step 10, first half.* The subscriber searches the business data catalog, finds
**Market Sales Table** (`mkt_sls_table`) and **Sales Table** (`rs_sls_tbl`), and subscribes with a
justification: `Glue_Subscribe_Project` to the Glue table, `Redshift_Subscribe_Project` to the Redshift
table. Until the publisher approves, the data stays out of reach.""", [
        ("""\
## Search the catalog

`search_listings` searches the published listings of the domain, across accounts. Business names may
differ from table names (accepted metadata renames `mkt_sls_table`), so the notebook matches the
listings on their asset ids.""", """\
from lab_helpers import datazone as dz

dzc = lab.client("datazone")
domain_id = lab.state.require("domain_id")
found = dz.search_listings(dzc, domain_id, "sales")
glue_listing = dz.find_listing(dzc, domain_id, lab.state.get("glue_asset_id"), "mkt_sls_table")
rs_listing = dz.find_listing(dzc, domain_id, lab.state.get("redshift_asset_id"), "rs_sls_tbl")
lab.state.update(glue_listing_id=glue_listing["listingId"], redshift_listing_id=rs_listing["listingId"])
table(dz.listing_rows(found))"""),
        ("""\
## Request the subscriptions

`create_subscription_request` asks for `subscribedListings` on behalf of a project
(`subscribedPrincipals`), with a justification. DataZone routes it to the owning project of each listing.
A request already pending or accepted is not made again.""", """\
reason = "Marketing analytics: compare regional sales with campaign spend (cross-account DataZone lab)"
requests = [
    dz.ensure_subscription_request(dzc, domain_id, lab.state.require("glue_subscribe_project_id"),
                                   glue_listing["listingId"], reason),
    dz.ensure_subscription_request(dzc, domain_id, lab.state.require("redshift_subscribe_project_id"),
                                   rs_listing["listingId"], reason),
]
lab.state.update(glue_subscription_request_id=requests[0]["id"], redshift_subscription_request_id=requests[1]["id"])
table(dz.request_rows(requests))"""),
        ("""\
## No access yet

Before approval the subscriber's environments hold no copy of, or grant to, the producer's data:
Athena finds no `mkt_sls_table` in `glue_subscribe_environment_sub_db` (and the producer's
`glue_publish_environment_pub_db` is not in the consumer's catalog at all), and Redshift has no
`rs_sls_tbl` in the subscribe schema. Athena runs as the environment's user role, as when the subscriber
opens Athena from the data portal (`get_environment_credentials`). The refusals below are the expected
outcome.""", """\
from lab_helpers import queries as q

glue_env = dzc.get_environment(domainIdentifier=domain_id, identifier=lab.state.require("glue_subscribe_environment_id"))
sub_db = dz.glue_database(glue_env, "Consumer")
env_session = dz.environment_session(dzc, domain_id, glue_env["id"], lab.config.region)
_, athena_error = q.attempt(q.athena_frame, env_session, f"SELECT * FROM {sub_db}.mkt_sls_table LIMIT 5", sub_db,
                            workgroup=dz.athena_workgroup(glue_env))
_, direct_error = q.attempt(q.athena_frame, env_session, "SELECT * FROM glue_publish_environment_pub_db.mkt_sls_table LIMIT 5",
                            sub_db, workgroup=dz.athena_workgroup(glue_env))
_, redshift_error = q.attempt(q.redshift_frame, lab.session,
                              'SELECT * FROM "dev"."datazone_env_redshift_subscribe_environment"."rs_sls_tbl" LIMIT 5',
                              lab.state.require("consumer_cluster_id"), lab.state.require("redshift_database"),
                              lab.state.require("consumer_secret_arn"))
for engine, error in (("Athena, subscribe database", athena_error), ("Athena, the producer's database", direct_error),
                      ("Redshift", redshift_error)):
    note(q.check_refused(engine, error), "denied" if error else "warn")"""),
        ("""\
## Next

The **data publisher** approves the requests in **09_publisher_approve_requests**.""", ""),
    ])


# --------------------------------------------------------------------------- 09
def nb09() -> None:
    notebook("09_publisher_approve_requests", "publisher", """\
# 09 · Data publisher: approve the subscription requests

*Walkthrough step 10, approval.* The publisher sees the subscription requests addressed to the
publishing projects and approves them with a comment. DataZone then grants the subscribing projects'
environments access: a Lake Formation grant and a resource link for the Glue table, a Redshift
datashare for the Redshift table.""", [
        ("""\
## Pending requests

`list_subscription_requests(status="PENDING", approverProjectId=…)` for each publishing project.""", """\
from lab_helpers import datazone as dz

dzc = lab.client("datazone")
domain_id = lab.state.require("domain_id")
projects = [lab.state.require("glue_publish_project_id"), lab.state.require("redshift_publish_project_id")]
pending = [req for project in projects for req in dz.pending_requests(dzc, domain_id, project)]
table(dz.request_rows(pending)) if pending else note("no pending request (approved on an earlier run?)", "info")"""),
        ("""\
## Approve them

`accept_subscription_request` with a decision comment. Only members of the owning project may approve.""", """\
comment = "Approved for the cross-account analytics lab"
approved = [dz.approve_request(dzc, domain_id, req["id"], comment) for req in pending]
done = [req for project in projects for req in dz.decided_requests(dzc, domain_id, project)]
table(dz.request_rows(done))"""),
        ("""\
## Next

The **data subscriber** queries the data in **10_subscriber_query_data**.""", ""),
    ])


# --------------------------------------------------------------------------- 10
def nb10() -> None:
    notebook("10_subscriber_query_data", "subscriber", """\
# 10 · Data subscriber: query the subscribed data

*Walkthrough step 10, consumption.* Once the grants are complete, the subscriber confirms the assets
under **Subscribed Assets** and queries them from the consumer account: `mkt_sls_table` with Amazon
Athena in `glue_subscribe_environment_sub_db`, and `rs_sls_tbl` with Amazon Redshift
(`SELECT * FROM "dev"."datazone_env_redshift_subscribe_environment"."rs_sls_tbl"`).""", [
        ("""\
## Wait for the grants

After approval DataZone creates a subscription grant per (listing, environment) and fulfils it
asynchronously; the notebook waits until each grant is `COMPLETED`.""", """\
from lab_helpers import datazone as dz

dzc = lab.client("datazone")
domain_id = lab.state.require("domain_id")
glue_grant = dz.wait_grant(dzc, domain_id, lab.state.require("glue_subscribe_environment_id"),
                           lab.state.require("glue_listing_id"), "mkt_sls_table")
rs_grant = dz.wait_grant(dzc, domain_id, lab.state.require("redshift_subscribe_environment_id"),
                         lab.state.require("redshift_listing_id"), "rs_sls_tbl")
table([dz.grant_row(glue_grant, "mkt_sls_table"), dz.grant_row(rs_grant, "rs_sls_tbl")])"""),
        ("""\
## Query `mkt_sls_table` with Athena

In the subscribe environment's database the table appears as a resource link to the producer's
table; Lake Formation lets the environment's user role read it. As "Open Athena" in the data portal does,
the notebook takes that role's temporary credentials (`get_environment_credentials`) and queries in the
environment's Athena workgroup; awswrangler returns a DataFrame.""", """\
from lab_helpers import queries as q

glue_env = dzc.get_environment(domainIdentifier=domain_id, identifier=lab.state.require("glue_subscribe_environment_id"))
sub_db = dz.glue_database(glue_env, "Consumer")
env_session = dz.environment_session(dzc, domain_id, glue_env["id"], lab.config.region)
athena_sales = q.athena_frame(env_session, f"SELECT * FROM {sub_db}.mkt_sls_table", sub_db,
                              workgroup=dz.athena_workgroup(glue_env))
note(f"Athena: {len(athena_sales)} rows of {sub_db}.mkt_sls_table", "ok")
athena_sales.head()"""),
        ("""\
## Query `rs_sls_tbl` with the Redshift Data API

The Redshift grant is a datashare from the producer cluster to the consumer cluster, surfaced in the
subscribe environment's schema. The walkthrough's query runs through the Data API with the consumer's
secret.""", """\
redshift_sales = q.redshift_frame(lab.session,
                                  'SELECT * FROM "dev"."datazone_env_redshift_subscribe_environment"."rs_sls_tbl"',
                                  lab.state.require("consumer_cluster_id"), lab.state.require("redshift_database"),
                                  lab.state.require("consumer_secret_arn"))
note(f"Redshift: {len(redshift_sales)} rows of rs_sls_tbl", "ok")
redshift_sales.head()"""),
        ("""\
## Same data as the producer published?

Orders, units and revenue per region from each engine, next to the same aggregate computed from the
generated sample (`generate_sales(sample_rows)`).""", """\
from lab_helpers.sample_data import generate_sales

expected = q.sales_summary(generate_sales(sample_rows))
summary = expected.merge(q.sales_summary(athena_sales), on="region", suffixes=("", " (athena)")).merge(
    q.sales_summary(redshift_sales), on="region", suffixes=("", " (redshift)"))
matches = (summary["revenue"].sub(summary["revenue (athena)"]).abs().max() < 0.01
           and summary["revenue"].sub(summary["revenue (redshift)"]).abs().max() < 0.01)
note("both engines return exactly the published sample" if matches else "the totals differ from the sample",
     "ok" if matches else "warn")
summary"""),
        ("""\
## Revenue by region""", """\
import matplotlib.pyplot as plt

ax = q.sales_summary(athena_sales).set_index("region")["revenue"].sort_values().plot.barh(figsize=(7, 3.5))
ax.set_xlabel("revenue"); ax.set_title("mkt_sls_table: revenue by region (read from the consumer account)")
plt.tight_layout(); plt.show()"""),
        ("""\
## Done

The walkthrough is complete. **99_cleanup** removes everything the lab made, in both accounts.""", ""),
    ], sample_rows=True)


# --------------------------------------------------------------------------- 99
def nb99() -> None:
    notebook("99_cleanup", "producer_admin", """\
# 99 · Clean up (all personas)

Deletes everything the lab made, in dependency order and in both accounts: subscriptions and grants,
data sources, listings and assets, environments and profiles, projects, blueprint configurations, the
RAM share, the domain, the IAM roles, and the prerequisites of 00 (Redshift clusters, secrets, S3
buckets). Each persona deletes what it owns. Safe to run twice or after a partial failure: anything
already gone is skipped.""", [
        ("""\
## What the lab made

The inventory lists the lab's resources per account.""", """\
from lab_helpers.inventory import lab_inventory, format_inventory

print(format_inventory(lab_inventory(lab.config)))"""),
        ("""\
## Delete everything

Each row says what was deleted, skipped (already gone) or failed and why.""", """\
from lab_helpers.cleanup import cleanup_lab

report = cleanup_lab(lab.config, {p: lab.session_of(p) for p in ("producer_admin", "publisher", "consumer_admin", "subscriber")})
table(report)"""),
        ("""\
## Nothing of the lab left

The inventory again: it should list nothing.""", """\
left = lab_inventory(lab.config)
print(format_inventory(left))
note("nothing of the lab is left" if not any(left.values()) else "some resources are left: see above",
     "ok" if not any(left.values()) else "warn")"""),
    ])


ALL = [nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08, nb09, nb10, nb99]

if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    for build in ALL:
        if not wanted or build.__name__[2:] in wanted:
            build()
    print(f"wrote {len(ALL) if not wanted else len(wanted)} notebook(s) to {NOTEBOOKS}")
