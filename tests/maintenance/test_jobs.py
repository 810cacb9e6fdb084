"""The technician's phone: my jobs and the job ticket (计票) — start, draw and return
materials, finish with labour, what was done and photos; the completed ticket read-only."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from apartments.models import Storeroom
from logistics.models import Role
from maintenance import services, stores
from maintenance.models import StockMovement, Ticket, TicketPhoto
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english(client):
    """Messages are asserted in English (Chinese is the default language)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def store(campus):
    return f.StoreroomFactory(
        campus=campus, code="KF1", name="松北维修库房", name_en="Songbei store"
    )


@pytest.fixture
def washers(store):
    material = f.MaterialFactory(
        code="washer", name="垫片", name_en="Washer", unit="个", unit_en="pc", unit_cost="2.50"
    )
    return f.stock(store, material, balance=10)


@pytest.fixture
def job(room, student, plumber):
    """A leaking tap assigned to the plumber, with the reporter's phone and availability."""
    return f.ticket(
        room=room,
        reporter=student,
        technician=plumber,
        status=Ticket.Status.ASSIGNED,
        assigned_at=timezone.now(),
        contact_phone="13800000001",
        available_times="晚上7点以后",
    )


@pytest.fixture
def started(job):
    Ticket.objects.filter(pk=job.pk).update(
        status=Ticket.Status.IN_PROGRESS, started_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def url(name, ticket):
    return reverse(f"maintenance:{name}", args=[ticket.pk])


def jpeg(name="result.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


# --- Who may open what -------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, job):
    for address in [reverse("maintenance:my_jobs"), url("job", job)]:
        response = client.get(address)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_my_jobs_is_for_technicians_only(client, student, dispatcher, plumber):
    for user in [student, dispatcher]:
        client.force_login(user)
        assert client.get(reverse("maintenance:my_jobs")).status_code == 404
    client.force_login(plumber)
    assert client.get(reverse("maintenance:my_jobs")).status_code == 200


def test_only_the_assigned_technician_opens_the_job(client, job, campus, student, dispatcher):
    # Given the job of the plumber
    electrician = f.technician(campus, username="electrician1")
    # When anyone else asks for it, even a dispatcher who may see the request, it is not there
    for user in [electrician, dispatcher, student, f.user_with_role(Role.TECHNICIAN)]:
        client.force_login(user)
        assert client.get(url("job", job)).status_code == 404, user
    # and a job that does not exist answers the same
    client.force_login(job.technician)
    assert client.get(reverse("maintenance:job", args=[job.pk + 999])).status_code == 404
    assert client.get(url("job", job)).status_code == 200


def test_a_reassigned_job_leaves_the_first_technicians_phone(client, job, campus, dispatcher):
    plumber = job.technician
    other = f.technician(campus, skills=["plumbing"])
    services.ticket_assign(actor=dispatcher, ticket=job, technician=other)
    client.force_login(plumber)
    assert client.get(url("job", job)).status_code == 404
    assert job.pk not in [
        t.pk for t in client.get(reverse("maintenance:my_jobs")).context["open_jobs"]
    ]


def test_another_technician_cannot_draw_for_the_job(client, job, campus, washers):
    # Given an electrician of the same campus
    electrician = f.technician(campus, username="electrician1")
    client.force_login(electrician)
    # When they post to the plumber's job, the job is not there for them
    for name in ["job_start", "job_issue", "job_return", "job_finish"]:
        response = client.post(url(name, job), {"stock": washers.pk, "quantity": "1"})
        assert response.status_code == 404
    # and the service refuses too
    with pytest.raises(services.NotAllowed):
        stores.stock_issue(actor=electrician, stock=washers, ticket=job, quantity=1)
    assert not StockMovement.objects.filter(ticket=job).exists()


def test_get_never_changes_anything(client, job, washers):
    client.force_login(job.technician)
    for name in ["job_start", "job_issue", "job_return", "job_finish"]:
        assert client.get(url(name, job)).status_code == 405
    job.refresh_from_db()
    assert job.status == Ticket.Status.ASSIGNED


# --- My jobs -----------------------------------------------------------------------------------


def test_my_jobs_puts_late_and_urgent_first_and_lists_recent_work_below(
    client, room, student, plumber
):
    reporter = student
    now = timezone.now()
    make = lambda **fields: f.ticket(room=room, reporter=reporter, technician=plumber, **fields)  # noqa: E731
    # Given jobs with plenty of time, at risk, urgent, overdue; one finished last week, one
    # finished two months ago, one cancelled, and one of another technician
    calm = make(status="assigned", category_code="electrical")
    at_risk = make(
        status="in_progress",
        started_at=now - timedelta(hours=20),
        respond_by=now - timedelta(hours=22),
        complete_by=now + timedelta(hours=1),
        category_code="furniture",
    )
    Ticket.objects.filter(pk=at_risk.pk).update(created_at=now - timedelta(hours=23))
    urgent = make(status="assigned", urgency="urgent", category_code="doors_locks")
    overdue = make(
        status="assigned",
        category_code="water_heater",
        respond_by=now - timedelta(hours=1),
        complete_by=now + timedelta(hours=5),
    )
    last_week = make(status="done", finished_at=now - timedelta(days=7), category_code="network")
    make(status="closed", finished_at=now - timedelta(days=60), category_code="air_conditioning")
    make(status="cancelled", category_code="other")
    f.ticket(
        room=room,
        reporter=student,
        technician=f.technician(room.building.campus),
        status="assigned",
    )

    client.force_login(plumber)
    response = client.get(reverse("maintenance:my_jobs"))

    # Then the open jobs come overdue, urgent, at risk, then the rest
    assert [t.pk for t in response.context["open_jobs"]] == [
        overdue.pk,
        urgent.pk,
        at_risk.pk,
        calm.pk,
    ]
    assert [t.pk for t in response.context["recent"]] == [last_week.pk]
    body = response.content.decode()
    assert "Overdue" in body and "Urgent" in body


def test_a_job_row_shows_place_category_availability_and_phone(client, job):
    client.force_login(job.technician)
    body = client.get(reverse("maintenance:my_jobs")).content.decode()
    assert "松北1号楼 101" in body or "Songbei 1 101" in body
    assert "晚上7点以后" in body
    assert 'href="tel:13800000001"' in body
    assert "Start within" in body


def test_my_jobs_falls_back_to_the_reporters_own_phone(client, job, student):
    student.phone = "13900000009"
    student.save()
    Ticket.objects.filter(pk=job.pk).update(contact_phone="")
    client.force_login(job.technician)
    assert 'href="tel:13900000009"' in client.get(reverse("maintenance:my_jobs")).content.decode()


@pytest.mark.parametrize("jobs", [2, 25])
def test_my_jobs_query_count_does_not_grow(
    client, room, student, plumber, jobs, django_assert_num_queries
):
    for n in range(jobs):
        f.ticket(room=room, reporter=student, technician=plumber, status="assigned")
        f.ticket(
            room=room,
            reporter=student,
            technician=plumber,
            status="done",
            finished_at=timezone.now(),
            description=f"job {n}",
        )
    client.force_login(plumber)
    # session, user with role grants, the open jobs with place, category and reporter, the
    # recent finished ones with the same, the unread notifications (the page's header)
    with django_assert_num_queries(5):
        response = client.get(reverse("maintenance:my_jobs"))
    assert len(response.context["open_jobs"]) == jobs


# --- Starting ----------------------------------------------------------------------------------


def test_the_technician_starts_the_job(client, job):
    client.force_login(job.technician)
    response = client.post(url("job_start", job), follow=True)
    job.refresh_from_db()
    assert job.status == Ticket.Status.IN_PROGRESS and job.started_at is not None
    assert "Work started" in response.content.decode()
    # A second tap changes nothing and says so
    response = client.post(url("job_start", job), follow=True)
    assert "already started" in response.content.decode()
    assert job.events.filter(kind="started").count() == 1


# --- Materials ---------------------------------------------------------------------------------


def issue(client, job, stock, quantity, follow=False, **extra):
    data = {"stock": stock.pk, "quantity": quantity, **extra}
    return client.post(url("job_issue", job), data, follow=follow)


def test_drawing_material_records_an_issue_and_shows_the_line_with_its_cost(
    client, started, washers
):
    client.force_login(started.technician)
    # The form offers the stock with its balance and unit
    page = client.get(url("job", started)).content.decode()
    assert "washer Washer — 10.00 pc left" in page
    response = issue(client, started, washers, "3")
    assert response.status_code == 302
    washers.refresh_from_db()
    assert washers.balance == Decimal("7") == stores.ledger_balance(washers)
    movement = StockMovement.objects.get(ticket=started)
    assert movement.kind == "issue" and movement.quantity == Decimal("-3")
    page = client.get(url("job", started))
    assert page.context["material_cost"] == Decimal("7.50")
    assert "Drawn: 3 pc of Washer." in page.content.decode()


def test_a_job_just_assigned_may_draw_material_too(client, job, washers):
    client.force_login(job.technician)
    assert issue(client, job, washers, "1").status_code == 302
    assert StockMovement.objects.filter(ticket=job).count() == 1


def test_drawing_more_than_the_storeroom_has_says_how_much_is_left(client, started, washers):
    client.force_login(started.technician)
    response = issue(client, started, washers, "11")
    assert response.status_code == 409
    body = response.content.decode()
    assert "Not enough Washer in stock: 10.00 pc left." in body
    # and the typed quantity is kept
    assert 'value="11"' in body
    assert not StockMovement.objects.filter(ticket=started).exists()


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("abc", "Enter a number."),
        ("1e9", "A quantity may be at most 100000."),
        ("1e100", "A quantity may be at most 100000."),
        ("0.001", "Use at most two decimal places."),
        ("-1", "Enter a quantity greater than zero."),
        ("0", "Enter a quantity greater than zero."),
        ("", "This field is required."),
        ("9" * 30, "Ensure this value has at most 20 characters"),
    ],
)
def test_malformed_quantities_are_refused_and_nothing_is_drawn(
    client, started, washers, quantity, message
):
    client.force_login(started.technician)
    response = issue(client, started, washers, quantity)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (
        not StockMovement.objects.exists()
        or not StockMovement.objects.filter(ticket=started).exists()
    )
    washers.refresh_from_db()
    assert washers.balance == 10


def test_a_storeroom_of_another_campus_is_refused(client, started, washers, other_campus):
    # Given a storeroom of the other campus with stock
    far = f.stock(f.StoreroomFactory(campus=other_campus), balance=5)
    client.force_login(started.technician)
    # When the technician posts its stock, it is not among the choices
    response = issue(client, started, far, "1")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    # and the service itself refuses it
    with pytest.raises(services.RepairInvalid):
        stores.stock_issue(actor=started.technician, stock=far, ticket=started, quantity=1)
    assert not StockMovement.objects.filter(ticket=started).exists()


def test_an_inactive_material_is_not_offered_for_drawing(client, started, washers):
    washers.material.is_active = False
    washers.material.save()
    client.force_login(started.technician)
    assert issue(client, started, washers, "1").status_code == 400
    assert not StockMovement.objects.filter(ticket=started).exists()


def test_a_double_tap_draws_once(client, started, washers):
    client.force_login(started.technician)
    token = client.get(url("job", started)).context["token"]
    assert issue(client, started, washers, "2", token=token).status_code == 302
    response = issue(client, started, washers, "2", token=token, follow=True)
    assert "already recorded" in response.content.decode()
    assert StockMovement.objects.filter(ticket=started).count() == 1
    washers.refresh_from_db()
    assert washers.balance == 8


def test_a_refused_draw_may_be_sent_again_with_the_same_form(client, started, washers):
    client.force_login(started.technician)
    token = client.get(url("job", started)).context["token"]
    assert issue(client, started, washers, "50", token=token).status_code == 409
    assert issue(client, started, washers, "5", token=token).status_code == 302
    assert StockMovement.objects.filter(ticket=started).count() == 1


def ret(client, job, stock, quantity, kind="unused"):
    return client.post(
        url("job_return", job), {"stock": stock.pk, "quantity": quantity, "kind": kind}
    )


def test_unused_material_goes_back_up_to_what_the_job_drew(client, started, washers):
    client.force_login(started.technician)
    issue(client, started, washers, "3")
    # Returning more than was drawn is refused
    response = ret(client, started, washers, "4")
    assert response.status_code == 400
    # (SQLite sums to 3, PostgreSQL to 3.00)
    assert "This job drew only 3" in response.content.decode()
    assert "of it; return at most that." in response.content.decode()
    # Returning what was not used is recorded and lowers the job's cost
    assert ret(client, started, washers, "2").status_code == 302
    washers.refresh_from_db()
    assert washers.balance == Decimal("9") == stores.ledger_balance(washers)
    assert stores.job_material_cost(started) == Decimal("2.50")
    # and nothing more than the rest can follow
    assert ret(client, started, washers, "2").status_code == 400
    assert StockMovement.objects.filter(ticket=started).count() == 2


def test_returns_beyond_what_the_job_drew_are_refused_even_if_another_job_drew_more(
    client, started, washers, room
):
    other_job = f.ticket(
        room=room, technician=started.technician, status="in_progress", category_code="electrical"
    )
    stores.stock_issue(actor=started.technician, stock=washers, ticket=other_job, quantity=5)
    client.force_login(started.technician)
    assert ret(client, started, washers, "1").status_code == 400
    assert not StockMovement.objects.filter(ticket=started).exists()


def test_a_recovered_part_goes_back_for_reuse_without_lowering_the_cost(client, started, washers):
    client.force_login(started.technician)
    issue(client, started, washers, "1")
    assert ret(client, started, washers, "2", kind="recovered").status_code == 302
    washers.refresh_from_db()
    assert washers.balance == Decimal("11")
    assert stores.job_material_cost(started) == Decimal("2.50")
    page = client.get(url("job", started)).content.decode()
    assert "Recovered for reuse" in page and "not counted" in page


def test_an_unknown_return_kind_is_refused(client, started, washers):
    client.force_login(started.technician)
    assert ret(client, started, washers, "1", kind="stolen").status_code == 400


# --- Finishing ---------------------------------------------------------------------------------


def finish(client, job, **data):
    values = {"hours": "1", "minutes": "15", "work_note": "换了垫片"}
    values.update(data)
    return client.post(url("job_finish", job), values)


def test_finishing_records_labour_note_and_photos_and_shows_the_ticket_read_only(
    client, started, washers
):
    client.force_login(started.technician)
    issue(client, started, washers, "2")
    response = finish(client, started, photo_1=jpeg(), photo_2=jpeg("second.jpg"))
    assert response.status_code == 302
    started.refresh_from_db()
    assert started.status == Ticket.Status.DONE
    assert started.labour_minutes == 75
    assert started.work_note == "换了垫片"
    assert TicketPhoto.objects.filter(ticket=started, kind="result").count() == 2
    # The page now shows the completed job ticket, with no form left
    page = client.get(url("job", started))
    body = page.content.decode()
    assert 'data-testid="job-ticket"' in body
    assert "1 h 15 min" in body and "换了垫片" in body and "¥5.00" in body
    for form in ["issue-form", "return-form", "finish-form", "start-form"]:
        assert f'data-testid="{form}"' not in body
    assert body.count('data-testid="result-photos"') == 1
    # and the materials cannot be touched any more
    assert issue(client, started, washers, "1").status_code == 302
    assert StockMovement.objects.filter(ticket=started).count() == 1


def test_labour_in_minutes_only(client, started):
    client.force_login(started.technician)
    assert finish(client, started, hours="", minutes="40").status_code == 302
    started.refresh_from_db()
    assert started.labour_minutes == 40


@pytest.mark.parametrize(
    "hours, minutes, message",
    [
        ("", "", "Enter the labour: hours, minutes or both."),
        ("0", "0", "Enter the labour: hours, minutes or both."),
        ("abc", "", "Enter a whole number."),
        ("24", "1", "Labour must be between 1 and 1440 minutes."),
        ("", "99999999999999999999", "Ensure this value is less than or equal to 1440."),
        ("-1", "30", "Ensure this value is greater than or equal to 0."),
    ],
)
def test_bad_labour_is_refused_and_the_job_stays_open(client, started, hours, minutes, message):
    client.force_login(started.technician)
    response = finish(client, started, hours=hours, minutes=minutes, work_note="<b>修好</b>")
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    # what was typed is kept, escaped
    assert "&lt;b&gt;修好&lt;/b&gt;" in body
    started.refresh_from_db()
    assert started.status == Ticket.Status.IN_PROGRESS


def test_a_file_that_is_not_a_photo_is_refused(client, started):
    client.force_login(started.technician)
    fake = SimpleUploadedFile("x.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    response = finish(client, started, photo_1=fake)
    assert response.status_code == 400
    assert "This file is not a photo" in response.content.decode()
    started.refresh_from_db()
    assert started.status == Ticket.Status.IN_PROGRESS
    assert not TicketPhoto.objects.exists()


def test_a_job_not_started_cannot_be_finished(client, job):
    client.force_login(job.technician)
    page = client.get(url("job", job)).content.decode()
    assert 'data-testid="finish-form"' not in page and 'data-testid="start"' in page
    response = client.post(
        url("job_finish", job), {"minutes": "30", "work_note": "修好"}, follow=True
    )
    assert "Start the job before finishing it." in response.content.decode()
    job.refresh_from_db()
    assert job.status == Ticket.Status.ASSIGNED


def test_a_second_finish_changes_nothing(client, started):
    client.force_login(started.technician)
    finish(client, started)
    response = finish(client, started, minutes="50")
    assert response.status_code == 302
    started.refresh_from_db()
    assert started.labour_minutes == 75
    assert started.events.filter(kind="finished").count() == 1


def test_html_in_the_note_is_shown_as_text(client, started):
    client.force_login(started.technician)
    finish(client, started, work_note="<script>alert(1)</script>")
    body = client.get(url("job", started)).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


# --- Query budget ------------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [1, 12])
def test_the_job_page_query_count_does_not_grow_with_material_lines(
    client, started, store, lines, django_assert_num_queries
):
    for n in range(lines):
        stock = f.stock(store, f.MaterialFactory(code=f"part{n}"), balance=10)
        stores.stock_issue(actor=started.technician, stock=stock, ticket=started, quantity=1)
    client.force_login(started.technician)
    # session, user with role grants, the job with place and people, the technician's roster
    # campus (storerooms_for), the campus's stock with material and storeroom, the photos,
    # the material lines with stock, material, storeroom and person, their cost, the repair
    # items table (the finish form), the unread notifications (the page's header)
    with django_assert_num_queries(10):
        response = client.get(url("job", started))
    assert len(response.context["lines"]) == lines


def test_the_finished_job_page_query_count(client, started, django_assert_num_queries):
    Ticket.objects.filter(pk=started.pk).update(status="done", finished_at=timezone.now())
    client.force_login(started.technician)
    # session, user with role grants, the job, its photos, the material lines, their cost, the
    # job's repair items, the unread notifications
    with django_assert_num_queries(8):
        client.get(url("job", started))


def test_a_campus_without_storeroom_says_so(client, started):
    Storeroom.objects.all().delete()
    client.force_login(started.technician)
    assert 'data-testid="no-stock"' in client.get(url("job", started)).content.decode()
