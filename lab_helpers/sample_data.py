"""The walkthrough's sales and marketing sample, generated deterministically.

The blog's CTAS statements build ``mkt_sls_table`` and ``rs_sls_tbl`` from "sample
sales/marketing data". The kit generates that data itself (seeded, so every run and
every machine gets the same rows) and loads it through the AWS APIs in both backends.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

REGIONS = ["North America", "Europe", "Asia Pacific", "Latin America", "Middle East & Africa"]
CHANNELS = ["Online", "Retail", "Partner", "Direct Sales"]
CAMPAIGNS = ["Spring Launch", "Summer Sale", "Back to School", "Black Friday", "Holiday Season", "None"]
CATEGORIES = ["Electronics", "Home & Garden", "Apparel", "Sports", "Books", "Beauty"]
UNIT_PRICE = {"Electronics": 249.0, "Home & Garden": 79.0, "Apparel": 45.0, "Sports": 60.0, "Books": 18.0, "Beauty": 32.0}

#: Column names and their Glue/Athena types, in table order.
SCHEMA: list[tuple[str, str]] = [
    ("order_id", "bigint"),
    ("order_date", "date"),
    ("region", "string"),
    ("channel", "string"),
    ("campaign", "string"),
    ("product_category", "string"),
    ("units", "int"),
    ("revenue", "double"),
]


def generate_sales(rows: int = 1000, seed: int = 42, start: dt.date = dt.date(2024, 1, 1)) -> pd.DataFrame:
    """``rows`` orders over one year: order id, date, region, channel, campaign, category, units, revenue.

    The same ``rows`` and ``seed`` always give the same frame (revenue rounded to cents).
    """
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    rng = np.random.default_rng(seed)
    category = rng.choice(CATEGORIES, size=rows)
    units = rng.integers(1, 20, size=rows).astype("int32")
    price = np.array([UNIT_PRICE[c] for c in category]) * rng.uniform(0.8, 1.2, size=rows)
    days = rng.integers(0, 366, size=rows)
    frame = pd.DataFrame(
        {
            "order_id": np.arange(100001, 100001 + rows, dtype="int64"),
            "order_date": [start + dt.timedelta(days=int(d)) for d in days],
            "region": rng.choice(REGIONS, size=rows, p=[0.32, 0.27, 0.22, 0.11, 0.08]),
            "channel": rng.choice(CHANNELS, size=rows, p=[0.45, 0.3, 0.15, 0.1]),
            "campaign": rng.choice(CAMPAIGNS, size=rows),
            "product_category": category,
            "units": units,
            "revenue": np.round(units * price, 2),
        }
    )
    for column in ("region", "channel", "campaign", "product_category"):
        frame[column] = frame[column].astype(str)
    return frame


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as CSV with a header row, as the kit uploads raw data to S3."""
    return frame.to_csv(index=False).encode()
