"""The persona policy documents: the README's table comes from them, and every statement is needed (clusters or Serverless)."""

from __future__ import annotations

from pathlib import Path

from lab_helpers.config import PERSONAS
from lab_helpers.policies import permission_table, persona_policy

ROOT = Path(__file__).resolve().parent.parent


def test_readme_permission_table_is_generated_from_the_policy_documents():
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- permission-table:start -->\n", "\n<!-- permission-table:end -->"
    shown = readme[readme.index(start) + len(start):readme.index(end)]
    assert shown == permission_table(), "README permission table is stale: run python tools/update_permission_table.py"


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


# ------------------------------------------------ every statement is needed (offline lab runs: clusters, Serverless)

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402

import pytest  # noqa: E402

from lab_helpers.config import OFFLINE_ROLES  # noqa: E402
from lab_helpers.steps import STEPS  # noqa: E402
from lab_helpers.offline.policy import Decision, Principal, Request, evaluate  # noqa: E402

NOTEBOOKS = tuple(STEPS)


def _run(args: list[str], env: dict[str, str]) -> int:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "lab_helpers", "run", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True).returncode


@pytest.fixture(scope="module")
def decisions(tmp_path_factory):
    """The stand-in's decisions on the personas' requests, per notebook, over one whole lab run."""
    from lab_helpers.offline import server
    from lab_helpers.offline.server import free_port

    work, port = tmp_path_factory.mktemp("policy-lab"), free_port()
    log = work / "auth.jsonl"
    env = {**os.environ, "LAB_WORKDIR": str(work / "lab"), "LAB_OFFLINE_PORT": str(port), "LAB_AUTH_LOG": str(log)}
    per_notebook: dict[str, list[dict]] = {}
    try:
        for number in NOTEBOOKS:
            start = log.stat().st_size if log.exists() else 0
            assert _run(["--only", number, "--output", str(work / "runs" / number)], env) == 0, f"notebook {number} failed"
            with log.open() as handle:
                handle.seek(start)
                per_notebook[number] = [json.loads(line) for line in handle]
    finally:
        server.stop(str(work / "lab"), port)
    return per_notebook


@pytest.fixture(scope="module")
def serverless_decisions(tmp_path_factory):
    """The stand-in's decisions over one whole lab run on Redshift Serverless (parameters/offline-serverless.yaml),
    in one ``run`` (one run's cost: the per-notebook split is only for naming the step in a failure)."""
    from lab_helpers.offline import server
    from lab_helpers.offline.server import free_port

    work, port = tmp_path_factory.mktemp("policy-lab-serverless"), free_port()
    log = work / "auth.jsonl"
    env = {**os.environ, "LAB_WORKDIR": str(work / "lab"), "LAB_OFFLINE_PORT": str(port), "LAB_AUTH_LOG": str(log)}
    try:
        assert _run(["-f", str(ROOT / "parameters" / "offline-serverless.yaml"), "--output", str(work / "runs")],
                    env) == 0, "the lab on Serverless failed"
    finally:
        server.stop(str(work / "lab"), port)
    with log.open() as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def both_runs(decisions, serverless_decisions):
    """Every decision of both runs: per notebook on clusters, and the whole Serverless run."""
    return {**{f"{n} (clusters)": e for n, e in decisions.items()}, "00-99 (Serverless)": serverless_decisions}


def _allowed_without(document: dict, sid: str, entry: dict) -> bool:
    reduced = {**document, "Statement": [s for s in document["Statement"] if s["Sid"] != sid]}
    request = Request(entry["action"], entry["resource"], entry["context"],
                      Principal(account=entry["context"].get("aws:principalaccount"), arns=frozenset({entry["principal"]})))
    return evaluate([json.dumps(reduced)], request) is Decision.ALLOW


def _personas(entry: dict) -> bool:
    return any(entry["principal"].endswith(f"/{r}") for r in OFFLINE_ROLES.values())


def test_the_lab_runs_with_exactly_the_documented_permissions(both_runs):
    """No persona's request is refused, on provisioned clusters and on Serverless."""
    refused = [(nb, d["principal"], d["action"], d["refusal"]) for nb, entries in both_runs.items()
               for d in entries if d["refusal"] and _personas(d)]
    assert not refused, refused
    assert any(d["action"].startswith("redshift-serverless:") for d in both_runs["00-99 (Serverless)"])


def test_every_redshift_serverless_action_is_requested_on_serverless(serverless_decisions):
    """The documents grant no Serverless action the lab does not call (finer than a statement: those share one)."""
    granted = {(persona, action) for persona in PERSONAS for s in persona_policy(persona)["Statement"]
               for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
               if action.startswith("redshift-serverless:")}
    called = {(p, d["action"]) for d in serverless_decisions for p in PERSONAS
              if d["principal"].endswith(f"/{OFFLINE_ROLES[p]}") and d["refusal"] is None}
    assert granted and granted <= called, sorted(granted - called)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_removing_any_statement_makes_the_lab_fail_where_it_is_needed(both_runs, persona):
    """Each statement, removed in turn: some request the lab made (on clusters or on Serverless) is then refused."""
    document = persona_policy(persona)
    role = f"/{OFFLINE_ROLES[persona]}"
    unneeded, first_failure = [], {}
    for statement in document["Statement"]:
        for number, entries in both_runs.items():
            hit = next((d for d in entries if d["principal"].endswith(role) and d["refusal"] is None
                        and not _allowed_without(document, statement["Sid"], d)), None)
            if hit:
                first_failure[statement["Sid"]] = (number, hit["action"])
                break
        else:
            unneeded.append(statement["Sid"])
    assert not unneeded, f"{persona}: statements no step of the lab needs: {unneeded}"
    assert len(first_failure) == len(document["Statement"])


def test_a_removed_statement_stops_the_lab_at_its_step_with_access_denied(tmp_path):
    """For real: without the publisher's Redshift secret statement, notebook 05 stops on AccessDenied."""
    from lab_helpers.offline import server
    from lab_helpers.offline.server import free_port

    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "lab_helpers" / "policies", policies, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    doc = persona_policy("publisher")
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "LabRedshiftSecret"]
    (policies / "publisher.json").write_text(json.dumps(doc))
    port = free_port()
    env = {**os.environ, "LAB_WORKDIR": str(tmp_path / "lab"), "LAB_OFFLINE_PORT": str(port), "LAB_POLICIES": str(policies)}
    import subprocess
    import sys

    try:
        result = subprocess.run([sys.executable, "-m", "lab_helpers", "run", "--to", "05", "--output", str(tmp_path / "runs")],
                                cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        server.stop(str(tmp_path / "lab"), port)
    said = result.stdout + result.stderr
    assert result.returncode != 0
    assert "05_publisher_create_projects_and_environments failed" in said
    assert "secretsmanager:" in said and "not authorized" in said
