"""Business-name predictions: what DataZone's generative naming suggests for a technical name."""

from __future__ import annotations

import re

ABBREVIATIONS = {
    "mkt": "Market",
    "mktg": "Marketing",
    "sls": "Sales",
    "tbl": "Table",
    "tab": "Table",
    "cust": "Customer",
    "prod": "Product",
    "qty": "Quantity",
    "amt": "Amount",
    "dt": "Date",
    "ts": "Timestamp",
    "id": "ID",
    "num": "Number",
    "nbr": "Number",
    "desc": "Description",
    "addr": "Address",
    "acct": "Account",
    "txn": "Transaction",
    "rev": "Revenue",
    "cnt": "Count",
    "avg": "Average",
    "pct": "Percent",
    "yr": "Year",
    "mo": "Month",
    "org": "Organization",
    "dept": "Department",
    "emp": "Employee",
    "inv": "Inventory",
    "ord": "Order",
    "cat": "Category",
    "reg": "Region",
}
# Storage-system prefixes carry no business meaning: "rs_sls_tbl" is a "Sales Table".
DROPPED = {"rs", "glue", "gl", "tmp", "stg"}


def business_name(technical_name: str) -> str:
    """``mkt_sls_table`` → ``Market Sales Table``; ``rs_sls_tbl`` → ``Sales Table``."""
    words = [w for w in re.split(r"[_\-\s.]+", technical_name.strip()) if w]
    kept = [w for w in words if w.lower() not in DROPPED] or words
    return " ".join(ABBREVIATIONS.get(w.lower(), w.capitalize()) for w in kept)
