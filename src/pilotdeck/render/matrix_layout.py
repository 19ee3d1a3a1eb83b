"""Where the prioritisation matrix puts each bubble and each name: pure geometry that the
PNG (matplotlib) and the dashboard's inline SVG both draw from, so the two pictures agree
and the label rules (inside the frame, over no other name, quadrant title or bubble) are
written once.

Coordinates are pixels with y growing downwards (SVG's convention; the PNG flips them).
Text is measured with DejaVu Sans' advance widths, matplotlib's default font, instead of
asking a renderer: the SVG has no renderer on the server, and it pins every name to the
measured width (``textLength``), so a browser's own font cannot make a name overflow the
box it was given.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pilotdeck.domain.prioritization import QUADRANT_LABELS, PilotPriority, Quadrant, Rubric
from pilotdeck.views.prioritization import PrioritizedPilot

MIN_AREA, MAX_AREA = 60.0, 900.0  # bubble areas in points², smallest and largest
NAME_PT, QUADRANT_PT = 9.0, 11.0  # font sizes of pilot names and quadrant titles
MARGIN = 0.3  # score units shown beyond each end of the rubric's scale
BOLD = 1.14  # the quadrant titles run 1.12-1.14 times wider in DejaVu Sans Bold
# matplotlib's hinted glyphs run wider than their advances add up to (measured on the
# demo's names: 4 % at 9 pt, 12 % for the bold titles at 11 pt); boxes leave that room.
HINTING, BOLD_HINTING = 1.06, 1.14

# Quadrant colours: bubbles and shading (the PNG's titles too); the SVG writes titles in
# darker tones of the same hues, for WCAG AA contrast on white.
COLOURS = {
    Quadrant.SCALE_NOW: "#1b9e77",
    Quadrant.REFERENCE_ARCHITECTURE: "#7570b3",
    Quadrant.CONSOLIDATE: "#e6ab02",
    Quadrant.SUNSET: "#d95f02",
}

# DejaVu Sans advance widths in 1/2048 em for what names, money and titles use; any
# other character counts as a full em, which errs on the side of room.
_EM = 2048
_WIDTHS = {" ": 651, "-": 739, ".": 651, ",": 651, "$": 1303, "/": 690, "_": 1024,
           "(": 799, ")": 799, "'": 563, "&": 1597, "%": 1946, "+": 1716, ":": 690}
_WIDTHS |= dict.fromkeys("0123456789", 1303)
_WIDTHS |= dict(zip("abcdefghijklmnopqrstuvwxyz",
                    (1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569,
                     1995, 1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212,
                     1212, 1075), strict=True))
_WIDTHS |= dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                    (1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141,
                     1767, 1532, 1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403,
                     1251, 1403), strict=True))


def axis_labels(rubric: Rubric) -> tuple[str, str]:
    """The x and y axis titles, with the rubric's own scale as their unit."""
    lo, hi = rubric.scale.min, rubric.scale.max
    return (f"Complexity → harder (weighted rubric score, {lo} = easy, {hi} = hard)",
            f"Impact → higher (weighted rubric score, {lo} = low, {hi} = high)")


def top_value(points: Iterable[MatrixPoint]) -> float:
    """The value the largest bubble stands for (1 when none is positive)."""
    return max((p.value for p in points), default=0.0) or 1.0


def text_width(text: str, size: float, bold: bool = False) -> float:
    """How wide ``text`` runs at ``size`` pixels per em, in pixels, by its advances."""
    return sum(_WIDTHS.get(c, _EM) for c in text) / _EM * size * (BOLD if bold else 1.0)


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


def area(value: float, top: float) -> float:
    """Area proportional to value (what the eye compares), floored so tiny pilots show."""
    return MIN_AREA + (MAX_AREA - MIN_AREA) * max(value, 0.0) / top


def radius(value: float, top: float, px_per_pt: float) -> float:
    """A bubble's radius in pixels: the area is in points², as matplotlib's markers."""
    return math.sqrt(area(value, top)) / 2 * px_per_pt


def legend_values(top: float) -> list[float]:
    """Three reference values for the size legend, two significant digits, up to ``top``."""
    def nice(v: float) -> float:
        return round(v, 1 - math.floor(math.log10(v))) if v > 0 else 0.0

    return sorted({nice(top * f) for f in (0.1, 0.35, 1.0)})


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def overlaps(self, other: Box) -> bool:
        return (self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1
                and other.y0 < self.y1)

    def within(self, other: Box) -> bool:
        return (other.x0 <= self.x0 and self.x1 <= other.x1 and other.y0 <= self.y0
                and self.y1 <= other.y1)

    def nearest(self, x: float, y: float) -> tuple[float, float]:
        """The point of the box closest to (x, y): where a leader line meets it."""
        return min(max(x, self.x0), self.x1), min(max(y, self.y0), self.y1)


@dataclass(frozen=True)
class Frame:
    """The plotting area in pixels, and the score range both axes show."""

    box: Box
    lo: float
    hi: float

    @classmethod
    def of(cls, box: Box, rubric: Rubric) -> Frame:
        return cls(box, rubric.scale.min - MARGIN, rubric.scale.max + MARGIN)

    def x(self, complexity: float) -> float:
        return self.box.x0 + (complexity - self.lo) / (self.hi - self.lo) * self.box.width

    def y(self, impact: float) -> float:
        return self.box.y1 - (impact - self.lo) / (self.hi - self.lo) * self.box.height


@dataclass(frozen=True)
class MatrixPoint:
    """One pilot as the matrix shows it, whichever of the two shapes it came in."""

    name: str
    business_unit: str
    complexity: float
    impact: float
    value: float  # expected value per year: the bubble's area
    quadrant: Quadrant

    @classmethod
    def of(cls, p: PilotPriority | PrioritizedPilot) -> MatrixPoint:
        value = p.expected_value if isinstance(p, PilotPriority) else p.expected_value_per_year
        return cls(p.name, p.business_unit, p.complexity, p.impact, value, p.quadrant)

    @property
    def priority(self) -> str:
        return QUADRANT_LABELS[self.quadrant]


@dataclass(frozen=True)
class Placed:
    """A bubble (centre and radius) and its name's box; ``leader`` is where a line from
    the bubble meets a name set away from it, or None when the name sits beside it."""

    point: MatrixPoint
    cx: float
    cy: float
    r: float
    label: Box
    leader: tuple[float, float] | None


def label_size(text: str, size: float, bold: bool = False) -> tuple[float, float]:
    """The box a name needs at ``size`` px, rendered by either picture, with a little air
    so neighbours never touch."""
    slack = BOLD_HINTING if bold else HINTING
    return text_width(text, size, bold) * slack + 4, size * 1.35


def quadrant_areas(rubric: Rubric, lo: float,
                   hi: float) -> dict[Quadrant, tuple[float, float, float, float]]:
    """Each quadrant as (complexity from, to, impact from, to) in scores: the thresholds
    split the range ``lo``..``hi`` shown on both axes."""
    ti, tc = rubric.impact.threshold, rubric.complexity.threshold
    return {Quadrant.SCALE_NOW: (lo, tc, ti, hi),
            Quadrant.REFERENCE_ARCHITECTURE: (tc, hi, ti, hi),
            Quadrant.CONSOLIDATE: (lo, tc, lo, ti),
            Quadrant.SUNSET: (tc, hi, lo, ti)}


RIGHT_HAND = (Quadrant.REFERENCE_ARCHITECTURE, Quadrant.SUNSET)  # titles set flush right


def quadrant_titles(frame: Frame, px_per_pt: float) -> list[tuple[Quadrant, Box]]:
    """Each quadrant's title (bold) in its outer corner, which is a corner of the frame;
    the right-hand titles are drawn flush right in their boxes."""
    b, inset = frame.box, 8.0
    corners = {Quadrant.SCALE_NOW: (b.x0, b.y0, False, False),
               Quadrant.REFERENCE_ARCHITECTURE: (b.x1, b.y0, True, False),
               Quadrant.CONSOLIDATE: (b.x0, b.y1, False, True),
               Quadrant.SUNSET: (b.x1, b.y1, True, True)}
    titles: list[tuple[Quadrant, Box]] = []
    for q, (x, y, from_right, from_bottom) in corners.items():
        w, h = label_size(QUADRANT_LABELS[q], QUADRANT_PT * px_per_pt, bold=True)
        x0 = x - inset - w if from_right else x + inset
        y0 = y - inset - h if from_bottom else y + inset
        titles.append((q, Box(x0, y0, x0 + w, y0 + h)))
    return titles


def _candidates(cx: float, cy: float, r: float, w: float,
                h: float) -> Iterator[tuple[Box, bool]]:
    """Boxes to try for a name, nearest first: right, left, above, below the bubble, then
    diagonally further out (those need a leader line)."""
    yield Box(cx + r, cy - h / 2, cx + r + w, cy + h / 2), False
    yield Box(cx - r - w, cy - h / 2, cx - r, cy + h / 2), False
    yield Box(cx - w / 2, cy - r - h, cx + w / 2, cy - r), False
    yield Box(cx - w / 2, cy + r, cx + w / 2, cy + r + h), False
    for far in (1.8, 2.8, 3.8, 5.5):
        d, e = r * far, r * far * 0.7
        yield Box(cx + d, cy - e - h, cx + d + w, cy - e), True
        yield Box(cx - d - w, cy - e - h, cx - d, cy - e), True
        yield Box(cx + d, cy + e, cx + d + w, cy + e + h), True
        yield Box(cx - d - w, cy + e, cx - d, cy + e + h), True


def _fallback(cx: float, cy: float, r: float, w: float, h: float, frame: Box) -> Box:
    """Nothing fits: beside the bubble, shifted inside the frame, overlap accepted."""
    x0 = cx + r if cx + r + w <= frame.x1 else cx - r - w
    x0 = min(max(x0, frame.x0), frame.x1 - w)
    y0 = min(max(cy - h / 2, frame.y0), frame.y1 - h)
    return Box(x0, y0, x0 + w, y0 + h)


def place(points: Iterable[MatrixPoint], frame: Frame, px_per_pt: float) -> list[Placed]:
    """Every bubble and its name, largest value first (so drawn in this order the big ones
    lie underneath). A name goes where it fits inside the frame over no other name, bubble
    or quadrant title; the largest pilots choose first."""
    pilots = sorted(points, key=lambda p: -p.value)
    top = top_value(pilots)
    bubbles = [(p, frame.x(p.complexity), frame.y(p.impact), radius(p.value, top, px_per_pt))
               for p in pilots]
    taken = [*(box for _, box in quadrant_titles(frame, px_per_pt)),
             *(Box(x - r, y - r, x + r, y + r) for _, x, y, r in bubbles)]
    placed: list[Placed] = []
    for p, cx, cy, r in bubbles:
        w, h = label_size(p.name, NAME_PT * px_per_pt)
        gap = r + 3
        found = next(((box, far) for box, far in _candidates(cx, cy, gap, w, h)
                      if box.within(frame.box) and not any(box.overlaps(o) for o in taken)),
                     None)
        box, far = found if found is not None else (
            _fallback(cx, cy, gap, w, h, frame.box), False)
        taken.append(box)
        placed.append(Placed(p, cx, cy, r, box, box.nearest(cx, cy) if far else None))
    return placed
