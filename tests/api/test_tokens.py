"""API tokens: CLI and panel life cycle, hash-only storage, expiry, revocation, bearer-only auth, rate limits."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hub import api_tokens, create_app
from hub.api.ratelimit import rate_limiter
from hub.extensions import db
from hub.models import ApiToken, AuditEvent
from hub.timeutil import utcnow
from hub.audit import Actor
from tests.api.conftest import ApiClient
from tests.conftest import PG_URL, make_test_config
from tests.web.conftest import PASSWORD, csrf_token_from


def hub(runner, *args):
    return runner.invoke(args=[str(a) for a in args])


def test_cli_create_list_revoke(app_ctx, runner, client):
    result = hub(runner, "token", "create", "--name", "PSA sync", "--role", "billing", "--expires", 30)
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("hub_") and len(secret) > 40
    as_json = json.loads(hub(runner, "token", "create", "--name", "other", "--role", "viewer", "--json").output)
    assert set(as_json) == {"token", "id"} and as_json["token"].startswith("hub_")

    token = db.session.execute(db.select(ApiToken).filter_by(name="PSA sync")).scalar_one()
    stored = [str(getattr(token, c.key)) for c in ApiToken.__table__.columns]
    assert secret not in " ".join(stored)  # only its hash is kept
    assert token.token_hash == api_tokens.hash_secret(secret)
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)

    api = ApiClient(client, secret)
    assert api.get("/api/v1/organizations").status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None

    listed = json.loads(hub(runner, "token", "list", "--json").output)
    assert [(r["name"], r["role"], r["state"]) for r in listed] == [("PSA sync", "billing", "active"),
                                                                      ("other", "viewer", "active")]
    assert secret not in hub(runner, "token", "list").output
    assert hub(runner, "token", "revoke", token.id).exit_code == 0
    refused = api.get("/api/v1/organizations")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    actions = [e.action for e in db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars()]
    assert actions.count("token.create") == 2 and "token.revoke" in actions


@pytest.mark.parametrize(("args", "words"), [
    (["--name", "", "--role", "admin"], "name"),
    (["--name", "x", "--role", "admin", "--expires", "0"], "expires_days"),
])
def test_cli_bad_input_names_the_field(app_ctx, runner, args, words):
    result = hub(runner, "token", "create", *args)
    assert result.exit_code == 2 and words in result.output
    assert db.session.execute(db.select(ApiToken)).first() is None


def test_expired_and_malformed_tokens_are_refused(app_ctx, client):
    secret = api_tokens.create_token("old", "admin", Actor.cli("t"), expires_days=1).secret
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    api = ApiClient(client, secret)
    assert api.get("/api/v1/organizations").status_code == 200
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert api.get("/api/v1/organizations").status_code == 401
    for header in ("Basic abc", "Bearer", "Bearer hub_nothing", "Bearer " + secret + "x"):
        response = client.get("/api/v1/organizations", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_role_the_table_refuses_is_403_problem(api):
    response = api.as_role("viewer").post("/api/v1/organizations", json={"name": "Acme"})
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert response.json["status"] == 403
    assert api.as_role("billing").get("/api/v1/tokens").status_code == 403


@pytest.fixture
def app_config(tmp_path, database_url):
    # CSRF on, as in production: token requests must not need it
    return make_test_config(tmp_path, database_url, WTF_CSRF_ENABLED=True, HUB_SYNC_IN_BACKGROUND=False,
                            HUB_API_RATE_LIMIT="5/minute")


def login(client, role: str) -> None:
    page = client.get("/login")
    client.post("/login", data={"email": f"{role}@example.com", "password": PASSWORD,
                                "csrf_token": csrf_token_from(page.get_data(as_text=True))})


def test_session_is_refused_tokens_need_no_csrf_and_get_no_cookie(client, auth, api):
    login(client, "admin")
    assert client.get("/").status_code == 200  # signed in to the panel
    session_only = client.post("/api/v1/organizations", json={"name": "Via cookie"})
    assert session_only.status_code == 401
    created = api.post("/api/v1/organizations", json={"name": "Via token"})
    assert created.status_code == 201, created.json
    assert "Set-Cookie" not in created.headers


def test_rate_limit_per_token_with_headers(api):
    viewer = api.as_role("viewer")
    answers = [api.get("/api/v1/organizations") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert answers[0].headers["RateLimit-Policy"] == '"token";q=5;w=60'
    assert answers[-1].headers["RateLimit"].startswith('"token";r=0;')
    refused = api.get("/api/v1/organizations")
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert viewer.get("/api/v1/organizations").status_code == 200  # another token has its own count


@pytest.mark.skipif(not PG_URL, reason="on PostgreSQL only: the embedded SQLite default counts per process")
def test_rate_limit_is_shared_by_every_worker(app, app_config, tokens):
    # Two app instances on one database stand for two gunicorn workers: together they get 5 a minute.
    other_worker = create_app(app_config)
    workers = [ApiClient(app.test_client(), tokens["admin"]), ApiClient(other_worker.test_client(), tokens["admin"])]
    answers = [workers[i % 2].get("/api/v1/organizations") for i in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert [workers[i].get("/api/v1/organizations").status_code for i in (0, 1)] == [429, 429]
    with other_worker.app_context():
        db.engine.dispose()


def test_rate_window_starts_again_when_it_ends(app, app_ctx, tokens):
    token_id = db.session.execute(db.select(ApiToken.id).filter_by(role="viewer")).scalar_one()
    now = [1_000_000.0]
    kind = type(rate_limiter(app))  # the database's own: in memory on SQLite, the shared row on PostgreSQL
    limiter = kind(2, 60, clock=lambda: now[0])
    assert [limiter.hit(token_id).allowed for _ in range(3)] == [True, True, False]
    now[0] += 59.5
    refused = limiter.hit(token_id)
    assert not refused.allowed and refused.remaining == 0 and refused.reset == 1
    now[0] += 0.5
    again = limiter.hit(token_id)
    assert again.allowed and again.remaining == 1 and again.reset == 60


def test_panel_page_creates_once_lists_and_revokes(app_ctx, client, auth):
    login(client, "admin")
    page = client.get("/admin/tokens/")
    token = csrf_token_from(page.get_data(as_text=True))
    created = client.post("/admin/tokens/", data={"name": "Zapier", "role": "billing", "expires_days": "",
                                                  "csrf_token": token})
    html = created.get_data(as_text=True)
    secret = next(word for word in html.replace("<", " ").replace(">", " ").split() if word.startswith("hub_")
                  and len(word) > 40)
    assert created.headers["Cache-Control"] == "no-store"
    assert secret not in client.get("/admin/tokens/").get_data(as_text=True)  # shown once
    row = db.session.execute(db.select(ApiToken).filter_by(name="Zapier")).scalar_one()
    assert row.role == "billing"
    bad = client.post("/admin/tokens/", data={"name": "", "role": "billing", "csrf_token": token})
    assert bad.status_code == 400 and "name" in bad.get_data(as_text=True)
    client.post(f"/admin/tokens/{row.id}/revoke", data={"csrf_token": token})
    db.session.expire_all()
    assert api_tokens.state(db.session.get(ApiToken, row.id)) == "revoked"
    client.post("/logout", data={"csrf_token": token})
    login(client, "billing")
    assert client.get("/admin/tokens/").status_code == 403
