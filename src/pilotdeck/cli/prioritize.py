"""``pilotdeck prioritize``: the impact x complexity matrix and the portfolio plan."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pilotdeck.cli.context import console, fail_format, platform, print_json, print_table
from pilotdeck.domain.query import PilotFilter

if TYPE_CHECKING:
    from pilotdeck.services.prioritization import Prioritization


def render(result: Prioritization) -> None:
    from pilotdeck.domain.prioritization import QUADRANT_LABELS

    print_table(
        f"prioritisation (rubric '{result.rubric.name}': impact >= "
        f"{result.rubric.impact.threshold:g} is high, complexity >= "
        f"{result.rubric.complexity.threshold:g} is high)",
        ["pilot", "unit", "impact", "complexity", "action", "reason"],
        [[p.name, p.business_unit, f"{p.impact:.2f}", f"{p.complexity:.2f}",
          QUADRANT_LABELS[p.quadrant], p.reason] for p in result.pilots],
    )
    plan = result.plan
    console.print(f"\n[bold]Portfolio plan[/bold]: {plan.summary}")
    for title, recs in (("Scale", plan.scale), ("Consolidate / queue", plan.consolidate),
                        ("Sunset", plan.sunset)):
        if recs:
            console.print(f"[bold]{title}[/bold]")
            for r in recs:
                console.print(f"  • {r.pilot}: {r.explanation}")
    if plan.standardise:
        console.print("[bold]Standardise[/bold]")
        for p in plan.standardise:
            console.print(f"  • {p.explanation}")
    if result.flips:
        console.print("\n[bold]Sensitivity[/bold] (a weight moved ±10% changes the quadrant of):")
        for f in result.flips:
            console.print(f"  • {f.pilot}: {f.axis}.{f.criterion} {f.change:+.0%} -> "
                          f"{f.to_quadrant.value}")
    else:
        console.print("\n[bold]Sensitivity[/bold]: no pilot changes quadrant when any weight "
                      "moves ±10%.")


def prioritize(format: str = typer.Option("table", "--format", help="table | json"),
               chart: Path | None = typer.Option(None, "--chart",
                                                 help="Write the matrix as .png or .svg"),
               business_unit: str | None = typer.Option(None, "--business-unit")) -> None:
    """Score every live pilot, place it in a quadrant and recommend a portfolio plan."""
    fail_format(format, ["table", "json"])
    svc = platform().prioritization
    result = svc.run(PilotFilter(business_unit=business_unit))
    if chart is not None:
        from pilotdeck.render.charts import matrix_chart

        matrix_chart(result.pilots, result.rubric, chart)
    if format == "json":
        print_json(result.as_dict())
    else:
        render(result)
        if chart is not None:
            console.print(f"\nchart written to {chart}")
