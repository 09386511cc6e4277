"""Who is on call at any instant (``GET /api/v1/oncall/?component=&at=``), worked out by hand.

The organisation is built through the API. Team "pay" (Europe/London) has ana, bo and cy (cy
leads). Component "billing" is owned by pay; no support policy, so total ownership.

* "Pay primary": weekly, handoff Monday 09:00 London, from Monday 24 March 2036, ana then bo.
  London moves from GMT to BST on Sunday 30 March at 01:00 UTC, so the shifts are
  ana [24 Mar 09:00Z, 31 Mar 08:00Z) (167 h), bo [31 Mar 08:00Z, 7 Apr 08:00Z),
  ana [7 Apr 08:00Z, 14 Apr 08:00Z).
* "Pay evenings": secondary, the same weekly shifts, bo then ana, on duty only in the weekly
  window Mon 17:00 - Tue 09:00 London:
  bo on 24 Mar 17:00Z - 25 Mar 09:00Z (GMT), ana on 31 Mar 16:00Z - 1 Apr 08:00Z (BST).
* Overrides of the primary: cy covers 2 Apr 12:00Z - 3 Apr 12:00Z, and ana covers cy inside
  it, 2 Apr 18:00Z - 20:00Z; cy covers 6 Apr 20:00Z - 7 Apr 20:00Z, across the 7 April
  handoff, and bo covers cy inside it on 7 Apr 10:00Z - 11:00Z (in ana's shift, so outside
  the shift holding the early part of cy's cover).
"""

import pytest

from core import caches
from tests.ownership.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/oncall/"

# (instant, primary and until, secondary and until): null where nobody is on duty.
EXPECTED = [
    ("2036-03-24T08:59:59Z", None, None),  # before the first shift
    ("2036-03-24T09:00:00Z", ("ana", "2036-03-31T08:00:00Z"), None),
    ("2036-03-24T16:59:59Z", ("ana", "2036-03-31T08:00:00Z"), None),  # window not yet open
    ("2036-03-24T17:00:00Z", ("ana", "2036-03-31T08:00:00Z"), ("bo", "2036-03-25T09:00:00Z")),
    ("2036-03-25T08:59:59Z", ("ana", "2036-03-31T08:00:00Z"), ("bo", "2036-03-25T09:00:00Z")),
    ("2036-03-25T09:00:00Z", ("ana", "2036-03-31T08:00:00Z"), None),  # window closed
    ("2036-03-30T00:59:59Z", ("ana", "2036-03-31T08:00:00Z"), None),  # just before BST
    ("2036-03-31T07:59:59Z", ("ana", "2036-03-31T08:00:00Z"), None),  # 08:59:59 BST
    ("2036-03-31T08:00:00Z", ("bo", "2036-04-02T12:00:00Z"), None),  # 09:00 BST handoff
    ("2036-03-31T15:59:59Z", ("bo", "2036-04-02T12:00:00Z"), None),
    ("2036-03-31T16:00:00Z", ("bo", "2036-04-02T12:00:00Z"), ("ana", "2036-04-01T08:00:00Z")),
    ("2036-04-01T08:00:00Z", ("bo", "2036-04-02T12:00:00Z"), None),  # 09:00 BST closes
    ("2036-04-02T11:59:59Z", ("bo", "2036-04-02T12:00:00Z"), None),  # cut by cy's cover
    ("2036-04-02T12:00:00Z", ("cy", "2036-04-02T18:00:00Z"), None),  # until ana's inner cover
    ("2036-04-02T19:00:00Z", ("ana", "2036-04-02T20:00:00Z"), None),
    ("2036-04-02T20:00:00Z", ("cy", "2036-04-03T12:00:00Z"), None),  # cy's cover resumes
    ("2036-04-03T12:00:00Z", ("bo", "2036-04-06T20:00:00Z"), None),
    ("2036-04-07T07:00:00Z", ("cy", "2036-04-07T10:00:00Z"), None),  # cut by bo, next shift
    ("2036-04-07T09:00:00Z", ("cy", "2036-04-07T10:00:00Z"), None),
    ("2036-04-07T10:30:00Z", ("bo", "2036-04-07T11:00:00Z"), None),
    ("2036-04-07T12:00:00Z", ("cy", "2036-04-07T20:00:00Z"), None),
    ("2036-04-07T20:00:00Z", ("ana", "2036-04-14T08:00:00Z"), None),
    ("2036-04-14T08:00:00Z", None, None),  # after the last shift
]


@pytest.fixture
def org(staff_client):
    for name in ("ana", "bo", "cy"):
        UserFactory(username=name, email=f"{name}@example.com")
    members = [
        {"username": "ana", "role": "engineer"},
        {"username": "bo", "role": "engineer"},
        {"username": "cy", "role": "lead"},
    ]
    team = {"slug": "pay", "name": "Payments", "timezone": "Europe/London", "members": members}
    assert staff_client.post("/api/v1/teams/", team, format="json").status_code == 201
    component = {"slug": "billing", "name": "Billing", "owner_team": "pay"}
    assert staff_client.post("/api/v1/components/", component, format="json").status_code == 201
    common = {
        "kind": "person",
        "shift_length": {"unit": "weeks", "count": 1},
        "handoff_time": "09:00",
        "timezone": "Europe/London",
        "start_date": "2036-03-24",
        "team": "pay",
    }
    primary = staff_client.post(
        "/api/v1/rotations/",
        {**common, "name": "Pay primary", "role": "primary", "participants": ["ana", "bo"]},
        format="json",
    )
    assert primary.status_code == 201, primary.content
    evenings = staff_client.post(
        "/api/v1/rotations/",
        {
            **common,
            "name": "Pay evenings",
            "role": "secondary",
            "participants": ["bo", "ana"],
            "restriction": "weekly",
            "restriction_windows": [{"from_day": 1, "from": "17:00", "to_day": 2, "to": "09:00"}],
        },
        format="json",
    )
    assert evenings.status_code == 201, evenings.content
    # The shifts generation would deal (written out, as generation only deals from today on).
    for rotation, who, start, end in (
        (primary, "ana", "2036-03-24T09:00:00Z", "2036-03-31T08:00:00Z"),
        (primary, "bo", "2036-03-31T08:00:00Z", "2036-04-07T08:00:00Z"),
        (primary, "ana", "2036-04-07T08:00:00Z", "2036-04-14T08:00:00Z"),
        (evenings, "bo", "2036-03-24T09:00:00Z", "2036-03-31T08:00:00Z"),
        (evenings, "ana", "2036-03-31T08:00:00Z", "2036-04-07T08:00:00Z"),
    ):
        shift = {"rotation": rotation.json()["id"], "user": who, "start": start, "end": end}
        made = staff_client.post("/api/v1/shifts/", shift, format="json")
        assert made.status_code == 201, made.content
    for who, start, end in (
        ("cy", "2036-04-02T12:00:00Z", "2036-04-03T12:00:00Z"),
        ("ana", "2036-04-02T18:00:00Z", "2036-04-02T20:00:00Z"),
        ("cy", "2036-04-06T20:00:00Z", "2036-04-07T20:00:00Z"),
        ("bo", "2036-04-07T10:00:00Z", "2036-04-07T11:00:00Z"),
    ):
        cover = {"rotation": primary.json()["id"], "user": who, "start": start, "end": end}
        made = staff_client.post("/api/v1/overrides/", cover, format="json")
        assert made.status_code == 201, made.content
    return primary.json()["id"]


def _person(body):
    return None if body is None else (body["username"], body["shift_end"].replace("+00:00", "Z"))


def _check(client, instant, primary, secondary):
    response = client.get(URL, {"component": "billing", "at": instant})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["at"].replace("+00:00", "Z") == instant
    assert (_person(body["primary"]), _person(body["secondary"])) == (primary, secondary), instant
    return body


@pytest.mark.parametrize("order", ["cold", "in turn", "backwards"])
def test_who_is_on_call_at_each_instant(user_client, org, order):
    # "cold" empties the process caches before each lookup; the others reuse what earlier
    # lookups kept (answers by the span they hold in), walking forwards or backwards in time.
    expected = EXPECTED[::-1] if order == "backwards" else EXPECTED
    for instant, primary, secondary in expected:
        if order == "cold":
            caches.clear_all()
        _check(user_client, instant, primary, secondary)


def test_a_cover_marks_the_person_covering_and_the_lead_is_not_paged_twice(user_client, org):
    # 2 Apr 12:00Z: cy covers bo; cy is also pay's lead, so the last step falls to managers,
    # of whom pay has none: the path is cy alone.
    body = _check(user_client, "2036-04-02T12:00:00Z", ("cy", "2036-04-02T18:00:00Z"), None)
    assert body["primary"]["covering"] is True
    assert [(s["role"], s["users"]) for s in body["escalation"]] == [("primary", ["cy"])]
    # 3 Apr 12:00Z: bo by his own shift (until cy's next cover), then cy as lead.
    body = _check(user_client, "2036-04-03T12:00:00Z", ("bo", "2036-04-06T20:00:00Z"), None)
    assert body["primary"]["covering"] is False
    assert [(s["role"], s["users"]) for s in body["escalation"]] == [
        ("primary", ["bo"]),
        ("lead", ["cy"]),
    ]


def test_an_edit_is_seen_at_once_by_lookups_inside_a_kept_span(user_client, staff_client, org):
    # 4 Apr 12:00Z is inside bo's span [3 Apr 12:00Z, 6 Apr 20:00Z), kept by the first lookup.
    _check(user_client, "2036-04-03T12:00:00Z", ("bo", "2036-04-06T20:00:00Z"), None)
    _check(user_client, "2036-04-04T12:00:00Z", ("bo", "2036-04-06T20:00:00Z"), None)
    cover = {"rotation": org, "user": "ana", "start": "2036-04-04T00:00:00Z"}
    cover["end"] = "2036-04-05T00:00:00Z"
    assert staff_client.post("/api/v1/overrides/", cover, format="json").status_code == 201
    _check(user_client, "2036-04-04T12:00:00Z", ("ana", "2036-04-05T00:00:00Z"), None)
    # bo's span is now cut at ana's cover: 3 Apr 23:00Z ends at its start.
    _check(user_client, "2036-04-03T23:00:00Z", ("bo", "2036-04-04T00:00:00Z"), None)


def test_a_lookup_inside_a_kept_span_costs_one_query(user_client, org, django_assert_num_queries):
    _check(user_client, "2036-03-31T08:00:00Z", ("bo", "2036-04-02T12:00:00Z"), None)
    # 1 Apr 12:00Z lies in [1 Apr 08:00Z, 2 Apr 12:00Z): bo on duty, the evening window shut
    # until the next Monday 16:00Z; a different span. 1 Apr 13:00Z then lies in the span the
    # 12:00 lookup kept.
    _check(user_client, "2036-04-01T12:00:00Z", ("bo", "2036-04-02T12:00:00Z"), None)
    with django_assert_num_queries(1):  # the rota and catalog version tags
        _check(user_client, "2036-04-01T13:00:00Z", ("bo", "2036-04-02T12:00:00Z"), None)


@pytest.mark.parametrize("target", ["team", "rotation"])
def test_team_and_rotation_lookups_are_kept_by_span_too(
    user_client, org, django_assert_num_queries, target
):
    # bo holds the primary shift from 3 Apr 12:00Z until cy's cover on 6 Apr 20:00Z; the
    # evening window is shut from 1 Apr 08:00Z to 7 Apr 16:00Z (beyond its shift's end,
    # 7 Apr 08:00Z). So 4 Apr 12:00Z and 5 Apr 03:00Z share one span.
    query = {"team": "pay", "rotation": org}[target]
    first = user_client.get(URL, {target: query, "at": "2036-04-04T12:00:00Z"}).json()
    with django_assert_num_queries(1):
        again = user_client.get(URL, {target: query, "at": "2036-04-05T03:00:00Z"}).json()
    assert again["at"] == "2036-04-05T03:00:00Z"
    for body in (first, again):
        assert _person(body["primary"]) == ("bo", "2036-04-06T20:00:00Z")
