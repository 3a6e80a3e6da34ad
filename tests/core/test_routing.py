"""URL rules with builders compiled on first use build exactly what werkzeug's own rules build."""

from __future__ import annotations

import pytest
from flask import Flask, url_for
from werkzeug.routing import Rule

from hub.routing import LazyBuilderRule, url_rule_class


def routed_app(rule_class) -> Flask:
    app = Flask(__name__)
    app.url_rule_class = rule_class
    app.add_url_rule("/plain", "plain", lambda: "")
    app.add_url_rule("/items/<int:item_id>", "item", lambda item_id: "")
    def page(page):
        return ""

    app.add_url_rule("/pages/", "page", page, defaults={"page": 1})
    app.add_url_rule("/pages/<int:page>", "page", page)
    app.add_url_rule("/files/<path:name>", "file", lambda name: "")
    return app


CALLS = [("plain", {}), ("plain", {"q": "a b", "n": 2}), ("item", {"item_id": 7}), ("item", {"item_id": 7, "x": "é"}),
         ("page", {}), ("page", {"page": 1}), ("page", {"page": 3}), ("file", {"name": "a/b c.css"}),
         ("item", {"item_id": 7, "_external": True})]


@pytest.mark.parametrize(("endpoint", "values"), CALLS)
def test_lazy_rules_build_what_werkzeug_builds(endpoint, values):
    built = []
    for rule_class in (Rule, LazyBuilderRule):
        app = routed_app(rule_class)
        with app.test_request_context():
            built.append(url_for(endpoint, **values))
    assert built[0] == built[1]


def test_the_hub_uses_them_and_matching_is_unchanged():
    assert url_rule_class() is LazyBuilderRule
    adapter = routed_app(LazyBuilderRule).url_map.bind("hub.example")
    assert adapter.match("/items/7") == ("item", {"item_id": 7})
    assert adapter.match("/pages/") == ("page", {"page": 1})
