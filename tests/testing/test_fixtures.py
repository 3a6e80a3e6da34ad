"""The fixtures of the ``hub`` pytest plugin, used the way a plugin author's tests use them."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.usefixtures("imports_done_once")

CONFTEST = """
    import pytest
    from tests.testing.dummy_vendor import AcmeVendor

    @pytest.fixture
    def hub_plugin():
        return "acme"

    @pytest.fixture
    def hub_plugin_object():
        return AcmeVendor()
"""

TESTS = """
    from hub.plugins import VendorAuthError, VendorCustomer
    import pytest

    def test_handle_and_simulator(vendor_handle, simulator, vendor_config, vendor_session):
        assert vendor_handle.slug == "acme"
        assert vendor_config["base_url"] == simulator.base_url
        customers = list(vendor_handle.list_customers(vendor_config, vendor_session))
        assert len(customers) == simulator.app.listed_customer_count() == 12
        assert all(isinstance(c, VendorCustomer) for c in customers)

    def test_faults_reach_the_plugin(vendor_handle, simulator, vendor_config, vendor_session):
        simulator.faults.auth = True
        with pytest.raises(VendorAuthError):
            list(vendor_handle.list_customers(vendor_config, vendor_session))

    def test_faults_do_not_leak_into_the_next_test(vendor_handle, simulator, vendor_config, vendor_session):
        assert simulator.faults.auth is False

    def test_full_hub_sync(hub_sync, hub_app):
        first, second = hub_sync(), hub_sync()
        assert (first.status, first.customers_added) == ("succeeded", 12)
        assert (second.status, second.customers_added, second.counts_changed) == ("succeeded", 0, 0)
        from hub.extensions import db
        from hub.models import VendorCustomer
        with hub_app.app_context():
            assert db.session.scalar(db.select(db.func.count()).select_from(VendorCustomer)) == 12
"""


def test_fixtures_drive_the_plugin(pytester):
    pytester.makeconftest(textwrap.dedent(CONFTEST))
    pytester.makepyfile(test_acme=textwrap.dedent(TESTS))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=4)


def test_unnamed_plugin_is_a_clear_error(pytester):
    pytester.makepyfile(test_acme="def test_x(vendor_handle):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*name the plugin under test: define a `hub_plugin` fixture*"])


def test_plugin_named_in_the_ini_file(pytester):
    pytester.makeini("[pytest]\nhub_plugin = nope\n")
    pytester.makepyfile(test_acme="def test_x(hub_harness):\n    assert hub_harness.name == 'nope'\n"
                                  "    assert hub_harness.record is None\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


def test_the_pytest_plugin_imports_nothing_heavy():
    """pytest loads it in every run of every project with the hub installed: no Flask, no SQLAlchemy."""
    import subprocess
    import sys

    code = ("import sys, hub.testing.pytest_plugin, hub.plugins; "
            "print(sorted(m for m in ('flask', 'sqlalchemy', 'werkzeug', 'hub.models') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
