"""The programme report's charts (matplotlib, Agg): value against cost per period,
time to scale against the six-month target, cost per scaled pilot over time and
adoption by business unit. Every chart labels its axes with units and says
"not enough data" rather than drawing an empty frame."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

from pilotdeck.views.programme import ProgrammeReport  # noqa: E402

CHARTS = ("value", "time-to-scale", "cost-per-scaled-pilot", "adoption")
MEASURED, ESTIMATED, COST, TARGET = "#1b9e77", "#a6dbc9", "#d95f02", "#7570b3"


def _money(currency: str) -> FuncFormatter:
    def fmt(v: float, _pos: Any) -> str:
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(v) >= div:
                return f"{v / div:,.1f}{suffix}"
        # Small amounts (a new programme, a test) keep their cents: whole numbers
        # would label 0.25, 0.5 and 0.75 all "0" or "1".
        return f"{v:,.0f}" if v == int(v) or abs(v) >= 100 else f"{v:,.2f}"
    return FuncFormatter(fmt)


def _empty(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"Not enough data\n{what}", ha="center", va="center",
            fontsize=12, color="#666", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def value_figure(r: ProgrammeReport) -> Any:
    fig, ax = plt.subplots(figsize=(9, 4.8))
    keys = [p.period for p in r.periods]
    if not any(p.value.total or p.cost.total for p in r.periods):
        _empty(ax, "no value or cost recorded in this window")
    else:
        x = range(len(keys))
        w = 0.38
        measured = [p.value.measured for p in r.periods]
        ax.bar([i - w / 2 for i in x], measured, w, color=MEASURED, label="value, measured")
        ax.bar([i - w / 2 for i in x], [p.value.estimated for p in r.periods], w,
               bottom=measured, color=ESTIMATED, hatch="//", edgecolor="white",
               label="value, estimated (business case)")
        ax.bar([i + w / 2 for i in x], [p.cost.total for p in r.periods], w, color=COST,
               label="cost")
        ax.plot(list(x), [p.net_value for p in r.periods], "k-o", ms=4, lw=1.2,
                label="net value")
        ax.axhline(0, color="#555", lw=0.8)
        ax.set_xticks(list(x), keys, rotation=45 if len(keys) > 8 else 0, ha="right"
                      if len(keys) > 8 else "center")
        ax.yaxis.set_major_formatter(_money(r.currency))
        ax.legend(fontsize=8, loc="upper left", frameon=False)
    ax.set_title("AI-driven value and cost")
    ax.set_xlabel(r.period)
    ax.set_ylabel(f"amount ({r.currency})")
    return fig


def time_to_scale_figure(r: ProgrammeReport) -> Any:
    t = r.time_to_scale_days
    rows = [p for p in t.pilots if p.days is not None
            or (p.age_days is not None and not p.sunset)]
    fig, ax = plt.subplots(figsize=(9, max(2.8, 0.38 * len(rows) + 1.4)))
    if not rows:
        _empty(ax, "no pilot has an audited creation yet")
    else:
        rows.sort(key=lambda p: (p.days is None, p.days or p.age_days or 0))
        names = [p.pilot for p in rows]
        days = [p.days if p.days is not None else p.age_days or 0 for p in rows]
        colours = [MEASURED if p.days is not None and p.days <= t.target_days else
                   COST if p.days is not None else "#bbbbbb" for p in rows]
        ax.barh(names, days, color=colours, hatch=None)
        ax.axvline(t.target_days, color=TARGET, ls="--", lw=1.5,
                   label=f"target: {t.target_days} days (6 months)")
        ax.invert_yaxis()
        ax.bar(0, 0, color=MEASURED, label="scaled within target")
        ax.bar(0, 0, color=COST, label="scaled, later than target")
        ax.bar(0, 0, color="#bbbbbb", label="not scaled yet (days so far)")
        ax.legend(fontsize=8, loc="lower right", frameon=False)
    ax.set_title("Time from pilot to scale (created → first 100 % rollout)")
    ax.set_xlabel("days")
    return fig


def cost_per_scaled_pilot_figure(r: ProgrammeReport) -> Any:
    fig, ax = plt.subplots(figsize=(9, 4.2))
    points = [(c.period, c.cost_per_scaled_pilot) for c in r.cost_per_scaled_pilot
              if c.cost_per_scaled_pilot is not None]
    if len(points) < 2:
        _empty(ax, "needs scaled pilots in at least two periods")
    else:
        ax.plot([p for p, _ in points], [v for _, v in points], "-o", color=COST)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(_money(r.currency))
        ax.tick_params(axis="x", rotation=45 if len(points) > 8 else 0)
    ax.set_title("Cost per scaled pilot (period's cost / pilots scaled so far)")
    ax.set_xlabel(r.period)
    ax.set_ylabel(f"cost per scaled pilot ({r.currency})")
    return fig


def adoption_figure(r: ProgrammeReport) -> Any:
    units = [u for u in r.adoption.by_business_unit if u.pilots]
    fig, ax = plt.subplots(figsize=(9, max(2.8, 0.45 * len(units) + 1.4)))
    if not units:
        _empty(ax, "no pilots")
    else:
        names = [u.business_unit for u in units]
        rates = [u.rate or 0.0 for u in units]
        ax.barh(names, rates, color=MEASURED)
        for i, u in enumerate(units):
            ax.text(min(rates[i] + 0.02, 0.75), i, f"{u.in_production}/{u.pilots} in "
                    f"production, {u.requests:,} requests", va="center", fontsize=8)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.invert_yaxis()
    ax.set_title("Adoption by business unit")
    ax.set_xlabel("pilots in production (% of pilots not sunset)")
    return fig


FIGURES = {"value": value_figure, "time-to-scale": time_to_scale_figure,
           "cost-per-scaled-pilot": cost_per_scaled_pilot_figure, "adoption": adoption_figure}


def chart_bytes(r: ProgrammeReport, name: str, fmt: str = "png") -> bytes:
    fig = FIGURES[name](r)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def write_charts(r: ProgrammeReport, directory: Path, fmt: str = "png") -> list[Path]:
    """Every chart as ``programme-NAME.png`` (or ``.svg``) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name in CHARTS:
        path = directory / f"programme-{name}.{fmt}"
        path.write_bytes(chart_bytes(r, name, fmt))
        out.append(path)
    return out
