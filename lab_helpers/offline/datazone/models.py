"""The DataZone backend: one per account and Region, all sharing the Region's domains.

A domain lives in its owner account, yet associated accounts call it with the same id, so
state sits in a per-Region :class:`~.access.Store`; the account-specific backend only says
who is calling. Operation methods take ``(caller, params)`` and return the output shape.
"""

from __future__ import annotations

from moto.core.base_backend import BackendDict, BaseBackend

from .access import Store
from .catalog import CatalogMixin
from .domains import DomainsMixin
from .environments import EnvironmentsMixin
from .policies import PoliciesMixin
from .projects import ProjectsMixin
from .subscriptions import SubscriptionsMixin

_stores: dict[str, Store] = {}


def store_for(region: str) -> Store:
    return _stores.setdefault(region, Store())


class DataZoneBackend(PoliciesMixin, DomainsMixin, ProjectsMixin, EnvironmentsMixin, CatalogMixin, SubscriptionsMixin, BaseBackend):
    """Amazon DataZone (V1 domains) for one account and Region.

    :class:`PoliciesMixin` comes first: its ``create_domain`` completes DomainsMixin's with the
    root domain unit and its default grant.
    """

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)

    @property
    def store(self) -> Store:  # type: ignore[override]
        return store_for(self.region_name)

    def reset(self) -> None:
        """moto's reset: forget the Region's domains."""
        _stores.pop(self.region_name, None)
        super().reset()


datazone_backends = BackendDict(DataZoneBackend, "datazone")
