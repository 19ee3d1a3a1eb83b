"""``pilotdeck readiness``: is a pilot's version ready for production, item by item."""

from __future__ import annotations

import typer

from pilotdeck.cli.context import console, fail_format, platform, print_json, print_table


def readiness(pilot: str = typer.Argument(..., help="Pilot name."),
              version: int | None = typer.Option(None, "--version", min=1,
                                                 help="Default: the champion."),
              format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """The pilot-to-production checklist, from the platform's evidence; exit 3 when
    something still blocks 100 % of traffic."""
    fail_format(format, ["table", "json"])
    r = platform().readiness.check(pilot, version)
    if format == "json":
        print_json(r.dump())
    else:
        verdict = "[green]ready[/green]" if r.ready else "[red]not ready[/red]"
        console.print(f"{r.pilot} version {r.version}: {verdict}"
                      + (f"; live traffic waits for {', '.join(r.live_blocked_by)}"
                         if r.live_blocked_by else ""), highlight=False)
        print_table(None, ["item", "status", "blocks", "evidence", "next step"],
                    [[i.id, i.status, i.blocks, i.evidence, i.next_step or ""]
                     for i in r.items])
    if not r.ready:
        raise typer.Exit(3)
