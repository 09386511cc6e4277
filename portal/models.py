"""What the portal keeps of its own: the names and last use of personal API tokens."""

from django.db import models


class ApiTokenInfo(models.Model):
    """A personal API token's name and last use; knox's ``AuthToken`` holds its hash.

    The secret is shown once, when the token is created; only its hash (and its first
    characters, knox's ``token_key``) are stored. Revoking a token deletes the knox row, and
    this one with it.
    """

    token = models.OneToOneField(
        "knox.AuthToken", on_delete=models.CASCADE, related_name="info", editable=False
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. the tool that uses it."
    )
    last_used_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the token last authenticated a request, to the minute.",
    )

    class Meta:
        verbose_name = "API token"
        ordering = ["-token__created"]

    def __str__(self):
        return self.name


class ApiAuthVersion(models.Model):
    """A random tag replaced whenever an API token stops working (revoked, or its user
    deactivated or deleted), in the same transaction (see ``portal.tokens.api_auth_touch``).

    The hot path (``portal.hotpath``) keeps the tokens it authenticated per process and
    reads this tag (with the rota's and the catalog's) at most once per check interval, so a
    revoked token is refused everywhere within that interval.
    """

    tag = models.CharField(max_length=32, default="initial")
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API authentication version"

    def __str__(self):
        return f"API authentication version {self.tag}"
