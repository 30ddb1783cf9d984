"""Offline Amazon DataZone (stub until the backend lands)."""


def install() -> None:
    """Register the DataZone backend with moto (idempotent)."""
