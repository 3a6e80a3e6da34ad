"""CLI commands, one module per topic, attached to ``app.cli`` in ``create_app``."""

from flask import Flask


def register(app: Flask) -> None:
    from . import billing, destinations, integrations, serve, sync, users

    for module in (serve, integrations, sync, users, billing, destinations):
        module.register(app)
