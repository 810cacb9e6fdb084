"""The quality dashboard: nonconformities, inspection scores over time and complaints by
channel, for a period and a department; and the same figures as one Excel file with a sheet
per section. Auditors and administrators see every department, a department head their own;
anyone else gets 404 (anonymous users the login page)."""

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

from logistics.models import Department
from logistics.spreadsheets import XlsxWriter, safe_cell
from quality import dashboard as figures


class DateInput(forms.DateInput):
    input_type = "date"


class DashboardFilterForm(forms.Form):
    """The period and the department. The dates are named `from` and `to` in the address."""

    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=gettext_lazy("All my departments"),
        to_field_name="code",
    )

    def __init__(self, data, *, departments):
        super().__init__(data)
        date = {"widget": DateInput(format="%Y-%m-%d"), "input_formats": ["%Y-%m-%d"]}
        self.fields = {
            "from": forms.DateField(label=gettext_lazy("From"), **date),
            "to": forms.DateField(label=gettext_lazy("To"), **date),
            "department": self.fields["department"],
        }
        self.fields["department"].queryset = departments

    def clean(self):
        data = super().clean()
        for name, problem in figures.period_problems(data.get("from"), data.get("to")).items():
            if name in data:
                self.add_error(name, problem)
        return data

    @property
    def period(self) -> figures.Period:
        return figures.Period(self.cleaned_data["from"], self.cleaned_data["to"])


def _dashboard_reader(view):
    """Anonymous users go to the login page; users without a dashboard get 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not figures.may_see_dashboard(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _filter_form(request) -> DashboardFilterForm:
    data = request.GET.copy()
    # No period given: the last six months.
    if not data.get("from") and not data.get("to"):
        default = figures.Period.default()
        data["from"] = default.first.isoformat()
        data["to"] = default.last.isoformat()
    return DashboardFilterForm(data, departments=figures.departments_for(request.user))


def _query(form: DashboardFilterForm) -> str:
    params = {name: form.data.get(name, "") for name in ("from", "to", "department")}
    return urlencode({k: v for k, v in params.items() if v})


def _build(request, form: DashboardFilterForm) -> figures.Dashboard:
    return figures.dashboard_build(
        request.user, period=form.period, department=form.cleaned_data.get("department")
    )


@require_GET
@_dashboard_reader
def dashboard(request):
    form = _filter_form(request)
    board = _build(request, form) if form.is_valid() else None
    return render(
        request,
        "quality/dashboard.html",
        {"form": form, "board": board, "export_query": _query(form)},
    )


# --- Excel ---------------------------------------------------------------------------------------


def _number(value):
    """Numbers stay numbers; an empty figure is an empty cell."""
    return "" if value is None else value


class _Workbook:
    """A write-only workbook, a sheet per section (logistics.spreadsheets: no formulas)."""

    def __init__(self, title: str, header: list[str]):
        self.writer = XlsxWriter(title, header)
        self.sheet = self.writer.sheet

    def new_sheet(self, title: str, header: list[str]) -> None:
        self.sheet = self.writer.workbook.create_sheet(title[:31])
        self.append(header)

    def append(self, values) -> None:
        self.sheet.append([safe_cell(self.sheet, v) for v in values])


@require_GET
@_dashboard_reader
def dashboard_export(request):
    form = _filter_form(request)
    if not form.is_valid():
        # The page shows what is wrong with the filters.
        return redirect(f"{reverse('quality:dashboard')}?{_query(form)}")
    board = _build(request, form)
    period = board.period
    department = form.cleaned_data.get("department")
    scope = department.display_name if department else _("all my departments")
    caption = _("%(first)s to %(last)s, %(departments)s") % {
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "departments": scope,
    }
    months = [month.strftime("%Y-%m") for month in period.months]

    book = _Workbook(_("Nonconformities"), [caption])
    book.append(
        [
            _("Department"),
            _("Open now"),
            _("Overdue now"),
            _("Closed in the period"),
            _("Average days to close"),
        ]
    )
    for row in [*board.nonconformities, board.nonconformity_total]:
        book.append(
            [
                row.label,
                row.open,
                row.overdue,
                row.closed,
                _number(row.average_days_to_close),
            ]
        )

    book.new_sheet(_("Overdue actions"), [caption])
    book.append(
        [
            _("Number"),
            _("Department"),
            _("Title"),
            _("Severity"),
            _("Status"),
            _("Owner"),
            _("Action due"),
            _("Days overdue"),
        ]
    )
    for nc in board.overdue:
        book.append(
            [
                nc.number,
                nc.department.display_name,
                nc.title,
                nc.get_severity_display(),
                nc.get_status_display(),
                nc.owner.display_name if nc.owner else "",
                nc.due_date,
                nc.days_overdue,
            ]
        )

    for title, table in (
        (_("Scores by department"), board.scores),
        (_("Scores by SERVQUAL"), board.servqual),
    ):
        book.new_sheet(title, [caption])
        book.append(["", *months, _("Period"), _("Records")])
        for row in table.rows:
            book.append(
                [
                    row.label,
                    *[_number(cell.average) for cell in row.cells],
                    _number(row.average),
                    row.count,
                ]
            )

    book.new_sheet(_("Complaints by channel"), [caption])
    book.append(
        [
            _("Channel"),
            _("Received"),
            _("Answered"),
            _("Average hours to first answer"),
            _("Overdue now"),
            _("Satisfied"),
            _("Not satisfied"),
        ]
    )
    for row in [*board.complaints, board.complaint_total]:
        book.append(
            [
                row.label,
                row.received,
                row.answered,
                _number(row.average_hours),
                row.overdue,
                row.satisfied,
                row.not_satisfied,
            ]
        )
    stamp = timezone.localtime(board.generated_at).strftime("%Y%m%d-%H%M")
    return book.writer.response(f"quality-{period.first:%Y%m%d}-{period.last:%Y%m%d}-{stamp}.xlsx")
