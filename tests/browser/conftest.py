"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright never downloads a browser here: the system Chromium (``apt-get install chromium``,
done by .ci/run) is launched by path. Its sync API runs an event loop in this thread, so
Django's guard against database calls from async code is lifted for these tests.
"""

import os

import pytest

from tests.browser.demo import seed_portal_demo

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "rota-demo"  # the published demo password (portal.demo.seed)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def demo(transactional_db):
    """Load the demo organisation with its rota and incidents."""
    seed = seed_portal_demo()
    yield seed


@pytest.fixture
def open_page(browser, live_server, demo):
    """Return a function that opens a new browser page, signed in as a demo user."""
    contexts = []

    def open_page(username, *, viewport=DESKTOP, permissions=()):
        context = browser.new_context(viewport=viewport, base_url=live_server.url)
        context.set_default_timeout(10_000)
        if permissions:
            context.grant_permissions(list(permissions), origin=live_server.url)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, username)
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
