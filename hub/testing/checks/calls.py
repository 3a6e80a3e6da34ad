"""Calling one hook of the plugin under test the way the sync engine does, and describing what came back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from hub.plugins import CountFailure, LicenseCount, VendorCustomer
from hub.testing.harness import PluginHarness, ServedApp, fail

HOOKS = ("hub_test_connection", "hub_list_customers", "hub_fetch_license_counts")


@dataclass
class Outcome:
    """A hook call fully consumed: either ``value`` (a list for iterables) or ``error``.

    ``sent`` is how many requests went through the session the hook was given; ``redact`` hides the
    configuration's secrets in ``describe()`` (a kit message must not print a credential either).
    """

    value: Any = None
    error: BaseException | None = None
    sent: int = 0
    redact: Callable[[object], str] = str

    def describe(self) -> str:
        if self.error is not None:
            return self.redact(f"raised {type(self.error).__name__}: {self.error}")
        if isinstance(self.value, list):
            return f"returned {len(self.value)} item(s) without raising"
        return self.redact(f"returned {self.value!r}")


def outcome(fn: Callable[[], Any]) -> Outcome:
    try:
        value = fn()
        if value is not None and not isinstance(value, (str, bytes, dict)) and hasattr(value, "__iter__") \
                and not hasattr(value, "ok"):
            value = list(value)  # a generator fails only while it is consumed
        return Outcome(value=value)
    except Exception as err:  # anything the plugin raises is the result we inspect
        return Outcome(error=err)


def call(h: PluginHarness, hook: str, config: dict, customers: list | None = None, **session_options: Any) -> Outcome:
    """Call ``hook`` with a fresh session, as the engine would."""
    handle = h.handle
    calls = {
        "hub_test_connection": lambda session: handle.test_connection(config, session),
        "hub_list_customers": lambda session: handle.list_customers(config, session),
        "hub_fetch_license_counts": lambda session: handle.fetch_license_counts(config, session,
                                                                                list(customers or [])),
    }
    if hook not in calls:
        raise ValueError(hook)
    with h.session(config, **session_options) as session:
        result = outcome(lambda: calls[hook](session))
        result.sent, result.redact = session.request_count, session.redact
    return result


def healthy_listing(h: PluginHarness, served: ServedApp | None = None, config: dict | None = None) -> list:
    """The listing of a simulator with no fault set; fails the check if the plugin cannot list it."""
    config = config if config is not None else h.loaded_config(served)
    result = call(h, "hub_list_customers", config)
    if result.error is not None:
        fail(f"hub_list_customers failed against a healthy simulator: {result.describe()}")
    wrong = [type(c).__name__ for c in result.value if not isinstance(c, VendorCustomer)]
    if wrong:
        fail(f"hub_list_customers yielded {', '.join(sorted(set(wrong)))}, not hub.plugins.VendorCustomer")
    if not result.value:
        fail("hub_list_customers listed no customers from a simulator seeded with some")
    return result.value


def healthy_counts(h: PluginHarness, config: dict, customers: list) -> list:
    result = call(h, "hub_fetch_license_counts", config, customers)
    if result.error is not None:
        fail(f"hub_fetch_license_counts failed against a healthy simulator: {result.describe()}")
    wrong = [type(c).__name__ for c in result.value if not isinstance(c, (LicenseCount, CountFailure))]
    if wrong:
        fail(f"hub_fetch_license_counts yielded {', '.join(sorted(set(wrong)))}; yield LicenseCount or CountFailure")
    return result.value


def secret_values(h: PluginHarness, config: dict) -> list[str]:
    return [v for v in h.handle.secret_values(config) if len(v) >= 3]
