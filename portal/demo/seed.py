"""Load the demo organisation into an empty database, one section at a time.

Each section is a function that takes the shared ``DemoSeed`` state and adds one part of the
organisation through the apps' services, so effective owners and history come out as they
would in real use. Later parts (a demo rota, recorded incidents) are added by writing a
section and appending it to ``SECTIONS``; they find the people, teams and components created
before them in the state.
"""

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from core import caches
from core.permissions import ROTA_ADMINS_GROUP
from incidents.demo import seed_incidents
from notifications.demo import seed_reminder_demo
from ownership import services
from ownership.models import Component, Membership, Team

from .history import seed_history
from .rota import seed_open_incident, seed_rota

DEMO_PASSWORD = "rota-demo"  # noqa: S105 - a published demo password, printed with a warning
ADMIN_USERNAME = "admin"
MANAGER_USERNAME = "maria.garcia"
ENGINEER_USERNAME = "alice.martin"
DEMO_LOGINS = (
    (ADMIN_USERNAME, "superuser and rota admin: every team"),
    (MANAGER_USERNAME, "manager of Payments: the admin, for Payments only"),
    (ENGINEER_USERNAME, "engineer in Payments"),
)
MANAGERS_GROUP = "Managers"
# Managers may edit every model of these apps in the admin; apps without models yet add none.
MANAGED_APPS = ("ownership", "rota", "incidents", "notifications", "reports")

RANDOM_SEED = 4711  # fixed, so that every demo database holds the same organisation
DATA_FILE = Path(__file__).with_name("organisation.yaml")
EMAIL_DOMAIN = "example.com"
REPOSITORY_URL = "https://git.example.com/acme/platform/tree/main"
RUNBOOK_URL = "https://runbooks.example.com"
DASHBOARD_URL = "https://grafana.example.com/d"
# Dated events (founding, re-org) happen on a Monday morning at head office.
HEAD_OFFICE = ZoneInfo("Europe/London")
CATALOG_AGE = timedelta(days=540)

User = get_user_model()


@cache
def organisation() -> dict:
    """Return the demo organisation as read from organisation.yaml."""
    with DATA_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


caches.register("portal.demo.organisation", organisation.cache_clear)


def username_for(full_name: str) -> str:
    """Turn "Liam O'Connor" into "liam.oconnor" (ASCII, first.last)."""
    ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode()
    parts = ["".join(c for c in part if c.isalnum()) for part in ascii_name.lower().split()]
    return ".".join(p for p in parts if p)


def team_people(team: dict) -> list[tuple[str, str]]:
    """Return the (full name, role) pairs of a team entry, manager and lead first."""
    people = [(team["manager"], Membership.Role.MANAGER), (team["lead"], Membership.Role.LEAD)]
    return people + [(name, Membership.Role.ENGINEER) for name in team["engineers"]]


def demo_usernames() -> set[str]:
    """Return every username the demo creates."""
    names = {ADMIN_USERNAME}
    for team in organisation()["teams"]:
        names.update(username_for(name) for name, _ in team_people(team))
    return names


def existing_data() -> list[str]:
    """Describe what already in the database would clash with the demo (empty list: nothing)."""
    found = []
    teams = Team.objects.count()
    if teams:
        found.append(f"{teams} team(s)")
    components = Component.objects.count()
    if components:
        found.append(f"{components} component(s)")
    taken = sorted(
        User.objects.filter(username__in=demo_usernames()).values_list("username", flat=True)
    )
    if taken:
        found.append(f"user(s) {', '.join(taken[:3])}{' and more' if len(taken) > 3 else ''}")
    return found


def monday_morning(day) -> datetime:
    """Return 09:00 head-office time on the Monday of the week of ``day``, as an aware datetime."""
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(9, 0), tzinfo=HEAD_OFFICE)


@dataclass
class DemoSeed:
    """What the sections share: the clock, the random source and everything created so far."""

    now: datetime
    rng: random.Random
    log: Callable[[str], None]
    data: dict
    users: dict = field(default_factory=dict)  # username -> User
    teams: dict = field(default_factory=dict)  # slug -> Team
    components: dict = field(default_factory=dict)  # slug -> Component

    @property
    def admin(self):
        return self.users[ADMIN_USERNAME]

    def days_ago(self, days: int) -> datetime:
        return monday_morning(self.now.astimezone(HEAD_OFFICE).date() - timedelta(days=days))


# --- Sections -------------------------------------------------------------------------------


def seed_people(seed: DemoSeed) -> None:
    """Create the superuser and everyone in a team; only the demo logins get a password."""
    seed.users[ADMIN_USERNAME] = User.objects.create_superuser(
        username=ADMIN_USERNAME, email=f"{ADMIN_USERNAME}@{EMAIL_DOMAIN}", password=DEMO_PASSWORD
    )
    # A superuser is a rota admin anyway; the group shows where the role is given.
    rota_admins, _ = Group.objects.get_or_create(name=ROTA_ADMINS_GROUP)
    seed.users[ADMIN_USERNAME].groups.add(rota_admins)
    can_log_in = {username for username, _ in DEMO_LOGINS}
    for team in seed.data["teams"]:
        for full_name, role in team_people(team):
            username = username_for(full_name)
            first_name, _, last_name = full_name.partition(" ")
            user = User(
                username=username,
                email=f"{username}@{EMAIL_DOMAIN}",
                first_name=first_name,
                last_name=last_name,
                # Managers edit their teams' components and rota in the admin (DESIGN §2),
                # which shows them their teams' rows only: they are not rota admins.
                is_staff=role == Membership.Role.MANAGER,
            )
            if username in can_log_in:
                user.set_password(DEMO_PASSWORD)
            else:
                user.set_unusable_password()
            user.full_clean()
            user.save()
            seed.users[username] = user
    seed.log(f"{len(seed.users)} people")


def triage_of(team: dict) -> dict:
    """Return the team's triage day and time from its "triage: monday 10:00" entry, if any."""
    if not team.get("triage"):
        return {}
    day, clock = team["triage"].split()
    return {"triage_day": day, "triage_time": time.fromisoformat(clock)}


def seed_teams(seed: DemoSeed) -> None:
    """Create the teams with their members, contact addresses and time zones."""
    for team in seed.data["teams"]:
        members = [(seed.users[username_for(n)], role) for n, role in team_people(team)]
        seed.teams[team["slug"]] = services.team_create(
            name=team["name"],
            slug=team["slug"],
            description=team["description"],
            email=f"{team['slug']}@{EMAIL_DOMAIN}",
            chat_channel=f"#team-{team['slug']}",
            timezone=team["timezone"],
            kind=team.get("kind", Team.Kind.PRODUCT),
            members=members,
            **triage_of(team),
        )
    product = sum(1 for team in seed.data["teams"] if team.get("kind", "product") == "product")
    seed.log(f"{len(seed.teams)} teams ({product} product teams)")


def seed_managers_group(seed: DemoSeed) -> None:
    """Give every manager the permissions of the apps they run, through one group."""
    group = managers_group_sync()
    managers = [seed.users[username_for(team["manager"])] for team in seed.data["teams"]]
    group.user_set.add(*managers)
    permissions = group.permissions.count()
    seed.log(f"group {group.name}: {len(managers)} managers, {permissions} permissions")


def managers_group_sync() -> Group:
    """Make sure the managers' group exists and holds every permission of the managed apps."""
    group, _ = Group.objects.get_or_create(name=MANAGERS_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=MANAGED_APPS))
    return group


def _links(spec: dict) -> dict:
    """Return the repository, runbook and dashboard links a component of this kind would have."""
    slug, kind = spec["slug"], spec["kind"]
    anchored = [p for p in spec.get("paths", ()) if p.startswith("/")]
    links = {}
    if anchored and kind != Component.Kind.AREA:
        links["repository_url"] = f"{REPOSITORY_URL}{anchored[0]}"
    if kind != Component.Kind.LIBRARY:
        links["runbook_url"] = f"{RUNBOOK_URL}/{slug}"
    if kind in (Component.Kind.AREA, Component.Kind.SERVICE, Component.Kind.WEBSITE):
        links["dashboard_url"] = f"{DASHBOARD_URL}/{slug}"
    return links


def _create_component(seed: DemoSeed, spec: dict, *, parent, at) -> Component:
    owner = spec.get("owner")
    component = services.component_create(
        name=spec["name"],
        slug=spec["slug"],
        kind=spec["kind"],
        tier=spec["tier"],
        description=spec.get("description", ""),
        parent=parent,
        owner_team=seed.teams[owner] if owner else None,
        paths=spec.get("paths", []),
        by=seed.admin,
        at=at,
        **_links(spec),
    )
    seed.components[component.slug] = component
    return component


def seed_catalog(seed: DemoSeed) -> None:
    """Create the catalog as it stood before the re-org, each component on its own past date."""
    founded = seed.days_ago(CATALOG_AGE.days)

    def create(spec, parent, parent_at):
        # Children appear some weeks after their area; the spread makes the history look lived in.
        at = parent_at if parent is None else parent_at + timedelta(days=seed.rng.randint(1, 90))
        component = _create_component(seed, spec, parent=parent, at=at)
        for child in spec.get("children", ()):
            create(child, component, at)

    for spec in seed.data["catalog"]:
        create(spec, None, founded)
    seed.log(f"{len(seed.components)} components since {founded:%Y-%m-%d}")


def seed_reorg(seed: DemoSeed) -> None:
    """Move components between teams on the date of the re-org, with a note per move."""
    reorg = seed.data["reorg"]
    at = seed.days_ago(7 * reorg["weeks_ago"])
    for move in reorg["moves"]:
        component = seed.components[move["component"]]
        owner = move["owner"]
        component.owner_team = seed.teams[owner] if owner else None
        component.full_clean(exclude=["effective_owner_team"])
        component.save(update_fields=["owner_team", "updated_at"])
        # component_update always dates a change "now"; ownership_recompute takes the date.
        services.ownership_recompute(
            by=seed.admin, note=f"Re-org: {move['why']}"[:200], touched=[component.pk], at=at
        )
    for component in seed.components.values():
        component.refresh_from_db()
    seed.log(f"re-org on {at:%Y-%m-%d}: {len(reorg['moves'])} components changed owner")


def seed_additions(seed: DemoSeed) -> None:
    """Create the components added since the re-org."""
    for spec in seed.data["additions"]:
        parent = seed.components[spec["parent"]]
        _create_component(seed, spec, parent=parent, at=seed.days_ago(spec["days_ago"]))
    seed.log(f"{len(seed.data['additions'])} components added since the re-org")


def seed_reminder(seed: DemoSeed) -> None:
    """Give the demo engineer a shift starting a few minutes from now, to watch a reminder."""
    seed_reminder_demo(now=seed.now, log=seed.log)


SECTIONS = [
    seed_people,
    seed_teams,
    seed_managers_group,
    seed_catalog,
    seed_reorg,
    seed_additions,
    seed_rota,
    seed_history,
    seed_incidents,
    seed_open_incident,
    seed_reminder,
]


def seed_all(
    *, log: Callable[[str], None] = lambda message: None, now=None, sections=None
) -> DemoSeed:
    """Run every section (or the given ones) in one transaction; a failure leaves nothing."""
    seed = DemoSeed(
        now=now or timezone.now(),
        rng=random.Random(RANDOM_SEED),
        log=log,
        data=organisation(),
    )
    with transaction.atomic():
        for section in SECTIONS if sections is None else sections:
            section(seed)
    return seed
