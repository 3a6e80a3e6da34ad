"""A real webhook receiver on 127.0.0.1: verifies every request with the Standard Webhooks library.

Used by the webhook tests and ``benchmarks/webhooks.py``. ``fail_first`` makes it answer 500 to the
first N requests of each ``webhook-id``; ``status`` answers every request with that code.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    msg_id: str
    type: str
    data: dict
    verified: bool
    answered: int
    headers: dict


class Receiver:
    def __init__(self, secret: str | None = None, fail_first: int = 0, status: int = 200,
                 keep: bool = True) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.status = status
        self.keep = keep  # the benchmark only counts
        self.requests: list[Received] = []
        self.count = 0
        self.tries: dict[str, int] = {}
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: self.count >= count, timeout)

    def ids(self) -> list[str]:
        return [r.msg_id for r in self.requests]

    def _answer(self, body: bytes, headers: dict) -> int:
        verified = False
        try:
            payload = Webhook(self.secret).verify(body, headers) if self.secret else json.loads(body)
            verified = bool(self.secret)
        except WebhookVerificationError:
            payload = json.loads(body)
        msg_id = headers.get("webhook-id", "")
        with self.arrived:
            self.tries[msg_id] = self.tries.get(msg_id, 0) + 1
            code = 500 if self.tries[msg_id] <= self.fail_first else self.status
            if self.secret and not verified:
                code = 401
            if self.keep:
                self.requests.append(Received(msg_id, payload.get("type"), payload.get("data"), verified, code,
                                              headers))
            self.count += 1
            self.arrived.notify_all()
        return code

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do
            disable_nagle_algorithm = True  # headers and body go out at once (no delayed-ACK stall)

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                code = receiver._answer(body, {k.lower(): v for k, v in self.headers.items()})
                answer = b'{"ok":true}' if code < 300 else b"nope " * 400  # long: only an excerpt is kept
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args) -> None:
                pass

        return Handler
