"""Labels and badges stay whole ("SECONDARY", not "SECONDAR/Y") at 1280 and 390 px, while
long URLs and paths still wrap: every role label, severity and status on the Now page (its
on-call cards and a search result's card) and the team pages is one line high, and badges
that carry a sentence (a tier's description) wrap only between words."""

import pytest

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

LABELS = ".role, .sev, .status"
SENTENCES = ".badge, .tier"
# Each label's text and its height in lines (its box height over its line height).
LINES = f"""() => [...document.querySelectorAll("{LABELS}")]
    .filter(e => e.offsetParent !== null && e.textContent.trim())
    .map(e => [e.textContent.trim(),
               e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)])"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_role_labels_and_badges_stay_on_one_line(open_page, demo, viewport):
    page = open_page("alice.martin", viewport=viewport)
    paths = ["/", "/?q=checkout", *[f"/teams/{slug}/" for slug in sorted(demo.teams)]]
    seen, broken = set(), {}
    for path in paths:
        page.goto(path)
        for text, lines in page.evaluate(LINES):
            seen.add(text.upper())
            if lines > 1.2:
                broken.setdefault(path, []).append((text, round(lines, 1)))
        wrap = page.evaluate(
            f"""() => [...document.querySelectorAll("{SENTENCES}")]
                .map(e => getComputedStyle(e).overflowWrap)"""
        )
        assert set(wrap) <= {"normal"}, path
    assert "SECONDARY" in seen  # the label of the fault is on these pages
    assert broken == {}
    # Long paths still wrap: the page does not scroll sideways on a phone.
    if viewport is PHONE:
        page.goto("/?q=services/checkout/api/orders.py")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
