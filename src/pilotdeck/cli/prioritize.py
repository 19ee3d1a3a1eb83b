"""``pilotdeck prioritize``: the impact x complexity matrix and the portfolio plan."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pilotdeck.cli.context import console, fail_format, platform, print_json, print_table
from pilotdeck.domain.query import PilotFilter

if TYPE_CHECKING:
    from pilotdeck.views.prioritization import Prioritization


def render(result: Prioritization) -> None:
    print_table(
        f"prioritisation (rubric '{result.rubric.name}': impact >= "
        f"{result.rubric.impact_threshold:g} is high, complexity >= "
        f"{result.rubric.complexity_threshold:g} is high)",
        ["pilot", "unit", "impact", "complexity", "action", "reason"],
        [[p.name, p.business_unit, f"{p.impact:.2f}", f"{p.complexity:.2f}", p.action,
          p.reason] for p in result.pilots],
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
    flips = result.sensitivity.flips
    if flips:
        console.print("\n[bold]Sensitivity[/bold] (a weight moved ±10% changes the quadrant of):")
        for f in flips:
            console.print(f"  • {f.pilot}: {f.axis}.{f.criterion} {f.weight_change} -> "
                          f"{f.to.value}")
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

        matrix_chart(svc.scores(PilotFilter(business_unit=business_unit)), svc.rubric, chart)
    if format == "json":
        print_json(result.dump())
    else:
        render(result)
        if chart is not None:
            console.print(f"\nchart written to {chart}")
