"""The move-in dashboard: live numbers for the people running move-in day."""

from datetime import date

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import numberformat, timezone
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from apartments import dashboard
from apartments.models import Building, Category
from apartments.selectors import BUILDING_VIEWERS, buildings_for, visibility_of
from logistics.access import has_role, role_required
from logistics.models import Campus, Role
from logistics.spreadsheets import XlsxWriter


def _day(request) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


def _grouped():
    """intcomma for integers, with the active language's separator and grouping looked up
    once instead of for every number (Django's numberformat is the slowest part of a hundred
    rows)."""
    grouping = get_format("NUMBER_GROUPING")
    thousand_sep = get_format("THOUSAND_SEPARATOR")
    if grouping == 3:
        return lambda n: f"{n:,}".replace(",", thousand_sep)
    decimal_sep = get_format("DECIMAL_SEPARATOR")
    return lambda n: numberformat.format(
        n, decimal_sep, grouping=grouping, thousand_sep=thousand_sep, force_grouping=True
    )


def building_rows(buildings) -> str:
    """The buildings' table rows. Rendered here rather than by a template loop: a hundred rows
    of template variables and |intcomma cost more than every query of the page together. The
    only text from the database (campus names, building codes) is escaped; the rest are
    numbers."""
    number = _grouped()
    campus_names: dict[int, str] = {}
    rows = []
    for b in buildings:
        campus = campus_names.get(b.campus_id)
        if campus is None:
            campus = campus_names[b.campus_id] = escape(b.campus)
        code, progress = escape(b.code), b.progress
        rows.append(
            f'<tr><td><span class="text-secondary small">{campus}</span> {code}</td>'
            f'<td class="text-end">{number(b.active_count)}</td>'
            f'<td class="text-end d-none d-sm-table-cell">{number(b.reserved_count)}</td>'
            f'<td class="text-end">{number(b.free_beds)}</td>'
            '<td class="d-none d-md-table-cell"><div class="progress" role="progressbar" '
            f'aria-valuenow="{progress}" aria-valuemin="0" aria-valuemax="100" '
            f'aria-label="{code}"><div class="progress-bar bg-success" '
            f'style="width: {progress}%">{progress}%</div></div></td></tr>\n'
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped or a number


def _live_context(user, day: date) -> dict:
    summary = dashboard.move_in_summary(user)
    buildings = dashboard.building_progress(user)
    return {
        "day": day,
        "today": timezone.localdate(),
        "summary": summary,
        "table": summary.table(),
        "hours": dashboard.arrivals_per_hour(user, day),
        "buildings": buildings,
        "building_rows": building_rows(buildings),
        "free_beds": sum(b.free_beds for b in buildings),
        "kits": dashboard.kit_counts(user),
        # the report of the chosen day: its arrivals, not everything so far
        "report": dashboard.report_paragraph(
            dashboard.arrivals_on(user, day, campuses=summary.campuses), day=day
        ),
        "updated_at": timezone.localtime(),
    }


def live_cache_key(user, day: date) -> str:
    """What the live part depends on: the buildings the viewer sees (everything, whole
    campuses, or the buildings assigned to them), the day and the language. Viewers with the
    same view share one copy."""
    visibility = visibility_of(user)
    if visibility.everything:
        scope = "all"
    else:
        scope = ",".join(map(str, sorted(visibility.campus_ids)))
        if visibility.assigned:
            scope += f"+u{visibility.user_id}"
    return f"move-in-live:{scope}:{day.isoformat()}:{get_language()}"


def live_html(request, day: date) -> str:
    """The live part of the dashboard (numbers, report, chart, buildings, kits), computed at
    most once per MOVE_IN_DASHBOARD_CACHE_SECONDS for everyone with the same view: on move-in
    day every office and desk screen refreshes it, and those refreshes must not add up to a
    load on the database the desks are writing to (docs/decisions.md, "The move-in
    dashboard's live part, shared for two seconds"). It says when it was computed."""
    seconds = settings.MOVE_IN_DASHBOARD_CACHE_SECONDS
    key = live_cache_key(request.user, day) if seconds > 0 else None
    html = cache.get(key) if key else None
    if html is None:
        html = render_to_string("apartments/dashboard_live.html", _live_context(request.user, day))
        if key:
            cache.set(key, html, seconds)
    return mark_safe(html)  # noqa: S308 - rendered by our own autoescaping template


@role_required(*BUILDING_VIEWERS)
def move_in_dashboard(request):
    day = _day(request)
    context = {
        "day": day,
        "live": live_html(request, day),
        "refresh_seconds": settings.MOVE_IN_DASHBOARD_REFRESH_SECONDS,
    }
    return render(request, "apartments/dashboard.html", context)


@role_required(*BUILDING_VIEWERS)
def move_in_dashboard_live(request):
    """The part of the dashboard that htmx fetches every few seconds."""
    return HttpResponse(live_html(request, _day(request)))


class NotArrivedFilterForm(forms.Form):
    campus = forms.ModelChoiceField(
        queryset=Campus.objects.all(), required=False, label=gettext_lazy("Campus")
    )
    category = forms.ChoiceField(
        choices=[("", "---------"), *Category.choices],
        required=False,
        label=gettext_lazy("Category"),
    )
    building = forms.ModelChoiceField(
        queryset=Building.objects.none(), required=False, label=gettext_lazy("Reserved building")
    )
    q = forms.CharField(
        required=False, max_length=100, label=gettext_lazy("Student id, name or college")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        buildings = self.fields["building"]
        buildings.queryset = buildings_for(user).order_by("campus__position", "code")
        buildings.label_from_instance = lambda b: f"{b.code} {b}"


def _not_arrived(request):
    """The filter form and the residents it selects (none while the form is invalid)."""
    form = NotArrivedFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return form, dashboard.not_arrived(request.user).none()
    data = form.cleaned_data
    residents = dashboard.not_arrived(
        request.user,
        campus=data["campus"],
        category=data["category"] or None,
        building=data["building"],
        search=data["q"].strip(),
    )
    return form, residents


# Who may take the not-arrived list (names, phones, reserved beds) out of the portal as a
# spreadsheet: those who act on it. A quality auditor reads it on screen, to sample the
# desk's work, and exports nothing (docs/decisions.md, "The auditor reads the not-arrived
# list and does not export it").
NOT_ARRIVED_EXPORTERS = tuple(role for role in BUILDING_VIEWERS if role != Role.AUDITOR)


@role_required(*BUILDING_VIEWERS)
def not_arrived(request):
    form, residents = _not_arrived(request)
    page = Paginator(residents, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "apartments/not_arrived.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_export": has_role(request.user, *NOT_ARRIVED_EXPORTERS),
        },
    )


@role_required(*NOT_ARRIVED_EXPORTERS)
def not_arrived_export(request):
    """The same list, filtered the same way, as an Excel file."""
    _form, residents = _not_arrived(request)
    sheet = XlsxWriter(
        _("Not arrived"),
        [
            _("Student id"),
            _("Name"),
            _("Gender"),
            _("Category"),
            _("Campus"),
            _("College"),
            _("Class"),
            _("Phone"),
            _("Reserved bed"),
        ],
    )
    for resident in residents.iterator(chunk_size=2000):
        reservation = resident.reservations[0] if resident.reservations else None
        sheet.append(
            [
                resident.student_id,
                resident.name,
                resident.get_gender_display(),
                resident.get_category_display(),
                str(resident.campus),
                resident.college,
                resident.class_name,
                resident.phone,
                str(reservation.bed) if reservation else "",
            ]
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return sheet.response(f"not-arrived-{stamp}.xlsx")
