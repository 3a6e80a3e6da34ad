"""OAuth 2.0 in the core: callback, refresh before expiry, rotated refresh token persisted, one refresh
at a time across workers, a refused refresh -> needs reconnect with the queue kept."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from hub.destinations import calls, connections, mappings, oauth, tokens
from hub.destinations.push import run_pushes
from hub.extensions import db
from hub.models import AuditEvent, ConnectionState, DestinationConnection, DestinationPush
from hub.plugins import VendorAuthError, VendorConfigError
from hub.timeutil import utcnow
from tests.destinations.conftest import ADMIN, REDIRECT, sign_in, sim_config


def stored(slug="quickbooks") -> DestinationConnection:
    db.session.expire_all()
    return connections.get_connection(slug)


def expire_locally(connection) -> None:
    connection.access_expires_at = utcnow() + timedelta(seconds=30)  # inside the refresh margin
    db.session.commit()


def test_callback_stores_tokens_encrypted_and_picks_the_realm(qbo, qbo_sim):
    connection = stored()
    assert connection.state == ConnectionState.CONNECTED.value
    assert connection.account_id == "9130350000000001" and connection.account_name == "Sandbox Company_US_1"
    raw = db.session.execute(sa.text("SELECT tokens_token, secrets_token FROM destination_connections")).one()
    assert qbo_sim.app.state.refresh_token not in raw.tokens_token  # encrypted at rest
    assert "sim-qbo-client-secret" not in raw.secrets_token
    assert tokens.read_tokens(connection).refresh_token == qbo_sim.app.state.refresh_token
    assert connection.oauth_state_hash is None  # a state is good for one answer only
    actions = [e.action for e in db.session.execute(sa.select(AuditEvent)).scalars()]
    assert "destination.connect" in actions


def test_callback_with_a_foreign_or_replayed_state_is_refused_and_stores_nothing(app_ctx, qbo_plugin, qbo_sim):
    connections.configure("quickbooks", sim_config(qbo_sim), ADMIN)
    answer = sign_in()
    with pytest.raises(VendorConfigError) as err:
        oauth.finish("quickbooks", {**answer, "state": "forged"}, REDIRECT, ADMIN)
    assert err.value.field == "state"
    assert stored().tokens_token is None
    oauth.finish("quickbooks", answer, REDIRECT, ADMIN)
    with pytest.raises(VendorConfigError, match="does not belong"):
        oauth.finish("quickbooks", answer, REDIRECT, ADMIN)  # replayed


def test_provider_refusal_on_the_callback_is_shown(app_ctx, qbo_plugin, qbo_sim):
    connections.configure("quickbooks", sim_config(qbo_sim), ADMIN)
    answer = sign_in()
    with pytest.raises(VendorConfigError, match="access_denied"):
        oauth.finish("quickbooks", {"error": "access_denied", "state": answer["state"]}, REDIRECT, ADMIN)
    with pytest.raises(VendorAuthError, match="invalid_grant"):  # a code for another redirect URI
        oauth.finish("quickbooks", answer, "http://elsewhere.test/cb", ADMIN)
    assert stored().state == ConnectionState.NOT_CONNECTED.value


def test_refresh_before_expiry_persists_the_rotated_refresh_token(qbo, qbo_sim):
    first = tokens.read_tokens(stored())
    expire_locally(stored())
    auth = tokens.fresh_auth(stored().id)
    assert qbo_sim.app.state.refresh_calls == 1
    db.session.remove()  # a new session: what is on disk
    now = tokens.read_tokens(stored())
    assert now.refresh_token == qbo_sim.app.state.refresh_token != first.refresh_token
    assert now.access_token == auth.access_token and now.version > first.version
    # the simulator killed the old refresh token at once: a second refresh works only with the stored one
    expire_locally(stored())
    tokens.fresh_auth(stored().id)
    assert qbo_sim.app.state.refresh_calls == 2 and stored().state == ConnectionState.CONNECTED.value


def test_a_fresh_token_is_not_refreshed(qbo, qbo_sim):
    tokens.fresh_auth(stored().id)
    assert qbo_sim.app.state.refresh_calls == 0


def test_a_401_refreshes_once_and_calls_again(qbo, qbo_sim):
    qbo_sim.app.state.expire_access_tokens()  # the provider ended the token early
    check = calls.call_with_auth(stored(), lambda h, c, s, a: h.test_connection(c, s, a))
    assert check.ok and qbo_sim.app.state.refresh_calls == 1


def test_two_workers_refreshing_at_once_spend_the_refresh_token_once(app, qbo, qbo_sim):
    expire_locally(stored())
    connection_id = stored().id
    db.session.remove()
    qbo_sim.app.faults.latency = 0.3  # both are inside the refresh at the same time
    results, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                results.append(tokens.fresh_auth(connection_id).access_token)
            except Exception as err:  # pragma: no cover - reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    qbo_sim.app.faults.latency = 0
    assert errors == []
    assert qbo_sim.app.state.refresh_calls == 1
    assert len(set(results)) == 1
    connection = stored()
    assert connection.state == ConnectionState.CONNECTED.value
    assert tokens.read_tokens(connection).refresh_token == qbo_sim.app.state.refresh_token


def test_refused_refresh_needs_reconnect_and_keeps_queued_pushes(qbo, qbo_sim, books):
    org, product = books.org("Contoso"), books.product("EP")
    mappings.create_at_provider("quickbooks", "customer", str(org.id), ADMIN)
    mappings.create_at_provider("quickbooks", "item", str(product.id), ADMIN)
    invoice_id = books.issue(org, product)
    expire_locally(stored())
    qbo_sim.app.faults.refuse_refresh = True
    reports = run_pushes()
    assert reports == [] or all(not r.pushed for r in reports)
    connection = stored()
    assert connection.state == ConnectionState.NEEDS_RECONNECT.value
    assert "connect again" in connection.state_message
    push = db.session.execute(sa.select(DestinationPush)).scalar_one()
    assert push.invoice_id == invoice_id and push.state == "queued" and push.attempts == 0
    assert run_pushes() == []  # a paused connection is not tried again and again
    # reconnecting brings it back; the push is still there to go
    qbo_sim.app.faults.refuse_refresh = False
    oauth.finish("quickbooks", sign_in(), REDIRECT, ADMIN)
    assert stored().state == ConnectionState.CONNECTED.value
    audit = [e.action for e in db.session.execute(sa.select(AuditEvent)).scalars()]
    assert "destination.needs_reconnect" in audit
    assert [r.pushed for r in run_pushes()] == [[invoice_id]]


def test_an_idle_connection_is_refreshed_before_its_refresh_token_lapses(app, qbo, qbo_sim):
    """Xero drops a refresh token unused for 60 days (QuickBooks: 100): a connection that pushes once a
    quarter must not need reconnecting at every run. The scheduler's keep-alive refreshes idle ones."""
    from hub.destinations import jobs
    from hub.sync.jobs import EXTRA_JOBS

    jobs.register()
    assert [job_id for job_id, _, _ in EXTRA_JOBS].count("hub-destination-keepalive") == 1
    assert tokens.keep_alive() == [] and qbo_sim.app.state.refresh_calls == 0  # in use: nothing to do
    first = tokens.read_tokens(stored())
    connection = stored()
    connection.access_expires_at = utcnow() - tokens.KEEP_ALIVE - timedelta(hours=1)  # unused since then
    db.session.commit()
    jobs.run_keepalive_tick(app)
    assert qbo_sim.app.state.refresh_calls == 1
    now = tokens.read_tokens(stored())
    assert now.refresh_token == qbo_sim.app.state.refresh_token != first.refresh_token
    assert stored().access_expires_at > utcnow() and tokens.keep_alive() == []
    # a refresh token that runs out soon (QuickBooks says when) is refreshed too
    connection = stored()
    connection.refresh_expires_at = utcnow() + tokens.KEEP_ALIVE - timedelta(days=1)
    db.session.commit()
    assert tokens.keep_alive() == ["quickbooks"] and qbo_sim.app.state.refresh_calls == 2


def test_a_keep_alive_refused_by_the_provider_needs_reconnect(qbo, qbo_sim):
    connection = stored()
    connection.access_expires_at = utcnow() - tokens.KEEP_ALIVE - timedelta(hours=1)
    db.session.commit()
    qbo_sim.app.faults.refuse_refresh = True
    assert tokens.keep_alive() == []
    assert stored().state == ConnectionState.NEEDS_RECONNECT.value
    assert tokens.keep_alive() == [] and qbo_sim.app.state.refresh_calls == 1  # not asked again and again
