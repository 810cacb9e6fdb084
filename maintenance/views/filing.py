"""The repair request form: filing a request.

- A resident files a repair request from their phone: their own room (shown, not editable) or
  a public area of their campus, a category with its promised time limits, a description,
  when they are available, a phone number and up to three photos. Staff who look after places
  (a campus's dispatchers, a building's dorm managers and shift leads) file for a building of
  theirs and a room number, or a public area. Who may file where is services.place_problem's
  business; this page only offers what it would accept.
- A QR code on each room and public area opens the same form with the place filled in
  (`?room=<id>`, `?area=<id>`). A resident who scans another room's code is told kindly that
  they report for their own room or a public area, and their own room is offered instead.
"""

from __future__ import annotations

from functools import cached_property

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from apartments.models import Building, Resident, Room
from apartments.selectors import visibility_of
from logistics.access import ALL, has_role
from logistics.models import Role
from logistics.uploads import PhotoField
from maintenance import services
from maintenance.models import PublicArea
from maintenance.selectors import categories_active, dispatch_campuses, resident_room
from maintenance.views.wording import _when, promise_text

PHOTO_FIELDS = tuple(f"photo_{n}" for n in range(1, services.MAX_PHOTOS + 1))
AVAILABLE_TIMES_MAX_LENGTH = 200
PHONE_MAX_LENGTH = 30


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


class Filer:
    """How the user files: "resident" (their room or their campus's public areas), "staff"
    (a building in scope and a room number, or a public area in scope). A resident's room and
    areas are read when first needed: a resident filing for their own room needs neither
    (the service finds the room under the reporter's lock)."""

    def __init__(self, mode: str, user, *, buildings=None, area_choices=None):
        self.mode = mode
        self.user = user
        self.buildings: QuerySet[Building] | None = buildings
        self.area_choices: QuerySet[PublicArea] | None = area_choices

    @cached_property
    def home_room(self) -> Room | None:
        return resident_room(self.user) if self.mode == "resident" else None

    @cached_property
    def areas(self) -> list[PublicArea]:
        if self.mode != "resident":
            return []
        if self.home_room is not None:
            campus_id = self.home_room.building.campus_id
        else:
            campus_id = (
                Resident.objects.filter(user_id=self.user.pk)
                .values_list("campus_id", flat=True)
                .first()
            )
        if campus_id is None:
            return []
        return list(
            PublicArea.objects.filter(campus_id=campus_id)
            .select_related("building")
            .order_by("building__code", "code")
        )

    @property
    def may_file(self) -> bool:
        if self.mode == "resident":
            return self.home_room is not None or bool(self.areas)
        return True

    def form(self, *args, **kwargs) -> TicketForm:
        if self.mode == "resident":
            return ResidentTicketForm(*args, filer=self, **kwargs)
        return StaffTicketForm(*args, buildings=self.buildings, areas=self.area_choices, **kwargs)


def _filer(user) -> Filer:
    """How `user` files repairs; 404 for those who may file nowhere (a technician)."""
    staff = _staff_places(user)
    if staff is not None:
        return Filer("staff", user, buildings=staff[0], area_choices=staff[1])
    if not has_role(user, Role.STUDENT):
        raise Http404
    return Filer("resident", user)


# --- Forms -------------------------------------------------------------------------------------


class CategoryChoiceField(forms.ChoiceField):
    """The categories taking requests, with their promises, from the cache
    (selectors.categories_active): showing and checking them costs no query. The cleaned
    value is the Category."""

    def __init__(self, **kwargs):
        super().__init__(choices=self._choices, **kwargs)

    @staticmethod
    def _choices():
        return [(c.pk, f"{c.display_name} — {promise_text(c)}") for c in categories_active()]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        for category in categories_active():
            if str(category.pk) == str(value):
                return category
        raise ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
        )

    def validate(self, value):
        forms.Field.validate(self, value)  # to_python checked the choice


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        label = _area_label(obj)
        return f"{label} ({obj.campus.display_name})"


class TicketForm(forms.Form):
    """What every repair request tells: what, how, when, a phone number, photos. Subclasses
    add the place and set `self.room` / `self.area` when it is valid."""

    category = CategoryChoiceField(
        label=gettext_lazy("What is broken?"),
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

    def field_for(self, service_field: str) -> str | None:
        """The form field that shows a service's error about `service_field`."""
        if service_field in ("room", "area"):
            return self.place_fields[-1] if service_field == "area" else self.place_fields[0]
        if service_field == "photos":
            return "photo_1"
        return service_field if service_field in self.fields else None


class PlaceField(forms.ChoiceField):
    """The resident's place: its choices (their room, their campus's areas) are listed only
    when the form is shown; ResidentTicketForm.clean_place checks a sent value without them."""

    def valid_value(self, value):
        return True


class ResidentTicketForm(TicketForm):
    """A resident's place: their own room, or one of their campus's public areas."""

    place = PlaceField(label=gettext_lazy("Where is the fault?"))
    place_fields = ("place", "place")
    field_order = ["place", "category", "description"]

    def __init__(self, *args, filer: Filer, **kwargs):
        super().__init__(*args, **kwargs)
        self.filer = filer
        self.fields["place"].choices = self._place_choices

    def _place_choices(self):
        home_room, areas = self.filer.home_room, self.filer.areas
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
        return choices

    def clean_place(self):
        """ "room" leaves room and area empty: the service files for the room the reporter
        lives in, or says they live in none."""
        value = self.cleaned_data["place"]
        if value == "room":
            return value
        if value.startswith("area-") and value[5:].isdigit():
            area = next((a for a in self.filer.areas if a.pk == int(value[5:])), None)
            if area is not None:
                self.area = area
                return value
        raise ValidationError(_("Choose the room or the public area of the fault."))


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
    categories = categories_active()
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
    # A resident sending their own room is not asked where they live first: the service finds
    # the room (or says there is none) under the reporter's lock.
    own_room = filer.mode == "resident" and request.POST.get("place") == "room"
    if not own_room and not filer.may_file:
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
