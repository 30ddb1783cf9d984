"""Write notebooks/00_lab_setup.ipynb (run: python tools/build_00.py)."""

from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parent.parent

cells = [
    nbf.v4.new_markdown_cell(
        "# 00 · Lab setup (all personas)\n\n"
        "This lab performs the AWS Big Data Blog walkthrough *Cross-account data collaboration with Amazon DataZone "
        "and AWS analytics tools* as notebooks: a **producer** account hosts the Amazon DataZone domain and the data, "
        "a **consumer** account subscribes to it and queries it with Amazon Athena and Amazon Redshift.\n\n"
        "Four personas take part, each with its own credentials: the producer's **data administrator** and "
        "**data publisher**, and the consumer's **data administrator** and **data subscriber**.\n\n"
        "This notebook checks the settings, shows who each persona is, and gets the walkthrough's prerequisites "
        "ready: an S3 bucket, an encrypted RA3 Redshift cluster and its admin secret in each account. "
        "With the default `offline` backend everything runs against a local stand-in for AWS; nothing reaches AWS."
    ),
    nbf.v4.new_code_cell(
        "# Parameters (papermill overrides these; the form below starts from them). Checked before anything is created;\n"
        "# pass account ids as text: papermill -r producer_account_id 0123…\n"
        "from typing import Optional\n\n"
        "backend: str = \"offline\"  # \"offline\" (local stand-in for AWS, the default) or \"aws\"\n"
        "region: str = \"us-east-1\"  # the Region of the DataZone domain, used in both accounts\n"
        "producer_account_id: str = \"111111111111\"  # 12 digits: the account that owns the domain and the data\n"
        "consumer_account_id: str = \"222222222222\"  # 12 digits: the account that subscribes to the data\n"
        "profiles: dict = {}  # aws backend: persona -> named profile, e.g. {\"publisher\": \"lab-publisher\"}\n"
        "role_arns: dict = {}  # aws backend: persona -> role ARN to assume (instead of a profile)\n"
        "offline_port: Optional[int] = None  # offline backend: stand-in port on 127.0.0.1 (None: $LAB_OFFLINE_PORT or 5055)\n"
        "work_dir: str = \"\"  # folder for the lab's state file (default: .lab in the checkout)\n"
        "create_prerequisites: Optional[bool] = None  # True/False (text only \"true\"/\"false\"); None: create them offline, only check them on AWS",
        metadata={"tags": ["parameters"]},
    ),
    nbf.v4.new_markdown_cell(
        "## Choose the accounts\n\n"
        "Enter the producer and consumer account ids, the Region and the backend. The form checks each id as you "
        "type: an id must have exactly 12 digits, and the two accounts must differ. A headless run uses the "
        "parameters above as they are."
    ),
    nbf.v4.new_code_cell(
        "from lab_helpers.widgets import lab_form\n\n"
        "form = lab_form(backend=backend, region=region, producer_account_id=producer_account_id,\n"
        "                consumer_account_id=consumer_account_id, profiles=profiles, role_arns=role_arns,\n"
        "                offline_port=offline_port, work_dir=work_dir, create_prerequisites=create_prerequisites)\n"
        "form"
    ),
    nbf.v4.new_markdown_cell(
        "## Confirm the settings\n\n"
        "Run this cell after filling the form. It stops with a message naming the field to fix if anything is "
        "wrong, and saves the settings for the other notebooks."
    ),
    nbf.v4.new_code_cell(
        "from lab_helpers.notebook import save_settings\n\n"
        "config = form.config()\n"
        "save_settings(config)\n"
        "print(f\"backend={config.backend}, region={config.region}, producer={config.producer_account_id}, \"\n"
        "      f\"consumer={config.consumer_account_id}\")"
    ),
    nbf.v4.new_markdown_cell(
        "## Who is each persona?\n\n"
        "Each persona gets its own AWS session. `sts.get_caller_identity` tells which account and IAM principal "
        "each one acts as; a persona whose credentials belong to the wrong account stops here."
    ),
    nbf.v4.new_code_cell(
        "from lab_helpers.notebook import persona_identities\n\n"
        "persona_identities(config)"
    ),
    nbf.v4.new_markdown_cell(
        "## Prerequisites in both accounts\n\n"
        "The walkthrough needs, in each account, an Amazon Redshift cluster (RA3 node type, encrypted: DataZone "
        "shares Redshift tables through datashares) with its admin credentials in AWS Secrets Manager, and an S3 "
        "bucket for the raw data and Athena's query results. Offline they are created through the same AWS APIs; "
        "on AWS they are only checked, and anything missing stops the lab here, before anything else is created. At a workshop where the producer and the consumer "
        "use different machines, each checks the account whose administrator credentials it has."
    ),
    nbf.v4.new_code_cell(
        "from lab_helpers.notebook import admin_sessions\n"
        "from lab_helpers.prerequisites import ensure_prerequisites, checks_table\n"
        "from lab_helpers.state import LabState\n\n"
        "checks, ids = ensure_prerequisites(config, admin_sessions(config))  # the accounts whose admin is here\n"
        "LabState(config.work_dir).update(**ids)\n"
        "checks_table(checks)"
    ),
    nbf.v4.new_markdown_cell(
        "## Next\n\n"
        "The producer's data administrator continues with **01_producer_admin_create_domain**."
    ),
]
nb = nbf.v4.new_notebook(cells=cells)
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
nb.metadata["language_info"] = {"name": "python"}
nbf.write(nb, ROOT / "notebooks" / "00_lab_setup.ipynb")
