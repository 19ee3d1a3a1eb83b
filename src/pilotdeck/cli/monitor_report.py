"""``pilotdeck monitor report``: every monitoring view in one HTML page and/or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pilotdeck.cli.context import console, err_console, platform
from pilotdeck.cli.monitor import WINDOW_OPTS, app, pilot_monitoring
from pilotdeck.domain.errors import FieldError, ValidationFailed, describe
from pilotdeck.domain.when import parse_when

if TYPE_CHECKING:
    from pilotdeck.views.monitoring import MonitoringReport


@app.command("report")
def report_cmd(pilot: str,
               html_path: Path | None = typer.Option(None, "--html",
                                                     help="Write a self-contained HTML report."),
               json_path: Path | None = typer.Option(None, "--json", help="Write the data."),
               since: str | None = WINDOW_OPTS["since"],
               until: str | None = WINDOW_OPTS["until"],
               sensitive: list[str] = typer.Option([], "--sensitive",
                                                   help="Fairness columns (repeatable)."),
               every: str = typer.Option("day", "--every", help="hour | day")) -> None:
    """Drift, distributions, quality over time, fairness, impact and health in one
    report (HTML with charts, and/or JSON)."""
    from rich.progress import Progress

    if html_path is None and json_path is None:
        raise ValidationFailed("invalid options", [FieldError(
            "--html", "give --html PATH and/or --json PATH")])
    monitoring = pilot_monitoring(pilot)
    p = platform()
    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task("report", total=7)

        def step(name: str) -> None:
            bar.update(task, advance=1, description=f"report: {name}")

        data = monitoring.report(pilot, since=parse_when(since, "--since"),
                                 until=parse_when(until, "--until"), sensitive=sensitive,
                                 every=every, alerts=p.alerts.list(pilot), progress=step)
        step("rendering")
        # The same camelCase JSON the API serves (NaN written as null).
        for path, text in ((json_path, lambda: data.model_dump_json(by_alias=True, indent=1)),
                           (html_path, lambda: _html(data))):
            if path is not None:
                _write_atomically(path, text())
    for path in (html_path, json_path):
        if path is not None:
            console.print(f"wrote {path}")


def _html(data: MonitoringReport) -> str:
    from pilotdeck.render.report_html import render

    return render(data)


def _write_atomically(path: Path, text: str) -> None:
    """A report appears whole or not at all (a failed run leaves the old one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    except OSError as exc:
        raise ValidationFailed("cannot write the report", [FieldError(
            "--html", describe(exc), str(path))]) from None
