"""PagerDuty schedules into Rota: who is on call afterwards, delays, idempotency, dry run, problems.

The schedule below is written from PagerDuty's documented semantics (API reference for
``GET /schedules/{id}``, ``/overrides`` and ``/escalation_policies/{id}``): in a layer the user
on at instant t is ``users[k mod n]``, k the number of turns begun since
``rotation_virtual_start``, turns read on the schedule time zone's wall clock; restrictions
clip a layer to their windows; the higher layer wins wherever it has someone; an override wins
over every layer. ``GET /schedules/{id}`` lists the top layer first.

Worked out on paper (Europe/London; GMT = UTC in winter, BST = UTC+1 from Sun 28 Mar 2027
01:00 UTC to Sun 31 Oct 2027 01:00 UTC):

* Layer 1 "Weekly" (bottom): alice, bob, carol; weekly turns from Mon 2 Nov 2026 09:00 local.
  Turn k starts Monday 2 Nov + 7k days at 09:00 local and goes to users[k mod 3]:
  k=4 Mon 30 Nov 2026 bob, k=5 Mon 7 Dec carol, k=9 Mon 4 Jan 2027 alice;
  2 Nov 2026 -> 29 Mar 2027 is 30+31+31+28+27 = 147 days = 21 weeks: k=20 (22 Mar) carol,
  k=21 (Mon 29 Mar 09:00 BST = 08:00 UTC) alice;
  2 Nov 2026 -> 1 Nov 2027 is 364 days = 52 weeks: k=51 (25 Oct) alice, k=52 (Mon 1 Nov
  09:00 GMT) bob.
* Layer 2 "Weekend" (top): dave, erin; weekly turns from Fri 6 Nov 2026 18:00; restricted to
  Friday 18:00 for 62 hours (to Monday 08:00, read on the wall clock). Turn k goes to
  users[k mod 2]: 6 Nov 2026 -> 4 Dec is 28 days, k=4 dave; -> 26 Mar 2027 is 30+31+31+28+20 =
  140 days, k=20 dave; -> 29 Oct 2027 is 357 days, k=51 erin.
* Override: frank from Wed 6 Jan 2027 10:00 to 14:00 UTC (layer 1 has alice then, k=9).
* "Platform Secondary": one layer, daily turns from Mon 30 Nov 2026 09:00, heidi, ivan: on
  Wed 2 Dec 2026 12:00 it is turn k=2, heidi.
* Escalation policy: level 1 the primary schedule (then 10 min), level 2 the secondary
  schedule (then 15 min), level 3 grace the lead: reached at 0, 10 and 10 + 15 = 25 minutes.
"""

import copy
import datetime
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from importers.base import ImportRefused, execute
from importers.registry import get
from importers.schedules.pagerduty_api import FetchFailed, fetch_bundle
from importers.schedules.pagerduty_read import Unmappable, restriction_windows
from importers.services import import_run_check
from incidents.models import EscalationPolicy
from ownership.models import Membership
from rota import routing
from rota.models import Override, Rotation, Shift
from rota.services import rotation_create, rotation_generate, support_policy_create
from tests.ownership.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday: import as of then
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan")


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def pd_user(name: str) -> dict:
    return {"user": {"id": f"P{name.upper()}", "type": "user_reference", "summary": name}}


SCHEDULE = {
    "id": "PSCHED1",
    "name": "Platform",
    "time_zone": "Europe/London",
    "schedule_layers": [
        {
            "id": "PLAYER2",
            "name": "Weekend",
            "start": "2026-11-06T18:00:00Z",
            "end": None,
            "rotation_virtual_start": "2026-11-06T18:00:00+00:00",
            "rotation_turn_length_seconds": 604800,
            "users": [pd_user("dave"), pd_user("erin")],
            "restrictions": [
                {
                    "type": "weekly_restriction",
                    "start_day_of_week": 5,
                    "start_time_of_day": "18:00:00",
                    "duration_seconds": 62 * 3600,
                }
            ],
        },
        {
            "id": "PLAYER1",
            "name": "Weekly",
            "start": "2026-11-02T09:00:00Z",
            "end": None,
            "rotation_virtual_start": "2026-11-02T09:00:00Z",
            "rotation_turn_length_seconds": 604800,
            "users": [pd_user("alice"), pd_user("bob"), pd_user("carol")],
            "restrictions": [],
        },
    ],
}
SECONDARY = {
    "id": "PSCHED2",
    "name": "Platform Secondary",
    "time_zone": "Europe/London",
    "schedule_layers": [
        {
            "id": "PLAYER3",
            "name": "Daily",
            "start": "2026-11-30T09:00:00Z",
            "end": None,
            "rotation_virtual_start": "2026-11-30T09:00:00Z",
            "rotation_turn_length_seconds": 86400,
            "users": [pd_user("heidi"), pd_user("ivan")],
            "restrictions": [],
        }
    ],
}
OVERRIDES = [
    {
        "id": "POVER1",
        "start": "2027-01-06T10:00:00Z",
        "end": "2027-01-06T14:00:00Z",
        "user": {"id": "PFRANK", "type": "user_reference", "summary": "frank"},
    },
    {  # over before the import: history, not imported
        "id": "POVER0",
        "start": "2026-11-03T10:00:00Z",
        "end": "2026-11-03T14:00:00Z",
        "user": {"id": "PFRANK", "type": "user_reference", "summary": "frank"},
    },
]
POLICY = {
    "id": "PPOL1",
    "name": "Platform EP",
    "num_loops": 0,
    "escalation_rules": [
        {
            "escalation_delay_in_minutes": 10,
            "targets": [{"type": "schedule_reference", "id": "PSCHED1"}],
        },
        {
            "escalation_delay_in_minutes": 15,
            "targets": [{"type": "schedule_reference", "id": "PSCHED2"}],
        },
        {
            "escalation_delay_in_minutes": 30,
            "targets": [{"type": "user_reference", "id": "PGRACE"}],
        },
    ],
}
USERS = [
    {"id": f"P{name.upper()}", "name": name.title(), "email": f"{name}@example.com"}
    for name in PEOPLE
]
BUNDLE = {
    "users": USERS,
    "schedules": [SCHEDULE, SECONDARY],
    "overrides": {"PSCHED1": OVERRIDES},
    "escalation_policies": [POLICY],
}


@pytest.fixture
def team():
    for name in PEOPLE:
        UserFactory(username=name, email=f"{name}@example.com")
    team = TeamFactory(slug="platform", name="Platform")
    MembershipFactory(team=team, user=UserFactory(username="grace"), role=Membership.Role.LEAD)
    support_policy_create(name="Platform support", model="dedicated", dedicated_team=team)
    return team


def run(bundle=BUNDLE, *, now=NOW, dry_run=False, **options):
    data = json.dumps(bundle).encode()
    info = get("pagerduty-schedules")
    options = {"team": "platform", "now": now, **options}
    return execute(info.run, data, source=info.name, options=options, dry_run=dry_run)


def extend_to_2028():
    # The nightly job extends every rotation as time passes; do it now, as of the import.
    for rotation in Rotation.objects.all():
        rotation_generate(rotation=rotation, until=datetime.date(2028, 1, 31), now=NOW)


def on_call(team, instant):
    answer = routing.responders_for_team(team=team, at=instant)
    primary = answer.primary.user.username if answer.primary else None
    secondary = answer.secondary.user.username if answer.secondary else None
    return primary, secondary


def test_who_is_on_call_after_the_import_follows_pagerdutys_rules(team):
    report = run()
    assert report.problems == []
    assert report.created == {"rotation": 4, "override": 1, "escalation policy": 1}
    extend_to_2028()
    expected = {
        # winter, layer 1 turn k=4 (bob); not a weekend window
        "2026-12-02T12:00": "bob",
        # Friday 17:59 GMT: the weekend window opens at 18:00
        "2026-12-04T17:59": "bob",
        # exactly at the window's start: layer 2, turn k=4, dave
        "2026-12-04T18:00": "dave",
        "2026-12-07T07:59": "dave",
        # exactly at the window's end (Mon 08:00): off; layer 1 hands off only at 09:00
        "2026-12-07T08:00": "bob",
        "2026-12-07T09:00": "carol",
        # the override holds its window and only it
        "2027-01-06T09:59": "alice",
        "2027-01-06T10:00": "frank",
        "2027-01-06T13:59": "frank",
        "2027-01-06T14:00": "alice",
        # March: the window closes Mon 29 Mar 08:00 BST = 07:00 UTC
        "2027-03-29T06:59": "dave",
        "2027-03-29T07:00": "carol",
        # handoff at 09:00 BST = 08:00 UTC (turns of fixed seconds would say 09:00 UTC, carol)
        "2027-03-29T08:30": "alice",
        # October: the window opens Fri 29 Oct 18:00 BST = 17:00 UTC (turn k=51, erin)
        "2027-10-29T16:59": "alice",
        "2027-10-29T17:00": "erin",
        # and lasts to Mon 1 Nov 08:00 GMT = 08:00 UTC, an hour longer across the change
        "2027-11-01T07:59": "erin",
        "2027-11-01T08:00": "alice",
        "2027-11-01T09:00": "bob",
    }
    answers = {when: on_call(team, at(when))[0] for when in expected}
    assert answers == expected
    # The secondary schedule (escalation level 2) gives the team's secondary: turn k=2, heidi.
    assert on_call(team, at("2026-12-02T12:00")) == ("bob", "heidi")


def test_rotations_mirror_the_layers(team):
    run()
    weekly = Rotation.objects.get(name="Platform — Weekly")
    weekend = Rotation.objects.get(name="Platform — Weekend")
    overrides = Rotation.objects.get(name="Platform — overrides")
    secondary = Rotation.objects.get(name="Platform Secondary — Daily")
    assert (weekly.layer, weekend.layer, overrides.layer) == (1, 2, 3)
    assert (weekly.role, secondary.role) == ("primary", "secondary")
    # The turn in progress on 1 Dec 2026 (k=4, from Mon 30 Nov 09:00) is bob's.
    assert (weekly.shift_length_unit, weekly.shift_length_count) == ("weeks", 1)
    assert (weekly.start_date, weekly.handoff_time) == (
        datetime.date(2026, 11, 30),
        datetime.time(9, 0),
    )
    assert [p.user.username for p in weekly.participants.order_by("position")] == [
        "bob",
        "carol",
        "alice",
    ]
    assert weekend.restriction == "weekly"
    assert weekend.restriction_windows == [
        {"from_day": 5, "from": "18:00", "to_day": 1, "to": "08:00"}
    ]
    assert weekend.description == "Imported from [PagerDuty schedule PSCHED1 layer PLAYER2]"
    assert Override.objects.get().reason == "PagerDuty override POVER1"


def test_escalation_rules_become_cumulative_delays(team):
    run()
    delays = EscalationPolicy.objects.get(support_policy__name="Platform support")
    # level 1 at once, level 2 after 10 minutes, level 3 after 10 + 15
    assert (
        delays.primary_delay_minutes,
        delays.secondary_delay_minutes,
        delays.lead_delay_minutes,
    ) == (0, 10, 25)


def test_a_second_import_changes_nothing_even_a_week_later(team):
    run()
    shifts = set(Shift.objects.values_list("pk", "start", "user_id"))
    again = run()
    assert not again.changed, again.details
    assert again.unchanged == {"rotation": 4, "override": 1, "escalation policy": 1}
    later = run(now=NOW + datetime.timedelta(days=7))
    assert not later.changed, later.details
    assert set(Shift.objects.values_list("pk", "start", "user_id")) >= shifts


def test_a_changed_schedule_updates_its_rotation(team):
    run()
    changed = copy.deepcopy(BUNDLE)
    # erin leaves the weekend layer; the override moves an hour later
    changed["schedules"][0]["schedule_layers"][0]["users"] = [pd_user("dave")]
    changed["overrides"]["PSCHED1"][0]["end"] = "2027-01-06T15:00:00Z"
    report = run(changed)
    assert report.updated == {"rotation": 1, "override": 1}
    extend_to_2028()
    assert on_call(team, at("2027-10-29T17:00"))[0] == "dave"
    assert on_call(team, at("2027-01-06T14:30"))[0] == "frank"


def test_dry_run_writes_nothing(team):
    report = run(dry_run=True)
    assert report.created == {"rotation": 4, "override": 1, "escalation policy": 1}
    assert "create rotation Platform — Weekly (3 people)" in report.details
    assert Rotation.objects.count() == 0
    assert Shift.objects.count() == 0
    assert EscalationPolicy.objects.count() == 0


def test_what_cannot_be_mapped_is_reported_by_name(team):
    bad = copy.deepcopy(BUNDLE)
    layers = bad["schedules"][0]["schedule_layers"]
    layers[0]["users"].append(
        {"user": {"id": "PZOE", "summary": "Zoe", "email": "zoe@elsewhere.example"}}
    )
    layers[1]["rotation_turn_length_seconds"] = 5400
    bad["escalation_policies"][0]["escalation_rules"].append(
        {"escalation_delay_in_minutes": 5, "targets": [{"type": "user_reference", "id": "PIVAN"}]}
    )
    bad["escalation_policies"][0]["num_loops"] = 2
    report = run(bad)
    problems = {str(p) for p in report.problems}
    assert problems == {
        'schedule "Platform" layer "Weekend": user Zoe <zoe@elsewhere.example> has no Rota '
        "account with that e-mail",
        'schedule "Platform" layer "Weekend": not imported: its turn order needs every user',
        'schedule "Platform" layer "Weekly": a turn of 5400 seconds is not a whole number of '
        "hours; Rota's turns are hours, days or weeks",
        'escalation policy "Platform EP": repeats 2 time(s); Rota escalates once: the repeats '
        "are left out",
        'escalation policy "Platform EP" level 4: Rota escalates in three steps (primary, '
        "secondary, leads): left out",
        'schedule "Platform" overrides: no layer of the schedule was imported, so neither are '
        "its overrides",
    }
    # The rest is imported: the secondary schedule, the delays; no overrides rotation holding
    # overrides above no layer.
    assert set(Rotation.objects.values_list("name", flat=True)) == {"Platform Secondary — Daily"}
    assert EscalationPolicy.objects.get().lead_delay_minutes == 25


def test_schedules_without_a_team_are_refused_whole(team):
    # Neither team= nor a mapping: a missing option, so nothing is imported (not a report).
    with pytest.raises(ImportRefused, match=r"option team: give the Rota team of the schedules"):
        run(team=None)
    assert Rotation.objects.count() == 0


def test_a_schedule_left_out_of_the_mapping_is_reported(team):
    report = run(team=None, mapping={"Platform Secondary": "platform"})
    assert str(report.problems[0]) == (
        'schedule "Platform": a PagerDuty schedule has no team: give team=SLUG or map it in '
        "the mapping"
    )
    assert set(Rotation.objects.values_list("name", flat=True)) == {"Platform Secondary — Daily"}


def test_the_command_reads_raw_responses_from_several_files(team, tmp_path, capsys):
    files = {
        "schedule.json": {"schedule": SCHEDULE},
        "overrides.json": {"overrides": OVERRIDES},
        "policy.json": {
            "escalation_policy": {**POLICY, "escalation_rules": POLICY["escalation_rules"][:1]}
        },
        "users.json": {"users": USERS},
    }
    paths = []
    for name, doc in files.items():
        path = tmp_path / name
        path.write_text(json.dumps(doc))
        paths.append(str(path))
    call_command("import_pagerduty", *paths, "--team", "platform", "--dry-run")
    out = capsys.readouterr().out
    assert "Dry run: nothing was written." in out
    assert "would create: 1 escalation policy" in out
    assert "create rotation Platform — Weekend (2 people)" in out
    assert Rotation.objects.count() == 0


def test_restrictions_become_weekly_windows():
    daily = [
        {
            "type": "daily_restriction",
            "start_time_of_day": "18:00:00",
            "duration_seconds": 14 * 3600,
        }
    ]
    # every day 18:00 to 08:00 the next day: seven windows, Sunday's wrapping to Monday
    assert restriction_windows(daily) == [
        {"from_day": day, "from": "18:00", "to_day": day % 7 + 1, "to": "08:00"}
        for day in range(1, 8)
    ]
    # Mon 09:00 for 8 h and Mon 17:00 for 2 h touch: one window Mon 09:00 - 19:00
    touching = [
        {"type": "weekly_restriction", "start_day_of_week": 1, "start_time_of_day": "09:00:00",
         "duration_seconds": 8 * 3600},
        {"type": "weekly_restriction", "start_day_of_week": 1, "start_time_of_day": "17:00:00",
         "duration_seconds": 2 * 3600},
    ]  # fmt: skip
    assert restriction_windows(touching) == [
        {"from_day": 1, "from": "09:00", "to_day": 1, "to": "19:00"}
    ]
    whole_day = [{**daily[0], "duration_seconds": 86400}]
    assert restriction_windows(whole_day) is None  # around the clock: no restriction
    with pytest.raises(Unmappable, match="not whole minutes"):
        restriction_windows([{**daily[0], "duration_seconds": 3601}])


def test_fetching_from_the_api_goes_only_to_a_public_host(monkeypatch):
    with pytest.raises(FetchFailed, match="is not a host name"):
        fetch_bundle(schedule_ids=["PSCHED1"], token="t", host="api.example.com/evil?")
    # a private address is refused before any request leaves
    with pytest.raises(FetchFailed, match="GET /schedules/PSCHED1"):
        fetch_bundle(schedule_ids=["PSCHED1"], token="t", host="127.0.0.1")
    with pytest.raises(FetchFailed, match="is not a PagerDuty id"):
        fetch_bundle(schedule_ids=["../users"], token="t", host="api.pagerduty.com")
    monkeypatch.delenv("PAGERDUTY_TOKEN", raising=False)
    with pytest.raises(CommandError, match="PAGERDUTY_TOKEN"):
        call_command("import_pagerduty", "--from-api", "PSCHED1")


def test_the_admin_dry_run_takes_a_flat_mapping_of_schedules_to_teams(team):
    run_ = import_run_check(
        importer="pagerduty-schedules",
        file_name="pd.json",
        data=json.dumps(BUNDLE).encode(),
        mapping={"Platform": "platform", "PSCHED2": "platform"},
    )
    assert run_.status == "checked", run_.error
    assert run_.report["created"]["rotation"] == 4
    assert run_.report["problems"] == []
    assert Rotation.objects.count() == 0


def entry(user: str, start: str, end: str) -> dict:
    return {"user": pd_user(user)["user"], "start": start, "end": end}


# PagerDuty's rendering of "Platform" for 1-11 Dec 2026 (GMT = UTC), as worked out above:
# layer 1 bob until the weekend window opens Fri 4 Dec 18:00, dave (layer 2, k=4) until it
# closes Mon 7 Dec 08:00, bob again until his turn ends at 09:00, then carol (k=5).
RENDERED = [
    entry("bob", "2026-11-30T09:00:00Z", "2026-12-04T18:00:00Z"),
    entry("dave", "2026-12-04T18:00:00Z", "2026-12-07T08:00:00Z"),
    entry("bob", "2026-12-07T08:00:00Z", "2026-12-07T09:00:00Z"),
    entry("carol", "2026-12-07T09:00:00Z", "2026-12-11T18:00:00Z"),
]


def test_the_import_checks_itself_against_pagerdutys_final_schedule(team):
    bundle = copy.deepcopy(BUNDLE)
    bundle["schedules"][0]["final_schedule"] = {"rendered_schedule_entries": RENDERED}
    report = run(bundle, dry_run=True)
    assert (report.problems, report.warnings) == ([], [])
    # Had PagerDuty rendered alice from Mon 7 Dec 09:00, the import would warn of it; the
    # schedule is imported all the same (nothing under "not imported").
    bundle["schedules"][0]["final_schedule"]["rendered_schedule_entries"][3] = entry(
        "alice", "2026-12-07T09:00:00Z", "2026-12-11T18:00:00Z"
    )
    report = run(bundle, dry_run=True)
    assert report.problems == []
    assert [str(p) for p in report.warnings] == [
        'schedule "Platform" final schedule: differs from PagerDuty\'s rendering: at 2026-12-07 '
        "09:00:00 Europe/London: PagerDuty has alice@example.com, Rota carol@example.com",
        'schedule "Platform" final schedule: differs from PagerDuty\'s rendering: at 2026-12-11 '
        "17:59:59 Europe/London: PagerDuty has alice@example.com, Rota carol@example.com",
    ]


def test_other_rotations_of_the_role_are_pointed_out(team):
    rotation_create(
        name="Old primary", team=team, role="primary", start_date=datetime.date(2026, 1, 5)
    )
    report = run()
    assert report.problems == []
    assert [str(p) for p in report.warnings] == [
        'schedule "Platform": team platform also has rotation "Old primary" as primary; it '
        "answers beside the imported layers (highest layer first): deactivate it if this "
        "schedule replaces it"
    ]
