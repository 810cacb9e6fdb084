"""Shift hand-over pages (交接班): a building's hand-overs with the waiting one standing out, the
outgoing lead's form on a phone, and the incoming lead's acknowledgement."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apartments import handovers
from apartments.selectors import BUILDING_VIEWERS, buildings_for
from logistics.access import role_required
from logistics.models import Role

WRITING_ROLES = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN)


class HandoverForm(forms.Form):
    incoming = forms.ModelChoiceField(
        label=gettext_lazy("Incoming shift lead"),
        queryset=None,
        empty_label=None,
        error_messages={
            "required": gettext_lazy("Choose the incoming shift lead among the building's staff."),
            "invalid_choice": gettext_lazy(
                "Choose the incoming shift lead among the building's staff."
            ),
        },
    )
    open_items = forms.CharField(
        label=gettext_lazy("Open items"),
        required=False,
        max_length=handovers.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "One per line: hazards not yet fixed, repairs waiting, residents to follow up."
        ),
    )
    keys_counted = forms.IntegerField(
        label=gettext_lazy("Keys counted"), min_value=0, max_value=handovers.COUNT_MAX
    )
    equipment_counted = forms.IntegerField(
        label=gettext_lazy("Equipment counted"),
        min_value=0,
        max_value=handovers.COUNT_MAX,
        help_text=gettext_lazy("Torches, radios, first-aid kits and the like."),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=handovers.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, building, actor, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["incoming"]
        field.queryset = handovers.incoming_candidates(building, actor)
        field.label_from_instance = lambda user: user.display_name


def _viewable_building(request, building_id):
    return get_object_or_404(buildings_for(request.user).select_related("campus"), pk=building_id)


@require_GET
@role_required(*BUILDING_VIEWERS)
def handover_choose(request):
    buildings = list(
        buildings_for(request.user).select_related("campus").order_by("campus__position", "code")
    )
    if len(buildings) == 1:
        return redirect("apartments:handovers", building_id=buildings[0].pk)
    return render(request, "apartments/safety/handover_choose.html", {"buildings": buildings})


@require_GET
@role_required(*BUILDING_VIEWERS)
def handover_list(request, building_id: int):
    building = _viewable_building(request, building_id)
    rows = handovers.building_handovers(building)
    now = timezone.now()
    pending = next((h for h in rows if h.acknowledged_at is None), None)
    may_write = handovers.writing_buildings_for(request.user).filter(pk=building.pk).exists()
    return render(
        request,
        "apartments/safety/handovers.html",
        {
            "building": building,
            "rows": rows,
            "pending": pending,
            "stale": pending is not None and handovers.is_stale(pending, now),
            "stale_hours": int(handovers.stale_after().total_seconds() // 3600),
            "may_write": may_write,
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*WRITING_ROLES)
def handover_new(request, building_id: int):
    building = get_object_or_404(
        handovers.writing_buildings_for(request.user).select_related("campus"), pk=building_id
    )
    status = 200
    if request.method == "POST":
        form = HandoverForm(request.POST, building=building, actor=request.user)
        if form.is_valid():
            values = form.cleaned_data
            try:
                handover = handovers.handover_write(actor=request.user, building=building, **values)
            except handovers.HandoverInvalid as error:
                form.add_error(error.field or None, error.message)
            except handovers.HandoverError as error:
                messages.warning(request, error.message)
                return redirect("apartments:handovers", building_id=building.pk)
            else:
                messages.success(
                    request,
                    _("Hand-over written; %(who)s acknowledges it.")
                    % {"who": handover.incoming.display_name},
                )
                return redirect("apartments:handover_detail", pk=handover.pk)
        status = 400
    else:
        form = HandoverForm(building=building, actor=request.user)
    return render(
        request,
        "apartments/safety/handover_form.html",
        {"building": building, "form": form},
        status=status,
    )


@require_GET
@role_required(*BUILDING_VIEWERS)
def handover_detail(request, pk: int):
    handover = handovers.handovers_for(request.user).filter(pk=pk).first()
    if handover is None:
        raise Http404
    return render(
        request,
        "apartments/safety/handover_detail.html",
        {
            "handover": handover,
            "stale": handovers.is_stale(handover),
            "may_acknowledge": handover.acknowledged_at is None
            and handover.incoming_id == request.user.pk,
        },
    )


@require_POST
@role_required(*WRITING_ROLES)
def handover_acknowledge(request, pk: int):
    handover = (
        handovers.handovers_for(request.user)
        .filter(building__in=handovers.writing_buildings_for(request.user), pk=pk)
        .first()
    )
    if handover is None:
        raise Http404
    try:
        handovers.handover_acknowledge(actor=request.user, handover=handover)
    except handovers.NotYours as error:
        raise Http404 from error
    except handovers.HandoverError as error:
        messages.warning(request, error.message)
    else:
        messages.success(request, _("Hand-over acknowledged. Have a good shift."))
    return redirect("apartments:handover_detail", pk=handover.pk)
