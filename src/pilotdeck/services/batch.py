"""Batch scoring of lakehouse tables with a registered model, with lineage."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import FieldError, Forbidden, ValidationFailed
from pilotdeck.domain.ports.compute import ComputeEngine, ScoreJob
from pilotdeck.domain.ports.registry import ModelRegistry
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.signature import columns_of
from pilotdeck.services.lineage_nodes import file_node
from pilotdeck.services.registry import RegistryService
from pilotdeck.views.batch import BatchResult

if TYPE_CHECKING:
    from pilotdeck.services.lineage import LineageService

log = logging.getLogger("pilotdeck.batch")


class BatchService:
    def __init__(self, store: Store, models: RegistryService, registry: ModelRegistry,
                 engines: Callable[[str | None], ComputeEngine],
                 lineage: Callable[[], LineageService] | None = None) -> None:
        self.store, self.models, self.registry, self.engines = store, models, registry, engines
        self.lineage = lineage

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
              progress: Callable[[int, int], None] | None = None,
              input_node: str | None = None, output_node: str | None = None) -> BatchResult:
        """Score ``input_path`` into ``output``; lineage names them as files unless
        ``input_node``/``output_node`` say which catalogued dataset versions they are."""
        if not who.can(Permission.MODELS_READ):
            raise Forbidden(f"{who.user} may not use the models of {pilot!r}")
        v = self.resolve_version(pilot, version, alias)
        info = self.models.version(pilot, v)
        job = ScoreJob(self.registry.local_path(pilot, v),
                       [c.name for c in columns_of(info.signature) or []] or None,
                       input_path, output, v, chunk_rows=chunk_rows)
        runner = self.engines(engine)
        # input table + model version -> batch.score -> output table
        inputs = [n for n in (input_node or file_node(input_path), f"model:{pilot}/{v}") if n]
        outputs = [n for n in (output_node or file_node(output),) if n]
        try:
            result = runner.score(job, progress)
        except Exception:
            self._failed(inputs, runner.name)
            raise
        lineage: dict[str, Any] = {  # the audit's summary; the full event is in lineage
            "eventType": "COMPLETE",
            "job": {"namespace": "pilotdeck", "name": f"batch-score.{pilot}"},
            "inputs": [{"namespace": "file", "name": str(input_path.resolve())}],
            "outputs": [{"namespace": "file", "name": str(output.resolve()),
                         "facets": {"outputStatistics": {"rowCount": result.rows}}}],
            "model": {"pilot": pilot, "version": v, "source": info.source},
            "engine": runner.name, "seconds": round(result.seconds, 3),
        }
        with self.store.write() as uow:
            if self.lineage is not None:
                run = self.lineage().record("batch.score", inputs, outputs, facets={
                    "rows": result.rows, "engine": runner.name,
                    "seconds": round(result.seconds, 3)}, uow=uow)
                lineage["runId"] = run.run_id
            uow.audit.record(who.user, "batch.scored", "model", f"{pilot}/{v}", lineage)
        return BatchResult(pilot=pilot, version=v, rows=result.rows, output=str(output),
                           engine=runner.name, seconds=result.seconds,
                           rows_per_second=result.rows / result.seconds if result.seconds
                           else None)

    def _failed(self, inputs: list[str], engine: str) -> None:
        """A FAIL run for a scoring that broke; its own failure is only logged."""
        if self.lineage is None:
            return
        try:
            self.lineage().record("batch.score", inputs, [], facets={"engine": engine},
                                  failed=True)
        except Exception as exc:  # noqa: BLE001 - the scoring error is the one to report
            log.warning("failed batch run not recorded in lineage: %s", type(exc).__name__)
