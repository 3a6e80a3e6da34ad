"""Installable without a checkout: the hub's wheel in a fresh virtualenv gives a working hub and kit.

Builds the hub's wheel, installs it with the ``kit`` extra into a new venv, scaffolds ``hub plugin new
acme`` there, installs that, runs its conformance kit green, then serves its simulator with
``hub simulator`` and syncs it through the CLI (``hub db upgrade``, ``hub integration configure``,
``hub sync``). About a minute and a package index are needed, so it runs only with HUB_TEST_WHEELS=1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.environ.get("HUB_TEST_WHEELS") != "1",
                                reason="builds wheels and a venv (about a minute, needs a package index): "
                                       "set HUB_TEST_WHEELS=1")


def run(*args, cwd=None, env=None, timeout=600) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_wheel_gives_a_hub_whose_scaffold_passes_the_kit_and_syncs(tmp_path):
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "wheels", ROOT)
    wheel = next((tmp_path / "wheels").glob("msp_billing_hub-*.whl"))
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    bin_ = venv / "bin"
    run(bin_ / "pip", "install", "-q", f"{wheel}[kit]")

    work = tmp_path / "work"
    work.mkdir()
    from cryptography.fernet import Fernet

    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite:///{work / 'hub.db'}", "HUB_SECRET_KEY": "wheel-test",
           "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    env.pop("HUB_TEST_DATABASE_URL", None)
    assert "created" in run(bin_ / "hub", "plugin", "new", "acme", "--dir", work, cwd=work, env=env)
    run(bin_ / "pip", "install", "-q", "-e", work / "hub-acme")
    kit = run(bin_ / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=work / "hub-acme", env=env)
    assert " passed" in kit and "failed" not in kit, kit

    port = free_port()
    simulator = subprocess.Popen([str(bin_ / "hub"), "simulator", "acme", "--port", str(port)], cwd=work, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        run(bin_ / "hub", "db", "upgrade", cwd=work, env=env)
        run(bin_ / "hub", "integration", "configure", "acme", "--set", f"base_url=http://127.0.0.1:{port}",
            "--set", "api_key=demo-acme-key-0001", "--enable", cwd=work, env=env)
        synced = run(bin_ / "hub", "sync", "acme", cwd=work, env=env)
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
    assert "succeeded" in synced and " 30 " in synced, synced
