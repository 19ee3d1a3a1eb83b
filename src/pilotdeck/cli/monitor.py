"""``pilotdeck monitor``: data drift between a reference and a current table."""

from __future__ import annotations

from collections.abc import Sequence
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
from pilotdeck.domain.when import parse_when

if TYPE_CHECKING:
    from pilotdeck.services.monitoring import MonitoringService
    from pilotdeck.views.base import View

app = typer.Typer(help="Observability: drift, data and model quality, fairness, business "
                  "impact, health.", no_args_is_help=True)


@app.command("profile")
def profile_cmd(input: str = typer.Option(..., "--input", help="Parquet/CSV file or "
                                          "directory, Delta table or dataset:NAME\\[@V]."),
                name: str = typer.Option(..., "--name", help="Profile name."),
                exact_limit: int = typer.Option(100_000, "--exact-limit", min=1000,
                                                help="Keep every row up to this many; "
                                                     "sample beyond."),
                engine: str | None = typer.Option(None, "--engine",
                                           help="local | spark | local[N] | spark://HOST:PORT "
                                                "(default: the [compute] setting)"),
                ) -> None:
    """Compute and store a reference profile (in chunks, with a progress bar)."""
    from rich.progress import Progress

    monitoring = platform().monitoring
    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task(f"profiling {input}", total=None)
        meta = monitoring.build_profile(
            input, name, exact_limit=exact_limit, engine=engine,
            progress=lambda d, t: bar.update(task, completed=d, total=t), who=me())
    kept = "every row" if meta.exact else f"a sample of {meta.sample_rows:,} rows"
    console.print(f"profile {name!r}: {meta.rows:,} rows, {kept}")


@app.command("drift")
def drift_cmd(reference: str | None = typer.Option(None, "--reference",
                                                  help="Parquet file or dir, Delta table "
                                                       "or dataset:NAME\\[@V]."),
              current: str | None = typer.Option(None, "--current",
                                                 help="Parquet file or dir, Delta table "
                                                      "or dataset:NAME\\[@V]."),
              method: list[str] = typer.Option([], "--method", help="COLUMN=ks|chisquare|z|"
                                               "wasserstein|jensenshannon|psi|hellinger"),
              threshold: list[str] = typer.Option([], "--threshold", help="COLUMN=VALUE"),
              share: float = typer.Option(0.5, "--drift-share", min=0.0, max=1.0,
                                          help="Dataset drift when this share drifts."),
              format: str = typer.Option("table", "--format", help="table | json"),
              fail_on_drift: bool = typer.Option(False, "--fail-on-drift",
                                                 help="Exit 3 when the dataset drifted (CI)."),
              profile: str | None = typer.Option(None, "--profile",
                                                 help="Stored reference profile instead of "
                                                      "--reference."),
              pilot: str | None = typer.Option(None, "--pilot", help="Check the gateway's "
                                               "logged inputs of this pilot instead of "
                                               "--current (profile: PILOT.vN)."),
              since: str | None = typer.Option(None, "--since", help="ISO time or age (24h)."),
              until: str | None = typer.Option(None, "--until", help="ISO time or age."),
              by: str | None = typer.Option(None, "--by", help="hour | day | variant"),
              variant: str | None = typer.Option(None, "--variant"),
              version: int | None = typer.Option(None, "--version"),
              engine: str | None = typer.Option(None, "--engine", help="local | spark | local[N] |"
                                         " spark://HOST:PORT: summarise the current table "
                                         "on Spark (default: the [compute] setting)"),
              ) -> None:
    """Per-column drift with Evidently's default tests, and the dataset verdict."""
    fail_format(format, ["table", "json"])
    if pilot is not None:
        _window_drift(pilot, profile, since, until, by, variant, version, share, format,
                      fail_on_drift)
        return
    if current is None:
        raise ValidationFailed("invalid options", [
            FieldError("--current", "give a current table, or --pilot for logged traffic")])
    if (reference is None) == (profile is None):
        raise ValidationFailed("invalid options", [
            FieldError("--reference", "give exactly one of --reference or --profile")])
    monitoring = platform().monitoring
    stored = monitoring.profile(profile) if profile else None
    from rich.progress import Progress

    with Progress(console=err_console, transient=True) as bar:
        task = bar.add_task("drift", total=None)
        out = monitoring.drift(reference, current, profile=stored,
                    methods=parse_pairs(method, "--method", str),
                    thresholds=parse_pairs(threshold, "--threshold", float), share=share,
                    progress=lambda d, t: bar.update(task, completed=d, total=t),
                    engine=engine, who=me())
    if format == "json":
        print_json(out.dump())
    else:
        print_table(f"drift: {out.drifted_columns}/{out.columns_total} columns drifted "
                    f"-> dataset drift {'YES' if out.dataset_drift else 'no'}",
                    ["column", "method", "value", "threshold", "drifted"],
                    [[c.column, c.method, "n/a" if c.value is None else f"{c.value:.4g}",
                      c.threshold, "DRIFT" if c.drifted else ""] for c in out.columns])
        schema = out.schema_changes
        if schema.missing_columns or schema.new_columns or schema.type_changes:
            console.print(f"schema changes: {schema.model_dump_json(by_alias=True)}")
        for q in out.quality:
            for problem in q.problems:
                console.print(f"[yellow]quality[/yellow] {q.column}: {problem}")
    if fail_on_drift and out.dataset_drift:
        raise typer.Exit(3)


def _window_drift(pilot: str, profile: str | None, since: str | None, until: str | None,
                  by: str | None, variant: str | None, version: int | None, share: float,
                  format: str, fail_on_drift: bool) -> None:
    p = platform()
    p.portfolio.get(pilot)
    out = p.monitoring.window_drift(pilot, profile=profile, version=version,
                       since=parse_when(since, "--since"), until=parse_when(until, "--until"),
                       variant=variant, by=by, share=share)
    if format == "json":
        print_json(out.dump())
    else:
        print_table(f"{pilot}: {out.rows:,} logged rows vs "
                    + (f"profile {out.profile}" if out.profile else "each version's profile"),
                    ["window", "profile", "rows", "drifted", "dataset drift", "columns"],
                    [[w.window, w.profile, w.rows,
                      f"{w.drifted_columns}/{w.columns_total}" if w.dataset_drift is not None
                      else "", _verdict(w.verdict),
                      ", ".join(c.column for c in w.columns if c.drifted)]
                     for w in out.windows])
        if any(w.dataset_drift is None for w in out.windows):
            console.print(f"[yellow]not enough data[/yellow]: a window needs at least "
                          f"{out.windows[0].min_rows} rows (PILOTDECK_DRIFT_MIN_ROWS) for a "
                          "drift verdict")
        if out.skipped_versions:
            console.print(f"[yellow]no reference profile[/yellow] for version(s) "
                          f"{out.skipped_versions}: their traffic was not checked")
    if fail_on_drift and any(w.dataset_drift for w in out.windows):
        raise typer.Exit(3)


def _verdict(v: str) -> str:
    return {"drift": "YES", "no drift": "no"}.get(v, v)


def pilot_monitoring(pilot: str) -> MonitoringService:
    """The monitoring service, after a clear "not found" for an unknown pilot."""
    p = platform()
    p.portfolio.get(pilot)
    return p.monitoring


def fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def _groups_table(title: str, groups: list[dict[str, Any]]) -> None:
    """Rows of views' fields (attribute names as headers); a column empty in every
    row, such as a metric that does not apply, is left out."""
    if not groups:
        console.print(f"{title}: no data in the window")
        return
    flat = [{k: v for k, v in g.items() if not isinstance(v, dict | list)} for g in groups]
    cols = list(dict.fromkeys(k for g in flat for k, v in g.items() if v is not None))
    print_table(title, cols, [[fmt(g.get(c)) for c in cols] for g in flat])


def _fields(items: Sequence[View]) -> list[dict[str, Any]]:
    """Views as rows of their attributes, for :func:`_groups_table`."""
    return [v.model_dump() for v in items]


WINDOW_OPTS = {"since": typer.Option(None, "--since", help="ISO time or age (24h, 7d)."),
               "until": typer.Option(None, "--until", help="ISO time or age.")}


@app.command("quality")
def quality_cmd(pilot: str, since: str | None = WINDOW_OPTS["since"],
                until: str | None = WINDOW_OPTS["until"],
                by: list[str] = typer.Option(["version", "variant"], "--by",
                                             help="version | variant (repeatable)"),
                every: str | None = typer.Option(None, "--every", help="hour | day"),
                format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Model quality from feedback labels, per version/variant and window."""
    fail_format(format, ["table", "json"])
    out = pilot_monitoring(pilot).quality(pilot, parse_when(since, "--since"),
                              parse_when(until, "--until"), by=by, every=every)
    if format == "json":
        print_json(out.dump())
    else:
        what = (f"{out.task}, {out.labelled_rows:,} labelled rows" if out.labelled_rows
                else "no labelled rows yet: labels arrive as feedback")
        _groups_table(f"{pilot} quality ({what})", _fields(out.groups))


@app.command("fairness")
def fairness_cmd(pilot: str,
                 sensitive: list[str] = typer.Option(..., "--sensitive",
                                                     help="Logged column (repeat for "
                                                          "intersections)."),
                 slices: Path | None = typer.Option(None, "--slices",
                                                    help="YAML {name: {column: {op: value}}}"),
                 version: int | None = typer.Option(None, "--version"),
                 since: str | None = WINDOW_OPTS["since"],
                 until: str | None = WINDOW_OPTS["until"],
                 format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Performance per group (fairlearn), parity differences, edge-case slices."""
    fail_format(format, ["table", "json"])
    parsed: dict[str, Any] = {}
    if slices is not None:
        try:
            text = slices.read_text()
        except OSError as exc:
            raise ValidationFailed("invalid slices", [FieldError(
                "--slices", describe(exc), str(slices))]) from None
        from pilotdeck.domain.performance import parse_slices

        parsed = parse_slices(text, "--slices", str(slices))
    out = pilot_monitoring(pilot).fairness(pilot, sensitive, parse_when(since, "--since"),
                               parse_when(until, "--until"), slices=parsed, version=version)
    if format == "json":
        print_json(out.dump())
        return
    rows = [{**g.group, **g.model_dump(exclude={"group"})} for g in out.groups]
    _groups_table(f"{pilot} fairness over {out.rows:,} labelled rows", rows)
    if out.rows:
        console.print(f"demographic parity difference {out.demographic_parity_difference:.3f}"
                      f", equalised odds difference {out.equalized_odds_difference:.3f}")
        _groups_table("slices", _fields(out.slices))


@app.command("impact")
def impact_cmd(pilot: str, by: str = typer.Option("variant", "--by", help="variant | version"),
               baseline: str = typer.Option("champion", "--baseline"),
               since: str | None = WINDOW_OPTS["since"],
               until: str | None = WINDOW_OPTS["until"],
               format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Revenue, cost saved and satisfaction from feedback, with 95 % intervals."""
    fail_format(format, ["table", "json"])
    out = pilot_monitoring(pilot).business_impact(pilot, parse_when(since, "--since"),
                                      parse_when(until, "--until"), by=by, baseline=baseline)
    if format == "json":
        print_json(out.dump())
        return
    from pilotdeck.views.monitoring import OUTCOMES

    rows = []
    for g in out.groups:
        for o in OUTCOMES:
            s, d = g.outcome(o), g.outcome(o).vs_baseline
            ci = (f"[{s.ci_low:.4g}, {s.ci_high:.4g}]" if s.ci_low is not None
                  and s.ci_high is not None else "")
            vs = (f"{d.difference:+.4g} [{d.ci_low:.4g}, {d.ci_high:.4g}]"
                  + (" *" if d.significant else "")
                  if d is not None and d.difference is not None else "")
            rows.append([g.key(), o, s.n, fmt(s.mean), ci, vs])
    print_table(f"{pilot} business impact per {by} (* = interval excludes 0)",
                [by, "outcome", "n", "mean", "95% CI", f"vs {baseline}"], rows)


@app.command("health")
def health_cmd(pilot: str, every: str | None = typer.Option(None, "--every", help="hour | day"),
               since: str | None = WINDOW_OPTS["since"],
               until: str | None = WINDOW_OPTS["until"],
               format: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Latency percentiles, error rate, cache hit rate and estimated cost."""
    fail_format(format, ["table", "json"])
    out = pilot_monitoring(pilot).health(pilot, parse_when(since, "--since"),
                                         parse_when(until, "--until"), every=every)
    if format == "json":
        print_json(out.dump())
        return
    rows = [{**g.model_dump(exclude={"latency_ms"}),
             **{f"{k} ms": v for k, v in g.latency_ms.model_dump().items()}} for g in out.groups]
    _groups_table(f"{pilot} health", rows)
