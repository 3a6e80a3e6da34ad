"""pytest plugin shipped with the hub (``pytest11`` entry point ``hub``): fixtures for plugin authors.

Name the plugin under test once, in your ``tests/conftest.py``::

    import pytest

    @pytest.fixture
    def hub_plugin():
        return "acme"          # the entry-point name in the ``hub`` group

Then any test may ask for:

- ``hub_harness``: a ``hub.testing.PluginHarness`` (the plugin in a real hub app, the simulator at hand)
- ``hub_app``: that hub app, tables created (push ``hub_app.app_context()`` to query)
- ``vendor_handle``: the hub's ``VendorHandle`` for the plugin (calls exactly one plugin's hooks)
- ``simulator``: the plugin's simulator served on loopback (``.base_url``, ``.faults``, ``.app``)
- ``vendor_config``: the plugin's loaded configuration pointing at ``simulator``
- ``vendor_session``: a ``VendorSession`` for it whose retries and rate limit never really sleep
- ``hub_sync``: call it to run a full hub sync (configures the integration first); returns a ``RunResult``
- ``busy_cpu``: a thread keeping one core (and the GIL) busy for the test, so pacing is tested on a loaded
  machine, where threads wake late

Everything but ``pytest`` is imported inside the fixtures: pytest loads this module in every run of
every project that has the hub installed, so it must cost nothing until used.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser) -> None:
    parser.addini("hub_plugin", "entry-point name of the vendor plugin under test (or override the "
                  "hub_plugin fixture)", default="")


@pytest.fixture
def hub_plugin(request) -> str:
    """The entry-point name of the plugin under test. Override in conftest.py, or set the ini option."""
    name = request.config.getini("hub_plugin")
    if not name:
        pytest.fail("name the plugin under test: define a `hub_plugin` fixture returning its entry-point "
                    "name in conftest.py, or set `hub_plugin = \"...\"` in the pytest ini options",
                    pytrace=False)
    return name


@pytest.fixture
def hub_plugin_object():
    """``None``: load ``hub_plugin`` through its entry point. Return an object to register it directly."""
    return None


@pytest.fixture
def hub_suite_config():
    """The ``SuiteConfig`` the fixtures use (sizes); override to change them."""
    from hub.testing.config import SuiteConfig

    return SuiteConfig()


@pytest.fixture
def hub_harness(hub_plugin, hub_plugin_object, hub_suite_config, tmp_path):
    from hub.testing.harness import PluginHarness

    harness = PluginHarness(hub_plugin, hub_suite_config, plugin=hub_plugin_object, workdir=tmp_path)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
def hub_app(hub_harness):
    hub_harness.fresh_database()
    return hub_harness.app


@pytest.fixture
def vendor_handle(hub_harness):
    return hub_harness.handle


@pytest.fixture
def simulator(hub_harness):
    return hub_harness.simulator()


@pytest.fixture
def vendor_config(hub_harness, simulator):
    return hub_harness.loaded_config(simulator)


@pytest.fixture
def vendor_session(hub_harness, vendor_config):
    with hub_harness.session(vendor_config) as session:
        yield session


@pytest.fixture
def hub_sync(hub_harness, hub_app, simulator):
    """``hub_sync()`` runs one full sync of the plugin against ``simulator`` and returns its RunResult."""
    configured = []

    def sync():
        if not configured:
            hub_harness.configure(hub_harness.raw_config(simulator))
            configured.append(True)
        return hub_harness.sync()

    return sync


@pytest.fixture
def busy_cpu():
    """A thread that keeps one core (and the GIL) busy until the test ends, so threads wake late."""
    import threading

    stop = threading.Event()

    def spin():
        n = 0
        while not stop.is_set():
            n = (n * 31 + 7) % 1_000_003

    thread = threading.Thread(target=spin, name="busy-cpu", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=5)
