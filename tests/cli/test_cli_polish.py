"""The ``hub`` command for scripts: plugin schemas in ``--json``, documented exit statuses, quiet ordinary
commands, and read-only commands that write nothing to disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from marshmallow import Schema, fields, validate

from hub.plugins import hookimpl
from tests.fakes.fake_vendor import FakeVendor

HUB = str(Path(sys.executable).with_name("hub"))


class RichConfig(Schema):
    base_url = fields.Url(required=True, metadata={"description": "Your console's address"})
    api_key = fields.String(load_default="never-shown", metadata={"secret": True})
    region = fields.String(load_default="eu", validate=validate.OneOf(["eu", "us"]))
    page_size = fields.Integer(load_default=100, metadata={"title": "Page size"})
    ratio = fields.Float()
    verify_tls = fields.Boolean(load_default=True)
    tags = fields.List(fields.String())


class RichVendor(FakeVendor):
    @hookimpl
    def hub_vendor_info(self):
        info = FakeVendor.hub_vendor_info(self)
        from dataclasses import replace
        return replace(info, config_schema=RichConfig)


def test_plugins_json_includes_each_configuration_schema(app, runner):
    app.extensions["hub.plugins"].register(RichVendor("rich"), "rich")
    rows = json.loads(runner.invoke(args=["plugins", "--json"]).output)
    (rich,) = [r for r in rows if r["name"] == "rich"]
    schema = {f["name"]: f for f in rich["config_schema"]}
    assert list(schema) == ["base_url", "api_key", "region", "page_size", "ratio", "verify_tls", "tags"]
    assert schema["base_url"] == {"name": "base_url", "type": "url", "required": True, "secret": False,
                                  "default": None, "label": "Base url", "help": "Your console's address",
                                  "choices": None}
    assert (schema["api_key"]["type"], schema["api_key"]["secret"], schema["api_key"]["default"]) == (
        "string", True, None)  # a secret's default is never printed
    assert (schema["region"]["choices"], schema["region"]["default"]) == (["eu", "us"], "eu")
    assert (schema["page_size"]["type"], schema["page_size"]["default"], schema["page_size"]["label"]) == (
        "integer", 100, "Page size")
    assert [schema[n]["type"] for n in ("ratio", "verify_tls", "tags")] == ["number", "boolean", "json"]
    table = runner.invoke(args=["plugins"]).output
    assert "config_schema" not in table and "base_url" not in table  # the table stays one line per plugin


def test_usage_errors_exit_2(runner, app_ctx):
    for args in (["sync"], ["customers"], ["runs", "--limit", "many"], ["plugins", "--nope"], ["sync", "--bogus"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2, (args, result.output)


def _hub(*args, cwd: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_INSTANCE_PATH": str(cwd / "instance")}, **(env_extra or {}))
    return subprocess.run([HUB, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_read_only_commands_write_nothing_and_say_nothing_on_stderr(tmp_path):
    for args in (["plugins"], ["plugins", "--json"], ["--help"], ["sync", "--help"], ["integration", "--help"]):
        result = _hub(*args, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == "", (args, result.stderr)
        assert _files(tmp_path) == [], args  # no instance folder, no key file, no database
    assert "acronis" in _hub("plugins", cwd=tmp_path).stdout  # the real entry points were loaded


def test_migrating_prints_no_alembic_lines_and_the_keys_appear_on_first_use(tmp_path):
    upgraded = _hub("db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "alembic" not in upgraded.stderr.lower() and "INFO" not in upgraded.stderr, upgraded.stderr
    assert _files(tmp_path) == ["instance", "instance/hub.sqlite3"]
    listed = _hub("integration", "list", cwd=tmp_path)
    assert (listed.returncode, listed.stderr) == (0, "")
    # storing a credential needs the encryption key: generated then, owner-only
    configured = _hub("integration", "configure", "acronis", "--set", "base_url=https://x.example",
                      "--set", "client_id=a", "--set", "client_secret=b", "--skip-test", cwd=tmp_path)
    assert configured.returncode == 0, configured.stderr
    key = tmp_path / "instance" / "encryption.key"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600
