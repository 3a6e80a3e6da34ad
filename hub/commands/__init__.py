"""CLI commands, one module per topic, attached to ``app.cli`` in ``create_app``."""

from flask import Flask


def register(app: Flask) -> None:
    from . import billing, integrations, serve, sync, users, webhooks

    for module in (serve, integrations, sync, users, billing, webhooks):
        module.register(app)
