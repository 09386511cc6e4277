"""The rules of a model comparison in words, each with the numbers it used."""

from collections import defaultdict

from . import decision, effort
from .routing import FIRST_LINE_TRIAGE_HOURS


def _names(handlers) -> str:
    return ", ".join(sorted(h.name for h in handlers)) or "none"


def _in_order(handlers) -> str:
    return ", ".join(h.name for h in handlers) or "none"


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def describe(world) -> list[str]:
    """Return the assumptions of ``world`` (a ``reports.scenarios.World``)."""
    params, data, sprints = world.params, world.data, world.sprints
    incidents = [i for i in world.items if i.kind == "incident"]
    bugs = [i for i in world.items if i.kind == "bug"]
    estimated = [i for i in incidents if i.estimated]
    product = [h for h in world.teams.values() if h.product]
    others = [h for h in world.teams.values() if not h.product]
    texts = [
        f"Replayed: {len(incidents)} incidents and {len(bugs)} bugs of {len(sprints)} whole "
        f"sprints ({sprints[0].first_day:%d %b %Y} to {sprints[-1].last_day:%d %b %Y}, "
        f"{data.cadence.name}); their times, urgencies, components and recorded effort stay "
        "as they were.",
        "Effort: minutes logged where recorded. Otherwise an estimate, marked estimated: the "
        "working hours (Monday-Friday 09:00-17:00 in the responding team's time zone, public "
        "holidays excluded) from acknowledgement to mitigation (or resolution), at most "
        f"{effort.MAX_ESTIMATED_HOURS:g} h; {len(estimated)} of {len(incidents)} incidents "
        f"are estimated ({_number(sum(i.hours for i in estimated))} h). A bug without logged "
        "time counts the working hours of its investigation (estimated too), in the sprints "
        "in which they fall.",
        "Total ownership: the team that owned the component at the time handles its "
        "incidents and bugs (if nobody owned it, the team that actually responded).",
        _dedicated(world),
        _rotating(world),
        f"Handling a component the team does not own costs {params.penalty_percent:g}% more "
        f"hours (shown as penalty hours) and takes {params.mitigation_penalty_percent:g}% "
        "longer to mitigate. This hits the dedicated team on everything and a rotating team on "
        "other teams' components; the first line's own mitigations carry no penalty.",
        _reserved(world),
        "Product capacity: per sprint, a product team's head count less leave and holidays, "
        f"times its working hours per day. Only product teams count ({_names(product)}); "
        + (f"not {_names(others)} (support and operations teams), " if others else "")
        + "nor the virtual dedicated team or first line. Capacity lost = reserved hours, or "
        "the interrupt work where it exceeds them.",
        "Standby: every team on duty has one person on call around the clock, in weekly "
        "turns (engineers and leads who take turns in a rotation, in username order; weeks "
        f"counted from {data.cadence.start_date:%d %b %Y}, the first day of sprint 0, so the "
        "turns do not depend on the period). A night (22:00-07:00 local) on call counts for "
        "whoever holds 02:00; weekend hours are those on a local Saturday or Sunday. People "
        "on call at once: on-call hours over the hours of the period. Per engineer means over "
        "the engineers sharing the duty, each counted by their part of it ((sum of hours)² / "
        "sum of squared hours), so a few hours' cover does not count as a whole engineer.",
        "Pages: an interrupting incident pages the handling team's person on call; it is out "
        "of hours outside that team's working hours, and a page between 22:00 and 07:00 local "
        "wakes them (one night woken per person and night). Bugs are planned work: they page "
        "nobody.",
        f"First line (the variants marked so): a rotation of {params.first_line_size} "
        "operations people is paged first. Incidents mitigated by rollback, restart or "
        "configuration change are mitigated by the first line (its time: until mitigation, "
        "no penalty) and reach the handling team as planned work without a page; others are "
        f"escalated after {FIRST_LINE_TRIAGE_HOURS * 60:g} minutes of first-line triage, "
        "which adds to their time to mitigate.",
        "Time to mitigate: of interrupting incidents, from creation to mitigation (or "
        "resolution) as recorded, taken as the owning team's time; the penalty above applies "
        "when another team handles it.",
        "A context switch is an incident or bug handled by a team that did not own its "
        "component at the time.",
        _weights(params),
        _sensitivity(params),
    ]
    return texts


def _dedicated(world) -> str:
    params = world.params
    taken = ", ".join(
        f"{world.teams[key].name} {_number(people)}"
        for key, people in sorted(world.taken.items(), key=lambda kv: world.teams[kv[0]].name)
    )
    how = "as configured" if params.dedicated_from else "in proportion to their size"
    return (
        f"Dedicated support team: a standing team of {_number(world.dedicated.size)} people "
        f"handles everything, in the sprint calendar's time zone. Its people come out of the "
        f"product teams, {how} ({taken or 'no product team'} people), so each product team "
        "loses those people's capacity whatever the load, and its share of any work beyond "
        "the dedicated team's capacity."
    )


def _rotating(world) -> str:
    plan, rotation = world.plan, world.data.team_rotation
    if plan["mode"] == "configured":
        names = _in_order(world.teams[t] for t in rotation.participants if t in world.teams)
        return (
            f"Rotating support team: the configured team rotation “{rotation.name}” of the "
            f"policy “{rotation.policy}” ({names}; shifts of {rotation.shift_length}) is "
            "replayed from its final schedule (shifts with overrides); the team on shift "
            "handles everything. Outside any shift the owning team handles the work "
            f"({world_off(world)})."
        )
    order = _in_order(plan["order"])
    start = f"counted from sprint {plan['anchor']}"
    if plan["mode"] == "what-if":
        source = "what-if: the configured rotation's teams" if rotation else "what-if: the teams"
        return (
            f"Rotating support team ({source}): {order} take shifts of {plan['length']} "
            f"sprint(s) in that order, {start}; the team on shift handles everything."
        )
    if plan["mode"] == "configured-no-shifts":
        return (
            f"Rotating support team: the configured rotation “{rotation.name}” has no shifts "
            f"in the period, so its teams ({order}) take shifts of {plan['length']} sprint(s) "
            f"in turn, {start}."
        )
    return (
        "Rotating support team: no rotating support policy is configured, so the product "
        f"teams that own components ({order}) take shifts of {plan['length']} sprint(s) in "
        f"name order, {start} of the sprint calendar (not from the period's start)."
    )


def world_off(world) -> str:
    gaps = world.plan["gaps"]
    hours = sum((end - start).total_seconds() / 3600 for start, end in gaps)
    return f"{_number(hours)} h of the period are outside any shift"


def _reserved(world) -> str:
    params = world.params
    if params.buffer_percent is not None:
        buffers = f"every team {params.buffer_percent:g}% (as asked)"
    else:
        by_percent = defaultdict(list)
        for handler in world.teams.values():
            by_percent[handler.buffer_percent].append(handler.name)
        buffers = "; ".join(
            f"{', '.join(sorted(names))} {percent:g}%"
            for percent, names in sorted(by_percent.items())
        )
    return (
        "Reserved capacity: a team on support duty keeps the buffer it plans for the share "
        f"of each sprint it is on duty ({buffers or 'no teams'}): every owning team under "
        "total ownership, the team on shift under rotating support, none of the product "
        "teams under a dedicated team. The dedicated team's whole capacity is reserved."
    )


def _weights(params) -> str:
    weights = ", ".join(
        f"{decision.MEASURES[m][0].lower()} {params.weights.get(m, 0):g}" for m in decision.MEASURES
    )
    return (
        f"Decision summary: weights {weights}. On each measure a model scores its value over "
        "the worst model's (1 = worst, 0 = nothing); the overall score is the weighted mean "
        f"(lower is better); overall scores within {decision.TIE:g} of each other tie, and so "
        "does a chain of such scores, so no model is ranked below one it ties with."
    )


def _sensitivity(params) -> str:
    numbers = params.sensitivity
    return (
        "Sensitivity: the ranking is recomputed if incidents were "
        f"×{numbers.get('incident_factor', 0):g} (each incident's hours, pages and context "
        "switches; bugs as recorded), if every team's buffer were "
        f"{numbers.get('buffer_percent', 0):g}%, and if the non-owner penalties were "
        f"×{numbers.get('penalty_factor', 0):g}."
    )
