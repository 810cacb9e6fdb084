"""Repair photos for token clients (a mini-program): the tickets API gives each photo (the
fault's and the result's) a signed URL that opens without a session or a header, only the
photos of tickets the caller may see get one, and a URL altered or past its time is 404."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from maintenance import services
from maintenance.models import TicketPhoto
from tests import factories as f

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"


def token_client(user) -> APIClient:
    """A client that signs in as the mini-program does: with a token, no session."""
    token, _ = Token.objects.get_or_create(user=user)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")


def image_src() -> Client:
    """What an <image src> fetch is: no cookie, no Authorization header."""
    return Client()


def png(color=(200, 30, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="PNG")
    return SimpleUploadedFile("fault.png", out.getvalue(), content_type="image/png")


def stored_bytes(photo_id: int) -> bytes:
    photo = TicketPhoto.objects.get(photo_id=photo_id).photo
    with photo.image.open("rb") as file:
        return file.read()


def assert_image(response, photo_id: int):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert re.fullmatch(r"private, max-age=\d+", response["Cache-Control"])
    assert b"".join(response.streaming_content) == stored_bytes(photo_id)


@pytest.fixture
def finished_with_photos(student, dispatcher, plumber):
    """A ticket the student filed with a photo of the fault, finished by the plumber with a
    photo of the result."""
    ticket = services.ticket_file(
        reporter=student,
        category=f.category("plumbing"),
        description="水龙头漏水",
        photos=[png()],
    )
    services.ticket_assign(actor=dispatcher, ticket=ticket, technician=plumber)
    services.ticket_start(actor=plumber, ticket=ticket)
    services.ticket_finish(
        actor=plumber, ticket=ticket, labour_minutes=30, photos=[png((0, 90, 0))]
    )
    return ticket


def photo_urls(client, ticket) -> dict[str, str]:
    response = client.get(f"{TICKETS}{ticket.pk}/")
    assert response.status_code == 200, response.content
    return {photo["kind"]: photo["url"] for photo in response.json()["photos"]}


def photo_id_of(ticket, kind: str) -> int:
    return ticket.photos.get(kind=kind).photo_id


def test_a_token_client_opens_the_fault_photo_it_just_filed(student):
    response = token_client(student).post(
        TICKETS,
        {"category": "electrical", "description": "The lamp flickers", "photos": [png()]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    (photo,) = response.json()["photos"]

    # The URL is absolute (an <image src> needs the host) and opens with nothing else.
    assert photo["url"].startswith("http://testserver/photos/")
    assert_image(image_src().get(photo["url"]), TicketPhoto.objects.get().photo_id)


@pytest.mark.parametrize("kind", ["fault", "result"])
def test_the_reporter_and_the_technician_open_both_photos(
    finished_with_photos, student, plumber, kind
):
    for user in (student, plumber):
        url = photo_urls(token_client(user), finished_with_photos)[kind]

        assert_image(image_src().get(url), photo_id_of(finished_with_photos, kind))


def test_the_list_gives_the_same_kind_of_urls(finished_with_photos, dispatcher):
    response = token_client(dispatcher).get(TICKETS)
    assert response.status_code == 200
    (row,) = response.json()["results"]

    for photo in row["photos"]:
        assert_image(
            image_src().get(photo["url"]), photo_id_of(finished_with_photos, photo["kind"])
        )


def test_the_old_photo_page_still_sends_a_token_client_to_sign_in(finished_with_photos, student):
    """The session page is for browsers; the API's URLs are the token clients' way in."""
    plain = f"/photos/{photo_id_of(finished_with_photos, 'fault')}/"

    assert token_client(student).get(plain).status_code == 302


def test_someone_who_may_not_see_the_ticket_gets_no_url_and_no_photo(
    finished_with_photos, student, other_dispatcher, building
):
    stranger = f.resident_living_in(f.RoomFactory(building=building, number="909")).user
    url = photo_urls(token_client(student), finished_with_photos)["fault"]
    stranger_ticket = services.ticket_file(
        reporter=stranger, category=f.category("plumbing"), description="门锁坏了", photos=[png()]
    )

    # Neither the other resident nor another campus's dispatcher gets the ticket at all.
    for user in (stranger, other_dispatcher):
        assert token_client(user).get(f"{TICKETS}{finished_with_photos.pk}/").status_code == 404
    # The student's URL with the stranger's photo id in it opens nothing.
    forged = url.replace(
        f"/photos/{photo_id_of(finished_with_photos, 'fault')}/",
        f"/photos/{photo_id_of(stranger_ticket, 'fault')}/",
    )
    assert image_src().get(forged).status_code == 404


def test_a_url_past_its_time_or_altered_is_404(finished_with_photos, student, settings):
    url = photo_urls(token_client(student), finished_with_photos)["fault"]
    assert image_src().get(url).status_code == 200

    assert image_src().get(url[:-2] + ("x/" if url[-2] != "x" else "y/")).status_code == 404
    settings.PHOTO_URL_MAX_AGE = -1  # every URL given out so far is now too old
    assert image_src().get(url).status_code == 404


def test_browser_sessions_keep_working(finished_with_photos, student):
    browser = Client()
    browser.force_login(student)
    response = browser.get(f"{TICKETS}{finished_with_photos.pk}/")
    assert response.status_code == 200
    fault = next(p for p in response.json()["photos"] if p["kind"] == "fault")

    photo_id = photo_id_of(finished_with_photos, "fault")
    assert_image(browser.get(fault["url"]), photo_id)
    assert browser.get(f"/photos/{photo_id}/").status_code == 200


# --- Bad photos: errors in the declared shape ------------------------------------------------


def test_bad_photos_are_listed_as_messages_naming_the_photo(student):
    """The description says `errors` holds a list of messages per field; the photos' errors
    used to come as {"photos": {"0": [...]}}."""
    not_a_photo = SimpleUploadedFile("a.jpg", b"<script>", content_type="image/jpeg")

    response = token_client(student).post(
        TICKETS,
        {"category": "plumbing", "description": "x", "photos": [png(), not_a_photo]},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "photos": [
            "Photo 2: This file is not a photo: only JPEG, PNG, WebP and GIF images are accepted."
        ]
    }
    assert TicketPhoto.objects.count() == 0


def test_a_photo_that_is_not_a_file_is_a_message_too(student):
    response = token_client(student).post(
        TICKETS,
        {"category": "plumbing", "description": "x", "photos": ["{}"]},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    (message,) = response.json()["errors"]["photos"]
    assert message.startswith("Photo 1: ")
