"""Opsgenie users and teams, matched to Rota people and teams (mixed into ``OpsgenieImport``).

A user is matched by e-mail (Opsgenie's ``username``); one Rota does not know gets an account
without a password. A team becomes (or is matched to) the Rota team of the same slug or name,
its members added, Opsgenie admins as leads.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.text import slugify

from ownership.models import Membership, Team
from ownership.services import team_create, team_update

from .opsgenie_read import Unmappable

User = get_user_model()


class PeopleSection:
    """Uses the importer's ``bundle``, ``report``, ``people``, ``teams`` and ``write``."""

    def person(self, ref: dict, where: str):
        """Return the Rota user of an Opsgenie user reference (``id``, ``username``)."""
        known = self.bundle.users.get(str(ref.get("id") or "")) or {}
        email = str(ref.get("username") or known.get("username") or "").strip()
        if "@" not in email:
            raise Unmappable(
                f"user {ref.get('id') or '?'} has no e-mail in the files: add GET /v2/users"
            )
        key = email.lower()
        if key not in self.people:
            user = User.objects.filter(email__iexact=email).order_by("pk").first()
            if user is None:
                known = known or self.bundle.users.get(key) or {}
                user = self.write(where, lambda: _new_account(email, known.get("fullName") or ""))
                if user is not None:
                    self.report.create("person", f"{email} (new account without a password)")
            self.people[key] = user
        if self.people[key] is None:
            raise Unmappable(f"user {email} could not be created")
        return self.people[key]

    def team(self, ref: dict, where: str) -> Team | None:
        """Return the Rota team of an Opsgenie team (full object or ``{id, name}``)."""
        full = self.bundle.teams.get(ref.get("id")) or ref
        name = str(full.get("name") or "").strip()
        if not name:
            self.report.problem(where, "the team has no name in the files: add GET /v2/teams")
            return None
        if name in self.teams:
            return self.teams[name]
        slug = slugify(name)[:50] or "team"
        team = Team.objects.filter(slug=slug).first() or Team.objects.filter(name=name).first()
        members = []
        for i, member in enumerate(full.get("members") or []):
            here = f"{where} members[{i}]"
            try:
                user = self.person((member or {}).get("user") or {}, here)
            except Unmappable as exc:
                self.report.problem(here, str(exc))
                continue
            role = (
                Membership.Role.LEAD
                if str(member.get("role") or "").lower() == "admin"
                else Membership.Role.ENGINEER
            )
            members.append((user, role))
        if team is None:
            team = self.write(where, lambda: team_create(name=name, slug=slug, members=members))
            if team is not None:
                self.report.create("team", f"{slug} ({len(members)} members)")
        else:
            have = {m.user_id: (m.user, m.role) for m in team.memberships.select_related("user")}
            added = [(u, r) for u, r in members if u.pk not in have]
            if added:
                wanted = [*have.values(), *added]
                if self.write(where, lambda: team_update(team=team, members=wanted)):
                    who = ", ".join(u.email for u, _ in added)
                    self.report.update("team", f"{team.slug} (members: + {who})")
            else:
                self.report.keep("team")
        for key in (ref.get("id"), full.get("id"), name):
            if key and team is not None:
                self.teams[key] = team
        return team


def _new_account(email: str, full_name: str):
    first, _, last = full_name.strip().partition(" ")
    user = User(username=email[:150], email=email, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.full_clean()
    user.save()
    return user
