"""The technician's phone: my jobs, and one job's ticket (计票) — start, draw materials from
the storeroom and return what was not used or can be reused, finish with the labour, what was
done and photos of the result; afterwards the completed ticket, read-only.

Only the technician a job is assigned to opens it. Anyone else answers 404, a dispatcher too:
they follow the job on their own pages. Every change is a POST to a service
(maintenance.services for the job, maintenance.stores for the ledger).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from logistics.access import role_required
from logistics.models import Role
from logistics.uploads import PhotoField
from maintenance import points, services, storeroom, stores
from maintenance.models import StockMovement, Ticket, TicketPhoto, Urgency
from maintenance.selectors import deadline_state, tickets_for, with_origins, with_place

WORKING = (Ticket.Status.ASSIGNED, Ticket.Status.IN_PROGRESS)
FINISHED = (Ticket.Status.DONE, Ticket.Status.CLOSED)
RECENT_DAYS = 30
RECENT_LIMIT = 50
QUANTITY_MAX_LENGTH = 20
PHOTO_FIELDS = tuple(f"photo_{n}" for n in range(1, services.MAX_PHOTOS + 1))
# The order of the open jobs: what is late or urgent comes first.
_RANK = {"overdue": 0, "urgent": 1, "at_risk": 2, "ok": 3}


# --- Forms -------------------------------------------------------------------------------------


def _stock_label(stock) -> str:
    return _("%(code)s %(name)s — %(balance)s %(unit)s left · %(storeroom)s") % {
        "code": stock.material.code,
        "name": stock.material.display_name,
        "balance": stock.balance,
        "unit": stores.unit_of(stock.material),
        "storeroom": stock.storeroom.display_name,
    }


class _MaterialForm(forms.Form):
    """A stock of the job's campus and a quantity (checked as the ledger checks it)."""

    stock = forms.TypedChoiceField(label=gettext_lazy("Material"), coerce=int)
    quantity = forms.CharField(
        label=gettext_lazy("Quantity"),
        max_length=QUANTITY_MAX_LENGTH,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args, stocks, **kwargs):
        super().__init__(*args, **kwargs)
        self.stocks = {s.pk: s for s in stocks}
        self.fields["stock"].choices = [("", "—")] + [(s.pk, _stock_label(s)) for s in stocks]

    def clean_stock(self):
        return self.stocks[self.cleaned_data["stock"]]

    def clean_quantity(self):
        try:
            return stores.clean_quantity(self.cleaned_data["quantity"])
        except services.RepairInvalid as error:
            raise ValidationError(error.message) from None


class IssueForm(_MaterialForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "issue_%s")  # two material forms share the page
        super().__init__(*args, **kwargs)


class ReturnForm(_MaterialForm):
    UNUSED = "unused"
    RECOVERED = "recovered"

    kind = forms.ChoiceField(
        label=gettext_lazy("What comes back"),
        choices=[
            (UNUSED, gettext_lazy("Unused (drawn for this job)")),
            (RECOVERED, gettext_lazy("Recovered for reuse")),
        ],
        initial=UNUSED,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "return_%s")
        super().__init__(*args, **kwargs)


class FinishForm(forms.Form):
    hours = forms.IntegerField(
        label=gettext_lazy("Hours"), min_value=0, max_value=24, required=False
    )
    minutes = forms.IntegerField(
        label=gettext_lazy("Minutes"),
        min_value=0,
        max_value=services.MAX_LABOUR_MINUTES,
        required=False,
    )
    work_note = forms.CharField(
        label=gettext_lazy("What was done"),
        max_length=services.DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo_1 = PhotoField(label=gettext_lazy("Photo of the result"), required=False)
    photo_2 = PhotoField(label=gettext_lazy("Second photo"), required=False)
    photo_3 = PhotoField(label=gettext_lazy("Third photo"), required=False)

    def __init__(self, *args, repair_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        # One quantity per item of the center's points table (维修项目计票): 0 or empty, not done.
        self.repair_items = list(repair_items)
        for item in self.repair_items:
            self.fields[self.item_field(item)] = forms.IntegerField(
                label=item.display_name,
                min_value=0,
                max_value=points.MAX_QUANTITY,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"}),
                help_text=ngettext(
                    "%(points)s point each", "%(points)s points each", 1 if item.points == 1 else 2
                )
                % {"points": item.points.normalize()},
            )

    @staticmethod
    def item_field(item) -> str:
        return f"item__{item.code}"

    def item_fields(self):
        return [self[self.item_field(item)] for item in self.repair_items]

    def clean(self):
        data = super().clean()
        data["items"] = [
            {"item": item.code, "quantity": data[self.item_field(item)]}
            for item in self.repair_items
            if data.get(self.item_field(item))
        ]
        if "hours" in self.errors or "minutes" in self.errors:
            return data
        total = (data.get("hours") or 0) * 60 + (data.get("minutes") or 0)
        if total <= 0:
            self.add_error("minutes", _("Enter the labour: hours, minutes or both."))
        elif total > services.MAX_LABOUR_MINUTES:
            self.add_error(
                "minutes",
                _("Labour must be between 1 and %(n)s minutes.")
                % {"n": services.MAX_LABOUR_MINUTES},
            )
        data["labour_minutes"] = total
        return data


# --- Fetching ----------------------------------------------------------------------------------


def _job_or_404(request, pk: int) -> Ticket:
    """The job, if it is assigned to the user; 404 otherwise (whoever else may see it)."""
    ticket = get_object_or_404(
        with_place(tickets_for(request.user)).select_related("area__building"),
        pk=pk,
        technician_id=request.user.pk,
    )
    return with_origins([ticket])[0]


def _token() -> str:
    return uuid.uuid4().hex


# --- My jobs -----------------------------------------------------------------------------------


@require_GET
@role_required(Role.TECHNICIAN)
def my_jobs(request):
    """The technician's open jobs, late and urgent first, and those finished in the last 30
    days below."""
    now = timezone.now()
    mine = (
        with_place(tickets_for(request.user))
        .select_related("area__building")
        .filter(technician_id=request.user.pk)
    )
    open_jobs = with_origins(list(mine.filter(status__in=WORKING)))
    for ticket in open_jobs:
        ticket.deadline_state = deadline_state(ticket, now)
        ticket.deadline = ticket.respond_by if ticket.started_at is None else ticket.complete_by
        urgent = ticket.urgency == Urgency.URGENT and ticket.deadline_state != "overdue"
        ticket.rank = _RANK["urgent"] if urgent else _RANK[ticket.deadline_state]
    open_jobs.sort(key=lambda t: (t.rank, t.deadline, t.pk))
    recent = with_origins(
        list(
            mine.filter(
                Q(status__in=FINISHED) & Q(finished_at__gte=now - timedelta(days=RECENT_DAYS))
            ).order_by("-finished_at", "-pk")[:RECENT_LIMIT]
        )
    )
    return render(
        request,
        "maintenance/job_list.html",
        {"open_jobs": open_jobs, "recent": recent, "now": now, "recent_days": RECENT_DAYS},
    )


# --- One job -----------------------------------------------------------------------------------


def _material_lines(ticket: Ticket) -> list:
    """The job's material lines with what each costs the job: issued counts, returned unused
    is deducted, recovered parts cost nothing."""
    lines = list(stores.job_materials(ticket))
    for line in lines:
        line.unit = stores.unit_of(line.stock.material)
        line.amount = abs(line.quantity)
        line.cost = -line.value if line.kind in stores.JOB_KINDS else None
    return lines


def _job_context(request, ticket: Ticket, **forms_) -> dict:
    working = ticket.status in WORKING
    stocks = storeroom.job_stock_choices(request.user, ticket) if working else []
    drawable = [s for s in stocks if s.material.is_active]
    photos = list(TicketPhoto.objects.filter(ticket=ticket).values("photo_id", "kind"))
    context = {
        "ticket": ticket,
        "working": working,
        "may_start": ticket.status == Ticket.Status.ASSIGNED,
        "may_finish": ticket.status == Ticket.Status.IN_PROGRESS,
        "deadline_state": deadline_state(ticket),
        "deadline": ticket.respond_by if ticket.started_at is None else ticket.complete_by,
        "lines": _material_lines(ticket),
        "material_cost": stores.job_material_cost(ticket),
        "fault_photos": [p["photo_id"] for p in photos if p["kind"] == TicketPhoto.Kind.FAULT],
        "result_photos": [p["photo_id"] for p in photos if p["kind"] == TicketPhoto.Kind.RESULT],
        "phone": ticket.contact_phone or ticket.reporter.phone,
        "has_stock": bool(stocks),
        "labour": divmod(ticket.labour_minutes, 60),
        "token": _token(),
    }
    if working:
        context["issue_form"] = forms_.get("issue_form") or IssueForm(stocks=drawable)
        context["return_form"] = forms_.get("return_form") or ReturnForm(stocks=stocks)
        context["finish_form"] = forms_.get("finish_form") or FinishForm(
            repair_items=points.items_offered(ticket)
        )
    else:
        context["job_items"] = points.job_items(ticket)
        context["job_cost"] = points.job_cost(ticket, context["material_cost"], context["lines"])
    return context


@require_GET
@role_required(Role.TECHNICIAN)
def job(request, pk: int):
    """The job ticket: the fault, the start button, materials, the finish form; once finished,
    the completed ticket."""
    ticket = _job_or_404(request, pk)
    return render(request, "maintenance/job_detail.html", _job_context(request, ticket))


def _rerender(request, ticket, status: int, **forms_):
    return render(
        request,
        "maintenance/job_detail.html",
        _job_context(request, ticket, **forms_),
        status=status,
    )


@require_POST
@role_required(Role.TECHNICIAN)
def job_start(request, pk: int):
    ticket = _job_or_404(request, pk)
    if ticket.status == Ticket.Status.IN_PROGRESS:
        # A second tap of the button: the job is already started.
        messages.info(request, _("The job is already started."))
        return redirect("maintenance:job", pk=ticket.pk)
    try:
        services.ticket_start(actor=request.user, ticket=ticket)
    except services.RepairError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Work started. The reporter has been told."))
    return redirect("maintenance:job", pk=ticket.pk)


def _record(request, ticket: Ticket, form, form_name: str, write):
    """Run `write(cleaned_data)` for a valid form once per form token; re-render the ticket
    with the form's errors (the user's input kept) when the form or the ledger refuses."""
    token = request.POST.get("token", "")
    if not form.is_valid():
        return _rerender(request, ticket, 400, **{form_name: form})
    if not storeroom.submission_claim(request.user, token):
        messages.info(request, _("This was already recorded."))
        return redirect("maintenance:job", pk=ticket.pk)
    try:
        message = write(form.cleaned_data)
    except (services.RepairInvalid, stores.InsufficientStock) as error:
        storeroom.submission_release(request.user, token)
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _rerender(request, ticket, error.status_code, **{form_name: form})
    except services.RepairError as error:
        storeroom.submission_release(request.user, token)
        messages.error(request, error.message)
        return redirect("maintenance:job", pk=ticket.pk)
    messages.success(request, message)
    return redirect("maintenance:job", pk=ticket.pk)


def _moved(movement: StockMovement, text: str) -> str:
    return text % {
        "quantity": abs(movement.quantity),
        "unit": stores.unit_of(movement.stock.material),
        "material": movement.stock.material.display_name,
    }


@require_POST
@role_required(Role.TECHNICIAN)
def job_issue(request, pk: int):
    """Draw material for the job from a storeroom of its campus."""
    ticket = _job_or_404(request, pk)
    stocks = [s for s in storeroom.job_stock_choices(request.user, ticket) if s.material.is_active]
    form = IssueForm(request.POST, stocks=stocks)

    def write(data):
        movement = stores.stock_issue(
            actor=request.user, stock=data["stock"], ticket=ticket, quantity=data["quantity"]
        )
        return _moved(movement, _("Drawn: %(quantity)s %(unit)s of %(material)s."))

    return _record(request, ticket, form, "issue_form", write)


@require_POST
@role_required(Role.TECHNICIAN)
def job_return(request, pk: int):
    """Return unused material the job drew, or a part recovered on the job for reuse."""
    ticket = _job_or_404(request, pk)
    form = ReturnForm(request.POST, stocks=storeroom.job_stock_choices(request.user, ticket))

    def write(data):
        movement = stores.stock_return(
            actor=request.user,
            stock=data["stock"],
            ticket=ticket,
            quantity=data["quantity"],
            recovered=data["kind"] == ReturnForm.RECOVERED,
        )
        return _moved(
            movement, _("Returned to the storeroom: %(quantity)s %(unit)s of %(material)s.")
        )

    return _record(request, ticket, form, "return_form", write)


@require_POST
@role_required(Role.TECHNICIAN)
def job_finish(request, pk: int):
    """Complete the job ticket: labour, what was done, photos of the result."""
    ticket = _job_or_404(request, pk)
    if ticket.status in FINISHED:
        messages.info(request, _("The job is already finished."))
        return redirect("maintenance:job", pk=ticket.pk)
    form = FinishForm(request.POST, request.FILES, repair_items=points.items_offered(ticket))

    def write(data):
        services.ticket_finish(
            actor=request.user,
            ticket=ticket,
            labour_minutes=data["labour_minutes"],
            work_note=data["work_note"],
            photos=[data.get(name) for name in PHOTO_FIELDS],
            items=data["items"],
        )
        return _("The job is finished. The reporter is asked to confirm the repair.")

    return _record(request, ticket, form, "finish_form", write)
