"""How the Python API's objects show themselves in a notebook: HTML with the network diagram
(SVG), the mathematics in MathML, and tables of numbers. No script: notebooks may not run one.

>>> partial("dout[2][1]/dnet[2][1]", "numbered", (2, 2, 2))
'\\\\frac{\\\\partial \\\\mathrm{out}_{o1}}{\\\\partial \\\\mathrm{net}_{o1}}'
"""

from __future__ import annotations

from html import escape

from ..formats.latex import symbol
from ..formats.mathml import math


def partial(target: str, notation: str, layers: tuple[int, ...]) -> str:
    """LaTeX ∂top/∂bottom for a step's target such as 'dJ/dW[2][1][1]' or 'dJ/db[2] via
    net[2][1]' (a path: the via is left out, the table says it). A network on an image
    (notation "canonical") writes its names as they are, upright."""
    top, bottom = (n if n == "J" else _upright(n) if notation == "canonical"
                   else symbol(n, notation, layers)
                   for n in target.split(" via ")[0][1:].split("/d", 1))
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def _upright(name: str) -> str:
    """A canonical name in LaTeX as written: K[1][1][1][2][2] with its brackets."""
    return r"\mathrm{" + name.replace("[", "{[}").replace("]", "{]}") + "}"


def result_html(result) -> str:
    d, v = result.definition, result.verified
    notation, layers = ("canonical", ()) if d.layered else (d.notation, d.network.layers)
    updated = result.updated
    rows = "".join(f"<tr><td>{_math(partial(f'dJ/d{p}', notation, layers))}</td>"
                   f"<td>{g:.9g}</td><td>{updated[p]:.9g}</td></tr>"
                   for p, g in list(v.grads.items())[:_MAX_ROWS])
    more = len(v.grads) - _MAX_ROWS
    note = f"<p>… and {more:,} more (result.grad has them all)</p>" if more > 0 else ""
    outputs = ", ".join(f"{y:.9g}" for y in result.outputs[:_MAX_ROWS])
    return (f"<div><p><strong>{escape(d.title)}</strong>: "
            f"{escape(repr(result)[1:-1])}</p>{_diagram(d, v)}"
            f"<p>J = {result.loss:.9g}; outputs {outputs}</p>"
            f"<table><thead><tr><th>gradient</th><th>value</th><th>after one step "
            f"(η = {d.learning_rate:g})</th></tr></thead><tbody>{rows}</tbody></table>{note}"
            f"<p>{escape(_verified(v))}</p></div>")


def gradient_html(g) -> str:
    rows = "".join(f"<tr><td>{_math(partial(n, g.notation, g.layers))}</td>"
                   f"<td>{escape(n)}</td><td>{x:.9g}</td></tr>" for n, x in g.factors)
    kind = "paths, added" if g.paths else "factors, multiplied"
    return (f"<div>{math(g.latex(), display=True)}<table><thead><tr><th colspan=\"2\">{kind}"
            f"</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<details><summary>as derive prints it</summary><pre>{escape(g.text)}</pre>"
            "</details></div>")


def proof_html(p) -> str:
    from ..formats.html import _proof

    view = _proof(p)
    steps = "".join(f"<tr><td>{s['math']}</td><td>{escape(s['reason'])}</td></tr>"
                    for s in view["steps"])
    given = f"<p>{escape(view['given'])}</p>" if view["given"] else ""
    return (f"<div><p><strong>{escape(view['title'])}</strong> (checked by SymPy, step by step)"
            f"</p>{given}<table><tbody>{steps}</tbody></table></div>")


_MAX_ROWS = 40  # a notebook cell, not a report: the rest is in the object


def _math(latex: str) -> str:
    return math(latex)


def _diagram(d, v) -> str:
    """The network as on the practice page, for a network small enough to print."""
    from ..files import classset
    from ..formats.html import diagram_base64
    from ..sheets import worksheet as sheet

    try:
        classset.check_printable(d)
    except ValueError:
        return ""
    data = diagram_base64(sheet.build(d, v))
    label = f"Diagram of the {'-'.join(map(str, d.network.layers))} network"
    return f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{label}"></figure>'


def _verified(v) -> str:
    from ..engine.report import verification_text

    return verification_text(v)
