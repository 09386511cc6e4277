"""A manager's and an engineer's main tasks, end to end, on a desktop and on a phone.

The demo organisation is loaded as ``make run`` loads it, dated from now, so the shifts are
found by rule rather than by date. The Payments on-call rotation (Europe/London, weekly turns
from Monday 09:00) deals its turns to Tom Hughes, Alice Martin, Kwame Mensah, Sofia Rossi and
Daniel Clarke in that order; the demo puts Sofia's next turn on offer ("Moving house") and
adds some leave, with its covers, over the coming weeks. maria.garcia manages Payments (staff,
in the managers' group, not a superuser) and works in the admin and on My rota;
alice.martin is an engineer of Payments.

Each journey checks what the person sees (the message, the row in the list) and what the
database holds afterwards.
"""

import datetime
import zoneinfo

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from rota import services
from rota.models import Override, Rotation, Shift, SwapRequest, Unavailability
from rota.routing import responders
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
ONE_DAY = datetime.timedelta(days=1)


# --- Finding the demo's shifts by rule ---------------------------------------------------------


def payments_rotation() -> Rotation:
    return Rotation.objects.get(name="Payments on call")


def coming_turns(rotation, now) -> list[Shift]:
    return list(rotation.shifts.filter(start__gt=now).select_related("user").order_by("start"))


def local_window(rotation, day: datetime.date, days: int = 1):
    """Return [day 09:00, day+days 09:00) in the rotation's zone, as aware datetimes."""
    zone = zoneinfo.ZoneInfo(rotation.timezone)
    start = datetime.datetime.combine(day, datetime.time(9), tzinfo=zone)
    return start, datetime.datetime.combine(day + days * ONE_DAY, datetime.time(9), tzinfo=zone)


def day_span(day: datetime.date, zone_name: str):
    """Return the whole local day [00:00, next 00:00) in the zone."""
    zone = zoneinfo.ZoneInfo(zone_name)
    start = datetime.datetime.combine(day, datetime.time(0), tzinfo=zone)
    return start, datetime.datetime.combine(day + ONE_DAY, datetime.time(0), tzinfo=zone)


def busy(user, start, end) -> bool:
    """Tell whether the person is on duty anywhere, or away, at some time in [start, end)."""
    if Shift.objects.filter(user=user, start__lt=end, end__gt=start).exists():
        return True
    if Override.objects.filter(user=user, start__lt=end, end__gt=start).exists():
        return True
    # Leave is in whole local days (the windows here are in the rotation's zone already).
    last_day = (end - datetime.timedelta(microseconds=1)).date()
    return Unavailability.objects.filter(
        user=user, start_date__lte=last_day, end_date__gte=start.date()
    ).exists()


def first(candidates, what: str):
    """Return the first candidate, or fail saying what the demo data lacked."""
    for candidate in candidates:
        return candidate
    raise AssertionError(f"the demo data has no {what}")


def quiet_turn(turns, *, skip=(), holder=None):
    """Return the first turn (with its Wednesday) that nothing else touches.

    Its holder has no other duty and no leave on the turn's Wednesday, and no override lies
    in the turn, so a day away there changes nothing but that day.
    """
    for shift in turns:
        if shift.pk in skip or shift.user is None or (holder and shift.user != holder):
            continue
        wednesday = shift.start.astimezone(zoneinfo.ZoneInfo(shift.rotation.timezone)).date()
        wednesday += 2 * ONE_DAY
        start, end = day_span(wednesday, shift.rotation.timezone)
        if Override.objects.filter(
            rotation=shift.rotation, start__lt=shift.end, end__gt=shift.start
        ):
            continue
        others = Shift.objects.filter(user=shift.user, start__lt=end, end__gt=start).exclude(
            pk=shift.pk
        )
        if others.exists() or busy_away(shift.user, wednesday):
            continue
        return shift, wednesday
    raise AssertionError("the demo rota has no quiet turn left")


def busy_away(user, day) -> bool:
    return Unavailability.objects.filter(user=user, start_date__lte=day, end_date__gte=day).exists()


def expected_cover(shift, start, end):
    """The README's rule 1 of leave: the next participant in rotation order after the holder
    who is neither away nor on duty anywhere in the window."""
    people = [p.user for p in shift.rotation.participants.order_by("position", "id")]
    at = people.index(shift.user)
    for person in people[at + 1 :] + people[:at]:
        if not busy(person, start, end):
            return person
    raise AssertionError("nobody is free to cover")


def holders():
    """Every shift's holder, to show that nothing but the expected rows moved."""
    return dict(Shift.objects.values_list("pk", "user_id"))


# --- Driving the admin -------------------------------------------------------------------------


def pick(page, field: str, search: str, option: str) -> None:
    """Choose ``option`` in the admin's select2 autocomplete for ``field``, typing ``search``."""
    page.locator(f"#id_{field} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=option).first.click()
    expect(page.locator(f"#id_{field} + .select2")).to_contain_text(option)


def fill_local(page, field: str, instant, rotation) -> None:
    """Type an instant into an admin split date/time field, in the rotation's local time."""
    local = instant.astimezone(zoneinfo.ZoneInfo(rotation.timezone))
    page.locator(f"#id_{field}_0").fill(local.strftime("%Y-%m-%d"))
    page.locator(f"#id_{field}_1").fill(local.strftime("%H:%M:%S"))


def success(page):
    return page.locator(".messagelist .success")


# --- The manager ------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_manager_covers_reassigns_approves_and_enters_leave(open_page, demo, viewport):
    now = demo.now
    maria, alice = demo.users["maria.garcia"], demo.users["alice.martin"]
    assert maria.is_staff and not maria.is_superuser
    rotation = payments_rotation()
    turns = coming_turns(rotation, now)
    people = [p.user for p in rotation.participants.order_by("position", "id")]

    # The swap to approve: Payments asks for approval, and Alice takes Sofia's offered turn
    # (the demo's "Moving house"), so it waits for Maria.
    services.rotation_update(rotation=rotation, swaps_require_approval=True, regenerate=False)
    offer = SwapRequest.objects.get(shift__rotation=rotation, status="offered")
    offered_turn, sofia = offer.shift, offer.offered_by
    services.swap_take(swap=offer, by=alice)
    # A second one, approved in the admin's Swap requests list: the first coming turn of the
    # Payments secondary rotation, offered by its holder and taken by the next participant.
    secondary = Rotation.objects.get(name="Payments secondary")
    services.rotation_update(rotation=secondary, swaps_require_approval=True, regenerate=False)
    second_turn = next(t for t in coming_turns(secondary, now) if t.user is not None)
    others = [p.user for p in secondary.participants.order_by("position", "id")]
    second_taker = next(p for p in others if p != second_turn.user)
    second = services.swap_offer(shift=second_turn, by=second_turn.user, message="Exams week")
    services.swap_take(swap=second, by=second_taker)

    page = open_page("maria.garcia", viewport=viewport)

    # 1. A sick day. The next turn after the offered one is untouched by overrides; its holder
    # is off sick on its Wednesday (09:00 to Thursday 09:00, London time), and Maria picks the
    # first other participant who is free that day to cover it. One override, nothing else.
    sick_turn = next(
        t
        for t in turns
        if t.start > offered_turn.start
        and not Override.objects.filter(rotation=rotation, start__lt=t.end, end__gt=t.start)
    )
    sick_start, sick_end = local_window(
        rotation,
        sick_turn.start.astimezone(zoneinfo.ZoneInfo(rotation.timezone)).date() + 2 * ONE_DAY,
    )
    stand_in = first(
        (p for p in people if p != sick_turn.user and not busy(p, sick_start, sick_end)),
        "participant free on the sick day",
    )
    before = holders()
    page.goto("/admin/rota/override/add/")
    pick(page, "rotation", "Payments on", "Payments on call")
    fill_local(page, "start", sick_start, rotation)
    fill_local(page, "end", sick_end, rotation)
    pick(page, "user", stand_in.last_name, stand_in.username)
    page.locator("#id_reason").fill(f"{sick_turn.user.first_name} is off sick")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(success(page)).to_contain_text("was added successfully")
    row = page.locator("#result_list tbody tr", has_text=f"{sick_turn.user.first_name} is off sick")
    expect(row).to_contain_text(stand_in.username)
    expect(row).to_contain_text(sick_start.strftime("%a %d %b %Y 09:00"))
    cover = Override.objects.get(reason=f"{sick_turn.user.first_name} is off sick")
    assert (cover.rotation, cover.user, cover.start, cover.end, cover.created_by) == (
        rotation,
        stand_in,
        sick_start,
        sick_end,
        maria,
    )
    assert holders() == before  # an override moves no shift

    # 2. Reassign a whole turn: the turn after the sick one goes to someone free all that week.
    moved = next(t for t in turns if t.start > sick_turn.start)
    new_holder = first(
        (p for p in people if p != moved.user and not busy(p, moved.start, moved.end)),
        "participant free all week to take the reassigned turn",
    )
    page.goto(f"/admin/rota/shift/{moved.pk}/change/")
    pick(page, "user", new_holder.last_name, new_holder.username)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(success(page)).to_contain_text("was changed successfully")
    moved.refresh_from_db()
    assert (moved.user, moved.edited) == (new_holder, True)
    before[moved.pk] = new_holder.pk
    assert holders() == before

    # 3. Approve the swap on My rota, where a manager's waiting swaps are listed.
    page.goto("/me/")
    waiting = page.locator(f"#swap-{offer.pk}")
    expect(waiting).to_contain_text(f"{sofia.get_full_name()} → {alice.get_full_name()}")
    waiting.get_by_role("button", name="Approve").click()
    expect(page.locator(".messages")).to_contain_text("Approved: the shift changed hands.")
    expect(page.locator(f"#swap-{offer.pk}")).to_have_count(0)
    offer.refresh_from_db()
    offered_turn.refresh_from_db()
    assert (offer.status, offer.approved_by, offered_turn.user) == ("approved", maria, alice)
    before[offered_turn.pk] = alice.pk

    # ... and the other with the admin's action on the swap requests list.
    page.goto("/admin/rota/swaprequest/?status__exact=taken")
    row = page.locator("#result_list tbody tr", has_text=second_taker.username)
    expect(row).to_contain_text(second_turn.user.username)
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("approve")
    page.locator("button[name=index]").click()
    expect(success(page)).to_contain_text("Approved 1 swap.")
    second.refresh_from_db()
    second_turn.refresh_from_db()
    assert (second.status, second.approved_by) == ("approved", maria)
    assert second_turn.user == second_taker
    before[second_turn.pk] = second_taker.pk
    assert holders() == before

    # 4. Leave for a team member: one Wednesday of a later turn nothing else touches. By the
    # README's rule 1 the holder keeps the turn and that day (00:00 to 00:00 London time,
    # within the turn) gets one cover by the next participant after them who is free; no
    # shift anywhere changes hands and no other override appears.
    away_turn, day = quiet_turn(
        [t for t in turns if t.start > moved.start], skip={offered_turn.pk, moved.pk}
    )
    away = away_turn.user
    away_start, away_end = day_span(day, rotation.timezone)
    coverer = expected_cover(away_turn, away_start, away_end)
    overrides_before = set(Override.objects.values_list("pk", flat=True))
    page.goto("/admin/rota/unavailability/add/")
    pick(page, "user", away.last_name, away.username)
    page.locator("#id_start_date").fill(day.isoformat())
    page.locator("#id_end_date").fill(day.isoformat())
    page.locator("#id_reason").fill("Moving day")
    page.get_by_role("button", name="Save", exact=True).click()
    # Two messages: what acting on the leave did (the cover, naming who covers), then the
    # admin's own "added".
    expect(success(page).filter(has_text="was added successfully")).to_have_count(1)
    expect(success(page).filter(has_text="Acting on this leave:")).to_contain_text(
        coverer.get_full_name()
    )
    # The list opens on the latest leave, so the new entry is on its first page.
    expect(page.locator("#result_list tbody tr", has_text="Moving day")).to_contain_text(
        away.username
    )
    entry = Unavailability.objects.get(user=away, reason="Moving day")
    assert (entry.start_date, entry.end_date, entry.created_by) == (day, day, maria)
    new = Override.objects.exclude(pk__in=overrides_before)
    assert [(o.rotation, o.user, o.start, o.end, o.reason) for o in new] == [
        (rotation, coverer, away_start, away_end, f"{away.get_full_name()} is on leave")
    ]
    assert holders() == before  # nobody's week moved
    page.goto("/admin/rota/override/")
    expect(
        page.locator("#result_list tbody tr", has_text=f"{away.get_full_name()} is on leave")
    ).to_contain_text(coverer.username)


# --- The engineer -----------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_an_engineer_swaps_takes_marks_leave_and_opens_an_incident(open_page, demo, viewport):
    now = demo.now
    alice = demo.users["alice.martin"]
    rotation = payments_rotation()
    turns = coming_turns(rotation, now)
    page = open_page("alice.martin", viewport=viewport)
    page.goto("/me/")

    # 1. Offer her next Payments turn for swap, then withdraw the offer: the turn stays hers.
    mine = next(t for t in turns if t.user == alice)
    row = page.locator(f"#shift-{mine.pk}")
    row.get_by_label("Message to whoever takes it (optional)").fill("Wedding that week")
    row.get_by_role("button", name="Offer for swap").click()
    expect(page.locator(".messages")).to_contain_text("Your shift is on offer")
    swap = SwapRequest.objects.get(shift=mine, status="offered")
    page.locator(f"#shift-{mine.pk}").get_by_role("button", name="Withdraw offer").click()
    expect(page.locator(".messages")).to_contain_text("Your offer is withdrawn; the shift stays")
    expect(
        page.locator(f"#shift-{mine.pk}").get_by_role("button", name="Offer for swap")
    ).to_be_visible()
    swap.refresh_from_db()
    mine.refresh_from_db()
    assert (swap.status, swap.closed_by, mine.user) == ("cancelled", alice, alice)

    # 2. Take Sofia's offered turn ("Moving house"; Payments needs no approval, so it is hers
    # at once), then give it back: it returns to Sofia, the swap is withdrawn.
    offer = SwapRequest.objects.get(shift__rotation=rotation, status="offered")
    sofia, theirs = offer.offered_by, offer.shift
    page.locator(f"#swap-{offer.pk}").get_by_role("button", name="Take this shift").click()
    expect(page.locator(".messages")).to_contain_text("The shift is yours now.")
    taken = page.locator(f"#shift-{theirs.pk}")
    expect(taken).to_contain_text(f"You took this from {sofia.get_full_name()}")
    theirs.refresh_from_db()
    assert theirs.user == alice
    taken.get_by_role("button", name="Give it back").click()
    expect(page.locator(".messages")).to_contain_text("You gave the shift back")
    expect(page.locator(f"#shift-{theirs.pk}")).to_have_count(0)
    theirs.refresh_from_db()
    offer.refresh_from_db()
    assert (theirs.user, offer.status) == (sofia, "withdrawn")

    # 3. Where approval is needed, a taken turn waits; withdrawing opens the offer again.
    services.rotation_update(rotation=rotation, swaps_require_approval=True, regenerate=False)
    again = services.swap_offer(shift=theirs, by=sofia, message="Still moving house")
    page.goto("/me/")
    page.locator(f"#swap-{again.pk}").get_by_role("button", name="Take this shift").click()
    expect(page.locator(".messages")).to_contain_text("it becomes yours once a manager approves")
    page.locator(f"#swap-{again.pk}").get_by_role("button", name="Withdraw").click()
    expect(page.locator(".messages")).to_contain_text("You withdrew; the shift is on offer again.")
    expect(page.locator(f"#swap-{again.pk}")).to_contain_text("Take this shift")
    again.refresh_from_db()
    theirs.refresh_from_db()
    assert (again.status, again.taken_by, theirs.user) == ("offered", None, sofia)

    # 4. Leave on My rota: a Wednesday of one of her later turns that nothing else touches.
    # She keeps the turn; that day gets one cover, by the next participant after her who is
    # free (README, Leave, rule 1), which her shift's row shows.
    later = [t for t in turns if t.user == alice and t.pk != mine.pk]
    turn, day = quiet_turn(later, holder=alice)
    start, end = day_span(day, rotation.timezone)
    coverer = expected_cover(turn, start, end)
    before, overrides_before = holders(), set(Override.objects.values_list("pk", flat=True))
    page.get_by_label("First day away").fill(day.isoformat())
    page.get_by_label("Last day away").fill(day.isoformat())
    page.get_by_label("Reason (optional)").fill("Conference")
    page.get_by_role("button", name="Add leave").click()
    expect(page.locator(".messages")).to_contain_text("Your leave is recorded.")
    expect(page.locator("#leave ~ ul, section[aria-labelledby=leave] ul")).to_contain_text(
        "Conference"
    )
    expect(page.locator(f"#shift-{turn.pk}")).to_contain_text(
        f"Covered by {coverer.get_full_name()}"
    )
    assert Unavailability.objects.filter(user=alice, start_date=day, end_date=day).exists()
    new = Override.objects.exclude(pk__in=overrides_before)
    assert [(o.user, o.start, o.end) for o in new] == [(coverer, start, end)]
    assert holders() == before

    # 5. Open an incident on Billing (Payments'): routing's first line and primary are paged at
    # once, and the page names them both with their steps (README, "Opening one in the
    # portal"); with no first line, or the same person in both, it names just the primary.
    component = demo.components["billing"]
    routed = responders(component=component)
    paged = routed.primary.user
    first_line = routed.first_line.user if routed.first_line else None
    if first_line is None or first_line == paged:
        opened = f"Incident opened; {paged.get_full_name()} is paged."
    else:
        opened = (
            f"Incident opened; {first_line.get_full_name()} (first line) and "
            f"{paged.get_full_name()} (primary) are paged."
        )
    page.goto("/incidents/new/")
    page.get_by_label("Component").select_option(component.slug)
    page.get_by_label("Severity").select_option("SEV2")
    page.get_by_label("Title").fill("Invoices fail to render")
    page.get_by_label("Description (optional)").fill("PDF export returns 500 since 09:40.")
    page.get_by_role("button", name="Open and page").click()
    expect(page.locator(".messages")).to_contain_text(opened)
    incident = Incident.objects.get(title="Invoices fail to render")
    assert (incident.component, incident.severity, incident.responder) == (
        component,
        "SEV2",
        paged,
    )
    assert page.url.endswith(f"/incidents/{incident.pk}/")
