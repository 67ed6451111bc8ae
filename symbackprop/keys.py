"""KEY.json files: read with a size bound and checked against their schema before any marking.

A key is written by `build`, but the file `check` is given may have been edited, truncated or
made up. Every part the marking reads is checked first, with the same rules (and messages) as a
definition, so that a bad key is one line naming the file and the key path, never a traceback
or a mark against nonsense. No SymPy: `check KEY.json` stays fast.

>>> key = validate({"definition": {"network": {"layers": [1, 1], "activation": ["identity"],
...     "loss": "half_sse", "bias": "none"}, "values": {"inputs": [2.0], "targets": [1.0],
...     "weights": [[[3.0]]], "biases": None}, "learning_rate": 0.1},
...     "answers": [{"label": "a", "name": "net[1][1]", "value": 6.0, "exact": 6.0}]}, "k.json")
>>> key.by_label["a"]["name"]
'net[1][1]'
>>> validate({"definition": {}, "answers": []}, "k.json")
Traceback (most recent call last):
...
symbackprop.definition.DefinitionError: k.json: definition.network: is required but missing
"""

from __future__ import annotations

import json
import re

from . import check, definition
from .definition import LESSONS, DefinitionError

MAX_BYTES = 16 * 2**20  # a key of the largest network the engine admits is a few MB
MAX_ANSWERS = 10_000
LARGEST = 1e15  # no number on a worksheet comes near this; beyond it marking arithmetic overflows
_LABEL = re.compile(r"[a-z]{1,4}")


def read(path: str) -> check.Key:
    """Read, parse and validate a KEY.json file."""
    data = _parse(_read_bounded(path), path)
    return validate(data, path)


def _read_bounded(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DefinitionError(path, "", f"cannot read the key ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise DefinitionError(path, "", f"larger than {MAX_BYTES // 2**20} MiB: not a key "
                              "written by 'symbackprop build'")
    return raw


def _parse(raw: bytes, path: str):
    def refuse(constant: str):
        raise ValueError(f"{constant} is not a number a key can hold")

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=refuse)
    except UnicodeDecodeError:
        problem = "is not UTF-8 text"
    except RecursionError:
        problem = "is nested too deeply"
    except ValueError as exc:
        problem = f"is not JSON ({exc})"
    raise DefinitionError(path, "", f"{problem}: not a key written by 'symbackprop build'")


def validate(data, source: str) -> check.Key:
    """A Key whose every part the marking reads has been checked; DefinitionError otherwise."""
    checker = _KeyChecker(source)
    top = checker.mapping(data, "", ("definition", "seed", "version", "answers"),
                          required=("definition", "answers"))
    network = checker.sheet(top["definition"])
    for key in ("seed", "version"):
        if top.get(key) is not None:
            checker.whole(top[key], key, 0, 2**63 - 1)
    checker.answers(top["answers"], network)
    return check.Key.from_json(data)


class _KeyChecker(definition._Checker):
    """The definition schema, read at the key path 'definition', plus the answers."""

    def sheet(self, value) -> definition.Network | None:
        if isinstance(value, dict) and value.get("kind", "backprop") != "backprop":
            self.lesson_sheet(value)
            return None
        try:
            defn = self.definition(value)
        except DefinitionError as exc:
            raise DefinitionError(self.source, definition._join("definition", exc.key),
                                  exc.problem) from None
        values = defn.values
        if not values.complete or (values.biases is None and defn.network.bias != "none"):
            self.fail("definition.values", "a key must give every number (inputs, targets, "
                      "weights and biases)")
        return defn.network

    def lesson_sheet(self, value) -> None:
        top = self.mapping(value, "definition", ("title", "kind", "decimals", "lesson"),
                           required=("kind",))
        self.choice(top["kind"], "definition.kind", LESSONS)
        self.whole(top.get("decimals", 4), "definition.decimals", 0, 12)

    def answers(self, value, network: definition.Network | None) -> None:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_ANSWERS:
            self.fail("answers", f"must be a list of 1 to {MAX_ANSWERS} answers")
        labels, names = set(), set()
        for i, entry in enumerate(value):
            key = f"answers[{i}]"
            a = self.mapping(entry, key, ("label", "name", "value", "exact"),
                             required=("label", "name", "value", "exact"))
            label, name = a["label"], a["name"]
            if not isinstance(label, str) or not _LABEL.fullmatch(label) or label in labels:
                self.fail(f"{key}.label", f"must be a new label like a, b, ..., aa, got "
                          f"{definition._show(label)}")
            if not isinstance(name, str) or not 0 < len(name) <= 200 or name in names:
                self.fail(f"{key}.name", f"must be a new name, got {definition._show(name)}")
            if network is not None:
                self.answer_name(name, network, f"{key}.name")
            for part in ("value", "exact"):
                if abs(self.number(a[part], f"{key}.{part}")) > LARGEST:
                    self.fail(f"{key}.{part}", f"{a[part]!r} is larger than any worksheet "
                              "number")
            labels.add(label)
            names.add(name)

    def answer_name(self, name: str, network: definition.Network, key: str) -> None:
        """A quantity of this network; a path of a sum is 'dJ/d... via net[l][j]'."""
        head, _, via = name.partition(" via ")
        fail = lambda problem: self.fail(key, problem)  # noqa: E731
        definition.check_name(head, network, fail, updated=True)
        if via:
            if not via.startswith("net["):
                fail(f"'{name}': a path goes via a neuron's net, like net[2][1]")
            definition.check_name(via, network, fail)
