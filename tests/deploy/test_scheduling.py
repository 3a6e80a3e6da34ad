"""Scheduling with several scheduler processes: a due sync runs once, and when the invoice run happens
(``HUB_INVOICE_RUN_TIME`` in UTC, or ``HUB_INVOICE_RUN_EVERY_SECONDS``)."""

from __future__ import annotations

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from hub.billing.jobs import JOB_ID
from hub.sync.jobs import build_scheduler


def _invoice_trigger(app):
    return build_scheduler(app).get_job(JOB_ID).trigger


def _fields(trigger: CronTrigger) -> dict:
    return {f.name: str(f) for f in trigger.fields}


def test_the_default_is_six_in_the_morning_utc(app):
    fields = _fields(_invoice_trigger(app))
    assert (fields["hour"], fields["minute"], fields["second"]) == ("6", "0", "0")


def test_a_configured_time_of_day(app):
    app.config["HUB_INVOICE_RUN_TIME"] = "22:30"
    fields = _fields(_invoice_trigger(app))
    assert (fields["hour"], fields["minute"], fields["second"]) == ("22", "30", "0")


@pytest.mark.parametrize("value", ["25:00", "6", "06:00:00:00", "noon"])
def test_a_bad_time_names_the_setting(app, value):
    app.config["HUB_INVOICE_RUN_TIME"] = value
    with pytest.raises(ValueError, match="HUB_INVOICE_RUN_TIME"):
        _invoice_trigger(app)


def test_every_n_seconds_replaces_the_daily_run(app):
    app.config["HUB_INVOICE_RUN_EVERY_SECONDS"] = 300
    trigger = _invoice_trigger(app)
    assert isinstance(trigger, IntervalTrigger) and trigger.interval.total_seconds() == 300


def test_a_scheduler_that_saw_a_sync_due_runs_nothing_once_another_has_synced_it(app_ctx, fake_integration):
    """Two schedulers read the due list at the same moment; the second takes the lease after the first
    finished. It checks again under the lease and runs nothing."""
    from hub.extensions import db
    from hub.models import SyncRun
    from hub.sync import SyncNotPossible, run_sync
    from hub.sync.jobs import due_integrations

    assert [i.slug for i in due_integrations()] == ["fake"]  # both schedulers saw this
    assert run_sync("fake", trigger="schedule", only_if_due=True).status == "succeeded"  # the first one
    with pytest.raises(SyncNotPossible, match="not due any more"):
        run_sync("fake", trigger="schedule", only_if_due=True)  # the second one
    assert db.session.scalar(db.select(db.func.count()).select_from(SyncRun)) == 1
