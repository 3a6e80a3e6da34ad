"""The web panel: blueprints, sign-in and roles."""

from flask import Flask


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}
