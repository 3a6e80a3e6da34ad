"""Calls one vendor's hooks, and only that vendor's.

pluggy calls every registered implementation of a hook; for vendor I/O that would couple every
plugin's failures together. ``VendorHandle`` uses ``subset_hook_caller`` so a call reaches exactly
one plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from marshmallow import ValidationError

from hub import __version__
from hub.inputs import http_url
from hub.plugins import VendorConfigError, VendorSession

if TYPE_CHECKING:
    from .registry import PluginRegistry, VendorPlugin


class VendorHandle:
    def __init__(self, registry: PluginRegistry, record: VendorPlugin) -> None:
        self.registry = registry
        self.record = record
        self.info = record.info
        self.slug = record.slug

    def _call(self, hook: str, **kwargs: Any) -> Any:
        others = [p for p in self.registry.pm.get_plugins() if p is not self.record.plugin]
        return self.registry.pm.subset_hook_caller(hook, remove_plugins=others)(**kwargs)

    # -- configuration -------------------------------------------------------------------------

    def load_config(self, raw: dict) -> dict:
        """Validate raw settings with the plugin's schema; VendorConfigError names the first bad field
        (``field``) and carries them all (``field_errors``)."""
        try:
            config = self.info.config_schema().load(raw)
        except ValidationError as err:
            every = {name: problems if isinstance(problems, str) else "; ".join(map(str, problems))
                     for name, problems in sorted(err.normalized_messages().items())}
            field, text = next(iter(every.items()))
            error = VendorConfigError(f"{field}: {text}", field=field)
            error.field_errors = every  # all of them, for answers that name every field (the API)
            raise error from None
        _check_urls(config)
        return config

    def secret_values(self, config: dict) -> list[str]:
        return [str(config[name]) for name in self.info.secret_fields if config.get(name)]

    def make_session(self, config: dict, session_class: type[VendorSession] = VendorSession,
                     **overrides: Any) -> VendorSession:
        options = dict(
            user_agent=f"msp-billing-hub/{__version__} {self.slug}/{self.info.version}",
            requests_per_second=self.info.requests_per_second,
            rate_limits=dict(self.info.rate_limits),
            max_concurrency=self.info.max_concurrency,
            secrets=self.secret_values(config),
        )
        options.update(overrides)
        return session_class(**options)

    # -- hooks -----------------------------------------------------------------------------------

    def test_connection(self, config: dict, session: VendorSession):
        return self._call("hub_test_connection", config=config, session=session)

    def list_customers(self, config: dict, session: VendorSession) -> Iterable:
        return self._call("hub_list_customers", config=config, session=session) or ()

    def fetch_license_counts(self, config: dict, session: VendorSession, customers: list) -> Iterable:
        return self._call("hub_fetch_license_counts", config=config, session=session, customers=customers) or ()

    def listing_is_complete(self, config: dict) -> bool:
        """A listing is whole unless the plugin says otherwise (only ``False`` counts as no)."""
        return self._call("hub_listing_is_complete", config=config) is not False

    def map_skus(self, config: dict, skus: list[str]) -> Iterable:
        return self._call("hub_map_skus", config=config, skus=skus) or ()

    def demo_simulator(self):
        return self._call("hub_demo_simulator")


def _check_urls(config: dict) -> None:
    """Whatever a plugin's schema allows, a ``base_url`` (or any ``*_url``) setting is a plain http(s) URL:
    it is shown on pages and used for requests, so markup or another scheme never gets saved."""
    for field, value in sorted(config.items()):
        if (field == "base_url" or field.endswith("_url")) and isinstance(value, str):
            try:
                http_url(value)
            except ValueError as err:
                raise VendorConfigError(f"{field}: {field} {err}", field=field) from None
