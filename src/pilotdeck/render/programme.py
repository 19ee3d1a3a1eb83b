"""The programme report as CSV (one row per scope and period) and as one
self-contained HTML page (inline SVG charts, no scripts, no external assets)."""

from __future__ import annotations

import csv
import html
import io
from typing import Any

from pilotdeck.views.programme import Figures, ProgrammeReport

COLUMNS = ["scope", "name", "period", "revenue", "revenueCiLow", "revenueCiHigh",
           "costSavings", "costSavingsCiLow", "costSavingsCiHigh", "valueMeasured",
           "valueEstimated", "value", "costInference", "costPlatform", "costRun", "cost",
           "netValue", "roi", "businessCase", "realisedShare", "requests", "feedback", "basis"]


def row(scope: str, name: str, period: str, f: Figures) -> list[Any]:
    """One line of figures, in :data:`COLUMNS` order."""
    return [scope, name, period, f.revenue.total, f.revenue.ci_low, f.revenue.ci_high,
            f.cost_savings.total, f.cost_savings.ci_low, f.cost_savings.ci_high,
            f.value.measured, f.value.estimated, f.value.total, f.cost.inference,
            f.cost.platform, f.cost.run, f.cost.total, f.net_value, f.roi, f.business_case,
            f.realised_share, f.requests, f.feedback, " ".join(f.basis)]


def rows(r: ProgrammeReport) -> list[list[Any]]:
    """The programme, each period, each business unit and each pilot (with its periods)."""
    out = [row("programme", "all", "total", r)]
    out += [row("programme", "all", p.period, p) for p in r.periods]
    out += [row("businessUnit", u.business_unit, "total", u) for u in r.by_business_unit]
    for p in r.by_pilot:
        out.append(row("pilot", p.pilot, "total", p))
        out += [row("pilot", p.pilot, q.period, q) for q in p.periods]
    return out


def to_csv(r: ProgrammeReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for line in rows(r):
        # A leading =, +, - or @ would be a formula in a spreadsheet: names are quoted.
        w.writerow(["'" + v if isinstance(v, str) and v[:1] in "=+-@" else
                    "" if v is None else v for v in line])
    return buf.getvalue()


CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0}td,th{padding:.25rem .6rem;border:1px solid #ddd;
text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.note{color:#666}.kpi{display:flex;gap:1.2rem;flex-wrap:wrap}.kpi div{border:1px solid #ddd;
padding:.6rem 1rem;border-radius:6px}.kpi b{display:block;font-size:1.3rem}
svg{max-width:100%;height:auto}
"""


def _esc(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def _money(v: float | None, currency: str) -> str:
    return "—" if v is None else f"{currency} {v:,.0f}"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def _table(head: list[str], body: list[list[Any]]) -> str:
    if not body:
        return '<p class="note">Not enough data.</p>'
    th = "".join(f"<th>{_esc(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in line) + "</tr>"
                  for line in body)
    return f"<table><tr>{th}</tr>{trs}</table>"


def _svg(r: ProgrammeReport, name: str) -> str:
    from pilotdeck.render.programme_charts import chart_bytes

    text = chart_bytes(r, name, "svg").decode()
    return text[text.index("<svg"):]


def _figures_table(r: ProgrammeReport, items: list[tuple[str, Figures]]) -> str:
    c = r.currency
    return _table(["", "measured value", "estimated value", "cost", "net value", "ROI",
                   "realised / business case", "requests"],
                  [[name, _money(f.value.measured, c), _money(f.value.estimated, c),
                    _money(f.cost.total, c), _money(f.net_value, c), _pct(f.roi),
                    _pct(f.realised_share), f"{f.requests:,}"] for name, f in items])


def to_html(r: ProgrammeReport) -> str:
    c = r.currency
    ci = (f" (95 % interval {_money(r.revenue.ci_low, c)} to {_money(r.revenue.ci_high, c)})"
          if r.revenue.ci_low is not None else "")
    kpis = [("AI-driven revenue (measured)", _money(r.revenue.total, c) + ci),
            ("Cost savings (measured)", _money(r.cost_savings.total, c)),
            ("Value estimated from business cases", _money(r.value.estimated, c)),
            ("Cost", _money(r.cost.total, c)), ("Net value", _money(r.net_value, c)),
            ("ROI", _pct(r.roi)),
            ("Median time to scale", "—" if r.time_to_scale_days.median_days is None
             else f"{r.time_to_scale_days.median_days:.0f} days (target "
                  f"{r.time_to_scale_days.target_days})"),
            ("Adoption", f"{r.adoption.in_production}/{r.adoption.pilots} in production")]
    tts = r.time_to_scale_days
    parts = [
        f"<h1>Programme ROI</h1><p class=note>{_esc(r.since[:10])} to {_esc(r.until[:10])}, "
        f"by {_esc(r.period)}; amounts in {_esc(c)}.</p>",
        '<div class="kpi">' + "".join(f"<div>{_esc(k)}<b>{_esc(v)}</b></div>"
                                      for k, v in kpis) + "</div>",
        "<h2>Value and cost</h2>", _svg(r, "value"),
        _figures_table(r, [(p.period, p) for p in r.periods]),
        "<h2>By business unit</h2>",
        _figures_table(r, [(u.business_unit, u) for u in r.by_business_unit]),
        "<h2>By pilot</h2>",
        _figures_table(r, [(f"{p.pilot} ({', '.join(p.basis) or 'no value'})", p)
                           for p in r.by_pilot]),
        "<h2>Time from pilot to scale</h2>", _svg(r, "time-to-scale"),
        _table(["pilot", "created", "scaled", "days", "within 6 months"],
               [[p.pilot, (p.created_at or "")[:10], (p.scaled_at or "—")[:10],
                 p.days if p.days is not None else f"sunset after {p.age_days}" if p.sunset
                 else f"not yet ({p.age_days} so far)",
                 {True: "yes", False: "no", None: "—"}[p.within_target]]
                for p in tts.pilots]),
        "<h2>Cost per scaled pilot</h2>", _svg(r, "cost-per-scaled-pilot"),
        "<h2>Adoption by business unit</h2>", _svg(r, "adoption"),
        f"<p class=note>Users served: {_esc(r.adoption.users_note)}.</p>",
        "<h2>Pilots sunset</h2>",
        _table(["pilot", "business unit", "sunset", "money freed per year"],
               [[s.pilot, s.business_unit, (s.sunset_at or "—")[:10],
                 _money(s.money_freed_per_year, c)] for s in r.sunset.pilots]),
        "<h2>What is measured and what is estimated</h2><ul>"
        + "".join(f"<li><b>{_esc(k)}</b>: {_esc(v)}</li>" for k, v in r.measures.items())
        + "".join(f"<li>{_esc(n)}</li>" for n in r.notes) + "</ul>",
    ]
    return ("<!doctype html><html lang=en><head><meta charset=utf-8><title>Programme ROI"
            f"</title><style>{CSS}</style></head><body>{''.join(parts)}</body></html>")
