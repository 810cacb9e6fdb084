"""The quality dashboard: nonconformities and overdue actions by department, inspection scores
by month per department and per SERVQUAL dimension, complaints by channel; the same figures as
an Excel file. Auditors see every department, a department head their own, nobody else."""

import datetime as dt
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from quality import dashboard as figures
from quality import seals
from quality.models import (
    Complaint,
    ComplaintCategory,
    Inspection,
    InspectionAnswer,
    Nonconformity,
)
from tests import factories as f
from tests.quality.data import published_checklist, weighted_score

pytestmark = pytest.mark.django_db

URL = reverse("quality:dashboard")
EXPORT = reverse("quality:dashboard_export")


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


# --- Builders --------------------------------------------------------------------------------


def local(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(hour, minute)), timezone.get_default_timezone()
    )


def today() -> dt.date:
    return timezone.localdate()


def month(offset: int, day: int = 10) -> dt.date:
    """A day of the month `offset` months from this one (negative: in the past)."""
    return figures.add_months(today(), offset).replace(day=day)


def inspection_at(
    version, when: dt.datetime, *, department, auditor, results=None, amends=None
) -> Inspection:
    """A record of `version` answered with `results`, sealed at `when` (an amendment of
    `amends` if given)."""
    items = list(version.items.order_by("position"))
    results = results or [10 if i.rule == "score" else "pass" for i in items]
    when = when.astimezone(dt.UTC)  # as timezone.now() gives it, and the database
    with mock.patch("django.utils.timezone.now", return_value=when):
        inspection = Inspection.objects.create(
            version=version,
            area=version.checklist.area,
            department=department,
            place="1号楼",
            auditor=auditor,
            amends=amends,
            amendment_reason="记录有误" if amends else "",
        )
        InspectionAnswer.objects.bulk_create(
            [
                InspectionAnswer(inspection=inspection, item=item, result="scored", score=result)
                if isinstance(result, int)
                else InspectionAnswer(inspection=inspection, item=item, result=result)
                for item, result in zip(items, results, strict=True)
            ]
        )
        inspection.score = weighted_score(items, results)
        inspection.submitted_at = when
        return seals.seal(inspection)


def nonconformity(department, raised_by, *, raised_at=None, **fields) -> Nonconformity:
    values = {
        "source": Nonconformity.Source.MANUAL,
        "severity": "minor",
        "title": "楼道堆放杂物",
        "description": "三楼楼道堆放纸箱",
    }
    values.update(fields)
    nc = Nonconformity.objects.create(department=department, raised_by=raised_by, **values)
    if raised_at:
        Nonconformity.objects.filter(pk=nc.pk).update(raised_at=raised_at)
    return nc


def category(department, code="apartment-service"):
    return ComplaintCategory.objects.get_or_create(
        code=code, defaults={"name": "公寓服务", "department": department}
    )[0]


def complaint(category, channel, received_at, *, complainant=None, **fields) -> Complaint:
    return Complaint.objects.create(
        channel=channel,
        category=category,
        department=category.department,
        subject="热水不热",
        text="晚上十点后没有热水",
        complainant=complainant,
        received_at=received_at,
        respond_by=received_at + dt.timedelta(hours=category.response_hours),
        **fields,
    )


def query(**params) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(params)


def three_months() -> dict:
    return {"from": month(-2, 1).isoformat(), "to": today().isoformat()}


# --- Who sees it -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (URL, EXPORT):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("person", ["student", "staff_member"])
def test_people_without_a_quality_role_get_404(client, request, person):
    client.force_login(request.getfixturevalue(person))
    assert client.get(URL).status_code == 404
    assert client.get(EXPORT).status_code == 404


def test_a_department_head_sees_their_department_only(
    client, head, auditor, apartments_dept, dining_dept
):
    # Given a nonconformity in each department
    nonconformity(apartments_dept, auditor)
    nonconformity(dining_dept, auditor)
    # When the apartments head opens the dashboard
    client.force_login(head)
    response = client.get(URL)
    # Then they see one row, their own department's
    assert response.status_code == 200
    board = response.context["board"]
    assert [r.department for r in board.nonconformities] == [apartments_dept]
    assert board.nonconformity_total.open == 1
    # And may not pick another department (it is not a choice for them)
    response = client.get(URL + query(department="dining"))
    assert response.context["board"] is None
    assert "department" in response.context["form"].errors


@pytest.mark.parametrize("person", ["auditor", "admin"])
def test_auditors_and_administrators_see_every_department(
    client, request, person, apartments_dept, dining_dept
):
    client.force_login(request.getfixturevalue(person))
    response = client.get(URL)
    assert response.status_code == 200
    codes = [r.department.code for r in response.context["board"].nonconformities]
    assert {"apartments", "dining"} <= set(codes)
    # and may narrow it to one
    response = client.get(URL + query(department="dining"))
    assert [r.department.code for r in response.context["board"].nonconformities] == ["dining"]


# --- The period ----------------------------------------------------------------------------------


def test_the_default_period_is_the_last_six_months(client, auditor):
    client.force_login(auditor)
    board = client.get(URL).context["board"]
    assert board.period.last == today()
    assert board.period.first == figures.add_months(today(), -5)
    assert len(board.scores.months) == 6


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "not a date", "to": "2026-01-01"}, "from"),
        ({"from": "1900-01-01", "to": "2026-01-01"}, "from"),
        ({"from": "2026-01-01", "to": ""}, "to"),
    ],
)
def test_a_bad_period_shows_what_is_wrong_and_keeps_what_was_typed(client, auditor, params, field):
    client.force_login(auditor)
    response = client.get(URL + query(**params))
    assert response.status_code == 200
    assert response.context["board"] is None
    assert field in response.context["form"].errors
    assert params["from"] in response.content.decode()
    # The export sends them back to the page, which shows the problem.
    export = client.get(EXPORT + query(**params))
    assert export.status_code == 302 and export["Location"].startswith(URL)


# --- Nonconformities -----------------------------------------------------------------------------


def test_nonconformities_open_overdue_and_closed_by_department(
    client, auditor, apartments_dept, dining_dept
):
    t = today()
    # Given, in apartments: one open, one answered and overdue, one answered not yet due,
    # two closed in the period (2 and 4 days to close), one closed long before
    nonconformity(apartments_dept, auditor, title="开放")
    late = nonconformity(
        apartments_dept,
        auditor,
        title="<b>超期</b>",
        status="answered",
        due_date=t - dt.timedelta(days=3),
    )
    nonconformity(apartments_dept, auditor, status="answered", due_date=t + dt.timedelta(days=3))
    for days in (2, 4):
        raised = local(month(-1, 1))
        nonconformity(
            apartments_dept,
            auditor,
            raised_at=raised,
            status="closed",
            due_date=t - dt.timedelta(days=30),  # closed: never overdue
            verified_at=raised + dt.timedelta(days=days),
            closed_at=raised + dt.timedelta(days=days),
        )
    old = local(month(-12, 1))
    nonconformity(
        apartments_dept, auditor, raised_at=old, status="closed", verified_at=old, closed_at=old
    )
    # and in dining one open, overdue for longer
    older = nonconformity(
        dining_dept, auditor, title="留样不足", due_date=t - dt.timedelta(days=10)
    )
    client.force_login(auditor)

    response = client.get(URL + query(**three_months()))

    board = response.context["board"]
    rows = {r.department.code: r for r in board.nonconformities}
    apartments = rows["apartments"]
    assert (apartments.open, apartments.overdue, apartments.closed) == (3, 1, 2)
    assert apartments.average_days_to_close == 3.0
    assert (rows["dining"].open, rows["dining"].overdue, rows["dining"].closed) == (1, 1, 0)
    assert rows["dining"].average_days_to_close is None
    total = board.nonconformity_total
    assert (total.open, total.overdue, total.closed, total.average_days_to_close) == (
        4,
        2,
        2,
        3.0,
    )
    # The overdue list: the longest overdue first, linked to each record, titles escaped
    assert [nc.pk for nc in board.overdue] == [older.pk, late.pk]
    assert [nc.days_overdue for nc in board.overdue] == [10, 3]
    html = response.content.decode()
    assert reverse("quality:nc_detail", args=[late.pk]) in html
    assert "&lt;b&gt;超期&lt;/b&gt;" in html and "<b>超期</b>" not in html


def test_the_overdue_list_shows_ten_at_most(client, auditor, apartments_dept):
    for days in range(1, 13):
        nonconformity(apartments_dept, auditor, due_date=today() - dt.timedelta(days=days))
    client.force_login(auditor)
    board = client.get(URL).context["board"]
    assert len(board.overdue) == 10
    assert board.overdue[0].days_overdue == 12
    assert board.nonconformity_total.overdue == 12


# --- Inspection scores ---------------------------------------------------------------------------


@pytest.fixture
def scored(auditor, apartments_dept, dining_dept):
    """Given the apartments checklist (floor: score, weight 2, tangibles; duty: pass/fail,
    weight 1, reliability; attitude: score, weight 1, empathy), and sealed records:
    - two months ago, apartments 100 and 50 (average 75);
    - last month, apartments: a record of 25 amended twice (to 60, then to 80): only the
      latest amendment counts, in the month of the inspection; dining: 100;
    - one long before the period."""
    version = published_checklist("apartments", by=auditor)
    two_ago, last = month(-2), month(-1)

    def record(day, results, department=apartments_dept, amends=None, hour=10):
        return inspection_at(
            version,
            local(day, hour),
            department=department,
            auditor=auditor,
            results=results,
            amends=amends,
        )

    record(two_ago, [10, "pass", 10])  # 100
    record(two_ago, [5, "fail", 10])  # (2*.5 + 0 + 1) / 4 = 50
    original = record(last, [0, "fail", 10])  # 25
    first_fix = record(today(), [6, "fail", 6], amends=original)  # (1.2+0+.6)/4 = 45
    record(today(), [8, "pass", 8], amends=original, hour=11)  # (1.6+1+.8)/4 = 85
    record(last, [10, "pass", "na"], department=dining_dept)  # 100
    record(month(-12), [0, "fail", 0])  # before the period
    return {"version": version, "original": original, "first_fix": first_fix}


def test_scores_by_department_and_month_count_an_amended_record_once(client, auditor, scored):
    client.force_login(auditor)
    board = client.get(URL + query(**three_months())).context["board"]
    assert board.scores.months == [month(-2, 1), month(-1, 1), month(0, 1)]
    rows = {r.key.code: r for r in board.scores.rows}
    apartments = rows["apartments"]
    assert [c.average for c in apartments.cells] == [75.0, 85.0, None]
    assert [c.count for c in apartments.cells] == [2, 1, 0]
    assert apartments.average == round((100 + 50 + 85) / 3, 1)
    assert [c.average for c in rows["dining"].cells] == [None, 100.0, None]


def test_an_amendment_of_an_amendment_replaces_both(auditor, apartments_dept):
    # Given a record of last month amended, and the amendment amended in turn
    version = published_checklist("apartments", by=auditor)
    last = month(-1)

    def record(results, amends=None, day=last):
        return inspection_at(
            version,
            local(day),
            department=apartments_dept,
            auditor=auditor,
            results=results,
            amends=amends,
        )

    original = record([0, "fail", 0])  # 0
    first_fix = record([10, "fail", 10], amends=original, day=today())  # 75
    record([10, "pass", 10], amends=first_fix, day=today())  # 100
    # Then only the latest counts, once
    counted = list(figures.counted_inspections().values_list("score", flat=True))
    assert counted == [100]
    table = figures.department_scores(
        [apartments_dept], None, figures.Period(month(-1, 1), today())
    )
    assert sum(c.count for c in table.rows[0].cells) == 1


def test_servqual_dimensions_are_weighted_percentages_of_the_answers(client, auditor, scored):
    client.force_login(auditor)
    board = client.get(URL + query(**three_months())).context["board"]
    rows = {r.key: r for r in board.servqual.rows}
    # tangibles (floor, scored of 10): two months ago 100 and 50; last month 80 (amendment)
    # and 100 (dining)
    assert [c.average for c in rows["tangibles"].cells] == [75.0, 90.0, None]
    # reliability (duty, pass/fail): pass+fail; pass+pass
    assert [c.average for c in rows["reliability"].cells] == [50.0, 100.0, None]
    # empathy (attitude): 100, 100; 80 (dining's was not applicable: left out)
    assert [c.average for c in rows["empathy"].cells] == [100.0, 80.0, None]
    assert rows["empathy"].cells[1].count == 1
    assert rows["assurance"].average is None and rows["assurance"].count == 0


def test_servqual_weights_items_by_their_weight(auditor, apartments_dept):
    # Given two tangibles items, weights 3 and 1, scored 100% and 0%
    version = published_checklist(
        "apartments",
        items=[
            ("地面干净", "score", "3", "tangibles", "comfort"),
            ("墙面整洁", "pass_fail", "1", "tangibles", "comfort"),
        ],
        by=auditor,
    )
    inspection_at(
        version, local(today()), department=apartments_dept, auditor=auditor, results=[10, "fail"]
    )
    table = figures.servqual_scores(None, figures.Period(today(), today()))
    tangibles = next(r for r in table.rows if r.key == "tangibles")
    # Then the dimension scores 75, not the plain average 50
    assert tangibles.cells[0].average == 75.0


def test_months_are_counted_in_shanghai_time(auditor, apartments_dept):
    # Given a record sealed at 00:30 on the first of this month in Shanghai (the month before
    # in UTC)
    version = published_checklist("apartments", by=auditor)
    first = today().replace(day=1)
    inspection_at(version, local(first, 0, 30), department=apartments_dept, auditor=auditor)
    period = figures.Period(figures.add_months(first, -1), today())
    table = figures.department_scores([apartments_dept], None, period)
    # Then it counts in this month
    assert [c.count for c in table.rows[0].cells] == [0, 1]


def test_the_page_draws_the_scores_as_svg_lines_with_the_numbers_in_tables(client, auditor, scored):
    client.force_login(auditor)
    html = client.get(URL + query(**three_months())).content.decode()
    assert 'data-testid="scores-chart"' in html and 'data-testid="servqual-chart"' in html
    assert "<polyline" in html
    assert 'data-testid="scores-table"' in html and "75.0" in html


def test_the_chart_breaks_its_line_at_a_month_without_records():
    months = [dt.date(2026, m, 1) for m in (1, 2, 3, 4)]
    cells = [figures.Cell(50.0, 1), figures.Cell(), figures.Cell(70.0, 1), figures.Cell(80.0, 1)]
    table = figures.MonthTable(months, [figures.SeriesRow("x", "X", cells, 66.7, 3)])
    chart = figures.line_chart(table)
    (series,) = chart.series
    assert len(series.points) == 3
    assert len(series.segments) == 1  # the lone January point is drawn as a dot only
    assert series.points[0].y > series.points[2].y  # 50 lower than 80


# --- Complaints ----------------------------------------------------------------------------------


def test_complaints_by_channel(client, auditor, head, student, apartments_dept, dining_dept):
    apartments = category(apartments_dept)
    dining = category(dining_dept, "dining-service")
    received = local(month(-1))
    # hotline: two received, one answered after 4 h (satisfied), one answered after 8 h (not)
    complaint(
        apartments,
        "hotline",
        received,
        first_answered_at=received + dt.timedelta(hours=4),
        status="answered",
        satisfied=True,
    )
    complaint(
        dining,
        "hotline",
        received,
        first_answered_at=received + dt.timedelta(hours=8),
        status="answered",
        satisfied=False,
    )
    # box: one not answered and past due
    complaint(apartments, "box", received)
    # web: one received today, not yet due; one long ago, still unanswered (overdue, but not
    # received in the period)
    complaint(apartments, "web", timezone.now(), complainant=student)
    complaint(apartments, "web", local(month(-12)), complainant=student, anonymous=True)
    client.force_login(auditor)

    board = client.get(URL + query(**three_months())).context["board"]

    rows = {r.channel: r for r in board.complaints}
    assert [r.channel for r in board.complaints] == ["hotline", "box", "web"]
    hotline = rows["hotline"]
    assert (hotline.received, hotline.answered, hotline.average_hours) == (2, 2, 6.0)
    assert (hotline.satisfied, hotline.not_satisfied, hotline.overdue) == (1, 1, 0)
    assert (rows["box"].received, rows["box"].answered, rows["box"].overdue) == (1, 0, 1)
    assert rows["box"].average_hours is None
    assert (rows["web"].received, rows["web"].overdue) == (1, 1)
    total = board.complaint_total
    assert (total.received, total.answered, total.average_hours, total.overdue) == (4, 2, 6.0, 2)

    # The apartments head sees their department's only
    client.force_login(head)
    rows = {
        r.channel: r for r in client.get(URL + query(**three_months())).context["board"].complaints
    }
    assert (rows["hotline"].received, rows["hotline"].average_hours) == (1, 4.0)


# --- Query budget --------------------------------------------------------------------------------


def _more_of_everything(n: int, auditor):
    """`n` more departments, each with inspections, nonconformities and complaints."""
    version = published_checklist("dining", code=f"more-{n}", by=auditor)
    for i in range(n):
        department = f.DepartmentFactory()
        for offset in (-2, -1):
            inspection_at(version, local(month(offset)), department=department, auditor=auditor)
        nonconformity(department, auditor, due_date=today() - dt.timedelta(days=i + 1))
        cat = category(department, f"more-{i}")
        complaint(cat, "hotline", local(month(-1)), first_answered_at=local(month(-1), 12))


@pytest.mark.parametrize("extra", [0, 6])
def test_the_page_costs_the_same_queries_however_much_data(
    client, auditor, scored, extra, django_assert_num_queries
):
    _more_of_everything(extra, auditor)
    client.force_login(auditor)
    # A first visit puts the bell's unread count into the cache.
    client.get(URL)
    # session, user with role grants; the filter's department (a valid choice?) and the
    # dashboard's departments; nonconformities by department, complaints by channel, the
    # overdue list, scores by department × month, SERVQUAL answers by dimension × month; the
    # department select's options (the bell's count comes from the cache)
    with django_assert_num_queries(10):
        response = client.get(URL + query(department="apartments", **three_months()))
    assert response.status_code == 200
    # Without a department filter, one query less (no choice to look up)
    with django_assert_num_queries(9):
        response = client.get(URL + query(**three_months()))
    assert len(response.context["board"].nonconformities) >= 2 + extra


@pytest.mark.parametrize("extra", [0, 6])
def test_the_figures_cost_six_queries_and_the_grants_however_much_data(
    auditor, scored, extra, django_assert_num_queries
):
    _more_of_everything(extra, auditor)
    period = figures.Period(month(-2, 1), today())
    # the user's role grants; departments, nonconformities by department, complaints by
    # channel, the overdue list, scores by department × month, SERVQUAL answers by
    # dimension × month
    with django_assert_num_queries(7):
        board = figures.dashboard_build(auditor, period=period)
        len(board.score_chart.series), len(board.servqual_chart.series)
    assert len(board.departments) >= 2 + extra


def test_a_head_pays_the_same_budget(client, head, scored, django_assert_num_queries):
    client.force_login(head)
    # A first visit puts the bell's unread count into the cache.
    client.get(URL)
    # session, user with role grants; the dashboard's departments; the five sections; the menu
    # (which areas the departments serve: the apartments and repairs entries ask); the
    # department select's options
    with django_assert_num_queries(10):
        response = client.get(URL + query(**three_months()))
    assert [r.key.code for r in response.context["board"].scores.rows] == ["apartments"]


# --- Excel ---------------------------------------------------------------------------------------


def test_the_export_has_a_sheet_per_section_with_numbers_as_numbers(
    client, auditor, scored, apartments_dept
):
    nonconformity(
        apartments_dept, auditor, title="=HYPERLINK(1)", due_date=today() - dt.timedelta(days=2)
    )
    cat = category(apartments_dept)
    received = local(month(-1))
    complaint(cat, "hotline", received, first_answered_at=received + dt.timedelta(hours=3))
    client.force_login(auditor)

    response = client.get(EXPORT + query(**three_months()))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Nonconformities",
        "Overdue actions",
        "Scores by department",
        "Scores by SERVQUAL",
        "Complaints by channel",
    ]
    ncs = list(book["Nonconformities"].iter_rows(values_only=True))
    apartments = next(r for r in ncs if r[0] == "Apartment Center")
    assert apartments[1:4] == (1, 1, 0)
    assert ncs[-1][0] == "Total"
    overdue = list(book["Overdue actions"].iter_rows(values_only=True))
    assert overdue[2][2] == "=HYPERLINK(1)"  # text, never a formula
    assert book["Overdue actions"].cell(row=3, column=3).data_type == "s"
    assert overdue[2][7] == 2
    scores = list(book["Scores by department"].iter_rows(values_only=True))
    assert scores[1][1:4] == tuple(m.strftime("%Y-%m") for m in (month(-2), month(-1), today()))
    row = next(r for r in scores if r[0] == "Apartment Center")
    assert row[1:3] == (75, 85) and row[3] is None
    servqual = list(book["Scores by SERVQUAL"].iter_rows(values_only=True))
    assert [r[0] for r in servqual[2:]] == [
        "Tangibles",
        "Reliability",
        "Responsiveness",
        "Assurance",
        "Empathy",
    ]
    channels = list(book["Complaints by channel"].iter_rows(values_only=True))
    assert channels[2][:4] == ("Hotline", 1, 1, 3)
    assert isinstance(channels[2][3], (int, float))


def test_the_export_of_a_head_holds_their_department_only(client, head, scored):
    client.force_login(head)
    book = load_workbook(io.BytesIO(client.get(EXPORT + query(**three_months())).content))
    departments = [r[0] for r in book["Scores by department"].iter_rows(values_only=True)][2:]
    assert departments == ["Apartment Center"]


def test_scores_do_not_change_the_decimal_score_of_a_record(scored):
    # The dashboard only reads: the records' scores are as sealed.
    assert scored["original"].score == Decimal("25.00")
    assert seals.verify_chain().ok
