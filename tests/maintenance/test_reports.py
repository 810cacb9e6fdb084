"""Repair reports: exact figures on a hand-built month, who may read them, the period's
checks, the Excel export, and a fixed number of queries per tab."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from apartments.models import Storeroom
from logistics.models import Role
from maintenance import reports
from maintenance.models import StockMovement, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/repairs/reports/"
MARCH = "from=2025-03-01&to=2025-03-31"


@pytest.fixture(autouse=True)
def _in_english(client):
    """Labels are asserted in English (Chinese is the default language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


def at(month, day, hour=0, minute=0, year=2025):
    """A moment in the portal's time zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def make(*, created, room=None, area=None, category="plumbing", **fields):
    """A ticket with the times and outcome given, filed at `created` (local time)."""
    fields.setdefault("respond_by", created + dt.timedelta(hours=1))
    fields.setdefault("complete_by", created + dt.timedelta(hours=24))
    ticket = f.ticket(
        room=room, area=area, category_code=category, reporter=f.UserFactory(), **fields
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    ticket.refresh_from_db()
    return ticket


def move(ticket, stock, kind, quantity, unit_cost):
    return StockMovement.objects.create(
        stock=stock,
        kind=kind,
        quantity=Decimal(quantity),
        unit_cost=Decimal(unit_cost),
        ticket=ticket,
        by=stock.movements.first().by,
    )


@pytest.fixture
def electrician(campus):
    return f.technician(campus, skills=["electrical"], username="electrician1", full_name="李师傅")


@pytest.fixture
def march(campus, other_campus, building, room, plumber, electrician):
    """Two technicians and five requests filed in March 2025 on Songbei, with known times,
    ratings, labour and materials; and requests that must not be counted in March."""
    s02 = f.BuildingFactory(campus=campus, code="S02", name="松北2号楼", name_en="Songbei 2")
    room_201 = f.RoomFactory(building=s02, number="201")
    outside = f.PublicAreaFactory(campus=campus, name="一食堂门口", name_en="Canteen 1 entrance")
    store = Storeroom.objects.create(campus=campus, code="KF", name="库房")
    washers = f.stock(store, f.MaterialFactory(code="washer", unit_cost="2.50"), balance=100)
    valves = f.stock(store, f.MaterialFactory(code="valve", unit_cost="12.50"), balance=100)
    ballast = f.stock(store, f.MaterialFactory(code="ballast", unit_cost="40.00"), balance=100)

    # T1 (plumber): filed ten past midnight on 1 March local time (still February in UTC),
    # started and finished in time, rated 5, 60 minutes; 3 washers drawn, 1 returned: 5.00.
    t1 = make(
        created=at(3, 1, 0, 20),
        room=room,
        technician=plumber,
        status=Ticket.Status.CLOSED,
        started_at=at(3, 1, 0, 50),
        finished_at=at(3, 1, 6),
        closed_at=at(3, 2, 9),
        rating=5,
        labour_minutes=60,
    )
    move(t1, washers, StockMovement.Kind.ISSUE, "-3", "2.50")
    move(t1, washers, StockMovement.Kind.RETURN, "1", "2.50")
    # T2 (plumber): late to start and late to finish, rated 2, reopened once, 90 minutes; two
    # valves drawn at 12.50 (25.00); an old one recovered for reuse is not deducted.
    t2 = make(
        created=at(3, 10, 8),
        room=room,
        technician=plumber,
        status=Ticket.Status.CLOSED,
        started_at=at(3, 10, 10),
        finished_at=at(3, 12, 8),
        closed_at=at(3, 13, 8),
        rating=2,
        labour_minutes=90,
        reopened_count=1,
    )
    move(t2, valves, StockMovement.Kind.ISSUE, "-2", "12.50")
    move(t2, valves, StockMovement.Kind.RECOVERY, "1", "12.50")
    # T3 (electrician): a public area outside the buildings, in time, not rated, 30 minutes.
    make(
        created=at(3, 15, 14),
        area=outside,
        category="electrical",
        technician=electrician,
        status=Ticket.Status.DONE,
        started_at=at(3, 15, 14, 30),
        finished_at=at(3, 16, 10),
        labour_minutes=30,
    )
    # T4 (electrician): started in time, never finished (overdue now); a ballast at 40.00,
    # whose price has gone up since: the movement's own cost counts.
    t4 = make(
        created=at(3, 20, 10),
        room=room_201,
        category="electrical",
        technician=electrician,
        status=Ticket.Status.IN_PROGRESS,
        started_at=at(3, 20, 10, 30),
    )
    move(t4, ballast, StockMovement.Kind.ISSUE, "-1", "40.00")
    ballast.material.__class__.objects.filter(pk=ballast.material_id).update(unit_cost="55.00")
    # T5: filed late on the last evening of March, nobody assigned yet (overdue now).
    make(created=at(3, 31, 23, 30), room=room, status=Ticket.Status.SUBMITTED)

    # Not counted in March: a duplicate merged into T1 (with material drawn against it), a
    # request of ten past midnight on 1 April local time (still March in UTC), one of the
    # last evening of February, and one on the other campus.
    t6 = make(
        created=at(3, 5, 9),
        room=room,
        status=Ticket.Status.MERGED,
        merged_into=t1,
        closed_at=at(3, 5, 10),
    )
    move(t6, washers, StockMovement.Kind.ISSUE, "-4", "2.50")
    make(created=at(4, 1, 0, 10), room=room_201, status=Ticket.Status.SUBMITTED)
    make(
        created=at(2, 28, 23, 50),
        room=room_201,
        status=Ticket.Status.CANCELLED,
        closed_at=at(3, 1, 8),
    )
    j01 = f.BuildingFactory(campus=other_campus, code="J01")
    elsewhere = make(
        created=at(3, 10, 9), room=f.RoomFactory(building=j01), status=Ticket.Status.SUBMITTED
    )
    other_store = Storeroom.objects.create(campus=other_campus, code="KF2", name="库房2")
    move(elsewhere, f.stock(other_store, balance=10), StockMovement.Kind.ISSUE, "-5", "10.00")
    return {"S02": s02, "room_201": room_201, "outside": outside, "store": store}


def figures(row):
    """A row's figures in the order of the table's columns (after the label)."""
    return (
        row.jobs,
        row.finished,
        row.on_time_percent,
        row.response_percent,
        row.average_rating,
        row.rated,
        row.reopened,
        row.labour_hours,
        row.material_cost,
        row.open_at_end,
        row.overdue,
    )


def march_report(kind, campus, first=dt.date(2025, 3, 1), last=dt.date(2025, 3, 31)):
    return reports.repair_report(
        kind=kind, period=reports.Period(first, last), campuses={campus.pk}
    )


# --- The figures ---------------------------------------------------------------------------------

TOTAL = (5, 3, 66.7, 66.7, 3.5, 2, 1, 3.0, Decimal("70.00"), 2, 2)


def test_by_technician(march, campus):
    report = march_report("technician", campus)
    assert [row.label for row in report.rows] == ["李师傅", "王师傅", "Not assigned"]
    electrician, plumber, unassigned = report.rows
    assert figures(plumber) == (2, 2, 50.0, 50.0, 3.5, 2, 1, 2.5, Decimal("30.00"), 0, 0)
    assert figures(electrician) == (2, 1, 100.0, 100.0, None, 0, 0, 0.5, Decimal("40.00"), 1, 1)
    assert figures(unassigned) == (1, 0, None, None, None, 0, 0, 0.0, Decimal("0.00"), 1, 1)
    assert figures(report.total) == TOTAL


def test_by_building_with_public_areas_outside_in_their_own_row(march, campus):
    report = march_report("building", campus)
    assert [row.label for row in report.rows] == [
        "S01 Songbei 1",
        "S02 Songbei 2",
        "Outside the buildings",
    ]
    s01, s02, outside = report.rows
    assert figures(s01) == (3, 2, 50.0, 50.0, 3.5, 2, 1, 2.5, Decimal("30.00"), 1, 1)
    assert figures(s02) == (1, 0, None, None, None, 0, 0, 0.0, Decimal("40.00"), 1, 1)
    assert figures(outside) == (1, 1, 100.0, 100.0, None, 0, 0, 0.5, Decimal("0.00"), 0, 0)
    assert figures(report.total) == TOTAL


def test_by_category(march, campus):
    report = march_report("category", campus)
    assert [row.label for row in report.rows] == [
        "Plumbing and drains",
        "Electrical and lighting",
    ]
    plumbing, electrical = report.rows
    assert figures(plumbing) == (3, 2, 50.0, 50.0, 3.5, 2, 1, 2.5, Decimal("30.00"), 1, 1)
    assert figures(electrical) == (2, 1, 100.0, 100.0, None, 0, 0, 0.5, Decimal("40.00"), 1, 1)
    assert figures(report.total) == TOTAL


def test_by_month_in_the_local_time_zone(march, campus):
    # Given February to April: the months are those of Shanghai, not of UTC
    report = march_report("month", campus, dt.date(2025, 2, 1), dt.date(2025, 4, 30))
    assert [row.label for row in report.rows] == ["February 2025", "March 2025", "April 2025"]
    february, march_row, april = report.rows
    assert figures(march_row) == TOTAL
    # the cancelled one of 28 February: filed, closed before the end, not overdue
    assert figures(february) == (1, 0, None, None, None, 0, 0, 0.0, Decimal("0.00"), 0, 0)
    # the one of ten past midnight on 1 April: still waiting, overdue
    assert figures(april) == (1, 0, None, None, None, 0, 0, 0.0, Decimal("0.00"), 1, 1)
    assert report.total.jobs == 7


def test_open_at_the_end_is_as_of_the_periods_end(march, campus):
    # Given a period ending on 11 March: T2 (finished on the 12th) was still open then
    report = march_report("category", campus, last=dt.date(2025, 3, 11))
    (plumbing,) = report.rows
    assert (plumbing.jobs, plumbing.finished, plumbing.open_at_end) == (2, 2, 1)


def test_every_campus_for_an_administrator(march, campus, other_campus):
    report = reports.repair_report(
        kind="building",
        period=reports.Period(dt.date(2025, 3, 1), dt.date(2025, 3, 31)),
        campuses=reports.ALL,
    )
    assert report.total.jobs == 6
    assert report.total.material_cost == Decimal("120.00")
    # campuses in their order (jiangnan, songbei), each one's outside row named with it
    labels = [row.label for row in report.rows]
    assert labels[0] == "J01 " + Ticket.objects.get(campus=other_campus).building.display_name
    assert labels[-1] == "Outside the buildings · Songbei campus"


def test_material_drawn_and_all_returned_costs_nothing(campus, room, plumber):
    store = Storeroom.objects.create(campus=campus, code="KF", name="库房")
    washers = f.stock(store, f.MaterialFactory(unit_cost="2.50"), balance=10)
    ticket = make(created=at(3, 3, 9), room=room, technician=plumber, status="in_progress")
    move(ticket, washers, StockMovement.Kind.ISSUE, "-2", "2.50")
    move(ticket, washers, StockMovement.Kind.RETURN, "2", "2.50")
    (row,) = march_report("technician", campus).rows
    assert str(row.material_cost) == "0.00"


def test_an_empty_period_has_no_rows_and_zero_totals(campus):
    report = march_report("technician", campus)
    assert report.rows == []
    assert figures(report.total) == (0, 0, None, None, None, 0, 0, 0.0, Decimal("0.00"), 0, 0)


# --- The page ------------------------------------------------------------------------------------


def test_the_page_shows_the_table_and_totals(client, march, dispatcher):
    client.force_login(dispatcher)
    response = client.get(f"{URL}?{MARCH}&by=technician")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="report-table"' in page and 'class="table-responsive"' in page
    assert page.count('data-testid="report-row"') == 3
    assert 'data-testid="report-total"' in page
    assert "66.7%" in page and "70.00" in page and "3.50" in page
    # tabs keep the filters; the export link names the tab
    assert "?from=2025-03-01&amp;to=2025-03-31&amp;by=building" in page
    assert "/repairs/reports/technician.xlsx?from=2025-03-01&amp;to=2025-03-31" in page


@pytest.mark.parametrize("kind", reports.KINDS)
def test_every_tab_renders(client, march, dispatcher, kind):
    client.force_login(dispatcher)
    response = client.get(f"{URL}?{MARCH}&by={kind}")
    assert response.status_code == 200
    assert response.context["report"].kind == kind
    assert response.context["report"].total.jobs == 5


def test_the_default_period_is_this_month_so_far(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get(URL)
    report = response.context["report"]
    today = timezone.localdate()
    assert report.period == reports.Period(today.replace(day=1), today)
    assert report.kind == "technician"
    assert 'data-testid="report-empty"' in response.content.decode()


def test_an_unknown_tab_shows_the_first(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(f"{URL}?by=<script>").context["kind"] == "technician"


def test_the_page_reads_in_chinese(client, march, dispatcher):
    client.force_login(dispatcher)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    with translation.override("zh-hans"):
        response = client.get(f"{URL}?from=2025-02-01&to=2025-04-30&by=month")
    page = response.content.decode()
    assert response.status_code == 200
    assert "2025年3月" in page


@pytest.mark.parametrize(
    "query, field, message",
    [
        (
            "from=2025-03-31&to=2025-03-01",
            "to",
            "The end of the period cannot be before its start.",
        ),
        ("from=2023-01-01&to=2025-01-01", "to", "A report covers at most 2 years."),
        ("from=9999-12-30&to=9999-12-31", "from", "Choose a date between"),
        ("from=2025-13-01&to=2025-12-31", "from", "Enter a valid date."),
        ("from=2025-03-01", "to", "This field is required."),
        ("from=2025-03-01&to=2025-03-31&campus=jiangnan", "campus", "Select a valid choice."),
    ],
)
def test_a_bad_period_or_campus_shows_the_problem_and_no_table(
    client, dispatcher, other_campus, query, field, message
):
    client.force_login(dispatcher)
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert response.context["report"] is None
    assert any(message in error for error in response.context["form"].errors[field])
    assert 'data-testid="report-table"' not in response.content.decode()


def test_exactly_two_years_is_allowed(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get(f"{URL}?from=2023-01-01&to=2024-12-31")
    assert response.context["report"] is not None


# --- Who may read reports ------------------------------------------------------------------------


def test_anonymous_users_go_to_the_login_page(client):
    for url in (URL, "/repairs/reports/technician.xlsx"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_students_technicians_and_building_staff_get_404(client, student, plumber, building):
    manager = f.user_with_role(Role.DORM_MANAGER)
    f.BuildingAssignmentFactory(user=manager, building=building)
    maintenance_outsider = f.user_with_role(
        Role.DEPARTMENT_HEAD, department=f.DepartmentFactory(areas=["dining"])
    )
    for user in (student, plumber, manager, maintenance_outsider):
        client.force_login(user)
        assert client.get(URL).status_code == 404
        assert client.get(f"/repairs/reports/technician.xlsx?{MARCH}").status_code == 404


def test_a_dispatcher_reads_their_campus_only(client, march, dispatcher, other_dispatcher):
    client.force_login(other_dispatcher)
    response = client.get(f"{URL}?{MARCH}")
    assert response.context["report"].total.jobs == 1  # the other campus's one
    assert [c for c, _name in response.context["form"].fields["campus"].choices] == ["jiangnan"]
    client.force_login(dispatcher)
    response = client.get(f"{URL}?{MARCH}&campus=songbei")
    assert response.context["report"].total.jobs == 5


@pytest.mark.parametrize("grant", ["campus", "everywhere"])
def test_auditors_read_their_campus_grant(client, march, campus, grant):
    auditor = f.user_with_role(Role.AUDITOR, campus=campus if grant == "campus" else None)
    client.force_login(auditor)
    response = client.get(f"{URL}?{MARCH}")
    assert response.status_code == 200
    assert response.context["report"].total.jobs == (5 if grant == "campus" else 6)


def test_maintenance_heads_and_administrators_read_reports(client, march, campus, admin):
    head = f.user_with_role(
        Role.DEPARTMENT_HEAD,
        campus=campus,
        department=f.DepartmentFactory(areas=["maintenance_utilities"]),
    )
    client.force_login(head)
    assert client.get(f"{URL}?{MARCH}").context["report"].total.jobs == 5
    client.force_login(admin)
    all_campuses = client.get(f"{URL}?{MARCH}")
    assert all_campuses.context["report"].total.jobs == 6
    one = client.get(f"{URL}?{MARCH}&campus=songbei")
    assert one.context["report"].total.jobs == 5


def test_reports_answer_get_only(client, dispatcher):
    client.force_login(dispatcher)
    assert client.post(URL).status_code == 405


# --- The Excel file ------------------------------------------------------------------------------


def workbook_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_export_has_a_title_a_header_and_the_same_numbers(client, march, dispatcher):
    client.force_login(dispatcher)
    response = client.get(f"/repairs/reports/technician.xlsx?{MARCH}&campus=songbei")
    assert 'filename="repairs-technician-20250301-20250331-' in response["Content-Disposition"]
    title, header, *rows = workbook_rows(response)
    assert title[0] == "Repairs by technician, 2025-03-01 to 2025-03-31, Songbei campus"
    assert header == [
        "Technician",
        "Jobs",
        "Finished",
        "On time %",
        "Response on time %",
        "Average rating",
        "Rated",
        "Reopened",
        "Labour hours",
        "Labour (points)",
        "Labour (yuan)",
        "Material cost (yuan)",
        "Cost per finished job (yuan)",
        "Open at the end",
        "Overdue now",
    ]
    assert rows == [
        # no repair items recorded in March: labour counts no points, the cost is materials
        ["李师傅", 2, 1, 100, 100, None, 0, 0, 0.5, 0, 0, 40, 40, 1, 1],
        ["王师傅", 2, 2, 50, 50, 3.5, 2, 1, 2.5, 0, 0, 30, 15, 0, 0],
        ["Not assigned", 1, 0, None, None, None, 0, 0, 0, 0, 0, 0, None, 1, 1],
        ["Total", 5, 3, 66.7, 66.7, 3.5, 2, 1, 3, 0, 0, 70, 23.33, 2, 2],
    ]
    # numbers are numbers, not text
    assert all(isinstance(v, int | float) for v in rows[-1][1:])


@pytest.mark.parametrize(
    "kind, first_labels",
    [
        ("building", ["S01 Songbei 1", "S02 Songbei 2", "Outside the buildings", "Total"]),
        ("category", ["Plumbing and drains", "Electrical and lighting", "Total"]),
        ("month", ["March 2025", "Total"]),
    ],
)
def test_every_kind_exports(client, march, dispatcher, kind, first_labels):
    client.force_login(dispatcher)
    _title, _header, *rows = workbook_rows(client.get(f"/repairs/reports/{kind}.xlsx?{MARCH}"))
    assert [row[0] for row in rows] == first_labels
    assert rows[-1][1:] == [5, 3, 66.7, 66.7, 3.5, 2, 1, 3, 0, 0, 70, 23.33, 2, 2]


def test_the_title_names_the_campuses_read(client, march, dispatcher, admin):
    client.force_login(dispatcher)
    title = workbook_rows(client.get(f"/repairs/reports/month.xlsx?{MARCH}"))[0][0]
    assert title == "Repairs by month, 2025-03-01 to 2025-03-31, Songbei campus"
    client.force_login(admin)
    title = workbook_rows(client.get(f"/repairs/reports/month.xlsx?{MARCH}"))[0][0]
    assert title == "Repairs by month, 2025-03-01 to 2025-03-31, all campuses"


def test_an_unknown_export_is_404(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(f"/repairs/reports/salaries.xlsx?{MARCH}").status_code == 404


def test_an_export_with_bad_filters_goes_back_to_the_page(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get("/repairs/reports/month.xlsx?from=2025-03-31&to=2025-03-01")
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?from=2025-03-31&to=2025-03-01&by=month"


def test_an_export_cannot_smuggle_a_formula(client, campus, building, room, dispatcher):
    # Given a technician whose name looks like a formula
    sly = f.technician(campus, full_name='=HYPERLINK("http://evil","x")')
    make(created=at(3, 3, 9), room=room, technician=sly, status=Ticket.Status.ASSIGNED)
    client.force_login(dispatcher)
    response = client.get(f"/repairs/reports/technician.xlsx?{MARCH}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=3, column=1)
    assert cell.value == '=HYPERLINK("http://evil","x")' and cell.data_type == "s"


# --- Query budget --------------------------------------------------------------------------------


def more_of_everything(campus, building, store, n):
    """`n` more technicians, each with two tickets in March, each with three movements, in
    `n` more buildings and two categories."""
    material = f.MaterialFactory(unit_cost="1.00")
    stock = f.stock(store, material, balance=10000)
    for i in range(n):
        technician = f.technician(campus)
        room = f.RoomFactory(building=f.BuildingFactory(campus=campus))
        for category in ("plumbing", "furniture"):
            ticket = make(
                created=at(3, 1 + i % 28, 12),
                room=room,
                category=category,
                technician=technician,
                status=Ticket.Status.DONE,
                started_at=at(3, 1 + i % 28, 12, 30),
                finished_at=at(3, 1 + i % 28, 15),
                labour_minutes=10,
            )
            for _ in range(3):
                move(ticket, stock, StockMovement.Kind.ISSUE, "-1", "1.00")


# The session (1), its user with their role grants (1), the campuses of the filter (1),
# the tickets grouped (1), their movements grouped (1), then the rows' names: technicians (1),
# buildings and campuses (2), categories (1), months (none). The bell's unread count comes
# from the cache once a first page has put it there.
BASE = 5
NAMES = {"technician": 1, "building": 2, "category": 1, "month": 0}


@pytest.mark.parametrize("kind", reports.KINDS)
def test_each_tab_is_a_fixed_number_of_queries(
    client, march, campus, building, dispatcher, kind, django_assert_num_queries
):
    client.force_login(dispatcher)
    client.get(URL)  # the bell's count into the cache
    for extra in (0, 5):
        more_of_everything(campus, building, march["store"], extra)
        with django_assert_num_queries(BASE + NAMES[kind]):
            response = client.get(f"{URL}?{MARCH}&by={kind}")
        assert response.status_code == 200
    assert response.context["report"].total.jobs == 5 + 5 * 2


@pytest.mark.parametrize("kind", reports.KINDS)
def test_each_export_is_a_fixed_number_of_queries(
    client, march, campus, building, dispatcher, kind, django_assert_num_queries
):
    client.force_login(dispatcher)
    for extra in (0, 5):
        more_of_everything(campus, building, march["store"], extra)
        with django_assert_num_queries(BASE + NAMES[kind]):
            response = client.get(f"/repairs/reports/{kind}.xlsx?{MARCH}")
        assert response.status_code == 200
