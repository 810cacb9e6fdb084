"""The staff's steps in the repairs API (CONTRACT.md "Repairs, staff side"): a dispatcher assigns,
the assigned technician starts and finishes from a phone with a token, and each step answers
400, 403, 404 or 409 exactly when the pages' services refuse it."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from logistics.models import AuditEvent
from maintenance import services
from maintenance.models import Ticket, TicketEvent, TicketPhoto
from tests import factories as f

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


def phone(user) -> APIClient:
    """The mini-program: a token, no session, no CSRF cookie."""
    token, _ = Token.objects.get_or_create(user=user)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")


def step(ticket, name):
    return f"{TICKETS}{ticket.pk}/{name}/"


def png(color=(0, 90, 0)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="PNG")
    return SimpleUploadedFile("done.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def filed(student):
    return services.ticket_file(
        reporter=student, category=f.category("plumbing"), description="水龙头漏水"
    )


def test_a_repair_from_assignment_to_confirmation_over_the_api(filed, student, dispatcher, plumber):
    response = phone(dispatcher).post(
        step(filed, "assign"), {"technician": "plumber1", "note": "带扳手"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "assigned"
    assert response.json()["technician"] == plumber.display_name

    # The technician now sees the job in their own list, and starts it on site.
    assert [t["id"] for t in phone(plumber).get(TICKETS).json()["results"]] == [filed.pk]
    response = phone(plumber).post(step(filed, "start"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_progress"
    assert response.json()["started_at"] is not None

    response = phone(plumber).post(
        step(filed, "finish"), {"labour_minutes": 45, "note": "换了阀芯"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "done" and body["labour_minutes"] == 45

    ticket = Ticket.objects.get(pk=filed.pk)
    assert ticket.technician == plumber and ticket.work_note == "换了阀芯"
    kinds = list(ticket.events.order_by("pk").values_list("kind", flat=True))
    assert kinds[-3:] == [
        TicketEvent.Kind.ASSIGNED,
        TicketEvent.Kind.STARTED,
        TicketEvent.Kind.FINISHED,
    ]
    actions = set(
        AuditEvent.objects.filter(target_id=str(filed.pk)).values_list("action", flat=True)
    )
    assert {"repair.assign", "repair.start", "repair.finish"} <= actions

    # …and waits for its reporter's confirm, as before.
    response = phone(student).post(step(filed, "confirm"), {"rating": 5}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed" and response.json()["rating"] == 5


def test_finishing_with_photos_as_multipart_gives_signed_urls(filed, dispatcher, plumber):
    services.ticket_assign(actor=dispatcher, ticket=filed, technician=plumber)
    services.ticket_start(actor=plumber, ticket=filed)
    response = phone(plumber).post(
        step(filed, "finish"),
        {"labour_minutes": "30", "note": "", "photos": [png(), png((0, 0, 200))]},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    photos = response.json()["photos"]
    assert [p["kind"] for p in photos] == ["result", "result"]
    assert TicketPhoto.objects.filter(ticket=filed, kind="result").count() == 2
    # A token client's <image src> opens them without a session or header.
    assert Client().get(photos[0]["url"]).status_code == 200


def test_a_fake_image_is_refused_and_nothing_is_finished(filed, dispatcher, plumber):
    services.ticket_assign(actor=dispatcher, ticket=filed, technician=plumber)
    services.ticket_start(actor=plumber, ticket=filed)
    fake = SimpleUploadedFile("done.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = phone(plumber).post(
        step(filed, "finish"), {"labour_minutes": "30", "photos": [fake]}, format="multipart"
    )
    assert response.status_code == 400
    assert "photos" in response.json()["errors"]
    assert Ticket.objects.get(pk=filed.pk).status == Ticket.Status.IN_PROGRESS


@pytest.mark.parametrize(
    "who",
    ["nobody", "a student", "a technician of another campus", "an inactive technician"],
)
def test_assigning_someone_not_on_the_roster_is_400(filed, dispatcher, other_campus, who):
    username = {
        "nobody": "ghost",
        "a student": "R0000001",
        "a technician of another campus": f.technician(other_campus, username="far1").username,
        "an inactive technician": f.technician(
            filed.campus, username="gone1", is_active=False
        ).username,
    }[who]
    response = phone(dispatcher).post(
        step(filed, "assign"), {"technician": username}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["technician"] == [
        "Choose a technician on duty on this request's campus."
    ]
    assert Ticket.objects.get(pk=filed.pk).status == Ticket.Status.SUBMITTED


@pytest.mark.parametrize(
    "body",
    [{}, {"technician": ""}, {"technician": "x" * 151}, {"technician": "plumber1", "extra": 1}],
)
def test_malformed_assignments_are_400(filed, dispatcher, body):
    response = phone(dispatcher).post(step(filed, "assign"), body, format="json")
    assert response.status_code == 400
    assert Ticket.objects.get(pk=filed.pk).technician is None


def test_only_a_dispatcher_assigns_and_only_within_their_campus(
    filed, student, plumber, other_dispatcher
):
    # The reporter sees the ticket but may not dispatch it.
    response = phone(student).post(step(filed, "assign"), {"technician": "plumber1"}, format="json")
    assert response.status_code == 403
    # Another campus's dispatcher does not see it at all.
    response = phone(other_dispatcher).post(
        step(filed, "assign"), {"technician": "plumber1"}, format="json"
    )
    assert response.status_code == 404
    # Nor does a technician it is not assigned to.
    assert phone(plumber).post(step(filed, "start")).status_code == 404
    assert phone(plumber).post(f"{TICKETS}999999/start/").status_code == 404
    assert Ticket.objects.get(pk=filed.pk).status == Ticket.Status.SUBMITTED


def test_steps_out_of_order_are_409(filed, dispatcher, plumber):
    services.ticket_assign(actor=dispatcher, ticket=filed, technician=plumber)
    response = phone(plumber).post(step(filed, "finish"), {"labour_minutes": 10}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "Start the job before finishing it."

    assert phone(plumber).post(step(filed, "start")).status_code == 200
    response = phone(plumber).post(step(filed, "start"))
    assert response.status_code == 409
    assert response.json()["detail"] == "Only an assigned job can be started."

    services.ticket_finish(actor=plumber, ticket=filed, labour_minutes=10)
    response = phone(dispatcher).post(
        step(filed, "assign"), {"technician": "plumber1"}, format="json"
    )
    assert response.status_code == 409
    assert Ticket.objects.get(pk=filed.pk).labour_minutes == 10


def test_the_dispatcher_cannot_start_or_finish_for_the_technician(filed, dispatcher, plumber):
    services.ticket_assign(actor=dispatcher, ticket=filed, technician=plumber)
    assert phone(dispatcher).post(step(filed, "start")).status_code == 403
    services.ticket_start(actor=plumber, ticket=filed)
    response = phone(dispatcher).post(step(filed, "finish"), {"labour_minutes": 5}, format="json")
    assert response.status_code == 403
    assert Ticket.objects.get(pk=filed.pk).status == Ticket.Status.IN_PROGRESS


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"labour_minutes": 0},
        {"labour_minutes": -5},
        {"labour_minutes": 24 * 60 + 1},
        {"labour_minutes": "soon"},
        {"labour_minutes": 30, "note": "x" * 1001},
    ],
)
def test_bad_labour_or_note_is_400_and_the_job_stays_open(filed, dispatcher, plumber, body):
    services.ticket_assign(actor=dispatcher, ticket=filed, technician=plumber)
    services.ticket_start(actor=plumber, ticket=filed)
    response = phone(plumber).post(step(filed, "finish"), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]
    ticket = Ticket.objects.get(pk=filed.pk)
    assert ticket.status == Ticket.Status.IN_PROGRESS and ticket.labour_minutes == 0


def test_a_browser_session_needs_the_csrf_token(filed, dispatcher, plumber):
    services.ticket_assign(actor=dispatcher, ticket=filed, technician=plumber)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(plumber)
    response = browser.post(step(filed, "start"), content_type="application/json", data="{}")
    assert response.status_code == 403
    assert Ticket.objects.get(pk=filed.pk).status == Ticket.Status.ASSIGNED


def test_get_is_not_a_step(filed, dispatcher, plumber):
    services.ticket_assign(actor=dispatcher, ticket=filed, technician=plumber)
    assert phone(plumber).get(step(filed, "start")).status_code == 405
    assert Ticket.objects.get(pk=filed.pk).status == Ticket.Status.ASSIGNED
