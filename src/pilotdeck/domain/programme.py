"""Programme ROI: value, cost, time to scale and adoption of the whole portfolio.

Pure rules, no I/O. The service hands in, per pilot, what the audit log says
(when it was created, its status over time, when it first served one version to
100 % of traffic) and, per pilot and period, what the prediction log and the
feedback say (requests, computed seconds, outcomes of AI-served requests and of
a control group). Every amount says whether it was *measured* (feedback
outcomes) or *estimated* (the manifest's business case, latency as CPU time,
a configured platform cost allocated by a rule).

Value of a pilot in a period, in order of preference:

1. ``measured-uplift``: the log has a control group (variant ``baseline``, traffic
   served without the model) with at least two outcomes each side: the mean
   difference per request (Welch 95 % interval) times the AI-served requests
   with feedback.
2. ``measured-outcome``: feedback without a control group: the outcomes recorded
   on AI-served requests (the gateway's feedback reports the outcome the AI
   decision produced), summed; exact, so no interval.
3. ``estimated-business-case``: no feedback while the pilot ran (status scaling or
   production): ``expectedValuePerYear`` prorated over the time it ran.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from pilotdeck.domain import performance as perf
from pilotdeck.domain.periods import Period, period_key, periods

RULES: tuple[str, ...] = ("requests", "equal", "production")
RUNNING = frozenset({"scaling", "production"})
BASELINE_VARIANT = "baseline"
TARGET_DAYS = 183  # the roadmap: from pilot to scale in under six months
DAY = 86_400.0


@dataclass(frozen=True)
class PilotRecord:
    """One pilot: its manifest's economics and what the audit log says about it."""

    name: str
    business_unit: str
    status: str
    run_cost_per_year: float = 0.0
    expected_value_per_year: float = 0.0
    currency: str = "USD"
    created_at: datetime | None = None
    scaled_at: datetime | None = None  # first time one version took 100 % of traffic
    statuses: tuple[tuple[datetime, str], ...] = ()  # (since, status), oldest first

    def timeline(self) -> tuple[tuple[datetime, str], ...]:
        if self.statuses:
            return self.statuses
        return ((self.created_at, self.status),) if self.created_at else ()

    def running_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds of ``[start, end)`` the pilot ran (status scaling or production)."""
        timeline = self.timeline()
        total = 0.0
        for i, (since, status) in enumerate(timeline):
            until = timeline[i + 1][0] if i + 1 < len(timeline) else end
            if status in RUNNING:
                lo, hi = max(since, start), min(until, end)
                total += max((hi - lo).total_seconds(), 0.0)
        return total

    @property
    def sunset_at(self) -> datetime | None:
        """When the pilot last became ``sunset`` (it is sunset now), if the log says."""
        if self.status != "sunset":
            return None
        at, before = None, None
        for t, s in self.timeline():
            if s == "sunset" and before != "sunset":
                at = t
            before = s
        return at

    def active(self, start: datetime, end: datetime) -> bool:
        """Existed in ``[start, end)`` and was not sunset before it began."""
        sunset = self.sunset_at
        return ((self.created_at is None or self.created_at < end)
                and (sunset is None or sunset > start))


@dataclass(frozen=True)
class Outcomes:
    revenue: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cost_saved: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def of(self, name: str) -> np.ndarray:
        return self.revenue if name == "revenue" else self.cost_saved

    def __len__(self) -> int:
        return len(self.revenue)


@dataclass(frozen=True)
class Usage:
    """One pilot in one period, from the prediction log and the feedback."""

    requests: int = 0  # live requests served (status 200, not shadow copies)
    computed_seconds: float = 0.0  # wall time of computed (not cached) requests
    ai: Outcomes = field(default_factory=Outcomes)
    baseline: Outcomes = field(default_factory=Outcomes)


@dataclass
class Amount:
    """A sum of measured amounts, with the half-width of its 95 % interval
    (independent parts add in quadrature; an exact sum has none)."""

    value: float = 0.0
    half_sq: float = 0.0
    has_ci: bool = False

    def add(self, other: Amount) -> None:
        self.value += other.value
        self.half_sq += other.half_sq
        self.has_ci = self.has_ci or other.has_ci

    @property
    def ci(self) -> tuple[float | None, float | None]:
        if not self.has_ci:
            return None, None
        half = math.sqrt(self.half_sq)
        return self.value - half, self.value + half


@dataclass
class Ledger:
    """Value and cost of a pilot, a business unit or the programme over some time."""

    revenue: Amount = field(default_factory=Amount)
    cost_saved: Amount = field(default_factory=Amount)
    estimated_value: float = 0.0
    business_case: float = 0.0  # expected value over the time it ran (the estimate)
    inference: float = 0.0
    platform: float = 0.0
    run: float = 0.0
    requests: int = 0
    feedback: int = 0
    bases: set[str] = field(default_factory=set)

    def add(self, o: Ledger) -> None:
        self.revenue.add(o.revenue)
        self.cost_saved.add(o.cost_saved)
        for name in ("estimated_value", "business_case", "inference", "platform", "run",
                     "requests", "feedback"):
            setattr(self, name, getattr(self, name) + getattr(o, name))
        self.bases |= o.bases

    @property
    def measured_value(self) -> float:
        return self.revenue.value + self.cost_saved.value

    @property
    def value(self) -> float:
        return self.measured_value + self.estimated_value

    @property
    def cost(self) -> float:
        return self.inference + self.platform + self.run

    @property
    def net(self) -> float:
        return self.value - self.cost

    @property
    def roi(self) -> float | None:
        return self.net / self.cost if self.cost > 0 else None

    @property
    def realised_share(self) -> float | None:
        """Measured value as a share of the business case over the same time."""
        return self.measured_value / self.business_case if self.business_case > 0 else None


def measured(usage: Usage, outcome: str) -> tuple[Amount, str | None]:
    """An outcome's AI-driven amount in one period, and how it was measured."""
    ai, base = usage.ai.of(outcome), usage.baseline.of(outcome)
    ai, base = ai[~np.isnan(ai)], base[~np.isnan(base)]
    if len(ai) >= 2 and len(base) >= 2:
        d = perf.difference_ci(ai, base)
        n = len(ai)
        half = (d["ci_high"] - d["ci_low"]) / 2 * n
        return Amount(d["difference"] * n, half * half, True), "measured-uplift"
    if len(ai):
        return Amount(float(ai.sum())), "measured-outcome"
    return Amount(), None


def pilot_period(pilot: PilotRecord, usage: Usage, period: Period, since: datetime,
                 now: datetime, cost_per_cpu_second: float) -> Ledger:
    """A pilot's ledger for one period (platform cost is allocated afterwards)."""
    lo, hi = max(period.start, since), min(period.end, now)
    covered = max((hi - lo).total_seconds(), 0.0)
    length = (period.end - period.start).total_seconds()
    years = period.months / 12 * covered / length
    ran = pilot.running_seconds(lo, hi) / covered if covered else 0.0
    out = Ledger(requests=usage.requests, feedback=len(usage.ai),
                 inference=usage.computed_seconds * cost_per_cpu_second,
                 run=pilot.run_cost_per_year * years * ran,
                 business_case=pilot.expected_value_per_year * years * ran)
    out.revenue, rb = measured(usage, "revenue")
    out.cost_saved, cb = measured(usage, "cost_saved")
    bases = {b for b in (rb, cb) if b}
    if not bases and out.business_case > 0:
        out.estimated_value = out.business_case
        bases = {"estimated-business-case"}
    out.bases = bases
    return out


def allocate(rule: str, total: float, ledgers: dict[str, Ledger],
             running: dict[str, float], active: Iterable[str]) -> float:
    """Spread one period's platform cost over pilots by the configured rule; the
    part nobody could take (no pilot qualifies) is returned, unallocated.

    ``requests``: by share of requests served (equal over active pilots when none
    were); ``equal``: equally over the pilots that existed; ``production``:
    equally over the pilots that ran (scaling or production) in the period."""
    names = list(active)
    if rule == "requests" and sum(ledgers[n].requests for n in names) > 0:
        served = sum(ledgers[n].requests for n in names)
        shares = {n: ledgers[n].requests / served for n in names}
    elif rule == "production":
        ran = [n for n in names if running.get(n, 0.0) > 0]
        shares = {n: 1 / len(ran) for n in ran}
    else:
        shares = {n: 1 / len(names) for n in names}
    for n, share in shares.items():
        ledgers[n].platform += total * share
    return 0.0 if shares else total


def time_to_scale(pilot: PilotRecord, now: datetime) -> dict[str, Any]:
    """Days from the pilot's creation to its first 100 % rollout (or, not yet
    scaled, how long it has waited: until now, or until it was sunset, which is a
    decision rather than a missed target), against the six-month target."""
    sunset = pilot.status == "sunset"
    if pilot.created_at is None:
        return {"pilot": pilot.name, "businessUnit": pilot.business_unit, "createdAt": None,
                "scaledAt": None, "days": None, "ageDays": None, "withinTarget": None,
                "sunset": sunset}
    days = ((pilot.scaled_at - pilot.created_at).total_seconds() / DAY
            if pilot.scaled_at else None)
    age = ((pilot.sunset_at or now) - pilot.created_at).total_seconds() / DAY
    if sunset and days is None:
        return {"pilot": pilot.name, "businessUnit": pilot.business_unit,
                "createdAt": pilot.created_at.isoformat(), "scaledAt": None, "days": None,
                "ageDays": round(age, 1), "withinTarget": None, "sunset": True}
    return {"pilot": pilot.name, "businessUnit": pilot.business_unit, "sunset": sunset,
            "createdAt": pilot.created_at.isoformat(),
            "scaledAt": pilot.scaled_at.isoformat() if pilot.scaled_at else None,
            "days": round(days, 1) if days is not None else None,
            "ageDays": round(age, 1),
            "withinTarget": (days <= TARGET_DAYS) if days is not None
            else (False if age > TARGET_DAYS else None)}


def median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if values else None


def scaled_by(pilots: Iterable[PilotRecord], t: datetime) -> int:
    return sum(1 for p in pilots if p.scaled_at is not None and p.scaled_at < t)


def uplift(variants: dict[str, Outcomes]) -> dict[str, object] | None:
    """Per-request uplift over the whole window, with Welch 95 % intervals: the AI
    variants against the control group when there is one, else the challenger
    against the champion (what a staged rollout weighs); ``None`` when neither."""
    def pooled(names: list[str]) -> Outcomes:
        return Outcomes(np.concatenate([variants[n].revenue for n in names] or [np.zeros(0)]),
                        np.concatenate([variants[n].cost_saved for n in names]
                                       or [np.zeros(0)]))

    if len(variants.get(BASELINE_VARIANT, Outcomes())) >= 2:
        against, base = BASELINE_VARIANT, variants[BASELINE_VARIANT]
        ai = pooled([n for n in variants if n != BASELINE_VARIANT])
        variant = "ai"
    elif "champion" in variants and len(variants) > 1:
        against, base = "champion", variants["champion"]
        variant = sorted(n for n in variants if n != "champion")[0]
        ai = variants[variant]
    else:
        return None
    if len(ai) < 2:
        return None
    return {"against": against, "variant": variant,
            "revenue": perf.difference_ci(ai.revenue, base.revenue),
            "costSaved": perf.difference_ci(ai.cost_saved, base.cost_saved)}


@dataclass
class Programme:
    """Every ledger of one report: per pilot, per period, per business unit, total."""

    periods: list[Period]
    pilots: dict[str, PilotRecord]
    by_pilot_period: dict[tuple[str, str], Ledger]
    by_pilot: dict[str, Ledger]
    by_period: dict[str, Ledger]
    by_unit: dict[str, Ledger]
    total: Ledger
    unallocated: float


def compute(pilots: Sequence[PilotRecord], usage: dict[tuple[str, str], Usage],
            kind: str, since: datetime, now: datetime, *, cost_per_cpu_second: float,
            platform_cost_per_month: float, rule: str) -> Programme:
    """The programme's ledgers from ``since`` to ``now`` by month or quarter;
    ``usage`` is keyed by (pilot, month key).

    Always computed month by month and summed into quarters, so a total never
    depends on the period asked for (a quarter with one month of feedback still
    estimates the other two from the business case)."""
    spans = periods(kind, since, now)
    span_of = {p.key: p for p in spans}
    by_name = {p.name: p for p in pilots}
    cells: dict[tuple[str, str], Ledger] = {}
    by_period: dict[str, Ledger] = {p.key: Ledger() for p in spans}
    unallocated = 0.0
    for month in periods("month", since, now):
        key = month.key if kind == "month" else period_key(month.start, "quarter")
        lo, hi = max(month.start, since), min(month.end, now)
        ledgers = {p.name: pilot_period(p, usage.get((p.name, month.key), Usage()), month,
                                        since, now, cost_per_cpu_second) for p in pilots}
        covered = max((hi - lo).total_seconds(), 0.0) / (month.end - month.start
                                                         ).total_seconds()
        platform = platform_cost_per_month * covered
        active = [p.name for p in pilots if p.active(lo, hi) or ledgers[p.name].requests]
        running = {p.name: p.running_seconds(lo, hi) for p in pilots}
        left = allocate(rule, platform, ledgers, running, active) if active else platform
        unallocated += left
        by_period[key].add(Ledger(platform=left))
        for name, ledger in ledgers.items():
            cells.setdefault((name, key), Ledger()).add(ledger)
            by_period[key].add(ledger)
    assert set(by_period) == set(span_of)
    by_pilot: dict[str, Ledger] = {p.name: Ledger() for p in pilots}
    by_unit: dict[str, Ledger] = {}
    for (name, _key), ledger in cells.items():
        by_pilot[name].add(ledger)
    for name, ledger in by_pilot.items():
        by_unit.setdefault(by_name[name].business_unit, Ledger()).add(ledger)
    grand = Ledger(platform=unallocated)
    for ledger in by_pilot.values():
        grand.add(ledger)
    return Programme(spans, by_name, cells, by_pilot, by_period, dict(sorted(by_unit.items())),
                     grand, unallocated)
