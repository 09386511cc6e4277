"""The pages run under their Content-Security-Policy: the browser refuses nothing on them."""

import pytest
from playwright.sync_api import expect

from rota.models import Shift

pytestmark = pytest.mark.browser


def watch_for_violations(page):
    """Collect what the browser reports refusing under the policy: console errors and events."""
    reports = []

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            reports.append(text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: reports.append(f"page error: {error}"))
    # Violation events also cover refusals the console may word differently.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return reports


def test_portal_pages_run_under_the_policy(open_page):
    page = open_page("alice.martin")
    reports = watch_for_violations(page)
    page.goto("/")
    expect(page.get_by_label("Component name or code path")).to_be_visible()
    page.goto("/me/")
    expect(page.get_by_role("heading", name="My coming shifts")).to_be_visible()
    # The team page's timeline places its blocks with style attributes (allowed by the policy).
    page.goto("/teams/payments/")
    expect(page.locator(".tl-block").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert reports == []


def test_an_admin_change_form_with_its_autocomplete_runs_under_the_policy(open_page, demo):
    shift = Shift.objects.filter(user__isnull=False).order_by("start").first()
    page = open_page("admin")
    reports = watch_for_violations(page)
    page.goto(f"/admin/rota/shift/{shift.pk}/change/")
    # The person picker is select2 (admin autocomplete): open it and search, which runs the
    # admin's scripts and fetches suggestions from the site.
    picker = page.locator("#id_user + .select2")
    expect(picker).to_be_visible()
    picker.click()
    page.locator(".select2-search__field").fill(shift.user.username[:3])
    expect(page.locator(".select2-results__option").first).to_contain_text(
        shift.user.username[:3], ignore_case=True
    )
    page.wait_for_load_state("networkidle")
    assert reports == []


def test_the_api_docs_run_under_the_policy(open_page):
    page = open_page("alice.martin")
    reports = watch_for_violations(page)
    page.goto("/api/docs/")
    # Swagger UI draws the operations from the schema: its scripts ran and fetched it.
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    expect(page.get_by_role("heading", name="Rota API")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert reports == []
