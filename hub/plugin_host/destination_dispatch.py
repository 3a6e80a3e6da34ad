"""Calls one destination plugin's hooks, and only that plugin's (as ``VendorHandle`` does for vendors)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from hub.plugins import DestinationAuth, VendorSession

from .dispatch import VendorHandle

if TYPE_CHECKING:
    from .registry import DestinationPlugin, PluginRegistry


class DestinationHandle(VendorHandle):
    """Configuration loading, sessions and isolation are the vendor handle's; the hooks are the
    destination family's. The session also redacts the access token of ``auth``."""

    def __init__(self, registry: PluginRegistry, record: DestinationPlugin) -> None:  # type: ignore[override]
        super().__init__(registry, record)  # type: ignore[arg-type]

    def make_session(self, config: dict, auth: DestinationAuth | None = None, **overrides: Any) -> VendorSession:
        secrets = self.secret_values(config) + ([auth.access_token] if auth and auth.access_token else [])
        return super().make_session(config, **{"secrets": secrets, **overrides})

    # -- hooks -----------------------------------------------------------------------------------

    def accounts(self, config: dict, session: VendorSession, auth: DestinationAuth, callback: dict) -> list:
        return list(self._call("hub_destination_accounts", config=config, session=session, auth=auth,
                               callback=callback) or ())

    def test_connection(self, config: dict, session: VendorSession, auth: DestinationAuth):  # type: ignore[override]
        return self._call("hub_destination_test_connection", config=config, session=session, auth=auth)

    def list_records(self, config: dict, session: VendorSession, auth: DestinationAuth, kind: str) -> Iterable:
        return self._call("hub_destination_list", config=config, session=session, auth=auth, kind=kind) or ()

    def customer(self, config: dict, session: VendorSession, auth: DestinationAuth, customer):
        return self._call("hub_destination_customer", config=config, session=session, auth=auth, customer=customer)

    def item(self, config: dict, session: VendorSession, auth: DestinationAuth, product):
        return self._call("hub_destination_item", config=config, session=session, auth=auth, product=product)

    def push_invoices(self, config: dict, session: VendorSession, auth: DestinationAuth, invoices: list) -> list:
        return list(self._call("hub_destination_push_invoices", config=config, session=session, auth=auth,
                               invoices=invoices) or ())

    def can_push_credit_notes(self) -> bool:
        return "hub_destination_push_credit_notes" in self.registry.hooks_of(self.slug)

    def push_credit_notes(self, config: dict, session: VendorSession, auth: DestinationAuth,
                          credit_notes: list) -> list:
        return list(self._call("hub_destination_push_credit_notes", config=config, session=session, auth=auth,
                               credit_notes=credit_notes) or ())

    def void_invoice(self, config: dict, session: VendorSession, auth: DestinationAuth, external_id: str) -> None:
        self._call("hub_destination_void_invoice", config=config, session=session, auth=auth,
                   external_id=external_id)

    def can_read_payments(self) -> bool:
        return "hub_destination_payment_status" in self.registry.hooks_of(self.slug)

    def payment_status(self, config: dict, session: VendorSession, auth: DestinationAuth,
                       external_ids: list[str]) -> list | None:
        if "hub_destination_payment_status" not in self.registry.hooks_of(self.slug):
            return None
        return list(self._call("hub_destination_payment_status", config=config, session=session, auth=auth,
                               external_ids=external_ids) or ())

    def can_revoke(self) -> bool:
        return "hub_destination_revoke_tokens" in self.registry.hooks_of(self.slug)

    def revoke_tokens(self, config: dict, session: VendorSession, refresh_token: str | None,
                      access_token: str | None) -> None:
        self._call("hub_destination_revoke_tokens", config=config, session=session, refresh_token=refresh_token,
                   access_token=access_token)

    def demo_simulator(self):
        return self._call("hub_destination_simulator")
