"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright never downloads a browser here: the system Chromium (``apt-get install chromium``,
done by .ci/run) is launched by path. Its sync API runs an event loop in this thread, so
Django's guard against database calls from async code is lifted for these tests.

The demo is seeded once per module and put back as seeded before each test (tests.seed_once),
so the database is not flushed after every test as pytest-django does for live-server tests.
"""

import os

import pytest

from core.caches import clear_all as clear_caches
from tests.browser.demo import seed_portal_demo
from tests.seed_once import SeededDatabase

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


@pytest.fixture(autouse=True)
def _live_server_helper(request):
    """Replaces pytest-django's helper of that name, which gives every live-server test
    ``transactional_db``: its flush after each test would empty the demo seeded for the module.
    Database access comes from ``demo`` instead."""
    if "live_server" not in request.fixturenames:
        yield
        return
    live_server = request.getfixturevalue("live_server")
    live_server._live_server_modified_settings.enable()
    yield
    live_server._live_server_modified_settings.disable()


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup, django_db_blocker):
    """The demo organisation, seeded once for the module and emptied at its end."""
    seeded = SeededDatabase(seed_portal_demo)
    yield seeded
    with django_db_blocker.unblock():
        seeded.close()
        clear_caches()


@pytest.fixture
def demo(seeded_demo, django_db_blocker):
    """The demo organisation with its rota and incidents, as seeded (whatever the module's
    earlier tests changed is undone); the test may use the database."""
    with django_db_blocker.unblock():
        clear_caches()
        yield seeded_demo.fresh()
        clear_caches()


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
