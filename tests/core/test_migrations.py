"""Alembic migrations: ``hub db upgrade`` on an empty database builds exactly the models' schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from hub import MIGRATIONS_DIR, create_app
from hub.extensions import db
from hub.testing.databases import throwaway_database
from tests.conftest import make_test_config


@pytest.fixture
def empty_database_url(tmp_path, database_url):
    """A database with no tables: a new SQLite file, or a new PostgreSQL database next to the test one."""
    if database_url is None:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    with throwaway_database(database_url, "hub_migrations") as url:
        yield url


@pytest.fixture
def migrated_app(tmp_path, empty_database_url):
    app = create_app(make_test_config(tmp_path, None, SQLALCHEMY_DATABASE_URI=empty_database_url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def schema_diffs(metadata) -> list:
    """What autogenerate would put in a new migration (as ``hub db check`` compares)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


def test_upgrade_builds_exactly_the_models_schema(migrated_app):
    runner = migrated_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with migrated_app.app_context():
        diffs = schema_diffs(db.metadata)
        assert diffs == [], f"models and migrations differ; run `hub db migrate`: {diffs}"
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    again = runner.invoke(args=["db", "upgrade"])  # nothing left to do
    assert again.exit_code == 0, again.output


def test_the_comparison_catches_a_model_change_without_migration(migrated_app):
    """The check above is not vacuous: a column or table added to a model shows up as a difference."""
    migrated_app.test_cli_runner().invoke(args=["db", "upgrade"])
    changed = sa.MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["organizations"].append_column(sa.Column("phone", sa.String(40)))
    sa.Table("newly_modelled", changed, sa.Column("id", sa.Integer, primary_key=True))
    with migrated_app.app_context():
        kinds = {(d[0], getattr(d[-1], "name", None) if d[0] == "add_column" else d[1].name)
                 for d in schema_diffs(changed)}
    assert kinds == {("add_column", "phone"), ("add_table", "newly_modelled")}


def test_downgrade_to_base_removes_every_table(migrated_app):
    runner = migrated_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    with migrated_app.app_context():
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_serve_migrates_the_embedded_database_on_first_start(migrated_app, monkeypatch):
    import socket

    import werkzeug.serving

    class Listening:  # a server that returns at once instead of serving
        def serve_forever(self):
            served.append("served")

        def server_close(self):
            pass

    served = []
    with socket.socket() as probe:  # a port free right now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(werkzeug.serving, "make_server",
                        lambda host, port, app, **kw: served.append((host, port)) or Listening())
    result = migrated_app.test_cli_runner().invoke(args=["serve", "--no-scheduler", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert served == [("127.0.0.1", port), "served"]
    assert f"running at http://127.0.0.1:{port}/" in result.output
    with migrated_app.app_context():
        assert schema_diffs(db.metadata) == []
