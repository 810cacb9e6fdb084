"""One repair request's page: the promise and how it stands, the timeline, the photos, the
job ticket once finished (labour, materials and their cost) and the reporter's actions:
confirm and rate, reopen, cancel.

Requests are read through maintenance.selectors (what one may not see answers 404) and
changed through maintenance.services.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from maintenance import services, stores
from maintenance.models import Ticket, TicketPhoto
from maintenance.selectors import (
    deadline_state,
    may_dispatch_campus,
    ticket_get,
)
from maintenance.views.wording import _when


class ConfirmForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, 6)],
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": gettext_lazy("Rate the repair from 1 to 5 stars.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        max_length=services.NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is still wrong?"),
        max_length=services.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Say what is still wrong.")},
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (optional)"),
        max_length=services.NOTE_MAX_LENGTH,
        required=False,
    )


# --- One request -------------------------------------------------------------------------------


def _next_step(ticket: Ticket, *, is_reporter: bool, confirm_until) -> str:
    """What happens next, in one sentence, for whoever reads the ticket."""
    Status = Ticket.Status
    if ticket.status == Status.SUBMITTED:
        return _(
            "A dispatcher will assign a technician; you will be told who. Work starts by %(at)s."
        ) % {"at": _when(ticket.respond_by)}
    if ticket.status == Status.ASSIGNED:
        return _("%(technician)s will come and start work by %(at)s.") % {
            "technician": ticket.technician.display_name if ticket.technician else "—",
            "at": _when(ticket.respond_by),
        }
    if ticket.status == Status.IN_PROGRESS:
        return _("%(technician)s is working on it; it will be finished by %(at)s.") % {
            "technician": ticket.technician.display_name if ticket.technician else "—",
            "at": _when(ticket.complete_by),
        }
    if ticket.status == Status.DONE:
        if is_reporter:
            return _(
                "The repair is finished. Please check it, then confirm and rate it by %(at)s, "
                "or reopen it if the fault is still there. Without an answer it is confirmed "
                "automatically."
            ) % {"at": _when(confirm_until)}
        return _("The repair is finished; the reporter is asked to confirm it.")
    if ticket.status == Status.CLOSED:
        if is_reporter and ticket.rating is None:
            return _("The repair is closed. You can still rate it.")
        return _("The repair is closed.")
    if ticket.status == Status.CANCELLED:
        return _("This request was cancelled.")
    return ""


STEPS = [
    (Ticket.Status.SUBMITTED, gettext_lazy("Filed")),
    (Ticket.Status.ASSIGNED, gettext_lazy("Assigned")),
    (Ticket.Status.IN_PROGRESS, gettext_lazy("Being repaired")),
    (Ticket.Status.DONE, gettext_lazy("Repaired")),
    (Ticket.Status.CLOSED, gettext_lazy("Confirmed")),
]


def _steps(ticket: Ticket) -> list[dict]:
    """The progress bar: each step done, current or to come (none for a cancelled or merged
    request)."""
    order = [status for status, _label in STEPS]
    if ticket.status not in order:
        return []
    current = order.index(ticket.status)
    return [
        {"label": label, "state": "done" if i < current else "current" if i == current else ""}
        for i, (_status, label) in enumerate(STEPS)
    ]


def _material_lines(ticket: Ticket) -> list:
    lines = list(stores.job_materials(ticket))
    for line in lines:
        line.unit = stores.unit_of(line.stock.material)
        line.amount = abs(line.quantity)
        line.cost = -line.value if line.kind in stores.JOB_KINDS else None
    return lines


def _detail_context(request, ticket: Ticket, **forms_) -> dict:
    user = request.user
    now = timezone.now()
    is_reporter = ticket.reporter_id == user.pk
    until = services.confirm_until(ticket)
    Status = Ticket.Status
    photos = list(TicketPhoto.objects.filter(ticket=ticket).values("photo_id", "kind"))
    finished = ticket.status in (Status.DONE, Status.CLOSED) and ticket.finished_at is not None
    may_confirm = is_reporter and ticket.status == Status.DONE
    may_rate = is_reporter and ticket.status == Status.CLOSED and ticket.rating is None
    context = {
        "ticket": ticket,
        "is_reporter": is_reporter,
        "steps": _steps(ticket),
        "next_step": _next_step(ticket, is_reporter=is_reporter, confirm_until=until),
        "deadline_state": deadline_state(ticket, now),
        "deadline": ticket.respond_by if ticket.started_at is None else ticket.complete_by,
        "fault_photos": [p["photo_id"] for p in photos if p["kind"] == TicketPhoto.Kind.FAULT],
        "result_photos": [p["photo_id"] for p in photos if p["kind"] == TicketPhoto.Kind.RESULT],
        "events": list(ticket.events.select_related("actor")),
        "finished": finished,
        "confirm_until": until,
        "may_confirm": may_confirm,
        "may_rate": may_rate,
        "may_reopen": may_confirm and until is not None and now <= until,
        "may_cancel": is_reporter and ticket.status in (Status.SUBMITTED, Status.ASSIGNED),
        "may_dispatch": may_dispatch_campus(user, ticket.campus_id),
        "is_technician": ticket.technician_id is not None and ticket.technician_id == user.pk,
        "stars": range(1, 6),
    }
    # The reporter's phone: for them, the dispatchers and the technician, not for roommates.
    context["show_phone"] = is_reporter or context["may_dispatch"] or context["is_technician"]
    if finished:
        context["lines"] = _material_lines(ticket)
        context["material_cost"] = stores.job_material_cost(ticket)
        context["labour"] = divmod(ticket.labour_minutes, 60)
    if may_confirm or may_rate:
        context["confirm_form"] = forms_.get("confirm_form") or ConfirmForm()
    if context["may_reopen"]:
        context["reopen_form"] = forms_.get("reopen_form") or ReopenForm()
    if context["may_cancel"]:
        context["cancel_form"] = forms_.get("cancel_form") or CancelForm()
    return context


@require_GET
@login_required
def ticket_detail(request, pk: int):
    """One request, for whoever may see it (selectors.tickets_for); 404 for anyone else."""
    ticket = ticket_get(request.user, pk)
    return render(request, "maintenance/ticket_detail.html", _detail_context(request, ticket))


def _act(request, pk: int, form_class, form_name: str, write):
    """Run a reporter's action: the form checked, then the service. Input errors re-render
    the page with the form (what the user typed kept); a refusal (not the reporter, the
    wrong status, too late) becomes a message on the ticket's page."""
    ticket = ticket_get(request.user, pk)
    form = form_class(request.POST)
    if not form.is_valid():
        context = _detail_context(request, ticket, **{form_name: form})
        return render(request, "maintenance/ticket_detail.html", context, status=400)
    try:
        message = write(ticket, form.cleaned_data)
    except services.RepairInvalid as error:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
            context = _detail_context(request, ticket, **{form_name: form})
            return render(request, "maintenance/ticket_detail.html", context, status=400)
        messages.error(request, error.message)
    except services.RepairError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect("maintenance:ticket_detail", pk=ticket.pk)


@require_POST
@login_required
def ticket_confirm(request, pk: int):
    """The reporter confirms a finished repair and rates it, or rates one closed
    automatically."""

    def write(ticket, data):
        done = services.ticket_confirm(
            actor=request.user, ticket=ticket, rating=data["rating"], comment=data["comment"]
        )
        if done.follow_up_needed and done.rating <= settings.REPAIR_FOLLOW_UP_RATING:
            return _(
                "Thank you for your rating. We are sorry the repair did not satisfy you; a "
                "supervisor will contact you about it."
            )
        return _("Thank you: the repair is confirmed and rated.")

    return _act(request, pk, ConfirmForm, "confirm_form", write)


@require_POST
@login_required
def ticket_reopen(request, pk: int):
    """The reporter says the fault is still there: the job goes back to its technician."""

    def write(ticket, data):
        services.ticket_reopen(actor=request.user, ticket=ticket, reason=data["reason"])
        return _("The request is reopened; the technician has been told to come back.")

    return _act(request, pk, ReopenForm, "reopen_form", write)


@require_POST
@login_required
def ticket_cancel(request, pk: int):
    """The reporter withdraws a request nobody has started on."""

    def write(ticket, data):
        services.ticket_cancel(actor=request.user, ticket=ticket, reason=data["reason"])
        return _("Your repair request is cancelled.")

    return _act(request, pk, CancelForm, "cancel_form", write)
