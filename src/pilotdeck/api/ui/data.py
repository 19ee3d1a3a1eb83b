"""What each dashboard page shows, gathered from the platform's services.

A section whose inputs are missing (no deployment yet, no traffic, no signed
checkpoint) becomes an honest sentence, never an error page: a pilot early in its
life is a normal sight on the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pilotdeck.api.ui.data_governance import SOON, Calendar, calendar
from pilotdeck.api.ui.data_pilot import PilotInsights, pilot_insights
from pilotdeck.api.ui.sections import Section, section
from pilotdeck.audit.log import utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import NotFound, PilotdeckError
from pilotdeck.platform import Platform

HEALTH_WINDOW = timedelta(hours=24)
AUDIT_ROWS = 30


@dataclass
class PilotPage:
    pilot: Any
    manifest_yaml: str
    risk: Section
    approvals: Section
    readiness: Section
    versions: Section
    deployment: Section
    rollout: Section
    history: Section
    health: Section
    alerts: Section
    audit: Section
    can_deploy: bool
    insights: PilotInsights  # maturity, model card, drift, quality, fairness, impact
    challengers: list[int] = field(default_factory=list)


def pilot_page(platform: Platform, name: str, who: Principal) -> PilotPage:
    import yaml

    pilot = platform.portfolio.get(name)  # NotFound: the page is a 404
    manifest = yaml.safe_dump(pilot.manifest(), sort_keys=False, allow_unicode=True)
    versions = section(lambda: platform.models.versions(name))
    deployment = section(lambda: platform.models.deployment(name),
                         "not deployed: no variant serves traffic yet")
    champion = None
    if deployment.value is not None:
        variant = deployment.value.spec.variant("champion")
        champion = variant.version if variant is not None else None
    numbers = [v.version for v in (versions.value or [])]
    challengers = [v for v in numbers if v != champion]
    newest = max(numbers, default=None)  # the version on its way to production
    since = utcnow() - HEALTH_WINDOW
    return PilotPage(
        pilot=pilot, manifest_yaml=manifest,
        risk=section(lambda: platform.risk.current(name),
                     "no current risk assessment (pilotdeck risk assess)"),
        approvals=section(lambda: platform.approvals.requests(name)),
        readiness=section(lambda: platform.readiness.check(name, newest),
                          "no model version to check yet") if newest is not None else Section(
            missing="no model version to check yet (pilotdeck models register)"),
        versions=versions, deployment=deployment,
        rollout=section(lambda: platform.rollouts.status(name), "no rollout yet"),
        history=section(lambda: platform.rollouts.history(name)[1:6]),
        health=section(lambda: platform.monitoring.health(name, since)),
        alerts=section(lambda: platform.alerts.list(pilot=name)),
        audit=section(lambda: _pilot_audit(platform, name, numbers)),
        can_deploy=who.can(Permission.DEPLOYMENTS_WRITE, name) and deployment.value is not None,
        insights=pilot_insights(platform, name, who, champion, newest),
        challengers=challengers)


def _pilot_audit(platform: Platform, name: str, versions: list[int]) -> list[Any]:
    """The pilot's events and its model versions' (``pilot/3``), newest first."""
    events: dict[int, Any] = {}
    for entity in [name, *(f"{name}/{v}" for v in versions)]:
        for e in platform.audit.log(entity_id=entity, newest_first=True, limit=AUDIT_ROWS):
            events[e.seq] = e
    return [events[seq] for seq in sorted(events, reverse=True)[:AUDIT_ROWS]]


@dataclass
class GovernancePage:
    pending: list[Any]
    recent: list[Any]
    verify: Section
    checkpoint: Section
    can_decide: bool
    can_audit: bool
    calendar: Calendar  # what lapses soon, and the waivers in force
    soon_days: int


def governance_page(platform: Platform, who: Principal) -> GovernancePage:
    can_audit = who.can(Permission.AUDIT_READ)
    decided = [r for r in platform.approvals.requests(limit=20) if r.status != "requested"]
    return GovernancePage(
        pending=platform.approvals.requests(pending=True, limit=200),
        recent=decided[:10],
        verify=section(platform.audit.verify) if can_audit else Section(
            missing="your role may not read the audit log"),
        checkpoint=section(lambda: _latest_checkpoint(platform)) if can_audit else Section(
            missing="your role may not read the audit log"),
        can_decide=who.can(Permission.APPROVALS_DECIDE), can_audit=can_audit,
        calendar=calendar(platform, who, SOON), soon_days=SOON.days)


def _latest_checkpoint(platform: Platform) -> Any:
    found = platform.audit.checkpoints()
    if not found:
        raise NotFound("signed checkpoint", "none yet (pilotdeck audit checkpoint)")
    return max(found, key=lambda c: c.size)


@dataclass
class GatewayPage:
    url: str
    status: Any = None
    problem: str | None = None
    deployments: list[Any] = field(default_factory=list)


def gateway_page(platform: Platform, token: str) -> GatewayPage:
    """The gateway the settings name, asked with the signed-in person's own token."""
    import httpx

    s = platform.settings
    url = f"http://{s.gateway_host}:{s.gateway_port}"
    page = GatewayPage(url=url)
    pilots, _ = platform.portfolio.list(_all())
    for p in pilots:
        try:
            page.deployments.append(platform.models.deployment(p.name))
        except PilotdeckError:
            continue
    try:
        r = httpx.get(f"{url}/v1/gateway/status", timeout=1.5,
                      headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        page.problem = (f"the gateway at {url} is not reachable from the API server "
                        f"({type(exc).__name__}); start it with `pilotdeck gateway`, or set "
                        "PILOTDECK_GATEWAY_HOST/PORT to where it runs")
        return page
    if r.status_code != 200:
        page.problem = f"the gateway at {url} answered {r.status_code} to a status request"
        return page
    try:
        from pilotdeck.views.gateway import GatewayStatus

        page.status = GatewayStatus.model_validate(r.json())
    except ValueError:
        page.problem = f"the service at {url} does not answer like a pilotdeck gateway"
    return page


def _all() -> Any:
    from pilotdeck.domain.query import PilotFilter

    return PilotFilter()


def business_units(platform: Platform) -> list[str]:
    pilots, _ = platform.portfolio.list(_all())
    return sorted({p.metadata.business_unit for p in pilots})
