"""A batch's printed figures: each example's (name@e) judged as that example alone would be,
with every diagnosis; the batch's own (J, dJ/dθ, new θ) against the batch's values and the
ways of combining the examples wrongly (one example's value, a sum for a mean, a mean for a
sum, a reversed sign).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ..definitions.canonical import at_example, example_of
from . import check
from .audit_claims import Claim, engine_values, explains, places_of, printed_text
from .check import rounds_to


def batch_claims(defn, inst, result, audit_one) -> tuple[list[Claim], Fraction | None]:
    """Every claim of a batch, in the order printed, and the factor the author's loss is off
    by (their J a mean for the definition's sum, or a sum for its mean), if J says so.
    `audit_one` audits one example's own definition."""
    by_example: dict[int, list] = {}
    for (name, value), written in zip(defn.claimed, _written(defn)):
        plain, e = example_of(name)
        if e is not None:
            by_example.setdefault(e, []).append((plain, value, written))
    judged: dict[tuple[str, str], Claim] = {}
    for e, claims in by_example.items():
        one = inst.examples()[e - 1]
        own = replace(defn, values=one.values, claimed=tuple((n, v) for n, v, _ in claims),
                      claim_labels=(), claim_written=tuple(n for n, _, _ in claims),
                      loss_after_steps=(), outputs_after_steps=(), batch_loss="sum")
        for claim, (_, _, written) in zip(audit_one(own), claims):
            full = at_example(claim.name, e)
            judged[full, written] = replace(claim, name=full,
                                            label=written if written != full else None)
    batch = BatchJudge(defn, result)
    out = [judged.get((name, written)) or batch.claim(name, value, written)
           for (name, value), written in zip(defn.claimed, _written(defn))]
    return out, batch.convention(out)


def _written(defn) -> tuple[str, ...]:
    return defn.claim_written or tuple(dict(defn.claim_labels).get(n, n) for n, _ in defn.claimed)


class BatchJudge:
    """A batch-level figure: consistent, or the batch combined wrongly (one example's value,
    a sum for a mean, a mean for a sum), or a reversed sign."""

    def __init__(self, defn, result):
        self.defn, self.engine = defn, engine_values(result)
        self.how, self.E = result.instance.batch_loss, len(result.examples)
        self.each = [_engine_of(one) for one in result.examples]

    def claim(self, name: str, value: float, written: str) -> Claim:
        places = places_of(value)
        engine = self.engine.get(name)
        new = dict(name=name, claimed=float(value), engine=engine,
                   label=written if written != name else None, printed=printed_text(value))
        if engine is None:
            return Claim(**new, verdict="not_checked",
                         message="the engine does not compute this quantity")
        if rounds_to(value, engine, places):
            return Claim(**new, verdict="consistent")
        for mistake, candidate in self.candidates(name):
            if explains(value, candidate, engine, places):
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

    def convention(self, claims: list[Claim]) -> Fraction | None:
        """The factor every loss figure of the author's is off by, as their J shows it."""
        for c in claims:
            if c.name == "J" and c.diagnosis in ("mean_for_sum", "sum_for_mean"):
                return Fraction(1, self.E) if c.diagnosis == "mean_for_sum" else \
                    Fraction(self.E)
        return None


def _engine_of(one) -> dict[str, float]:
    """One example's own J and gradients, under the batch's names: J, dJ/dθ."""
    return {"J": one.values["J"]} | {f"dJ/d{p}": g for p, g in one.grads.items()}
