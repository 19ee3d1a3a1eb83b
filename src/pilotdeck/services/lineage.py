"""Lineage: every job that reads or writes data records an OpenLineage run event.

``record`` builds a real ``openlineage.client`` ``RunEvent`` (namespace
``pilotdeck``), stores it with its edges (inside the caller's unit of work when
given, so the lineage lands with the state change or not at all) and, when a
transport is configured (``PILOTDECK_OPENLINEAGE_URL``), sends it after the
commit. A collector that is down never fails the job: the failure is logged and
counted. ``upstream``/``downstream`` walk the stored edges.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pilotdeck.domain.errors import FieldError, ValidationFailed
from pilotdeck.domain.lineage import (
    Direction,
    Graph,
    Node,
    check_job,
    parse_node,
    parse_nodes,
    traverse,
)
from pilotdeck.domain.ports.lineage import LineageTransport
from pilotdeck.domain.ports.store import Store, UnitOfWork
from pilotdeck.views.lineage import (
    LineageEdge,
    LineageGraph,
    LineageNode,
    LineageRun,
    RecordedRun,
)

__all__ = ["NAMESPACE", "PRODUCER", "LineageService", "openlineage_dataset"]

log = logging.getLogger("pilotdeck.lineage")

NAMESPACE = "pilotdeck"
PRODUCER = "https://github.com/pilotdeck/pilotdeck"
FACET_SCHEMA = "https://github.com/pilotdeck/pilotdeck/lineage/PilotdeckRunFacet.json"
MAX_DEPTH = 1000
MAX_NODES = 200  # per side of one run


def openlineage_dataset(node: Node) -> tuple[str, str, str | None]:
    """(namespace, name, version) of a node as an OpenLineage dataset.

    Plain files follow OpenLineage's naming (namespace ``file``, the absolute
    path); pilotdeck's own things are named under the ``pilotdeck`` namespace."""
    if node.kind == "file":
        return "file", node.name, None
    folder = {"dataset": "datasets", "model": "models", "profile": "profiles"}[node.kind]
    version = None if node.version is None else str(node.version)
    return NAMESPACE, f"{folder}/{node.name}", version


def _datasets(nodes: list[Node], output: bool) -> list[Any]:
    from openlineage.client.event_v2 import InputDataset, OutputDataset
    from openlineage.client.facet_v2 import dataset_version_dataset

    out = []
    for n in nodes:
        namespace, name, version = openlineage_dataset(n)
        facets: dict[str, Any] = {}
        if version is not None:
            facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
                datasetVersion=version)
        cls = OutputDataset if output else InputDataset
        out.append(cls(namespace=namespace, name=name, facets=facets))
    return out


def _finite(value: Any) -> Any:
    """JSON-ready facts: non-finite numbers become null (and are then left out, as
    OpenLineage leaves out every null), other objects their text."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _event(run_id: str, job: str, event_type: str, when: datetime, inputs: list[Node],
           outputs: list[Node], facets: dict[str, Any]) -> dict[str, Any]:
    """The event as OpenLineage JSON, built with the client's own classes."""
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.facet_v2 import job_type_job
    from openlineage.client.serde import Serde

    event = RunEvent(
        eventType=RunState[event_type], eventTime=when.isoformat(),
        run=Run(runId=run_id),
        job=Job(namespace=NAMESPACE, name=job, facets={
            "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH",
                                                    integration="PILOTDECK", jobType="JOB")}),
        inputs=_datasets(inputs, output=False), outputs=_datasets(outputs, output=True),
        producer=PRODUCER)
    body: dict[str, Any] = Serde.to_dict(event)
    if facets:  # the caller's facts (rows, engine, ...) as one custom run facet
        body["run"].setdefault("facets", {})["pilotdeck"] = {
            "_producer": PRODUCER, "_schemaURL": FACET_SCHEMA, **_finite(facets)}
    return Serde.to_dict(body)  # nulls dropped, as the transport sends it


class LineageService:
    def __init__(self, store: Store,
                 transport: Callable[[], LineageTransport | None] | None = None) -> None:
        self.store = store
        self._transport = transport
        self._lock = threading.Lock()
        self.sent = 0
        self.send_failures = 0

    # -- recording ----------------------------------------------------------------
    def record(self, job: str, inputs: list[str], outputs: list[str], *,
               facets: dict[str, Any] | None = None, uow: UnitOfWork | None = None,
               failed: bool = False) -> RecordedRun:
        """Store one run of ``job`` (node ids in, node ids out) as an OpenLineage
        COMPLETE event (FAIL when ``failed``); send it after the commit."""
        from openlineage.client.uuid import generate_new_uuid

        check_job(job)
        ins, outs = parse_nodes(inputs, "inputs"), parse_nodes(outputs, "outputs")
        if len(ins) > MAX_NODES or len(outs) > MAX_NODES:
            raise ValidationFailed("invalid lineage run", [FieldError(
                "inputs" if len(ins) > MAX_NODES else "outputs",
                f"at most {MAX_NODES} nodes")])
        if any(n.kind == "job" for n in ins + outs):
            raise ValidationFailed("invalid lineage run", [FieldError(
                "inputs", "jobs are not read or written; name the data")])
        when = datetime.now(UTC)
        run_id = str(generate_new_uuid())
        event_type = "FAIL" if failed else "COMPLETE"
        body = _event(run_id, job, event_type, when, ins, outs, dict(facets or {}))

        def store(u: UnitOfWork) -> None:
            u.lineage.add(run_id=run_id, job=job, event_type=event_type, event_time=when,
                          event=body, inputs=ins, outputs=outs)
            u.after_commit(lambda: self._send(body))

        if uow is not None:
            store(uow)
        else:
            with self.store.write() as own:
                store(own)
        return RecordedRun(run_id=run_id, job=job, event_type=event_type,
                           inputs=[str(n) for n in ins], outputs=[str(n) for n in outs])

    def _send(self, event: dict[str, Any]) -> None:
        if self._transport is None:
            return
        try:
            transport = self._transport()
            if transport is None:
                return
            transport.emit(event)
        except Exception as exc:  # noqa: BLE001 - a collector's failure never fails the job
            with self._lock:
                self.send_failures += 1
            log.warning("lineage event for job %s not sent (%s): %s", event["job"]["name"],
                        type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
        else:
            with self._lock:
                self.sent += 1

    # -- queries ------------------------------------------------------------------
    def upstream(self, node: str, depth: int | None = None) -> LineageGraph:
        """What produced ``node``: the runs that wrote it, what they read, and so on."""
        return self._walk(node, "upstream", depth)

    def downstream(self, node: str, depth: int | None = None) -> LineageGraph:
        """What depends on ``node``: the runs that read it, what they wrote, and on."""
        return self._walk(node, "downstream", depth)

    def _walk(self, node: str, direction: Direction, depth: int | None) -> LineageGraph:
        start = parse_node(node)
        if depth is not None and not 0 <= depth <= MAX_DEPTH:
            raise ValidationFailed("invalid lineage query", [FieldError(
                "depth", f"must be 0..{MAX_DEPTH}")])
        with self.store.read() as uow:
            graph = traverse(start, direction, uow.lineage.runs_touching, depth)
        return _view(graph)

    def events(self, run_id: str) -> list[dict[str, Any]]:
        """The stored OpenLineage events of one run (as sent)."""
        with self.store.read() as uow:
            return list(uow.lineage.events(run_id))


def _view(g: Graph) -> LineageGraph:
    return LineageGraph(
        start=str(g.start), direction=g.direction, depth=g.depth,
        nodes=[LineageNode(id=str(n), kind=n.kind, name=n.name, version=n.version)
               for n in g.nodes],
        runs=[LineageRun(run_id=r.run_id, job=r.job, event_type=r.event_type, time=r.time)
              for r in sorted(g.runs.values(), key=lambda r: (r.time, r.run_id))],
        edges=[LineageEdge(source=s, target=t) for s, t in g.edges])
