"""A separate process running the invoice run (for the two-process test).

Usage: python invoice_worker.py DATABASE_URL INSTANCE_PATH RUN_DATE BATCH_SIZE
Prints "ready", waits for a line on stdin (so that two workers start together), runs, prints JSON.
"""

import json
import sys
import time
from datetime import date

from tests.processes import wait_for_go, worker_app


def main() -> None:
    url, instance, run_date, batch_size = sys.argv[1:5]
    app = worker_app(url, instance)
    with app.app_context():
        from hub.billing.invoicing import run_due_invoices

        wait_for_go()
        started = time.perf_counter()
        result = run_due_invoices(date.fromisoformat(run_date), batch_size=int(batch_size))
        print(json.dumps({"issued": result.issued, "skipped": result.skipped, "empty": len(result.empty),
                          "seconds": round(time.perf_counter() - started, 3)}),
              flush=True)


if __name__ == "__main__":
    main()
