"""A separate process running the hub's real scheduler until every webhook delivery is settled.

Usage: python scheduler_worker.py DATABASE_URL INSTANCE_PATH
Prints "ready", waits for a line on stdin (so that two workers start together), starts the
scheduler, waits until no delivery is pending or being delivered, prints JSON and exits.
"""

import json
import sys
import time

from hub import create_app


def main() -> None:
    url, instance = sys.argv[1:3]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "worker",
                      "HUB_ENCRYPTION_KEYS": "kJ9l0Xy2bcoV1a7m3tXJ5qQx0Hh4m8l1b9cR2dE6fF0=",
                      "HUB_LOAD_ENTRY_POINTS": False, "HUB_LOG_LEVEL": "WARNING",
                      "HUB_WEBHOOKS_ALLOW_PRIVATE": True, "HUB_WEBHOOK_RETRY_SCHEDULE": "0,0,0"})
    from hub.extensions import db
    from hub.models import WebhookDelivery
    from hub.sync.jobs import start_scheduler

    with app.app_context():
        db.session.execute(db.text("SELECT 1"))  # connect before the start signal
        db.session.rollback()
        print("ready", flush=True)
        sys.stdin.readline()
        started = time.perf_counter()
        scheduler = start_scheduler(app)
        try:
            while time.perf_counter() - started < 120:
                time.sleep(0.2)
                open_ = db.session.execute(db.select(db.func.count(WebhookDelivery.id)).where(
                    WebhookDelivery.status.in_(["pending", "delivering"]))).scalar_one()
                db.session.rollback()
                if not open_:
                    break
        finally:
            scheduler.shutdown(wait=True)
        print(json.dumps({"seconds": round(time.perf_counter() - started, 3)}), flush=True)


if __name__ == "__main__":
    main()
