"""Canonical names, the one spelling of every quantity: `J`, `x[k]`, `t[j]`, `net[l][j]`,
`out[l][j]`, `W[l][j][k]`, `b[l]` or `b[l][j]`, derivatives `dA/dB`, and `new`/`delta` of a
parameter after one step; and an author's own labels (`names:`) resolved to them.
"""

from __future__ import annotations

import re

LABEL = re.compile(r"[^\s/\[\]]+")  # an author's label: one word, no '/', '[' or ']'


def resolve(written: str, names: dict[str, str]) -> str:
    """An author's name for a quantity, in canonical names: labels replaced through `names`.

    >>> resolve("new w5", {"w5": "W[2][1][1]"}), resolve("dJ/dw5", {"w5": "W[2][1][1]"})
    ('new W[2][1][1]', 'dJ/dW[2][1][1]')
    """
    if written in names:
        return names[written]
    for prefix in ("new ", "delta "):
        if written.startswith(prefix):
            return prefix + resolve(written[len(prefix):], names)
    deriv = re.fullmatch(r"d(J|[^/]+)/d([^/]+)", written)
    if deriv and (deriv.group(1) in names or deriv.group(2) in names):
        top, bottom = (names.get(part, part) for part in deriv.groups())
        return f"d{top}/d{bottom}"
    return written


_QUANTITY = re.compile(r"^(new |delta )?(W|b|net|out|x|t)((?:\[[1-9][0-9]*\])+)$")
_DERIVATIVE = re.compile(r"^d(J|(?:net|out)(?:\[[1-9][0-9]*\])+)/d(.+)$")


def check_name(name, network, fail, updated: bool = False) -> None:
    """Fail unless `name` is a canonical name of this network.

    Quantities: J, x[k], t[j], net[l][j], out[l][j], W[l][j][k], b[l] or b[l][j];
    'new W[l][j][k]' is a parameter after one step and 'delta W[l][j][k]' its change in that
    step (new − old = −η·∂J/∂W); 'dA/dB' is a derivative of A by B.
    With updated=False only quantities, dJ/d(parameter) and δ = dJ/dnet[l][j] are allowed.
    """
    example = "(like J, out[1][2], W[2][1][1], dJ/dW[2][1][1] or dout[2][1]/dnet[2][1])"
    if not isinstance(name, str):
        fail(f"{_show(name)} is not a canonical name {example}")
    deriv = _DERIVATIVE.match(name)
    if deriv:
        top, bottom = deriv.groups()
        if not updated and (top != "J" or not bottom.startswith(("W", "b", "net"))):
            fail(f"'{name}' must be a gradient dJ/dW[..] or dJ/db[..], or a δ dJ/dnet[..]")
        for part in (top, bottom):
            if part.startswith("new ") or part in ("x", "t") or part[0] in "xt":
                fail(f"'{name}' is not a derivative this engine takes")
            check_name(part, network, fail, updated=False)
        return
    if name == "J":
        return
    m = _QUANTITY.match(name)
    if not m:
        fail(f"'{name}' is not a canonical name {example}")
    new, kind, idx = m.group(1), m.group(2), [int(i) for i in re.findall(r"\d+", m.group(3))]
    if new and not (updated and kind in "Wb"):
        fail(f"'{name}': only parameters have a '{new.strip()}' value after a step")
    L, sizes = network.depth, network.layers
    ok = {
        "x": len(idx) == 1 and idx[0] <= sizes[0],
        "t": len(idx) == 1 and idx[0] <= sizes[-1],
        "net": len(idx) == 2 and idx[0] <= L and idx[1] <= sizes[min(idx[0], L)],
        "W": len(idx) == 3 and idx[0] <= L and idx[1] <= sizes[min(idx[0], L)]
        and idx[2] <= sizes[idx[0] - 1],
    }
    ok["out"] = ok["net"]
    shared = network.bias == "shared"
    ok["b"] = network.bias != "none" and idx[0] <= L and (
        len(idx) == 1 if shared else len(idx) == 2 and idx[1] <= sizes[min(idx[0], L)])
    if not ok[kind]:
        fail(f"'{name}' names nothing in a {'-'.join(map(str, sizes))} network"
             + (" with a shared bias per layer (b[l])" if kind == "b" and shared else "")
             + (" without biases" if kind == "b" and network.bias == "none" else ""))


def _show(value) -> str:
    from .definition import _show as show  # the schema's way of quoting what a user wrote

    return show(value)
