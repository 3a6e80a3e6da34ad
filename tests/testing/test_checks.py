"""Each named check passes on a correct plugin and fails, with its own message, on a broken one."""

from __future__ import annotations

import pytest

from hub.testing import CHECKS, ConformanceFailure, PluginHarness, SuiteConfig
from tests.testing.broken_plugins import BROKEN, CORRECT_VARIANTS
from tests.testing.dummy_vendor import AcmeVendor

#: Acme's pages hold 25 customers: 60 make three pages, enough for the paging checks and faster than 150
FAST = SuiteConfig(paging_customers=60)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    with PluginHarness("acme", FAST, plugin=AcmeVendor(), workdir=tmp_path_factory.mktemp("good")) as harness:
        yield harness


@pytest.mark.parametrize("name", list(CHECKS))
def test_correct_plugin_passes(good, name):
    CHECKS[name](good)


def test_every_check_is_proven_to_fail():
    """No check is left without a broken plugin that makes it fail."""
    assert set(CHECKS) - {check for _, check, _ in BROKEN} == {"entry_point_loads"} - {
        check for _, check, _ in BROKEN}


@pytest.mark.parametrize(("plugin", "check", "message"), BROKEN,
                         ids=[f"{p.__name__}-{c}" for p, c, _ in BROKEN])
def test_broken_plugin_fails_its_check(plugin, check, message, tmp_path):
    with PluginHarness("acme", FAST, plugin=plugin(), workdir=tmp_path) as harness:
        with pytest.raises(ConformanceFailure) as failure:
            CHECKS[check](harness)
    assert message in str(failure.value), str(failure.value)


@pytest.mark.parametrize("plugin", CORRECT_VARIANTS, ids=lambda p: p.__name__)
def test_correct_variants_pass_the_sync_checks(plugin, tmp_path):
    with PluginHarness("acme", FAST, plugin=plugin(), workdir=tmp_path) as harness:
        for name in ("counts_reference_listed_customers", "second_sync_changes_nothing", "failed_sync_changes_nothing"):
            CHECKS[name](harness)


def test_a_removed_field_may_lower_a_summed_counter_but_never_raise_it():
    # Bitdefender sums a counter over its per-product entries: removing it from one entry reads like the
    # vendor not reporting it there (lower, not a lie); any other spoiling that changes it is a lie
    from decimal import Decimal

    from hub.plugins import LicenseCount, VendorCustomer
    from hub.testing.checks.fuzz import _lies

    customer = VendorCustomer(external_id="c1", name="Contoso")
    baseline = ([customer], [LicenseCount("c1", "edr", Decimal(132))])

    def lies(quantity, kind):
        return _lies(baseline, [customer], [LicenseCount("c1", "edr", Decimal(quantity))], kind)

    assert lies(7, "remove") == []
    assert lies(132, "null") == []
    assert lies(7, "null") and lies(140, "remove") and lies(7, "retype")
