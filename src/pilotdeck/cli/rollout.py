"""``pilotdeck rollout``: staged rollouts of a challenger, gated by evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from pilotdeck.cli.context import console, fail_format, me, platform, print_json, print_table
from pilotdeck.domain.errors import FieldError, ValidationFailed, describe
from pilotdeck.views.rollouts import RolloutView, SimulationView

app = typer.Typer(help="Staged rollouts: 5 → 25 → 50 → 100 % while the evidence says "
                       "proceed.", no_args_is_help=True)
FORMAT = typer.Option("table", "--format", help="table | json")


def _plan(file: Path | None) -> Any:
    from pilotdeck.domain.rollout import Plan

    if file is None:
        return Plan.parse({})
    import yaml

    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationFailed("cannot read the plan", [
            FieldError("--plan", describe(exc), str(file))]) from None
    if data is not None and not isinstance(data, dict):
        raise ValidationFailed("invalid rollout plan", [
            FieldError("--plan", "must be a mapping (steps, gates, alpha, ...)", str(file))])
    return Plan.parse(data)


def _show(r: RolloutView, format: str) -> None:
    if format == "json":
        print_json(r.dump())
        return
    console.print(f"{r.pilot}: rollout {r.id} of v{r.challenger_version} against "
                  f"v{r.champion_version} — {r.phase}, step {r.step}/{r.steps} at "
                  f"{r.weight:g}% ({r.mode})", highlight=False)
    console.print(f"  {r.reason}", highlight=False, markup=False)
    check = r.last_check or {}
    if check.get("gates"):
        console.print(f"  last check {check.get('at', '')}: {check.get('action')}",
                      highlight=False)
        print_table(None, ["gate", "verdict", "detail"],
                    [[g["gate"], g["verdict"], g["detail"]] for g in check["gates"]])


@app.command()
def start(pilot: str,
          challenger: int = typer.Option(..., "--challenger", min=1, help="Version to roll out."),
          plan: Path | None = typer.Option(None, "--plan", help="YAML/JSON plan (default: "
                                           "5/25/50/100 with every gate)."),
          mode: str = typer.Option("auto", "--mode", help="auto | confirm (a person confirms "
                                   "each step)"),
          format: str = FORMAT) -> None:
    """Start a staged rollout of a challenger beside the current champion."""
    fail_format(format, ["table", "json"])
    _show(platform().rollouts.start(pilot, challenger, me(), _plan(plan), mode), format)


@app.command()
def status(pilot: str, format: str = FORMAT) -> None:
    """The pilot's latest rollout: phase, step, weight and the last gate results."""
    fail_format(format, ["table", "json"])
    _show(platform().rollouts.status(pilot), format)


@app.command()
def history(pilot: str, format: str = FORMAT) -> None:
    """The pilot's rollouts, newest first."""
    fail_format(format, ["table", "json"])
    items = platform().rollouts.history(pilot)
    if format == "json":
        print_json([r.dump() for r in items])
        return
    print_table(None, ["id", "challenger", "champion", "phase", "step", "weight", "reason"],
                [[r.id, r.challenger_version, r.champion_version, r.phase,
                  f"{r.step}/{r.steps}", f"{r.weight:g}", r.reason] for r in items])


@app.command()
def pause(pilot: str, reason: str = typer.Option("", "--reason")) -> None:
    """Hold the rollout at its weight (gates still roll back a failing challenger)."""
    _show(platform().rollouts.pause(pilot, me(), reason), "table")


@app.command()
def resume(pilot: str) -> None:
    """Carry on after a pause."""
    _show(platform().rollouts.resume(pilot, me()), "table")


@app.command()
def abort(pilot: str, reason: str = typer.Option("", "--reason")) -> None:
    """Stop and send the challenger's traffic back to the champion now."""
    _show(platform().rollouts.abort(pilot, me(), reason), "table")


@app.command()
def promote(pilot: str, full: bool = typer.Option(False, "--full", help="Make the challenger "
                                                  "the champion now.")) -> None:
    """Confirm the step a rollout waits on (or go to 100 % with --full)."""
    _show(platform().rollouts.promote(pilot, me(), full), "table")


@app.command()
def tick() -> None:
    """Check every active rollout once (for cron, when no API server runs the loop)."""
    for r in platform().rollouts.tick():
        console.print(f"{r.pilot}: {r.action} — {r.reason}", highlight=False, markup=False)


@app.command()
def simulate(traffic: str = typer.Option(..., "--traffic", help="Parquet/CSV/Delta path or "
                                         "dataset:NAME\\[@V]: one row per request."),
             plan: Path | None = typer.Option(None, "--plan"),
             repeat: int = typer.Option(1, "--repeat", min=1, max=10_000),
             seed: int = typer.Option(0, "--seed", min=0),
             rate: float = typer.Option(10.0, "--rate", help="Requests per simulated second."),
             batch: int = typer.Option(50, "--batch", help="Requests between checks."),
             max_requests: int = typer.Option(100_000, "--max-requests",
                                              help="Per replay; then it counts as held."),
             pilot: str | None = typer.Option(None, "--pilot", help="Use this pilot's SLA."),
             format: str = FORMAT) -> None:
    """Replay traffic through a plan with the real gates; nothing live is touched."""
    fail_format(format, ["table", "json"])
    out = platform().rollouts.simulate(traffic, me(), _plan(plan), pilot=pilot, repeat=repeat,
                                       seed=seed, rate=rate, batch=batch,
                                       max_requests=max_requests)
    _show_simulation(out, format)


def _show_simulation(out: SimulationView, format: str) -> None:
    if format == "json":
        print_json(out.dump())
        return
    console.print(f"decision: {out.decision} after {out.requests:,} requests "
                  f"({out.seconds:,.0f} simulated s)", highlight=False)
    print_table(None, ["step", "weight", "challenger requests", "checks", "action", "reason"],
                [[s["step"], f"{s['weight']:g}", s["challengerRequests"], s["checks"],
                  s["action"], s["reason"]] for s in out.steps])
    oc = out.operating_characteristics
    if oc:
        console.print(f"over {oc['replays']} replays: promoted {oc['promoted']:.1%}, rolled "
                      f"back {oc['rolledBack']:.1%}, held {oc['held']:.1%}; median "
                      f"{oc['medianRequestsToDecision'] or '-'} requests to a decision",
                      highlight=False)
