"""What each kind of delivery says, composed when it is sent from the rota as it is then.

A reminder or handoff whose shift was reassigned, moved or deleted since the scanner found it
is not sent (``NoLongerApplies``): the scanner finds the new occurrence under a new key.
"""

import datetime

from ownership.models import Membership
from rota.models import Override, Shift
from rota.timeutil import zone

from . import content_teams
from .incidents import describe_incident, open_incidents_for_rotation
from .messages import (
    Audience,
    Content,
    Message,
    NoLongerApplies,
    Section,
    audience_for,
    in_words,
    local,
    local_span,
    render,
)
from .models import ChangeNotice, Delivery
from .selectors import handoffs_for


def _assignee(duty) -> str:
    if duty is None:
        return "nobody"
    if duty.user_id is not None:
        return duty.user.get_full_name() or duty.user.get_username()
    if duty.team_id is not None:
        return duty.team.name
    return "nobody"


def _member(team_id, user_id) -> bool:
    return Membership.objects.filter(team_id=team_id, user_id=user_id).exists()


def _reminder_duty(delivery: Delivery):
    source = delivery.payload.get("source") or delivery.key.split("/")[1]
    kind, _, pk = source.partition("-")
    model = Override if kind == "override" else Shift
    duty = model.objects.select_related("rotation", "user", "team").filter(pk=pk).first()
    if duty is None:
        raise NoLongerApplies(f"The {kind} was deleted.")
    return duty


def reminder(delivery: Delivery, audience: Audience, now) -> Content:
    """Say that duty starts soon; refuse unless the audience is still the one on duty then."""
    duty = _reminder_duty(delivery)
    if duty.start != delivery.occurs_at:
        raise NoLongerApplies("The shift moved; the reminder for its new start replaces this.")
    if now >= duty.start:
        raise NoLongerApplies("The shift has started.")
    if audience.user_id is not None:
        on_duty = duty.user_id == audience.user_id or (
            duty.team_id is not None and _member(duty.team_id, audience.user_id)
        )
    else:
        on_duty = duty.team_id == audience.team_id
    if not on_duty:
        raise NoLongerApplies("The shift was reassigned; its new holder is reminded instead.")
    tz, rotation = audience.tz, duty.rotation.name
    when, soon = local(duty.start, tz), in_words(duty.start - now)
    lines = [f"Starts: {when}", f"Ends: {local(duty.end, tz)}"]
    if isinstance(duty, Override):
        if duty.reason:
            lines.append(f"Reason: {duty.reason}")
        who = "you" if duty.user_id == audience.user_id else duty.team.name if duty.team else ""
        return Content(
            subject=f"Reminder: {who or 'your team'} cover {rotation} from {when}",
            intro=f"Your cover of {rotation} starts {soon}.",
            sections=[Section("Cover", lines)],
        )
    if duty.user_id is not None:
        return Content(
            subject=f"Reminder: your {rotation} shift starts {when}",
            intro=f"Your shift on {rotation} starts {soon}.",
            sections=[Section("Shift", lines)],
        )
    team = duty.team.name
    return Content(
        subject=f"Reminder: {team} takes over {rotation} on {when}",
        intro=f"{team} takes over {rotation} {soon}.",
        sections=[Section("Support shift", lines)],
    )


def handoff(delivery: Delivery, audience: Audience, now) -> Content:
    """Say who takes over from whom, with the rotation's open incidents."""
    shift = (
        Shift.objects.select_related("rotation", "user", "team")
        .filter(pk=delivery.shift_id)
        .first()
        if delivery.shift_id
        else None
    )
    if shift is None:
        raise NoLongerApplies("The shift was deleted.")
    if shift.start != delivery.occurs_at:
        raise NoLongerApplies("The shift moved.")
    (found,) = handoffs_for([shift])
    if audience.user_id is not None and audience.user_id not in found.people:
        raise NoLongerApplies("The person is no longer part of this handoff.")
    if audience.team_id is not None and audience.team_id not in found.teams:
        raise NoLongerApplies("The team is no longer part of this handoff.")
    previous = found.previous
    incoming, outgoing = _assignee(shift), _assignee(previous)
    tz, rotation = audience.tz, shift.rotation.name
    taking = _concerns(shift, audience)
    leaving = previous is not None and _concerns(previous, audience)
    if audience.team_id is not None:
        intro = f"{incoming} takes over {rotation} from {outgoing}."
    elif taking and leaving:
        intro = f"You stay on duty for {rotation} until {local(shift.end, tz)}."
    elif taking and previous is None:
        intro = f"You are on duty for {rotation} now."
    elif taking:
        intro = f"You are on duty for {rotation} now, taking over from {outgoing}."
    elif leaving:
        intro = f"Your duty on {rotation} has ended; {incoming} takes over."
    else:
        intro = f"{incoming} takes over {rotation} from {outgoing}."
    if shift.user_id is None and shift.team_id is None:
        intro += " Nobody is on this shift: the rota has a gap."
    incidents = [describe_incident(i) for i in open_incidents_for_rotation(shift.rotation)]
    passes = f"from {outgoing} to {incoming}" if previous is not None else f"to {incoming}"
    return Content(
        subject=f"Handoff: {rotation} passes {passes}",
        intro=intro,
        sections=[
            Section("Shift", [f"{incoming}: {local_span(shift.start, shift.end, tz)}"]),
            Section("Open incidents", incidents or ["No open incidents."]),
        ],
    )


def _concerns(shift: Shift, audience: Audience) -> bool:
    if audience.user_id is None:
        return False
    if shift.user_id is not None:
        return shift.user_id == audience.user_id
    return shift.team_id is not None and _member(shift.team_id, audience.user_id)


def _when(value) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def _who(side: dict, audience: Audience) -> str:
    if audience.is_person(side.get("user")):
        return "you"
    return side.get("who") or "nobody"


def _shift_change(summary: dict, audience: Audience) -> str:
    tz, rotation = audience.tz, summary["rotation"]
    old, new, action = summary.get("old"), summary.get("new"), summary["action"]

    def span(side):
        return local_span(_when(side["start"]), _when(side["end"]), tz)

    if old is None:
        text = f"{rotation}: new shift {span(new)} for {_who(new, audience)}"
    elif new is None:
        text = f"{rotation}: the shift {span(old)} of {_who(old, audience)} was removed"
    else:
        parts = []
        if (old["start"], old["end"]) != (new["start"], new["end"]):
            parts.append(f"moved to {span(new)}")
        if (old.get("user"), old["who"]) != (new.get("user"), new["who"]):
            verb = "swapped" if action == "swapped" else "reassigned"
            parts.append(f"{verb} from {_who(old, audience)} to {_who(new, audience)}")
        text = f"{rotation}: the shift {span(old)} " + (" and ".join(parts) or "was changed")
    if summary.get("by"):
        text += f" (by {summary['by']})"
    return text


def _override_change(summary: dict, audience: Audience) -> str:
    who = _who(summary, audience)
    verb = "cover" if who == "you" else "covers"
    span = local_span(_when(summary["start"]), _when(summary["end"]), audience.tz)
    text = f"{summary['rotation']}: {who} {verb} {span}"
    covered = [_who(side, audience) for side in summary.get("covered", ())]
    if covered:
        text += f" for {', '.join(covered)}"
    if summary.get("reason"):
        text += f" ({summary['reason']})"
    return ("Cover changed - " if summary["action"] == "changed" else "") + text


def changes(delivery: Delivery, audience: Audience, now) -> Content:
    """List the changes to the person's duty recorded within the delivery's batch window."""
    end = _when(delivery.payload["window_end"])
    notices = list(
        ChangeNotice.objects.filter(
            user_id=delivery.user_id, recorded_at__gte=delivery.occurs_at, recorded_at__lt=end
        ).order_by("starts_at", "pk")
    )
    if not notices:
        raise NoLongerApplies("No changes were recorded in this window.")
    lines = [
        _override_change(n.summary, audience)
        if n.summary.get("kind") == "override"
        else _shift_change(n.summary, audience)
        for n in notices
    ]
    count = len(lines)
    return Content(
        subject=f"Rota changes: {count} change{'s' if count != 1 else ''} to your duty",
        intro="The rota changed in ways that concern you.",
        sections=[Section("Changes", lines)],
    )


def _warning_section(rotation: dict, tz) -> Section:
    def span(item):
        return local_span(_when(item["start"]), _when(item["end"]), tz)

    lines = [f"Nobody on duty: {span(gap)}" for gap in rotation["gaps"]]
    for item in rotation["double_bookings"]:
        if item["kind"] == "overlap":
            lines.append(f"Overlapping shifts: {span(item)}")
        elif item.get("other_rotation_name"):
            lines.append(
                f"{item['who']} is on {item['rotation_name']} and {item['other_rotation_name']} "
                f"from {local(_when(item['start']), tz)} to {local(_when(item['end']), tz)}"
            )
        else:
            lines.append(f"{item['who']} is on duty in another rotation too: {span(item)}")
    lines += [
        f"{item['who']} is on duty while away ({item['reason']}): {span(item)}"
        for item in rotation["conflicts"]
    ]
    listed = sum(len(rotation[name]) for name in ("gaps", "double_bookings", "conflicts"))
    total = sum(rotation["counts"].values())
    if total > listed:
        lines.append(f"... and {total - listed} more.")
    return Section(rotation["name"], lines)


def _cover_section(component: dict) -> Section:
    """List a component's uncovered out-of-hours spans in the responding team's zone."""
    lines = []
    for item in component["uncovered"]:
        # The team's own clock: "nights and weekends" only read right in its zone.
        tz = zone(item.get("timezone") or "UTC")
        span = local_span(_when(item["start"]), _when(item["end"]), tz)
        lines.append(f"Nobody to page for {item['team'] or 'no responding team'}: {span}")
    more = component["counts"]["uncovered"] - len(component["uncovered"])
    if more > 0:
        lines.append(f"... and {more} more.")
    return Section(
        f"{component['name']} (tier {component['tier']}): no out-of-hours cover, "
        f"{component['hours']:g} h",
        lines,
    )


def warning(delivery: Delivery, audience: Audience, now) -> Content:
    """List the problems of the managers' rotations and the components nobody covers."""
    rotations = delivery.payload["rotations"]
    components = delivery.payload.get("components", [])
    weeks = delivery.payload.get("weeks", 4)
    # A component counts once, however many spans it has.
    total = sum(sum(r["counts"].values()) for r in rotations) + len(components)
    what = "rotations and components you look after" if components else "rotations you manage"
    return Content(
        subject=f"Rota check: {total} problem{'s' if total != 1 else ''} in the next {weeks} weeks",
        intro=f"These {what} need attention in the next {weeks} weeks.",
        sections=[_warning_section(rotation, audience.tz) for rotation in rotations]
        + [_cover_section(component) for component in components],
    )


BUILDERS = {
    Delivery.Kind.REMINDER: reminder,
    Delivery.Kind.HANDOFF: handoff,
    Delivery.Kind.CHANGES: changes,
    Delivery.Kind.WARNING: warning,
    **content_teams.BUILDERS,
}


def compose(delivery: Delivery, *, now: datetime.datetime) -> Message:
    """Return the delivery's message as it should read now, or raise NoLongerApplies."""
    audience = audience_for(delivery)
    return render(delivery, audience, BUILDERS[delivery.kind](delivery, audience, now))
