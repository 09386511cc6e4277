"""Turn one replayed scenario into its rows: per team, per team and sprint, per person."""

from collections import defaultdict

from .charges import Charges
from .results import PersonBurden, ScenarioSprintLoad, ScenarioTeam
from .routing import Cell
from .stats import percent, rounded

EMPTY = Cell()


def fill(run, found: Charges, measures: dict) -> None:
    """Fill ``run.scenario`` from its charges, tally and standby (``measures``: base values)."""
    scenario, tally, duty = run.scenario, run.tally, run.duty
    totals = defaultdict(float)
    team_hours = {}
    peak = None
    for key, handler in sorted(run.handlers.items(), key=lambda kv: (kv[1].name, str(kv[0]))):
        row = _team(run, key, handler, found, totals)
        team_hours[key] = row.hours
        if handler.product and row.peak_share_percent is not None:
            peak = max(peak or 0.0, row.peak_share_percent)
        scenario.teams.append(row)
    sharing = run.sharing

    def per_engineer(value, digits=1):
        return rounded(value / sharing, digits) if sharing else None

    scenario.support_hours = scenario.interrupt_hours = rounded(totals["hours"], 2)
    scenario.penalty_hours = rounded(totals["penalty"], 2)
    scenario.estimated_hours = rounded(totals["estimated"], 2)
    scenario.reserved_hours = rounded(totals["reserved"], 2)
    scenario.lost_hours = rounded(totals["lost"], 2)
    scenario.product_capacity_hours = rounded(totals["capacity"], 2)
    scenario.capacity_lost_percent = measures["capacity_lost_percent"]
    scenario.peak_share_percent = peak
    scenario.people_interrupted = len(tally.interrupted)
    scenario.oncall_people = len(run.carriers)
    scenario.engineers_sharing = rounded(sharing, 1)
    scenario.pages = int(totals["pages"])
    scenario.pages_out_of_hours = int(totals["ooh"])
    scenario.ooh_pages_per_person = measures["ooh_pages_per_person"]
    scenario.max_ooh_pages_person = max(tally.person_ooh.values(), default=0)
    scenario.context_switches = int(totals["switches"])
    scenario.unrouted, scenario.off_rotation = tally.unrouted, tally.off_rotation
    scenario.oncall_at_once = duty.at_once
    scenario.standby_hours_per_engineer = measures["standby_hours_per_engineer"]
    scenario.max_standby_hours_person = rounded(max(duty.person_hours.values(), default=0.0), 1)
    scenario.weekend_hours_per_engineer = per_engineer(sum(duty.person_weekend.values()))
    scenario.nights_on_call_per_engineer = per_engineer(sum(duty.person_nights.values()))
    woken = {person: len(nights) for person, nights in tally.person_woken.items()}
    scenario.nights_woken_per_engineer = per_engineer(sum(woken.values()), 2)
    scenario.max_nights_woken_person = max(woken.values(), default=0)
    workers = sum(len(h.people) for k, h in run.handlers.items() if team_hours.get(k))
    if workers:
        scenario.interrupt_hours_per_engineer = rounded(totals["hours"] / workers, 1)
    scenario.mttm_minutes = measures["mttm_minutes"]
    scenario.people = _people(run, team_hours, woken)


def _team(run, key, handler, found: Charges, totals) -> ScenarioTeam:
    tally, duty, size = run.tally, run.duty, len(handler.people)
    row = ScenarioTeam(
        team=handler.slug, team_name=handler.name, kind=handler.kind, product=handler.product,
        people=size,
    )  # fmt: skip
    sums = defaultdict(float)
    shares = []
    for sprint in run.world.sprints:
        number = sprint.number
        charge = found.cells[key, number]
        cell = tally.cells.get((key, number), EMPTY)
        oncall = duty.hours.get((key, number), 0.0)
        load = ScenarioSprintLoad(
            team=handler.slug,
            sprint=number,
            first_day=sprint.first_day,
            hours=rounded(charge.interrupts, 2),
            capacity_hours=rounded(charge.capacity, 2),
            share_percent=percent(charge.lost, charge.capacity),
            penalty_hours=rounded(charge.penalty, 2),
            estimated_hours=rounded(cell.estimated, 2),
            reserved_hours=rounded(charge.reserved, 2),
            lost_hours=rounded(charge.lost, 2),
            oncall_hours=rounded(oncall, 1),
            standby_hours_per_engineer=rounded(oncall / size, 1) if size else None,
            weekend_oncall_hours=rounded(duty.weekend.get((key, number), 0.0), 1),
            nights_on_call=duty.nights.get((key, number), 0),
            pages=cell.pages,
            pages_out_of_hours=cell.ooh_pages,
            ooh_pages_per_engineer=rounded(cell.ooh_pages / size, 2) if size else None,
            nights_woken=cell.nights_woken,
            mttm_minutes=_mean_minutes(
                cell.mitigate_minutes + cell.mitigate_penalty, cell.mitigated
            ),
            context_switches=cell.incident_switches + cell.bug_switches,
            incidents=cell.incidents,
            bugs=cell.bugs,
        )
        run.scenario.loads.append(load)
        if load.share_percent is not None:
            shares.append(load.share_percent)
        for name, value in (
            ("hours", charge.interrupts), ("penalty", charge.penalty),
            ("estimated", cell.estimated), ("reserved", charge.reserved),
            ("lost", charge.lost), ("capacity", charge.capacity), ("oncall", oncall),
            ("weekend", load.weekend_oncall_hours), ("nights", load.nights_on_call),
            ("pages", cell.pages), ("ooh", cell.ooh_pages), ("woken", cell.nights_woken),
            ("switches", load.context_switches), ("incidents", cell.incidents),
            ("bugs", cell.bugs), ("mitigated", cell.mitigated),
            ("minutes", cell.mitigate_minutes + cell.mitigate_penalty),
        ):  # fmt: skip
            sums[name] += value
    row.hours, row.capacity_hours = rounded(sums["hours"], 2), rounded(sums["capacity"], 2)
    row.share_percent = percent(sums["lost"], sums["capacity"])
    row.peak_share_percent = max(shares) if shares else None
    row.incidents, row.bugs = int(sums["incidents"]), int(sums["bugs"])
    row.context_switches = int(sums["switches"])
    row.pages, row.pages_out_of_hours = int(sums["pages"]), int(sums["ooh"])
    row.penalty_hours = rounded(sums["penalty"], 2)
    row.estimated_hours = rounded(sums["estimated"], 2)
    row.reserved_hours, row.lost_hours = rounded(sums["reserved"], 2), rounded(sums["lost"], 2)
    row.oncall_hours = rounded(sums["oncall"], 1)
    row.standby_hours_per_engineer = rounded(sums["oncall"] / size, 1) if size else None
    row.weekend_oncall_hours = rounded(sums["weekend"], 1)
    row.nights_on_call, row.nights_woken = int(sums["nights"]), int(sums["woken"])
    row.mttm_minutes = _mean_minutes(sums["minutes"], sums["mitigated"])
    for name in ("hours", "penalty", "estimated", "pages", "ooh", "switches"):
        totals[name] += sums[name]
    if handler.product:
        for name in ("reserved", "lost", "capacity"):
            totals[name] += sums[name]
    return row


def _mean_minutes(minutes: float, count) -> float | None:
    return rounded(minutes / count, 1) if count else None


def _people(run, team_hours: dict, woken: dict) -> list[PersonBurden]:
    """Return the burden of everyone who was on call or paged, heaviest first."""
    data, tally, duty = run.world.data, run.tally, run.duty
    home = {}
    for key, handler in run.handlers.items():
        for person in handler.people:
            home.setdefault(person, key)
    home.update(duty.person_pool)
    found = []
    for person in set(duty.person_hours) | set(tally.person_pages):
        hours = duty.person_hours.get(person, 0.0)
        if not hours and not tally.person_pages.get(person):
            continue
        key = home.get(person)
        handler = run.handlers.get(key)
        share = team_hours.get(key, 0.0) / len(handler.people) if handler and handler.people else 0
        info = data.people.get(person)
        found.append(
            PersonBurden(
                person=info.username if info else str(person),
                team=handler.slug if handler else "",
                oncall_hours=rounded(hours, 1),
                weekend_oncall_hours=rounded(duty.person_weekend.get(person, 0.0), 1),
                nights_on_call=duty.person_nights.get(person, 0),
                pages=tally.person_pages.get(person, 0),
                pages_out_of_hours=tally.person_ooh.get(person, 0),
                nights_woken=woken.get(person, 0),
                interrupt_hours=rounded(share, 1),
            )
        )
    found.sort(key=lambda p: (-p.oncall_hours, -p.interrupt_hours, p.person))
    return found
