"""The safety-inspection job when things go wrong: runs at the same moment (PostgreSQL, one
connection per thread as separate workers would have), and a run that breaks halfway."""

from unittest import mock

import pytest

from apartments.jobs import safety_inspection
from logistics.models import Alert, JobRun, Notification
from logistics.nightly import Outcome, run_job
from tests.apartments.safety_data import safety_world, yesterday
from tests.conftest import requires_postgres
from tests.threads import race

JOB = "apartments.safety_inspection"


def missing_alerts():
    return Alert.objects.filter(kind="zero_report_missing")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_runs_at_the_same_moment_raise_each_alert_once():
    world = safety_world()
    night = yesterday()

    # Four starters through the engine: one works, the others find it running or done.
    outcomes = race(4, lambda i: run_job(JOB, night, trigger=f"starter-{i}"))
    assert [o.state for o in outcomes].count("succeeded") == 1
    assert all(o.done for o in outcomes)
    # And the work itself, four times at once without the engine's lock: the database keeps
    # one open alert per condition.
    race(4, lambda i: safety_inspection(night))

    assert sorted(missing_alerts().values_list("subject_id", flat=True)) == sorted(
        [world["S01"].pk, world["S02"].pk, world["J01"].pk]
    )
    assert JobRun.objects.filter(job=JOB, status=JobRun.Status.SUCCEEDED).count() == 1


@pytest.mark.django_db
def test_a_run_that_breaks_halfway_leaves_nothing_half_done_and_the_rerun_completes():
    world = safety_world()
    night = yesterday()
    from logistics import alerts

    real_notify_many = alerts.notify_many

    def notify_then_break(messages):
        # the alerts are in, their notifications written: then the worker dies
        real_notify_many(messages)
        raise RuntimeError("the worker died here")

    with mock.patch.object(alerts, "notify_many", notify_then_break):
        broken = run_job(JOB, night, trigger="test")

    # The job's other steps (planning the rounds) did their work: "partial", not done.
    assert broken.state in (JobRun.Status.FAILED, JobRun.Status.PARTIAL)
    assert not broken.done
    assert not missing_alerts().exists()  # the step is one transaction: rolled back whole
    assert not Notification.objects.filter(kind="kernel.alert").exists()  # nobody told

    rerun = run_job(JOB, night, trigger="test")
    assert rerun.state == JobRun.Status.SUCCEEDED
    assert missing_alerts().filter(resolved_at__isnull=True).count() == 3
    assert set(missing_alerts().values_list("subject_id", flat=True)) == {
        world["S01"].pk,
        world["S02"].pk,
        world["J01"].pk,
    }
    assert run_job(JOB, night, trigger="test").state == Outcome.ALREADY_DONE
