"""Listing 10,000 vendor customers through the public API, page by page (``limit=100`` and ``next`` links).

    .venv/bin/python benchmarks/api.py [--customers 10000] [--page-size 100] [--rounds 3] [--database-url URL]

Each round walks the whole listing by following ``next`` (bearer token, role gate, rate limiter,
marshmallow arguments, keyset page with a signed cursor, license counts, JSON). The median time per
page is compared with a bare Flask route that returns the same rows from one hand-written keyset SQL
query (no token, no arguments schema, no license lookup). Target: under 30 ms per page on SQLite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask import jsonify, request
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))

from mapping_page import scratch_database, seed  # noqa: E402  (the same 10,000 customers)

from hub import api_tokens, create_app  # noqa: E402
from hub.audit import Actor  # noqa: E402
from hub.extensions import db  # noqa: E402
from hub.web.access import public  # noqa: E402

TARGET_MS = 30.0


def add_bare_route(app, page_size: int) -> None:
    """The same rows from one keyset query: ``after_name``/``after_id`` instead of a signed cursor."""

    @public
    def bare():
        where, params = ["vc.integration_id = 1"], {"limit": page_size}
        if "after_id" in request.args:
            where.append("(lower(vc.name) > :name OR (lower(vc.name) = :name AND vc.id > :id))")
            params.update(name=request.args["after_name"], id=int(request.args["after_id"]))
        sql = (f"SELECT vc.id, vc.name, vc.external_id, vc.vendor_status, vc.organization_id, o.name AS org "
               f"FROM vendor_customers vc LEFT OUTER JOIN organizations o ON o.id = vc.organization_id "
               f"WHERE {' AND '.join(where)} ORDER BY lower(vc.name), vc.id LIMIT :limit")
        rows = [dict(r) for r in db.session.execute(text(sql), params).mappings()]
        return jsonify(items=rows)

    app.add_url_rule("/bench/bare", "bench_bare", bare)


def walk_api(client, headers, page_size: int) -> tuple[list[float], list[int]]:
    times, ids, url = [], [], f"/api/v1/vendor-customers?vendor=bench&limit={page_size}"
    while url:
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.data[:300]
        body = response.json
        ids += [r["id"] for r in body["items"]]
        url = body["next"] and body["next"].replace("http://localhost", "")
    return times, ids


def walk_bare(client) -> tuple[list[float], list[int]]:
    times, ids, url = [], [], "/bench/bare"
    while url:
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        items = response.json["items"]
        ids += [r["id"] for r in items]
        last = items[-1] if items else None
        url = last and f"/bench/bare?after_name={last['name'].lower()}&after_id={last['id']}"
    return times, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server (a scratch database is made on it); default: a temporary SQLite file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url) as server_url:
        url = server_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app({"TESTING": False, "INSTANCE_PATH": tmp, "SQLALCHEMY_DATABASE_URI": url,
                          "SECRET_KEY": "bench", "HUB_ENCRYPTION_KEYS": "kJ9l0Xy2bcoV1a7m3tXJ5qQx0Hh4m8l1b9cR2dE6fF0=",
                          "HUB_LOAD_ENTRY_POINTS": False, "HUB_LOG_LEVEL": "WARNING",
                          "HUB_API_RATE_LIMIT": "1000000/minute"})
        add_bare_route(app, args.page_size)
        with app.app_context():
            db.create_all()
            seed(args.customers)
            token = api_tokens.create_token("bench", "viewer", Actor.cli("bench")).secret
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        walk_api(client, headers, args.page_size)  # warm-up
        walk_bare(client)
        api_times, bare_times = [], []
        for _ in range(args.rounds):
            times, api_ids = walk_api(client, headers, args.page_size)
            api_times += times
            times, bare_ids = walk_bare(client)
            bare_times += times
            # the same rows, in the same order, or the comparison means nothing
            assert api_ids == bare_ids and len(api_ids) == args.customers, (len(api_ids), len(bare_ids))
        api_ms, bare_ms = statistics.median(api_times), statistics.median(bare_times)
        dialect = url.split(":")[0].split("+")[0]
        print(f"{args.customers} vendor customers on {dialect}, "
              f"pages of {args.page_size}, {args.rounds} rounds of {len(api_times) // args.rounds} pages")
        print(f"median per page: API {api_ms:.1f} ms, bare route {bare_ms:.1f} ms, ratio {api_ms / bare_ms:.2f}x; "
              f"p90 API {statistics.quantiles(api_times, n=10)[-1]:.1f} ms")
        verdict = "meets" if api_ms < TARGET_MS else "MISSES"
        print(f"{verdict} the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
