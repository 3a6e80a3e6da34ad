"""A separate process running the hub's real scheduler until every webhook delivery is settled.

Usage: python scheduler_worker.py DATABASE_URL INSTANCE_PATH
Prints "ready", waits for a line on stdin (so that two workers start together), starts the
scheduler, waits until no delivery is pending or being delivered, prints JSON and exits.
"""

import json
import sys
import time

from tests.processes import wait_for_go, worker_app


def main() -> None:
    url, instance = sys.argv[1:3]
    app = worker_app(url, instance, HUB_WEBHOOKS_ALLOW_PRIVATE=True, HUB_WEBHOOK_RETRY_SCHEDULE="0,0,0")
    from hub.extensions import db
    from hub.models import WebhookDelivery
    from hub.sync.jobs import start_scheduler

    with app.app_context():
        wait_for_go()
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
