"""Athena on the stand-in: SQL really runs (DuckDB over the tables' S3 objects).

:func:`install` patches moto's Athena (see :mod:`.moto_patch`); :func:`expose_glue_table`
and :func:`hide_glue_table` make and remove the resource links a subscription grant implies.
"""

from __future__ import annotations

from .catalog import expose_glue_table, hide_glue_table
from .moto_patch import install

__all__ = ["install", "expose_glue_table", "hide_glue_table"]
