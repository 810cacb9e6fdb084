"""Preventive schedules (list, new, a schedule's history with what each job cost) and the
planned-against-reactive report. Dispatchers of the campus (and maintenance heads,
administrators) plan; the report's readers are the repair reports' (auditors too). Anyone else
gets 404."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from apartments.models import AssetType, Building, Room
from logistics.access import ALL
from logistics.models import Campus
from maintenance import planned_reports, preventive
from maintenance.models import Meter, PublicArea, Schedule
from maintenance.reports import Period, period_problems, report_campuses
from maintenance.selectors import dispatch_campuses


def _scoped(queryset, scope, field="campus_id"):
    if scope is ALL:
        return queryset
    return queryset.filter(**{f"{field}__in": scope})


def _planner(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        scope = dispatch_campuses(request.user)
        if scope != ALL and not scope:
            raise Http404
        return view(request, *args, scope=scope, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


class DateInput(forms.DateInput):
    input_type = "date"


class ScheduleForm(forms.Form):
    campus = forms.TypedChoiceField(label=gettext_lazy("Campus"), coerce=int)
    name = forms.CharField(label=pgettext_lazy("thing", "Name"), max_length=100)
    room = forms.CharField(
        label=gettext_lazy("Room"),
        required=False,
        help_text=gettext_lazy("Building and room, e.g. S01-101; or choose a public area."),
    )
    area = forms.TypedChoiceField(label=gettext_lazy("Public area"), coerce=int, required=False)
    asset_type = forms.ModelChoiceField(
        label=gettext_lazy("Asset type"),
        queryset=AssetType.objects.order_by("code"),
        required=False,
        help_text=gettext_lazy("What the schedule maintains, e.g. water heaters."),
    )
    building = forms.TypedChoiceField(
        label=gettext_lazy("Building"),
        coerce=int,
        required=False,
        help_text=gettext_lazy(
            "For an asset type without a room or area: one job per room of this building "
            "holding it (every building of the campus when empty)."
        ),
    )
    meter = forms.TypedChoiceField(
        label=gettext_lazy("Meter"),
        coerce=int,
        required=False,
        help_text=gettext_lazy("For a meter recurrence: a job every N units of this meter."),
    )
    tasks = forms.CharField(
        label=gettext_lazy("Task list"),
        help_text=gettext_lazy("One task a line."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    unit = forms.ChoiceField(label=gettext_lazy("Recurrence"), choices=Schedule.Unit.choices)
    every = forms.IntegerField(
        label=gettext_lazy("Every"), min_value=1, max_value=1_000_000, initial=1
    )
    fixed_dates = forms.CharField(
        label=gettext_lazy("Fixed dates"),
        required=False,
        help_text=gettext_lazy("For fixed dates: month and day, e.g. 07-15, 12-20."),
    )
    next_due = forms.DateField(
        label=gettext_lazy("First due on"),
        required=False,
        widget=DateInput(format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text=gettext_lazy("Not for a meter recurrence."),
    )

    def __init__(self, *args, campuses, **kwargs):
        super().__init__(*args, **kwargs)
        self.campuses = {c.pk: c for c in campuses}
        self.fields["campus"].choices = [(c.pk, c.display_name) for c in campuses]
        areas = PublicArea.objects.filter(campus__in=campuses).select_related("campus")
        self.areas = {a.pk: a for a in areas}
        self.fields["area"].choices = [("", "—")] + [
            (a.pk, f"{a.code} {a.display_name}") for a in self.areas.values()
        ]
        buildings = Building.objects.filter(campus__in=campuses).order_by("campus", "code")
        self.buildings = {b.pk: b for b in buildings}
        self.fields["building"].choices = [("", "—")] + [
            (b.pk, f"{b.code} {b.display_name}") for b in self.buildings.values()
        ]
        meters = Meter.objects.filter(campus__in=campuses, is_active=True).order_by("name")
        self.meters = {m.pk: m for m in meters.select_related("room__building", "area")}
        self.fields["meter"].choices = [("", "—")] + [(m.pk, m.name) for m in self.meters.values()]

    def clean(self):
        data = super().clean()
        text = (data.get("room") or "").strip()
        data["room_obj"] = None
        if text:
            code, _sep, number = text.rpartition("-")
            room = (
                Room.objects.select_related("building")
                .filter(building__code__iexact=code, number__iexact=number)
                .filter(building__campus_id=data.get("campus"))
                .first()
            )
            if room is None:
                self.add_error("room", _("No room %(room)s on this campus.") % {"room": text})
            data["room_obj"] = room
        data["area_obj"] = self.areas.get(data.get("area")) if data.get("area") else None
        data["building_obj"] = self.buildings.get(data.get("building"))
        data["meter_obj"] = self.meters.get(data.get("meter"))
        return data


@require_GET
@_planner
def schedules(request, scope):
    rows = preventive.schedule_summaries(_scoped(Schedule.objects.all(), scope))
    rows = rows.select_related("building", "asset_type", "meter").order_by(
        "campus__position", "next_due", "name"
    )
    return render(request, "maintenance/schedule_list.html", {"schedules": rows})


@_planner
def schedule_new(request, scope):
    campuses = list(_scoped(Campus.objects.order_by("position", "code"), scope, "pk"))
    form = ScheduleForm(request.POST or None, campuses=campuses)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            schedule = preventive.schedule_create(
                actor=request.user,
                campus=form.campuses[data["campus"]],
                name=data["name"],
                tasks=data["tasks"],
                unit=data["unit"],
                every=data["every"],
                next_due=data["next_due"],
                room=data["room_obj"],
                area=data["area_obj"],
                fixed_dates=(data["fixed_dates"] or "").replace("，", ",").split(","),
                asset_type=data.get("asset_type"),
                building=data["building_obj"],
                meter=data["meter_obj"],
            )
        except preventive.ScheduleInvalid as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The schedule is saved."))
            return redirect("maintenance:schedule", schedule.pk)
    return render(request, "maintenance/schedule_form.html", {"form": form})


@require_GET
@_planner
def schedule(request, pk: int, scope):
    found = get_object_or_404(
        _scoped(
            Schedule.objects.select_related(
                "campus", "room__building", "area", "owner", "building", "asset_type", "meter"
            ),
            scope,
        ),
        pk=pk,
    )
    jobs = preventive.history(found)
    return render(
        request,
        "maintenance/schedule_detail.html",
        {
            "schedule": found,
            "jobs": jobs,
            "totals": planned_reports.totals_of(found.tickets.all()),
        },
    )


@require_GET
def planned_report(request):
    """Planned against reactive repairs per building and per technician, for a period."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    scope = report_campuses(request.user)
    if scope != ALL and not scope:
        raise Http404
    period = Period.this_month()
    try:
        first = dt.date.fromisoformat(request.GET.get("from", ""))
        last = dt.date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        first = last = None
    problems = {}
    if first and last:
        problems = period_problems(first, last)
        if not problems:
            period = Period(first, last)
    return render(
        request,
        "maintenance/planned_report.html",
        {
            "period": period,
            "problems": problems,
            "buildings": planned_reports.by_building(period, scope),
            "technicians": planned_reports.by_technician(period, scope),
        },
    )
