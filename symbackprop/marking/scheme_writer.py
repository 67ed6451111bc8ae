"""The marking scheme of a key, written down from the marking model by tracing its arithmetic.

For each blank: its value and the band of answers honest rounding reaches (rounding.py); how it
is recomputed from the quantities before it (an expression tree over their names, for
carried-forward credit); and each known mistake this network's student can make, simplest
first, in the order `check` tries them, as trees and as the numbers a student who makes the
mistake throughout arrives at. Numbers that need no student answer are computed
here once; trees are what the interpreters (scheme.py, the page's script) evaluate on a
student's own answers.

>>> from symbackprop.marking.key import _EXAMPLE, Key
>>> s = scheme_of(Key.from_json(_EXAMPLE))
>>> [b["name"] for b in s["blanks"]]
['net[1][1]', 'out[1][1]', 'J']
>>> s["blanks"][1]["recompute"]
['div', 1.0, ['add', 1.0, ['exp', ['neg', ['ref', 'net[1][1]']]]]]
>>> [r["diagnosis"] for r in s["blanks"][1]["mistakes"]]  # 0.593 is 0.5933 to 3 decimals
['sigmoid_of_negative', 'opposite_sign']
>>> t = s["blanks"][2]["tolerance"]  # J: 0.0827 or 0.0828 (as 0.082698 to 0.08271 round)
>>> [round(t[k], 6) for k in ("lo", "hi", "half", "from", "to")]
[0.0827, 0.0828, 5e-05, 0.082698, 0.08271]
"""

from __future__ import annotations

import hashlib
import json
import math

from ..definitions.canonical import SHAPE, at_example, example_of
from ..definitions.language import Words, words
from . import rounding
from .batch_matrix import of as model_of
from .key import LARGEST, MAX_SCHEME_NODES, MISTAKES, Key
from .recompute import COMMON_RATES, MODES, Model, _short
from .scheme import decimals_of, refs, within
from .trace import TracedOps, ref, size_of, tree_of

SCHEME_VERSION = 2  # 2: the accepted answers as a band worked from the recomputation


def with_scheme(key_json: dict) -> dict:
    """A key.json object with its marking scheme added (computed from the key as written)."""
    written = json.loads(json.dumps(key_json, allow_nan=False))
    return written | {"scheme": scheme_of(Key.from_json(written))}


def scheme_of(key: Key) -> dict:
    """The whole sheet's scheme: blanks, the key's values the trees refer to, the messages."""
    if "network" not in key.definition:  # a lesson page: marked by value alone
        blanks = [_value_blank(key, a) for a in key.answers]
    else:
        model, traced = model_of(key), _Tracing(model_of(key, ops=TracedOps))
        spread = rounding.Spread(model_of(key, ops=rounding.SlopeOps), key.decimals)
        blanks = [_blank(key, model, traced, spread, a) for a in key.answers]
    names = sorted(set(refs(blanks)))
    values = {}
    if "network" in key.definition:
        model = model_of(key)
        values = {n: v for n, v in ((n, model.key_value(n)) for n in names) if v is not None}
    said = words(key.definition.get("language", "en"))
    body = {"version": SCHEME_VERSION, "decimals": key.decimals,
            "messages": _messages(blanks, said),
            "values": values, "blanks": blanks}
    # the page keeps a student's typing under this id: one sheet, one version, one store
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return {"id": digest} | body


# said by the interpreters themselves, whatever the blanks' rules
ALWAYS = ("too_few_decimals", "cut_off")


def _messages(blanks: list[dict], _: Words) -> dict[str, str]:
    """What to tell a student, in the sheet's language, for the diagnoses this sheet's scheme
    can give: a tanh sheet carries no word of σ(−net)."""
    return {k: _(text) for k, text in MISTAKES.items() if k in used_by(blanks)}


def used_by(blanks: list[dict]) -> set[str]:
    """The diagnoses a scheme's blanks can give: their rules', the interpreters' own, and the
    sign slipped at a step where the loss's sign is refuted by the student's (scheme.sign_as)."""
    used = {r["diagnosis"] for b in blanks for r in b["mistakes"]} | set(ALWAYS)
    return used | ({"sign_here"} if "sign" in used else set())


def _value_blank(key: Key, a: dict) -> dict:
    return {"label": a["label"], "name": a["name"], "value": a["value"], "exact": a["exact"],
            "tolerance": rounding.exact_band(a["value"], a["exact"], key.decimals),
            "recompute": None, "mistakes": [], "points": 1,
            "working": f"{a['name']} = {_short(a['value'])}"}


class SchemeTooLarge(ValueError):
    """A scheme whose expressions, written out, would have more parts than a key may hold."""


class _Tracing:
    """The marking model traced, each inlined step worked once per mistake and shared by
    every path through it (a deep network's ∂J/∂out is reached by 2^depth paths), and the
    parts of the trees written out counted, bounded as keys.py bounds a key's scheme."""

    def __init__(self, model: Model):
        self.model, self.worked, self.parts = model, {}, 0

    def inline(self, dep: str, get, mode):
        if (mode, dep) not in self.worked:
            self.worked[mode, dep] = self.model.value(dep, get, mode)
        value = self.worked[mode, dep]
        if value is None:  # caught by value(): this tree cannot be written
            raise ValueError(f"cannot recompute {dep}")
        return value

    def tree(self, name: str, get, mode):
        value = self.model.value(name, get, mode)
        if value is None:
            return None
        self.parts += size_of(value)
        if self.parts > MAX_SCHEME_NODES:
            raise SchemeTooLarge(f"its marking scheme would have more than "
                                 f"{MAX_SCHEME_NODES:,} parts, more than a key may hold")
        return tree_of(value)


def _blank(key: Key, model: Model, traced: _Tracing, spread, a: dict) -> dict:
    name = a["name"]
    if SHAPE.match(name):
        return _shape_blank(key, model, a)

    inline = key.definition.get("form") != "matrix"

    def get_for(mode):
        def get(dep: str):
            # a step the sheet states or does not ask for (∂net/∂b = 1, a one-path sum's
            # path) is worked out in the tree, so that the student's own numbers carry through
            if inline and "/d" in dep and dep not in key.by_name:
                return traced.inline(dep, get, mode)
            return ref(dep)
        return get

    getters = {}

    def tree(mode=None):
        get = getters.setdefault(mode, get_for(mode))  # one per mistake: its steps shared
        return traced.tree(name, get, mode)

    right = tree()
    rules = [_rule("rounded_too_early", *(model.mistaken(name, None, d)
                                          for d in range(model.decimals - 1, 0, -1)))]
    if _follows_from_loss(name) and not name.startswith("new "):  # the loss's sign, and
        rules.append(_rule("sign", -a["value"]))                  # what follows from it
    plain, e = example_of(name)
    if plain.startswith("net["):  # one term's sign slipped: named, term by term
        rules += [_rule("term_sign", tree(f"term_sign#{k}"),
                        model.value(name, model.key_value, f"term_sign#{k}"))
                  | {"term": term if e is None else at_example(term, e)}
                  for k, term in enumerate(model.terms(plain), start=1)]
    # a step taken up the gradient is its own mistake, not the loss's sign (w + η·∂J/∂w)
    # each with its number at this step from the key's own numbers (_made_here_first)
    rules += [_rule("step_up" if mode == "sign" and name.startswith("new ") else mode,
                    tree(mode), model.mistaken(name, mode))
              | {"here": model.value(name, model.key_value, mode)} for mode in model.modes(name)]
    # last: the right number with the other sign, whatever slipped; where the loss's sign
    # gives that number already, it is said once, by the loss's words
    if a["value"] != 0 and (not _follows_from_loss(name) or name.startswith("new ")):
        rules.append(_rule("opposite_sign", -a["value"]))
    before = _before(model, name)
    if before is not None:
        rules = [_rule("no_step", before), _step_alone(model, name)] + rules + \
            _rate_rules(model, name)
    band = rounding.band(spread, name, a["value"], a["exact"], before)
    rules = [_still_wrong(r, band) if r["diagnosis"] == "rounded_too_early" else r for r in rules]
    kept = [r for r in (_without(r, right, (a["value"], model.mistaken(name, None)))
                        for r in rules) if r["candidates"]]
    return {"label": a["label"], "name": name, "value": a["value"], "exact": a["exact"],
            "tolerance": band, "recompute": right,
            "mistakes": _made_here_first(kept, model, key.decimals),
            "points": key.definition.get("points", {}).get(name, 1),
            "working": _working(model, name, a["value"])}


def _made_here_first(rules: list[dict], model: Model, decimals: int) -> list[dict]:
    """The rules without a mistake made only at an earlier step (its tree here is the right
    one: only its number is left) whose number, at the sheet's decimals, a rule before it
    gives from the key's numbers: the student who made it shows it at its own step, and this
    step is said once, by the first. With one-hot targets, softmax's diagonal Jacobian gives
    a hidden ∂J/∂out the number of one path kept; that hidden blank names the path only."""
    seen: set[float] = set()
    kept = []
    for rule in rules:
        r = {k: v for k, v in rule.items() if k != "here"}
        numbers = {round(c, decimals) for c in r["candidates"] if isinstance(c, float)}
        if any(isinstance(c, list) for c in r["candidates"]) and rule.get("here") is not None:
            numbers.add(round(rule["here"], decimals))  # its tree, from the key's numbers
        earlier = "slack" not in r and r["diagnosis"] in MODES and all(
            isinstance(c, float) for c in r["candidates"])
        if not (earlier and numbers <= seen):
            kept.append(r)
        seen |= numbers
    return kept


def _before(model: Model, name: str) -> float | None:
    """A step's parameter before it; a bias that stays fixed takes no step to get wrong."""
    if name.startswith("new ") and (name[4] != "b" or model.update_biases):
        return model._param(name[4:])
    return None


def tolerances(key: Key) -> list[dict]:
    """Each blank's band as scheme_of writes it from the key's definition and answers, its
    trees left out: what a key's own scheme is compared with (agreement.py)."""
    if "network" not in key.definition:
        return [_value_blank(key, a)["tolerance"] for a in key.answers]
    model = model_of(key)
    spread = rounding.Spread(model_of(key, ops=rounding.SlopeOps), key.decimals)
    return [_whole_band(a["value"]) if SHAPE.match(a["name"]) else rounding.band(
        spread, a["name"], a["value"], a["exact"], _before(model, a["name"]))
        for a in key.answers]


def _whole_band(value: float) -> dict:
    """A matrix's rows or columns: a whole number, and 3.99 rows is not 4."""
    return rounding.exact_band(value, value, 0, half=0.0)


def _working(model: Model, name: str, value: float) -> str:
    def known(dep: str) -> float:
        number = model.key_value(dep)
        if number is None:
            raise ValueError(f"cannot recompute {dep}")
        return number

    try:
        return model.working(name, known)
    except ValueError:  # a key whose numbers do not work out (made up, or rounded to nothing)
        return f"{name} = {_short(value)}"


def _follows_from_loss(name: str) -> bool:
    """∂J/∂out and everything worked from it: δ's, gradients, a step; not the forward pass."""
    return name.startswith(("dJ", "new ", "delta "))


def _still_wrong(rounded_early: dict, band: dict) -> dict:
    """Working rounded to fewer decimals that lands on an accepted answer, or on one rounded
    to fewer decimals, is that right answer: the simplest explanation comes first."""
    def right(c: float) -> bool:  # a value rounded away to 0 is not (as for too_few_decimals)
        return c != 0 and within(c, band["lo"], band["hi"], 0.5 * 10.0 ** -decimals_of(c))

    return rounded_early | {"candidates": [c for c in rounded_early["candidates"]
                                           if not right(c)]}


def _without(rule: dict, right, numbers: tuple) -> dict:
    """A rule without what is the right working itself: a mistake at another step gives this
    step's right tree, and a mistake that changes nothing here gives its right number."""
    if "slack" in rule:
        return rule
    kept = [c for c in rule["candidates"] if c != right and not (
        isinstance(c, float) and any(n is not None and math.isclose(c, n, rel_tol=1e-12,
                                                                    abs_tol=1e-15)
                                     for n in numbers))]
    return rule | {"candidates": kept}


def _shape_blank(key: Key, model: Model, a: dict) -> dict:
    """A matrix's rows or columns: a whole number, and the other one where they differ (a
    student who swapped rows and columns)."""
    which, matrix, l = SHAPE.match(a["name"]).groups()
    rows, columns = model.shape(matrix, int(l))
    other = float(columns if which == "rows" else rows)
    shown = "δ" if matrix == "delta" else "∂J/∂W"
    return _value_blank(key, a) | {
        "tolerance": _whole_band(a["value"]),
        "recompute": a["value"],
        "mistakes": [_rule("transposed", other)] if other != a["value"] else [],
        "points": key.definition.get("points", {}).get(a["name"], 1),
        "working": f"{shown} of layer {l} is {rows}×{columns}: {rows} rows, {columns} "
                   f"column{'s' if columns > 1 else ''}"}


def _rule(mode: str, *candidates) -> dict:
    """A mistake and the numbers (or trees) it gives; a number past LARGEST (a huge learning
    rate's slip, or one past a float's range) is no answer a student could write, and is left
    out."""
    return {"diagnosis": mode.split("#")[0],
            "candidates": [c for c in candidates if c is not None and not (
                isinstance(c, float) and not abs(c) <= LARGEST)]}


def _step_alone(model: Model, name: str) -> dict:
    """The step −η·∂J/∂w written for the new weight: after no_step, so that an answer that is
    both (a weight of −0.02 and a step of −0.02) names both."""
    return {"diagnosis": "step_alone",
            "candidates": [["neg", ["mul", model.eta, ["ref", f"dJ/d{name[4:]}"]]]]}


def _rate_rules(model: Model, name: str) -> list[dict]:
    """A step with another common learning rate: old − r·(your gradient), within 2 % of r."""
    p = name[4:]
    grad = ["nonzero", ["ref", f"dJ/d{p}"]]  # no rate can be read off a zero gradient
    old = model._param(p)
    return [{"diagnosis": "wrong_learning_rate",
             "candidates": [["sub", old, ["mul", r, grad]]],
             "slack": ["abs", ["mul", 0.02 * r, grad]]}
            for r in COMMON_RATES if not math.isclose(r, model.eta)]


