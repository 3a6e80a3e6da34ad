"""Installable without a checkout: wheels of the hub and every bundled plugin, in a fresh virtualenv,
give a working hub and a working kit.

Builds the wheels (the hub and each plugin under ``plugins/``), installs them with the hub's ``kit``
extra into a new venv that sees nothing of this one, checks that the hub's templates, static files and
migrations came along (in the wheel, and served from the venv), scaffolds ``hub plugin new acme``
there, installs that (not editable: its packaging counts too), runs its conformance kit green, then
serves its simulator with ``hub simulator`` and syncs it through the CLI (``hub db upgrade``,
``hub integration configure``, ``hub sync``).

The wheels are built without build isolation from copies of the sources (no stale ``build/`` of the
checkout gets in) by one builder venv, and the dependencies come from a wheelhouse in pytest's cache,
downloaded once per set of requirements and installed offline after that. Even so it takes minutes
(measured on the shared 2-core machine at load 10-12: 50 to 100 s to build the builder, the ten wheels
and the wheelhouse, then 3.5 to 7 minutes for the install, the scaffold's kit and the CLI sync; 57 s in
all from an empty cache on a quiet machine), more than a developer's run of the suite should spend, so it
runs only with ``HUB_TEST_WHEELS=1``: CI sets it, and ``scripts/test.sh`` runs it in the SQLite run only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())
#: left out of the copies the wheels are built from: what a build or a test run leaves behind
LEFT_OUT = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".venv", ".pytest_cache")

pytestmark = pytest.mark.skipif(os.environ.get("HUB_TEST_WHEELS") != "1",
                                reason="builds ten wheels and two venvs and runs a kit in one (minutes; the first "
                                       "run needs a package index): set HUB_TEST_WHEELS=1")


def run(*args, cwd=None, env=None, timeout=600) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def pip(*args, **kwargs) -> str:
    """This venv's pip (``--python`` points it at another interpreter): a new venv needs none of its own."""
    return run(sys.executable, "-m", "pip", "--disable-pip-version-check", *args, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def distribution_names() -> list[str]:
    """The hub with its kit extra and every bundled plugin, by the names their pyprojects give."""
    import tomllib

    plugins = [tomllib.loads((p / "pyproject.toml").read_text())["project"]["name"] for p in PLUGINS]
    return ["msp-billing-hub[kit]", *plugins]


@pytest.fixture(scope="module")
def wheelhouse(request) -> Path:
    """Where the dependencies wait, in pytest's cache per set of requirements: downloaded once,
    offline after that."""
    texts = [(ROOT / "pyproject.toml").read_text()] + [(p / "pyproject.toml").read_text() for p in PLUGINS]
    key = hashlib.sha256("\n".join(texts + [sys.version]).encode()).hexdigest()[:16]
    return Path(request.config.cache.mkdir(f"hub-wheelhouse-{key}"))


def fill(house: Path, *requirements: str, find_links: Path | None = None) -> None:
    """Have ``requirements`` and all they need in ``house``: offline when they are there already."""
    links = ["--find-links", house] + (["--find-links", find_links] if find_links else [])
    offline = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-index", "-d", house, *links,
                              *requirements], capture_output=True, text=True, timeout=300)
    if offline.returncode != 0:
        pip("download", "-q", "-d", house, *links, *requirements)


@pytest.fixture(scope="module")
def wheels(tmp_path_factory, wheelhouse) -> Path:
    """One wheel per distribution, built from clean copies of the sources by a builder venv that has
    the setuptools the pyprojects ask for (one build environment for all, instead of one each)."""
    fill(wheelhouse, "setuptools>=77")
    builder = tmp_path_factory.mktemp("builder") / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", builder)
    pip("--python", builder / "bin" / "python", "install", "-q", "--no-index", "--find-links", wheelhouse,
        "setuptools>=77")

    sources, out = tmp_path_factory.mktemp("sources"), tmp_path_factory.mktemp("wheels")
    hub = sources / "msp-billing-hub"
    hub.mkdir()
    shutil.copy(ROOT / "pyproject.toml", hub)
    shutil.copy(ROOT / "README.md", hub)
    shutil.copytree(ROOT / "hub", hub / "hub", ignore=LEFT_OUT)
    copies = [hub] + [shutil.copytree(p, sources / p.name, ignore=LEFT_OUT) for p in PLUGINS]
    pip("--python", builder / "bin" / "python", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", out,
        *copies)
    assert len(list(out.glob("*.whl"))) == 1 + len(PLUGINS), sorted(out.iterdir())
    fill(wheelhouse, *distribution_names(), find_links=out)
    for own in out.glob("*.whl"):  # pip download copies them in: keep this run's, never an earlier build
        (wheelhouse / own.name).unlink(missing_ok=True)
    return out


def test_the_hub_wheel_carries_its_templates_static_files_and_migrations(wheels):
    hub_wheel = next(wheels.glob("msp_billing_hub-*.whl"))
    names = set(zipfile.ZipFile(hub_wheel).namelist())
    for where in ("hub/templates", "hub/static", "hub/migrations"):
        source = {f"{where}/{p.relative_to(ROOT / where).as_posix()}" for p in (ROOT / where).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts}
        assert source and source <= names, f"{where}: not in the wheel: {sorted(source - names)[:5]}"
    assert any(n.startswith("hub/scaffold/template/") for n in names)
    for name in distribution_names()[1:]:
        wheel = zipfile.ZipFile(next(wheels.glob(f"{name.replace('-', '_')}-*.whl")))
        entry_points = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
        assert entry_points and "[hub]" in wheel.read(entry_points[0]).decode(), f"{name}: no hub entry point"


def test_the_wheels_give_a_hub_whose_scaffold_passes_the_kit_and_syncs(tmp_path, wheels, wheelhouse):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)  # no site packages of this venv
    bin_ = venv / "bin"
    offline = ["--no-index", "--find-links", wheels, "--find-links", wheelhouse]
    pip("--python", bin_ / "python", "install", "-q", "--no-compile", *offline, *distribution_names())

    work = tmp_path / "work"
    work.mkdir()
    from cryptography.fernet import Fernet

    env = {**os.environ, "HUB_DATABASE_URL": f"sqlite:///{work / 'hub.db'}", "HUB_SECRET_KEY": "wheel-test",
           "HUB_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("HUB_TEST_DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    # the hub runs from the venv, not from this checkout: its pages, static files and migrations too
    where = run(bin_ / "python", "-c", "import hub; print(hub.__file__)", cwd=work, env=env)
    assert str(venv) in where and str(ROOT) not in where, where
    run(bin_ / "hub", "db", "upgrade", cwd=work, env=env)
    served = run(bin_ / "python", "-c", PAGES_SERVED, cwd=work, env=env)
    assert served.split() == ["200", "200", "200"], served
    listed = run(bin_ / "hub", "plugins", cwd=work, env=env)
    for plugin in PLUGINS:
        assert plugin.name in listed, listed
    assert "failed" not in listed, listed

    assert "created" in run(bin_ / "hub", "plugin", "new", "acme", "--dir", work, cwd=work, env=env)
    pip("--python", bin_ / "python", "install", "-q", "--no-compile", *offline, work / "hub-acme")
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
        run(bin_ / "hub", "integration", "configure", "acme", "--set", f"base_url=http://127.0.0.1:{port}",
            "--set", "api_key=demo-acme-key-0001", "--enable", cwd=work, env=env)
        synced = run(bin_ / "hub", "sync", "acme", cwd=work, env=env)
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
    assert "succeeded" in synced and " 30 " in synced, synced


#: run in the new venv: the login page (a template), a stylesheet (a static file) and the health
#: check on the database that ``hub db upgrade`` made from the packaged migrations
PAGES_SERVED = """
from hub import create_app
client = create_app().test_client()
print(client.get("/login").status_code, client.get("/static/hub.css").status_code, client.get("/healthz").status_code)
"""
