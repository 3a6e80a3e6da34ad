"""The one error billing services raise for bad input or a forbidden action; ``field`` names the input."""

from __future__ import annotations


class BillingError(ValueError):
    """A billing request that cannot be done. Nothing was changed when it is raised."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Taken(BillingError):
    """The value is fine but another row already has it (a name or code that must be unique): the API
    answers 409, not 422. Told apart by type, never by the wording of the message."""
