"""Fire equipment pages: a building's extinguishers and hydrants by floor, with what is due or
expired standing out, and the monthly check recorded on a phone."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from apartments import fire_equipment
from apartments.models import FireEquipmentCheck
from apartments.selectors import BUILDING_VIEWERS
from logistics.access import role_required
from logistics.models import Role

CHECKING_ROLES = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN)


class FireCheckForm(forms.Form):
    ok = forms.TypedChoiceField(
        label=gettext_lazy("Result"),
        choices=[("true", gettext_lazy("In order")), ("false", gettext_lazy("Issue found"))],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=fire_equipment.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What is wrong (pressure low, seal broken, blocked…)."),
    )


@require_GET
@role_required(*BUILDING_VIEWERS)
def fire_equipment_choose(request):
    buildings = list(
        fire_equipment.viewing_buildings_for(request.user)
        .select_related("campus")
        .order_by("campus__position", "code")
    )
    if len(buildings) == 1:
        return redirect("apartments:fire_equipment", building_id=buildings[0].pk)
    return render(request, "apartments/safety/fire_equipment_choose.html", {"buildings": buildings})


@require_GET
@role_required(*BUILDING_VIEWERS)
def fire_equipment_list(request, building_id: int):
    building = get_object_or_404(
        fire_equipment.viewing_buildings_for(request.user).select_related("campus"),
        pk=building_id,
    )
    today = timezone.localdate()
    rows = fire_equipment.equipment_of(building, today)
    may_check = fire_equipment.checking_buildings_for(request.user).filter(pk=building.pk).exists()
    return render(
        request,
        "apartments/safety/fire_equipment.html",
        {
            "building": building,
            "rows": rows,
            "counts": fire_equipment.counts(rows),
            "may_check": may_check,
            "today": today,
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*CHECKING_ROLES)
def fire_equipment_check(request, pk: int):
    equipment = fire_equipment.equipment_get(request.user, pk)
    if equipment is None:
        raise Http404
    status = 200
    if request.method == "POST":
        form = FireCheckForm(request.POST)
        if form.is_valid():
            try:
                fire_equipment.fire_check_record(
                    actor=request.user,
                    equipment=equipment,
                    ok=form.cleaned_data["ok"],
                    note=form.cleaned_data["note"],
                )
            except fire_equipment.FireCheckInvalid as error:
                form.add_error(error.field or None, error.message)
            except fire_equipment.FireCheckError as error:
                messages.warning(request, error.message)
                return redirect("apartments:fire_equipment", building_id=equipment.building_id)
            else:
                messages.success(
                    request,
                    _("Check of %(code)s recorded; next check by %(date)s.")
                    % {"code": equipment.code, "date": equipment.next_inspection.isoformat()},
                )
                return redirect("apartments:fire_equipment", building_id=equipment.building_id)
        status = 400
    else:
        form = FireCheckForm(initial={"ok": "true"})
    recent = list(
        FireEquipmentCheck.objects.filter(equipment=equipment)
        .select_related("checked_by")
        .order_by("-checked_at")[:6]
    )
    row = fire_equipment.EquipmentRow(equipment, timezone.localdate())
    return render(
        request,
        "apartments/safety/fire_check.html",
        {"equipment": equipment, "row": row, "form": form, "recent": recent},
        status=status,
    )
