"""Every portal page fits a 390 px phone without sideways scrolling (a wide table scrolls in
its own visible box), and report tables are shown whole on a 1280 px desktop.

The pages are enumerated from the URL configuration, so a new page without an entry in
``PAGE_NAMES`` (or ``NOT_PAGES``, for POST-only actions) fails the test.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from incidents.models import Bug, Incident
from rota.models import Rotation, Shift
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

# Parts of the site that are not portal pages: machine endpoints, the admin, sign-in.
NOT_PORTAL = ("admin/", "api/", "calendar/", "healthz", "accounts/")
# Named routes under the portal that only take a POST (a GET answers 405, or goes back to
# the page the action belongs to).
NOT_PAGES = {
    "my-shift-offer",
    "my-swap-take",
    "my-swap-cancel",
    "my-swap-withdraw",
    "my-token-revoke",
    "my-swap-approve",
    "my-swap-reject",
    "my-leave-add",
    "my-leave-delete",
    "my-feed-create",
    "my-feed-regenerate",
    "portal-incident-acknowledge",
    "portal-incident-mitigate",
    "portal-incident-resolve",
    "portal-incident-note",
    "portal-bug-decide",
}


def portal_routes(patterns=None, prefix=""):
    """Yield (route, name) for every named URL pattern of the portal's pages."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(NOT_PORTAL):
            continue
        if isinstance(entry, URLResolver):
            yield from portal_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and entry.name:
            yield route, entry.name


def pages(demo) -> dict[str, list[str]]:
    """Return the paths to visit for each page's name, ids and slugs from the demo data."""
    incident = Incident.objects.order_by("-created_at").first()
    bug = Bug.objects.order_by("-created_at").first()
    rotations = Rotation.objects.order_by("kind", "name")
    return {
        "home": ["/", "/?q=checkout", "/?q=services/checkout/api/orders.py", "/?q=zzz"],
        "portal-team": [f"/teams/{slug}/" for slug in sorted(demo.teams)],
        "portal-catalog": ["/components/", "/components/?q=api"],
        "portal-component": [c.get_absolute_url() for c in demo.components.values()],
        "portal-rotation": [r.get_absolute_url() for r in rotations],
        "my-rota": ["/me/"],
        "my-feeds": ["/me/feeds/"],
        "my-tokens": ["/me/tokens/"],
        "notification-preferences": ["/me/notifications/"],
        "portal-incidents": ["/incidents/", "/incidents/?state="],
        "portal-incident-open": ["/incidents/new/"],
        "portal-incident": [incident.get_absolute_url()],
        "portal-bug": [bug.get_absolute_url()],
        "reports-index": ["/reports/"],
        "reports-load": ["/reports/load/"],
        "reports-fairness": ["/reports/fairness/"],
        "reports-incidents": ["/reports/incidents/"],
        "reports-model-comparison": ["/reports/model-comparison/"],
    }


# The pages above, by name, so that the listing check needs no demo data.
PAGE_NAMES = {
    "home",
    "portal-team",
    "portal-catalog",
    "portal-component",
    "portal-rotation",
    "my-rota",
    "my-feeds",
    "my-tokens",
    "notification-preferences",
    "portal-incidents",
    "portal-incident-open",
    "portal-incident",
    "portal-bug",
    "reports-index",
    "reports-load",
    "reports-fairness",
    "reports-incidents",
    "reports-model-comparison",
}
REPORTS = [
    "/reports/load/",
    "/reports/fairness/",
    "/reports/incidents/",
    "/reports/model-comparison/",
]

# For each table: is any of it cut off? A table wider than the page may only sit inside a
# container that scrolls sideways (overflow-x auto or scroll) and that itself lies within the
# viewport, and only where ``allowScroll`` (on a phone); anything that hides overflow, or a
# table running past the viewport's edge, clips it. On a desktop a table must fit whole.
CLIPPED_TABLES = """
(allowScroll) => {
  const width = document.documentElement.clientWidth;
  const clipped = [];
  for (const table of document.querySelectorAll("main table")) {
    const box = table.getBoundingClientRect();
    if (box.width === 0) continue;
    let scroller = null, hidden = null;
    for (let el = table.parentElement; el && el !== document.body; el = el.parentElement) {
      const overflow = getComputedStyle(el).overflowX;
      if (overflow === "auto" || overflow === "scroll") { scroller = el; break; }
      const hides = overflow === "hidden" || overflow === "clip";
      if (hides && el.scrollWidth > el.clientWidth + 1) { hidden = el; break; }
    }
    const name = (table.querySelector("caption") || table).textContent.trim().slice(0, 40);
    if (hidden) { clipped.push(name + ": hidden by a container"); continue; }
    if (scroller) {
      const frame = scroller.getBoundingClientRect();
      if (!allowScroll && scroller.scrollWidth > scroller.clientWidth + 1) {
        clipped.push(name + ": scrolls in a " + scroller.clientWidth + "px box");
        continue;
      }
      const off = frame.left < -1 || frame.right > width + 1;
      if (off) clipped.push(name + ": its scroller runs off");
      continue;
    }
    const past = box.left < -1 || box.right > width + 1;
    if (past) clipped.push(name + ": " + Math.round(box.right) + "px");
  }
  return clipped;
}
"""


def test_every_portal_page_is_listed():
    named = {name for _, name in portal_routes()}
    assert named - NOT_PAGES - PAGE_NAMES == set()
    assert named >= PAGE_NAMES


def report_tables_clipped(page, *, allow_scroll: bool) -> dict[str, list[str]]:
    clipped = {}
    for path in REPORTS:
        page.goto(path)
        assert page.locator("main table").count() > 0, f"{path} shows no table"
        found = page.evaluate(CLIPPED_TABLES, allow_scroll)
        if found:
            clipped[path] = found
    return clipped


def test_every_portal_page_fits_a_phone(open_page, browser, live_server, demo):
    # Alice is in a team, on the rota, with shifts, offers and feeds: her pages are the
    # fullest an engineer sees.
    assert Shift.objects.filter(user=demo.users["alice.martin"]).exists()
    visits = pages(demo)
    assert set(visits) == PAGE_NAMES
    page = open_page("alice.martin", viewport=PHONE)
    too_wide = {}
    for paths in visits.values():
        for path in paths:
            response = page.goto(path)
            assert response.status in (200, 400), f"{path}: {response.status}"
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[path] = width
    assert too_wide == {}
    assert report_tables_clipped(page, allow_scroll=True) == {}

    # Signed out: the sign-in page.
    context = browser.new_context(viewport=PHONE, base_url=live_server.url)
    try:
        anonymous = context.new_page()
        for path in ["/accounts/login/", "/accounts/login/?next=/me/"]:
            anonymous.goto(path)
            assert anonymous.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()


def test_report_tables_are_not_clipped_on_a_desktop(open_page):
    page = open_page("alice.martin", viewport=DESKTOP)
    assert report_tables_clipped(page, allow_scroll=False) == {}
