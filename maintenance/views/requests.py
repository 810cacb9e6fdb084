"""The reporter's side of repairs, and the QR codes on every door.

- A resident files a repair request from their phone: their own room (shown, not editable) or
  a public area of their campus, a category with its promised time limits, a description,
  when they are available, a phone number and up to three photos. Staff who look after places
  (a campus's dispatchers, a building's dorm managers and shift leads) file for a building of
  theirs and a room number, or a public area. Who may file where is services.place_problem's
  business; this page only offers what it would accept.
- A QR code on each room and public area opens the same form with the place filled in
  (`?room=<id>`, `?area=<id>`). A resident who scans another room's code is told kindly that
  they report for their own room or a public area, and their own room is offered instead.
- The request's page shows the promise and how it stands, the timeline, the photos, the job
  ticket once finished (labour, materials and their cost) and the reporter's actions:
  confirm and rate, reopen, cancel. "My repairs" lists the user's own requests and those of
  the room they live in.
- The printable QR sheets: per building (its rooms and its public areas) and per campus (the
  areas outside the buildings), for dispatchers, the buildings' staff and administrators.

Requests are read through maintenance.selectors (what one may not see answers 404) and
changed through maintenance.services; the places a user prints codes for are their dispatch
campuses' (selectors.dispatch_campuses) and the buildings assigned to them
(apartments.selectors.desk_buildings_for).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import RegexValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apartments.models import Building, Resident, Room
from apartments.selectors import desk_buildings_for, visibility_of
from logistics.access import ALL, has_role
from logistics.models import Campus, Role, User
from logistics.services import audit_record
from logistics.uploads import PhotoField
from maintenance import services, stores
from maintenance.dispatching import with_countdowns
from maintenance.models import Category, PublicArea, Ticket, TicketPhoto
from maintenance.selectors import (
    deadline_state,
    dispatch_campuses,
    may_dispatch_campus,
    resident_room,
    ticket_get,
    tickets_of_reporter,
)

PAGE_SIZE = 20
PHOTO_FIELDS = tuple(f"photo_{n}" for n in range(1, services.MAX_PHOTOS + 1))
AVAILABLE_TIMES_MAX_LENGTH = 200
PHONE_MAX_LENGTH = 30
# QR codes: medium error correction survives a scuffed or dirty sticker; the images are kept
# in the cache (choosing the best mask takes ~15 ms a code, a building has hundreds of rooms).
QR_ERROR = "m"
QR_CACHE_SECONDS = 30 * 24 * 60 * 60
QR_CACHE_VERSION = 1
QR_KINDS = ("room", "area")

# The "my repairs" filter.
UNDER_WAY = (*Ticket.OPEN, Ticket.Status.DONE)
SHOW_CHOICES = {
    "open": gettext_lazy("Under way"),
    "finished": gettext_lazy("Finished"),
    "all": gettext_lazy("All"),
}


# --- Time limits in words ----------------------------------------------------------------------


def _minutes_text(minutes: int) -> str:
    if minutes % 60 == 0:
        return _hours_text(minutes // 60)
    if minutes == 1:
        return _("1 minute")
    return _("%(n)s minutes") % {"n": minutes}


def _hours_text(hours: int) -> str:
    if hours == 1:
        return _("1 hour")
    return _("%(n)s hours") % {"n": hours}


def promise_text(category: Category) -> str:
    """The category's promise in words: "responds within 1 hour, fixed within 24 hours"."""
    return _("responds within %(response)s, fixed within %(completion)s") % {
        "response": _minutes_text(category.response_minutes),
        "completion": _hours_text(category.completion_hours),
    }


def _when(value) -> str:
    """A moment as the reporter reads it: local time, the portal's date format."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _area_label(area: PublicArea) -> str:
    if area.building_id is not None:
        return f"{area.display_name} · {area.building.display_name}"
    return area.display_name


def _room_label(room: Room) -> str:
    return f"{room.building.display_name} {room.number}"


# --- Who files where ---------------------------------------------------------------------------


def _staff_places(user) -> tuple[QuerySet[Building], QuerySet[PublicArea]] | None:
    """The buildings and public areas `user` files for as staff (services.place_problem
    accepts them): a dispatcher's campuses, the buildings a manager sees; None for someone
    who files as staff nowhere."""
    buildings, areas = Building.objects.all(), PublicArea.objects.all()
    campuses = dispatch_campuses(user)
    visibility = visibility_of(user)
    if not (has_role(user, Role.ADMIN) or campuses is ALL or visibility.everything):
        if not campuses and visibility.nothing:
            return None
        allowed = Q(campus_id__in=campuses) if campuses else Q(pk__in=[])
        if not visibility.nothing:
            allowed |= visibility.building_q()
        buildings = buildings.filter(allowed)
        area_allowed = Q(building__in=buildings)
        if campuses:
            area_allowed |= Q(campus_id__in=campuses)
        areas = areas.filter(area_allowed)
    return (
        buildings.select_related("campus").order_by("campus__position", "campus__code", "code"),
        areas.select_related("building", "campus").order_by(
            "campus__position", "campus__code", "code"
        ),
    )


@dataclass
class Filer:
    """How the user files: "resident" (their room or their campus's public areas), "staff"
    (a building in scope and a room number, or a public area in scope)."""

    mode: str
    home_room: Room | None = None
    areas: list[PublicArea] = field(default_factory=list)
    buildings: QuerySet[Building] | None = None
    area_choices: QuerySet[PublicArea] | None = None

    @property
    def may_file(self) -> bool:
        if self.mode == "resident":
            return self.home_room is not None or bool(self.areas)
        return True

    def form(self, *args, **kwargs) -> TicketForm:
        if self.mode == "resident":
            return ResidentTicketForm(*args, home_room=self.home_room, areas=self.areas, **kwargs)
        return StaffTicketForm(*args, buildings=self.buildings, areas=self.area_choices, **kwargs)


def _filer(user) -> Filer:
    """How `user` files repairs; 404 for those who may file nowhere (a technician)."""
    staff = _staff_places(user)
    if staff is not None:
        return Filer(mode="staff", buildings=staff[0], area_choices=staff[1])
    if not has_role(user, Role.STUDENT):
        raise Http404
    home = resident_room(user)
    if home is not None:
        campus_id = home.building.campus_id
    else:
        campus_id = (
            Resident.objects.filter(user_id=user.pk).values_list("campus_id", flat=True).first()
        )
    areas = []
    if campus_id is not None:
        areas = list(
            PublicArea.objects.filter(campus_id=campus_id)
            .select_related("building")
            .order_by("building__code", "code")
        )
    return Filer(mode="resident", home_room=home, areas=areas)


# --- Forms -------------------------------------------------------------------------------------


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name} — {promise_text(obj)}"


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        label = _area_label(obj)
        return f"{label} ({obj.campus.display_name})"


class TicketForm(forms.Form):
    """What every repair request tells: what, how, when, a phone number, photos. Subclasses
    add the place and set `self.room` / `self.area` when it is valid."""

    category = CategoryChoiceField(
        label=gettext_lazy("What is broken?"),
        queryset=Category.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=gettext_lazy("Describe the fault"),
        max_length=services.DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": gettext_lazy(
                    "What is wrong, and where exactly? E.g. the tap in the washroom drips "
                    "all the time."
                ),
            }
        ),
    )
    available_times = forms.CharField(
        label=gettext_lazy("When are you available?"),
        max_length=AVAILABLE_TIMES_MAX_LENGTH,
        required=False,
        help_text=gettext_lazy("When a technician may come, e.g. weekdays after 17:00."),
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact phone"),
        max_length=PHONE_MAX_LENGTH,
        required=False,
        validators=[
            RegexValidator(
                r"^[0-9+()\- ]{3,30}$", gettext_lazy("Enter a phone number: digits, + and -.")
            )
        ],
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    photo_1 = PhotoField(label=gettext_lazy("Photo of the fault (optional)"), required=False)
    photo_2 = PhotoField(label=gettext_lazy("Second photo"), required=False)
    photo_3 = PhotoField(label=gettext_lazy("Third photo"), required=False)

    room: Room | None = None
    area: PublicArea | None = None
    place_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)

    def field_for(self, service_field: str) -> str | None:
        """The form field that shows a service's error about `service_field`."""
        if service_field in ("room", "area"):
            return self.place_fields[-1] if service_field == "area" else self.place_fields[0]
        if service_field == "photos":
            return "photo_1"
        return service_field if service_field in self.fields else None


class ResidentTicketForm(TicketForm):
    """A resident's place: their own room, or one of their campus's public areas."""

    place = forms.ChoiceField(label=gettext_lazy("Where is the fault?"))
    place_fields = ("place", "place")
    field_order = ["place", "category", "description"]

    def __init__(self, *args, home_room: Room | None, areas: list[PublicArea], **kwargs):
        super().__init__(*args, **kwargs)
        self.home_room = home_room
        self.areas = {area.pk: area for area in areas}
        choices = []
        if home_room is None:
            choices.append(("", "—"))
        else:
            choices.append(("room", _("In my room (%(room)s)") % {"room": _room_label(home_room)}))
        if areas:
            choices.append(
                (
                    _("A public area"),
                    [(f"area-{area.pk}", _area_label(area)) for area in areas],
                )
            )
        self.fields["place"].choices = choices

    def clean_place(self):
        value = self.cleaned_data["place"]
        if value == "room" and self.home_room is not None:
            self.room = self.home_room
        elif value.startswith("area-") and value[5:].isdigit() and int(value[5:]) in self.areas:
            self.area = self.areas[int(value[5:])]
        else:
            raise ValidationError(_("Choose the room or the public area of the fault."))
        return value


class StaffTicketForm(TicketForm):
    """Staff name the place: a building of theirs and a room number, or a public area."""

    building = forms.ModelChoiceField(
        label=gettext_lazy("Building"),
        queryset=Building.objects.none(),
        required=False,
        empty_label="—",
    )
    room_number = forms.CharField(
        label=gettext_lazy("Room number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    area = AreaChoiceField(
        label=gettext_lazy("…or a public area"),
        queryset=PublicArea.objects.none(),
        required=False,
        empty_label="—",
    )
    place_fields = ("room_number", "area")
    field_order = ["building", "room_number", "area", "category", "description"]

    def __init__(self, *args, buildings, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = buildings
        self.fields["area"].queryset = areas

    def clean(self):
        data = super().clean()
        building, number, area = (
            data.get("building"),
            (data.get("room_number") or "").strip(),
            data.get("area"),
        )
        if any(name in self.errors for name in ("building", "room_number", "area")):
            return data
        if area is not None:
            if building is not None or number:
                self.add_error("area", _("Choose a room or a public area, not both."))
            else:
                self.area = area
        elif building is not None and number:
            room = (
                Room.objects.select_related("building__campus")
                .filter(building=building, number__iexact=number)
                .first()
            )
            if room is None:
                self.add_error(
                    "room_number",
                    _("There is no room %(number)s in %(building)s.")
                    % {"number": number, "building": building.display_name},
                )
            else:
                self.room = room
        elif building is not None:
            self.add_error("room_number", _("Enter the room number."))
        elif number:
            self.add_error("building", _("Choose the building of the room."))
        else:
            self.add_error("room_number", _("Choose the room or the public area of the fault."))
        return data


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


class AreaForm(forms.ModelForm):
    """A new public area of a campus the user dispatches, optionally in one of its buildings."""

    class Meta:
        model = PublicArea
        fields = ["campus", "building", "code", "name", "name_en"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        campuses = dispatch_campuses(user)
        campus_qs = Campus.objects.all()
        building_qs = Building.objects.select_related("campus")
        if campuses is not ALL:
            campus_qs = campus_qs.filter(pk__in=campuses)
            building_qs = building_qs.filter(campus_id__in=campuses)
        self.fields["campus"].queryset = campus_qs
        self.fields["campus"].empty_label = None
        self.fields["building"].queryset = building_qs.order_by("campus__code", "code")
        self.fields["building"].label_from_instance = lambda b: (
            f"{b.display_name} ({b.campus.display_name})"
        )
        self.fields["code"].help_text = _("Short and unique on the campus, e.g. S01-WC2.")

    def clean_code(self):
        return (self.cleaned_data.get("code") or "").strip()

    def clean(self):
        data = super().clean()
        campus, building, code = data.get("campus"), data.get("building"), data.get("code")
        if campus is not None and building is not None and building.campus_id != campus.pk:
            self.add_error("building", _("Choose a building of this campus."))
        taken = PublicArea.objects.filter(campus=campus, code__iexact=code)
        if campus is not None and code and taken.exists():
            self.add_error("code", _("This campus already has a public area with this code."))
        return data

    def validate_constraints(self, exclude=None):
        # The unique code is checked in clean() with a clearer message.
        pass


# --- Filing ------------------------------------------------------------------------------------


def _prefill(filer: Filer, query) -> tuple[dict, str, str]:
    """Initial values from a QR code's `?room=` / `?area=`, a notice for the user when the
    code is not for a place they may report, and the place's label when it is."""
    room_id, area_id = query.get("room", ""), query.get("area", "")
    if not room_id and not area_id:
        return {}, "", ""
    room_id = int(room_id) if room_id.isdigit() else None
    area_id = int(area_id) if area_id.isdigit() and room_id is None else None
    if filer.mode == "resident":
        if room_id is not None and filer.home_room and room_id == filer.home_room.pk:
            return {"place": "room"}, "", _room_label(filer.home_room)
        area = next((a for a in filer.areas if a.pk == area_id), None)
        if area is not None:
            return {"place": f"area-{area.pk}"}, "", _area_label(area)
        if filer.home_room is not None:
            notice = _(
                "This code is for a place you cannot report for. You can report a fault in "
                "the room you live in, or in a public area; your own room is filled in below."
            )
            return {"place": "room"}, notice, ""
        return {}, _("You can report faults only for the room you live in, or a public area."), ""
    if room_id is not None:
        room = (
            Room.objects.select_related("building__campus")
            .filter(pk=room_id, building__in=filer.buildings)
            .first()
        )
        if room is not None:
            initial = {"building": room.building_id, "room_number": room.number}
            return initial, "", _room_label(room)
    elif area_id is not None:
        area = filer.area_choices.filter(pk=area_id).first()
        if area is not None:
            return {"area": area.pk}, "", _area_label(area)
    return {}, _("You cannot report faults for this place."), ""


def _default_phone(user) -> str:
    if user.phone:
        return user.phone
    return Resident.objects.filter(user_id=user.pk).values_list("phone", flat=True).first() or ""


def _new_page(request, filer: Filer, form, *, status: int = 200, notice="", place_label=""):
    categories = list(Category.objects.filter(is_active=True))
    return render(
        request,
        "maintenance/request_new.html",
        {
            "filer": filer,
            "form": form,
            "notice": notice,
            "place_label": place_label,
            "categories": categories,
            "confirm_days": settings.REPAIR_CONFIRM_DAYS,
            "max_photos": services.MAX_PHOTOS,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def ticket_new(request):
    """The repair request form (phone first); a QR code's `?room=` / `?area=` fills in the
    place."""
    filer = _filer(request.user)
    if not filer.may_file:
        return _new_page(request, filer, None)
    if request.method != "POST":
        initial, notice, place_label = _prefill(filer, request.GET)
        initial.setdefault("contact_phone", _default_phone(request.user))
        if filer.mode == "resident" and "place" not in initial and filer.home_room is not None:
            initial["place"] = "room"
        form = filer.form(initial=initial)
        return _new_page(request, filer, form, notice=notice, place_label=place_label)

    form = filer.form(request.POST, request.FILES)
    if not form.is_valid():
        return _new_page(request, filer, form, status=400)
    data = form.cleaned_data
    try:
        ticket = services.ticket_file(
            reporter=request.user,
            category=data["category"],
            description=data["description"],
            room=form.room,
            area=form.area,
            available_times=data["available_times"],
            contact_phone=data["contact_phone"],
            photos=[data.get(name) for name in PHOTO_FIELDS],
        )
    except services.RepairError as error:
        form.add_error(form.field_for(error.field), error.message)
        return _new_page(request, filer, form, status=error.status_code)
    except ValidationError as error:  # a photo the form did not check (never expected)
        form.add_error("photo_1", error)
        return _new_page(request, filer, form, status=400)
    messages.success(
        request,
        _(
            "Your repair request %(number)s is filed. We promise that a technician starts "
            "work by %(respond_by)s and the repair is finished by %(complete_by)s."
        )
        % {
            "number": ticket.number,
            "respond_by": _when(ticket.respond_by),
            "complete_by": _when(ticket.complete_by),
        },
    )
    return redirect("maintenance:ticket_detail", pk=ticket.pk)


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


# --- My repairs --------------------------------------------------------------------------------


@require_GET
@login_required
def my_tickets(request):
    """The user's own requests and those of the room they live in, newest first, 20 a page."""
    show = request.GET.get("show", "all")
    if show not in SHOW_CHOICES:
        show = "all"
    tickets = tickets_of_reporter(request.user)
    if show == "open":
        tickets = tickets.filter(status__in=UNDER_WAY)
    elif show == "finished":
        tickets = tickets.exclude(status__in=UNDER_WAY)
    page = Paginator(tickets.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = with_countdowns(page.object_list)
    return render(
        request,
        "maintenance/ticket_list.html",
        {
            "page": page,
            "tickets": rows,
            "show": show,
            "filters": list(SHOW_CHOICES.items()),
            "may_file": _may_file_quickly(request.user),
        },
    )


def _may_file_quickly(user) -> bool:
    """Whether to offer the "Report a repair" button (no query: roles only)."""
    return has_role(user, Role.STUDENT, Role.DORM_MANAGER, Role.SHIFT_LEAD) or (
        dispatch_campuses(user) != set()
    )


# --- Places and QR codes -----------------------------------------------------------------------


def _qr_campuses(user) -> set[int] | None:
    """Campuses whose public areas (and buildings) the user prints codes for: those they
    dispatch (ALL for administrators)."""
    if has_role(user, Role.ADMIN):
        return ALL
    return dispatch_campuses(user)


def _may_see_places(user) -> bool:
    return (
        has_role(user, Role.ADMIN)
        or dispatch_campuses(user) != set()
        or has_role(user, Role.DORM_MANAGER, Role.SHIFT_LEAD)
    )


def _qr_buildings(user) -> QuerySet[Building]:
    """Buildings whose QR sheets `user` prints: all of their dispatch campuses', and those
    assigned to them as dorm manager or shift lead."""
    campuses = _qr_campuses(user)
    if campuses is ALL:
        return Building.objects.all()
    allowed = Q(pk__in=desk_buildings_for(user).values("pk"))
    if campuses:
        allowed |= Q(campus_id__in=campuses)
    return Building.objects.filter(allowed)


def _qr_areas(user) -> QuerySet[PublicArea]:
    campuses = _qr_campuses(user)
    if campuses is ALL:
        return PublicArea.objects.all()
    allowed = Q(building__in=_qr_buildings(user))
    if campuses:
        allowed |= Q(campus_id__in=campuses)
    return PublicArea.objects.filter(allowed)


def _places_required(view):
    """Anonymous users go to the login page; those who print no QR codes get 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not _may_see_places(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def report_url(request, kind: str, pk: int) -> str:
    """The absolute address a place's QR code opens: the form with the place filled in."""
    path = f"{reverse('maintenance:ticket_new')}?{urlencode({kind: pk})}"
    base = (settings.PORTAL_BASE_URL or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def _qr(url: str):
    return segno.make_qr(url, error=QR_ERROR)


def qr_data_uris(urls: list[str]) -> dict[str, str]:
    """Each address's QR code as a `data:image/svg+xml` URI (scalable: it has a viewBox), from
    the cache where it was made before."""
    keys = {
        url: f"maintenance:qr:{QR_CACHE_VERSION}:{hashlib.sha256(url.encode()).hexdigest()}"
        for url in urls
    }
    cached = cache.get_many(list(keys.values()))
    result, fresh = {}, {}
    for url, key in keys.items():
        if key in cached:
            result[url] = cached[key]
        else:
            result[url] = fresh[key] = _qr(url).svg_data_uri(omitsize=True, border=2)
    if fresh:
        cache.set_many(fresh, QR_CACHE_SECONDS)
    return result


@dataclass
class QrCard:
    title: str
    subtitle: str
    url: str
    image: str = ""
    testid: str = ""


def _with_images(cards: list[QrCard]) -> list[QrCard]:
    images = qr_data_uris([card.url for card in cards])
    for card in cards:
        card.image = images[card.url]
    return cards


@require_GET
@_places_required
def place_list(request):
    """The buildings and public areas whose QR codes the user prints."""
    user = request.user
    buildings = list(
        _qr_buildings(user)
        .select_related("campus")
        .annotate(room_count=Count("rooms"))
        .order_by("campus__position", "campus__code", "code")
    )
    areas = list(
        _qr_areas(user)
        .select_related("campus", "building")
        .order_by("campus__position", "campus__code", "building__code", "code")
    )
    campuses = _qr_campuses(user)
    sheet_campuses = (
        Campus.objects.all() if campuses is ALL else Campus.objects.filter(pk__in=campuses)
    )
    return render(
        request,
        "maintenance/place_list.html",
        {
            "buildings": buildings,
            "areas": areas,
            "sheet_campuses": list(sheet_campuses),
            "may_add_area": dispatch_campuses(user) != set(),
        },
    )


@require_http_methods(["GET", "POST"])
@_places_required
def area_new(request):
    """A new public area, for the dispatchers of its campus (and administrators)."""
    if dispatch_campuses(request.user) == set():
        raise Http404
    form = AreaForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            area = _area_create(actor=request.user, form=form)
        except IntegrityError:
            form.add_error("code", _("This campus already has a public area with this code."))
        else:
            messages.success(
                request,
                _("Public area %(name)s added; its QR code is on the sheet.")
                % {"name": area.display_name},
            )
            return redirect("maintenance:place_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "maintenance/place_area_form.html", {"form": form}, status=status)


def _area_create(*, actor: User, form: AreaForm) -> PublicArea:
    with transaction.atomic():
        area = form.save()
        audit_record(
            actor=actor,
            action="repair.area_create",
            target=area,
            changes={"campus": area.campus_id, "code": area.code},
        )
    return area


@require_GET
@_places_required
def qr_sheet(request, pk: int):
    """A building's printable sheet: one card per room and per public area of the building."""
    building = get_object_or_404(_qr_buildings(request.user).select_related("campus"), pk=pk)
    rooms = (
        Room.objects.filter(building=building)
        .order_by("floor", "number")
        .only("pk", "number", "floor", "building_id")
    )
    areas = PublicArea.objects.filter(building=building).order_by("code")
    cards = [
        QrCard(
            title=room.number,
            subtitle=building.display_name,
            url=report_url(request, "room", room.pk),
            testid=f"qr-room-{room.pk}",
        )
        for room in rooms
    ]
    cards += [
        QrCard(
            title=area.display_name,
            subtitle=building.display_name,
            url=report_url(request, "area", area.pk),
            testid=f"qr-area-{area.pk}",
        )
        for area in areas
    ]
    return render(
        request,
        "maintenance/qr_sheet.html",
        {
            "title": building.display_name,
            "campus": building.campus,
            "cards": _with_images(cards),
        },
    )


@require_GET
@_places_required
def campus_qr_sheet(request, pk: int):
    """A campus's printable sheet of the public areas outside the buildings."""
    campuses = _qr_campuses(request.user)
    scope = Campus.objects.all() if campuses is ALL else Campus.objects.filter(pk__in=campuses)
    campus = get_object_or_404(scope, pk=pk)
    areas = PublicArea.objects.filter(campus=campus, building__isnull=True).order_by("code")
    cards = [
        QrCard(
            title=area.display_name,
            subtitle=campus.display_name,
            url=report_url(request, "area", area.pk),
            testid=f"qr-area-{area.pk}",
        )
        for area in areas
    ]
    return render(
        request,
        "maintenance/qr_sheet.html",
        {"title": campus.display_name, "campus": campus, "cards": _with_images(cards)},
    )


@require_GET
@_places_required
def qr_code(request, kind: str, pk: int):
    """One place's QR code as an SVG file (to download or print larger)."""
    if kind not in QR_KINDS:
        raise Http404
    if kind == "room":
        get_object_or_404(Room.objects.filter(building__in=_qr_buildings(request.user)), pk=pk)
    else:
        get_object_or_404(_qr_areas(request.user), pk=pk)
    out = io.BytesIO()
    _qr(report_url(request, kind, pk)).save(out, kind="svg", scale=10, border=2)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="repair-{kind}-{pk}.svg"'
    response["Cache-Control"] = "private, max-age=3600"
    return response
