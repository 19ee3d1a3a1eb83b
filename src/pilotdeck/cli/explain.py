"""``pilotdeck explain``: global explanations of model versions (mean |SHAP|)."""

from __future__ import annotations

import typer

from pilotdeck.cli.context import console, fail_format, me, platform, print_json, print_table

app = typer.Typer(help="Explanations: which features drive a model version's decisions.",
                  no_args_is_help=True)


@app.command("global")
def global_(pilot: str, version: int = typer.Option(..., "--version", min=1),
            format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Compute and store mean |SHAP| per feature over the version's reference sample."""
    fail_format(format, ["table", "json"])
    g = platform().explanations.compute_global(pilot, version, me())
    if format == "json":
        print_json(g.dump())
        return
    console.print(f"{pilot} v{version}: {g.explainer} explainer, values in {g.output_space} "
                  f"space, over {g.rows} reference rows")
    top = max(g.importance.values(), default=0.0) or 1.0
    print_table(None, ["feature", "mean |SHAP|", ""],
                [[f, f"{v:.4g}", "█" * max(1, round(20 * v / top))]
                 for f, v in g.importance.items()])
