"""Places and their QR codes: the buildings and public areas whose codes a user prints, a
new public area, and the printable QR sheets, per building (its rooms and its public areas)
and per campus (the areas outside the buildings), for dispatchers, the buildings' staff and
administrators.

The places a user prints codes for are their dispatch campuses' (selectors.dispatch_campuses)
and the buildings assigned to them (apartments.selectors.desk_buildings_for). A code opens
the request form (maintenance.views.filing) with the place filled in.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from apartments.models import Building, Room
from apartments.selectors import desk_buildings_for
from logistics.access import ALL, has_role
from logistics.models import Campus, Role, User
from logistics.services import audit_record
from maintenance.models import PublicArea
from maintenance.selectors import (
    dispatch_campuses,
)

# QR codes: medium error correction survives a scuffed or dirty sticker; the images are kept
# in the cache (choosing the best mask takes ~15 ms a code, a building has hundreds of rooms).
QR_ERROR = "m"
QR_CACHE_SECONDS = 30 * 24 * 60 * 60
QR_CACHE_VERSION = 1
QR_KINDS = ("room", "area")


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
