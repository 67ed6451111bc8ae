"""How the Python API's objects show themselves in a notebook: HTML with the network diagram
(SVG), the mathematics in MathML, and tables of numbers. No script: notebooks may not run one.

>>> partial("dJ/db[2] via net[2][1]")
Partial(top=Name(canonical='J'), bottom=Name(canonical='b[2]'))
"""

from __future__ import annotations

from html import escape

from ..formats.mathml import MathML
from ..sheets.forms import Name, Partial


def partial(target: str) -> Partial:
    """∂top/∂bottom of a step's target such as 'dJ/dW[2][1][1]' or 'dJ/db[2] via net[2][1]'
    (a path: the via is left out, the table says it)."""
    top, bottom = target.split(" via ")[0][1:].split("/d", 1)
    return Partial(Name(top), Name(bottom))


def result_html(result) -> str:
    d, v = result.definition, result.verified
    notation, layers = ("canonical", ()) if d.layered else (d.notation, d.network.layers)
    m, updated = MathML(notation, layers), result.updated
    rows = "".join(f"<tr><td>{m.math(partial(f'dJ/d{p}'), full=True)}</td>"
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
    m = MathML(g.notation, g.layers)
    rows = "".join(f"<tr><td>{m.math(partial(n), full=True)}</td>"
                   f"<td>{escape(n)}</td><td>{x:.9g}</td></tr>" for n, x in g.factors)
    kind = "paths, added" if g.paths else "factors, multiplied"
    return (f"<div>{m.math(g.form(), display=True)}<table><thead><tr><th colspan=\"2\">{kind}"
            f"</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<details><summary>as derive prints it</summary><pre>{escape(g.text)}</pre>"
            "</details></div>")


def proof_html(p) -> str:
    from ..formats.html import proof_view

    view = proof_view(p)  # its title and reasons are markup already: their formulas as MathML
    steps = "".join(f"<tr><td>{s['math']}</td><td>{s['reason']}</td></tr>"
                    for s in view["steps"])
    given = f"<p>{escape(view['given'])}</p>" if view["given"] else ""
    return (f"<div><p><strong>{view['title']}</strong> (checked by computer algebra, step by step)"
            f"</p>{given}<table><tbody>{steps}</tbody></table></div>")


_MAX_ROWS = 40  # a notebook cell, not a report: the rest is in the object


def _diagram(d, v) -> str:
    """The network as on the practice page, for a network small enough to print."""
    from ..files import classset
    from ..formats.html import diagram_base64
    from ..sheets import worksheet as sheet

    if d.layered:  # a network on an image: its sheet draws grids, not a dense diagram
        return ""
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
