"""A key's scheme against the one a build writes from its definition: the parts the marking
reads beside the trees, each blank's exact value and band (the answers it accepts) and the
values the trees refer to. A key whose band was widened by hand, or whose scheme.values were
edited, would mark against them in silence; agreement.py refuses it, naming the part.

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
    return None if model is None else _values(key, scheme, model, unit)


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
