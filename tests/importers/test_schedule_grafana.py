"""Grafana OnCall schedules into Rota: who is on call after the import, escalation delays,
idempotency, dry run and the objects reported as not imported.

The bundle below is written from Grafana OnCall's on-call shifts, schedules and escalation
policies API documentation. Worked out on paper from its documented semantics (shift ``start``
is local to the shift's time_zone, else the schedule's; a rolling_users group holds one
recurrence period, then the next group takes over, starting at
``start_rotation_from_user_index``; the higher ``level`` wins where shifts overlap; overrides
beat every level):

* "Weekly" (level 1): weekly from Mon 2026-09-07 09:00 Europe/Amsterdam for 604800 s, groups
  [alice], [bob], [carol] starting from index 1, so the turn order is bob, carol, alice and
  week k (counted from 2026-09-07) belongs to [bob, carol, alice][k % 3]:
  2026-09-28 (k=3) bob, 2026-10-19 (k=6) bob, 2026-10-26 (k=7) carol,
  2027-03-22 (k=28) carol, 2027-03-29 (k=29) alice. Handoffs at 09:00 local:
  CEST (UTC+2) until the clocks go back on Sun 2026-10-25, CET (UTC+1) until they go forward
  on Sun 2027-03-28.
* "Weekend days" (level 2): dave on SA and SU from 10:00 local for 8 h (until 18:00 local).
* "Erin covers": an override, 2026-10-27 12:00-14:00 UTC (a Tuesday, carol's week).
* "Erin again": an override, Sat 2026-10-31 08:00-10:00 UTC = 09:00-11:00 CET, across the start
  of dave's window (10:00 CET = 09:00 UTC): erin answers throughout, then dave.

The import counts from 2026-10-01 (option ``now``), so its shifts are dealt from the
rotations' starts and kept from then on, 26 weeks ahead (past 2027-03-29).
"""

import datetime
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from importers.base import execute
from importers.registry import get
from incidents.models import EscalationPolicy
from ownership.models import Team
from ownership.services import team_create
from rota import routing
from rota.models import Override, Rotation, Shift
from rota.services import support_policy_create

pytestmark = pytest.mark.django_db

User = get_user_model()
NOW = datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC)
UTC = datetime.UTC


def bundle(**changes) -> dict:
    doc = {
        "users": {
            "count": 6,
            "next": None,
            "results": [
                {"id": "U1", "email": "alice@example.com", "username": "alice"},
                {"id": "U2", "email": "bob@example.com", "username": "bob"},
                {"id": "U3", "email": "carol@example.com", "username": "carol"},
                {"id": "U4", "email": "dave@example.com", "username": "dave"},
                {"id": "U5", "email": "erin@example.com", "username": "erin"},
                {"id": "U6", "email": "frank@example.com", "username": "frank"},
            ],
        },
        "teams": {"results": [{"id": "TPLAT", "name": "Platform", "email": ""}]},
        "schedules": [
            {
                "count": 2,
                "next": "https://oncall.example.com/api/v1/schedules/?page=2",
                "results": [
                    {
                        "id": "S1",
                        "name": "Platform on-call",
                        "type": "calendar",
                        "team_id": "TPLAT",
                        "time_zone": "Europe/Amsterdam",
                        "on_call_now": ["U2"],
                        "shifts": ["OROLL", "OWKND", "OOVR", "OOVR2", "OMONTH", "OSINGLE"],
                    }
                ],
            },
            {
                "count": 2,
                "next": None,
                "results": [
                    {
                        "id": "S2",
                        "name": "Legacy",
                        "type": "ical",
                        "team_id": None,
                        "ical_url_primary": "https://example.com/meow_calendar.ics",
                        "on_call_now": [],
                    }
                ],
            },
        ],
        "on_call_shifts": [
            {
                "id": "OROLL",
                "name": "Weekly",
                "type": "rolling_users",
                "team_id": "TPLAT",
                "time_zone": "Europe/Amsterdam",
                "level": 1,
                "start": "2026-09-07T09:00:00",
                "duration": 604800,
                "frequency": "weekly",
                "interval": 1,
                "week_start": "MO",
                "by_day": None,
                "by_month": None,
                "by_monthday": None,
                "rolling_users": [["U1"], ["U2"], ["U3"]],
                "start_rotation_from_user_index": 1,
            },
            {
                "id": "OWKND",
                "name": "Weekend days",
                "type": "recurrent_event",
                "team_id": "TPLAT",
                "time_zone": None,
                "level": 2,
                "start": "2026-09-12T10:00:00",
                "duration": 28800,
                "frequency": "weekly",
                "interval": 1,
                "week_start": "MO",
                "by_day": ["SA", "SU"],
                "by_month": None,
                "by_monthday": None,
                "users": ["U4"],
            },
            {
                "id": "OOVR",
                "name": "Erin covers",
                "type": "override",
                "team_id": "TPLAT",
                "time_zone": "UTC",
                "start": "2026-10-27T12:00:00",
                "duration": 7200,
                "users": ["U5"],
            },
            {
                "id": "OOVR2",
                "name": "Erin again",
                "type": "override",
                "time_zone": None,
                "start": "2026-10-31T09:00:00",
                "duration": 7200,
                "rolling_users": [["U5"]],
            },
            {
                "id": "OMONTH",
                "name": "Monthly review",
                "type": "recurrent_event",
                "level": 0,
                "start": "2026-09-01T09:00:00",
                "duration": 3600,
                "frequency": "monthly",
                "interval": 1,
                "by_monthday": [1],
                "users": ["U1"],
            },
            {
                "id": "OSINGLE",
                "name": "Demo single event",
                "type": "single_event",
                "level": 0,
                "start": "2026-11-10T08:00:00",
                "duration": 10800,
                "users": ["U1"],
            },
        ],
        "escalation_chains": [{"id": "C1", "name": "Platform default", "team_id": "TPLAT"}],
        "escalation_policies": [
            {
                "id": "P0",
                "escalation_chain_id": "C1",
                "position": 0,
                "type": "notify_on_call_from_schedule",
                "notify_on_call_from_schedule": "S1",
            },
            {
                "id": "P1",
                "escalation_chain_id": "C1",
                "position": 1,
                "type": "wait",
                "duration": 300,
            },
            {
                "id": "P2",
                "escalation_chain_id": "C1",
                "position": 2,
                "type": "notify_on_call_from_schedule",
                "notify_on_call_from_schedule": "S1",
            },
            {
                "id": "P3",
                "escalation_chain_id": "C1",
                "position": 3,
                "type": "wait",
                "duration": 900,
            },
            {
                "id": "P4",
                "escalation_chain_id": "C1",
                "position": 4,
                "type": "notify_persons",
                "persons_to_notify": ["U6"],
            },
            {
                "id": "P5",
                "escalation_chain_id": "C1",
                "position": 5,
                "type": "notify_on_call_from_schedule",
                "notify_on_call_from_schedule": "S1",
            },
        ],  # fmt: skip
    }
    doc.update(changes)
    return doc


def run(doc, *, dry_run=False):
    info = get("grafana-oncall-schedules")
    return execute(
        info.run,
        json.dumps(doc).encode(),
        source=info.name,
        options={"now": NOW},
        dry_run=dry_run,
    )


@pytest.fixture
def platform():
    """The Platform team exists already, with a dedicated support policy to take the delays."""
    team = team_create(name="Platform", slug="platform")
    policy = support_policy_create(name="Platform support", model="dedicated", dedicated_team=team)
    return team, policy


def on_call(team, at) -> str | None:
    answer = routing.responders_for_team(team=team, at=at)
    return answer.primary.user.username if answer.primary else None


# (instant UTC, who answers, why) — worked out on paper from the bundle above.
INSTANTS = [
    (datetime.datetime(2026, 10, 3, 7, 59, tzinfo=UTC), "bob", "Sat 09:59 CEST, before dave"),
    (datetime.datetime(2026, 10, 3, 8, 0, tzinfo=UTC), "dave", "Sat 10:00 CEST, window start"),
    (datetime.datetime(2026, 10, 3, 15, 59, tzinfo=UTC), "dave", "Sat 17:59 CEST"),
    (datetime.datetime(2026, 10, 3, 16, 0, tzinfo=UTC), "bob", "Sat 18:00 CEST, window end"),
    (datetime.datetime(2026, 10, 25, 8, 59, tzinfo=UTC), "bob", "Sun 09:59 CET, DST day"),
    (datetime.datetime(2026, 10, 25, 9, 0, tzinfo=UTC), "dave", "Sun 10:00 CET, not 10:00 CEST"),
    (datetime.datetime(2026, 10, 25, 16, 59, tzinfo=UTC), "dave", "Sun 17:59 CET"),
    (datetime.datetime(2026, 10, 25, 17, 0, tzinfo=UTC), "bob", "Sun 18:00 CET"),
    (datetime.datetime(2026, 10, 26, 7, 59, tzinfo=UTC), "bob", "Mon 08:59 CET: 169 h shift"),
    (datetime.datetime(2026, 10, 26, 8, 0, tzinfo=UTC), "carol", "Mon 09:00 CET handoff"),
    (datetime.datetime(2026, 10, 27, 11, 59, tzinfo=UTC), "carol", "before the override"),
    (datetime.datetime(2026, 10, 27, 12, 0, tzinfo=UTC), "erin", "override starts"),
    (datetime.datetime(2026, 10, 27, 13, 59, tzinfo=UTC), "erin", "override"),
    (datetime.datetime(2026, 10, 27, 14, 0, tzinfo=UTC), "carol", "override ended"),
    (datetime.datetime(2026, 10, 31, 7, 59, tzinfo=UTC), "carol", "Sat 08:59 CET"),
    (datetime.datetime(2026, 10, 31, 8, 0, tzinfo=UTC), "erin", "Sat 09:00 CET, second one"),
    (datetime.datetime(2026, 10, 31, 9, 30, tzinfo=UTC), "erin", "inside dave's window too"),
    (datetime.datetime(2026, 10, 31, 10, 0, tzinfo=UTC), "dave", "Sat 11:00 CET, dave's"),
    (datetime.datetime(2027, 3, 28, 7, 59, tzinfo=UTC), "carol", "Sun 09:59 CEST, DST day"),
    (datetime.datetime(2027, 3, 28, 8, 0, tzinfo=UTC), "dave", "Sun 10:00 CEST, not CET"),
    (datetime.datetime(2027, 3, 28, 15, 59, tzinfo=UTC), "dave", "Sun 17:59 CEST"),
    (datetime.datetime(2027, 3, 28, 16, 0, tzinfo=UTC), "carol", "Sun 18:00 CEST"),
    (datetime.datetime(2027, 3, 29, 6, 59, tzinfo=UTC), "carol", "Mon 08:59 CEST: 167 h shift"),
    (datetime.datetime(2027, 3, 29, 7, 0, tzinfo=UTC), "alice", "Mon 09:00 CEST handoff"),
]


def test_who_is_on_call_after_the_import(platform):
    team, _ = platform
    report = run(bundle())
    assert report.created["rotation"] == 2
    assert report.created["person"] == 5  # alice .. erin; frank is only in an unmapped step
    assert report.created["override"] == 2
    assert "team" not in report.created  # Platform was found by name
    answers = [(at, on_call(team, at)) for at, _, _ in INSTANTS]
    assert answers == [(at, who) for at, who, _ in INSTANTS]


def test_rotations_keep_the_schedule_shape(platform):
    run(bundle())
    weekly = Rotation.objects.get(source="grafana-oncall", source_id="S1/OROLL")
    assert weekly.name == "Platform on-call \u2014 Weekly"
    assert (weekly.shift_length_unit, weekly.shift_length_count) == ("weeks", 1)
    assert (weekly.handoff_time, weekly.start_date) == (
        datetime.time(9, 0),
        datetime.date(2026, 9, 7),
    )
    assert (weekly.timezone, weekly.restriction, weekly.layer) == ("Europe/Amsterdam", "none", 2)
    order = list(weekly.participants.order_by("position").values_list("user__username", flat=True))
    assert order == ["bob", "carol", "alice"]
    weekend = Rotation.objects.get(source_id="S1/OWKND")
    assert (weekend.restriction, weekend.layer) == ("weekly", 3)
    assert weekend.restriction_windows == [
        {"from_day": 6, "from": "10:00", "to_day": 6, "to": "18:00"},
        {"from_day": 7, "from": "10:00", "to_day": 7, "to": "18:00"},
    ]
    # Each override holds the rotation answering at the time: the second one is split at the
    # start of dave's window, so it beats both levels as in Grafana OnCall.
    rows = Override.objects.order_by("start").values_list("rotation__source_id", "start", "end")
    at = lambda day, hour: datetime.datetime(2026, 10, day, hour, tzinfo=UTC)  # noqa: E731
    assert list(rows) == [
        ("S1/OROLL", at(27, 12), at(27, 14)),
        ("S1/OROLL", at(31, 8), at(31, 9)),
        ("S1/OWKND", at(31, 9), at(31, 10)),
    ]
    assert set(Override.objects.values_list("user__username", flat=True)) == {"erin"}


def test_escalation_chain_sets_the_support_policy_delays(platform):
    _, policy = platform
    run(bundle())
    delays = EscalationPolicy.objects.get(support_policy=policy)
    # P0 at 0 s, P2 after a 300 s wait, P5 after 300 + 900 s: 0, 5 and 20 minutes.
    assert (
        delays.primary_delay_minutes,
        delays.secondary_delay_minutes,
        delays.lead_delay_minutes,
    ) == (0, 5, 20)


def test_unmappable_objects_are_reported_by_name_and_id(platform):
    report = run(bundle())
    where = {p.where: p.message for p in report.problems}
    assert "monthly" in where['shift "Monthly review" (OMONTH) of schedule "Platform on-call"']
    assert (
        "single event"
        in where['shift "Demo single event" (OSINGLE) of schedule "Platform on-call"']
    )
    assert "iCal" in where['schedule "Legacy" (S2)']
    assert (
        "notify_persons" in where['escalation policy P4 (position 4) of chain "Platform default"']
    )
    assert "secondary" in where['escalation policy P2 (position 2) of chain "Platform default"']
    assert len(report.problems) == 5
    assert not Rotation.objects.filter(source_id__in=["S1/OMONTH", "S1/OSINGLE"]).exists()


def test_second_import_changes_nothing(platform):
    run(bundle())
    shifts = sorted(Shift.objects.values_list("rotation_id", "start", "end", "user_id"))
    report = run(bundle())
    assert not report.changed
    assert report.unchanged == {"rotation": 2, "override": 2, "escalation policy": 1}
    assert Rotation.objects.count() == 2
    assert Override.objects.count() == 3
    assert sorted(Shift.objects.values_list("rotation_id", "start", "end", "user_id")) == shifts


def test_a_changed_shift_updates_its_rotation(platform):
    run(bundle())
    doc = bundle()
    doc["on_call_shifts"][1]["level"] = 5
    doc["on_call_shifts"][2]["start"] = "2026-10-27T15:00:00"  # erin's Tuesday cover moves
    report = run(doc)
    assert report.updated == {"rotation": 1, "override": 1}
    assert Rotation.objects.get(source_id="S1/OWKND").layer == 6
    moved = Override.objects.get(reason="Grafana OnCall override OOVR")
    assert (moved.start, moved.end) == (
        datetime.datetime(2026, 10, 27, 15, tzinfo=UTC),
        datetime.datetime(2026, 10, 27, 17, tzinfo=UTC),
    )
    assert Override.objects.count() == 3


def test_dry_run_writes_nothing_and_lists_the_new_team():
    report = run(bundle(), dry_run=True)
    assert "create team Platform (platform)" in report.details
    assert report.created["rotation"] == 2
    assert not Team.objects.exists()
    assert not Rotation.objects.exists()
    assert not User.objects.exists()
    # Without a support policy for the new team, the chain's delays cannot land anywhere.
    where = {p.where: p.message for p in report.problems}
    assert "no support policy" in where['escalation chain "Platform default" (C1)']


def test_unreadable_file_is_refused_whole():
    from importers.base import ImportRefused

    with pytest.raises(ImportRefused, match="users"):
        execute(get("grafana-oncall-schedules").run, b'{"alerts": []}', source="x")
    with pytest.raises(ImportRefused, match=r"on_call_shifts\[0\]"):
        run(bundle(on_call_shifts=[{"name": "no id"}]))


def test_command_dry_run_prints_the_plan(tmp_path):
    path = tmp_path / "grafana.json"
    path.write_text(json.dumps(bundle()))
    out = io.StringIO()
    call_command("import_grafana_oncall", str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Dry run: nothing was written." in text
    assert "would create rotation Platform on-call \u2014 Weekly" in text
    assert 'not imported: schedule "Legacy" (S2)' in text
    assert not Rotation.objects.exists()


def one_shift(**shift) -> dict:
    """A bundle with one schedule (Europe/Amsterdam, no team) holding one shift "X"."""
    shift = {"id": "X", "name": "Shift", "level": 0, "week_start": "MO", **shift}
    return bundle(
        teams=[],
        schedules=[{"id": "S9", "name": "Ops", "type": "web", "time_zone": "Europe/Amsterdam",
                    "shifts": ["X"]}],
        on_call_shifts=[shift],
        escalation_chains=[],
        escalation_policies=[],
    )  # fmt: skip


def test_weekly_weekend_rotation_hands_over_at_its_weeks_first_occurrence():
    # week_start SU, by_day SA and SU from Sat 2026-10-03 22:00 for 4 h: Grafana OnCall's weeks
    # run Sunday to Saturday, so one group holds Sun 22:00-02:00 and Sat 22:00-02:00 of one
    # week; the handoff is the week's first occurrence, Sun 22:00, the Sunday before the start
    # (2026-09-27). Turn order [bob], [carol]; Sun 2026-10-04 (the next week) is carol's.
    report = run(
        one_shift(type="rolling_users", start="2026-10-03T22:00:00", duration=4 * 3600,
                  frequency="weekly", interval=1, week_start="SU", by_day=["SA", "SU"],
                  rolling_users=[["U2"], ["U3"]])
    )  # fmt: skip
    assert report.problems == []
    rotation = Rotation.objects.get(source_id="S9/X")
    assert (rotation.start_date, rotation.handoff_time) == (
        datetime.date(2026, 9, 27),
        datetime.time(22, 0),
    )
    assert rotation.restriction_windows == [
        {"from_day": 6, "from": "22:00", "to_day": 7, "to": "02:00"},
        {"from_day": 7, "from": "22:00", "to_day": 1, "to": "02:00"},
    ]
    team = Team.objects.get(name="Ops")  # no team_id: the schedule's name, created
    # Sat 2026-10-03 23:00 CEST = 21:00Z: bob's week (Sun 09-27 to Sun 10-04 22:00).
    assert on_call(team, datetime.datetime(2026, 10, 3, 21, tzinfo=UTC)) == "bob"
    # Sun 2026-10-04 23:00 CEST = 21:00Z: carol's week; 21:00 CEST = 19:00Z: nobody.
    assert on_call(team, datetime.datetime(2026, 10, 4, 21, tzinfo=UTC)) == "carol"
    assert on_call(team, datetime.datetime(2026, 10, 4, 19, tzinfo=UTC)) is None


def test_daily_recurrent_event_is_a_window_every_day():
    # daily from 08:00 for 8 h: on duty 08:00-16:00 every day; 1-day shifts handing over 08:00.
    run(one_shift(type="recurrent_event", start="2026-10-01T08:00:00", duration=8 * 3600,
                  frequency="daily", users=["U1"]))  # fmt: skip
    rotation = Rotation.objects.get(source_id="S9/X")
    assert (rotation.shift_length_unit, rotation.shift_length_count) == ("days", 1)
    assert rotation.restriction_windows == [
        {"from_day": d, "from": "08:00", "to_day": d, "to": "16:00"} for d in range(1, 8)
    ]


def test_groups_of_several_users_keep_the_first_and_name_the_others():
    report = run(
        one_shift(type="rolling_users", start="2026-10-05T09:00:00", duration=7 * 86400,
                  frequency="weekly", rolling_users=[["U1", "U4"], ["U2"]])
    )  # fmt: skip
    (problem,) = report.problems
    assert problem.where == 'shift "Shift" (X) of schedule "Ops"'
    assert "left out: U4" in problem.message
    rotation = Rotation.objects.get(source_id="S9/X")
    order = list(rotation.participants.values_list("user__username", flat=True))
    assert order == ["alice", "bob"]


@pytest.mark.parametrize(
    "shift, message",
    [
        ({"type": "rolling_users", "frequency": "daily", "by_day": ["MO", "WE"],
          "rolling_users": [["U1"], ["U2"]], "duration": 3600}, "hands over on every occurrence"),
        ({"type": "recurrent_event", "frequency": "weekly", "interval": 2, "duration": 3600,
          "users": ["U1"]}, "every 2 weeks"),
        ({"type": "recurrent_event", "frequency": "weekly", "duration": 3600, "users": ["U1"],
          "until": "2026-09-20T00:00:00"}, "ended on 2026-09-20"),
        ({"type": "recurrent_event", "frequency": "hourly", "duration": 1800, "users": ["U1"]},
         "hourly"),
        ({"type": "recurrent_event", "frequency": "weekly", "duration": 3600, "users": ["U99"]},
         'user "U99"'),
        ({"type": "recurrent_event", "frequency": "weekly", "duration": 3600, "users": ["U1"],
          "time_zone": "Mars/Olympus"}, "not an IANA time zone"),
    ],
)  # fmt: skip
def test_shifts_rota_cannot_hold_are_named_and_left_out(shift, message):
    report = run(one_shift(start="2026-09-07T09:00:00", **shift))
    (problem,) = report.problems
    assert problem.where == 'shift "Shift" (X) of schedule "Ops"'
    assert message in problem.message
    assert not Rotation.objects.exists()


def test_a_chains_second_schedule_is_the_secondary():
    # Chain: notify "Ops" at once, wait 600 s, notify "Ops backup". Both schedules belong to
    # team Ops, whose support policy takes primary 0, secondary 10 and (no third step) the
    # default lead delay, 15. "Ops backup" (erin, around the clock) is the secondary rotation.
    team = team_create(name="Ops", slug="ops")
    policy = support_policy_create(name="Ops support", model="dedicated", dedicated_team=team)
    weekly = {
        "type": "rolling_users",
        "start": "2026-09-07T09:00:00",
        "duration": 604800,
        "frequency": "weekly",
        "week_start": "MO",
        "level": 0,
    }
    doc = bundle(
        teams=[{"id": "TOPS", "name": "Ops"}],
        schedules=[
            {"id": "S9", "name": "Ops", "type": "web", "team_id": "TOPS",
             "time_zone": "Europe/Amsterdam", "shifts": ["A"]},
            {"id": "S8", "name": "Ops backup", "type": "web", "team_id": "TOPS",
             "time_zone": "UTC", "shifts": ["B"]},
        ],
        on_call_shifts=[
            {"id": "A", "name": "Main", **weekly, "rolling_users": [["U1"]]},
            {"id": "B", "name": "Backup", **weekly, "rolling_users": [["U5"]]},
        ],
        escalation_chains=[{"id": "C9", "name": "Ops chain", "team_id": "TOPS"}],
        escalation_policies=[
            {"id": "Q0", "escalation_chain_id": "C9", "position": 0,
             "type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": "S9"},
            {"id": "Q1", "escalation_chain_id": "C9", "position": 1, "type": "wait",
             "duration": 600},
            {"id": "Q2", "escalation_chain_id": "C9", "position": 2,
             "type": "notify_on_call_from_schedule", "notify_on_call_from_schedule": "S8"},
        ],
    )  # fmt: skip
    report = run(doc)
    assert report.problems == []
    answer = routing.responders_for_team(team=team, at=datetime.datetime(2026, 11, 2, tzinfo=UTC))
    assert (answer.primary.user.username, answer.secondary.user.username) == ("alice", "erin")
    delays = EscalationPolicy.objects.get(support_policy=policy)
    assert (
        delays.primary_delay_minutes,
        delays.secondary_delay_minutes,
        delays.lead_delay_minutes,
    ) == (0, 10, 15)


def test_a_shift_with_an_end_ahead_is_imported_with_a_reminder():
    report = run(
        one_shift(type="recurrent_event", start="2026-09-07T09:00:00", duration=604800,
                  frequency="weekly", users=["U1"], until="2027-01-01T00:00:00")
    )  # fmt: skip
    (problem,) = report.problems
    assert "ends on 2027-01-01 00:00 Europe/Amsterdam" in problem.message
    assert Rotation.objects.get(source_id="S9/X").active


def test_an_occurrence_running_past_the_handoff_is_reported():
    # by_day MO and SU from Mon 20:00 for 30 h, week_start MO: the week's first occurrence,
    # and so the handoff, is Mon 20:00. Sunday's occurrence (Sun 20:00 to Tue 02:00) runs
    # past the next Monday's 20:00 handoff: Grafana OnCall keeps it with the group of its
    # week, Rota gives its last 6 hours to the next person, and says so.
    report = run(
        one_shift(type="rolling_users", start="2026-09-07T20:00:00", duration=30 * 3600,
                  frequency="weekly", by_day=["MO", "SU"], rolling_users=[["U1"], ["U2"]])
    )  # fmt: skip
    (problem,) = report.problems
    assert "past the weekly handoff (Mon 20:00" in problem.message


def test_a_web_schedules_shift_is_found_by_its_schedule_field():
    # The web UI's schedules need not list their shifts; each shift names its schedule.
    doc = one_shift(type="recurrent_event", start="2026-09-07T09:00:00", duration=604800,
                    frequency="weekly", users=["U1"], schedule="S9")  # fmt: skip
    del doc["schedules"][0]["shifts"]
    report = run(doc)
    assert report.problems == []
    assert Rotation.objects.get(source_id="S9/X").name == "Ops \u2014 Shift"
