"""``pilotdeck monitor run|alerts|ack|silence|silences|unsilence``: evaluate alert rules,
list alerts, acknowledge them and silence rules."""

from __future__ import annotations

from pathlib import Path

import typer

from pilotdeck.cli.context import console, fail_format, me, platform, print_json, print_table
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
                [[a.id, a.status + (f" (ack: {a.acknowledged_by})" if a.acknowledged_by else ""),
                  a.severity, a.rule, a.pilot, fmt(a.value),
                  f"{a.comparison} {a.threshold:g}", a.count, a.last_seen] for a in items])


@app.command("ack")
def ack_cmd(alert_id: int = typer.Argument(..., min=1),
            note: str = typer.Option("", "--note", help="What is being done about it.")) -> None:
    """Acknowledge an open alert: you own it now (it stays open while it fires)."""
    a = platform().alerts.acknowledge(alert_id, me(), note)
    console.print(f"alert {a.id} ({a.rule}, {a.pilot}) acknowledged by {a.acknowledged_by}")


@app.command("silence")
def silence_cmd(rule: str = typer.Argument(..., help="The rule's name."),
                for_: str = typer.Option(..., "--for", help="How long: 30m, 2h, 3d."),
                reason: str = typer.Option(..., "--reason"),
                pilot: str | None = typer.Option(None, "--pilot",
                                                 help="Only this pilot's alerts.")) -> None:
    """Hold back a rule's actions (webhooks, rollbacks) for a while; alerts still open."""
    from datetime import UTC, datetime

    from pilotdeck.domain.when import parse_window

    until = datetime.now(UTC) + parse_window(for_, "--for")
    s = platform().alerts.silence(rule, me(), until=until, reason=reason, pilot=pilot)
    console.print(f"silence {s.id}: {rule}{f' ({pilot})' if pilot else ''} until {s.until}")


@app.command("silences")
def silences_cmd(active: bool = typer.Option(False, "--active", help="Only those in force."),
                 format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Alert silences, newest first."""
    fail_format(format, ["table", "json"])
    items = platform().alerts.silences(active)
    if format == "json":
        print_json([s.dump() for s in items])
        return
    print_table(f"{len(items)} silence(s)", ["id", "rule", "pilot", "until", "active", "by",
                                             "reason"],
                [[s.id, s.rule, s.pilot or "all", s.until[:19], "yes" if s.active else "",
                  s.created_by, s.reason] for s in items])


@app.command("unsilence")
def unsilence_cmd(silence_id: int = typer.Argument(..., min=1)) -> None:
    """End a silence now: the rule's actions run again."""
    s = platform().alerts.unsilence(silence_id, me())
    console.print(f"silence {s.id} ({s.rule}) ended")
