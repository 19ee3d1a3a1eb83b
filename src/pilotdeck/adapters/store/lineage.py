"""Lineage storage: one row per OpenLineage run event, and its edges normalised.

``lineage_runs`` keeps each event's JSON as it was built (and sent); ``lineage_edges``
holds one row per (run, direction, node) with the node's id and its unversioned
key, so "what read dataset:x" and "what wrote model:p/3" are index lookups on
SQLite and PostgreSQL alike. The rows live here rather than in ``models.py`` so
the lineage tables stay one module; they share the ORM ``Base`` (and so the
migration check in ``tests/integration/test_migrations.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pilotdeck.adapters.store.models import Base
from pilotdeck.domain.lineage import Direction, Node, Run, parse_node

NODE_LEN = 1100  # "file:" + a path of at most 1024 characters, with room


class LineageRunRow(Base):
    """One OpenLineage run event (START, COMPLETE, FAIL, ...)."""

    __tablename__ = "lineage_runs"
    __table_args__ = (UniqueConstraint("run_id", "event_type",
                                       name="uq_lineage_runs_run_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36), nullable=False)
    job: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    event_type: Mapped[str] = mapped_column(String(16), nullable=False)
    event_time: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    event: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class LineageEdgeRow(Base):
    """A node a run read (``in``) or wrote (``out``)."""

    __tablename__ = "lineage_edges"
    __table_args__ = (
        Index("ix_lineage_edges_direction_node", "direction", "node"),
        Index("ix_lineage_edges_direction_node_key", "direction", "node_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    job: Mapped[str] = mapped_column(String(100), nullable=False)
    direction: Mapped[str] = mapped_column(String(3), nullable=False)
    node: Mapped[str] = mapped_column(String(NODE_LEN), nullable=False)
    node_key: Mapped[str] = mapped_column(String(NODE_LEN), nullable=False)


class LineageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, run_id: str, job: str, event_type: str, event_time: datetime,
            event: dict[str, Any], inputs: Iterable[Node], outputs: Iterable[Node]) -> None:
        """Store one event and, for a run not seen before, its edges."""
        known = self.session.execute(select(LineageRunRow.id).where(
            LineageRunRow.run_id == run_id).limit(1)).first() is not None
        self.session.add(LineageRunRow(run_id=run_id, job=job, event_type=event_type,
                                       event_time=event_time, event=event))
        if not known:
            for direction, nodes in (("in", inputs), ("out", outputs)):
                for n in dict.fromkeys(nodes):
                    self.session.add(LineageEdgeRow(run_id=run_id, job=job,
                                                    direction=direction, node=str(n),
                                                    node_key=n.key))
        self.session.flush()

    def runs_touching(self, nodes: frozenset[Node], direction: Direction) -> list[Run]:
        """Runs that wrote (upstream) or read (downstream) any of ``nodes``;
        a job node: every run of the job."""
        side = "out" if direction == "upstream" else "in"
        exact = [str(n) for n in nodes if n.kind != "job" and n.version is not None]
        loose = [n.key for n in nodes if n.kind != "job" and n.version is None]
        jobs = [n.name for n in nodes if n.kind == "job"]
        conds = []
        if exact:
            conds.append(LineageEdgeRow.node.in_(exact))
        if loose:
            conds.append(LineageEdgeRow.node_key.in_(loose))
        ids: set[str] = set()
        if conds:
            ids |= set(self.session.execute(select(LineageEdgeRow.run_id).where(
                LineageEdgeRow.direction == side, or_(*conds))).scalars())
        if jobs:
            ids |= set(self.session.execute(select(LineageRunRow.run_id).where(
                LineageRunRow.job.in_(jobs))).scalars())
        return self.runs(sorted(ids))

    def runs(self, run_ids: list[str]) -> list[Run]:
        """The runs with these ids, each with its latest event's type and time."""
        if not run_ids:
            return []
        latest: dict[str, LineageRunRow] = {}
        for row in self.session.execute(select(LineageRunRow).where(
                LineageRunRow.run_id.in_(run_ids)).order_by(LineageRunRow.id)).scalars():
            latest[row.run_id] = row
        edges: dict[str, dict[str, list[Node]]] = {r: {"in": [], "out": []} for r in latest}
        for e in self.session.execute(select(LineageEdgeRow).where(
                LineageEdgeRow.run_id.in_(run_ids)).order_by(LineageEdgeRow.id)).scalars():
            edges[e.run_id][e.direction].append(parse_node(e.node))
        return [Run(r.run_id, r.job, r.event_type, r.event_time.isoformat(),
                    tuple(edges[r.run_id]["in"]), tuple(edges[r.run_id]["out"]))
                for r in latest.values()]

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """The stored OpenLineage events of one run, oldest first."""
        return [dict(e) for e in self.session.execute(select(LineageRunRow.event).where(
            LineageRunRow.run_id == run_id).order_by(LineageRunRow.id)).scalars()]

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest stored events, newest first."""
        return [dict(e) for e in self.session.execute(select(LineageRunRow.event).order_by(
            LineageRunRow.id.desc()).limit(limit)).scalars()]
