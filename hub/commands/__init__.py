"""CLI commands, one module per topic, attached to ``app.cli`` in ``create_app``."""

from flask import Flask


def register(app: Flask) -> None:
    from . import (backup, billing, delivery, destinations, imports, integrations, plugin_author, serve, sync, tokens,
                   users, webhooks)

    for module in (serve, integrations, imports, sync, users, tokens, billing, delivery, destinations, backup,
                   plugin_author, webhooks):
        module.register(app)
