"""``collections_paused``: the cyclic collector is off inside the block and as it was found after it."""

from __future__ import annotations

import gc

import pytest

from hub.billing.bulk_read import collections_paused


@pytest.fixture(autouse=True)
def _collector_restored():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_enabled_again_after():
    gc.enable()
    with collections_paused():
        assert not gc.isenabled()
        with collections_paused():  # nested: leaves it to the outer block
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_enabled_again_after_an_error():
    gc.enable()
    with pytest.raises(ZeroDivisionError):
        with collections_paused():
            1 / 0
    assert gc.isenabled()


def test_left_off_when_it_was_off():
    gc.disable()
    with collections_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
