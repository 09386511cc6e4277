"""Secret calendar feed URLs: one per person per feed (their own, a team's, a rotation's)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from ownership.models import Team

from .rotations import Rotation


class FeedToken(models.Model):
    """The random half of a feed URL; the other half is an HMAC of it (see rota.services.feeds).

    Only this half is stored, so the database alone cannot produce a working URL, yet the
    owner can be shown their URL again. Regenerating replaces the key: the old URL is dead.
    """

    class Kind(models.TextChoices):
        PERSON = "person", "My shifts"
        TEAM = "team", "A team's rota"
        ROTATION = "rotation", "A rotation"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PERSON)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    rotation = models.ForeignKey(
        Rotation, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_tokens"
    )
    key = models.CharField(max_length=32, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(kind="person"), name="feed_token_one_person_feed"
            ),
            models.UniqueConstraint(
                fields=["user", "team"], condition=Q(kind="team"), name="feed_token_one_per_team"
            ),
            models.UniqueConstraint(
                fields=["user", "rotation"],
                condition=Q(kind="rotation"),
                name="feed_token_one_per_rotation",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="person", team__isnull=True, rotation__isnull=True)
                    | Q(kind="team", team__isnull=False, rotation__isnull=True)
                    | Q(kind="rotation", team__isnull=True, rotation__isnull=False)
                ),
                name="feed_token_subject_matches_kind",
            ),
        ]

    def __str__(self):
        subject = self.team or self.rotation or self.user
        return f"{self.get_kind_display()} feed of {self.user} ({subject})"

    def clean(self):
        """Require exactly the subject the kind of feed needs."""
        if self.kind == self.Kind.TEAM and self.team_id is None:
            raise ValidationError({"team": "A team feed needs a team."})
        if self.kind == self.Kind.ROTATION and self.rotation_id is None:
            raise ValidationError({"rotation": "A rotation feed needs a rotation."})
