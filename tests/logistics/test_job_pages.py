"""The nightly jobs page for administrators: runs, a run's failed items, running a date
again."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from logistics.models import JobItemFailure, JobRun, Role
from logistics.nightly import NIGHTLY_JOBS
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db
DAY = date(2026, 9, 1)


@pytest.fixture
def admin_client(client):
    client.force_login(user_with_role(Role.ADMIN, is_staff=True))
    return client


def _run(job="maintenance.auto_confirm", day=DAY, status="succeeded", **fields):
    now = timezone.now()
    return JobRun.objects.create(
        job=job, for_date=day, status=status, started_at=now, finished_at=now, **fields
    )


def test_only_administrators_see_the_jobs(client):
    assert client.get(reverse("jobs")).status_code == 302
    run = _run()
    for role in (Role.STUDENT, Role.DISPATCHER, Role.AUDITOR, Role.DEPARTMENT_HEAD):
        client.force_login(user_with_role(role))
        assert client.get(reverse("jobs")).status_code == 404
        assert client.get(reverse("job_run", args=[run.pk])).status_code == 404
        assert (
            client.post(reverse("job_rerun"), {"job": run.job, "date": "2026-09-01"}).status_code
            == 404
        )


def test_the_jobs_page_lists_every_job_and_the_latest_runs_in_fixed_queries(
    admin_client, django_assert_num_queries
):
    for n in range(12):
        _run(day=DAY + timedelta(days=n), items=n)
    _run(job="quality.anchor_seal_chain", status="partial", failures=3)
    admin_client.get(reverse("jobs"))
    # session, user with grants, the last success per job, count, the page (with who started them)
    with django_assert_num_queries(5):
        response = admin_client.get(reverse("jobs"), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert page.count('data-testid="job-row"') == len(NIGHTLY_JOBS)
    assert page.count('data-testid="run-row"') == 13
    assert "2026-09-12" in page  # the last success of maintenance.auto_confirm
    filtered = admin_client.get(reverse("jobs") + "?status=partial").content.decode()
    assert filtered.count('data-testid="run-row"') == 1


def test_a_run_shows_its_failed_items_and_every_attempt_for_its_date(admin_client):
    first = _run(status="abandoned", attempt=1)
    second = _run(status="partial", attempt=2, failures=2, items=8)
    JobItemFailure.objects.create(run=second, item="4711", error="ValueError: no reporter")
    response = admin_client.get(reverse("job_run", args=[second.pk]), HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "4711" in page and "ValueError: no reporter" in page
    assert reverse("job_run", args=[first.pk]) in page
    assert 'data-testid="run-again"' in page
    abandoned = admin_client.get(reverse("job_run", args=[first.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "stopped before it finished" in abandoned.content.decode()


def test_running_a_date_again_from_the_page(admin_client):
    day = timezone.localdate() - timedelta(days=1)
    response = admin_client.post(
        reverse("job_rerun"), {"job": "kernel.clear_expired_sessions", "date": day.isoformat()}
    )
    assert response.status_code == 302
    run = JobRun.objects.get(job="kernel.clear_expired_sessions", for_date=day)
    assert run.status == "succeeded" and run.trigger.startswith("page:")


def test_running_again_refuses_a_future_date_and_an_unknown_job(admin_client):
    tomorrow = timezone.localdate() + timedelta(days=1)
    for data in (
        {"job": "kernel.clear_expired_sessions", "date": tomorrow.isoformat()},
        {"job": "no.such.job", "date": "2026-09-01"},
        {"job": "kernel.clear_expired_sessions", "date": "01/09/2026"},
    ):
        response = admin_client.post(reverse("job_rerun"), data, follow=True)
        assert response.status_code == 200
        assert not JobRun.objects.exists()
    assert "A nightly job cannot run for a date still to come." in _messages(
        admin_client.post(
            reverse("job_rerun"),
            {"job": "kernel.clear_expired_sessions", "date": tomorrow.isoformat()},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]
