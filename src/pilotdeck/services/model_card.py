"""Model cards, generated from what the platform knows, never typed by hand.

Everything on a card is read from the records the rest of the platform keeps
(the manifest, the registry link, the risk assessment, approvals, stored
explanations, profiles, the deployment), so a card cannot claim more than
there is evidence for; what is missing is listed under limitations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.domain.errors import NotFound
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.serving import profile_name
from pilotdeck.services.approvals import ApprovalService
from pilotdeck.services.explain import ExplanationService
from pilotdeck.services.governance import GovernanceService
from pilotdeck.services.lineage import LineageService
from pilotdeck.services.portfolio import PortfolioService
from pilotdeck.services.registry import RegistryService
from pilotdeck.services.risk import RiskService
from pilotdeck.views.model_card import DataSourceCard, ModelCard, Owner


def _columns(spec: Any) -> list[dict[str, Any]]:
    if not spec:
        return []
    cols = json.loads(spec) if isinstance(spec, str) else spec
    return [{k: c[k] for k in ("name", "type", "required") if k in c} for c in cols]


@dataclass
class ModelCardService:
    """Builds cards from the other services (it only reads)."""

    portfolio: PortfolioService
    models: RegistryService
    risk: RiskService
    governance: GovernanceService
    explanations: ExplanationService
    approvals: ApprovalService
    lake: Lake
    lineage: LineageService | None = None

    def card(self, pilot: str, version: int) -> ModelCard:
        p = self
        manifest = p.portfolio.get(pilot)
        mv = p.models.version(pilot, version)
        risk = p.risk.current(pilot)
        governance = p.governance.status(pilot, version)
        explanation = p.explanations.stored(pilot, version)
        approvals = p.approvals.requests(pilot, version=version)
        signature = mv.signature or {}
        try:
            p.lake.load_profile(profile_name(pilot, version))
            profiled = True
        except NotFound:
            profiled = False
        fairness = next((f"{c.detail} ({c.source})" for c in governance.controls
                         if c.id == "fairness-report"), "not required by the risk tier; "
                        "run `pilotdeck monitor fairness` on its logged predictions")
        return ModelCard(
            pilot=pilot, version=version, generated_at=iso(utcnow()),
            business_unit=manifest.metadata.business_unit, owner=manifest.metadata.owner,
            team=[Owner(name=t.name, role=t.role) for t in manifest.spec.team],
            frameworks=manifest.spec.stack.frameworks, source=mv.source, run_id=mv.run_id,
            registered_at=mv.registered_at, registered_by=mv.registered_by,
            aliases=mv.aliases, deployment=mv.deployment,
            intended_use=manifest.spec.problem, description=manifest.metadata.description,
            training_data=mv.datasets,
            data_sources=[DataSourceCard(name=d.name, kind=d.kind, owner=d.owner,
                                         lineage=d.lineage, quality=d.quality,
                                         contains_pii=d.contains_pii)
                          for d in manifest.spec.data_sources],
            lineage_upstream=self._lineage(pilot, version, "upstream"),
            lineage_downstream=self._lineage(pilot, version, "downstream"),
            metrics=mv.metrics, inputs=_columns(signature.get("inputs")),
            outputs=_columns(signature.get("outputs")), fairness=fairness,
            explanation=explanation, risk=risk, approvals=approvals, governance=governance,
            limitations=_limitations(mv, risk, governance, explanation, profiled),
            monitoring=_monitoring(mv.deployment, profiled))

    def _lineage(self, pilot: str, version: int, direction: str) -> list[str]:
        """The lineage nodes on one side of the version (itself left out)."""
        if self.lineage is None:
            return []
        me = f"model:{pilot}/{version}"
        walk = self.lineage.upstream if direction == "upstream" else self.lineage.downstream
        return [n.id for n in walk(me).nodes if n.id != me]


def _limitations(mv: Any, risk: Any, governance: Any, explanation: Any,
                 profiled: bool) -> list[str]:
    out = []
    if not mv.datasets:
        out.append("No training data recorded: lineage unknown.")
    if not mv.metrics:
        out.append("No evaluation metrics recorded at registration.")
    if risk is None:
        out.append("No current risk assessment: the version may not take live traffic.")
    if explanation is None:
        out.append("No global explanation: register with a reference table or run "
                   "`pilotdeck explain global`.")
    if not profiled:
        out.append("No reference profile: drift cannot be checked against training data.")
    out += [f"Control not in place: {c.id} ({c.detail})" for c in governance.controls
            if not c.satisfied]
    return out


def _monitoring(deployment: str, profiled: bool) -> list[str]:
    out = [f"Deployment: {deployment}."]
    if deployment != "not deployed":
        out.append("Every prediction is logged; latency, errors, cost and quality come from "
                   "the gateway's log (`pilotdeck monitor health|quality`).")
    out.append("Drift is checked against the reference profile." if profiled else
               "Drift cannot be checked yet (no reference profile).")
    return out
