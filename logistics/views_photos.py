"""Serving photos (logistics.uploads): only to those allowed to see them, only as a JPEG."""

import logging

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from logistics.models import Photo
from logistics.uploads import may_see_photo, signed_photo_viewer

logger = logging.getLogger(__name__)

# The stored file is always our own re-encoded JPEG. These headers make sure that, even so,
# a browser never runs anything from it: no sniffing another type, no scripts, plugins or
# forms if it is opened as a document (the CSP middleware leaves a policy the view set), and
# no other site may embed it.
PHOTO_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    # Browsers may keep it for an hour; shared caches (proxies) never. Withdrawn access
    # therefore takes effect on other devices at once, on the same browser within the hour.
    "Cache-Control": "private, max-age=3600",
}


@require_safe
def photo(request, pk: int):
    """A photo, to a signed-in user some access policy allows; 404 to anyone else, as for a
    photo that does not exist."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    item = get_object_or_404(Photo, pk=pk)
    if not may_see_photo(request.user, item):
        raise Http404
    return _serve(item, cache_control=PHOTO_HEADERS["Cache-Control"])


@require_safe
def photo_signed(request, pk: int, token: str):
    """A photo by its signed URL (logistics.uploads.signed_photo_url), without session or
    token: to the viewer the URL was signed for, while it is valid and the viewer may still
    see the photo; 404 otherwise, as for a photo that does not exist."""
    signed = signed_photo_viewer(pk, token)
    if signed is None:
        raise Http404
    viewer, seconds_left = signed
    item = get_object_or_404(Photo, pk=pk)
    if not may_see_photo(viewer, item):
        raise Http404
    # The client may keep it while the URL is valid; shared caches never.
    return _serve(item, cache_control=f"private, max-age={seconds_left}")


def _serve(item: Photo, *, cache_control: str) -> FileResponse:
    try:
        stream = item.image.open("rb")
    except FileNotFoundError:
        logger.error("Photo %s: file %s is missing from storage", item.pk, item.image.name)
        raise Http404 from None
    response = FileResponse(stream, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="photo-{item.pk}.jpg"'
    for header, value in PHOTO_HEADERS.items():
        response[header] = value
    response["Cache-Control"] = cache_control
    return response
