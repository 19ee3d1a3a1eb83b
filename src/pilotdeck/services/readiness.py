"""The pilot-to-production checklist, answered from the platform's own evidence.

Each item asks the part of the platform that knows: the catalogue and quality
results (data), the registry and deployment (model, serving), the audit log
(batch runs), monitoring (profile, alert rules), risk, fairness, explanations,
approvals and training records. An item the platform cannot see fails with the
step that will satisfy it, unless the governance board attested or waived it
(:mod:`pilotdeck.services.readiness_attest`); what blocks which stage is the
configured map (``Settings.readiness_blocks``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pilotdeck.audit.log import utcnow
from pilotdeck.domain.readiness import (
    DEFAULT_BLOCKS,
    ITEMS,
    Blocks,
    Finding,
    Stage,
    Status,
    blocking,
    ready,
    with_attestations,
)
from pilotdeck.domain.serving import profile_name
from pilotdeck.services.lineage_nodes import dataset_names
from pilotdeck.services.readiness_attest import ReadinessAttestations
from pilotdeck.services.training import TrainingService
from pilotdeck.views.readiness import ReadinessItem, ReadinessReport

__all__ = ["ReadinessService", "Sources"]


@dataclass(frozen=True)
class Sources:
    """Where each answer comes from: the platform's services, built on first use
    (the composition root passes them; typed loosely to keep this module light)."""

    store: Any
    lake: Any
    models: Callable[[], Any]
    batch: Callable[[], Any]
    audit: Callable[[], Any]
    data_quality: Callable[[], Any]
    assessments: Callable[[], Any]
    risk: Callable[[], Any]
    fairness: Callable[[], Any]
    explanations: Callable[[], Any]
    approvals: Callable[[], Any]
    sla: Callable[[], Any]
    runbooks: Callable[[], Any]
    blocks: Blocks = field(default_factory=lambda: dict(DEFAULT_BLOCKS))  # the configured map


def _stage(stage: Stage | None) -> Literal["live", "full", "none"]:
    return "none" if stage is None else ("live" if stage is Stage.LIVE else "full")


def _ok(item: str, evidence: str) -> Finding:
    return Finding(item, Status.PASS, evidence)


def _no(item: str, evidence: str, step: str) -> Finding:
    return Finding(item, Status.FAIL, evidence, step)


class ReadinessService:
    """Reads many of the platform's services; writes only through the two it owns:
    the board's attestations and waivers, and the training records."""

    def __init__(self, sources: Sources) -> None:
        self.s = sources
        self.blocks = sources.blocks  # for the rollout controller: blocking(..., blocks)
        self.attestations = ReadinessAttestations(sources.store)
        self.training = TrainingService(sources.store)

    def check(self, pilot: str, version: int | None = None) -> ReadinessReport:
        s = self.s
        with s.store.read() as uow:
            uow.pilots.get(pilot)  # NotFound (with a did-you-mean) before anything else
        v = version if version is not None else s.batch().resolve_version(pilot, None, None)
        info = s.models().version(pilot, v)  # NotFound for a version that is not there
        findings = [*self._data(pilot, info.datasets), *self._model(pilot, v, info.metrics),
                    *self._operations(pilot, v), *self._governance(pilot, v)]
        trained = self.training.trained(pilot)  # replaces _governance's placeholder
        findings = [trained if f.item == "team-trained" else f for f in findings]
        words = self.attestations.applying(pilot, v)
        findings = with_attestations(findings, {k: a for k, (a, _) in words.items()},
                                     utcnow())
        texts = {i.id: i.text for i in ITEMS}
        items = [ReadinessItem(id=f.item, text=texts[f.item], status=f.status.value,
                               evidence=f.evidence, next_step=f.next_step,
                               blocks=_stage(s.blocks.get(f.item)),
                               attestation=words[f.item][1] if f.item in words else None)
                 for f in findings]
        return ReadinessReport(pilot=pilot, version=v, ready=ready(findings, s.blocks),
                               live_blocked_by=blocking(findings, Stage.LIVE, s.blocks),
                               full_blocked_by=blocking(findings, Stage.FULL, s.blocks),
                               items=items)

    def _data(self, pilot: str, labels: list[str]) -> list[Finding]:
        s = self.s
        with s.store.read() as uow:
            names = sorted({n for n in dataset_names(labels)
                            if uow.datasets.get(n) is not None})
        if not names:
            return [_no("data-catalogued", "the version names no catalogued dataset version",
                        "register the training data (pilotdeck data register) and the model "
                        "with --dataset dataset:NAME@VERSION"),
                    _no("data-quality", "no catalogued training data to check",
                        "catalogue the training data, then pilotdeck data baseline NAME")]
        verdicts = {n: s.data_quality().has_passing_baseline(n) for n in names}
        bad = [f"{n}: {why}" for n, (ok, why) in verdicts.items() if not ok]
        quality = (_ok("data-quality", "; ".join(f"{n}: {why}" for n, (_, why)
                                                 in verdicts.items()))
                   if not bad else _no("data-quality", "; ".join(bad),
                                       "pilotdeck data baseline NAME, then data check NAME"))
        return [_ok("data-catalogued", "trained on " + ", ".join(names)), quality]

    def _model(self, pilot: str, version: int, metrics: dict[str, float]) -> list[Finding]:
        if not metrics:
            return [_no("model-registered", f"version {version} is registered without metrics",
                        "register the version with its evaluation metrics (--metric K=V)")]
        shown = ", ".join(f"{k} {v:g}" for k, v in sorted(metrics.items())[:4])
        return [_ok("model-registered", f"version {version} registered with {shown}")]

    def _operations(self, pilot: str, version: int) -> list[Finding]:
        from pilotdeck.domain.errors import NotFound

        s = self.s
        try:
            spec = s.models().deployment(pilot).spec
            live = [x.name for x in spec.variants if x.version == version and x.weight > 0]
        except NotFound:
            live = []
        realtime = (_ok("serving-realtime", f"served by the gateway as {', '.join(live)}")
                    if live else _no("serving-realtime", "not in the pilot's live variants",
                                     f"pilotdeck models deploy {pilot} --champion {version}"))
        runs = s.audit().log(action="batch.scored", entity_type="model",
                           entity_id=f"{pilot}/{version}", limit=1)
        batch = (_ok("serving-batch", f"batch scoring ran ({runs[0].at[:10]})") if runs
                 else _no("serving-batch", "no batch scoring with this version",
                          f"pilotdeck batch score {pilot} --version {version} --input … "
                          "--output …"))
        try:
            s.lake.load_profile(profile_name(pilot, version))
            profiled = True
        except (NotFound, FileNotFoundError, ValueError):
            profiled = False
        with s.store.read() as uow:
            evidence = s.assessments().evidence_for(uow, pilot)
        rules = evidence.get("monitoring.alert_rules")
        if profiled and rules is not None and rules.satisfied:
            seen = _ok("observability", f"reference profile stored; {rules.note}")
        else:
            missing = ([] if profiled else ["no reference profile (register the version with "
                                            "--reference TABLE)"]) + (
                [] if rules is not None and rules.satisfied else ["no alert rule for the pilot"])
            seen = _no("observability", "; ".join(missing),
                       "store a reference profile and add alert rules for the pilot")
        return [realtime, batch, seen]

    def _governance(self, pilot: str, version: int) -> list[Finding]:
        s = self.s
        risk = s.risk().current(pilot)
        out = [_ok("risk-assessed", f"tier {risk.tier}, expires {risk.expires_at[:10]}")
               if risk is not None else
               _no("risk-assessed", "no current risk assessment",
                   f"pilotdeck risk assess {pilot} --answers FILE")]
        fair = s.fairness().stored(pilot, version)
        out.append(_ok("fairness", f"fairness report on {fair.data}") if fair is not None else
                   _no("fairness", "no fairness report for this version",
                       f"pilotdeck models fairness {pilot} --version {version} --data … "
                       "--label … --sensitive …"))
        explained = s.explanations().stored(pilot, version)
        out.append(_ok("explainability", f"{explained.explainer} SHAP explanation stored")
                   if explained is not None else
                   _no("explainability", "no stored explanation",
                       f"pilotdeck explain global {pilot} --version {version}"))
        approved = [a for a in s.approvals().requests(pilot, version)
                    if a.status == "approved"]
        out.append(_ok("board-signoff", f"approved by {approved[0].approvals} board member(s)")
                   if approved else
                   _no("board-signoff", "no governance-board approval of this version",
                       f"pilotdeck approvals request {pilot} --version {version}"))
        out += [
            self._runbook(pilot),
            _no("team-trained", "no training records for the team",
                "training records come with the centre of excellence (issue 12)"),
            self._sla(pilot),
        ]
        return out

    def _runbook(self, pilot: str) -> Finding:
        """Published, and about the deployment and SLA as they are now."""
        runbooks = self.s.runbooks()
        published = runbooks.published(pilot)
        if published is None:
            return _no("runbook", "no runbook published",
                       f"publish one: pilotdeck runbook {pilot} --publish")
        why = runbooks.stale(pilot)
        if why is not None:
            return _no("runbook", why, f"republish: pilotdeck runbook {pilot} --publish")
        return _ok("runbook", f"published {published.published_at[:10]} by "
                   f"{published.published_by} for deployment revision "
                   f"{published.deployment_revision} (sha256 {published.sha256[:12]})")

    def _sla(self, pilot: str) -> Finding:
        sla = self.s.sla().get(pilot)
        if sla is None:
            return _no("sla", "no SLA defined for the pilot",
                       f"pilotdeck sla set {pilot} --file sla.yaml")
        floors = "".join(f", {f.metric} >= {f.min:g}" for f in (sla.accuracy, sla.business)
                         if f is not None)
        return _ok("sla", f"availability >= {sla.availability_pct:g} %, p99 <= "
                   f"{sla.p99_latency_ms:g} ms, errors <= {sla.max_error_rate:g}{floors} "
                   f"over {sla.window_hours:g} h")
