"""The manager's admin fits a 390 px phone: the rotation change page (its turn order is a
tabular inline wider than the phone) and the shift list never scroll sideways; the inline
scrolls inside its own box. The shift list opens on the shifts still to come."""

import pytest
from django.utils import timezone

from rota.models import Rotation, Shift
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

MANAGER = "maria.garcia"  # manager of Payments (staff, not superuser) in the demo


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_managers_admin_pages_fit_a_phone(open_page, demo):
    rotation = Rotation.objects.filter(participants__isnull=False, team__slug="payments").first()
    assert rotation is not None
    page = open_page(MANAGER, viewport=PHONE)

    response = page.goto(f"/admin/rota/rotation/{rotation.pk}/change/")
    assert response.status == 200
    assert page_width(page) <= PHONE["width"]
    # The turn order is still all there: its box scrolls (it is wider than it shows).
    inline = page.locator(".inline-group .tabular fieldset.module").first
    assert inline.evaluate("e => e.scrollWidth > e.clientWidth")
    assert inline.evaluate("e => e.getBoundingClientRect().right") <= PHONE["width"]

    for path in ["/admin/rota/shift/", "/admin/rota/override/", "/admin/rota/shift/?when=all"]:
        response = page.goto(path)
        assert response.status == 200, path
        assert page_width(page) <= PHONE["width"], path


def test_shift_list_starts_with_the_shifts_to_come(open_page, demo):
    now = timezone.now()
    assert Shift.objects.filter(end__lte=now).exists()  # the demo has past shifts
    soonest = Shift.objects.filter(end__gt=now).order_by("start", "id").first()
    page = open_page(MANAGER, viewport=PHONE)

    page.goto("/admin/rota/shift/")

    first_link = page.locator("#result_list tbody tr").first.locator("a").first
    assert first_link.get_attribute("href").rstrip("/").endswith(f"/{soonest.pk}/change")
