"""Geometry of the radar chart of dimension scores, for an SVG drawn on the server.

Pure functions over plain values (no Flask): the template only places what this computes.
The first axis points up and the others follow clockwise; every coordinate is rounded to one
decimal so the markup stays short and stable.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

RING_LEVELS = (25, 50, 75, 100)
LINE_HEIGHT = 16  # user units between two lines of an axis label
LABEL_GAP = 12  # between the end of an axis and its label
LABEL_CHARS = 18  # an axis label wraps after about this many characters


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass(frozen=True)
class LabelLine:
    text: str
    x: float
    y: float
    is_value: bool = False  # the score under the dimension's name


@dataclass(frozen=True)
class Axis:
    label: str
    score: int
    end: Point  # where 100 lands
    point: Point  # where this score lands
    anchor: str  # SVG text-anchor of the label: start, middle or end
    lines: tuple[LabelLine, ...]  # the label, wrapped, and the score, each line placed


@dataclass(frozen=True)
class Ring:
    level: int
    points: str  # SVG polygon points


@dataclass(frozen=True)
class Radar:
    size: int
    center: Point
    radius: float
    view_box: str  # wider than `size` so labels fit beside the chart
    axes: tuple[Axis, ...]
    rings: tuple[Ring, ...]
    polygon: str  # the scores, as SVG polygon points


def _round(value: float) -> float:
    # `+ 0.0` turns -0.0 into 0.0, so a point on an axis never prints as "-0.0".
    return round(value, 1) + 0.0


def polar(center: Point, radius: float, index: int, count: int) -> Point:
    """The point at `radius` on axis `index` of `count`, the first one straight up."""
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return Point(
        _round(center.x + radius * math.cos(angle)), _round(center.y + radius * math.sin(angle))
    )


def points_attr(points: Sequence[Point]) -> str:
    """`x,y x,y …` as the SVG `points` attribute wants it."""
    return " ".join(f"{p.x:g},{p.y:g}" for p in points)


def text_anchor(index: int, count: int) -> str:
    """Labels right of the centre start at their point, left ones end there, others centre."""
    horizontal = math.cos(-math.pi / 2 + 2 * math.pi * index / count)
    if abs(horizontal) < 0.01:
        return "middle"
    return "start" if horizontal > 0 else "end"


def _label_lines(
    label: str, value: int, anchor_point: Point, index: int, count: int
) -> tuple[LabelLine, ...]:
    """The label, wrapped, then the score on a line of its own, stacked away from the chart:
    above the top axis, below the bottom one, centred beside the others (y is the baseline)."""
    texts = [*textwrap.wrap(label, LABEL_CHARS), str(value)]  # no label: the score alone
    vertical = math.sin(-math.pi / 2 + 2 * math.pi * index / count)
    block = LINE_HEIGHT * (len(texts) - 1)
    if vertical < -0.99:  # top: the last line sits just above the point
        first = anchor_point.y - block
    elif vertical > 0.99:  # bottom: the first line hangs below the point
        first = anchor_point.y + LINE_HEIGHT * 0.8
    else:
        first = anchor_point.y - block / 2 + LINE_HEIGHT * 0.35
    return tuple(
        LabelLine(text, anchor_point.x, _round(first + i * LINE_HEIGHT), i == len(texts) - 1)
        for i, text in enumerate(texts)
    )


def radar(scores: Sequence[tuple[str, int]], size: int = 300, label_room: int = 150) -> Radar:
    """Everything needed to draw `scores` (label, 0..100 each, in axis order) in a chart whose
    100 ring spans `size` user units, with `label_room` units beside it for the labels."""
    if len(scores) < 3:
        raise ValueError("a radar chart needs at least three axes")
    count = len(scores)
    radius = size / 2
    center = Point(radius, radius)
    axes = []
    for index, (label, value) in enumerate(scores):
        value = max(0, min(100, int(value)))
        end = polar(center, radius, index, count)
        anchor_point = polar(center, radius + LABEL_GAP, index, count)
        axes.append(
            Axis(
                label=label,
                score=value,
                end=end,
                point=polar(center, radius * value / 100, index, count),
                anchor=text_anchor(index, count),
                lines=_label_lines(label, value, anchor_point, index, count),
            )
        )
    rings = tuple(
        Ring(
            level,
            points_attr([polar(center, radius * level / 100, i, count) for i in range(count)]),
        )
        for level in RING_LEVELS
    )
    top = min(line.y for axis in axes for line in axis.lines) - LINE_HEIGHT
    bottom = max(line.y for axis in axes for line in axis.lines) + LINE_HEIGHT / 2
    top, bottom = min(top, -LINE_HEIGHT), max(bottom, size + LINE_HEIGHT)
    view_box = f"{-label_room:g} {_round(top):g} {size + 2 * label_room:g} {_round(bottom - top):g}"
    return Radar(
        size=size,
        center=center,
        radius=radius,
        view_box=view_box,
        axes=tuple(axes),
        rings=rings,
        polygon=points_attr([axis.point for axis in axes]),
    )
