"""Geometry of the radar chart: where scores, rings and labels land."""

from __future__ import annotations

import math

import pytest

from marketplace.diagnosis.radar import RING_LEVELS, Point, radar, text_anchor

SIX = [
    ("Stratégie", 100),
    ("Préparation", 0),
    ("Compétences", 50),
    ("Données", 75),
    ("Automatisation", 25),
    ("Numérique responsable", 100),
]


def distance(a: Point, b: Point) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)


def parse(points: str) -> list[Point]:
    return [Point(*map(float, pair.split(","))) for pair in points.split()]


def test_a_full_score_lands_on_the_axis_end_and_zero_at_the_centre() -> None:
    chart = radar(SIX, size=300)
    assert chart.center == Point(150, 150) and chart.radius == 150
    assert chart.axes[0].point == chart.axes[0].end == Point(150, 0)
    assert chart.axes[1].point == chart.center
    assert distance(chart.center, chart.axes[2].point) == pytest.approx(75, abs=0.1)


def test_six_axes_are_evenly_spaced_starting_straight_up() -> None:
    chart = radar(SIX, size=300)
    ends = [axis.end for axis in chart.axes]
    angles = [math.atan2(e.y - 150, e.x - 150) for e in ends]
    steps = [(b - a) % (2 * math.pi) for a, b in zip(angles, angles[1:] + angles[:1], strict=True)]
    assert steps == pytest.approx([math.pi / 3] * 6, abs=1e-3)
    assert all(distance(chart.center, e) == pytest.approx(150, abs=0.1) for e in ends)
    assert ends[3] == Point(150, 300)  # the fourth of six points straight down


def test_points_are_rounded_to_one_decimal() -> None:
    chart = radar(SIX, size=300)
    numbers = [
        float(n)
        for text in (chart.polygon, *(ring.points for ring in chart.rings))
        for pair in text.split()
        for n in pair.split(",")
    ]
    assert all(round(n, 1) == n for n in numbers)
    assert "-0" not in chart.polygon
    assert chart.axes[1].end == Point(279.9, 75)  # 150 + 150·cos 30° = 279.903…


def test_the_polygon_follows_the_scores_in_order() -> None:
    chart = radar(SIX, size=300)
    assert parse(chart.polygon) == [axis.point for axis in chart.axes]


def test_grid_rings_at_quarter_steps() -> None:
    chart = radar(SIX, size=200)
    assert tuple(ring.level for ring in chart.rings) == RING_LEVELS == (25, 50, 75, 100)
    for ring in chart.rings:
        corners = parse(ring.points)
        assert len(corners) == 6
        for corner in corners:
            expected = 100 * ring.level / 100
            assert distance(chart.center, corner) == pytest.approx(expected, abs=0.1)


def test_labels_anchor_away_from_the_chart() -> None:
    chart = radar(SIX, size=300)
    assert [axis.anchor for axis in chart.axes] == [
        "middle",
        "start",
        "start",
        "middle",
        "end",
        "end",
    ]
    top, bottom = chart.axes[0], chart.axes[3]
    assert all(line.y < top.end.y for line in top.lines)
    assert all(line.y > bottom.end.y for line in bottom.lines)
    right = chart.axes[1]
    assert all(line.x > right.end.x for line in right.lines)


def test_long_labels_wrap_onto_stacked_lines_then_the_score() -> None:
    chart = radar(SIX, size=300)
    long_label = chart.axes[5]
    assert [line.text for line in long_label.lines] == ["Numérique", "responsable", "100"]
    assert [line.is_value for line in long_label.lines] == [False, False, True]
    assert long_label.lines[1].y - long_label.lines[0].y == pytest.approx(16)
    assert all(line.x == long_label.lines[0].x for line in long_label.lines)


def test_view_box_leaves_room_for_the_labels() -> None:
    chart = radar(SIX, size=300, label_room=150)
    x, y, width, height = map(float, chart.view_box.split())
    assert (x, width) == (-150, 600)
    lines = [line for axis in chart.axes for line in axis.lines]
    assert y < min(line.y for line in lines) - 10
    assert y + height > max(line.y for line in lines)


def test_without_labels_only_the_scores_are_written() -> None:
    """The compact chart for phones writes scores only; the table beside it names them."""
    chart = radar([("", 10), ("", 20), ("", 30)], size=100, label_room=40)
    assert [[line.text for line in axis.lines] for axis in chart.axes] == [["10"], ["20"], ["30"]]
    assert chart.view_box.split()[::2] == ["-40", "180"]


def test_scores_are_clamped_to_the_chart() -> None:
    chart = radar([("a", 140), ("b", -5), ("c", 50)], size=100)
    assert [axis.score for axis in chart.axes] == [100, 0, 50]
    assert chart.axes[0].point == chart.axes[0].end


def test_anchor_for_any_axis_count() -> None:
    assert [text_anchor(i, 4) for i in range(4)] == ["middle", "start", "middle", "end"]


def test_fewer_than_three_axes_is_refused() -> None:
    with pytest.raises(ValueError):
        radar([("a", 1), ("b", 2)])
