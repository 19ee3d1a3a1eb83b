"""``pilotdeck playbook``: how we move AI from pilot to scale here, from the live standard.

``pilotdeck playbook`` prints it; ``--publish`` records a new version when the
standard changed (audited); ``playbook versions`` lists the published ones and
``playbook show N`` prints one as it was published.
"""

from __future__ import annotations

from pathlib import Path

import typer

from pilotdeck.cli.context import console, emit, fail_format, me, platform, print_json, print_table

app = typer.Typer(help="The playbook: how we move AI from pilot to scale here, generated "
                       "from the organisation's standard and current numbers.",
                  invoke_without_command=True)
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout.")


@app.callback()
def playbook(ctx: typer.Context,
             format: str = typer.Option("md", "--format", help="md | html | json"),
             output: Path | None = OUTPUT,
             publish: bool = typer.Option(False, "--publish", help="Record a new version if "
                                          "the standard changed since the last (audited).")
             ) -> None:
    """Rubric, maturity targets, risk controls, checklist, rollout, SLA and runbook,
    roles and teams, with how many pilots pass each gate and how long phases take."""
    if ctx.invoked_subcommand is not None:
        return
    fail_format(format, ["md", "html", "json"])
    from pilotdeck.render.playbook import markdown, page

    svc = platform().playbook
    p = svc.generate()
    md, html = markdown(p), page(p)
    if publish:
        out = svc.publish(p, md, html, me())
        v = out.version
        console.print(f"playbook version {v.version} published (standard sha256 "
                      f"{v.standard_sha256[:12]}; changed: {', '.join(v.changed)})"
                      if out.new else f"the standard has not changed: version {v.version} "
                      "stands", highlight=False, markup=False)
        if output is None:
            return
    if format == "json":
        if output is None:
            print_json(p.dump())
            return
        import json

        emit(json.dumps(p.dump(), indent=1) + "\n", output, "playbook")
        return
    emit(html if format == "html" else md, output, "playbook")


@app.command()
def versions(format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Published versions, oldest first, with what changed in each."""
    fail_format(format, ["table", "json"])
    rows = platform().playbook.versions()
    if format == "json":
        print_json([v.dump() for v in rows])
        return
    print_table(f"{len(rows)} version(s)", ["version", "published", "by", "standard",
                                            "changed"],
                [[v.version, v.published_at[:19], v.published_by, v.standard_sha256[:12],
                  ", ".join(v.changed)] for v in rows])


@app.command()
def show(version: int = typer.Argument(..., min=1, help="A published version."),
         format: str = typer.Option("md", "--format", help="md | html"),
         output: Path | None = OUTPUT) -> None:
    """A published version, exactly as it was published."""
    fail_format(format, ["md", "html"])
    emit(platform().playbook.published_text(version, format), output, "playbook")
