"""Forms as JSON: a key.json carries each line of the key, for a page made from the key alone
(a marked student's feedback), read back strictly (the key may have been edited)."""

from __future__ import annotations

import math

from .forms import (
    Apply,
    Equation,
    Expr,
    Form,
    Frac,
    Group,
    Name,
    Neg,
    Number,
    Ops,
    Partial,
    Power,
    Scripted,
    Sigma,
    Symbol,
    Text,
)

_KINDS = {cls.__name__: cls for cls in (Name, Symbol, Number, Text, Partial, Frac, Apply, Ops,
                                        Neg, Power, Group, Scripted, Sigma, Equation)}
MAX_DEPTH = 60  # a line's tree: a net of 16 inputs is 5 deep


def to_json(form: Form):
    """A form as plain data: [kind, field, ...] (an Expr as the forms it is written with).

    >>> to_json(Equation((Name("J"), Number(0.25, 4))))
    ['Equation', [['Name', 'J'], ['Number', 0.25, 4, None]]]
    """
    if isinstance(form, Expr):
        from .expressions import form_of  # SymPy: only a key's writer needs it, never check

        return to_json(form_of(form.expr, example=form.example))
    out = [type(form).__name__]
    for value in vars(form).values():
        if isinstance(value, Form):
            out.append(to_json(value))
        elif isinstance(value, tuple):
            out.append([to_json(v) if isinstance(v, Form) else v for v in value])
        else:
            out.append(value)
    return out


class BadForm(ValueError):
    """Data that is not a form (an edited key)."""


def from_json(data, depth: int = 0) -> Form:
    """The form `to_json` wrote; BadForm for anything else.

    >>> from_json(['Ops', [['Number', 0.1, None, None], ['Name', 'x[1]']], ['·']])
    Ops(items=(Number(value=0.1, decimals=None, significant=None), Name(canonical='x[1]')), \
ops=('·',))
    >>> from_json(to_json(Apply("σ", (Name("net[1][1]"),), prime=True)))
    Apply(function='σ', arguments=(Name(canonical='net[1][1]'),), prime=True)
    """
    if depth > MAX_DEPTH or not isinstance(data, list) or not data or data[0] not in _KINDS:
        raise BadForm("not a form")
    cls = _KINDS[data[0]]
    fields = list(cls.__dataclass_fields__)
    if len(data) - 1 != len(fields):
        raise BadForm(f"a {data[0]} has {len(fields)} parts")
    values = [_field(v, depth) for v in data[1:]]
    if cls is Number:  # a number a page can print: finite, with a sheet's decimals
        value, *places = values
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(value) or any(
                p is not None and not (isinstance(p, int) and 0 <= p <= 20) for p in places):
            raise BadForm("not a number a sheet prints")
    try:
        return cls(*values)
    except TypeError as exc:
        raise BadForm(str(exc)) from None


def _field(value, depth: int):
    if isinstance(value, list) and value and isinstance(value[0], str) and value[0] in _KINDS:
        return from_json(value, depth + 1)
    if isinstance(value, list):
        return tuple(_field(v, depth) for v in value)
    if not isinstance(value, (str, int, float, type(None))):  # bool is an int: a prime's flag
        raise BadForm("not a form's part")
    if isinstance(value, str) and len(value) > 200:
        raise BadForm("a form's text is at most 200 characters")
    return value
