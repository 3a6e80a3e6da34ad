"""As in production, a sync started through the API runs in a background thread: the answer is 202 with
the run to follow, and polling it shows the end."""

from __future__ import annotations

import time

import pytest

from hub.extensions import db
from tests.conftest import make_test_config


@pytest.fixture
def app_config(tmp_path, database_url):
    return make_test_config(tmp_path, database_url, HUB_SYNC_IN_BACKGROUND=True)


def test_start_returns_202_and_the_run_to_follow(app, api, fake_integration, fake_vendor):
    from hub.web.sync_runner import join_all

    fake_vendor.add("c-1", "Contoso Ltd", seats=2)
    db.session.remove()  # SQLite: no read transaction of this thread in the way of the sync's writes
    started = api.post("/api/v1/integrations/fake/syncs")
    assert started.status_code == 202, started.json
    location = started.headers["Location"]
    assert location == f"/api/v1/sync-runs/{started.json['run']['id']}"
    deadline = time.monotonic() + 30
    while api.get(location).json["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    join_all(app)
    run = api.get(location).json
    assert run["status"] == "succeeded" and run["customers_added"] == 1
