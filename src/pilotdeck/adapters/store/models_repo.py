"""Model version and deployment repository. Deployment updates are
compare-and-set on ``revision``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import DeploymentRow, ModelVersionRow, PilotRow
from pilotdeck.adapters.store.pilot_specs import save_spec


class ModelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_version(self, **values: Any) -> ModelVersionRow:
        row = ModelVersionRow(**values)
        self.session.add(row)
        self.session.flush()
        return row

    def versions(self, pilot_id: int) -> list[ModelVersionRow]:
        return list(self.session.execute(
            select(ModelVersionRow).where(ModelVersionRow.pilot_id == pilot_id)
            .order_by(ModelVersionRow.version)).scalars())

    def version(self, pilot_id: int, version: int) -> ModelVersionRow | None:
        return self.session.execute(
            select(ModelVersionRow).where(ModelVersionRow.pilot_id == pilot_id,
                                          ModelVersionRow.version == version)
        ).scalar_one_or_none()

    def pilots_using_run(self, run_id: str) -> set[str]:
        """Pilots with a version made from MLflow run ``run_id``: its own run, or
        the run its artifacts were copied from (artifact URIs hold the run id)."""
        q = (select(PilotRow.name).join(ModelVersionRow, ModelVersionRow.pilot_id == PilotRow.id)
             .where((ModelVersionRow.run_id == run_id)
                    | ModelVersionRow.source.contains(f"/{run_id}/", autoescape=True)))
        return set(self.session.execute(q).scalars())

    def deployment(self, pilot_id: int) -> DeploymentRow | None:
        return self.session.get(DeploymentRow, pilot_id)

    def save_deployment(self, pilot_id: int, spec: dict[str, Any], now: datetime,
                        who: str, *, expected: int | None = None,
                        first: int = 1) -> DeploymentRow:
        """Insert the pilot's deployment at revision ``first``, or replace it with a
        compare-and-set: ``UPDATE … WHERE pilot_id = ? AND revision = ?`` against
        ``expected`` (default: the revision this transaction reads)."""
        return save_spec(self.session, DeploymentRow, "deployment of pilot", pilot_id, spec,
                         now, who, expected=expected, first=first)

    def deployments(self) -> list[tuple[str, int, dict[str, Any]]]:
        """(pilot name, revision, spec) for every deployment: the gateway's one query."""
        return [(name, rev, spec) for name, rev, spec in self.session.execute(
            select(PilotRow.name, DeploymentRow.revision, DeploymentRow.spec)
            .join(PilotRow, PilotRow.id == DeploymentRow.pilot_id))]

    def revisions(self) -> dict[str, int]:
        return {name: rev for name, rev in self.session.execute(
            select(PilotRow.name, DeploymentRow.revision)
            .join(PilotRow, PilotRow.id == DeploymentRow.pilot_id))}
