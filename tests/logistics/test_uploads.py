"""Photos (logistics.uploads): checked by content and size, re-encoded without metadata,
served only to those allowed to see them and only ever as a JPEG."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django import forms
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import ExifTags, Image
from rest_framework import serializers

from logistics import uploads
from logistics.models import AuditEvent, Photo, Role
from logistics.uploads import (
    MAX_SIDE,
    MAX_UPLOAD_BYTES,
    PhotoField,
    PhotoUploadField,
    photo_check,
    photo_create,
    photo_from_upload,
    photo_url,
    register_photo_access,
)
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English (the portal's default language is Chinese)."""
    with translation.override("en"):
        yield


RED, BLUE = (220, 20, 20), (20, 20, 220)
GPS_IFD = ExifTags.IFD.GPSInfo


# --- Test images, made in memory ----------------------------------------------------------


def image_bytes(fmt: str, size=(64, 48), color=RED, mode="RGB", **save_args) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save_args)
    return out.getvalue()


def jpeg_with_gps(size=(64, 48), orientation: int | None = None) -> bytes:
    """A phone photo: GPS position (and perhaps an orientation tag) in its EXIF, left half
    red and right half blue so a rotation shows."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.ImageDescription] = "Room 305, building 7"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[GPS_IFD] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 1.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (121.0, 26.0, 10.0),
    }
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"secret comment", quality=95)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` pixels but holds almost no data: a
    decompression bomb's header, without the bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def upload(content: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored(photo: Photo) -> Image.Image:
    with photo.image.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


def media_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- Storing a good photo -----------------------------------------------------------------


def test_a_phone_photo_is_stored_as_a_fresh_jpeg_without_its_location():
    user = UserFactory()
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # given: GPS inside

    photo = photo_create(uploaded_by=user, file=upload(original))

    photo.refresh_from_db()
    image = stored(photo)
    assert image.format == "JPEG"
    assert not image.getexif()  # no EXIF at all: no GPS, no camera, no description
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert "xmp" not in image.info and "comment" not in image.info
    with photo.image.open("rb") as f:
        data = f.read()
    assert b"PhoneMaker" not in data and b"secret comment" not in data
    assert (photo.width, photo.height) == (64, 48) == image.size
    assert photo.size == len(data) == photo.image.size
    assert photo.uploaded_by == user and photo.uploaded_at
    # under photos/<year>/<month>/, with a random name that says nothing about the upload
    parts = photo.image.name.split("/")
    assert parts[0] == "photos" and len(parts) == 4 and parts[3].endswith(".jpg")
    assert len(parts[3]) == len("0123456789abcdef0123456789abcdef.jpg")
    assert media_files() == [Path(django_settings.MEDIA_ROOT) / photo.image.name]


def test_a_sideways_phone_photo_is_turned_upright():
    # given a landscape bitmap tagged "rotate 90° clockwise to display" (orientation 6)
    photo = photo_create(uploaded_by=None, file=upload(jpeg_with_gps((80, 40), orientation=6)))

    image = stored(photo)
    assert image.size == (40, 80) == (photo.width, photo.height)
    # the left (red) half of the bitmap is now the top, the right (blue) half the bottom
    top, bottom = image.getpixel((20, 10)), image.getpixel((20, 70))
    assert top[0] > 150 and top[2] < 100
    assert bottom[2] > 150 and bottom[0] < 100
    assert not image.getexif()  # the tag went with the rest


def test_transparent_png_is_flattened_on_white():
    png = image_bytes("PNG", size=(30, 20), color=(0, 0, 0, 0), mode="RGBA")

    image = stored(photo_create(uploaded_by=None, file=upload(png, "shot.png", "image/png")))

    assert image.format == "JPEG" and image.mode == "RGB"
    assert all(channel > 245 for channel in image.getpixel((15, 10)))


@pytest.mark.parametrize(
    ("content", "size"),
    [
        pytest.param(image_bytes("GIF", size=(1, 1)), (1, 1), id="1x1 gif"),
        pytest.param(image_bytes("WEBP", size=(20, 10)), (20, 10), id="webp"),
        pytest.param(image_bytes("PNG", size=(8, 8), mode="P", color=3), (8, 8), id="palette png"),
        pytest.param(image_bytes("PNG", size=(8, 8), mode="L", color=128), (8, 8), id="grey png"),
        pytest.param(image_bytes("JPEG", size=(8, 8), mode="CMYK"), (8, 8), id="cmyk jpeg"),
    ],
)
def test_every_accepted_format_becomes_a_jpeg(content, size):
    photo = photo_create(uploaded_by=None, file=upload(content, "upload.bin", "text/plain"))

    image = stored(photo)
    assert image.format == "JPEG" and image.mode == "RGB" and image.size == size


def test_an_animated_gif_keeps_its_first_frame():
    frames = [Image.new("RGB", (10, 10), RED), Image.new("RGB", (10, 10), BLUE)]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)

    image = stored(photo_create(uploaded_by=None, file=upload(out.getvalue(), "a.gif")))

    red, _green, blue = image.getpixel((5, 5))
    assert red > 150 and blue < 100


def test_a_big_photo_is_scaled_down_to_the_long_side_limit():
    content = image_bytes("JPEG", size=(MAX_SIDE * 2, 1000))

    photo = photo_create(uploaded_by=None, file=upload(content))

    assert (photo.width, photo.height) == (MAX_SIDE, 500) == stored(photo).size


def test_a_small_photo_is_not_scaled_up():
    photo = photo_create(uploaded_by=None, file=upload(image_bytes("PNG", size=(300, 200))))
    assert (photo.width, photo.height) == (300, 200)


def test_a_plain_file_object_works_too():
    photo = photo_create(uploaded_by=None, file=io.BytesIO(image_bytes("PNG")))
    assert stored(photo).format == "JPEG"


def test_if_the_row_cannot_be_saved_the_file_is_removed_again():
    unsaved_user = UserFactory.build()

    with pytest.raises(ValueError):
        photo_create(uploaded_by=unsaved_user, file=upload(image_bytes("JPEG")))

    assert not Photo.objects.exists()
    assert media_files() == []


# --- Refusing bad uploads: a clear message and nothing written ----------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
NOT_AN_IMAGE = "This file is not a photo: only JPEG, PNG, WebP and GIF images are accepted."
DAMAGED = "The photo could not be read: the file is damaged or incomplete."
TOO_LARGE = "The photo is larger than 10 MB."
TOO_MANY_PIXELS = "The photo has too many pixels (at most 40 megapixels)."


def truncated_jpeg() -> bytes:
    noise = Image.frombytes("RGB", (200, 200), bytes(range(256)) * (200 * 200 * 3 // 256 + 1))
    out = io.BytesIO()
    noise.save(out, format="JPEG")
    return out.getvalue()[: len(out.getvalue()) // 2]


def corrupt_png() -> bytes:
    data = bytearray(image_bytes("PNG", size=(20, 20)))
    data[45] ^= 0xFF  # inside the IDAT chunk: its checksum no longer matches
    return bytes(data)


BAD_UPLOADS = [
    pytest.param(upload(SVG, "photo.svg", "image/svg+xml"), NOT_AN_IMAGE, id="svg"),
    pytest.param(upload(SVG, "photo.jpg", "image/jpeg"), NOT_AN_IMAGE, id="svg named jpg"),
    pytest.param(upload(HTML, "x.jpg", "image/jpeg"), NOT_AN_IMAGE, id="html named jpg"),
    pytest.param(upload(PDF, "scan.jpg", "image/jpeg"), NOT_AN_IMAGE, id="pdf"),
    pytest.param(upload(b"just some text\n", "a.jpg"), NOT_AN_IMAGE, id="text named jpg"),
    pytest.param(upload(image_bytes("BMP"), "a.bmp"), NOT_AN_IMAGE, id="bmp: not accepted"),
    pytest.param(upload(image_bytes("TIFF"), "a.jpg"), NOT_AN_IMAGE, id="tiff: not accepted"),
    pytest.param(upload(b"", "empty.jpg"), "The file is empty.", id="0 bytes"),
    pytest.param(upload(truncated_jpeg()), DAMAGED, id="truncated jpeg"),
    pytest.param(upload(corrupt_png(), "c.png"), DAMAGED, id="corrupt png"),
    pytest.param(upload(png_claiming(100_000, 100_000), "bomb.png"), TOO_MANY_PIXELS, id="bomb"),
    pytest.param(upload(png_claiming(8000, 6000), "big.png"), TOO_MANY_PIXELS, id="48 MP"),
]


@pytest.mark.parametrize(("file", "message"), BAD_UPLOADS)
def test_a_bad_upload_is_refused_with_a_clear_message_and_nothing_written(file, message):
    user = UserFactory()
    file.seek(0)

    with pytest.raises(ValidationError) as refused:
        photo_create(uploaded_by=user, file=file)

    assert refused.value.messages == [message]
    assert not Photo.objects.exists()
    assert media_files() == []


class Unreadable:
    """An upload that fails if anyone reads it."""

    size = MAX_UPLOAD_BYTES + 1

    def read(self, *args):
        raise AssertionError("read")


def test_a_file_over_10_mb_is_refused_before_it_is_read():
    big = Unreadable()  # the declared size is enough

    with pytest.raises(ValidationError) as refused:
        photo_create(uploaded_by=None, file=big)

    assert refused.value.messages == [TOO_LARGE]
    assert not Photo.objects.exists() and media_files() == []


def test_a_file_that_understates_its_size_is_refused_while_reading():
    big = upload(b"\xff\xd8\xff\xe0" + b"\0" * MAX_UPLOAD_BYTES)
    big.size = 1_000  # a lying or unknown size: the read itself stops at the limit

    with pytest.raises(ValidationError) as refused:
        photo_create(uploaded_by=None, file=big)

    assert refused.value.messages == [TOO_LARGE]
    assert not Photo.objects.exists() and media_files() == []


def test_the_pixel_limit_is_checked_from_the_header(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 100)

    with pytest.raises(ValidationError) as refused:
        photo_check(upload(image_bytes("PNG", size=(20, 20))))

    assert refused.value.code == "too_many_pixels"
    assert photo_check(upload(image_bytes("PNG", size=(10, 10)))).width == 10


def test_a_refusal_message_is_translated():
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as refused:
            photo_check(upload(b""))
        assert refused.value.messages == ["文件为空。"]


# --- In forms and in the API --------------------------------------------------------------


class ReportForm(forms.Form):
    photo = PhotoField()
    extra = PhotoField(required=False, capture=None)


def test_the_form_field_reports_a_bad_photo_next_to_the_field():
    form = ReportForm(files={"photo": upload(HTML, "x.jpg")})

    assert not form.is_valid()
    assert form.errors["photo"] == [NOT_AN_IMAGE]
    assert not Photo.objects.exists() and media_files() == []


def test_the_form_field_checks_once_and_the_photo_is_saved_with_photo_from_upload(
    monkeypatch,
):
    user = UserFactory()
    form = ReportForm(files={"photo": upload(jpeg_with_gps(), "IMG_0001.HEIC.jpg")})
    assert form.is_valid(), form.errors
    assert media_files() == []  # validating writes nothing

    checks = []
    monkeypatch.setattr(uploads, "photo_check", lambda file: checks.append(file))
    photo = photo_from_upload(user, form.cleaned_data["photo"])
    none = photo_from_upload(user, form.cleaned_data["extra"])

    assert checks == []  # the form's check is reused, not repeated
    assert photo.uploaded_by == user and not stored(photo).getexif()
    assert none is None and Photo.objects.count() == 1


def test_the_form_field_asks_phones_for_the_camera():
    form = ReportForm()
    html = str(form["photo"])
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    extra = str(form["extra"])
    assert 'accept="image/*"' in extra and "capture" not in extra


class ReportSerializer(serializers.Serializer):
    photo = PhotoUploadField()


def test_the_api_field_refuses_a_bad_photo_with_a_field_error():
    serializer = ReportSerializer(data={"photo": upload(SVG, "a.png", "image/png")})

    assert not serializer.is_valid()
    assert serializer.errors["photo"] == [NOT_AN_IMAGE]
    assert not Photo.objects.exists() and media_files() == []


def test_the_api_field_accepts_a_photo():
    user = UserFactory()
    serializer = ReportSerializer(data={"photo": upload(image_bytes("WEBP"), "a.webp")})

    assert serializer.is_valid(), serializer.errors
    photo = photo_from_upload(user, serializer.validated_data["photo"])
    assert stored(photo).format == "JPEG"


# --- Serving: only to those allowed to see it ---------------------------------------------


@pytest.fixture
def policies(monkeypatch):
    """Policies a test registers are gone after it."""
    monkeypatch.setattr(uploads, "_POLICIES", list(uploads._POLICIES))


@pytest.fixture
def uploader():
    return UserFactory()


@pytest.fixture
def photo(uploader):
    return photo_create(uploaded_by=uploader, file=upload(jpeg_with_gps()))


def assert_served(response, photo):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'inline; filename="photo-{photo.pk}.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    body = b"".join(response.streaming_content)
    with photo.image.open("rb") as f:
        assert body == f.read()


def test_anonymous_visitors_are_sent_to_the_login_page(client, photo):
    url = photo_url(photo)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_another_user_gets_404_as_if_the_photo_did_not_exist(client, photo):
    client.force_login(user_with_role(Role.DORM_MANAGER))

    assert client.get(photo_url(photo)).status_code == 404


def test_the_uploader_sees_their_own_photo(client, photo, uploader):
    client.force_login(uploader)

    assert_served(client.get(photo_url(photo)), photo)


def test_an_administrator_sees_every_photo(client, photo):
    client.force_login(user_with_role(Role.ADMIN))

    assert_served(client.get(photo_url(photo)), photo)


def test_a_registered_policy_lets_others_see_a_photo(client, photo, policies):
    auditor = user_with_role(Role.AUDITOR)
    client.force_login(auditor)
    assert client.get(photo_url(photo)).status_code == 404  # given: no policy yet

    @register_photo_access
    def auditors_see_inspection_photos(user, item):
        return item.pk == photo.pk and user.pk == auditor.pk

    register_photo_access(auditors_see_inspection_photos)  # registering twice is harmless
    assert uploads._POLICIES.count(auditors_see_inspection_photos) == 1
    assert_served(client.get(photo_url(photo)), photo)
    client.force_login(UserFactory())
    assert client.get(photo_url(photo)).status_code == 404


def test_a_photo_whose_uploader_was_deleted_is_still_only_for_the_allowed(client, photo):
    Photo.objects.filter(pk=photo.pk).update(uploaded_by=None)
    client.force_login(UserFactory())

    assert client.get(photo_url(photo)).status_code == 404


def test_an_unknown_photo_is_404(client):
    client.force_login(user_with_role(Role.ADMIN))

    assert client.get(reverse("photo", args=[999_999])).status_code == 404


def test_a_photo_whose_file_is_missing_is_404(client, photo, uploader):
    photo.image.storage.delete(photo.image.name)
    client.force_login(uploader)

    assert client.get(photo_url(photo)).status_code == 404


def test_serving_changes_nothing_and_accepts_no_post(client, photo, uploader):
    client.force_login(uploader)
    with photo.image.open("rb") as f:
        before = f.read()
    events = AuditEvent.objects.count()

    assert client.get(photo_url(photo)).status_code == 200
    assert client.head(photo_url(photo)).status_code == 200
    assert client.post(photo_url(photo)).status_code == 405

    assert Photo.objects.count() == 1 and AuditEvent.objects.count() == events
    assert Photo.objects.get().size == photo.size
    with photo.image.open("rb") as f:
        assert f.read() == before
    assert len(media_files()) == 1


def test_photos_are_not_served_from_media_url(client, photo, uploader):
    client.force_login(uploader)

    assert client.get(f"/{django_settings.MEDIA_URL}{photo.image.name}").status_code == 404


def test_a_truncated_photo_is_refused_after_a_pdf_was_made(monkeypatch):
    # WeasyPrint, imported by the first PDF download of a process, switches on Pillow's
    # process-wide LOAD_TRUNCATED_IMAGES: a worker that had served a PDF accepted truncated
    # photos. Given that switch on (as the import leaves it; put back after the test)
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    # When a truncated JPEG is uploaded, then it is refused as damaged all the same
    with pytest.raises(ValidationError) as refused:
        photo_create(uploaded_by=UserFactory(), file=upload(truncated_jpeg()))
    assert refused.value.messages == [DAMAGED]
    assert not Photo.objects.exists()
