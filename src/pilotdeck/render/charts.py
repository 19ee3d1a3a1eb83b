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
    fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight")
    plt.close(fig)
    data = buf.getvalue()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return data


def money(value: float) -> str:
    """``$1.2M``, ``$350k``: how an executive reads a yearly value (manifests default
    to USD)."""
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1e6:
        return f"{sign}${v / 1e6:.1f}M"
    if v >= 1e3:
        return f"{sign}${v / 1e3:.0f}k"
    return f"{sign}${v:.0f}"


MIN_AREA, MAX_AREA = 60.0, 900.0  # bubble areas in points², smallest and largest


def _area(value: float, top: float) -> float:
    """Area proportional to value (what the eye compares), floored so tiny pilots show."""
    return MIN_AREA + (MAX_AREA - MIN_AREA) * max(value, 0.0) / top


def _size_legend(ax: Any, top: float) -> None:
    """Three reference bubbles (round values up to the largest), right of the axes."""
    from matplotlib.lines import Line2D

    def nice(v: float) -> float:  # two significant digits
        return round(v, 1 - math.floor(math.log10(v))) if v > 0 else 0.0

    steps = sorted({nice(top * f) for f in (0.1, 0.35, 1.0)})
    handles = [Line2D([], [], ls="", marker="o", markersize=math.sqrt(_area(v, top)),
                      markerfacecolor="#bbbbbb", markeredgecolor="black", markeredgewidth=0.6,
                      label=money(v)) for v in steps]
    legend = ax.legend(handles=handles, title="Expected value / year", loc="upper left",
                       bbox_to_anchor=(1.02, 1.0), frameon=False, labelspacing=2.2,
                       borderpad=1.2, handletextpad=1.6, fontsize=10, title_fontsize=10)
    legend.set_clip_on(False)


def _place_labels(fig: Any, ax: Any, pilots: list[PilotPriority], top: float) -> None:
    """Name every bubble where the name fits: inside the axes, over no other name.

    Candidates around the bubble (right, left, above, below, then further out) are
    tried in display coordinates after layout; the first that fits wins, and a
    leader line joins a name placed away from its bubble."""
    from matplotlib.transforms import Bbox, IdentityTransform

    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    to_pixels = ax.transData.transform
    # Bubbles are obstacles too: a name never covers another pilot's bubble.
    taken: list[Any] = []
    for p in pilots:
        cx, cy = to_pixels((p.complexity, p.impact))
        r = math.sqrt(_area(p.expected_value, top)) / 2 * fig.dpi / 72
        taken.append(Bbox.from_extents(cx - r, cy - r, cx + r, cy + r))
    for p in sorted(pilots, key=lambda q: -q.expected_value):
        cx, cy = to_pixels((p.complexity, p.impact))
        r = math.sqrt(_area(p.expected_value, top)) / 2 * fig.dpi / 72 + 3
        options = [(r, 0, "left", "center"), (-r, 0, "right", "center"),
                   (0, r, "center", "bottom"), (0, -r, "center", "top")]
        for far in (1.8, 2.8, 3.8):
            options += [(r * far, r * far * 0.7, "left", "bottom"),
                        (-r * far, r * far * 0.7, "right", "bottom"),
                        (r * far, -r * far * 0.7, "left", "top"),
                        (-r * far, -r * far * 0.7, "right", "top")]
        best = None
        for dx, dy, ha, va in options:
            t = ax.text(0, 0, p.name, fontsize=9, ha=ha, va=va, zorder=5,
                        transform=IdentityTransform())
            t.set_position((cx + dx, cy + dy))
            box = t.get_window_extent(renderer).expanded(1.04, 1.15)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                      and box.y1 <= frame.y1)
            if inside and not any(box.overlaps(o) for o in taken):
                best = (t, box, dx, dy)
                break
            t.remove()
        if best is None:  # nothing fits: nearest inside the frame, overlap accepted
            dx, dy = (r, 0) if cx + r < frame.x1 - 160 else (-r, 0)
            t = ax.text(0, 0, p.name, fontsize=9, ha="left" if dx > 0 else "right",
                        va="center", zorder=5, transform=IdentityTransform())
            t.set_position((cx + dx, cy + dy))
            best = (t, t.get_window_extent(renderer), dx, dy)
        t, box, dx, dy = best
        # Store the position in axes coordinates so saving (dpi, bbox) keeps it.
        ax_x, ax_y = ax.transAxes.inverted().transform((cx + dx, cy + dy))
        t.set_transform(ax.transAxes)
        t.set_position((ax_x, ax_y))
        taken.append(box)
        if abs(dx) > r * 1.5 or abs(dy) > r * 1.5:
            ax.annotate("", xy=(p.complexity, p.impact), xytext=(ax_x, ax_y),
                        textcoords="axes fraction", zorder=4,
                        arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "#666"})


def matrix_figure(pilots: list[PilotPriority], rubric: Rubric) -> Any:
    lo, hi = rubric.scale.min - 0.3, rubric.scale.max + 0.3
    fig, ax = plt.subplots(figsize=(11, 7.5), dpi=100)
    fig.subplots_adjust(left=0.08, right=0.78, top=0.9, bottom=0.1)
    ti, tc = rubric.impact.threshold, rubric.complexity.threshold
    for q, (x0, x1, y0, y1) in {
        Quadrant.SCALE_NOW: (lo, tc, ti, hi),
        Quadrant.REFERENCE_ARCHITECTURE: (tc, hi, ti, hi),
        Quadrant.CONSOLIDATE: (lo, tc, lo, ti),
        Quadrant.SUNSET: (tc, hi, lo, ti),
    }.items():
        ax.axvspan(x0, x1, ymin=(y0 - lo) / (hi - lo), ymax=(y1 - lo) / (hi - lo),
                   color=COLOURS[q], alpha=0.07, lw=0)
        ax.text(x0 + 0.08 if x0 == lo else x1 - 0.08, y1 - 0.08 if y1 == hi else y0 + 0.08,
                QUADRANT_LABELS[q], ha="left" if x0 == lo else "right",
                va="top" if y1 == hi else "bottom", fontsize=11, color=COLOURS[q],
                fontweight="bold", alpha=0.9)
    ax.axvline(tc, color="#555", lw=1, ls="--")
    ax.axhline(ti, color="#555", lw=1, ls="--")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("Complexity → harder (weighted rubric score, 1 = easy, 5 = hard)",
                  fontsize=11)
    ax.set_ylabel("Impact → higher (weighted rubric score, 1 = low, 5 = high)", fontsize=11)
    fig.suptitle("Pilot prioritisation matrix", fontsize=15, fontweight="bold", x=0.43)
    ax.set_title(f"{len(pilots)} pilot(s); bubble area is expected value per year; dashed "
                 f"lines are the thresholds of rubric '{rubric.name}'", fontsize=10,
                 color="#333")
    ax.grid(alpha=0.2)
    if not pilots:
        ax.text(0.5, 0.5, "No pilots to show", transform=ax.transAxes, ha="center",
                va="center", fontsize=14, color="#555")
        return fig
    top = max((p.expected_value for p in pilots), default=0.0) or 1.0
    for p in sorted(pilots, key=lambda q: -q.expected_value):  # big ones underneath
        ax.scatter(p.complexity, p.impact, s=_area(p.expected_value, top),
                   color=COLOURS[p.quadrant], alpha=0.55, edgecolor="black", lw=0.6, zorder=3)
    _size_legend(ax, top)
    _place_labels(fig, ax, pilots, top)
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
