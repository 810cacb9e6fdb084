"""Late-return pages (晚归): the building's desk scans or types a student id on a phone; the
night's list with the term's repeat offenders standing out, for everyone who sees the
building; a resident's own records."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apartments import late_returns
from apartments.selectors import BUILDING_VIEWERS, buildings_for
from logistics.access import role_required
from logistics.models import Role

# Who records: the building's dorm managers and shift leads, and administrators.
RECORDING_ROLES = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN)


class LateReturnForm(forms.Form):
    student_id = forms.CharField(
        label=gettext_lazy("Student id"),
        max_length=30,
        error_messages={"required": gettext_lazy("Enter or scan a student id.")},
    )
    returned_at = forms.DateTimeField(
        label=gettext_lazy("Returned at"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=gettext_lazy("Leave empty for now."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=late_returns.REASON_MAX_LENGTH,
    )


def _day(request) -> dt.date:
    """The night asked for (?date=), tonight by default; a bad date is 404."""
    raw = request.GET.get("date")
    if not raw:
        return late_returns.night_of(timezone.now())
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as error:
        raise Http404 from error


def _page_url(building, day: dt.date) -> str:
    url = reverse("apartments:late_returns", args=[building.pk])
    return f"{url}?date={day.isoformat()}"


@require_GET
@role_required(*BUILDING_VIEWERS)
def late_return_choose(request):
    """Which building? Straight to it when the user sees only one."""
    buildings = list(
        buildings_for(request.user).select_related("campus").order_by("campus__position", "code")
    )
    if len(buildings) == 1:
        return redirect("apartments:late_returns", building_id=buildings[0].pk)
    return render(request, "apartments/safety/late_return_choose.html", {"buildings": buildings})


def _render(request, building, day, form, *, status=200):
    may_record = late_returns.recording_buildings_for(request.user).filter(pk=building.pk).exists()
    return render(
        request,
        "apartments/safety/late_returns.html",
        {
            "building": building,
            "day": day,
            "form": form,
            "may_record": may_record,
            "records": late_returns.night_list(building, day),
            "offenders": late_returns.repeat_offenders(building, day),
            "threshold": late_returns.repeat_threshold(),
            "term_start": late_returns.term_start(day),
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "tonight": late_returns.night_of(timezone.now()),
        },
        status=status,
    )


@require_GET
@role_required(*BUILDING_VIEWERS)
def late_return_night(request, building_id: int):
    """A building's late returns of one night, and the desk's form for its own staff."""
    building = get_object_or_404(
        buildings_for(request.user).select_related("campus"), pk=building_id
    )
    return _render(request, building, _day(request), LateReturnForm())


@require_POST
@role_required(*RECORDING_ROLES)
def late_return_record(request, building_id: int):
    building = get_object_or_404(
        late_returns.recording_buildings_for(request.user).select_related("campus"),
        pk=building_id,
    )
    form = LateReturnForm(request.POST)
    day = late_returns.night_of(timezone.now())
    if not form.is_valid():
        return _render(request, building, day, form, status=400)
    values = form.cleaned_data
    try:
        record = late_returns.late_return_record(
            actor=request.user,
            student_id=values["student_id"],
            building=building,
            returned_at=values["returned_at"],
            reason=values["reason"],
        )
    except late_returns.LateReturnInvalid as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _render(request, building, day, form, status=400)
    except late_returns.AlreadyRecorded as error:
        # A double tap or another desk: the return is on the list already, nothing to redo.
        messages.warning(request, error.message)
        night = error.record.night if error.record else day
        return redirect(_page_url(building, night))
    except late_returns.LateReturnError as error:
        form.add_error("student_id", error.message)
        return _render(request, building, day, form, status=error.status_code)
    messages.success(
        request,
        _("Late return recorded: %(name)s (%(id)s) at %(time)s.")
        % {
            "name": record.resident.name,
            "id": record.resident.student_id,
            "time": timezone.localtime(record.returned_at).strftime("%H:%M"),
        },
    )
    return redirect(_page_url(building, record.night))


@require_GET
@role_required(Role.STUDENT)
def my_late_returns(request):
    """A resident's own late returns, newest first, with how many are in this term."""
    resident, records, in_term = late_returns.mine(request.user)
    return render(
        request,
        "apartments/safety/my_late_returns.html",
        {
            "resident": resident,
            "records": records,
            "in_term": in_term,
            "threshold": late_returns.repeat_threshold(),
            "term_start": late_returns.term_start(timezone.localdate()),
        },
    )
