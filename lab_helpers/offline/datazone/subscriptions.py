"""placeholder"""


class SubscriptionsMixin:
    pass
