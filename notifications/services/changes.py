"""Record changes to people's duty as change notices, once per change and person affected."""

import datetime
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from ownership.models import Team
from rota.models import Override, Shift, ShiftChange, SwapRequest
from rota.selectors.schedule import restriction_windows

from ..conf import seconds
from ..models import ChangeNotice
from ..recipients import chunked
from ..selectors import members_by_team
from ..selectors.warnings import rotation_managers


def _when(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


class _Names:
    """Display names of people and teams, loaded in one query each."""

    def __init__(self, user_ids, team_ids):
        users = get_user_model().objects.filter(pk__in={u for u in user_ids if u})
        self.users = {u.pk: u.get_full_name() or u.get_username() for u in users}
        teams = Team.objects.filter(pk__in={t for t in team_ids if t})
        self.teams = dict(teams.values_list("pk", "name"))

    def who(self, user_id=None, team_id=None) -> str:
        if user_id:
            return self.users.get(user_id, f"user {user_id}")
        if team_id:
            return self.teams.get(team_id, f"team {team_id}")
        return ""


def _shift_change_notices(changes, members, names, now) -> list[ChangeNotice]:
    notices = []
    for change in changes:
        old, new = change.old or {}, change.new or {}
        ends = [_when(side.get("end")) for side in (old, new) if side.get("end")]
        if not ends or max(ends) <= now:
            continue  # only changes to duty that is not over yet concern anyone
        affected = set()
        for side in (old, new):
            if side.get("user"):
                affected.add(side["user"])
            elif side.get("team"):
                affected.update(members.get(side["team"], ()))
        affected.discard(change.changed_by_id)
        summary = {
            "kind": "shift",
            "action": change.action,
            "rotation": change.rotation.name,
            "by": names.who(change.changed_by_id),
            "note": change.note,
            "old": _side(old, names),
            "new": _side(new, names),
        }
        starts_at = _when((new or old).get("start"))
        notices += [
            ChangeNotice(
                user_id=user_id,
                source=f"change:{change.pk}",
                rotation_id=change.rotation_id,
                recorded_at=now,
                starts_at=starts_at,
                summary=summary,
            )
            for user_id in sorted(affected)
        ]
    return notices


def _side(side: dict, names) -> dict | None:
    if not side:
        return None
    return {
        "start": side.get("start"),
        "end": side.get("end"),
        "who": names.who(side.get("user"), side.get("team")),
        "user": side.get("user"),
    }


def _override_notices(overrides, covered, members, names, now) -> list[ChangeNotice]:
    notices = []
    for override in overrides:
        affected = (
            {override.user_id} if override.user_id else set(members.get(override.team_id, ()))
        )
        holders = set()
        for shift in covered.get(override.pk, ()):
            if shift.user_id:
                holders.add(shift.user_id)
            elif shift.team_id:
                holders.update(members.get(shift.team_id, ()))
        affected |= holders
        if override.sequence == 0:
            affected.discard(override.created_by_id)
        summary = {
            "kind": "override",
            "action": "created" if override.sequence == 0 else "changed",
            "rotation": override.rotation.name,
            "start": override.start.isoformat(),
            "end": override.end.isoformat(),
            "who": names.who(override.user_id, override.team_id),
            "user": override.user_id,
            "covered": [
                {"user": h, "who": names.who(h)} for h in sorted(holders - {override.user_id})
            ],
            "reason": override.reason,
        }
        notices += [
            ChangeNotice(
                user_id=user_id,
                source=f"override:{override.pk}:{override.sequence}",
                rotation_id=override.rotation_id,
                recorded_at=now,
                starts_at=override.start,
                summary=summary,
            )
            for user_id in sorted(affected)
        ]
    return notices


def _swap_source(swap: SwapRequest) -> str:
    # Taken again after a withdrawal is another request for approval: key on the taking.
    return f"swap:{swap.pk}:{int(swap.taken_at.timestamp())}"


def _swap_notice(swap, *, action, taker_id, source, user_ids, names, now) -> list[ChangeNotice]:
    """One notice per person in ``user_ids`` about ``swap``'s ``action`` by ``taker_id``."""
    summary = {
        "kind": "swap",
        "action": action,
        "rotation": swap.shift.rotation.name,
        "start": swap.shift.start.isoformat(),
        "end": swap.shift.end.isoformat(),
        "offered_by": names.who(swap.offered_by_id),
        "taken_by": names.who(taker_id),
        "swap": swap.pk,
    }
    return [
        ChangeNotice(
            user_id=user_id,
            source=source,
            rotation_id=swap.shift.rotation_id,
            recorded_at=now,
            starts_at=swap.shift.start,
            summary=summary,
        )
        for user_id in sorted(user_ids)
    ]


def _swap_notices(swaps, names, now) -> list[ChangeNotice]:
    """Tell the managers of each swap's rotation that it waits for their approval."""
    managers = rotation_managers({swap.shift.rotation for swap in swaps}) if swaps else {}
    notices = []
    for swap in swaps:
        notices += _swap_notice(
            swap,
            action="awaiting_approval",
            taker_id=swap.taken_by_id,
            source=_swap_source(swap),
            user_ids=managers.get(swap.shift.rotation_id, ()),
            names=names,
            now=now,
        )
    return notices


def _withdrawal_source(swap: SwapRequest) -> str:
    return f"swap-withdrawn:{swap.pk}:{int(swap.withdrawn_at.timestamp())}"


def _withdrawal_notices(swaps, names, now) -> list[ChangeNotice]:
    """Tell the offerer and the rotation's managers that a taker withdrew before approval."""
    managers = rotation_managers({swap.shift.rotation for swap in swaps}) if swaps else {}
    notices = []
    for swap in swaps:
        audience = set(managers.get(swap.shift.rotation_id, ())) | {swap.offered_by_id}
        audience.discard(swap.withdrawn_by_id)
        notices += _swap_notice(
            swap,
            action="withdrawn",
            taker_id=swap.withdrawn_by_id,
            source=_withdrawal_source(swap),
            user_ids=audience,
            names=names,
            now=now,
        )
    return notices


def _covered_shifts(overrides) -> dict[int, list[Shift]]:
    """Return, per override, the shifts it takes duty from, in one query per 200 overrides.

    A shift is covered where the override overlaps it within the rotation's restricted hours
    (the final schedule's rule): a cover lying wholly outside them takes nobody's duty.
    """
    found = defaultdict(list)
    for batch in chunked(overrides, 200):
        overlaps = Q()
        for override in batch:
            overlaps |= Q(
                rotation_id=override.rotation_id, start__lt=override.end, end__gt=override.start
            )
        shifts = list(
            Shift.objects.filter(overlaps).only(
                "pk", "rotation_id", "start", "end", "user_id", "team_id"
            )
        )
        for override in batch:
            for shift in shifts:
                if shift.rotation_id != override.rotation_id:
                    continue
                start, end = max(shift.start, override.start), min(shift.end, override.end)
                if start >= end:
                    continue
                if restriction_windows(override.rotation, start, end) == []:
                    continue  # only off-hours overlap: the shift holder had no duty there
                found[override.pk].append(shift)
    return found


def change_notices_collect(*, now: datetime.datetime) -> int:
    """Record a notice per person for each shift change and override seen since the lookback.

    Changes come from the rota's audit rows (created, edited, re-dealt, swapped, deleted
    shifts) and from overrides by version; each (person, change) is recorded once, stamped
    with ``now``. A swap taken and waiting for approval is a notice to the managers of its
    rotation (see ``rotation_managers``); a taker's withdrawal before approval is one to them and
    to the person who offered the shift. Return how many notices were recorded.
    """
    since = now - seconds("NOTIFICATIONS_CHANGE_LOOKBACK")
    known = set(
        ChangeNotice.objects.filter(recorded_at__gte=since).values_list("source", flat=True)
    )
    changes = [
        change
        for change in ShiftChange.objects.filter(changed_at__gte=since, changed_at__lte=now)
        .select_related("rotation")
        .order_by("pk")
        if f"change:{change.pk}" not in known
    ]
    overrides = [
        override
        for override in Override.objects.filter(
            updated_at__gte=since, updated_at__lte=now, end__gt=now
        )
        .select_related("rotation")
        .order_by("pk")
        if f"override:{override.pk}:{override.sequence}" not in known
    ]
    swaps = [
        swap
        for swap in SwapRequest.objects.filter(
            status=SwapRequest.Status.TAKEN, taken_at__gte=since, taken_at__lte=now
        )
        .select_related("shift__rotation")
        .order_by("pk")
        if _swap_source(swap) not in known
    ]
    withdrawals = [
        swap
        for swap in SwapRequest.objects.filter(
            withdrawn_at__gte=since, withdrawn_at__lte=now, withdrawn_by__isnull=False
        )
        .select_related("shift__rotation")
        .order_by("pk")
        if _withdrawal_source(swap) not in known
    ]
    if not changes and not overrides and not swaps and not withdrawals:
        return 0
    covered = _covered_shifts(overrides)
    team_ids = (
        {side.get("team") for c in changes for side in (c.old or {}, c.new or {}) if side}
        | {o.team_id for o in overrides}
        | {s.team_id for ss in covered.values() for s in ss}
    )
    members = members_by_team({t for t in team_ids if t})
    user_ids = (
        {side.get("user") for c in changes for side in (c.old or {}, c.new or {}) if side}
        | {c.changed_by_id for c in changes}
        | {o.user_id for o in overrides}
        | {s.user_id for ss in covered.values() for s in ss}
        | {swap.offered_by_id for swap in swaps}
        | {swap.taken_by_id for swap in swaps}
        | {swap.offered_by_id for swap in withdrawals}
        | {swap.withdrawn_by_id for swap in withdrawals}
    )
    names = _Names(user_ids, team_ids)
    notices = _shift_change_notices(changes, members, names, now)
    notices += _override_notices(overrides, covered, members, names, now)
    notices += _swap_notices(swaps, names, now)
    notices += _withdrawal_notices(withdrawals, names, now)
    with transaction.atomic():
        for batch in chunked(notices, 500):
            ChangeNotice.objects.bulk_create(batch, ignore_conflicts=True)
    return len(notices)
