"""Audit a published worked example: each figure an author printed (`claimed:`), consistent or
not, and the likely mistake behind it.

Every figure is judged at the precision it was printed with (`-0.1360` to 4 decimals):

- `consistent`: the engine's value rounds to it, or honest rounding of every intermediate to
  the figure's own decimals does (check's one rule: rounding.py).
- `carried_forward`: the author's own earlier figures were wrong, and this one follows from them
  (rounded, from them or from what they were rounded from, or cut off to its decimals: authors
  truncate as often as they round).
- `inconsistent`, naming the mistake where one explains the figure exactly at its printed
  precision: `rounded_too_early` when it follows from the author's own right but coarser
  figures, a known mistake of `check`, `decimal_point` for a step with its digits right and
  its point moved, or `loss_convention` when every figure that depends on J (the loss after N
  steps too) is off by one constant factor.
- `not_checked`: the engine does not compute that quantity.

An author's own labels (`names:`, two of them for a quantity printed twice) and sign convention
for δ (`conventions: {delta: minus}`) are declared in the definition, not guessed. Without
targets, a single example or a batch is audited forward-only.

Each part has its module: audit_example (one example's figures), audit_batch (a batch's),
audit_training (after N steps), audit_claims (what they share).
"""

from __future__ import annotations

from dataclasses import replace

from ..definitions.canonical import example_of
from ..definitions.definition import Definition, DefinitionError
from ..engine.sample import instance
from ..engine.verify import run
from .audit_batch import batch_claims
from .audit_claims import LOSS_DEPENDENT, Claim, at_usual_places, places_of
from .audit_example import ExampleJudge
from .audit_training import Trainer, loss_claim, outputs_claim

__all__ = ["Claim", "audit", "text"]


def audit(defn: Definition) -> list[Claim]:
    defn = replace(defn, claimed=at_usual_places(defn.claimed, defn.decimals))
    inst = _instance(defn)
    result = run(replace(defn, values=inst.values), inst)
    if inst.batched:
        out, factor = batch_claims(defn, inst, result, audit)
    else:
        out, factor = _example_claims(defn, result)
    trainer = Trainer(inst, defn)
    out += [loss_claim(trainer, steps, value, factor) for steps, value in defn.loss_after_steps]
    out += [outputs_claim(trainer, steps, values) for steps, values in defn.outputs_after_steps]
    return out


def _example_claims(defn: Definition, result):
    """One example's claims in the order printed. A quantity printed twice (−1.7, later
    −1.69, under two labels) is judged each time: the author's own figure for it, where later
    figures use it, is the one printed with the most decimals."""
    written = defn.claim_written or tuple(dict(defn.claim_labels).get(n, n)
                                          for n, _ in defn.claimed)
    best: dict[str, int] = {}
    for i, (name, value) in enumerate(defn.claimed):
        if name not in best or places_of(value) > places_of(defn.claimed[best[name]][1]):
            best[name] = i
    chosen = sorted(best.values())

    def one(picks: list[int]) -> ExampleJudge:
        return ExampleJudge(replace(
            defn, claimed=tuple(defn.claimed[i] for i in picks),
            claim_labels=tuple((defn.claimed[i][0], written[i]) for i in picks
                               if written[i] != defn.claimed[i][0])), result)

    judge = one(chosen)
    judged = dict(zip(chosen, judge.loss_convention() or
                      [judge.claim(defn.claimed[i][0]) for i in chosen]))
    for i, (name, _) in enumerate(defn.claimed):
        if i not in judged:  # the other printing of a quantity, in place of the first
            other = one([i if j == best[name] else j for j in chosen])
            convention = other.loss_convention()
            judged[i] = (next(c for c in convention if c.name == name) if convention
                         else other.claim(name))
    return [judged[i] for i in range(len(defn.claimed))], judge.factor


def _instance(defn: Definition):
    """The author's numbers. Every one must be given; targets only where a claim needs them
    (without any, the forward pass of one example or a batch is audited)."""
    v, net = defn.values, defn.network
    for key, given in (("weights", v.weights),
                       ("biases", v.biases if net.bias != "none" else ())):
        if given is None:
            raise DefinitionError(defn.source, f"values.{key}", "an audit needs every number the "
                                  "author used, and this one is not given")
    n = net.layers[-1]  # the forward pass does not depend on targets: any that fit the loss
    if v.examples is not None:
        examples = []
        for i, e in enumerate(v.examples):
            if e.inputs is None:
                raise DefinitionError(defn.source, f"values.examples[{i}].inputs", "an audit "
                                      "of a batch needs every example's inputs")
            if e.targets is None:
                _forward_only(defn)
                e = replace(e, targets=(1 / n,) * n)
            examples.append(e)
        return instance(replace(defn, values=replace(v, examples=tuple(examples))))
    if v.inputs is None:
        raise DefinitionError(defn.source, "values.inputs", "an audit needs every number the "
                              "author used, and this one is not given")
    if v.targets is None:
        _forward_only(defn)
        v = replace(v, targets=(1 / n,) * n)
    return instance(replace(defn, values=v))


def _forward_only(defn: Definition) -> None:
    """Refuse, naming the first, a claim that needs the targets a definition leaves out."""
    needs = [n for n, _ in defn.claimed
             if example_of(n)[0].startswith((*LOSS_DEPENDENT, "t["))]
    if needs or defn.loss_after_steps or defn.outputs_after_steps:
        written = dict(defn.claim_labels).get(needs[0], needs[0]) if needs else (
            "loss_after_steps" if defn.loss_after_steps else "outputs_after_steps")
        raise DefinitionError(defn.source, f"claimed.{written}", "needs values.targets, "
                              "which this definition leaves out (without targets, only the "
                              "forward pass can be audited)")


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
