"""Charts as files (PNG/SVG) with matplotlib's non-interactive Agg backend."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402

from pilotdeck.domain.errors import FieldError, ValidationFailed  # noqa: E402
from pilotdeck.domain.prioritization import (  # noqa: E402
    QUADRANT_LABELS,
    PilotPriority,
    Quadrant,
    Rubric,
)

COLOURS = {
    Quadrant.SCALE_NOW: "#1b9e77",
    Quadrant.REFERENCE_ARCHITECTURE: "#7570b3",
    Quadrant.CONSOLIDATE: "#e6ab02",
    Quadrant.SUNSET: "#d95f02",
}
FORMATS = {".png": "png", ".svg": "svg"}


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValidationFailed("unsupported chart format", [
            FieldError("chart", f"must end in .png or .svg, got {path.suffix or 'no suffix'!r}")])
    return fmt


def _save(fig: Any, path: Path | None, fmt: str = "png") -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
    plt.close(fig)
    data = buf.getvalue()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return data


def matrix_figure(pilots: list[PilotPriority], rubric: Rubric) -> Any:
    lo, hi = rubric.scale.min - 0.3, rubric.scale.max + 0.3
    fig, ax = plt.subplots(figsize=(10, 7.5))
    ti, tc = rubric.impact.threshold, rubric.complexity.threshold
    for q, (x0, x1, y0, y1) in {
        Quadrant.SCALE_NOW: (lo, tc, ti, hi),
        Quadrant.REFERENCE_ARCHITECTURE: (tc, hi, ti, hi),
        Quadrant.CONSOLIDATE: (lo, tc, lo, ti),
        Quadrant.SUNSET: (tc, hi, lo, ti),
    }.items():
        ax.axvspan(x0, x1, ymin=(y0 - lo) / (hi - lo), ymax=(y1 - lo) / (hi - lo),
                   color=COLOURS[q], alpha=0.07, lw=0)
        ax.text(x0 + 0.08 if x0 == lo else x1 - 0.08, y1 - 0.12 if y1 == hi else y0 + 0.12,
                QUADRANT_LABELS[q], ha="left" if x0 == lo else "right",
                va="top" if y1 == hi else "bottom", fontsize=11, color=COLOURS[q],
                fontweight="bold")
    ax.axvline(tc, color="#555", lw=1, ls="--")
    ax.axhline(ti, color="#555", lw=1, ls="--")
    top = max((p.expected_value for p in pilots), default=1.0) or 1.0
    placed: list[tuple[float, float, float]] = []  # (x0, x1, y) of labels already drawn
    for p in sorted(pilots, key=lambda q: (-q.impact, q.complexity)):
        size = 80 + 1400 * math.sqrt(max(p.expected_value, 0) / top)
        ax.scatter(p.complexity, p.impact, s=size, color=COLOURS[p.quadrant], alpha=0.6,
                   edgecolor="black", lw=0.6, zorder=3)
        # Greedy placement: right of the bubble, moved down until it overlaps no
        # earlier label (coordinates in data units: ~0.045 per character).
        radius = math.sqrt(size) / 2 / 72 * 1.1
        x0 = p.complexity + radius + 0.03
        x1 = x0 + 0.045 * len(p.name)
        y = p.impact
        while any(a < x1 and x0 < b and abs(y - py) < 0.11 for a, b, py in placed):
            y -= 0.11
        placed.append((x0, x1, y))
        ax.annotate(p.name, (p.complexity, p.impact), xytext=(x0, y), textcoords="data",
                    ha="left", va="center", fontsize=8, zorder=4,
                    arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "#777"}
                    if abs(y - p.impact) > 0.01 else None)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("Complexity (weighted rubric score; 1 = easy, 5 = hard)")
    ax.set_ylabel("Impact (weighted rubric score; 1 = low, 5 = high)")
    ax.set_title(f"Pilot prioritisation matrix — bubble size: expected value/yr "
                 f"(rubric '{rubric.name}')")
    ax.grid(alpha=0.2)
    return fig


def matrix_chart(pilots: list[PilotPriority], rubric: Rubric, path: Path) -> Path:
    fmt = _format(path)
    _save(matrix_figure(pilots, rubric), path, fmt)
    return path


def matrix_bytes(pilots: list[PilotPriority], rubric: Rubric, fmt: str = "png") -> bytes:
    return _save(matrix_figure(pilots, rubric), None, fmt)


def maturity_figure(result: dict[str, Any]) -> Any:
    dims = result["dimensions"]
    labels = [d["name"] for d in dims]
    current = [d["score"] for d in dims]
    target = [d["target"] for d in dims]
    n = len(dims)
    angles = [2 * math.pi * i / n for i in range(n)]
    fig = plt.figure(figsize=(8, 7))
    ax = fig.add_subplot(111, polar=True)
    for values, label, colour in ((target, "target", "#d95f02"), (current, "current", "#1b9e77")):
        vals = values + values[:1]
        ax.plot(angles + angles[:1], vals, color=colour, lw=2, label=label)
        ax.fill(angles + angles[:1], vals, color=colour, alpha=0.15)
    ax.set_xticks(angles)
    ax.set_xticklabels(labels, fontsize=9)
    ax.set_ylim(0, 5)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_title(f"Capability maturity — {result.get('scope', '')} "
                 f"(overall level {result['overall']['level']})", pad=20)
    ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.1))
    return fig


def maturity_chart(result: dict[str, Any], path: Path) -> Path:
    fmt = _format(path)
    _save(maturity_figure(result), path, fmt)
    return path


def maturity_bytes(result: dict[str, Any], fmt: str = "png") -> bytes:
    return _save(maturity_figure(result), None, fmt)
