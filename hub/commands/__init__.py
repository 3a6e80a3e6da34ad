"""CLI commands, one module per topic, attached to ``app.cli`` in ``create_app``."""

from flask import Flask


def register(app: Flask) -> None:
    from . import billing, delivery, integrations, serve, sync, users

    for module in (serve, integrations, sync, users, billing, delivery):
        module.register(app)
