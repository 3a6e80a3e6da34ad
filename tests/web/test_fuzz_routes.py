"""Every route with hostile input, signed in as admin: no response may be a 5xx (or an unhandled exception).

Walks the app's URL map like the access-table tests. For each route it fills path arguments with hostile
values, then learns which query/form parameters the view reads (a recording ``MultiDict`` notes every
key asked for) and sends each hostile value in all of them at once, then in each one alone on top of the
valid values the route's own GET form shows (so an early field error cannot hide a later field). API
routes also get hostile JSON bodies. Bounded: a few thousand requests through the test client.
"""

from __future__ import annotations

from html.parser import HTMLParser

from flask import Request, url_for
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from hub.extensions import db
from tests.web.access_table import EXPECTED
from tests.web.test_access import _url_args, world  # noqa: F401  (the access tests' world fixture)

# every hostile value a query or form field gets
HOSTILE = (
    "99999999999999999999999",                       # above 2**63: OverflowError in SQL parameters
    "-1", "0",
    "1" * 40,                                        # 40 digits: InvalidOperation in quantize
    "1234567890123456789012345678901234567890.5",
    "0." + "0" * 40 + "1",
    "NaN", "Infinity", "-Infinity", "1e999",
    "Ünï Dup ☃ 名前",
    "a\x00b",
    "x" * 5000,
    "9999-12-31", "0000-00-00", "2026-02-30",
    "<b onmouseover=alert(1)>x</b>",
    "https://",
)
# the ones tried in each field alone (the whole table goes into all fields at once)
HOSTILE_ALONE = ("99999999999999999999999", "-1", "1" * 40, "NaN", "a\x00b", "x" * 5000, "9999-12-31",
                 "0000-00-00")
HOSTILE_PATH_INTS = (2**64, 0, int("1" * 40))
HOSTILE_PATH_TEXT = ("Ünï", "x" * 300, "a b", "..")
HUGE = 2**70
HOSTILE_JSON_BODIES = ([], [1, 2], "text", 12, None, {"a": {"b": []}})
HOSTILE_JSON_VALUES = (HUGE, -HUGE, 1e308, "NaN", "1" * 40, [], {}, None, True, "x" * 5000)

_NO_JSON = object()
SKIPPED = {"static", "auth.logout"}  # logout ends the admin's session (its own tests cover it)


class _Seen:
    keys: set[str] = set()


class RecordingDict(ImmutableMultiDict):
    """A request's args/form that notes every key a view reads."""

    def __getitem__(self, key):
        _Seen.keys.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        _Seen.keys.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        _Seen.keys.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        _Seen.keys.add(key)
        return super().__contains__(key)

    def to_dict(self, flat=True):
        return _RecordingPlain(super().to_dict(flat))


class _RecordingPlain(dict):
    def get(self, key, default=None):
        _Seen.keys.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        _Seen.keys.add(key)
        return super().__getitem__(key)


class RecordingRequest(Request):
    parameter_storage_class = RecordingDict


class _FormValues(HTMLParser):
    """Name -> value of the inputs, selects (selected or first option) and textareas of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.values.setdefault(name, a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


class Fuzzer:
    def __init__(self, app, client) -> None:
        self.app, self.client = app, client
        self.failures: list[str] = []
        self.requests = 0

    def send(self, method: str, url: str, params: dict | None = None, json=_NO_JSON) -> set[str]:
        """One request; returns the parameter keys the view read. Notes any 5xx or exception."""
        _Seen.keys = set()
        if json is not _NO_JSON:
            kwargs = {"json": json}
        else:
            kwargs = {"query_string" if method == "GET" else "data": params or {}}
        self.requests += 1
        try:
            response = self.client.open(url, method=method, **kwargs)
        except Exception as err:  # the test client re-raises what a server would turn into a 500
            self.failures.append(f"{method} {url} {_short(params if json is _NO_JSON else json)}: {type(err).__name__}: {err}"[:400])
            db.session.rollback()  # the next request shares this test's session
        else:
            if response.status_code >= 500:
                self.failures.append(f"{method} {url} {_short(params if json is _NO_JSON else json)}: {response.status_code}")
        return set(_Seen.keys)

    def baseline(self, url: str) -> dict[str, str]:
        """The values the route's own form shows (valid ones, mostly)."""
        response = self.client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            return {}
        parser = _FormValues()
        parser.feed(response.get_data(as_text=True))
        parser.values.pop("csrf_token", None)
        return parser.values

    def route(self, endpoint: str, method: str, url_args: dict) -> None:
        with self.app.test_request_context():
            url = url_for(endpoint, **url_args)
        self._path_arguments(endpoint, method, url_args)
        keys = self.send(method, url)
        for value in HOSTILE:  # every field hostile at once; views read more keys once others are given
            keys |= self.send(method, url, {k: value for k in keys})
        base = self.baseline(url) if method == "POST" and ("GET" in self._methods(endpoint)) else {}
        for key in sorted(keys):
            for value in HOSTILE_ALONE:
                self.send(method, url, {**base, key: value})
        if url.startswith("/api/") and method == "POST":
            for body in HOSTILE_JSON_BODIES:
                self.send(method, url, json=body)
            for key in sorted(keys):
                for value in HOSTILE_JSON_VALUES:
                    self.send(method, url, json={key: value})
                self.send(method, url, json={key: [{k: HUGE for k in keys | {"customer_id", "organization_id"}}]})

    def _methods(self, endpoint: str) -> set[str]:
        return {m for r in self.app.url_map.iter_rules() if r.endpoint == endpoint for m in r.methods}

    def _path_arguments(self, endpoint: str, method: str, url_args: dict) -> None:
        rule = next(r for r in self.app.url_map.iter_rules() if r.endpoint == endpoint)
        for name in sorted(rule.arguments):
            numeric = isinstance(rule._converters[name], IntegerConverter)
            for value in HOSTILE_PATH_INTS if numeric else HOSTILE_PATH_TEXT:
                with self.app.test_request_context():
                    url = url_for(endpoint, **{**url_args, name: value})
                self.send(method, url)


def _short(params) -> str:
    text = repr(params)
    return text if len(text) < 160 else text[:160] + "..."


def _ordered_routes():
    """Reads first, then changes, destructive ones last (they may remove the objects other routes use)."""
    destructive = ("delete", "remove", "void", "disable", "dismiss", "confirm")
    routes = [r for r in EXPECTED if r[0] not in SKIPPED]
    return sorted(routes, key=lambda r: (r[1] != "GET", any(word in r[0] for word in destructive), r))


def test_no_route_answers_hostile_input_with_a_5xx(app, client, auth, world):
    app.request_class = RecordingRequest
    auth.login("admin")
    fuzzer = Fuzzer(app, client)
    for endpoint, method in _ordered_routes():
        fuzzer.route(endpoint, method, _url_args(app, endpoint, world))
    assert fuzzer.requests > 1000  # the walk really ran
    assert not fuzzer.failures, f"{len(fuzzer.failures)} of {fuzzer.requests} requests failed:\n" + "\n".join(
        fuzzer.failures)
