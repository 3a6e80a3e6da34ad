import pytest

from hub.testing import CHECKS, PluginHarness
from tests.testing import broken_plugins, dummy_vendor


@pytest.fixture(scope="module")
def imports_done_once(tmp_path_factory):
    """pytester forgets the modules first imported inside each inner run: import the hub's once, here,
    so every inner run does not pay for importing Flask, the models and the web app again."""
    with PluginHarness("acme", plugin=dummy_vendor.AcmeVendor(),
                       workdir=tmp_path_factory.mktemp("warm")) as harness:
        CHECKS["second_sync_changes_nothing"](harness)
    assert broken_plugins.BROKEN
