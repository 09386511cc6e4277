"""Rota as code: export_rota / import_rota round trip, dry run, idempotency and errors by path.

The organisation is built through the services the admin and the API use. Its rotations start
on the Monday two weeks before this week (``S``) at 09:00 Europe/London and are dealt from their
start, as the demo does; the instants asked about lie two weeks ahead, after the import.
"""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from importers.base import execute
from importers.registry import get
from importers.rota_yaml import export_rota
from importers.rota_yaml.export import dump
from incidents.models import EscalationPolicy, Integration
from incidents.services.escalation_policies import escalation_policy_create
from incidents.services.integrations import integration_create
from ownership.models import Component, Membership, Team
from ownership.services import component_create, team_create
from rota import routing
from rota.models import Rotation, RoutingSettings, Shift, SprintCalendar, SupportPolicy
from rota.services import (
    rotation_create,
    rotation_generate,
    routing_settings_update,
    sprint_calendar_create,
    support_policy_create,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
LONDON = ZoneInfo("Europe/London")
SIGNING_SECRET = "sign-me-please-42"  # noqa: S105 - a test value that must not leak
HOOK = "http://127.0.0.1:9/hooks/T0/alpha-hook-secret"
SIGNING_VAR = "ROTA_SECRET_INTEGRATION_PROMETHEUS_SIGNING_SECRET"
HOOK_VAR = "ROTA_SECRET_TEAM_ALPHA_CHAT_WEBHOOK_URL"
MODELS = (User, Team, Membership, Component, SprintCalendar, Rotation, Shift, SupportPolicy,
          EscalationPolicy, RoutingSettings, Integration)  # fmt: skip


def start_monday() -> datetime.date:
    today = timezone.now().astimezone(LONDON).date()
    return today - datetime.timedelta(days=today.weekday() + 14)


def london(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)


def build_organisation() -> dict:
    """Two teams, person and team rotations, a follower, business hours, policies, alerts."""
    people = {
        name: User.objects.create_user(name, f"{name}@example.com", first_name=name.title())
        for name in ("ana", "ben", "cai", "dee", "eli", "fay")
    }
    alpha = team_create(
        name="Alpha",
        slug="alpha",
        timezone="Europe/London",
        chat_webhook_url=HOOK,
        members=[(people["ana"], "lead"), (people["ben"], "engineer"), (people["cai"], "engineer")],
    )
    beta = team_create(
        name="Beta",
        slug="beta",
        timezone="Europe/London",
        members=[(people["dee"], "manager"), (people["eli"], "engineer"), (people["fay"], "lead")],
    )
    shop = component_create(
        name="Shop", slug="shop", kind="area", owner_team=alpha, paths=["/shop/"]
    )
    component_create(name="Shop API", slug="shop-api", parent=shop)
    billing = component_create(name="Billing", slug="billing", owner_team=beta, tier=1)
    start = start_monday()
    sprints = sprint_calendar_create(
        name="Sprints", start_date=start, length_days=14, timezone="Europe/London"
    )
    common = {"handoff_time": datetime.time(9), "timezone": "Europe/London", "start_date": start}
    rotations = [
        rotation_create(
            name="Alpha on call", team=alpha,
            participants=[people[n] for n in ("ana", "ben", "cai")], **common,
        ),
        rotation_create(
            name="Beta business hours", team=beta, restriction="business_hours",
            participants=[people["eli"], people["fay"]], **common,
        ),
    ]  # fmt: skip
    teams = rotation_create(
        name="Support teams", kind="team", shift_length_unit="sprints", sprint_calendar=sprints,
        participants=[alpha, beta], **common,
    )  # fmt: skip
    rotations += [
        teams,
        rotation_create(name="Support on call", follows_team_rotation=teams, **common),
    ]
    began = datetime.datetime.combine(start, datetime.time(0), tzinfo=LONDON)
    for rotation in rotations:
        rotation_generate(rotation=rotation, until=timezone.now() + datetime.timedelta(weeks=26),
                          now=began)  # fmt: skip
    policy = support_policy_create(
        name="Shop rotating", model="rotating", team_rotation=teams, components=[shop]
    )
    escalation_policy_create(
        support_policy=policy, primary_delay_minutes=0, secondary_delay_minutes=10,
        lead_delay_minutes=30,
    )  # fmt: skip
    support_policy_create(name="Ownership", model="ownership")
    escalation_policy_create(
        primary_delay_minutes=0, secondary_delay_minutes=5, lead_delay_minutes=20
    )
    routing_settings_update(fallback_team=beta)
    _, url = integration_create(
        name="Prometheus", kind="alertmanager", component=billing, signing_secret=SIGNING_SECRET
    )
    return {"url": url}


def empty_database() -> None:
    # The test runs in a transaction; on PostgreSQL its deferred foreign-key checks must fire
    # before TRUNCATE may run ("pending trigger events"), and are deferred again after.
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert all(model.objects.count() == 0 for model in MODELS)


def import_text(text: str, *, dry_run=False, prune=False):
    return execute(
        get("rota-yaml").run, text.encode(), source="test.yaml", dry_run=dry_run,
        options={"prune": prune},
    )  # fmt: skip


def primary(*, at, rotation=None, component=None):
    if rotation is not None:
        answer = routing.responders_for_rotation(
            rotation=Rotation.objects.get(name=rotation), at=at
        )
    else:
        answer = routing.responders(component=component, at=at)
    return answer.primary.username if answer.primary else None


def who_is_on_call() -> dict:
    """Ask routing at two instants of week 4 (the week from S+28 09:00 London)."""
    start = start_monday()
    wednesday = london(start + datetime.timedelta(days=30), 12)
    saturday = london(start + datetime.timedelta(days=33), 12)
    return {
        "alpha": primary(at=wednesday, rotation="Alpha on call"),
        "beta wednesday": primary(at=wednesday, rotation="Beta business hours"),
        "beta saturday": primary(at=saturday, rotation="Beta business hours"),
        "support": primary(at=wednesday, rotation="Support on call"),
        "shop-api": primary(at=wednesday, component="shop-api"),
        "billing": primary(at=wednesday, component="billing"),
    }


# Worked out on paper. Weekly slots k start at S+7k 09:00 London; both instants are in slot 4.
# Alpha on call [ana, ben, cai]: 4 % 3 = 1 -> ben. Beta business hours [eli, fay]: 4 % 2 = 0
# -> eli on Wednesday 12:00, nobody on Saturday (business hours only). Support teams turns per
# 14-day sprint from S: the Wednesday S+30 is in sprint 2 -> [alpha, beta][2 % 2] = alpha. The
# follower's weekly slots 0, 1 (sprint 0, alpha), 2, 3 (beta), 4 (alpha again): alpha's own turn
# order over its engineers and leads in username order [ana, ben, cai] gives week 0 ana, week 1
# ben, week 4 cai. shop-api inherits shop's rotating policy: alpha responds, the follower gives
# the primary, cai. billing follows the default ownership policy: beta's rotation, eli.
EXPECTED = {
    "alpha": "ben",
    "beta wednesday": "eli",
    "beta saturday": None,
    "support": "cai",
    "shop-api": "cai",
    "billing": "eli",
}


def test_export_import_export_gives_the_same_text_without_secrets(monkeypatch):
    secrets = build_organisation()
    assert who_is_on_call() == EXPECTED
    first = export_rota()
    token = secrets["url"].rstrip("/").split("/")[-2]
    for secret in (SIGNING_SECRET, HOOK, "alpha-hook-secret", token):
        assert secret not in first
    assert f"signing_secret: env:{SIGNING_VAR}" in first
    assert f"chat_webhook_url: env:{HOOK_VAR}" in first
    assert "id:" not in first

    empty_database()
    monkeypatch.setenv(SIGNING_VAR, SIGNING_SECRET)
    monkeypatch.setenv(HOOK_VAR, HOOK)
    report = import_text(first)
    assert report.problems == []
    assert dict(report.created) == {
        "person": 6, "team": 2, "component": 3, "sprint calendar": 1, "rotation": 4,
        "support policy": 2, "escalation policy": 2, "routing settings": 1, "integration": 1,
    }  # fmt: skip

    assert export_rota() == first
    assert Integration.objects.get().signing_secret == SIGNING_SECRET
    assert Team.objects.get(slug="alpha").chat_webhook_url == HOOK
    assert who_is_on_call() == EXPECTED
    # The import brings configuration, not history: no shift ended before the import.
    assert not Shift.objects.filter(end__lte=timezone.now()).exists()
    ana = User.objects.get(username="ana")
    assert (ana.email, ana.has_usable_password()) == ("ana@example.com", False)


def test_dry_run_lists_the_changes_and_writes_nothing(monkeypatch):
    build_organisation()
    text = export_rota()
    empty_database()
    monkeypatch.setenv(SIGNING_VAR, SIGNING_SECRET)
    monkeypatch.setenv(HOOK_VAR, HOOK)
    out = io.StringIO()
    call_command("import_rota", "-", "--dry-run", stdin=io.StringIO(text), stdout=out)
    listing = out.getvalue()
    assert "would create person ana <ana@example.com> (new account without a password)" in listing
    assert "would create rotation Support on call" in listing
    assert (
        "would create: 3 components, 2 escalation policies, 1 integration, 6 people, "
        "4 rotations, 1 routing settings, 1 sprint calendar, 2 support policies, 2 teams\n"
    ) in listing
    assert "Dry run: nothing was saved." in listing
    assert "New webhook URL" not in listing
    assert all(model.objects.count() == 0 for model in MODELS)


def test_import_is_idempotent_and_changes_no_row(monkeypatch):
    build_organisation()
    text = export_rota()
    # Into the database it came from: nothing to do (the secrets stay as they are).
    report = import_text(text)
    assert (report.problems, report.changed) == ([], False)

    empty_database()
    monkeypatch.setenv(SIGNING_VAR, SIGNING_SECRET)
    monkeypatch.setenv(HOOK_VAR, HOOK)
    assert import_text(text).changed
    stamps = {
        model: sorted(model.objects.values_list("pk", "updated_at"))
        for model in (Team, Component, SprintCalendar, Rotation, SupportPolicy, Integration)
    }
    shifts = sorted(Shift.objects.values_list("pk", "start", "user_id", "team_id", "updated_at"))
    report = import_text(text)
    assert report.problems == []
    assert (dict(report.created), dict(report.updated), dict(report.deleted)) == ({}, {}, {})
    assert dict(report.unchanged) == {
        "person": 6, "team": 2, "component": 3, "sprint calendar": 1, "rotation": 4,
        "support policy": 2, "escalation policy": 2, "routing settings": 1, "integration": 1,
    }  # fmt: skip
    assert stamps == {
        model: sorted(model.objects.values_list("pk", "updated_at")) for model in stamps
    }
    assert shifts == sorted(
        Shift.objects.values_list("pk", "start", "user_id", "team_id", "updated_at")
    )


def _edited(text: str, change) -> str:
    doc = yaml.safe_load(text)
    change(doc)
    return dump(doc)


def test_an_unknown_participant_is_named_by_its_path_and_nothing_is_written():
    build_organisation()
    text = export_rota()
    empty_database()

    def bad(doc):
        assert doc["rotations"][0]["name"] == "Alpha on call"
        doc["rotations"][0]["participants"][0] = "bob@example.com"
        doc["teams"][0]["chat_webhook_url"] = ""  # no secret needed for this test
        doc["integrations"][0]["signing_secret"] = ""

    with pytest.raises(CommandError) as caught:
        call_command(
            "import_rota", "-", stdin=io.StringIO(_edited(text, bad)), stdout=io.StringIO()
        )
    message = str(caught.value)
    assert "nothing was changed" in message
    assert 'rotations[0].participants[0]: no person "bob@example.com"' in message
    assert message.count("\n") == 1  # that one error, nothing else depends on the rotation
    assert all(model.objects.count() == 0 for model in MODELS)


def test_a_rotation_the_admin_would_refuse_is_refused_by_path(monkeypatch):
    build_organisation()
    text = export_rota()
    empty_database()
    monkeypatch.setenv(SIGNING_VAR, SIGNING_SECRET)
    monkeypatch.setenv(HOOK_VAR, HOOK)

    def bad(doc):
        assert doc["rotations"][1]["name"] == "Beta business hours"
        doc["rotations"][1]["shift_length"]["count"] = 0
        doc["rotations"][1]["business_hours_end"] = "08:00"  # before 09:00

    report = import_text(_edited(text, bad))
    problems = [str(p) for p in report.problems]
    assert problems == [
        "rotations[1].shift_length.count: Ensure this value is greater than or equal to 1.",
        "rotations[1].business_hours_end: Business hours must end after they start.",
    ]
    assert all(model.objects.count() == 0 for model in MODELS)


def test_secrets_are_never_read_from_the_file():
    build_organisation()

    def literal(doc):
        doc["teams"][0]["chat_webhook_url"] = HOOK

    report = import_text(_edited(export_rota(), literal))
    assert [p.where for p in report.problems] == ["teams[0].chat_webhook_url"]
    assert "write env:NAME" in report.problems[0].message


def test_prune_deletes_only_what_the_named_sections_leave_out():
    build_organisation()
    text = export_rota()

    def drop(doc):
        doc["integrations"] = []
        del doc["rotations"]  # an absent section is never pruned

    report = import_text(_edited(text, drop))
    assert (report.problems, Integration.objects.count()) == ([], 1)  # kept without --prune
    report = import_text(_edited(text, drop), prune=True)
    assert report.problems == []
    assert report.details == ["delete integration Prometheus"]
    assert (Integration.objects.count(), Rotation.objects.count()) == (0, 4)


def test_registered_as_a_configuration_importer():
    info = get("rota-yaml")
    assert (info.kind, info.name) == ("config", "rota-yaml")


HAND_WRITTEN = """\
version: 1
people:
- {username: zoe, email: zoe@example.com}
teams:
- slug: gamma
  name: Gamma
  members: [{person: zoe@example.com, role: lead}, {person: yan}]
rotations:
- name: Gamma on call
  team: gamma
  start_date: 2030-01-07
  handoff_time: 17:00
  participants: [zoe]
"""


def test_a_hand_written_file_takes_defaults_and_names_each_mistake():
    with pytest.raises(CommandError) as caught:
        call_command("import_rota", "-", stdin=io.StringIO(HAND_WRITTEN), stdout=io.StringIO())
    assert caught.value.returncode == 1
    # "yan" is nobody, so the team fails and the rotation that names it says why. The
    # unquoted 17:00 (YAML 1.1's base-60 number 1020) is read as the time it looks like.
    assert str(caught.value).splitlines()[1:] == [
        'teams[0].members[1].person: no person "yan"',
        'rotations[0].team: team "gamma" was not imported (see its error)',
    ]
    assert User.objects.count() == 0

    fixed = HAND_WRITTEN.replace(", {person: yan}", "")
    report = import_text(fixed)
    assert report.problems == []
    rotation = Rotation.objects.get()
    assert rotation.handoff_time == datetime.time(17)
    # Absent keys take the model's defaults: one-week person shifts around the clock.
    assert (rotation.kind, rotation.shift_length_unit, rotation.shift_length_count) == (
        "person",
        "weeks",
        1,
    )
    assert (rotation.restriction, rotation.timezone, rotation.team.kind) == (
        "none",
        "UTC",
        "product",
    )
    assert list(Membership.objects.values_list("user__username", "role")) == [("zoe", "lead")]


WORKWEEK = {"from_day": 1, "from": "09:00", "to_day": 5, "to": "17:00"}
WEEKEND_NIGHTS = {"from_day": 6, "from": "20:00", "to_day": 1, "to": "08:00"}


def test_weekly_windows_and_layers_round_trip_as_readable_lines(monkeypatch):
    build_organisation()
    rotation_create(
        name="Beta weekly windows", team=Team.objects.get(slug="beta"), restriction="weekly",
        restriction_windows=[WORKWEEK, WEEKEND_NIGHTS], layer=2,
        participants=[User.objects.get(username="eli")], handoff_time=datetime.time(9),
        timezone="Europe/London", start_date=start_monday(),
    )  # fmt: skip
    first = export_rota()
    row = next(r for r in yaml.safe_load(first)["rotations"] if r["name"] == "Beta weekly windows")
    assert (row["restriction"], row["layer"]) == ("weekly", 2)
    assert row["restriction_windows"] == ["Mon 09:00 - Fri 17:00", "Sat 20:00 - Mon 08:00"]
    other = next(r for r in yaml.safe_load(first)["rotations"] if r["name"] == "Alpha on call")
    assert (other["restriction_windows"], other["layer"]) == ([], 1)

    empty_database()
    monkeypatch.setenv(SIGNING_VAR, SIGNING_SECRET)
    monkeypatch.setenv(HOOK_VAR, HOOK)
    report = import_text(first)
    assert report.problems == []
    assert export_rota() == first
    rotation = Rotation.objects.get(name="Beta weekly windows")
    assert (rotation.restriction_windows, rotation.layer) == ([WORKWEEK, WEEKEND_NIGHTS], 2)


def test_a_bad_weekly_window_is_refused_by_path(monkeypatch):
    build_organisation()
    text = export_rota()
    empty_database()
    monkeypatch.setenv(SIGNING_VAR, SIGNING_SECRET)
    monkeypatch.setenv(HOOK_VAR, HOOK)

    def bad(doc):
        assert doc["rotations"][1]["name"] == "Beta business hours"
        doc["rotations"][1]["restriction"] = "weekly"
        doc["rotations"][1]["restriction_windows"] = ["Mon 09:00 - Fri 17:00", "Sat 25:00 - Mon"]

    report = import_text(_edited(text, bad))
    assert [str(p) for p in report.problems] == [
        'rotations[1].restriction_windows[1]: "Sat 25:00 - Mon" is not like '
        '"Mon 09:00 - Fri 17:00"',
    ]
    assert all(model.objects.count() == 0 for model in MODELS)
