"""Real worker processes for the concurrency tests: started together, each answering with one JSON line.

A worker script prints "ready" once connected, waits for a line on stdin, works, and prints JSON last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENCRYPTION_KEY = "kJ9l0Xy2bcoV1a7m3tXJ5qQx0Hh4m8l1b9cR2dE6fF0="


def worker_app(url: str, instance: str, **extra):
    """The app a worker process builds: the test database, quiet logs, no entry points."""
    from hub import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "worker",
                       "HUB_ENCRYPTION_KEYS": ENCRYPTION_KEY, "HUB_LOAD_ENTRY_POINTS": False,
                       "HUB_LOG_LEVEL": "WARNING", **extra})


def wait_for_go() -> None:
    """In a worker: connected, say so, and wait for the start signal."""
    from hub.extensions import db

    db.session.execute(db.text("SELECT 1"))  # connect before the start signal
    db.session.rollback()
    print("ready", flush=True)
    sys.stdin.readline()


def run_together(script: Path, argument_lists: list[list[str]], timeout: float = 180) -> list[dict]:
    """Start one process per argument list, release them at the same moment, return their JSON answers."""
    workers = [subprocess.Popen([sys.executable, str(script), *args], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}) for args in argument_lists]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:  # all are connected and waiting: start them together
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=timeout)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    assert [w.returncode for w in workers] == [0] * len(workers)
    return [json.loads(out.strip().splitlines()[-1]) for out in outputs]
