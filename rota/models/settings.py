"""Organisation-wide routing settings: the fallback answered when nobody else is on duty."""

from django.core.exceptions import ValidationError
from django.db import models

from ownership.models import Component, Team

from .rotations import Rotation


class RoutingSettings(models.Model):
    """The one row (pk 1) of settings that routing reads for every component.

    Routing is never silent: when it finds nobody on duty for an incident (an unowned component,
    a gap in every rotation, a team with nobody on call), it answers and pages the organisation
    fallback: the person on duty in ``fallback_rotation``, else the on-call people of
    ``fallback_team`` (else its leads and managers).
    """

    SINGLETON_ID = 1

    fallback_rotation = models.ForeignKey(
        Rotation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "person"},
        help_text="A person rotation (e.g. duty manager or incident commander) answered and "
        "paged whenever routing finds nobody else on duty.",
    )
    fallback_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Used when the fallback rotation is empty or has nobody on duty: the team's "
        "on-call people, else its leads and managers.",
    )
    cover_check_max_tier = models.PositiveSmallIntegerField(
        choices=Component.Tier.choices,
        default=Component.Tier.CRITICAL,
        help_text="The weekly rota check warns about components of this tier, or a more "
        "critical one, that nobody covers out of hours in the coming weeks.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "routing settings"
        verbose_name_plural = "routing settings"

    def __str__(self):
        return "Routing settings"

    def clean(self):
        """Refuse a fallback rotation in which teams, not people, take turns."""
        if (
            self.fallback_rotation_id is not None
            and self.fallback_rotation.kind != Rotation.Kind.PERSON
        ):
            raise ValidationError(
                {"fallback_rotation": "The fallback must be a rotation of people."}
            )
