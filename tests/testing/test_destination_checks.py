"""Each destination check passes on a correct plugin and fails, with its own message, on a broken one;
and the one-line suite collects every check."""

from __future__ import annotations

import pytest

from hub.testing import DESTINATION_CHECKS, ConformanceFailure, DestinationHarness, destination_conformance_suite
from tests.testing.broken_destinations import BROKEN, Books


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    with DestinationHarness("quickbooks", plugin=Books(), workdir=tmp_path_factory.mktemp("good")) as harness:
        yield harness


@pytest.mark.parametrize("name", list(DESTINATION_CHECKS))
def test_correct_destination_passes(good, name):
    DESTINATION_CHECKS[name](good)


def test_every_destination_check_is_proven_to_fail():
    assert set(DESTINATION_CHECKS) == {check for _, check, _ in BROKEN}


@pytest.mark.parametrize(("plugin", "check", "message"), BROKEN, ids=[f"{p.__name__}-{c}" for p, c, _ in BROKEN])
def test_broken_destination_fails_its_check(plugin, check, message, tmp_path):
    with DestinationHarness("quickbooks", plugin=plugin(), workdir=tmp_path) as harness:
        with pytest.raises(ConformanceFailure) as failure:
            DESTINATION_CHECKS[check](harness)
    assert message in str(failure.value), str(failure.value)


def test_skipping_a_check_that_does_not_exist_is_an_error():
    with pytest.raises(ValueError, match="names no check: no_such_check"):
        from hub.testing import DestinationSuiteConfig

        destination_conformance_suite("books", config=DestinationSuiteConfig(skip={"no_such_check": "typo"}))
