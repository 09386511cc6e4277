"""Who signed in through the identity provider, and what its group claims granted them."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from ownership.models import Membership


class Identity(models.Model):
    """A person's account at the identity provider (issuer and subject), linked on first use.

    Later sign-ins find the account by this link, so a changed e-mail address at the provider
    keeps the same Rota account.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255, help_text="The provider's `sub` claim.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="oidc_identity_unique_issuer_subject"
            ),
        ]

    def __str__(self):
        return f"{self.user} at {self.issuer}"


class ClaimGrant(models.Model):
    """Something the provider's group claims gave a person: a membership, a group, or staff.

    Only what is recorded here is taken back when the claims stop giving it; memberships,
    groups and staff status given by hand are never removed. A hand-given membership whose
    role the claims raised is recorded with ``raised_from`` (its own role), and lowered back
    to it when the claims stop raising it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_claim_grants"
    )
    membership = models.OneToOneField(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="claim_grant"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE)
    staff = models.BooleanField(default=False, help_text="The claims made the person staff.")
    raised_from = models.CharField(
        max_length=16,
        blank=True,
        choices=Membership.Role.choices,
        help_text="A membership given by hand whose role the claims raised: the role it had "
        "before, given back when the claims stop raising it. Empty: the claims made it.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(membership__isnull=False, group__isnull=True, staff=False)
                | Q(membership__isnull=True, group__isnull=False, staff=False)
                | Q(membership__isnull=True, group__isnull=True, staff=True),
                name="oidc_claim_grant_one_thing",
            ),
            models.UniqueConstraint(fields=["user", "group"], name="oidc_claim_grant_user_group"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(staff=True), name="oidc_claim_grant_user_staff"
            ),
        ]

    def __str__(self):
        thing = self.membership or self.group or "staff"
        return f"{self.user}: {thing} (from group claims)"
