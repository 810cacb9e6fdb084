"""Photos: every image a user uploads, anywhere in the portal, goes through this module.

An upload is judged by its content, never by its name or the browser's content type: it must
be a JPEG, PNG, WebP or GIF that Pillow can read completely, at most MAX_UPLOAD_BYTES and
MAX_PIXELS. What is stored is never the bytes the user sent but a fresh JPEG drawn from the
decoded pixels (orientation applied, alpha flattened on white, long side at most MAX_SIDE), so
no EXIF (GPS position, camera serial), ICC, XMP or comment survives, and the file served can
only ever be a JPEG.

- Forms: `PhotoField` (reports problems inline); APIs: `PhotoUploadField`, and
  `PhotoUploadListField` for several.
- Writes: `photo_create(uploaded_by=, file=)`, or `photo_from_upload(user, file)` for an
  optional field.
- Who may see a photo: the uploader and administrators always; anyone else only if a policy
  registered with `register_photo_access(fn)` says so. Photos are served by the `photo` page
  (`photo_url(photo)`, the browser's session), or for API clients by a signed, short-lived
  URL naming the photo and its viewer (`signed_photo_url(request, photo_id)`, the serializer
  field `SignedPhotoUrlField`); never from MEDIA_URL.

The kernel imports no app: apps register their policies (a move-out inspection's photos are
visible to whoever may see the inspection) from their own modules at start-up.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError
from rest_framework import serializers

from logistics.access import has_role
from logistics.models import Photo, Role

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // (1024 * 1024)
# 40 megapixels covers every phone camera; decoded as RGBA that is 160 MB of memory, the most
# one upload may take. Pillow's own bomb limit (~89 MP) is a process-wide global that other
# code shares, so the limit is checked here, from the header, before any pixel is decoded.
MAX_PIXELS = 40_000_000
MAX_SIDE = 2560  # long side of the stored photo: sharp on any screen, ~0.5-1.5 MB as JPEG
JPEG_QUALITY = 85
# Pillow's format names; only these plugins may even try to open an upload (no SVG, PDF,
# TIFF, PSD, EPS …: fewer decoders, less attack surface).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
BACKGROUND = (255, 255, 255)  # transparent areas become white

_NOT_AN_IMAGE = _("This file is not a photo: only JPEG, PNG, WebP and GIF images are accepted.")


def too_large_message() -> str:
    return _("The photo is larger than %(limit)s MB.") % {"limit": MAX_UPLOAD_MB}


@dataclass(frozen=True)
class CheckedPhoto:
    """An upload that passed every check, already re-encoded: what will be stored."""

    data: bytes  # the JPEG to store
    width: int
    height: int
    source_format: str  # what Pillow found in the upload: JPEG, PNG, WEBP or GIF


# --- Checking and re-encoding --------------------------------------------------------------


def photo_check(file) -> CheckedPhoto:
    """Check an uploaded file by its content and re-encode it; write nothing. Raises
    ValidationError with a message for the user when the file is not an acceptable photo."""
    return _reencode(_read_limited(file))


def _read_limited(file) -> bytes:
    """The upload's bytes, refusing more than MAX_UPLOAD_BYTES: by the declared size first,
    then while reading (a stream's size may be unknown or wrong)."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(too_large_message(), code="too_large")
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(too_large_message(), code="too_large")
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    return data


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ValidationError(_NOT_AN_IMAGE, code="not_an_image")
    if width * height > MAX_PIXELS:
        raise ValidationError(
            _("The photo has too many pixels (at most %(limit)s megapixels).")
            % {"limit": MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        )


def _decode(data: bytes) -> Image.Image:
    """Open, verify, then decode completely (a truncated or corrupt file fails here)."""
    # WeasyPrint (the PDF downloads) switches Pillow's process-wide LOAD_TRUNCATED_IMAGES on
    # when it is imported, and a worker that had made a PDF then took truncated photos as
    # whole. Only ever switched off, here and after that import (logistics.pdf): the PDFs'
    # images are the portal's own static files.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        # verify() checks a file's structure (PNG checksums, …) but leaves the image unusable,
        # so the file is opened a second time to decode it.
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
            _check_pixels(probe.size)
            probe.verify()
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        _check_pixels(image.size)
        image.seek(0)  # an animated GIF or WebP: its first frame
        image.load()
    except ValidationError:
        raise
    except UnidentifiedImageError as exc:
        raise ValidationError(_NOT_AN_IMAGE, code="not_an_image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("The photo has too many pixels (at most %(limit)s megapixels).")
            % {"limit": MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        ) from exc
    except Exception as exc:
        # A damaged file can make a decoder raise almost anything (OSError, SyntaxError,
        # struct.error, IndexError, …); each means the same to the user.
        raise ValidationError(
            _("The photo could not be read: the file is damaged or incomplete."),
            code="damaged",
        ) from exc
    return image


def _reencode(data: bytes) -> CheckedPhoto:
    image = _decode(data)
    source_format = image.format or ""
    try:
        # Phones store portrait photos sideways with an orientation tag: turn the pixels,
        # since the tag goes with the rest of the metadata.
        image = ImageOps.exif_transpose(image)
        has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
            image.mode == "P" and "transparency" in image.info
        )
        image = image.convert("RGBA" if has_alpha else "RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        # A new image carries none of the upload's info (EXIF, ICC profile, XMP, comments):
        # only its pixels are copied.
        clean = Image.new("RGB", image.size, BACKGROUND)
        clean.paste(image, mask=image.getchannel("A") if has_alpha else None)
        out = io.BytesIO()
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    except Exception as exc:
        raise ValidationError(
            _("The photo could not be read: the file is damaged or incomplete."),
            code="damaged",
        ) from exc
    return CheckedPhoto(
        data=out.getvalue(), width=clean.width, height=clean.height, source_format=source_format
    )


# --- Writing -------------------------------------------------------------------------------

# PhotoField keeps its result on the uploaded file, so a form's photo is decoded once. Only
# this module sets the attribute; a caller cannot forge it from a request.
_CHECKED_ATTR = "_logistics_checked_photo"


@transaction.atomic
def photo_create(*, uploaded_by, file) -> Photo:
    """Check `file` (an UploadedFile or any binary file object) and store it as a Photo.
    Raises ValidationError, writing nothing, when it is not an acceptable photo."""
    checked = getattr(file, _CHECKED_ATTR, None)
    if not isinstance(checked, CheckedPhoto):
        checked = photo_check(file)
    photo = Photo(
        uploaded_by=uploaded_by,
        width=checked.width,
        height=checked.height,
        size=len(checked.data),
    )
    # A random name: a photo's address on disk says nothing about whose or what it is, and
    # cannot be guessed.
    photo.image.save(f"{uuid.uuid4().hex}.jpg", ContentFile(checked.data), save=False)
    try:
        photo.save()
    except BaseException:
        photo.image.delete(save=False)
        raise
    return photo


def photo_from_upload(user, file) -> Photo | None:
    """The Photo for an optional upload field (a form's cleaned value or a serializer's
    validated value): None when no file was sent."""
    if not file:
        return None
    return photo_create(uploaded_by=user, file=file)


# --- Form and API fields -------------------------------------------------------------------


class PhotoField(forms.FileField):
    """A form field for one photo: checked when the form is validated, so problems show next
    to the field. Save it with `photo_from_upload(request.user, form.cleaned_data[name])`.

    On phones `capture="environment"` opens the rear camera; pass `capture=None` where a photo
    from the gallery is just as likely (some Android browsers then offer the camera only)."""

    # Not ClearableFileInput: it would link an existing file to MEDIA_URL, which serves nothing.
    widget = forms.FileInput

    def __init__(self, *, capture: str | None = "environment", **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", "image/*")
        if capture:
            self.widget.attrs.setdefault("capture", capture)

    def clean(self, data, initial=None):
        file = super().clean(data, initial)
        if file and file is not initial and hasattr(file, "read"):
            setattr(file, _CHECKED_ATTR, photo_check(file))
        return file


class PhotoUploadField(serializers.FileField):
    """A DRF serializer field for one photo (multipart upload), checked like PhotoField.
    Save it with `photo_from_upload(request.user, validated_data[name])`."""

    def to_internal_value(self, data):
        file = super().to_internal_value(data)
        try:
            setattr(file, _CHECKED_ATTR, photo_check(file))
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return file


class PhotoUploadListField(serializers.ListField):
    """A DRF serializer field for several photos (multipart, the field repeated). A bad photo
    is reported as one message naming it ("Photo 2: …"), so that `errors` keeps its declared
    shape, a list of messages per field (DRF would answer {"photos": {"1": [...]}})."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", PhotoUploadField())
        super().__init__(**kwargs)

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            messages = [
                _("Photo %(number)s: %(problem)s") % {"number": index + 1, "problem": message}
                for index, problems in sorted(exc.detail.items())
                for message in problems
            ]
            raise serializers.ValidationError(messages) from exc


# --- Who may see a photo -------------------------------------------------------------------

PhotoPolicy = Callable[[object, Photo], bool]
_POLICIES: list[PhotoPolicy] = []


def register_photo_access(policy: PhotoPolicy) -> PhotoPolicy:
    """Add `policy(user, photo) -> bool`; a user may see a photo if any policy says so. Usable
    as a decorator. An app registers one policy per kind of record that holds photos, from a
    module imported at start-up, and answers True only for photos of records the user may see
    (a policy for another app's photos must answer False, not raise)."""
    if policy not in _POLICIES:
        _POLICIES.append(policy)
    return policy


def may_see_photo(user, photo: Photo) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return any(policy(user, photo) for policy in _POLICIES)


def photo_url(photo: Photo) -> str:
    """The address a page shows a photo at (`<img src>`); in templates also
    `{% url "photo" photo.pk %}`."""
    return reverse("photo", args=[photo.pk])


# --- Signed URLs, for API clients ------------------------------------------------------------
#
# A mini-program's <image src> sends neither the browser's session cookie nor an
# Authorization header, so the API hands out URLs that carry their own proof: the viewer's id,
# signed together with the photo's id (the salt) and the time (TimestampSigner, keyed by
# SECRET_KEY). The URL opens the photo for PHOTO_URL_MAX_AGE seconds, and only while that viewer
# may still see it (the policies are asked again). See docs/decisions.md.

_SIGNED_URL_SALT = "logistics.photo"
# Base64 and base62 never contain a dot, so it can separate the parts, and a URL path keeps it.
_SIGNED_URL_SEP = "."


def _photo_signer(photo_id: int) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"{_SIGNED_URL_SALT}:{photo_id}", sep=_SIGNED_URL_SEP)


def signed_photo_path(photo_id: int, viewer) -> str:
    """The path of `photo_id`'s signed URL for `viewer`. Give it only to a viewer who may see the
    photo (a serializer of a record the viewer may see); it opens nothing for anyone else."""
    token = _photo_signer(photo_id).sign(str(viewer.pk))
    return reverse("photo-signed", args=[photo_id, token])


def signed_photo_url(request, photo_id: int) -> str:
    """The absolute signed URL of `photo_id` for the user making `request`."""
    return request.build_absolute_uri(signed_photo_path(photo_id, request.user))


def signed_photo_viewer(photo_id: int, token: str) -> tuple[object, int] | None:
    """Who a signed URL was given to, and for how many more seconds it is valid; None when the
    token is forged, altered, for another photo or expired, or its viewer is inactive."""
    max_age = settings.PHOTO_URL_MAX_AGE
    signer = _photo_signer(photo_id)
    try:
        viewer_id = signer.unsign(token, max_age=max_age)
        # unsign() checked the signature; the timestamp is the part before it.
        issued = signing.b62_decode(token.rsplit(_SIGNED_URL_SEP, 2)[1])
    except (signing.BadSignature, ValueError):
        return None
    viewer = get_user_model().objects.filter(pk=int(viewer_id), is_active=True).first()
    if viewer is None:
        return None
    remaining = max(0, int(issued + max_age - time.time()))
    return viewer, remaining


@extend_schema_field({"type": "string", "format": "uri"})
class SignedPhotoUrlField(serializers.Field):
    """Read-only: a photo id (`source=`) as its signed URL for the caller (absolute, valid for
    PHOTO_URL_MAX_AGE seconds, no session or header needed); null for no photo (declare
    `allow_null=True` then). The serializer
    needs the request in its context (generic views pass it)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        request = self.context.get("request")
        if request is None:
            raise ImproperlyConfigured(
                f"{type(self.parent).__name__} needs the request in its context "
                "to sign photo URLs for the caller."
            )
        photo_id = value.pk if isinstance(value, Photo) else int(value)
        return signed_photo_url(request, photo_id)


@register_photo_access
def _uploader_sees_own(user, photo: Photo) -> bool:
    return photo.uploaded_by_id is not None and photo.uploaded_by_id == user.pk


@register_photo_access
def _administrators_see_all(user, photo: Photo) -> bool:
    return has_role(user, Role.ADMIN)


# --- PDF documents ---------------------------------------------------------------------------

MAX_PDF_BYTES = 20 * 1024 * 1024


def pdf_check(file) -> bytes:
    """The bytes of an uploaded PDF, checked by content, not by its name or declared type: it
    must start with the PDF signature (%PDF-) and end with its end-of-file marker (%%EOF) in the
    last kilobyte. Raises ValidationError with a message for the user otherwise."""
    size = getattr(file, "size", None)
    limit_message = _("The PDF is larger than %(limit)s MB.") % {
        "limit": MAX_PDF_BYTES // (1024 * 1024)
    }
    if size is not None and size > MAX_PDF_BYTES:
        raise ValidationError(limit_message, code="too_large")
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_PDF_BYTES + 1)
    if len(data) > MAX_PDF_BYTES:
        raise ValidationError(limit_message, code="too_large")
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise ValidationError(_("This file is not a PDF document."), code="not_pdf")
    return data
