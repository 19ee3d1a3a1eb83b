"""``pilotdeck monitor run`` and ``monitor alerts``: evaluate alert rules, list alerts."""

from __future__ import annotations

from pathlib import Path

import typer

from pilotdeck.cli.context import fail_format, platform, print_json, print_table
from pilotdeck.cli.monitor import app, fmt
from pilotdeck.views.alerts import ActionResult


def _action(a: ActionResult) -> str:
    """``webhook:ok``, or ``webhook:FAILED (the reason)``."""
    if a.ok:
        return f"{a.type}:ok"
    return f"{a.type}:FAILED" + (f" ({a.error})" if a.error else "")


@app.command("run")
def run_cmd(rules: Path | None = typer.Option(None, "--rules", help="Alert rules YAML "
                                              "(default: PILOTDECK_ALERT_RULES)."),
            format: str = typer.Option("table", "--format", help="table | json"),
            fail_on_alert: bool = typer.Option(False, "--fail-on-alert",
                                               help="Exit 3 when any rule fires.")) -> None:
    """Evaluate alert rules once: open, dedupe or resolve alerts and run actions."""
    from pilotdeck.services.alerts import load_rules

    fail_format(format, ["table", "json"])
    p = platform()
    path = rules or p.settings.alert_rules
    assert path is not None
    results = p.alerts.evaluate(load_rules(path))
    if format == "json":
        print_json([r.dump() for r in results])
    else:
        print_table(f"{len(results)} rule(s) from {path}",
                    ["rule", "pilot", "metric", "value", "state", "alert", "actions"],
                    [[r.rule, r.pilot, r.metric, fmt(r.value), r.state, r.alert,
                      ", ".join(_action(a) for a in r.actions)]
                     for r in results])
    if fail_on_alert and any(r.fired for r in results):
        raise typer.Exit(3)


@app.command("alerts")
def alerts_cmd(pilot: str | None = typer.Option(None, "--pilot"),
               status: str | None = typer.Option(None, "--status", help="open | resolved"),
               format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Stored alerts, newest first."""
    fail_format(format, ["table", "json"])
    items = platform().alerts.list(pilot, status)
    if format == "json":
        print_json([a.dump() for a in items])
        return
    print_table(f"{len(items)} alert(s)",
                ["id", "status", "severity", "rule", "pilot", "value", "threshold", "count",
                 "last seen"],
                [[a.id, a.status, a.severity, a.rule, a.pilot, fmt(a.value),
                  f"{a.comparison} {a.threshold:g}", a.count, a.last_seen] for a in items])
