"""Finite differences of J for a network on an image, in extended precision, each with a bound
on its own error: of a parameter, of an image pixel, or along a direction of every parameter.

Central differences, Richardson-extrapolated, as differences.finite_differences takes them, where J
is smooth over the whole step: where every ReLU keeps its side and every max-pooling window its
first maximum. Where a step would carry a ReLU across its corner or move a window's maximum
(a net exactly 0, equal maxima), J is differenced with every ReLU's side and every window's
maximum held as they are at the point: that is the function whose derivative PyTorch's
conventions give there (ReLU'(0) = 0; a tie's gradient to the first maximum).

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> d = parse('''network: {input: {channels: 1, height: 2, width: 2}, loss: half_sse,
...   layers: [{kind: max_pool, size: 2}, {kind: flatten},
...            {kind: dense, size: 1, activation: identity, bias: none}]}
... values: {image: [[[1, 1], [0, 0]]], targets: [0], layers: [{}, {}, {weights: [[2]]}]}''')
>>> line = Line(instance(d))
>>> [round(line.pixel((0, 0, c))[0], 9) for c in (0, 1)]  # a tie: all of it to the first
[4.0, 0.0]
"""

from __future__ import annotations

import numpy as np

from ..definitions.layers import Convolution, Dense, Pooling
from . import convnumeric as cn
from .differences import FD_STEP
from .sample import Instance

Coordinate = tuple[str, int, tuple[int, ...]]  # ('w' or 'b', layer - 1, index in its array)


class Line:
    """J in extended precision along one line through the parameters (or the image)."""

    def __init__(self, inst: Instance, h: float = FD_STEP):
        self.inst, self.h = inst, h
        self.p = cn.params(inst, np.longdouble)
        self.x = cn.image(inst, np.longdouble)
        layers = cn.forward(inst, self.p, self.x)
        self.pattern, self.held = _pattern(inst, layers), cn.hold(inst, layers)
        self.dJ = float(np.finfo(np.longdouble).eps) * cn.rounding(inst, cn.params(inst))

    def _loss(self, p: cn.Params, x: np.ndarray, held: bool = False):
        """J at p and x (the point's ReLU sides and maxima held, if asked), and whether the
        pattern of ReLU sides and windows' first maxima is the point's."""
        layers = cn.forward(self.inst, p, x, self.held if held else None)
        return cn.loss(self.inst, p, layers), held or _pattern(self.inst, layers) == \
            self.pattern

    def coordinate(self, c: Coordinate) -> tuple[float, float]:
        kind, l, index = c
        array = (self.p.weights if kind == "w" else self.p.biases)[l]
        return self._at_entry(array, index)

    def pixel(self, index: tuple[int, ...]) -> tuple[float, float]:
        return self._at_entry(self.x, index)

    def _at_entry(self, array: np.ndarray, index) -> tuple[float, float]:
        keep = array[index]

        def at(step, held=False):
            array[index] = keep + step
            try:
                return self._loss(self.p, self.x, held)
            finally:
                array[index] = keep
        return self._extrapolate(at)

    def direction(self, v: cn.Params) -> tuple[float, float]:
        def at(step, held=False):
            weights = [None if w is None else w + step * d for w, d in zip(self.p.weights,
                                                                            v.weights)]
            biases = [None if b is None else b + step * d for b, d in zip(self.p.biases,
                                                                           v.biases)]
            return self._loss(cn.Params(weights, biases), self.x, held)
        return self._extrapolate(at)

    def pixels_along(self, v: np.ndarray) -> tuple[float, float]:
        """∇ₓJ·v for a direction v of the image."""
        return self._extrapolate(lambda step, held=False: self._loss(self.p, self.x + step * v,
                                                                     held))

    def _extrapolate(self, at) -> tuple[float, float]:
        """Central differences, R = (4·D(h/2) − D(h))/3, of J; of J with the point's ReLU
        sides and maxima held where the step would change one of them."""
        up, smooth_up = at(self.h)
        down, smooth_down = at(-self.h)
        held = not (smooth_up and smooth_down)
        if held:
            up, down = at(self.h, True)[0], at(-self.h, True)[0]
        d1 = (up - down) / (2 * self.h)
        d2 = (at(self.h / 2, held)[0] - at(-self.h / 2, held)[0]) / self.h
        error = float(abs(d1 - d2) + 3 * self.dJ / self.h)
        return float((4 * d2 - d1) / 3), error if error == error else float("inf")  # NaN: none


def _pattern(inst: Instance, layers: list[cn.Layer]) -> bytes:
    """Which side of its corner every ReLU net is on, and each max-pooling window's first
    maximum: J is smooth where these stay as they are."""
    parts = []
    for layer, values in zip(inst.network.layers, layers):
        if isinstance(layer, (Convolution, Dense)) and layer.activation == "relu":
            parts.append((values.net > 0).tobytes())
        elif isinstance(layer, Pooling) and layer.kind == "max_pool":
            parts.append(values.first.tobytes())
    return b"|".join(parts)


def coordinates(p: cn.Params) -> list[Coordinate]:
    """Every parameter, in convnumeric.flatten's order (the graph's)."""
    return ([("w", l, i) for l, w in enumerate(p.weights) if w is not None
             for i in np.ndindex(w.shape)]
            + [("b", l, i) for l, b in enumerate(p.biases) if b is not None
               for i in np.ndindex(b.shape)])


def at_coordinates(inst: Instance, chosen: list[Coordinate], line: Line | None = None):
    line = line or Line(inst)
    results = [line.coordinate(c) for c in chosen]
    return (np.array([r for r, _ in results], dtype=float),
            np.array([e for _, e in results], dtype=float))


def at_pixels(inst: Instance, chosen: list[tuple[int, ...]], line: Line | None = None):
    line = line or Line(inst)
    results = [line.pixel(i) for i in chosen]
    return (np.array([r for r, _ in results], dtype=float),
            np.array([e for _, e in results], dtype=float))


def along(inst: Instance, directions: list[cn.Params], line: Line | None = None):
    line = line or Line(inst)
    results = [line.direction(v) for v in directions]
    return (np.array([r for r, _ in results], dtype=float),
            np.array([e for _, e in results], dtype=float))


def along_pixels(inst: Instance, directions: list[np.ndarray], line: Line | None = None):
    line = line or Line(inst)
    results = [line.pixels_along(v) for v in directions]
    return (np.array([r for r, _ in results], dtype=float),
            np.array([e for _, e in results], dtype=float))
