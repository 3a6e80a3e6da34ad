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


def _as_werkzeug_parses_it(rule, map_):
    plain = Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods, defaults=rule.defaults,
                 subdomain=rule.subdomain, host=rule.host, strict_slashes=rule.strict_slashes,
                 merge_slashes=rule.merge_slashes)
    map_.add(plain)
    return plain


def _parsed(rule):
    return (rule._parts, rule._trace, sorted(rule.arguments),
            {name: (type(c), c.regex, c.weight, c.part_isolating) for name, c in rule._converters.items()})


def test_every_hub_rule_parses_as_werkzeug_parses_it_on_a_second_app_too(tmp_path):
    """The second app's rules come from the parse cache: they equal werkzeug's own parse, converters and all,
    and their converters are bound to their own map."""
    from werkzeug.routing import Map

    from hub import create_app
    from tests.conftest import make_test_config

    for n in range(2):
        app = create_app(make_test_config(tmp_path / str(n), None))
    reference = Map(converters=dict(app.url_map.converters))
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 200
    for rule in rules:
        assert _parsed(rule) == _parsed(_as_werkzeug_parses_it(rule, reference)), rule.rule
        assert all(c.map is app.url_map for c in rule._converters.values()), rule.rule
    adapter = app.url_map.bind("hub.example")
    assert adapter.match("/billing/recurring/7")[1] == {"recurring_id": 7}
