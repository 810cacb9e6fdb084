"""Safety responsibility agreement pages (安全责任状): sign in the portal ("My agreements", and a
resident from their room page), the desk's paper signatures, and the coverage board with its
Excel export."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apartments import agreements
from apartments.models import AgreementLevel, AgreementText
from apartments.selectors import BUILDING_VIEWERS, buildings_for
from logistics.access import role_required, roles_of
from logistics.models import Role
from logistics.spreadsheets import XlsxWriter

SIGNING_ROLES = (Role.STUDENT, Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.DEPARTMENT_HEAD)
DESK_ROLES = (Role.DORM_MANAGER, Role.SHIFT_LEAD, Role.ADMIN)


class PaperSignatureForm(forms.Form):
    student_id = forms.CharField(
        label=gettext_lazy("Student id"),
        max_length=30,
        error_messages={"required": gettext_lazy("Enter or scan a student id.")},
    )


def _year(request) -> int:
    raw = request.GET.get("year")
    if not raw:
        return agreements.this_year()
    try:
        year = int(raw)
    except ValueError as error:
        raise Http404 from error
    if not 2000 <= year <= 2100:
        raise Http404
    return year


@require_GET
@role_required(*SIGNING_ROLES)
def agreements_mine(request):
    rows = []
    for item in agreements.mine(request.user):
        title, body = agreements.text_in_language(item.text) if item.text else ("", "")
        rows.append({"item": item, "title": title, "body": body})
    return render(request, "apartments/safety/agreements_mine.html", {"rows": rows})


@require_POST
@role_required(*SIGNING_ROLES)
def agreement_sign(request, pk: int):
    agreement = get_object_or_404(AgreementText, pk=pk)
    try:
        agreements.agreement_sign(actor=request.user, agreement=agreement)
    except agreements.NotForYou as error:
        raise Http404 from error
    except agreements.AgreementError as error:
        messages.warning(request, error.message)
    else:
        messages.success(request, _("Signed. Thank you."))
    if request.POST.get("back") == "room":
        return redirect("apartments:my_room")
    return redirect("apartments:agreements_mine")


@require_GET
@role_required(*BUILDING_VIEWERS)
def coverage_board(request):
    year = _year(request)
    buildings = agreements.coverage_overview(request.user, year)
    heads = agreements.department_coverage(year) if Role.ADMIN in roles_of(request.user) else None
    return render(
        request,
        "apartments/safety/agreements_board.html",
        {"year": year, "buildings": buildings, "heads": heads},
    )


def _coverage_context(request, building, year, form):
    return {
        "building": building,
        "year": year,
        "levels": [
            (level, AgreementLevel(level).label, parties)
            for level, parties in agreements.coverage_of(building, year).items()
        ],
        "form": form,
        "may_record": agreements.desk_buildings_for(request.user).filter(pk=building.pk).exists()
        and year == agreements.this_year(),
    }


@require_GET
@role_required(*BUILDING_VIEWERS)
def coverage_building(request, building_id: int):
    building = get_object_or_404(
        buildings_for(request.user).select_related("campus"), pk=building_id
    )
    context = _coverage_context(request, building, _year(request), PaperSignatureForm())
    return render(request, "apartments/safety/agreements_building.html", context)


@require_POST
@role_required(*DESK_ROLES)
def paper_signature(request, building_id: int):
    building = get_object_or_404(
        agreements.desk_buildings_for(request.user).select_related("campus"), pk=building_id
    )
    form = PaperSignatureForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            signature = agreements.paper_signature_record(
                actor=request.user, building=building, student_id=form.cleaned_data["student_id"]
            )
        except agreements.AlreadySigned as error:
            messages.warning(request, error.message)
            return redirect("apartments:agreements_building", building_id=building.pk)
        except agreements.AgreementError as error:
            form.add_error("student_id", error.message)
            status = error.status_code
        else:
            messages.success(
                request,
                _("Paper signature of %(id)s recorded.") % {"id": signature.signer.username},
            )
            return redirect("apartments:agreements_building", building_id=building.pk)
    context = _coverage_context(request, building, agreements.this_year(), form)
    return render(request, "apartments/safety/agreements_building.html", context, status=status)


@require_GET
@role_required(*BUILDING_VIEWERS)
def coverage_export(request):
    """Who has signed and who has not, per building and level (Excel), for the buildings the
    user sees (or one, ?building=)."""
    year = _year(request)
    buildings = (
        buildings_for(request.user).select_related("campus").order_by("campus__code", "code")
    )
    if request.GET.get("building"):
        try:
            buildings = buildings.filter(pk=int(request.GET["building"]))
        except ValueError as error:
            raise Http404 from error
        if not buildings.exists():
            raise Http404
    sheet = XlsxWriter(
        _("Agreements %(year)s") % {"year": year},
        [
            _("Campus"),
            _("Building"),
            _("Level"),
            _("Student id or user"),
            _("Name"),
            _("Signed"),
            _("Signed at"),
            _("Version"),
            _("On paper"),
        ],
    )
    yes, no = _("Yes"), _("No")
    for building in buildings:
        for level, parties in agreements.coverage_of(building, year).items():
            for party in parties:
                signature = party.signature
                sheet.append(
                    [
                        str(building.campus),
                        building.code,
                        str(AgreementLevel(level).label),
                        party.label,
                        party.name,
                        yes if signature else no,
                        timezone.localtime(signature.signed_at).strftime("%Y-%m-%d %H:%M")
                        if signature
                        else "",
                        signature.agreement.version if signature else "",
                        (yes if signature.on_paper else no) if signature else "",
                    ]
                )
    return sheet.response(f"agreements-{year}.xlsx")
