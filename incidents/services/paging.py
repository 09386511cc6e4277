"""Send pages: the one place that knows how a page reaches a person.

The ``Page`` row (unique per incident, step, person and channel) is what makes a page happen
once. Its delivery goes through the notifications app: the person's preferences say which
channels reach them (e-mail, a personal chat webhook), the message uses the notifications
layout with times in the person's time zone, and its channels send it. Pages are urgent:
quiet hours do not hold them back.
"""

import datetime
import logging
import uuid

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.channels import ChannelError, deliver
from notifications.messages import (
    Audience,
    Content,
    Link,
    Message,
    Section,
    local,
    render_chat,
    site_link,
)
from notifications.recipients import recipient_for

from .. import queue
from ..models import Incident, Page, TimelineEntry
from ._common import timeline_add, who

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def page_channels(user) -> list[str]:
    """Return the channels that reach ``user`` (e-mail when nothing does, so it fails visibly)."""
    recipient = recipient_for(user)
    channels = recipient.channels() if recipient is not None else []
    return [str(channel) for channel in channels] or [Page.Channel.EMAIL]


def page_enqueue(*, page_id: int) -> None:
    """Send the page once the current transaction commits."""
    transaction.on_commit(lambda: queue.publish_page(page_id))


def incident_url(incident: Incident) -> str:
    """Return where a person paged about ``incident`` can see and acknowledge it."""
    return f"{settings.SITE_URL}{incident.get_absolute_url()}"


def page_content(page: Page, tz) -> Content:
    """Return what a page says: the incident, who else is on it, how to stop the paging."""
    incident = page.incident
    url = incident_url(incident)
    team = incident.responding_team.name if incident.responding_team else "no team"
    details = [
        f"Severity: {incident.get_severity_display()}",
        f"Component: {incident.component.name} ({incident.component.slug})",
        f"Responding team: {team}",
        f"Triggered: {local(incident.created_at, tz)}",
    ]
    if incident.description:
        details.append(incident.description[:1000])
    return Content(
        subject=f"[{incident.severity}] Incident #{incident.pk}: {incident.title}",
        intro=f"You are paged as {Page.Step(page.step).label.lower()} for incident "
        f"#{incident.pk}, {incident.title}. Nobody has acknowledged it yet.",
        sections=[
            Section("Incident", details),
            Section(
                "What to do",
                [
                    Link("Acknowledge it to stop the escalation", url),
                    f"Or by API: POST {settings.SITE_URL}{incident.get_api_url()}acknowledge/",
                ],
            ),
        ],
    )


def page_message(page: Page) -> Message:
    """Render a page for its channel, addressed as the person's preferences say now."""
    recipient = recipient_for(page.user)
    address = recipient.address(page.channel) if recipient is not None else ""
    if not address:
        raise ChannelError(
            f"{who(page.user)} has no {Page.Channel(page.channel).label} address.",
            permanent=True,
        )
    audience = Audience(recipient.name, recipient.tz, address, user_id=recipient.user_id)
    content = page_content(page, recipient.tz)
    context = {
        "audience": audience,
        "content": content,
        "timezone": recipient.tz.key,
        "preferences_url": site_link("notification-preferences", "/"),
        "portal_url": site_link("home"),
    }
    return Message(
        channel=page.channel,
        address=address,
        subject=content.subject,
        text=render_to_string("notifications/message.txt", context).strip() + "\n",
        html=render_to_string("notifications/message.html", context),
        chat_text=render_chat(content, recipient.tz.key),
        key=page.key,
        # Keeps the Message-ID apart from those of notification deliveries.
        delivery_id=f"page-{page.pk}",
    )


def _record_outcome(page: Page, outcome: str, error: str = "") -> None:
    """Write the page's delivery outcome on the timeline entry that recorded the page.

    ``outcome`` is ``sent``, ``retrying`` (with the last error), ``failed`` (with its
    reason) or ``cancelled`` (acknowledged before it went out), so the timeline tells a page
    that reached someone from one that did not.
    """
    if page.user is None:
        return
    entries = TimelineEntry.objects.filter(
        incident_id=page.incident_id,
        kind=TimelineEntry.Kind.PAGE,
        data__step=page.step,
        data__user=page.user.get_username(),
        data__channel=page.channel,
    )
    for entry in entries:
        data = {key: value for key, value in entry.data.items() if key != "error"}
        data["delivery"] = outcome
        if error:
            data["error"] = error
        entry.data = data
        entry.save(update_fields=["data"])


def _setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


DEFAULTS = {
    # A page claimed by a worker that has not finished after this many seconds is taken
    # over by another; it must exceed the slowest send (the webhook deadline, SMTP timeout).
    "INCIDENTS_PAGE_SENDING_TIMEOUT": 120,
    # A pending page handed to a worker this many seconds ago and still untouched is handed
    # again by the escalation scan (the broker was down, or lost the message).
    "INCIDENTS_PAGE_REQUEUE_AFTER": 60,
    "INCIDENTS_PAGE_REQUEUE_BATCH": 500,
}


class PageSentUnrecorded(Exception):
    """A page went out but recording it failed (the database went away meanwhile).

    ``token`` is the worker's claim and ``sent_at`` when it went out: ``page_sent_record``
    records it once the database is back, unless another worker took the page over.
    """

    def __init__(self, page_id: int, token: uuid.UUID, sent_at: datetime.datetime):
        super().__init__(f"Page {page_id} was sent at {sent_at} but not recorded")
        self.page_id, self.token, self.sent_at = page_id, token, sent_at


def page_claim(
    *, page_id: int, now: datetime.datetime, token: uuid.UUID | None = None
) -> uuid.UUID | None:
    """Claim a pending page for sending; return the claim token, or None if it is not ours.

    One conditional UPDATE: a page is claimable while pending and unclaimed, or claimed
    longer than INCIDENTS_PAGE_SENDING_TIMEOUT ago (its worker died, or could not record
    the outcome). Of workers racing for a page, the database lets exactly one match.
    """
    token = token or uuid.uuid4()
    stale = now - datetime.timedelta(seconds=_setting("INCIDENTS_PAGE_SENDING_TIMEOUT"))
    won = Page.objects.filter(
        # Unclaimed, abandoned, or claimed by this same attempt before a database error.
        Q(claim__isnull=True) | Q(claimed_at__lt=stale) | Q(claim=token),
        pk=page_id,
        status=Page.Status.PENDING,
    ).update(claim=token, claimed_at=now, attempts=F("attempts") + 1)
    return token if won else None


def _failed(page: Page, token: uuid.UUID, error: str, *, permanent: bool) -> str:
    page.error = error[:2000]
    mine = Page.objects.filter(pk=page.pk, claim=token)
    if not permanent and page.attempts < MAX_ATTEMPTS:
        with transaction.atomic():
            # Handed again (by the task's retry) now: the scan leaves it alone meanwhile.
            mine.update(error=page.error, claim=None, enqueued_at=timezone.now())
            _record_outcome(page, "retrying", page.error)
        logger.info("Page %s failed (attempt %s), will retry: %s", page.pk, page.attempts, error)
        return "retry"
    with transaction.atomic():
        # Cancelled while it was on its way (acknowledged): it stays cancelled.
        if not mine.filter(status=Page.Status.PENDING).update(
            error=page.error, status=Page.Status.FAILED, claim=None
        ):
            mine.update(claim=None)
            return "busy"  # taken over or cancelled meanwhile
        _record_outcome(page, "failed", page.error)
        timeline_add(
            incident=page.incident,
            kind=TimelineEntry.Kind.PAGE,
            text=f"Page to {who(page.user)} failed: {page.error}",
            data={"page": page.pk, "delivery": "failed", "error": page.error},
        )
    logger.warning("Page %s to user %s failed: %s", page.pk, page.user_id, error)
    return Page.Status.FAILED


def page_sent_record(*, page_id: int, token: uuid.UUID, sent_at: datetime.datetime) -> bool:
    """Record that a claimed page went out; return False if another worker took it over.

    The status becomes sent even if the incident was acknowledged while it was on its way:
    it did reach the person.
    """
    with transaction.atomic():
        recorded = Page.objects.filter(pk=page_id, claim=token).update(
            status=Page.Status.SENT, sent_at=sent_at, error="", claim=None
        )
        if recorded:
            page = Page.objects.select_related("user").get(pk=page_id)
            _record_outcome(page, "sent")
    return bool(recorded)


def page_deliver(
    *, page_id: int, now: datetime.datetime | None = None, token: uuid.UUID | None = None
) -> str:
    """Send one page unless it was sent, cancelled, or its incident acknowledged meanwhile.

    Claim, send, record: the page is claimed in one short transaction (so two workers handed
    the same page send it once), sent with no transaction open, and recorded under the
    claim. ``token`` names the attempt (the task passes its id, which its retries keep), so
    an attempt that met a database error before sending takes its own claim back at once.
    Return the page's status, "retry" after a failure worth retrying, or "busy" when
    another worker holds it. Raise ``PageSentUnrecorded`` when it went out but recording
    failed; the database errors of claiming propagate (the task retries them).

    Should the outcome never be recorded, the claim lapses and the page is sent again with
    the same ``X-Rota-Delivery`` key and Message-ID, by which a receiver knows it.
    """
    now = now or timezone.now()
    page = (
        Page.objects.select_related("incident__component", "incident__responding_team", "user")
        .filter(pk=page_id)
        .first()
    )
    if page is None:
        return "missing"
    if page.status != Page.Status.PENDING:
        return page.status
    if page.incident.status != Incident.Status.TRIGGERED or page.user is None:
        with transaction.atomic():
            if Page.objects.filter(pk=page.pk, status=Page.Status.PENDING, claim=None).update(
                status=Page.Status.CANCELLED
            ):
                _record_outcome(page, "cancelled")
                return Page.Status.CANCELLED
        return "busy"
    token = page_claim(page_id=page_id, now=now, token=token)
    if token is None:
        return "busy"
    page.attempts = Page.objects.values_list("attempts", flat=True).get(pk=page_id)
    if page.attempts > MAX_ATTEMPTS:
        # Claimed again and again without an outcome: its workers keep dying on it.
        error = f"Gave up after {page.attempts - 1} attempts that never finished."
        return _failed(page, token, error, permanent=True)
    try:
        deliver(page_message(page))
    except ChannelError as exc:
        return _failed(page, token, str(exc), permanent=exc.permanent)
    sent_at = timezone.now()
    try:
        page_sent_record(page_id=page_id, token=token, sent_at=sent_at)
    except DatabaseError as exc:
        raise PageSentUnrecorded(page_id, token, sent_at) from exc
    return Page.Status.SENT


def pages_requeue(*, now: datetime.datetime | None = None) -> list[int]:
    """Hand again to a worker every pending page that should be moving and is not.

    That is a page handed over more than INCIDENTS_PAGE_REQUEUE_AFTER seconds ago (or never)
    and not claimed, or claimed longer than the sending timeout ago: the broker was down
    when its incident was stored, lost the message, or the worker died. A page is marked
    handed only once the broker took it, so one the broker refused is tried at the next
    scan. The claim makes a superfluous hand-over harmless. Return the ids handed over.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=_setting("INCIDENTS_PAGE_REQUEUE_AFTER"))
    stale = now - datetime.timedelta(seconds=_setting("INCIDENTS_PAGE_SENDING_TIMEOUT"))
    ids = list(
        Page.objects.filter(status=Page.Status.PENDING)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff))
        .filter(Q(claim__isnull=True) | Q(claimed_at__lt=stale))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[: _setting("INCIDENTS_PAGE_REQUEUE_BATCH")]
    )
    handed = []
    for page_id in ids:
        if not queue.publish_page(page_id):
            break  # the broker is still away: the next scan tries the rest
        handed.append(page_id)
    if handed:
        Page.objects.filter(pk__in=handed).update(enqueued_at=now)
        logger.info("Handed %d pending pages to a worker again", len(handed))
    return handed
