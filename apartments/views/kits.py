"""Bedding kits of a building (床上用品): before move-in, every bed's kit is checked for quality and
quantity (逐一验质验量) and placed in the bed's locker. This page shows each bed's kit and
records the checks: one bed at a time (passed, or failed with a reason) or a whole floor."""

from itertools import groupby
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from apartments import selectors, services
from apartments.models import BedKit, KitType
from apartments.views.desk import DESK_ROLES
from logistics.access import role_required


class KitCheckForm(forms.Form):
    kit_type = forms.ModelChoiceField(queryset=KitType.objects.all(), widget=forms.HiddenInput)
    passed = forms.TypedChoiceField(
        choices=[("1", gettext_lazy("Passed")), ("0", gettext_lazy("Failed"))],
        coerce=lambda value: value == "1",
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)


class MarkPlacedForm(forms.Form):
    kit_type = forms.ModelChoiceField(queryset=KitType.objects.all(), widget=forms.HiddenInput)
    floor = forms.IntegerField(required=False, widget=forms.HiddenInput)


@require_GET
@role_required(*DESK_ROLES)
def kit_list(request, pk: int):
    building = selectors.desk_building_get(request.user, pk)
    kit_types = list(selectors.kit_types())
    kit_type = next((k for k in kit_types if k.code == request.GET.get("kit")), None)
    if kit_type is None and kit_types:
        kit_type = kit_types[0]
    beds = selectors.kit_beds(building) if kit_type else []
    failing = request.GET.get("fail", "")  # without JavaScript: the bed whose reason to ask
    for bed in beds:
        bed.failing = str(bed.pk) == failing
    floors = []
    for floor, floor_beds in groupby(beds, key=lambda b: b.room.floor):
        floor_beds = list(floor_beds)
        rooms = [(room, list(rb)) for room, rb in groupby(floor_beds, key=lambda b: b.room)]
        floors.append({"floor": floor, "rooms": rooms, "counts": _counts(floor_beds)})
    return render(
        request,
        "apartments/kits.html",
        {
            "building": building,
            "kit_types": kit_types,
            "kit_type": kit_type,
            "floors": floors,
            "counts": _counts(beds),
        },
    )


@require_GET
@role_required(*DESK_ROLES)
def kit_bed(request, pk: int, bed_id: int):
    """One bed's line (htmx), with the form asking why the kit failed when `fail` is given."""
    building = selectors.desk_building_get(request.user, pk)
    kit_type = selectors.kit_types().filter(code=request.GET.get("kit", "")).first()
    bed = next(iter(selectors.kit_beds(building, bed_id=bed_id)), None)
    if bed is None or kit_type is None:
        raise Http404
    failing = bool(request.GET.get("fail"))
    if not request.htmx:
        url = reverse("apartments:building_kits", args=[building.pk]) + f"?kit={kit_type.code}"
        return redirect(url + (f"&fail={bed.pk}" if failing else "") + f"#bed-{bed.pk}")
    context = {"building": building, "bed": bed, "kit_type": kit_type, "failing": failing}
    return render(request, "apartments/kit_bed.html", context)


@require_POST
@role_required(*DESK_ROLES)
def kit_check(request, pk: int, bed_id: int):
    """Record one check of one bed's kit."""
    building = selectors.desk_building_get(request.user, pk)
    bed = next(iter(selectors.kit_beds(building, bed_id=bed_id)), None)
    if bed is None:
        raise Http404
    form = KitCheckForm(request.POST)
    error = ""
    if form.is_valid():
        values = form.cleaned_data
        try:
            services.kit_check_record(
                actor=request.user,
                bed=bed,
                kit_type=values["kit_type"],
                passed=values["passed"],
                reason=values["reason"],
            )
        except services.MoveInError as exc:
            error = exc.message
        else:
            bed = selectors.kit_beds(building, bed_id=bed_id)[0]
    else:
        error = _("The check could not be recorded: %(errors)s") % {
            "errors": " ".join(e for errors in form.errors.values() for e in errors)
        }
    if request.htmx:
        kit_type = form.cleaned_data.get("kit_type") or selectors.kit_types().first()
        context = {
            "building": building,
            "bed": bed,
            "kit_type": kit_type,
            "error": error,
            "failing": bool(error),
        }
        return render(request, "apartments/kit_bed.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Bed %(bed)s: check recorded.") % {"bed": bed})
    return redirect(_kits_url(building, form, anchor=f"bed-{bed.pk}", fail=bed if error else None))


@require_POST
@role_required(*DESK_ROLES)
def kit_mark_placed(request, pk: int):
    """Mark every bed of the building, or of one floor, that has no kit yet as checked and
    placed."""
    building = selectors.desk_building_get(request.user, pk)
    form = MarkPlacedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a bedding kit type first."))
        return redirect("apartments:building_kits", pk=building.pk)
    floor = form.cleaned_data["floor"]
    marked = services.kit_check_building(
        actor=request.user, building=building, kit_type=form.cleaned_data["kit_type"], floor=floor
    )
    if marked:
        messages.success(
            request,
            ngettext(
                "%(count)d bed marked as checked and placed.",
                "%(count)d beds marked as checked and placed.",
                marked,
            )
            % {"count": marked},
        )
    else:
        messages.info(request, _("Every bed there has a kit already."))
    anchor = f"floor-{floor}" if floor is not None else ""
    return redirect(_kits_url(building, form, anchor=anchor))


def _counts(beds) -> dict[str, int]:
    counts = {"none": 0, **dict.fromkeys(BedKit.Status.values, 0)}
    for bed in beds:
        kit = _kit_of(bed)
        counts[kit.status if kit else "none"] += 1
    return counts


def _kit_of(bed) -> BedKit | None:
    try:
        return bed.kit
    except BedKit.DoesNotExist:
        return None


def _kits_url(building, form, *, anchor: str = "", fail=None) -> str:
    query = {}
    kit_type = form.cleaned_data.get("kit_type") if hasattr(form, "cleaned_data") else None
    if kit_type is not None:
        query["kit"] = kit_type.code
    if fail is not None:
        query["fail"] = fail.pk
    url = reverse("apartments:building_kits", args=[building.pk])
    return url + (f"?{urlencode(query)}" if query else "") + (f"#{anchor}" if anchor else "")


@role_required(*DESK_ROLES)
def kit_items(request, pk: int, bed_id: int):
    """Check one bed's kit item by item against the kit's list (逐一验质验量): each item's
    quantity found and whether its quality is acceptable. GET shows the list to fill (each
    item's expected quantity filled in, its quality ticked); POST records the check."""
    building = selectors.desk_building_get(request.user, pk)
    code = request.POST.get("kit") or request.GET.get("kit", "")
    kit_type = selectors.kit_types().filter(code=code).prefetch_related("items").first()
    bed = next(iter(selectors.kit_beds(building, bed_id=bed_id)), None)
    if bed is None or kit_type is None:
        raise Http404
    bed.room.building = building  # its label (S01-101-1) without another query
    items = list(kit_type.items.all())
    rows = [{"item": item, "found": item.quantity, "ok": True, "note": ""} for item in items]
    error = ""
    if request.method == "POST":
        lines, rows, error = _read_lines(request.POST, items)
        if not error:
            try:
                kit = services.kit_check_items(
                    actor=request.user, bed=bed, kit_type=kit_type, lines=lines
                )
            except services.MoveInError as exc:
                error = exc.message
            else:
                if kit.status == BedKit.Status.PLACED:
                    messages.success(
                        request, _("Bed %(bed)s: every item checked, kit placed.") % {"bed": bed}
                    )
                else:
                    messages.warning(
                        request,
                        _("Bed %(bed)s: the kit failed the check: %(reason)s")
                        % {"bed": bed, "reason": kit.last_check.reason},
                    )
                url = reverse("apartments:building_kits", args=[building.pk])
                return redirect(f"{url}?kit={kit_type.code}#bed-{bed.pk}")
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request,
        "apartments/kit_items.html",
        {"building": building, "bed": bed, "kit_type": kit_type, "rows": rows, "error": error},
        status=400 if error else 200,
    )


def _read_lines(data, items):
    """The posted lines, the rows to show again and an error ("" when every line reads)."""
    lines, rows, error = [], [], ""
    for item in items:
        raw = data.get(f"found-{item.pk}", "").strip()
        ok = data.get(f"ok-{item.pk}") == "1"
        note = data.get(f"note-{item.pk}", "")[:200]
        rows.append({"item": item, "found": raw, "ok": ok, "note": note})
        try:
            found = int(raw)
        except ValueError:
            error = _("Enter how many of each item are there (a whole number).")
            continue
        lines.append(services.KitLineInput(item_id=item.pk, found=found, quality_ok=ok, note=note))
    return lines, rows, error
