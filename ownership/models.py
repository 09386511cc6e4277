"""Teams, their members, the component catalog and its dated ownership history."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.netsafety import validate_webhook_url

from .validators import (
    normalise_public_holidays,
    validate_glob,
    validate_public_holidays,
    validate_timezone,
)


class Team(models.Model):
    """A team of people; its kind says what it is for (see ``Team.Kind``)."""

    class Kind(models.TextChoices):
        PRODUCT = "product", "Product team (builds and owns components)"
        SUPPORT = "support", "Dedicated support team"
        OPERATIONS = "operations", "Operations / first line (mitigates only)"

    class Weekday(models.TextChoices):
        MONDAY = "monday", "Monday"
        TUESDAY = "tuesday", "Tuesday"
        WEDNESDAY = "wednesday", "Wednesday"
        THURSDAY = "thursday", "Thursday"
        FRIDAY = "friday", "Friday"
        SATURDAY = "saturday", "Saturday"
        SUNDAY = "sunday", "Sunday"

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(
        max_length=60, unique=True, help_text="Short identifier used in URLs and the API."
    )
    description = models.TextField(blank=True)
    kind = models.CharField(
        max_length=12,
        choices=Kind.choices,
        default=Kind.PRODUCT,
        help_text="Product teams build the platform and count as product capacity in the "
        "reports; a dedicated support team and an operations (first line) team do not.",
    )
    email = models.EmailField(blank=True, help_text="Team mailbox or mailing list.")
    chat_webhook_url = models.URLField(
        blank=True,
        max_length=500,
        validators=[validate_webhook_url],
        help_text="Slack-compatible incoming webhook for the team's channel (a public address).",
    )
    chat_channel = models.CharField(
        max_length=100, blank=True, help_text="Human-readable channel name, e.g. #team-payments."
    )
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA time zone of the team, e.g. Europe/London.",
    )
    public_holidays = models.CharField(
        max_length=40,
        blank=True,
        validators=[validate_public_holidays],
        help_text="Take the team's public holidays from this country and subdivision, e.g. "
        "DE-BY, GB-SCT, US-CA (ISO 3166 codes); empty: only holidays typed in or imported.",
    )
    triage_day = models.CharField(
        max_length=9,
        choices=Weekday.choices,
        blank=True,
        help_text="Day of the weekly bug triage meeting; empty: the team holds none.",
    )
    triage_time = models.TimeField(
        null=True,
        blank=True,
        help_text="Local time (the team's time zone) at which the triage meeting starts.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(triage_day="", triage_time__isnull=True)
                | (~Q(triage_day="") & Q(triage_time__isnull=False)),
                name="team_triage_day_and_time_together",
                violation_error_message="Give the triage day and time together, or neither.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("portal-team", kwargs={"slug": self.slug})

    def clean(self):
        """Require the triage day and time together (or neither); spell holidays canonically."""
        if self.public_holidays:
            try:
                self.public_holidays = normalise_public_holidays(self.public_holidays)
            except ValidationError as exc:
                raise ValidationError({"public_holidays": exc.messages}) from None
        if self.triage_day and self.triage_time is None:
            raise ValidationError({"triage_time": "Give the time the triage meeting starts."})
        if self.triage_time is not None and not self.triage_day:
            raise ValidationError({"triage_day": "Give the day of the triage meeting."})

    @property
    def triage_weekday(self) -> int | None:
        """Return the triage day as a weekday number (Monday 0), or None without a meeting."""
        if not self.triage_day:
            return None
        return self.Weekday.values.index(self.triage_day)


class Membership(models.Model):
    class Role(models.TextChoices):
        ENGINEER = "engineer", "Engineer"
        LEAD = "lead", "Lead"
        MANAGER = "manager", "Manager"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        max_length=16,
        choices=Role.choices,
        default=Role.ENGINEER,
        help_text="Managers may edit the team, its components and its rota.",
    )

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_unique_team_user"),
        ]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.get_role_display()})"


class Component(models.Model):
    class Kind(models.TextChoices):
        AREA = "area", "Area"
        SERVICE = "service", "Service"
        LIBRARY = "library", "Library"
        WEBSITE = "website", "Website"
        OTHER = "other", "Other"

    class Tier(models.IntegerChoices):
        CRITICAL = 1, "Tier 1 - critical: customer-facing, page at any hour"
        IMPORTANT = 2, "Tier 2 - important: degraded service, page in working hours"
        STANDARD = 3, "Tier 3 - standard: internal, fix in the next sprint"
        LOW = 4, "Tier 4 - low: best effort"

    name = models.CharField(max_length=150)
    slug = models.SlugField(
        max_length=100, unique=True, help_text="Short identifier used in URLs and the API."
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SERVICE)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The area or component this one belongs to. Without its own owner team, "
        "a component inherits its parent's.",
    )
    owner_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_components",
        help_text="Leave empty to inherit the owner of the parent component.",
    )
    # Denormalised: the owner after inheritance, kept up to date by ownership.services so that
    # lists and lookups need no walk up the tree.
    effective_owner_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="effectively_owned_components",
    )
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.STANDARD)
    repository_url = models.URLField(blank=True, max_length=500)
    runbook_url = models.URLField(blank=True, max_length=500)
    dashboard_url = models.URLField(blank=True, max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="component_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("portal-component", kwargs={"slug": self.slug})

    def clean(self):
        """Refuse a parent that would put the component inside itself."""
        if self.parent_id is None:
            return
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": "A component cannot be its own parent."})
        seen = set()
        node_id = self.parent_id
        parents = dict(Component.objects.values_list("id", "parent_id"))
        while node_id is not None and node_id not in seen:
            if self.pk is not None and node_id == self.pk:
                raise ValidationError(
                    {"parent": "This parent would create a cycle: it is inside this component."}
                )
            seen.add(node_id)
            node_id = parents.get(node_id)


class ComponentPath(models.Model):
    """A CODEOWNERS-style glob saying which code paths belong to a component."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="paths")
    pattern = models.CharField(
        max_length=300,
        unique=True,
        validators=[validate_glob],
        help_text="CODEOWNERS-style glob, e.g. /billing/api/ or *.proto. "
        "A pattern belongs to one component.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pattern"]

    def __str__(self):
        return self.pattern


class OwnershipPeriod(models.Model):
    """A span of time during which a team (directly or by inheritance) owned a component."""

    component = models.ForeignKey(
        Component, on_delete=models.CASCADE, related_name="ownership_periods"
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ownership_periods",
        help_text="Empty while nobody owned the component.",
    )
    inherited = models.BooleanField(
        default=False, help_text="Owned through an ancestor rather than directly."
    )
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True, help_text="Empty while current.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["component", "-valid_from"]
        indexes = [models.Index(fields=["component", "valid_from"])]
        constraints = [
            models.UniqueConstraint(
                fields=["component"],
                condition=Q(valid_to__isnull=True),
                name="ownership_one_open_period",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="ownership_period_ends_after_start",
            ),
        ]

    def __str__(self):
        # In the team's zone (the site's without one), labelled, as the admin shows history.
        tz = ZoneInfo(self.team.timezone if self.team_id else settings.TIME_ZONE)
        start = f"{self.valid_from.astimezone(tz):%Y-%m-%d %H:%M %Z}"
        end = f"{self.valid_to.astimezone(tz):%Y-%m-%d %H:%M %Z}" if self.valid_to else "now"
        return f"{self.component} owned by {self.team or 'nobody'} {start} - {end}"


class CatalogVersion(models.Model):
    """A random tag replaced in the same transaction as every catalog change.

    Lookups compare it (one primary-key read) with the tag their in-process cache was built
    for, so every web process sees a change at once without a shared cache. A random tag
    rather than a counter: a rolled-back change cannot leave a cache keyed by a value that a
    later, different change would produce again.
    """

    version = models.CharField(max_length=32, default="initial")
    # When the version was last replaced (see RotaVersion.changed_at).
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "catalog version"

    def __str__(self):
        return f"catalog version {self.version}"
