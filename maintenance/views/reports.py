"""Repair reports: one page with a period, a campus and a tab per grouping (technician,
building, category, month), and the same figures as an Excel file. Dispatchers read their
campus, maintenance heads and administrators theirs, auditors their campus grant (read-only);
anyone else gets 404."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from logistics.access import ALL
from logistics.models import Campus
from logistics.spreadsheets import XlsxWriter
from maintenance import reports

TAB_TITLES = {
    "technician": gettext_lazy("By technician"),
    "building": gettext_lazy("By building"),
    "category": gettext_lazy("By category"),
    "month": gettext_lazy("By month"),
}
SHEET_TITLES = {
    "technician": gettext_lazy("Repairs by technician"),
    "building": gettext_lazy("Repairs by building"),
    "category": gettext_lazy("Repairs by category"),
    "month": gettext_lazy("Repairs by month"),
}


class DateInput(forms.DateInput):
    input_type = "date"


class ReportFilterForm(forms.Form):
    """The period and the campus. The fields are named `from` and `to` in the address."""

    campus = forms.ChoiceField(label=gettext_lazy("Campus"), required=False)

    def __init__(self, data, *, campuses: list[Campus]):
        super().__init__(data)
        date = {"widget": DateInput(format="%Y-%m-%d"), "input_formats": ["%Y-%m-%d"]}
        self.fields = {
            "from": forms.DateField(label=gettext_lazy("From"), **date),
            "to": forms.DateField(label=gettext_lazy("To"), **date),
            "campus": self.fields["campus"],
        }
        self.campuses = {campus.code: campus for campus in campuses}
        choices = [(campus.code, campus.display_name) for campus in campuses]
        if len(campuses) != 1:
            choices.insert(0, ("", _("All campuses")))
        self.fields["campus"].choices = choices

    def clean(self):
        data = super().clean()
        for name, problem in reports.period_problems(data.get("from"), data.get("to")).items():
            if name in data:
                self.add_error(name, problem)
        return data

    @property
    def period(self) -> reports.Period:
        return reports.Period(self.cleaned_data["from"], self.cleaned_data["to"])

    def chosen_campuses(self, scope: set[int] | None) -> set[int] | None:
        code = self.cleaned_data.get("campus")
        if code:
            return {self.campuses[code].pk}
        return scope


def _report_reader(view):
    """Anonymous users go to the login page; users who read no campus's reports get 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        scope = reports.report_campuses(request.user)
        if scope == set():
            raise Http404
        return view(request, scope, *args, **kwargs)

    return wrapped


def _filter_form(request, scope) -> ReportFilterForm:
    campuses = Campus.objects.order_by("code")
    if scope is not ALL:
        campuses = campuses.filter(pk__in=scope)
    data = request.GET.copy()
    default = reports.Period.this_month()
    # No period given: this month so far.
    if not data.get("from") and not data.get("to"):
        data["from"] = default.first.isoformat()
        data["to"] = default.last.isoformat()
    return ReportFilterForm(data, campuses=list(campuses))


def _query(form: ReportFilterForm, **extra) -> str:
    """The filters as an address query, for the tabs and the export link."""
    params = {name: form.data.get(name, "") for name in ("from", "to", "campus")}
    params.update(extra)
    return urlencode({k: v for k, v in params.items() if v})


@require_GET
@_report_reader
def report(request, scope):
    kind = request.GET.get("by")
    if kind not in reports.KINDS:
        kind = reports.KINDS[0]
    form = _filter_form(request, scope)
    result = None
    if form.is_valid():
        result = reports.repair_report(
            kind=kind, period=form.period, campuses=form.chosen_campuses(scope)
        )
    tabs = [
        {"kind": k, "title": TAB_TITLES[k], "query": _query(form, by=k), "active": k == kind}
        for k in reports.KINDS
    ]
    return render(
        request,
        "maintenance/report.html",
        {
            "form": form,
            "kind": kind,
            "tabs": tabs,
            "report": result,
            "columns": reports.columns(kind),
            "export_query": _query(form),
        },
    )


@require_GET
@_report_reader
def report_export(request, scope, kind):
    """The tab's figures as an .xlsx: a title line with the period, a header row, a row per
    group and the totals, numbers as numbers."""
    if kind not in reports.KINDS:
        raise Http404
    form = _filter_form(request, scope)
    if not form.is_valid():
        # The page shows what is wrong with the filters.
        return redirect(f"{reverse('maintenance:reports')}?{_query(form, by=kind)}")
    campuses = form.chosen_campuses(scope)
    result = reports.repair_report(kind=kind, period=form.period, campuses=campuses)
    code = form.cleaned_data.get("campus")
    if code:
        campus_name = form.campuses[code].display_name
    elif scope is ALL:
        campus_name = _("all campuses")
    else:
        campus_name = ", ".join(campus.display_name for campus in form.campuses.values())
    title = _("%(report)s, %(first)s to %(last)s, %(campus)s") % {
        "report": SHEET_TITLES[kind],
        "first": result.period.first.isoformat(),
        "last": result.period.last.isoformat(),
        "campus": campus_name,
    }
    sheet = XlsxWriter(str(SHEET_TITLES[kind]), [title])
    sheet.append([heading for heading, _attribute in reports.columns(kind)])
    for row in [*result.rows, result.total]:
        sheet.append(reports.row_values(row, kind))
    stamp = timezone.localtime(result.generated_at).strftime("%Y%m%d-%H%M")
    return sheet.response(
        f"repairs-{kind}-{result.period.first:%Y%m%d}-{result.period.last:%Y%m%d}-{stamp}.xlsx"
    )
