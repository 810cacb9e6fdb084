"""Room inspection pages (the tablet), charges, keys, clearance and the registrar's export.

Thin views: a permission-checked fetch (404 outside the user's buildings), a service from
apartments.inspections, a message, a redirect. Every change is a POST.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apartments import inspections, move_out
from apartments.models import InspectionResult, RoomInspection
from logistics.access import role_required
from logistics.models import Role
from logistics.pdf import pdf_response
from logistics.spreadsheets import XlsxWriter
from logistics.uploads import PhotoField

# --- Forms -------------------------------------------------------------------------------------


class InspectItemForm(forms.Form):
    """One asset on the tablet (prefix a<asset id>); shares are share_<resident id>."""

    result = forms.ChoiceField(
        label=gettext_lazy("Result"),
        choices=InspectionResult.choices,
        initial=InspectionResult.OK,
        widget=forms.RadioSelect,
    )
    photo = PhotoField(label=gettext_lazy("Photo"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
    )
    price_reason = forms.CharField(
        label=gettext_lazy("Reason for the amount"), max_length=200, required=False
    )
    residents = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Who pays"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, asset, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.asset = asset
        self.room_residents = residents
        self.fields["residents"].choices = [(r.pk, r.name) for r in residents]
        for r in residents:
            self.fields[f"share_{r.pk}"] = forms.DecimalField(
                required=False, min_value=0, max_digits=10, decimal_places=2
            )

    def payer_rows(self):
        chosen = {str(v) for v in (self.data.getlist(self["residents"].html_name) or [])}
        return [
            {
                "resident": r,
                "checked": str(r.pk) in chosen,
                "share": self[f"share_{r.pk}"],
            }
            for r in self.room_residents
        ]

    def clean(self):
        data = super().clean()
        result = data.get("result")
        if not result or result == InspectionResult.OK or self.errors:
            return data
        try:
            inspections.item_shares(
                list_price=inspections.list_price_for(self.asset, result),
                amount=data.get("amount"),
                price_reason=data.get("price_reason") or "",
                resident_ids=data.get("residents") or [],
                shares=self.shares(),
            )
        except move_out.MoveOutInvalid as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data

    def shares(self) -> dict:
        return {
            r.pk: self.cleaned_data.get(f"share_{r.pk}")
            for r in self.room_residents
            if self.cleaned_data.get(f"share_{r.pk}") is not None
        }

    def item_input(self) -> inspections.ItemInput:
        data = self.cleaned_data
        return inspections.ItemInput(
            asset_id=self.asset.pk,
            result=data["result"],
            note=data.get("note") or "",
            photo_file=data.get("photo"),
            amount=data.get("amount"),
            price_reason=data.get("price_reason") or "",
            resident_ids=list(data.get("residents") or []),
            shares=self.shares() or None,
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=inspections.TEXT_MAX)


class DisputeForm(forms.Form):
    text = forms.CharField(max_length=inspections.TEXT_MAX)


class AnswerForm(forms.Form):
    resolution = forms.CharField(max_length=inspections.TEXT_MAX)
    amount = forms.DecimalField(min_value=0, max_digits=10, decimal_places=2)
    price_reason = forms.CharField(max_length=inspections.REASON_MAX, required=False)


# --- The tablet ------------------------------------------------------------------------------


def _staff_request(request, pk: int):
    """A request of a building whose desk the user works (not their own), or 404."""
    item = move_out.request_get(request.user, pk)
    if item.resident.user_id == request.user.pk or not inspections.may_inspect(
        request.user, item.stay.bed.room.building_id
    ):
        raise Http404
    return item


@require_POST
@login_required
def inspection_start(request, pk: int):
    item = _staff_request(request, pk)
    try:
        inspection = inspections.inspection_start(actor=request.user, move_out_request=item)
    except move_out.MoveOutError as error:
        messages.error(request, error.message)
        return redirect("apartments:move_out_request", pk=item.pk)
    return redirect("apartments:inspection", pk=inspection.pk)


def _item_forms(inspection, rows, residents, data=None, files=None):
    return [
        InspectItemForm(
            data, files, prefix=f"a{row.asset.pk}", asset=row.asset, residents=residents
        )
        for row in rows
    ]


def _inspection_page(request, inspection, forms_=None, status=200):
    rows = inspections.inspection_rows(inspection)
    editable = inspection.status == RoomInspection.Status.OPEN and inspections.may_inspect(
        request.user, inspection.room.building_id
    )
    residents = inspections.room_residents(inspection) if editable else []
    if editable and forms_ is None:
        forms_ = _item_forms(inspection, rows, residents)
    for i, row in enumerate(rows):
        row.form = forms_[i] if editable else None
    return render(
        request,
        "apartments/inspection.html",
        {"inspection": inspection, "rows": rows, "editable": editable},
        status=status,
    )


@require_GET
@login_required
def inspection_page(request, pk: int):
    """The tablet page: every asset of the room with ok / damaged / missing, photo, note and
    the charge; read-only once completed or for those who only look at the building."""
    inspection = inspections.inspection_get(request.user, pk)
    return _inspection_page(request, inspection)


@require_POST
@login_required
def inspection_complete(request, pk: int):
    inspection = inspections.inspection_get(request.user, pk)
    if not inspections.may_inspect(request.user, inspection.room.building_id):
        raise Http404
    if inspection.status != RoomInspection.Status.OPEN:
        messages.error(request, inspections.InspectionFrozen().message)
        return redirect("apartments:inspection", pk=inspection.pk)
    rows = inspections.inspection_rows(inspection)
    residents = inspections.room_residents(inspection)
    forms_ = _item_forms(inspection, rows, residents, request.POST, request.FILES)
    valid = [f.is_valid() for f in forms_]  # every form, so every asset shows its errors
    if not all(valid):
        messages.error(request, _("Some assets need your attention: see the marks below."))
        return _inspection_page(request, inspection, forms_, status=400)
    try:
        inspections.inspection_complete(
            actor=request.user, inspection=inspection, items=[f.item_input() for f in forms_]
        )
    except move_out.MoveOutError as error:
        messages.error(request, error.message)
        return _inspection_page(request, inspection, forms_, status=error.status_code)
    messages.success(request, _("The inspection is completed; the residents see the result."))
    return redirect("apartments:inspection", pk=inspection.pk)


@require_GET
@login_required
def inspection_pdf(request, pk: int):
    """A completed inspection with its charges as a PDF, for whoever may read its page (404
    otherwise, and while it is under way: only the result leaves the portal)."""
    inspection = inspections.inspection_get(request.user, pk)
    if inspection.status != RoomInspection.Status.COMPLETED:
        raise Http404
    room = inspection.room
    return pdf_response(
        request,
        "apartments/inspection_pdf.html",
        {"inspection": inspection, "rows": inspections.inspection_rows(inspection)},
        filename=f"inspection-{room.building.code}-{room.number}-{inspection.pk}.pdf",
    )


# --- Keys, leaving ---------------------------------------------------------------------------


def _request_step(request, pk: int, service, done: str):
    item = _staff_request(request, pk)
    try:
        service(actor=request.user, move_out_request=item)
    except move_out.MoveOutError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("apartments:move_out_request", pk=item.pk)


@require_POST
@login_required
def keys_return(request, pk: int):
    return _request_step(
        request, pk, inspections.keys_return, _("The keys are back; the bed is free.")
    )


@require_POST
@login_required
def move_out_leave(request, pk: int):
    return _request_step(
        request, pk, inspections.move_out_leave, _("The resident is marked as left.")
    )


# --- Charges ---------------------------------------------------------------------------------


def _back(request, charge):
    """To the request page the form was on (a request of this charge's resident), else their
    move-out page."""
    target = request.POST.get("request")
    if target and target.isdigit():
        return redirect("apartments:move_out_request", pk=int(target))
    return redirect("apartments:my_move_out")


def _charge_step(request, charge, step, done: str, **values):
    """Run one step on a charge (a service of apartments.inspections), tell the user how it
    went, and go back to where the charge is shown."""
    try:
        step(actor=request.user, charge=charge, **values)
    except move_out.MoveOutError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return _back(request, charge)


@require_POST
@login_required
def charge_pay(request, pk: int):
    charge = inspections.charge_get_for_staff(request.user, pk)
    return _charge_step(request, charge, inspections.charge_pay, _("The charge is marked paid."))


@require_POST
@login_required
def charge_waive(request, pk: int):
    charge = inspections.charge_get_for_staff(request.user, pk)
    return _charge_step(
        request,
        charge,
        inspections.charge_waive,
        _("The charge is waived."),
        reason=request.POST.get("reason", ""),
    )


@require_POST
@login_required
def charge_answer(request, pk: int):
    charge = inspections.charge_get_for_staff(request.user, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Answer the resident and give the amount."))
        return _back(request, charge)
    data = form.cleaned_data
    return _charge_step(
        request,
        charge,
        inspections.charge_answer,
        _("Your answer is recorded."),
        resolution=data["resolution"],
        amount=data["amount"],
        price_reason=data["price_reason"],
    )


@require_POST
@login_required
def charge_dispute(request, pk: int):
    charge = inspections.charge_get_for_resident(request.user, pk)
    return _charge_step(
        request,
        charge,
        inspections.charge_dispute,
        _("Your dispute is sent to the dorm manager."),
        text=request.POST.get("text", ""),
    )


@require_GET
@role_required(Role.STUDENT)
def my_charges_pdf(request):
    """The resident's own charges and clearance slip (what the "Inspection charges and
    clearance" card shows) as a PDF. Nobody else's: the URL names no one."""
    resident = move_out.resident_of(request.user)
    if resident is None:
        raise Http404
    charges = list(inspections.charges_of(resident))
    open_request = move_out.open_request_of(resident)
    return pdf_response(
        request,
        "apartments/charges_slip_pdf.html",
        {
            "resident": resident,
            "charges": charges,
            "clearance": inspections.clearance_of(open_request, charges) if open_request else None,
        },
        filename=f"clearance-{resident.student_id}.pdf",
    )


# --- Clearance export ------------------------------------------------------------------------


def _year(request) -> int | None:
    value = request.GET.get("year") or ""
    return int(value) if value.isdigit() else None


@require_GET
@login_required
def clearance_page(request):
    if not inspections.may_export_clearance(request.user):
        raise Http404
    return render(
        request,
        "apartments/clearance.html",
        {"years": move_out.graduation_years(), "year": _year(request)},
    )


@require_GET
@login_required
def clearance_export(request):
    """The registrar's list (Excel): one row per move-out request of the chosen group."""
    if not inspections.may_export_clearance(request.user):
        raise Http404
    year = _year(request)
    sheet = XlsxWriter(
        _("Clearance"),
        [
            _("Student id"),
            _("Name"),
            _("Bed"),
            _("Status"),
            _("Keys returned"),
            _("Charges total"),
            _("Charges open"),
            _("Cleared at"),
        ],
    )
    for row in inspections.clearance_rows(request.user, year=year).iterator(chunk_size=2000):
        bed = row.stay.bed
        sheet.append(
            [
                row.resident.student_id,
                row.resident.name,
                f"{bed.room.building.code}-{bed.room.number}-{bed.number}",
                str(row.get_status_display()),
                timezone.localtime(row.keys_returned_at).strftime("%Y-%m-%d %H:%M")
                if row.keys_returned_at
                else "",
                float(row.charges_total),
                float(row.charges_open),
                timezone.localtime(row.cleared_at).strftime("%Y-%m-%d %H:%M")
                if row.cleared_at
                else "",
            ]
        )
    return sheet.response(f"clearance-{year or 'all'}.xlsx")
