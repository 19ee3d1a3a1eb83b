"""Model registry and deployments: MLflow holds the models, pilotdeck the links,
the serving configuration and the audit trail."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import (
    FieldError,
    Forbidden,
    NotFound,
    PilotdeckError,
    ValidationFailed,
)
from pilotdeck.domain.ports.registry import ALIASES, ModelRegistry
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.revisions import ANY_REVISION, check_revision
from pilotdeck.domain.serving import DeploymentSpec, profile_name
from pilotdeck.services.lineage_nodes import dataset_inputs, file_node
from pilotdeck.views.models import Deployment, ModelVersion

if TYPE_CHECKING:
    from pilotdeck.services.datasets import DatasetService
    from pilotdeck.services.explain import ExplanationService
    from pilotdeck.services.governance import GovernanceService
    from pilotdeck.services.lineage import LineageService
    from pilotdeck.services.monitoring import MonitoringService

log = logging.getLogger("pilotdeck.registry")

# Changes that only take traffic away are never held back by the governance gate.
UNGATED = ("deployment.rolled-back", "deployment.breaker-opened")


class RegistryService:
    def __init__(self, store: Store, registry: ModelRegistry,
                 monitoring: Callable[[], MonitoringService] | None = None,
                 governance: Callable[[], GovernanceService] | None = None,
                 explanations: Callable[[], ExplanationService] | None = None,
                 lineage: Callable[[], LineageService] | None = None,
                 datasets: Callable[[], DatasetService] | None = None) -> None:
        self.store = store
        self.datasets = datasets
        self.registry = registry
        self.monitoring = monitoring
        self.governance = governance
        self.explanations = explanations
        self.lineage = lineage

    def _check(self, who: Principal, pilot: str, perm: Permission = Permission.MODELS_WRITE
               ) -> None:
        if not who.can(perm, pilot):
            raise Forbidden(f"{who.user} may not change models of pilot {pilot!r}")

    def register(self, pilot: str, who: Principal, *, path: Path | None = None,
                 uri: str | None = None, metrics: dict[str, float] | None = None,
                 datasets: list[str] | None = None, description: str = "",
                 reference: Path | None = None) -> ModelVersion:
        """Register a version in MLflow, link it to the pilot, audit it.

        With ``reference`` (the training or validation table, Parquet), its
        profile is stored as ``PILOT.vN`` for drift checks of what the version
        is later asked; the table is checked before anything is registered."""
        self._check(who, pilot)
        inputs = dataset_inputs(datasets or [])  # refused before anything is registered
        if self.datasets is not None:
            # A dataset:NAME@V label is a catalogued version: it must exist, and the
            # registrant must be allowed to read it (bare NAME@V stays a label).
            for label in datasets or []:
                if label.startswith("dataset:"):
                    self.datasets().pin(label, who, field="datasets", for_pilot=pilot,
                                        via="model.register")
        with self.store.read() as uow:
            uow.pilots.get(pilot)  # fail before touching MLflow
            if uri is not None:
                self._check_source(who, uri, uow)
        if reference is not None and self.monitoring is not None:
            try:
                self.monitoring().lake.open_table(str(reference), "reference")
            except ValidationFailed as exc:
                # The problem only: the caller knows the path, and a server path
                # in an API answer tells strangers about the server's disk.
                raise ValidationFailed("invalid reference", [
                    FieldError("reference", e.problem) for e in exc.errors]) from None
        rv = self.registry.register(pilot, path=path, uri=uri, metrics=metrics,
                                    datasets=datasets, description=description)
        try:
            self._record_version(pilot, rv, who, datasets, reference, inputs)
        except BaseException:
            # MLflow has the version but pilotdeck does not: remove it, so a failed
            # registration leaves no orphan version behind.
            self.registry.discard(pilot, rv.version)
            raise
        if reference is not None and self.monitoring is not None:
            self.monitoring().build_profile(reference, profile_name(pilot, rv.version))
            self._explain(pilot, rv.version, who)
        return self.version(pilot, rv.version)

    def _explain(self, pilot: str, version: int, who: Principal) -> None:
        """The global explanation, from the profile just stored. A model shap cannot
        explain is still registered (explanations are one control among several,
        and `explain global` says why); the reason goes to the log."""
        if self.explanations is None:
            return
        try:
            self.explanations().compute_global(pilot, version, who)
        except PilotdeckError as exc:
            log.warning("%s v%d registered without a global explanation: %s",
                        pilot, version, exc.message)

    def _check_source(self, who: Principal, uri: str, uow: Any) -> None:
        """A token limited to some pilots may copy only what those pilots own.

        ``models:/NAME…`` is pilot NAME's model; ``runs:/RUN…`` belongs to every
        pilot with a version made from that run. A run no pilot has used (the
        team's own training run) is allowed."""
        scope = who.scoped_pilot_writes()
        if scope is None:
            return
        if uri.startswith("models:/"):
            name = uri.removeprefix("models:/").split("/", 1)[0].split("@", 1)[0]
            owners = {name}
        elif uri.startswith("runs:/"):
            run_id = uri.removeprefix("runs:/").split("/", 1)[0]
            owners = uow.models.pilots_using_run(run_id) if run_id else set()
        else:
            return  # the registry refuses other schemes
        if owners - scope:
            raise Forbidden(f"{who.user} may not register a model of another pilot "
                            f"(uri {uri.split(':', 1)[0]}:/…)")

    def _record_version(self, pilot: str, rv: Any, who: Principal, datasets: list[str] | None,
                        reference: Path | None, inputs: list[str]) -> None:
        with self.store.write() as uow:
            row = uow.pilots.get(pilot)
            now = utcnow()
            uow.models.add_version(pilot_id=row.id, version=rv.version, run_id=rv.run_id,
                                   source=rv.source, signature=rv.signature,
                                   metrics=rv.metrics, datasets=list(datasets or []),
                                   registered_at=now, registered_by=who.user)
            uow.audit.record(who.user, "model.registered", "model", f"{pilot}/{rv.version}", {
                "pilot": pilot, "version": rv.version, "runId": rv.run_id, "source": rv.source,
                "metrics": rv.metrics, "datasets": list(datasets or []),
                "signature": rv.signature, **({"reference": str(reference)}
                                              if reference is not None else {})}, now)
            if self.lineage is not None:  # dataset:NAME@V -> model.register -> model:P/V
                ref = file_node(reference) if reference is not None else None
                self.lineage().record("model.register", inputs + ([ref] if ref else []),
                                      [f"model:{pilot}/{rv.version}"],
                                      facets={"runId": rv.run_id, "source": rv.source},
                                      uow=uow)

    def set_alias(self, pilot: str, alias: str, version: int, who: Principal) -> None:
        self._check(who, pilot)
        if alias not in ALIASES:
            raise ValidationFailed("invalid alias", [FieldError(
                "alias", f"must be one of {', '.join(ALIASES)}, got {alias!r}")])
        with self.store.write() as uow:
            row = uow.pilots.get(pilot)
            if uow.models.version(row.id, version) is None:
                raise NotFound("model version", f"{pilot}/{version}")
            before = self.registry.aliases(pilot).get(alias)
            self.registry.set_alias(pilot, alias, version)
            uow.audit.record(who.user, "model.aliased", "model", f"{pilot}/{version}",
                             {"pilot": pilot, "alias": alias, "version": version,
                              "previous": before})

    def _view(self, pilot: str, r: Any, aliases: dict[str, int],
              deployed: dict[int, str]) -> ModelVersion:
        return ModelVersion(
            pilot=pilot, version=r.version, run_id=r.run_id, source=r.source,
            metrics=r.metrics, datasets=r.datasets, signature=r.signature,
            aliases=sorted(a for a, v in aliases.items() if v == r.version),
            deployment=deployed.get(r.version, "not deployed"),
            registered_at=iso(r.registered_at), registered_by=r.registered_by)

    def versions(self, pilot: str) -> list[ModelVersion]:
        aliases = self.registry.aliases(pilot)
        with self.store.read() as uow:
            row = uow.pilots.get(pilot)
            dep = uow.models.deployment(row.id)
            deployed = _deployed(dep.spec) if dep else {}
            return [self._view(pilot, r, aliases, deployed) for r in uow.models.versions(row.id)]

    def version(self, pilot: str, version: int) -> ModelVersion:
        for v in self.versions(pilot):
            if v.version == version:
                return v
        raise NotFound("model version", f"{pilot}/{version}")

    # -- deployments ---------------------------------------------------------
    @staticmethod
    def _deployment_view(pilot: str, dep: Any) -> Deployment:
        return Deployment(pilot=pilot, revision=dep.revision,
                          spec=DeploymentSpec.parse(dep.spec),
                          updated_at=iso(dep.updated_at), updated_by=dep.updated_by)

    def deployment(self, pilot: str) -> Deployment:
        with self.store.read() as uow:
            row = uow.pilots.get(pilot)
            dep = uow.models.deployment(row.id)
            if dep is None:
                raise NotFound("deployment of pilot", pilot)
            return self._deployment_view(pilot, dep)

    def deploy(self, pilot: str, spec: DeploymentSpec, who: Principal, *,
               action: str = "deployment.updated", reason: str = "",
               expected_revision: int | None = None) -> Deployment:
        """Store a new serving configuration (the gateway picks it up in seconds).

        With ``expected_revision`` the write is conditional (PreconditionFailed
        unless the deployment is still at that revision). Unless the change only
        takes traffic away, the governance gate runs in the same transaction: a
        version may not gain live traffic while its risk controls are missing."""
        return self._change(pilot, who, lambda _current: spec, action=action, reason=reason,
                            expected_revision=expected_revision)

    def _change(self, pilot: str, who: Principal,
                change: Callable[[DeploymentSpec | None], DeploymentSpec], *, action: str,
                reason: str, expected_revision: int | None) -> Deployment:
        """Read the deployment, derive the new spec and store it with a
        compare-and-set, all in one transaction: a change computed from the
        current spec (weights, rollback) cannot lose a concurrent one."""
        self._check(who, pilot, Permission.DEPLOYMENTS_WRITE)
        with self.store.write() as uow:
            row = uow.pilots.get(pilot)
            before = uow.models.deployment(row.id)
            check_revision("deployment of pilot", pilot,
                           before.revision if before else None, expected_revision)
            before_spec = dict(before.spec) if before else None
            spec = change(DeploymentSpec.parse(before_spec) if before_spec else None)
            if action in UNGATED and before is not None and spec.document() == before_spec:
                # Already done (by another gateway replica, an alert, a person):
                # one failure, one audit event.
                return self._deployment_view(pilot, before)
            known = {r.version for r in uow.models.versions(row.id)}
            missing = sorted(({v.version for v in spec.variants} | set(spec.shadow)) - known)
            if missing:
                raise ValidationFailed("invalid deployment", [FieldError(
                    "variants", f"version(s) {missing} are not registered for {pilot}")])
            if self.governance is not None and action not in UNGATED:
                self.governance().check_deployment(pilot, before_spec, spec, uow)
            dep = uow.models.save_deployment(
                row.id, spec.document(), utcnow(), who.user,
                expected=None if expected_revision in (None, ANY_REVISION)
                else expected_revision,
                # Revisions continue across a pilot's delete and re-create.
                first=uow.audit_events.changes("deployment", pilot) + 1)
            uow.audit.record(who.user, action, "deployment", pilot, {
                "before": before_spec, "after": spec.document(), "revision": dep.revision,
                **({"reason": reason} if reason else {})})
            return self._deployment_view(pilot, dep)

    @staticmethod
    def _current(pilot: str, spec: DeploymentSpec | None,
                 variant: str | None = None) -> DeploymentSpec:
        """The deployment read in the transaction (and the variant must be in it)."""
        if spec is None:
            raise NotFound("deployment of pilot", pilot)
        if variant is not None and spec.variant(variant) is None:
            raise NotFound("variant", variant)
        return spec

    def set_weights(self, pilot: str, weights: dict[str, float], who: Principal,
                    reason: str = "", *, expected_revision: int | None = None) -> Deployment:
        return self._change(pilot, who,
                            lambda cur: self._current(pilot, cur).reweighted(weights),
                            action="deployment.updated", reason=reason,
                            expected_revision=expected_revision)

    def rollback(self, pilot: str, variant: str, who: Principal, reason: str, *,
                 expected_revision: int | None = None) -> Deployment:
        """Send a variant's traffic to zero at once; audited with the reason."""
        if variant == "champion":
            raise ValidationFailed("cannot roll back", [FieldError(
                "variant", "the champion is the fallback; promote another version instead")])
        return self._change(
            pilot, who, lambda cur: self._current(pilot, cur, variant).rolled_back(variant),
            action="deployment.rolled-back", reason=reason,
            expected_revision=expected_revision)

    def open_breaker(self, pilot: str, variant: str, who: Principal, reason: str, *,
                     expected_revision: int | None = None) -> Deployment:
        """Hold a variant's breaker open in every gateway (its traffic takes the
        configured fallback) until the deployment is changed; audited."""
        return self._change(
            pilot, who,
            lambda cur: self._current(pilot, cur, variant).with_breaker_open(variant),
            action="deployment.breaker-opened", reason=reason,
            expected_revision=expected_revision)


def _deployed(spec: dict[str, Any]) -> dict[int, str]:
    out = {v["version"]: f"{v['name']} ({v['weight']:g}%)" for v in spec.get("variants", [])}
    out.update({v: "shadow" for v in spec.get("shadow", [])})
    return out
