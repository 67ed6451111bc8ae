"""A key's parts say one thing: its answers, its marking scheme and (a network sheet's) its
definition each hold every blank's value, and the marking reads only the scheme. A key edited
by hand in one place (a teacher correcting answers[0].value, or a weight of the definition)
would be marked by the others in silence: against a value the key no longer states, or one its
own numbers no longer make. So a key whose parts disagree is refused, naming the blank (a
convolution, optimizer or lesson key's definition, which is not worked again here, is held
against the fingerprints its scheme keeps of it: written.worked_from).

>>> from symbackprop.marking.key import _EXAMPLE, Key
>>> disagreement(Key.from_json(_EXAMPLE)) is None
True
>>> edited = json.loads(json.dumps(_EXAMPLE))
>>> edited["definition"]["values"]["weights"] = [[[0.5]]]
>>> where, problem = disagreement(Key.from_json(edited))
>>> where, problem[:66]
('answers[0]', 'blank (a) net[1][1] is 0.3775 in the key, but its definition makes')
"""

from __future__ import annotations

import json  # noqa: F401 - the doctest's

from . import written
from .batch_matrix import of as model_of
from .check import scheme_for
from .scheme import evaluate, within, zero_at
from .written import EDITED, short


def disagreement(key) -> tuple[str, str] | None:
    """(key path, problem) of the first blank whose answer, scheme and definition disagree,
    or None (a key that carries no scheme has one written down from its definition here)."""
    given = key.given_scheme is not None  # one written down here is the definition's own
    scheme = scheme_for(key)
    if scheme["decimals"] != key.decimals:  # every band is worked to the definition's
        return "scheme.decimals", (f"is {scheme['decimals']}, but its definition says "
                                   f"decimals: {key.decimals}: {EDITED}")
    blanks = {b["name"]: b for b in scheme["blanks"]}
    decimals = scheme["decimals"]
    model = model_of(key) if "network" in key.definition else None
    made = _made(model)
    for i, a in enumerate(key.answers):
        b = blanks[a["name"]]
        where, said = f"answers[{i}]", f"blank ({a['label']}) {a['name']}"
        if (a["value"], a["exact"]) != (b["value"], b["exact"]):
            return where, (f"{said} is {short(a['value'])} in the answers, but "
                           f"{short(b['value'])} in the scheme (scheme.blanks[{i}]): {EDITED}")
        if not _accepts(b, b["value"], decimals):
            return f"scheme.blanks[{i}]", (f"{said}: its value {short(b['value'])} is not an "
                                           f"answer its scheme accepts: {EDITED}")
        value = made(a["name"])
        if value is not None and not _accepts(b, value, decimals):
            return where, (f"{said} is {short(a['value'])} in the key, but its definition "
                           f"makes it {short(value)}: {EDITED}")
    found = written.differences(key, scheme, model) if given else None
    return found or _recomputed(scheme)


def _made(model):
    """A network sheet's blank as its definition's numbers make it, every step rounded as the
    sheet says (None where it cannot be worked out, and for a sheet without a network)."""
    if model is None:
        return lambda name: None

    def value(name: str) -> float | None:
        try:
            return model.mistaken(name, None)
        except (ValueError, ArithmeticError, IndexError, KeyError):
            return None
    return value


def _accepts(blank: dict, value: float, decimals: int) -> bool:
    """The scheme marks `value` correct for `blank`, as scheme.judge's first rule does."""
    tol = blank["tolerance"]
    return within(value, tol["lo"], tol["hi"], tol["half"]) or value == 0 and zero_at(
        blank, decimals)


def _recomputed(scheme: dict) -> tuple[str, str] | None:
    """Each blank's recomputation from the key's own earlier values is accepted as the blank:
    a value edited in the answers and the scheme both is still not what the blanks before it
    make (a lesson's or a hand-worked sheet's scheme holds its given numbers)."""
    values = {b["name"]: b["value"] for b in scheme["blanks"]}
    own = lambda name: values.get(name, scheme["values"].get(name))  # noqa: E731
    for i, b in enumerate(scheme["blanks"]):
        if b["recompute"] is None:
            continue
        value = evaluate(b["recompute"], own)
        if value is not None and not _accepts(b, value, scheme["decimals"]):
            return f"scheme.blanks[{i}]", (
                f"blank ({b['label']}) {b['name']} is {short(b['value'])} in the key, but the "
                f"blanks before it make it {short(value)}: {EDITED}")
    return None
