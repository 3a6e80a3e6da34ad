"""Response-shape fuzzing: a WSGI middleware that spoils one JSON answer of the simulator the way a
vendor's answers go wrong (a field removed, set to null, of another type, an unknown one added).

``ShapeFuzzer(app)`` passes answers through untouched until ``arm(mutation)``; then the mutation's
``answer``-th JSON answer (counted from the arming) is decoded, changed at one place and re-encoded.
The kit's ``spoiled_answers_never_crash_or_lie`` check drives it (``hub/testing/checks/fuzz.py``).
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from typing import Any, Iterator

KINDS = ("remove", "null", "retype", "unknown_field")
#: a value of another JSON type for each type a field may hold
_OTHER_TYPE = {str: 12345, bool: "unknown", int: "twelve", float: "1.5e", type(None): {"x": 1}, list: {"items": 1},
               dict: ["x"]}


@dataclass(frozen=True)
class Mutation:
    kind: str
    #: which JSON answer (0: the first after arming) to spoil
    answer: int
    #: a number that picks the place in that answer (taken modulo the places it has)
    place: int

    def describe(self, path: str | None) -> str:
        what = {"remove": "removed", "null": "set to null", "retype": "given another type",
                "unknown_field": "given an unknown extra field"}[self.kind]
        return f"JSON answer #{self.answer + 1}: {path or '(no place)'} {what}"


def mutations(runs: int, answers: int, seed: int) -> list[Mutation]:
    """``runs`` mutations spread over the kinds and over ``answers`` JSON answers, reproducibly."""
    rng = random.Random(seed)
    return [Mutation(KINDS[i % len(KINDS)], rng.randrange(max(1, answers)), rng.randrange(1 << 30))
            for i in range(runs)]


def places(value: Any, path: str = "$") -> Iterator[tuple[str, Any, Any]]:
    """(path, container, key) of every field and list item, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", value, key
            yield from places(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{path}[{index}]", value, index
            yield from places(item, f"{path}[{index}]")


def spoil(body: Any, mutation: Mutation) -> str | None:
    """Apply ``mutation`` to ``body`` in place; the path it changed (None when the body has no place)."""
    if mutation.kind == "unknown_field":
        objects = [body] if isinstance(body, dict) else []
        objects += [c[k] for _, c, k in places(body) if isinstance(c[k], dict)]
        if not objects:
            return None
        target = objects[mutation.place % len(objects)]
        target["zz_unknown_field"] = {"added": "by the kit"}
        return "an object"
    found = list(places(body))
    if mutation.kind == "remove":
        # only fields: an item missing from a list is a listing cut short, which nothing in the
        # answer can reveal unless the API reports totals (listing_short_of_its_total_is_an_error)
        found = [place for place in found if isinstance(place[1], dict)]
    if not found:
        return None
    path, container, key = found[mutation.place % len(found)]
    if mutation.kind == "remove":
        del container[key]
    elif mutation.kind == "null":
        container[key] = None
    else:
        container[key] = _OTHER_TYPE.get(type(container[key]), None)
    return path


class ShapeFuzzer:
    """WSGI middleware around a simulator app; ``faults`` and other attributes pass through."""

    def __init__(self, app) -> None:
        self.app = app
        self.mutation: Mutation | None = None
        self.seen = 0
        self.applied: str | None = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    def arm(self, mutation: Mutation | None) -> None:
        with self._lock:
            self.mutation, self.seen, self.applied = mutation, 0, None

    def __call__(self, environ, start_response):
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        headers = list(captured["headers"])
        if captured["status"].startswith("200") and "json" in dict(headers).get("Content-Type", "").lower():
            body = self._maybe_spoil(body)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers)
        return [body]

    def _maybe_spoil(self, body: bytes) -> bytes:
        try:
            decoded = json.loads(body)
        except ValueError:
            return body  # already broken (Faults.malformed): not ours to spoil further
        with self._lock:
            index, self.seen = self.seen, self.seen + 1
            mutation = self.mutation
            if mutation is None or index != mutation.answer:
                return body
            path = spoil(decoded, mutation)
            self.applied = mutation.describe(path) if path else None
        return json.dumps(decoded).encode() if path else body
