"""Wiring of phase 3 (scale with discipline): readiness, runbooks, staged rollouts.

Functions of the Platform rather than properties in ``platform/__init__`` so the
composition root stays readable in one sitting; each is called once, by the
cached property of the same name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pilotdeck.platform import Platform
    from pilotdeck.services.readiness import ReadinessService
    from pilotdeck.services.rollouts import RolloutService
    from pilotdeck.services.runbook import RunbookService


def runbooks(p: Platform) -> RunbookService:
    from pilotdeck.services.runbook import Endpoints, RunbookService

    s = p.settings
    return RunbookService(p.store, p.lake, p.portfolio, p.models, p.sla,
                          Endpoints(f"http://{s.api_host}:{s.api_port}",
                                    f"http://{s.gateway_host}:{s.gateway_port}",
                                    str(s.alert_rules)))


def readiness(p: Platform) -> ReadinessService:
    from pilotdeck.domain.readiness import parse_blocks
    from pilotdeck.services.readiness import ReadinessService, Sources

    return ReadinessService(Sources(
        p.store, p.lake, lambda: p.models, lambda: p.batch, lambda: p.audit,
        lambda: p.data_quality, lambda: p.assessments, lambda: p.risk, lambda: p.fairness,
        lambda: p.explanations, lambda: p.approvals, lambda: p.sla, lambda: p.runbooks,
        blocks=parse_blocks(p.settings.readiness_blocks)))


def rollouts(p: Platform) -> RolloutService:
    from pilotdeck.services.rollout_webhooks import Webhooks
    from pilotdeck.services.rollouts import RolloutService, RolloutSources

    return RolloutService(RolloutSources(
        p.store, p.lake, lambda: p.models, lambda: p.readiness, lambda name: p.sla.get(name),
        lambda src, who, f: p.lake.open_table(p.datasets.resolve(src, who, field=f), f),
        Webhooks(allow_internal=p.settings.rollout_webhooks_internal)))
