"""Send pages: the one place that knows how a page reaches a person.

The ``Page`` row (unique per incident, step, person and channel) is what makes a page happen
once. Its delivery goes through the notifications app: the person's preferences say which
channels reach them (e-mail, a personal chat webhook), the message uses the notifications
layout with times in the person's time zone, and its channels send it. Pages are urgent:
quiet hours do not hold them back.
"""

import logging

from django.conf import settings
from django.db import transaction
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
    from .. import tasks  # the tasks module imports the services

    transaction.on_commit(lambda: tasks.publish_page(page_id))


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


def _failed(page: Page, error: str, *, permanent: bool) -> str:
    page.error = error[:2000]
    if not permanent and page.attempts < MAX_ATTEMPTS:
        page.save(update_fields=["attempts", "error"])
        _record_outcome(page, "retrying", page.error)
        logger.info("Page %s failed (attempt %s), will retry: %s", page.pk, page.attempts, error)
        return "retry"
    page.status = Page.Status.FAILED
    page.save(update_fields=["attempts", "error", "status"])
    _record_outcome(page, "failed", page.error)
    logger.warning("Page %s to user %s failed: %s", page.pk, page.user_id, error)
    timeline_add(
        incident=page.incident,
        kind=TimelineEntry.Kind.PAGE,
        text=f"Page to {who(page.user)} failed: {page.error}",
        data={"page": page.pk, "delivery": "failed", "error": page.error},
    )
    return page.status


def page_deliver(*, page_id: int) -> str:
    """Send one page unless it was sent, cancelled, or its incident acknowledged meanwhile.

    The page row stays locked while sending, so two workers handed the same page send it
    once. Return the page's status, or "retry" after a failure worth retrying.
    """
    with transaction.atomic():
        page = (
            Page.objects.select_for_update(of=("self",))
            .select_related("incident__component", "incident__responding_team", "user")
            .filter(pk=page_id)
            .first()
        )
        if page is None:
            return "missing"
        if page.status != Page.Status.PENDING:
            return page.status
        if page.incident.status != Incident.Status.TRIGGERED or page.user is None:
            page.status = Page.Status.CANCELLED
            page.save(update_fields=["status"])
            _record_outcome(page, "cancelled")
            return page.status
        page.attempts += 1
        try:
            deliver(page_message(page))
        except ChannelError as exc:
            return _failed(page, str(exc), permanent=exc.permanent)
        page.status, page.sent_at, page.error = Page.Status.SENT, timezone.now(), ""
        page.save(update_fields=["status", "sent_at", "attempts", "error"])
        _record_outcome(page, "sent")
        return page.status
