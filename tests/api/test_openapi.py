"""The OpenAPI document: 3.1, public, every API route in it, and the shared conventions declared."""

from __future__ import annotations

import re


def _path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_api_route_is_documented(app, client):
    response = client.get("/api/v1/openapi.json")  # no token needed to read the document
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops if method != "parameters"}
    routes = {(_path(rule.rule), method) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") and rule.endpoint not in ("api_openapi", "api_docs")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    for path, method in documented:
        responses = spec["paths"][path][method.lower()]["responses"]
        assert {"401", "403", "429"} <= set(responses), (path, method)
    create = spec["paths"]["/api/v1/organizations"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    patch = spec["paths"]["/api/v1/organizations/{organization_id}"]["patch"]
    assert "If-Match" in [p["name"] for p in patch["parameters"]] and "412" in patch["responses"]
    problem = spec["components"]["responses"]["UNAUTHORIZED"]["content"]
    assert list(problem) == ["application/problem+json"]


def test_unknown_routes_and_methods_are_problems(api):
    missing = api.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong = api.put("/api/v1/organizations", json={})
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert wrong.json["status"] == 405
    huge = api.get(f"/api/v1/organizations/{2**40}")
    assert huge.status_code == 404  # ids past 32 bits name nothing (and never reach the database)
