"""``hub simulator SLUG``: any installed plugin's simulator, served on loopback."""

from __future__ import annotations

import requests

from hub.commands.plugin_author import start_simulator
from tests.testing.dummy_vendor import AcmeVendor


def test_serves_an_installed_plugins_simulator_and_the_settings_work(app):
    registry = app.extensions["hub.plugins"]
    assert registry.register(AcmeVendor(), "acme") is not None
    with app.app_context():
        served, settings = start_simulator("acme", customers=7)
    try:
        handle = registry.handle("acme")
        config = handle.load_config(settings)
        with handle.make_session(config) as session:
            assert handle.test_connection(config, session).ok
            assert len(list(handle.list_customers(config, session))) == 7
        assert requests.get(served.base_url + "/api/me", timeout=5).status_code == 401  # it checks the key
    finally:
        served.stop()


def test_an_unknown_slug_names_the_loaded_ones(app, runner):
    result = runner.invoke(args=["simulator", "nosuch"])
    assert result.exit_code != 0
    assert "SLUG: no loaded plugin 'nosuch'" in result.output and "see hub plugins" in result.output
