"""What each kind of delivery says, composed when it is sent from the rota as it is then.

A reminder or handoff whose shift was reassigned, moved or deleted since the scanner found it
is not sent (``NoLongerApplies``): the scanner finds the new occurrence under a new key.
"""

import datetime

from django.conf import settings

from core.timeutil import zone
from ownership.models import Membership
from rota.models import Override, Shift
from rota.selectors.duty import LOOKBACK, holder_label, pieces, same_holder
from rota.selectors.schedule import final_schedule

from .content_duty import duty_sections
from .incidents import describe_incident, open_incidents_for_rotation
from .messages import (
    Audience,
    Content,
    Link,
    Message,
    NoLongerApplies,
    Section,
    audience_for,
    in_words,
    local,
    local_span,
    render,
    site_link,
)
from .models import ChangeNotice, Delivery
from .selectors import handoffs_for
from .sources import content_builders


def _member(team_id, user_id) -> bool:
    return Membership.objects.filter(team_id=team_id, user_id=user_id).exists()


def _holds(holder, audience: Audience) -> bool:
    """Return whether the audience is (or, for a team, belongs to) the holder of duty."""
    if holder is None:
        return False
    if audience.user_id is not None:
        if holder.user is not None:
            return holder.user.pk == audience.user_id
        return holder.team is not None and _member(holder.team.pk, audience.user_id)
    return holder.team is not None and holder.team.pk == audience.team_id


def _source_row(source: str):
    """Return the shift or override a duty source names, with its rotation, or raise."""
    kind, _, pk = source.partition("-")
    model = Override if kind == "override" else Shift
    row = (
        model.objects.select_related("rotation", "rotation__team", "user", "team")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NoLongerApplies(f"The {kind} was deleted.")
    return row


def _team_link(rotation) -> str:
    if rotation.team_id:
        return f"{settings.SITE_URL}{rotation.team.get_absolute_url()}"
    return site_link("my-rota")


def reminder(delivery: Delivery, audience: Audience, now) -> Content:
    """Say that a piece of duty starts soon, as the final schedule has it now.

    The delivery names a source (a shift or a cover) and the start of one piece of it; it is
    refused unless that piece still starts then and the audience still holds it. The piece
    ends where the holder actually stops: the end of the shift, or the start of a cover.
    """
    source = delivery.payload.get("source") or delivery.key.split("/")[1]
    row = _source_row(source)
    start = delivery.occurs_at
    if now >= start:
        raise NoLongerApplies("The shift has started.")
    if not row.start <= start < row.end:
        raise NoLongerApplies("The shift moved; the reminder for its new start replaces this.")
    segments = final_schedule(
        rotation=row.rotation, start=min(row.start, start - LOOKBACK), end=row.end
    )
    mine = [p for p in pieces(segments) if p.source == source]
    piece = next((p for p in mine if p.start == start), None)
    if piece is None:
        if any(s.is_override and s.start <= start < s.end for s in segments):
            raise NoLongerApplies(
                "Someone else covers this time now; whoever is on duty then is reminded instead."
            )
        raise NoLongerApplies("The shift moved; the reminder for its new start replaces this.")
    if not _holds(piece, audience):
        raise NoLongerApplies("The shift was reassigned; its new holder is reminded instead.")
    rotation = row.rotation
    tz, name = audience.tz, rotation.name
    when, soon = local(start, tz), in_words(start - now)
    lines = [f"Starts: {when}", f"Ends: {local(piece.end, tz)}"]
    if isinstance(row, Override):
        return _cover_reminder(row, piece, audience, lines, when, soon)
    sections = [Section("Support shift" if row.team_id else "Shift", lines)]
    covers = [
        s
        for s in segments
        if s.is_override and s.start < row.end and s.end > row.start and not same_holder(s, row)
    ]
    if covers:
        lines = [f"{holder_label(s)}: {local_span(s.start, s.end, tz)}" for s in covers]
        sections.append(Section("Covered by someone else", lines))
    others = [local_span(p.start, p.end, tz) for p in mine if p is not piece]
    if others:
        sections.append(Section("Your other duty on this shift", others))
    sections += duty_sections(rotation, piece)
    # Duty that starts where a cover of the same shift ended is taken back, not begun.
    resumes = any(s.start < piece.start for s in covers)
    if row.user_id is not None:
        if resumes:
            return Content(
                subject=f"Reminder: your {name} shift resumes {when}",
                intro=f"Your shift on {name} resumes {soon}, after a cover.",
                sections=sections,
            )
        return Content(
            subject=f"Reminder: your {name} shift starts {when}",
            intro=f"Your shift on {name} starts {soon}.",
            sections=sections,
        )
    team = row.team.name
    verb = "takes back" if resumes else "takes over"
    return Content(
        subject=f"Reminder: {team} {verb} {name} on {when}",
        intro=f"{team} {verb} {name} {soon}.",
        sections=sections,
    )


def _cover_reminder(override, piece, audience, lines, when, soon) -> Content:
    rotation = override.rotation
    name = rotation.name
    covered = sorted(
        {
            holder_label(shift)
            for shift in Shift.objects.filter(
                rotation=rotation, start__lt=piece.end, end__gt=piece.start
            ).select_related("user", "team")
            if (shift.user_id or shift.team_id) and not same_holder(shift, override)
        }
    )
    lines.append(f"Rotation: {name}")
    if rotation.team_id:
        lines.append(f"Team: {rotation.team.name}")
    if covered:
        lines.append(f"Covering for: {', '.join(covered)}")
    if override.reason:
        lines.append(f"Reason: {override.reason}")
    lines.append(Link("Link", _team_link(rotation)))
    if override.user_id is not None:
        subject = f"Reminder: you cover {name} from {when}"
    else:
        subject = f"Reminder: {override.team.name} covers {name} from {when}"
    return Content(
        subject=subject,
        intro=f"Your cover of {name} starts {soon}.",
        sections=[Section("Cover", lines), *duty_sections(rotation, piece)],
    )


def handoff(delivery: Delivery, audience: Audience, now) -> Content:
    """Say who takes over from whom, as the final schedule has it, with open incidents."""
    source = delivery.payload.get("source") or delivery.key.split("/")[1]
    row = _source_row(source)
    rotation = row.rotation
    found = handoffs_for([(rotation, delivery.occurs_at)], until=row.end)
    start = delivery.payload.get("start")
    if (
        not found
        or found[0].source != source
        or (start and found[0].incoming.start != datetime.datetime.fromisoformat(start))
    ):
        raise NoLongerApplies("The shift moved or is covered; this handoff no longer happens.")
    (found,) = found
    if audience.user_id is not None and audience.user_id not in found.people:
        raise NoLongerApplies("The person is no longer part of this handoff.")
    if audience.team_id is not None and audience.team_id not in found.teams:
        raise NoLongerApplies("The team is no longer part of this handoff.")
    piece, previous = found.piece, found.outgoing
    incoming = holder_label(piece)
    outgoing = holder_label(previous) if previous is not None else "nobody"
    tz, name = audience.tz, rotation.name
    taking = _holds(piece, audience)
    leaving = _holds(previous, audience)
    if audience.team_id is not None:
        intro = f"{incoming} takes over {name} from {outgoing}."
    elif taking and leaving:
        intro = f"You stay on duty for {name} until {local(piece.end, tz)}."
    elif taking and previous is None:
        intro = f"You are on duty for {name} now."
    elif taking:
        intro = f"You are on duty for {name} now, taking over from {outgoing}."
    elif leaving:
        intro = f"Your duty on {name} has ended; {incoming} takes over."
    else:
        intro = f"{incoming} takes over {name} from {outgoing}."
    if piece.user is None and piece.team is None:
        intro += " Nobody is on this shift: the rota has a gap."
    incidents = [describe_incident(i) for i in open_incidents_for_rotation(rotation)]
    passes = f"from {outgoing} to {incoming}" if previous is not None else f"to {incoming}"
    heading = "Cover" if piece.override_id is not None else "Shift"
    return Content(
        subject=f"Handoff: {name} passes {passes}",
        intro=intro,
        sections=[
            Section(heading, [f"{incoming}: {local_span(piece.start, piece.end, tz)}"]),
            *duty_sections(rotation, piece, before=outgoing),
            Section("Open incidents", incidents or ["No open incidents."]),
        ],
    )


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
            verb = "swapped" if action in ("swapped", "leave") else "reassigned"
            parts.append(f"{verb} from {_who(old, audience)} to {_who(new, audience)}")
        text = f"{rotation}: the shift {span(old)} " + (" and ".join(parts) or "was changed")
    if action == "leave" and summary.get("note"):
        text += f" because {summary['note']}"  # e.g. "Carol Jones is on leave"
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


def _swap_change(summary: dict, audience: Audience) -> str:
    span = local_span(_when(summary["start"]), _when(summary["end"]), audience.tz)
    if summary.get("action") == "withdrawn":
        return (
            f"{summary['rotation']}: {summary['taken_by']} withdrew from taking the shift "
            f"{span} offered by {summary['offered_by']}; it is on offer again and no longer "
            "waits for approval"
        )
    return (
        f"{summary['rotation']}: {summary['taken_by']} took the shift {span} offered by "
        f"{summary['offered_by']}; it waits for your approval (My rota, or Swap requests "
        "in the admin)"
    )


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
    builders = {"override": _override_change, "swap": _swap_change}
    lines = [
        builders.get(n.summary.get("kind"), _shift_change)(n.summary, audience) for n in notices
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
}


def compose(delivery: Delivery, *, now: datetime.datetime) -> Message:
    """Return the delivery's message as it should read now, or raise NoLongerApplies."""
    audience = audience_for(delivery)
    builder = BUILDERS.get(delivery.kind) or content_builders()[delivery.kind]
    return render(delivery, audience, builder(delivery, audience, now))
