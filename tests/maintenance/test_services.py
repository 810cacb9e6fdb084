"""The rules of a repair request's life (maintenance.services), one at a time: who may file
where, what a filing must hold, who may dispatch, start, finish, reopen, confirm, rate, merge
and cancel, and that every step leaves a timeline event, an audit record and the right
notifications."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from logistics.models import AuditEvent, Notification, Role
from maintenance import notifications as kinds
from maintenance import services
from maintenance.models import Ticket, TicketEvent, TicketPhoto, Urgency
from maintenance.selectors import tickets_for
from maintenance.services import NotAllowed, RepairError, RepairInvalid, WrongStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_settings(settings):
    settings.REPAIR_CONFIRM_DAYS = 3
    settings.REPAIR_FOLLOW_UP_RATING = 2
    with translation.override("en"):
        yield


# --- Helpers: a ticket brought to a state through the services ----------------------------------


def _file(reporter, code="plumbing", **fields):
    fields.setdefault("description", "水龙头漏水")
    return services.ticket_file(reporter=reporter, category=f.category(code), **fields)


def _assigned(reporter, dispatcher, technician, **fields):
    ticket = _file(reporter, **fields)
    return services.ticket_assign(actor=dispatcher, ticket=ticket, technician=technician)


def _in_progress(reporter, dispatcher, technician, **fields):
    ticket = _assigned(reporter, dispatcher, technician, **fields)
    return services.ticket_start(actor=technician, ticket=ticket)


def _done(reporter, dispatcher, technician, labour=30, **fields):
    ticket = _in_progress(reporter, dispatcher, technician, **fields)
    return services.ticket_finish(actor=technician, ticket=ticket, labour_minutes=labour)


def _reload(ticket):
    return Ticket.objects.get(pk=ticket.pk)


def _told(user, kind=None):
    """The kinds of notification `user` received, oldest first (or only those of `kind`)."""
    rows = Notification.objects.filter(recipient=user).order_by("id")
    if kind is not None:
        rows = rows.filter(kind=kind.key)
    return list(rows.values_list("kind", flat=True))


def _events(ticket):
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


def _audits(ticket):
    return list(
        AuditEvent.objects.filter(target_type__model="ticket", target_id=str(ticket.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def _png(name="fault.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def area(campus, building):
    return f.PublicAreaFactory(campus=campus, building=building, name="洗衣房", code="LAUNDRY")


@pytest.fixture
def other_room(building):
    return f.RoomFactory(building=building, number="102")


@pytest.fixture
def other_campus_area(other_campus):
    return f.PublicAreaFactory(campus=other_campus, name="江南水房", code="WATER")


@pytest.fixture
def electrician(campus):
    return f.technician(campus, skills=["electrical"], username="electric1", full_name="李师傅")


# --- Filing: who may report where ----------------------------------------------------------------


def test_a_resident_reports_for_their_own_room_not_another(student, room, other_room):
    assert services.place_problem(student, room=room, area=None) == ""
    problem = services.place_problem(student, room=other_room, area=None)
    assert problem == "You can report faults only for the room you live in, or a public area."


def test_a_resident_reports_public_areas_of_their_own_campus_only(student, area, other_campus_area):
    assert services.place_problem(student, room=None, area=area) == ""
    assert services.place_problem(student, room=None, area=other_campus_area) == (
        "You cannot report faults for this place."
    )


def test_a_resident_without_a_room_yet_reports_public_areas_of_their_campus(campus, area):
    # Registered on the campus, not yet checked in.
    newcomer = f.ResidentFactory(campus=campus).user
    assert services.place_problem(newcomer, room=None, area=area) == ""


def test_a_dorm_manager_reports_for_the_buildings_they_look_after(campus, building, room, area):
    manager = f.user_with_role(Role.DORM_MANAGER, campus=campus)
    f.BuildingAssignmentFactory(building=building, user=manager)
    elsewhere = f.RoomFactory(building=f.BuildingFactory(campus=campus))
    outside = f.PublicAreaFactory(campus=campus, building=None)

    assert services.place_problem(manager, room=room, area=None) == ""
    assert services.place_problem(manager, room=None, area=area) == ""
    assert services.place_problem(manager, room=elsewhere, area=None) != ""
    assert services.place_problem(manager, room=None, area=outside) != ""


def test_a_dispatcher_reports_anywhere_on_their_campus_only(
    dispatcher, room, area, other_campus_area
):
    outside = f.PublicAreaFactory(campus=room.building.campus, building=None)
    assert services.place_problem(dispatcher, room=room, area=None) == ""
    assert services.place_problem(dispatcher, room=None, area=area) == ""
    assert services.place_problem(dispatcher, room=None, area=outside) == ""
    assert services.place_problem(dispatcher, room=None, area=other_campus_area) != ""


def test_an_administrator_reports_anywhere(admin, room, other_campus_area):
    assert services.place_problem(admin, room=room, area=None) == ""
    assert services.place_problem(admin, room=None, area=other_campus_area) == ""


def test_someone_without_a_role_reports_nowhere(room, area):
    stranger = f.UserFactory()
    assert services.place_problem(stranger, room=room, area=None) != ""
    assert services.place_problem(stranger, room=None, area=area) != ""


def test_exactly_one_place_is_needed(student, room, area):
    message = "Choose the room or the public area of the fault."
    assert services.place_problem(student, room=None, area=None) == message
    assert services.place_problem(student, room=room, area=area) == message


def test_a_refused_place_is_refused_by_the_service_too(student, other_room, other_campus_area):
    with pytest.raises(RepairInvalid) as room_error:
        _file(student, room=other_room)
    assert room_error.value.field == "room" and room_error.value.status_code == 400
    with pytest.raises(RepairInvalid) as area_error:
        _file(student, area=other_campus_area)
    assert area_error.value.field == "area"
    assert not Ticket.objects.exists()


# --- Filing: what a request holds ----------------------------------------------------------------


def test_filing_without_a_place_takes_the_reporters_room(student, room, campus, building):
    # When a resident files without naming a place
    ticket = _file(student, description="  水龙头漏水  ", contact_phone=" 13800000000 ")

    # Then it is for their room, on its campus and building, waiting for dispatch
    assert (ticket.room, ticket.area, ticket.building, ticket.campus) == (
        room,
        None,
        building,
        campus,
    )
    assert ticket.status == Ticket.Status.SUBMITTED
    assert ticket.description == "水龙头漏水"
    assert ticket.contact_phone == "13800000000"
    assert ticket.urgency == Urgency.NORMAL
    # and its first step is on the timeline and in the audit trail
    assert _events(ticket) == [TicketEvent.Kind.FILED]
    assert ticket.events.get().actor == student
    assert _audits(ticket) == ["repair.file"]


def test_filing_without_a_place_needs_a_room(campus):
    newcomer = f.ResidentFactory(campus=campus).user
    with pytest.raises(RepairInvalid) as error:
        _file(newcomer)
    assert error.value.field == "room"
    assert "do not live in a room" in error.value.message


def test_a_public_area_ticket_takes_its_campus_and_building(student, area, campus, building):
    ticket = _file(student, area=area)
    assert (ticket.room, ticket.area, ticket.building, ticket.campus) == (
        None,
        area,
        building,
        campus,
    )


def test_an_area_outside_the_buildings_has_no_building(dispatcher, campus):
    gate = f.PublicAreaFactory(campus=campus, building=None, name="南门")
    ticket = _file(dispatcher, area=gate)
    assert ticket.building is None and ticket.campus == campus


@pytest.mark.parametrize("description", ["", "   ", None, "x" * 1001])
def test_the_description_must_be_given_and_not_too_long(student, description):
    with pytest.raises(RepairInvalid) as error:
        _file(student, description=description)
    assert error.value.field == "description"
    assert not Ticket.objects.exists()


def test_a_description_of_the_maximum_length_is_accepted(student):
    assert len(_file(student, description="漏" * 1000).description) == 1000


def test_long_optional_fields_are_cut_to_their_columns(student):
    ticket = _file(student, available_times="晚上" * 200, contact_phone="1" * 100)
    assert len(ticket.available_times) == 200 and len(ticket.contact_phone) == 30


def test_an_inactive_category_takes_no_requests(student):
    kind = f.category("furniture")
    kind.is_active = False
    kind.save()
    with pytest.raises(RepairInvalid) as error:
        _file(student, code="furniture")
    assert error.value.field == "category"


def test_at_most_three_photos(student):
    with pytest.raises(RepairInvalid) as error:
        _file(student, photos=[_png(), _png(), _png(), _png()])
    assert error.value.field == "photos"
    assert not Ticket.objects.exists()

    ticket = _file(student, photos=[_png(), None, _png(), _png()])  # empty inputs are skipped
    assert ticket.photos.filter(kind=TicketPhoto.Kind.FAULT).count() == 3


def test_a_file_that_is_not_a_photo_files_nothing(student):
    fake = SimpleUploadedFile("fault.jpg", b"<?php evil(); ?>", content_type="image/jpeg")
    with pytest.raises(RepairInvalid) as error:
        _file(student, photos=[fake])
    assert error.value.field == "photos" and error.value.status_code == 400
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


def test_the_same_fault_twice_is_refused_but_a_roommates_report_is_not(student, roommate):
    # Given a resident's open request for a leaking tap
    first = _file(student)

    # When they report it again, it is refused with the number of the one under way
    with pytest.raises(RepairError) as error:
        _file(student)
    assert error.value.status_code == 409
    assert error.value.field == "category"
    assert first.number in error.value.message

    # but a roommate may report it (the dispatcher merges them), and another kind of fault too
    assert _file(roommate).reporter == roommate
    assert _file(student, code="electrical").category.code == "electrical"


def test_a_fault_may_be_reported_again_once_the_first_request_is_over(student):
    first = _file(student)
    services.ticket_cancel(actor=student, ticket=first, reason="")
    assert _file(student).pk != first.pk


def test_a_reporter_has_at_most_ten_requests_under_way(student, campus, building):
    # Given ten open requests for ten public areas, and one closed
    for _ in range(services.MAX_OPEN_PER_REPORTER):
        f.ticket(area=f.PublicAreaFactory(campus=campus, building=building), reporter=student)
    f.ticket(
        area=f.PublicAreaFactory(campus=campus, building=building),
        reporter=student,
        status=Ticket.Status.CLOSED,
    )

    # When they file an eleventh, it is refused
    with pytest.raises(RepairError) as error:
        _file(student)
    assert error.value.status_code == 409
    assert "10 repair requests under way" in error.value.message

    # and once one is finished, they may file again
    one = Ticket.objects.filter(reporter=student, status=Ticket.Status.SUBMITTED).first()
    Ticket.objects.filter(pk=one.pk).update(status=Ticket.Status.DONE)
    assert _file(student).status == Ticket.Status.SUBMITTED


def test_deadlines_come_from_the_category_and_stay_when_it_changes_later(student):
    # Given the doors-and-locks category promises 30 minutes and 8 hours
    kind = f.category("doors_locks")
    before = timezone.now()
    ticket = _file(student, code="doors_locks")
    after = timezone.now()

    # Then the request's promise is computed from it when filed
    assert before + timedelta(minutes=30) <= ticket.respond_by <= after + timedelta(minutes=30)
    assert before + timedelta(hours=8) <= ticket.complete_by <= after + timedelta(hours=8)

    # When the center changes the category's limits later, the promise made stays
    promised = (ticket.respond_by, ticket.complete_by)
    kind.response_minutes, kind.completion_hours = 5, 1
    kind.save()
    ticket = _reload(ticket)
    assert (ticket.respond_by, ticket.complete_by) == promised


# --- Dispatch --------------------------------------------------------------------------------


def test_the_campus_dispatcher_assigns_a_technician_and_everyone_is_told(
    student, dispatcher, plumber
):
    ticket = _file(student)

    before = timezone.now()
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber, note=" 尽快 ")

    ticket = _reload(ticket)
    assert ticket.status == Ticket.Status.ASSIGNED
    assert ticket.technician == plumber
    assert ticket.assigned_at >= before
    event = ticket.events.get(kind=TicketEvent.Kind.ASSIGNED)
    assert event.actor == dispatcher and event.note == "尽快"
    assert _audits(ticket) == ["repair.file", "repair.assign"]
    assert _told(student) == [kinds.ASSIGNED.key]
    assert _told(plumber) == [kinds.JOB_ASSIGNED.key]
    told = Notification.objects.get(recipient=student)
    assert told.params == {"number": ticket.number, "technician": "王师傅"}
    assert told.url == f"/repairs/{ticket.pk}/"


def test_without_a_note_the_event_names_the_technician(student, dispatcher, plumber):
    ticket = _assigned(student, dispatcher, plumber)
    assert ticket.events.get(kind=TicketEvent.Kind.ASSIGNED).note == "王师傅"


def test_only_a_dispatcher_of_the_tickets_campus_assigns(
    student, plumber, other_dispatcher, campus
):
    ticket = _file(student)
    head = f.user_with_role(
        Role.DEPARTMENT_HEAD,
        campus=campus,
        department=f.DepartmentFactory(code="maintenance", areas=["maintenance_utilities"]),
    )
    for actor in [other_dispatcher, student, plumber, f.UserFactory()]:
        with pytest.raises(NotAllowed):
            services.ticket_assign(actor=actor, ticket=ticket, technician=plumber)
    assert _reload(ticket).status == Ticket.Status.SUBMITTED
    # The head of the maintenance department of the campus dispatches as well.
    services.ticket_assign(actor=head, ticket=ticket, technician=plumber)
    assert _reload(ticket).technician == plumber


def test_only_a_technician_on_duty_on_the_campus_can_be_given_the_job(
    student, dispatcher, other_campus
):
    ticket = _file(student)
    elsewhere = f.technician(other_campus)
    off_duty = f.technician(ticket.campus)
    off_duty.technician.is_active = False
    off_duty.technician.save()
    left = f.technician(ticket.campus, is_active=False)
    not_on_roster = f.user_with_role(Role.TECHNICIAN, campus=ticket.campus)

    for candidate in [elsewhere, off_duty, left, not_on_roster, student]:
        with pytest.raises(RepairInvalid) as error:
            services.ticket_assign(actor=dispatcher, ticket=ticket, technician=candidate)
        assert error.value.field == "technician"
    assert _reload(ticket).technician is None
    assert not Notification.objects.exists()


def test_assigning_to_the_same_technician_again_is_refused(student, dispatcher, plumber):
    ticket = _assigned(student, dispatcher, plumber)
    with pytest.raises(RepairInvalid):
        services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber)


def test_a_finished_repair_cannot_be_assigned(student, dispatcher, plumber, electrician):
    ticket = _done(student, dispatcher, plumber)
    with pytest.raises(WrongStatus):
        services.ticket_assign(actor=dispatcher, ticket=ticket, technician=electrician)


def test_reassigning_tells_the_previous_technician_the_job_is_no_longer_theirs(
    student, dispatcher, plumber, electrician
):
    # Given a job under way with the plumber
    ticket = _in_progress(student, dispatcher, plumber)

    # When the dispatcher hands it to the electrician
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=electrician)

    # Then it is theirs, waiting for them to start on site (the first start stays on record),
    # and the plumber is told it was withdrawn
    first_start = ticket.started_at
    ticket = _reload(ticket)
    assert ticket.technician == electrician and ticket.status == Ticket.Status.ASSIGNED
    assert ticket.started_at == first_start is not None
    services.ticket_start(actor=electrician, ticket=ticket)
    assert _reload(ticket).started_at == first_start
    assert TicketEvent.Kind.REASSIGNED in _events(ticket)
    assert _told(plumber) == [kinds.JOB_ASSIGNED.key, kinds.JOB_WITHDRAWN.key]
    assert _told(electrician) == [kinds.JOB_ASSIGNED.key]
    assert _told(student, kinds.ASSIGNED) == [kinds.ASSIGNED.key] * 2
    audit = AuditEvent.objects.filter(action="repair.assign").order_by("id").last()
    assert audit.changes == {"technician": ["plumber1", "electric1"]}


def test_the_dispatcher_sets_the_urgency(student, dispatcher, other_dispatcher):
    ticket = _file(student)
    with pytest.raises(NotAllowed):
        services.ticket_set_urgency(actor=other_dispatcher, ticket=ticket, urgency="urgent")
    with pytest.raises(RepairInvalid):
        services.ticket_set_urgency(actor=dispatcher, ticket=ticket, urgency="whenever")

    services.ticket_set_urgency(actor=dispatcher, ticket=ticket, urgency=Urgency.URGENT)
    services.ticket_set_urgency(actor=dispatcher, ticket=ticket, urgency=Urgency.URGENT)

    ticket = _reload(ticket)
    assert ticket.urgency == Urgency.URGENT
    assert _events(ticket).count(TicketEvent.Kind.URGENCY) == 1  # the repeat changed nothing
    assert _audits(ticket).count("repair.urgency") == 1


# --- The technician's work --------------------------------------------------------------------


def test_only_the_assigned_technician_starts_and_only_an_assigned_job(
    student, dispatcher, plumber, electrician
):
    submitted = _file(student, code="electrical")
    with pytest.raises(NotAllowed):  # nobody's job yet
        services.ticket_start(actor=plumber, ticket=submitted)

    ticket = _assigned(student, dispatcher, plumber)
    with pytest.raises(NotAllowed):
        services.ticket_start(actor=electrician, ticket=ticket)

    before = timezone.now()
    services.ticket_start(actor=plumber, ticket=ticket)
    ticket = _reload(ticket)
    assert ticket.status == Ticket.Status.IN_PROGRESS and ticket.started_at >= before
    assert _told(student, kinds.STARTED) == [kinds.STARTED.key]
    assert _audits(ticket)[-1] == "repair.start"

    with pytest.raises(WrongStatus):  # already started
        services.ticket_start(actor=plumber, ticket=ticket)


def test_only_the_assigned_technician_finishes_and_only_a_started_job(
    student, dispatcher, plumber, electrician
):
    ticket = _assigned(student, dispatcher, plumber)
    with pytest.raises(WrongStatus):
        services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=30)
    services.ticket_start(actor=plumber, ticket=ticket)
    with pytest.raises(NotAllowed):
        services.ticket_finish(actor=electrician, ticket=ticket, labour_minutes=30)

    services.ticket_finish(
        actor=plumber, ticket=ticket, labour_minutes="45", work_note=" 换垫片 ", photos=[_png()]
    )

    ticket = _reload(ticket)
    assert ticket.status == Ticket.Status.DONE and ticket.finished_at is not None
    assert ticket.labour_minutes == 45 and ticket.work_note == "换垫片"
    assert ticket.photos.filter(kind=TicketPhoto.Kind.RESULT).count() == 1
    assert ticket.events.get(kind=TicketEvent.Kind.FINISHED).note == "换垫片"
    finished = Notification.objects.get(recipient=student, kind=kinds.FINISHED.key)
    assert finished.params == {"number": ticket.number, "days": 3}
    with pytest.raises(WrongStatus):
        services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=30)


@pytest.mark.parametrize("labour", [0, -5, 24 * 60 + 1, "abc", None, "", "1.5"])
def test_labour_must_be_whole_minutes_within_a_day(student, dispatcher, plumber, labour):
    ticket = _in_progress(student, dispatcher, plumber)
    with pytest.raises(RepairInvalid) as error:
        services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=labour)
    assert error.value.field == "labour_minutes"
    assert _reload(ticket).status == Ticket.Status.IN_PROGRESS


@pytest.mark.parametrize("labour", [1, 24 * 60])
def test_labour_bounds_are_inclusive(student, dispatcher, plumber, labour):
    ticket = _in_progress(student, dispatcher, plumber)
    services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=labour)
    assert _reload(ticket).labour_minutes == labour


def test_finishing_refuses_a_long_note_and_too_many_photos(student, dispatcher, plumber):
    ticket = _in_progress(student, dispatcher, plumber)
    with pytest.raises(RepairInvalid) as note:
        services.ticket_finish(
            actor=plumber, ticket=ticket, labour_minutes=30, work_note="x" * 1001
        )
    assert note.value.field == "work_note"
    with pytest.raises(RepairInvalid) as photos:
        services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=30, photos=[_png()] * 4)
    assert photos.value.field == "photos"
    assert _reload(ticket).status == Ticket.Status.IN_PROGRESS


# --- The reporter's judgement: reopen, confirm, rate --------------------------------------------


def test_the_reporter_reopens_a_repair_that_did_not_hold(student, dispatcher, plumber):
    ticket = _done(student, dispatcher, plumber)

    services.ticket_reopen(actor=student, ticket=ticket, reason=" 还在漏 ")

    ticket = _reload(ticket)
    assert ticket.status == Ticket.Status.ASSIGNED
    assert ticket.finished_at is None and ticket.reopened_count == 1
    assert ticket.technician == plumber
    assert ticket.events.get(kind=TicketEvent.Kind.REOPENED).note == "还在漏"
    assert _audits(ticket)[-1] == "repair.reopen"
    reopened = Notification.objects.get(recipient=plumber, kind=kinds.REOPENED.key)
    assert reopened.params == {"number": ticket.number, "reason": "还在漏"}


def test_a_reopened_job_keeps_its_first_start_and_adds_up_its_labour(student, dispatcher, plumber):
    # Given a repair done in 30 minutes and reopened
    ticket = _done(student, dispatcher, plumber, labour=30)
    first_start = _reload(ticket).started_at
    services.ticket_reopen(actor=student, ticket=ticket, reason="还在漏")

    # When the technician comes back and works 20 minutes more
    services.ticket_start(actor=plumber, ticket=ticket)
    services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=20, work_note="换阀芯")

    # Then the response time is the first visit's, the labour both visits'
    ticket = _reload(ticket)
    assert ticket.started_at == first_start
    assert ticket.labour_minutes == 50
    assert ticket.work_note == "换阀芯"
    assert ticket.status == Ticket.Status.DONE
    assert _events(ticket).count(TicketEvent.Kind.STARTED) == 2


def test_only_the_reporter_reopens_with_a_reason_within_the_window(
    student, roommate, dispatcher, plumber
):
    ticket = _done(student, dispatcher, plumber)
    with pytest.raises(RepairInvalid):
        services.ticket_reopen(actor=student, ticket=ticket, reason="  ")
    for someone in [roommate, plumber, dispatcher]:
        with pytest.raises(NotAllowed):
            services.ticket_reopen(actor=someone, ticket=ticket, reason="还在漏")

    # Past REPAIR_CONFIRM_DAYS the reporter is sent to file a new request
    Ticket.objects.filter(pk=ticket.pk).update(
        finished_at=timezone.now() - timedelta(days=3, minutes=1)
    )
    with pytest.raises(WrongStatus) as error:
        services.ticket_reopen(actor=student, ticket=ticket, reason="还在漏")
    assert "file a new request" in error.value.message
    assert _reload(ticket).status == Ticket.Status.DONE


def test_only_a_repair_waiting_for_confirmation_can_be_reopened(student, dispatcher, plumber):
    ticket = _in_progress(student, dispatcher, plumber)
    with pytest.raises(WrongStatus):
        services.ticket_reopen(actor=student, ticket=ticket, reason="还在漏")


def test_the_reporter_confirms_and_rates_and_the_technician_is_told(student, dispatcher, plumber):
    ticket = _done(student, dispatcher, plumber)

    services.ticket_confirm(actor=student, ticket=ticket, rating="5", comment=" 很好 ")

    ticket = _reload(ticket)
    assert ticket.status == Ticket.Status.CLOSED and ticket.closed_at is not None
    assert (ticket.rating, ticket.rating_comment) == (5, "很好")
    assert ticket.rated_at is not None and not ticket.follow_up_needed
    assert not ticket.auto_confirmed
    assert _events(ticket)[-2:] == [TicketEvent.Kind.CONFIRMED, TicketEvent.Kind.RATED]
    assert ticket.events.get(kind=TicketEvent.Kind.RATED).note == "5/5 很好"
    assert _audits(ticket)[-1] == "repair.rate"
    rated = Notification.objects.get(recipient=plumber, kind=kinds.RATED.key)
    assert rated.params == {"number": ticket.number, "rating": 5}


def test_a_roommate_cannot_confirm_a_repair_they_did_not_report(
    student, roommate, dispatcher, plumber
):
    ticket = _done(student, dispatcher, plumber)
    with pytest.raises(NotAllowed):
        services.ticket_confirm(actor=roommate, ticket=ticket, rating=5)
    assert _reload(ticket).status == Ticket.Status.DONE


def test_a_repair_is_confirmed_once(student, dispatcher, plumber):
    ticket = _done(student, dispatcher, plumber)
    services.ticket_confirm(actor=student, ticket=ticket, rating=4)
    with pytest.raises(WrongStatus) as error:
        services.ticket_confirm(actor=student, ticket=ticket, rating=1)
    assert "already rated" in error.value.message
    assert _reload(ticket).rating == 4


def test_an_unfinished_repair_cannot_be_confirmed(student, dispatcher, plumber):
    ticket = _in_progress(student, dispatcher, plumber)
    with pytest.raises(WrongStatus):
        services.ticket_confirm(actor=student, ticket=ticket, rating=5)


@pytest.mark.parametrize("rating", [0, 6, -1, "x", None, "", "4.5"])
def test_a_rating_is_one_to_five_stars(student, dispatcher, plumber, rating):
    ticket = _done(student, dispatcher, plumber)
    with pytest.raises(RepairInvalid) as error:
        services.ticket_confirm(actor=student, ticket=ticket, rating=rating)
    assert error.value.field == "rating"
    assert _reload(ticket).status == Ticket.Status.DONE


def test_a_rating_comment_is_at_most_500_characters(student, dispatcher, plumber):
    ticket = _done(student, dispatcher, plumber)
    with pytest.raises(RepairInvalid) as error:
        services.ticket_confirm(actor=student, ticket=ticket, rating=3, comment="x" * 501)
    assert error.value.field == "comment"
    services.ticket_confirm(actor=student, ticket=ticket, rating=3, comment="x" * 500)


def test_a_repair_closed_automatically_may_be_rated_once(student, dispatcher, plumber):
    # Given a finished repair nobody confirmed in time, closed by the nightly job
    ticket = _done(student, dispatcher, plumber)
    Ticket.objects.filter(pk=ticket.pk).update(finished_at=timezone.now() - timedelta(days=4))
    assert services.auto_confirm_due() == 1
    ticket = _reload(ticket)
    assert ticket.status == Ticket.Status.CLOSED and ticket.auto_confirmed

    # When the reporter rates it afterwards, it is recorded, without a second confirmation
    services.ticket_confirm(actor=student, ticket=ticket, rating=2)
    ticket = _reload(ticket)
    assert ticket.rating == 2 and ticket.follow_up_needed
    assert TicketEvent.Kind.CONFIRMED not in _events(ticket)
    assert _events(ticket)[-2:] == [TicketEvent.Kind.AUTO_CONFIRMED, TicketEvent.Kind.RATED]

    # and only once
    with pytest.raises(WrongStatus):
        services.ticket_confirm(actor=student, ticket=ticket, rating=5)


def test_an_auto_confirmed_repair_cannot_be_reopened(student, dispatcher, plumber):
    ticket = _done(student, dispatcher, plumber)
    Ticket.objects.filter(pk=ticket.pk).update(finished_at=timezone.now() - timedelta(days=4))
    services.auto_confirm_due()
    with pytest.raises(WrongStatus):
        services.ticket_reopen(actor=student, ticket=ticket, reason="还在漏")


@pytest.mark.parametrize(
    ("threshold", "rating", "flagged"),
    [(2, 1, True), (2, 2, True), (2, 3, False), (2, 5, False), (3, 3, True)],
)
def test_a_low_rating_flags_the_repair_for_follow_up(
    settings, student, dispatcher, plumber, threshold, rating, flagged
):
    settings.REPAIR_FOLLOW_UP_RATING = threshold
    ticket = _done(student, dispatcher, plumber)
    services.ticket_confirm(actor=student, ticket=ticket, rating=rating)
    assert _reload(ticket).follow_up_needed is flagged


def test_the_follow_up_clears_the_flag(student, dispatcher, other_dispatcher, plumber):
    # Given a repair rated 1 star
    ticket = _done(student, dispatcher, plumber)
    services.ticket_confirm(actor=student, ticket=ticket, rating=1, comment="来得太慢")

    # Only the campus's dispatchers follow it up, with what they found
    for someone in [other_dispatcher, student, plumber]:
        with pytest.raises(NotAllowed):
            services.ticket_follow_up(actor=someone, ticket=ticket, note="已回访")
    with pytest.raises(RepairInvalid):
        services.ticket_follow_up(actor=dispatcher, ticket=ticket, note=" ")

    services.ticket_follow_up(actor=dispatcher, ticket=ticket, note=" 已电话回访，师傅迟到 ")

    ticket = _reload(ticket)
    assert not ticket.follow_up_needed
    assert ticket.follow_up_note == "已电话回访，师傅迟到"
    assert ticket.followed_up_by == dispatcher and ticket.followed_up_at is not None
    assert _events(ticket)[-1] == TicketEvent.Kind.FOLLOWED_UP
    assert _audits(ticket)[-1] == "repair.follow_up"
    with pytest.raises(WrongStatus):
        services.ticket_follow_up(actor=dispatcher, ticket=ticket, note="再次回访")


# --- Merging ---------------------------------------------------------------------------------


def test_reports_of_one_fault_are_merged_and_their_reporters_follow_it(
    student, roommate, dispatcher, plumber
):
    # Given two roommates who reported the same leak
    primary = _file(student)
    duplicate = _file(roommate)

    # When the dispatcher merges the second into the first
    services.ticket_merge(actor=dispatcher, primary=primary, duplicates=[duplicate, primary])

    # Then the duplicate is closed as merged, both timelines say so, its reporter is told
    duplicate = _reload(duplicate)
    assert duplicate.status == Ticket.Status.MERGED
    assert duplicate.merged_into == primary and duplicate.closed_at is not None
    assert duplicate.events.get(kind=TicketEvent.Kind.MERGED).note == primary.number
    assert primary.events.get(kind=TicketEvent.Kind.MERGED).note == duplicate.number
    assert _audits(duplicate) == ["repair.file", "repair.merge"]
    merged = Notification.objects.get(recipient=roommate, kind=kinds.MERGED.key)
    assert merged.params == {"number": duplicate.number, "primary": primary.number}
    assert merged.url == f"/repairs/{primary.pk}/"

    # and they are told of the primary's progress from then on
    services.ticket_assign(actor=dispatcher, ticket=primary, technician=plumber)
    services.ticket_start(actor=plumber, ticket=primary)
    services.ticket_finish(actor=plumber, ticket=primary, labour_minutes=30)
    assert _told(roommate) == [
        kinds.MERGED.key,
        kinds.ASSIGNED.key,
        kinds.STARTED.key,
        kinds.FINISHED_FOLLOWER.key,
    ]
    assert _told(student) == [kinds.ASSIGNED.key, kinds.STARTED.key, kinds.FINISHED.key]


def test_a_merged_reporter_who_filed_elsewhere_sees_the_primary(student, dispatcher, area):
    # A resident of another building reports the laundry's fault; the dispatcher's own report
    # of it is the primary.
    primary = _file(dispatcher, area=area)
    neighbour = f.resident_living_in(f.RoomFactory(building=area.building)).user
    duplicate = _file(neighbour, area=area)
    assert primary not in tickets_for(neighbour)

    services.ticket_merge(actor=dispatcher, primary=primary, duplicates=[duplicate])

    assert primary in tickets_for(neighbour)


def test_a_chain_of_merges_points_at_the_last_primary(student, roommate, dispatcher, plumber, area):
    # Given A merged into B earlier
    a = _file(roommate, area=area)
    b = _file(student, area=area)
    services.ticket_merge(actor=dispatcher, primary=b, duplicates=[a])
    # When B is found to duplicate C
    c = _file(dispatcher, area=area)
    services.ticket_merge(actor=dispatcher, primary=c, duplicates=[b])

    # Then A follows C directly, and both reporters are told of C's progress
    assert _reload(a).merged_into == c
    assert _reload(b).merged_into == c
    assert set(c.duplicates.values_list("pk", flat=True)) == {a.pk, b.pk}
    services.ticket_assign(actor=dispatcher, ticket=c, technician=plumber)
    assert _told(roommate, kinds.ASSIGNED) == [kinds.ASSIGNED.key]
    assert _told(student, kinds.ASSIGNED) == [kinds.ASSIGNED.key]
    assert c in tickets_for(roommate)


def test_a_request_on_another_campus_is_not_merged(student, dispatcher, admin, other_campus_area):
    primary = _file(student)
    elsewhere = _file(admin, area=other_campus_area)
    with pytest.raises(RepairInvalid) as error:
        services.ticket_merge(actor=admin, primary=primary, duplicates=[elsewhere])
    assert elsewhere.number in error.value.message
    assert _reload(elsewhere).status == Ticket.Status.SUBMITTED
    assert not TicketEvent.objects.filter(kind=TicketEvent.Kind.MERGED).exists()


def test_requests_no_longer_under_way_are_not_merged(student, roommate, dispatcher, plumber):
    finished = _done(student, dispatcher, plumber)
    open_one = _file(roommate)
    with pytest.raises(WrongStatus):  # a finished duplicate
        services.ticket_merge(actor=dispatcher, primary=open_one, duplicates=[finished])
    with pytest.raises(WrongStatus):  # into a finished primary
        services.ticket_merge(actor=dispatcher, primary=finished, duplicates=[open_one])
    assert _reload(open_one).status == Ticket.Status.SUBMITTED


def test_merging_needs_another_request_and_a_dispatcher(
    student, roommate, dispatcher, other_dispatcher
):
    primary = _file(student)
    duplicate = _file(roommate)
    with pytest.raises(RepairInvalid):
        services.ticket_merge(actor=dispatcher, primary=primary, duplicates=[primary])
    for someone in [other_dispatcher, student]:
        with pytest.raises(NotAllowed):
            services.ticket_merge(actor=someone, primary=primary, duplicates=[duplicate])
    assert _reload(duplicate).status == Ticket.Status.SUBMITTED


def test_the_technician_of_a_merged_duplicate_is_told_it_is_no_longer_their_job(
    student, roommate, dispatcher, plumber, electrician
):
    primary = _assigned(student, dispatcher, plumber)
    duplicate = _assigned(roommate, dispatcher, electrician)
    services.ticket_merge(actor=dispatcher, primary=primary, duplicates=[duplicate])
    assert _told(electrician) == [kinds.JOB_ASSIGNED.key, kinds.JOB_WITHDRAWN.key]
    assert _told(plumber) == [kinds.JOB_ASSIGNED.key]


# --- Cancelling ------------------------------------------------------------------------------


def test_the_reporter_cancels_before_work_starts_without_a_reason(student, dispatcher, plumber):
    waiting = _file(student)
    services.ticket_cancel(actor=student, ticket=waiting, reason="")
    waiting = _reload(waiting)
    assert waiting.status == Ticket.Status.CANCELLED and waiting.closed_at is not None
    assert _events(waiting) == [TicketEvent.Kind.FILED, TicketEvent.Kind.CANCELLED]
    assert _audits(waiting) == ["repair.file", "repair.cancel"]
    assert _told(student) == []  # they did it themselves

    # An assigned one too: its technician is told the job is gone
    assigned = _assigned(student, dispatcher, plumber, code="electrical")
    services.ticket_cancel(actor=student, ticket=assigned, reason="自己修好了")
    assert _reload(assigned).status == Ticket.Status.CANCELLED
    assert _told(plumber) == [kinds.JOB_ASSIGNED.key, kinds.JOB_WITHDRAWN.key]


def test_the_reporter_cannot_cancel_once_work_has_started(student, dispatcher, plumber):
    ticket = _in_progress(student, dispatcher, plumber)
    with pytest.raises(WrongStatus) as error:
        services.ticket_cancel(actor=student, ticket=ticket, reason="不用修了")
    assert "ask the dispatcher" in error.value.message


def test_a_dispatcher_cancels_with_a_reason_until_the_repair_is_finished(
    student, roommate, dispatcher, plumber
):
    ticket = _in_progress(student, dispatcher, plumber)
    follower = _file(roommate)
    services.ticket_merge(actor=dispatcher, primary=ticket, duplicates=[follower])
    with pytest.raises(RepairInvalid) as error:
        services.ticket_cancel(actor=dispatcher, ticket=ticket, reason="  ")
    assert error.value.field == "reason"

    services.ticket_cancel(actor=dispatcher, ticket=ticket, reason="学校统一更换")

    ticket = _reload(ticket)
    assert ticket.status == Ticket.Status.CANCELLED
    assert ticket.events.get(kind=TicketEvent.Kind.CANCELLED).note == "学校统一更换"
    assert AuditEvent.objects.get(action="repair.cancel").changes == {"reason": "学校统一更换"}
    for reporter in (student, roommate):
        cancelled = Notification.objects.get(recipient=reporter, kind=kinds.CANCELLED.key)
        assert cancelled.params == {"number": ticket.number, "reason": "学校统一更换"}
    assert _told(plumber)[-1] == kinds.JOB_WITHDRAWN.key

    finished = _done(student, dispatcher, plumber, code="electrical")
    with pytest.raises(WrongStatus):
        services.ticket_cancel(actor=dispatcher, ticket=finished, reason="重复")


def test_nobody_else_cancels(student, roommate, dispatcher, other_dispatcher, plumber):
    ticket = _assigned(student, dispatcher, plumber)
    for someone in [roommate, plumber, other_dispatcher, f.UserFactory()]:
        with pytest.raises(NotAllowed):
            services.ticket_cancel(actor=someone, ticket=ticket, reason="不修了")
    assert _reload(ticket).status == Ticket.Status.ASSIGNED


# --- Every step is on the record -------------------------------------------------------------


def test_every_step_writes_a_timeline_event_and_an_audit_record(student, dispatcher, plumber):
    ticket = _file(student)
    services.ticket_set_urgency(actor=dispatcher, ticket=ticket, urgency=Urgency.URGENT)
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber)
    services.ticket_start(actor=plumber, ticket=ticket)
    services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=20)
    services.ticket_reopen(actor=student, ticket=ticket, reason="还在漏")
    services.ticket_start(actor=plumber, ticket=ticket)
    services.ticket_finish(actor=plumber, ticket=ticket, labour_minutes=10)
    services.ticket_confirm(actor=student, ticket=ticket, rating=1)
    services.ticket_follow_up(actor=dispatcher, ticket=ticket, note="已回访")

    assert _events(ticket) == [
        "filed",
        "urgency",
        "assigned",
        "started",
        "finished",
        "reopened",
        "started",
        "finished",
        "confirmed",
        "rated",
        "followed_up",
    ]
    assert _audits(ticket) == [
        "repair.file",
        "repair.urgency",
        "repair.assign",
        "repair.start",
        "repair.finish",
        "repair.reopen",
        "repair.start",
        "repair.finish",
        "repair.rate",
        "repair.follow_up",
    ]
    actors = dict(AuditEvent.objects.values_list("action", "actor__username"))
    assert actors["repair.file"] == student.username
    assert actors["repair.assign"] == dispatcher.username
    assert actors["repair.finish"] == plumber.username


def test_a_refused_step_leaves_no_trace(student, roommate, dispatcher, plumber):
    ticket = _done(student, dispatcher, plumber)
    counts = (TicketEvent.objects.count(), AuditEvent.objects.count(), Notification.objects.count())
    for refused in [
        lambda: services.ticket_confirm(actor=roommate, ticket=ticket, rating=5),
        lambda: services.ticket_reopen(actor=roommate, ticket=ticket, reason="x"),
        lambda: services.ticket_start(actor=plumber, ticket=ticket),
        lambda: services.ticket_cancel(actor=student, ticket=ticket, reason="x"),
    ]:
        with pytest.raises(RepairError):
            refused()
    assert (
        TicketEvent.objects.count(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    ) == counts
