"""What the scanner decided to send: one plan per future delivery row."""

import datetime
from dataclasses import dataclass, field

from .models import Delivery
from .recipients import Recipient, TeamChannel


@dataclass(frozen=True)
class Plan:
    kind: str
    key: str
    channel: str
    occurs_at: datetime.datetime
    not_before: datetime.datetime
    urgent: bool = False
    user_id: int | None = None
    team_id: int | None = None
    rotation_id: int | None = None
    shift_id: int | None = None
    override_id: int | None = None
    payload: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def identity(self) -> tuple[str, str]:
        return (self.key, self.channel)

    def to_row(self, *, batch, now) -> Delivery:
        return Delivery(
            key=self.key,
            channel=self.channel,
            kind=self.kind,
            user_id=self.user_id,
            team_id=self.team_id,
            rotation_id=self.rotation_id,
            shift_id=self.shift_id,
            override_id=self.override_id,
            occurs_at=self.occurs_at,
            payload=self.payload,
            urgent=self.urgent,
            not_before=self.not_before,
            enqueued_at=now if self.not_before <= now else None,
            batch=batch,
        )


def plans_for_person(
    recipient: Recipient,
    *,
    kind: str,
    key: str,
    now: datetime.datetime,
    occurs_at: datetime.datetime,
    urgent: bool,
    latest: datetime.datetime | None = None,
    **refs,
) -> list[Plan]:
    """Return one plan per channel the person uses, held back by their quiet hours.

    ``latest`` caps the hold-back (a reminder must not wait past the start of its shift).
    None if the person switched this kind of message off.
    """
    if not recipient.wants(kind):
        return []
    release = recipient.release_at(now, urgent=urgent)
    if latest is not None:
        release = max(now, min(release, latest))
    return [
        Plan(
            kind=kind,
            key=key,
            channel=channel,
            occurs_at=occurs_at,
            not_before=release,
            urgent=urgent,
            user_id=recipient.user_id,
            **refs,
        )
        for channel in recipient.channels()
    ]


def plan_for_team(
    team: TeamChannel, *, kind: str, key: str, now, occurs_at, urgent: bool, **refs
) -> Plan:
    """Return the plan of a post to a team's chat channel (teams have no quiet hours)."""
    return Plan(
        kind=kind,
        key=key,
        channel=Delivery.Channel.CHAT,
        occurs_at=occurs_at,
        not_before=now,
        urgent=urgent,
        team_id=team.team_id,
        **refs,
    )
