"""docs/webhooks.md and docs/api.md stay true: their receiver examples verify what the hub really sends,
and every event type is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.timeutil import utcnow
from hub.webhooks.catalog import EVENT_TYPES
from hub.webhooks.signing import new_secret, signed_headers

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOC = (DOCS / "webhooks.md").read_text()


def _receiver_example(secret: str, doc: str = DOC) -> dict:
    code = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    namespace: dict = {"__name__": __name__}  # Flask(__name__) finds its root path through it
    exec(code.replace('"whsec_..."', repr(secret)), namespace)  # noqa: S102 - our own documentation
    return namespace


@pytest.mark.parametrize("name", ["webhooks.md", "api.md"])
def test_the_documented_receiver_accepts_a_real_delivery_once_and_refuses_a_forgery(name):
    secret = new_secret()
    client = _receiver_example(secret, (DOCS / name).read_text())["app"].test_client()
    body = '{"type":"quantity.held","timestamp":"2026-12-02T06:00:00Z","data":{"change_id":4}}'
    headers = signed_headers([secret], "msg_1", body, utcnow())
    assert client.post("/hub-events", data=body, headers=headers).status_code == 204
    assert client.post("/hub-events", data=body, headers=headers).status_code == 204  # a retry: dropped
    forged = signed_headers([new_secret()], "msg_2", body, utcnow())
    assert client.post("/hub-events", data=body, headers=forged).status_code == 401
    assert client.post("/hub-events", data=body.replace("4", "5"), headers=headers).status_code == 401


def test_every_event_type_is_documented():
    missing = [t for t in EVENT_TYPES if f"`{t}`" not in DOC]
    assert missing == []
