"""Who is on duty in a report's period: turn takers, duty spans, the team rotation's schedule."""

from django.db.models import Count, Exists, OuterRef

from core.timeutil import ONE_DAY, local_at, zone
from rota.models import Rotation, RotationParticipant, SupportPolicy
from rota.selectors import segments_for

from ..records import (
    DutySpan,
    Period,
    PersonInfo,
    TeamRotationInfo,
    TeamShift,
)


def duty_spans(period: Period, people: dict) -> list[DutySpan]:
    """Return the final schedule of every person rotation in the period (three or four queries).

    The fourth loads public holidays, when a rotation is restricted to (or out of) business hours.
    """
    rotations = list(Rotation.objects.filter(kind=Rotation.Kind.PERSON).order_by("id"))
    spans = []
    for rotation_id, segments in segments_for(rotations, period.start, period.end).items():
        for segment in segments:
            if segment.user is None:
                continue
            if segment.user.pk not in people:
                user = segment.user
                people[user.pk] = PersonInfo(
                    id=user.pk,
                    username=user.username,
                    name=user.get_full_name() or user.username,
                    team_ids=(),
                    timezone="UTC",
                )
            key = (
                f"override:{segment.override_id}"
                if segment.is_override
                else f"shift:{segment.shift_id}"
            )
            spans.append(DutySpan(segment.user.pk, rotation_id, segment.start, segment.end, key))
    return spans


def turn_takers(people: dict) -> frozenset:
    """Return the people who take turns in some rotation (one query).

    A person rotation's participants take turns; so do the engineers and leads of every team
    in a team rotation that a person rotation follows (its shifts are dealt among them).
    """
    followed = Rotation.objects.filter(follows_team_rotation=OuterRef("rotation_id"))
    rows = RotationParticipant.objects.annotate(followed=Exists(followed)).values_list(
        "user_id", "team_id", "followed"
    )
    users, teams = set(), set()
    for user_id, team_id, is_followed in rows:
        if user_id is not None:
            users.add(user_id)
        elif is_followed:
            teams.add(team_id)
    for person in people.values():
        if teams.intersection(person.team_ids):
            users.add(person.id)
    return frozenset(users)


def team_rotation_info(period: Period, teams: dict) -> TeamRotationInfo | None:
    """Return the rotation of the rotating support policy, with its shifts in the period.

    With several rotating policies, the default one (naming no components) wins, else the one
    whose rotation has the most teams, then the oldest. Four queries at most.
    """
    policies = (
        SupportPolicy.objects.filter(model=SupportPolicy.Model.ROTATING)
        .annotate(
            named=Exists(SupportPolicy.components.through.objects.filter(policy=OuterRef("pk"))),
            teams=Count("team_rotation__participants"),
        )
        .select_related("team_rotation")
        .order_by("named", "-teams", "id")
    )
    policy = policies.first()
    if policy is None:
        return None
    rotation = policy.team_rotation
    participants = tuple(
        RotationParticipant.objects.filter(rotation=rotation, team__isnull=False)
        .order_by("position", "id")
        .values_list("team_id", flat=True)
    )
    # A day's slack each side: shifts hand over at a local time, not at midnight.
    start, end = period.start - ONE_DAY, period.end + ONE_DAY
    shifts = tuple(
        TeamShift(segment.team.pk, segment.start, segment.end)
        for segment in segments_for([rotation], start, end)[rotation.pk]
        if segment.team is not None and segment.team.pk in teams
    )
    count, unit = rotation.shift_length_count, rotation.shift_length_unit
    return TeamRotationInfo(
        id=rotation.pk,
        name=rotation.name,
        policy=policy.name,
        participants=participants,
        shift_sprints=count if unit == Rotation.Unit.SPRINTS else None,
        shift_length=f"{count} {unit if count != 1 else unit.rstrip('s')}",
        start=local_at(rotation.start_date, rotation.handoff_time, zone(rotation.timezone)),
        shifts=shifts,
    )
