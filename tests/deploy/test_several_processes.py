"""The README's deployment, doubled, on one PostgreSQL database: two ``hub scheduler`` processes and two web
workers (gunicorn, one worker each, on their own loopback ports), all real processes.

Shows that a due sync runs once, the daily invoice run issues each invoice once, sign-in failures counted
by one worker count on the other, a sign-out on one worker ends the session on the other, and both
workers answer ``/healthz``. The vendor is the bundled Proofpoint simulator, served from this process.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hub import integrations, mapping
from hub.audit import Actor
from hub.billing import catalog, recurring
from hub.extensions import db
from hub.models import Invoice, SyncRun
from hub.testing.server import serve
from hub.timeutil import utcnow
from tests.conftest import PG_URL, make_test_config
from tests.web.conftest import PASSWORD, add_user

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not PG_URL, reason="several processes on one database: PostgreSQL only")]

ROOT = Path(__file__).resolve().parents[2]
SETUP = Actor.cli("deploy-test")
#: both scheduler processes run the invoice run this often: many runs at once, one invoice
INVOICE_RUN_EVERY = "2"
DEADLINE_SECONDS = 45


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, HUB_LOAD_ENTRY_POINTS=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def world(app_ctx):
    """A due Proofpoint integration (its simulator served here), a recurring invoice due today, two users."""
    simulator = app_ctx.extensions["hub.plugins"].handle("proofpoint").demo_simulator()
    served = serve(simulator.make_app(5), name="sim-proofpoint")
    integrations.configure("proofpoint", simulator.config_for(served.base_url), SETUP, enable=True)
    organization = mapping.create_organization("Deploy Test Org", SETUP)
    product = catalog.create_product("SUPPORT", "Support", "100.00", SETUP)
    schedule = recurring.create_recurring_invoice(organization.id, SETUP, next_run_date=utcnow().date())
    recurring.add_line(schedule.id, SETUP, kind="standard", product_id=product.id, quantity="2")
    add_user("admin@example.com", "admin")
    add_user("viewer@example.com", "viewer")
    yield {"recurring_id": schedule.id, "simulator": served}
    served.stop()


def _env(app, tmp_path: Path, name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], HUB_INSTANCE_PATH=str(tmp_path / name),
               HUB_SECRET_KEY="one key for every web worker", HUB_ENCRYPTION_KEYS=app.config["HUB_ENCRYPTION_KEYS"],
               HUB_INVOICE_RUN_EVERY_SECONDS=INVOICE_RUN_EVERY, HUB_LOG_LEVEL="WARNING")
    return env


def _start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def _wait_until(check, what: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _up(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:  # not listening yet, or its worker is still starting
        return False


def _csrf(session: requests.Session, url: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', session.get(url, timeout=10).text).group(1)


def _login(session: requests.Session, base: str, email: str, password: str) -> requests.Response:
    token = _csrf(session, base + "/login")
    return session.post(base + "/login", data={"email": email, "password": password, "csrf_token": token},
                        allow_redirects=False, timeout=10)


def test_two_schedulers_and_two_web_workers_share_one_database(app, world, tmp_path):
    started = time.monotonic()
    deadline = started + DEADLINE_SECONDS
    ports = [_free_port(), _free_port()]
    processes = [_start([str(Path(sys.executable).with_name("hub")), "scheduler", "--tick", "1"],
                        _env(app, tmp_path, f"scheduler{n}"), tmp_path / f"scheduler{n}.log")
                 for n in range(2)]
    processes += [_start([sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "hub:create_app()"],
                         _env(app, tmp_path, f"web{n}"), tmp_path / f"web{n}.log")
                  for n, port in enumerate(ports)]
    web = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in web:
            _wait_until(lambda: _up(base), f"{base}/healthz", deadline)
            assert requests.get(base + "/healthz", timeout=5).json() == {"status": "ok", "database": "ok"}

        # sign-in failures on worker 0 count on worker 1
        limit = app.config["HUB_LOGIN_ATTEMPTS_PER_15_MIN"]
        browser = requests.Session()
        for _ in range(limit):
            assert _login(browser, web[0], "viewer@example.com", "wrong").status_code == 401
        assert _login(browser, web[1], "viewer@example.com", PASSWORD).status_code == 429

        # a session made on worker 0 works on worker 1, and signing out on worker 1 ends it on worker 0
        admin = requests.Session()
        assert _login(admin, web[0], "admin@example.com", PASSWORD).status_code == 302
        stolen = dict(admin.cookies)
        assert admin.get(web[1] + "/", allow_redirects=False, timeout=10).status_code == 200
        token = _csrf(admin, web[1] + "/")
        admin.post(web[1] + "/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10)
        assert requests.get(web[0] + "/", cookies=stolen, allow_redirects=False, timeout=10).status_code == 302

        # the due sync ran, and the invoice run (both schedulers run it every 2 s) issued
        def done() -> bool:
            db.session.rollback()
            return bool(_invoices(world) and _runs())

        _wait_until(done, f"the scheduled sync and the invoice run; runs {_runs()}, logs:\n{_logs(tmp_path)}",
                    deadline)
        time.sleep(4)  # a few more ticks and invoice runs of both schedulers: nothing may happen twice
        db.session.rollback()
        runs = _runs()
        assert [(r.trigger, r.status) for r in runs] == [("schedule", "succeeded")], runs
        assert len(_invoices(world)) == 1
        assert all(p.poll() is None for p in processes), "a process died"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
    for n in range(2):
        log = (tmp_path / f"scheduler{n}.log").read_text()
        assert "Traceback" not in log, log[-3000:]
    assert time.monotonic() - started < DEADLINE_SECONDS + 15


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-1500:]}" for log in sorted(folder.glob("*.log")))


def _runs() -> list[SyncRun]:
    return list(db.session.execute(db.select(SyncRun).order_by(SyncRun.id)).scalars())


def _invoices(world) -> list[Invoice]:
    return list(db.session.execute(db.select(Invoice).filter_by(recurring_invoice_id=world["recurring_id"])).scalars())
