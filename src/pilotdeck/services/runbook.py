"""A pilot's production runbook, generated from what is configured right now.

The runbook gathers the manifest (owners), the gateway's endpoints, the
deployment (variants, shadow, fallback, breaker), the alert rules about the
pilot and what each does, the rollback, the SLA and its escalation, and where
the metrics and logs are. The service returns it as a view; the interfaces
render it (Markdown, HTML) and may publish the rendering: stored in the lake,
audited with its hash and the deployment revision it describes, which is what
the readiness checklist's ``runbook`` item reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.alerts import METRICS, AlertRule, parse_rules
from pilotdeck.domain.errors import (
    FieldError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
    describe,
)
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.serving import DeploymentSpec
from pilotdeck.views.runbook import (
    PublishedRunbook,
    Runbook,
    RunbookEndpoint,
    RunbookRule,
    RunbookVariant,
)

if TYPE_CHECKING:
    from pilotdeck.services.portfolio import PortfolioService
    from pilotdeck.services.registry import RegistryService
    from pilotdeck.services.sla import SLAService

__all__ = ["Endpoints", "RunbookService"]

PREDICTION_LOG = "lake:datasets/predictions"
FEEDBACK_LOG = "lake:datasets/feedback"


@dataclass(frozen=True)
class Endpoints:
    """Where the servers answer (from Settings) and where the alert rules live."""

    api: str
    gateway: str
    rules_file: str


class RunbookService:
    def __init__(self, store: Store, lake: Lake, portfolio: PortfolioService,
                 models: RegistryService, sla: SLAService, endpoints: Endpoints,
                 rules: Callable[[], list[AlertRule]] | None = None) -> None:
        self.store, self.lake, self.endpoints = store, lake, endpoints
        self.portfolio, self.models, self.sla = portfolio, models, sla
        self.rules = rules or (lambda: rules_in(Path(endpoints.rules_file)))

    def generate(self, pilot: str) -> Runbook:
        p = self.portfolio.get(pilot)
        try:
            dep = self.models.deployment(pilot)
        except NotFound:
            dep = None
        sla = self.sla.record(pilot, missing_ok=True)
        spec = dep.spec if dep is not None else None
        gw, api = self.endpoints.gateway.rstrip("/"), self.endpoints.api.rstrip("/")
        live = [v for v in spec.variants if v.name != "champion"] if spec else []
        out = Runbook(
            pilot=pilot, generated_at=iso(utcnow()), business_unit=p.metadata.business_unit,
            owner=p.metadata.owner, status=str(p.spec.status.value),
            problem=p.spec.problem,
            team=[f"{m.name} ({m.role})" if m.role else m.name for m in p.spec.team],
            endpoints=[
                RunbookEndpoint(name="predict", method="POST",
                                url=f"{gw}/v1/pilots/{pilot}/predict",
                                permission=Permission.GATEWAY_PREDICT.value),
                RunbookEndpoint(name="feedback", method="POST", url=f"{gw}/v1/feedback",
                                permission=Permission.GATEWAY_FEEDBACK.value),
                RunbookEndpoint(name="gateway metrics (Prometheus)", method="GET",
                                url=f"{gw}/metrics", permission="public"),
                RunbookEndpoint(name="deployment", method="GET",
                                url=f"{api}/v1/pilots/{pilot}/deployment",
                                permission=Permission.MODELS_READ.value)],
            deployment_revision=dep.revision if dep is not None else None,
            variants=[RunbookVariant(name=v.name, version=v.version, weight=v.weight,
                                     note="fallback" if v.name == "champion" else "")
                      for v in spec.variants] if spec else [],
            shadow=list(spec.shadow) if spec else [],
            fallback=_fallback(spec), breaker=_breaker(spec),
            forced_open=list(spec.force_open) if spec else [],
            rules_file=self.endpoints.rules_file,
            alert_rules=[_rule(r) for r in self.rules() if r.pilot == pilot],
            rollback_command=(f"pilotdeck models rollback {pilot} {live[0].name} --reason "
                              "\"WHY\"") if live else None,
            rollback_api=(f"POST {api}/v1/pilots/{pilot}/deployment/rollback "
                          f"{{\"variant\": \"{live[0].name}\", \"reason\": \"WHY\"}}")
            if live else None,
            sla=sla.sla if sla is not None else None,
            sla_revision=sla.revision if sla is not None else None,
            escalation=(sla.sla.escalation if sla is not None and sla.sla.escalation
                        else f"the pilot owner, {p.metadata.owner}"),
            observability=[
                f"Gateway metrics (Prometheus): {gw}/metrics",
                f"Prediction log (Delta table): {PREDICTION_LOG}, feedback: {FEEDBACK_LOG}",
                f"Health and latency: pilotdeck monitor health {pilot} --since 24h",
                f"Model quality from feedback: pilotdeck monitor quality {pilot}",
                f"Drift against the reference: pilotdeck monitor drift {pilot}",
                f"Full report (HTML, charts): pilotdeck monitor report {pilot} --html "
                "report.html",
                f"SLA compliance: pilotdeck sla {pilot}",
                f"Open alerts: pilotdeck monitor alerts --pilot {pilot}",
                f"Who changed what: pilotdeck audit log --entity deployment:{pilot}"])
        return out

    def publish(self, runbook: Runbook, markdown: str, html: str,
                who: Principal) -> PublishedRunbook:
        """Store the rendering and audit it with its hash and the deployment revision it
        describes; refused when the deployment or SLA changed since it was generated."""
        pilot = runbook.pilot
        if not who.can(Permission.PILOTS_WRITE, pilot):
            raise Forbidden(f"{who.user} may not publish the runbook of pilot {pilot!r}")
        now = utcnow()
        with self.store.write() as uow:
            row = uow.pilots.get(pilot)
            dep, sla = uow.models.deployment(row.id), uow.slas.get(row.id)
            if ((dep.revision if dep else None) != runbook.deployment_revision
                    or (sla.revision if sla else None) != runbook.sla_revision):
                raise PreconditionFailed(f"the deployment or SLA of {pilot!r} changed while "
                                         "the runbook was generated; generate it again")
            out = PublishedRunbook(
                pilot=pilot, sha256=_sha(markdown), html_sha256=_sha(html),
                deployment_revision=runbook.deployment_revision,
                deployment_shape=DeploymentSpec.parse(dep.spec).shape() if dep else None,
                sla_revision=runbook.sla_revision, published_at=iso(now),
                published_by=who.user)
            uow.audit.record(who.user, "runbook.published", "pilot", pilot, {
                "sha256": out.sha256, "htmlSha256": out.html_sha256,
                "deploymentRevision": out.deployment_revision,
                "deploymentShape": out.deployment_shape, "slaRevision": out.sla_revision}, now)
            # Written inside the transaction: if it fails, nothing is recorded.
            self.lake.save_report("runbooks", pilot, {
                **out.dump(), "markdown": markdown, "html": html})
            return out

    def published(self, pilot: str) -> PublishedRunbook | None:
        """The last published runbook's record (None: never published)."""
        with self.store.read() as uow:
            uow.pilots.get(pilot)
        data = self.lake.load_report("runbooks", pilot)
        if data is None:
            return None
        return PublishedRunbook.model_validate(
            {k: v for k, v in data.items() if k not in ("markdown", "html")})

    def stale(self, pilot: str) -> str | None:
        """Why the published runbook no longer describes the pilot; None while it
        does. Weights alone (a staged rollout's steps) leave it current; another
        version, fallback, breaker policy or SLA does not."""
        published = self.published(pilot)
        if published is None:
            return "no runbook published"
        with self.store.read() as uow:
            row = uow.pilots.get(pilot)
            dep, sla = uow.models.deployment(row.id), uow.slas.get(row.id)
            revision = dep.revision if dep is not None else None
            shape = DeploymentSpec.parse(dep.spec).shape() if dep is not None else None
            sla_revision = sla.revision if sla is not None else None
        same = (published.deployment_shape == shape if published.deployment_shape
                else published.deployment_revision == revision)
        when = published.published_at[:10]
        if not same:
            return (f"the runbook published {when} describes deployment revision "
                    f"{published.deployment_revision}, which has changed since (now "
                    f"revision {revision})")
        if published.sla_revision != sla_revision:
            return f"the SLA changed since the runbook was published {when}"
        return None

    def published_text(self, pilot: str, format: str) -> str:
        """The published rendering (``md`` or ``html``) as it was published."""
        with self.store.read() as uow:
            uow.pilots.get(pilot)
        data = self.lake.load_report("runbooks", pilot)
        if data is None:
            raise NotFound("published runbook of pilot", pilot)
        return str(data["html" if format == "html" else "markdown"])


def rules_in(path: Path) -> list[AlertRule]:
    """The alert rules in the rules file (none when there is no file)."""
    import yaml

    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValidationFailed("cannot read alert rules", [FieldError(
            "rules", describe(exc), str(path))]) from None
    return parse_rules(data, str(path))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fallback(spec: DeploymentSpec | None) -> str:
    if spec is None:
        return "not deployed"
    f = spec.fallback
    return {"champion": "when a variant fails or its breaker is open, the champion answers",
            "default": f"when a variant fails, the safe default {f.default!r} is returned",
            "none": "no fallback: a failing variant's requests fail"}[f.to]


def _breaker(spec: DeploymentSpec | None) -> str:
    if spec is None:
        return "not deployed"
    b = spec.breaker
    return (f"opens when over {b.window_s:g} s at least {b.min_requests} requests see an error "
            f"rate of {b.error_rate:.0%} or {b.consecutive_failures} failures in a row "
            f"(calls slower than {b.slow_call_ms:g} ms count as slow, time out at "
            f"{b.timeout_ms:g} ms); stays open {b.open_s:g} s, then lets "
            f"{b.half_open_probes} probe requests through")


def _rule(r: AlertRule) -> RunbookRule:
    actions = []
    for a in r.actions:
        actions.append({"webhook": f"calls the webhook {a.url}",
                        "rollback": f"rolls back {a.variant} (its traffic goes to zero)",
                        "open_breaker": f"opens {a.variant}'s breaker (traffic takes the "
                                        "fallback)"}[a.type])
    scope = ", ".join(f"{k} {v}" for k, v in r.scope.model_dump(exclude_none=True).items())
    return RunbookRule(name=r.name, metric=r.metric, meaning=METRICS[r.metric],
                       condition=f"{r.metric} {r.comparison} {r.threshold:g}"
                       + (f" ({scope})" if scope else "")
                       + (f" on dataset {r.dataset}" if r.dataset else ""),
                       window=r.window, severity=r.severity,
                       actions=actions or ["opens an alert (no automatic action)"])
