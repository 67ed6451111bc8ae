"""One example's printed figures, judged at the precision each was printed with: consistent
(honest rounding to its own decimals reaches it: the one rule `check` marks by), carried
forward from the author's own earlier figures (rounded as printed), or inconsistent with the
mistake that gives it, where one does; and an author's J off by one constant factor said once.
"""

from __future__ import annotations

from fractions import Fraction

from . import check, rounding
from .audit_claims import (
    LOSS_DEPENDENT,
    Claim,
    engine_values,
    explains,
    from_own_figures,
    loss_factors,
    places_of,
    shown_factor,
)
from .check import cut_to, rounds_to
from .keys import definition_json


def _is_delta(name: str) -> bool:
    return name.startswith("dJ/dnet")


class ExampleJudge:
    def __init__(self, defn, result):
        self.defn = defn
        self.engine = engine_values(result)
        key = check.Key({**definition_json(defn, result.instance), "decimals": defn.decimals}, [])
        self.model = check.Model(key, through_deltas=True)
        # the same model on Slope numbers: how far the author's own rounding moves a figure
        self.slopes = check.Model(key, through_deltas=True, ops=rounding.SlopeOps)
        self._spreads: dict[int, rounding.Spread] = {}
        self.factor: Fraction | None = None  # the author's J is this times the engine's
        self.minus = dict(defn.conventions).get("delta") == "minus"
        self.labels = dict(defn.claim_labels)
        self.printed = dict(defn.claimed)
        # the author's figures in the engine's convention (δ = +∂J/∂net)
        self.claims = {n: -float(v) if self.minus and _is_delta(n) else float(v)
                       for n, v in defn.claimed}
        self.places = {n: places_of(v) for n, v in defn.claimed}
        self._explained: dict[tuple[str, str], float | None] = {}
        self.said_minus = False

    def shown(self, name: str) -> str:
        return self.labels.get(name, name)

    def new(self, name: str, verdict: str, diagnosis=None, message="") -> Claim:
        engine = self.engine.get(name)
        if engine is not None and self.minus and _is_delta(name):
            engine = -engine
            if not self.said_minus:  # say it once, at the first δ
                self.said_minus = True
                message = "; ".join(filter(None, [message, "δ compared as −∂J/∂net, as declared "
                                                  "(conventions: {delta: minus})"]))
        value = self.printed[name]
        return Claim(name, float(value), engine, verdict, diagnosis, message,
                     self.labels.get(name), getattr(value, "text", repr(float(value))))

    def consistent(self, name: str) -> bool:
        """The engine's value, or honest rounding to the figure's own decimals (every input
        kept or rounded, as rounding.py works it out), gives the figure."""
        value, places, engine = self.claims[name], self.places[name], self.engine.get(name)
        if engine is None:
            return False
        if rounds_to(value, engine, places):
            return True
        low, high = self.reach(name, places)
        return rounds_to(value, min(max(value, engine + low), engine + high), places)

    def reach(self, name: str, places: int) -> tuple[float, float]:
        """How far honest rounding of every input to `places` decimals moves `name`."""
        if places not in self._spreads:
            self._spreads[places] = rounding.Spread(self.slopes, places)
        try:
            return self._spreads[places].reach(name)
        except ValueError:
            return 0.0, 0.0

    def own_figures(self):
        """A getter of the author's figures: the claimed ones as printed, the rest worked out
        right from them; and the list of claims it has used."""
        used: list[str] = []
        memo: dict[str, float] = {}

        def own(dep: str) -> float:
            if dep in self.claims:
                if dep not in used:
                    used.append(dep)
                return self.claims[dep]
            if dep not in memo:
                value = self.model.value(dep, own)
                if value is None:
                    raise ValueError(dep)
                memo[dep] = value
            return memo[dep]

        return own, used

    def theirs(self, name: str) -> tuple[float | None, list[str], float]:
        """`name` worked out right from the author's own figures; which of them it used; and
        how far those figures' own rounding (half a unit of each as printed) can move it."""
        own, used = self.own_figures()
        value = self.model.value(name, own)
        memo: dict[str, object] = {}

        def slope(dep: str):
            if dep in self.claims:
                return rounding.Slope(self.claims[dep], {dep: 1.0})
            if dep not in memo:
                memo[dep] = self.slopes.value(dep, slope)
                if memo[dep] is None:
                    raise ValueError(dep)
            return memo[dep]

        worked = self.slopes.value(name, slope)
        reach = 0.0 if not isinstance(worked, rounding.Slope) else sum(
            abs(g) * 0.5 * 10.0 ** -self.places[d] for d, g in worked.d.items())
        return value, used, reach

    def claim(self, name: str) -> Claim:
        value, places, engine = self.claims[name], self.places[name], self.engine.get(name)
        sign = -1 if self.minus and _is_delta(name) else 1  # messages in the author's terms
        if engine is None:
            return self.new(name, "not_checked",
                            message="the engine does not compute this quantity")
        if self.consistent(name):
            return self.new(name, "consistent")
        theirs, used, reach = self.theirs(name)
        if theirs is not None and used and explains(value, theirs, engine, places, reach):
            return from_own_figures(self, name, used, theirs, engine, places, sign)
        diagnosis, gives, early = self.diagnose(name, value, places, engine) or (None, 0.0, 0)
        note = ""
        if diagnosis == "rounded_too_early":
            note = f"; rounding every intermediate to {early} decimals gives {sign * gives:.6g}"
            if not rounds_to(value, gives, places):
                note += f", cut off (not rounded) to {places} decimals"
        elif diagnosis == "decimal_point":
            note = (f": {check.MISTAKES[diagnosis]}: the change {value - self._old(name):.6g} is "
                    f"{engine - self._old(name):.6g} with the decimal point moved")
        elif diagnosis:
            note = f": {check.MISTAKES[diagnosis]} (that gives {sign * gives:.6g})"
        elif cut_to(value, engine, places):
            note = (f" ({self.printed[name].text} is that cut off, not rounded, to {places} "
                    "decimals)")
        return self.new(name, "inconsistent", diagnosis,
                        f"the engine gives {sign * engine:.6g}{note}")

    def diagnose(self, name: str, value: float, places: int, engine: float):
        """The modelled mistake that gives the figure exactly, at its printed precision, with
        the value it gives (and for rounded_too_early, the decimals); None when none does.
        Where several mistakes do, the one that best fits all the author printed: an author
        makes one mistake throughout."""
        model = self.model
        if engine and explains(value, -engine, engine, places):
            return "sign", -engine, 0
        found = [(mode, c) for mode in model.modes()
                 if (c := self.explained_by(name, mode)) is not None]
        if found:
            mode, candidate = max(found, key=lambda f: self.support(f[0]))
            return mode.split("#")[0], candidate, 0
        moved = self.moved_point(name, value, places, engine)
        if moved is not None:
            return "decimal_point", moved, 0
        own, _ = self.own_figures()
        if name.startswith("new ") and model.other_rate(name, value, own):
            return "wrong_learning_rate", value, 0
        for decimals in range(places - 1, 0, -1):
            candidate = model.recompute(name, None, decimals)
            if candidate is not None and explains(value, candidate, engine, places):
                return "rounded_too_early", candidate, decimals
        return None

    def _old(self, name: str) -> float:
        return 0.0 if name.startswith("delta ") else self.engine[name[4:]]

    def moved_point(self, name: str, value: float, places: int, engine: float):
        """A step whose digits are the right ones with the decimal point moved (0.30055 for
        0.30554: the change 0.00055 is 0.00554 a place off), rather than a rate 10× off:
        the value it gives, or None."""
        if not name.startswith(("new ", "delta ")):
            return None
        old = self._old(name)
        if engine == old:
            return None
        for shift in (0.1, 10.0, 0.01, 100.0):
            moved = old + (engine - old) * shift
            if rounds_to(value, moved, places) and not rounds_to(value, engine, places):
                return moved
        return None

    def explained_by(self, name: str, mode: str) -> float | None:
        """What `mode` gives for this figure, made at this step or throughout, when that is
        the printed figure."""
        if (name, mode) not in self._explained:
            value, places, engine = self.claims[name], self.places[name], self.engine[name]
            own, _ = self.own_figures()  # for the mistake made at this step only
            model, hit = self.model, None
            for candidate in (model.value(name, own, mode),
                              model.recompute(name, mode, None),
                              model.recompute(name, mode, places)):
                if candidate is not None and explains(value, candidate, engine, places):
                    hit = candidate
                    break
            self._explained[name, mode] = hit
        return self._explained[name, mode]

    def support(self, mode: str) -> int:
        """How well one mistake made throughout fits all the author printed: the wrong figures
        it explains, less the right figures it would have changed."""
        known = [n for n in self.claims if n in self.engine]
        explained = sum(self.explained_by(n, mode) is not None
                        for n in known if not self.consistent(n))
        contradicted = sum(not rounds_to(self.claims[n], c, self.places[n])
                           for n in known if self.consistent(n)
                           and (c := self.model.recompute(n, mode, None)) is not None)
        return explained - contradicted

    def loss_convention(self) -> list[Claim] | None:
        """When every figure that depends on J is the engine's times one constant factor (½, 2,
        1/n, ...), the author's J differs from the definition's `loss:`: say that once."""
        dependent = [n for n in self.claims if n.startswith(LOSS_DEPENDENT)]
        if not dependent or all(self.consistent(n) for n in dependent):
            return None
        for factor in loss_factors(self.defn.network.layers[-1]):
            scaled = {n: self._scaled(n, factor) for n in dependent}
            if all(s is not None and rounds_to(self.claims[n], s, self.places[n])
                   for n, s in scaled.items()):
                break
        else:
            return None
        shown, out, said = shown_factor(factor), [], False
        self.factor = factor
        for name, _ in self.defn.claimed:
            if name not in scaled:
                out.append(self.claim(name))
                continue
            message = (f"{shown}× the engine's {self.engine[name]:.6g}" if said else
                       f"J is {shown}× the engine's value: check `loss:` (this definition says "
                       f"{self.defn.network.loss}); every figure that depends on J is off by "
                       f"that factor")
            said = True
            out.append(self.new(name, "inconsistent", "loss_convention", message))
        return out

    def _scaled(self, name: str, factor: Fraction) -> float | None:
        engine = self.engine.get(name)
        if engine is None:
            return None
        if name.startswith("new "):
            return self.engine[name[4:]] + float(factor) * self.engine[f"delta {name[4:]}"]
        return float(factor) * engine
