"""A lineage graph as Graphviz DOT: data nodes as boxes, job runs as ellipses."""

from __future__ import annotations

from pilotdeck.views.lineage import LineageGraph

_SHAPES = {"dataset": "cylinder", "model": "box3d", "file": "note", "profile": "tab",
           "job": "ellipse"}


def _q(text: str) -> str:
    """A DOT quoted string: every backslash and quote escaped, newlines removed."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def to_dot(graph: LineageGraph) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;",
             f"  label={_q(f'{graph.direction} of {graph.start}')};"]
    for n in graph.nodes:
        style = ", style=bold" if n.id == graph.start else ""
        lines.append(f"  {_q(n.id)} [shape={_SHAPES.get(n.kind, 'box')}{style}];")
    for r in graph.runs:
        label = _q(f"{r.job} ({r.event_type} {r.time[:19]})")
        lines.append(f"  {_q(r.run_id)} [shape=ellipse, label={label}];")
    for e in graph.edges:
        lines.append(f"  {_q(e.source)} -> {_q(e.target)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
