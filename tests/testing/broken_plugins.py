"""Deliberately broken Acme plugins, each breaking one rule of the plugin contract.

``BROKEN`` lists ``(plugin class, the check that must fail, a fragment of its message)``. Each class
changes only what its docstring says; everything else is the correct ``AcmeVendor``.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from decimal import Decimal

from marshmallow import Schema, fields

from hub.plugins import (
    CountFailure,
    DemoSimulator,
    DocumentedLimits,
    LicenseCount,
    SkuMapping,
    VendorAuthError,
    VendorDataError,
    VendorError,
    VendorInfo,
    VendorUnavailableError,
    hookimpl,
    json_or_data_error,
    raise_for_vendor_status,
)
from tests.testing.dummy_vendor import AcmeConfig, AcmeSimulator, AcmeVendor

log = logging.getLogger("hub_acme_broken")


class DuplicateIds(AcmeVendor):
    """Lists the first customer of every page twice."""

    @hookimpl
    def hub_list_customers(self, config, session):
        seen_first = set()
        for customer in super().hub_list_customers(config, session):
            yield customer
            if customer.external_id.endswith(("1", "6")) and customer.external_id not in seen_first:
                seen_first.add(customer.external_id)
                yield customer


class UnstableIds(AcmeVendor):
    """Makes up a new id on every listing (a position or uuid instead of the vendor's id)."""

    def customer(self, item):
        c = super().customer(item)
        return type(c)(external_id=f"{c.external_id}-{uuid.uuid4().hex[:6]}", name=c.name, status=c.status)


class FirstPageOnly(AcmeVendor):
    """Reads the first page and stops: a silently partial listing."""

    @hookimpl
    def hub_list_customers(self, config, session):
        for item in self.get(config, session, "/api/customers", page=1)["items"]:
            yield self.customer(item)


class IgnoresTheTotal(AcmeVendor):
    """Reads every page but never compares what it listed with the total the vendor reports."""

    @hookimpl
    def hub_list_customers(self, config, session):
        page = 1
        while page:
            body = self.get(config, session, "/api/customers", page=page)
            for item in body["items"]:
                yield self.customer(item)
            page = body.get("next_page")


class BypassesTheSession(AcmeVendor):
    """Sends its requests with ``requests.get`` instead of the session it is given."""

    def get(self, config, session, path, **params):
        import requests

        response = requests.get(config["base_url"].rstrip("/") + path, params=params,
                                headers={"X-Api-Key": config["api_key"]})
        raise_for_vendor_status(response, session)
        return json_or_data_error(response, session)


class BypassesTheSessionWithItsOwnTimeout(AcmeVendor):
    """Sends its requests with ``requests.get`` and a short timeout of its own, so a slow vendor escapes
    as a raw ``requests`` timeout: nothing was caught, the session was never used."""

    def get(self, config, session, path, **params):
        import requests

        response = requests.get(config["base_url"].rstrip("/") + path, params=params,
                                headers={"X-Api-Key": config["api_key"]}, timeout=0.1)
        raise_for_vendor_status(response, session)
        return json_or_data_error(response, session)


class KeyInAuthMessage(AcmeVendor):
    """Reports refused credentials as bad data, naming the key in clear."""

    def get(self, config, session, path, **params):
        try:
            return super().get(config, session, path, **params)
        except VendorAuthError:
            raise VendorDataError(f"Acme did not take key {config['api_key']}") from None


class SwallowsPageError(AcmeVendor):
    """Returns what it has when a later page fails."""

    @hookimpl
    def hub_list_customers(self, config, session):
        try:
            yield from super().hub_list_customers(config, session)
        except VendorError as err:
            log.warning("listing stopped early: %s", err)


class AuthAsDataError(AcmeVendor):
    """Reports refused credentials as a data error."""

    def get(self, config, session, path, **params):
        try:
            return super().get(config, session, path, **params)
        except VendorAuthError as err:
            raise VendorDataError(f"unexpected answer: {err}") from None


class CountFailurePerCustomer(AcmeVendor):
    """Turns a vendor-wide failure of the usage call into a CountFailure for every customer."""

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        try:
            yield from list(super().hub_fetch_license_counts(config, session, customers))
        except VendorError as err:
            for c in customers:
                yield CountFailure(c.external_id, str(err))


class DropsRetryAfter(AcmeVendor):
    """Raises its own VendorUnavailableError and forgets the vendor's Retry-After."""

    def get(self, config, session, path, **params):
        try:
            return super().get(config, session, path, **params)
        except VendorUnavailableError as err:
            raise VendorUnavailableError(f"Acme is busy ({err.status})", status=err.status) from None


class TimeoutAsDataError(AcmeVendor):
    """Catches every unavailability of the listing and calls it bad data."""

    @hookimpl
    def hub_list_customers(self, config, session):
        try:
            yield from super().hub_list_customers(config, session)
        except VendorUnavailableError as err:
            raise VendorDataError(f"listing failed: {err}") from None


class RawJson(AcmeVendor):
    """Decodes JSON itself, so a malformed body escapes as a bare ValueError (a plugin bug)."""

    def get(self, config, session, path, **params):
        from hub.plugins import raise_for_vendor_status

        response = session.get(config["base_url"] + path, params=params, headers={"X-Api-Key": config["api_key"]})
        raise_for_vendor_status(response, session)
        return response.json()


class LogsConfig(AcmeVendor):
    """Logs its whole configuration at DEBUG, API key included."""

    @hookimpl
    def hub_test_connection(self, config, session):
        log.debug("testing connection with %s", config)
        return super().hub_test_connection(config, session)


class SecretInError(AcmeVendor):
    """Names the refused API key in its error message."""

    def get(self, config, session, path, **params):
        try:
            return super().get(config, session, path, **params)
        except VendorAuthError:
            raise VendorAuthError(f"Acme refused key {config['api_key']}") from None


class LogsBasicAuthHeader(AcmeVendor):
    """Logs the Authorization header it builds, which carries the key in base64."""

    def get(self, config, session, path, **params):
        import base64

        header = "Basic " + base64.b64encode(f"{config['api_key']}:".encode()).decode()
        log.info("calling %s with Authorization: %s", path, header)
        return super().get(config, session, path, **params)


class CountsForStranger(AcmeVendor):
    """Adds counts for a customer that was never listed."""

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        yield from super().hub_fetch_license_counts(config, session, customers)
        yield LicenseCount("c-ghost", "seats", Decimal(3))


class CountsEveryone(AcmeVendor):
    """Ignores ``customers`` and counts every customer the vendor has."""

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        everyone = list(self.hub_list_customers(config, session))
        yield from super().hub_fetch_license_counts(config, session, everyone)


class NegativeCounts(AcmeVendor):
    """Reports a refund as a negative seat count."""

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        yield from super().hub_fetch_license_counts(config, session, customers)
        yield LicenseCount(customers[0].external_id, "refund", Decimal(-2))


class ForgetsASku(AcmeVendor):
    """Describes only the SKUs it bills, leaving the flag SKU unaccounted for."""

    @hookimpl
    def hub_map_skus(self, config, skus):
        return [m for m in super().hub_map_skus(config, skus) if m.billable]


class MapsUnaskedSkus(AcmeVendor):
    """Returns its whole catalogue instead of the SKUs asked about."""

    @hookimpl
    def hub_map_skus(self, config, skus):
        return [SkuMapping(sku=s, name=s.title()) for s in ("seats", "storage_gb", "mfa", "archive")]


class WrongSlug(AcmeVendor):
    """Describes itself under another slug than its entry-point name."""

    @hookimpl
    def hub_vendor_info(self):
        info = super().hub_vendor_info()
        return VendorInfo(**{**info.__dict__, "slug": "acme_backup"})


class NoVersion(AcmeVendor):
    """Ships no version."""

    @hookimpl
    def hub_vendor_info(self):
        return VendorInfo(**{**super().hub_vendor_info().__dict__, "version": ""})


class PlainKeyConfig(Schema):
    base_url = fields.Url(required=True, require_tld=False)
    api_key = fields.String(required=True)


class UnflaggedSecret(AcmeVendor):
    """Forgets to flag the API key as secret."""

    @hookimpl
    def hub_vendor_info(self):
        return VendorInfo(**{**super().hub_vendor_info().__dict__, "config_schema": PlainKeyConfig})


class LoadOnlyKeyConfig(AcmeConfig):
    api_key = fields.String(required=True, load_only=True, metadata={"secret": True})


class LoadOnlySecret(AcmeVendor):
    """Makes the key load_only, so the hub's saved settings lose it."""

    @hookimpl
    def hub_vendor_info(self):
        return VendorInfo(**{**super().hub_vendor_info().__dict__, "config_schema": LoadOnlyKeyConfig})


class UnknownHook(AcmeVendor):
    """Implements a misspelt hook."""

    @hookimpl
    def hub_list_customer(self, config, session):
        return []


class ExtraArgument(AcmeVendor):
    """Asks for an argument the hub never passes."""

    @hookimpl
    def hub_map_skus(self, config, skus, catalogue):
        return super().hub_map_skus(config, skus)


class DefaultArgument(AcmeVendor):
    """Gives a hook argument a default value, which pluggy never passes."""

    @hookimpl
    def hub_map_skus(self, config, skus=()):
        return super().hub_map_skus(config, skus)


class ForgotDecorator(AcmeVendor):
    """Defines hub_map_skus without @hookimpl."""

    def hub_map_skus(self, config, skus):  # the missing decorator is the point
        return []


class MissingCounts:
    """Has every hook but hub_fetch_license_counts."""

    _inner = AcmeVendor()
    hub_vendor_info = _inner.hub_vendor_info
    hub_test_connection = _inner.hub_test_connection
    hub_list_customers = _inner.hub_list_customers
    hub_map_skus = _inner.hub_map_skus
    hub_demo_simulator = _inner.hub_demo_simulator


class PacesOverTheDocumentedLimit(AcmeVendor):
    """Keeps to 50 requests/s where the vendor documents 20."""

    @hookimpl
    def hub_vendor_info(self):
        return dataclasses.replace(super().hub_vendor_info(), requests_per_second=50,
                                   documented_limits=DocumentedLimits(requests_per_second=20, source="Acme docs"))


class UnguardedParsing(AcmeVendor):
    """Reads usage rows with plain indexing and Decimal(), trusting every field to be there and right."""

    def count(self, row, asked):
        return LicenseCount(row["customer"], row["sku"], Decimal(str(row["quantity"])))


class InfoRaises(AcmeVendor):
    """Crashes while describing itself."""

    @hookimpl
    def hub_vendor_info(self):
        raise RuntimeError("config file missing")


class TimestampInExtra(AcmeVendor):
    """Puts the time of the listing into every customer's extra facts."""

    def customer(self, item):
        import time

        c = super().customer(item)
        return type(c)(external_id=c.external_id, name=c.name, status=c.status, extra={"seen": time.time_ns()})


class EmptyListingOnError(AcmeVendor):
    """Lists nobody when the vendor fails, as if every customer had left."""

    @hookimpl
    def hub_list_customers(self, config, session):
        try:
            return list(super().hub_list_customers(config, session))
        except VendorError:
            return []


class RefusesHealthyVendor(AcmeVendor):
    """Answers ok=False to a healthy vendor."""

    @hookimpl
    def hub_test_connection(self, config, session):
        return type(super().hub_test_connection(config, session))(ok=False, message="not sure")


class CountUnderAnotherName(AcmeSimulator):
    """Says how many customers it lists as ``customer_count()``: only ``listed_customer_count()`` counts."""

    def __getattribute__(self, name: str):
        if name == "listed_customer_count":
            raise AttributeError(name)
        return super().__getattribute__(name)

    def customer_count(self) -> int:
        return len(self.customers)


class SimulatorMisnamesItsCount(AcmeVendor):
    """Its simulator names its customer count the old way (``customer_count()``)."""

    @hookimpl
    def hub_demo_simulator(self):
        return DemoSimulator(make_app=CountUnderAnotherName,
                             config_for=AcmeVendor.hub_demo_simulator(self).config_for)


class CountsFromTheListing(AcmeVendor):
    """Correct, not broken: reads every customer's usage while listing, so counting makes no call
    (as a vendor whose listing carries the counts). A failure that starts once counting began never
    reaches it, and its run may rightly succeed."""

    def __init__(self) -> None:
        self.usage: dict[str, list] = {}

    @hookimpl
    def hub_list_customers(self, config, session):
        customers = list(super().hub_list_customers(config, session))
        self.usage = {}
        for row in AcmeVendor.hub_fetch_license_counts(self, config, session, customers):
            self.usage.setdefault(row.customer_external_id, []).append(row)
        return customers

    @hookimpl
    def hub_fetch_license_counts(self, config, session, customers):
        return [row for c in customers for row in self.usage.get(c.external_id, [])]


#: correct plugins written differently from AcmeVendor: every check must pass
CORRECT_VARIANTS = [CountsFromTheListing]

BROKEN = [
    (DuplicateIds, "customers_unique_stable_ids", "listed more than once"),
    (UnstableIds, "customers_unique_stable_ids", "ids changed between two listings"),
    (FirstPageOnly, "customers_paginate_all_pages", "pages are missed"),
    (SimulatorMisnamesItsCount, "customers_paginate_all_pages", "listed_customer_count() method"),
    (FirstPageOnly, "listing_cut_short_is_an_error", "without raising"),
    (SwallowsPageError, "listing_cut_short_is_an_error", "without raising"),
    (FirstPageOnly, "listing_cut_short_is_an_error", "of the 60 customers the simulator holds"),
    (IgnoresTheTotal, "listing_short_of_its_total_is_an_error", "returned 59 of the 60 customers"),
    (BypassesTheSession, "requests_go_through_the_session", "request(s), only 0 of them through the session"),
    (BypassesTheSession, "transient_maps_to_VendorUnavailableError", "send every request through the session"),
    (BypassesTheSessionWithItsOwnTimeout, "transient_maps_to_VendorUnavailableError",
     "went around the session the hook was given"),
    (KeyInAuthMessage, "auth_error_maps_to_VendorAuthError", "raised VendorDataError: Acme did not take key ***"),
    (AuthAsDataError, "auth_error_maps_to_VendorAuthError", "raised VendorDataError"),
    (CountFailurePerCustomer, "auth_error_maps_to_VendorAuthError", "don't yield a CountFailure per customer"),
    (CountFailurePerCustomer, "transient_maps_to_VendorUnavailableError", "hub_fetch_license_counts returned"),
    (CountFailurePerCustomer, "failed_sync_changes_nothing", "the run ended succeeded; expected failed"),
    (DropsRetryAfter, "transient_maps_to_VendorUnavailableError", "retry_after=None, expected 7"),
    (TimeoutAsDataError, "transient_maps_to_VendorUnavailableError", "timeout: hub_list_customers raised"),
    (RawJson, "malformed_maps_to_VendorDataError", "raised JSONDecodeError"),
    (LogsConfig, "no_secret_in_logs_or_errors", "log record hub_acme_broken"),
    (SecretInError, "no_secret_in_logs_or_errors", "error from hub_test_connection"),
    (SecretInError, "no_secret_in_logs_or_errors", "error from hub_fetch_license_counts (credentials refused)"),
    (LogsBasicAuthHeader, "no_secret_in_logs_or_errors", "Authorization: Basic <SECRET>"),
    (CountsForStranger, "counts_reference_listed_customers", "not listed, e.g. ['c-ghost']"),
    (CountsEveryone, "counts_reference_listed_customers", "got counts for 6 others"),
    (NegativeCounts, "counts_nonnegative", "negative"),
    (ForgetsASku, "every_sku_mapped_or_explicitly_unmapped", "does not describe: ['mfa']"),
    (MapsUnaskedSkus, "every_sku_mapped_or_explicitly_unmapped", "nobody asked about: ['archive']"),
    (WrongSlug, "vendor_info_valid", "slug 'acme_backup' differs from the entry-point name 'acme'"),
    (WrongSlug, "entry_point_loads", "does not match the entry-point name"),
    (NoVersion, "vendor_info_valid", "is not a version number"),
    (UnflaggedSecret, "vendor_info_valid", "api_key look like credentials but are not flagged"),
    (LoadOnlySecret, "vendor_info_valid", "load_only"),
    (UnknownHook, "no_unknown_hooks", "hub_list_customer is not a hub hook (did you mean hub_list_customers?)"),
    (UnknownHook, "entry_point_loads", "unknown hooks: hub_list_customer"),
    (ExtraArgument, "no_unknown_hooks", "takes catalogue, which the spec does not pass"),
    (DefaultArgument, "no_unknown_hooks", "gives skus a default value"),
    (ForgotDecorator, "no_unknown_hooks", "hub_map_skus is defined but not marked @hookimpl"),
    (MissingCounts, "required_hooks_implemented", "not implemented: hub_fetch_license_counts"),
    (PacesOverTheDocumentedLimit, "vendor_info_valid", "requests_per_second is 50 but the vendor documents 20"),
    (UnguardedParsing, "spoiled_answers_never_crash_or_lie", "raised KeyError"),
    (UnguardedParsing, "spoiled_answers_never_crash_or_lie", "raised InvalidOperation"),
    (InfoRaises, "vendor_info_valid", "hub_vendor_info raised RuntimeError: config file missing"),
    (InfoRaises, "entry_point_loads", "hub_vendor_info failed"),
    (TimestampInExtra, "second_sync_changes_nothing", "table vendor_customers"),
    (EmptyListingOnError, "failed_sync_changes_nothing", "expected failed"),
    (RefusesHealthyVendor, "test_connection_ok", "ok=False against a healthy simulator"),
]
