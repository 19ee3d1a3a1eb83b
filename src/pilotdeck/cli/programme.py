"""``pilotdeck programme report``: AI-driven value, cost, ROI, time to scale and
adoption of the whole programme, from live data."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pilotdeck.cli.context import console, fail_format, platform, print_table
from pilotdeck.domain.errors import FieldError, ValidationFailed, describe
from pilotdeck.domain.when import parse_when

if TYPE_CHECKING:
    from pilotdeck.views.programme import ProgrammeReport

app = typer.Typer(no_args_is_help=True, help="The AI programme as a whole: value, cost, "
                  "ROI, time from pilot to scale, adoption.")
FORMATS = ("table", "json", "html", "csv")


@app.command("report")
def report(period: str = typer.Option("month", "--period", help="month | quarter"),
           since: str | None = typer.Option(None, "--since", help="ISO date or an age like "
                                            "90d (default: the first pilot's creation)."),
           fmt: str = typer.Option("table", "--format", help="table | json | html | csv"),
           output: Path | None = typer.Option(None, "--output", "-o", help="Write the "
                                              "report to this file instead of stdout."),
           charts: Path | None = typer.Option(None, "--charts", help="Also write the charts "
                                              "(value, time to scale, cost per scaled pilot, "
                                              "adoption) into this directory."),
           chart_format: str = typer.Option("png", "--chart-format", help="png | svg")
           ) -> None:
    """Revenue and cost savings measured from feedback (uplift against a `baseline`
    control group, with 95 % intervals), the business case where nothing is measured,
    costs (inference, allocated platform, run), net value, ROI, time to scale against
    the 6-month target, cost per scaled pilot, adoption by business unit, pilots
    sunset. Per pilot, business unit and period (\\[month|quarter])."""
    fail_format(fmt, FORMATS)
    if chart_format not in ("png", "svg"):
        raise ValidationFailed("invalid option", [FieldError(
            "--chart-format", f"must be png or svg, got {chart_format[:20]!r}")])
    r = platform().programme.report(period, since=parse_when(since, "--since"),
                                    since_field="--since")
    if charts is not None:
        from pilotdeck.render.programme_charts import write_charts

        try:
            written = write_charts(r, charts, chart_format)
        except OSError as exc:
            raise ValidationFailed("cannot write the charts", [FieldError(
                "--charts", describe(exc), str(charts))]) from None
        for path in written:
            console.print(f"wrote {path}", highlight=False, markup=False)
    if fmt == "table" and output is None:
        _table(r)
        return
    text = _text(r, "json" if fmt == "table" else fmt)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed("cannot write the report", [FieldError(
            "--output", describe(exc), str(output))]) from None
    console.print(f"wrote {output}", highlight=False, markup=False)


def _text(r: ProgrammeReport, fmt: str) -> str:
    if fmt == "json":
        return r.model_dump_json(by_alias=True, indent=2) + "\n"
    from pilotdeck.render.programme import to_csv, to_html

    return to_html(r) if fmt == "html" else to_csv(r)


def _money(v: float | None) -> str:
    return "" if v is None else f"{v:,.0f}"


def _table(r: ProgrammeReport) -> None:
    def line(name: str, f: object) -> list[str]:
        from pilotdeck.views.programme import Figures

        assert isinstance(f, Figures)
        return [name, _money(f.value.measured), _money(f.value.estimated), _money(f.cost.total),
                _money(f.net_value), "" if f.roi is None else f"{f.roi:.0%}",
                f"{f.requests:,}", " ".join(f.basis)]

    cols = ["", f"measured ({r.currency})", "estimated", "cost", "net value", "ROI",
            "requests", "basis"]
    print_table(f"Programme ROI, {r.since[:10]} to {r.until[:10]}, by {r.period}", cols,
                [line(p.period, p) for p in r.periods] + [line("total", r)])
    print_table("By business unit", cols, [line(u.business_unit, u)
                                           for u in r.by_business_unit])
    print_table("By pilot", cols, [line(p.pilot, p) for p in r.by_pilot])
    t = r.time_to_scale_days
    print_table(f"Time to scale (target {t.target_days} days; median "
                f"{'—' if t.median_days is None else f'{t.median_days:.0f}'})",
                ["pilot", "created", "scaled", "days", "within target"],
                [[p.pilot, (p.created_at or "")[:10], (p.scaled_at or "")[:10],
                  f"{p.days:g}" if p.days is not None else
                  f"sunset after {p.age_days:g}" if p.sunset and p.age_days is not None
                  else "" if p.age_days is None else f"not yet ({p.age_days:g} so far)",
                  {True: "yes", False: "no", None: ""}[p.within_target]] for p in t.pilots])
    a = r.adoption
    print_table("Adoption", ["business unit", "in production", "pilots", "rate", "requests"],
                [[u.business_unit, u.in_production, u.pilots,
                  "" if u.rate is None else f"{u.rate:.0%}", f"{u.requests:,}"]
                 for u in [*a.by_business_unit, a]])
    if r.sunset.pilots:
        console.print(f"sunset: {', '.join(s.pilot for s in r.sunset.pilots)} — money freed "
                      f"{_money(r.sunset.money_freed_per_year)} {r.currency} a year",
                      highlight=False, markup=False)
    console.print(f"users served: {a.users_note}", highlight=False, markup=False)
    for n in r.notes:
        console.print(f"note: {n}", highlight=False, markup=False)
