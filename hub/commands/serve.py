"""``hub serve``: start the hub (migrating the embedded database first), optionally in demo mode.

The port is checked before any set-up (a taken port fails in a second, naming its holder), and the
sign-in block is printed once the socket is listening, so the address it shows really answers.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import Flask, current_app
from werkzeug.serving import WSGIRequestHandler


class HubRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, calling itself "hub": its own Server header names Werkzeug and the
    Python version, and it sends that header itself (an app's Server header would be a second one)."""

    def version_string(self) -> str:
        return "hub"


FIRST_ADMIN_COMMAND = "hub user create --email you@example.com --role admin"


def ready_block(url: str, user: str | None, password: str | None, log_file: Path | None,
                no_users: bool = False) -> str:
    """The one framed block a person needs: where, who, how to stop (and where the log went)."""
    lines = [f"MSP Billing Hub is running at {url}"]
    if user:
        lines += [f"  user:      {user}", f"  password:  {password}"]
    elif no_users:
        lines += ["  No user yet: create the first admin (another terminal, same folder):",
                  f"  .venv/bin/{FIRST_ADMIN_COMMAND}"]
    if log_file:
        lines.append(f"  log:       {log_file}")
    lines.append("Stop it with Ctrl+C.")
    width = max(map(len, lines))
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule] + [f"| {line.ljust(width)} |" for line in lines] + [rule])


def quiet_console_logging(app: Flask) -> Path:
    """Demo mode: the console shows warnings only, everything goes to ``hub.log`` in the instance folder,
    so request lines never scroll the sign-in block away."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    log_file = Path(app.instance_path) / "hub.log"
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setLevel(logging.WARNING)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(to_file)
    return log_file


def register(app: Flask) -> None:
    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=5000, show_default=True, type=int)
    @click.option("--demo", is_flag=True, help="Enable every plugin against its bundled simulator, with demo data.")
    @click.option("--scheduler/--no-scheduler", default=True, show_default=True,
                  help="Run the sync scheduler in this process.")
    def serve_command(host: str, port: int, demo: bool, scheduler: bool) -> None:
        """Start the hub's web panel (and scheduler) on HOST:PORT."""
        from werkzeug.serving import make_server

        from hub.cli import CommandFailed
        from hub.dbutil import upgrade_database
        from hub.serving_port import port_problem
        from hub.web.users import any_user

        problem = port_problem(host, port)
        if problem:
            raise CommandFailed(problem)
        flask_app = current_app._get_current_object()
        log_file = quiet_console_logging(flask_app) if demo else None
        upgrade_database()
        user = password = None
        if demo:
            from hub.demo import DEMO_ADMIN, start_demo

            password = start_demo(flask_app).password
            user = DEMO_ADMIN
        if scheduler:
            from hub.sync.jobs import start_scheduler

            start_scheduler(flask_app)
        try:
            server = make_server(host, port, flask_app, threaded=True, request_handler=HubRequestHandler)
        except OSError as err:  # taken during set-up after all
            raise CommandFailed(f"port {port} on {host} is not available: {err.strerror or err}") from None
        click.echo(ready_block(f"http://{host}:{port}/", user, password, log_file, no_users=not demo and not any_user()))
        try:
            server.serve_forever()
        except KeyboardInterrupt:  # pragma: no cover - interactive
            pass
        finally:
            server.server_close()
