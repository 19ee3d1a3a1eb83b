"""Quality baselines of catalogued datasets: generate a suite, run it on versions.

A suite is generated from one version (``baseline``), kept as editable pandera
YAML in the lake, and run on every new version (``check``); each result is kept
per version. The catalogue decides *which* table a name and version are and who
may read it: this service receives the Arrow table, so it does no access
control of its own (the caller authorises, as for every dataset read).

Each change is audited in the same unit of work as the file it writes: the
file is written inside the transaction, so a failed write records nothing (a
failed commit after a write leaves a file the audit log does not mention; the
next baseline or check overwrites it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Principal
from pilotdeck.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.ports.store import Store
from pilotdeck.views.data_quality import QualityResult, QualitySuite, SuiteColumn

if TYPE_CHECKING:
    import pyarrow as pa

    from pilotdeck.services.quality_suite import BaselineOptions, Suite


def _table(data: Any) -> pa.Table:
    """An Arrow table from a table or an Arrow dataset (``to_table``)."""
    return data if hasattr(data, "column_names") else data.to_table()


def _check_version(version: int) -> None:
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValidationFailed("invalid dataset version", [FieldError(
            "version", "a dataset version is a whole number >= 0")])


class DataQualityService:
    def __init__(self, lake: Lake, store: Store) -> None:
        self.lake, self.store = lake, store

    # -- suites ------------------------------------------------------------------
    def baseline(self, name: str, version: int, table: Any, who: Principal, *,
                 keys: Sequence[str] = (), options: BaselineOptions | None = None
                 ) -> QualitySuite:
        """Profile ``table`` (version ``version`` of ``name``) into the dataset's suite,
        replacing the one stored (audited as ``dataset.quality-baseline``)."""
        from pilotdeck.services.quality_suite import generate, parse

        self.lake.load_quality_suite(name)  # the lake refuses a bad name before the work
        _check_version(version)
        keys = list(dict.fromkeys(keys))
        text = generate(_table(table), name, version, keys, options)
        suite = parse(text)
        with self.store.write() as uow:
            self.lake.save_quality_suite(name, text)
            uow.audit.record(who.user, "dataset.quality-baseline", "dataset", name, {
                "version": version, "suiteHash": suite.hash, "keys": keys,
                "rows": suite.metadata.get("baselineRows")}, utcnow())
        return suite_view(name, suite)

    def edit_suite(self, name: str, yaml_text: str, who: Principal) -> QualitySuite:
        """Replace the suite with a hand-edited one, refused (ValidationFailed) unless
        pandera reads it and every key means something."""
        from pilotdeck.services.quality_suite import parse

        suite = parse(yaml_text)
        with self.store.write() as uow:
            self.lake.save_quality_suite(name, yaml_text)
            uow.audit.record(who.user, "dataset.quality-suite-edited", "dataset", name,
                             {"suiteHash": suite.hash}, utcnow())
        return suite_view(name, suite)

    def _suite(self, name: str) -> Suite:
        from pilotdeck.services.quality_suite import parse

        text = self.lake.load_quality_suite(name)
        if text is None:
            raise NotFound("quality suite", name)
        return parse(text, f"quality/{name}/suite.yaml")

    def suite(self, name: str) -> QualitySuite:
        return suite_view(name, self._suite(name))

    # -- results -----------------------------------------------------------------
    def check(self, name: str, version: int, table: Any, who: Principal) -> QualityResult:
        """Run the suite on one version and keep the result (``dataset.quality-checked``)."""
        from pilotdeck.services.quality_run import run

        _check_version(version)
        suite = self._suite(name)
        data = _table(table)
        start = time.perf_counter()
        checks = run(suite, data)
        result = QualityResult(
            dataset=name, version=version, suite_hash=suite.hash,
            passed=all(c.passed for c in checks), rows=data.num_rows, checked_at=iso(utcnow()),
            duration_ms=round((time.perf_counter() - start) * 1000, 3),
            failed=[c.check for c in checks if not c.passed], checks=checks)
        with self.store.write() as uow:
            self.lake.save_quality_result(name, version, result.dump())
            uow.audit.record(who.user, "dataset.quality-checked", "dataset", name, {
                "version": version, "suiteHash": suite.hash, "passed": result.passed,
                "failed": result.failed[:20], "rows": result.rows}, utcnow())
        return result

    def gate(self, name: str, version: int, table: Any, who: Principal, *,
             allow_failed: bool = False) -> QualityResult | None:
        """For a job about to read a version (batch scoring): its quality verdict,
        checked now unless a result under the current suite is stored; a failed
        verdict is a Conflict unless ``allow_failed`` (``--allow-failed-quality``).
        None: the dataset has no suite, so there is nothing to hold it to."""
        if self.lake.load_quality_suite(name) is None:
            return None
        stored = self.lake.load_quality_result(name, version)
        suite_hash = self._suite(name).hash
        result = (QualityResult.model_validate(stored)
                  if stored is not None and stored.get("suiteHash") == suite_hash
                  else self.check(name, version, table, who))
        if not result.passed and not allow_failed:
            shown = ", ".join(result.failed[:5]) + (" …" if len(result.failed) > 5 else "")
            raise Conflict(f"dataset {name}@{version} failed its quality checks ({shown}); "
                           "fix the data, widen the suite, or pass --allow-failed-quality")
        return result

    def result(self, name: str, version: int) -> QualityResult:
        data = self.lake.load_quality_result(name, version)
        if data is None:
            raise NotFound("quality result", f"{name}@{version}")
        return QualityResult.model_validate(data)

    def results(self, name: str) -> list[QualityResult]:
        """Every stored result, oldest version first."""
        return [QualityResult.model_validate(d) for d in self.lake.list_quality_results(name)]

    def latest(self, name: str) -> QualityResult | None:
        """The result of the newest checked version (None: never checked)."""
        results = self.lake.list_quality_results(name)
        return QualityResult.model_validate(results[-1]) if results else None

    def has_passing_baseline(self, name: str) -> tuple[bool, str]:
        """Whether ``name`` has a suite and its newest checked version passed (and why)."""
        if self.lake.load_quality_suite(name) is None:
            return False, "no quality suite"
        latest = self.latest(name)
        if latest is None:
            return False, "a suite, never run"
        return latest.passed, (f"version {latest.version} passed" if latest.passed else
                               f"version {latest.version} failed {len(latest.failed)} check(s)")


def suite_view(name: str, suite: Suite) -> QualitySuite:
    """What a suite expects, read back from its pandera schema."""
    schema = suite.schema
    columns = [SuiteColumn(name=str(n), dtype=str(c.dtype) if c.dtype is not None else "any",
                           nullable=bool(c.nullable), required=bool(c.required),
                           unique=bool(c.unique), checks=[str(k.error or k.name) for k in c.checks])
               for n, c in schema.columns.items()]
    rows: dict[str, Any] = next(
        (c.statistics for c in schema.checks if c.name == "row_count_between"), {})
    unique = [schema.unique] if isinstance(schema.unique, str) else list(schema.unique or [])
    meta = suite.metadata
    version, base_rows = meta.get("baselineVersion"), meta.get("baselineRows")
    if meta.get("dataset") not in (None, name):
        raise ValidationFailed("invalid quality suite", [FieldError(
            "metadata.dataset", f"the suite is for {meta.get('dataset')!r}, not {name!r}")])
    return QualitySuite(dataset=name, suite_hash=suite.hash,
                        baseline_version=version if isinstance(version, int) else None,
                        baseline_rows=base_rows if isinstance(base_rows, int) else None,
                        min_rows=rows.get("min_rows"), max_rows=rows.get("max_rows"),
                        unique=unique, columns=columns, yaml=suite.text)
