"""Timing, query counting and the results table shared by every benchmark group."""

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext

# Benchmark groups by name, in the order they run; filled by the @group decorator.
GROUPS: dict[str, "Group"] = {}


@dataclass
class Group:
    name: str
    description: str
    run: Callable[["Bench"], None]


def group(name: str, description: str):
    """Register a function that takes a ``Bench`` and measures one area of the product."""

    def register(run):
        GROUPS[name] = Group(name, description, run)
        return run

    return register


@dataclass
class Result:
    group: str
    name: str
    count: int
    median_ms: float
    p95_ms: float
    per_second: float
    queries: str


def _number(value: float) -> str:
    """Three significant digits, without an exponent for large values (3550, not 3.55e+03)."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


@dataclass
class Target:
    """A figure held against a target: a ratio to a reference measured in the same run, or an
    absolute bound (``reference`` None)."""

    group: str
    name: str
    value: float
    unit: str
    limit: float
    reference: str | None = None
    reference_value: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.reference_value is None:
            return None
        return self.value / self.reference_value if self.reference_value else math.inf

    @property
    def met(self) -> bool:
        measured = self.ratio if self.ratio is not None else self.value
        return measured <= self.limit

    def describe(self) -> tuple[str, ...]:
        if self.ratio is None:
            reference, ratio, limit = "-", "-", f"<= {self.limit:g} {self.unit}"
        else:
            reference = f"{self.reference} {_number(self.reference_value)} {self.unit}"
            ratio, limit = f"{self.ratio:.2f}x", f"<= {self.limit:g}x"
        value = f"{_number(self.value)} {self.unit}"
        return (
            self.group,
            self.name,
            value,
            reference,
            ratio,
            limit,
            "met" if self.met else "MISSED",
        )


@dataclass
class Bench:
    """Runs measurements for one group and collects their results."""

    group: str
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fixtures: dict = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)

    def measure(
        self,
        name: str,
        fn: Callable,
        *,
        inputs: Sequence | None = None,
        repeat: int = 100,
        warmup: int = 10,
        prepare: Callable[[], None] | None = None,
        count_queries: int = 20,
    ) -> Result:
        """Time ``repeat`` calls of ``fn`` after ``warmup`` untimed ones and record the figures.

        With ``inputs``, call ``fn(item)`` cycling through them; ``prepare`` runs untimed before
        every call. Queries are counted in a separate pass so that recording the SQL does not
        slow down the timed calls.
        """
        items = list(inputs) if inputs is not None else [None]

        def bound(i) -> Callable[[], object]:
            if inputs is None:
                return fn
            item = items[i % len(items)]
            return lambda: fn(item)

        for i in range(warmup):
            if prepare is not None:
                prepare()
            bound(i)()
        timings = []
        for i in range(repeat):
            if prepare is not None:
                prepare()
            call = bound(i)
            start = time.perf_counter()
            call()
            timings.append(time.perf_counter() - start)

        counts = set()
        for i in range(min(count_queries, len(items))):
            if prepare is not None:
                prepare()
            call = bound(i)
            with CaptureQueriesContext(connection) as captured:
                call()
            counts.add(len(captured.captured_queries))
        queries = str(min(counts)) if len(counts) == 1 else f"{min(counts)}-{max(counts)}"

        timings.sort()
        result = Result(
            group=self.group,
            name=name,
            count=repeat,
            median_ms=statistics.median(timings) * 1000,
            p95_ms=timings[max(math.ceil(0.95 * len(timings)) - 1, 0)] * 1000,
            per_second=len(timings) / sum(timings),
            queries=queries,
        )
        self.results.append(result)
        print(
            f"  {name}: median {result.median_ms:.2f} ms, p95 {result.p95_ms:.2f} ms, "
            f"{result.per_second:,.0f}/s, {queries} queries",
            flush=True,
        )
        return result

    def target(
        self,
        name: str,
        value: float,
        *,
        unit: str,
        limit: float,
        reference: str | None = None,
        reference_value: float | None = None,
    ) -> Target:
        """Hold ``value`` (in ``unit``) against a target and record it for the summary.

        With ``reference`` (what was measured beside it, in this run and the same unit) the
        target is ``value / reference_value <= limit``; without, ``value <= limit``.
        """
        target = Target(self.group, name, value, unit, limit, reference, reference_value)
        self.targets.append(target)
        cells = target.describe()
        print(
            f"  target {name}: {cells[2]}, reference {cells[3]}, {cells[4]} ({cells[5]}): "
            f"{cells[6]}",
            flush=True,
        )
        return target

    def note(self, text: str) -> None:
        """Record a figure that is not a repeated timing (e.g. the cost of building the data)."""
        self.notes.append(text)
        print(f"  {text}", flush=True)


def targets_table(targets: list[Target]) -> str:
    """Format the figures held against targets as a plain-text table."""
    header = ("group", "figure", "value", "reference (same run)", "ratio", "target", "")
    return _format(header, [t.describe() for t in targets], left={0, 1, 3, 6})


def table(results: list[Result]) -> str:
    """Format results as a plain-text table."""
    header = ("group", "benchmark", "n", "median ms", "p95 ms", "ops/s", "queries")
    rows = [
        (
            r.group,
            r.name,
            str(r.count),
            f"{r.median_ms:.2f}",
            f"{r.p95_ms:.2f}",
            f"{r.per_second:,.0f}",
            r.queries,
        )
        for r in results
    ]
    return _format(header, rows, left={0, 1})


def _format(header: tuple, rows: list[tuple], *, left: set[int]) -> str:
    """Lay out rows under header; columns in ``left`` align left, numbers right."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        cells = zip(row, widths, strict=True)
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(cells))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])
