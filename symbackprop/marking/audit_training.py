"""Training figures an author printed: the loss after N steps and the outputs after N steps,
judged against gradient descent from the author's numbers, right and with the updated-weights
mistake; and, where the author's J is off by a constant factor (their loss is not the
definition's `loss:`), against the same factor applied to every loss figure.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from ..engine import numeric
from . import check
from .audit_claims import Claim, places_of, printed_text, shown_factor
from .check import rounds_to


class Trainer:
    """Gradient descent from the author's numbers, right and with the updated-weights mistake
    (and, for an author whose loss is `scale` times the engine's, with the steps that loss's
    gradient takes): one run each, as far as the longest claim, keeping what was claimed at
    each step count."""

    def __init__(self, inst, defn):
        self.inst = inst
        self.at = sorted({s for s, _ in defn.loss_after_steps}
                         | {s for s, _ in defn.outputs_after_steps})
        self.runs: dict[tuple, dict[int, tuple[float, list[float]]]] = {}

    def _run(self, mistake: str | None, scale: float = 1.0):
        if (mistake, scale) not in self.runs:
            step = numeric.step if mistake is None else numeric._step_updated_weights
            inst = self.inst if scale == 1.0 else replace(
                self.inst, learning_rate=self.inst.learning_rate * scale)
            p, done, kept = numeric.params(inst), 0, {}
            with np.errstate(over="ignore", invalid="ignore"):  # refused below, not warned of
                for n in self.at:
                    for i in range(done + 1, n + 1):
                        p = step(inst, p)
                        numeric._finite_loss(inst, p, i)  # Diverged names the step
                    done = n
                    layers = numeric.forward(inst, p)
                    # NaN and inf stay so: a run that left the finite numbers is refused here
                    kept[n] = (numeric._finite_loss(inst, p, n),
                               [float(y) for y in np.asarray(layers[-1].out).ravel()])
            self.runs[mistake, scale] = kept
        return self.runs[mistake, scale]

    def loss(self, steps: int, mistake: str | None, scale: float = 1.0) -> float:
        return self._run(mistake, scale)[steps][0]

    def outputs(self, steps: int, mistake: str | None) -> list[float]:
        return self._run(mistake)[steps][1]


def _steps(steps: int, what: str) -> str:
    return f"{what} after {steps} step" + ("" if steps == 1 else "s")


def loss_claim(trainer: Trainer, steps: int, value: float,
               convention: Fraction | None = None) -> Claim:
    """One 'loss after N steps'. An author whose J was found `convention` times the engine's
    prints every loss so: that factor times the loss reached with their loss's steps (its
    gradient is the factor times the engine's) or with the engine's."""
    name = _steps(steps, "loss")
    places, text = places_of(value), printed_text(value)
    right = trainer.loss(steps, None)
    if rounds_to(value, right, places):
        return Claim(name, float(value), right, "consistent", printed=text)
    if convention is not None:
        f = float(convention)
        for scale in (f, 1.0):
            theirs = f * trainer.loss(steps, None, scale)
            if rounds_to(value, theirs, places):
                return Claim(name, float(value), right, "inconsistent", "loss_convention",
                             f"{shown_factor(convention)}× the engine's loss, as for J (that "
                             f"gives {theirs:.10g}; the engine gives {right:.10g})",
                             printed=text)
    wrong = trainer.loss(steps, "updated_weights")
    if rounds_to(value, wrong, places):
        return Claim(name, float(value), right, "inconsistent", "updated_weights",
                     f"the engine gives {right:.10g}; {check.MISTAKES['updated_weights']} "
                     f"(that gives {wrong:.10g})", printed=text)
    return Claim(name, float(value), right, "inconsistent",
                 message=f"the engine gives {right:.10g} (with hidden gradients through "
                         f"updated weights it would be {wrong:.10g})", printed=text)


def outputs_claim(trainer: Trainer, steps: int, values: tuple[float, ...]) -> Claim:
    name = _steps(steps, "outputs")
    texts = [printed_text(v) for v in values]
    places = [places_of(v) for v in values]
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
