"""Move-in condition reports: the resident's answer (on My room and the dispute page) and the
managers' list of disputes to resolve."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apartments import condition_reports
from apartments.assets import room_assets
from apartments.models import AssetCondition, ConditionItem, ConditionReport
from logistics.access import role_required
from logistics.models import Role
from logistics.uploads import PhotoField

# --- Forms ---------------------------------------------------------------------------------------


class DisputeForm(forms.Form):
    """One row per asset of the room: a checkbox, a note and an optional photo."""

    def __init__(self, *args, assets, **kwargs):
        super().__init__(*args, **kwargs)
        self.assets = list(assets)
        max_note = ConditionItem._meta.get_field("note").max_length
        for asset in self.assets:
            self.fields[f"pick_{asset.pk}"] = forms.BooleanField(
                label=gettext_lazy("Not as listed"), required=False
            )
            self.fields[f"note_{asset.pk}"] = forms.CharField(
                label=gettext_lazy("What is wrong"), max_length=max_note, required=False
            )
            self.fields[f"photo_{asset.pk}"] = PhotoField(
                label=gettext_lazy("Photo (optional)"), required=False
            )

    def rows(self):
        return [
            {
                "asset": asset,
                "pick": self[f"pick_{asset.pk}"],
                "note": self[f"note_{asset.pk}"],
                "photo": self[f"photo_{asset.pk}"],
            }
            for asset in self.assets
        ]

    def clean(self):
        data = super().clean()
        picked = [a for a in self.assets if data.get(f"pick_{a.pk}")]
        if not picked:
            raise forms.ValidationError(_("Choose at least one item that is not as listed."))
        for asset in picked:
            if not (data.get(f"note_{asset.pk}") or "").strip():
                self.add_error(f"note_{asset.pk}", _("Say what is wrong with this item."))
        return data

    def items(self):
        data = self.cleaned_data
        return [
            (asset, data[f"note_{asset.pk}"], data.get(f"photo_{asset.pk}"))
            for asset in self.assets
            if data.get(f"pick_{asset.pk}")
        ]


CONDITION_CHOICES = [("", gettext_lazy("Unchanged"))] + [
    (value, label)
    for value, label in AssetCondition.choices
    if value in condition_reports.RESOLUTION_CONDITIONS
]


# --- The resident ------------------------------------------------------------------------------


def resident_context(stay) -> dict:
    """What My room shows of the condition report of an active stay: the report (or None) and
    the room's assets. Two queries (one without a report)."""
    if stay is None or stay.status != "active":
        return {}
    report = condition_reports.report_of_stay(stay)
    if report is None:
        return {}
    return {
        "report": report,
        "report_overdue": condition_reports.is_overdue(report),
        "room_assets": list(room_assets(stay.bed.room)),
    }


@require_POST
@role_required(Role.STUDENT)
def condition_report_confirm(request, pk: int):
    report = condition_reports.resident_report_get(request.user, pk)
    try:
        condition_reports.condition_report_confirm(actor=request.user, report=report)
    except condition_reports.ConditionReportError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Thank you: you confirmed your room's asset list."))
    return redirect("apartments:my_room")


@require_http_methods(["GET", "POST"])
@role_required(Role.STUDENT)
def condition_report_dispute(request, pk: int):
    """GET: the form (a row per asset); POST: file the dispute."""
    report = condition_reports.resident_report_get(request.user, pk)
    assets = list(room_assets(report.stay.bed.room))
    answerable = report.status == ConditionReport.Status.PENDING and not (
        condition_reports.is_overdue(report)
    )
    if request.method == "POST":
        form = DisputeForm(request.POST, request.FILES, assets=assets)
        if form.is_valid():
            try:
                condition_reports.condition_report_dispute(
                    actor=request.user, report=report, items=form.items()
                )
            except condition_reports.ConditionReportError as error:
                if answerable:
                    form.add_error(None, error.message)
                else:
                    messages.error(request, error.message)
                    return redirect("apartments:my_room")
            else:
                messages.success(
                    request, _("Your dispute is sent to your dorm manager, who will look into it.")
                )
                return redirect("apartments:my_room")
        status = 400
    else:
        form = DisputeForm(assets=assets)
        status = 200
    return render(
        request,
        "apartments/condition_dispute.html",
        {"report": report, "form": form, "answerable": answerable},
        status=status,
    )


# --- The building's staff ---------------------------------------------------------------------


@require_GET
@role_required(*condition_reports.RESOLVERS)
def condition_disputes(request):
    """Disputed reports of the user's buildings with their items, notes and photos."""
    reports = list(condition_reports.disputed_reports(request.user))
    return render(
        request,
        "apartments/condition_disputes.html",
        {"reports": reports, "condition_choices": CONDITION_CHOICES},
    )


@require_POST
@role_required(*condition_reports.RESOLVERS)
def condition_report_resolve(request, pk: int):
    report = condition_reports.staff_report_get(request.user, pk)
    conditions = {}
    for key, value in request.POST.items():
        if key.startswith("condition_") and key.removeprefix("condition_").isdigit() and value:
            conditions[int(key.removeprefix("condition_"))] = value
    try:
        condition_reports.condition_report_resolve(
            actor=request.user,
            report=report,
            resolution=request.POST.get("resolution", ""),
            conditions=conditions,
        )
    except condition_reports.ConditionReportError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The dispute of %(resident)s is resolved.") % {"resident": report.stay.resident},
        )
    return redirect("apartments:condition_disputes")
