"""The work in a report's period: the component subtree, its incidents, pages and bugs."""

import datetime

from django.db import connections
from django.db.models import Exists, OuterRef, Q, Subquery

from core.timeutil import ONE_DAY
from incidents.models import Bug, Incident, Page
from ownership.models import Component, OwnershipPeriod

from ..records import (
    BugRecord,
    ComponentInfo,
    IncidentRecord,
    PageRecord,
    Period,
)

PAGED = (Page.Status.SENT,)


def _rows(queryset, instants: tuple[int, ...]):
    """Yield the rows of a ``values_list`` queryset as lists, in one query.

    The columns at the indices ``instants`` are datetimes, returned aware (UTC) as Django
    would; the other columns are as the database driver gives them (an ``Exists`` may come as
    0/1). Tens of thousands of rows pass through Django's per-value converters in seconds;
    the driver already parses SQLite's datetimes, so only the time zone is left to set.
    """
    combine = datetime.datetime.combine
    connection = connections[queryset.db]
    utc = connection.timezone
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            row = list(row)
            for index in instants:
                value = row[index]
                if value is not None and value.tzinfo is None:
                    # The same instant as value.replace(tzinfo=utc), in a fifth of the time.
                    row[index] = combine(value, value.time(), utc)
            yield row


def component_subtree(component: Component | None):
    """Return every component's record, and the ids of ``component``'s subtree (or None)."""
    rows = list(Component.objects.values_list("id", "slug", "name", "parent_id"))
    infos = {pk: ComponentInfo(pk, slug, name) for pk, slug, name, _ in rows}
    if component is None:
        return infos, None
    children = {}
    for pk, _, _, parent_id in rows:
        children.setdefault(parent_id, []).append(pk)
    subtree, stack = set(), [component.pk]
    while stack:
        pk = stack.pop()
        if pk not in subtree:
            subtree.add(pk)
            stack.extend(children.get(pk, ()))
    return infos, subtree


def incidents_in(period: Period, subtree) -> tuple[list[IncidentRecord], set]:
    """Return the incidents created in the period, and the ids of those with page rows."""
    in_period = Q(created_at__gte=period.start, created_at__lt=period.end)
    # Which incidents have a bug of their owning team, read as (incident, team) pairs in one
    # query rather than a subquery per incident: with most bugs linked to no incident, a
    # planner's statistics make the bug's incident index look useless, and it reads every bug
    # of the team (or every bug) for each incident, seconds over 50,000 incidents.
    owner_bugs = set(
        Bug.objects.filter(
            incident__in=Incident.objects.filter(in_period).values("pk"), team__isnull=False
        ).values_list("incident_id", "team_id")
    )
    any_page = Page.objects.filter(incident=OuterRef("pk"))
    rows = Incident.objects.filter(in_period)
    if subtree is not None:
        rows = rows.filter(component_id__in=subtree)
    # The columns in IncidentRecord's field order; the last, paged, gives way to bounced.
    rows = rows.annotate(paged=Exists(any_page)).values_list(
        "id", "created_at", "severity", "urgency", "component_id", "owning_team_id",
        "responding_team_id", "responder_id", "acknowledged_at", "mitigated_at", "resolved_at",
        "mitigation_kind", "logged_minutes", "first_line_responder_id", "mitigated_by_id",
        "paged",
    )  # fmt: skip
    records, paged = [], set()
    for row in _rows(rows.order_by("created_at", "id"), (1, 8, 9, 10)):
        has_pages = row[-1]
        incident_id, owning, responding, first_line = row[0], row[5], row[6], row[13]
        handed_over = responding != owning or first_line is not None
        owner_bug = (incident_id, owning) in owner_bugs
        row[-1] = owner_bug and handed_over and owning is not None  # bounced
        record = IncidentRecord.from_row(row)
        if has_pages:
            paged.add(record.id)
        records.append(record)
    return records, paged


def pages_in(period: Period, subtree, incidents: list[IncidentRecord], paged: set):
    """Return one page per incident, step and person, plus implicit ones (see below).

    An interrupting incident recorded without any page row (imported, or raised without
    escalation) counts as one page to its first-line responder, else its primary, at creation.
    """
    rows = Page.objects.filter(
        status__in=PAGED,
        created_at__gte=period.start - ONE_DAY,
        created_at__lt=period.end,
        user__isnull=False,
    )
    if subtree is not None:
        rows = rows.filter(incident__component_id__in=subtree)
    seen, pages = set(), []
    rows = rows.values_list(
        "incident_id", "user_id", "step", "created_at", "sent_at", "incident__responding_team_id"
    ).order_by("created_at", "id")
    for incident_id, user_id, step, created, sent, team_id in _rows(rows, (3, 4)):
        at = sent or created
        if (incident_id, step, user_id) in seen or not period.contains(at):
            continue
        seen.add((incident_id, step, user_id))
        pages.append(PageRecord(incident_id, user_id, at, step, team_id))
    for incident in incidents:
        user_id = incident.first_line_user_id or incident.responder_id
        if incident.urgency != "interrupting" or incident.id in paged or user_id is None:
            continue
        step = "first_line" if incident.first_line_user_id else "primary"
        pages.append(
            PageRecord(incident.id, user_id, incident.created_at, step, incident.responding_team_id)
        )
    pages.sort(key=lambda page: page.at)
    return pages


def _bug_logged_field() -> list[str]:
    """Return ["logged_minutes"] once bugs record logged time, else nothing."""
    names = {f.name for f in Bug._meta.get_fields()}
    return ["logged_minutes"] if "logged_minutes" in names else []


def bugs_in(period: Period, subtree) -> list[BugRecord]:
    """Return the bugs of the component subtree logged in the period (one query)."""
    owner = OwnershipPeriod.objects.filter(
        component=OuterRef("component"), valid_from__lte=OuterRef("created_at")
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("created_at")))
    # Filed in the period, or investigated during some of it (hours fall where they're worked).
    in_period = (
        Q(created_at__gte=period.start, created_at__lt=period.end)
        | Q(investigation_started_at__gte=period.start, investigation_started_at__lt=period.end)
        | Q(investigation_started_at__lt=period.start, investigation_finished_at__gt=period.start)
    )
    rows = Bug.objects.filter(in_period)
    if subtree is not None:
        rows = rows.filter(component_id__in=subtree)
    logged = _bug_logged_field()
    rows = rows.annotate(owner=Subquery(owner.order_by("-valid_from").values("team_id")[:1]))
    records = []
    for row in rows.values(
        "id", "created_at", "team_id", "component_id", "owner", "incident_id", "timebox_days",
        "investigation_started_at", "investigation_finished_at", "timebox_ends_at", "outcome",
        *logged,
    ).order_by("created_at", "id"):  # fmt: skip
        row["owning_team_id"] = row.pop("owner")
        records.append(BugRecord(**row))
    return records
