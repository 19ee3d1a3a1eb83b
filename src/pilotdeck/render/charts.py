"""Charts as files (PNG/SVG) with matplotlib's non-interactive Agg backend."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import patheffects  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from pilotdeck.domain.errors import FieldError, ValidationFailed  # noqa: E402
from pilotdeck.domain.prioritization import (  # noqa: E402
    QUADRANT_LABELS,
    PilotPriority,
    Rubric,
)
from pilotdeck.render.matrix_layout import (  # noqa: E402
    COLOURS,
    NAME_PT,
    QUADRANT_PT,
    RIGHT_HAND,
    Box,
    Frame,
    MatrixPoint,
    area,
    axis_labels,
    legend_values,
    money,
    place,
    quadrant_areas,
    quadrant_titles,
    top_value,
)

__all__ = ["COLOURS", "matrix_bytes", "matrix_chart", "matrix_figure", "maturity_bytes",
           "maturity_chart", "money"]

FORMATS = {".png": "png", ".svg": "svg"}
# A white outline under each name, so a grid or threshold line never runs through it.
HALO = [patheffects.withStroke(linewidth=3, foreground="white")]


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValidationFailed("unsupported chart format", [
            FieldError("chart", f"must end in .png or .svg, got {path.suffix or 'no suffix'!r}")])
    return fmt


def _save(fig: Any, path: Path | None, fmt: str = "png") -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = buf.getvalue()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return data


def _size_legend(ax: Any, top: float) -> None:
    """Three reference bubbles (round values up to the largest), right of the axes."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], ls="", marker="o", markersize=math.sqrt(area(v, top)),
                      markerfacecolor="#bbbbbb", markeredgecolor="black", markeredgewidth=0.6,
                      label=money(v)) for v in legend_values(top)]
    legend = ax.legend(handles=handles, title="Expected value / year", loc="upper left",
                       bbox_to_anchor=(1.02, 1.0), frameon=False, labelspacing=2.2,
                       borderpad=1.2, handletextpad=1.6, fontsize=10, title_fontsize=10)
    legend.set_clip_on(False)


def _frame(fig: Any, ax: Any, rubric: Rubric) -> Frame:
    """The axes in the layout's pixels (y down), as laid out by ``subplots_adjust``."""
    b, height = ax.bbox, fig.bbox.height
    return Frame.of(Box(b.x0, height - b.y1, b.x1, height - b.y0), rubric)


def _text(ax: Any, frame: Frame, box: Box, text: str, right: bool = False,
          **style: Any) -> None:
    """``text`` in ``box``, flush left (or ``right``) with 2 px of air, stored in axes
    coordinates so saving at another dpi or with a tight bounding box keeps it in place."""
    x, y = _axes_xy(frame, box.x1 - 2 if right else box.x0 + 2, (box.y0 + box.y1) / 2)
    ax.text(x, y, text, transform=ax.transAxes, ha="right" if right else "left",
            va="center", zorder=5, **style)


def _axes_xy(frame: Frame, x: float, y: float) -> tuple[float, float]:
    b = frame.box
    return (x - b.x0) / b.width, (b.y1 - y) / b.height


def matrix_figure(pilots: list[PilotPriority], rubric: Rubric) -> Any:
    fig, ax = plt.subplots(figsize=(11, 7.5), dpi=100)
    fig.subplots_adjust(left=0.08, right=0.78, top=0.9, bottom=0.1)
    frame, px_per_pt = _frame(fig, ax, rubric), fig.dpi / 72
    lo, hi = frame.lo, frame.hi
    ti, tc = rubric.impact.threshold, rubric.complexity.threshold
    for q, (x0, x1, y0, y1) in quadrant_areas(rubric, lo, hi).items():
        ax.axvspan(x0, x1, ymin=(y0 - lo) / (hi - lo), ymax=(y1 - lo) / (hi - lo),
                   color=COLOURS[q], alpha=0.07, lw=0)
    for q, box in quadrant_titles(frame, px_per_pt):
        _text(ax, frame, box, QUADRANT_LABELS[q], q in RIGHT_HAND, fontsize=QUADRANT_PT,
              color=COLOURS[q], fontweight="bold", alpha=0.9)
    ax.axvline(tc, color="#555", lw=1, ls="--")
    ax.axhline(ti, color="#555", lw=1, ls="--")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    x_label, y_label = axis_labels(rubric)
    ax.set_xlabel(x_label, fontsize=11)
    ax.set_ylabel(y_label, fontsize=11)
    fig.suptitle("Pilot prioritisation matrix", fontsize=15, fontweight="bold", x=0.43)
    ax.set_title(f"{len(pilots)} pilot(s); bubble area is expected value per year; dashed "
                 f"lines are the thresholds of rubric '{rubric.name}'", fontsize=10,
                 color="#333")
    ax.grid(alpha=0.2)
    if not pilots:
        ax.text(0.5, 0.5, "No pilots to show", transform=ax.transAxes, ha="center",
                va="center", fontsize=14, color="#555")
        return fig
    placed = place([MatrixPoint.of(p) for p in pilots], frame, px_per_pt)
    top = top_value(b.point for b in placed)
    for b in placed:  # largest first: the big ones lie underneath
        p = b.point
        ax.scatter(p.complexity, p.impact, s=area(p.value, top), color=COLOURS[p.quadrant],
                   alpha=0.55, edgecolor="black", lw=0.6, zorder=3)
        _text(ax, frame, b.label, p.name, fontsize=NAME_PT, path_effects=HALO)
        if b.leader is not None:
            ax.annotate("", xy=(p.complexity, p.impact), xytext=_axes_xy(frame, *b.leader),
                        textcoords="axes fraction", zorder=4,
                        arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "#666"})
    _size_legend(ax, top)
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
