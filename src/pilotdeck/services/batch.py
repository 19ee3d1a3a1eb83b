"""Batch scoring of lakehouse tables with a registered model, with lineage.

Input and output may be catalogued datasets (``dataset:NAME[@V]``): the input
is read through its grants as a job of the pilot, and scored rows written to
``dataset:NAME`` become its next version, with the lineage run (input version
+ model version -> output version) committed with that version.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.datasets import PinnedTable, is_ref, parse_ref
from pilotdeck.domain.errors import FieldError, Forbidden, ValidationFailed
from pilotdeck.domain.ports.compute import ComputeEngine, ScoreJob
from pilotdeck.domain.ports.registry import ModelRegistry
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.signature import columns_of
from pilotdeck.services.datasets import DatasetService
from pilotdeck.services.lineage_nodes import file_node
from pilotdeck.services.registry import RegistryService
from pilotdeck.views.batch import BatchResult

if TYPE_CHECKING:
    from pilotdeck.services.lineage import LineageService

log = logging.getLogger("pilotdeck.batch")
Progress = Callable[[int, int], None]


class BatchService:
    def __init__(self, store: Store, models: RegistryService, registry: ModelRegistry,
                 engines: Callable[[str | None], ComputeEngine], datasets: DatasetService,
                 lineage: Callable[[], LineageService] | None = None) -> None:
        self.store, self.models, self.registry, self.engines = store, models, registry, engines
        self.datasets = datasets
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

    def score(self, pilot: str, input_path: str | Path, output: str | Path, who: Principal,
              *, engine: str | None = None, version: int | None = None,
              alias: str | None = None, chunk_rows: int = 50_000, owner: str | None = None,
              allow_failed_quality: bool = False, progress: Progress | None = None
              ) -> BatchResult:
        """Score ``input_path`` (a table path or ``dataset:NAME[@V]``) into ``output``
        (a path, or ``dataset:NAME``: the scored rows become its next version, or its
        first, owned by ``owner``). A catalogued input that fails its quality suite
        is refused unless ``allow_failed_quality``."""
        if not who.can(Permission.MODELS_READ):
            raise Forbidden(f"{who.user} may not use the models of {pilot!r}")
        with self.datasets.access.recording():
            return self._score(pilot, input_path, output, who, engine, version, alias,
                               chunk_rows, owner, allow_failed_quality, progress)

    def _score(self, pilot: str, input_path: str | Path, output: str | Path, who: Principal,
               engine: str | None, version: int | None, alias: str | None, chunk_rows: int,
               owner: str | None, allow_failed_quality: bool, progress: Progress | None
               ) -> BatchResult:
        v = self.resolve_version(pilot, version, alias)
        info = self.models.version(pilot, v)
        source = self.datasets.resolve(input_path, who, field="--input", for_pilot=pilot,
                                       via="batch.score")
        if isinstance(source, PinnedTable):
            self.datasets.quality_gate(source, who, allow_failed=allow_failed_quality)
        target = None
        if is_ref(str(output)):
            target = parse_ref(str(output), "--output")
            if target.version is not None:
                raise ValidationFailed("invalid output", [FieldError(
                    "--output", "scoring writes a new version: name dataset:NAME without @")])
            self.datasets.check_write(target.name, who, for_pilot=pilot, owner=owner)
            out_path = self.datasets.lake.scratch_dir() / "scored.parquet"
        else:
            self.datasets.lake.refuse_catalogued(str(output), "--output")
            out_path = Path(output)
        job = ScoreJob(self.registry.local_path(pilot, v),
                       [c.name for c in columns_of(info.signature) or []] or None,
                       source if isinstance(source, PinnedTable) else Path(source),
                       out_path, v, chunk_rows=chunk_rows)
        runner = self.engines(engine)
        input_node = str(source) if isinstance(source, PinnedTable) else file_node(source)
        inputs = [n for n in (input_node, f"model:{pilot}/{v}") if n]
        try:
            try:
                result = runner.score(job, progress)
            except Exception:
                self._failed(inputs, runner.name)
                raise
            # A catalogued output's version and its lineage run commit together.
            written = None if target is None else self.datasets.register(
                target.name, out_path, who, owner=owner, operation="batch.score",
                job="batch.score", for_pilot=pilot, source_label=input_node,
                extra_inputs=(f"model:{pilot}/{v}",))
        finally:
            if target is not None:
                shutil.rmtree(out_path.parent, ignore_errors=True)
        output_name = (f"dataset:{written.name}@{written.version}" if written
                       else str(out_path.resolve()))
        summary: dict[str, Any] = {  # the audit's summary; the full event is in lineage
            "eventType": "COMPLETE",
            "job": {"namespace": "pilotdeck", "name": f"batch-score.{pilot}"},
            "inputs": [{"namespace": "file", "name": str(source) if isinstance(
                source, PinnedTable) else str(Path(source).resolve())}],
            "outputs": [{"namespace": "file", "name": output_name,
                         "facets": {"outputStatistics": {"rowCount": result.rows}}}],
            "model": {"pilot": pilot, "version": v, "source": info.source},
            "engine": runner.name, "seconds": round(result.seconds, 3),
        }
        with self.store.write() as uow:
            if self.lineage is not None and written is None:
                outputs = [n for n in (file_node(out_path),) if n]
                run = self.lineage().record("batch.score", inputs, outputs, facets={
                    "rows": result.rows, "engine": runner.name,
                    "seconds": round(result.seconds, 3)}, uow=uow)
                summary["runId"] = run.run_id
            uow.audit.record(who.user, "batch.scored", "model", f"{pilot}/{v}", summary)
        return BatchResult(pilot=pilot, version=v, rows=result.rows, output=output_name,
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
