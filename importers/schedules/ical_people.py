"""Who is on call in a feed's event: people matched by mapping, e-mail or name in the summary."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model

from .ical_feed import Occurrence

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
User = get_user_model()


def _words(term: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)


def _innermost(matches: list[tuple[tuple[int, int], object]]) -> set:
    """Drop matches lying inside a longer one ("Ann Lee" inside "Ann Lee-Smith"); return who."""
    return {
        who
        for span, who in matches
        if not any(
            other != span and other[0] <= span[0] and span[1] <= other[1] for other, _ in matches
        )
    }


class People:
    """Resolve an event to one Rota user, or say why not (see the module docstring)."""

    def __init__(self, mapping: dict[str, str]):
        self.users = list(User.objects.filter(is_active=True).order_by("username"))
        self.by_username = {u.username.casefold(): u for u in self.users}
        self.by_email: dict[str, list] = {}
        for user in self.users:
            if user.email:
                self.by_email.setdefault(user.email.casefold(), []).append(user)
        self.mapping = [(_words(text), text, target) for text, target in mapping.items()]
        self.names = [
            (_words(user.get_full_name()), user)
            for user in self.users
            if user.get_full_name().strip()
        ]
        self.usernames = [(_words(user.username), user) for user in self.users]
        self.cache: dict[tuple, tuple] = {}

    def _target(self, target: str):
        target = target.strip().casefold()
        user = self.by_username.get(target)
        if user is not None:
            return user
        users = self.by_email.get(target, [])
        return users[0] if len(users) == 1 else None

    def _by_email(self, text: str) -> tuple[set, list[str]]:
        emails = [e.casefold() for e in EMAIL.findall(text)]
        users = {u for e in emails for u in self.by_email.get(e, [])}
        return users, emails

    def resolve(self, occurrence: Occurrence) -> tuple[object | None, str]:
        """Return (user, "") or (None, why nobody or several people match)."""
        # Occurrences of one recurring event name the same person: work it out once.
        text = (occurrence.summary, occurrence.attendees, occurrence.description)
        if text not in self.cache:
            self.cache[text] = self._resolve(occurrence)
        return self.cache[text]

    def _resolve(self, occurrence: Occurrence) -> tuple[object | None, str]:
        summary = occurrence.summary
        shown = f'"{summary}"'
        hits = []
        for pattern, text, target in self.mapping:
            match = pattern.search(summary)
            if match is None:
                continue
            user = self._target(target)
            if user is None:
                return None, f'the mapping sends "{text}" to "{target}", who is no Rota user'
            hits.append((match.span(), user))
        if hits:
            return self._one(_innermost(hits), shown, "the mapping")
        unknown: list[str] = []
        for label, text in (
            ("the summary", summary),
            ("the attendees", " ".join(occurrence.attendees)),
            ("the description", occurrence.description),
        ):
            users, emails = self._by_email(text)
            if users:
                return self._one(users, shown, f"the e-mails in {label}")
            unknown += emails
        for label, patterns in (("full name", self.names), ("username", self.usernames)):
            hits = [
                (m.span(), user)
                for pattern, user in patterns
                for m in [pattern.search(summary)]
                if m is not None
            ]
            if hits:
                return self._one(_innermost(hits), shown, f"the {label}s in the summary")
        why = f"nobody in Rota matches {shown}"
        if unknown:
            why += f" (no Rota user has the e-mail {', '.join(sorted(set(unknown)))})"
        return None, why + "; map the summary to a username in the mapping file"

    @staticmethod
    def _one(users: set, shown: str, how: str) -> tuple[object | None, str]:
        if len(users) == 1:
            return next(iter(users)), ""
        names = ", ".join(sorted(u.username for u in users))
        return None, f"{shown} is ambiguous: {how} name {names}; say which in the mapping file"


# --- writing -------------------------------------------------------------------------------
