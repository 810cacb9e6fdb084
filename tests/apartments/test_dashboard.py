"""The move-in dashboard: live counts by campus × category, arrivals per hour, progress and
free beds per building, kits, who has not arrived, and the day's report in both languages."""

import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from apartments import dashboard
from apartments.models import BedKit, Category, Stay
from apartments.views.dashboard import live_cache_key
from logistics.models import Role
from tests.apartments.move_in_data import (
    building_with_beds,
    campuses,
    free_beds,
    local,
    residents,
    stay,
)
from tests.factories import BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def intake():
    """Given two campuses and a small intake shaped like the source's: some checked in,
    some reserved, some not yet placed."""
    songbei, jiangnan = campuses()
    s1 = building_with_beds(songbei, "S01", rooms=4)
    j1 = building_with_beds(jiangnan, "J01", rooms=4)
    s_beds, j_beds = free_beds(s1), free_beds(j1)

    def check_in(people, beds, hour):
        for person in people:
            stay(person, beds.pop(0), at=local(hour))

    check_in(residents(songbei, Category.UNDERGRADUATE, 3), s_beds, 9)
    check_in(residents(jiangnan, Category.UNDERGRADUATE, 2), j_beds, 10)
    check_in(residents(songbei, Category.TOP_UP, 1), s_beds, 10)
    check_in(residents(songbei, Category.POSTGRADUATE, 1), s_beds, 10)
    check_in(residents(songbei, Category.DOCTORAL, 1), s_beds, 14)
    check_in(residents(jiangnan, Category.POSTGRADUATE, 1), j_beds, 14)
    check_in(residents(jiangnan, Category.STAFF, 1), j_beds, 14)
    for person in residents(songbei, Category.UNDERGRADUATE, 2):  # reserved, not yet here
        stay(person, s_beds.pop(0), status=Stay.Status.RESERVED)
    residents(jiangnan, Category.ADULT_EDUCATION, 1)  # not placed at all
    return {"songbei": songbei, "jiangnan": jiangnan, "S01": s1, "J01": j1}


def test_summary_counts_checked_in_residents_by_campus_and_category(intake):
    summary = dashboard.move_in_summary(user_with_role(Role.ADMIN)).as_contract()
    assert summary["expected"] == 13
    assert summary["checked_in"] == 10
    assert summary["remaining"] == 3
    assert list(summary["by_campus"].items()) == [("songbei", 6), ("jiangnan", 4)]
    assert summary["by_category"] == {
        "undergraduate": 5,
        "top_up": 1,
        "postgraduate": 2,
        "doctoral": 1,
        "adult_education": 0,
        "staff": 1,
    }
    assert summary["by_campus_and_category"]["songbei"]["undergraduate"] == 3
    assert summary["by_campus_and_category"]["jiangnan"]["staff"] == 1


def test_report_reads_like_the_source_in_chinese(intake):
    summary = dashboard.move_in_summary(user_with_role(Role.ADMIN))
    with translation.override("zh-hans"):
        report = dashboard.report_paragraph(summary)
    assert report == (
        "本次迎新共接待各类住宿人员10人，其中本科生5人（松北：3人，江南：2人），"
        "专升本1人，研究生、博士生3人（松北：2人，江南：1人，含博士1人），教工1人。"
    )


def test_report_in_english(intake):
    summary = dashboard.move_in_summary(user_with_role(Role.ADMIN))
    with translation.override("en"):
        report = dashboard.report_paragraph(summary)
    assert report == (
        "In this intake we received 10 residents of all kinds: 5 undergraduates "
        "(Songbei: 3, Jiangnan: 2), 1 top-up undergraduate, 3 postgraduate and doctoral "
        "students (Songbei: 2, Jiangnan: 1, including 1 doctoral) and 1 member of staff."
    )


def test_report_before_anyone_arrives():
    with translation.override("en"):
        report = dashboard.report_paragraph(dashboard.move_in_summary(user_with_role(Role.ADMIN)))
    assert report == "No resident has checked in yet."


def test_arrivals_per_hour(intake):
    bars = dashboard.arrivals_per_hour(user_with_role(Role.ADMIN), local(9).date())
    counts = {bar.hour: bar.count for bar in bars if bar.count}
    assert counts == {9: 3, 10: 4, 14: 3}
    assert len(bars) == 24
    assert max(bar.height for bar in bars) == dashboard.CHART_HEIGHT


def test_arrivals_per_hour_keeps_to_the_local_day_and_the_callers_buildings(intake):
    # Given arrivals just before and just after local midnight, in J01
    day = local(9).date()
    j_beds = free_beds(intake["J01"])
    late, early, next_day = residents(intake["jiangnan"], Category.STAFF, 3)
    stay(late, j_beds[0], at=local(23, 55, day=day - timedelta(days=1)))
    stay(early, j_beds[1], at=local(0, 5, day=day))
    stay(next_day, j_beds[2], at=local(0, 0, day=day + timedelta(days=1)))
    # Then the day's chart counts only the one after its own midnight, at hour 0
    counts = {
        bar.hour: bar.count
        for bar in dashboard.arrivals_per_hour(user_with_role(Role.ADMIN), day)
        if bar.count
    }
    assert counts == {0: 1, 9: 3, 10: 4, 14: 3}
    # and a manager of J01 sees J01's arrivals only
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=intake["J01"])
    counts = {bar.hour: bar.count for bar in dashboard.arrivals_per_hour(manager, day) if bar.count}
    assert counts == {0: 1, 10: 2, 14: 2}
    # and someone without buildings sees an empty chart
    bars = dashboard.arrivals_per_hour(user_with_role(Role.DORM_MANAGER), day)
    assert [bar.count for bar in bars] == [0] * 24


def test_building_progress_and_free_beds(intake):
    rows = {b.code: b for b in dashboard.building_progress(user_with_role(Role.ADMIN))}
    s1 = rows["S01"]
    assert (s1.bed_count, s1.active_count, s1.reserved_count, s1.free_beds) == (16, 6, 2, 8)
    assert s1.progress == 75  # 6 of the 8 expected in S01
    assert rows["J01"].free_beds == 12


def test_a_manager_sees_only_their_buildings_residents(intake, client):
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=intake["J01"])
    summary = dashboard.move_in_summary(manager).as_contract()
    # Residents reserved into or living in J01 only; the unplaced one is the campus's affair.
    assert (summary["expected"], summary["checked_in"]) == (4, 4)
    assert summary["by_campus"] == {"songbei": 0, "jiangnan": 4}
    assert [b.code for b in dashboard.building_progress(manager)] == ["J01"]


def test_kit_counts(intake):
    beds = free_beds(intake["S01"])
    kit_type = _kit_type()
    BedKit.objects.create(bed=beds[0], kit_type=kit_type, status="placed")
    BedKit.objects.create(bed=beds[1], kit_type=kit_type, status="failed", failures=1)
    BedKit.objects.create(bed=beds[2], kit_type=kit_type, status="issued", failures=2)
    counts = dashboard.kit_counts(user_with_role(Role.ADMIN))
    assert (counts.placed, counts.failed, counts.issued, counts.failures) == (1, 1, 1, 3)


def _kit_type():
    from apartments.models import KitType

    return KitType.objects.create(code="standard", name="标准行李", name_en="Standard kit")


# --- Pages ---------------------------------------------------------------------------------


def test_dashboard_page_shows_the_numbers_and_refreshes_itself(intake, client):
    client.force_login(user_with_role(Role.ADMIN))
    page = client.get(reverse("apartments:move_in_dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'hx-trigger="every 10s"' in html
    assert 'data-testid="checked-in">10<' in html
    # the day's report: today's arrivals (the whole intake arrived today)
    assert "we received 10 residents of all kinds" in html

    live = client.get(reverse("apartments:move_in_dashboard_live"), HTTP_HX_REQUEST="true")
    assert live.status_code == 200
    assert "<html" not in live.content.decode()  # a fragment for htmx to swap in
    assert 'data-testid="remaining">3<' in live.content.decode()


def test_dashboard_access(intake, client):
    url = reverse("apartments:move_in_dashboard")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for role in (Role.STUDENT, Role.TECHNICIAN, Role.DINING_MANAGER):
        client.force_login(user_with_role(role))
        assert client.get(url).status_code == 404, role
    client.force_login(user_with_role(Role.DORM_MANAGER))
    assert client.get(url).status_code == 200  # with no building: zeros, not an error


def test_bad_day_parameter_falls_back_to_today(intake, client):
    client.force_login(user_with_role(Role.ADMIN))
    response = client.get(reverse("apartments:move_in_dashboard") + "?day=2026-13-45")
    assert response.status_code == 200


@pytest.mark.parametrize("extra", [0, 60])
def test_dashboard_query_count_does_not_grow(intake, client, extra, django_assert_num_queries):
    for person in residents(intake["songbei"], n=extra):
        beds = free_beds(intake["S01"]) or free_beds(
            building_with_beds(intake["songbei"], f"X{person.pk}")
        )
        stay(person, beds[0])
    client.force_login(user_with_role(Role.ADMIN))
    # session, user with role grants; campuses, residents by campus × category, arrivals per hour,
    # buildings with their counts, kits by status; the day's arrivals by campus × category
    with django_assert_num_queries(8):
        client.get(reverse("apartments:move_in_dashboard_live"))


# --- The live part shared for a moment ------------------------------------------------------


@pytest.fixture
def shared(settings):
    settings.MOVE_IN_DASHBOARD_CACHE_SECONDS = 2


def _checked_in(client, **headers) -> str:
    html = client.get(reverse("apartments:move_in_dashboard_live"), **headers).content.decode()
    return html.split('data-testid="checked-in">', 1)[1].split("<", 1)[0]


def test_viewers_with_the_same_view_share_the_live_part_for_a_moment(
    intake, client, shared, django_assert_num_queries
):
    head = user_with_role(Role.ADMIN)
    client.force_login(head)
    assert _checked_in(client) == "10"

    # Someone else checks in; within the moment a second administrator's screen shows the
    # shared copy, computed without a query of its own beyond who is asking.
    person = residents(intake["songbei"], n=1)[0]
    stay(person, free_beds(intake["S01"])[0])
    other = Client()
    other.force_login(user_with_role(Role.ADMIN))
    with django_assert_num_queries(2):  # session, user with role grants
        assert _checked_in(other) == "10"

    # Once the moment is over (its key dropped here rather than waited for), the next screen
    # computes it again.
    cache.delete(live_cache_key(head, timezone.localdate()))
    assert _checked_in(other) == "11"


def test_the_shared_copy_never_crosses_scopes_or_languages(intake, client, shared):
    client.force_login(user_with_role(Role.ADMIN))
    assert _checked_in(client) == "10"
    english = client.get(
        reverse("apartments:move_in_dashboard_live"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Checked in" in english

    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=intake["J01"])
    client.force_login(manager)
    assert _checked_in(client) == "4"  # J01's, not the administrator's shared copy
    html = client.get(reverse("apartments:move_in_dashboard_live")).content.decode()
    assert "S01" not in html and "J01" in html

    head = user_with_role(Role.AUDITOR, campus=intake["jiangnan"])
    client.force_login(head)
    assert _checked_in(client) == "4"
    assert live_cache_key(head, timezone.localdate()) != live_cache_key(
        manager, timezone.localdate()
    )


def test_the_full_page_embeds_the_same_shared_part(intake, client, shared):
    client.force_login(user_with_role(Role.ADMIN))
    page = client.get(reverse("apartments:move_in_dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert 'data-testid="checked-in">10<' in page.content.decode()
    assert "<html" in page.content.decode()


# --- Not arrived -----------------------------------------------------------------------------


def test_not_arrived_lists_those_not_checked_in_with_their_reservation(intake, client):
    client.force_login(user_with_role(Role.ADMIN))
    page = client.get(reverse("apartments:not_arrived"))
    rows = list(page.context["page"])
    assert len(rows) == 3
    reserved = [r for r in rows if r.reservations]
    assert len(reserved) == 2
    assert all(r.reservations[0].bed.room.building.code == "S01" for r in reserved)


def test_not_arrived_filters(intake, client):
    client.force_login(user_with_role(Role.ADMIN))
    url = reverse("apartments:not_arrived")
    by_category = client.get(url, {"category": "adult_education"}).context["page"]
    assert [r.category for r in by_category] == ["adult_education"]
    by_building = client.get(url, {"building": intake["S01"].pk}).context["page"]
    assert len(list(by_building)) == 2
    nobody = client.get(url, {"q": "no such person"}).context["page"]
    assert list(nobody) == []
    bad = client.get(url, {"campus": "not-a-number", "category": "wizard"})
    assert bad.status_code == 200
    assert list(bad.context["page"]) == []
    assert bad.context["form"].errors


def test_not_arrived_only_within_scope(intake, client):
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=intake["J01"])
    client.force_login(manager)
    page = client.get(reverse("apartments:not_arrived"))
    assert list(page.context["page"]) == []  # everyone in J01 has arrived
    other = client.get(reverse("apartments:not_arrived"), {"building": intake["S01"].pk})
    assert other.context["form"].errors  # not one of theirs: not a valid choice


def test_not_arrived_exports_to_excel(intake, client):
    client.force_login(user_with_role(Role.ADMIN))
    response = client.get(
        reverse("apartments:not_arrived_export"), {"campus": intake["songbei"].pk}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 2  # header and the two reserved Songbei undergraduates
    assert all(row[8].startswith("S01-") for row in rows[1:])


@pytest.mark.parametrize("extra", [0, 60])
def test_not_arrived_query_count_does_not_grow(intake, client, extra, django_assert_num_queries):
    residents(intake["jiangnan"], n=extra)
    client.force_login(user_with_role(Role.ADMIN))
    # A first visit puts the bell's unread count into the cache.
    client.get(reverse("apartments:not_arrived"))
    # session, user with role grants; campus choices and building choices (the filter form);
    # count, page, reservations of the page
    with django_assert_num_queries(7):
        client.get(reverse("apartments:not_arrived"))


def test_my_room_shows_only_the_students_own_stay(intake, client):
    someone = ResidentFactory(campus=intake["songbei"])
    bed = free_beds(intake["S01"])[0]
    stay(someone, bed, status=Stay.Status.RESERVED)
    client.force_login(someone.user)
    page = client.get(reverse("apartments:my_room"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["stay"].bed == bed
    assert "Reserved for you" in page.content.decode()

    nobody = ResidentFactory(campus=intake["songbei"])
    client.force_login(nobody.user)
    page = client.get(reverse("apartments:my_room"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["stay"] is None
    assert "You have no room yet" in page.content.decode()


def test_the_export_never_turns_a_value_into_a_formula(intake, client):
    """A name such as =HYPERLINK(...) in the registrar's file must come out as text: Excel
    would run a formula."""
    ResidentFactory(campus=intake["jiangnan"], name='=HYPERLINK("http://evil.example","x")')
    client.force_login(user_with_role(Role.ADMIN))
    response = client.get(reverse("apartments:not_arrived_export"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = {row[1].value: row[1].data_type for row in sheet.iter_rows(min_row=2)}
    assert names['=HYPERLINK("http://evil.example","x")'] == "s"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_building_rows_write_numbers_as_intcomma_does(language):
    # Given a building with five-digit figures (the rows are rendered in Python, not a template)
    from types import SimpleNamespace

    from django.contrib.humanize.templatetags.humanize import intcomma

    from apartments.views.dashboard import building_rows

    songbei, _ = campuses()
    row = SimpleNamespace(
        campus=songbei,
        campus_id=songbei.pk,
        code="S<1>",
        active_count=12345,
        reserved_count=0,
        free_beds=1234567,
        progress=97,
    )
    with translation.override(language):
        html = building_rows([row])
        # Then each number reads as the |intcomma filter writes it, and text is escaped
        assert f'<td class="text-end">{intcomma(12345)}</td>' in html
        assert f'<td class="text-end">{intcomma(1234567)}</td>' in html
    assert "S&lt;1&gt;" in html and 'style="width: 97%">97%' in html


def test_the_auditor_reads_the_not_arrived_list_and_does_not_export_it(intake, client):
    """docs/decisions.md: the auditor samples the list on screen; the spreadsheet of names,
    phones and beds goes only to those who act on it."""
    client.force_login(user_with_role(Role.AUDITOR))
    page = client.get(reverse("apartments:not_arrived"))
    assert page.status_code == 200
    assert len(list(page.context["page"])) > 0
    assert 'data-testid="export"' not in page.content.decode()
    assert client.get(reverse("apartments:not_arrived_export")).status_code == 404
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=intake["S01"])
    client.force_login(manager)
    assert 'data-testid="export"' in client.get(reverse("apartments:not_arrived")).content.decode()
    assert client.get(reverse("apartments:not_arrived_export")).status_code == 200
