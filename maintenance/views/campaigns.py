"""Readiness campaigns and the readiness board (maintenance.campaigns holds the rules).

- /repairs/readiness/ — the open campaigns by campus with their totals and forecast (the
  move-in dashboard links here);
- /repairs/campaigns/new/ — a manager starts one;
- /repairs/campaigns/<id>/ — its board per building, Excel, close;
- /repairs/campaigns/<id>/buildings/<id>/ — a building's rooms with their state and the
  tickets blocking them: the drill-down, and the service worker's room list on a phone;
- /repairs/campaigns/rooms/<task>/ — one room's checklist, and a fault found there.

What the caller may not see answers 404; every change is a POST to a service.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apartments.models import Building
from logistics.access import ALL, is_staff_member
from logistics.models import Campus
from logistics.spreadsheets import XlsxWriter
from logistics.uploads import PhotoField
from maintenance import campaigns, planned_reports, services
from maintenance.models import Category

STATE_LABELS = {
    campaigns.State.READY: gettext_lazy("Ready"),
    campaigns.State.IN_PROGRESS: gettext_lazy("In progress"),
    campaigns.State.BLOCKED: gettext_lazy("Blocked"),
    campaigns.State.NOT_STARTED: gettext_lazy("Not started"),
}


def _staff(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _manager_campuses(user) -> list[Campus]:
    scope = campaigns.campaign_campuses(user)
    campuses = Campus.objects.order_by("position", "code")
    if scope is not ALL:
        campuses = campuses.filter(pk__in=scope)
    return list(campuses)


# --- Forms -------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class CampaignForm(forms.Form):
    campus = forms.TypedChoiceField(label=gettext_lazy("Campus"), coerce=int)
    name = forms.CharField(label=pgettext_lazy("thing", "Name"), max_length=100)
    buildings = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Buildings"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    checklist = forms.CharField(
        label=gettext_lazy("Room checklist"),
        help_text=gettext_lazy("One item a line."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    move_in_date = forms.DateField(
        label=gettext_lazy("Move-in date"),
        widget=DateInput(format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )

    def __init__(self, *args, campuses: list[Campus], **kwargs):
        super().__init__(*args, **kwargs)
        self.campuses = {c.pk: c for c in campuses}
        self.fields["campus"].choices = [(c.pk, c.display_name) for c in campuses]
        buildings = Building.objects.filter(campus__in=campuses).select_related("campus")
        self.buildings = {b.pk: b for b in buildings.order_by("campus__position", "code")}
        self.fields["buildings"].choices = [
            (b.pk, f"{b.code} {b.display_name}") for b in self.buildings.values()
        ]


class ChecklistForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


class FaultForm(forms.Form):
    category = forms.TypedChoiceField(label=gettext_lazy("Kind of fault"), coerce=int)
    description = forms.CharField(
        label=gettext_lazy("What is wrong"),
        max_length=services.DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photo = PhotoField(label=gettext_lazy("Photo"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {c.pk: c for c in Category.objects.filter(is_active=True)}
        self.fields["category"].choices = [(c.pk, c.display_name) for c in self.categories.values()]


# --- Pages -------------------------------------------------------------------------------------


@require_GET
@_staff
def readiness(request):
    """The open campaigns the caller may see, by campus, with totals and forecast."""
    summaries = campaigns.campaign_summaries(request.user)
    return render(
        request,
        "maintenance/readiness.html",
        {
            "summaries": summaries,
            "may_start": bool(campaigns.campaign_campuses(request.user)),
            "today": timezone.localdate(),
        },
    )


@_staff
def campaign_new(request):
    campuses = _manager_campuses(request.user)
    if not campuses:
        raise Http404
    initial = {"checklist": "\n".join(campaigns.DEFAULT_CHECKLIST)}
    form = CampaignForm(request.POST or None, campuses=campuses, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = campaigns.campaign_start(
                actor=request.user,
                campus=form.campuses[data["campus"]],
                name=data["name"],
                buildings=[form.buildings[pk] for pk in data["buildings"]],
                checklist=data["checklist"].splitlines(),
                move_in_date=data["move_in_date"],
            )
        except services.RepairError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _(
                    "The campaign has started: its rooms are not ready until their checklist "
                    "is done."
                ),
            )
            return redirect("maintenance:campaign", campaign.pk)
    return render(request, "maintenance/campaign_form.html", {"form": form})


@require_GET
@_staff
def campaign(request, pk: int):
    """A campaign's board: per building, rooms ready / in progress / blocked / not started."""
    found = campaigns.campaign_get(request.user, pk)
    may_manage = campaigns.may_manage(request.user, found.campus_id)
    context = {
        "campaign": found,
        "board": campaigns.board(request.user, found),
        "may_manage": may_manage,
    }
    if may_manage:
        # The campaign's cost and effort: labour and materials of its repair tickets.
        context["costs"] = planned_reports.totals_of(found.tickets.all())
        context["per_technician"] = planned_reports.per_technician_of(found.tickets.all())
    return render(request, "maintenance/campaign_board.html", context)


@require_GET
@_staff
def campaign_export(request, pk: int):
    found = campaigns.campaign_get(request.user, pk)
    board = campaigns.board(request.user, found)
    sheet = XlsxWriter(
        str(_("Readiness")),
        [
            _("Building"),
            _("Rooms"),
            _("Ready"),
            _("In progress"),
            _("Blocked"),
            _("Not started"),
            _("Done in the last 7 days"),
            _("Forecast"),
            _("Late for move-in"),
        ],
    )
    for row in [*board.rows, board.total]:
        forecast = row.forecast
        sheet.append(
            [
                f"{row.code} {row.display_name}".strip(),
                row.total,
                row.ready,
                row.in_progress,
                row.blocked,
                row.not_started,
                row.recent,
                forecast.finish.isoformat() if forecast.finish else "",
                _("yes") if forecast.late else _("no"),
            ]
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return sheet.response(f"readiness-{found.pk}-{stamp}.xlsx")


@require_POST
@_staff
def campaign_close(request, pk: int):
    found = campaigns.campaign_get(request.user, pk)
    try:
        campaigns.campaign_close(actor=request.user, campaign=found)
    except services.RepairError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The campaign is closed."))
    return redirect("maintenance:campaign", found.pk)


@require_GET
@_staff
def campaign_building(request, pk: int, building_pk: int):
    """One building's rooms in the campaign, with their state and blocking tickets."""
    found = campaigns.campaign_get(request.user, pk)
    building = campaigns.campaign_building(request.user, found, building_pk)
    state = request.GET.get("state", "")
    if state not in STATE_LABELS:
        state = ""
    tasks = campaigns.building_tasks(request.user, found, building.pk, state=state)
    workable = set(
        campaigns.workable_tasks(request.user)
        .filter(campaign=found, building_id=building.pk)
        .values_list("pk", flat=True)
    )
    for task in tasks:
        task.state_label = STATE_LABELS[task.state]
        task.workable = task.pk in workable
        task.items_done = len(task.done_items)
    return render(
        request,
        "maintenance/campaign_building.html",
        {
            "campaign": found,
            "building": building,
            "tasks": tasks,
            "state": state,
            "states": list(STATE_LABELS.items()),
            "checklist_size": len(found.checklist),
        },
    )


def _task_page(request, task, *, form=None, fault_form=None, status=200):
    done = set(task.done_items)
    items = [(n, text, n in done) for n, text in enumerate(task.campaign.checklist)]
    tickets = list(
        task.room.tickets.filter(status__in=services.Ticket.OPEN)
        .select_related("category")
        .order_by("created_at")
    )
    return render(
        request,
        "maintenance/campaign_room.html",
        {
            "task": task,
            "items": items,
            "form": form or ChecklistForm(initial={"note": task.note}),
            "fault_form": fault_form or FaultForm(),
            "tickets": tickets,
        },
        status=status,
    )


@_staff
def room_task(request, pk: int):
    """One room's checklist on a phone: tick what is done, save."""
    task = campaigns.task_get(request.user, pk)
    if request.method != "POST":
        return _task_page(request, task)
    form = ChecklistForm(request.POST)
    if not form.is_valid():
        return _task_page(request, task, form=form, status=400)
    try:
        task = campaigns.room_task_record(
            actor=request.user,
            task=task,
            done_items=request.POST.getlist("item"),
            note=form.cleaned_data["note"],
        )
    except services.RepairError as error:
        messages.error(request, error.message)
        return _task_page(request, task, form=form, status=error.status_code)
    messages.success(request, _("Room %(room)s saved.") % {"room": task.room})
    return redirect("maintenance:campaign_building", task.campaign_id, task.building_id)


@require_POST
@_staff
def room_fault(request, pk: int):
    """A fault found in the room: a repair ticket of the campaign."""
    task = campaigns.task_get(request.user, pk)
    form = FaultForm(request.POST, request.FILES)
    if not form.is_valid():
        return _task_page(request, task, fault_form=form, status=400)
    data = form.cleaned_data
    try:
        ticket = campaigns.room_fault_report(
            actor=request.user,
            task=task,
            category=form.categories[data["category"]],
            description=data["description"],
            photos=[data["photo"]] if data.get("photo") else [],
        )
    except services.RepairError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _task_page(request, task, fault_form=form, status=error.status_code)
    messages.success(
        request,
        _("Fault reported as %(number)s: the room stays blocked until it is repaired.")
        % {"number": ticket.number},
    )
    return redirect("maintenance:room_task", task.pk)
