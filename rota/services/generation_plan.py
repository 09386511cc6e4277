"""Planning a rotation's slots: the pools, the dealer and who takes each turn (no writes)."""

import datetime
from dataclasses import dataclass

from django.db.models import Q

from core.timeutil import ONE_DAY, date_span, local_date, zone
from ownership.models import Membership

from ..dealing import Blocked, Dealer, Key, Pool, WeekendWeigher, subtract
from ..models import Rotation, Shift, Unavailability
from .leave import DUTY_ROLES


@dataclass(frozen=True)
class Planned:
    """One planned turn: UTC ``start``/``end``, who takes it, whether it clashes with leave."""

    start: datetime.datetime
    end: datetime.datetime
    key: Key
    conflict: bool = False


def key_of(team_id, user_id) -> Key | None:
    """Return the dealing key of a holder: ("team", id), ("user", id), or None for nobody."""
    if team_id is not None:
        return ("team", team_id)
    if user_id is not None:
        return ("user", user_id)
    return None


def pools_for(rotation: Rotation, start, end, participants=None):
    """Return the turn orders and, for a following rotation, which team is on when.

    ``participants``: the rotation's participants in turn order when already loaded (batch
    generation reads all rotations' at once); None reads them.
    """
    if rotation.follows_team_rotation_id is None:
        if participants is None:
            participants = rotation.participants.order_by("position", "id")
        pool = Pool(key_of(p.team_id, p.user_id) for p in participants)
        return {None: pool}, None
    team_shifts = list(
        Shift.objects.filter(
            rotation_id=rotation.follows_team_rotation_id,
            end__gt=start,
            start__lt=end + datetime.timedelta(days=400),
            team__isnull=False,
        )
        .order_by("start")
        .values_list("start", "end", "team_id")
    )
    team_ids = {team_id for _, _, team_id in team_shifts}
    members = Membership.objects.filter(team_id__in=team_ids, role__in=DUTY_ROLES).order_by(
        "user__username"
    )
    pools = {team_id: Pool([]) for team_id in team_ids}
    for team_id, user_id in members.values_list("team_id", "user_id"):
        pools[team_id].keys.append(("user", user_id))
    return pools, team_shifts


@dataclass
class Absences:
    """The unavailability rows one generation reads, loaded once for the dealer and the covers.

    ``rows`` are Unavailability instances (user and team selected) of the pools' people and
    teams (any kind), their teams' leave and the holidays of ``holiday_teams``, whose
    ``[start_date, end_date]`` meets ``[first_day, last_day]``; in the model's order.
    """

    rows: list
    users: set
    teams: set
    first_day: datetime.date
    last_day: datetime.date

    def leave_of(self, *, users: set, teams: set, first_day, last_day) -> list | None:
        """Return the rows of ``users`` (any kind) and ``teams`` (leave) that meet the dates,
        in the model's order; None when those are not all within what was loaded."""
        if not (users <= self.users and teams <= self.teams):
            return None
        if first_day < self.first_day or last_day > self.last_day:
            return None
        return [
            row
            for row in self.rows
            if (
                row.user_id in users
                or (row.team_id in teams and row.kind == Unavailability.Kind.LEAVE)
            )
            and row.start_date <= last_day
            and row.end_date >= first_day
        ]


# Days loaded before the dealer's first day: the covers of the first slot read its day before
# in UTC dates, up to a day earlier than the rotation's local date.
_COVER_MARGIN = 2 * ONE_DAY


@dataclass(frozen=True)
class AbsenceScope:
    """Whose unavailability one generation reads and over which days (see :class:`Absences`)."""

    users: frozenset
    teams: frozenset
    holiday_teams: frozenset
    first_day: datetime.date
    last_day: datetime.date

    def takes(self, row) -> bool:
        """Whether ``row`` (an Unavailability) is one this scope reads."""
        return (
            row.end_date >= self.first_day
            and row.start_date <= self.last_day
            and (
                row.user_id in self.users
                or (row.team_id in self.teams and row.kind == Unavailability.Kind.LEAVE)
                or (
                    row.team_id in self.holiday_teams
                    and row.kind == Unavailability.Kind.PUBLIC_HOLIDAY
                )
            )
        )


def absence_scope(rotation: Rotation, pools, start, end) -> AbsenceScope:
    """Return the people, teams and days whose unavailability the dealer and the covers need."""
    tz = zone(rotation.timezone)
    keys = {key for pool in pools.values() for key in pool.keys}
    holiday_teams = {pk for pk in pools if pk is not None}
    if rotation.team_id is not None:
        holiday_teams.add(rotation.team_id)
    return AbsenceScope(
        users=frozenset(pk for kind, pk in keys if kind == "user"),
        teams=frozenset(pk for kind, pk in keys if kind == "team"),
        holiday_teams=frozenset(holiday_teams),
        first_day=local_date(start, tz) - ONE_DAY - _COVER_MARGIN,
        last_day=local_date(end, tz) + datetime.timedelta(days=400),
    )


def absences_read(scopes) -> list:
    """Read, in one query, the unavailability rows of the union of ``scopes`` (user and team
    selected, in the model's order); each scope picks its own with :meth:`AbsenceScope.takes`."""
    scopes = list(scopes)
    if not scopes:
        return []
    users = set().union(*(s.users for s in scopes))
    teams = set().union(*(s.teams for s in scopes))
    holiday_teams = set().union(*(s.holiday_teams for s in scopes))
    rows = Unavailability.objects.filter(
        Q(user_id__in=users)
        | Q(team_id__in=teams, kind=Unavailability.Kind.LEAVE)
        | Q(team_id__in=holiday_teams, kind=Unavailability.Kind.PUBLIC_HOLIDAY),
        end_date__gte=min(s.first_day for s in scopes),
        start_date__lte=max(s.last_day for s in scopes),
    ).select_related("user", "team")
    return list(rows)


def absences_of(scope: AbsenceScope, rows) -> Absences:
    """Return the :class:`Absences` of ``scope`` out of ``rows`` read for it (or for more)."""
    mine = [row for row in rows if scope.takes(row)]
    return Absences(mine, set(scope.users), set(scope.teams), scope.first_day, scope.last_day)


def absences_for(rotation: Rotation, pools, start, end) -> Absences:
    """Load the unavailability the dealer and the leave covers need, in one query."""
    scope = absence_scope(rotation, pools, start, end)
    return absences_of(scope, absences_read([scope]))


def dealer_for(rotation: Rotation, pools, start, end, absences: Absences) -> Dealer:
    """Put the unavailability that matters for these pools (from ``absences``) into a Dealer."""
    tz = zone(rotation.timezone)
    teams = absences.teams
    first_day = absences.first_day + _COVER_MARGIN  # the dealer's own first day
    blocked, leave = Blocked(), Blocked()
    for user_id, shift_start, shift_end in primary_holders(rotation, start, end):
        # A secondary that follows the same team rotation as a primary is dealt someone else.
        blocked.add(("user", user_id), shift_start, shift_end)
    holidays = set()
    for row in absences.rows:
        if row.end_date < first_day:  # loaded for the covers only
            continue
        user_id, team_id, kind, first, last = (
            row.user_id,
            row.team_id,
            row.kind,
            row.start_date,
            row.end_date,
        )
        if user_id is not None:
            leave.add(("user", user_id), *date_span(first, last, tz))
        elif team_id in teams and kind == Unavailability.Kind.LEAVE:
            leave.add(("team", team_id), *date_span(first, last, tz))
        if team_id is not None and kind == Unavailability.Kind.PUBLIC_HOLIDAY:
            day = first
            while day <= last:
                holidays.add(day)
                day += ONE_DAY
    weigher = None
    if rotation.fairness == Rotation.Fairness.BALANCE_WEEKENDS:
        weigher = WeekendWeigher(tz, holidays)
    return Dealer(blocked=blocked, leave=leave, weigher=weigher, tz=tz)


def primary_holders(rotation: Rotation, start, end):
    """Return (user id, start, end) of the primaries a following secondary must not repeat."""
    if rotation.follows_team_rotation_id is None or rotation.role != Rotation.Role.SECONDARY:
        return []
    return Shift.objects.filter(
        rotation__follows_team_rotation_id=rotation.follows_team_rotation_id,
        rotation__role=Rotation.Role.PRIMARY,
        rotation__active=True,
        user__isnull=False,
        end__gt=start,
        start__lt=end,
    ).values_list("user_id", "start", "end")


def avoided(history, kept_at, start, end) -> set:
    """Return who would hold a third turn in a row if dealt [start, end)."""
    following = kept_at.get(end)
    after = kept_at.get(following[0]) if following else None
    nxt = following[1] if following else None
    nxt2 = after[1] if after else None
    avoid = set()
    if len(history) >= 2 and history[-1] == history[-2]:
        avoid.add(history[-1])
    if history and nxt is not None and history[-1] == nxt:
        avoid.add(nxt)
    if nxt is not None and nxt == nxt2:
        avoid.add(nxt)
    return avoid - {None}


def plan_slots(clock, first, plan_end, pools, windows, kept, dealer, recent=()) -> list[Planned]:
    """Plan the turns from slot ``first`` to ``plan_end`` around the ``kept`` shifts."""
    planned = []
    kept_spans = [(s.start, s.end, s) for s in kept]
    # Who actually holds each kept shift, by start: (end, holder).
    kept_at = {s.start: (s.end, key_of(s.team_id, s.user_id)) for s in kept}
    history = list(recent)
    seen = set()
    for slot in clock.slots(first, plan_end):
        if windows is None:
            pieces = [(slot.start, slot.end, pools[None])]
        else:
            pieces = [
                (max(slot.start, s), min(slot.end, e), pools[team_id])
                for s, e, team_id in windows
                if s < slot.end and e > slot.start
            ]
        for start, end, pool in pieces:
            covering = [(s, e, shift) for s, e, shift in kept_spans if s < end and e > start]
            for s, _, shift in covering:
                turn = key_of(shift.generated_team_id, shift.generated_user_id)
                if s == start and turn in pool:
                    pool.move_past(turn)
                if shift.pk not in seen:
                    seen.add(shift.pk)
                    history.append(key_of(shift.team_id, shift.user_id))
            free = subtract(start, end, [(s, e) for s, e, _ in covering])
            if not free or not pool:
                continue
            avoid = avoided(history, kept_at, free[0][0], free[-1][1])
            key, conflict = dealer.deal(pool, free[0][0], free[-1][1], avoid)
            history.append(key)
            planned.extend(Planned(s, e, key, conflict) for s, e in free)
    return planned


def assignment(key: Key) -> dict:
    """Return the shift columns of a key: team_id, user_id and their generated_* copies."""
    team_id = key[1] if key[0] == "team" else None
    user_id = key[1] if key[0] == "user" else None
    return {
        "team_id": team_id,
        "user_id": user_id,
        "generated_team_id": team_id,
        "generated_user_id": user_id,
    }
