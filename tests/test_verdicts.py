"""The verdicts a notebook shows: green when the check holds, one short error naming what to look at when not."""

from __future__ import annotations

import pandas as pd
import pytest

from lab_helpers import queries as q
from lab_helpers.errors import ShortTraceback
from lab_helpers.sample_data import generate_sales
from lab_helpers.verdicts import LabCheckFailed, nothing_left, row_count, verdict


def test_a_verdict_that_holds_shows_its_line(capsys):
    verdict(True, "both assets listed", "not listed")
    assert capsys.readouterr().out == "both assets listed\n"  # plain Python: printed


def test_a_verdict_that_does_not_hold_raises_one_short_message(capsys):
    with pytest.raises(LabCheckFailed, match="^the catalog lists 1 of 2 assets: look at 06$") as caught:
        verdict(False, "both assets listed", "the catalog lists 1 of 2 assets: look at 06")
    assert capsys.readouterr().out == ""  # no green line before the failure
    assert isinstance(caught.value, ShortTraceback) and isinstance(caught.value, AssertionError)
    assert caught.value._render_traceback_() == [
        "\x1b[0;31mLabCheckFailed\x1b[0m: the catalog lists 1 of 2 assets: look at 06"]  # IPython shows no traceback


# ------------------------------------------------------------------ 08: refused before approval
def test_a_query_that_runs_before_approval_fails_the_refusal():
    with pytest.raises(LabCheckFailed, match="Athena: the query returned rows although no subscription .* approved"):
        q.check_refused("Athena", None)
    with pytest.raises(LabCheckFailed, match="the consumer reads data it was not granted"):
        q.check_refused("Redshift", None, approved=False)


def test_a_query_that_runs_after_approval_is_a_re_run():
    assert "approved earlier" in q.check_refused("Redshift", None, approved=True)


def test_a_refusal_is_refused_as_expected_approved_or_not():
    for approved in (False, True):
        assert "refused as expected" in q.check_refused(
            "Athena", "TABLE_NOT_FOUND: line 1:15: Table 'x.y' does not exist", approved)
        assert "refused as expected" in q.check_refused(
            "Athena", "Insufficient permissions to execute the query. Insufficient Lake Formation permission(s) on t",
            approved)


@pytest.mark.parametrize("error", ["InvalidRequestException: WorkGroup primary is not found",
                                   "SYNTAX_ERROR: line 1:8: mismatched input", "timed out after 600 s"])
def test_a_failure_that_is_not_a_refusal_fails_the_verdict(error):
    with pytest.raises(LabCheckFailed, match="not because access is refused"):
        q.check_refused("Athena", error)


# ------------------------------------------------------------------ 10: the data read equals the data published
def _as_read(frame: pd.DataFrame, engine: str) -> pd.DataFrame:
    """The sample as an engine returns it: awswrangler's nullable Int64 (Athena), text revenue (some drivers)."""
    out = frame.copy()
    if engine == "athena":
        out["units"] = out["units"].astype("Int64")
    else:
        out["revenue"] = out["revenue"].map(lambda v: f"{v:.2f}")
    return out


def test_the_published_sample_read_back_matches():
    sample = generate_sales(300)
    summary, differences = q.compare_with_sample(sample, {"athena": _as_read(sample, "athena"),
                                                          "redshift": _as_read(sample, "redshift")})
    assert differences == []
    assert list(summary.columns[:4]) == ["region", "orders", "units", "revenue"]
    assert {"orders (athena)", "revenue (redshift)"} <= set(summary.columns)
    assert summary["orders"].sum() == 300


def test_an_extra_row_is_a_difference():
    sample = generate_sales(300)
    extra = pd.concat([sample, sample.iloc[[0]]], ignore_index=True)
    _, differences = q.compare_with_sample(sample, {"athena": sample, "redshift": extra})
    region = sample.iloc[0]["region"]
    assert "redshift returned 301 rows, the sample has 300" in differences
    assert any(d.startswith(f"redshift: {region} has ") and "orders" in d for d in differences)
    assert not any(d.startswith("athena") for d in differences)


def test_a_changed_value_is_a_difference_even_with_the_same_row_count():
    sample = generate_sales(300)
    changed = sample.copy()
    changed.loc[5, "revenue"] = changed.loc[5, "revenue"] + 0.01
    changed.loc[7, "units"] = changed.loc[7, "units"] + 1
    _, differences = q.compare_with_sample(sample, {"athena": changed})
    assert len(differences) == 2 and any("revenue" in d for d in differences) and any("units" in d for d in differences)


def test_a_row_moved_to_another_region_or_a_missing_region_is_a_difference():
    sample = generate_sales(300)
    moved = sample.copy()
    moved.loc[0, "region"] = "Atlantis"
    _, differences = q.compare_with_sample(sample, {"athena": moved})
    assert "athena: region Atlantis is only in athena's rows" in differences
    only = sample[sample["region"] != sample.iloc[0]["region"]]
    _, differences = q.compare_with_sample(sample, {"redshift": only})
    assert f"redshift: region {sample.iloc[0]['region']} is only in the sample" in differences


def test_a_value_that_is_not_a_number_is_a_difference():
    sample = generate_sales(50)
    broken = sample.copy()
    broken["revenue"] = broken["revenue"].astype(object)
    broken.loc[3, "revenue"] = "n/a"
    _, differences = q.compare_with_sample(sample, {"redshift": broken})
    assert any("revenue" in d for d in differences)


# ------------------------------------------------------------------ 99: nothing left
def test_nothing_left_holds_only_for_an_empty_inventory(capsys):
    nothing_left({"producer (1)": [], "consumer (2)": []})
    assert capsys.readouterr().out == "nothing of the lab is left\n"
    left = {"producer (1)": [{"type": "DataZone environment", "name": "Glue_Publish_Environment", "id": "e1"}],
            "consumer (2)": [{"type": "Redshift cluster", "name": "datazone-lab-cluster", "id": "c"}]}
    with pytest.raises(LabCheckFailed, match=r"still lists 2 resource\(s\) of the lab: producer \(1\): DataZone environment "
                                             r"Glue_Publish_Environment; consumer \(2\): Redshift cluster datazone-lab-cluster"):
        nothing_left(left)


def test_row_count_names_the_table_and_the_fix(capsys):
    row_count("db.mkt_sls_table", 1000, 1000, "run again")
    assert capsys.readouterr().out == "db.mkt_sls_table holds the 1000 rows of the sample\n"
    with pytest.raises(LabCheckFailed, match="^db.mkt_sls_table holds 999 rows, the sample 1000: run again$"):
        row_count("db.mkt_sls_table", 999, 1000, "run again")


# ------------------------------------------------------------------ 06: the catalog lists both assets
class _Catalog:
    """A DataZone client whose search index shows the listings one search at a time."""

    def __init__(self, *appearing: str):
        self.appearing, self.searches = list(appearing), 0

    def can_paginate(self, operation: str) -> bool:
        return False

    def search_listings(self, **kwargs):  # type: ignore[no-untyped-def]
        self.searches += 1
        shown = self.appearing[:self.searches]
        return {"items": [{"assetListing": {"listingId": i, "name": i}} for i in shown]}


def test_listed_searches_again_until_every_listing_shows(monkeypatch):
    from lab_helpers import datazone as dz

    monkeypatch.setattr("time.sleep", lambda s: None)
    catalog = _Catalog("l1", "other", "l2")
    assert {i["listingId"] for i in dz.listed(catalog, "dzd_1", {"l1", "l2"})} == {"l1", "l2"}
    assert catalog.searches == 3


def test_listed_returns_what_it_found_when_time_is_up():
    from lab_helpers import datazone as dz

    assert [i["listingId"] for i in dz.listed(_Catalog("l1"), "dzd_1", {"l1", "l2"}, timeout=0)] == ["l1"]
