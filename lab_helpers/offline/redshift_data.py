"""Add-on stub: replaced by the real implementation."""


def install() -> None:
    """Patch moto for this add-on (idempotent)."""
