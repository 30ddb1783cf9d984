"""The IAM permissions each persona needs: one policy document per persona, shipped with the kit.

These JSON files are the single source of the README's permission table and of the
offline personas' roles (each carries exactly its document, so the stand-in's IAM
enforcement proves the policy is enough). On AWS, attach the document to the persona's
role or permission set (``python -m lab_helpers policies PERSONA`` prints it).

To try your own (tighter) documents offline, put ``<persona>.json`` files in a folder and
set ``LAB_POLICIES`` to it: offline persona roles then carry those.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from ..config import PERSONA_TITLES, PERSONAS, check_persona

POLICY_NAME = "DataZoneLabPersona"
OVERRIDE_ENV = "LAB_POLICIES"


def _document(persona: str) -> str:
    folder = os.environ.get(OVERRIDE_ENV)
    if folder and (Path(folder) / f"{persona}.json").is_file():
        return (Path(folder) / f"{persona}.json").read_text()
    return resources.files(__name__).joinpath(f"{persona}.json").read_text()


def persona_policy(persona: str) -> dict[str, Any]:
    """The IAM policy document of ``persona`` (producer_admin, publisher, consumer_admin, subscriber)."""
    return json.loads(_document(check_persona(persona)))


def permission_rows() -> list[dict[str, str]]:
    """One row per policy statement: persona, account, statement id, actions, resources."""
    rows = []
    for persona in PERSONAS:
        for statement in persona_policy(persona)["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources_ = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            condition = statement.get("Condition")
            rows.append({"persona": PERSONA_TITLES[persona].lower(), "account": PERSONAS[persona],
                         "statement": statement["Sid"], "actions": ", ".join(f"`{a}`" for a in actions),
                         "resources": ", ".join(f"`{r}`" for r in resources_)
                                      + (f" when `{json.dumps(condition)}`" if condition else "")})
    return rows


def permission_table() -> str:
    """The README's permission table (markdown), generated from the policy documents."""
    lines = ["| persona | account | statement | actions | resources |", "|---|---|---|---|---|"]
    lines += [f"| {r['persona']} | {r['account']} | {r['statement']} | {r['actions']} | {r['resources']} |"
              for r in permission_rows()]
    return "\n".join(lines)
