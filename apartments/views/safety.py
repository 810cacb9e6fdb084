"""Dorm safety pages: a building's staff file tonight's zero report on a phone; managers,
heads and auditors see the per-night board of every building they see."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from apartments import safety
from apartments.models import ZeroReport
from apartments.selectors import BUILDING_VIEWERS
from logistics.access import role_required
from logistics.models import Role

# Who files: the building's dorm managers and shift leads, and administrators.
FILING_ROLES = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN)


class ZeroReportForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Night of"), widget=forms.DateInput(attrs={"type": "date"})
    )
    nothing_to_report = forms.TypedChoiceField(
        label=gettext_lazy("Tonight"),
        choices=[
            ("true", gettext_lazy("Nothing to report")),
            ("false", gettext_lazy("Incidents to report")),
        ],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=safety.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "What happened, and what was done. Needed when there are incidents."
        ),
    )


def _day(request) -> dt.date:
    """The night asked for (?date=), today by default; a bad date is 404."""
    raw = request.GET.get("date")
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as error:
        raise Http404 from error


@require_GET
@role_required(*FILING_ROLES)
def zero_report_choose(request):
    """Which building's report? Straight to it when the user works in only one."""
    buildings = list(
        safety.filing_buildings_for(request.user)
        .select_related("campus")
        .order_by("campus__position", "code")
    )
    if len(buildings) == 1:
        return redirect("apartments:zero_report_file", building_id=buildings[0].pk)
    return render(request, "apartments/safety/choose.html", {"buildings": buildings})


@require_http_methods(["GET", "POST"])
@role_required(*FILING_ROLES)
def zero_report_file(request, building_id: int):
    building = get_object_or_404(
        safety.filing_buildings_for(request.user).select_related("campus"), pk=building_id
    )
    day = _day(request)
    if request.method == "POST":
        form = ZeroReportForm(request.POST)
        if form.is_valid():
            values = form.cleaned_data
            try:
                safety.zero_report_file(
                    actor=request.user,
                    building=building,
                    date=values["date"],
                    nothing_to_report=values["nothing_to_report"],
                    note=values["note"],
                )
            except safety.ZeroReportInvalid as error:
                form.add_error(error.field, error.message)
            except safety.ZeroReportError as error:
                messages.error(request, error.message)
                day = values["date"]
            else:
                messages.success(request, _("The zero report has been filed. Thank you."))
                url = reverse("apartments:zero_report_file", args=[building.pk])
                return redirect(f"{url}?date={values['date'].isoformat()}")
        if form.is_bound and "date" in form.cleaned_data:
            day = form.cleaned_data["date"]
    else:
        form = ZeroReportForm(initial={"date": day, "nothing_to_report": "true"})
    report = (
        ZeroReport.objects.filter(building=building, date=day).select_related("filed_by").first()
    )
    status = 200 if not (request.method == "POST" and form.errors) else 400
    return render(
        request,
        "apartments/safety/file.html",
        {
            "building": building,
            "day": day,
            "form": form,
            "report": report,
            "deadline": safety.deadline(),
            "future": day > timezone.localdate(),
        },
        status=status,
    )


@require_GET
@role_required(*BUILDING_VIEWERS)
def night_board(request):
    """Every building the user sees for one night: reported, nothing, incidents, missing."""
    day = _day(request)
    rows = safety.night_board(request.user, day)
    return render(
        request,
        "apartments/safety/board.html",
        {
            "day": day,
            "rows": rows,
            "counts": safety.board_counts(rows),
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "today": timezone.localdate(),
            "deadline": safety.deadline(),
        },
    )


@require_GET
@role_required(*BUILDING_VIEWERS)
def building_month(request, building_id: int):
    """One building's zero reports night by night for a month (?month=YYYY-MM)."""
    raw = request.GET.get("month")
    today = timezone.localdate()
    try:
        first = (dt.date.fromisoformat(f"{raw}-01") if raw else today.replace(day=1)).replace(day=1)
    except ValueError as error:
        raise Http404 from error
    if first > today:
        raise Http404
    building, nights = safety.month_of(request.user, building_id, first)
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return render(
        request,
        "apartments/safety/month.html",
        {
            "building": building,
            "first": first,
            "nights": nights,
            "counts": safety.board_counts([row for _day, row in nights]),
            "previous": (first - dt.timedelta(days=1)).replace(day=1),
            "next": following if following <= today else None,
        },
    )
