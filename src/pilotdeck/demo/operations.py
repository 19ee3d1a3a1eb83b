"""The demo's deployed pilots get an SLA and a published runbook.

Each SLA is the promise the pilot's team would make (the fraud pilot answers in
the card-payment path, so its latency promise is the tightest; the regression
pilot has no accuracy floor); each runbook is generated from the live
configuration and published, so the readiness checklist shows both passing.
Running the demo again changes nothing that is already current.
"""

from __future__ import annotations

from typing import Any

from pilotdeck.auth.roles import Principal
from pilotdeck.domain.sla import SLA
from pilotdeck.platform import Platform

_BASE: dict[str, Any] = {"availabilityPct": 99.5, "p99LatencyMs": 250, "maxErrorRate": 0.01,
                         "windowHours": 168}
SLAS: dict[str, dict[str, Any]] = {
    "churn-prediction": {"accuracy": {"metric": "accuracy", "min": 0.7},
                         "business": {"metric": "revenue", "min": 0},
                         "escalation": "CRM data science on-call (#churn-oncall), then "
                                       "ana.silva@northwind.example"},
    "credit-risk-scoring": {"availabilityPct": 99.9, "accuracy": {"metric": "auc",
                                                                    "min": 0.7},
                            "escalation": "risk-analytics on-call; the governance board "
                                          "for any change of the decision threshold"},
    "fraud-detection-realtime": {"availabilityPct": 99.95, "p99LatencyMs": 100,
                                 "maxErrorRate": 0.001,
                                 "accuracy": {"metric": "recall", "min": 0.6},
                                 "escalation": "fraud-ops 24x7 pager"},
    "demand-forecasting": {"p99LatencyMs": 1000, "escalation": "supply-chain analytics"},
    "customer-support-assistant": {"p99LatencyMs": 500,
                                   "escalation": "support platform on-call"},
}


def sla_and_runbooks(platform: Platform, who: Principal) -> str:
    """Set the SLAs the deployed pilots lack and publish their runbooks where the
    published one is missing or stale; returns a line for the demo's output."""
    from pilotdeck.domain.errors import NotFound

    set_, published = [], []
    for pilot, doc in SLAS.items():
        try:
            platform.models.deployment(pilot)
        except NotFound:
            continue
        if platform.sla.get(pilot) is None:
            platform.sla.set(pilot, SLA.parse({**_BASE, **doc}), who)
            set_.append(pilot)
        if publish_runbook(platform, pilot, who):
            published.append(pilot)
    return (f"operations: SLA set for {len(set_)} pilot(s), runbooks published for "
            f"{len(published)} (try `pilotdeck sla churn-prediction` and `pilotdeck runbook "
            "churn-prediction`)")


def publish_runbook(platform: Platform, pilot: str, who: Principal) -> bool:
    """Publish the pilot's runbook when the published one is missing or stale (its
    deployment, SLA or alert rules changed since); True when it did."""
    from pilotdeck.render.runbook import markdown, page

    if platform.runbooks.stale(pilot) is None:
        return False
    r = platform.runbooks.generate(pilot)
    platform.runbooks.publish(r, markdown(r), page(r), who)
    return True
