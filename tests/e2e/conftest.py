"""End-to-end tests: Debian's chromium, driven by Playwright, against pytest-django's live server.

Never `playwright install`: the tests use the distribution's browser at /usr/bin/chromium
(`apt-get install chromium fonts-wqy-microhei`). Where it is missing the tests are skipped,
saying so, unless E2E_REQUIRED=1 (CI sets it): then a missing browser fails the run.
Screenshots land in artifacts/screenshots/ at the repository root.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop in the test thread from the moment the
# browser starts until the session ends, and Django refuses ORM calls in a thread with a
# running loop. The loop is Playwright's, not ours: the ORM calls stay synchronous. Set for the
# whole session because the browser outlives the e2e tests (session-scoped fixture).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
TIMEOUT_MS = 15_000

# The screens students and staff use: a phone in the hand, a tablet on patrol, a laptop at
# the service desk.
SCREENS = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "tablet": {
        "viewport": {"width": 820, "height": 1180},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "laptop": {"viewport": {"width": 1366, "height": 768}},
}


def pytest_collection_modifyitems(items):
    """Every test in this folder is an e2e test (`-m "not e2e"` leaves them out), whether or
    not its module says so too."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _e2e_required() -> bool:
    return os.environ.get("E2E_REQUIRED", "").strip().lower() in {"1", "true", "yes", "on"}


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"Debian's chromium not found at {CHROMIUM}: apt-get install chromium"
        if _e2e_required():
            pytest.fail(f"{reason} (E2E_REQUIRED is set, so this fails instead of skipping)")
        pytest.skip(reason)

    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser, live_server):
    """open_page(screen="phone" | "laptop", locale="zh-CN") -> a new Playwright page in a fresh
    browser context (its own cookies) whose relative URLs go to the live server.

    The page's JavaScript errors and console errors (a CSP violation, a missing asset) are
    collected in `page.js_errors`; `assert_no_js_errors(page)` checks them."""
    contexts = []

    def _open(*, screen: str = "phone", locale: str = "zh-CN"):
        context = browser.new_context(base_url=live_server.url, locale=locale, **SCREENS[screen])
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                page.js_errors.append(f"console {message.type}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        return page

    yield _open
    for context in contexts:
        context.close()


def assert_no_js_errors(page) -> None:
    assert page.js_errors == [], "\n".join(page.js_errors)


@pytest.fixture
def screenshot():
    """screenshot(page, name): a full-page PNG at artifacts/screenshots/<name>.png."""

    def _take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    return _take
