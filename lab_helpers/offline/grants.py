"""What a completed DataZone subscription grant does to the data plane, offline.

On AWS a Glue grant makes a Lake Formation resource link in the subscriber's ``_sub_db``
and grants the subscriber environment's role SELECT/DESCRIBE on the source table (and
DESCRIBE on the link); a Redshift grant makes a datashare and a view in the subscriber's
schema. The stand-in does the equivalent in its engines and in moto's Lake Formation; the
DataZone backend calls these four hooks.
"""

from __future__ import annotations

from . import athena, datashares, lakeformation, redshift_data


def expose_glue_table(**where: str) -> None:
    """Link the source table into the subscriber's database, then grant its environment role."""
    athena.expose_glue_table(**where)
    lakeformation.grant_subscription(**where)


def hide_glue_table(**where: str) -> None:
    """Revoke the role's Lake Formation permissions, then remove the link."""
    lakeformation.revoke_subscription(**where)
    athena.hide_glue_table(**where)


def expose_redshift_table(**where: str) -> None:
    """The datashare's view in the subscriber's schema, and the datashare itself (``DescribeDataShares``)."""
    redshift_data.expose_redshift_table(**where)
    datashares.share(**where)


def hide_redshift_table(**where: str) -> None:
    """Drop the view and forget the datashare."""
    datashares.unshare(**where)
    redshift_data.hide_redshift_table(**where)


__all__ = ["expose_glue_table", "hide_glue_table", "expose_redshift_table", "hide_redshift_table"]
