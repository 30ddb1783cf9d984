"""placeholder"""


class CatalogMixin:
    pass
