"""The persona policy documents: the README's table comes from them, and every statement is needed."""

from __future__ import annotations

from pathlib import Path

from lab_helpers.config import PERSONAS
from lab_helpers.policies import permission_table, persona_policy

ROOT = Path(__file__).resolve().parent.parent


def test_readme_permission_table_is_generated_from_the_policy_documents():
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- permission-table:start -->\n", "\n<!-- permission-table:end -->"
    shown = readme[readme.index(start) + len(start):readme.index(end)]
    assert shown == permission_table(), "README's permission table is stale: python -m lab_helpers policies table"


def test_every_persona_has_a_valid_least_privilege_document():
    for persona in PERSONAS:
        doc = persona_policy(persona)
        assert doc["Version"] == "2012-10-17"
        sids = [s["Sid"] for s in doc["Statement"]]
        assert len(sids) == len(set(sids)), persona
        for statement in doc["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all(a != "*" and not a.endswith(":*") for a in actions), (persona, statement["Sid"])
