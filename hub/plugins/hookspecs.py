"""Every hook a vendor plugin can implement, grouped by when the hub calls it.

The hub calls each hook on exactly one plugin at a time (see ``hub.plugins.dispatch``), so one
vendor's failure never reaches another. Implementations may accept fewer arguments than the spec
lists (pluggy passes only the ones named), which is why new arguments can be added without breaking
plugins. Do not give implementation arguments default values: pluggy does not pass them.

``config`` is always the plugin's configuration as loaded by its own ``config_schema``, secrets
decrypted. ``session`` is a ``hub.plugins.http.VendorSession``: a ``requests.Session`` with timeouts,
retries honouring ``Retry-After``, the vendor's rate limit and secret redaction already applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import pluggy

if TYPE_CHECKING:
    from .http import VendorSession
    from .types import ConnectionCheck, CountFailure, DemoSimulator, LicenseCount, SkuMapping, VendorCustomer, VendorInfo

hookspec = pluggy.HookspecMarker("hub")


# -- Description ---------------------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_vendor_info() -> VendorInfo:
    """Describe the vendor: slug, display name, version, configuration schema.

    Called once when the plugin is loaded. ``slug`` must equal the entry-point name.

    :return: a :class:`~hub.plugins.types.VendorInfo`.

    .. versionadded:: 0.1
    """


# -- Connection ----------------------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_test_connection(config: dict, session: VendorSession) -> ConnectionCheck:
    """Check that ``config`` reaches the vendor and the credentials work.

    Called by the App Center's "Test connection" before settings are saved, and first in every sync.

    :param config: the plugin's loaded configuration.
    :param session: the HTTP session to use for every request.
    :return: a :class:`~hub.plugins.types.ConnectionCheck`.
    :raises VendorAuthError: credentials refused.
    :raises VendorUnavailableError: the vendor could not be reached.
    :raises VendorConfigError: the configuration cannot work (name the ``field``).

    .. versionadded:: 0.1
    """


# -- Sync ----------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_list_customers(config: dict, session: VendorSession) -> Iterable[VendorCustomer]:
    """Yield every customer the MSP has at the vendor, reading every page.

    A customer deleted at the vendor is simply not yielded: the hub marks it Detached, but only
    after this iterator finished without raising. Never yield a partial listing silently: raise
    :class:`~hub.plugins.errors.VendorDataError` when paging is cut short.

    :param config: the plugin's loaded configuration.
    :param session: the HTTP session to use for every request.
    :return: an iterable (a generator is best) of :class:`~hub.plugins.types.VendorCustomer`.
    :raises VendorAuthError, VendorUnavailableError, VendorConfigError, VendorDataError:

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def hub_fetch_license_counts(
    config: dict, session: VendorSession, customers: list[VendorCustomer]
) -> Iterable[LicenseCount | CountFailure]:
    """Yield the current license count of every SKU of every customer in ``customers``.

    A SKU a customer no longer uses may be yielded with quantity 0 or left out; the hub treats a
    SKU left out of a customer's answer as 0. When one customer's counts cannot be read, yield a
    :class:`~hub.plugins.types.CountFailure` for it and go on: the hub keeps that customer's last
    counts. Raise only for failures that affect the whole vendor.

    :param config: the plugin's loaded configuration.
    :param session: the HTTP session to use for every request.
    :param customers: the customers just listed by ``hub_list_customers``.
    :return: an iterable of :class:`~hub.plugins.types.LicenseCount` and
        :class:`~hub.plugins.types.CountFailure`.
    :raises VendorAuthError, VendorUnavailableError, VendorConfigError, VendorDataError:

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def hub_listing_is_complete(config: dict) -> bool:
    """Say whether this run's listing holds every customer that still exists at the vendor.

    Called once per sync, after a listing that ended without raising. Return ``False`` when the
    source may leave customers out on purpose (an import of only some customers): the hub then adds
    and updates the customers listed and detaches nobody. Leave the hook out (or return ``True``)
    for an API listing read to its end: customers it leaves out are Detached.

    :param config: the plugin's loaded configuration.
    :return: ``True`` (the listing is whole) or ``False`` (never detach on it).

    .. versionadded:: 0.2
    """


# -- Billing -------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_map_skus(config: dict, skus: list[str]) -> Iterable[SkuMapping]:
    """Suggest a name, unit and billability for each SKU the sync has seen.

    Called after a sync that saw SKUs the hub did not know yet. Return one
    :class:`~hub.plugins.types.SkuMapping` per SKU you recognise; SKUs you leave out stay visible
    to the admin as *unmapped*, never dropped.

    :param config: the plugin's loaded configuration.
    :param skus: SKU keys exactly as yielded in :class:`~hub.plugins.types.LicenseCount`.
    :return: an iterable of :class:`~hub.plugins.types.SkuMapping`.

    .. versionadded:: 0.1
    """


# -- Demo and testing ----------------------------------------------------------------------------


@hookspec(firstresult=True)
def hub_demo_simulator() -> DemoSimulator | None:
    """Return a local simulator of the vendor's API, or ``None`` if the plugin ships none.

    The hub's demo mode serves it on loopback and points the plugin at it, so a new user sees real
    syncs through the real plugin code.

    :return: a :class:`~hub.plugins.types.DemoSimulator` or ``None``.

    .. versionadded:: 0.1
    """
