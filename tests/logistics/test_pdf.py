"""The shared PDF maker (logistics/pdf.py): WeasyPrint reads only the portal's own static
files and nothing else (no network, no other file), and a server without WeasyPrint or Pango
answers a PDF download with a clear 503 page and an error in the log, not a crash."""

import logging
import sys

import pytest
from django.urls import reverse

from logistics import pdf
from tests import factories as f
from tests.pdfs import text_of
from tests.quality.data import published_checklist, sealed_inspection

BASE = "http://portal.example.edu.cn/"

# Every test but the last needs WeasyPrint itself (the last takes it away).
needs_pdf = pytest.mark.usefixtures("pdf_maker")


@needs_pdf
def test_the_fetcher_serves_the_portals_static_files_from_disk():
    fetcher = pdf.make_fetcher(BASE)
    response = fetcher(BASE + "static/css/print.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/static/css/print.css",  # another host
        "https://portal.example.edu.cn/static/css/print.css",  # another scheme
        BASE + "photos/1/",  # the portal's pages, not its static files
        BASE + "static/../pyproject.toml",
        BASE + "static/css/%2e%2e/%2e%2e/pyproject.toml",
        BASE + "static/does-not-exist.css",
        "file:///etc/passwd",
        "data:text/css,body{}",
    ],
)
@needs_pdf
def test_the_fetcher_refuses_everything_else(url):
    with pytest.raises(ValueError, match="static files"):
        pdf.make_fetcher(BASE)(url)


@needs_pdf
def test_a_document_is_laid_out_with_chinese_and_without_reaching_out(monkeypatch):
    asked = []
    real = pdf.make_fetcher

    def recording(base_url):
        fetcher = real(base_url)
        original = fetcher.fetch

        def fetch(url, headers=None):
            asked.append(url)
            return original(url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(pdf, "make_fetcher", recording)
    content = pdf.html_to_pdf(
        '<link rel="stylesheet" href="/static/css/pdf.css">'
        '<img src="http://example.com/tracker.png" style="display: block !important">'
        "<p>房间 S01-101 ¥30.00</p>",
        base_url=BASE,
    )
    assert content.startswith(b"%PDF-")
    assert asked == [BASE + "static/css/pdf.css", "http://example.com/tracker.png"]

    assert "房间 S01-101 ¥30.00" in text_of(content)


@pytest.mark.django_db
def test_without_weasyprint_the_download_answers_503_and_logs_why(client, monkeypatch, caplog):
    auditor = f.user_with_role("auditor", username="a-pdf")
    department = f.DepartmentFactory(code="apartments", areas=["apartments"])
    version = published_checklist("apartments", code="pdf-503", by=auditor)
    record = sealed_inspection(version, department=department, auditor=auditor)
    # As on a server without Pango: importing weasyprint fails.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    client.force_login(auditor)
    with caplog.at_level(logging.ERROR, logger="logistics.pdf"):
        response = client.get(
            reverse("quality:inspection_pdf", args=[record.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'data-testid="pdf-unavailable"' in page and "Print" in page
    assert any("libpango" in r.getMessage() for r in caplog.records)
    # the record's page itself still works
    assert client.get(reverse("quality:inspection_detail", args=[record.pk])).status_code == 200


def test_check_deploy_warns_when_pdfs_cannot_be_made(monkeypatch):
    from logistics.checks import pdf_downloads_work

    monkeypatch.setitem(sys.modules, "weasyprint", None)
    (warning,) = pdf_downloads_work(None)
    assert warning.id == "logistics.W002" and "libpango" in warning.hint


@needs_pdf
def test_check_deploy_is_quiet_where_pdfs_can_be_made():
    from logistics.checks import pdf_downloads_work

    assert pdf_downloads_work(None) == []


def test_a_collected_static_file_is_found_too(tmp_path, settings):
    """In production `{% static %}` names the collected, hashed copy (manifest storage):
    the fetcher finds it in STATIC_ROOT when the source folders do not have it."""
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "print.0123abcd.css").write_text("@page { size: A4 }")
    settings.STATIC_ROOT = str(tmp_path)
    found = pdf.static_path("css/print.0123abcd.css")
    assert found == tmp_path / "css" / "print.0123abcd.css"
    assert pdf.static_path("css/print.css").name == "print.css"  # the source folder first
    assert pdf.static_path("css/nothing.css") is None
