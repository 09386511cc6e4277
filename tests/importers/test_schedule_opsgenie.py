"""Opsgenie schedules into Rota: who is on call, worked out on paper from Opsgenie's rules.

The bundle below is written from Opsgenie's API documentation (Schedule API with
``expand=rotation``, Schedule Override API, Escalation API, Team and User APIs). The import runs
"as of" Thursday 1 October 2026 12:00 UTC, so shifts are dealt from then for 26 weeks (to
1 April 2027), across both of Europe/Berlin's DST changes: 25 October 2026 (03:00 CEST ->
02:00 CET, UTC+2 -> UTC+1) and 28 March 2027 (02:00 CET -> 03:00 CEST).

Opsgenie's rules used (its documentation): a rotation's turns start at ``startDate`` and last
``length`` days/weeks, handing off at the same local time in the schedule's time zone; turn k
is ``participants[k mod n]``; a time restriction masks the turns (``time-of-day`` every day,
ending the next day when the end is before the start; ``weekday-and-time-of-day`` from day/time
to day/time); an override puts its user on call in its window, over the rotations it names or
over all of them. Opsgenie notifies every rotation's on-call user; Rota pages the rotation of
the highest layer with someone on duty, and the importer gives the rotation with the fewest
hours a week the highest layer (Weekend 36 h: 3, Nights 56 h: 2, Weekly 168 h: 1).

Turns worked out on paper (days counted on the calendar from the start dates):

* Weekly (alice, bob, carol), from Mon 2 Mar 2026 09:00 CET: Mon 19 Oct is 231 days = 33 weeks
  later, turn 33 -> 33 mod 3 = 0 -> alice; Mon 26 Oct turn 34 -> bob; Mon 2 Nov turn 35 ->
  carol; Mon 9 Nov turn 36 -> alice; Mon 22 Mar 2027 turn 55 -> bob; Mon 29 Mar 2027 turn 56
  -> carol. Handoff 09:00 local: 08:00 UTC in winter, 07:00 UTC in summer.
* Weekend (dave, erin), from Sat 7 Mar 2026 09:00 CET, Sat 09:00 - Sun 21:00 only: Sat 24 Oct
  is 33 weeks later -> 33 mod 2 = 1 -> erin; Sat 31 Oct turn 34 -> dave; Sat 27 Mar 2027 turn
  55 -> erin.
* Nights (frank, grace), daily from Mon 2 Mar 2026 22:00 CET, 22:00 - 06:00 only: the night
  starting Sun 25 Oct is day 237 -> grace; Tue 3 Nov day 246 -> frank; Tue 10 Nov day 253 ->
  grace; Sun 28 Mar 2027 day 391 -> grace.
* platform_backup (heidi, ivan), weekly from Mon 2 Mar 2026 09:00 CET, paged by the
  escalation's second rule, so secondaries: Mon 26 Oct turn 34 -> heidi; Mon 9 Nov turn 36 ->
  heidi.
* Overrides: "cover-1" puts erin on call for the whole schedule Tue 3 Nov 09:00 - Wed 4 Nov
  09:00 CET; "cover-2" puts ivan on the Weekly rotation only, Tue 10 Nov 09:00 - Wed 11 Nov
  09:00 CET (Nights still answers at night, being a higher layer).
"""

import datetime
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from importers.base import ImportRefused, execute
from importers.registry import get
from importers.schedules.opsgenie_read import restriction_windows, week_minutes
from incidents.models import EscalationPolicy
from ownership.models import Membership, Team
from ownership.services import team_create
from rota import routing
from rota.models import Override, Rotation, Shift
from rota.services import support_policy_create

pytestmark = pytest.mark.django_db

User = get_user_model()
NOW = datetime.datetime(2026, 10, 1, 12, 0, tzinfo=datetime.UTC)
PLATFORM = {"id": "team-platform", "name": "Platform"}
MODELS = (Rotation, Shift, Override, Team, User, Membership)
NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")


def user_ref(name: str) -> dict:
    return {"type": "user", "id": f"u-{name}", "username": f"{name}@example.com"}


def bundle() -> dict:
    users = [
        {"id": f"u-{n}", "username": f"{n}@example.com", "fullName": f"{n.title()} Example"}
        for n in NAMES
    ]
    members = [
        {"user": {"id": f"u-{n}", "username": f"{n}@example.com"},
         "role": "admin" if n == "alice" else "user"}
        for n in NAMES[:9]
    ]  # fmt: skip
    main = {
        "id": "sched-main",
        "name": "platform_schedule",
        "timezone": "Europe/Berlin",
        "enabled": True,
        "ownerTeam": PLATFORM,
        "rotations": [
            {
                "id": "rot-weekly",
                "name": "Weekly",
                "startDate": "2026-03-02T08:00:00Z",  # Mon 2 Mar 09:00 CET
                "type": "weekly",
                "length": 1,
                "participants": [user_ref("alice"), user_ref("bob"), user_ref("carol")],
            },
            {
                "id": "rot-weekend",
                "name": "Weekend",
                "startDate": "2026-03-07T08:00:00Z",  # Sat 7 Mar 09:00 CET
                "type": "weekly",
                "length": 1,
                "participants": [user_ref("dave"), user_ref("erin")],
                "timeRestriction": {
                    "type": "weekday-and-time-of-day",
                    "restrictions": [
                        {
                            "startDay": "SATURDAY",
                            "startHour": 9,
                            "startMin": 0,
                            "endDay": "SUNDAY",
                            "endHour": 21,
                            "endMin": 0,
                        },
                    ],  # fmt: skip
                },
            },
            {
                "id": "rot-nights",
                "name": "Nights",
                "startDate": "2026-03-02T21:00:00Z",  # Mon 2 Mar 22:00 CET
                "type": "daily",
                "length": 1,
                "participants": [user_ref("frank"), user_ref("grace")],
                "timeRestriction": {
                    "type": "time-of-day",
                    "restriction": {"startHour": 22, "startMin": 0, "endHour": 6, "endMin": 0},
                },
            },
        ],
    }
    backup = {
        "id": "sched-backup",
        "name": "platform_backup",
        "timezone": "Europe/Berlin",
        "enabled": True,
        "ownerTeam": PLATFORM,
        "rotations": [
            {
                "id": "rot-backup",
                "name": "Backup",
                "startDate": "2026-03-02T08:00:00Z",
                "type": "weekly",
                "length": 1,
                "participants": [user_ref("heidi"), user_ref("ivan")],
            }
        ],
    }
    misc = {
        "id": "sched-misc",
        "name": "sre_misc",
        "timezone": "Europe/Berlin",
        "enabled": True,
        "ownerTeam": {"id": "team-sre", "name": "SRE"},
        "rotations": [
            {
                "id": "rot-mixed",
                "name": "Mixed",
                "startDate": "2026-03-02T08:00:00Z",
                "type": "weekly",
                "length": 1,
                "participants": [
                    user_ref("judy"),
                    {"type": "team", "id": "team-dba", "name": "DBA"},
                    {"type": "escalation", "id": "esc-db", "name": "db_escalation"},
                    {"type": "none"},
                ],
            }
        ],
    }
    overrides = [
        {
            "alias": "cover-1",
            "user": {"type": "user", "id": "u-erin", "username": "erin@example.com"},
            "startDate": "2026-11-03T08:00:00Z",
            "endDate": "2026-11-04T08:00:00Z",
            "rotations": [],
        },
        {
            "alias": "cover-2",
            "user": {"type": "user", "id": "u-ivan", "username": "ivan@example.com"},
            "startDate": "2026-11-10T08:00:00Z",
            "endDate": "2026-11-11T08:00:00Z",
            "rotations": [{"id": "rot-weekly", "name": "Weekly"}],
        },
    ]
    escalation = {
        "id": "esc-platform",
        "name": "platform_escalation",
        "ownerTeam": PLATFORM,
        "rules": [
            {"condition": "if-not-acked", "notifyType": "default",
             "delay": {"timeAmount": 0, "timeUnit": "minutes"},
             "recipient": {"type": "schedule", "id": "sched-main", "name": "platform_schedule"}},
            {"condition": "if-not-acked", "notifyType": "default",
             "delay": {"timeAmount": 10, "timeUnit": "minutes"},
             "recipient": {"type": "schedule", "id": "sched-backup", "name": "platform_backup"}},
            {"condition": "if-not-acked", "notifyType": "admins",
             "delay": {"timeAmount": 1, "timeUnit": "hours"},
             "recipient": {"type": "team", "id": "team-platform", "name": "Platform"}},
            {"condition": "if-not-acked", "notifyType": "default",
             "delay": {"timeAmount": 90, "timeUnit": "minutes"},
             "recipient": {"type": "user", "id": "u-alice", "username": "alice@example.com"}},
        ],
    }  # fmt: skip
    return {
        "users": users,
        "teams": [{**PLATFORM, "description": "", "members": members}],
        "schedules": [main, backup, misc],
        "overrides": {"platform_schedule": overrides},
        "escalations": [escalation],
    }


@pytest.fixture
def platform():
    """Rota already has the Platform team (with alice) and a support policy for it."""
    alice = User.objects.create_user("alice", email="alice@example.com")
    team = team_create(name="Platform", slug="platform", members=[(alice, "engineer")])
    support_policy_create(name="Platform support", model="dedicated", dedicated_team=team)
    return team


def run(doc, *, dry_run=False):
    data = json.dumps(doc).encode()
    return execute(
        get("opsgenie-schedules").run,
        data,
        source="opsgenie-schedules",
        options={"now": NOW},
        dry_run=dry_run,
    )


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def on_call(team, when: str) -> tuple[str | None, str | None]:
    """(primary, secondary) of the team at the UTC instant, by e-mail name."""
    result = routing.responders_for_team(team=team, at=at(when))
    return tuple(
        getattr(result, role).user.email.split("@")[0] if getattr(result, role) else None
        for role in ("primary", "secondary")
    )


# Instant (UTC) -> (primary, secondary), worked out on paper; local times Europe/Berlin.
EXPECTED = [
    # Sat 24 Oct 08:59 CEST: the weekend window opens at 09:00, the night closed at 06:00:
    # only Weekly (week of Mon 19 Oct: alice); backup week of 19 Oct is turn 33 -> ivan.
    ("2026-10-24T06:59", ("alice", "ivan")),
    # Sat 24 Oct 09:00 CEST: the weekend window's first minute is on (erin).
    ("2026-10-24T07:00", ("erin", "ivan")),
    # Sat 24 Oct 22:00 CEST: Weekend (layer 3) and Nights (frank) both on: the weekend answers.
    ("2026-10-24T20:00", ("erin", "ivan")),
    # Sun 25 Oct 20:59 CET, after the clocks went back (UTC+1): still the weekend.
    ("2026-10-25T19:59", ("erin", "ivan")),
    # Sun 25 Oct 21:00 CET: the weekend window's end is off; nights start at 22:00: alice.
    ("2026-10-25T20:00", ("alice", "ivan")),
    # Sun 25 Oct 22:00 CET: the night starting Sun 25 Oct is grace's.
    ("2026-10-25T21:00", ("grace", "ivan")),
    # Mon 26 Oct 05:59 CET: still that night; 06:00: off, so Weekly's alice until 09:00.
    ("2026-10-26T04:59", ("grace", "ivan")),
    ("2026-10-26T05:00", ("alice", "ivan")),
    # Mon 26 Oct 08:59 / 09:00 CET: the weekly handoff, alice -> bob, ivan -> heidi.
    ("2026-10-26T07:59", ("alice", "ivan")),
    ("2026-10-26T08:00", ("bob", "heidi")),
    # Sat 31 Oct 12:00 CET: weekend turn 34 -> dave.
    ("2026-10-31T11:00", ("dave", "heidi")),
    # Tue 3 Nov 13:00 and 23:00 CET: the schedule-wide override puts erin over everything
    # (carol by day, frank by night otherwise); Wed 4 Nov 09:00 it has ended: carol.
    ("2026-11-03T12:00", ("erin", "ivan")),
    ("2026-11-03T22:00", ("erin", "ivan")),
    ("2026-11-04T08:00", ("carol", "ivan")),
    # Tue 10 Nov 12:00 CET: ivan overrides Weekly (alice). He is then primary, so Rota's
    # secondary (heidi, turn 36) is not him. At 23:00 Nights (grace) is the higher layer.
    ("2026-11-10T11:00", ("ivan", "heidi")),
    ("2026-11-10T22:00", ("grace", "heidi")),
    # Sun 28 Mar 2027 (clocks went forward at 02:00, now UTC+2): 20:59 CEST weekend erin,
    # 21:00 off -> Weekly's bob (week of 22 Mar, turn 55), 22:00 night of 28 Mar -> grace.
    # Backup turn 55 -> ivan.
    ("2027-03-28T18:59", ("erin", "ivan")),
    ("2027-03-28T19:00", ("bob", "ivan")),
    ("2027-03-28T20:00", ("grace", "ivan")),
    # Mon 29 Mar 2027 08:59 / 09:00 CEST: the handoff is 07:00 UTC now: bob -> carol.
    ("2027-03-29T06:59", ("bob", "ivan")),
    ("2027-03-29T07:00", ("carol", "heidi")),
]


def test_who_is_on_call_matches_opsgenie(platform):
    report = run(bundle())
    got = [(when, on_call(platform, when)) for when, _ in EXPECTED]
    assert got == EXPECTED
    weekly, weekend, nights = (
        Rotation.objects.get(name=f"platform_schedule — {n}")
        for n in ("Weekly", "Weekend", "Nights")
    )
    assert (weekly.layer, weekend.layer, nights.layer) == (1, 3, 2)
    assert weekend.restriction_windows == [
        {"from_day": 6, "from": "09:00", "to_day": 7, "to": "21:00"}
    ]
    # 22:00-06:00 every day: seven windows, each ending the next morning (Sunday's on Monday).
    sunday_night = {"from_day": 7, "from": "22:00", "to_day": 1, "to": "06:00"}
    assert nights.restriction_windows[6] == sunday_night
    assert Rotation.objects.get(name="platform_backup — Backup").role == "secondary"
    assert report.created["rotation"] == 6  # 3 + 1 + 1 (sre_misc) + the overrides rotation


def test_teams_and_members(platform):
    run(bundle())
    # alice was there as an engineer and stays so; the others are added, Opsgenie's team
    # admins as leads (none new here), users as engineers; accounts made for the unknown.
    roles = dict(platform.memberships.values_list("user__email", "role"))
    assert roles == {f"{n}@example.com": "engineer" for n in NAMES[:9]}
    sre = Team.objects.get(slug="sre")
    assert sre.name == "SRE"
    assert not User.objects.get(email="judy@example.com").has_usable_password()
    assert User.objects.get(email="bob@example.com").get_full_name() == "Bob Example"


def test_escalation_delays_and_what_is_reported(platform):
    report = run(bundle())
    policy = EscalationPolicy.objects.get(support_policy__name="Platform support")
    # Rules at 0, 10 and 60 (1 hour) minutes after creation: primary, secondary, leads.
    assert (
        policy.primary_delay_minutes,
        policy.secondary_delay_minutes,
        policy.lead_delay_minutes,
    ) == (0, 10, 60)
    problems = {str(p) for p in report.problems}
    assert (
        'escalation "platform_escalation" rule 4: Rota escalates in three steps '
        "(primary, secondary, leads): left out"
    ) in problems
    where = 'schedule "sre_misc" rotation "Mixed" participant'
    assert any(p.startswith(f"{where} DBA (team): is a team;") for p in problems)
    assert any(
        p.startswith(f"{where} db_escalation (escalation): is an escalation;") for p in problems
    )
    assert any(p.startswith(f"{where} 4 (none): is a turn with nobody on call") for p in problems)
    assert any(
        p.startswith('schedule "platform_schedule" rotation "Weekly" and "Weekend": are both on')
        for p in problems
    )
    mixed = Rotation.objects.get(name="sre_misc — Mixed")
    assert list(mixed.participants.values_list("user__email", flat=True)) == ["judy@example.com"]


def test_second_import_changes_nothing(platform):
    run(bundle())
    counts = [m.objects.count() for m in MODELS]
    shift_ids = set(Shift.objects.values_list("pk", flat=True))
    again = run(bundle())
    assert not again.changed, again.details
    assert again.unchanged["rotation"] == 6
    assert again.unchanged["override"] == 2
    assert [m.objects.count() for m in MODELS] == counts
    assert set(Shift.objects.values_list("pk", flat=True)) == shift_ids


def test_importing_again_ten_days_later_changes_nothing(platform):
    """The turn in progress has moved on (Weekly: bob's week of 5 Oct, Nights: ten nights
    later), but the handoffs and turn order are the same: the rotations and shifts stay."""
    run(bundle())
    shift_ids = set(Shift.objects.values_list("pk", flat=True))
    data = json.dumps(bundle()).encode()
    later = execute(
        get("opsgenie-schedules").run,
        data,
        source="opsgenie-schedules",
        options={"now": NOW + datetime.timedelta(days=10)},
    )
    assert not later.changed, later.details
    assert shift_ids <= set(Shift.objects.values_list("pk", flat=True))
    assert on_call(platform, "2026-10-26T08:00") == ("bob", "heidi")


def test_dry_run_writes_nothing_and_lists_what_it_would_do(platform):
    before = [m.objects.count() for m in MODELS]
    report = run(bundle(), dry_run=True)
    assert [m.objects.count() for m in MODELS] == before
    assert not EscalationPolicy.objects.exists()
    assert "create team sre (0 members)" in report.details
    assert "create rotation platform_schedule — Weekly (3 people)" in report.details
    assert report.created["override"] == 2


def test_changed_override_and_removed_override(platform):
    run(bundle())
    doc = bundle()
    # cover-1 now ends an hour later; cover-2 was deleted in Opsgenie.
    doc["overrides"]["platform_schedule"] = [
        {**doc["overrides"]["platform_schedule"][0], "endDate": "2026-11-04T09:00:00Z"}
    ]
    report = run(doc)
    assert report.updated["override"] == 1
    assert report.deleted["override"] == 1
    assert on_call(platform, "2026-11-04T08:30") == ("erin", "ivan")  # Wed 09:30 CET
    assert on_call(platform, "2026-11-10T11:00") == ("alice", "heidi")


def test_rotation_left_out_of_the_schedule_stops_answering(platform):
    run(bundle())
    doc = bundle()
    del doc["schedules"][0]["rotations"][2]  # Nights
    report = run(doc)
    assert "update rotation platform_schedule — Nights (active: no longer in the schedule)" in (
        report.details
    )
    # Sun 25 Oct 22:00 CET: grace's night before; now Weekly's alice (week of 19 Oct).
    assert on_call(platform, "2026-10-25T21:00") == ("alice", "ivan")


def test_raw_api_responses_give_the_same_rotations(platform):
    doc = bundle()
    raw = [
        {"data": doc["users"], "took": 0.1, "requestId": "r1"},
        {"data": doc["teams"][0]},
        *({"data": s} for s in doc["schedules"]),
        {"data": [{**o, "_parent": {"id": "sched-main", "name": "platform_schedule"}}
                  for o in doc["overrides"]["platform_schedule"]]},
        {"data": doc["escalations"]},
    ]  # fmt: skip
    report = run(raw)
    assert report.created["rotation"] == 6
    assert report.created["override"] == 2
    assert on_call(platform, "2026-11-03T22:00") == ("erin", "ivan")


def test_ended_rotation_is_left_out_and_a_later_end_is_reported(platform):
    doc = bundle()
    rotations = doc["schedules"][0]["rotations"]
    rotations[1]["endDate"] = "2026-09-01T00:00:00Z"  # Weekend ended before NOW
    rotations[2]["endDate"] = "2027-01-01T00:00:00Z"  # Nights ends later
    report = run(doc)
    problems = {str(p) for p in report.problems}
    assert (
        'schedule "platform_schedule" rotation "Weekend": ended 2026-09-01 02:00 '
        "Europe/Berlin: not imported"
    ) in problems
    nights = 'schedule "platform_schedule" rotation "Nights": ends 2027-01-01 01:00'
    assert any(p.startswith(nights) for p in problems)
    assert not Rotation.objects.filter(name="platform_schedule — Weekend").exists()


def test_refuses_what_is_not_opsgenie_json():
    with pytest.raises(ImportRefused, match="not JSON"):
        run_bytes(b"<html>")
    with pytest.raises(ImportRefused, match="expected a bundle"):
        run_bytes(b'{"schedule_layers": []}')


def run_bytes(data: bytes):
    return execute(get("opsgenie-schedules").run, data, source="opsgenie-schedules")


def test_command_dry_run(platform, tmp_path):
    path = tmp_path / "opsgenie.json"
    path.write_text(json.dumps(bundle()))
    out = io.StringIO()
    call_command("import_opsgenie", str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert text.startswith("Dry run: nothing was written.")
    # The command imports as of today, after both overrides ended: no override, and no
    # overrides rotation (3 + 1 + 1 rotations).
    assert "would create: 1 escalation policy, 9 person, 5 rotation, 1 team\n" in text
    assert 'not imported: schedule "sre_misc" rotation "Mixed" participant DBA (team)' in text
    assert not Rotation.objects.exists()


def test_unreadable_settings_are_reported_by_schedule_and_rotation(platform):
    doc = bundle()
    main, backup, misc = doc["schedules"]
    backup["timezone"] = "Mars/Olympus"
    main["rotations"][0]["type"] = "monthly"
    main["rotations"][1]["timeRestriction"]["restrictions"][0]["startDay"] = "FUNDAY"
    doc["overrides"]["platform_schedule"][0]["user"] = {"type": "none"}
    report = run(doc)
    problems = {str(p) for p in report.problems}
    assert (
        'schedule "platform_backup": timezone "Mars/Olympus" is not an IANA time zone' in problems
    )
    assert (
        'schedule "platform_schedule" rotation "Weekly": type "monthly" is none of hourly, '
        "daily, weekly"
    ) in problems
    assert (
        'schedule "platform_schedule" rotation "Weekend": '
        'timeRestriction.restrictions[0].startDay "FUNDAY" is not a weekday'
    ) in problems
    assert (
        'schedule "platform_schedule" overrides "cover-1": puts none on call; Rota overrides '
        "name a person"
    ) in problems
    # The rest is imported: Nights alone of platform_schedule's rotations (no overrides
    # rotation: its one schedule-wide override is refused) and sre_misc's; platform_backup
    # not at all.
    names = set(Rotation.objects.values_list("name", flat=True))
    assert names == {
        "platform_schedule — Nights",
        "sre_misc — Mixed",
    }


def test_restrictions_become_weekly_windows():
    # Worked out on paper: Friday 18:00 to Monday 08:00 wraps over the week's end; a
    # time-of-day restriction 09:00-17:00 is one window on each of the seven days; equal
    # start and end are the whole day, so no restriction at all.
    weekend = {
        "type": "weekday-and-time-of-day",
        "restrictions": [
            {"startDay": "FRIDAY", "startHour": 18, "startMin": 0,
             "endDay": "MONDAY", "endHour": 8, "endMin": 0},
        ],
    }  # fmt: skip
    assert restriction_windows(weekend) == [
        {"from_day": 5, "from": "18:00", "to_day": 1, "to": "08:00"}
    ]
    assert len(week_minutes(restriction_windows(weekend))) == (6 + 48 + 8) * 60
    office = {
        "type": "time-of-day",
        "restriction": {"startHour": 9, "startMin": 0, "endHour": 17, "endMin": 30},
    }
    windows = restriction_windows(office)
    assert windows[0] == {"from_day": 1, "from": "09:00", "to_day": 1, "to": "17:30"}
    assert [w["from_day"] for w in windows] == [1, 2, 3, 4, 5, 6, 7]
    assert len(week_minutes(windows)) == 7 * 510
    whole = {
        "type": "time-of-day",
        "restriction": {"startHour": 8, "startMin": 0, "endHour": 8, "endMin": 0},
    }
    assert restriction_windows(whole) is None
