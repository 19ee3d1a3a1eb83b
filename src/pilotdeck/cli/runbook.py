"""``pilotdeck runbook``: the pilot's production runbook from live configuration."""

from __future__ import annotations

from pathlib import Path

import typer

from pilotdeck.cli.context import console, emit, fail_format, me, platform


def runbook(pilot: str = typer.Argument(..., help="Pilot name."),
            format: str = typer.Option("md", "--format", help="md | html"),
            output: Path | None = typer.Option(None, "--output", "-o",
                                               help="Write to this file instead of stdout."),
            publish: bool = typer.Option(False, "--publish", help="Store it and record it "
                                         "(audited; the readiness checklist's evidence)."),
            published: bool = typer.Option(False, "--published", help="Show the last "
                                           "published runbook instead of generating one.")
            ) -> None:
    """Owners, endpoints, deployment and fallback, alert rules, rollback, SLA,
    escalation, dashboards and logs: generated from what is configured now."""
    fail_format(format, ["md", "html"])
    from pilotdeck.render.runbook import markdown, page

    svc = platform().runbooks
    if published:
        text = svc.published_text(pilot, format)
    else:
        r = svc.generate(pilot)
        md, html = markdown(r), page(r)
        text = html if format == "html" else md
        if publish:
            out = svc.publish(r, md, html, me())
            console.print(f"runbook of {pilot} published (sha256 {out.sha256[:12]}, "
                          f"deployment revision {out.deployment_revision})", highlight=False)
            if output is None:
                return
    emit(text, output, "runbook")
