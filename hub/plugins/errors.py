"""The errors a vendor plugin raises. Each class is an outcome the hub acts on.

| exception                 | the hub does                               | account state  |
|---------------------------|--------------------------------------------|----------------|
| VendorAuthError           | stops the run, pauses the schedule         | needs_reauth   |
| VendorUnavailableError    | stops the run, retries later (retry_after) | retrying       |
| VendorConfigError         | stops the run, shows the field to fix      | error          |
| VendorDataError           | stops the run, applies nothing             | error          |

No run that ends in one of these changes any customer, mapping or count.
"""

from __future__ import annotations


class VendorError(Exception):
    """Base class of every error a plugin raises on purpose."""

    #: stable key, used in the panel and in `SyncRun.error_kind`
    kind = "vendor_error"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class VendorAuthError(VendorError):
    """The vendor refused the credentials (401/403, bad key, missing API scope)."""

    kind = "auth_failed"


class VendorUnavailableError(VendorError):
    """Timeout, connection error, 5xx or 429 after retries. Temporary.

    ``retry_after`` is the number of seconds the vendor asked us to wait, if it said.
    """

    kind = "unavailable"

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class VendorConfigError(VendorError):
    """The configuration cannot work (unknown tenant, wrong base URL). ``field`` names what to fix."""

    kind = "bad_config"

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.field = field


class VendorDataError(VendorError):
    """The vendor's answer broke the contract: malformed JSON, missing fields, a listing cut short."""

    kind = "bad_data"


def check_listing_total(listed: int, total: object, where: str) -> None:
    """Cross-check a listing against the count the vendor reported for it (a ``total``, a page count
    times the page size): raise VendorDataError when they differ, so a listing cut short at the
    vendor is never taken for a whole one and its missing customers are never detached.

    ``total`` None means the vendor did not say, and nothing is checked. ``where`` names the call.
    """
    if total is None:
        return
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise VendorDataError(f"{where} reported a total of {total!r}, which is not a count")
    if listed != total:
        raise VendorDataError(f"{where} listed {listed} customer(s) but reported a total of {total}: the listing "
                              "is incomplete (or changed while it was read); nothing applied")


class PluginLoadError(Exception):
    """An entry point could not be loaded or registered. Recorded per plugin, shown in the App Center."""
