"""Batch scoring of lakehouse tables with a registered model, with lineage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import FieldError, Forbidden, ValidationFailed
from pilotdeck.domain.ports.compute import ComputeEngine, ScoreJob
from pilotdeck.domain.ports.registry import ModelRegistry
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.signature import columns_of
from pilotdeck.services.registry import RegistryService
from pilotdeck.views.batch import BatchResult


class BatchService:
    def __init__(self, store: Store, models: RegistryService, registry: ModelRegistry,
                 engines: Callable[[str | None], ComputeEngine]) -> None:
        self.store, self.models, self.registry, self.engines = store, models, registry, engines

    def resolve_version(self, pilot: str, version: int | None, alias: str | None) -> int:
        if version is not None:
            self.models.version(pilot, version)  # NotFound if it isn't there
            return version
        aliases = self.registry.aliases(pilot)
        name = alias or "champion"
        if name not in aliases:
            raise ValidationFailed("no model to score with", [FieldError(
                "--version", f"pilot {pilot!r} has no {name!r} alias; pass --version")])
        return aliases[name]

    def score(self, pilot: str, input_path: Path, output: Path, who: Principal, *,
              engine: str | None = None, version: int | None = None, alias: str | None = None,
              chunk_rows: int = 50_000,
              progress: Callable[[int, int], None] | None = None) -> BatchResult:
        if not who.can(Permission.MODELS_READ):
            raise Forbidden(f"{who.user} may not use the models of {pilot!r}")
        v = self.resolve_version(pilot, version, alias)
        info = self.models.version(pilot, v)
        job = ScoreJob(self.registry.local_path(pilot, v),
                       [c.name for c in columns_of(info.signature) or []] or None,
                       input_path, output, v, chunk_rows=chunk_rows)
        runner = self.engines(engine)
        result = runner.score(job, progress)
        lineage = {  # shaped like an OpenLineage RunEvent (COMPLETE)
            "eventType": "COMPLETE",
            "job": {"namespace": "pilotdeck", "name": f"batch-score.{pilot}"},
            "inputs": [{"namespace": "file", "name": str(input_path.resolve())}],
            "outputs": [{"namespace": "file", "name": str(output.resolve()),
                         "facets": {"outputStatistics": {"rowCount": result.rows}}}],
            "model": {"pilot": pilot, "version": v, "source": info.source},
            "engine": runner.name, "seconds": round(result.seconds, 3),
        }
        with self.store.write() as uow:
            uow.audit.record(who.user, "batch.scored", "model", f"{pilot}/{v}", lineage)
        return BatchResult(pilot=pilot, version=v, rows=result.rows, output=str(output),
                           engine=runner.name, seconds=result.seconds,
                           rows_per_second=result.rows / result.seconds if result.seconds
                           else None)
