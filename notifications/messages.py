"""Messages: their parts, times in the reader's time zone, and rendering for each channel."""

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from .models import Delivery
from .recipients import recipient_for, team_channels
from .sources import team_channels_for


class NoLongerApplies(Exception):
    """The delivery's reason to exist went away (shift reassigned, moved, deleted, over)."""


def chat_escape(text) -> str:
    """Escape text for a Slack-compatible chat post: ``&``, ``<`` and ``>`` as entities.

    Slack reads ``<!channel>``, ``<@U123>`` and ``<https://x|label>`` as mentions and links;
    escaped, a name or title holding them shows as typed. Rule and entities from Slack's
    https://api.slack.com/reference/surfaces/formatting#escaping
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Link(str):
    """A line that is one of Rota's own links: ``label: url`` as text, ``<url|label>`` in chat.

    Only a URL under ``ROTA_SITE_URL`` is formatted as a chat link; anything else is shown
    as escaped text, so user-typed addresses (runbooks, tickets) never get a disguising label.
    """

    def __new__(cls, label: str, url: str):
        line = super().__new__(cls, f"{label}: {url}")
        line.label, line.url = label, url
        return line

    def chat(self) -> str:
        if not self.url.startswith(f"{settings.SITE_URL}/"):
            return chat_escape(self)
        return f"<{chat_escape(self.url)}|{chat_escape(self.label)}>"


def chat_line(line) -> str:
    """Render one line for chat: Rota's own links as links, everything else escaped."""
    return line.chat() if isinstance(line, Link) else chat_escape(line)


@dataclass
class Section:
    heading: str
    lines: list[str]


@dataclass
class Content:
    """What a message says, before it is rendered for a channel."""

    subject: str
    intro: str
    sections: list[Section] = field(default_factory=list)


@dataclass
class Audience:
    """Who a message is for and how they read times."""

    name: str
    tz: ZoneInfo
    address: str
    user_id: int | None = None
    team_id: int | None = None

    def is_person(self, user_id) -> bool:
        return self.user_id is not None and user_id == self.user_id


@dataclass
class Message:
    channel: str
    address: str
    subject: str
    text: str
    html: str
    chat_text: str
    key: str
    delivery_id: int


def local(instant: datetime.datetime, tz: ZoneInfo) -> str:
    """Format an instant as the recipient reads it, e.g. "Mon 3 Jun 2024, 09:00 BST"."""
    value = instant.astimezone(tz)
    return f"{value:%a} {value.day} {value:%b %Y, %H:%M} {value.tzname()}"


def local_span(start: datetime.datetime, end: datetime.datetime, tz: ZoneInfo) -> str:
    """Format a span, e.g. "Mon 3 Jun 2024, 09:00 BST - Mon 10 Jun 2024, 09:00 BST"."""
    return f"{local(start, tz)} - {local(end, tz)}"


def in_words(delta: datetime.timedelta) -> str:
    """Say how far off something is: "in 5 minutes", "in 1 hour", "in 2 days 3 hours"."""
    minutes = max(round(delta.total_seconds() / 60), 0)
    if minutes < 60:
        return f"in {minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        text = f"in {hours} hour{'s' if hours != 1 else ''}"
        return f"{text} {rest} min" if rest else text
    days, hours = divmod(hours, 24)
    text = f"in {days} days"
    return f"{text} {hours} hour{'s' if hours != 1 else ''}" if hours else text


def site_link(name: str, default: str = "/") -> str:
    """Return an absolute link to a portal page (the home page if the page is not routed)."""
    try:
        path = reverse(name)
    except NoReverseMatch:
        path = default
    return f"{settings.SITE_URL}{path}"


def audience_for(delivery: Delivery) -> Audience:
    """Return who the delivery goes to and where, as of now; refuse if they are unreachable."""
    if delivery.user_id is not None:
        recipient = recipient_for(delivery.user)
        if recipient is None:
            raise NoLongerApplies("The person's account is inactive.")
        address = recipient.address(delivery.channel)
        if not address:
            raise NoLongerApplies(f"The person no longer receives {delivery.channel} messages.")
        if not recipient.wants(delivery.kind):
            raise NoLongerApplies(f"The person switched {delivery.kind} messages off.")
        return Audience(recipient.name, recipient.tz, address, user_id=recipient.user_id)
    channels = team_channels_for(delivery.kind) or team_channels  # buffer alerts: reports
    channel = channels([delivery.team_id]).get(delivery.team_id)
    if channel is None:
        raise NoLongerApplies("The team has no chat webhook for these messages any more.")
    return Audience(channel.name, channel.tz, channel.webhook_url, team_id=channel.team_id)


def render_chat(content: "Content", timezone: str) -> str:
    """Render content as a Slack-compatible ``text`` (mrkdwn), every value escaped."""
    parts = [f"*{chat_escape(content.subject)}*", chat_escape(content.intro)]
    for section in content.sections:
        parts += ["", f"*{chat_escape(section.heading)}*"]
        parts += [f"• {chat_line(line)}" for line in section.lines]
    parts += ["", f"_Times in {chat_escape(timezone)}._"]
    return "\n".join(parts)


def render(delivery: Delivery, audience: Audience, content: Content) -> Message:
    """Render content as plain text, HTML and a chat post."""
    context = {
        "audience": audience,
        "content": content,
        "timezone": audience.tz.key,
        "preferences_url": site_link("notification-preferences", "/"),
        "portal_url": site_link("home"),
    }
    return Message(
        channel=delivery.channel,
        address=audience.address,
        subject=content.subject,
        text=render_to_string("notifications/message.txt", context).strip() + "\n",
        html=render_to_string("notifications/message.html", context),
        chat_text=render_chat(content, audience.tz.key),
        key=delivery.key,
        delivery_id=delivery.pk,
    )
