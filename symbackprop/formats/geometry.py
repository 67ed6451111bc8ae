"""Plane geometry for the network diagram's labels: a label is a rectangle turned to its arrow's
angle, and it must meet no other arrow, neuron or label. Lengths are centimetres.

>>> label = Box(0.0, 0.0, 2.0, 0.4, 0.0)           # 2 cm wide, on the x axis
>>> label.meets_segment((-1.0, 1.0), (1.0, -1.0))    # an arrow crossing it
True
>>> label.meets_segment((-1.0, 1.0), (1.0, 0.5))     # one passing above it
False
>>> label.meets_box(Box(0.0, 0.5, 1.0, 0.4, 0.0)), label.meets_circle((0.0, 1.0), 0.9)
(False, True)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """A rectangle centred on (x, y), `width` along the direction `angle` (radians)."""
    x: float
    y: float
    width: float
    height: float
    angle: float

    @functools.cached_property
    def axes(self) -> tuple[Point, Point]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return (c, s), (-s, c)

    @functools.cached_property
    def corners(self) -> list[Point]:
        (ux, uy), (vx, vy) = self.axes
        a, b = self.width / 2, self.height / 2
        return [(self.x + i * a * ux + j * b * vx, self.y + i * a * uy + j * b * vy)
                for i, j in ((-1, -1), (1, -1), (1, 1), (-1, 1))]

    def grown(self, margin: float) -> Box:
        return Box(self.x, self.y, self.width + 2 * margin, self.height + 2 * margin, self.angle)

    @functools.cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        xs, ys = [x for x, _ in self.corners], [y for _, y in self.corners]
        return min(xs), min(ys), max(xs), max(ys)

    def meets_segment(self, p: Point, q: Point) -> bool:
        left, bottom, right, top = self.bounds  # the quick test first: most arrows are far
        if (max(p[0], q[0]) < left or min(p[0], q[0]) > right or max(p[1], q[1]) < bottom
                or min(p[1], q[1]) > top):
            return False
        return _apart(self.corners, [p, q], [*self.axes, _normal(p, q)]) is False

    def meets_box(self, other: Box) -> bool:
        a, b = self.bounds, other.bounds
        if a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]:
            return False
        return _apart(self.corners, other.corners, [*self.axes, *other.axes]) is False

    def meets_circle(self, centre: Point, radius: float) -> bool:
        # the circle's centre in the box's own frame, clamped to the box: the nearest point
        (ux, uy), (vx, vy) = self.axes
        dx, dy = centre[0] - self.x, centre[1] - self.y
        u, v = dx * ux + dy * uy, dx * vx + dy * vy
        nu = max(-self.width / 2, min(self.width / 2, u))
        nv = max(-self.height / 2, min(self.height / 2, v))
        return math.hypot(u - nu, v - nv) < radius


def _normal(p: Point, q: Point) -> Point:
    dx, dy = q[0] - p[0], q[1] - p[1]
    length = math.hypot(dx, dy) or 1.0
    return -dy / length, dx / length


def _apart(a: list[Point], b: list[Point], axes: list[Point]) -> bool:
    """Whether some axis separates the two convex shapes (the separating axis theorem)."""
    for ax, ay in axes:
        pa = [x * ax + y * ay for x, y in a]
        pb = [x * ax + y * ay for x, y in b]
        if max(pa) <= min(pb) or max(pb) <= min(pa):
            return True
    return False
