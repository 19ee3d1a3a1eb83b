"""Quality baselines of catalogued datasets, as the catalogue's callers use them.

:class:`~pilotdeck.services.data_quality.DataQualityService` works on tables it
is handed; this is the catalogue-facing half: it picks the version by name,
reads it through the dataset's grants, and lets only those who may write the
dataset (owner team, write grant, administrators) replace its suite.
"""

from __future__ import annotations

from pilotdeck.auth.roles import Principal
from pilotdeck.domain.datasets import Access, check_name
from pilotdeck.services.data_quality import DataQualityService
from pilotdeck.services.datasets import DatasetService
from pilotdeck.views.data_quality import QualityResult, QualitySuite

__all__ = ["DatasetQuality"]


class DatasetQuality:
    def __init__(self, datasets: DatasetService, quality: DataQualityService) -> None:
        self.datasets, self.quality = datasets, quality

    def _ref(self, name: str, version: int | None) -> str:
        check_name(name)
        return f"dataset:{name}" + ("" if version is None else f"@{version}")

    def baseline(self, name: str, who: Principal, *, version: int | None = None,
                 keys: list[str] | None = None) -> QualitySuite:
        """A new suite from a version (default: the latest), then that version checked."""
        with self.datasets.access.recording():
            pinned = self.datasets.pin(self._ref(name, version), who, via="quality.baseline")
            self.datasets.require(name, who, Access.WRITE, via="quality.baseline")
        table = self.datasets.lake.open_table(pinned, "name").to_table()
        unknown = [k for k in keys or [] if k not in table.column_names]
        if unknown:
            from pilotdeck.domain.errors import FieldError, ValidationFailed

            raise ValidationFailed("unknown key columns", [
                FieldError(f"keys.{k}", "is not a column of the dataset") for k in unknown])
        suite = self.quality.baseline(name, pinned.version, table, who, keys=keys or [])
        self.quality.check(name, pinned.version, table, who)
        return suite

    def check(self, name: str, who: Principal, *, version: int | None = None) -> QualityResult:
        """Run the suite on a version (default: the latest); the result is kept."""
        pinned = self.datasets.pin(self._ref(name, version), who, via="quality.check")
        table = self.datasets.lake.open_table(pinned, "name")
        result = self.quality.check(name, pinned.version, table, who)
        self.datasets.record_run("quality.check", [str(pinned)], facets={
            "passed": result.passed, "failed": result.failed[:20]})
        return result

    def suite(self, name: str, who: Principal) -> QualitySuite:
        self.datasets.show(name, who)  # the entry exists and the caller reads the catalogue
        return self.quality.suite(name)

    def edit(self, name: str, yaml_text: str, who: Principal) -> QualitySuite:
        with self.datasets.access.recording():
            self.datasets.require(name, who, Access.WRITE, via="quality.edit")
        return self.quality.edit_suite(name, yaml_text, who)

    def results(self, name: str, who: Principal) -> list[QualityResult]:
        self.datasets.show(name, who)
        return self.quality.results(name)
