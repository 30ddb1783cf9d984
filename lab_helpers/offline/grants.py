"""What a completed DataZone subscription grant does to the data plane, offline.

On AWS a Glue grant makes a Lake Formation resource link in the subscriber's ``_sub_db``,
and a Redshift grant makes a datashare and a view in the subscriber's schema. The
stand-in does the equivalent in its engines; the DataZone backend calls these four hooks.
"""

from __future__ import annotations

from .athena import expose_glue_table, hide_glue_table
from .redshift_data import expose_redshift_table, hide_redshift_table

__all__ = ["expose_glue_table", "hide_glue_table", "expose_redshift_table", "hide_redshift_table"]
