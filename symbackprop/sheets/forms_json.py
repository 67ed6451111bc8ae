"""Forms as JSON: a key.json carries each line of the key, for a page made from the key alone
(a marked student's feedback), read back strictly (the key may have been edited)."""

from __future__ import annotations

import math

from ..marking.key import MAX_TEXT
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
    for name, value in zip(fields, values):
        if not _KIND_OF[cls.__dataclass_fields__[name].type](value):
            raise BadForm(f"a {data[0]}'s {name} is not {cls.__dataclass_fields__[name].type}")
    if cls is Number and (not math.isfinite(values[0]) or any(
            p is not None and not 0 <= p <= 20 for p in values[1:])):
        raise BadForm("not a number a sheet prints")  # finite, with a sheet's decimals
    if cls is Ops and (not values[0] or len(values[1]) != len(values[0]) - 1
                       or any(op not in OPS for op in values[1])):
        raise BadForm("an Ops has one operator fewer than its items, each a known one")
    if cls is Equation and len(values[0]) < 2:
        raise BadForm("an Equation has two sides or more")
    if cls in (Symbol, Apply, Sigma) and not values[0]:
        raise BadForm(f"a {data[0]} without its letter")
    return cls(*values)


OPS = ("+", "−", "·", "⊙", "×", ",", "", "←")  # the operators every printer writes


def _is_form(v) -> bool:
    return isinstance(v, Form)


_KIND_OF = {  # each field's annotation in forms.py, as a test of a value read back
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "int | None": lambda v: v is None or isinstance(v, int) and not isinstance(v, bool),
    "Form": _is_form,
    "Form | str | None": lambda v: v is None or isinstance(v, str) or _is_form(v),
    "tuple[Form, ...]": lambda v: isinstance(v, tuple) and all(map(_is_form, v)),
    "tuple[str, ...]": lambda v: isinstance(v, tuple) and all(isinstance(x, str) for x in v),
}


def read(data, notation: str, layers: tuple[int, ...] | None) -> Form:
    """A key's line of working, checked as from_json does and each name in it as one the
    sheet's notation writes (symbol_of); BadForm for anything else (an edited key)."""
    from .notation import symbol_of

    form = from_json(data)
    stack = [form]
    while stack:
        f = stack.pop()
        if isinstance(f, Name):
            try:
                symbol_of(f.canonical, notation, layers)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                raise BadForm(f"{f.canonical!r} is not a quantity of the sheet") from None
        for v in vars(f).values():
            stack.extend(x for x in (v if isinstance(v, tuple) else (v,)) if _is_form(x))
    return form


def _field(value, depth: int):
    if isinstance(value, list) and value and isinstance(value[0], str) and value[0] in _KINDS:
        return from_json(value, depth + 1)
    if isinstance(value, list):
        return tuple(_field(v, depth) for v in value)
    if not isinstance(value, (str, int, float, type(None))):  # bool is an int: a prime's flag
        raise BadForm("not a form's part")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise BadForm(f"a form's text is at most {MAX_TEXT} characters")
    return value
