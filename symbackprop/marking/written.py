"""A key's scheme against the one a build writes from its definition: the parts the marking
reads beside the trees, each blank's exact value and band (the answers it accepts) and the
values the trees refer to; of a key without a network (a convolution, optimizer or lesson
sheet's), the fingerprints of the definition its scheme was worked from. A key whose band was
widened by hand, whose scheme.values were edited, or whose kernel was corrected in its
definition alone, would mark against the old in silence; agreement.py refuses it, naming the
part.

>>> from symbackprop.marking.key import _EXAMPLE, Key
>>> from symbackprop.marking.scheme_writer import with_scheme
>>> data = with_scheme(_EXAMPLE)  # its exact values are written to 8 digits
>>> differences(Key.from_json(data), data["scheme"], model_of(Key.from_json(data)))[1][:76]
'blank (b) out[1][1]: its exact value is 0.59326999 in the key, but its defin'
>>> model = model_of(Key.from_json(data))
>>> for a in data["answers"]:
...     a["exact"] = model.recompute(a["name"], None, None)
>>> data = with_scheme(data)
>>> differences(Key.from_json(data), data["scheme"], model) is None
True
>>> data["scheme"]["blanks"][2]["tolerance"]["hi"] = 1e6
>>> where, problem = differences(Key.from_json(data), data["scheme"], model)
>>> where, problem[:62]
('scheme.blanks[2].tolerance', "blank (c) J: its band's 'hi' is 1000000 in the key, but its de")
"""

from __future__ import annotations

import hashlib
import json

from .batch_matrix import of as model_of  # noqa: F401 - the doctest's
from .scheme_writer import tolerances

# what the teacher can do: the key is written from the definition, so it is written again
EDITED = "the key was edited in one place only; build it again from its definition"


def differences(key, scheme: dict, model) -> tuple[str, str] | None:
    """(key path, problem) of the first part of `scheme` that is not what the key's
    definition and answers make of it, or None. `model`: the network's marking model (None
    for a sheet without a network, whose exact values and values are its own)."""
    unit = 10.0 ** -key.decimals
    for i, (a, b) in enumerate(zip(key.answers, scheme["blanks"])):
        said = f"blank ({a['label']}) {a['name']}"
        exact = None if model is None else model.recompute(a["name"], None, None)
        if exact is not None and not _same(b["exact"], exact, unit):
            return f"scheme.blanks[{i}].exact", (
                f"{said}: its exact value is {short(b['exact'])} in the key, but its "
                f"definition makes it {short(exact)}: {EDITED}")
    for i, (b, band) in enumerate(zip(scheme["blanks"], tolerances(key))):
        tol = b["tolerance"]
        for part in band:
            if part not in tol or not _same(tol[part], band[part], unit):
                return f"scheme.blanks[{i}].tolerance", (
                    f"blank ({b['label']}) {b['name']}: its band's '{part}' is "
                    f"{short(tol.get(part))} in the key, but its definition makes it "
                    f"{short(band[part])}: {EDITED}")
        if set(tol) - set(band):
            return f"scheme.blanks[{i}].tolerance", (
                f"blank ({b['label']}) {b['name']}: its band has "
                f"'{sorted(set(tol) - set(band))[0]}', which its definition does not make: "
                f"{EDITED}")
    return _worked_from(key, scheme) if model is None else _values(key, scheme, model, unit)


def worked_from(definition: dict) -> dict[str, str]:
    """What a convolution, optimizer or lesson key's scheme holds of the definition it was
    worked from: a fingerprint of its kind and of each part of its `lesson` (a kernel, a
    learning rate, a cost), by key path. Its blanks' trees hold the given numbers as numbers,
    and no stage before the sheets works such a sheet again, so an edit of one part (the
    kernel corrected in the key) is told by its fingerprint. A number is read as the float
    it is (a tool that saves 1.0 as 1 changes nothing).

    >>> made = worked_from({"kind": "optimizer", "lesson": {"learning_rate": 0.1, "bias": 1}})
    >>> sorted(made), made == worked_from({"kind": "optimizer", "lesson": {"bias": 1.0,
    ...                                    "learning_rate": 0.1}})
    (['kind', 'lesson.bias', 'lesson.learning_rate'], True)
    >>> made["lesson.learning_rate"] == worked_from({"lesson": {"learning_rate": 0.5}})[
    ...     "lesson.learning_rate"]
    False
    """
    lesson = definition.get("lesson")
    parts = {f"lesson.{k}": v for k, v in lesson.items()} if isinstance(lesson, dict) else {
        "lesson": lesson}
    return {where: _fingerprint(value) for where, value in
            ({"kind": definition.get("kind")} | parts).items()}


def _fingerprint(value) -> str:
    text = json.dumps(_plain(value), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value):
    """`value` with every number a float, as JSON of any tool reads back the same."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return {str(k): _plain(v) for k, v in value.items()}


def _worked_from(key, scheme: dict) -> tuple[str, str] | None:
    """A key without a network: each part of its definition is the one its scheme was
    worked from (a key whose scheme holds no fingerprints, an older build's, is not held
    against its definition)."""
    held = scheme.get("worked_from")
    if held is None:
        return None
    try:
        made = worked_from(key.definition)
    except RecursionError:
        return "definition.lesson", f"is nested too deeply: {EDITED}"
    for part in sorted(set(held) | set(made)):
        if part not in made:
            return f"definition.{part}", f"is missing, but its scheme was worked from one: {EDITED}"
        if held.get(part) != made[part]:
            said = "is not the one" if part in held else "is not part of what"
            return f"definition.{part}", (f"{said} its scheme and answers were worked from: "
                                          f"{EDITED}")
    return None


def _values(key, scheme: dict, model, unit: float) -> tuple[str, str] | None:
    """The given numbers and the quantities a sheet does not ask for, as the trees read
    them, are what the definition makes (a blank's own, its value in the answers)."""
    for name, value in scheme["values"].items():
        made = model.key_value(name)
        if made is None or not _same(value, made, unit):
            return f"scheme.values.{name[:60]}", (
                f"is {short(value)}, but its definition makes "
                f"{'nothing of it' if made is None else short(made)}: {EDITED}")
    return None


def _same(a: float, b: float, unit: float) -> bool:
    """One number, as one machine's floating point and another's may differ: a part in 10^9
    of it or of the sheet's unit, far below what any rounding or band turns on."""
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), unit)


def short(value) -> str:
    """A key's number in a message: enough digits to tell an edit apart."""
    return "nothing" if value is None else f"{value:.10g}"
