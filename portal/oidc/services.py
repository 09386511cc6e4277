"""Sign a person in from the provider's claims: find or create the account, sync group grants."""

import logging
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.permissions import ROTA_ADMINS_GROUP
from ownership.models import Membership, Team
from ownership.services import catalog_touch

from . import config
from .models import ClaimGrant, Identity

logger = logging.getLogger(__name__)
User = get_user_model()


class SignInRefused(Exception):
    """The provider vouched for someone Rota must not sign in; the message says why."""


@transaction.atomic
def oidc_sign_in(*, issuer: str, claims: dict):
    """Return the Rota user for the provider's ``claims``, created on first sign-in.

    The account is the one linked to (issuer, ``sub``) at an earlier sign-in, else the one
    whose e-mail address equals ``email`` (case-insensitive), else a new one. Raises
    ``SignInRefused`` when the claims lack ``sub`` or ``email``, when the provider says the
    e-mail address is unverified (``email_verified`` false) and no account is linked yet,
    when several accounts share the address, or when the account is disabled.
    Group claims are then synced (:func:`oidc_claims_sync`).
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused("The identity provider did not say who you are (no sub claim).")
    linked = Identity.objects.select_related("user").filter(issuer=issuer, subject=subject)
    identity = linked.first()
    user = identity.user if identity is not None else _match_or_create(claims)
    if not user.is_active:
        raise SignInRefused(
            f"Your Rota account ({user.username}) is disabled. Ask a rota admin to enable it."
        )
    if identity is None:
        identity = Identity(user=user, issuer=issuer, subject=subject)
    identity.last_sign_in_at = timezone.now()
    identity.save()
    _update_names(user, claims)
    groups = claims.get(config.raw()["GROUPS_CLAIM"])
    oidc_claims_sync(user=user, groups=groups if isinstance(groups, list) else [])
    return user


def _match_or_create(claims: dict):
    email = str(claims.get("email") or "").strip()
    if not email:
        raise SignInRefused(
            "The identity provider did not give your e-mail address; ask its administrators "
            "to release the email claim to Rota."
        )
    if str(claims.get("email_verified", True)).lower() == "false":
        raise SignInRefused(
            f"The identity provider has not verified your e-mail address ({email}), so Rota "
            "cannot tell which account is yours. Verify it there, then sign in again."
        )
    matches = list(User.objects.filter(email__iexact=email)[:2])
    if len(matches) > 1:
        raise SignInRefused(
            f"Several Rota accounts have the e-mail address {email}; ask a rota admin to "
            "keep it on one of them."
        )
    if matches:
        return matches[0]
    user = User(
        username=_free_username(email),
        email=email,
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
    )
    user.set_unusable_password()
    try:
        user.full_clean()
    except ValidationError as exc:
        raise SignInRefused(
            f"Rota cannot make an account from what the identity provider sent: {exc.messages}"
        ) from None
    user.save()
    return user


def _free_username(email: str) -> str:
    """Return the e-mail's local part as a free username: alice, else alice-2, alice-3..."""
    base = re.sub(r"[^\w.+-]", "", email.split("@")[0].lower())[:140] or "user"
    taken = set(
        User.objects.filter(username__iregex=rf"^{re.escape(base)}(-[0-9]+)?$").values_list(
            "username", flat=True
        )
    )
    taken = {name.lower() for name in taken}
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _update_names(user, claims: dict) -> None:
    changed = []
    for field, claim in (("first_name", "given_name"), ("last_name", "family_name")):
        value = str(claims.get(claim) or "")[:150]
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=changed)


@transaction.atomic
def oidc_claims_sync(*, user, groups: list) -> None:
    """Make what ``groups`` grant under ``ROTA_OIDC_GROUPS`` exactly what the claims granted.

    Adds the memberships (team, role), the "Rota admins" group, the managers' group
    (``ROTA_OIDC_MANAGERS_GROUP``, when it exists) and staff status the groups give, and
    records each as a ``ClaimGrant``; takes back the recorded ones the groups no longer give.
    Memberships, groups and staff status given by hand are never removed; a hand-given
    membership is raised to a higher claimed role and lowered back to its own when the claims
    stop raising it. Staff and the managers' group come with a manager membership only.
    A team slug that names no team is logged and skipped.
    """
    mapping = config.group_mapping()
    wanted_roles: dict[str, str] = {}
    rota_admin = False
    for name in {str(group) for group in groups}:
        for grant in mapping.get(name, []):
            if grant.rota_admin:
                rota_admin = True
            elif config.ROLE_RANK[grant.role] > config.ROLE_RANK.get(
                wanted_roles.get(grant.team), -1
            ):
                wanted_roles[grant.team] = grant.role
    teams = Team.objects.in_bulk(list(wanted_roles), field_name="slug")
    for slug in sorted(set(wanted_roles) - set(teams)):
        logger.warning("ROTA_OIDC_GROUPS names team %r, which does not exist", slug)
    wanted = {teams[slug].pk: role for slug, role in wanted_roles.items() if slug in teams}

    grants = list(ClaimGrant.objects.filter(user=user).select_related("membership", "group"))
    memberships_changed, manager = _sync_memberships(user, wanted, grants)

    wanted_groups = set()
    if rota_admin:
        wanted_groups.add(ROTA_ADMINS_GROUP)
    if manager:
        wanted_groups.add(config.raw()["MANAGERS_GROUP"])
    _sync_groups(user, wanted_groups, grants)
    _sync_staff(user, rota_admin or manager, grants)
    if memberships_changed:
        catalog_touch()  # routing's escalation path (leads, managers) reads memberships


def _higher(role: str, than: str) -> bool:
    return config.ROLE_RANK[role] > config.ROLE_RANK[than]


def _sync_memberships(user, wanted: dict[int, str], grants: list[ClaimGrant]) -> tuple[bool, bool]:
    """Make the claimed memberships ``wanted`` (team id -> role) so; return (changed, manager).

    A claimed membership is created, re-roled or deleted; a hand-given one is only raised to a
    higher claimed role (recorded with ``raised_from``) and lowered back to that role when the
    claims no longer raise it. ``manager`` tells whether a claim made or kept someone manager.
    """
    existing = {m.team_id: m for m in Membership.objects.filter(user=user)}
    granted = {g.membership.team_id: g for g in grants if g.membership_id}
    changed = manager = False
    for team_id, grant in granted.items():
        if team_id in wanted:
            continue
        if grant.raised_from:  # given by hand: back to its own role, kept
            _set_role(grant.membership, grant.raised_from)
            grant.delete()
        else:
            grant.membership.delete()  # and the grant with it
        changed = True
    for team_id, role in wanted.items():
        membership = existing.get(team_id)
        grant = granted.get(team_id)
        if membership is None:
            membership = Membership(team_id=team_id, user=user, role=role)
            membership.full_clean()
            membership.save()
            ClaimGrant.objects.create(user=user, membership=membership)
            changed = True
        elif grant is None:
            if _higher(role, membership.role):  # raise a hand-given role, remembering it
                ClaimGrant.objects.create(
                    user=user, membership=membership, raised_from=membership.role
                )
                changed |= _set_role(membership, role)
        elif grant.raised_from and not _higher(role, grant.raised_from):
            changed |= _set_role(membership, grant.raised_from)  # its own role suffices again
            grant.delete()
        else:
            changed |= _set_role(membership, role)
        manager |= role == Membership.Role.MANAGER == membership.role
    return changed, manager


def _set_role(membership, role: str) -> bool:
    if membership.role == role:
        return False
    membership.role = role
    membership.save(update_fields=["role"])
    return True


def _sync_groups(user, wanted: set[str], grants: list[ClaimGrant]) -> None:
    granted = {g.group.name: g for g in grants if g.group_id}
    for name, grant in granted.items():
        if name not in wanted:
            user.groups.remove(grant.group)
            grant.delete()
    have = set(user.groups.values_list("name", flat=True))
    for group in Group.objects.filter(name__in=wanted - have):
        user.groups.add(group)
        if group.name not in granted:  # else given back after a manual removal
            ClaimGrant.objects.create(user=user, group=group)


def _sync_staff(user, wanted: bool, grants: list[ClaimGrant]) -> None:
    grant = next((g for g in grants if g.staff), None)
    if wanted and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        if grant is None:
            ClaimGrant.objects.create(user=user, staff=True)
    elif not wanted and grant is not None:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
        grant.delete()
