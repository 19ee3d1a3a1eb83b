"""A monitoring report as one self-contained HTML file (inline SVG charts, no
scripts, no external assets), so it can be mailed, archived or attached to a
review as it is."""

from __future__ import annotations

import html
import io
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402

from pilotdeck.views.monitoring import OUTCOMES, MonitoringReport, SectionError  # noqa: E402

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0}td,th{padding:.25rem .6rem;border:1px solid #ddd;
text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.drift{color:#b00020;font-weight:600}.ok{color:#1b7e3c}.note{color:#666}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:1rem}
svg{max-width:100%;height:auto}
"""
REF, CUR = "#7570b3", "#d95f02"


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog: inline SVG in HTML


def _esc(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape("" if v is None else str(v))


def _table(rows: list[dict[str, Any]], cols: list[str] | None = None) -> str:
    if not rows:
        return '<p class="note">No data in this window.</p>'
    cols = cols or list(dict.fromkeys(k for r in rows for k in r
                                      if not isinstance(r[k], dict | list)))
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_esc(r.get(c))}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _present(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Views' fields without those empty in every row (metrics that do not apply)."""
    keep = {k for r in rows for k, v in r.items() if v is not None}
    return [{k: v for k, v in r.items() if k in keep} for r in rows]


def _error(section: SectionError) -> str:
    return f'<p class="note">Not available: {_esc(section.error)}</p>'


def _drift(data: MonitoringReport) -> str:
    d = data.drift
    if isinstance(d, SectionError):
        return _error(d)
    if not d.windows:
        return '<p class="note">No logged traffic in this window.</p>'
    w = max(d.windows, key=lambda x: x.rows)  # the version with most traffic
    if w.dataset_drift is None:
        return (f'<p class="note">{w.rows:,} logged rows vs profile {_esc(w.profile)}: '
                f"not enough data for a drift verdict (at least {w.min_rows} rows per "
                "side).</p>")
    cols = w.columns
    fig, ax = plt.subplots(figsize=(10, max(2.5, 0.32 * len(cols))))
    names = [c.column for c in cols]
    # p-values are drift when small: plot -log10(p) against -log10(threshold) so
    # "further right = more drift" holds for every method on one axis.
    score = [(-np.log10(max(c.value, 1e-300)) / -np.log10(c.threshold)
              if c.stat == "p_value" else c.value / c.threshold)
             if c.value is not None else 0 for c in cols]
    ax.barh(names, score, color=[CUR if c.drifted else REF for c in cols])
    ax.axvline(1.0, color="#333", linestyle="--", linewidth=1)
    ax.set_xlabel("drift statistic / threshold (>= 1: drifted)")
    ax.invert_yaxis()
    verdict = ('<span class="drift">dataset drift</span>' if w.dataset_drift
               else '<span class="ok">no dataset drift</span>')
    rows: list[dict[str, Any]] = [
        {"column": c.column, "method": c.method, "value": c.value, "threshold": c.threshold,
         "drifted": "DRIFT" if c.drifted else ""} for c in cols]
    others = "".join(f"<li>{_esc(x.profile)}: {x.rows:,} rows, {x.drifted_columns}/"
                     f"{x.columns_total} drifted</li>" for x in d.windows if x is not w)
    return (f"<p>{w.rows:,} logged rows vs profile <b>{_esc(w.profile)}</b>: "
            f"{w.drifted_columns}/{w.columns_total} columns drifted, {verdict}.</p>"
            + (f"<p>Other versions:</p><ul>{others}</ul>" if others else "")
            + _svg(fig) + _table(rows))


def _distributions(data: MonitoringReport) -> str:
    items = data.distributions
    if isinstance(items, SectionError):
        return _error(items)
    charts = []
    for d in items:
        fig, ax = plt.subplots(figsize=(4.6, 3))
        if d.kind == "num" and d.edges is not None:
            edges = np.array(d.edges)
            mids, width = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
            ax.bar(mids, d.reference, width=width, alpha=0.55, color=REF, label="reference")
            ax.bar(mids, d.current, width=width, alpha=0.55, color=CUR, label="current")
        else:
            keys = d.keys or []
            x = np.arange(len(keys))
            ax.bar(x - 0.2, d.reference, 0.4, color=REF, label="reference")
            ax.bar(x + 0.2, d.current, 0.4, color=CUR, label="current")
            ax.set_xticks(x, keys, rotation=30, ha="right")
        ax.set_title(d.column + (" (drifted)" if d.drifted else ""))
        ax.set_ylabel("share")
        ax.legend(fontsize=8)
        charts.append(_svg(fig))
    return f'<div class="grid">{"".join(charts)}</div>' if charts else ""


def _quality(data: MonitoringReport) -> str:
    q = data.quality
    if isinstance(q, SectionError):
        return _error(q)
    groups = q.groups
    if not groups:
        return '<p class="note">No labelled predictions yet (send feedback).</p>'
    metric = "accuracy" if q.task == "classification" else "mae"
    fig, ax = plt.subplots(figsize=(10, 3.2))
    for variant in sorted({g.variant or "all" for g in groups}):
        pts = [(g.window or "", getattr(g, metric)) for g in groups
               if (g.variant or "all") == variant and getattr(g, metric) is not None]
        if pts:
            ax.plot([p[0][:13] for p in pts], [p[1] for p in pts], marker="o", label=variant)
    ax.set_ylabel(metric)
    ax.legend()
    ax.tick_params(axis="x", rotation=30)
    return (f"<p>{q.labelled_rows:,} labelled rows ({q.task}).</p>" + _svg(fig)
            + _table(_present([g.model_dump() for g in groups])))


def _fairness(data: MonitoringReport) -> str:
    f = data.fairness
    if f is None:
        return '<p class="note">No sensitive columns given (--sensitive).</p>'
    if isinstance(f, SectionError):
        return _error(f)
    if not f.rows:
        return '<p class="note">No labelled predictions yet.</p>'
    labels = [" / ".join(g.group.values()) for g in f.groups]
    fig, ax = plt.subplots(figsize=(10, 3.2))
    x = np.arange(len(labels))
    ax.bar(x - 0.2, [g.accuracy for g in f.groups], 0.4, label="accuracy", color=REF)
    ax.bar(x + 0.2, [g.selection_rate for g in f.groups], 0.4, label="selection rate",
           color=CUR)
    ax.set_xticks(x, labels, rotation=30, ha="right")
    ax.legend()
    rows = [{**g.group, **g.model_dump(exclude={"group"})} for g in f.groups]
    return (f"<p>Demographic parity difference <b>{f.demographic_parity_difference:.3f}</b>, "
            f"equalised odds difference <b>{f.equalized_odds_difference:.3f}</b> over "
            f"{', '.join(map(_esc, f.sensitive))}.</p>" + _svg(fig) + _table(rows)
            + (_table(_present([s.model_dump() for s in f.slices])) if f.slices else ""))


def _impact(data: MonitoringReport) -> str:
    imp = data.impact
    if isinstance(imp, SectionError):
        return _error(imp)
    if not imp.groups:
        return '<p class="note">No business outcomes in feedback yet.</p>'
    # Only outcomes that feedback actually carried get a panel and table rows.
    present = [o for o in OUTCOMES if any(g.outcome(o).n for g in imp.groups)]
    if not present:
        return '<p class="note">Feedback carried no revenue, cost or satisfaction yet.</p>'
    fig, axes = plt.subplots(1, len(present), figsize=(3.4 * len(present), 3), squeeze=False)
    for ax, outcome in zip(axes[0], present, strict=True):
        bars = [(str(g.key()), s.mean, s.ci_low, s.ci_high) for g in imp.groups
                if (s := g.outcome(outcome)).mean is not None]
        means = [m for _, m, _, _ in bars]
        err_lo = [m - (lo if lo is not None else m) for _, m, lo, _ in bars]
        err_hi = [(hi if hi is not None else m) - m for _, m, _, hi in bars]
        ax.bar([k for k, _, _, _ in bars], means, yerr=[err_lo, err_hi], capsize=4,
               color=REF)
        ax.set_title(f"{outcome} (95% CI)")
    rows = []
    for g in imp.groups:
        for o in present:
            s = g.outcome(o)
            d = s.vs_baseline
            rows.append({imp.by: g.key(), "outcome": o, "n": s.n, "mean": s.mean,
                         "ci_low": s.ci_low, "ci_high": s.ci_high,
                         "vs baseline": d.difference if d else None,
                         "significant": "yes" if d and d.significant else ""})
    return _svg(fig) + _table(rows)


def _health(data: MonitoringReport) -> str:
    h = data.health
    if isinstance(h, SectionError):
        return _error(h)
    rows = [{**g.model_dump(exclude={"latency_ms"}),
             **{f"{k} ms": v for k, v in g.latency_ms.model_dump().items()}} for g in h.groups]
    return _table(_present(rows))


def _explanations(data: MonitoringReport) -> str:
    if not data.explanations:
        return ('<p class="note">No global explanation stored for the versions in this '
                "window (register with a reference table, or run "
                "<code>pilotdeck explain global</code>).</p>")
    parts = []
    for e in data.explanations:
        top = list(e.importance.items())[:10]
        scale = max((v for _, v in top), default=0.0) or 1.0
        rows = "".join(f"<tr><td>{_esc(k)}</td><td>{v:.4g}</td><td style='text-align:left'>"
                       f"{'&#9608;' * max(1, round(20 * v / scale))}</td></tr>" for k, v in top)
        parts.append(f"<p>Version {e.version}: mean |SHAP| per feature ({_esc(e.explainer)} "
                     f"explainer, {_esc(e.output_space)} space)</p><table><tr><th>feature</th>"
                     f"<th>mean |SHAP|</th><th></th></tr>{rows}</table>")
    return "".join(parts)


def render(data: MonitoringReport) -> str:
    """The report as one HTML page (sections that could not be computed say why)."""
    w = data.window
    span = f"{w.since or 'the start of the log'} to {w.until or 'now'}"
    sections = [("Data drift", _drift), ("Distributions: reference vs current", _distributions),
                ("Model quality over time", _quality), ("Fairness", _fairness),
                ("Business impact", _impact), ("Model health", _health),
                ("What drives each model (SHAP)", _explanations)]
    body = "".join(f"<h2>{title}</h2>{fn(data)}" for title, fn in sections)
    alerts = _table([{"id": a.id, "status": a.status, "severity": a.severity, "rule": a.rule,
                      "value": a.value, "threshold": a.threshold, "count": a.count,
                      "last seen": a.last_seen} for a in data.alerts]) if data.alerts else \
        '<p class="note">No alerts.</p>'
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>pilotdeck monitoring: {_esc(data.pilot)}</title><style>{CSS}</style>"
            f"</head><body><h1>Monitoring report: {_esc(data.pilot)}</h1>"
            f"<p class=note>From {_esc(span)}; generated {_esc(data.generated)}.</p>"
            f"<h2>Alerts</h2>{alerts}{body}</body></html>")
