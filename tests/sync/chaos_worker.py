"""A sync in a spawned process that stops at a chosen point of its apply transaction and waits there to
be killed (SIGKILL, by the test). The vendor's data is the same in every process: phase "first", then
phase "second", which changes everything a sync can change."""

from __future__ import annotations

import re
import time

from tests.fakes.fake_vendor import FakeVendor


def vendor_state(phase: str) -> dict[str, tuple[str, str, dict]]:
    """``{external_id: (name, status, {sku: quantity})}``"""
    state = {f"c{n}": (f"Customer {n}", "active", {"seats": n + 1, "mail": 1}) for n in range(40)}
    if phase == "second":
        for n in range(35, 40):
            del state[f"c{n}"]  # 5 of 40 detached: under the review threshold
        for n in range(0, 35, 2):
            state[f"c{n}"][2]["seats"] = (n + 1) * 2
        state["c1"] = ("Customer 1 renamed", "active", state["c1"][2])
        state["c3"] = ("Customer 3", "suspended", state["c3"][2])
        state.update({f"c{n}": (f"Customer {n}", "trial", {"seats": 3}) for n in range(40, 50)})
    return state


class ChaosVendor(FakeVendor):
    def __init__(self, phase: str) -> None:
        super().__init__("fake")
        for external_id, (name, status, counts) in vendor_state(phase).items():
            self.add(external_id, name, status, **counts)


def sync_until_killed(config: dict, stop_before: str, reached, statements) -> None:
    """Run the second sync; just before the first statement matching ``stop_before`` (a regex; "COMMIT"
    means the apply's commit) set ``reached`` and wait to be killed."""
    from sqlalchemy import event

    from hub import create_app
    from hub.sync import run_sync

    app = create_app(config)
    app.extensions["hub.plugins"].register(ChaosVendor("second"), "fake")
    pattern = re.compile(stop_before)
    seen_history = []

    def wait_here() -> None:
        reached.set()
        time.sleep(300)  # the test kills this process here

    def before_statement(conn, cursor, statement, parameters, context, executemany):
        if statements is not None:
            statements.put(statement.split("(")[0][:60])
        if "INSERT INTO license_count_history" in statement:
            seen_history.append(True)
        if stop_before != "COMMIT" and pattern.search(statement):
            wait_here()

    def before_commit(conn):
        if stop_before == "COMMIT" and seen_history:
            wait_here()

    with app.app_context():
        from hub.extensions import db

        event.listen(db.engine, "before_cursor_execute", before_statement)
        event.listen(db.engine, "commit", before_commit)
        run_sync("fake", trigger="chaos")
        reached.set()  # never stopped: the test sees the point was not reached
