"""Dataset catalogue repository: catalogue entries and the grants on them."""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from pilotdeck.adapters.store.models import DatasetGrantRow, DatasetRow


class DatasetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, name: str, uri: str, owner: str, description: str, tags: list[str],
            columns: dict[str, str], created_by: str, now: datetime,
            system: bool = False) -> DatasetRow:
        row = DatasetRow(name=name, uri=uri, owner=owner, description=description,
                         tags=tags, columns=columns, system=system, created_by=created_by,
                         created_at=now, updated_at=now, revision=1)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, name: str, *, for_update: bool = False) -> DatasetRow | None:
        q = select(DatasetRow).where(DatasetRow.name == name)
        if for_update:
            q = q.with_for_update()
        return self.session.execute(q).scalar_one_or_none()

    def list(self, *, tag: str | None = None, owner: str | None = None) -> list[DatasetRow]:
        q = select(DatasetRow).order_by(DatasetRow.name)
        if owner is not None:
            q = q.where(DatasetRow.owner == owner)
        rows = list(self.session.execute(q).scalars())
        # Tags are a JSON list: filtered here, portable across SQLite and PostgreSQL.
        return [r for r in rows if tag is None or tag in (r.tags or [])]

    def delete(self, row: DatasetRow) -> None:
        self.session.execute(delete(DatasetGrantRow).where(DatasetGrantRow.dataset == row.name))
        self.session.delete(row)

    # -- grants --------------------------------------------------------------
    def add_grant(self, *, dataset: str | None, tag: str | None, grantee: str, principal: str,
                  access: str, created_by: str, now: datetime) -> DatasetGrantRow:
        row = DatasetGrantRow(dataset=dataset, tag=tag, grantee=grantee, principal=principal,
                              access=access, created_by=created_by, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row

    def find_grant(self, *, dataset: str | None, tag: str | None, grantee: str,
                   principal: str, access: str) -> DatasetGrantRow | None:
        q = select(DatasetGrantRow).where(
            DatasetGrantRow.grantee == grantee, DatasetGrantRow.principal == principal,
            DatasetGrantRow.access == access,
            DatasetGrantRow.dataset.is_(None) if dataset is None
            else DatasetGrantRow.dataset == dataset,
            DatasetGrantRow.tag.is_(None) if tag is None else DatasetGrantRow.tag == tag)
        return self.session.execute(q.limit(1)).scalar_one_or_none()

    def remove_grant(self, row: DatasetGrantRow) -> None:
        self.session.delete(row)

    def grants(self, name: str | None = None, tags: builtins.list[str] | None = None
               ) -> builtins.list[DatasetGrantRow]:
        """Every grant (no arguments), or those that can cover ``name`` with ``tags``."""
        q = select(DatasetGrantRow).order_by(DatasetGrantRow.id)
        if name is not None:
            conds = [DatasetGrantRow.dataset == name]
            if tags:
                conds.append(DatasetGrantRow.tag.in_(tags))
            q = q.where(or_(*conds))
        return list(self.session.execute(q).scalars())
