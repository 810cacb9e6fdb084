"""Move-out: the services, the resident's pages, the managers' pages and the board."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apartments import move_out
from apartments.models import MoveOutNotice, MoveOutRequest, Stay
from logistics.models import AuditEvent, Role
from tests.apartments.move_in_data import building_with_beds, campuses, free_beds, stay
from tests.apartments.move_out_data import graduates_in, notice, requests_for
from tests.factories import BuildingAssignmentFactory, ResidentFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English (Chinese is the default language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


TODAY = dt.date.today


@pytest.fixture
def world():
    songbei, jiangnan = campuses()
    s1 = building_with_beds(songbei, "S01", rooms=2)
    s2 = building_with_beds(songbei, "S02", rooms=1)
    beds = free_beds(s1)
    student = ResidentFactory(campus=songbei, graduation_year=2026)
    stay(student, beds.pop(0))
    roommate = ResidentFactory(campus=songbei, graduation_year=2026)
    stay(roommate, beds.pop(0))
    elsewhere = ResidentFactory(campus=songbei, graduation_year=2026)
    stay(elsewhere, free_beds(s2)[0])
    manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=manager, building=s1)
    other_manager = user_with_role(Role.DORM_MANAGER)
    BuildingAssignmentFactory(user=other_manager, building=s2)
    return {
        "songbei": songbei,
        "jiangnan": jiangnan,
        "S01": s1,
        "S02": s2,
        "student": student,
        "roommate": roommate,
        "elsewhere": elsewhere,
        "manager": manager,
        "other_manager": other_manager,
        "admin": user_with_role(Role.ADMIN),
    }


def file(resident, days=10, reason="graduation"):
    return move_out.move_out_file(
        actor=resident.user,
        resident=resident,
        planned_date=timezone.localdate() + dt.timedelta(days=days),
        reason=reason,
    )


# --- Services ----------------------------------------------------------------------------------


def test_filing_a_request_records_the_stay_and_an_audit_event(world):
    request = file(world["student"])
    assert request.status == MoveOutRequest.Status.REQUESTED
    assert request.stay.resident == world["student"]
    event = AuditEvent.objects.get(action="move_out.file")
    assert event.target_id == str(request.pk)
    assert event.actor == world["student"].user


def test_a_second_open_request_is_refused(world):
    file(world["student"])
    with pytest.raises(move_out.RequestAlreadyOpen):
        file(world["student"], days=12)


def test_the_constraint_backs_the_check_under_concurrency(world, monkeypatch):
    """Two taps at once: both pass the Python check; the database refuses the second."""
    file(world["student"])
    exists = MoveOutRequest.objects.filter(pk__in=[]).exists
    monkeypatch.setattr(
        "django.db.models.query.QuerySet.exists", lambda self: exists(), raising=True
    )
    with pytest.raises(move_out.RequestAlreadyOpen):
        file(world["student"], days=12)
    assert MoveOutRequest.objects.filter(resident=world["student"]).count() == 1


def test_the_database_allows_one_open_request_per_resident(world):
    first = file(world["student"])
    with pytest.raises(IntegrityError), transaction.atomic():
        MoveOutRequest.objects.create(
            resident=first.resident, stay=first.stay, planned_date=TODAY(), reason="other"
        )


def test_without_an_active_stay_nothing_is_filed(world):
    Stay.objects.filter(resident=world["student"]).update(status=Stay.Status.RESERVED)
    with pytest.raises(move_out.NoActiveStay):
        file(world["student"])
    assert not MoveOutRequest.objects.exists()


@pytest.mark.parametrize("days", [-1, 366])
def test_dates_in_the_past_or_beyond_a_year_are_invalid(world, days):
    with pytest.raises(move_out.MoveOutInvalid) as error:
        file(world["student"], days=days)
    assert error.value.field == "planned_date"


def test_an_unknown_reason_is_invalid(world):
    with pytest.raises(move_out.MoveOutInvalid):
        file(world["student"], reason="bored")


def test_cancel_only_while_requested_then_a_new_one_may_be_filed(world):
    request = file(world["student"])
    move_out.move_out_cancel(actor=world["student"].user, move_out_request=request)
    request.refresh_from_db()
    assert request.status == MoveOutRequest.Status.CANCELLED
    again = file(world["student"])
    move_out.move_out_schedule(
        actor=world["manager"],
        move_out_request=again,
        inspection_at=timezone.now() + dt.timedelta(days=2),
    )
    with pytest.raises(move_out.WrongStatus):
        move_out.move_out_cancel(actor=world["student"].user, move_out_request=again)


def test_schedule_sets_the_inspection_and_is_audited(world):
    request = file(world["student"])
    at = timezone.now() + dt.timedelta(days=3)
    move_out.move_out_schedule(actor=world["manager"], move_out_request=request, inspection_at=at)
    request.refresh_from_db()
    assert request.status == MoveOutRequest.Status.SCHEDULED
    assert request.inspection_at == at
    assert AuditEvent.objects.filter(action="move_out.schedule", actor=world["manager"]).exists()
    with pytest.raises(move_out.MoveOutInvalid):
        move_out.move_out_schedule(
            actor=world["manager"],
            move_out_request=request,
            inspection_at=timezone.now() - dt.timedelta(days=1),
        )


# --- Which notices concern whom ----------------------------------------------------------------


def test_a_notice_concerns_its_group_only(world):
    student = world["student"]
    matching = notice(graduation_year=2026, categories=["undergraduate"], campus=world["songbei"])
    everyone = notice(title="全体", graduation_year=None)
    notice(title="其他年级", graduation_year=2027)
    notice(title="其他校区", campus=world["jiangnan"])
    notice(title="研究生", categories=["postgraduate", "doctoral"])
    notice(title="草稿", published_at=None)
    notice(
        title="已结束",
        move_out_from=TODAY() - dt.timedelta(days=30),
        move_out_until=TODAY() - dt.timedelta(days=1),
    )
    assert set(move_out.notices_concerning(student)) == {matching, everyone}


def test_a_resident_without_a_group_sees_only_notices_for_everyone(world):
    student = world["student"]
    student.graduation_year = None
    student.save()
    notice(graduation_year=2026)
    general = notice(title="全体")
    assert list(move_out.notices_concerning(student)) == [general]


# --- The resident's pages ----------------------------------------------------------------------


def test_anonymous_goes_to_sign_in(client, world):
    for name in ["apartments:my_move_out", "apartments:move_out_list"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_student_files_follows_and_cancels_in_the_browser(client, world):
    client.force_login(world["student"].user)
    page = client.get(reverse("apartments:my_move_out"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="move-out-form"' in page.content.decode()
    planned = (TODAY() + dt.timedelta(days=7)).isoformat()
    response = client.post(
        reverse("apartments:my_move_out_file"),
        {"planned_date": planned, "reason": "graduation", "note": "下午走"},
    )
    request = MoveOutRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("apartments:move_out_request", args=[request.pk])
    detail = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Request filed" in detail
    assert 'data-testid="cancel"' in detail
    mine = client.get(reverse("apartments:my_move_out")).content.decode()
    assert 'data-testid="open-request"' in mine
    assert 'data-testid="move-out-form"' not in mine

    client.post(reverse("apartments:move_out_cancel", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == MoveOutRequest.Status.CANCELLED
    history = client.get(reverse("apartments:move_out_request", args=[request.pk]))
    assert "Request cancelled" in history.content.decode() or "已撤销" in history.content.decode()


def test_a_past_date_is_shown_back_on_the_form(client, world):
    client.force_login(world["student"].user)
    response = client.post(
        reverse("apartments:my_move_out_file"),
        {"planned_date": (TODAY() - dt.timedelta(days=1)).isoformat(), "reason": "graduation"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "cannot be in the past" in response.content.decode()
    assert not MoveOutRequest.objects.exists()


def test_a_second_request_gets_a_clear_message(client, world):
    file(world["student"])
    client.force_login(world["student"].user)
    response = client.post(
        reverse("apartments:my_move_out_file"),
        {"planned_date": (TODAY() + dt.timedelta(days=3)).isoformat(), "reason": "other"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert "already have a move-out request under way" in response.content.decode()
    assert MoveOutRequest.objects.count() == 1


def test_a_student_without_a_room_is_told_so(client, world):
    Stay.objects.filter(resident=world["student"]).delete()
    client.force_login(world["student"].user)
    page = client.get(reverse("apartments:my_move_out")).content.decode()
    assert 'data-testid="move-out-no-stay"' in page


def test_another_students_request_is_404(client, world):
    request = file(world["student"])
    client.force_login(world["roommate"].user)
    assert client.get(reverse("apartments:move_out_request", args=[request.pk])).status_code == 404
    response = client.post(reverse("apartments:move_out_cancel", args=[request.pk]))
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == MoveOutRequest.Status.REQUESTED


# --- Managers ----------------------------------------------------------------------------------


def test_manager_of_another_building_gets_404(client, world):
    request = file(world["student"])
    client.force_login(world["other_manager"])
    url = reverse("apartments:move_out_request", args=[request.pk])
    assert client.get(url).status_code == 404
    schedule = reverse("apartments:move_out_schedule", args=[request.pk])
    assert client.post(schedule, {"inspection_at": "2099-01-01T09:00"}).status_code == 404
    listed = client.get(reverse("apartments:move_out_list")).content.decode()
    assert world["student"].name not in listed


def test_right_manager_sees_and_schedules(client, world):
    request = file(world["student"])
    client.force_login(world["manager"])
    listed = client.get(reverse("apartments:move_out_list")).content.decode()
    assert world["student"].name in listed
    url = reverse("apartments:move_out_request", args=[request.pk])
    assert 'data-testid="schedule-form"' in client.get(url).content.decode()
    at = timezone.localtime() + dt.timedelta(days=2)
    response = client.post(
        reverse("apartments:move_out_schedule", args=[request.pk]),
        {"inspection_at": at.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == MoveOutRequest.Status.SCHEDULED


def test_admin_sees_every_request(client, world):
    file(world["student"])
    file(world["elsewhere"])
    client.force_login(world["admin"])
    page = client.get(reverse("apartments:move_out_list")).content.decode()
    assert world["student"].name in page and world["elsewhere"].name in page


def test_students_and_other_roles_do_not_get_the_managers_pages(client, world):
    client.force_login(world["student"].user)
    for name in ["apartments:move_out_list", "apartments:move_out_board"]:
        assert client.get(reverse(name)).status_code == 404
    client.force_login(user_with_role(Role.TECHNICIAN))
    assert client.get(reverse("apartments:move_out_list")).status_code == 404


def test_the_list_filters(client, world):
    file(world["student"])
    file(world["roommate"], days=30)
    client.force_login(world["admin"])
    soon = (TODAY() + dt.timedelta(days=20)).isoformat()
    page = client.get(reverse("apartments:move_out_list"), {"planned_until": soon})
    assert page.context["page"].paginator.count == 1
    page = client.get(reverse("apartments:move_out_list"), {"status": "scheduled"})
    assert page.context["page"].paginator.count == 0
    page = client.get(reverse("apartments:move_out_list"), {"building": world["S01"].pk})
    assert page.context["page"].paginator.count == 2
    page = client.get(reverse("apartments:move_out_list"), {"year": 2027})
    assert page.context["page"].paginator.count == 0


def test_the_list_query_count_does_not_grow(client, world, django_assert_num_queries):
    client.force_login(world["admin"])
    graduates = graduates_in(world["S01"], 60, year=2026, prefix="L")
    requests_for(graduates, ["requested"])
    # A first visit puts the bell's unread count into the cache.
    client.get(reverse("apartments:move_out_list"))
    # session, user with role grants, count, the building filter's choices, the page of requests
    # with resident, stay, bed, room, building and campus
    with django_assert_num_queries(5):
        response = client.get(reverse("apartments:move_out_list"))
    assert len(response.context["page"].object_list) == move_out.REQUESTS_PAGE_SIZE


def test_get_never_changes_anything(client, world):
    request = file(world["student"])
    notice_ = notice(published_at=None)
    before = (AuditEvent.objects.count(), MoveOutRequest.objects.filter(status="requested").count())
    client.force_login(world["admin"])
    for url in [
        reverse("apartments:move_out_cancel", args=[request.pk]),
        reverse("apartments:move_out_schedule", args=[request.pk]),
        reverse("apartments:move_out_notice_publish", args=[notice_.pk]),
    ]:
        assert client.get(url).status_code == 405
    client.force_login(world["student"].user)
    assert client.get(reverse("apartments:my_move_out_file")).status_code == 405
    after = (AuditEvent.objects.count(), MoveOutRequest.objects.filter(status="requested").count())
    assert before == after
    notice_.refresh_from_db()
    assert notice_.published_at is None


# --- The board ---------------------------------------------------------------------------------


STATUSES = ["requested", "scheduled", "inspected", "cleared", "left", None, "cancelled"]


def test_the_board_counts_a_group_by_building(world):
    graduates = graduates_in(world["S01"], 14, year=2026, prefix="G")
    requests_for(graduates, STATUSES)
    graduates_in(world["S01"], 3, year=2027, prefix="H")  # another group: not counted
    rows = move_out.move_out_board(world["admin"], 2026)
    by_code = {row.building.code if row.building else "total": row for row in rows}
    s1 = by_code["S01"]
    # 14 bulk graduates + the student and the roommate of the fixture
    assert s1.residents == 16
    assert s1.counts == {
        "requested": 2,
        "scheduled": 2,
        "inspected": 2,
        "cleared": 2,
        "left": 2,
    }
    assert s1.not_requested == 2 + 2 + 2  # none, cancelled, and the two of the fixture
    assert by_code["S02"].residents == 1
    assert by_code["total"].residents == 17


def test_the_board_shows_only_the_managers_buildings(world):
    rows = move_out.move_out_board(world["manager"], 2026)
    assert [row.building.code for row in rows[:-1]] == ["S01"]
    assert rows[-1].residents == 2


@pytest.mark.parametrize("n", [10, 500])
def test_the_board_query_count_does_not_grow(client, world, n, django_assert_num_queries):
    graduates = graduates_in(world["S01"], n, year=2026, prefix="Q")
    requests_for(graduates, STATUSES)
    client.force_login(world["admin"])
    # A first visit puts the bell's unread count into the cache.
    client.get(reverse("apartments:move_out_board"), {"year": 2026})
    # session, user with role grants, graduation years, the grouped counts, the buildings
    with django_assert_num_queries(5):
        response = client.get(reverse("apartments:move_out_board"), {"year": 2026})
    assert response.context["total"].residents == n + 3


def test_the_board_for_5000_graduates_takes_the_same_queries(world, django_assert_num_queries):
    """Not timed: the work is two queries whatever the size of the group."""
    graduates = graduates_in(world["S01"], 5000, year=2026, prefix="K")
    requests_for(graduates, STATUSES)
    admin = world["admin"]
    move_out.move_out_board(admin, 2026)  # reads the role grants once
    # the grouped counts, the buildings
    with django_assert_num_queries(2):
        rows = move_out.move_out_board(admin, 2026)
    assert rows[-1].residents == 5003


# --- Notices -----------------------------------------------------------------------------------


def notice_post(**over):
    data = {
        "title": "退宿须知",
        "title_en": "Move-out notice",
        "body": "第一行\n<script>alert(1)</script>",
        "body_en": "Line one\nline two",
        "campus": "",
        "categories": ["undergraduate"],
        "graduation_year": "2026",
        "move_out_from": TODAY().isoformat(),
        "move_out_until": (TODAY() + dt.timedelta(days=10)).isoformat(),
    }
    data.update(over)
    return data


def test_admin_writes_and_publishes_a_notice_residents_see_it_safely(client, world):
    client.force_login(world["admin"])
    response = client.post(reverse("apartments:move_out_notice_new"), notice_post())
    created = MoveOutNotice.objects.get()
    assert response.status_code == 302
    assert created.published_at is None
    client.post(reverse("apartments:move_out_notice_publish", args=[created.pk]), {"publish": "1"})
    created.refresh_from_db()
    assert created.published_at is not None

    client.force_login(world["student"].user)
    page = client.get(reverse("apartments:move_out_notice", args=[created.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert "第一行<br>" in page

    client.force_login(world["admin"])
    client.post(reverse("apartments:move_out_notice_publish", args=[created.pk]), {"publish": "0"})
    client.force_login(world["student"].user)
    assert client.get(reverse("apartments:move_out_notice", args=[created.pk])).status_code == 404


def test_dates_out_of_order_are_refused(client, world):
    client.force_login(world["admin"])
    response = client.post(
        reverse("apartments:move_out_notice_new"),
        notice_post(move_out_until=(TODAY() - dt.timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 400
    assert not MoveOutNotice.objects.exists()


def test_dorm_managers_read_notices_but_do_not_write_them(client, world):
    draft = notice(published_at=None)
    client.force_login(world["manager"])
    assert client.get(reverse("apartments:move_out_notices")).status_code == 200
    assert client.get(reverse("apartments:move_out_notice", args=[draft.pk])).status_code == 200
    assert client.get(reverse("apartments:move_out_notice_new")).status_code == 404
    publish = reverse("apartments:move_out_notice_publish", args=[draft.pk])
    assert client.post(publish, {"publish": "1"}).status_code == 404


def test_an_apartment_head_writes_for_their_campus_only(client, world):
    from tests.factories import DepartmentFactory

    department = DepartmentFactory(code="apartments", areas=["apartments"])
    head = user_with_role(Role.DEPARTMENT_HEAD, campus=world["songbei"], department=department)
    theirs = notice(campus=world["songbei"])
    others = notice(campus=world["jiangnan"])
    client.force_login(head)
    assert (
        client.get(reverse("apartments:move_out_notice_edit", args=[theirs.pk])).status_code == 200
    )
    assert (
        client.get(reverse("apartments:move_out_notice_edit", args=[others.pk])).status_code == 404
    )
    response = client.post(
        reverse("apartments:move_out_notice_new"), notice_post(campus=world["jiangnan"].pk)
    )
    assert response.status_code == 400


def test_residents_not_concerned_get_404_on_a_notice(client, world):
    for_2027 = notice(graduation_year=2027)
    client.force_login(world["student"].user)
    assert client.get(reverse("apartments:move_out_notice", args=[for_2027.pk])).status_code == 404
