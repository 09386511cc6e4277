"""Who is answered and paged, built through the API and worked out by hand.

The organisation (every rota in Europe/London, which is UTC in January; handoffs Monday 09:00):

* teams: checkout (ann, ben, cat engineers; lou lead), search (dan, eve engineers; sid lead);
* "Support": a team rotation, one week each, checkout from Mon 2030-01-07, then search, ...
  week 1 (Jan 7-14) checkout, week 2 (Jan 14-21) search, week 3 (Jan 21-28) checkout;
* "Support on-call" primary and secondary: person rotations that follow "Support", weekly,
  dealt among the members (engineers and leads, by username) of the team on shift:
  checkout's turn order is ann, ben, cat, lou; search's dan, eve, sid.
  primary:   week 1 ann, week 2 dan, week 3 ben;
  secondary: dealt around the primary: week 1 ann is primary so ben, week 2 dan is primary
             so eve, week 3 the turn after ben is cat (ben is primary anyway) so cat;
* "Checkout on-call": checkout's own primary rotation, participants cat then ann, weekly:
  week 1 cat. It must not override the support calendar;
* "Search on-call": search's own primary rotation, participants eve then dan: week 1 eve;
* the default support policy is rotating on "Support"; component "cart" is owned by checkout.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model

from incidents import services as incidents
from incidents.models import Page
from ownership.models import Component
from tests.ownership.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
WEEK1_TUESDAY_NOON = "2030-01-08T12:00:00Z"
WEEK2_TUESDAY_NOON = "2030-01-15T12:00:00Z"
WEEK3_TUESDAY_NOON = "2030-01-22T12:00:00Z"


def ok(response, status=(200, 201)):
    assert response.status_code in (status if isinstance(status, tuple) else (status,)), (
        response.status_code,
        response.content,
    )
    return response.json()


def make_team(client, slug, engineers, lead):
    for name in [*engineers, lead]:
        UserFactory(username=name)
    members = [{"username": n, "role": "engineer"} for n in engineers]
    members.append({"username": lead, "role": "lead"})
    return ok(
        client.post(
            "/api/v1/teams/",
            {"slug": slug, "name": slug.title(), "members": members},
            format="json",
        )
    )


def make_rotation(client, **fields):
    body = {
        "shift_length": {"unit": "weeks", "count": 1},
        "handoff_time": "09:00",
        "timezone": "Europe/London",
        "start_date": "2030-01-07",
        **fields,
    }
    rotation = ok(client.post("/api/v1/rotations/", body, format="json"))
    return rotation["id"]


def generate(client, rotation_id, until="2030-02-10"):
    ok(client.post(f"/api/v1/rotations/{rotation_id}/generate/", {"until": until}, format="json"))


def oncall(client, **query):
    return ok(client.get("/api/v1/oncall/", query))


def search_covers_tuesday(org):
    """search covers checkout's support shift on Tuesday 8 January 2030, all day (UTC)."""
    ok(
        org["client"].post(
            "/api/v1/overrides/",
            {
                "rotation": org["support"],
                "team": "search",
                "start": "2030-01-08T00:00:00Z",
                "end": "2030-01-09T00:00:00Z",
            },
            format="json",
        )
    )


def people(body):
    return [(step["role"], step["users"]) for step in body["escalation"]]


@pytest.fixture
def org(staff_client):
    client = staff_client
    make_team(client, "checkout", ["ann", "ben", "cat"], "lou")
    make_team(client, "search", ["dan", "eve"], "sid")
    ok(
        client.post(
            "/api/v1/components/",
            {"slug": "cart", "name": "Cart", "owner_team": "checkout"},
            format="json",
        )
    )
    support = make_rotation(
        client, name="Support", kind="team", participants=["checkout", "search"]
    )
    primary = make_rotation(
        client, name="Support on-call", kind="person", role="primary", follows_team_rotation=support
    )
    secondary = make_rotation(
        client,
        name="Support on-call (secondary)",
        kind="person",
        role="secondary",
        follows_team_rotation=support,
    )
    own = make_rotation(
        client, name="Checkout on-call", kind="person", team="checkout", participants=["cat", "ann"]
    )
    search_own = make_rotation(
        client, name="Search on-call", kind="person", team="search", participants=["eve", "dan"]
    )
    generate(client, support)  # deals the following rotations too, primaries first
    generate(client, own)
    generate(client, search_own)
    ok(
        client.post(
            "/api/v1/support-policies/",
            {"name": "Rotating support", "model": "rotating", "team_rotation": support},
            format="json",
        )
    )
    return {"client": client, "support": support, "primary": primary, "secondary": secondary}


def test_rotating_support_pages_the_support_calendar_primary_and_a_different_secondary(org):
    client = org["client"]
    week1 = oncall(client, component="cart", at=WEEK1_TUESDAY_NOON)
    assert week1["responding_team"] == "checkout"
    assert (week1["primary"]["username"], week1["secondary"]["username"]) == ("ann", "ben")
    assert week1["primary"]["rotation"] == org["primary"]
    assert people(week1) == [("primary", ["ann"]), ("secondary", ["ben"]), ("lead", ["lou"])]

    week2 = oncall(client, component="cart", at=WEEK2_TUESDAY_NOON)
    assert week2["responding_team"] == "search"
    assert (week2["primary"]["username"], week2["secondary"]["username"]) == ("dan", "eve")

    week3 = oncall(client, component="cart", at=WEEK3_TUESDAY_NOON)
    assert (week3["primary"]["username"], week3["secondary"]["username"]) == ("ben", "cat")


def test_the_answer_is_the_support_calendar(org):
    client = org["client"]
    shifts = ok(client.get("/api/v1/shifts/", {"rotation": org["secondary"]}))["results"]
    by_start = {s["start"][:10]: s["user"] for s in shifts}
    # The calendar and the answer agree: week 1 ben, week 2 eve, week 3 cat.
    assert [by_start[d] for d in ("2030-01-07", "2030-01-14", "2030-01-21")] == [
        "ben",
        "eve",
        "cat",
    ]
    for at, expected in (
        (WEEK1_TUESDAY_NOON, "ben"),
        (WEEK2_TUESDAY_NOON, "eve"),
        (WEEK3_TUESDAY_NOON, "cat"),
    ):
        assert oncall(client, component="cart", at=at)["secondary"]["username"] == expected


def test_a_secondary_following_the_same_team_rotation_is_never_the_primary(org):
    client = org["client"]
    primaries = ok(client.get("/api/v1/shifts/", {"rotation": org["primary"], "page_size": 100}))
    secondaries = ok(
        client.get("/api/v1/shifts/", {"rotation": org["secondary"], "page_size": 100})
    )
    held = {(s["start"], s["end"]): s["user"] for s in primaries["results"]}
    assert len(secondaries["results"]) >= 5
    for shift in secondaries["results"]:
        assert held[(shift["start"], shift["end"])] != shift["user"]


def test_a_team_covering_the_support_shift_pages_its_own_people(org):
    client = org["client"]
    # search covers checkout's support shift on Tuesday 8 January, all day.
    search_covers_tuesday(org)
    body = oncall(client, component="cart", at=WEEK1_TUESDAY_NOON)
    # search's own primary rotation has eve in week 1; search has no own secondary rotation.
    assert (body["responding_team"], body["covering"]) == ("search", True)
    assert body["primary"]["username"] == "eve"
    assert body["secondary"] is None
    assert people(body) == [("primary", ["eve"]), ("lead", ["sid"])]
    # After the cover, checkout's support calendar people answer again.
    after = oncall(client, component="cart", at="2030-01-09T12:00:00Z")
    assert (after["primary"]["username"], after["secondary"]["username"]) == ("ann", "ben")


def test_a_team_covering_the_support_shift_is_paged_for_an_incident(org):
    search_covers_tuesday(org)

    at = datetime.datetime(2030, 1, 8, 12, tzinfo=UTC)
    incident = incidents.incident_create(
        title="Cart down", component=Component.objects.get(slug="cart"), severity="SEV1", at=at
    )
    assert (incident.responding_team.slug, incident.responder.username) == ("search", "eve")
    assert [(p.user.username, p.step) for p in Page.objects.filter(incident=incident)] == [
        ("eve", "primary")
    ]


def test_the_team_lookup_follows_the_same_rules(org):
    client = org["client"]
    # checkout holds the support shift in week 1: its answer is the support calendar's.
    body = oncall(client, team="checkout", at=WEEK1_TUESDAY_NOON)
    assert (body["primary"]["username"], body["secondary"]["username"]) == ("ann", "ben")
    # search is not on support in week 1: its own rotation answers (eve), no secondary.
    body = oncall(client, team="search", at=WEEK1_TUESDAY_NOON)
    assert (body["primary"]["username"], body["secondary"]) == ("eve", None)


def test_one_person_is_never_paged_twice(staff_client):
    # payments: pia is both the primary and the secondary on duty, and also its lead.
    make_team(staff_client, "payments", ["pia", "pat"], "pia-lead")
    ok(
        staff_client.post(
            "/api/v1/components/",
            {"slug": "billing", "name": "Billing", "owner_team": "payments"},
            format="json",
        )
    )
    primary = make_rotation(
        staff_client, name="P", kind="person", team="payments", participants=["pia"]
    )
    secondary = make_rotation(
        staff_client,
        name="S",
        kind="person",
        team="payments",
        role="secondary",
        participants=["pia"],
    )
    second_secondary = make_rotation(
        staff_client,
        name="S2",
        kind="person",
        team="payments",
        role="secondary",
        participants=["pat"],
    )
    for rotation in (primary, secondary, second_secondary):
        generate(staff_client, rotation)
    body = oncall(staff_client, component="billing", at=WEEK1_TUESDAY_NOON)
    # pia is primary; the first secondary rotation (also pia) is skipped for the next one, pat.
    assert (body["primary"]["username"], body["secondary"]["username"]) == ("pia", "pat")
    assert people(body) == [("primary", ["pia"]), ("secondary", ["pat"]), ("lead", ["pia-lead"])]
    assert get_user_model().objects.filter(username="pia").count() == 1


def test_a_covering_teams_people_answer_only_until_the_cover_ends(org):
    client = org["client"]
    # search covers Tuesday 8 January 00:00-24:00; eve's own shift runs to Monday 14 09:00,
    # but she answers for cart only until the cover ends at Wednesday 00:00.
    search_covers_tuesday(org)
    body = oncall(client, component="cart", at=WEEK1_TUESDAY_NOON)
    assert body["primary"]["shift_end"] == "2030-01-09T00:00:00Z"
    assert body["escalation"][0]["until"] == "2030-01-09T00:00:00Z"
    # Without a cover, ann (support calendar) answers until the support shift ends.
    plain = oncall(client, component="cart", at="2030-01-10T12:00:00Z")
    assert plain["primary"]["shift_end"] == "2030-01-14T09:00:00Z"


def test_a_following_rotation_is_off_duty_while_another_team_covers(org):
    client = org["client"]
    search_covers_tuesday(org)
    body = oncall(client, rotation=org["primary"], at=WEEK1_TUESDAY_NOON)
    # ann was dealt checkout's turn; search covers, so the rotation answers nobody and says why.
    assert (body["responding_team"], body["primary"], body["covering"]) == ("search", None, True)
    assert "covers the support shift" in body["warning"]
    assert all("ann" not in step["users"] for step in body["escalation"])
