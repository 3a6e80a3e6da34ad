"""``hub serve``: start the hub (migrating the embedded database first), optionally in demo mode."""

from __future__ import annotations

import click
from flask import Flask, current_app
from werkzeug.serving import WSGIRequestHandler


class HubRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, calling itself "hub": its own Server header names Werkzeug and the
    Python version, and it sends that header itself (an app's Server header would be a second one)."""

    def version_string(self) -> str:
        return "hub"


def register(app: Flask) -> None:
    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--demo", is_flag=True, help="Enable every plugin against its bundled simulator, with demo data.")
    @click.option("--scheduler/--no-scheduler", default=True, show_default=True,
                  help="Run the sync scheduler in this process.")
    def serve_command(host: str, port: int, demo: bool, scheduler: bool) -> None:
        """Start the hub's web panel (and scheduler) on HOST:PORT."""
        from werkzeug.serving import run_simple

        from hub.dbutil import upgrade_database

        flask_app = current_app._get_current_object()
        upgrade_database()
        if demo:
            from hub.demo import start_demo

            start_demo(flask_app)
        if scheduler:
            from hub.sync.jobs import start_scheduler

            start_scheduler(flask_app)
        click.echo(f"hub: serving on http://{host}:{port}/")
        run_simple(host, port, flask_app, threaded=True, use_reloader=False, request_handler=HubRequestHandler)
