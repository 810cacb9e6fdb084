"""Printable records (issue 18): a sealed inspection record prints without the portal's
chrome and with its seal in full; the print button is there on screen and not on paper. A
PDF of it is saved with the screenshots (what "print to PDF" gives, docs/printing.md). The
server-made PDFs download from a phone with the Download PDF button beside Print, without
widening the page; the files are kept with the screenshots too."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests import factories as f
from tests.apartments.test_inspections import complete, start, world  # noqa: F401 (fixture)
from tests.e2e.conftest import SCREENSHOTS, assert_no_js_errors
from tests.quality.data import published_checklist, sealed_inspection

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signed_in(open_page, live_server, user, screen="laptop"):
    client = Client()
    client.force_login(user)
    page = open_page(screen=screen, locale="en-US")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def test_a_sealed_inspection_record_prints_cleanly(open_page, live_server):
    auditor = f.user_with_role("auditor", username="auditor-print")
    department = f.DepartmentFactory(code="apartments", areas=["apartments"])
    version = published_checklist("apartments", code="print-std", by=auditor)
    record = sealed_inspection(version, department=department, auditor=auditor)
    page = signed_in(open_page, live_server, auditor)
    page.goto(f"/quality/inspections/{record.pk}/")
    expect(page.get_by_test_id("print")).to_be_visible()

    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(page.get_by_test_id("print")).to_be_hidden()
    expect(page.get_by_test_id("seal")).to_contain_text(record.seal)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SCREENSHOTS / "sealed-inspection-print.pdf"), format="A4")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")
    expect(page.locator("nav.navbar")).to_be_visible()
    assert page.locator("[data-testid=seal] details[open]").count() == 0
    assert_no_js_errors(page)


# --- PDF downloads (docs/printing.md) --------------------------------------------------------

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth"


def signed_in_as(open_page, live_server, user, *, screen, locale):
    client = Client()
    client.force_login(user)
    page = open_page(screen=screen, locale=locale)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def downloaded_text(page, testid: str, expected_name: str) -> str:
    """Click the download button `testid`; the file's name and its text (kept with the
    screenshots)."""
    from tests.pdfs import text_of

    with page.expect_download() as info:
        page.get_by_test_id(testid).click()
    download = info.value
    assert download.suggested_filename == expected_name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"download-{expected_name}"
    download.save_as(str(target))
    return text_of(target.read_bytes())


@pytest.mark.usefixtures("pdf_maker")
def test_a_sealed_record_downloads_as_pdf_from_a_phone_in_chinese(open_page, live_server):
    auditor = f.user_with_role("auditor", username="auditor-pdf")
    department = f.DepartmentFactory(code="apartments", areas=["apartments"])
    version = published_checklist("apartments", code="pdf-e2e", by=auditor)
    record = sealed_inspection(version, department=department, auditor=auditor)
    page = signed_in_as(open_page, live_server, auditor, screen="phone", locale="zh-CN")
    page.goto(f"/quality/inspections/{record.pk}/")
    expect(page.get_by_test_id("print")).to_be_visible()
    expect(page.get_by_test_id("download-pdf")).to_be_visible()
    assert page.evaluate(NO_OVERFLOW)
    text = downloaded_text(page, "download-pdf", f"{record.number}.pdf")
    assert record.seal in text.replace(" ", "")
    assert "地面干净无杂物" in text.replace(" ", "")
    assert_no_js_errors(page)


@pytest.mark.usefixtures("pdf_maker")
def test_a_student_downloads_the_clearance_slip_from_a_phone(
    open_page,
    live_server,
    world,  # noqa: F811
):
    complete(world, start(world), CH1={"result": "damaged", "resident_ids": [world["mover"].pk]})
    mover = world["mover"]
    page = signed_in_as(open_page, live_server, mover.user, screen="phone", locale="en-US")
    page.goto("/apartments/move-out/mine/")
    card = page.get_by_test_id("my-clearance")
    expect(card.get_by_test_id("print")).to_be_visible()
    expect(card.get_by_test_id("download-pdf")).to_be_visible()
    assert page.evaluate(NO_OVERFLOW)
    text = downloaded_text(page, "download-pdf", f"clearance-{mover.student_id}.pdf")
    assert "Chair" in text and "¥30.00" in text and mover.student_id in text
    assert_no_js_errors(page)
