"""Real hub syncs: the plugin through its entry point, the simulator on loopback, a real database."""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from hub.extensions import db
from hub.models import LicenseCount, MapStatus, VendorCustomer, VendorSku
from hub.plugins import VendorUnavailableError
from hub_huntress.client import HuntressClient
from hub_huntress.simulator import HuntressSimulator
from hub_huntress.sim_state import SimState, seed
from hub.testing import serve


def counts_by_id():
    rows = db.session.execute(
        db.select(VendorCustomer.external_id, VendorSku.sku, LicenseCount.quantity)
        .join(LicenseCount, LicenseCount.vendor_customer_id == VendorCustomer.id)
        .join(VendorSku, VendorSku.id == LicenseCount.sku_id))
    return {(eid, sku): Decimal(q) for eid, sku, q in rows}


def test_counts_follow_the_vendor_and_a_deleted_organization_is_detached(hub_sync, hub_app, simulator):
    state = simulator.app.state
    with hub_app.app_context():
        assert hub_sync().status == "succeeded"
        first = counts_by_id()
        org = state.listing()[0]
        assert first[(str(org.id), "huntress_edr")] == org.agents_count
        assert first[(str(org.id), "huntress_itdr")] == org.billable_identity_count

        gone = state.listing()[1]
        state.update(org.id, agents_count=org.agents_count + 5)
        state.remove_org(gone.id)
        assert hub_sync().status == "succeeded"
        db.session.expire_all()
        assert counts_by_id()[(str(org.id), "huntress_edr")] == org.agents_count
        detached = db.session.execute(db.select(VendorCustomer).filter_by(external_id=str(gone.id))).scalar_one()
        assert detached.map_status is MapStatus.DETACHED


def test_the_simulator_enforces_60_requests_a_minute(handle, config):
    """The strict simulator answers the 61st request of a minute with 429 (no Retry-After), which
    the plugin turns into a retry of the whole run a minute later."""
    app = HuntressSimulator(seed(SimState(), 3), enforce_rate_limit=True)
    with serve(app, name="huntress-strict") as served:
        for _ in range(60):
            assert requests.get(served.base_url + "/v1/account", auth=(app.state.api_key, app.state.api_secret),
                                timeout=5).status_code == 200
        with handle.make_session({**config, "base_url": served.base_url}, sleep=lambda s: None,
                                 requests_per_second=None) as session:
            client = HuntressClient({**config, "base_url": served.base_url,
                                     "api_key": app.state.api_key, "api_secret": app.state.api_secret}, session)
            with pytest.raises(VendorUnavailableError) as caught:
                client.account()
    assert caught.value.retry_after == 60
    assert app.max_in_window() > 60  # the refused ones arrived too: counted where the vendor counts
