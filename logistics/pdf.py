"""PDF downloads of printable records (issue 18, issue 16): a Django template rendered to HTML
in the reader's language, laid out by WeasyPrint with the portal's print stylesheet, and sent
as an attachment.

A record's PDF template extends `pdf/base.html` and includes the same partials its page
shows, so the paper and the screen cannot drift apart. WeasyPrint fetches nothing from the
network: `StaticOnlyFetcher` serves the portal's own static files (the stylesheets) from
disk and refuses every other URL (images of other hosts, the portal's own pages, `file:`).

WeasyPrint needs Pango (libpango-1.0-0, libpangoft2-1.0-0) and a CJK font for Chinese
(fonts-wqy-microhei or fonts-noto-cjk): docs/printing.md. Without Pango the import fails;
the download then answers 503 with a page that says so, and logs the error, while every
HTML page (and its browser print) goes on working.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header

logger = logging.getLogger(__name__)

PDF_CONTENT_TYPE = "application/pdf"


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the system libraries it needs (Pango) cannot be loaded."""


def _weasyprint():
    """The weasyprint module, imported when first needed: a missing Pango makes the import
    itself fail (OSError from cffi), which must not stop the portal from starting."""
    try:
        import weasyprint  # lazy on purpose, see above
    except (ImportError, OSError) as error:
        raise PdfUnavailable(str(error)) from error
    # Its import switches Pillow's process-wide LOAD_TRUNCATED_IMAGES on, which would let the
    # photo checks take truncated files as whole (logistics.uploads): off again.
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return weasyprint


def unavailable_reason() -> str | None:
    """Why PDFs cannot be made on this server (WeasyPrint or Pango missing), or None."""
    try:
        _weasyprint()
    except PdfUnavailable as error:
        return str(error)
    return None


def static_path(url_path: str) -> Path | None:
    """The file on disk behind a path under STATIC_URL (e.g. "css/print.css"), from the
    source folders (finders) or else the collected files; None for anything else."""
    relative = unquote(url_path).lstrip("/")
    if not relative or ".." in Path(relative).parts:
        return None
    found = finders.find(relative)
    if found:
        return Path(found)
    try:
        if staticfiles_storage.exists(relative):
            return Path(staticfiles_storage.path(relative))
    except (NotImplementedError, ValueError):  # a storage with no local files
        return None
    return None


def _static_prefix() -> str:
    prefix = urlsplit(settings.STATIC_URL).path
    return "/" + prefix.strip("/") + "/"


def make_fetcher(base_url: str):
    """A WeasyPrint URL fetcher that serves only the portal's static files (URLs of
    `base_url`'s host under STATIC_URL), read from disk, and refuses everything else."""
    weasyprint_urls = _weasyprint().urls
    base = urlsplit(base_url)

    class StaticOnlyFetcher(weasyprint_urls.URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            prefix = _static_prefix()
            path = None
            if (parts.scheme, parts.netloc) == (base.scheme, base.netloc) and (
                parts.path.startswith(prefix)
            ):
                path = static_path(parts.path[len(prefix) :])
            if path is None:
                logger.info("PDF: refused to fetch %s", url)
                raise ValueError(f"not one of the portal's static files: {url}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            headers = {"Content-Type": content_type}
            if content_type.startswith("text/"):
                headers["Content-Type"] = f"{content_type}; charset=utf-8"
            return weasyprint_urls.URLFetcherResponse(url, path.read_bytes(), headers)

    return StaticOnlyFetcher()


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    """Lay out `html` (whose relative URLs resolve against `base_url`) as PDF bytes."""
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=make_fetcher(base_url))
    return document.write_pdf()


def pdf_response(
    request: HttpRequest, template_name: str, context: dict, *, filename: str
) -> HttpResponse:
    """Render `template_name` with `context` for `request` (its language, its user) and
    answer with the PDF as an attachment named `filename`; 503 with an explanation when
    PDFs cannot be made on this server."""
    html = render_to_string(template_name, context, request=request)
    base_url = request.build_absolute_uri("/")
    try:
        content = html_to_pdf(html, base_url=base_url)
    except PdfUnavailable as error:
        logger.error(
            "PDF download %s unavailable: WeasyPrint cannot load (%s). Install the system "
            "packages in docs/printing.md (libpango-1.0-0, libpangoft2-1.0-0, a CJK font).",
            request.path,
            error,
        )
        return render(request, "pdf/unavailable.html", status=503)
    response = HttpResponse(content, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # A record of one person: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
