"""Evidence providers: where maturity scores come from when not self-reported.

A provider looks at one part of the platform and returns :class:`Evidence`
for the keys it can prove or refute. Later features (registry, monitoring,
risk) register more providers; the assessment service just asks them all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pilotdeck.domain.evidence import manifest_evidence
from pilotdeck.domain.maturity import Evidence
from pilotdeck.domain.pilot import PilotManifest
from pilotdeck.domain.ports.store import UnitOfWork
from pilotdeck.services.lineage_nodes import dataset_names

if TYPE_CHECKING:
    from pilotdeck.domain.ports.lake import Lake


class EvidenceProvider(Protocol):
    name: str

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]: ...


class ManifestEvidence:
    """Facts the pilot's inventory record proves (data sources, baselines, team)."""

    name = "inventory"

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        return manifest_evidence(pilot)


class AuditEvidence:
    """Whether the pilot's changes are in the tamper-evident audit trail."""

    name = "audit"

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        events = uow.audit_events.events(entity_type="pilot", entity_id=pilot.name, limit=1000)
        return [Evidence("audit.changes_recorded", bool(events),
                         f"{len(events)} audited change(s) to this pilot")]


def _pilot_id(uow: UnitOfWork, pilot: PilotManifest) -> int | None:
    row = uow.pilots.find(pilot.name)
    return None if row is None else int(row.id)


class RegistryEvidence:
    """What the model registry proves: versions registered with their runs and data."""

    name = "registry"

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        pid = _pilot_id(uow, pilot)
        versions = uow.models.versions(pid) if pid is not None else []
        n = len(versions)
        out = [Evidence("models.registered", n > 0,
                        f"{n} version(s) in the model registry")]
        if not n:
            return out
        tracked = sum(1 for v in versions if v.run_id and v.metrics)
        traced = sum(1 for v in versions if v.run_id and v.datasets)
        out += [
            # A registered version names the model, whatever the manifest's stack says.
            Evidence("models.declared", True, f"{n} registered version(s)"),
            Evidence("models.lineage", traced == n,
                     f"{traced}/{n} versions linked to their run and training data"),
        ]
        if tracked:  # only proof counts: runs may be tracked outside the platform
            out.append(Evidence("models.runs_tracked", True,
                                f"{tracked}/{n} versions come from a tracked run with metrics"))
        return out


class ServingEvidence:
    """What the gateway's deployment proves: shared serving, A/B or shadow rollout."""

    name = "serving"

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        pid = _pilot_id(uow, pilot)
        dep = uow.models.deployment(pid) if pid is not None else None
        spec: dict[str, Any] = dep.spec if dep is not None else {}
        live = [v for v in spec.get("variants", []) if v.get("weight", 0) > 0]
        shadow = list(spec.get("shadow", []))
        served = bool(live)
        staged = len(live) > 1 or (served and bool(shadow))
        how = (f"{len(live)} live variant(s)" + (f", {len(shadow)} shadow version(s)"
                                                  if shadow else "")) if served else \
            "not deployed on the gateway"
        out = [Evidence("serving.shared_gateway", served, how),
               Evidence("serving.staged_rollout", staged,
                        how + ("; breakers roll a failing challenger back" if staged else ""))]
        if served:  # the gateway logs latency, errors and cost of every request it serves
            out.append(Evidence("monitoring.health_tracked", True,
                                "latency, errors and cost from the gateway's log"))
        return out


class MonitoringEvidence:
    """Whether drift can be checked: a reference profile stored for a registered version."""

    name = "monitoring"

    def __init__(self, lake: Callable[[], Lake]) -> None:
        self._lake = lake  # built on first use: the lake pulls in pyarrow

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        from pilotdeck.domain.errors import NotFound

        pid = _pilot_id(uow, pilot)
        versions = [v.version for v in uow.models.versions(pid)] if pid is not None else []
        profiled = []
        for v in versions:
            try:
                self._lake().load_profile(f"{pilot.name}.v{v}")
            except NotFound:
                continue
            profiled.append(v)
        return [Evidence("monitoring.drift_checks", bool(profiled),
                         f"reference profiles for version(s) {profiled}" if profiled
                         else "no reference profile stored for any version")]


class AlertingEvidence:
    """Whether alert rules watch the pilot (the configured rules file)."""

    name = "alerting"

    def __init__(self, rules_path: Path | None) -> None:
        self.rules_path = rules_path

    def _rules(self) -> tuple[list[Any], str]:
        import yaml

        from pilotdeck.domain.alerts import parse_rules
        from pilotdeck.domain.errors import PilotdeckError

        path = self.rules_path
        if path is None or not path.is_file():
            return [], "no alert rules file"
        try:
            return parse_rules(yaml.safe_load(path.read_text()), str(path)), str(path)
        except (OSError, yaml.YAMLError, PilotdeckError):
            return [], f"alert rules in {path} cannot be read"

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        rules, where = self._rules()
        mine = sorted(r.name for r in rules if r.pilot == pilot.name)
        return [Evidence("monitoring.alert_rules", bool(mine),
                         f"rule(s) {', '.join(mine)} in {where}" if mine
                         else f"no alert rule for this pilot ({where})")]


class RiskEvidence:
    """Whether the pilot has a current (unexpired) risk assessment."""

    name = "risk"

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        from pilotdeck.services.risk import is_expired

        pid = _pilot_id(uow, pilot)
        row = uow.risk.latest(pid) if pid is not None else None
        if row is None:
            return [Evidence("risk.assessed", False, "no risk assessment")]
        if is_expired(row.expires_at):
            return [Evidence("risk.assessed", False,
                             f"the risk assessment ({row.tier}) expired; re-assess")]
        return [Evidence("risk.assessed", True, f"risk tier {row.tier}, score {row.score:g}")]


class QualityVerdicts(Protocol):
    """What the data-governance evidence needs of dataset quality (DataQualityService)."""

    def has_passing_baseline(self, name: str) -> tuple[bool, str]: ...


class DataQualityEvidence:
    """Share of the pilot's catalogued datasets whose quality suite passed on the newest
    checked version. ``datasets`` names a pilot's datasets (the catalogue's answer);
    a pilot with none gives no evidence here, so its manifest's declaration stands."""

    name = "data-quality"

    def __init__(self, datasets: Callable[[str], list[str]],
                 quality: Callable[[], QualityVerdicts]) -> None:
        self._datasets, self._quality = datasets, quality

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        names = sorted(set(self._datasets(pilot.name)))
        if not names:
            return []
        verdicts = {n: self._quality().has_passing_baseline(n) for n in names}
        good = [n for n, (ok, _) in verdicts.items() if ok]
        bad = "; ".join(f"{n}: {why}" for n, (ok, why) in verdicts.items() if not ok)
        note = f"{len(good)}/{len(names)} catalogued datasets pass their quality baseline"
        return [Evidence("data.quality_baseline", len(good) == len(names),
                         note + (f" ({bad})" if bad else ""))]


def catalogued_datasets(uow: UnitOfWork, pilot: PilotManifest) -> tuple[list[str], int, int]:
    """The catalogued datasets a pilot uses: its model versions' training data
    (``dataset:NAME@V`` or ``NAME@V``) and its declared data sources that the
    catalogue knows; with how many versions there are and how many name one."""
    pid = _pilot_id(uow, pilot)
    versions = uow.models.versions(pid) if pid is not None else []
    named: set[str] = set()
    traced = 0
    for v in versions:
        found = {n for n in dataset_names(list(v.datasets or []))
                 if uow.datasets.get(n) is not None}
        traced += bool(found)
        named |= found
    named |= {s.name for s in pilot.spec.data_sources if uow.datasets.get(s.name) is not None}
    return sorted(named), len(versions), traced


class CatalogueEvidence:
    """What the shared data layer proves: the pilot's data is catalogued, its models
    trace to dataset versions, and its datasets carry quality suites that run on
    every new version (and pass)."""

    name = "catalogue"

    def __init__(self, quality: Callable[[], QualityVerdicts]) -> None:
        self._quality = quality

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        names, versions, traced = catalogued_datasets(uow, pilot)
        out = []
        if versions:
            out.append(Evidence("data.lineage_documented", traced == versions,
                                f"{traced}/{versions} model versions trace to a catalogued "
                                "dataset version"))
        if not names:
            return out
        out.append(Evidence("data.catalogued", True, f"{len(names)} catalogued dataset(s): "
                            + ", ".join(names)))
        suites = [n for n in names if self._quality().has_passing_baseline(n)[1]
                  != "no quality suite"]
        out.append(Evidence("data.quality_automated", len(suites) == len(names),
                            f"{len(suites)}/{len(names)} datasets have a quality suite, run on "
                            "every new version"))
        return out + DataQualityEvidence(lambda _: names, self._quality).collect(uow, pilot)


class FeatureEvidence:
    """Whether the pilot's features come from the shared feature store, reused by
    other pilots (the applied definitions; Feast itself is not needed to read them)."""

    name = "features"

    def __init__(self, reuse: Callable[[], dict[str, list[str]]]) -> None:
        self._reuse = reuse

    def collect(self, uow: UnitOfWork, pilot: PilotManifest) -> list[Evidence]:
        views = {v: users for v, users in self._reuse().items() if pilot.name in users}
        if not views:
            return []
        shared = sorted(v for v, users in views.items() if len(users) > 1)
        return [Evidence("features.shared", bool(shared),
                         f"uses {len(views)} feature view(s), {len(shared)} shared with "
                         "other pilots" + (f" ({', '.join(shared)})" if shared else ""))]


DEFAULT_PROVIDERS: tuple[EvidenceProvider, ...] = (ManifestEvidence(), AuditEvidence(),
                                                   RiskEvidence())


def platform_providers(lake: Callable[[], Lake], rules_path: Path | None,
                       quality: Callable[[], QualityVerdicts] | None = None,
                       reuse: Callable[[], dict[str, list[str]]] | None = None
                       ) -> tuple[EvidenceProvider, ...]:
    """Every provider: the record's own, and the registry's, gateway's, monitoring's,
    alerting's and the data catalogue's (the platform's own evidence)."""
    data: tuple[EvidenceProvider, ...] = (
        ((CatalogueEvidence(quality),) if quality is not None else ())
        + ((FeatureEvidence(reuse),) if reuse is not None else ()))
    return (*DEFAULT_PROVIDERS, RegistryEvidence(), ServingEvidence(),
            MonitoringEvidence(lake), AlertingEvidence(rules_path), *data)
