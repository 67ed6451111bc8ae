"""Three ways to every number of a network on an image, as verify.py checks a dense one: SymPy
substitution, the independent NumPy evaluator (convnumeric), and finite differences of J
(convdifferences) for every parameter and every pixel's ∂J/∂x (or, past FD_EVERY, a seeded
sample and random directions). The same error bounds, judged the same way.

Two things are refused by name: a ReLU net so near 0 that SymPy (exactly) and NumPy (rounded)
see it on different sides of the corner, and a max-pooling window whose largest values are so
near that they pick different maxima; the two would take different derivatives there. A net
that is 0, or values that are equal (a ReLU's zeros, a filter over a blank patch), are fine
wherever both see them alike: PyTorch's conventions decide them
(ReLU'(0) = 0; a tie's gradient goes to the first maximum), and finite differences there
hold every ReLU's side and every window's maximum as they are at the point, the function whose
derivative those conventions give.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> d = parse('''network: {input: {channels: 1, height: 4, width: 4}, loss: half_sse,
...   layers: [{kind: convolution, filters: 2, kernel: 2, activation: relu},
...            {kind: max_pool, size: 2}, {kind: flatten},
...            {kind: dense, size: 1, activation: identity}]}
... seed: 1''')
>>> r = run(d, instance(d))
>>> len(r.grads), len(r.input_grads), r.fd_max_rel_err < 1e-8, r.numpy_max_abs_diff < 1e-15
(13, 16, True, True)
"""

from __future__ import annotations

import numpy as np

from ..definitions.definition import Definition
from ..definitions.errors import NoDerivative
from ..definitions.layers import Convolution, Dense, Pooling
from . import convdifferences as cd
from . import convnumeric as cn
from .convderivation import ConvDerivation, derive_all, derive_some
from .convgraph import build, pool_window
from .evaluate import forward, step_values
from .graph import name
from .sample import Instance, generator
from .verify import (
    FD_EVERY,
    FD_SAMPLE,
    FD_SEED,
    FiniteDifferences,
    Verified,
    _agree,
    _agree_arrays,
    _agree_fd_arrays,
    _max_rel_arrays,
    judge_directions,
    sample,
    signs,
)

__all__ = ["run", "run_params", "verify"]

FD_PIXELS = 256  # an image's pixels differenced one at a time; more: a sample and directions


def run(defn: Definition, inst: Instance) -> Verified:
    """Build, derive, evaluate and verify every parameter's gradient and every ∂J/∂x."""
    return verify(derive_all(build(defn.network)), inst)


def run_params(defn: Definition, inst: Instance, params: list[str]) -> Verified:
    """Only what `params` need; a network small enough to difference every parameter is
    verified whole, as verify.run_params does."""
    graph = build(defn.network)
    if len(graph.params) <= FD_EVERY:
        return run(defn, inst)
    return verify(derive_some(graph, dict.fromkeys(params)), inst)


def verify(derivation: ConvDerivation, inst: Instance) -> Verified:
    graph = derivation.graph
    values = forward(graph, inst)
    roots = list(derivation.grads.values()) + list(derivation.inputs.values())
    steps = step_values(roots, values, graph)
    grads = {p: steps[s.target] for p, s in derivation.grads.items()}
    inputs = {x: steps[s.target] for x, s in derivation.inputs.items()}
    names = list(grads)
    position = {k: i for i, k in enumerate(graph.params)}
    at = np.array([position[k] for k in names], dtype=int)
    whole = names == list(graph.params)
    ours = np.fromiter(grads.values(), float, len(names))
    p = cn.params(inst)
    with np.errstate(over="ignore", invalid="ignore"):  # SymPy already refused what overflows
        layers = cn.forward(inst, p)
        _agree_forward(inst, graph, p, layers, values, steps)
        gradient, dx = cn.gradients(inst, p)
        size, dx_size = cn.magnitudes(inst, p)
        gradient_np, sizes = cn.flatten(gradient), cn.flatten(size)
        _agree_arrays("NumPy backward pass", names, ours, gradient_np[at], sizes[at])
        line = cd.Line(inst)
        every = cd.coordinates(p)
        if whole and len(names) <= FD_EVERY:
            chosen, check = at, FiniteDifferences(len(names), len(names))
        else:
            chosen = sample([a for a in p.weights + p.biases if a is not None],
                            len(graph.params)) if whole else at
            directions = signs(len(graph.params))
            fd_v, err_v = cd.along(inst, [cn.unflatten(v, p) for v in directions], line)
            check = judge_directions(ours if whole else gradient_np, directions, fd_v, err_v,
                                     None if whole else sizes, len(chosen))
        fd, fd_err = cd.at_coordinates(inst, [every[i] for i in chosen], line)
        differenced = chosen if whole else np.arange(len(names))
        _agree_fd_arrays([names[i] for i in differenced], ours[differenced], fd, fd_err,
                         sizes[chosen])
        worst = _max_rel_arrays(ours[differenced], fd)
        diff = float(np.max(np.abs(ours - gradient_np[at]), initial=0.0))
        if inputs:
            worst, diff = _check_inputs(inst, line, inputs, dx, dx_size, worst, diff)
        updated = _updated(inst, values, grads)
        _agree_step(inst, p, gradient, size, names, at, updated, values)
    return Verified(inst, derivation, values, steps, grads, updated,
                    numpy_max_abs_diff=diff, fd_max_rel_err=worst, finite_differences=check,
                    input_grads=inputs)


def _check_inputs(inst, line, inputs: dict[str, float], dx, dx_size, worst: float,
                  diff: float) -> tuple[float, float]:
    """∂J/∂x of every pixel against NumPy's, and against finite differences of the pixels
    (every one up to FD_PIXELS, else a seeded sample and random directions)."""
    pixels = list(inputs)
    ours = np.fromiter(inputs.values(), float, len(pixels))
    theirs, sizes = dx.ravel(), dx_size.ravel()
    _agree_arrays("NumPy backward pass", [f"dJ/d{x}" for x in pixels], ours, theirs, sizes)
    chosen = np.arange(len(pixels))
    if len(pixels) > FD_PIXELS:  # a seeded sample, and every pixel along random directions
        chosen = np.sort(generator(FD_SEED, 2).choice(len(pixels), FD_SAMPLE, replace=False))
        directions = signs(len(pixels))
        fd_v, err_v = cd.along_pixels(inst, [d.reshape(dx.shape) for d in directions], line)
        judge_directions(ours, directions, fd_v, err_v, None, len(chosen))
    index = list(np.ndindex(dx.shape))
    fd, fd_err = cd.at_pixels(inst, [index[i] for i in chosen], line)
    _agree_fd_arrays([f"dJ/d{pixels[i]}" for i in chosen], ours[chosen], fd, fd_err,
                     sizes[chosen])
    return (max(worst, _max_rel_arrays(ours[chosen], fd)),
            max(diff, float(np.max(np.abs(ours - theirs), initial=0.0))))


def _agree_forward(inst: Instance, graph, p: cn.Params, layers: list[cn.Layer],
                   values: dict[str, float], steps: dict[str, float]) -> None:
    """The corners and ties both must see alike (else the rest cannot agree); then every
    net, out and J against NumPy's forward pass."""
    _no_corner(inst, graph, layers, values, steps)
    scales = cn.magnitudes_forward(inst, p, layers)
    theirs, sizes = _flat(layers), _flat(scales)
    theirs["J"], sizes["J"] = float(cn.loss(inst, p, layers)), cn.rounding(inst, p)
    _agree("NumPy forward pass", {k: values[k] for k in theirs}, theirs, sizes)


def _flat(layers: list[cn.Layer]) -> dict[str, float]:
    flat = {}
    for l, layer in enumerate(layers, start=1):
        for kind, array in (("net", layer.net), ("out", layer.out)):
            if array is not None:
                for index, v in np.ndenumerate(array):
                    flat[name(kind, l, *(i + 1 for i in index))] = float(v)
    return flat


def _no_corner(inst: Instance, graph, layers, values, steps) -> None:
    """Refuse a ReLU net whose side of the corner SymPy (exactly) and NumPy (rounded) see
    differently, and a max-pooling window whose first maximum they pick differently: the two
    would then take different derivatives. (On the same side, or at the same maximum, they
    agree, and finite differences hold that side or maximum where a step would cross it.)"""
    for l, (layer, numbers) in enumerate(zip(inst.network.layers, layers), start=1):
        if isinstance(layer, (Convolution, Dense)) and layer.activation == "relu":
            for index, double in np.ndenumerate(numbers.net):
                key = name("net", l, *(i + 1 for i in index))
                if (values[key] > 0) != (double > 0):
                    raise NoDerivative(
                        f"{key} = {values[key]:.3g} is at ReLU's corner up to rounding (NumPy's "
                        f"rounded sum is {float(double):.3g}), where it has no derivative; "
                        "change a number so that no ReLU net is this near 0 (exactly 0 is "
                        "fine: ReLU'(0) is taken as 0)")
        if isinstance(layer, Pooling) and layer.kind == "max_pool":
            _no_near_tie(graph, l, numbers, values, steps)


def _no_near_tie(graph, l: int, numbers: cn.Layer, values, steps) -> None:
    for index, first in np.ndenumerate(numbers.first):
        c, i, j = (n + 1 for n in index)
        sources = [graph.source_name(l, (c, r, s)) for r, s in pool_window(graph.network, l,
                                                                             i, j)]
        window = [values[k] for k in sources]
        # the maximum the derivation routes to (worked in high precision, not the doubles)
        chosen = [steps.get(f"d{name('out', l, c, i, j)}/d{k}") for k in sources]
        best = chosen.index(1.0) if 1.0 in chosen else \
            max(range(len(window)), key=lambda k: (window[k], -k))  # the first maximum
        if best != int(first):
            top = sorted(window, reverse=True)
            raise NoDerivative(
                f"{name('out', l, c, i, j)}: its max-pooling window's largest values are "
                f"equal only up to rounding ({top[0]!r} and {top[1]!r}), where the maximum "
                "has no derivative (at an exact tie PyTorch gives the gradient to the first); "
                "change a number")


CLEAR = 1e-9  # drawn numbers keep this far (relative to the sizes summed) from a corner or tie


def clear_of_corners(inst: Instance) -> bool:
    """Whether drawn numbers keep clear of every ReLU corner and every pooling tie, so that
    SymPy and NumPy cannot see them differently: no ReLU net within CLEAR of 0 beside the
    size of its terms (a sum of two-decimal numbers that cancels in decimals leaves a binary
    residue either side of 0), and no window whose two largest values are that near, unless
    both are ReLU's exact zeros. A draw that is not is drawn again.

    >>> from symbackprop.definitions.definition import parse
    >>> from symbackprop.engine.sample import instance
    >>> d = parse("network: {input: {channels: 1, height: 2, width: 2}, loss: mse, layers: "
    ...           "[{kind: max_pool, size: 2}, {kind: flatten}, "
    ...           "{kind: dense, size: 1, activation: identity}]}\\n"
    ...           "values: {image: [[[0.3, 0.5], [0.5, 0.1]]]}")
    >>> clear_of_corners(instance(d))  # two 0.5's in one window: a tie of two pixels
    False
    """
    p = cn.params(inst)
    layers = cn.forward(inst, p)
    scales = cn.magnitudes_forward(inst, p, layers)
    before, size = cn.image(inst), np.abs(cn.image(inst))
    for layer, numbers, scale in zip(inst.network.layers, layers, scales):
        if isinstance(layer, (Convolution, Dense)) and layer.activation == "relu":
            if np.any(np.abs(numbers.net) <= CLEAR * scale.net):
                return False
        if isinstance(layer, Pooling) and layer.kind == "max_pool":
            view = cn.windows(before, layer.size, layer.stride)
            flat = np.sort(view.reshape(view.shape[:3] + (-1,)), axis=-1)
            if flat.shape[-1] > 1:
                top, second = flat[..., -1], flat[..., -2]
                near = top - second <= CLEAR * cn.windows(size, layer.size, layer.stride).max(
                    axis=(-2, -1))
                if np.any(near & ~((top == 0) & (second == 0))):
                    return False
        before, size = numbers.out, scale.out
    return True


def _updated(inst: Instance, values, grads) -> dict[str, float]:
    """Each parameter after one gradient-descent step, w − η·∂J/∂w (biases fixed when the
    definition says so)."""
    eta = inst.learning_rate
    return {k: values[k] - eta * g if k[0] in "KW" or inst.update_biases else values[k]
            for k, g in grads.items()}


def _agree_step(inst: Instance, p: cn.Params, gradient: cn.Params, size: cn.Params,
                names: list[str], at: np.ndarray, updated: dict[str, float], values) -> None:
    eta = inst.learning_rate
    step = [None if w is None else w - eta * g for w, g in zip(p.weights, gradient.weights)]
    biases = [None if b is None else (b - eta * g if inst.update_biases else b)
              for b, g in zip(p.biases, gradient.biases)]
    theirs = cn.flatten(cn.Params(step, biases))[at]
    old = np.fromiter((abs(values[k]) for k in names), float, len(names))
    _agree_arrays("NumPy gradient step", names, np.fromiter(updated.values(), float,
                                                            len(names)),
                  theirs, old + eta * cn.flatten(size)[at])
