"""CLI commands, one module per topic, attached to ``app.cli`` in ``create_app``."""

from flask import Flask


def register(app: Flask) -> None:
    from . import backup, billing, imports, integrations, plugin_author, serve, sync, users

    for module in (serve, integrations, imports, sync, users, billing, backup, plugin_author):
        module.register(app)
