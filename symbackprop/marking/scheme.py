"""The marking scheme as data, and its interpreter.

Each blank of a sheet carries its value, its tolerance, how it is recomputed from earlier
quantities (for carried-forward credit) and each known mistake, as small expression trees:

    TREE := number | ["ref", name] | [op, TREE, ...]   op: add mul sub div neg exp log tanh
                                                           max step nonzero abs

`mark` here and `mark` in the practice page's script (templates/practice.js) interpret the same
data rule for rule; a differential test keeps them in step. The trees are built from
`model.Model` by tracing (marking.py), so no marking rule is written twice.

>>> x = {"label": "a", "name": "x", "value": 0.25, "exact": 0.25, "recompute": None}
>>> y = {"label": "b", "name": "y", "value": 0.5, "exact": 0.5,
...      "recompute": ["mul", 2, ["ref", "x"]],
...      "mistakes": [{"diagnosis": "sign", "candidates": [-0.5]}]}
>>> blanks = [b | {"tolerance": {"abs": 5e-5, "rel": 0.005}, "right": [],
...                "exact_mistakes": [], "mistakes": []} | b for b in (x, y)]
>>> scheme = {"decimals": 4, "values": {"x": 0.25, "y": 0.5}, "blanks": blanks,
...           "messages": {"sign": "the sign is reversed"}}
>>> [(m.verdict, m.diagnosis) for m in mark(scheme, {"a": 0.25, "b": -0.5})]
[('correct', None), ('incorrect', 'sign')]
>>> [(m.verdict, m.diagnosis) for m in mark(scheme, {"a": 0.4, "b": 0.8})]
[('incorrect', None), ('carried_forward', None)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

VERDICTS = ("correct", "carried_forward", "incorrect", "missing")

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
}


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

    def as_json(self) -> dict:
        return {k: getattr(self, k) for k in ("label", "name", "given", "expected", "verdict",
                                               "diagnosis", "message")}


def mark(scheme: dict, given: dict[str, float]) -> list[Mark]:
    """One mark per blank, in order; answers are given by label or by name."""
    by_name = {}
    for b in scheme["blanks"]:
        value = given.get(b["label"], given.get(b["name"]))
        if value is not None:
            by_name[b["name"]] = value
    values = scheme["values"]

    def own(name: str) -> float | None:
        return by_name[name] if name in by_name else values.get(name)

    return [judge(scheme, b, by_name.get(b["name"]), own) for b in scheme["blanks"]]


def judge(scheme: dict, blank: dict, given: float | None, own) -> Mark:
    m = Mark(blank["label"], blank["name"], given, blank["value"], "missing",
             working=blank.get("working", ""))
    if given is None:
        return m
    close = _close(blank["tolerance"], given)
    if close(blank["value"]) or close(blank["exact"]):
        # within the tolerance, but a known mistake made exactly is still that mistake
        return _exact_mistake(scheme, blank, m, own) or _verdict(m, "correct", "correct")
    carried = None if blank["recompute"] is None else evaluate(blank["recompute"], own)
    if carried is not None and close(carried):
        return _verdict(m, "carried_forward",
                        f"wrong against the key ({fixed(blank['value'], scheme['decimals'])}), "
                        f"but right from your own earlier answers "
                        f"({fixed(carried, scheme['decimals'])}): error carried forward")
    for rule in blank["mistakes"]:
        slack = rule.get("slack")
        for candidate in rule["candidates"]:
            v = evaluate(candidate, own)
            if v is None:
                continue
            allowed = None if slack is None else evaluate(slack, own)
            if (close(v) if slack is None else allowed is not None and abs(given - v) <= allowed):
                return _incorrect(scheme, m, rule["diagnosis"])
    return _incorrect(scheme, m, None)


def _exact_mistake(scheme: dict, blank: dict, m: Mark, own) -> Mark | None:
    places = decimals_of(m.given)

    def gives(tree) -> bool:
        v = evaluate(tree, own)
        return v is not None and rounds_to(m.given, v, places)

    if any(gives(t) for t in [blank["value"], blank["exact"], *blank["right"]]):
        return None
    for rule in blank["exact_mistakes"]:
        if any(gives(t) for t in rule["candidates"]):
            return _incorrect(scheme, m, rule["diagnosis"])
    return None


def _verdict(m: Mark, verdict: str, message: str) -> Mark:
    m.verdict, m.message = verdict, message
    return m


def _incorrect(scheme: dict, m: Mark, diagnosis: str | None) -> Mark:
    m.verdict, m.diagnosis = "incorrect", diagnosis
    m.message = f"expected {fixed(m.expected, scheme['decimals'])}" + (
        f": {scheme['messages'][diagnosis]}" if diagnosis else "")
    return m


def _close(tolerance: dict, given: float):
    return lambda expected: abs(given - expected) <= max(tolerance["abs"],
                                                         tolerance["rel"] * abs(expected))


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
