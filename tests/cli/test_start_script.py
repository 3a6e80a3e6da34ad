"""Start-up that respects the reader: a taken port fails fast, before any set-up, naming the port
and its holder; the sign-in block is one frame printed once the server listens."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from hub import create_app
from hub.commands.serve import ready_block
from tests.conftest import make_test_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_port():
    """A port this test process listens on (so the holder named is this very process)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        yield holder.getsockname()[1]


def test_start_script_fails_fast_on_a_busy_port_before_any_set_up(tmp_path, busy_port):
    instance = tmp_path / "instance"
    env = dict(os.environ, HUB_INSTANCE_PATH=str(instance))
    result = subprocess.run([str(ROOT / "scripts" / "start.sh"), "--port", str(busy_port)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"port {busy_port}" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr  # who holds it
    assert "--port" in result.stderr  # what to do about it
    assert "installing" not in result.stdout
    assert not instance.exists()  # nothing installed, migrated or set up


def test_hub_serve_demo_on_a_busy_port_fails_before_migrating_or_starting_simulators(tmp_path, busy_port):
    database = tmp_path / "fresh.sqlite3"
    app = create_app(make_test_config(tmp_path, f"sqlite:///{database}"))
    result = app.test_cli_runner().invoke(args=["serve", "--demo", "--no-scheduler", "--port", str(busy_port)])
    assert result.exit_code == 6, result.output
    assert f"port {busy_port} on 127.0.0.1 is not available" in result.output
    assert "demo" not in app.extensions and "hub.demo.simulators" not in app.extensions
    assert not database.exists()  # not even migrated


def test_the_ready_block_is_one_frame_with_address_user_password_and_how_to_stop():
    block = ready_block("http://127.0.0.1:5000/", "admin@demo.local", "s3cret-pass", Path("/x/hub.log"))
    lines = block.splitlines()
    assert lines[0] == lines[-1] and set(lines[0]) == {"+", "-"}
    assert all(line.startswith("| ") and line.endswith(" |") and len(line) == len(lines[0]) for line in lines[1:-1])
    text = "\n".join(lines)
    for wanted in ("http://127.0.0.1:5000/", "admin@demo.local", "s3cret-pass", "Ctrl+C", "/x/hub.log"):
        assert wanted in text


def test_the_ready_block_of_a_hub_without_users_says_how_to_make_the_first_admin():
    block = ready_block("http://127.0.0.1:5000/", None, None, None, no_users=True)
    assert "hub user create --email" in block and "--role admin" in block
