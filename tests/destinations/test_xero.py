"""Xero through the core: PKCE, tenant selection, contact lookup with where-clause escaping,
Idempotency-Key, and the push state machine end to end against the Xero simulator."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from hub.destinations import connections, mappings, oauth
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import ConnectionState, DestinationPush
from hub.plugins import VendorAuthError, VendorConfigError
from tests.destinations.conftest import ADMIN, XERO_REDIRECT, sign_in, xero_config

QUIET = {"sleep": lambda s: None}


def test_pkce_and_state_are_sent_and_checked(app_ctx, xero_plugin, xero_sim):
    connections.configure("xero", xero_config(xero_sim), ADMIN)
    url = oauth.start("xero", XERO_REDIRECT, ADMIN)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert "offline_access" in query["scope"][0].split()
    answer = sign_in("xero", XERO_REDIRECT)
    connection = connections.get_connection("xero")
    connection.oauth_verifier_token = None  # a verifier that does not match the challenge
    db.session.commit()
    with pytest.raises(VendorAuthError, match="invalid_grant"):
        oauth.finish("xero", answer, XERO_REDIRECT, ADMIN)


def test_the_admin_picks_an_organisation_and_practices_are_left_out(xero, xero_sim):
    connection = connections.get_connection("xero")
    assert connection.account_name == "Demo Company (AU)" and connection.account_choices is None
    assert connection.state == ConnectionState.CONNECTED.value
    with pytest.raises(VendorConfigError) as err:
        oauth.choose_account("xero", "3f7a1c2e-0000-4000-8000-000000000003", ADMIN)
    assert err.value.field == "account_id"


def test_enabling_before_an_organisation_is_picked_is_refused(app_ctx, xero_plugin, xero_sim):
    connections.configure("xero", xero_config(xero_sim), ADMIN)
    oauth.finish("xero", sign_in("xero", XERO_REDIRECT), XERO_REDIRECT, ADMIN)
    with pytest.raises(VendorConfigError) as err:
        connections.set_enabled("xero", True, ADMIN)
    assert err.value.field == "enabled"


def test_contacts_are_found_by_reference_then_escaped_name_then_made(xero, xero_sim, books):
    org = xero_sim.app.org("3f7a1c2e-0000-4000-8000-000000000002")
    obrien, quoted = books.org("O'Brien IT"), books.org('The "Best" IT')
    found = mappings.create_at_provider("xero", "customer", str(obrien.id), ADMIN)
    assert found.external_name == "O'Brien IT" and len(org.contacts) == 4
    made = mappings.create_at_provider("xero", "customer", str(quoted.id), ADMIN)
    assert made.external_name == 'The "Best" IT' and org.contacts[made.external_id]["ContactNumber"] == f"hub-org-{quoted.id}"
    mappings.unmap("xero", "customer", str(quoted.id), ADMIN)
    again = mappings.create_at_provider("xero", "customer", str(quoted.id), ADMIN)
    assert again.external_id == made.external_id and len(org.contacts) == 5
    wheres = [args.get("where") for _, path, args, _ in xero_sim.app.state.requests if path.endswith("/Contacts")]
    assert 'Name=="O\'Brien IT"' in wheres and not any(w and '"Best"' in w for w in wheres)


def test_invoices_go_to_the_chosen_tenant_once_with_an_idempotency_key(xero, xero_sim, books):
    org = xero_sim.app.org("3f7a1c2e-0000-4000-8000-000000000002")
    customer, product = books.org("Customer 001"), books.product("EP-MGD", "Managed Endpoint")
    mappings.auto_match("xero", "customer", ADMIN)
    mappings.confirm("xero", "customer", [str(customer.id)], ADMIN)
    mappings.create_at_provider("xero", "item", str(product.id), ADMIN)
    invoice_id = books.issue(customer, product, quantity="3")
    xero_sim.app.faults.commit_then_hang, xero_sim.app.faults.hang_seconds = 1, 1.0
    assert run_pushes(session_options={**QUIET, "timeout": (5, 0.3)})[0].pushed == [invoice_id]
    [made] = org.invoices.values()
    push = db.session.execute(sa.select(DestinationPush)).scalar_one()
    assert push.external_id == made["InvoiceID"] and push.external_number == made["InvoiceNumber"]
    assert str(made["Total"]) == "37.50" and made["Reference"] == f"hub invoice {invoice_id}"
    puts = [h for m, path, _, h in xero_sim.app.state.requests if m == "PUT" and path.endswith("/Invoices")]
    assert len(puts) == 2 and puts[0]["Idempotency-Key"] == puts[1]["Idempotency-Key"]
    assert {h.get("Xero-Tenant-Id") for h in puts} == {"3f7a1c2e-0000-4000-8000-000000000002"}
    assert xero_sim.app.state.replayed == 1


def test_a_429_on_the_day_limit_waits_its_retry_after_and_says_which_limit(xero, xero_sim, books):
    """Xero's 5,000 calls a day are not paced by the hub: the 429 names the limit that was hit
    (``X-Rate-Limit-Problem``) and its ``Retry-After`` (hours) is how long the push waits, shown."""
    from datetime import timedelta

    from hub.timeutil import utcnow

    customer, product = books.org("Customer 001"), books.product("EP-MGD", "Managed Endpoint")
    mappings.auto_match("xero", "customer", ADMIN)
    mappings.confirm("xero", "customer", [str(customer.id)], ADMIN)
    mappings.create_at_provider("xero", "item", str(product.id), ADMIN)
    invoice_id = books.issue(customer, product)
    xero_sim.app.faults.rate_limit_retry_after, xero_sim.app.rate_limit_problem = 7200, "day"
    assert run_pushes(session_options=QUIET)[0].retrying == [invoice_id]
    push = db.session.execute(sa.select(DestinationPush)).scalar_one()
    assert push.state == "retrying" and "429" in push.last_error and "day limit" in push.last_error
    assert push.next_attempt_at >= utcnow() + timedelta(seconds=7100)
    xero_sim.app.faults.rate_limit_retry_after = None
    push.next_attempt_at = utcnow()
    db.session.commit()
    assert run_pushes(session_options=QUIET)[0].pushed == [invoice_id]
