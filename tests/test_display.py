"""The lab's one table style, as a person reads it in JupyterLab (HTML) and in a terminal (text)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd

from lab_helpers.display import LabTable, inventory_table, table
from lab_helpers.queries import sales_summary
from lab_helpers.sample_data import generate_sales

ARN = "arn:aws:datazone:us-east-1:111111111111:domain/dzd_5z8n3k2p1q9w7e"
S3 = "s3://datazone-lab-111111111111-us-east-1/datazone/raw/sales/"
DOMAIN = {"name": "Demo_cross_account_domain", "id": "dzd_5z8n3k2p1q9w7e", "status": "AVAILABLE",
          "domainVersion": "V1", "portalUrl": "https://dzd_5z8n3k2p1q9w7e.datazone.us-east-1.on.aws", "arn": ARN}


class Cells(HTMLParser):
    """The table's header and body cells: (tag, style, text pieces between <wbr> break points)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str, list[str]]] = []
        self.open: tuple[str, str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("th", "td"):
            self.open = (tag, dict(attrs).get("style", ""), [""])
        elif tag == "wbr" and self.open:
            self.open[2].append("")

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.open:
            self.cells.append(self.open)
            self.open = None

    def handle_data(self, data):
        if self.open:
            self.open[2][-1] += data


def _cells(frame) -> list[tuple[str, str, list[str]]]:
    parser = Cells()
    parser.feed(frame._repr_html_())
    return parser.cells


def test_html_has_no_index_column_and_names_come_before_ids():
    shown = table([DOMAIN], ["name", "id", "status", "domainVersion", "portalUrl", "arn"])
    headers = ["".join(parts) for tag, _, parts in _cells(shown) if tag == "th"]
    assert headers == ["name", "status", "domainVersion", "portalUrl", "id", "arn"]  # no "" index header
    assert "".join(_cells(shown)[len(headers)][2]) == "Demo_cross_account_domain"  # first cell is the name, not 0


def test_text_is_left_aligned_and_numbers_right():
    shown = sales_summary(generate_sales(50))
    styles = {("".join(p) if tag == "th" else None): s for tag, s, p in _cells(shown)}
    assert "text-align:left" in styles["region"] and "text-align:right" in styles["revenue"]
    assert all("text-align:left" in s for tag, s, p in _cells(table([DOMAIN])) if tag == "td")


def test_arns_and_s3_paths_wrap_after_colons_and_slashes_never_inside_a_word():
    shown = table([{"name": "x", "arn": ARN, "location": S3}])
    cells = {"".join(parts): parts for tag, _, parts in _cells(shown) if tag == "td"}
    assert cells[ARN] == ["arn:", "aws:", "datazone:", "us-east-1:", "111111111111:", "domain/", "dzd_5z8n3k2p1q9w7e"]
    assert cells[S3] == ["s3://datazone-lab-111111111111-us-east-1/", "datazone/", "raw/", "sales/"]
    html = shown._repr_html_()
    assert html.count('white-space:nowrap">us-east-1:') == 1  # a hyphen is no break point


def test_in_a_terminal_the_same_table_is_plain_text_wrapped_at_the_same_points():
    shown = table([{"name": "x", "arn": ARN, "location": S3}])
    text = repr(shown)
    assert "<" not in text and not text.startswith(" ")
    lines = text.splitlines()
    assert lines[0].split() == ["name", "location", "arn"]
    assert max(len(line) for line in lines) < 110
    pieces = re.split(r"\s{2,}", " ".join(lines[2:]))
    assert all(not p.startswith(("-", "_")) for p in pieces)  # nothing broken after a hyphen
    assert S3 in "".join(line[len("x  "):].split()[0] for line in lines[2:4])  # the path is whole when rejoined


def test_helpers_keep_dataframe_behaviour():
    shown = table([DOMAIN, {**DOMAIN, "name": "other"}])
    assert isinstance(shown, pd.DataFrame) and isinstance(shown[shown["name"] == "other"], LabTable)
    assert shown.iloc[1]["name"] == "other" and len(shown) == 2


def test_a_meaningful_index_is_shown_as_a_column():
    shown = sales_summary(generate_sales(50)).set_index("region")
    headers = ["".join(p) for tag, _, p in _cells(shown) if tag == "th"]
    assert headers[0] == "region"


def test_the_inventory_is_one_table_with_names_before_ids():
    items = {"producer (111111111111)": [{"type": "IAM role", "name": "AmazonDataZoneDomainExecution",
                                          "id": "arn:aws:iam::111111111111:role/service-role/AmazonDataZoneDomainExecution",
                                          "status": ""}],
             "consumer (222222222222)": []}
    shown = inventory_table(items)
    headers = ["".join(p) for tag, _, p in _cells(shown) if tag == "th"]
    assert headers == ["account", "type", "name", "status", "id"]
    arn_cell = [p for tag, _, p in _cells(shown) if tag == "td" and "".join(p).startswith("arn:")][0]
    assert arn_cell[-2:] == ["service-role/", "AmazonDataZoneDomainExecution"]
    assert "nothing of the lab" in repr(inventory_table({"consumer (222222222222)": []}))


def test_long_names_and_urls_wrap_at_word_ends_not_inside_a_region():
    role = "AmazonDataZoneGlueAccess-us-east-1-dzd_5z8n3k2p1q9w7e"
    url = "https://dzd_5z8n3k2p1q9w7e.datazone.us-east-1.on.aws"
    cells = {"".join(p): p for tag, _, p in _cells(table([{"role": role, "portalUrl": url}])) if tag == "td"}
    assert cells[role] == ["AmazonDataZoneGlueAccess-", "us-east-1-dzd_5z8n3k2p1q9w7e"]
    assert cells[url] == ["https://dzd_5z8n3k2p1q9w7e.", "datazone.", "us-east-1.", "on.", "aws"]


def test_a_long_frame_shows_its_first_rows_and_says_how_many_there_are():
    shown = LabTable(generate_sales(1000))
    assert "first 60 of 1000 rows" in repr(shown) and "first 60 of 1000 rows" in shown._repr_html_()
    assert shown._repr_html_().count("<tr>") == 61
