"""What a completed DataZone subscription grant does to the data plane, offline.

On AWS a Glue grant makes a Lake Formation resource link in the subscriber's ``_sub_db``
and grants the subscriber environment's role SELECT/DESCRIBE on the source table (and
DESCRIBE on the link); a Redshift grant makes a datashare and a view in the subscriber's
schema. The stand-in does the equivalent in its engines and in moto's Lake Formation; the
DataZone backend calls these four hooks.
"""

from __future__ import annotations

from . import athena, lakeformation
from .redshift_data import expose_redshift_table, hide_redshift_table


def expose_glue_table(**where: str) -> None:
    """Link the source table into the subscriber's database, then grant its environment role."""
    athena.expose_glue_table(**where)
    lakeformation.grant_subscription(**where)


def hide_glue_table(**where: str) -> None:
    """Revoke the role's Lake Formation permissions, then remove the link."""
    lakeformation.revoke_subscription(**where)
    athena.hide_glue_table(**where)


__all__ = ["expose_glue_table", "hide_glue_table", "expose_redshift_table", "hide_redshift_table"]
