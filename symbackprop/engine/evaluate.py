"""Numbers by SymPy substitution: the graph's equations and the derivation's factors, evaluated.

Evaluated in high precision (mpmath through SymPy's Floats, with arbitrary exponent range) and
rounded to double precision only at the end, so that out(1 − out) of a saturated sigmoid,
e^net of a softmax near 1000 or a cross-entropy's log keep their digits. A value that is not
finite in double precision is refused by name. Each net is its equation's sum Σ W·in + b taken
exactly; the rest is substitution. Nothing here shares code with the NumPy evaluator.

>>> from symbackprop.definitions.definition import parse
>>> from symbackprop.engine.graph import build
>>> from symbackprop.engine.sample import instance
>>> d = parse('''network: {layers: [1, 1], activation: identity, loss: half_sse, bias: none}
... values: {inputs: [2], targets: [1], weights: [[[3]]]}''')
>>> env = forward(build(d.network), instance(d))
>>> env['net[1][1]'], env['J']
(6.0, 12.5)

A sigmoid output of exactly 1.0 in double precision, with target 0: J is finite, e^-40 is not 0.

>>> d = parse('''network: {layers: [1, 1], activation: sigmoid, loss: binary_cross_entropy,
...   bias: none}
... values: {inputs: [1], targets: [0], weights: [[[40]]]}''')
>>> env = forward(build(d.network), instance(d))
>>> env['out[1][1]'], env['J']
(1.0, 40.0)
"""

from __future__ import annotations

import math
from functools import cache, singledispatch

import mpmath
import numpy as np
import sympy as sp

from ..definitions.errors import BadNumbers
from ..definitions.rounding import rounded as sheet_rounded
from .graph import Graph, activation, name
from .sample import Instance
from .steps import Chain, Factor, PathSum, Step, flatten, walk

DIGITS = 30  # working precision; saturated units get more (see _digits)
SPREAD = 1 << 16  # bits between a sum's largest and smallest terms that _dot takes exactly
MAX_DIGITS = 1000


def known(graph: Graph, inst: Instance) -> dict[str, float]:
    """Inputs, targets and parameters of the instance, by canonical name."""
    if hasattr(inst.values, "image"):  # a network on an image
        return known_layered(graph, inst)
    v, net = inst.values, inst.network
    values = {name("x", k + 1): x for k, x in enumerate(v.inputs)}
    values |= {name("t", j + 1): t for j, t in enumerate(v.targets)}
    # the graph lists every weight in reading order, then every bias (one a layer if shared)
    weights = [w for layer in v.weights for row in layer for w in row]
    biases = [] if net.bias == "none" else [b for layer in v.biases for b in layer]
    values.update(zip(graph.params, weights + biases))
    return values


def known_layered(graph, inst: Instance) -> dict[str, float]:
    """A network on an image: its pixels x[c][i][j], targets, and every layer's numbers in
    the graph's order of parameters (kernels and weights layer by layer, then biases)."""
    v = inst.values
    values = {name("x", c, i, j): p for c, channel in enumerate(v.image, start=1)
              for i, row in enumerate(channel, start=1) for j, p in enumerate(row, start=1)}
    values |= {name("t", j + 1): t for j, t in enumerate(v.targets)}
    weights = [w for layer in v.layers if layer.weights is not None
               for w in _numbers(layer.weights)]
    biases = [b for layer in v.layers if layer.biases is not None for b in layer.biases]
    values.update(zip(graph.params, weights + biases))
    return values


def _numbers(nested) -> list[float]:
    """The numbers of nested tuples, in reading order."""
    if not isinstance(nested, tuple):
        return [nested]
    return [x for part in nested for x in _numbers(part)]


def forward(graph: Graph, inst: Instance, decimals: int | None = None) -> dict[str, float]:
    """Every quantity by name: the knowns, then each net, out and J by substitution.

    With `decimals`, each result is rounded before the next uses it, as a student would; an
    output a cross-entropy takes the log of keeps `decimals` significant digits instead where
    it would round to 0 (or, under binary cross-entropy, to 1).
    """
    values = known(graph, inst)
    if decimals is None:
        exact = _exact(graph, values)[0]
        # the knowns as they are (a weight drawn as -0.0 is 0), each result refused by name
        # if it is not a double
        return {k: v + 0.0 for k, v in values.items()} | {k: _double(k, exact[k])
                                                          for k in graph.order}
    env = _env(graph, values, DIGITS)
    for key in graph.order:  # J from the rounded outputs, as the student works it
        gathered = graph.gathers(key)
        value = graph.equations[key].xreplace(env) if gathered is None else \
            _gather(gathered[0], gathered[1], {k: env[graph[k]] for k in gathered[1]})
        values[key] = _round(graph, key, _double(key, value), decimals)
        env[graph[key]] = sp.Float(values[key], DIGITS)
    return values


def _exact(graph: Graph, values: dict[str, float]) -> tuple[dict, int]:
    """The knowns and every net, out and J at a precision that keeps them all.

    forward and step_values both need it for the same numbers, one after the other: the last
    result is kept, keyed by everything it depends on (the network and the knowns).
    """
    key = (graph.network, tuple(values.items()))
    if _last[0] != key:
        _last[:] = [key, _exact_pass(graph, values)]
    return _last[1]


_last: list = [None, None]


def _exact_pass(graph: Graph, values: dict[str, float]) -> tuple[dict, int]:
    """Each net as the sum its equation is, Σ W·in + b, taken exactly and rounded once; each
    out and J by substituting into its equation. The knowns stay the doubles they are. (A
    net's equation is a sum of hundreds of products in a wide layer: building it as a SymPy
    expression, or converting a hundred thousand weights to mpmath, costs more than the sum.)"""
    digits = DIGITS
    sums: dict[str, tuple[int, int]] = {}  # the first layer's nets, exact whatever the digits
    while True:
        widest = 0
        with mpmath.workdps(digits):
            env: dict = dict(values)
            for key in graph.order:
                if key.startswith("net"):
                    env[key] = _net(graph, key, env, sums)
                    widest = max(widest, abs(env[key]))
                elif _digits(widest) > digits:
                    break  # wider nets than these digits keep: start again with more
                elif (gathered := graph.gathers(key)) is not None:
                    env[key] = _gather(*gathered, env)
                else:
                    env[key] = _substitute(graph, key, env, digits)
            else:
                return env, digits
        digits = _digits(widest)


def _net(graph: Graph, key: str, env, sums: dict[str, tuple[int, int]]) -> mpmath.mpf:
    if key not in sums:
        terms, b = graph.net_terms_of(key)
        pairs = [(env[w], env[a]) for w, a in terms] + ([] if b is None else [(env[b], 1.0)])
        if not graph.inputs_known(key):  # its inputs are outs, exact to the working precision
            return mpmath.mpf(_dot(pairs))
        sums[key] = _dot(pairs)
    return mpmath.mpf(sums[key])  # rounded once, to the working precision


def _dot(pairs) -> tuple[int, int]:
    """Σ a·b of doubles and mpmath numbers, exactly, as (m, e) for m·2^e: each number is
    m·2^e with m a whole number, so the products and their sum are whole numbers times a
    common power of 2.

    >>> from fractions import Fraction
    >>> exact = Fraction(0.1) * 3 - Fraction(0.3)  # the doubles 0.1 and 0.3, not the decimals
    >>> m, e = _dot([(0.1, 3.0), (-0.3, 1.0)])
    >>> Fraction(m) * Fraction(2) ** e == exact, float(exact), 0.1 * 3 - 0.3
    (True, 2.7755575615628914e-17, 5.551115123125783e-17)
    >>> m2, e2 = _dot([(0.1, mpmath.mpf(3)), (-0.3, 1.0)])  # an mpmath number: whole numbers
    >>> Fraction(m2) * Fraction(2) ** e2 == exact
    True
    """
    if all(type(a) is float and type(b) is float for a, b in pairs):
        return _dot_doubles(pairs)
    terms = []
    for a, b in pairs:
        (ma, ea), (mb, eb) = _binary(a), _binary(b)
        terms.append((ma * mb, ea + eb))
    low = min(e for _, e in terms)
    if max(e for _, e in terms) - low > SPREAD:
        # an out saturated far past double precision (e^-1e300) beside ordinary terms: the
        # exact sum would be a number of 1e300 bits, and the outs are only exact to the
        # working precision anyway, which a sum at twice that precision keeps
        with mpmath.extraprec(mpmath.mp.prec):
            return _binary(mpmath.fsum(mpmath.mpf(a) * mpmath.mpf(b) for a, b in pairs))
    return sum(m << (e - low) for m, e in terms), low


def _dot_doubles(pairs) -> tuple[int, int]:
    """_dot of doubles only (a first layer's nets: hundreds of weights each): NumPy's frexp
    splits every double exactly into m·2^e at once, and Python's whole numbers do the rest."""
    a, b = np.array(pairs, dtype=float).T
    (ma, ea), (mb, eb) = np.frexp(a), np.frexp(b)
    # m in [0.5, 1) has 53 bits: m·2^53 is a whole number, exactly
    ia, ib = ((m * 2.0**53).astype(np.int64).tolist() for m in (ma, mb))
    e = ea.astype(np.int64) + eb - 106
    low = int(e.min())
    return sum((x * y) << s for x, y, s in zip(ia, ib, (e - low).tolist())), low


def _binary(v) -> tuple[int, int]:
    """v = m·2^e exactly, for a double or a (finite) mpmath number."""
    if isinstance(v, float):
        n, d = v.as_integer_ratio()  # d is a power of 2
        return n, 1 - d.bit_length()
    sign, man, exp, _ = mpmath.mpf(v)._mpf_
    return (-man if sign else man), exp


def _gather(how: str, names: list[str], env):
    """A pooled or flattened pixel from what it reads: the largest (exact), the mean (rounded
    once, at the working precision), or the one number it copies. Taken directly: a SymPy
    Max of a window's symbols costs milliseconds to build."""
    if how == "copy":
        return env[names[0]]
    numbers = [mpmath.mpf(env[k]) for k in names]
    return max(numbers) if how == "max" else mpmath.fsum(numbers) / len(numbers)


def _substitute(graph: Graph, key: str, env, digits: int) -> mpmath.mpf:
    if key != "J" and graph.activation_of(key) in ("relu", "identity"):
        # max(0, net) and net are exact: what SymPy's Max would give, without building it
        net = mpmath.mpf(env["net" + key[3:]])
        return net if graph.activation_of(key) == "identity" else max(mpmath.mpf(0), net)
    expr, inputs = _equation(graph, key)
    value = expr.xreplace({s: sp.Float(env[name], digits) for s, name in inputs.items()})
    if not value.is_Float:  # log(2) where exact zeros went in: a number all the same
        value = value.evalf(digits)
    if not (value.is_real and value.is_finite):
        _double(key, value)  # refuses what is not a finite number, by name
    return sp.Float(value, digits)._to_mpmath(mpmath.mp.prec)


def _equation(graph: Graph, key: str) -> tuple[sp.Expr, dict[sp.Symbol, str]]:
    """The expression an out or J is computed from, and the quantity each symbol in it
    stands for. An out of an activation applied to its own net alone is its activation's
    formula in one symbol, built once: building hundreds of copies of it in SymPy, one per
    neuron, would cost more than evaluating them."""
    if key == "J":
        expr = _stable_loss(graph)
        return expr, {s: s.name for s in expr.free_symbols}
    kind = graph.activation_of(key)
    if kind in ("softmax", None):  # every net of the layer; a pooled pixel, a flattened one
        expr = graph.equations[key]
        return expr, {s: s.name for s in expr.free_symbols}
    z, formula = _formula(kind)
    return formula, {z: "net" + key[3:]}


@cache
def _formula(kind: str) -> tuple[sp.Symbol, sp.Expr]:
    z = sp.Symbol("z", real=True)
    return z, activation(kind, z, [z])


def _digits(widest) -> int:
    """Enough digits that 1 − σ(net), 1 − tanh² and a softmax's smaller shares keep 20 of
    their own, the widest |net| being `widest`: each loses about |net|·log10(e) to
    cancellation (two nets' worth for softmax), up to where e^-|net| leaves double
    precision's range."""
    return min(MAX_DIGITS, 20 + math.ceil(2 * float(min(widest, 800)) / math.log(10)))


def _env(graph: Graph, values: dict[str, float], digits: int) -> dict:
    return {graph[k]: sp.Float(v, digits) for k, v in values.items()}


def _stable_loss(graph: Graph) -> sp.Expr:
    """J in terms of the output nets where it takes logs: log σ(z) = −log(1 + e^−z) and
    log softmax(z)_j = z_j − log Σ e^z_k are finite where σ(z) or e^z/Σ rounds to 0 or 1."""
    net = graph.network
    if net.loss not in ("cross_entropy", "binary_cross_entropy"):
        return graph.equations["J"]
    z = [graph[k] for k in graph.output_nets]
    t = [graph[k] for k in graph.target_names]
    if graph.output_activation == "softmax":
        lse = sp.log(sp.Add(*[sp.exp(zk) for zk in z]))
        return -sp.Add(*[tj * (zj - lse) for tj, zj in zip(t, z)])
    log_y = [-sp.log(1 + sp.exp(-zj)) for zj in z]
    if net.loss == "cross_entropy":
        return -sp.Add(*[tj * ly for tj, ly in zip(t, log_y)])
    log_1my = [-sp.log(1 + sp.exp(zj)) for zj in z]
    return -sp.Add(*[tj * ly + (1 - tj) * lm for tj, ly, lm in zip(t, log_y, log_1my)])


def _double(key: str, value) -> float:
    """The value (SymPy's or mpmath's) in double precision, or a refusal that names it."""
    if isinstance(value, sp.Basic) and not (value.is_real and value.is_finite):
        raise BadNumbers(f"{key} is not a finite number here ({value}): a log or a "
                                "division meets 0 (an output saturated beyond double "
                                "precision); change the numbers")
    number = float(value)
    if not math.isfinite(number):
        shown = mpmath.nstr(value if isinstance(value, mpmath.mpf) else
                            value._to_mpmath(64), 4)
        raise BadNumbers(f"{key} = {shown} is beyond double precision (largest about "
                                "1.8e308); use numbers that keep every quantity smaller")
    return number + 0.0  # a weight drawn as -0.0 is 0


def _round(graph: Graph, key: str, value: float, decimals: int) -> float:
    rounded = sheet_rounded(value, decimals)
    net = graph.network
    if not key.startswith(f"out[{net.depth}]") or net.loss not in (
            "cross_entropy", "binary_cross_entropy"):  # (depth: the output layer, either kind)
        return rounded
    if rounded == 0 and value != 0:  # ln(out) and −t/out need it nonzero
        return _significant(key, value, decimals)
    if rounded == 1 and value != 1 and net.loss == "binary_cross_entropy":  # ln(1 − out)
        return 1 - _significant(key, 1 - value, decimals)
    return rounded


def _significant(key: str, value: float, decimals: int) -> float:
    places = decimals - 1 - math.floor(math.log10(abs(value)))
    if places > 15:  # a double holds about 16 digits, a sheet far fewer
        raise BadNumbers(
            f"{key} = {value:.3g} is too close to {'1' if value > 0.5 else '0'} to be worked "
            "by hand: its logarithm needs more digits than a worksheet shows; change the "
            "numbers so that no output is this confident")
    return sheet_rounded(value, places)


def step_values(steps, values: dict[str, float], graph: Graph,
                decimals: int | None = None, flat: bool = True) -> dict[str, float]:
    """The value of every step in the trees, by target; shared steps are evaluated once.

    Without `decimals`, each factor is evaluated from the exact forward values (recomputed from
    the knowns in `values`) and products and sums are taken in high precision; with
    `decimals`, from the rounded `values`, every factor, product and sum rounded before use:
    a chain as the product of all its factors as the sheet lists them (flat), or, for a sheet
    that asks for each δ (the matrix form), of its δ as rounded and the factor after it.
    """
    if decimals is None:
        quantities, digits = _exact(graph, {k: v for k, v in values.items() if k[0] in "xtWbK"})
        rounding = _no_rounding
    else:
        quantities, digits = values, DIGITS
        rounding = _rounding(decimals, flat)
    memo: dict[str, mpmath.mpf] = {}
    with mpmath.workdps(digits):
        env = _Env(quantities, digits)
        for step in steps:
            # flat: a chain inside another is not worked on the way, but has its own line
            for part in walk(step) if getattr(rounding, "flat", False) else (step,):
                value(part, env, memo, rounding)
        return {k: _float(k, v) for k, v in memo.items()}


def _float(key: str, v: mpmath.mpf) -> float:
    number = float(v)
    return number + 0.0 if math.isfinite(number) else _double(key, v)


class _Env:
    """The quantities by name (doubles and mpmath numbers), as mpmath numbers and as SymPy
    Floats to substitute, each converted when first needed."""

    def __init__(self, quantities: dict, digits: int):
        self.quantities, self.digits = quantities, digits
        self.numbers: dict[str, mpmath.mpf] = {}
        self.floats: dict[sp.Symbol, sp.Float] = {}

    def substitute(self, expr: sp.Expr):
        if expr.is_Symbol:  # a factor that is one quantity (an input, a weight): its value
            number = self.numbers.get(expr.name)
            if number is None:
                number = self.numbers[expr.name] = mpmath.mpf(self.quantities[expr.name])
            return number
        at = getattr(expr.func, "at", None)
        if at is not None and all(a.is_Symbol or a.is_Integer for a in expr.args):
            # a rule's own function of quantities (ReLU', a window's first maximum): its value
            # from theirs, exactly as its eval gives it, without substituting SymPy Floats
            return at(*(self.substitute(a) if a.is_Symbol else int(a) for a in expr.args))
        for s in expr.free_symbols:  # (a set difference with the keys would hash them all)
            if s not in self.floats:
                self.floats[s] = sp.Float(self.quantities[s.name], self.digits)
        return expr.xreplace(self.floats)


def _no_rounding(key: str, v: mpmath.mpf) -> mpmath.mpf:
    return v


def _rounding(decimals: int, flat: bool):
    def rounding(key: str, v: mpmath.mpf) -> mpmath.mpf:
        return mpmath.mpf(sheet_rounded(_double(key, v), decimals))
    rounding.flat = flat  # a chain is the product of all its factors, as the sheet writes it
    return rounding


@singledispatch
def value(step: Step, env, memo, rounding) -> mpmath.mpf:
    raise TypeError(f"no value for {type(step).__name__}")


@value.register
def _(step: Factor, env, memo, rounding) -> mpmath.mpf:
    if step.target not in memo:
        v = env.substitute(step.expr)
        if not isinstance(v, mpmath.mpf):
            _double(step.target, v)  # refuses log(0), a division by 0 and overflow by name
            v = v._to_mpmath(mpmath.mp.prec)
        memo[step.target] = rounding(step.target, v)
    return memo[step.target]


@value.register
def _(step: Chain, env, memo, rounding) -> mpmath.mpf:
    if step.target not in memo:
        product = None  # as mpmath.fprod takes it, left to right at the working precision
        # a student multiplies the factors the sheet lists, each rounded, not a rounded δ
        for f in flatten(step) if getattr(rounding, "flat", False) else step.factors:
            v = _known(f, env, memo, rounding)
            product = v if product is None else product * v
        memo[step.target] = rounding(step.target, product)
    return memo[step.target]


@value.register
def _(step: PathSum, env, memo, rounding) -> mpmath.mpf:
    if step.target not in memo:
        memo[step.target] = rounding(step.target, mpmath.fsum(
            _known(t, env, memo, rounding) for t in step.terms))
    return memo[step.target]


def _known(step: Step, env, memo, rounding) -> mpmath.mpf:
    """A shared step (a δ) is evaluated once and then looked up, without dispatching."""
    v = memo.get(step.target)
    return value(step, env, memo, rounding) if v is None else v
