"""Escalation of unacknowledged incidents: who is paged at which step, and when.

The path is the one routing answered when the incident was created (``rota.routing``, rules
4 to 6): first line, primary, the organisation fallback (only when nobody was on call),
secondary, then the responding team's leads, or its managers if it has no lead. Steps with
nobody are left out, and one person is paged at one step only.

The configured delays (minutes after creation, per support policy, see ``EscalationPolicy``;
defaults in brackets) are slots: first line (at once), primary (at once, or after
``primary_delay_minutes`` when a first line exists), secondary (5), lead (15). A step with
nobody hands its slot to the next step with someone (``rota.routing.escalation_delays_for``):
with no primary on duty the secondary is paged at once, not after 5 minutes.

Leads and managers are read again when their step comes. A backlog-urgency incident stops
after the primary (or whoever took its place). Each page is a ``Page`` row with a unique key,
so a step pages a person once however often (and however concurrently) the scanner runs;
acknowledging stops the escalation and cancels pages not yet sent.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ownership.selectors import leads_and_managers
from rota.models import SupportPolicy
from rota.routing import escalation_delays_for, leads_or_managers_of
from rota.selectors.holidays import team_in_business_hours

from ..models import EscalationPolicy, Incident, Page, TimelineEntry, Urgency
from ..models.escalation import (
    DEFAULT_LEAD_DELAY,
    DEFAULT_PRIMARY_DELAY,
    DEFAULT_SECONDARY_DELAY,
)
from ._common import timeline_add, who
from .paging import page_channels, page_enqueue, pages_requeue

Step = Page.Step
# Statuses in which an incident may still have steps to page (see escalation_goes_on).
ESCALATING = (Incident.Status.TRIGGERED, Incident.Status.ACKNOWLEDGED)
SCAN_BATCH = 500


@dataclass(frozen=True)
class EscalationStep:
    step: str
    delay: datetime.timedelta
    # None: read when the step is due (leads and managers).
    users: tuple | None


def escalation_delays(*, incident: Incident) -> tuple[int, int, int]:
    """Return the (primary, secondary, lead) delays in minutes for an incident."""
    condition = Q(support_policy__isnull=True)
    if incident.support_policy_id is not None:
        condition |= Q(support_policy_id=incident.support_policy_id)
    rows = sorted(
        EscalationPolicy.objects.filter(condition),
        key=lambda row: row.support_policy_id is None,
    )
    if not rows:
        return DEFAULT_PRIMARY_DELAY, DEFAULT_SECONDARY_DELAY, DEFAULT_LEAD_DELAY
    row = rows[0]
    return row.primary_delay_minutes, row.secondary_delay_minutes, row.lead_delay_minutes


def escalation_plan(*, incident: Incident) -> list[EscalationStep]:
    """Return the incident's escalation steps in order (see the module docstring)."""
    primary_delay, secondary_delay, lead_delay = escalation_delays(incident=incident)
    slots = [
        (Step.FIRST_LINE, 0),
        (Step.PRIMARY, primary_delay),
        (Step.SECONDARY, secondary_delay),
        (Step.LEAD, lead_delay),
    ]
    candidates = [
        (Step.FIRST_LINE, (incident.first_line_responder,)),
        (Step.PRIMARY, (incident.responder,)),
        (Step.FALLBACK, tuple(incident.fallback_responders.order_by("username"))),
        (Step.SECONDARY, (incident.secondary_responder,)),
    ]
    steps, seen = [], set()
    for step, users in candidates:
        fresh = tuple(u for u in users if u is not None and u.pk not in seen)
        if fresh:
            seen.update(u.pk for u in fresh)
            steps.append((step, fresh))
    lead_step, leads = _leads_or_managers(incident, seen)
    if leads:
        steps.append((lead_step, leads))
    steps = _hold_owners(incident, steps)
    delays = escalation_delays_for([str(step) for step, _ in steps], slots)
    if owners_wait_for_mitigation(incident):
        # The owners' steps start once the first line's window has passed unmitigated, and
        # keep their own pace from there.
        window = incident.support_policy.first_line_window_minutes
        delays = [
            delay if step == Step.FIRST_LINE else delay + window
            for (step, _), delay in zip(steps, delays, strict=True)
        ]
    plan = [
        EscalationStep(
            step, datetime.timedelta(minutes=delay), None if step == lead_step else users
        )
        for (step, users), delay in zip(steps, delays, strict=True)
    ]
    if incident.urgency == Urgency.BACKLOG or _first_line_engaged(incident):
        # A backlog incident (or one the first line acknowledged while the owners wait for its
        # mitigation) stops after the primary, or whoever took the primary's slot.
        first = [p for p in plan if p.step in (Step.FIRST_LINE, Step.PRIMARY, Step.FALLBACK)]
        return first or plan[:1]
    return plan


def owners_wait_for_mitigation(incident: Incident) -> bool:
    """Return whether the owners are paged only if the first line has not mitigated in time.

    That is the support policy's ``owner_paging = unless_mitigated`` with a first line on duty.
    """
    policy = incident.support_policy
    return (
        policy is not None
        and policy.owner_paging == SupportPolicy.OwnerPaging.UNLESS_MITIGATED
        and incident.first_line_responder_id is not None
    )


def _first_line_engaged(incident: Incident) -> bool:
    return (
        owners_wait_for_mitigation(incident)
        and incident.status == Incident.Status.ACKNOWLEDGED
        and incident.acknowledged_by_id == incident.first_line_responder_id
    )


def escalation_goes_on(incident: Incident) -> bool:
    """Return whether ``incident`` still escalates in its current status.

    A triggered incident does. So does one the first line acknowledged when the owners are
    paged unless the first line mitigates in time: acknowledging is not mitigating.
    """
    return incident.status == Incident.Status.TRIGGERED or _first_line_engaged(incident)


def _hold_owners(incident: Incident, steps: list) -> list:
    """Drop the owners' steps out of business hours under ``owner_paging = business_hours``.

    Only with a first line on duty: it mitigates, and the fix waits for the bug raised then.
    """
    policy = incident.support_policy
    if (
        policy is None
        or policy.owner_paging != SupportPolicy.OwnerPaging.BUSINESS_HOURS
        or incident.first_line_responder_id is None
        or incident.responding_team is None
        or team_in_business_hours(team=incident.responding_team, at=incident.created_at)
    ):
        return steps
    return [(step, users) for step, users in steps if step == Step.FIRST_LINE]


def _leads_or_managers(incident: Incident, paged) -> tuple[str, tuple]:
    """Return the responding team's leads not in ``paged`` (user ids), else its managers."""
    if incident.responding_team_id is None:
        return Step.LEAD, ()
    members = leads_and_managers([incident.responding_team_id]).get(incident.responding_team_id, [])
    return leads_or_managers_of(members, paged)


def _already_paged(incident: Incident) -> set:
    return set(Page.objects.filter(incident=incident).values_list("user_id", flat=True))


def _page_step(incident: Incident, planned: EscalationStep, now) -> list[Page]:
    """Create the pages of one step (once), with their timeline entries."""
    step, users = planned.step, planned.users
    if users is None:
        step, users = _leads_or_managers(incident, _already_paged(incident))
    done = TimelineEntry.objects.filter(
        incident=incident,
        kind__in=[TimelineEntry.Kind.ESCALATION, TimelineEntry.Kind.PAGE],
        data__step=step,
    )
    if done.exists():
        return []  # another scan holding an older copy of the incident took this step
    label = Step(step).label.lower()
    if planned.delay:
        minutes = int(planned.delay.total_seconds() // 60)
        waited = (
            f"Not mitigated by the first line within {minutes} min"
            if owners_wait_for_mitigation(incident)
            else f"Not acknowledged after {minutes} min"
        )
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.ESCALATION,
            text=f"{waited}: escalating to the {label}.",
            at=now,
            data={"step": step},
        )
    if not users:
        timeline_add(
            incident=incident,
            kind=TimelineEntry.Kind.ESCALATION,
            text=f"Nobody to page as {label}; moving on.",
            at=now,
            data={"step": step},
        )
        return []
    pages = []
    for user in users:
        for channel in page_channels(user):
            key = Page.make_key(
                incident_id=incident.pk, step=step, user_id=user.pk, channel=channel
            )
            try:
                with transaction.atomic():
                    page = Page.objects.create(
                        incident=incident,
                        step=step,
                        user=user,
                        channel=channel,
                        key=key,
                        created_at=now,
                        # Handed to a worker when this commits (else requeued in a minute).
                        enqueued_at=now,
                    )
            except IntegrityError:
                continue  # paged already by another scan
            timeline_add(
                incident=incident,
                kind=TimelineEntry.Kind.PAGE,
                text=f"Paged {who(user)} ({label}) by {Page.Channel(channel).label}.",
                at=now,
                # "delivery" follows the page: pending, then sent, retrying or failed.
                data={
                    "step": step,
                    "user": user.get_username(),
                    "channel": channel,
                    "page": page.pk,
                    "delivery": "pending",
                },
            )
            pages.append(page)
    return pages


def escalation_advance(*, incident: Incident, now=None) -> list[Page]:
    """Page every step of ``incident`` that is due at ``now`` and not paged yet.

    Call inside a transaction holding the incident's row lock (the scanner and the
    transitions do). Sending happens after commit.
    """
    now = now or timezone.now()
    if not escalation_goes_on(incident):
        incident.next_escalation_at = None
        incident.save(update_fields=["next_escalation_at"])
        return []
    plan = escalation_plan(incident=incident)
    elapsed = now - incident.created_at
    level = incident.escalation_level
    pages = []
    while level < len(plan) and plan[level].delay <= elapsed:
        pages.extend(_page_step(incident, plan[level], now))
        level += 1
    incident.escalation_level = level
    incident.next_escalation_at = (
        incident.created_at + plan[level].delay if level < len(plan) else None
    )
    incident.save(update_fields=["escalation_level", "next_escalation_at"])
    for page in pages:
        page_enqueue(page_id=page.pk)
    return pages


def escalation_stop(*, incident: Incident) -> int:
    """Stop escalating ``incident`` (the caller saves it); cancel pages not sent yet."""
    incident.next_escalation_at = None
    cancelled = Page.objects.filter(incident=incident, status=Page.Status.PENDING).update(
        status=Page.Status.CANCELLED
    )
    if cancelled:
        # Their timeline entries must not go on saying "sending".
        waiting = TimelineEntry.objects.filter(
            incident=incident, kind=TimelineEntry.Kind.PAGE, data__delivery="pending"
        )
        for entry in waiting:
            entry.data = {**entry.data, "delivery": "cancelled"}
            entry.save(update_fields=["data"])
    return cancelled


def escalation_scan(*, now=None) -> int:
    """Advance every triggered incident whose next step is due; return the pages created.

    Each incident is handled in its own transaction under its row lock; a row another scanner
    holds is skipped (it is being handled). Pending pages that never reached a worker are
    handed over again first (``pages_requeue``).
    """
    now = now or timezone.now()
    pages_requeue(now=now)
    due = list(
        Incident.objects.filter(status__in=ESCALATING, next_escalation_at__lte=now).values_list(
            "pk", flat=True
        )[:SCAN_BATCH]
    )
    created = 0
    for pk in due:
        with transaction.atomic():
            incident = (
                Incident.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related(
                    "responder",
                    "secondary_responder",
                    "first_line_responder",
                    "support_policy",
                    "responding_team",
                )
                .filter(pk=pk, status__in=ESCALATING, next_escalation_at__lte=now)
                .first()
            )
            if incident is not None:
                created += len(escalation_advance(incident=incident, now=now))
    return created
