"""``pilotdeck lineage``: what produced a node, and what depends on it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from pilotdeck.cli.context import fail_format, platform, print_json, print_table

if TYPE_CHECKING:
    from pilotdeck.views.lineage import LineageGraph

app = typer.Typer(help="Lineage (OpenLineage): upstream and downstream of datasets, models, "
                       "files and jobs.", no_args_is_help=True)

NODE = typer.Argument(..., help="dataset:NAME\\[@VERSION], model:PILOT\\[/VERSION], job:NAME, "
                                "file:/PATH or profile:NAME")
DEPTH = typer.Option(None, "--depth", min=0, max=1000,
                     help="At most this many job runs away (default: unlimited).")
FORMAT = typer.Option("table", "--format", help="table | json | dot")


def _show(graph: LineageGraph, format: str) -> None:
    if format == "json":
        print_json(graph.dump())
        return
    if format == "dot":
        from pilotdeck.render.lineage import to_dot

        sys.stdout.write(to_dot(graph))
        return
    nodes = {n.id for n in graph.nodes}
    rows = []
    for r in graph.runs:
        ins = sorted(e.source for e in graph.edges if e.target == r.run_id and e.source in nodes)
        outs = sorted(e.target for e in graph.edges if e.source == r.run_id and e.target in nodes)
        rows.append([r.time[:19], r.job, r.event_type, "\n".join(ins), "\n".join(outs),
                     r.run_id])
    print_table(f"{graph.direction} of {graph.start}: {len(graph.runs)} run(s), "
                f"{len(graph.nodes)} node(s)",
                ["time", "job", "state", "inputs", "outputs", "run"], rows)


@app.command()
def upstream(node: str = NODE, depth: int | None = DEPTH, format: str = FORMAT) -> None:
    """What produced NODE: the runs that wrote it, what they read, and so on up."""
    fail_format(format, ["table", "json", "dot"])
    _show(platform().lineage.upstream(node, depth), format)


@app.command()
def downstream(node: str = NODE, depth: int | None = DEPTH, format: str = FORMAT) -> None:
    """What depends on NODE: the runs that read it, what they wrote, and so on down."""
    fail_format(format, ["table", "json", "dot"])
    _show(platform().lineage.downstream(node, depth), format)
