"""The marking scheme as data, and its interpreter.

Each blank of a sheet carries its value, the band of answers honest rounding reaches (its
`tolerance`, worked out from the recomputation by rounding.py), how it is recomputed from
earlier quantities (for carried-forward credit) and each known mistake, as small expression
trees:

    TREE := number | ["ref", name] | [op, TREE, ...]   op: add mul sub div neg exp log tanh
                                                           max step nonzero abs round pow

(`round` is to the nearest whole number, a half up; `pow` a power by a whole number 0 to 8
written in the tree, as a lesson's cost is a polynomial.)

`mark` here and `mark` in the practice page's script (templates/practice.js) interpret the same
data rule for rule; a differential test keeps them in step. The trees are built from the
marking model (recompute.py) by tracing (scheme_writer.py), so no marking rule is written twice.

>>> band = {"half": 5e-5, "carry": 1e-4, "near": 1e-4}
>>> x = {"label": "a", "name": "x", "value": 0.25, "exact": 0.25, "recompute": None,
...      "tolerance": band | {"lo": 0.25, "hi": 0.25, "from": 0.25, "to": 0.25}}
>>> y = {"label": "b", "name": "y", "value": 0.5004, "exact": 0.50042,
...      "tolerance": band | {"lo": 0.5004, "hi": 0.5005, "from": 0.50038, "to": 0.50046},
...      "recompute": ["mul", 2, ["ref", "x"]],
...      "mistakes": [{"diagnosis": "sign", "candidates": [-0.5004]}]}
>>> scheme = {"decimals": 4, "values": {"x": 0.25, "y": 0.5}, "blanks": [x | {"mistakes": []}, y],
...           "messages": {"sign": "the sign is reversed", "too_few_decimals": "too few",
...                        "cut_off": "cut off, not rounded"}}
>>> [(m.verdict, m.diagnosis) for m in mark(scheme, {"a": 0.25, "b": -0.5004})]
[('correct', None), ('incorrect', 'sign')]
>>> [(m.verdict, m.diagnosis) for m in mark(scheme, {"a": 0.4, "b": 0.8})]
[('incorrect', None), ('carried_forward', None)]
>>> [mark(scheme, {"b": b})[1].verdict for b in (0.5005, 0.50048, 0.501, 0.5002)]
['correct', 'correct', 'too_few_decimals', 'incorrect']
>>> mark(scheme, {"b": 0.5003})[1].diagnosis  # 0.50038 cut off after 4 decimals
'cut_off'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ..definitions.language import N_

VERDICTS = ("correct", "too_few_decimals", "carried_forward", "incorrect", "missing")

OPS = {
    "add": lambda a: _sum(a),
    "mul": lambda a: _product(a),
    "sub": lambda a: a[0] - a[1],
    "div": lambda a: a[0] / a[1],
    "neg": lambda a: -a[0],
    "exp": lambda a: math.exp(a[0]),
    "log": lambda a: math.log(a[0]),
    "tanh": lambda a: math.tanh(a[0]),
    "max": lambda a: max(a),
    "step": lambda a: 1.0 if a[0] > 0 else 0.0,
    "nonzero": lambda a: a[0] if a[0] != 0 else None,
    "abs": lambda a: abs(a[0]),
    "round": lambda a: float(math.floor(a[0] + 0.5)),  # a count worked from rounded shares
    "pow": lambda a: _product([a[0]] * int(a[1])),  # a[1] a whole number 0..8 (keys.py
    # checks it), multiplied out left to right as the page's script does: the same rounding
}

# arguments each operation takes (the others, add, mul and max, take 1 to 64)
ARITY = {"sub": 2, "div": 2, "neg": 1, "exp": 1, "log": 1, "tanh": 1, "step": 1, "nonzero": 1,
         "abs": 1, "round": 1, "pow": 2}
POWERS = range(9)  # the whole numbers a `pow` may raise to, given in the tree itself


def _sum(values):
    total = 0.0
    for v in values:  # left to right, as the page's script adds: the same rounding
        total += v
    return total


def _product(values):
    total = 1.0
    for v in values:
        total *= v
    return total


def evaluate(tree, get) -> float | None:
    """The value of a tree; `get(name)` gives a quantity. None where it is undefined."""
    if isinstance(tree, (int, float)):
        return float(tree)
    op, *args = tree
    if op == "ref":
        return get(args[0])
    values = [evaluate(a, get) for a in args]
    if any(v is None for v in values):
        return None
    try:
        value = OPS[op](values)
    except (ValueError, ZeroDivisionError, OverflowError):  # log(0), x/0, exp(1000)
        return None
    return value if value is None or math.isfinite(value) else None


@dataclass
class Mark:
    label: str
    name: str
    given: float | None
    expected: float
    verdict: str
    diagnosis: str | None = None
    message: str = ""
    working: str = ""
    term: str | None = None  # the term a sign slip names
    carried: float | None = None  # the value the student's own answers give (carried forward)
    also: str | None = None  # a second mistake that gives the same answer, if any

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in ("label", "name", "given", "expected", "verdict",
                                               "diagnosis", "also", "message")}


def mark(scheme: dict, given: dict[str, float], others: dict | None = None) -> list[Mark]:
    """One mark per blank, in order; answers are given by label or by name. `others`: the
    values other versions of the set give each blank (by name, rounded to the sheet's
    decimals), where the marker holds them (other_values)."""
    by_name = {}
    for b in scheme["blanks"]:
        value = given.get(b["label"], given.get(b["name"]))
        if value is not None:
            by_name[b["name"]] = value
    values = scheme["values"]
    carry = not no_work(scheme, by_name, others)

    def own(name: str) -> float | None:
        return by_name[name] if name in by_name else values.get(name)

    signed = {b["name"]: b["value"] for b in scheme["blanks"]
              if any(r["diagnosis"] == "sign" for r in b["mistakes"])}
    return [judge(scheme, b, by_name.get(b["name"]), own, sign_as(scheme, b, by_name, signed),
                  carry) for b in scheme["blanks"]]


def no_work(scheme: dict, by_name: dict[str, float], others: dict | None = None) -> bool:
    """A sheet whose wrong answers (3 or more) show no work of the student's own, and so earn
    no follow-through anywhere: half of them one number (2 typed in every blank), or the key's
    values of other blanks (the key copied one line off), or another version's values of the
    same blanks (a neighbour's sheet), or the key's own values times one factor (every sign
    flipped, or the key times 10). A wrong answer worked right from the student's own earlier
    ones is no evidence either way: a slip carried forward copies and scales its first number,
    and only that first one counts (templates/practice.js noWork, the same rule).

    >>> blanks = [{"name": n, "value": v, "exact": v, "recompute": None, "mistakes": [],
    ...            "tolerance": {"lo": v, "hi": v, "half": 5e-5, "near": 1e-4}}
    ...           for n, v in (("a", 0.1), ("b", 0.2), ("c", 0.3), ("d", 0.4))]
    >>> s = {"decimals": 4, "blanks": blanks, "values": {}}
    >>> no_work(s, dict(a=2, b=2, c=2, d=0.4)), no_work(s, dict(a=0.2, b=0.3, c=0.4, d=0.5))
    (True, True)
    >>> no_work(s, dict(a=-0.1, b=-0.2, c=-0.3)), no_work(s, dict(a=1, b=2, c=3, d=0.4))
    (True, True)
    >>> no_work(s, dict(a=0.11, b=0.21, c=0.32)), no_work(s, dict(a=0.2, b=0.5, c=0.6, d=0.7))
    (False, False)
    """
    d = scheme["decimals"]

    def own(name: str) -> float | None:
        return by_name[name] if name in by_name else scheme["values"].get(name)
    wrong = [(b, round(v, d)) for b in scheme["blanks"]
             if (v := by_name.get(b["name"])) is not None and not within(
                 v, b["tolerance"]["lo"], b["tolerance"]["hi"], b["tolerance"]["half"])
             and not (v == 0 and zero_at(b, d)) and not _worked(b, v, own)]
    if len(wrong) < 3:
        return False
    # the loss's sign slipped flips what follows it: an honest slip, no evidence of copying
    telling = [(b, v) for b, v in wrong if not any(
        diagnosis == "sign" for diagnosis, _ in explanations(b, v, own, b["tolerance"]))]
    most = max((sum(v == w for _, w in telling) for _, v in telling), default=0)
    keyed: dict[float, set[str]] = {}
    for b in scheme["blanks"]:
        keyed.setdefault(round(b["value"], d), set()).add(b["name"])
    moved = sum(bool(keyed.get(v, set()) - {b["name"]}) for b, v in telling)
    foreign = sum(v in (others or {}).get(b["name"], ()) for b, v in telling)
    factor = scaled(telling, d)
    evidence = max(most, moved, foreign, factor)
    return evidence >= 3 and 2 * evidence >= len(wrong)  # two alike may be chance


def _worked(blank: dict, given: float, own) -> bool:
    """`given` is what the blank's step gives from the student's own answers (a slip carried
    forward, or a copy of their own number)."""
    if blank["recompute"] is None:
        return False
    carried = evaluate(blank["recompute"], own)
    return carried is not None and reaches(given, carried, blank["tolerance"]["carry"])


def scaled(wrong: list[tuple[dict, float]], decimals: int) -> int:
    """The most wrong answers that are their keys' values (at the sheet's decimals) times one
    factor, each within a unit of its last decimal: −1 (every sign flipped), 10, 2."""
    unit = 10.0 ** -decimals * (1 + 1e-9)
    keyed = [(v, k) for b, v in wrong if (k := round(b["value"], decimals)) != 0]
    return max((sum(abs(w - v / k * key) <= unit for w, key in keyed) for v, k in keyed),
               default=0)


def other_values(schemes: list[dict]) -> dict[str, set[float]]:
    """The values the versions' schemes give each blank, rounded to their decimals: for a
    version's no_work, the values of every version but its own are those of the others
    (its own right answers are no wrong ones)."""
    out: dict[str, set[float]] = {}
    for s in schemes:
        for b in s["blanks"]:
            out.setdefault(b["name"], set()).add(round(b["value"], s["decimals"]))
    return out


def sign_as(scheme: dict, blank: dict, by_name: dict, signed: dict) -> str | None:
    """What the loss's sign carried through ('sign') is said as at this blank: None, as it
    is; where the student wrote a step it is worked from (itself worked from the loss) with
    the key's sign, that step's sign is right and the sign slipped here: 'sign_here' (a key
    written before it was said names the other sign, or nothing)."""
    if blank["name"] not in signed or not any(
            n in signed and n in by_name and by_name[n] * signed[n] > 0
            for n in refs(blank["recompute"])):
        return None
    return next((d for d in ("sign_here", "opposite_sign") if d in scheme["messages"]), "")


def judge(scheme: dict, blank: dict, given: float | None, own, sign: str | None = None,
          carry: bool = True) -> Mark:
    """The one rule, simplest explanation first: an answer honest rounding reaches; the same
    with fewer decimals; right from the student's own earlier answers (where they differ from
    the key's: from the key's own, honest rounding is the whole story); cut off instead of
    rounded; then each known mistake in the scheme's order (the loss's sign said as `sign`
    says, sign_as)."""
    m = Mark(blank["label"], blank["name"], given, blank["value"], "missing",
             working=blank.get("working", ""))
    if given is None:
        return m
    tol, decimals = blank["tolerance"], scheme["decimals"]
    places = decimals_of(given)
    if within(given, tol["lo"], tol["hi"], tol["half"]) or given == 0 and zero_at(
            blank, decimals):  # −0 or −0.0000 for a value that is 0 at the sheet's decimals
        return _verdict(m, "correct", "correct")
    # a whole number is never "the right value with fewer decimals": 1 for 0.5487 would be
    # (Moodle's export lists such values from one decimal on, and so do the page and check)
    if tol["half"] and 0 < places < decimals and given != tol.get("before") and \
            within(given, tol["lo"], tol["hi"], 0.5 * 10.0 ** -places):
        _verdict(m, "too_few_decimals",
                 f"{scheme['messages']['too_few_decimals']} ({fixed(m.expected, decimals)}"
                 f" to {decimals} decimals)")
        return _also(scheme, m, explanations(blank, given, own, tol, sign), "too_few_decimals")
    carried = None if blank["recompute"] is None else evaluate(blank["recompute"], own)
    key = scheme["values"].get
    if carry and carried is not None and reaches(given, carried, tol["carry"]) and not _same(
            carried, evaluate(blank["recompute"], key)) and not trivial(
            carried, blank, decimals, own, key):
        m.carried = carried
        return _verdict(m, "carried_forward",
                        f"wrong against the key ({fixed(blank['value'], decimals)}), "
                        f"but right from your own earlier answers "
                        f"({fixed(carried, decimals)}): error carried forward")
    found = explanations(blank, given, own, tol, sign)
    if tol["half"] and places <= decimals and given != 0 and cut_within(
            given, places, tol["from"], tol["to"]):  # cut to 0, a value tells nothing
        return _also(scheme, _incorrect(scheme, m, "cut_off"), found, "cut_off")
    first = next(found, None)
    if first is None:
        return _incorrect(scheme, m, None)
    return _also(scheme, _incorrect(scheme, m, *first), found, first[0])


def explanations(blank: dict, given: float, own, tol: dict, sign: str | None = None):
    """Each known mistake whose value the answer reaches, as (diagnosis, term), in the scheme's
    order (simplest first), lazily: marking stops at the first one or two. The loss's sign is
    named as `sign` says (sign_as): None as it is, '' not at all."""
    for rule in blank["mistakes"]:
        diagnosis = rule["diagnosis"] if sign is None or rule["diagnosis"] != "sign" else sign
        if not diagnosis:
            continue
        slack = rule.get("slack")
        for candidate in rule["candidates"]:
            v = evaluate(candidate, own)
            if v is None:
                continue
            # a rate read off the step: within 2 % of it (and, rounded, within reach)
            allowed = tol["near"] if slack is None else evaluate(slack, own)
            if allowed is not None and reaches(given, v, max(allowed, tol["near"])):
                yield diagnosis, rule.get("term")
                break


# two explanations of one answer, the simplest first, in one sentence after a dash:
# "expected −0.5613 — either a rounding slip, or …", never a chain of colons
EITHER = N_("either {first}, or {second}")
SLIP = N_("a rounding slip")  # the right value rounded to fewer decimals, as the first of two
BOTH = " — "  # between what a mark says and the two explanations


def _also(scheme: dict, m: Mark, found, named: str) -> Mark:
    """Where a second mistake, other than the one named, explains the same answer, the message
    names both in one sentence, the first first (rounding before a wrong method: both may be
    what happened)."""
    other = next((f for f in found if f[0] != named), None)
    if other is not None:
        m.also = other[0]
        second = reason(scheme["messages"], *other)
        if m.verdict == "too_few_decimals":  # its message says what the right value is
            m.message += BOTH + EITHER.format(first=SLIP, second=second)
        else:
            m.message = f"expected {fixed(m.expected, scheme['decimals'])}" + BOTH + \
                EITHER.format(first=reason(scheme["messages"], m.diagnosis, m.term),
                              second=second)
    return m


def reason(messages: dict, diagnosis: str, term: str | None = None) -> str:
    """A diagnosis's words, with the term it names (a sign slip's)."""
    return messages[diagnosis] + (f": {term}" if term else "")


def zero_at(blank: dict, decimals: int) -> bool:
    """The blank's value, or its exact value, rounds to 0 at the sheet's decimals: a zero
    answer of either sign is then right, never a rounding slip (0 is no rounding too early of
    what honest working reaches)."""
    half = 0.5 * 10.0 ** -decimals
    return abs(blank["value"]) < half or abs(blank["exact"]) < half


def trivial(carried: float, blank: dict, decimals: int, own, key) -> bool:
    """A carried-forward value that does no arithmetic with the student's own numbers where
    the key's does: 0, 1 or −1 at the sheet's decimals (∂J/∂w = 0 · 0 · 0, or 1 · 1 · 1: the
    identities), or one of the step's own quantities unchanged (w − η · 0 = w, a given weight
    copied) where the key's value is not that quantity's. As an exam board marks, it earns no
    follow-through (templates/practice.js trivial, the same rule). A step that is a copy by
    its nature (∂net/∂w = out) keeps its follow-through: the key's value is its quantity too."""
    half = 0.5 * 10.0 ** -decimals

    def near(a: float, b: float) -> bool:
        return abs(a - b) < half
    if any(near(carried, v) and not near(blank["value"], v) for v in (0.0, 1.0, -1.0)):
        return True
    return any(mine is not None and theirs is not None and near(carried, mine) and not near(
        blank["value"], theirs) for mine, theirs in _operands(blank["recompute"], own, key))


def _operands(tree, own, key):
    """Each quantity a step is worked from, as (the student's value, the key's): its earlier
    steps by name, and the numbers printed in it (a given weight, the rate), the same in both."""
    yield from ((own(n), key(n)) for n in set(refs(tree)))
    stack = [tree]
    while stack:
        t = stack.pop()
        if isinstance(t, (int, float)) and not isinstance(t, bool):
            yield float(t), float(t)
        elif isinstance(t, list) and t and t[0] != "ref":
            stack.extend(t[1:])


def _same(a: float, b: float | None) -> bool:
    return b is not None and abs(a - b) <= 1e-12 * max(1.0, abs(b))


def reaches(given: float, value: float, tolerance: float) -> bool:
    """`given` is within `tolerance` of `value`, with the float epsilon Moodle's numerical
    answer adds (qtype_numerical_answer, nominal), so that both draw the line at one bit."""
    return abs(given - value) <= tolerance + 1e-14 * max(tolerance, abs(value), 1e-14)


def within(given: float, lo: float, hi: float, half: float) -> bool:
    """`given`, rounded to the decimals `half` is half a unit of, is one of lo..hi."""
    slack = half * (1 + 1e-9) + 1e-15
    return lo - slack <= given <= hi + slack


def cut_within(given: float, places: int, low: float, high: float) -> bool:
    """`given` (with `places` decimals) is a value between low and high cut off, not rounded,
    after its last decimal: truncation keeps the order, so the ends' cut-offs bound them all.

    >>> cut_within(-0.0075, 4, -0.0075512, -0.0075508), cut_within(-0.0076, 4, -0.00756, -0.00755)
    (True, False)
    """
    scale = 10.0 ** min(places, 300)
    k = given * scale
    cut = [math.trunc(v * scale + math.copysign(1e-9, v)) for v in (low, high)]
    return abs(k - round(k)) < 1e-6 and cut[0] <= round(k) <= cut[1] and not (
        within(given, low, high, 0.5 / scale))  # a rounding of one of them is no cut


def _verdict(m: Mark, verdict: str, message: str) -> Mark:
    m.verdict, m.message = verdict, message
    return m


def _incorrect(scheme: dict, m: Mark, diagnosis: str | None, term: str | None = None) -> Mark:
    m.verdict, m.diagnosis, m.term = "incorrect", diagnosis, term
    m.message = f"expected {fixed(m.expected, scheme['decimals'])}" + (
        f": {scheme['messages'][diagnosis]}" if diagnosis else "") + (f": {term}" if term else "")
    return m


def decimals_of(value: float) -> int:
    """Decimals of a number as typed: from its text where it kept it ('0.30' -> 2), else from
    its shortest form (0.2306 -> 4, 3.51e-05 -> 7)."""
    printed = getattr(value, "decimals", None)
    if isinstance(printed, int):
        return printed
    return max(0, -Decimal(repr(float(value))).normalize().as_tuple().exponent)


def rounds_to(printed: float, value: float, places: int) -> bool:
    """`printed` is `value` rounded to `places` decimals (half a unit either way)."""
    return abs(printed - value) <= 0.5 * 10 ** -places * (1 + 1e-9) + 1e-15


def fixed(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def refs(tree) -> list[str]:
    """The names a tree, a list of trees or a blank (a dict of them) refers to: ["ref", name]
    anywhere in it. Walked with a stack, not by recursion: a class set's scheme walks a few
    hundred thousand nodes."""
    out, stack = [], [tree]
    while stack:
        t = stack.pop()
        if isinstance(t, dict):
            stack.extend(t.values())
        elif isinstance(t, list):
            if len(t) == 2 and t[0] == "ref" and isinstance(t[1], str):
                out.append(t[1])
            else:
                stack.extend(t)  # an operator's name among them is a str: passed over
    return out
