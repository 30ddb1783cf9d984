"""Add-on stub: replaced by the real implementation."""


def install() -> None:
    """Patch moto for this add-on (idempotent)."""


def expose_glue_table(**kwargs: object) -> None:  # placeholder, replaced by the engine
    raise NotImplementedError


hide_glue_table = expose_redshift_table = hide_redshift_table = expose_glue_table
