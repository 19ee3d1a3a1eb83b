"""The dashboard's matrix is an inline SVG a browser can use without script: every pilot
a bubble linking to its page with a tooltip, every name inside the frame and over no
other name, quadrant title or bubble, all text escaped, and the same geometry as the PNG."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from pilotdeck.domain.prioritization import Quadrant, score_portfolio
from pilotdeck.render.matrix_layout import (
    NAME_PT,
    Box,
    MatrixPoint,
    area,
    quadrant_titles,
    radius,
    text_width,
    top_value,
)
from pilotdeck.render.matrix_svg import PX_PER_PT, layout, matrix_svg
from tests.unit.test_matrix_chart import CROWDED, rubric
from tests.unit.test_prioritization import RUBRIC, demo

NS = {"svg": "http://www.w3.org/2000/svg"}
POINTS = [MatrixPoint.of(p) for p in CROWDED]
DEMO = [MatrixPoint.of(p) for p in score_portfolio(demo(), RUBRIC)]  # the dashboard's


def _links(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    return {a.get("href", ""): a for a in root.iterfind("svg:a", NS)}


def test_every_pilot_is_a_link_to_its_page_with_a_tooltip() -> None:
    links = _links(matrix_svg(POINTS, rubric()))
    assert sorted(links) == sorted(f"/ui/pilots/{p.name}" for p in POINTS)
    fraud = links["/ui/pilots/fraud-detection-realtime"]
    tip = fraud.findtext("svg:title", namespaces=NS)
    assert tip == fraud.get("aria-label")
    assert tip == ("fraud-detection-realtime (X): expected value $3.2M a year; "
                   "complexity 4.90, impact 4.50; priority: Sunset")
    assert fraud.findtext("svg:text", namespaces=NS) == "fraud-detection-realtime"
    assert fraud.find("svg:circle", NS) is not None


@pytest.mark.parametrize("points", [POINTS, DEMO], ids=["crowded", "demo"])
def test_names_are_inside_the_frame_and_over_no_name_title_or_bubble(
        points: list[MatrixPoint]) -> None:
    frame, placed = layout(points, rubric())
    assert len(placed) == len(points)
    titles = [box for _, box in quadrant_titles(frame, PX_PER_PT)]
    for b in placed:
        assert b.label.within(frame.box), f"{b.point.name} is clipped"
        others = [o.label for o in placed if o is not b] + titles + [
            Box(o.cx - o.r, o.cy - o.r, o.cx + o.r, o.cy + o.r) for o in placed]
        assert not [o for o in others if b.label.overlaps(o)], b.point.name


def test_each_name_is_drawn_in_its_box_at_its_measured_width() -> None:
    _, placed = layout(POINTS, rubric())
    texts = {a.findtext("svg:text", namespaces=NS): a.find("svg:text", NS)
             for a in _links(matrix_svg(POINTS, rubric())).values()}
    for b in placed:
        text = texts[b.point.name]
        assert text is not None
        x, length = float(text.get("x", "")), float(text.get("textLength", ""))
        assert b.label.x0 <= x and x + length <= b.label.x1, b.point.name
        assert math.isclose(length, text_width(b.point.name, NAME_PT * PX_PER_PT), abs_tol=0.06)


def test_bubbles_sit_on_the_axes_and_are_sized_like_the_png() -> None:
    frame, placed = layout(POINTS, rubric())
    top = top_value(POINTS)
    for b in placed:
        assert math.isclose(b.cx, frame.x(b.point.complexity))
        assert math.isclose(b.cy, frame.y(b.point.impact))
        assert math.isclose(b.r, math.sqrt(area(b.point.value, top)) / 2 * PX_PER_PT)
    assert [b.point.value for b in placed] == sorted((p.value for p in POINTS), reverse=True)
    assert radius(top, top, PX_PER_PT) == max(b.r for b in placed)


def test_text_is_escaped_and_no_script_or_inline_style_is_written() -> None:
    evil = MatrixPoint('x"><script>alert(1)</script>', "R&D <b>", 2.0, 4.0, 1e5,
                       Quadrant.SCALE_NOW)
    svg = matrix_svg([*POINTS, evil], rubric())
    assert "<script" not in svg and "style=" not in svg and "<b>" not in svg
    links = _links(svg)
    bad = links["/ui/pilots/x%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E"]
    assert bad.findtext("svg:text", namespaces=NS) == evil.name
    assert "(R&D <b>)" in (bad.findtext("svg:title", namespaces=NS) or "")


def test_the_svg_names_itself_and_explains_sizes_and_axes() -> None:
    svg = matrix_svg(POINTS, rubric())
    root = ET.fromstring(svg)
    assert root.get("role") == "group" and "9 pilot(s)" in (root.get("aria-label") or "")
    texts = [t.text or "" for t in root.iterfind("svg:text", NS)]
    assert "Expected value / year" in texts
    assert {"$320k", "$1.1M", "$3.2M"} <= set(texts)
    assert any(t.startswith("Complexity") and "1 = easy, 5 = hard" in t for t in texts)
    assert any(t.startswith("Impact") for t in texts)


def test_an_empty_portfolio_says_so() -> None:
    svg = matrix_svg([], rubric())
    assert "No pilots to show" in svg and not _links(svg)
