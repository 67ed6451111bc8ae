"""Three ways to every number: SymPy substitution, the NumPy evaluator, finite differences.

Nothing leaves this module that has not agreed: to 1e-9 relative, or within what rounding can
do to the quantity (see `_agree`); finite differences within their own error estimate.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.sample import instance
>>> d = parse('''network: {layers: [2, 1], activation: sigmoid, loss: half_sse, bias: shared}
... values: {inputs: [1, 2], targets: [1], weights: [[[0.5, -0.25]]], biases: [[0.1]]}''')
>>> r = run(d, instance(d))
>>> round(r.grads['W[1][1][1]'], 9), r.fd_max_rel_err < 1e-9
(-0.118458809, True)
>>> fd, err = (_flat_params(p, 'shared') for p in differences.finite_differences(r.instance))
>>> bad = dict(r.grads, **{'W[1][1][1]': r.grads['W[1][1][1]'] * (1 + 1e-6)})
>>> _agree_fd(bad, fd, err, r.grads)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symbackprop.definitions.errors.VerificationError: finite differences disagree ... at W[1][1][1]: ...
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..definitions.canonical import at_example
from ..definitions.definition import Definition
from ..definitions.errors import BadNumbers, NoDerivative, VerificationError
from . import differences, numeric
from .derivation import Derivation, derive_all, derive_some
from .evaluate import forward, step_values
from .graph import build, name
from .sample import Instance, generator

# SymPy's side is evaluated in high precision (evaluate.py) and rounded once, so a difference
# from NumPy is NumPy's rounding.
TOLERANCE = 1e-9  # relative: two computations in double precision agree far closer than this
# ...unless a quantity is small only because larger terms cancel in it; then rounding errors are
# relative to the terms, not to the result. ROUNDING is the part of a quantity's own size scale
# (the same sums taken in absolute values: numeric.magnitudes for gradients, Σ|w·in| + |b| for
# a net) that double-precision rounding may reach: about 9000 units of 1.1e-16, room for sums
# over thousands of terms, chained through a few layers (Higham: a sum of n terms is exact to
# n·u·Σ|terms|). A wrong factor moves a gradient by its size times the factor's error, so it is
# still caught unless it is below 1e-12 of that size.
ROUNDING = 1e-12
UNDERFLOW = 1e-290  # within a few roundings of double's smallest normal number (2.2e-308),
#                     where relative precision runs out: differences below this are not judged
FLOOR = 1e-5  # rel_err's floor, used only for reporting (fd_max_rel_err) and by lessons
UNIT = 2.0**-53  # a double's unit roundoff

# Finite differences of every parameter cost one pass of J each: linear in the parameters
# times the size of a pass, so quadratic overall. Above FD_EVERY parameters they difference a
# seeded sample (FD_SAMPLE, spread over every weight matrix and bias vector) and, to check
# every component at once, the gradient along FD_DIRECTIONS random directions v of ±1's:
# J(θ + hv) − J(θ − hv) against ∇J·v. A gradient wrong in component k by more than twice
# the difference's error bound moves ∇J·v by that error whatever v is when only k is wrong;
# when several are wrong, e·v = Σ e_i·v_i misses |e_k| only if the sign of v_k is the one
# that cancels (the other components fixed, the two signs of v_k give sums 2|e_k| apart), so
# each direction catches it with probability at least ½ and all of them miss with
# probability at most 2^-FD_DIRECTIONS.
FD_EVERY = 5_000
FD_SAMPLE = 100
FD_PER_ARRAY = 4  # at least this many from each weight matrix and bias vector
FD_DIRECTIONS = 20
FD_SEED = 0


@dataclass(frozen=True)
class FiniteDifferences:
    """How finite differences checked the gradients."""

    parameters: int  # parameters differenced one at a time
    of: int  # the network's parameters
    directions: int = 0  # random directions, each checking every component of ∇J at once
    seed: int | None = None  # of the sample and the directions
    directional_max_rel_err: float | None = None
    whole: str = "derivation"  # whose ∇J the directions checked: 'derivation' or 'numpy'

    @property
    def method(self) -> str:
        if not self.directions:
            return "every_parameter"
        return "sample_and_directions" if self.whole == "derivation" else \
            "parameters_and_directions"

    def as_json(self) -> dict:
        return {"method": self.method, "parameters": self.parameters, "of": self.of,
                "directions": self.directions, "seed": self.seed,
                "directional_max_rel_err": self.directional_max_rel_err}


@dataclass(frozen=True)
class Example:
    """One example of a batch as SymPy works it: its own loss J@e and that loss's chain."""

    instance: Instance  # the batch's weights with this example's inputs and targets
    derivation: Derivation  # the same tree for every example: only the numbers differ
    values: dict[str, float]  # its x, t, net, out and J (its J@e) and the weights, unsuffixed
    steps: dict[str, float]  # every step of its derivations, by target
    grads: dict[str, float]  # parameter name -> ∂J@e/∂param


@dataclass(frozen=True)
class Verified:
    instance: Instance
    derivation: Derivation
    values: dict[str, float]  # every x, t, W, b, net, out and J by canonical name (in a
    #                           batch each example's as x[k]@e ..., and J the batch's loss)
    steps: dict[str, float]  # every step of every derivation, by target (empty for a batch)
    grads: dict[str, float]  # parameter name -> ∂J/∂param
    updated: dict[str, float]  # parameter name -> value after one gradient-descent step
    numpy_max_abs_diff: float
    fd_max_rel_err: float
    finite_differences: FiniteDifferences  # how finite differences checked the gradients
    examples: tuple[Example, ...] = ()  # a batch's examples, each worked on its own
    input_grads: dict[str, float] = field(default_factory=dict)  # a network on an image:
    #                                                      'x[c][i][j]' -> ∂J/∂x[c][i][j]


def run(defn: Definition, inst: Instance) -> Verified:
    """Build, derive, evaluate and verify: the engine's whole chain for one instance."""
    return verify(derive_all(build(defn.network)), inst)


def run_params(defn: Definition, inst: Instance, params: list[str]) -> Verified:
    """Only what `params` need: their chains (and the δ's in them) derived and verified, and
    the whole network checked cheaply (the forward pass, and NumPy's gradient along random
    directions). A network small enough to difference every parameter is verified whole.

    >>> from symbackprop.definitions.definition import parse
    >>> from symbackprop.engine.sample import instance
    >>> d = parse('''network: {layers: [2, 2, 1], activation: sigmoid, loss: half_sse,
    ...   bias: none}
    ... seed: 3''')
    >>> r = run_params(d, instance(d), ['W[1][2][1]'])
    >>> r.finite_differences.method, len(r.grads)
    ('every_parameter', 6)
    """
    graph = build(defn.network)
    if len(graph.params) <= FD_EVERY:
        return run(defn, inst)
    return verify(derive_some(graph, dict.fromkeys(params)), inst)


def verify(derivation: Derivation, inst: Instance) -> Verified:
    """Every value of `derivation` three ways. Its grads may be some of the parameters: then
    those are compared, and the whole network is checked through NumPy's gradient."""
    graph = derivation.graph
    if inst.batched:
        examples = tuple(_named(e, _example, derivation, one)
                         for e, one in enumerate(inst.examples(), start=1))
        values, steps, grads = _batch(examples, inst), {}, _batch_grads(examples, inst)
    else:
        examples = ()
        values = forward(graph, inst)
        steps = step_values(derivation.grads.values(), values, graph)
        grads = {p: steps[s.target] for p, s in derivation.grads.items()}
    names = list(grads)
    whole = names == list(graph.params)
    # positions of the derived parameters in numeric.flatten's order (the graph's)
    if whole:
        at = np.arange(len(names))
    else:
        position = {k: i for i, k in enumerate(graph.params)}
        at = np.array([position[k] for k in names], dtype=int)
    ours = np.fromiter(grads.values(), float, len(names))
    p = numeric.params(inst)
    with np.errstate(over="ignore", invalid="ignore"):  # SymPy already refused what overflows
        for e, one in enumerate(examples, start=1):
            _named(e, _agree_forward, one.instance, p, one.values)
        if not examples:
            _agree_forward(inst, p, values)
        if examples:
            _agree("NumPy batch loss", {"J": values["J"]}, {"J": float(numeric.loss(inst, p))},
                   {"J": math.fsum(differences.rounding(e.instance, p) for e in examples)})
        gradient_np = numeric.flatten(numeric.gradients(inst, p))
        sizes = numeric.flatten(numeric.magnitudes(inst, p))
        _agree_arrays("NumPy backward pass", names, ours, gradient_np[at], sizes[at])
        if whole and len(names) <= FD_EVERY:
            fd, fd_err = (numeric.flatten(q) for q in differences.finite_differences(inst))
            chosen, check = at, FiniteDifferences(len(names), len(names))
        else:
            chosen = _sample(p, len(names)) if whole else at
            fd, fd_err = differences.finite_differences_at(inst, _coordinates(p, chosen))
            check = _directions(inst, p, ours if whole else gradient_np,
                                None if whole else sizes, len(chosen))
        differenced = chosen if whole else np.arange(len(names))  # among `names`
        _agree_fd_arrays([names[i] for i in differenced], ours[differenced], fd, fd_err,
                         sizes[chosen])
        updated = _updated(inst, values, grads)
        old = np.fromiter((abs(values[k]) for k in names), float, len(names))
        _agree_arrays("NumPy gradient step", names,
                      np.fromiter(updated.values(), float, len(names)),
                      numeric.flatten(numeric.step(inst, p))[at],
                      old + inst.learning_rate * sizes[at])
    return Verified(
        inst, derivation, values, steps, grads, updated,
        numpy_max_abs_diff=float(np.max(np.abs(ours - gradient_np[at]), initial=0.0)),
        fd_max_rel_err=_max_rel_arrays(ours[differenced], fd),
        finite_differences=check, examples=examples,
    )


def _agree_forward(inst: Instance, p: numeric.Params, values: dict[str, float]) -> None:
    """One example's nets, outs and J against NumPy's forward pass."""
    layers = numeric.forward(inst, p)
    forward_np = _flat_layers(layers) | {"J": float(numeric.loss(inst, p, layers))}
    _agree("NumPy forward pass", {k: values[k] for k in forward_np}, forward_np,
           _forward_scale(inst, p, layers))
    _no_relu_kink(inst, layers)


def _named(e: int, work, *args):
    """work(*args) for example e of a batch: numbers it cannot work with are refused naming
    the example."""
    try:
        return work(*args)
    except BadNumbers as exc:
        raise type(exc)(f"in example {e} (values.examples[{e - 1}]), {exc}") from None


def _example(derivation: Derivation, inst: Instance) -> Example:
    """One example of a batch worked by SymPy, as if it were the only one."""
    graph = derivation.graph
    values = forward(graph, inst)
    steps = step_values(derivation.grads.values(), values, graph)
    return Example(inst, derivation, values, steps,
                   {p: steps[s.target] for p, s in derivation.grads.items()})


def _batch(examples: tuple[Example, ...], inst: Instance) -> dict[str, float]:
    """The batch's values by name: the weights, each example's quantities as name@e, and J."""
    values = {k: v for k, v in examples[0].values.items() if k[0] in "Wb"}
    for e, one in enumerate(examples, start=1):
        values |= {at_example(k, e): v for k, v in one.values.items() if k[0] not in "Wb"}
    values["J"] = inst.share * math.fsum(one.values["J"] for one in examples)
    return values


def _batch_grads(examples: tuple[Example, ...], inst: Instance) -> dict[str, float]:
    """∂J/∂θ = Σ_e ∂J@e/∂θ, each sum taken exactly and rounded once (then 1/E of it for a
    mean)."""
    return {p: inst.share * math.fsum(one.grads[p] for one in examples)
            for p in examples[0].grads}


def agree_with(r: Verified, gradient: np.ndarray, what: str) -> None:
    """Another computation's gradient (numeric.flatten's order) held to the verified one, as
    NumPy's backward pass is: raises VerificationError naming the first that differs."""
    names = list(r.derivation.graph.params)
    ours = np.fromiter((r.grads[k] for k in names), float, len(names))
    inst = r.instance
    sizes = numeric.flatten(numeric.magnitudes(inst, numeric.params(inst)))
    _agree_arrays(what, names, ours, np.asarray(gradient, dtype=float), sizes)


def sample(arrays: list[np.ndarray], n: int) -> np.ndarray:
    """Positions of a seeded sample of about FD_SAMPLE of the n numbers of `arrays`, from
    every weight matrix and bias vector in proportion to its size (at least FD_PER_ARRAY from
    each), sorted."""
    rng = generator(FD_SEED)
    chosen, start = [], 0
    for a in arrays:
        k = min(a.size, max(FD_PER_ARRAY, round(FD_SAMPLE * a.size / n)))
        chosen.append(start + rng.choice(a.size, size=k, replace=False))
        start += a.size
    return np.sort(np.concatenate(chosen))


def _sample(p: numeric.Params, n: int) -> np.ndarray:
    """sample() of a dense network's weight matrices and bias vectors."""
    return sample(p.W + (p.b or []), n)


def signs(n: int) -> list[np.ndarray]:
    """FD_DIRECTIONS seeded directions of n ±1's."""
    rng = generator(FD_SEED, 1)
    return [rng.integers(0, 2, n) * 2.0 - 1.0 for _ in range(FD_DIRECTIONS)]


_signs = signs


def _coordinates(p: numeric.Params, positions) -> list[differences.Coordinate]:
    """Positions in numeric.flatten's order, as (kind, layer, index) of numeric's arrays."""
    arrays = [("W", l, a) for l, a in enumerate(p.W)] + \
        [("b", l, a) for l, a in enumerate(p.b or [])]
    ends = np.cumsum([a.size for _, _, a in arrays])
    result = []
    for i in np.asarray(positions).tolist():
        which = int(np.searchsorted(ends, i, side="right"))
        kind, l, a = arrays[which]
        offset = i - (ends[which] - a.size)
        result.append((kind, l, tuple(int(x) for x in np.unravel_index(offset, a.shape))))
    return result


def _directions(inst: Instance, p: numeric.Params, gradient: np.ndarray,
                numpy_sizes: np.ndarray | None, sampled: int) -> FiniteDifferences:
    """∇J·v against J(θ + hv) − J(θ − hv) for FD_DIRECTIONS seeded directions of ±1's.

    The dot product of n terms ±g_i, summed in double precision, is within n·u·Σ|g_i| of
    the exact sum. The gradient's own error: the derivation's values are exact to their last
    bit (u·|g_i| each); NumPy's are allowed ROUNDING of their size scale, as in the
    backward-pass comparison.
    """
    directions = signs(gradient.size)
    fd, fd_err = differences.directional_derivatives(inst, [numeric.unflatten(v, p)
                                                        for v in directions])
    return judge_directions(gradient, directions, fd, fd_err, numpy_sizes, sampled)


def judge_directions(gradient: np.ndarray, directions: list[np.ndarray], fd: np.ndarray,
                     fd_err: np.ndarray, numpy_sizes: np.ndarray | None,
                     sampled: int) -> FiniteDifferences:
    """Each ∇J·v against its finite difference, within the difference's error bound and the
    gradient's own rounding; the first that disagrees is refused."""
    total = float(np.sum(np.abs(gradient)))
    own = (UNIT * total if numpy_sizes is None else ROUNDING * float(np.sum(numpy_sizes)))
    own += gradient.size * UNIT * total  # the dot product's rounding
    worst = 0.0
    for i, (v, d, err) in enumerate(zip(directions, fd, fd_err), start=1):
        dot = float(gradient @ v)
        allowed = err + own + UNDERFLOW
        if not abs(dot - d) <= allowed:
            whose = "the SymPy derivation" if numpy_sizes is None else "NumPy's gradient"
            raise VerificationError(
                f"finite differences along random direction {i} of {FD_DIRECTIONS} (seed "
                f"{FD_SEED}) disagree with {whose}: ∇J·v = {dot!r} vs {d!r} (allowed error "
                f"{allowed:.3g})")
        worst = max(worst, rel_err(dot, d))
    return FiniteDifferences(sampled, gradient.size, FD_DIRECTIONS, FD_SEED, worst,
                             "derivation" if numpy_sizes is None else "numpy")


def _no_relu_kink(inst: Instance, layers) -> None:
    """A ReLU neuron whose net is (nearly) 0 has no slope there: refuse with the reason."""
    for l, (act, layer) in enumerate(zip(inst.network.activations, layers), start=1):
        for j, z in enumerate(layer.net, start=1):
            if act == "relu" and abs(z) < 1e-6:
                raise NoDerivative(
                    f"net[{l}][{j}] = {float(z):.3g} is at ReLU's corner, where it has no "
                    "derivative (finite differences see a slope of ½); change a number so that "
                    "no ReLU neuron's net is 0")


def _updated(inst: Instance, values, grads) -> dict[str, float]:
    eta = inst.learning_rate
    return {k: values[k] - eta * g if k.startswith("W") or inst.update_biases else values[k]
            for k, g in grads.items()}


def rel_err(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), FLOOR)


def _max_rel_arrays(ours: np.ndarray, theirs: np.ndarray) -> float:
    """rel_err's largest value over the arrays, vectorized."""
    if not ours.size:
        return 0.0
    scale = np.maximum(np.maximum(np.abs(ours), np.abs(theirs)), FLOOR)
    return float(np.max(np.abs(ours - theirs) / scale))


def _agree(what: str, ours: dict[str, float], theirs: dict[str, float],
           sizes: dict[str, float]) -> None:
    """Agreement to TOLERANCE relative, or within ROUNDING of the quantity's size scale."""
    if ours.keys() != theirs.keys():
        raise VerificationError(f"{what}: different quantities ({sorted(ours ^ theirs)[:3]})")
    names = list(ours)
    _agree_arrays(what, names, *(np.fromiter((d[k] for k in names), float, len(names))
                                 for d in (ours, theirs, sizes)))


def _agree_arrays(what: str, names: list[str], ours: np.ndarray, theirs: np.ndarray,
                  sizes: np.ndarray) -> None:
    """_agree on arrays in the order of `names`; the first quantity that fails is named."""
    allowed = TOLERANCE * np.maximum(np.abs(ours), np.abs(theirs)) + ROUNDING * sizes + UNDERFLOW
    bad = ~np.isfinite(theirs) | (np.abs(ours - theirs) > allowed)
    if not bad.any():
        return
    i = int(np.argmax(bad))
    k, a, b = names[i], float(ours[i]), float(theirs[i])
    if not math.isfinite(b):
        raise VerificationError(f"{what}: {k} is not a finite number ({b}): the numbers "
                                "are too large for double precision")
    raise VerificationError(f"{what} disagrees with the SymPy derivation at {k}: "
                            f"{a!r} vs {b!r}")


def _agree_fd(grads: dict[str, float], fd: dict[str, float], fd_err: dict[str, float],
              sizes: dict[str, float]) -> None:
    """Each finite difference against its own error bound (differences.finite_differences), plus
    the double-precision rounding of the derivation's value (ROUNDING of its size scale)."""
    names = list(grads)
    _agree_fd_arrays(names, *(np.fromiter((d[k] for k in names), float, len(names))
                              for d in (grads, fd, fd_err, sizes)))


def _agree_fd_arrays(names: list[str], grads: np.ndarray, fd: np.ndarray, fd_err: np.ndarray,
                     sizes: np.ndarray) -> None:
    allowed = fd_err + ROUNDING * sizes + UNDERFLOW
    bad = ~(np.abs(grads - fd) <= allowed)
    if bad.any():
        i = int(np.argmax(bad))
        raise VerificationError(
            f"finite differences disagree with the SymPy derivation at {names[i]}: "
            f"{float(grads[i])!r} vs {float(fd[i])!r} (allowed error {float(allowed[i]):.3g})")


def _forward_scale(inst: Instance, p: numeric.Params, layers) -> dict[str, float]:
    """Each net's Σ|w·in| + |b|, each out's |out| + |f'(net)| times that, J's rounding bound."""
    sizes = numeric.magnitudes_forward(inst, p, layers)
    return _flat_layers(sizes) | {"J": differences.rounding(inst, p)}


def _flat_layers(layers: list[numeric.Layer]) -> dict[str, float]:
    flat = {}
    for l, layer in enumerate(layers, start=1):
        for j, (z, a) in enumerate(zip(layer.net, layer.out), start=1):
            flat[name("net", l, j)], flat[name("out", l, j)] = float(z), float(a)
    return flat


def _flat_params(p: numeric.Params, bias_style: str) -> dict[str, float]:
    flat = {}
    for l, W in enumerate(p.W, start=1):
        for (j, k), w in np.ndenumerate(W):
            flat[name("W", l, j + 1, k + 1)] = float(w)
    for l, b in enumerate(p.b or [], start=1):
        if bias_style == "shared":
            flat[name("b", l)] = float(b[0])
        else:
            for j, v in enumerate(b, start=1):
                flat[name("b", l, j)] = float(v)
    return flat
