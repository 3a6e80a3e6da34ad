"""Serves a vendor simulator (a WSGI app) on a free loopback port in a background thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    """No access log: the kit reads the log for leaked secrets, and the simulator's own request
    lines (query strings included) are the vendor's side, not the plugin's."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class ServedApp:
    app: Any
    base_url: str
    server: BaseWSGIServer
    thread: threading.Thread
    counter: "_Counter"

    @property
    def request_count(self) -> int:
        """Requests the app has received so far (any path, any answer)."""
        return self.counter.value

    @property
    def faults(self):
        """The app's ``hub.plugins.simulator.Faults`` (AttributeError when it has none)."""
        return self.app.faults

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "ServedApp":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Counter:
    """WSGI middleware counting requests, so a check can tell whether the plugin called the vendor."""

    def __init__(self, app: Any) -> None:
        self.app, self.value = app, 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.value += 1
        return self.app(environ, start_response)


def serve(app: Any, host: str = "127.0.0.1", name: str = "simulator", port: int = 0) -> ServedApp:
    """Start serving ``app`` on ``host`` at ``port`` (0: one the OS picks); ``stop()`` (or ``with``) ends it."""
    counter = _Counter(app)
    server = make_server(host, port, counter, threaded=True, request_handler=_QuietHandler)
    # a short poll interval makes stop() quick; the thread is a daemon so a forgotten stop never hangs exit
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"hub-{name}", daemon=True)
    thread.start()
    return ServedApp(app, f"http://{host}:{server.server_port}", server, thread, counter)
