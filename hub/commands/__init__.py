"""CLI commands, one module per topic, attached to ``app.cli`` in ``create_app``."""

from flask import Flask


def register(app: Flask) -> None:
    from . import integrations, serve, sync

    for module in (serve, integrations, sync):
        module.register(app)
