"""Meters and their readings (maintenance.meters): the list, a new meter (planners), and a
meter's page where staff of its campus record a reading. Anyone else gets 404; a reading is
recorded only by POST."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from logistics.access import ALL
from logistics.models import Campus
from maintenance import meters as meter_services
from maintenance.models import Meter
from maintenance.selectors import dispatch_campuses
from maintenance.views.planned import ScheduleForm, _planner, _scoped

READINGS_SHOWN = 50


def _reader(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        scope = meter_services.reader_campuses(request.user)
        if scope is not ALL and not scope:
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


class ReadingForm(forms.Form):
    value = forms.CharField(label=gettext_lazy("Reading"), max_length=20)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class MeterForm(ScheduleForm):
    """The campus and place fields of the schedule form, and the meter's own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("asset_type", "building", "meter", "tasks", "unit", "every"):
            del self.fields[name]
        for name in ("fixed_dates", "next_due"):
            del self.fields[name]
        self.fields["unit"] = forms.ChoiceField(
            label=gettext_lazy("Counts"), choices=Meter.Unit.choices
        )
        self.fields["max_per_day"] = forms.DecimalField(
            label=gettext_lazy("Most in a day"),
            min_value=0.1,
            max_digits=10,
            decimal_places=1,
            help_text=Meter._meta.get_field("max_per_day").help_text,
        )
        self.fields["reading"] = forms.DecimalField(
            label=gettext_lazy("Reading now"), min_value=0, max_digits=12, decimal_places=1
        )


@require_GET
@_reader
def meter_list(request):
    rows = meter_services.meters_for(request.user).order_by("campus__position", "name")
    scope = dispatch_campuses(request.user)
    return render(
        request,
        "maintenance/meter_list.html",
        {"meters": rows, "may_plan": scope is ALL or bool(scope)},
    )


@_planner
def meter_new(request, scope):
    campuses = list(_scoped(Campus.objects.order_by("position", "code"), scope, "pk"))
    form = MeterForm(request.POST or None, campuses=campuses)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meter = meter_services.meter_create(
                actor=request.user,
                campus=form.campuses[data["campus"]],
                name=data["name"],
                unit=data["unit"],
                max_per_day=data["max_per_day"],
                room=data["room_obj"],
                area=data["area_obj"],
                reading=data["reading"],
            )
        except meter_services.MeterInvalid as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The meter is saved."))
            return redirect("maintenance:meter", meter.pk)
    return render(request, "maintenance/meter_form.html", {"form": form})


@_reader
def meter(request, pk: int):
    found = get_object_or_404(meter_services.meters_for(request.user), pk=pk)
    form = ReadingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meter_services.reading_record(
                actor=request.user,
                meter=found,
                value=form.cleaned_data["value"],
                note=form.cleaned_data["note"],
            )
        except meter_services.MeterInvalid as error:
            form.add_error("value" if error.field else None, error.message)
        else:
            messages.success(request, _("The reading is recorded."))
            return redirect("maintenance:meter", found.pk)
    readings = found.readings.select_related("by")[:READINGS_SHOWN]
    return render(
        request,
        "maintenance/meter_detail.html",
        {
            "meter": found,
            "form": form,
            "readings": readings,
            "schedules": found.schedules.order_by("name"),
        },
    )
