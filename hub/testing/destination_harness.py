"""``DestinationHarness``: one destination plugin loaded into a real hub app, its simulator served,
connected through the core's real OAuth flow, faults at hand.

The destination conformance checks drive a plugin through this object, the way ``PluginHarness``
drives a vendor plugin: found through its entry point (or registered as an object, for the kit's own
tests), called through ``DestinationHandle`` with a token the core obtained and refreshes.

A destination simulator is a WSGI app with a ``faults`` attribute holding a
``hub.plugins.simulator.DestinationFaults``, and two methods the kit reads:
``invoices_numbered(number) -> list`` (what the provider holds under that document number) and
``invoice_state(external_id) -> "open" | "voided" | None``; a plugin that pushes credit notes also
needs ``credit_notes_numbered(number) -> list``.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlsplit

import requests

from hub.testing.checks.calls import Outcome, outcome
from hub.testing.harness import GROUP, ConformanceFailure, fail, no_sleep, set_faults
from hub.testing.hubapp import TestDatabase, create_tables, dispose, make_hub_app
from hub.testing.server import ServedApp, serve

REDIRECT_URI = "http://hub.kit.test/appcenter/destinations/callback"


@dataclass(frozen=True)
class DestinationSuiteConfig:
    """Options of :func:`hub.testing.destination_conformance_suite`: ``skip`` maps a check name to
    the reason it does not apply; ``extra_config`` is merged over the simulator's configuration."""

    customers: int = 6
    skip: Mapping[str, str] = field(default_factory=dict)
    extra_config: Mapping[str, Any] = field(default_factory=dict)
    database_url: str | None = None


class DestinationHarness:
    def __init__(self, name: str, config: DestinationSuiteConfig | None = None, *, plugin: Any = None,
                 workdir: Path | None = None) -> None:
        self.name = name
        self.config = config or DestinationSuiteConfig()
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="hub-dkit-"))
        self.direct = plugin is not None
        found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
        self.has_entry_point = bool(found)
        others = [] if self.direct else sorted({ep.name for ep in entry_points(group=GROUP)} - {name})
        self._database = TestDatabase(self.workdir, self.config.database_url)
        self.app = make_hub_app(self.workdir, self._database.url, load_entry_points=not self.direct, disabled=others)
        self.registry = self.app.extensions["hub.plugins"]
        if self.direct:
            self.registry.register(plugin, name, source=f"{type(plugin).__name__} (registered directly)")
        self.record = self.registry.destinations.get(name)
        self.load_error = next((e.message for e in self.registry.errors if e.name == name), None)
        self._served: ServedApp | None = None
        self._connected = False
        self._numbers = itertools.count(1)
        self._run = uuid.uuid4().hex[:6]

    # -- the plugin and its simulator ------------------------------------------------------------

    @property
    def handle(self):
        if self.record is None:
            fail(f"the {self.name!r} destination plugin did not load, so this check cannot run "
                 f"(see destination_loads): {self.load_error or 'no entry point found'}")
        return self.registry.destination_handle(self.name)

    def simulator(self) -> ServedApp:
        if self._served is None:
            demo = self.handle.demo_simulator()
            if demo is None:
                fail(f"{self.name}: hub_destination_simulator returned None; the kit drives the plugin against it")
            app = demo.make_app(self.config.customers)
            for needed in ("faults", "invoices_numbered", "invoice_state"):
                if not hasattr(app, needed):
                    fail(f"the simulator's WSGI app has no `{needed}`: see hub.testing.destination_harness")
            self._served = serve(app, name=f"{self.name}-sim")
        return self._served

    def raw_config(self) -> dict:
        return {**self.handle.demo_simulator().config_for(self.simulator().base_url), **self.config.extra_config}

    def faults(self, **knobs: Any):
        """Set DestinationFaults knobs for the block, then put the old values back."""
        return set_faults(self.simulator().faults, **knobs)

    # -- connecting through the core's OAuth ------------------------------------------------------

    def connect(self) -> None:
        """Configure, sign in (the browser's part done with requests) and pick the first account."""
        if self._connected:
            return
        from hub.audit import Actor
        from hub.destinations import connections, oauth
        from hub.plugins import VendorError

        self._database.ensure()
        create_tables(self.app)
        actor = Actor.cli("destination conformance")
        with self.app.app_context():
            connections.configure(self.name, self.raw_config(), actor)
            url = oauth.start(self.name, REDIRECT_URI, actor)
            answer = requests.get(url, allow_redirects=False, timeout=10)
            location = answer.headers.get("Location", "")
            if answer.status_code not in (301, 302, 303, 307) or not location.startswith(REDIRECT_URI):
                fail(f"the simulator's authorize URL answered HTTP {answer.status_code} without redirecting back to "
                     f"the hub's callback: {url.split('?')[0]}")
            try:
                connection = oauth.finish(self.name, dict(parse_qsl(urlsplit(location).query)), REDIRECT_URI, actor)
            except VendorError as err:
                fail(f"the OAuth callback failed: {err} (hub_destination_accounts must return DestinationAccount "
                     "records for the accounts the token reaches)")
            if connection.account_choices:
                oauth.choose_account(self.name, connection.account_choices[0]["account_id"], actor)
        self._connected = True

    def forget_connection(self) -> None:
        """The connection was ended (tokens revoked): the next call connects again."""
        self._connected = False

    def call(self, hook: str, **kwargs: Any) -> Outcome:
        """Call one destination hook with a fresh token and session, consuming what it returns."""
        from hub import integrations
        from hub.destinations import connections, tokens
        from hub.extensions import db

        self.connect()
        with self.app.app_context():
            connection = connections.require_connection(self.name)
            auth = tokens.fresh_auth(connection.id)
            handle = self.handle
            config = handle.load_config(integrations.stored_config(connection))
            options = {"sleep": no_sleep, "max_retries": 1, **kwargs.pop("session_options", {})}
            with handle.make_session(config, auth, **options) as session:
                fn = getattr(handle, hook)
                result = outcome(lambda: fn(config, session, auth, **kwargs))
            db.session.remove()
        return result

    def secrets(self) -> list[str]:
        from hub.destinations import connections, tokens

        self.connect()
        with self.app.app_context():
            connection = connections.require_connection(self.name)
            held = tokens.read_tokens(connection)
            values = [held.access_token, held.refresh_token or ""]
            values += self.handle.secret_values(self.handle.load_config(self.raw_config()))
        return [v for v in values if len(v) >= 3]

    # -- records to push ---------------------------------------------------------------------------

    def customer(self, name: str):
        from hub.plugins import CustomerToPush

        return CustomerToPush(local_id=abs(hash(name)) % 100000, name=name, reference=f"kit-{abs(hash(name)) % 100000}")

    def product(self, name: str):
        from hub.plugins import ProductToPush

        return ProductToPush(local_id=1, code="KIT-" + name[:10].upper().replace(" ", "-"), name=name,
                             unit_price=Decimal("12.50"), description="conformance kit product")

    def external(self, hook: str, record) -> Any:
        result = self.call(hook, **{"customer" if hook == "customer" else "product": record})
        if result.error is not None:
            fail(f"hub_destination_{hook} failed against a healthy simulator: {result.describe()}")
        return result.value

    def invoice(self, customer_id: str, item_id: str, *, attempt: int = 1, key: str | None = None, number: str | None = None):
        from hub.plugins import InvoiceToPush, LineToPush

        number = number or f"K{self._run}-{next(self._numbers)}"
        line = LineToPush(description="Endpoints", quantity=Decimal("3"), unit_price=Decimal("12.5"),
                          amount=Decimal("37.50"), item_external_id=item_id)
        return InvoiceToPush(invoice_id=int(number.rsplit("-", 1)[1]), number=number, invoice_date=date(2026, 5, 1),
                             due_date=date(2026, 5, 1) + timedelta(days=30), currency="USD",
                             customer_external_id=customer_id, lines=(line,), total=Decimal("37.50"),
                             idempotency_key=key or f"kit-{uuid.uuid4().hex[:20]}", attempt=attempt)

    def credit_note(self, customer_id: str, item_id: str, *, attempt: int = 1, number: str | None = None):
        from hub.plugins import CreditNoteToPush, LineToPush

        number = number or f"KC{self._run}-{next(self._numbers)}"
        line = LineToPush(description="Endpoints credited", quantity=Decimal("2"), unit_price=Decimal("12.5"),
                          amount=Decimal("25.00"), item_external_id=item_id)
        return CreditNoteToPush(credit_note_id=int(number.rsplit("-", 1)[1]), number=number,
                                credit_date=date(2026, 5, 2), currency="USD", customer_external_id=customer_id,
                                lines=(line,), total=Decimal("25.00"), tax_total=Decimal("0"),
                                idempotency_key=f"kit-{uuid.uuid4().hex[:20]}", attempt=attempt,
                                reason="conformance kit credit")

    def targets(self) -> tuple[str, str]:
        """A customer and an item at the provider, made (or found) through the plugin."""
        from hub.plugins import ExternalRecord

        customer = self.external("customer", self.customer("Kit Customer Ltd"))
        item = self.external("item", self.product("Kit Service"))
        for what, value in (("customer", customer), ("item", item)):
            if not isinstance(value, ExternalRecord):
                fail(f"hub_destination_{what} returned {type(value).__name__}, not hub.plugins.ExternalRecord")
        return customer.external_id, item.external_id

    # -- teardown ----------------------------------------------------------------------------------

    def close(self) -> None:
        if self._served is not None:
            self._served.stop()
        dispose(self.app)
        self._database.drop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "DestinationHarness":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["ConformanceFailure", "DestinationHarness", "DestinationSuiteConfig"]
