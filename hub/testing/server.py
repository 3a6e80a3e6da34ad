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


def serve(app: Any, host: str = "127.0.0.1", name: str = "simulator") -> ServedApp:
    """Start serving ``app`` on ``host`` at a port the OS picks; ``stop()`` (or ``with``) ends it."""
    server = make_server(host, 0, app, threaded=True, request_handler=_QuietHandler)
    # a short poll interval makes stop() quick; the thread is a daemon so a forgotten stop never hangs exit
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"hub-{name}", daemon=True)
    thread.start()
    return ServedApp(app, f"http://{host}:{server.server_port}", server, thread)
