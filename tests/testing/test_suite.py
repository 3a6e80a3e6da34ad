"""The one-liner end to end: pytest collects the class, runs every check, reports failures by name,
honours skips, and finds plugins through real entry points of installed distributions."""

from __future__ import annotations

import textwrap

import pytest

from hub.testing import CHECKS, SuiteConfig, conformance_suite

pytest_plugins = ["pytester"]

ALL = len(CHECKS)


pytestmark = pytest.mark.usefixtures("imports_done_once")


def run(pytester, body: str, *args: str):
    pytester.makepyfile(test_conformance=textwrap.dedent(body))
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-rfs", *args)


def test_correct_plugin_passes_every_check(pytester):
    result = run(pytester, """
        from hub.testing import SuiteConfig, conformance_suite
        from tests.testing.dummy_vendor import AcmeVendor

        TestAcmeConformance = conformance_suite("acme", _plugin=AcmeVendor(), config=SuiteConfig(paging_customers=60))
    """)
    result.assert_outcomes(passed=ALL)
    result.stdout.no_fnmatch_line("*FAILED*")


def test_a_broken_plugin_fails_exactly_the_broken_check_and_skips_show_their_reason(pytester):
    result = run(pytester, """
        from hub.testing import SuiteConfig, conformance_suite
        from tests.testing.broken_plugins import DropsRetryAfter

        TestAcmeConformance = conformance_suite("acme", _plugin=DropsRetryAfter(), config=SuiteConfig(
            paging_customers=60, skip={"second_sync_changes_nothing": "the vendor's test tenant changes between calls"}))
    """)
    result.assert_outcomes(passed=ALL - 2, failed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "*retry_after=None, expected 7*",
        "FAILED test_conformance.py::TestAcmeConformance::test_transient_maps_to_VendorUnavailableError*",
        "SKIPPED*second_sync_changes_nothing: the vendor's test tenant changes between calls*",
    ])


def test_skipping_a_check_that_does_not_exist_is_an_error():
    with pytest.raises(ValueError, match="SuiteConfig.skip names no check: no_such_check"):
        conformance_suite("acme", config=SuiteConfig(skip={"no_such_check": "typo"}))


# -- through real entry points -------------------------------------------------------------------


def install_distribution(pytester, name: str, module_source: str, entry_point: str | None = None) -> None:
    """A distribution installed the way pip leaves it (a .dist-info with entry_points.txt), on sys.path."""
    site = pytester.mkdir("site")
    (site / f"hub_{name}.py").write_text(textwrap.dedent(module_source))
    info = site / f"hub_{name}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: hub-{name}\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(f"[hub]\n{name} = {entry_point or f'hub_{name}:plugin'}\n")
    pytester.syspathinsert(site)


KITDEMO = """
    from tests.testing.dummy_vendor import AcmeVendor

    class KitDemo(AcmeVendor):
        slug = "kitdemo"

    plugin = KitDemo()
"""


def test_plugin_found_through_its_entry_point_passes(pytester):
    install_distribution(pytester, "kitdemo", KITDEMO)
    result = run(pytester, """
        from hub.testing import conformance_suite

        TestKitdemoConformance = conformance_suite("kitdemo")
    """, "-k", "entry_point_loads or hooks or vendor_info_valid or test_connection_ok or second_sync")
    result.assert_outcomes(passed=6)


def test_missing_entry_point_fails_entry_point_loads(pytester):
    result = run(pytester, """
        from hub.testing import conformance_suite

        TestNopeConformance = conformance_suite("nope")
    """, "-k", "entry_point_loads")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no entry point named 'nope' in the 'hub' group*"])


def test_entry_point_that_cannot_import_fails_entry_point_loads(pytester):
    install_distribution(pytester, "broken", "import hub_no_such_dependency\n")
    result = run(pytester, """
        from hub.testing import conformance_suite

        TestBrokenConformance = conformance_suite("broken")
    """, "-k", "entry_point_loads or no_unknown_hooks or test_connection_ok")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        "*hub_broken:plugin could not be imported: ModuleNotFoundError*hub_no_such_dependency*",
        "*did not load, so this check cannot run*",
    ])
