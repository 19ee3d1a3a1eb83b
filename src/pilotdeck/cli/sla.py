"""``pilotdeck sla``: a pilot's service-level agreement and its compliance.

``pilotdeck sla PILOT`` is ``pilotdeck sla status PILOT``: measured compliance,
exit 3 when a target is breached (like ``readiness`` when not ready).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from pilotdeck.cli.context import console, fail_format, me, platform, print_json, print_table
from pilotdeck.domain.errors import FieldError, ValidationFailed, describe


class _StatusByDefault(TyperGroup):
    """A first argument that is not a subcommand is a pilot: ``status`` it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["status", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_StatusByDefault, no_args_is_help=True,
                  help="Service-level agreements: set, show and measure a pilot's SLA "
                       "(`pilotdeck sla PILOT` is `sla status PILOT`).")


def read_sla(path: Path) -> Any:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValidationFailed("cannot read the SLA", [
            FieldError("--file", describe(exc), str(path))]) from None
    if isinstance(data, dict) and set(data) == {"sla"}:
        data = data["sla"]
    if not isinstance(data, dict):
        raise ValidationFailed("invalid SLA", [FieldError(
            "--file", "must be a mapping of targets (YAML or JSON)", str(path))])
    return data


@app.command("set")
def set_(pilot: str = typer.Argument(..., help="Pilot name."),
         file: Path = typer.Option(..., "--file", "-f", help="The SLA as YAML or JSON."),
         if_revision: int | None = typer.Option(
             None, "--if-revision", min=1, help="Only if the SLA is still at this revision "
             "(from `sla show`); else exit 1.")) -> None:
    """Create or replace the pilot's SLA (audited)."""
    from pilotdeck.domain.sla import SLA

    rec = platform().sla.set(pilot, SLA.parse(read_sla(file)), me(),
                             expected_revision=if_revision)
    console.print(f"SLA of {pilot} set (revision {rec.revision})", highlight=False)


@app.command()
def show(pilot: str = typer.Argument(..., help="Pilot name."),
         format: str = typer.Option("yaml", "--format", help="yaml | json")) -> None:
    """The pilot's SLA with its revision."""
    fail_format(format, ["yaml", "json"])
    rec = platform().sla.record(pilot)
    assert rec is not None
    if format == "json":
        print_json(rec.dump())
        return
    import yaml

    typer.echo(yaml.safe_dump(rec.dump(), sort_keys=False), nl=False)


@app.command()
def status(pilot: str = typer.Argument(..., help="Pilot name."),
           window: str | None = typer.Option(None, "--window", help="e.g. 24h, 7d "
                                             "(default the SLA's window)."),
           format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Compliance over the window, target by target; exit 3 when one is breached."""
    from pilotdeck.domain.when import parse_window

    fail_format(format, ["table", "json"])
    span = parse_window(window, "--window") if window is not None else None
    c = platform().sla.compliance(pilot, span)
    if format == "json":
        print_json(c.dump())
    else:
        colour = {"compliant": "green", "breached": "red"}.get(c.status, "yellow")
        console.print(f"{c.pilot}: [{colour}]{c.status}[/{colour}] over {c.window_hours:g} h "
                      f"({c.requests} requests, {c.since[:16]} .. {c.until[:16]})",
                      highlight=False)
        print_table(None, ["target", "measured", "target value", "rows", "status"],
                    [[t.target, "" if t.measured is None else f"{t.measured:.4g}",
                      f"{t.comparison} {t.threshold:g}", t.rows, t.status]
                     for t in c.targets])
    if c.breached:
        raise typer.Exit(3)


@app.command()
def delete(pilot: str = typer.Argument(..., help="Pilot name."),
           yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
           if_revision: int | None = typer.Option(
               None, "--if-revision", min=1, help="Only if the SLA is still at this "
               "revision; else exit 1.")) -> None:
    """Delete the pilot's SLA (audited)."""
    if not yes:
        typer.confirm(f"delete the SLA of {pilot!r}?", abort=True)
    platform().sla.delete(pilot, me(), expected_revision=if_revision)
    console.print(f"SLA of {pilot} deleted", highlight=False)
