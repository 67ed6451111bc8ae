"""Finite differences of J, the third of the three ways a derivation is checked: central
differences, Richardson-extrapolated in extended precision, each with a bound on its own
error (truncation and the rounding of J, see `rounding`), at every parameter, at chosen
ones, or along chosen directions."""

from __future__ import annotations

import numpy as np

from .numeric import (
    Layer,
    Params,
    _bias,
    _deltas,
    forward,
    inputs,
    loss,
    loss_delta,
    params,
    targets,
    unflatten,
)
from .sample import Instance

FD_STEP = 1e-5  # balances the h² truncation estimate against rounding over h in long double
FD_MIN_STEP = 1e-13  # below this a ReLU corner is too close to step around (verify refuses it)

Coordinate = tuple[str, int, tuple[int, ...]]  # ('W' or 'b', layer - 1, index in that array)


def finite_differences(inst: Instance, h: float = FD_STEP) -> tuple[Params, Params]:
    """Central differences of J, Richardson-extrapolated, in extended precision, each with a
    bound on its own error.

    D(h) = g + c·h² + O(h⁴) and D(h/2) = g + c·h²/4 + O(h⁴), so R = (4·D(h/2) − D(h))/3
    cancels the h² term. What is left of truncation is O(h⁴), far below |D(h) − D(h/2)| = ¾|c|h²,
    which is taken as its bound; rounding adds at most 3·δJ/h to R, δJ being the rounding error
    of one evaluation of J (see `rounding`). A step that would carry a ReLU neuron across its
    corner is shortened until it does not, so that J is smooth over the whole step.
    """
    line = _Line(inst, h)
    coordinates = [(kind, l, index) for kind, arrays in (("W", line.p.W), ("b", line.p.b or []))
                   for l, array in enumerate(arrays) for index in np.ndindex(array.shape)]
    g, err = finite_differences_at(inst, coordinates, h, line)
    return unflatten(g, params(inst)), unflatten(err, params(inst))


def finite_differences_at(inst: Instance, coordinates: list[Coordinate], h: float = FD_STEP,
                          line: _Line | None = None) -> tuple[np.ndarray, np.ndarray]:
    """∂J/∂θ_i and its error bound for the chosen coordinates only, as finite_differences."""
    line = line or _Line(inst, h)
    results = [line.coordinate(c) for c in coordinates]
    return (np.array([r for r, _ in results], dtype=float),
            np.array([e for _, e in results], dtype=float))


def directional_derivatives(inst: Instance, directions: list[Params],
                            h: float = FD_STEP) -> tuple[np.ndarray, np.ndarray]:
    """∇J·v for each direction v from J(θ + s·v) − J(θ − s·v), Richardson-extrapolated with the
    same error bound as finite_differences: one difference checks every component at once.

    >>> from symbackprop.definitions.definition import Network, Values
    >>> from symbackprop.engine.numeric import gradients
    >>> inst = Instance(Network((2, 1), ('identity',), 'half_sse', 'none'),
    ...                 Values((2.0, 1.0), (1.0,), (((3.0, -1.0),),)), 0.1, True)
    >>> gradients(inst, params(inst)).W[0].tolist()  # (wx − t)·x with wx − t = 4
    [[8.0, 4.0]]
    >>> along, err = directional_derivatives(inst, [Params([np.array([[1.0, -1.0]])], None)])
    >>> round(float(along[0]), 9), bool(abs(along[0] - 4) <= err[0] < 1e-9)  # 8 − 4
    (4.0, True)
    """
    line = _Line(inst, h)
    results = [line.direction(v) for v in directions]
    return (np.array([r for r, _ in results], dtype=float),
            np.array([e for _, e in results], dtype=float))


class _Line:
    """J in extended precision along one line through the parameters, differenced."""

    def __init__(self, inst: Instance, h: float):
        self.inst, self.h = inst, h
        self.p = params(inst, np.longdouble)
        self.x = inputs(inst, np.longdouble)
        self.corners = _relu_sides(inst, forward(inst, self.p, self.x))
        self.dJ = float(np.finfo(np.longdouble).eps) * rounding(inst, params(inst))

    def _loss(self, p: Params) -> tuple[np.longdouble, bool]:
        """J at p, and whether every ReLU neuron stayed on its side of the corner."""
        layers = forward(self.inst, p, self.x)
        return loss(self.inst, p, layers), _relu_sides(self.inst, layers) == self.corners

    def coordinate(self, c: Coordinate) -> tuple[float, float]:
        kind, l, index = c
        array = (self.p.W if kind == "W" else self.p.b)[l]
        keep = array[index]

        def at(step):
            array[index] = keep + step
            try:
                return self._loss(self.p)
            finally:
                array[index] = keep
        return self._extrapolate(at)

    def direction(self, v: Params) -> tuple[float, float]:
        def at(step):
            W = [w + step * d for w, d in zip(self.p.W, v.W)]
            b = None if self.p.b is None else [b + step * d for b, d in zip(self.p.b, v.b)]
            return self._loss(Params(W, b))
        return self._extrapolate(at)

    def _extrapolate(self, at) -> tuple[float, float]:
        def central(step):
            up, smooth_up = at(step)
            down, smooth_down = at(-step)
            return (up - down) / (2 * step), smooth_up and smooth_down

        step = self.h
        d1, smooth = central(step)
        while not smooth and step > FD_MIN_STEP:
            step /= 8
            d1, smooth = central(step)
        d2, _ = central(step / 2)
        return float((4 * d2 - d1) / 3), float(abs(d1 - d2) + 3 * self.dJ / step)


def _relu_sides(inst: Instance, layers: list[Layer]) -> list[bytes]:
    return [(layer.net > 0).tobytes() for act, layer in zip(inst.network.activations, layers)
            if act == "relu"]


def rounding(inst: Instance, p: Params) -> float:
    """A bound on the rounding error of one evaluation of J, in units of the precision used.

    First-order error analysis: each net is a sum of n products, so it carries up to
    (n + 1)·Σ|w·in| + |b| units, and an error in net[l][j] moves J by |δ[l][j]| times it; the
    loss's own last operations carry about (|t| + 1)·(|t| + |out| + |net| + 1) units each. A
    factor of 8 covers the terms this leaves out (the activations' own rounding, second order).
    """
    layers = forward(inst, p)
    z, y = layers[-1].net, layers[-1].out
    t = targets(inst, z.dtype)
    units = abs(float(loss(inst, p, layers)))
    units += float(np.sum((np.abs(t) + 1) * (np.abs(t) + np.abs(y) + np.abs(z) + 1)))
    ins = [inputs(inst, z.dtype)] + [x.out for x in layers[:-1]]
    deltas = _deltas(inst, p, layers, loss_delta(inst, layers[-1]))
    for l, (W, a, d) in enumerate(zip(p.W, ins, deltas)):
        size = np.abs(W) @ np.abs(a) + (0 if p.b is None else _bias(np.abs(p.b[l]), a))
        units += (W.shape[1] + 1) * float(np.sum(np.abs(d) * size))
    return 8 * units
