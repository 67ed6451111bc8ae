"""The marking scheme of a key, written down from the marking model by tracing its arithmetic.

For each blank: its value and tolerance; how it is recomputed from the quantities before it (an
expression tree over their names, for carried-forward credit); the right working's other forms;
and each known mistake, in the order `check` tries them, as trees and as the numbers a student
who makes the mistake throughout arrives at. Numbers that need no student answer are computed
here once; trees are what the interpreters (scheme.py, the page's script) evaluate on a
student's own answers.

>>> from symbackprop.marking.check import _EXAMPLE, Key
>>> s = scheme_of(Key.from_json(_EXAMPLE))
>>> [b["name"] for b in s["blanks"]]
['net[1][1]', 'out[1][1]', 'J']
>>> s["blanks"][1]["recompute"]
['div', 1.0, ['add', 1.0, ['exp', ['neg', ['ref', 'net[1][1]']]]]]
>>> [r["diagnosis"] for r in s["blanks"][1]["mistakes"]][:2]
['sign', 'sigmoid_of_negative']
"""

from __future__ import annotations

import hashlib
import json
import math

from ..definitions.canonical import SHAPE
from .check import MISTAKES, Key
from .recompute import COMMON_RATES, Model, _short
from .recompute import of as model_of
from .trace import TracedOps, ref, tree_of

SCHEME_VERSION = 1


def with_scheme(key_json: dict) -> dict:
    """A key.json object with its marking scheme added (computed from the key as written)."""
    written = json.loads(json.dumps(key_json, allow_nan=False))
    return written | {"scheme": scheme_of(Key.from_json(written))}


def scheme_of(key: Key) -> dict:
    """The whole sheet's scheme: blanks, the key's values the trees refer to, the messages."""
    if "network" not in key.definition:  # a lesson page: marked by value alone
        blanks = [_value_blank(key, a) for a in key.answers]
    else:
        model, traced = model_of(key), model_of(key, ops=TracedOps)
        blanks = [_blank(key, model, traced, a) for a in key.answers]
    names = sorted(_refs(blanks))
    values = {}
    if "network" in key.definition:
        model = model_of(key)
        values = {n: v for n in names if (v := model.key_value(n)) is not None}
    body = {"version": SCHEME_VERSION, "decimals": key.decimals, "messages": MISTAKES,
            "values": values, "blanks": blanks}
    # the page keeps a student's typing under this id: one sheet, one version, one store
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return {"id": digest} | body


def _tolerance(key: Key) -> dict:
    """Half a unit in the last printed decimal, or 0.5 % relative: the larger."""
    return {"abs": 0.5 * 10 ** -key.decimals, "rel": 0.005}


def _step_tolerance(key: Key, model: Model, a: dict) -> dict:
    """A parameter after one step: 0.5 % of the step, not of the parameter, since a step is
    often smaller than 0.5 % of the weight (the old weight must not pass for the new one)."""
    step = abs(model._param(a["name"][4:]) - a["exact"])
    return {"abs": max(0.5 * 10 ** -key.decimals, 0.005 * step), "rel": 0.0}


def _value_blank(key: Key, a: dict) -> dict:
    return {"label": a["label"], "name": a["name"], "value": a["value"], "exact": a["exact"],
            "tolerance": _tolerance(key), "recompute": None, "right": [],
            "exact_mistakes": [], "mistakes": [], "points": 1,
            "working": f"{a['name']} = {_short(a['value'])}"}


def _blank(key: Key, model: Model, traced: Model, a: dict) -> dict:
    name = a["name"]
    if SHAPE.match(name):
        return _shape_blank(key, model, a)

    def tree(mode=None):
        value = traced.value(name, ref, mode)
        return None if value is None else tree_of(value)

    modes = model.modes()
    exact_mistakes = [_rule(mode, tree(mode), model.mistaken(name, mode),
                            model.recompute(name, mode, None)) for mode in modes]
    mistakes = [_rule("sign", -a["value"])]
    mistakes += [_rule(mode, tree(mode), model.mistaken(name, mode)) for mode in modes]
    if name.startswith("new "):
        mistakes += _rate_rules(model, name)
    mistakes.append(_rule("rounded_too_early", *(model.mistaken(name, None, d)
                                                 for d in range(model.decimals - 1, 0, -1))))
    return {"label": a["label"], "name": name, "value": a["value"], "exact": a["exact"],
            "tolerance": _step_tolerance(key, model, a) if name.startswith("new ")
            else _tolerance(key), "recompute": tree(),
            "right": [t for t in (tree(), model.recompute(name, None, None)) if t is not None],
            "exact_mistakes": [r for r in exact_mistakes if r["candidates"]],
            "mistakes": [r for r in mistakes if r["candidates"]],
            "points": key.definition.get("points", {}).get(name, 1),
            "working": model.working(name, model.key_value)}


def _shape_blank(key: Key, model: Model, a: dict) -> dict:
    """A matrix's rows or columns: a whole number, and the other one where they differ (a
    student who swapped rows and columns)."""
    which, matrix, l = SHAPE.match(a["name"]).groups()
    rows, columns = model.shape(matrix, int(l))
    other = float(columns if which == "rows" else rows)
    shown = "δ" if matrix == "delta" else "∂J/∂W"
    return _value_blank(key, a) | {
        "tolerance": {"abs": 0.0, "rel": 0.0},  # a whole number: 3.99 rows is not 4
        "recompute": a["value"], "right": [a["value"]],
        "mistakes": [_rule("transposed", other)] if other != a["value"] else [],
        "points": key.definition.get("points", {}).get(a["name"], 1),
        "working": f"{shown} of layer {l} is {rows}×{columns}: {rows} rows, {columns} "
                   f"column{'s' if columns > 1 else ''}"}


def _rule(mode: str, *candidates) -> dict:
    return {"diagnosis": mode.split("#")[0],
            "candidates": [c for c in candidates if c is not None]}


def _rate_rules(model: Model, name: str) -> list[dict]:
    """A step with another common learning rate: old − r·(your gradient), within 2 % of r."""
    p = name[4:]
    grad = ["nonzero", ["ref", f"dJ/d{p}"]]  # no rate can be read off a zero gradient
    old = model._param(p)
    return [{"diagnosis": "wrong_learning_rate",
             "candidates": [["sub", old, ["mul", r, grad]]],
             "slack": ["abs", ["mul", 0.02 * r, grad]]}
            for r in COMMON_RATES if not math.isclose(r, model.eta)]


def _refs(blanks: list[dict]) -> set[str]:
    """Every name the blanks' trees refer to (walked with a stack: a class set walks a few
    hundred thousand nodes, and a set for each cost a tenth of a version's time)."""
    names: set[str] = set()
    stack: list = list(blanks)
    while stack:
        tree = stack.pop()
        if isinstance(tree, dict):
            stack.extend(tree.values())
        elif isinstance(tree, list):
            if len(tree) == 2 and tree[0] == "ref" and isinstance(tree[1], str):
                names.add(tree[1])
            else:
                stack.extend(tree)
    return names
