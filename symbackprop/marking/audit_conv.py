"""Audit a published worked example of a network on an image: each figure an author printed
of a convolution, pooling and dense layers (a feature map's net and out, a pooled pixel, J,
each δ, ∂J/∂K, ∂J/∂x, a parameter after one step), judged as audit.py judges a dense
network's, at the precision it was printed with:

- `consistent`: the engine's value rounds to it, or working every intermediate rounded to the
  figure's own decimals does;
- `carried_forward`: wrong, but it follows from the author's own earlier wrong figures;
- `inconsistent`: naming the mistake that gives it, where one does: `rounded_too_early` (from
  the author's right but coarser figures, or intermediates rounded to fewer decimals),
  `sign`, `kernel_flipped` (a true convolution: the kernel turned 180°),
  `every_window_position` (max pooling's gradient sent to every entry of its window),
  `average_not_divided`, `missing_activation_derivative`; where several do, the one that best
  fits everything the author printed, since an author makes one mistake throughout.

Each figure is worked out by one small evaluator (`Worker`) over the engine's own graph and
derivation: the forward equations and the chain-rule trees that were verified three ways, with
the author's figures put in where printed, each intermediate rounded or not, and one rule
replaced by a mistake.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import sympy as sp

from ..definitions.definition import DefinitionError
from ..definitions.rounding import rounded
from ..engine import convsteps
from ..engine.convgraph import build
from ..engine.convverify import run
from ..engine.evaluate import known
from ..engine.sample import instance
from ..engine.steps import ActivationGradient, Chain, PathSum, walk
from .audit_claims import Claim, at_usual_places, explains, from_own_figures, places_of
from .check import MISTAKES, cut_to, rounds_to

__all__ = ["audit"]

# a mistake -> the rule it replaces: the factor taken as 1 (a slope left out, a window's
# gradient given to every entry, an average not divided), or the kernel turned 180°
MODES = {
    "kernel_flipped": None,
    "every_window_position": convsteps.MaxPoolGradient,
    "average_not_divided": convsteps.AveragePoolGradient,
    "missing_activation_derivative": ActivationGradient,
}
_KERNEL = re.compile(r"^K\[(\d+)\]\[(\d+)\]\[(\d+)\]\[(\d+)\]\[(\d+)\]$")


def audit(defn) -> list[Claim]:
    defn, inst = _instance(replace(defn, claimed=at_usual_places(defn.claimed, defn.decimals)))
    result = run(defn, inst)
    judge = ConvJudge(defn, result)
    return [judge.claim(name) for name, _ in defn.claimed]


def _instance(defn):
    """The author's numbers: every pixel, kernel, weight and bias must be given; the targets
    only where a claim needs them (without them, the forward pass is audited)."""
    v, net = defn.values, defn.network
    if v.targets is None:
        needs = [n for n, _ in defn.claimed if n.startswith(("J", "dJ/", "new ", "delta "))]
        if needs:
            written = dict(defn.claim_labels).get(needs[0], needs[0])
            raise DefinitionError(defn.source, f"claimed.{written}", "needs values.targets, "
                                  "which this definition leaves out (without targets, only the "
                                  "forward pass can be audited)")
        n = net.shapes[-1][0]  # the forward pass does not depend on targets: any that fit
        v = replace(v, targets=(1 / n,) * n)
    if not v.complete_for(net):
        raise DefinitionError(defn.source, "values", "an audit needs every number the author "
                              "used (values.image and every layer's kernels, weights and "
                              "biases), and some are not given")
    return replace(defn, values=v), instance(replace(defn, values=v))


def _flipped(name: str, network) -> str:
    """The kernel entry turned 180° from this one: K[l][f][c][u][v] → K[l][f][c][h+1−u][w+1−v]."""
    l, f, c, u, v = map(int, _KERNEL.match(name).groups())
    h, w = network.layers[l - 1].kernel
    return f"K[{l}][{f}][{c}][{h + 1 - u}][{w + 1 - v}]"


class Worker:
    """Every quantity of the network worked out from the given numbers by the engine's own
    equations and chain-rule trees: with the author's `claims` put in where printed, each
    result rounded to `decimals` (None: exact), and one rule replaced by a `mode`'s mistake.
    `used` lists the claims it read."""

    def __init__(self, graph, steps, knowns, inst, claims=None, decimals=None, mode=None):
        self.graph, self.steps, self.knowns, self.inst = graph, steps, knowns, inst
        self.claims, self.decimals, self.mode = claims or {}, decimals, mode
        self.memo: dict[str, float] = {}
        self.used: list[str] = []

    def value(self, name: str) -> float:
        if name in self.claims:
            if name not in self.used:
                self.used.append(name)
            return self.claims[name]
        if name not in self.memo:
            self.memo[name] = self._work(name)
        return self.memo[name]

    def _work(self, name: str) -> float:
        if name in self.knowns:
            if self.mode == "kernel_flipped" and name[0] == "K":
                return self.knowns[_flipped(name, self.graph.network)]
            return self.knowns[name]
        if name.startswith(("new ", "delta ")):
            old, param = name.split(" ", 1)
            moves = param[0] != "b" or self.inst.update_biases
            step = -self.inst.learning_rate * self.value(f"dJ/d{param}") if moves else 0.0
            return self._round(step if old == "delta" else self.knowns[param] + step)
        if self.mode == "kernel_flipped" and _KERNEL.match(name[4:]) and name[:4] == "dJ/d":
            # a true convolution's gradient of the entry the author wrote here is the
            # engine's of the entry turned 180°, worked through the turned kernel
            return self._step(self.steps[f"dJ/d{_flipped(name[4:], self.graph.network)}"])
        if name in self.graph.equations:
            return self._round(self._substitute(self.graph.equations[name]))
        return self._step(self.steps[name])

    def _step(self, step) -> float:
        if isinstance(step, Chain):
            value = math.prod(self.value(f.target) for f in step.factors)
        elif isinstance(step, PathSum):
            value = math.fsum(self.value(t.target) for t in step.terms)
        elif MODES.get(self.mode) is not None and type(step) is MODES[self.mode]:
            value = 1.0  # the factor this mistake leaves out (or gives every entry)
        else:
            value = self._substitute(step.expr)
        return self._round(value)

    def _substitute(self, expr: sp.Expr) -> float:
        numbers = {s: sp.Float(self.value(s.name), 30) for s in expr.free_symbols}
        value = expr.xreplace(numbers).evalf(30)
        # rounded numbers can reach what has no value (ln 0, 1/0): no figure is explained so
        return float(value) if value.is_Float or value.is_Integer or value.is_Rational \
            else math.nan

    def _round(self, value: float) -> float:
        return value if self.decimals is None else rounded(value, self.decimals)


class ConvJudge:
    def __init__(self, defn, result):
        self.defn, self.result = defn, result
        inst = result.instance
        self.graph = build(defn.network)
        roots = list(result.derivation.grads.values()) + list(result.derivation.inputs.values())
        self.steps = {s.target: s for root in roots for s in walk(root)}
        self.knowns = known(self.graph, inst)
        self.engine = self._engine(result)
        self.labels = dict(defn.claim_labels)
        self.printed = dict(defn.claimed)
        self.claims = {n: float(v) for n, v in defn.claimed}
        self.places = {n: places_of(v) for n, v in defn.claimed}
        self._consistent: dict[str, bool] = {}
        self._explained: dict[tuple[str, str], float | None] = {}

    def _engine(self, result) -> dict[str, float]:
        """Every claimable quantity's verified value by canonical name."""
        eta = result.instance.learning_rate
        values = dict(result.values) | dict(result.steps)
        values |= {f"dJ/d{x}": g for x, g in result.input_grads.items()}
        for p, g in result.grads.items():
            values[f"dJ/d{p}"] = g
            values[f"new {p}"] = result.updated[p]
            values[f"delta {p}"] = result.updated[p] - result.values[p] if p[0] == "b" \
                else -eta * g
        return values

    def worker(self, claims=None, decimals=None, mode=None) -> Worker:
        return Worker(self.graph, self.steps, self.knowns, self.result.instance, claims,
                      decimals, mode)

    def new(self, name: str, verdict: str, diagnosis=None, message="") -> Claim:
        value = self.printed[name]
        return Claim(name, float(value), self.engine.get(name), verdict, diagnosis, message,
                     self.labels.get(name), getattr(value, "text", repr(float(value))))

    def shown(self, name: str) -> str:
        return self.labels.get(name, name)

    def consistent(self, name: str) -> bool:
        """The engine's value, or every intermediate rounded to the figure's own decimals."""
        if name not in self._consistent:
            value, places, engine = self.claims[name], self.places[name], self.engine.get(name)
            self._consistent[name] = engine is not None and (
                rounds_to(value, engine, places)
                or rounds_to(value, self.worker(decimals=places).value(name), places))
        return self._consistent[name]

    def claim(self, name: str) -> Claim:
        value, places, engine = self.claims[name], self.places[name], self.engine.get(name)
        if engine is None:
            return self.new(name, "not_checked",
                            message="the engine does not compute this quantity")
        if self.consistent(name):
            return self.new(name, "consistent")
        others = {n: v for n, v in self.claims.items() if n != name}
        for decimals in (None, places):
            own = self.worker(others, decimals)
            theirs = own.value(name)
            if own.used and explains(value, theirs, engine, places):
                return from_own_figures(self, name, own.used, theirs, engine, places)
        return self._diagnosed(name, value, places, engine)

    def _diagnosed(self, name: str, value: float, places: int, engine: float) -> Claim:
        if engine and explains(value, -engine, engine, places):
            return self.new(name, "inconsistent", "sign",
                            f"the engine gives {engine:.6g}: {MISTAKES['sign']}")
        found = [(mode, c) for mode in MODES if (c := self.explained_by(name, mode)) is not None]
        if found:
            mode, gives = max(found, key=lambda f: self.support(f[0]))
            return self.new(name, "inconsistent", mode, f"the engine gives {engine:.6g}: "
                            f"{MISTAKES[mode]} (that gives {gives:.6g})")
        for decimals in range(places - 1, -1, -1):
            gives = self.worker(decimals=decimals).value(name)
            if explains(value, gives, engine, places):
                return self.new(name, "inconsistent", "rounded_too_early", (
                    f"the engine gives {engine:.6g}; rounding every intermediate to {decimals} "
                    f"decimals gives {gives:.6g}"))
        note = (f" ({self.printed[name].text} is that cut off, not rounded, to {places} "
                "decimals)") if cut_to(value, engine, places) else ""
        return self.new(name, "inconsistent", None, f"the engine gives {engine:.6g}{note}")

    def explained_by(self, name: str, mode: str) -> float | None:
        """What `mode` gives for this figure, made throughout or at this step from the
        author's own figures, when that is the printed figure."""
        if (name, mode) not in self._explained:
            value, places, engine = self.claims[name], self.places[name], self.engine[name]
            others = {n: v for n, v in self.claims.items() if n != name}
            hit = None
            for claims, decimals in ((None, None), (others, None), (None, places)):
                candidate = self.worker(claims, decimals, mode).value(name)
                if explains(value, candidate, engine, places):
                    hit = candidate
                    break
            self._explained[name, mode] = hit
        return self._explained[name, mode]

    def support(self, mode: str) -> int:
        """The wrong figures one mistake explains, less the right figures it would change."""
        throughout = self.worker(mode=mode)
        explained = sum(self.explained_by(n, mode) is not None
                        for n in self.claims if n in self.engine and not self.consistent(n))
        contradicted = sum(not rounds_to(self.claims[n], throughout.value(n), self.places[n])
                           for n in self.claims if n in self.engine and self.consistent(n))
        return explained - contradicted

