"""The prioritisation matrix reads at a glance: every pilot named, no name clipped
at the edge or printed over another name or another pilot's bubble, and a legend
that says what bubble size means."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml

from pilotdeck.domain.prioritization import QUADRANT_LABELS, PilotPriority, Quadrant, Rubric
from pilotdeck.render.charts import matrix_bytes, matrix_figure, money
from pilotdeck.render.matrix_layout import NAME_PT, QUADRANT_PT, label_size


def rubric() -> Rubric:
    text = resources.files("pilotdeck.data").joinpath("rubric.yaml").read_text()
    return Rubric.from_data(yaml.safe_load(text), "rubric.yaml")


def pilot(name: str, complexity: float, impact: float, value: float) -> PilotPriority:
    q = Quadrant.SCALE_NOW if complexity < 3 and impact >= 3 else Quadrant.SUNSET
    return PilotPriority(name=name, business_unit="X", status="pilot", impact=impact,
                         complexity=complexity, quadrant=q, expected_value=value,
                         production_cost=0.0, reason="")


CROWDED = [
    # The old chart clipped this one at the right edge and overlapped its neighbours.
    pilot("fraud-detection-realtime", 4.9, 4.5, 3_200_000),
    pilot("customer-support-assistant", 3.7, 4.5, 1_500_000),
    pilot("credit-risk-scoring", 3.7, 4.6, 2_000_000),
    pilot("predictive-maintenance", 3.4, 3.8, 900_000),
    pilot("invoice-extraction", 2.3, 3.8, 400_000),
    pilot("next-best-offer", 2.3, 3.7, 700_000),
    pilot("email-subject-generator", 1.7, 2.3, 50_000),
    pilot("social-sentiment-dashboard", 1.7, 2.2, 60_000),
    pilot("office-energy-optimizer", 4.95, 1.0, 30_000),
]


def _boxes(fig: Any) -> tuple[Any, list[tuple[str, Any]], list[Any]]:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    names = {p.name for p in CROWDED}
    labels = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts
              if t.get_text() in names]
    return ax.get_window_extent(renderer), labels, renderer


def test_every_name_is_inside_the_axes_and_over_no_other_name() -> None:
    fig = matrix_figure(CROWDED, rubric())
    frame, labels, _ = _boxes(fig)
    assert sorted(n for n, _ in labels) == sorted(p.name for p in CROWDED)
    for name, box in labels:
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1 + 1, f"{name} is clipped"
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1 + 1, f"{name} is clipped"
    overlaps = [(a, b) for i, (a, ba) in enumerate(labels) for b, bb in labels[i + 1:]
                if ba.overlaps(bb)]
    assert not overlaps


def test_the_room_the_layout_leaves_covers_what_matplotlib_draws() -> None:
    """The shared layout measures text without a renderer; matplotlib's hinted glyphs
    must still fit the boxes it reserves (names, and the bold quadrant titles)."""
    fig = matrix_figure(CROWDED, rubric())
    frame, labels, renderer = _boxes(fig)
    titles = set(QUADRANT_LABELS.values())
    for t in fig.axes[0].texts:
        name = t.get_text()
        if name in titles or name in {p.name for p in CROWDED}:
            bold = name in titles
            size = (QUADRANT_PT if bold else NAME_PT) * fig.dpi / 72
            room, _ = label_size(name, size, bold)
            box = t.get_window_extent(renderer)
            assert box.width <= room - 4, name
            assert frame.x0 <= box.x0 and box.x1 <= frame.x1, f"{name} is clipped"


def test_the_legend_explains_bubble_size_in_money() -> None:
    fig = matrix_figure(CROWDED, rubric())
    legend = fig.axes[0].get_legend()
    assert legend.get_title().get_text() == "Expected value / year"
    assert [t.get_text() for t in legend.get_texts()] == ["$320k", "$1.1M", "$3.2M"]
    ax = fig.axes[0]
    assert "Complexity" in ax.get_xlabel() and "Impact" in ax.get_ylabel()


def test_an_empty_portfolio_says_so_and_renders() -> None:
    fig = matrix_figure([], rubric())
    assert any(t.get_text() == "No pilots to show" for t in fig.axes[0].texts)
    assert matrix_bytes([], rubric())[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("value", "text"), [(3_200_000, "$3.2M"), (350_000, "$350k"),
                                             (900, "$900"), (-1_500_000, "-$1.5M")])
def test_money(value: float, text: str) -> None:
    assert money(value) == text
