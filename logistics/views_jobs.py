"""The nightly jobs for administrators: recent runs per job and date, a run's failed items,
and running a job again for a date (docs/operations.md "Nightly jobs")."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from logistics.access import role_required
from logistics.models import JobRun, Role
from logistics.nightly import NIGHTLY_JOBS
from logistics.publishing import publish

RUNS_PER_PAGE = 50
FAILURES_PER_PAGE = 100


class RerunForm(forms.Form):
    job = forms.ChoiceField(label=gettext_lazy("Job"))
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job"].choices = [(name, name) for name in NIGHTLY_JOBS]

    def clean_date(self):
        day = self.cleaned_data["date"]
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError(_("A nightly job cannot run for a date still to come."))
        if day < today - timedelta(days=366):
            raise forms.ValidationError(_("Choose a date within the last year."))
        return day


@require_GET
@role_required(Role.ADMIN)
def job_list(request):
    """Every job with its limit and last success; the latest runs, filtered by job and status."""
    runs = JobRun.objects.select_related("started_by").order_by("-started_at", "-id")
    job = request.GET.get("job", "")
    status = request.GET.get("status", "")
    if job in NIGHTLY_JOBS:
        runs = runs.filter(job=job)
    if status in JobRun.Status.values:
        runs = runs.filter(status=status)
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    last_success = dict(
        JobRun.objects.filter(status=JobRun.Status.SUCCEEDED)
        .values("job")
        .annotate(last=Max("for_date"))
        .values_list("job", "last")
    )
    jobs = [
        {
            "name": name,
            "description": spec.description,
            "minutes": spec.time_limit // 60,
            "last_success": last_success.get(name),
        }
        for name, spec in NIGHTLY_JOBS.items()
    ]
    return render(
        request,
        "logistics/jobs.html",
        {
            "page": page,
            "jobs": jobs,
            "job": job,
            "status": status,
            "query": urlencode([(k, v) for k, v in (("job", job), ("status", status)) if v]),
            "statuses": JobRun.Status.choices,
            "form": RerunForm(initial={"date": timezone.localdate()}),
            "max_attempts": settings.NIGHTLY_JOB_MAX_ATTEMPTS,
        },
    )


@require_GET
@role_required(Role.ADMIN)
def job_run(request, pk: int):
    run = get_object_or_404(JobRun.objects.select_related("started_by"), pk=pk)
    failures = Paginator(run.item_failures.order_by("id"), FAILURES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    others = JobRun.objects.filter(job=run.job, for_date=run.for_date).order_by("started_at", "id")
    return render(
        request,
        "logistics/job_run.html",
        {"run": run, "failures": failures, "attempts": others, "known": run.job in NIGHTLY_JOBS},
    )


@require_POST
@role_required(Role.ADMIN)
def job_rerun(request):
    """Send a job's task for a date again (the operator's choice: it runs even after the
    automatic attempts were used up, and does nothing if the date already succeeded)."""
    form = RerunForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("jobs")
    name, day = form.cleaned_data["job"], form.cleaned_data["date"]
    sent = publish(
        "logistics.tasks.run_nightly_job",
        args=(name, day.isoformat(), f"page:{request.user.username}"[:40]),
        kwargs={"automatic": False},
        time_limit=NIGHTLY_JOBS[name].time_limit,
        soft_time_limit=NIGHTLY_JOBS[name].soft_time_limit,
    )
    if sent:
        messages.success(
            request,
            _("%(job)s for %(date)s is sent to the workers; its run appears below.")
            % {"job": name, "date": day.isoformat()},
        )
    else:
        messages.error(
            request,
            _(
                "The task queue cannot be reached. Try again later, or run on the server: "
                "python manage.py run_nightly_jobs --date %(date)s --job %(job)s"
            )
            % {"job": name, "date": day.isoformat()},
        )
    return redirect(f"{reverse('jobs')}?job={name}")
