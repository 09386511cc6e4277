"""Send pages: the one place that knows how a page reaches a person.

Rota's notifications app owns delivery channels; until it offers a service for incident
pages, a page goes out here by e-mail through Django's mail framework. Either way the
``Page`` row (unique per incident, step, person and channel) is what makes a page happen once.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from ..models import Incident, Page, TimelineEntry
from ._common import timeline_add, who

logger = logging.getLogger(__name__)


def page_enqueue(*, page_id: int) -> None:
    """Send the page once the current transaction commits."""
    from ..tasks import deliver_page

    transaction.on_commit(lambda: deliver_page.delay(page_id))


def incident_url(incident: Incident) -> str:
    """Return where a person paged about ``incident`` can see and acknowledge it."""
    return f"{settings.SITE_URL}{incident.get_absolute_url()}"


def page_message(page: Page) -> tuple[str, str]:
    """Return the subject and plain-text body of a page."""
    incident = page.incident
    subject = f"[{incident.severity}] Incident #{incident.pk}: {incident.title}"
    team = incident.responding_team.name if incident.responding_team else "no team"
    url = incident_url(incident)
    lines = [
        f"You are paged as {Page.Step(page.step).label.lower()} for incident #{incident.pk}.",
        "",
        f"Title:      {incident.title}",
        f"Severity:   {incident.get_severity_display()}",
        f"Component:  {incident.component.name} ({incident.component.slug})",
        f"Team:       {team}",
        f"Triggered:  {incident.created_at:%Y-%m-%d %H:%M} UTC",
        "",
        incident.description[:2000],
        "",
        f"See it: {url}",
        f"Acknowledge to stop the escalation: POST {url}acknowledge/",
    ]
    return subject, "\n".join(lines)


def _send_email(page: Page) -> None:
    if not page.user.email:
        raise ValueError(f"{who(page.user)} has no e-mail address.")
    subject, body = page_message(page)
    send_mail(subject, body, None, [page.user.email])


def page_deliver(*, page_id: int) -> str:
    """Send one page unless it was sent, cancelled, or its incident acknowledged meanwhile.

    The page row stays locked while sending, so two workers handed the same page send once.
    Returns the page's final status.
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
            return page.status
        try:
            _send_email(page)
        except Exception as exc:  # any channel failure is recorded on the page, never lost
            logger.warning("Page %s to user %s failed: %s", page.pk, page.user_id, exc)
            page.status, page.error = Page.Status.FAILED, str(exc)[:2000]
            page.save(update_fields=["status", "error"])
            timeline_add(
                incident=page.incident,
                kind=TimelineEntry.Kind.PAGE,
                text=f"Page to {who(page.user)} failed: {page.error}",
                data={"page": page.pk},
            )
            return page.status
        page.status, page.sent_at = Page.Status.SENT, timezone.now()
        page.save(update_fields=["status", "sent_at"])
        return page.status
