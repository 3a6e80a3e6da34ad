"""The error delivery services raise for bad input. A ``BillingError`` (same ``field`` contract), so the
panel's form plumbing shows it next to the field it names; nothing was changed when it is raised."""

from __future__ import annotations

from hub.billing.errors import BillingError
from hub.billing.validate import FieldErrors


class DeliveryError(BillingError):
    """A delivery request that cannot be done; ``field`` names the input at fault."""


class DeliveryFieldErrors(FieldErrors, DeliveryError):
    """Several delivery fields wrong at once (``errors``: field -> message), each shown beside its field."""
