"""The prioritisation matrix as inline SVG for the dashboard: every pilot a bubble that
links to its page, with a tooltip, drawn on the server without a line of script (the
dashboard's CSP allows none inline) or a style attribute (nor inline style).

Positions, sizes, quadrant titles and where each name goes come from
``matrix_layout``, the geometry the PNG draws from too; this module only writes markup,
escaping every piece of text it did not write itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from pilotdeck.domain.prioritization import QUADRANT_LABELS, Quadrant, Rubric
from pilotdeck.render.matrix_layout import (
    COLOURS,
    NAME_PT,
    QUADRANT_PT,
    RIGHT_HAND,
    Box,
    Frame,
    MatrixPoint,
    Placed,
    axis_labels,
    legend_values,
    money,
    place,
    quadrant_areas,
    quadrant_titles,
    radius,
    text_width,
    top_value,
)

__all__ = ["layout", "matrix_svg"]

WIDTH, HEIGHT = 1000, 660
FRAME = Box(96, 16, 746, 586)  # the plotting area; the size legend sits to its right
PX_PER_PT = 100 / 72  # the PNG's scale (a 100 dpi figure), so bubbles look the same
FONT = "DejaVu Sans, Verdana, sans-serif"  # the font the names were measured in first
# A white outline under each name, so a grid or threshold line never runs through it.
HALO = ' stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
# Darker tones of the quadrant colours for text: AA contrast on the pale shading.
INK = {Quadrant.SCALE_NOW: "#0f6b50", Quadrant.REFERENCE_ARCHITECTURE: "#4d4896",
       Quadrant.CONSOLIDATE: "#7a5a00", Quadrant.SUNSET: "#9a4100"}


def _text(box: Box, text: str, size: float, bold: bool = False, fill: str = "#1a1a1a",
          right: bool = False) -> str:
    """``text`` pinned to its width in DejaVu Sans, so it stays inside ``box`` whichever
    font the browser picks, flush left (or ``right``); the baseline sits a third of an em
    below the box's middle (the middle of a line of lower-case letters)."""
    length = text_width(text, size, bold)
    x = box.x1 - 2 - length if right else box.x0 + 2
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text x="{x:.1f}" y="{(box.y0 + box.y1) / 2 + 0.3 * size:.1f}" '
            f'font-size="{size:.1f}" textLength="{length:.1f}" '
            f'lengthAdjust="spacingAndGlyphs" fill="{fill}"{weight}{HALO}>{escape(text)}</text>')


def _tooltip(p: MatrixPoint) -> str:
    return (f"{p.name} ({p.business_unit}): expected value {money(p.value)} a year; "
            f"complexity {p.complexity:.2f}, impact {p.impact:.2f}; priority: {p.priority}")


def _bubble(b: Placed, link: str) -> str:
    """One pilot: a link around its bubble and its name, the tooltip its title."""
    p, tip = b.point, escape(_tooltip(b.point))
    href = escape(link + quote(p.name, safe=""))
    leader = "" if b.leader is None else (
        f'<line x1="{b.cx:.1f}" y1="{b.cy:.1f}" x2="{b.leader[0]:.1f}" y2="{b.leader[1]:.1f}" '
        'stroke="#666" stroke-width="0.8"/>')
    return (f'<a href="{href}" class="pilot" aria-label="{tip}"><title>{tip}</title>{leader}'
            f'<circle cx="{b.cx:.1f}" cy="{b.cy:.1f}" r="{b.r:.1f}" '
            f'fill="{COLOURS[p.quadrant]}" fill-opacity="0.55" stroke="#000" '
            f'stroke-width="0.8"/>{_text(b.label, p.name, NAME_PT * PX_PER_PT)}</a>')


def _axes(frame: Frame, rubric: Rubric) -> list[str]:
    """Shading, grid, ticks, thresholds and both axis titles, with the unit in each."""
    b = frame.box
    out: list[str] = []
    for q, (x0, x1, y0, y1) in quadrant_areas(rubric, frame.lo, frame.hi).items():
        out.append(f'<rect x="{frame.x(x0):.1f}" y="{frame.y(y1):.1f}" '
                   f'width="{frame.x(x1) - frame.x(x0):.1f}" '
                   f'height="{frame.y(y0) - frame.y(y1):.1f}" fill="{COLOURS[q]}" '
                   'fill-opacity="0.07"/>')
    for v in range(rubric.scale.min, rubric.scale.max + 1):
        x, y = frame.x(v), frame.y(v)
        out.append(f'<path d="M{x:.1f} {b.y0}V{b.y1}M{b.x0} {y:.1f}H{b.x1}" '
                   'stroke="#000" stroke-opacity="0.12"/>')
        out.append(f'<text x="{x:.1f}" y="{b.y1 + 20}" font-size="13" text-anchor="middle" '
                   f'fill="#333">{v}</text>')
        out.append(f'<text x="{b.x0 - 8}" y="{y + 4.5:.1f}" font-size="13" text-anchor="end" '
                   f'fill="#333">{v}</text>')
    tx, ty = frame.x(rubric.complexity.threshold), frame.y(rubric.impact.threshold)
    out.append(f'<path d="M{tx:.1f} {b.y0}V{b.y1}M{b.x0} {ty:.1f}H{b.x1}" stroke="#555" '
               'stroke-dasharray="6 4"/>')
    out.append(f'<rect x="{b.x0}" y="{b.y0}" width="{b.width}" height="{b.height}" '
               'fill="none" stroke="#333"/>')
    for q, box in quadrant_titles(frame, PX_PER_PT):
        out.append(_text(box, QUADRANT_LABELS[q], QUADRANT_PT * PX_PER_PT, True, INK[q],
                         q in RIGHT_HAND))
    x_label, y_label = axis_labels(rubric)
    mx, my = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
    out.append(f'<text x="{mx:.1f}" y="{b.y1 + 50}" font-size="14" text-anchor="middle" '
               f'fill="#1a1a1a">{escape(x_label)}</text>')
    out.append(f'<text x="{b.x0 - 40}" y="{my:.1f}" font-size="14" text-anchor="middle" '
               f'fill="#1a1a1a" transform="rotate(-90 {b.x0 - 40} {my:.1f})">'
               f'{escape(y_label)}</text>')
    return out


def _size_legend(top: float) -> list[str]:
    """Three reference bubbles at the PNG's sizes, labelled in money."""
    x, y = FRAME.x1 + 34, FRAME.y0 + 14
    out = [f'<text x="{x - 14}" y="{y}" font-size="14" font-weight="bold" '
           'fill="#1a1a1a">Expected value / year</text>']
    for v in legend_values(top):
        r = radius(v, top, PX_PER_PT)
        y += 2 * r + 22
        out.append(f'<circle cx="{x + 10}" cy="{y - r:.1f}" r="{r:.1f}" fill="#bbbbbb" '
                   'stroke="#000" stroke-width="0.8"/>')
        out.append(f'<text x="{x + 44}" y="{y - r + 5:.1f}" font-size="14" '
                   f'fill="#1a1a1a">{escape(money(v))}</text>')
    return out


def layout(points: Sequence[MatrixPoint], rubric: Rubric) -> tuple[Frame, list[Placed]]:
    """The frame and every bubble and name as this SVG draws them."""
    frame = Frame.of(FRAME, rubric)
    return frame, place(points, frame, PX_PER_PT)


def matrix_svg(points: Sequence[MatrixPoint], rubric: Rubric,
               link: str = "/ui/pilots/") -> str:
    """The matrix as an ``<svg>`` element, each bubble a link to ``link`` + its name.

    The svg is a named group of links, not an image: its bubbles are what a keyboard or
    a screen reader moves through, each named by its tooltip."""
    frame, placed = layout(points, rubric)
    label = (f"Prioritisation matrix: impact against complexity of {len(points)} pilot(s); "
             "bubble area is expected value per year; each bubble links to its pilot")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="matrix" role="group" '
             f'aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" font-family="{FONT}">',
             *_axes(frame, rubric)]
    if placed:
        parts += [_bubble(b, link) for b in placed]
        parts += _size_legend(top_value(points))
    else:
        parts.append(f'<text x="{(FRAME.x0 + FRAME.x1) / 2}" y="{(FRAME.y0 + FRAME.y1) / 2}" '
                     'font-size="18" text-anchor="middle" fill="#4a4a4a">No pilots to show'
                     '</text>')
    parts.append("</svg>")
    return "\n".join(parts)
