"""Factories for the reports: the capacity setting, and plain records for the pure maths."""

import datetime

import factory

from reports.models import TeamCapacity
from reports.records import Cadence, Period, PersonInfo, ReportData, TeamInfo
from tests.ownership.factories import TeamFactory

UTC = datetime.UTC
# Sprint 0 starts on Monday 1 January 2024; sprints last two weeks.
CADENCE = Cadence("Sprints", datetime.date(2024, 1, 1), 14, "UTC")


class TeamCapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamCapacity

    team = factory.SubFactory(TeamFactory)
    buffer_percent = 20


def at(day: int, hour: int = 0, minute: int = 0, month: int = 1) -> datetime.datetime:
    """Return an instant in 2024 (UTC)."""
    return datetime.datetime(2024, month, day, hour, minute, tzinfo=UTC)


def team(id, slug, members=(), *, size=None, tz="UTC", buffer=20, holidays=(), owns=True):
    return TeamInfo(
        id=id,
        slug=slug,
        name=slug.capitalize(),
        timezone=tz,
        members=tuple(members),
        size=len(members) if size is None else size,
        buffer_percent=buffer,
        hours_per_day=8,
        holidays=frozenset(holidays),
        owns_components=owns,
    )


def person(id, username, teams, *, tz="UTC", holidays=(), leave=()):
    return PersonInfo(
        id=id,
        username=username,
        name=username.capitalize(),
        team_ids=tuple(teams),
        timezone=tz,
        holidays=frozenset(holidays),
        leave=tuple(leave),
    )


def data(*, teams, people=(), first, last, now=None, cadence=CADENCE, **records) -> ReportData:
    """Return report data for the dates ``first``..``last`` of 2024 (January by default)."""
    first = first if isinstance(first, datetime.date) else datetime.date(2024, 1, first)
    last = last if isinstance(last, datetime.date) else datetime.date(2024, 1, last)
    return ReportData(
        cadence=cadence,
        period=Period(first, last, cadence.timezone),
        now=now or datetime.datetime(2024, 12, 31, tzinfo=UTC),
        teams={t.id: t for t in teams},
        people={p.id: p for p in people},
        **records,
    )
