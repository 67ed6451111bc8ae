"""The network diagram's layout, shared by the TeX picture and the SVG of the practice page:
columns of neurons, arrows between them, the given numbers beside them. Positions are in
centimetres of the printed page; every label is a form, which each driver prints.

>>> from types import SimpleNamespace as NS
>>> ws = NS(layers=(1, 1), notation="matrix", examples=0, bias="none",
...         values={"x[1]": 0.5, "W[1][1][1]": 0.2, "t[1]": 1.0})
>>> view = layout(ws)
>>> [n["id"] for n in view["nodes"]], len(view["edges"]), len(view["notes"])
(['n0x1', 'n1x1'], 1, 2)
"""

from __future__ import annotations

from ..engine.graph import name
from ..sheets.forms import Equation, Name, Number
from ..sheets.notation import neuron_label, symbol_of

COLUMN = 4.2  # cm between layers
LABELLED_WEIGHTS = 12  # a dozen weights' labels fit on the arrows; more would overlap


def layout(ws) -> dict:
    """Nodes (id, x, y, label, input), edges (source, target, label or None, pos) and notes
    (x, y, anchor, label): the diagram of a worksheet."""
    sizes = ws.layers
    tall = max(sizes)
    gap = 1.7 if tall <= 4 else 1.1
    nodes, edges, notes = [], [], []
    label_edges = sum(a * b for a, b in zip(sizes, sizes[1:])) <= LABELLED_WEIGHTS

    def given(canonical: str) -> Equation:
        return Equation((Name(canonical), Number(ws.values[canonical])))

    for l, n in enumerate(sizes):
        for j in range(1, n + 1):
            y = round(((n + 1) / 2 - j) * gap, 3)
            x = COLUMN * l
            ident = f"n{l}x{j}"
            if l == 0:
                label = symbol_of(name("x", j), ws.notation, ws.layers)
                if not ws.examples:  # a batch's inputs are in its table, one row an example
                    notes.append({"x": x - 0.55, "y": y, "anchor": "east",
                                  "label": Number(ws.values[name("x", j)])})
            else:
                label = neuron_label(l, j, len(sizes) - 1, ws.notation)
            nodes.append({"id": ident, "x": x, "y": y, "label": label, "input": l == 0})
            for k in range(1, sizes[l - 1] + 1) if l else ():
                w = name("W", l, j, k)
                edges.append({"source": f"n{l - 1}x{k}", "target": ident,
                              "label": given(w) if label_edges else None,
                              "pos": 0.3 if label_edges else 0})
            if l == len(sizes) - 1 and not ws.examples:
                notes.append({"x": x + 0.55, "y": y, "anchor": "west",
                              "label": given(name("t", j))})
            if l and ws.bias == "per_neuron":
                notes.append({"x": x, "y": y - 0.55, "anchor": "north",
                              "label": given(name("b", l, j))})
        if l and ws.bias == "shared":
            notes.append({"x": COLUMN * l, "y": round(-((n + 1) / 2) * gap + 0.2, 3),
                          "anchor": "north", "label": given(name("b", l))})
    return {"nodes": nodes, "edges": edges, "notes": notes, "tall": tall}
