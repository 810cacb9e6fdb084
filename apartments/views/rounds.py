"""Safety rounds and hazards, the pages: a building's staff walk tonight's round on a phone,
room by room; everyone who looks after buildings sees the hazard list; a hazard's page lets a
resident of the room mark it rectified and the staff verify, reopen and record what was
confiscated. Scoped like apartments.rounds says; anything else is 404."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apartments import rounds
from apartments.models import (
    ApplianceKind,
    Confiscation,
    Hazard,
    HazardKind,
    Resident,
    RoundKind,
    RoundRoom,
    SafetyRound,
)
from apartments.selectors import BUILDING_VIEWERS, buildings_for
from logistics.access import role_required
from logistics.models import Role
from logistics.uploads import PhotoField

# Who walks the rounds: the building's dorm managers and shift leads, and administrators.
ROUND_ROLES = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN)
PAGE_SIZE = 50


class RoomRecordForm(forms.Form):
    result = forms.ChoiceField(
        label=gettext_lazy("Result"),
        choices=[
            ("ok", gettext_lazy("All in order")),
            ("findings", pgettext_lazy("safety round room", "Findings")),
        ],
    )
    residents_present = forms.IntegerField(
        label=gettext_lazy("Residents present"),
        required=False,
        min_value=0,
        max_value=rounds.RESIDENTS_PRESENT_MAX,
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Hazard"), required=False, choices=[("", "—"), *HazardKind.choices]
    )
    appliance = forms.ChoiceField(
        label=gettext_lazy("Appliance"),
        required=False,
        choices=[("", "—"), *ApplianceKind.choices],
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=rounds.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photo = PhotoField(label=gettext_lazy("Photo"), required=False)


class RectifyForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was done"),
        required=False,
        max_length=rounds.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photo = PhotoField(label=gettext_lazy("Photo"), required=False, capture=None)


class RecheckForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What the re-check found"),
        required=False,
        max_length=rounds.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConfiscationForm(forms.Form):
    item = forms.CharField(label=gettext_lazy("What was taken"), max_length=rounds.ITEM_MAX_LENGTH)
    resident = forms.ModelChoiceField(
        label=gettext_lazy("From"), required=False, queryset=Resident.objects.none()
    )

    def __init__(self, *args, room_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = Resident.objects.filter(
            stays__bed__room_id=room_id, stays__status="active"
        ).order_by("student_id")


def _day(request) -> dt.date:
    raw = request.GET.get("date")
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as error:
        raise Http404 from error


def _error_message(request, error: rounds.RoundError) -> None:
    if isinstance(error, rounds.NotFound):
        raise Http404
    messages.error(request, error.message)


# --- Rounds ----------------------------------------------------------------------------------


@require_GET
@role_required(*ROUND_ROLES)
def round_choose(request):
    """Which building's round? Straight to it when the user works in only one."""
    buildings = list(
        rounds.round_buildings_for(request.user)
        .select_related("campus")
        .order_by("campus__position", "code")
    )
    if len(buildings) == 1:
        return redirect("apartments:safety_round", building_id=buildings[0].pk)
    return render(request, "apartments/rounds/choose.html", {"buildings": buildings})


@require_GET
@role_required(*ROUND_ROLES)
def safety_round(request, building_id: int):
    """A building's round of a date (today) and kind (the night check from 17:00), room by
    room. Four queries whatever the number of rooms: the building, the round, its rooms,
    their hazards still to close."""
    building = get_object_or_404(
        rounds.round_buildings_for(request.user).select_related("campus"), pk=building_id
    )
    default_day, default_kind = rounds.current_round()
    day = _day(request) if request.GET.get("date") else default_day
    kind = request.GET.get("kind") or default_kind
    if kind not in RoundKind.values:
        raise Http404
    current = (
        SafetyRound.objects.filter(building=building, date=day, kind=kind)
        .prefetch_related(rounds.round_rooms_prefetch())
        .first()
    )
    room_rows = list(current.rooms.all()) if current else []
    counts = dict.fromkeys(RoundRoom.State.values, 0)
    for row in room_rows:
        counts[row.state] += 1
    return render(
        request,
        "apartments/rounds/round.html",
        {
            "building": building,
            "day": day,
            "kind": kind,
            "kinds": RoundKind.choices,
            "round": current,
            "room_rows": room_rows,
            "counts": counts,
            "form": RoomRecordForm(),
            "hazard_kinds": HazardKind.choices,
            "appliances": ApplianceKind.choices,
        },
    )


def _round_url(safety_round: SafetyRound, anchor: str = "") -> str:
    url = reverse("apartments:safety_round", args=[safety_round.building_id])
    return f"{url}?date={safety_round.date.isoformat()}&kind={safety_round.kind}{anchor}"


@require_POST
@role_required(*ROUND_ROLES)
def round_room_record(request, pk: int):
    round_room = get_object_or_404(
        RoundRoom.objects.select_related("round", "room").filter(
            round__building__in=rounds.round_buildings_for(request.user)
        ),
        pk=pk,
    )
    back = _round_url(round_room.round, f"#room-{round_room.pk}")
    form = RoomRecordForm(request.POST, request.FILES)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{round_room.room.number} {label}: {' '.join(errors)}")
        return redirect(back)
    values = form.cleaned_data
    ok = values["result"] == "ok"
    try:
        _recorded, hazard = rounds.round_room_record(
            actor=request.user,
            round_room=round_room,
            ok=ok,
            residents_present=values["residents_present"],
            finding=None
            if ok
            else rounds.Finding(
                kind=values["kind"],
                appliance=values["appliance"],
                note=values["note"],
                photo=values["photo"],
            ),
        )
    except rounds.RoundError as error:
        _error_message(request, error)
    else:
        if hazard is None:
            messages.success(
                request, _("Room %(room)s: all in order.") % {"room": round_room.room.number}
            )
        else:
            messages.warning(
                request,
                _("Room %(room)s: hazard recorded, to rectify by %(deadline)s.")
                % {"room": round_room.room.number, "deadline": hazard.deadline.isoformat()},
            )
    return redirect(back)


@require_POST
@role_required(*ROUND_ROLES)
def round_finish(request, pk: int):
    safety_round = get_object_or_404(
        SafetyRound.objects.filter(building__in=rounds.round_buildings_for(request.user)), pk=pk
    )
    try:
        missed = rounds.round_finish(actor=request.user, safety_round=safety_round)
    except rounds.RoundError as error:
        _error_message(request, error)
    else:
        messages.success(
            request,
            _("Round finished. Rooms not reached: %(n)s; they come back on a later round.")
            % {"n": missed},
        )
    return redirect(_round_url(safety_round))


# --- Hazards ---------------------------------------------------------------------------------


@require_GET
@role_required(*BUILDING_VIEWERS)
def hazard_list(request):
    """The hazards of the user's buildings, filtered by building, state and overdue. Four
    queries whatever the number of hazards: the buildings for the filter, the count, the
    page (with room, building and finder)."""
    buildings = list(buildings_for(request.user).order_by("code").only("pk", "code"))
    building = request.GET.get("building") or ""
    building_id = int(building) if building.isdigit() else None
    if building and building_id is None:
        raise Http404
    state = request.GET.get("state") or ""
    if state and state not in Hazard.State.values:
        raise Http404
    overdue = request.GET.get("overdue") == "1"
    hazards = rounds.hazard_list(
        request.user, building=building_id, state=state or None, overdue=overdue
    )
    page = Paginator(hazards, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for hazard in page.object_list:
        hazard.overdue = rounds.is_overdue(hazard, today)
    return render(
        request,
        "apartments/rounds/hazards.html",
        {
            "page": page,
            "buildings": buildings,
            "building_id": building_id,
            "state": state,
            "states": Hazard.State.choices,
            "overdue": overdue,
        },
    )


def _hazard_for(request, pk: int) -> Hazard:
    return get_object_or_404(rounds.hazards_for(request.user), pk=pk)


@require_GET
def hazard_detail(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    hazard = _hazard_for(request, pk)
    staff = rounds.may_work_on(request.user, hazard.room.building_id)
    resident = rounds.lives_in(request.user, hazard.room_id)
    return render(
        request,
        "apartments/rounds/hazard.html",
        {
            "hazard": hazard,
            "overdue": rounds.is_overdue(hazard),
            "staff": staff,
            "may_rectify": (staff or resident) and hazard.state in Hazard.UNFIXED,
            "may_recheck": staff and hazard.state == Hazard.State.RECTIFIED,
            "confiscations": list(
                hazard.confiscations.select_related("resident", "taken_by", "returned_by")
            ),
            "rectify_form": RectifyForm(),
            "recheck_form": RecheckForm(),
            "confiscation_form": ConfiscationForm(room_id=hazard.room_id) if staff else None,
        },
    )


def _back(hazard: Hazard):
    return redirect("apartments:hazard_detail", pk=hazard.pk)


@require_POST
def hazard_rectify(request, pk: int):
    if not request.user.is_authenticated:
        raise Http404
    hazard = _hazard_for(request, pk)
    form = RectifyForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back(hazard)
    try:
        rounds.hazard_rectify(
            actor=request.user,
            hazard=hazard,
            note=form.cleaned_data["note"],
            photo=form.cleaned_data["photo"],
        )
    except rounds.RoundError as error:
        _error_message(request, error)
    else:
        messages.success(request, _("Marked rectified. The staff will check it."))
    return _back(hazard)


@require_POST
@role_required(*ROUND_ROLES)
def hazard_recheck(request, pk: int, action: str):
    """The staff's re-check: verified (closed) or reopened."""
    hazard = _hazard_for(request, pk)
    form = RecheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back(hazard)
    note = form.cleaned_data["note"]
    try:
        if action == "verify":
            rounds.hazard_verify(actor=request.user, hazard=hazard, note=note)
            messages.success(request, _("Verified: the hazard is closed."))
        else:
            rounds.hazard_reopen(actor=request.user, hazard=hazard, note=note)
            messages.warning(request, _("Reopened, with a new deadline."))
    except rounds.RoundError as error:
        _error_message(request, error)
    return _back(hazard)


@require_POST
@role_required(*ROUND_ROLES)
def confiscation_create(request, pk: int):
    hazard = _hazard_for(request, pk)
    form = ConfiscationForm(request.POST, room_id=hazard.room_id)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _back(hazard)
    try:
        rounds.confiscation_record(
            actor=request.user,
            hazard=hazard,
            item=form.cleaned_data["item"],
            resident=form.cleaned_data["resident"],
        )
    except rounds.RoundError as error:
        _error_message(request, error)
    else:
        messages.success(request, _("Confiscation recorded."))
    return _back(hazard)


@require_POST
@role_required(*ROUND_ROLES)
def confiscation_return(request, pk: int):
    confiscation = get_object_or_404(
        Confiscation.objects.select_related("hazard__room").filter(
            hazard__in=rounds.hazards_for(request.user)
        ),
        pk=pk,
    )
    try:
        rounds.confiscation_return(actor=request.user, confiscation=confiscation)
    except rounds.RoundError as error:
        _error_message(request, error)
    else:
        messages.success(request, _("Returned to the resident."))
    return _back(confiscation.hazard)
