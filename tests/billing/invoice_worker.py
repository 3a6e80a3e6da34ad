"""A separate process running the invoice run (for the two-process test).

Usage: python invoice_worker.py DATABASE_URL INSTANCE_PATH RUN_DATE BATCH_SIZE
Prints "ready", waits for a line on stdin (so that two workers start together), runs, prints JSON.
"""

import json
import sys
import time
from datetime import date

from hub import create_app


def main() -> None:
    url, instance, run_date, batch_size = sys.argv[1:5]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "worker",
                      "HUB_ENCRYPTION_KEYS": "kJ9l0Xy2bcoV1a7m3tXJ5qQx0Hh4m8l1b9cR2dE6fF0=",
                      "HUB_LOAD_ENTRY_POINTS": False, "HUB_LOG_LEVEL": "WARNING"})
    with app.app_context():
        from hub.billing.invoicing import run_due_invoices
        from hub.extensions import db

        db.session.execute(db.text("SELECT 1"))  # connect before the start signal
        db.session.rollback()
        print("ready", flush=True)
        sys.stdin.readline()
        started = time.perf_counter()
        result = run_due_invoices(date.fromisoformat(run_date), batch_size=int(batch_size))
        print(json.dumps({"issued": result.issued, "skipped": result.skipped, "empty": len(result.empty),
                          "seconds": round(time.perf_counter() - started, 3)}),
              flush=True)


if __name__ == "__main__":
    main()
