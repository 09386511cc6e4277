"""Route a scenario's incidents and bugs to their handlers and tally the work and the pages.

:func:`replay` is the inner loop of the model comparison: six scenarios over every incident
and bug of the period, tens of thousands of them. It reads each item's fields once, as a
tuple (:func:`plain`, built once for all scenarios), and keeps its sums in the same order as
one addition per item and cell, so the floating-point totals do not depend on how it is
written.
"""

from collections import defaultdict

FIRST_LINE_TRIAGE_HOURS = 0.25
MINUTE = 60.0


class Cell:
    """What one handler accumulates in one sprint."""

    __slots__ = (
        "incident_hours", "incident_penalty", "bug_hours", "bug_penalty", "estimated",
        "incident_switches", "bug_switches", "incidents", "bugs", "pages", "ooh_pages",
        "nights_woken", "mitigated", "mitigate_minutes", "mitigate_penalty",
    )  # fmt: skip

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, 0)


class Tally:
    """What one scenario accumulates while its items are replayed."""

    def __init__(self):
        self.cells = defaultdict(Cell)  # (handler key, sprint) -> Cell
        self.handlers: dict = {}
        self.person_pages = defaultdict(int)
        self.person_ooh = defaultdict(int)
        self.person_woken = defaultdict(set)  # person -> nights
        self.interrupted = set()
        self.unrouted = 0
        self.off_rotation = 0


def plain(items) -> list[tuple]:
    """Return each item's fields as the replay reads them, as one tuple per item.

    (is a bug, sprint, on-call week, owner, hours, responding hours, estimated, interrupting,
    the first line can mitigate, parts, minutes to restore, instant).
    """
    return [
        (
            i.kind == "bug", i.sprint, i.week, i.owner, i.hours, i.respond_hours, i.estimated,
            i.interrupting, i.first_line_can_mitigate, i.parts, i.restore_minutes, i.at,
        )
        for i in items
    ]  # fmt: skip


def replay(rows: list[tuple], routes: list, first_line, standing, params) -> Tally:
    """Charge every item to its handler under one scenario; return the tally.

    ``rows`` are the items as :func:`plain` gives them; ``routes`` the (handler, off the
    rotation: 0 or 1) of each, the handler None when nobody takes it. ``first_line`` is the
    first-line handler, or None; ``standing`` the handlers that exist (and cost) even when
    nothing happens. A first line takes every incident first: it mitigates those it can
    (their responding hours, without a page to the team) and triages the others for
    ``FIRST_LINE_TRIAGE_HOURS`` before paging the handler.
    """
    tally = Tally()
    penalty = params.penalty_percent / 100.0
    slower = params.mitigation_penalty_percent / 100.0
    triage_minutes = FIRST_LINE_TRIAGE_HOURS * MINUTE
    cells, handlers = tally.cells, tally.handlers
    interrupted, person_pages = tally.interrupted, tally.person_pages
    person_ooh, person_woken = tally.person_ooh, tally.person_woken
    for handler in standing:
        handlers[handler.key] = handler

    def work(handler, row, share, extra):
        """Charge ``share`` of an incident's hours; return the handler's cell."""
        key = handler.key
        handlers[key] = handler
        cell = cells[key, row[1]]
        worked = row[4] * share
        cell.incident_hours += worked
        cell.incidents += 1
        if key != row[3]:
            cell.incident_penalty += worked * extra
            cell.incident_switches += 1
        if row[6]:
            cell.estimated += worked
        return cell

    def page(handler, row, cell):
        """Interrupt the handler's person on call; page them if the incident interrupts."""
        people = handler.people
        person = people[row[2] % len(people)] if people else None
        if person is not None:
            interrupted.add(person)
        if not row[7]:
            return
        cell.pages += 1
        if person is not None:
            person_pages[person] += 1
        at = row[11]
        known = handler.working.get(at)
        if known is None:
            known = handler.clock(at)
        working, night = known
        if working:
            return
        cell.ooh_pages += 1
        if person is None:
            return
        person_ooh[person] += 1
        if night is not None:
            woken = person_woken[person]
            if night not in woken:
                woken.add(night)
                cell.nights_woken += 1

    for row, (handler, off_rotation) in zip(rows, routes, strict=True):
        if handler is None:
            tally.unrouted += 1
            continue
        tally.off_rotation += off_rotation
        unowned = handler.key != row[3]
        extra = penalty if unowned else 0.0
        if row[0]:  # a bug: its hours fall in the sprints they were worked in
            key = handler.key
            handlers[key] = handler
            cell = cells[key, row[1]]
            for sprint, hours in row[9]:
                part = cells[key, sprint]
                part.bug_hours += hours
                part.bug_penalty += hours * extra
                if row[6]:
                    part.estimated += hours
            cell.bugs += 1
            if unowned:
                cell.bug_switches += 1
            continue
        # Only interrupting incidents count towards the time to mitigate: how fast a backlog
        # incident is closed says more about its priority than about who answers it.
        restore = row[10] if row[7] else None
        if first_line is None:
            cell = work(handler, row, 1.0, extra)
            page(handler, row, cell)
            base = restore
        else:
            hours = row[4]
            if row[8]:
                # The first line mitigates as recorded (rollbacks and restarts are its
                # trade); the rest reaches the handling team as planned work, without a page.
                share = row[5] / hours if hours else 0.0
                cell = work(first_line, row, share, 0.0)
                page(first_line, row, cell)
                work(handler, row, 1.0 - share, extra)
                base, unowned = restore, False
            else:
                triage = min(FIRST_LINE_TRIAGE_HOURS, hours)
                line = work(first_line, row, triage / hours if hours else 0.0, 0.0)
                page(first_line, row, line)
                cell = work(handler, row, 1.0, extra)
                page(handler, row, cell)
                base = None if restore is None else restore + triage_minutes
        if base is not None:
            cell.mitigated += 1
            cell.mitigate_minutes += base
            if unowned and slower:
                cell.mitigate_penalty += base * slower
    return tally
