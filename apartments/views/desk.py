"""The check-in desk of a building (迎新服务台): scan a student id, see the resident and their bed,
hand over key and kit, confirm. Works with htmx (the result swaps in under the field) and
without JavaScript (plain GET and POST, then a redirect)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apartments import selectors, services
from apartments.models import BedKit
from logistics.access import role_required
from logistics.models import Role

# Who works a desk: the dorm managers and shift leads of the building, and administrators.
DESK_ROLES = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN)


class LookupForm(forms.Form):
    student_id = forms.CharField(label=gettext_lazy("Student id"), max_length=30)


class CheckInForm(forms.Form):
    student_id = forms.CharField(max_length=30, widget=forms.HiddenInput)
    bed = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    key_issued = forms.BooleanField(
        label=gettext_lazy("Key handed over"), required=False, initial=True
    )
    kit_issued = forms.BooleanField(
        label=gettext_lazy("Bedding kit handed over"), required=False, initial=True
    )


@require_GET
@role_required(*DESK_ROLES)
def desk_choose(request):
    """The desk of which building? Straight to it when the user has only one."""
    buildings = list(
        selectors.desk_buildings_for(request.user)
        .select_related("campus")
        .order_by("campus__position", "code")
    )
    if len(buildings) == 1:
        return redirect("apartments:desk", building_id=buildings[0].pk)
    return render(request, "apartments/desk_choose.html", {"buildings": buildings})


@require_GET
@role_required(*DESK_ROLES)
def desk(request, building_id: int):
    building = selectors.desk_building_get(request.user, building_id)
    return render(request, "apartments/desk.html", _page(building, LookupForm()))


@require_GET
@role_required(*DESK_ROLES)
def desk_lookup(request, building_id: int):
    """Who is this and which bed do they get? Reads only: the same rules as the check-in."""
    building = selectors.desk_building_get(request.user, building_id)
    form = LookupForm(request.GET)
    result = {}
    if form.is_valid():
        result = _preview(building, form.cleaned_data["student_id"].strip(), suggest=True)
    else:
        result = {"error": _("Enter or scan a student id.")}
    if request.htmx:
        return render(request, "apartments/desk_result.html", {"building": building, **result})
    return render(request, "apartments/desk.html", {**_page(building, form), **result})


@require_POST
@role_required(*DESK_ROLES)
def desk_checkin(request, building_id: int):
    building = selectors.desk_building_get(request.user, building_id)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        result = {"error": _("Look the resident up again, then confirm.")}
        return _answer(request, building, result, status=400)
    values = form.cleaned_data
    student_id = values["student_id"].strip()
    try:
        stay = services.checkin_create(
            actor=request.user,
            student_id=student_id,
            bed_id=values["bed"],
            building=building,
            key_issued=values["key_issued"],
            kit_issued=values["kit_issued"],
        )
    except services.CheckInError as error:
        result = {"error": error.message}
        if isinstance(error, services.BedTaken):
            # Another desk was faster: show the next bed to confirm (the key changes too).
            result.update(_preview(building, student_id))
            result["error"] = error.message
        return _answer(request, building, result, status=error.status_code)
    if request.htmx:
        context = {
            "building": building,
            "done": stay,
            "counts": selectors.desk_counts(building),
            "counts_oob": True,
        }
        return render(request, "apartments/desk_result.html", context)
    messages.success(request, _success_message(stay))
    return redirect("apartments:desk", building_id=building.pk)


def _page(building, form) -> dict:
    return {"building": building, "form": form, "counts": selectors.desk_counts(building)}


def _preview(building, student_id: str, *, suggest: bool = False) -> dict:
    """The check-in the desk would do for `student_id`; when no resident has that id and
    `suggest`, those of the campus whose id, name or its initials start with it (a name typed
    at the desk: 王伟, or "ww")."""
    try:
        plan = services.checkin_preview(student_id=student_id, building=building)
    except services.ResidentNotFound as error:
        candidates = selectors.desk_candidates(building, student_id) if suggest else []
        if candidates:
            return {"candidates": candidates, "typed": student_id}
        return {"error": error.message}
    except services.CheckInError as error:
        return {"error": error.message}
    kit = _kit_of(plan.bed)
    confirm = CheckInForm(
        initial={
            "student_id": plan.resident.student_id,
            "bed": plan.bed.pk,
            # A kit that failed its check stays in the store room until it is replaced.
            "kit_issued": kit is None or kit.status != BedKit.Status.FAILED,
        }
    )
    return {"plan": plan, "kit": kit, "confirm": confirm}


def _answer(request, building, result: dict, *, status: int):
    """An error: under the field for htmx (htmx swaps 2xx answers only), else the whole page
    with the error and its status."""
    if request.htmx:
        return render(request, "apartments/desk_result.html", {"building": building, **result})
    context = {**_page(building, LookupForm()), **result}
    return render(request, "apartments/desk.html", context, status=status)


def _kit_of(bed) -> BedKit | None:
    try:
        return bed.kit
    except BedKit.DoesNotExist:
        return None


def _success_message(stay) -> str:
    return _("%(name)s (%(id)s) is checked in: bed %(bed)s.") % {
        "name": stay.resident.name,
        "id": stay.resident.student_id,
        "bed": services.bed_label(stay.bed),
    }
