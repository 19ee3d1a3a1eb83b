"""Lineage answers: the nodes and job runs a walk found, and the edges between them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pilotdeck.views.base import View

__all__ = ["LineageEdge", "LineageGraph", "LineageNode", "LineageRun", "RecordedRun"]


class LineageNode(View):
    id: str = Field(description="dataset:NAME@V, model:PILOT/V, file:/PATH, profile:NAME, "
                                "job:NAME")
    kind: str
    name: str
    version: int | None = None


class LineageRun(View):
    """One run of a job (an OpenLineage run)."""

    run_id: str
    job: str
    event_type: str = Field(description="COMPLETE, FAIL, ...")
    time: str


class LineageEdge(View):
    """input node id -> run id, or run id -> output node id."""

    source: str
    target: str


class LineageGraph(View):
    start: str
    direction: Literal["upstream", "downstream"]
    depth: int | None = Field(description="Runs deep at most; null: unlimited.")
    nodes: list[LineageNode]
    runs: list[LineageRun]
    edges: list[LineageEdge]


class RecordedRun(View):
    """What ``LineageService.record`` stored."""

    run_id: str
    job: str
    event_type: str
    inputs: list[str]
    outputs: list[str]
