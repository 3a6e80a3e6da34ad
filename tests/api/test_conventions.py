"""The API's conventions, on Organizations: problems, paging, ETag/If-Match, Idempotency-Key, filters."""

from __future__ import annotations

import pytest

from hub.extensions import db
from hub.models import AuditEvent, IdempotencyRecord, Organization


def org_count() -> int:
    return db.session.execute(db.select(db.func.count()).select_from(Organization)).scalar_one()


def test_a_problem_names_every_invalid_field_at_once(api):
    response = api.post("/api/v1/organizations", json={"name": "", "domain": 5, "colour": "red"})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == 422 and body["title"] and body["type"] == "about:blank"
    assert {e["field"] for e in body["errors"]} == {"name", "domain", "colour"}
    assert {e["pointer"] for e in body["errors"]} == {"#/name", "#/domain", "#/colour"}
    assert org_count() == 0


def test_service_rules_are_the_panels_404_409_422(api):
    assert api.post("/api/v1/organizations", json={"name": "Acme", "external_ref": "psa-1"}).status_code == 201
    duplicate = api.post("/api/v1/organizations", json={"name": "ACME"})
    assert duplicate.status_code == 409 and duplicate.json["errors"][0]["field"] == "name"
    same_ref = api.post("/api/v1/organizations", json={"name": "Other", "external_ref": "psa-1"})
    assert same_ref.status_code == 409 and same_ref.json["errors"][0]["field"] == "external_ref"
    bad_domain = api.post("/api/v1/organizations", json={"name": "Other", "domain": "not a domain"})
    assert bad_domain.status_code == 422 and bad_domain.json["errors"][0]["field"] == "domain"
    missing = api.get("/api/v1/organizations/999")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert api.get("/api/v1/nothing-here").status_code == 404
    assert org_count() == 1


def test_cursor_pages_follow_next_links_in_a_stable_order(api):
    names = [f"Org {n:02d}" for n in range(23)]
    for name in reversed(names):
        assert api.post("/api/v1/organizations", json={"name": name}).status_code == 201
    seen, url, pages = [], "/api/v1/organizations?limit=10", 0
    while url:
        page = api.get(url)
        assert page.status_code == 200
        seen += [o["name"] for o in page.json["items"]]
        url = page.json["next"]
        if url:
            assert page.headers["Link"] == f'<{url}>; rel="next"'
            url = url.replace("http://localhost", "")
            # a row added before the cursor does not shift the next page
            if pages == 0:
                api.post("/api/v1/organizations", json={"name": "Org 00a"})
        pages += 1
    assert pages == 3
    assert seen == names  # Org 00a sorts before the cursor: not repeated, nothing skipped
    assert api.get("/api/v1/organizations?limit=501").status_code == 422  # capped
    tampered = api.get("/api/v1/organizations?cursor=bm90LWEtY3Vyc29y")
    assert tampered.status_code == 422 and tampered.json["errors"][0]["field"] == "cursor"


def test_filter_by_external_ref_and_search(api):
    api.post("/api/v1/organizations", json={"name": "Contoso", "external_ref": "crm-7", "domain": "contoso.com"})
    api.post("/api/v1/organizations", json={"name": "Fabrikam"})
    found = api.get("/api/v1/organizations?external_ref=crm-7").json["items"]
    assert [o["name"] for o in found] == ["Contoso"]
    assert [o["name"] for o in api.get("/api/v1/organizations?q=fab").json["items"]] == ["Fabrikam"]


def test_etag_and_if_match_refuse_a_stale_write(api):
    created = api.post("/api/v1/organizations", json={"name": "Acme"})
    url = created.headers["Location"]
    tag = api.get(url).headers["ETag"]
    assert tag == created.headers["ETag"]
    first = api.patch(url, json={"external_ref": "psa-9"}, headers={"If-Match": tag})
    assert first.status_code == 200 and first.json["external_ref"] == "psa-9"
    assert first.headers["ETag"] != tag
    stale = api.patch(url, json={"name": "Acme Corp"}, headers={"If-Match": tag})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    assert api.get(url).json["name"] == "Acme"  # the stale write changed nothing
    assert api.delete(url, headers={"If-Match": tag}).status_code == 412
    assert api.patch(url, json={"name": "Acme Corp"}, headers={"If-Match": first.headers["ETag"]}).status_code == 200
    changes = db.session.execute(db.select(AuditEvent.field, AuditEvent.old_value, AuditEvent.new_value)
                                 .filter_by(action="organization.update").order_by(AuditEvent.id)).all()
    assert changes == [("external_ref", None, "psa-9"), ("name", "Acme", "Acme Corp")]
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_idempotency_key_replays_the_first_answer(api):
    headers = {"Idempotency-Key": "create-acme-1"}
    first = api.post("/api/v1/organizations", json={"name": "Acme"}, headers=headers)
    again = api.post("/api/v1/organizations", json={"name": "Acme"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert org_count() == 1
    other_body = api.post("/api/v1/organizations", json={"name": "Acme 2"}, headers=headers)
    assert other_body.status_code == 422 and other_body.json["errors"][0]["field"] == "Idempotency-Key"
    assert org_count() == 1
    # another token's keys are its own
    assert api.as_role("billing").post("/api/v1/organizations", json={"name": "Acme 2"},
                                       headers=headers).status_code == 201


def test_a_failed_request_keeps_no_key(api):
    headers = {"Idempotency-Key": "k-2"}
    assert api.post("/api/v1/organizations", json={"name": ""}, headers=headers).status_code == 422
    assert db.session.execute(db.select(IdempotencyRecord)).first() is None
    assert api.post("/api/v1/organizations", json={"name": "Fixed"}, headers=headers).status_code == 201


def test_delete_refuses_an_organization_in_use(api, mapped_world):
    contoso = mapped_world["orgs"]["Contoso"]
    response = api.delete(f"/api/v1/organizations/{contoso.id}")
    assert response.status_code == 409 and "vendor customers" in response.json["detail"]


def test_a_retry_while_the_first_is_still_answered_is_409(api):
    headers = {"Idempotency-Key": "k-3"}
    assert api.post("/api/v1/organizations", json={"name": "Acme"}, headers=headers).status_code == 201
    record = db.session.execute(db.select(IdempotencyRecord)).scalar_one()
    record.status_code = None  # as while the first request is being answered
    db.session.commit()
    retry = api.post("/api/v1/organizations", json={"name": "Acme"}, headers=headers)
    assert retry.status_code == 409 and org_count() == 1


def test_409_or_422_follows_the_errors_kind_not_its_wording(app):
    """A clash (a value another row has) is a 409 because of what was raised: a message that happens to say
    "already exists" is still a 422, and a clash worded otherwise is still a 409; with several fields wrong at
    once a clash among them is a 422 (the request is invalid whatever the other rows hold)."""
    from hub.api.problems import taken_or_invalid
    from hub.billing.errors import BillingError, Taken
    from hub.billing.validate import FieldErrors, each_field

    def status(err) -> int:
        return taken_or_invalid(err).code

    assert status(Taken("Code: that code is in use", "code")) == 409
    assert status(BillingError("Memo: 'already exists' is not allowed here", "memo")) == 422

    def clean(key, value):
        if key == "code":
            raise Taken("Code: that code is in use", "code")
        if value == "bad":
            raise BillingError(f"{key}: bad", key)
        return value

    with pytest.raises(FieldErrors) as one:
        each_field({"code": "x", "name": "ok"}, clean)
    assert one.value.taken == {"code"} and status(one.value) == 409
    with pytest.raises(FieldErrors) as two:
        each_field({"code": "x", "name": "bad"}, clean)
    assert status(two.value) == 422 and set(two.value.errors) == {"code", "name"}
