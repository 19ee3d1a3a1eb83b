"""A tiny programme whose report is computed by hand (see the comments).

Settings: cost per CPU-second 0.5, platform cost 300 a month allocated by requests.
Report window 2026-01-01 → 2026-04-01 (three whole months), by month.

alpha (Retail)  created 2026-01-01 status production; run cost 1200/yr (100/month),
                expected value 2400/yr (200/month); 2026-02-15 a deployment gives v1
                100 % → time to scale 45 days.
    January  r1 champion 200 1000 ms           revenue 10
             r2 champion 200 1000 ms cache hit revenue 14
             r3 baseline 200 1000 ms           revenue 4
             r4 baseline 200 1000 ms           revenue 6
             r1 shadow   200 2000 ms           (a shadow copy: not served, computed)
             r6 champion 500 1000 ms           (failed: not served, computed)
        served 4; computed r1 r3 r4 shadow r6 = 6 s → inference 3.0
        uplift: champion mean 12 - baseline mean 5 = 7 per request × 2 AI rows = 14
    February r7 r8 champion 200 500 ms each, no feedback: served 2, 1 s → 0.5;
             value estimated from the business case: 200
    March    nothing logged: estimated 200
    → revenue 14 (measured), estimated 400, value 414; inference 3.5,
      run 300, platform 300 (Jan: 4 of 4 requests) + 300 (Feb: 2 of 2) = 600;
      cost 903.5; net -489.5; business case 600

beta (Finance)  created 2026-02-01 status pilot, updated 2026-03-01 to production;
                run cost 2400/yr (200/month), expected 1200/yr (100/month); never 100 %.
    March    b1 b2 champion revenue 5, 7 cost saved 1, 2; b3 challenger revenue 9
             cost saved 3; 100 ms each → 0.3 s → 0.15
    → revenue 21, cost savings 6 (measured outcomes, no control group), value 27;
      run 200 (March only); platform 300 (March: 3 of 3 requests); cost 500.15;
      net -473.15; business case 100 (March)

gamma (Retail)  created 2026-01-01 production, sunset 2026-02-01; run cost 600/yr
                (50/month), no expected value, no traffic.
    → run 50 (January); cost 50; money freed 600 a year

Programme: revenue 35, cost savings 6, value 41 measured + 400 estimated = 441;
cost 903.5 + 500.15 + 50 = 1453.65; net -1012.65; roi -1012.65 / 1453.65.
By month: January value 14, cost 3 + 300 + 100 + 50 = 453;
          February value 200, cost 0.5 + 300 + 100 = 400.5;
          March value 200 + 27 = 227, cost 100 + 0.15 + 300 + 200 = 600.15.
Cost per scaled pilot: January none scaled → null; February 400.5 / 1; March 600.15 / 1.
Adoption: 2 pilots not sunset, both in production, 9 requests served.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pilotdeck.platform import Platform
from tests.lake_logs import write_logs

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 4, 1, tzinfo=UTC)
SETTINGS = {"cost_per_cpu_second": 0.5, "platform_cost_per_month": 300.0,
            "platform_cost_rule": "requests"}


def _t(month: int, day: int = 10) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def _manifest(name: str, unit: str, status: str, run: float, value: float) -> dict[str, Any]:
    return {"apiVersion": "pilotdeck/v1", "kind": "Pilot",
            "metadata": {"name": name, "businessUnit": unit, "owner": "o@example.com"},
            "spec": {"problem": "p", "status": status, "economics": {
                "productionCostPerYear": run, "expectedValuePerYear": value}}}


def build(p: Platform) -> None:
    """The pilots, their audit events and their logs, as the comments above say."""
    alpha = _manifest("alpha", "Retail", "production", 1200, 2400)
    beta0 = _manifest("beta", "Finance", "pilot", 2400, 1200)
    beta = _manifest("beta", "Finance", "production", 2400, 1200)
    gamma0 = _manifest("gamma", "Retail", "production", 600, 0)
    gamma = _manifest("gamma", "Retail", "sunset", 600, 0)
    with p.store.write() as uow:
        for doc, created in ((alpha, SINCE), (beta, datetime(2026, 2, 1, tzinfo=UTC)),
                             (gamma, SINCE)):
            m = doc["metadata"]
            uow.pilots.add(name=m["name"], business_unit=m["businessUnit"], owner=m["owner"],
                           status=doc["spec"]["status"], manifest=doc, digest="d",
                           now=created, revision=1)
        events = [
            ("pilot.created", "pilot", "alpha", {"after": alpha}, SINCE),
            ("pilot.created", "pilot", "gamma", {"after": gamma0}, SINCE),
            ("pilot.created", "pilot", "beta", {"after": beta0}, datetime(2026, 2, 1,
                                                                          tzinfo=UTC)),
            ("pilot.updated", "pilot", "gamma", {"after": gamma}, datetime(2026, 2, 1,
                                                                           tzinfo=UTC)),
            ("deployment.updated", "deployment", "alpha", {"after": {"variants": [
                {"name": "champion", "version": 1, "weight": 100.0}]}},
             datetime(2026, 2, 15, tzinfo=UTC)),
            # beta: 90/10 is not scale.
            ("deployment.updated", "deployment", "beta", {"after": {"variants": [
                {"name": "champion", "version": 1, "weight": 90.0},
                {"name": "challenger", "version": 2, "weight": 10.0}]}},
             datetime(2026, 2, 20, tzinfo=UTC)),
            ("pilot.updated", "pilot", "beta", {"after": beta}, datetime(2026, 3, 1,
                                                                         tzinfo=UTC)),
        ]
        for action, kind, name, data, at in events:
            uow.audit.record("tester", action, kind, name, data, at)

    def req(rid: str, pilot: str, variant: str, ts: datetime, ms: float, status: int = 200,
            cache: bool = False) -> dict[str, Any]:
        return {"request_id": rid, "ts": ts, "pilot": pilot, "variant": variant,
                "model_version": 1, "inputs": "{}", "outputs": "[1]", "latency_ms": ms,
                "cache_hit": cache, "status": status, "rows": 1}

    def fb(rid: str, pilot: str, revenue: float, saved: float | None = None
           ) -> dict[str, Any]:
        return {"request_id": rid, "ts": _t(3, 20), "pilot": pilot, "label": "1",
                "revenue": revenue, "cost_saved": saved, "satisfaction": None}

    preds = [req("r1", "alpha", "champion", _t(1), 1000), req("r2", "alpha", "champion",
             _t(1), 1000, cache=True), req("r3", "alpha", "baseline", _t(1), 1000),
             req("r4", "alpha", "baseline", _t(1), 1000), req("r1", "alpha", "shadow", _t(1),
             2000), req("r6", "alpha", "champion", _t(1), 1000, status=500),
             req("r7", "alpha", "champion", _t(2), 500), req("r8", "alpha", "champion",
             _t(2), 500),
             req("b1", "beta", "champion", _t(3), 100), req("b2", "beta", "champion", _t(3),
             100), req("b3", "beta", "challenger", _t(3), 100)]
    feedback = [fb("r1", "alpha", 10), fb("r2", "alpha", 14), fb("r3", "alpha", 4),
                fb("r4", "alpha", 6), fb("b1", "beta", 5, 1), fb("b2", "beta", 7, 2),
                fb("b3", "beta", 9, 3)]

    write_logs(p, preds, feedback)
