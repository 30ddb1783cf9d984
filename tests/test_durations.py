"""The table of expected AWS durations: complete, sourced, and the README and ledger generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab_helpers.durations import DURATIONS, human, markdown_table

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- durations-table:start -->\n", "\n<!-- durations-table:end -->"


def _shown(path: Path) -> str:
    return path.read_text().split(START, 1)[1].split(END, 1)[0]


def test_readme_and_ledger_show_the_table_of_the_kit():
    for path in (ROOT / "README.md", ROOT / "docs" / "aws-behaviour" / "durations.md"):
        assert _shown(path) == markdown_table(), f"{path.name} is stale: run python tools/update_durations_table.py"


def test_every_entry_has_a_source_and_says_when_it_is_an_assumption():
    keys = [d.key for d in DURATIONS]
    assert len(keys) == len(set(keys))
    for d in DURATIONS:
        assert d.source.strip(), d.key
        assert d.assumption == d.source.startswith("assumption") or "assumption" in d.source, d.key
    wanted = {"domain_create", "environment_create", "environment_delete", "data_source_create", "data_source_run",
              "listing_publish", "subscription_grant", "subscription_revoke", "ram_association",
              "redshift_cluster_create", "redshift_workgroup_create", "athena_query", "redshift_statement",
              "domain_delete", "data_source_delete", "redshift_cluster_delete"}
    assert wanted <= set(keys)


def test_durations_read_as_people_say_them():
    assert human(312) == "5 min 12 s" and human(40) == "40 s" and human(300) == "5 min" and human(None) == "unknown"


def test_a_rehearsal_pace_scales_the_table():
    from lab_helpers.durations import scaled
    from lab_helpers.offline.pace import parse

    assert scaled("environment_create", parse("aws/10").scale) == 30
    assert scaled("redshift_workgroup_create", 0.1) == pytest.approx(18)


def test_every_notebook_declares_its_waits_from_the_table():
    from lab_helpers.durations import DURATIONS, NOTEBOOK_WAITS, notebook_wait
    from lab_helpers.runner import find_notebooks

    known = {d.key for d in DURATIONS}
    assert set(NOTEBOOK_WAITS) == {p.name[:2] for p in find_notebooks(ROOT / "notebooks")}
    assert {key for stages in NOTEBOOK_WAITS.values() for stage in stages for key in stage} <= known
    assert notebook_wait("06", {"data_source_create": 10, "data_source_run": 90, "listing_publish": 30}.get) == 130
    assert notebook_wait("05", {"environment_create": 300, "athena_query": 3, "redshift_statement": 5}.get) == 305
