"""A version's fairness report before it serves: score a labelled validation
table with the version and measure its outcomes per sensitive group.

Monitoring measures fairness on logged traffic once labels arrive; a high-risk
version must show it before it takes any live traffic, so this scores a table
the team provides (the same fairlearn metrics, the same report) and stores the
report beside the version's profile, audited.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pilotdeck.audit.log import iso, utcnow
from pilotdeck.auth.roles import Permission, Principal
from pilotdeck.domain.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from pilotdeck.domain.ports.lake import Lake
from pilotdeck.domain.ports.registry import ModelRegistry
from pilotdeck.domain.ports.store import Store
from pilotdeck.domain.serving import profile_name
from pilotdeck.domain.signature import columns_of
from pilotdeck.services.explain import estimator_of, quiet
from pilotdeck.services.monitoring.performance import fairness_of
from pilotdeck.views.monitoring import VersionFairness

MAX_ROWS = 1_000_000  # a validation table, not a data lake


class FairnessService:
    def __init__(self, store: Store, registry: ModelRegistry, lake: Lake) -> None:
        self.store, self.registry, self.lake = store, registry, lake

    def evaluate(self, pilot: str, version: int, data: Path, label: str,
                 sensitive: list[str], who: Principal) -> VersionFairness:
        if not who.can(Permission.MODELS_WRITE, pilot):
            raise Forbidden(f"{who.user} may not evaluate models of pilot {pilot!r}")
        if not sensitive:
            raise ValidationFailed("invalid fairness request", [FieldError(
                "sensitive", "name at least one sensitive column (e.g. a group or region)")])
        with self.store.read() as uow:
            row = uow.models.version(uow.pilots.get(pilot).id, version)
            if row is None:
                raise NotFound("model version", f"{pilot}/{version}")
            columns = columns_of(row.signature)
        if columns is None:
            raise Conflict(f"{pilot} v{version} has no signature: its inputs are unknown")
        names = [c.name for c in columns]
        try:
            table = self.lake.open_table(str(data), "data")
        except ValidationFailed as exc:  # the problem only: no server path in an answer
            raise ValidationFailed(exc.message, [FieldError("data", e.problem)
                                                 for e in exc.errors]) from None
        have = set(table.schema.names)
        missing = [c for c in [*names, label, *sensitive] if c not in have]
        if missing:
            raise ValidationFailed("invalid fairness request", [
                FieldError("data", f"has no column {c!r}") for c in dict.fromkeys(missing)])
        frame = table.head(MAX_ROWS, columns=list(dict.fromkeys(
            [*names, label, *sensitive]))).to_pandas()
        model = self.registry.load(pilot, version)
        estimator = estimator_of(model)
        with quiet():
            predictions = (estimator.predict(frame[names]) if estimator is not None
                           else model.predict(frame[names]))
        rows = pd.DataFrame({"label": frame[label].to_numpy(),
                             "prediction": pd.Series(predictions).to_numpy(),
                             **{c: frame[c].to_numpy() for c in sensitive}})
        now = utcnow()
        view = VersionFairness(pilot=pilot, version=version, data=Path(str(data)).name,
                               label=label, computed_at=iso(now), computed_by=who.user,
                               report=fairness_of(pilot, rows, sensitive))
        self.lake.save_report("fairness", profile_name(pilot, version), view.dump())
        report = view.report
        with self.store.write() as uow:
            uow.audit.record(who.user, "model.fairness-evaluated", "model", f"{pilot}/{version}",
                             {"data": view.data, "rows": report.rows, "sensitive": sensitive,
                              "demographicParityDifference":
                                  report.demographic_parity_difference,
                              "accuracyGap": report.accuracy_gap}, now)
        return view

    def stored(self, pilot: str, version: int) -> VersionFairness | None:
        data = self.lake.load_report("fairness", profile_name(pilot, version))
        return None if data is None else VersionFairness.model_validate(data)
