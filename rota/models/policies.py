"""Support policies: which support model applies to which components."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from ownership.models import Component, Team

from .rotations import Rotation


class SupportPolicy(models.Model):
    """Apply a support model to components (and their subtrees); no components = the default."""

    class OwnerPaging(models.TextChoices):
        ALWAYS = "always", "Escalate to the responders as usual"
        UNLESS_MITIGATED = (
            "unless_mitigated",
            "Only if the first line has not mitigated within the window",
        )
        BUSINESS_HOURS = "business_hours", "Only in the responding team's business hours"

    class Model(models.TextChoices):
        OWNERSHIP = "ownership", "Total ownership: the owning team responds"
        DEDICATED = "dedicated", "Dedicated support team responds"
        ROTATING = "rotating", "Rotating support: the team on shift responds"

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    model = models.CharField(max_length=10, choices=Model.choices, default=Model.OWNERSHIP)
    components = models.ManyToManyField(
        Component,
        through="SupportPolicyComponent",
        related_name="support_policies",
        blank=True,
        help_text="Components (with everything inside them) this policy covers; "
        "none means the organisation's default policy.",
    )
    team_rotation = models.ForeignKey(
        Rotation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rotating_policies",
        limit_choices_to={"kind": "team"},
        help_text="Rotating model: the team rotation that says which team is on support.",
    )
    dedicated_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dedicated_policies",
        help_text="Dedicated model: the standing support team.",
    )
    first_line_rotation = models.ForeignKey(
        Rotation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="first_line_policies",
        limit_choices_to={"kind": "person"},
        help_text="Optional first-line (operations) rotation paged first; it only mitigates.",
    )
    owner_paging = models.CharField(
        max_length=16,
        choices=OwnerPaging.choices,
        default=OwnerPaging.ALWAYS,
        help_text="With a first line: when the responding team's on-call people are paged. "
        "As usual; only if the first line has not mitigated within the window below; or only "
        "in their team's business hours (out of hours the first line mitigates and the fix "
        "waits for the bug raised then).",
    )
    first_line_window_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(24 * 60)],
        help_text="Minutes the first line has to mitigate before the responders are paged "
        "('unless_mitigated' only).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "support policies"
        constraints = [
            models.CheckConstraint(
                condition=~Q(model="rotating") | Q(team_rotation__isnull=False),
                name="support_policy_rotating_needs_rotation",
            ),
            models.CheckConstraint(
                condition=~Q(model="dedicated") | Q(dedicated_team__isnull=False),
                name="support_policy_dedicated_needs_team",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        """Require the fields the chosen support model needs."""
        errors = {}
        if self.model == self.Model.ROTATING:
            if self.team_rotation_id is None:
                errors["team_rotation"] = "A rotating support policy needs a team rotation."
            elif self.team_rotation.kind != Rotation.Kind.TEAM:
                errors["team_rotation"] = "The rotation must be one in which teams take turns."
        if self.model == self.Model.DEDICATED and self.dedicated_team_id is None:
            errors["dedicated_team"] = "A dedicated support policy needs the support team."
        if (
            self.first_line_rotation_id is not None
            and self.first_line_rotation.kind != Rotation.Kind.PERSON
        ):
            errors["first_line_rotation"] = "The first line must be a rotation of people."
        if self.owner_paging != self.OwnerPaging.ALWAYS and self.first_line_rotation_id is None:
            errors["owner_paging"] = (
                "Only a policy with a first-line rotation can hold back the responders' pages."
            )
        if errors:
            raise ValidationError(errors)


class SupportPolicyComponent(models.Model):
    """A component named by a policy; each component is named by at most one policy."""

    policy = models.ForeignKey(
        SupportPolicy, on_delete=models.CASCADE, related_name="component_links"
    )
    component = models.ForeignKey(
        Component, on_delete=models.CASCADE, related_name="support_policy_link"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["component"], name="support_policy_component_once"),
        ]

    def __str__(self):
        return f"{self.policy_id} covers {self.component_id}"
