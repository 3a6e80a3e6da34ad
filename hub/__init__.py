"""Universal billing hub for MSPs: vendor license counts to recurring invoices."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build one hub app. ``test_config`` replaces the instance config and environment (tests)."""
    from flask import Flask  # here, not at the top: ``import hub.plugins`` (plugins, pytest) needs no Flask

    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("HUB_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True,
                instance_path=str(Path(instance_path).resolve()) if instance_path else None)
    from hub.routing import url_rule_class

    app.url_rule_class = url_rule_class()  # URL builders compiled when first used (see hub.routing)

    from hub.config import KeyedSessionInterface, ensure_secret_key, load_config

    load_config(app, test_config)
    level = app.config.get("HUB_LOG_LEVEL", "INFO")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if str(level).upper() != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)  # no migration chatter on ordinary commands
    app.session_interface = KeyedSessionInterface()  # the first request's session needs the key already
    app.before_request(ensure_secret_key)  # first: CSRF needs the key (a request that opens no session)

    from hub.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _make_instance_folder_on_connect(app, db)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from hub import models  # noqa: F401  (every table known before the first query)
    from hub.plugin_host import build_registry
    from hub.security.secrets import SecretBox

    if app.config.get("HUB_ENCRYPTION_KEYS"):  # checked now; a generated key file waits for first use
        app.extensions["hub.secrets"] = SecretBox(str(app.config["HUB_ENCRYPTION_KEYS"]).split(","))
    app.extensions["hub.plugins"] = build_registry(app.config)

    from hub.billing import init_app as init_billing
    from hub.cli import register_commands
    from hub.delivery import init_app as init_delivery
    from hub.web import init_app as init_web
    from hub.webhooks import init_app as init_webhooks

    init_billing(app)
    init_webhooks(app)
    init_delivery(app)
    from hub.destinations import init_app as init_destinations

    init_destinations(app)
    init_web(app)
    from hub.api import init_app as init_api

    init_api(app)
    register_commands(app)

    if app.config.get("HUB_SCHEDULER"):
        from hub.sync.jobs import start_scheduler

        start_scheduler(app)
    return app


def _make_instance_folder_on_connect(app: Flask, db) -> None:
    """The embedded SQLite file lives in the instance folder: made when the database is first opened."""
    from sqlalchemy import event

    folder = Path(app.instance_path)
    with app.app_context():
        event.listen(db.engine, "do_connect", lambda *_: folder.mkdir(parents=True, exist_ok=True))
        if app.config.get("HUB_SQLITE_WAL", True):
            event.listen(db.engine, "connect", _write_ahead_log)


def _write_ahead_log(dbapi_connection, _record) -> None:
    """WAL: the panel's reads never wait for a sync's write, nor a sync's commit for a long report (one
    writer, many readers); NORMAL sync is durable with WAL but for the last commits before a power cut.
    A file in memory ignores it ("memory")."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
