"""Programme ROI from live data: the prediction log and feedback (the lake), the
manifests' economics and the audit log (creation, status changes, rollouts).

Reads only; the rules are in :mod:`pilotdeck.domain.programme`.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pilotdeck.audit.log import utcnow
from pilotdeck.domain import programme as rules
from pilotdeck.domain.milestones import PilotPath
from pilotdeck.domain.periods import Period, check_period, periods
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.query import PilotFilter
from pilotdeck.services.milestones import read_paths
from pilotdeck.views.programme import (
    Adoption,
    CostPerScaledPilot,
    PeriodFigures,
    PilotROI,
    PilotTimeToScale,
    ProgrammeReport,
    Sunset,
    SunsetPilot,
    TimeToScale,
    UnitAdoption,
    UnitROI,
    Uplift,
    figures,
)

if TYPE_CHECKING:
    import pandas as pd

USERS_NOTE = ("not counted: the prediction log records no user id or client token, and "
              "pilotdeck does not invent one")


class ProgrammeService:
    def __init__(self, store: Store, lake: Lake, cost_per_cpu_second: float,
                 platform_cost_per_month: float, platform_cost_rule: str) -> None:
        self.store = store
        self.lake = lake
        self.cost_per_cpu_second = cost_per_cpu_second
        self.platform_cost_per_month = platform_cost_per_month
        self.rule = platform_cost_rule

    # -- reading -------------------------------------------------------------
    def pilots(self) -> list[rules.PilotRecord]:
        """Every current pilot with its economics, status timeline and first 100 %."""
        with self.store.read() as uow:
            rows = uow.pilots.list(PilotFilter())
            paths = read_paths(uow)
            return [self._record(r, paths.get(r.name, PilotPath())) for r in rows]

    @staticmethod
    def _record(row: Any, path: PilotPath) -> rules.PilotRecord:
        economics = ((row.manifest or {}).get("spec") or {}).get("economics") or {}
        return rules.PilotRecord(
            name=row.name, business_unit=row.business_unit, status=row.status,
            run_cost_per_year=float(economics.get("productionCostPerYear", 0.0)),
            expected_value_per_year=float(economics.get("expectedValuePerYear", 0.0)),
            currency=str(economics.get("currency", "USD")), created_at=path.created_at,
            scaled_at=path.scaled_at, statuses=path.statuses)

    def usage(self, pilot: str, since: datetime, until: datetime | None = None
              ) -> tuple[dict[str, rules.Usage], dict[str, rules.Outcomes]]:
        """One pilot's requests, computed seconds and outcomes per month, and its
        outcomes per variant over the whole window."""
        reqs = self.lake.requests(pilot, since, until, include_shadow=True, ok_only=False)
        if reqs.num_rows == 0:
            return {}, {}
        df = reqs.select(["request_id", "ts", "variant", "latency_ms", "cache_hit",
                          "status"]).to_pandas()
        df["period"] = df["ts"].dt.tz_convert("UTC").dt.strftime("%Y-%m")
        served = df[(df["variant"] != "shadow") & (df["status"] == 200)]
        computed = df[~df["cache_hit"].astype(bool)].groupby("period")["latency_ms"].sum()
        fb = self.lake.feedback(pilot).to_pandas()[["request_id", "revenue", "cost_saved"]]
        joined = served.merge(fb, on="request_id", how="inner")

        def outcomes(g: pd.DataFrame) -> rules.Outcomes:
            return rules.Outcomes(g["revenue"].to_numpy(dtype=float),
                                  g["cost_saved"].to_numpy(dtype=float))

        out: dict[str, rules.Usage] = {}
        counts = served.groupby("period").size()
        for key in sorted(set(counts.index) | set(computed.index)):
            g = joined[joined["period"] == key]
            base = g["variant"] == rules.BASELINE_VARIANT
            out[key] = rules.Usage(requests=int(counts.get(key, 0)),
                                   computed_seconds=float(computed.get(key, 0.0)) / 1000,
                                   ai=outcomes(g[~base]), baseline=outcomes(g[base]))
        by_variant = {str(v): outcomes(g) for v, g in joined.groupby("variant")}
        return out, by_variant

    # -- the report ----------------------------------------------------------
    def report(self, period: str = "month", since: datetime | None = None,
               now: datetime | None = None, since_field: str = "since") -> ProgrammeReport:
        """Value, cost, ROI, time to scale and adoption per pilot, business unit and
        the programme, by month or quarter, from ``since`` (default: the first
        pilot's creation) to now."""
        kind = check_period(period, "--period" if since_field.startswith("-") else "period")
        now = now or utcnow()
        pilots = self.pilots()
        if since is None:
            since = min((p.created_at for p in pilots if p.created_at), default=now)
            since = max(since, datetime(max(now.year - 19, 1), 1, 1, tzinfo=UTC))
        spans = periods(kind, since, now, since_field)  # refuses the future and too many periods
        usage: dict[tuple[str, str], rules.Usage] = {}
        variants: dict[str, dict[str, rules.Outcomes]] = {}
        for p in pilots:
            per_period, variants[p.name] = self.usage(p.name, since, now)
            usage.update({(p.name, k): u for k, u in per_period.items()})
        prog = rules.compute(pilots, usage, kind, since, now,
                             cost_per_cpu_second=self.cost_per_cpu_second,
                             platform_cost_per_month=self.platform_cost_per_month,
                             rule=self.rule)
        return self._view(prog, kind, since, now, spans, variants)

    def _view(self, prog: rules.Programme, kind: str, since: datetime, now: datetime,
              spans: list[Period], variants: dict[str, dict[str, rules.Outcomes]]
              ) -> ProgrammeReport:
        pilots = list(prog.pilots.values())
        currencies = Counter(p.currency for p in pilots)
        currency = currencies.most_common(1)[0][0] if currencies else "USD"
        scale = [rules.time_to_scale(p, now) for p in pilots]
        days = [float(s["days"]) for s in scale if s["days"] is not None]

        def period_view(ledger: rules.Ledger, p: Period) -> PeriodFigures:
            return PeriodFigures(**figures(ledger), period=p.key, start=p.start.isoformat(),
                                 end=p.end.isoformat())

        def uplift(name: str) -> Uplift | None:
            u = rules.uplift(variants.get(name, {}))
            return Uplift.model_validate(u) if u else None

        by_pilot = [PilotROI(
            **figures(prog.by_pilot[p.name]), pilot=p.name, business_unit=p.business_unit,
            status=p.status, currency=p.currency, uplift=uplift(p.name),
            time_to_scale_days=s["days"],
            periods=[period_view(prog.by_pilot_period[(p.name, sp.key)], sp) for sp in spans])
            for p, s in zip(pilots, scale, strict=True)]
        units = Counter(p.business_unit for p in pilots)
        cpsp = []
        for sp in spans:
            scaled = rules.scaled_by(pilots, min(sp.end, now))
            cost = prog.by_period[sp.key].cost
            cpsp.append(CostPerScaledPilot(period=sp.key, cost=cost, scaled_pilots=scaled,
                                           cost_per_scaled_pilot=cost / scaled
                                           if scaled else None))
        sunset = [SunsetPilot(pilot=p.name, business_unit=p.business_unit,
                              sunset_at=p.sunset_at.isoformat() if p.sunset_at else None,
                              money_freed_per_year=p.run_cost_per_year)
                  for p in pilots if p.status == "sunset"]
        notes = [f"costs and values are summed in {currency}; pilots also use "
                 f"{', '.join(sorted(set(currencies) - {currency}))}, not converted"
                 ] if len(currencies) > 1 else []
        if prog.unallocated:
            notes.append("some platform cost fell in periods without a pilot to carry it: "
                         "it counts in the programme's cost only")
        return ProgrammeReport(
            **figures(prog.total), period=kind, since=since.isoformat(), until=now.isoformat(),
            currency=currency, platform_cost_rule=self.rule,
            unallocated_platform_cost=prog.unallocated,
            periods=[period_view(prog.by_period[sp.key], sp) for sp in spans],
            by_business_unit=[UnitROI(**figures(ledger), business_unit=bu, pilots=units[bu])
                              for bu, ledger in prog.by_unit.items()],
            by_pilot=by_pilot,
            time_to_scale_days=TimeToScale(
                target_days=rules.TARGET_DAYS, median_days=rules.median(days),
                scaled=len(days), within_target=sum(1 for s in scale if s["withinTarget"]),
                pilots=[PilotTimeToScale.model_validate(s) for s in scale]),
            cost_per_scaled_pilot=cpsp, adoption=_adoption(pilots, prog),
            sunset=Sunset(pilots=sunset, money_freed_per_year=sum(
                s.money_freed_per_year for s in sunset)),
            measures=self.measures(), notes=notes)

    def measures(self) -> dict[str, str]:
        return {
            "revenue": "measured: feedback revenue of AI-served requests; the uplift over a "
                       "'baseline' control group (95 % interval) when one is logged",
            "costSavings": "measured: feedback cost_saved, as revenue",
            "value.estimated": "estimated: the manifest's expectedValuePerYear, prorated "
                               "over the time a pilot ran (scaling or production) in periods "
                               "with no feedback",
            "cost.inference": "estimated: the prediction log holds latency, not CPU time "
                              "(the gateway's CPU-time counter is an in-process metric), so "
                              "wall time of computed requests x cost per CPU-second "
                              f"({self.cost_per_cpu_second:g}): an upper bound",
            "cost.platform": f"allocated: {self.platform_cost_per_month:g} per month, by "
                             f"{self.rule}",
            "cost.run": "estimated: the manifest's productionCostPerYear, prorated over the "
                        "time a pilot ran",
            "timeToScaleDays": "measured: the audit log, pilot.created to the first "
                               "deployment giving one version 100 % (or rollout.promoted)",
            "adoption.users": USERS_NOTE,
        }


def _adoption(pilots: list[rules.PilotRecord], prog: rules.Programme) -> Adoption:
    def unit(bu: str, members: list[rules.PilotRecord]) -> dict[str, Any]:
        live = [p for p in members if p.status != "sunset"]
        prod = sum(1 for p in live if p.status == "production")
        return {"business_unit": bu, "pilots": len(live), "in_production": prod,
                "scaling": sum(1 for p in live if p.status == "scaling"),
                "rate": prod / len(live) if live else None,
                "requests": sum(prog.by_pilot[p.name].requests for p in members),
                "users": None}

    units = sorted({p.business_unit for p in pilots})
    return Adoption(**{**unit("all", pilots), "users_note": USERS_NOTE}, by_business_unit=[
        UnitAdoption(**unit(bu, [p for p in pilots if p.business_unit == bu])) for bu in units])
