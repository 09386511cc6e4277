"""Choices shared by incidents and bugs."""

from django.db import models


class Severity(models.TextChoices):
    """How bad it is; the labels are what the admin shows next to each level."""

    SEV1 = "SEV1", "SEV1 - critical: red blinking lights, the product is down or losing data"
    SEV2 = "SEV2", "SEV2 - major: a key feature is broken or badly degraded for many customers"
    SEV3 = "SEV3", "SEV3 - minor: limited impact, or a workaround exists"
    SEV4 = "SEV4", "SEV4 - low: cosmetic, internal or one customer; no hurry"


class Urgency(models.TextChoices):
    INTERRUPTING = "interrupting", "Interrupting: drop everything, page and escalate"
    BACKLOG = "backlog", "Backlog: tell the responder once, handle in working hours"


def default_urgency(severity: str) -> str:
    """Return the urgency a severity implies when nobody says otherwise."""
    if severity in (Severity.SEV1, Severity.SEV2):
        return Urgency.INTERRUPTING
    return Urgency.BACKLOG
