"""Dispatch pages: the queue of open repair requests with their time-limit countdowns, one
request for the dispatcher (assign or reassign, urgency, merge duplicates, cancel), the
follow-ups of low ratings, the fault categories with their promised time limits and the
technicians' roster.

Who: users whose selectors.dispatch_campuses is not empty (a campus's dispatchers, heads of
departments serving maintenance, administrators); everyone else gets 404 and anonymous users
the login page. A request, technician or campus outside their campuses answers 404. Fault
categories are edited by administrators and heads of a maintenance department only
(dispatchers read them). Every change is a POST calling maintenance.services (a ticket's
steps, which tell the reporter and the technicians) or maintenance.dispatching (the catalogue:
categories and roster).

Two URL conventions (the routes are fixed in maintenance/urls.py):
- categories/0/ is the form for a new category; categories/<pk>/ edits one.
- technicians/<pk>/ takes the technician's *user* id: it edits their roster entry, or, for a
  user with the technician role on a campus in scope who is not on the roster yet, adds them
  (the roster page's "add to roster" button posts there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logistics.models import User
from maintenance import dispatching, services
from maintenance.models import Category, Ticket, Urgency
from maintenance.selectors import technicians_for_campus
from maintenance.services import NOTE_MAX_LENGTH, RepairError, RepairInvalid

QUEUE_REFRESH_SECONDS = 60

# --- Who ---------------------------------------------------------------------------------------


def dispatcher_required(view):
    """Anonymous users go to the login page; users who dispatch no campus get 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not dispatching.may_dispatch_any(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


# --- Forms -------------------------------------------------------------------------------------


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class QueueFilterForm(forms.Form):
    campus = forms.ModelChoiceField(
        label=gettext_lazy("Campus"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All my campuses"),
    )
    building = forms.ModelChoiceField(
        label=gettext_lazy("Building"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Any building"),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Any category"),
    )
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"),
        required=False,
        choices=[("", gettext_lazy("Any urgency")), *Urgency.choices],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("Any open status")),
            *[(s.value, s.label) for s in Ticket.OPEN],
        ],
    )
    technician = PersonChoiceField(
        label=gettext_lazy("Technician"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("Any technician"),
    )
    view = forms.ChoiceField(
        required=False,
        choices=[(v, v) for v in dispatching.VIEWS],
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = dispatching.filter_choices(user)
        self.fields["campus"].queryset = choices["campuses"]
        self.fields["building"].queryset = choices["buildings"]
        self.fields["category"].queryset = choices["categories"]
        self.fields["technician"].queryset = choices["technicians"]

    def filters(self) -> dispatching.QueueFilter:
        data = self.cleaned_data
        return dispatching.QueueFilter(
            campus=data["campus"],
            building=data["building"],
            category=data["category"],
            urgency=data["urgency"],
            status=data["status"],
            technician=data["technician"],
            view=data["view"] or "all",
        )


class AssignForm(forms.Form):
    technician = forms.IntegerField(
        label=gettext_lazy("Technician"),
        min_value=1,
        error_messages={"required": gettext_lazy("Choose a technician from the list.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note for the timeline (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
    )


class UrgencyForm(forms.Form):
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"), choices=Urgency.choices, widget=forms.RadioSelect
    )


class MergeForm(forms.Form):
    duplicates = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Reports of the same fault"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one other request to merge.")},
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicates"].choices = [(c.pk, c.number) for c in candidates]


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for cancelling"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The reporter reads it."),
    )


class FollowUpForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What the follow-up found"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CategoryForm(forms.ModelForm):
    response_minutes = forms.IntegerField(
        label=gettext_lazy("Response time (minutes)"),
        min_value=1,
        max_value=dispatching.MAX_RESPONSE_MINUTES,
        help_text=gettext_lazy("A technician starts work within this time of the request."),
    )
    completion_hours = forms.IntegerField(
        label=gettext_lazy("Completion time (hours)"),
        min_value=1,
        max_value=dispatching.MAX_COMPLETION_HOURS,
        help_text=gettext_lazy("The repair is finished within this time of the request."),
    )
    position = forms.IntegerField(
        label=gettext_lazy("Position"), min_value=0, max_value=32767, initial=0
    )

    class Meta:
        model = Category
        fields = list(dispatching.CATEGORY_FIELDS)

    def clean(self):
        data = super().clean()
        response, completion = data.get("response_minutes"), data.get("completion_hours")
        if response and completion and completion * 60 < response:
            self.add_error(
                "completion_hours",
                _("The completion time cannot be shorter than the response time."),
            )
        return data


class TechnicianForm(forms.Form):
    campus = forms.ModelChoiceField(label=gettext_lazy("Campus"), queryset=None, empty_label=None)
    skills = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Skills"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The fault categories they repair; they are proposed first."),
    )
    is_active = forms.BooleanField(
        label=gettext_lazy("On duty"),
        required=False,
        help_text=gettext_lazy("Only technicians on duty can be given jobs."),
    )

    def __init__(self, *args, campuses=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skills"].queryset = Category.objects.all()
        if campuses is None:  # an existing roster entry keeps its campus
            del self.fields["campus"]
        else:
            self.fields["campus"].queryset = campuses


# --- The queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterSelect:
    """One of the queue's filters as the page prints it: its options listed here in Python,
    not a template per option (Django's widgets and crispy-forms took 8 ms a page for them)."""

    name: str
    label: str
    options: list[tuple[str, str, bool]]  # value, label, chosen
    errors: list[str]


def _filter_selects(form: QueueFilterForm) -> list[FilterSelect]:
    selects = []
    for bound in form.visible_fields():
        value = bound.value()
        chosen = None if value in (None, "") else str(value)
        selects.append(
            FilterSelect(
                name=bound.name,
                label=str(bound.label),
                options=[
                    (str(key), str(text), str(key) == chosen) for key, text in bound.field.choices
                ],
                errors=[str(error) for error in bound.errors],
            )
        )
    return selects


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# The badges of a row, decided here so the template only prints (no include per row).
STATUS_BADGES = {
    Ticket.Status.SUBMITTED: "text-bg-info",
    Ticket.Status.ASSIGNED: "text-bg-primary",
    Ticket.Status.IN_PROGRESS: "text-bg-warning",
}
COUNTDOWN_BADGES = {
    "overdue": ("text-bg-danger", "bi-exclamation-octagon"),
    "at_risk": ("text-bg-warning", "bi-hourglass-bottom"),
    "ok": ("text-bg-light border", "bi-hourglass-split"),
}


@dataclass(frozen=True)
class QueueRow:
    """What one row of the queue prints, computed once in Python: 50 rows of plain values
    render several times faster than 50 rows resolving model attributes and includes."""

    pk: int
    number: str
    url: str
    building: str
    place: str
    campus: str
    category: str
    urgent: bool
    urgency: str
    status: str
    status_badge: str
    technician: str
    filed_at: datetime
    countdown: dispatching.Countdown
    countdown_badge: str
    countdown_icon: str
    origin: str = ""  # HTML, escaped: the campaign or schedule that generated the ticket
    origin_text: str = ""  # the same without its link (the phone's card is a link itself)


def _origin_html(ticket: Ticket, schedule_prefix: str, campaign_prefix: str) -> str:
    """A link to the preventive schedule (with the due date or reading) or the readiness
    campaign that generated the ticket; the queue shows only tickets of campuses whose
    schedules and campaigns its reader opens."""
    if ticket.schedule_id is not None:
        due = ticket.due_reading if ticket.due_reading is not None else ticket.due_on
        return (
            f'<a class="small text-secondary" data-testid="origin-schedule" '
            f'href="{schedule_prefix}{ticket.schedule_id}/">'
            f"{escape(_('Preventive schedule'))}: {escape(ticket.schedule.name)} · "
            f"{escape(due)}</a>"
        )
    if ticket.campaign_id is not None:
        return (
            f'<a class="small text-secondary" data-testid="origin-campaign" '
            f'href="{campaign_prefix}{ticket.campaign_id}/">'
            f"{escape(_('Readiness campaign'))}: {escape(ticket.campaign.name)}</a>"
        )
    return ""


def _queue_rows(tickets: list[Ticket], now: datetime) -> list[QueueRow]:
    url_of_zero = reverse("maintenance:dispatch_ticket", args=[0])
    url_prefix = url_of_zero[: url_of_zero.rindex("0/")]
    urgency_labels = {value: str(label) for value, label in Urgency.choices}
    status_labels = {value: str(label) for value, label in Ticket.Status.choices}
    schedule_prefix = reverse("maintenance:schedule", args=[0])[:-2]
    campaign_prefix = reverse("maintenance:campaign", args=[0])[:-2]
    rows = []
    for ticket in dispatching.with_countdowns(tickets, now):
        countdown = ticket.countdown
        badge, icon = COUNTDOWN_BADGES.get(countdown.state, ("", ""))
        rows.append(
            QueueRow(
                pk=ticket.pk,
                number=ticket.number,
                url=f"{url_prefix}{ticket.pk}/",
                building=str(ticket.building) if ticket.building_id else "",
                place=str(ticket.place),
                campus=str(ticket.campus),
                category=str(ticket.category),
                urgent=ticket.urgency == Urgency.URGENT,
                # The enums' labels: get_FOO_display() rebuilds the field's choices on each call.
                urgency=urgency_labels[ticket.urgency],
                status=status_labels[ticket.status],
                status_badge=STATUS_BADGES.get(ticket.status, "text-bg-secondary"),
                technician=ticket.technician.display_name if ticket.technician_id else "",
                filed_at=ticket.created_at,
                countdown=countdown,
                countdown_badge=badge,
                countdown_icon=icon,
                origin=_origin_html(ticket, schedule_prefix, campaign_prefix),
                origin_text=strip_tags(_origin_html(ticket, "", "")),
            )
        )
    return rows


def _stamp(moment: datetime | None, pattern: str) -> str:
    """A moment in the site's time zone, as the template's |date filter would print it for the
    numeric patterns the queue uses ("m-d H:i", "Y-m-d H:i")."""
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime(pattern)


def _countdown_badge(row: QueueRow) -> str:
    countdown = row.countdown
    if not countdown.state:
        return ""
    return (
        f'<span class="badge {row.countdown_badge} text-wrap" data-testid="countdown" '
        f'data-state="{countdown.state}" title="{_stamp(countdown.deadline, "%Y-%m-%d %H:%M")}">'
        f'<i class="bi {row.countdown_icon}" aria-hidden="true"></i> {escape(countdown.text)}'
        "</span>"
    )


def queue_rows_html(rows: list[QueueRow]) -> tuple[str, str]:
    """The queue's table rows (laptop) and cards (phone) for one page. Printed here rather than
    by a template loop: 50 rows twice over were 1,700 template variables, most of the page's
    time. Every text from the database or a translation is escaped; the rest are our own
    class names, numbers and states."""
    no_technician = escape(_("No technician yet"))
    table, cards = [], []
    for row in rows:
        number, category = escape(row.number), escape(row.category)
        urgency, status = escape(row.urgency), escape(row.status)
        building, place = escape(row.building), escape(row.place)
        technician = escape(row.technician)
        filed = _stamp(row.filed_at, "%m-%d %H:%M")
        overdue = row.countdown.state == "overdue"
        badge = _countdown_badge(row)
        urgency_cell = (
            f'<span class="badge text-bg-danger">{urgency}</span>'
            if row.urgent
            else f'<span class="text-secondary">{urgency}</span>'
        )
        where = (
            f'<span class="text-secondary small">{building}</span> {place}'
            if row.building
            else f'{place} <span class="text-secondary small">{escape(row.campus)}</span>'
        )
        row_class = ' class="table-danger"' if overdue else ""
        card_class = " list-group-item-danger" if overdue else ""
        who = technician or '<span class="text-secondary">—</span>'
        urgent_badge = f' <span class="badge text-bg-danger">{urgency}</span>' if row.urgent else ""
        card_place = f"{building} {place}" if row.building else place
        card_badge = f'<div class="mt-1">{badge}</div>' if badge else ""
        origin_block = f"<div>{row.origin}</div>" if row.origin else ""
        table.append(
            f'<tr data-testid="queue-row" data-ticket="{row.pk}"{row_class}>'
            f'<td class="text-nowrap"><a href="{row.url}">{number}</a></td>'
            f"<td>{where}</td><td>{category}{origin_block}</td><td>{urgency_cell}</td>"
            f'<td><span class="badge {row.status_badge}">{status}</span></td>'
            f"<td>{who}</td>"
            f'<td class="text-nowrap small">{filed}</td><td>{badge}</td></tr>\n'
        )
        cards.append(
            f'<a href="{row.url}" class="list-group-item list-group-item-action{card_class}" '
            'data-testid="queue-card"><div class="d-flex justify-content-between gap-2">'
            f'<span class="fw-semibold">{number} · {category}{urgent_badge}</span>'
            f'<span class="badge {row.status_badge}">{status}</span></div>'
            f'<div class="small">{card_place}</div>'
            + (
                f'<div class="small text-secondary">{row.origin_text}</div>'
                if row.origin_text
                else ""
            )
            + f'<div class="small text-secondary">{technician or no_technician} · {filed}</div>'
            f"{card_badge}</a>\n"
        )
    # Every value above is escaped, or one of our own class names, numbers and states.
    return mark_safe("".join(table)), mark_safe("".join(cards))  # noqa: S308


@require_GET
@dispatcher_required
def queue(request):
    """Open requests of the dispatcher's campuses with their countdowns, filtered, 50 a page.
    htmx asks again every minute and gets the live part only."""
    form = QueueFilterForm(request.GET or None, user=request.user)
    valid = not form.is_bound or form.is_valid()
    filters = form.filters() if form.is_bound and valid else dispatching.QueueFilter()
    if valid:
        current = dispatching.queue(request.user, filters)
        paginator = Paginator(current.tickets, dispatching.QUEUE_PAGE_SIZE)
        # The tab's badge already counted these rows: no second COUNT for the paginator.
        paginator.count = current.counts[filters.view]
        page = paginator.get_page(request.GET.get("page"))
        page.object_list = _queue_rows(page.object_list, current.now)
        table_rows, cards = queue_rows_html(page.object_list)
        counts = current.counts
    else:
        page = Paginator(Ticket.objects.none(), dispatching.QUEUE_PAGE_SIZE).get_page(1)
        counts = dict.fromkeys(dispatching.VIEWS, 0)
        table_rows = cards = ""
    base_query = _query_without(request, "page", "view")
    tabs = [
        {
            "view": view,
            "label": label,
            "count": counts[view],
            "query": f"{base_query}&view={view}" if base_query else f"view={view}",
            "active": view == filters.view,
        }
        for view, label in (
            ("all", _("All open")),
            ("unassigned", _("Unassigned")),
            ("at_risk", _("At risk")),
            ("overdue", _("Overdue")),
        )
    ]
    context = {
        "form": form,
        "filter_selects": [] if request.htmx else _filter_selects(form),
        "page": page,
        "table_rows": table_rows,
        "cards": cards,
        "tabs": tabs,
        "view": filters.view,
        "query": _query_without(request, "page"),
        "refresh_seconds": QUEUE_REFRESH_SECONDS,
    }
    template = "maintenance/dispatch_queue.html"
    if request.htmx:
        template = "maintenance/dispatch_queue_live.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- One request ---------------------------------------------------------------------------------


def _ticket_page(request, ticket: Ticket, *, status: int = 200, **given):
    """The dispatcher's page of one request; a form given back with its errors keeps what
    the dispatcher typed or ticked."""
    is_open = ticket.is_open
    candidates = dispatching.merge_candidates(ticket) if is_open else []
    merge_form = given.get("merge_form") or MergeForm(candidates=candidates)
    context = {
        "ticket": ticket,
        "countdown": dispatching.countdown(ticket),
        "technicians": technicians_for_campus(ticket.campus_id, ticket.category) if is_open else [],
        "candidates": candidates,
        "events": dispatching.timeline(ticket),
        "assign_form": given.get("assign_form") or AssignForm(),
        "urgency_form": given.get("urgency_form")
        or UrgencyForm(initial={"urgency": ticket.urgency}),
        "merge_form": merge_form,
        "chosen": set(merge_form.data.getlist("duplicates")) if merge_form.is_bound else set(),
        "cancel_form": given.get("cancel_form") or CancelForm(),
    }
    return render(request, "maintenance/dispatch_ticket.html", context, status=status)


@require_GET
@dispatcher_required
def dispatch_ticket(request, pk: int):
    """One request for the dispatcher: details, technicians to choose from, duplicates to
    merge, urgency and cancelling."""
    ticket = dispatching.dispatch_ticket_get(request.user, pk)
    return _ticket_page(request, ticket)


def _back(ticket: Ticket):
    return redirect("maintenance:dispatch_ticket", pk=ticket.pk)


@require_POST
@dispatcher_required
def assign(request, pk: int):
    ticket = dispatching.dispatch_ticket_get(request.user, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket, status=400, assign_form=form)
    technician = User.objects.filter(pk=form.cleaned_data["technician"]).first()
    if technician is None:
        form.add_error("technician", _("Choose a technician from the list."))
        return _ticket_page(request, ticket, status=400, assign_form=form)
    try:
        services.ticket_assign(
            actor=request.user,
            ticket=ticket,
            technician=technician,
            note=form.cleaned_data["note"],
        )
    except RepairInvalid as error:
        form.add_error(None, error.message)
        return _ticket_page(request, ticket, status=400, assign_form=form)
    except RepairError as error:
        messages.error(request, error.message)
        return _back(ticket)
    messages.success(
        request,
        _("%(number)s is assigned to %(technician)s. The reporter is told.")
        % {"number": ticket.number, "technician": technician.display_name},
    )
    return _back(ticket)


@require_POST
@dispatcher_required
def urgency(request, pk: int):
    ticket = dispatching.dispatch_ticket_get(request.user, pk)
    form = UrgencyForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket, status=400, urgency_form=form)
    try:
        services.ticket_set_urgency(
            actor=request.user, ticket=ticket, urgency=form.cleaned_data["urgency"]
        )
    except RepairError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The urgency of %(number)s is now: %(urgency)s.")
            % {"number": ticket.number, "urgency": Urgency(form.cleaned_data["urgency"]).label},
        )
    return _back(ticket)


@require_POST
@dispatcher_required
def merge(request, pk: int):
    """Merge the chosen candidates into this request; only candidates shown on the page (open
    requests of the same campus and place, or building and category) can be chosen."""
    ticket = dispatching.dispatch_ticket_get(request.user, pk)
    candidates = dispatching.merge_candidates(ticket) if ticket.is_open else []
    form = MergeForm(request.POST, candidates=candidates)
    if not form.is_valid():
        return _ticket_page(request, ticket, status=400, merge_form=form)
    chosen = set(form.cleaned_data["duplicates"])
    duplicates = [c for c in candidates if c.pk in chosen]
    try:
        services.ticket_merge(actor=request.user, primary=ticket, duplicates=duplicates)
    except RepairError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s request was merged into %(number)s; its reporter is told.",
                "%(count)s requests were merged into %(number)s; their reporters are told.",
                len(duplicates),
            )
            % {"count": len(duplicates), "number": ticket.number},
        )
    return _back(ticket)


@require_POST
@dispatcher_required
def cancel(request, pk: int):
    ticket = dispatching.dispatch_ticket_get(request.user, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, ticket, status=400, cancel_form=form)
    try:
        services.ticket_cancel(
            actor=request.user, ticket=ticket, reason=form.cleaned_data["reason"]
        )
    except RepairInvalid as error:
        form.add_error("reason" if error.field == "reason" else None, error.message)
        return _ticket_page(request, ticket, status=400, cancel_form=form)
    except RepairError as error:
        messages.error(request, error.message)
        return _back(ticket)
    messages.success(
        request, _("%(number)s is cancelled. The reporter is told.") % {"number": ticket.number}
    )
    return redirect("maintenance:dispatch_queue")


# --- Follow-ups ----------------------------------------------------------------------------------


@require_GET
@dispatcher_required
def follow_ups(request):
    """Low ratings waiting for a supervisor's call; `?done=1` lists those already made."""
    done = request.GET.get("done") == "1"
    tickets = dispatching.follow_ups(request.user, done=done)
    page = Paginator(tickets, dispatching.FOLLOW_UPS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "maintenance/follow_ups.html",
        {"page": page, "done": done, "query": "done=1" if done else ""},
    )


@require_http_methods(["GET", "POST"])
@dispatcher_required
def follow_up(request, pk: int):
    """One low rating: the reporter's contact and the form for what the call found."""
    ticket = dispatching.follow_up_get(request.user, pk)
    form = FollowUpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.ticket_follow_up(
                    actor=request.user, ticket=ticket, note=form.cleaned_data["note"]
                )
            except RepairInvalid as error:
                form.add_error("note", error.message)
            except RepairError as error:
                messages.error(request, error.message)
                return redirect("maintenance:follow_up", pk=ticket.pk)
            else:
                messages.success(
                    request,
                    _("The follow-up of %(number)s is recorded.") % {"number": ticket.number},
                )
                return redirect("maintenance:follow_ups")
        status = 400
    return render(
        request,
        "maintenance/follow_up.html",
        {"ticket": ticket, "form": form, "events": dispatching.timeline(ticket)},
        status=status,
    )


# --- Fault categories --------------------------------------------------------------------------


@require_GET
@dispatcher_required
def categories(request):
    """The categories with their promised time limits and their open requests."""
    return render(
        request,
        "maintenance/category_list.html",
        {
            "categories": dispatching.categories_with_counts(request.user),
            "may_edit": dispatching.may_edit_categories(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@dispatcher_required
def category_edit(request, pk: int):
    """Edit a category; pk 0 creates one. Administrators and maintenance heads only."""
    if not dispatching.may_edit_categories(request.user):
        raise Http404
    category = None if pk == 0 else get_object_or_404(Category, pk=pk)
    before = dispatching.category_snapshot(category) if category is not None else None
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        saved = dispatching.category_save(
            actor=request.user, category=form.save(commit=False), before=before
        )
        messages.success(
            request,
            _("The category %(name)s is saved. Its time limits apply to new requests.")
            % {"name": saved.display_name},
        )
        return redirect("maintenance:categories")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "maintenance/category_form.html",
        {"form": form, "category": category},
        status=status,
    )


# --- The technicians' roster -------------------------------------------------------------------


@require_GET
@dispatcher_required
def technicians(request):
    """The roster of the dispatcher's campuses, and technicians not on it yet."""
    return render(
        request,
        "maintenance/technician_list.html",
        {
            "roster": dispatching.roster(request.user),
            "candidates": dispatching.roster_candidates(request.user),
            "campuses": list(dispatching.campuses_in_scope(request.user)),
        },
    )


@require_http_methods(["GET", "POST"])
@dispatcher_required
def technician_edit(request, pk: int):
    """A technician's skills and duty; `pk` is the technician's user id. For a technician not
    on the roster yet, the same form (with their campus) adds them."""
    person, entry = dispatching.roster_entry_get(request.user, pk)
    campuses = None if entry is not None else dispatching.technician_campuses(request.user, person)
    initial = (
        {"skills": list(entry.skills.all()), "is_active": entry.is_active}
        if entry is not None
        else {"is_active": True}
    )
    form = TechnicianForm(request.POST or None, initial=initial, campuses=campuses)
    if request.method == "POST" and form.is_valid():
        saved = dispatching.technician_save(
            actor=request.user,
            person=person,
            entry=entry,
            campus=form.cleaned_data.get("campus"),
            skills=list(form.cleaned_data["skills"]),
            is_active=form.cleaned_data["is_active"],
        )
        if entry is None:
            messages.success(
                request,
                _("%(name)s is on the roster of %(campus)s.")
                % {"name": person.display_name, "campus": saved.campus.display_name},
            )
            if not form.cleaned_data["skills"]:
                messages.info(request, _("Tick the categories they repair."))
                return redirect("maintenance:technician_edit", pk=person.pk)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": person.display_name})
            if not saved.is_active:
                open_jobs = dispatching.technician_open_jobs(person)
                if open_jobs:
                    messages.warning(
                        request,
                        ngettext(
                            "They still have %(count)s open job: reassign it.",
                            "They still have %(count)s open jobs: reassign them.",
                            open_jobs,
                        )
                        % {"count": open_jobs},
                    )
        return redirect("maintenance:technicians")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "maintenance/technician_form.html",
        {
            "person": person,
            "entry": entry,
            "form": form,
            "open_jobs": dispatching.technician_open_jobs(person) if entry is not None else 0,
        },
        status=status,
    )
