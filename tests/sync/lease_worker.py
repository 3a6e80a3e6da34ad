"""Runs in a spawned process: its own app on the test database, its own fake vendor, one sync.

The vendor's listing blocks until the other process has been told "already running", so the two
syncs overlap for certain, without sleeping.
"""

from __future__ import annotations

from tests.fakes.fake_vendor import FakeVendor, hookimpl


class OverlappingVendor(FakeVendor):
    def __init__(self, slug: str, other_refused) -> None:
        super().__init__(slug)
        self.other_refused = other_refused
        for n in range(3):
            self.add(f"c{n}", f"Customer {n}", seats=n + 1)

    @hookimpl
    def hub_list_customers(self, config, session):
        # hold the lease until the other process was refused (or give up, and the test sees two runs)
        self.other_refused.wait(timeout=30)
        yield from FakeVendor.hub_list_customers(self, config, session)


def sync_in_process(config: dict, start, other_refused, results) -> None:
    from hub import create_app
    from hub.extensions import db
    from hub.sync import AlreadyRunning, run_sync

    app = create_app(config)
    app.extensions["hub.plugins"].register(OverlappingVendor("fake", other_refused), "fake")
    with app.app_context():
        try:
            start.wait(timeout=60)
            run = run_sync("fake", trigger="cli")
            results.put(("ran", run.status, run.error_message))
        except AlreadyRunning as err:
            other_refused.set()
            results.put(("already_running", str(err), None))
        except BaseException as err:  # report, never hang the parent
            other_refused.set()
            results.put(("crashed", repr(err), None))
        finally:
            db.session.remove()
            db.engine.dispose()
