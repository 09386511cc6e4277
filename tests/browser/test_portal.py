"""What an engineer does in the portal, in a real browser, on the demo organisation."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from incidents.models import Incident
from rota.models import Shift, SwapRequest
from rota.routing import responders
from tests.browser.conftest import PHONE

User = get_user_model()

pytestmark = pytest.mark.browser


def test_an_engineer_finds_who_is_on_call_for_a_component(open_page, demo):
    page = open_page("alice.martin")
    page.get_by_label("Component name or code path").fill("checkout api")
    page.get_by_role("button", name="Look up").click()

    card = page.locator(".card.lookup").filter(has=page.get_by_role("link", name="Checkout API"))
    expect(card).to_be_visible()
    primary = responders(component=demo.components["checkout-api"]).primary.user
    person = card.locator(".oncall").filter(has_text="Primary")
    expect(person).to_contain_text(primary.get_full_name())
    expect(person.get_by_role("link", name=primary.email)).to_have_attribute(
        "href", f"mailto:{primary.email}"
    )


def test_an_engineer_pastes_a_code_path(open_page):
    page = open_page("alice.martin")
    page.get_by_label("Component name or code path").fill("services/checkout/api/orders.py")
    page.keyboard.press("Enter")
    expect(page.locator(".path-match")).to_contain_text("Checkout API")
    expect(page.locator(".card.lookup").first.locator(".oncall").first).to_contain_text("until")


def test_an_engineer_opens_their_rota(open_page, demo):
    page = open_page("alice.martin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My rota").click()
    expect(page.get_by_role("heading", name="My coming shifts")).to_be_visible()
    alice = demo.users["alice.martin"]
    mine = Shift.objects.filter(user=alice, end__gt=demo.now).count()
    assert mine > 0
    expect(page.locator("table.shifts tbody tr")).to_have_count(min(mine, 12))
    expect(page.get_by_role("link", name="Notification preferences", exact=True)).to_be_visible()


def test_offer_a_shift_for_swap_and_take_it_as_someone_else(open_page, demo):
    alice, maria = demo.users["alice.martin"], demo.users["maria.garcia"]
    shift = Shift.objects.filter(user=alice, start__gt=demo.now).order_by("start").first()

    page = open_page("alice.martin")
    page.goto("/me/")
    row = page.locator(f"#shift-{shift.pk}")
    row.get_by_label("Message to whoever takes it (optional)").fill("Family visit")
    row.get_by_role("button", name="Offer for swap").click()
    expect(page.locator(".messages")).to_contain_text("Your shift is on offer")
    expect(page.locator(f"#shift-{shift.pk}")).to_contain_text("On offer since")

    other = open_page("maria.garcia")
    other.goto("/me/")
    offer = other.locator("#offers ~ table tr", has_text="Family visit")
    expect(offer).to_contain_text("Alice Martin")
    offer.get_by_role("button", name="Take this shift").click()
    expect(other.locator(".messages")).to_contain_text("The shift is yours now.")
    expect(other.locator(f"#shift-{shift.pk}")).to_be_visible()

    shift.refresh_from_db()
    assert shift.user == maria
    assert SwapRequest.objects.get(shift=shift).status == "approved"


def test_copy_the_feed_link(open_page):
    page = open_page("alice.martin", permissions=["clipboard-read", "clipboard-write"])
    page.goto("/me/")
    address = page.get_by_label("Subscription address").input_value()
    assert "/calendar/" in address and address.endswith(".ics")
    page.get_by_role("button", name="Copy").click()
    feed = page.get_by_role("region", name="My shifts in my calendar")
    expect(feed.get_by_role("status")).to_have_text("Copied to the clipboard.")
    expect(feed.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == address


def test_open_an_incident_and_acknowledge_it(open_page):
    incident = Incident.objects.get(status=Incident.Status.TRIGGERED)
    page = open_page("alice.martin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    page.get_by_role("link", name=f"#{incident.pk} {incident.title}").click()
    expect(page.locator("#incident-status")).to_have_text("Triggered")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#incident-status")).to_have_text("Acknowledged")
    expect(page.locator(".events")).to_contain_text("Acknowledged by alice.martin")
    incident.refresh_from_db()
    assert incident.acknowledged_by.username == "alice.martin"


def test_on_a_phone_the_pages_fit_and_the_skip_link_comes_first(open_page, demo):
    page = open_page("alice.martin", viewport=PHONE)
    for path in ["/", "/me/", "/incidents/", "/teams/payments/", "/components/checkout-api/"]:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide"
    page.goto("/incidents/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
