"""placeholder"""


class EnvironmentsMixin:
    pass
