"""Signed photo URLs (logistics.uploads.signed_photo_url): what the API gives a token client
(a mini-program's <image src> sends neither a cookie nor a header). The URL names the photo and
its viewer, expires after PHOTO_URL_MAX_AGE, and opens the photo only while that viewer may
still see it; anything else answers 404, as a photo that does not exist."""

import io
import re
import time

import pytest
from django.core import signing
from django.test import Client, RequestFactory
from PIL import Image

from logistics import uploads
from logistics.models import Role
from logistics.uploads import (
    photo_create,
    photo_url,
    register_photo_access,
    signed_photo_path,
    signed_photo_url,
)
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def jpeg(color=(200, 30, 30)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="JPEG")
    out.seek(0)
    return out


@pytest.fixture
def photo():
    return photo_create(uploaded_by=UserFactory(), file=jpeg())


@pytest.fixture
def viewer(photo, monkeypatch):
    """Someone a policy lets see `photo` (and only that photo)."""
    monkeypatch.setattr(uploads, "_POLICIES", list(uploads._POLICIES))
    user = user_with_role(Role.AUDITOR)

    @register_photo_access
    def _the_viewer_sees_the_photo(someone, item):
        return someone.pk == user.pk and item.pk == photo.pk

    return user


def anonymous() -> Client:
    """A client with no session and no token: what <image src> is."""
    return Client()


def stored_bytes(photo) -> bytes:
    with photo.image.open("rb") as f:
        return f.read()


def minted_seconds_ago(seconds: int, photo, viewer) -> str:
    """A signed URL as it was given `seconds` ago."""
    then = int(time.time()) - seconds
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then))
        return signed_photo_path(photo.pk, viewer)


def test_a_signed_url_serves_the_photo_to_a_client_without_session_or_token(photo, viewer):
    response = anonymous().get(signed_photo_path(photo.pk, viewer))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'inline; filename="photo-{photo.pk}.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # Only the client keeps it, and no longer than the URL is valid.
    cache = response["Cache-Control"]
    assert re.fullmatch(r"private, max-age=\d+", cache), cache
    assert 0 < int(cache.rsplit("=", 1)[1]) <= 15 * 60
    assert b"".join(response.streaming_content) == stored_bytes(photo)


def test_head_works_and_nothing_but_get_and_head(photo, viewer):
    url = signed_photo_path(photo.pk, viewer)

    assert anonymous().head(url).status_code == 200
    assert anonymous().post(url).status_code == 405


def test_the_api_gives_an_absolute_url_for_the_caller():
    request = RequestFactory().get("/api/v1/tickets/")
    request.user = user = UserFactory()

    url = signed_photo_url(request, 42)

    assert url.startswith("http://testserver/photos/42/signed/")
    assert url.endswith("/")
    # It is the path signed for that caller.
    assert url.removeprefix("http://testserver").split("/signed/")[0] == "/photos/42"
    assert str(user.pk) in url.split("/signed/")[1]


def test_a_url_signed_for_someone_who_may_not_see_the_photo_is_404(photo, viewer):
    stranger = user_with_role(Role.DORM_MANAGER)

    assert anonymous().get(signed_photo_path(photo.pk, stranger)).status_code == 404


def test_another_photo_id_in_a_signed_url_is_404(photo, viewer):
    other = photo_create(uploaded_by=viewer, file=jpeg((0, 0, 200)))  # the viewer's own, even
    url = signed_photo_path(photo.pk, viewer)

    forged = url.replace(f"/photos/{photo.pk}/", f"/photos/{other.pk}/")

    assert anonymous().get(forged).status_code == 404


@pytest.mark.parametrize("how", ["signature", "viewer", "garbage", "empty-ish"])
def test_a_tampered_url_is_404(photo, viewer, how):
    url = signed_photo_path(photo.pk, viewer)
    prefix, token = url.rstrip("/").rsplit("/", 1)
    if how == "signature":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif how == "viewer":
        token = str(viewer.pk + 1) + token[len(str(viewer.pk)) :]
    elif how == "garbage":
        token = "not-a-token"
    else:
        token = "."

    assert anonymous().get(f"{prefix}/{token}/").status_code == 404


def test_a_url_expires_after_fifteen_minutes(photo, viewer):
    assert anonymous().get(minted_seconds_ago(14 * 60, photo, viewer)).status_code == 200
    assert anonymous().get(minted_seconds_ago(16 * 60, photo, viewer)).status_code == 404


def test_the_lifetime_is_a_setting(photo, viewer, settings):
    settings.PHOTO_URL_MAX_AGE = 60

    assert anonymous().get(minted_seconds_ago(90, photo, viewer)).status_code == 404


def test_access_withdrawn_after_the_url_was_given_takes_effect_at_once(photo, viewer):
    url = signed_photo_path(photo.pk, viewer)
    assert anonymous().get(url).status_code == 200

    viewer.is_active = False
    viewer.save()

    assert anonymous().get(url).status_code == 404


def test_an_unknown_photo_is_404_even_when_signed_for_an_administrator():
    admin = user_with_role(Role.ADMIN)

    assert anonymous().get(signed_photo_path(999_999, admin)).status_code == 404


def test_the_session_page_keeps_working_for_browsers(photo, viewer):
    browser = Client()
    browser.force_login(viewer)

    assert browser.get(photo_url(photo)).status_code == 200
    # and a signed URL opens in a signed-in browser too (the URL, not the session, decides)
    assert browser.get(signed_photo_path(photo.pk, viewer)).status_code == 200
