"""The one error billing services raise for bad input or a forbidden action; ``field`` names the input."""

from __future__ import annotations


class BillingError(ValueError):
    """A billing request that cannot be done. Nothing was changed when it is raised."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
