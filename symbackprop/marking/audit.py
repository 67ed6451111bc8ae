"""Audit a published worked example: each figure an author printed (`claimed:`), consistent or
not, and the likely mistake behind it.

Every figure is judged at the precision it was printed with (`-0.1360` to 4 decimals):

- `consistent`: the engine's value rounds to it, or working that rounds each intermediate to
  the figure's own decimals does.
- `carried_forward`: the author's own earlier figures were wrong, and this one follows from them
  (rounded or cut off to its decimals: authors truncate as often as they round).
- `inconsistent`, naming the mistake where one explains the figure exactly at its printed
  precision, even when the figure is also close to the right value: `rounded_too_early` when it
  follows from the author's own right but coarser figures, a known mistake of `check`, or
  `loss_convention` when every figure that depends on J is off by one constant factor.
- `not_checked`: the engine does not compute that quantity.

An author's own labels (`names:`) and sign convention for δ (`conventions: {delta: minus}`) are
declared in the definition, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from ..definitions.canonical import at_example, example_of
from ..definitions.definition import Definition, DefinitionError
from ..engine import numeric
from ..engine.sample import instance
from ..engine.verify import Verified, run
from ..sheets.worksheet import definition_json
from . import check
from .check import cut_to, decimals_of, rounds_to

LOSS_DEPENDENT = ("J", "dJ/", "new ", "delta ")  # claims whose value scales with the loss
MAX_PLACES = 30  # decimals beyond this are judged at 30 (a float holds 17 significant digits)


@dataclass
class Claim:
    name: str  # canonical
    claimed: float | list[float]
    engine: float | list[float] | None
    verdict: str  # consistent | carried_forward | inconsistent | not_checked
    diagnosis: str | None = None
    message: str = ""
    label: str | None = None  # the author's own name for it (`names:`), when it differs
    printed: str | list[str] = ""  # the figure as printed

    def as_json(self) -> dict:
        return {k: (float(v) if isinstance(v, float) else
                    [float(x) for x in v] if isinstance(v, list) and k != "printed" else v)
                for k, v in self.__dict__.items()}


def audit(defn: Definition) -> list[Claim]:
    inst = _instance(defn)
    result = run(replace(defn, values=inst.values), inst)
    if inst.batched:
        out = _batch_claims(defn, inst, result)
    else:
        judge = _Judge(defn, result)
        out = judge.loss_convention() or [judge.claim(name) for name, _ in defn.claimed]
    trainer = _Trainer(inst, defn)
    out += [_loss_claim(trainer, steps, value) for steps, value in defn.loss_after_steps]
    out += [_outputs_claim(trainer, steps, values)
            for steps, values in defn.outputs_after_steps]
    return out


def _instance(defn: Definition):
    """The author's numbers. Every one must be given; targets only where a claim needs them."""
    v, net = defn.values, defn.network
    if v.examples is not None:
        return _batch_instance(defn)
    for key, given in (("inputs", v.inputs), ("weights", v.weights),
                       ("biases", v.biases if net.bias != "none" else ())):
        if given is None:
            raise DefinitionError(defn.source, f"values.{key}", "an audit needs every number the "
                                  "author used, and this one is not given")
    if v.targets is None:
        needs = [n for n, _ in defn.claimed if n.startswith((*LOSS_DEPENDENT, "t["))]
        if needs or defn.loss_after_steps or defn.outputs_after_steps:
            written = dict(defn.claim_labels).get(needs[0], needs[0]) if needs else (
                "loss_after_steps" if defn.loss_after_steps else "outputs_after_steps")
            raise DefinitionError(defn.source, f"claimed.{written}", "needs values.targets, "
                                  "which this definition leaves out (without targets, only the "
                                  "forward pass can be audited)")
        n = net.layers[-1]  # the forward pass does not depend on them: any that fit the loss
        v = replace(v, targets=(1 / n,) * n)
    return instance(replace(defn, values=v))


def _batch_instance(defn: Definition):
    """A batch's numbers: every example's inputs and targets (its loss needs them all)."""
    v, net = defn.values, defn.network
    for i, e in enumerate(v.examples):
        for key, given in (("inputs", e.inputs), ("targets", e.targets)):
            if given is None:
                raise DefinitionError(defn.source, f"values.examples[{i}].{key}", "an audit of "
                                      "a batch needs every example's inputs and targets")
    for key, given in (("weights", v.weights),
                       ("biases", v.biases if net.bias != "none" else ())):
        if given is None:
            raise DefinitionError(defn.source, f"values.{key}", "an audit needs every number "
                                  "the author used, and this one is not given")
    return instance(defn)


def _engine(result: Verified) -> dict[str, float]:
    """Every claimable quantity's verified value, by canonical name (a batch: its own)."""
    eta = result.instance.learning_rate
    values = dict(result.values) | dict(result.steps)
    for p, g in result.grads.items():
        moves = result.updated[p] != result.values[p] or p[0] == "W"
        values[f"dJ/d{p}"] = g
        values[f"new {p}"] = result.updated[p]
        values[f"delta {p}"] = -eta * g if moves else 0.0
    return values


def _is_delta(name: str) -> bool:
    return name.startswith("dJ/dnet")


class _Judge:
    def __init__(self, defn: Definition, result: Verified):
        self.defn = defn
        self.engine = _engine(result)
        key = check.Key({**definition_json(defn, result.instance), "decimals": defn.decimals}, [])
        self.model = check.Model(key, through_deltas=True)
        self.minus = dict(defn.conventions).get("delta") == "minus"
        self.labels = dict(defn.claim_labels)
        self.printed = dict(defn.claimed)
        # the author's figures in the engine's convention (δ = +∂J/∂net)
        self.claims = {n: -float(v) if self.minus and _is_delta(n) else float(v)
                       for n, v in defn.claimed}
        self.places = {n: min(decimals_of(v), MAX_PLACES) for n, v in defn.claimed}
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
        value, places, engine = self.claims[name], self.places[name], self.engine.get(name)
        return engine is not None and any(
            c is not None and rounds_to(value, c, places)
            for c in (engine, self.model.recompute(name, None, places)))

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

    def theirs(self, name: str) -> tuple[float | None, list[str]]:
        """`name` worked out right from the author's own figures; which of them it used."""
        own, used = self.own_figures()
        return self.model.value(name, own), used

    def claim(self, name: str) -> Claim:
        value, places, engine = self.claims[name], self.places[name], self.engine.get(name)
        sign = -1 if self.minus and _is_delta(name) else 1  # messages in the author's terms
        if engine is None:
            return self.new(name, "not_checked",
                            message="the engine does not compute this quantity")
        if self.consistent(name):
            return self.new(name, "consistent")
        theirs, used = self.theirs(name)
        if theirs is not None and used and _explains(value, theirs, engine, places):
            wrong = [d for d in used if not self.consistent(d)]
            figures = ", ".join(f"{self.shown(d)} = {self.printed[d].text}"
                                for d in (wrong or used))
            if wrong:
                return self.new(name, "carried_forward", message=(
                    f"wrong (engine: {sign * engine:.6g}), but it follows from the author's own "
                    f"earlier wrong figures ({figures}: {sign * theirs:.6g})"))
            return self.new(name, "inconsistent", "rounded_too_early", (
                f"the engine gives {sign * engine:.6g}; this follows from the author's figures "
                f"{figures}, right but rounded to fewer decimals than this one's {places}"))
        diagnosis, gives, early = self.diagnose(name, value, places, engine) or (None, 0.0, 0)
        note = ""
        if diagnosis == "rounded_too_early":
            note = f"; rounding every intermediate to {early} decimals gives {sign * gives:.6g}"
            if not rounds_to(value, gives, places):
                note += f", cut off (not rounded) to {places} decimals"
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
        if engine and _explains(value, -engine, engine, places):
            return "sign", -engine, 0
        found = [(mode, c) for mode in model.modes()
                 if (c := self.explained_by(name, mode)) is not None]
        if found:
            mode, candidate = max(found, key=lambda f: self.support(f[0]))
            return mode.split("#")[0], candidate, 0
        own, _ = self.own_figures()
        if name.startswith("new ") and model.other_rate(name, value, own):
            return "wrong_learning_rate", value, 0
        for decimals in range(places - 1, 0, -1):
            candidate = model.recompute(name, None, decimals)
            if candidate is not None and _explains(value, candidate, engine, places):
                return "rounded_too_early", candidate, decimals
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
                if candidate is not None and _explains(value, candidate, engine, places):
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
        for factor in _factors(self.defn.network.layers[-1]):
            scaled = {n: self._scaled(n, factor) for n in dependent}
            if all(s is not None and rounds_to(self.claims[n], s, self.places[n])
                   for n, s in scaled.items()):
                break
        else:
            return None
        shown = "½" if factor == Fraction(1, 2) else str(factor)
        out, said = [], False
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


def _factors(outputs: int) -> list[Fraction]:
    """The constant factors between common losses: ½Σ, Σ, (1/n)Σ and their inverses."""
    n = Fraction(outputs)
    found = {Fraction(1, 2), Fraction(2), 1 / n, n, 2 / n, n / 2} - {Fraction(1)}
    return sorted(found)


def _explains(value: float, candidate: float, engine: float, places: int) -> bool:
    """`candidate`, which is not the engine's value, gives the printed figure: rounded, or cut
    off where the engine's value cut off does not give it too."""
    if abs(candidate - engine) <= 1e-9 * abs(engine) + 1e-15:
        return False
    return rounds_to(value, candidate, places) or (
        cut_to(value, candidate, places) and not cut_to(value, engine, places))


# --- a batch's claims ----------------------------------------------------------------------

def _batch_claims(defn: Definition, inst, result: Verified) -> list[Claim]:
    """Each example's figures (name@e) judged as that example alone would be, with every
    diagnosis; the batch's (J, dJ/dθ, new θ) against the batch's values and the ways of
    combining the examples wrongly."""
    labels = dict(defn.claim_labels)
    by_example: dict[int, list] = {}
    for name, value in defn.claimed:
        plain, e = example_of(name)
        if e is not None:
            by_example.setdefault(e, []).append((plain, value))
    judged: dict[str, Claim] = {}
    for e, claims in by_example.items():
        one = inst.examples()[e - 1]
        own = replace(defn, values=one.values, claimed=tuple(claims), claim_labels=(),
                      loss_after_steps=(), outputs_after_steps=(), batch_loss="sum")
        for claim in audit(own):
            full = at_example(claim.name, e)
            judged[full] = replace(claim, name=full, label=labels.get(full))
    batch = _BatchJudge(defn, result)
    return [judged.get(name) or batch.claim(name) for name, _ in defn.claimed]


class _BatchJudge:
    """A batch-level figure: consistent, or the batch combined wrongly (one example's value,
    a sum for a mean, a mean for a sum), or a reversed sign."""

    def __init__(self, defn: Definition, result: Verified):
        self.defn, self.engine = defn, _engine(result)
        self.how, self.E = result.instance.batch_loss, len(result.examples)
        self.each = [_engine_of(one) for one in result.examples]
        self.printed, self.labels = dict(defn.claimed), dict(defn.claim_labels)

    def claim(self, name: str) -> Claim:
        value = self.printed[name]
        places = min(decimals_of(value), MAX_PLACES)
        engine = self.engine.get(name)
        new = dict(name=name, claimed=float(value), engine=engine, label=self.labels.get(name),
                   printed=getattr(value, "text", repr(float(value))))
        if engine is None:
            return Claim(**new, verdict="not_checked",
                         message="the engine does not compute this quantity")
        if rounds_to(value, engine, places):
            return Claim(**new, verdict="consistent")
        for mistake, candidate in self.candidates(name):
            if _explains(value, candidate, engine, places):
                said = check.MISTAKES[mistake]
                return Claim(**new, verdict="inconsistent", diagnosis=mistake,
                             message=f"the engine gives {engine:.6g}: {said} (that gives "
                                     f"{candidate:.6g})")
        return Claim(**new, verdict="inconsistent", message=f"the engine gives {engine:.6g}")

    def candidates(self, name: str):
        """What each wrong way of combining the examples gives for this figure."""
        engine = self.engine[name]
        yield "sign", -engine
        if name.startswith("new "):  # the step taken with a wrongly combined gradient
            old, grad = self.engine[name[4:]], self.engine[f"dJ/d{name[4:]}"]
            if self.engine[f"delta {name[4:]}"] == 0.0:
                return
            eta = self.defn.learning_rate
            for mistake, g in self.combined(f"dJ/d{name[4:]}", grad):
                yield mistake, old - eta * g
            return
        yield from self.combined(name, engine)

    def combined(self, name: str, engine: float):
        plain = name.replace("delta ", "")
        if not (plain == "J" or plain.startswith("dJ/")) or name.startswith("delta "):
            return
        for each in self.each:
            yield "one_example", each[plain]
        yield ("sum_for_mean", engine * self.E) if self.how == "mean" else \
            ("mean_for_sum", engine / self.E)


def _engine_of(one) -> dict[str, float]:
    """One example's own J and gradients, under the batch's names: J, dJ/dθ."""
    return {"J": one.values["J"]} | {f"dJ/d{p}": g for p, g in one.grads.items()}


# --- training claims ---------------------------------------------------------------------


class _Trainer:
    """Gradient descent from the author's numbers, right and with the updated-weights mistake:
    one run each, as far as the longest claim, keeping what was claimed at each step count."""

    def __init__(self, inst, defn: Definition):
        self.inst = inst
        self.at = sorted({s for s, _ in defn.loss_after_steps}
                         | {s for s, _ in defn.outputs_after_steps})
        self.runs: dict[str | None, dict[int, tuple[float, list[float]]]] = {}

    def _run(self, mistake: str | None) -> dict[int, tuple[float, list[float]]]:
        if mistake not in self.runs:
            step = numeric.step if mistake is None else numeric._step_updated_weights
            p, done, kept = numeric.params(self.inst), 0, {}
            with np.errstate(over="ignore", invalid="ignore"):  # refused below, not warned of
                for n in self.at:
                    for i in range(done + 1, n + 1):
                        p = step(self.inst, p)
                        numeric._finite_loss(self.inst, p, i)  # Diverged names the step
                    done = n
                    layers = numeric.forward(self.inst, p)
                    # NaN and inf stay so: a run that left the finite numbers is refused here
                    kept[n] = (numeric._finite_loss(self.inst, p, n),
                               [float(y) for y in np.asarray(layers[-1].out).ravel()])
            self.runs[mistake] = kept
        return self.runs[mistake]

    def loss(self, steps: int, mistake: str | None) -> float:
        return self._run(mistake)[steps][0]

    def outputs(self, steps: int, mistake: str | None) -> list[float]:
        return self._run(mistake)[steps][1]


def _steps(steps: int, what: str) -> str:
    return f"{what} after {steps} step" + ("" if steps == 1 else "s")


def _loss_claim(trainer: _Trainer, steps: int, value: float) -> Claim:
    name = _steps(steps, "loss")
    places = min(decimals_of(value), MAX_PLACES)
    text = getattr(value, "text", repr(value))
    right = trainer.loss(steps, None)
    if rounds_to(value, right, places):
        return Claim(name, float(value), right, "consistent", printed=text)
    wrong = trainer.loss(steps, "updated_weights")
    if rounds_to(value, wrong, places):
        return Claim(name, float(value), right, "inconsistent", "updated_weights",
                     f"the engine gives {right:.10g}; {check.MISTAKES['updated_weights']} "
                     f"(that gives {wrong:.10g})", printed=text)
    return Claim(name, float(value), right, "inconsistent",
                 message=f"the engine gives {right:.10g} (with hidden gradients through "
                         f"updated weights it would be {wrong:.10g})", printed=text)


def _outputs_claim(trainer: _Trainer, steps: int, values: tuple[float, ...]) -> Claim:
    name = _steps(steps, "outputs")
    texts = [getattr(v, "text", repr(v)) for v in values]
    places = [min(decimals_of(v), MAX_PLACES) for v in values]
    right = trainer.outputs(steps, None)
    if all(rounds_to(v, r, p) for v, r, p in zip(values, right, places)):
        return Claim(name, [float(v) for v in values], right, "consistent", printed=texts)
    wrong = trainer.outputs(steps, "updated_weights")
    notes = []
    for v, w, p, text in zip(values, wrong, places, texts):
        for scale, q in ((0.1, p), (10, max(p - 1, 0))):  # the decimal point moved one place:
            if rounds_to(v * scale, w, q) and not rounds_to(v, w, p):  # the digits printed
                notes.append(f"{text} is {w:.{q}f} with the decimal point moved")
    matches_wrong = all(any(rounds_to(v * s, w, q) for s, q in ((1, p), (0.1, p),
                                                               (10, max(p - 1, 0))))
                        for v, w, p in zip(values, wrong, places))
    message = (f"the engine gives {', '.join(f'{r:.9f}' for r in right)}"
               + (f"; {check.MISTAKES['updated_weights']}" if matches_wrong else "")
               + "".join(f"; {n}" for n in notes))
    return Claim(name, [float(v) for v in values], right, "inconsistent",
                 "updated_weights" if matches_wrong else None, message, printed=texts)


def text(claims: list[Claim], source: str) -> str:
    lines = [f"Audit of {source}: {sum(c.verdict == 'consistent' for c in claims)} of "
             f"{len(claims)} printed figures consistent"]
    for c in claims:
        shown = c.printed if not isinstance(c.printed, list) else ", ".join(c.printed)
        name = f"{c.label} ({c.name})" if c.label else c.name
        lines.append(f"  {name:28} {shown!s:>26}  {c.verdict}"
                     + (f" [{c.diagnosis}]" if c.diagnosis else ""))
        if c.message:
            lines.append(f"      {c.message}")
    return "\n".join(lines)
