"""Printable records (issue 18): a sealed inspection record prints without the portal's
chrome and with its seal in full; the print button is there on screen and not on paper. A
PDF of it is saved with the screenshots (what "print to PDF" gives, docs/printing.md)."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests import factories as f
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
