"""The QuickBooks client against its simulator: escaping, minorversion, error shapes, exact money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.plugins import DestinationAuth, VendorAuthError, VendorSession, VendorUnavailableError
from hub.testing import serve
from hub_quickbooks import plugin
from hub.plugins import dumps_exact
from hub_quickbooks.client import QboClient, QboFault, escape
from hub_quickbooks.simulator import SIM_REALM, make_app


@pytest.fixture
def sim():
    with serve(make_app(6), name="qbo") as served:
        yield served


@pytest.fixture
def client(sim):
    token = sim.app.state.issue_tokens()["access_token"]
    config = plugin.hub_destination_info().config_schema().load(
        plugin.hub_destination_simulator().config_for(sim.base_url))
    with VendorSession(sleep=lambda s: None, max_retries=1) as session:
        yield QboClient(config, session, DestinationAuth(token, SIM_REALM))


def test_escape_writes_apostrophes_the_way_the_query_language_reads_them():
    assert escape("O'Brien") == "'O\\'Brien'"
    assert escape("plain") == "'plain'"


def test_escaped_name_is_found_and_an_unescaped_one_is_a_parse_error(client, sim):
    assert client.find_one("Customer", "DisplayName", "O'Brien IT")["DisplayName"] == "O'Brien IT"
    with pytest.raises(QboFault) as err:
        client.query("select * from Customer where DisplayName = 'O'Brien IT'")
    assert err.value.codes == {"4000"}


def test_no_match_has_no_entity_key(client):
    assert client.find_one("Customer", "DisplayName", "Nobody") is None


def test_every_call_carries_minorversion_75(client, sim):
    client.query("select * from Customer")
    client.request("GET", f"/companyinfo/{SIM_REALM}")
    assert all(args.get("minorversion") == "75" for _, path, args in sim.app.state.requests)


def test_401_with_the_lower_case_fault_is_an_auth_error_with_its_status(client, sim):
    sim.app.state.expire_access_tokens()
    with pytest.raises(VendorAuthError) as err:
        client.query("select * from Customer")
    assert err.value.status == 401 and "3200" in err.value.message


def test_throttling_is_unavailable(client, sim):
    sim.app.faults.rate_limit_retry_after = 1
    with pytest.raises(VendorUnavailableError) as err:
        client.query("select * from Customer")
    assert err.value.status == 429


def test_money_is_written_with_exactly_its_digits():
    assert dumps_exact({"Amount": Decimal("37.50"), "Qty": Decimal("3.0000")}) == '{"Amount": 37.50, "Qty": 3.0000}'


def test_query_all_reads_every_page(client, sim):
    for n in range(1100):
        sim.app.state.customers[f"x{n}"] = {"Id": f"x{n}", "DisplayName": f"Bulk {n}", "Active": True}
    rows = list(client.query_all("Customer", "Active = true"))
    assert len(rows) == 1106
    starts = [args["query"] for _, path, args in sim.app.state.requests if path.endswith("/query")]
    assert any("STARTPOSITION 1001" in q for q in starts)
