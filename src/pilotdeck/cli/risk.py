"""``pilotdeck risk``: the risk questionnaire, assessments and their history."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pilotdeck.cli.context import console, fail_format, me, platform, print_json, print_table
from pilotdeck.domain.errors import FieldError, ValidationFailed

if TYPE_CHECKING:
    from pilotdeck.views.risk import RiskAssessment

app = typer.Typer(help="Risk assessment: EU AI Act tiers and the controls they demand.",
                  no_args_is_help=True)


def read_answers(path: Path) -> dict[str, Any]:
    """``{question: option}`` from YAML or JSON (optionally under ``answers:``).

    YAML 1.1 reads a bare ``no``/``yes`` as a boolean; the questionnaire's
    options are strings, so those two are turned back into ``"no"``/``"yes"``."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        reason = getattr(exc, "strerror", None) or "not valid YAML or JSON"
        raise ValidationFailed("cannot read answers", [
            FieldError("--answers", reason, str(path))]) from None
    if isinstance(data, dict) and set(data) == {"answers"}:
        data = data["answers"]
    if not isinstance(data, dict):
        raise ValidationFailed("invalid answers", [FieldError(
            "--answers", "must be a mapping of question id to option id", str(path))])
    return {str(k): ({True: "yes", False: "no"}[v] if isinstance(v, bool) else v)
            for k, v in data.items()}


def render(a: RiskAssessment) -> None:
    state = "EXPIRED" if a.expired else f"valid until {a.expires_at[:10]}"
    console.print(f"[bold]{a.pilot}[/bold]: tier [bold]{a.tier}[/bold], score {a.score:g}/100 "
                  f"({state}; assessed {a.assessed_at[:10]} by {a.assessed_by})")
    for line in a.rationale:
        console.print(f"  because {line}", markup=False, highlight=False)
    if not a.deployable:
        console.print("  [red]may not take any live traffic[/red]")
    if a.required_controls:
        print_table("required controls", ["control", "what"],
                    [[c.id + (f" ({c.approvers} approver(s))" if c.approvers else ""), c.text]
                     for c in a.required_controls])
    print_table("score by dimension", ["dimension", "score"],
                [[d, f"{s:g}"] for d, s in a.dimensions.items()])


@app.command()
def questions(format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """List the questions and their options (the first option is the lowest risk)."""
    fail_format(format, ["table", "json"])
    q = platform().risk.questions()
    if format == "json":
        print_json(q.dump())
        return
    console.print(f"{q.name} (version {q.version})")
    print_table(None, ["id", "dimension", "question", "options (lowest risk first)"],
                [[x.id, x.dimension, x.text, ", ".join(o.id for o in x.options)]
                 for x in q.questions])


@app.command()
def assess(pilot: str,
           answers: Path = typer.Option(..., "--answers",
                                        help="YAML/JSON: question id → option id."),
           format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Classify a pilot from its answers; stored, audited, and valid until it expires."""
    fail_format(format, ["table", "json"])
    result = platform().risk.assess(pilot, read_answers(answers), me())
    print_json(result.dump()) if format == "json" else render(result)


@app.command()
def show(pilot: str, format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """The pilot's newest risk assessment (marked when it has expired)."""
    fail_format(format, ["table", "json"])
    result = platform().risk.latest(pilot)
    print_json(result.dump()) if format == "json" else render(result)


@app.command()
def history(pilot: str,
            format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Every risk assessment of the pilot, newest first."""
    fail_format(format, ["table", "json"])
    items = platform().risk.history(pilot)
    if format == "json":
        print_json([a.dump() for a in items])
        return
    print_table(f"{len(items)} risk assessment(s) of {pilot}",
                ["id", "assessed", "by", "tier", "score", "expires", "expired"],
                [[a.id, a.assessed_at[:19], a.assessed_by, a.tier, f"{a.score:g}",
                  a.expires_at[:10], "yes" if a.expired else ""] for a in items])
