"""Database housekeeping: migrations from code, and the test-time shortcut."""

from __future__ import annotations

import logging

from flask_migrate import upgrade

from hub import MIGRATIONS_DIR

log = logging.getLogger("hub.db")


def upgrade_database() -> None:
    """Apply every Alembic migration (inside an app context)."""
    upgrade(directory=MIGRATIONS_DIR)
