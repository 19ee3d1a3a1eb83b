"""The pilotdeck Python SDK: a small httpx client over the REST API.

    from pilotdeck import Client

    with Client("http://127.0.0.1:8000", token="pd_...") as pd:
        page = pd.pilots.list(status="pilot")
        drift = pd.monitoring.drift("churn-prediction", since="24h")
        print(drift.windows[0].dataset_drift)

Every call returns the same typed view the server's route declares (and the
in-process :class:`~pilotdeck.Platform` returns), and every error is the same
typed :class:`~pilotdeck.domain.errors.PilotdeckError`. For tests, pass an
in-process client: ``Client(http=starlette.testclient.TestClient(app))``, or
any ``httpx`` transport (``transport=httpx.MockTransport(...)``).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import httpx

from pilotdeck.client._http import HttpCore, RemoteNotFound, Resource, error_from, segment
from pilotdeck.client._programme import Playbook, Programme, Teams, Training
from pilotdeck.client._rollouts import Rollouts
from pilotdeck.domain.errors import PreconditionFailed
from pilotdeck.views.alerts import AlertList, Evaluation
from pilotdeck.views.audit import AuditEventPage, TreeHead, VerifyResult
from pilotdeck.views.models import Deployment, ModelVersionList
from pilotdeck.views.monitoring import (
    FairnessReport,
    HealthReport,
    ImpactReport,
    MonitoringReport,
    QualityReport,
    WindowDriftReport,
)
from pilotdeck.views.pilots import Pilot, PilotPage, PilotWriteResult
from pilotdeck.views.prioritization import Prioritization
from pilotdeck.views.system import Health, VersionInfo
from pilotdeck.views.tokens import IssuedToken, TokenList

__all__ = ["Client", "RemoteNotFound", "error_from"]


class Pilots(Resource):
    def list(self, *, business_unit: str | None = None, status: str | None = None,
             owner: str | None = None, limit: int = 50, offset: int = 0) -> PilotPage:
        return self._core.get("/v1/pilots", PilotPage, businessUnit=business_unit,
                              status=status, owner=owner, limit=limit, offset=offset)

    def get(self, name: str) -> Pilot:
        return self._core.get(f"/v1/pilots/{segment(name)}", Pilot)

    def put(self, manifest: dict[str, Any] | Pilot, *, revision: int | None = None
            ) -> PilotWriteResult:
        """Create or replace a pilot from its manifest (a dict, as in YAML).

        A pilot as read (a :class:`Pilot`, or its ``dump()`` with ``record``) is
        written back conditionally: ``If-Match`` carries the revision it was read
        at, and a change made by someone else since raises PreconditionFailed
        instead of being overwritten. ``revision`` sets it explicitly."""
        doc = manifest.dump() if isinstance(manifest, Pilot) else dict(manifest)
        record = doc.pop("record", None)
        if revision is None and isinstance(record, dict):
            revision = record.get("revision")
        name = doc.get("metadata", {}).get("name", "")
        return self._core.send("PUT", f"/v1/pilots/{segment(name)}", PilotWriteResult,
                               doc, revision=revision)

    def update(self, name: str, change: Callable[[dict[str, Any]], dict[str, Any]],
               *, attempts: int = 10) -> PilotWriteResult:
        """Read a pilot, apply ``change`` to its manifest and write it back only if
        nobody changed it meanwhile; on a conflict, re-read and re-apply (up to
        ``attempts`` times), so concurrent updaters never lose each other's work."""
        for attempt in range(attempts):
            pilot = self.get(name)
            try:
                return self.put(change(pilot.manifest()), revision=pilot.record.revision)
            except PreconditionFailed:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def delete(self, name: str, *, revision: int | None = None) -> None:
        """Delete a pilot (only if still at ``revision``, when given)."""
        self._core.request("DELETE", f"/v1/pilots/{segment(name)}", revision=revision)


class Models(Resource):
    def versions(self, pilot: str) -> ModelVersionList:
        return self._core.get(f"/v1/pilots/{segment(pilot)}/models", ModelVersionList)

    def deployment(self, pilot: str) -> Deployment:
        return self._core.get(f"/v1/pilots/{segment(pilot)}/deployment", Deployment)

    def deploy(self, pilot: str, spec: dict[str, Any] | Deployment, *,
               revision: int | None = None) -> Deployment:
        """Replace the serving configuration; a :class:`Deployment` as read is
        written back conditionally (``If-Match`` its revision)."""
        if isinstance(spec, Deployment):
            revision = spec.revision if revision is None else revision
            body: dict[str, Any] = spec.spec.document()
        else:
            body = spec
        return self._core.send("PUT", f"/v1/pilots/{segment(pilot)}/deployment", Deployment,
                               body, revision=revision)

    def set_weights(self, pilot: str, weights: dict[str, float], reason: str = "", *,
                    revision: int | None = None) -> Deployment:
        """Change weights (only if the deployment is still at ``revision``, when given)."""
        return self._core.send("POST", f"/v1/pilots/{segment(pilot)}/deployment/weights",
                               Deployment, {"weights": weights, "reason": reason},
                               revision=revision)

    def rollback(self, pilot: str, reason: str, variant: str = "challenger", *,
                 revision: int | None = None) -> Deployment:
        return self._core.send("POST", f"/v1/pilots/{segment(pilot)}/deployment/rollback",
                               Deployment, {"variant": variant, "reason": reason},
                               revision=revision)


class Monitoring(Resource):
    def _path(self, pilot: str, view: str) -> str:
        return f"/v1/pilots/{segment(pilot)}/monitoring/{view}"

    def drift(self, pilot: str, *, since: str | None = None, until: str | None = None,
              by: str | None = None, variant: str | None = None, version: int | None = None,
              profile: str | None = None) -> WindowDriftReport:
        return self._core.get(self._path(pilot, "drift"), WindowDriftReport, since=since,
                              until=until, by=by, variant=variant, version=version,
                              profile=profile)

    def quality(self, pilot: str, *, since: str | None = None, until: str | None = None,
                by: list[str] | None = None, every: str | None = None) -> QualityReport:
        return self._core.get(self._path(pilot, "quality"), QualityReport, since=since,
                              until=until, by=by, every=every)

    def fairness(self, pilot: str, sensitive: list[str], *, since: str | None = None,
                 until: str | None = None, version: int | None = None) -> FairnessReport:
        return self._core.get(self._path(pilot, "fairness"), FairnessReport,
                              sensitive=sensitive, since=since, until=until, version=version)

    def impact(self, pilot: str, *, since: str | None = None, until: str | None = None,
               by: str = "variant", baseline: str = "champion") -> ImpactReport:
        return self._core.get(self._path(pilot, "impact"), ImpactReport, since=since,
                              until=until, by=by, baseline=baseline)

    def health(self, pilot: str, *, since: str | None = None, until: str | None = None,
               every: str | None = None) -> HealthReport:
        return self._core.get(self._path(pilot, "health"), HealthReport, since=since,
                              until=until, every=every)

    def report(self, pilot: str, *, since: str | None = None, until: str | None = None,
               sensitive: list[str] | None = None, every: str = "day") -> MonitoringReport:
        return self._core.get(self._path(pilot, "report"), MonitoringReport, since=since,
                              until=until, sensitive=sensitive, every=every)


class Alerts(Resource):
    def list(self, *, pilot: str | None = None, status: str | None = None) -> AlertList:
        return self._core.get("/v1/alerts", AlertList, pilot=pilot, status=status)

    def evaluate(self) -> Evaluation:
        return self._core.send("POST", "/v1/alerts/evaluate", Evaluation)


class Audit(Resource):
    def events(self, *, actor: str | None = None, entity_type: str | None = None,
               entity_id: str | None = None, action: str | None = None, limit: int = 100,
               offset: int = 0) -> AuditEventPage:
        return self._core.get("/v1/audit/events", AuditEventPage, actor=actor,
                              entityType=entity_type, entityId=entity_id, action=action,
                              limit=limit, offset=offset)

    def head(self) -> TreeHead:
        return self._core.get("/v1/audit/head", TreeHead)

    def verify(self) -> VerifyResult:
        return self._core.get("/v1/audit/verify", VerifyResult)


class Tokens(Resource):
    def list(self) -> TokenList:
        return self._core.get("/v1/tokens", TokenList)

    def create(self, user: str, role: str | None = None,
               pilots: builtins.list[str] | None = None, team: str | None = None
               ) -> IssuedToken:
        """A token; with a registered ``team`` (and no role), a team token for a member."""
        body = {"user": user, "role": role, "pilots": pilots or [],
                **({"team": team} if team is not None else {})}
        return self._core.send("POST", "/v1/tokens", IssuedToken, body)

    def revoke(self, token_id: int) -> None:
        self._core.request("DELETE", f"/v1/tokens/{int(token_id)}")


class Client:
    """The REST API as Python: ``pilots``, ``models``, ``rollouts``, ``monitoring``,
    ``alerts``, ``audit``, ``tokens``, ``teams``, ``training``, ``playbook``,
    ``programme``, plus ``version()``, ``health()`` and ``prioritization()``.

    ``base_url`` defaults to ``$PILOTDECK_URL`` (else http://127.0.0.1:8000) and
    ``token`` to ``$PILOTDECK_TOKEN``."""

    def __init__(self, base_url: str | None = None, token: str | None = None, *,
                 timeout: float = 30.0, http: httpx.Client | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._core = HttpCore(base_url, token, timeout=timeout, http=http, transport=transport)
        self.pilots = Pilots(self._core)
        self.models = Models(self._core)
        self.monitoring = Monitoring(self._core)
        self.alerts = Alerts(self._core)
        self.audit = Audit(self._core)
        self.tokens = Tokens(self._core)
        self.rollouts = Rollouts(self._core)
        self.teams = Teams(self._core)
        self.training = Training(self._core)
        self.playbook = Playbook(self._core)
        self.programme = Programme(self._core)

    def version(self) -> VersionInfo:
        return self._core.get("/v1/version", VersionInfo)

    def health(self) -> Health:
        return self._core.get("/healthz", Health)

    def prioritization(self, *, business_unit: str | None = None) -> Prioritization:
        return self._core.get("/v1/prioritization", Prioritization, businessUnit=business_unit)

    def close(self) -> None:
        self._core.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
