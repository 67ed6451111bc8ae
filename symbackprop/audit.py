"""Audit a published worked example: each figure an author printed (`claimed:`), consistent or
not, and the likely mistake behind it.

A claim is consistent when it matches the engine to the claim's own printed precision (half a
unit in its last decimal), taken from the exact value or from rounding each intermediate to that
precision. A wrong claim that follows from the author's own earlier (wrong) figures, to one unit
in its last decimal (authors truncate as often as they round), is `carried_forward`; otherwise
the checker's mistake models name a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from . import check, classset, numeric
from .definition import Definition
from .sample import instance


@dataclass
class Claim:
    name: str
    claimed: float | list[float]
    engine: float | list[float] | None
    verdict: str  # consistent | carried_forward | inconsistent | not_checked
    diagnosis: str | None = None
    message: str = ""

    def as_json(self) -> dict:
        return dict(self.__dict__)


def decimals_of(value: float) -> int:
    """Decimals an author printed: 0.2306 -> 4, 3.51085e-05 -> 10."""
    return max(0, -Decimal(repr(value)).normalize().as_tuple().exponent)


def audit(defn: Definition) -> list[Claim]:
    key = _key(defn)
    model = check.Model(key)
    claims = dict(defn.claimed)
    out = [_claim(model, name, value, claims) for name, value in defn.claimed]
    inst = instance(defn)
    out += [_loss_claim(inst, steps, value) for steps, value in defn.loss_after_steps]
    out += [_outputs_claim(inst, steps, values) for steps, values in defn.outputs_after_steps]
    return out


def _key(defn: Definition) -> check.Key:
    asked = set(defn.ask)
    for name, _ in defn.claimed:  # make sure the sheet computes every claimed gradient
        if name.startswith(("dJ/dW", "dJ/db", "new ")):
            asked.add(name.split("/d", 1)[1] if name.startswith("dJ") else name[4:])
    defn = replace(defn, ask=tuple(sorted(asked)))
    (version,) = classset.make(defn, "audit")
    return check.Key.from_json(version.key)


def _claim(model: check.Model, name: str, value: float, claims: dict[str, float]) -> Claim:
    entry = model.key.by_name.get(name)
    if entry is None:
        return Claim(name, value, None, "not_checked",
                     message="the worked sheet of this network does not compute it")
    places = decimals_of(value)
    half = 0.5 * 10 ** -places
    exact = entry["exact"]
    rounded_like_author = model.mistaken(name, None, places)
    if any(v is not None and abs(value - v) <= half + 1e-12
           for v in (exact, rounded_like_author)):
        return Claim(name, value, exact, "consistent")

    def own(dep: str) -> float:
        return claims.get(dep, model.key_value(dep))

    theirs = model.value(name, own)
    # authors round or truncate: one unit in the last printed decimal
    if theirs is not None and abs(value - theirs) <= 2 * half + 1e-12 and any(
            dep in claims for dep in _deps(model, name)):
        return Claim(name, value, exact, "carried_forward",
                     message=f"wrong (engine: {exact:.6g}), but it follows from the author's "
                             f"own earlier figures ({theirs:.6g})")
    diagnosis = check.diagnose(model, name, value, own)
    note = f": {check.MISTAKES[diagnosis]}" if diagnosis else ""
    return Claim(name, value, exact, "inconsistent", diagnosis,
                 message=f"the engine gives {exact:.6g}{note}")


def _deps(model: check.Model, name: str) -> list[str]:
    deps = model._deps(name)
    if deps:
        return deps[1]
    # a forward quantity depends on the layer before it
    return [n for n in model.key.by_name if n.startswith(("net", "out"))]


def _loss_claim(inst, steps: int, value: float) -> Claim:
    name = f"loss after {steps} step" + ("" if steps == 1 else "s")
    right = numeric.train(inst, steps)[0][-1]
    wrong = numeric.train(inst, steps, "updated_weights")[0][-1]
    half = 0.5 * 10 ** -decimals_of(value)
    if abs(value - right) <= half:
        return Claim(name, value, right, "consistent")
    if abs(value - wrong) <= half:
        return Claim(name, value, right, "inconsistent", "updated_weights",
                     f"the engine gives {right:.10g}; {check.MISTAKES['updated_weights']} "
                     f"(that gives {wrong:.10g})")
    return Claim(name, value, right, "inconsistent",
                 message=f"the engine gives {right:.10g} (with hidden gradients through "
                         f"updated weights it would be {wrong:.10g})")


def _outputs_claim(inst, steps: int, values: tuple[float, ...]) -> Claim:
    name = f"outputs after {steps} step" + ("" if steps == 1 else "s")
    right = _outputs(inst, steps, None)
    wrong = _outputs(inst, steps, "updated_weights")
    halves = [0.5 * 10 ** -decimals_of(v) for v in values]
    if all(abs(v - r) <= h for v, r, h in zip(values, right, halves)):
        return Claim(name, list(values), right, "consistent")
    notes = []
    for v, w, h in zip(values, wrong, halves):
        for shift in (10.0, 0.1):
            if abs(v / shift - w) <= h / shift and abs(v - w) > h:
                notes.append(f"{v!r} is {w:.9f} with the decimal point moved")
    matches_wrong = all(any(abs(v / s - w) <= h / s for s in (1.0, 10.0, 0.1))
                        for v, w, h in zip(values, wrong, halves))
    message = (f"the engine gives {', '.join(f'{r:.9f}' for r in right)}"
               + (f"; {check.MISTAKES['updated_weights']}" if matches_wrong else "")
               + "".join(f"; {n}" for n in notes))
    return Claim(name, list(values), right, "inconsistent",
                 "updated_weights" if matches_wrong else None, message)


def _outputs(inst, steps: int, mistake) -> list[float]:
    _, p = numeric.train(inst, steps, mistake)
    return [float(y) for y in np.asarray(numeric.forward(inst, p)[-1].out)]


def text(claims: list[Claim], source: str) -> str:
    lines = [f"Audit of {source}: {sum(c.verdict == 'consistent' for c in claims)} of "
             f"{len(claims)} printed figures consistent"]
    for c in claims:
        shown = c.claimed if not isinstance(c.claimed, list) else ", ".join(map(repr, c.claimed))
        lines.append(f"  {c.name:28} {shown!s:>26}  {c.verdict}"
                     + (f" [{c.diagnosis}]" if c.diagnosis else ""))
        if c.message:
            lines.append(f"      {c.message}")
    return "\n".join(lines)
