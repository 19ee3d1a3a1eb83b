"""``pilotdeck models``: register, alias, list, deploy, weights, rollback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from pilotdeck.cli.context import (
    console,
    emit,
    err_console,
    fail_format,
    me,
    parse_pairs,
    platform,
    print_json,
    print_table,
)
from pilotdeck.domain.errors import FieldError, ValidationFailed, describe

app = typer.Typer(help="Model registry (MLflow) and deployments.", no_args_is_help=True)
IF_REVISION = typer.Option(None, "--if-revision", min=1, help="Only if the deployment is "
                           "still at this revision (from `models deployment`); else exit 1.")


@app.command()
def register(pilot: str,
             path: Path | None = typer.Option(None, "--path", help="MLflow model directory."),
             uri: str | None = typer.Option(None, "--uri", help="runs:/RUN/PATH or models:/…"),
             metric: list[str] = typer.Option([], "--metric", help="NAME=VALUE, repeatable."),
             dataset: list[str] = typer.Option(
                 [], "--dataset", help="Training data, repeatable: NAME@VERSION (a "
                 "catalogued dataset version, recorded as lineage) or a free-text label."),
             description: str = typer.Option("", "--description"),
             reference: Path | None = typer.Option(
                 None, "--reference", help="Reference table (Parquet): its profile is stored "
                                           "as PILOT.vN for drift checks.")) -> None:
    """Register a model version for a pilot (in MLflow) with metrics and lineage."""
    v = platform().models.register(pilot, me(), path=path, uri=uri,
                                   metrics=parse_pairs(metric, "--metric", float), datasets=dataset,
                                   description=description, reference=reference)
    console.print(f"registered {pilot} version {v.version} (run {v.run_id})"
                  + (f"; reference profile {pilot}.v{v.version}" if reference else ""))


@app.command("list")
def list_(pilot: str, format: str = typer.Option("table", "--format", help="table | json")
          ) -> None:
    """Versions of a pilot's model with metrics, aliases and deployment status."""
    fail_format(format, ["table", "json"])
    items = platform().models.versions(pilot)
    if format == "json":
        print_json([v.dump() for v in items])
        return
    print_table(f"{pilot}: {len(items)} version(s)",
                ["version", "aliases", "deployment", "metrics", "datasets", "registered"],
                [[v.version, ", ".join(v.aliases), v.deployment,
                  ", ".join(f"{k}={x:.4g}" for k, x in v.metrics.items()),
                  ", ".join(v.datasets), v.registered_at] for v in items])


@app.command()
def alias(pilot: str, version: int, name: str = typer.Argument(..., help="champion|challenger")
          ) -> None:
    """Point an MLflow alias (champion/challenger) at a version (audited).

    Aliases label versions; the deployment decides what the gateway serves. Moving
    an alias does not change the deployment, and the command says so when they
    now disagree."""
    from pilotdeck.domain.errors import NotFound

    platform().models.set_alias(pilot, name, version, me())
    console.print(f"{pilot}@{name} -> version {version}")
    try:
        variant = platform().models.deployment(pilot).spec.variant(name)
    except NotFound:
        return
    if variant is not None and variant.version != version:
        err_console.print(
            f"note: the deployment still serves {name} version {variant.version}: the "
            f"deployment wins over aliases; to serve version {version}, run `pilotdeck "
            f"models deploy {pilot} --{name} {version}` (or edit its deployment file)",
            markup=False, highlight=False, soft_wrap=True)


@app.command()
def deploy(pilot: str,
           file: Path | None = typer.Option(None, "--file", help="YAML/JSON deployment spec."),
           champion: int | None = typer.Option(None, "--champion", help="Version (default: "
                                               "the champion alias)."),
           challenger: int | None = typer.Option(None, "--challenger"),
           weight: float = typer.Option(10.0, "--challenger-weight", help="Percent of traffic."),
           shadow: list[int] = typer.Option([], "--shadow", help="Version getting copies."),
           fallback: str = typer.Option("champion", "--fallback",
                                        help="champion | default | none"),
           default: str | None = typer.Option(None, "--default", help="JSON safe default."),
           if_revision: int | None = IF_REVISION,
           ) -> None:
    """Create or replace the pilot's serving configuration."""
    svc = platform().models
    if file is not None:
        import yaml

        try:
            data: Any = yaml.safe_load(file.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ValidationFailed("cannot read deployment", [
                FieldError("--file", describe(exc), str(file))]) from None
    else:
        aliases = platform().registry.aliases(pilot)
        champ = champion or aliases.get("champion")
        if champ is None:
            raise ValidationFailed("no champion", [FieldError(
                "--champion", "give a version or set the champion alias first")])
        variants = [{"name": "champion", "version": champ,
                     "weight": 100 - (weight if challenger else 0)}]
        if challenger:
            variants.append({"name": "challenger", "version": challenger, "weight": weight})
        try:
            default_value = json.loads(default) if default is not None else None
        except json.JSONDecodeError:
            raise ValidationFailed("invalid option", [
                FieldError("--default", "must be JSON, e.g. 0 or \"unknown\"")]) from None
        data = {"variants": variants, "shadow": shadow,
                "fallback": {"to": fallback, "default": default_value}}
    from pilotdeck.domain.serving import DeploymentSpec

    out = svc.deploy(pilot, DeploymentSpec.parse(data), me(), expected_revision=if_revision)
    console.print(f"deployed {pilot} (revision {out.revision})")


@app.command()
def weights(pilot: str, weight: list[str] = typer.Argument(..., help="VARIANT=PERCENT ..."),
            if_revision: int | None = IF_REVISION) -> None:
    """Change traffic weights, e.g. ``champion=75 challenger=25`` (audited)."""
    out = platform().models.set_weights(pilot, parse_pairs(weight, "weights", float), me(),
                                        expected_revision=if_revision)
    console.print(f"{pilot} revision {out.revision}: " + ", ".join(
        f"{v.name}={v.weight:g}" for v in out.spec.variants))


@app.command()
def rollback(pilot: str, variant: str = typer.Argument("challenger"),
             reason: str = typer.Option(..., "--reason"),
             if_revision: int | None = IF_REVISION) -> None:
    """Send a variant's traffic to zero at once (audited with the reason)."""
    platform().models.rollback(pilot, variant, me(), reason, expected_revision=if_revision)
    console.print(f"rolled back {pilot}/{variant}")


@app.command()
def deployment(pilot: str, format: str = typer.Option("yaml", "--format", help="yaml | json")
               ) -> None:
    """Show the pilot's serving configuration."""
    fail_format(format, ["yaml", "json"])
    d = platform().models.deployment(pilot).dump()
    if format == "json":
        print_json(d)
    else:
        import yaml

        typer.echo(yaml.safe_dump(d, sort_keys=False), nl=False)


@app.command()
def card(pilot: str, version: int = typer.Option(..., "--version", min=1),
         format: str = typer.Option("md", "--format", help="md | html | json"),
         output: Path | None = typer.Option(None, "--output", "-o",
                                            help="Write to this file instead of stdout.")
         ) -> None:
    """The version's model card, generated from what the platform knows."""
    fail_format(format, ["md", "html", "json"])
    from pilotdeck.render.model_card import markdown, page

    c = platform().model_cards.card(pilot, version)
    text = (json.dumps(c.dump(), indent=2) + "\n" if format == "json"
            else page(c) if format == "html" else markdown(c))
    emit(text, output, "model card")


@app.command()
def fairness(pilot: str, version: int = typer.Option(..., "--version", min=1),
             data: Path = typer.Option(..., "--data", help="Labelled validation table "
                                       "(Parquet) with the version's inputs."),
             label: str = typer.Option("label", "--label", help="The ground-truth column."),
             sensitive: list[str] = typer.Option(..., "--sensitive",
                                                 help="Group column(s); repeat for several."),
             format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Score a labelled table with the version and store its fairness report."""
    fail_format(format, ["table", "json"])
    f = platform().fairness.evaluate(pilot, version, data, label, sensitive, me())
    if format == "json":
        print_json(f.dump())
        return
    r = f.report
    console.print(f"{pilot} v{version} on {f.data}: {r.rows} rows; demographic parity "
                  f"difference {r.demographic_parity_difference}, equalized odds difference "
                  f"{r.equalized_odds_difference}, accuracy gap {r.accuracy_gap}",
                  highlight=False)
    print_table(None, ["group", "count", "accuracy", "selection rate"],
                [[", ".join(f"{k}={v}" for k, v in g.group.items()), g.count,
                  f"{g.accuracy:.3f}", f"{g.selection_rate:.3f}"] for g in r.groups])
