"""The manager's admin fits a 390 px phone: the rotation change page (its turn order is a
tabular inline wider than the phone) and the shift list never scroll sideways; the inline
scrolls inside its own box. The shift list opens on the shifts still to come."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from ownership.models import Membership
from rota.api.permissions import rotation_team_ids
from rota.models import Rotation, Shift
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

User = get_user_model()
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
    # A manager's admin lists only the shifts of rotations their teams run (the rotation's
    # team, the teams in its turn order, those of the team rotation it follows), so the first
    # row is the soonest of those still running or to come, not the soonest of the whole demo.
    maria = User.objects.get(username=MANAGER)
    managed = set(
        Membership.objects.filter(user=maria, role="manager").values_list("team_id", flat=True)
    )
    theirs = [r.pk for r in Rotation.objects.all() if rotation_team_ids(r) & managed]
    upcoming = Shift.objects.filter(end__gt=now, rotation__in=theirs).order_by("start", "id")
    soonest = upcoming.first()
    assert soonest is not None
    page = open_page(MANAGER, viewport=PHONE)

    page.goto("/admin/rota/shift/")

    first_link = page.locator("#result_list tbody tr").first.locator("a").first
    assert first_link.get_attribute("href").rstrip("/").endswith(f"/{soonest.pk}/change")
