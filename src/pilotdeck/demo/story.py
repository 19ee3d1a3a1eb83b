"""The demo: load the sample portfolio, assess it, prioritise it, draw the charts."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from rich.console import Console
from rich.progress import Progress

from pilotdeck.auth.roles import Principal
from pilotdeck.domain.maturity import AssessmentInput
from pilotdeck.domain.pilot import PilotStatus
from pilotdeck.domain.query import PilotFilter
from pilotdeck.platform import Platform
from pilotdeck.render.charts import matrix_chart, maturity_chart
from pilotdeck.views.assessments import Assessment
from pilotdeck.views.pilots import ImportResult
from pilotdeck.views.prioritization import Prioritization

if TYPE_CHECKING:
    from pilotdeck.audit.checkpoint import Checkpoint


def pilots_dir() -> Path:
    return Path(str(resources.files("pilotdeck.demo").joinpath("pilots")))


def _answers() -> dict[str, Any]:
    text = resources.files("pilotdeck.demo").joinpath("assessments.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _risk_answers(platform: Platform) -> dict[str, dict[str, str]]:
    """Each demo pilot's risk answers, the unlisted questions at their lowest risk."""
    text = resources.files("pilotdeck.demo").joinpath("risk.yaml").read_text("utf-8")
    lowest = {q.id: q.options[0].id for q in platform.risk_questionnaire.questions}
    return {name: {**lowest, **chosen} for name, chosen in yaml.safe_load(text).items()}


def _input(d: dict[str, Any]) -> AssessmentInput:
    return AssessmentInput(dict(d.get("answers", {})), dict(d.get("scores", {})),
                           dict(d.get("targets", {})), d.get("target"))


@dataclass(frozen=True)
class DemoOutcome:
    """What the demo produced, for printing and tests."""

    imported: ImportResult
    organisation: Assessment
    pilots: dict[str, Assessment]
    prioritization: Prioritization
    checkpoint: Checkpoint
    reports: Path


def run(platform: Platform, who: Principal, console: Console,
        progress_console: Console | None = None) -> DemoOutcome:
    """Do every step of the demo; return what was produced, for printing and tests.

    Progress bars go to ``progress_console`` (the CLI's stderr), never into the
    output a user may pipe."""
    bars = progress_console or Console(stderr=True)
    reports = platform.settings.reports_dir
    reports.mkdir(parents=True, exist_ok=True)
    imported = platform.portfolio.import_path(pilots_dir(), who)
    console.print(f"portfolio: {len(imported.created)} created, {len(imported.updated)} "
                  f"updated, {len(imported.unchanged)} unchanged")

    risk = {name: platform.risk.assess(name, chosen, who).tier
            for name, chosen in _risk_answers(platform).items()}
    console.print("risk: " + ", ".join(f"{name} {tier}" for name, tier in risk.items()))

    answers = _answers()
    org = platform.assessments.assess(None, _input(answers["organisation"]), who)
    maturity_chart(org.dump(), reports / "maturity-organisation.png")
    live = [p.name for p in platform.portfolio.list(PilotFilter())[0]
            if p.spec.status is not PilotStatus.SUNSET]
    per_pilot: dict[str, Assessment] = {}
    with Progress(console=bars, transient=True) as progress:
        task = progress.add_task("assessing pilots", total=len(live))
        for name in live:
            per_pilot[name] = platform.assessments.assess(
                name, _input(answers["pilots"].get(name, {})), who)
            progress.advance(task)

    from pilotdeck.demo.models import PROBLEMS, train_and_register

    with Progress(console=bars, transient=True) as progress:
        task = progress.add_task("training demo models", total=None)
        trained = train_and_register(
            platform, who, lambda what: progress.update(task, description=f"training {what}"))
    pending = platform.approvals.requests()
    if pending:
        console.print("governance: " + ", ".join(
            f"{a.pilot} v{a.version} {a.status} by {a.approvals}" for a in reversed(pending)))
    console.print(f"models: trained and registered for {len(trained)} pilot(s) "
                  f"({', '.join(trained) or 'already there'}); "
                  f"deployed {len(PROBLEMS)} to the gateway")

    # A lineage chain to follow: training data -> model -> a catalogued batch output.
    if not any(d.name == "churn_scores" for d in platform.datasets.list(who)):
        scored = platform.batch.score("churn-prediction", "dataset:churn_prediction_train@0",
                                      "dataset:churn_scores", who, owner="crm")
        console.print(f"batch: scored {scored.rows:,} rows into {scored.output} (try `pilotdeck "
                      "lineage downstream dataset:churn_prediction_train@0`)")

    from pilotdeck.demo.features import set_up

    served = set_up(platform, who)
    console.print(served or "features: install pilotdeck[features] (Feast) for the shared "
                            "feature view and serving from online features")

    from pilotdeck.demo.operations import sla_and_runbooks

    console.print(sla_and_runbooks(platform, who))

    from pilotdeck.demo.rollout import start_rollout

    console.print(start_rollout(platform, who))

    from pilotdeck.demo.teams import set_up as centre_of_excellence

    console.print(centre_of_excellence(platform, who))

    from pilotdeck.demo.scale import control_group, scale_fraud

    with Progress(console=bars, transient=True) as progress:
        progress.add_task("scaling fraud detection; replaying traffic", total=None)
        console.print(scale_fraud(platform, who))
        console.print(control_group(platform, who))

    result = platform.prioritization.run()
    scores = platform.prioritization.scores()
    matrix_chart(scores, platform.rubric, reports / "prioritization-matrix.png")
    matrix_chart(scores, platform.rubric, reports / "prioritization-matrix.svg")
    cp = platform.audit.checkpoint(who)
    return DemoOutcome(imported=imported, organisation=org, pilots=per_pilot,
                       prioritization=result, checkpoint=cp, reports=reports)
