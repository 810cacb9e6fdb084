"""Every page of each demo role, at the phone, tablet and laptop widths, in Chinese and in
English, is no wider than the screen (issue 18, "Layout"): a page wider than the screen
(document.documentElement.scrollWidth > window.innerWidth) fails, naming the page, the
width, the language and the elements that stick out.

The pages are the home page, the account page and every service-hall entry the role sees,
as the demo university has them (`manage.py seed_demo`). One browser; one context per role
and language, signed in with the role's session cookie; each page is loaded once and measured
at the three widths by resizing it (desktop contexts: a mobile one would zoom out to fit
what overflows and hide it). Screenshots of every page at every width (the viewport, JPEG)
are kept in $CI_ARTIFACTS/overflow/ when CI_ARTIFACTS is set, else in
artifacts/screenshots/overflow/. Select or leave out with `-m overflow`."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from logistics.hall import entries_for
from logistics.models import User
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.overflow, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 820, 390)
HEIGHT = 900
LANGUAGES = ("zh-hans", "en")
# The demo's accounts (logistics/demo.py, apartments/demo.py): a student and every staff role.
ROLES = (
    "2501000001",
    "manager",
    "shiftlead",
    "head",
    "technician",
    "dispatcher",
    "dining",
    "auditor",
    "admin",
)
# Pages that are files or leave the portal, not screens.
SKIP = re.compile(r"\.(xlsx|csv|svg|pdf)$|^/admin/|^/api/")

MEASURE = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) {
      const style = getComputedStyle(el);
      if (style.position === 'fixed' || style.visibility === 'hidden') continue;
      let name = el.tagName.toLowerCase();
      if (el.dataset.testid) name += `[data-testid=${el.dataset.testid}]`;
      else if (el.id) name += '#' + el.id;
      else if (el.className && typeof el.className === 'string')
        name += '.' + el.className.trim().split(/\\s+/).slice(0, 3).join('.');
      out.push(`${name} (right ${Math.round(box.right)})`);
      if (out.length >= 5) break;
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: width, out};
}"""


def screens_dir() -> Path:
    base = os.environ.get("CI_ARTIFACTS")
    directory = (Path(base) if base else SCREENSHOTS) / "overflow"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def pages_reached_otherwise(user) -> list[str]:
    """Pages no hall entry leads to: the staff's search and where it leads (a resident's
    card), the desk's candidates for a name, a canteen's set-up page."""
    from django.urls import reverse

    from apartments.dashboard import residents_for
    from apartments.selectors import desk_buildings_for
    from dining.access import managed_canteens
    from logistics.access import is_staff_member, roles_of
    from logistics.models import Role

    urls = []
    if is_staff_member(user):
        urls.append(reverse("search") + "?q=25")
    resident = residents_for(user).order_by("student_id").first()
    if resident is not None and roles_of(user) - {Role.STUDENT}:
        urls.append(reverse("apartments:resident_card", args=[resident.pk]))
    building = desk_buildings_for(user).order_by("code").first()
    if building is not None:
        urls.append(reverse("apartments:desk_lookup", args=[building.pk]) + "?student_id=25")
    canteen = managed_canteens(user).order_by("pk").first()
    if canteen is not None:
        urls.append(reverse("dining:setup_canteen", args=[canteen.pk]))
    return urls


def pages_of(user) -> list[str]:
    urls = ["/", "/account/", *pages_reached_otherwise(user)]
    for entry in entries_for(user):
        url = entry.url
        if url not in urls and not SKIP.search(url):
            urls.append(url)
    return urls


def slug(url: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"


def test_no_page_of_any_role_is_wider_than_the_screen(browser, live_server):
    call_command("seed_demo", verbosity=0)
    directory = screens_dir()
    failures, visited = [], 0
    for username in ROLES:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        urls = pages_of(user)
        for language in LANGUAGES:
            context = browser.new_context(
                base_url=live_server.url,
                locale="zh-CN" if language == "zh-hans" else "en-US",
                viewport={"width": WIDTHS[0], "height": HEIGHT},
            )
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": session,
                        "url": live_server.url,
                    },
                    {
                        "name": settings.LANGUAGE_COOKIE_NAME,
                        "value": language,
                        "url": live_server.url,
                    },
                ]
            )
            page = context.new_page()
            try:
                for url in urls:
                    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
                    response = page.goto(url, wait_until="load")
                    visited += 1
                    if response is None or response.status >= 400:
                        failures.append(
                            f"{username} {language} {url}: HTTP {response and response.status}"
                        )
                        continue
                    for width in WIDTHS:
                        page.set_viewport_size({"width": width, "height": HEIGHT})
                        found = page.evaluate(MEASURE)
                        name = f"{username}-{language}-{width}-{slug(url)}"
                        page.screenshot(
                            path=str(directory / f"{name}.jpg"), type="jpeg", quality=60
                        )
                        if found["scroll"] > found["inner"]:
                            failures.append(
                                f"{username} {language} {width}px {url}: {found['scroll']}px wide; "
                                + ", ".join(found["out"])
                            )
            finally:
                context.close()
    assert visited > 50
    assert failures == [], "pages wider than the screen:\n" + "\n".join(failures)
