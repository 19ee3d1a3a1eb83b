"""``pilotdeck assess``: maturity assessment of the organisation or pilots."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from pilotdeck.cli.context import (
    console,
    err_console,
    fail_format,
    me,
    parse_pairs,
    platform,
    print_json,
    print_table,
)
from pilotdeck.domain.errors import FieldError, ValidationFailed, describe
from pilotdeck.domain.query import PilotFilter

if TYPE_CHECKING:
    from pilotdeck.domain.maturity import AssessmentInput
    from pilotdeck.views.assessments import Assessment

app = typer.Typer(help="Capability maturity assessment.", no_args_is_help=True)


def _answers(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed("cannot read answers", [
            FieldError("--answers", describe(exc), str(path))]) from None
    if not isinstance(data, dict):
        raise ValidationFailed("invalid answers", [
            FieldError("", "must be a mapping with answers/scores/target", str(path))])
    unknown = set(data) - {"answers", "scores", "targets", "target"}
    if unknown:
        raise ValidationFailed("invalid answers", [
            FieldError(k, "is not a known field (answers, scores, targets, target)", str(path))
            for k in sorted(unknown)])
    return data


def render(result: Assessment) -> None:
    rows = [[d.name, d.level, f"{d.score:.2f}", d.target, d.gap, d.source, d.descriptor]
            for d in result.dimensions]
    o = result.overall
    print_table(f"{result.scope}: overall level {o.level} ({o.level_name}), "
                f"score {o.score:.2f}, target {o.target}, gap {o.gap}",
                ["dimension", "level", "score", "target", "gap", "source", "what it means"], rows)
    for d in result.dimensions:
        for pid in d.discrepancies:
            console.print(f"[yellow]! {d.name}: practice {pid} was answered yes but the "
                          "platform's evidence says no[/yellow]")


def _earlier(pilot: str | None) -> tuple[dict[str, bool], dict[str, int], str] | None:
    """The answers and direct scores of the scope's latest assessment, if any."""
    from pilotdeck.domain.errors import NotFound

    try:
        prev = platform().assessments.latest(pilot)
    except NotFound:
        return None
    answers = {p.id: p.satisfied for d in prev.dimensions for p in d.practices
               if p.source == "answer"}
    # A "yes" the evidence refuted was still answered yes.
    answers.update({p.id: True for d in prev.dimensions for p in d.practices if p.discrepancy})
    scores = {d.id: d.level for d in prev.dimensions if d.source == "direct"}
    return answers, scores, prev.assessed_at or "?"


def _merged(pilot: str | None, inp: AssessmentInput, fresh: bool) -> AssessmentInput:
    """Earlier answers and scores, overridden by this run's; said on stderr."""
    from pilotdeck.domain.maturity import AssessmentInput

    earlier = None if fresh else _earlier(pilot)
    if earlier is None:
        return inp
    answers, scores, when = earlier
    kept = len(set(answers) - set(inp.answers)) + len(set(scores) - set(inp.scores))
    if kept:
        err_console.print(f"{pilot or 'organisation'}: kept {kept} answer(s)/score(s) from "
                          f"the assessment of {when}; --fresh starts from none",
                          markup=False, highlight=False, soft_wrap=True)
    return AssessmentInput({**answers, **inp.answers}, {**scores, **inp.scores},
                           inp.targets, inp.target)


@app.command()
def run(pilot: str | None = typer.Option(None, "--pilot", help="Assess this pilot."),
        all_pilots: bool = typer.Option(False, "--all-pilots", help="Assess every live pilot."),
        answers: Path | None = typer.Option(None, "--answers",
                                            help="YAML with answers/scores/targets/target."),
        score: list[str] = typer.Option([], "--score", help="DIMENSION=LEVEL (direct score)."),
        target: int | None = typer.Option(None, "--target", help="Target level for all."),
        fresh: bool = typer.Option(False, "--fresh", help="Do not keep the answers and "
                                   "scores of the scope's previous assessment."),
        format: str = typer.Option("table", "--format", help="table | json"),
        chart: Path | None = typer.Option(None, "--chart", help="Write a radar chart .png/.svg"),
        ) -> None:
    """Assess the organisation (default), one pilot, or every pilot; saved to history.

    Answers and direct scores of the scope's previous assessment are kept unless
    this run gives new ones (or ``--fresh``)."""
    from pilotdeck.domain.maturity import AssessmentInput

    fail_format(format, ["table", "json"])
    data = _answers(answers)
    scores = {**data.get("scores", {}), **parse_pairs(score, "--score", int)}
    inp = AssessmentInput(dict(data.get("answers", {})), scores, dict(data.get("targets", {})),
                          target if target is not None else data.get("target"))
    svc = platform().assessments
    if all_pilots:
        names = [p.name for p in platform().portfolio.list(PilotFilter())[0]
                 if p.spec.status != "sunset"]
        from rich.progress import track

        results = [svc.assess(n, _merged(n, inp, fresh), me())
                   for n in track(names, description="assessing", console=err_console,
                                  transient=True)]
        if format == "json":
            print_json([r.dump() for r in results])
        else:
            print_table("pilot maturity", ["pilot", "overall level", "score", "gap", "weakest"],
                        [[r.scope.removeprefix("pilot:"), r.overall.level,
                          f"{r.overall.score:.2f}", r.overall.gap,
                          ", ".join(r.overall.weakest)] for r in results])
        return
    result = svc.assess(pilot, _merged(pilot, inp, fresh), me())
    if chart is not None:
        from pilotdeck.render.charts import maturity_chart

        maturity_chart(result.dump(), chart)
    if format == "json":
        print_json(result.dump())
    else:
        render(result)
        if chart is not None:
            console.print(f"chart written to {chart}")


@app.command()
def show(pilot: str | None = typer.Option(None, "--pilot"),
         format: str = typer.Option("table", "--format", help="table | json"),
         chart: Path | None = typer.Option(None, "--chart")) -> None:
    """Show the latest assessment."""
    fail_format(format, ["table", "json"])
    result = platform().assessments.latest(pilot)
    if chart is not None:
        from pilotdeck.render.charts import maturity_chart

        maturity_chart(result.dump(), chart)
    print_json(result.dump()) if format == "json" else render(result)


@app.command()
def history(pilot: str | None = typer.Option(None, "--pilot"),
            format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Assessments over time, newest first."""
    fail_format(format, ["table", "json"])
    items = platform().assessments.history(pilot)
    if format == "json":
        print_json([i.dump() for i in items])
        return
    dims = [d.id for d in platform().maturity_model.dimensions]
    print_table(f"history of {pilot or 'the organisation'}", ["when", "by", "overall", *dims],
                [[i.assessed_at, i.assessor, i.overall_level,
                  *[i.levels.get(d, "") for d in dims]] for i in items])


@app.command()
def model(format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Show the maturity model: dimensions, level descriptors, practices."""
    fail_format(format, ["table", "json"])
    m = platform().maturity_model
    if format == "json":
        print_json(m.model_dump(mode="json", by_alias=True))
        return
    for d in m.dimensions:
        print_table(d.name, ["level", "descriptor", "practices (id: question)"],
                    [[lv, d.levels[lv], "\n".join(f"{p.id}: {p.question}" for p in d.practices
                                                  if p.level == lv)] for lv in sorted(d.levels)])
