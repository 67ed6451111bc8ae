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

import math

from ..engine.graph import name
from ..sheets.forms import Equation, Name, Number
from ..sheets.notation import neuron_label, symbol_of

COLUMN = 4.2  # cm between layers
WIDE_COLUMN = 5.8  # between two layers of more than 4 labelled arrows, so their labels part
LABELLED_WEIGHTS = 12  # a dozen weights' labels fit on the arrows; more would overlap
CROWDED = 6  # arrows between two layers beyond which their labels would cross: listed only
# where along its arrow a weight's label may sit, the most readable first: near the ends,
# since arrows between two layers cross in the middle
SPOTS = (0.3, 0.7, 0.25, 0.75, 0.38, 0.62, 0.46, 0.54)
LABEL_HEIGHT = 0.55  # cm, as TeX sets a label, with the white halo the page draws round it


def layout(ws) -> dict:
    """Nodes (id, x, y, label, input), edges (source, target, label or None, pos) and notes
    (x, y, anchor, label): the diagram of a worksheet."""
    sizes = ws.layers
    tall = max(sizes)
    gap = 1.7 if tall <= 4 else 1.1
    nodes, edges, notes = [], [], []
    label_edges = sum(a * b for a, b in zip(sizes, sizes[1:])) <= LABELLED_WEIGHTS
    columns = [0.0]
    for a, b in zip(sizes, sizes[1:]):
        columns.append(columns[-1] + (WIDE_COLUMN if label_edges and 4 < a * b <= CROWDED
                                      else COLUMN))

    def given(canonical: str) -> Equation:
        return Equation((Name(canonical), Number(ws.values[canonical])))

    for l, n in enumerate(sizes):
        for j in range(1, n + 1):
            y = round(((n + 1) / 2 - j) * gap, 3)
            x = columns[l]
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
                labelled = label_edges and sizes[l] * sizes[l - 1] <= CROWDED
                edges.append({"source": f"n{l - 1}x{k}", "target": ident,
                              "label": given(w) if labelled else None, "pos": 0.3, "side": 1})
            if l == len(sizes) - 1 and not ws.examples:
                notes.append({"x": x + 0.55, "y": y, "anchor": "west",
                              "label": given(name("t", j))})
            if l and ws.bias == "per_neuron":
                notes.append({"x": x, "y": y - 0.55, "anchor": "north",
                              "label": given(name("b", l, j))})
        if l and ws.bias == "shared":
            notes.append({"x": columns[l], "y": round(-((n + 1) / 2) * gap + 0.2, 3),
                          "anchor": "north", "label": given(name("b", l))})
    _place_labels([e for e in edges if e["label"] is not None],
                  {n["id"]: (n["x"], n["y"]) for n in nodes})
    return {"nodes": nodes, "edges": edges, "notes": notes, "tall": tall}


def _place_labels(edges: list[dict], at: dict[str, tuple[float, float]]) -> None:
    """Each weight's label at the first spot of its arrow (above it, else below it) where it
    overlaps no neuron and no label placed before it, or where every spot is taken, where it
    overlaps least. Sizes are estimates of the page's labels; the tests measure the real ones."""
    placed = [_box(x, y, 1.1, 1.1) for x, y in at.values()]  # a neuron and a margin round it
    steep = lambda e: -abs(at[e["target"]][1] - at[e["source"]][1])  # noqa: E731
    for e in sorted(edges, key=steep):  # the steepest first: their labels have least room
        (x1, y1), (x2, y2) = at[e["source"]], at[e["target"]]
        width = 1.2 + 0.17 * len(f"{e['label'].sides[1].value:g}")  # as TeX sets it
        angle = math.atan2(y2 - y1, x2 - x1)
        w = abs(width * math.cos(angle)) + abs(LABEL_HEIGHT * math.sin(angle))
        h = abs(width * math.sin(angle)) + abs(LABEL_HEIGHT * math.cos(angle))
        # the page sets a label just above its arrow (or just below it, side -1): its middle
        # a fifth of a cm off the line
        boxes = [(_box(x1 + (x2 - x1) * s - side * 0.2 * math.sin(angle),
                       y1 + (y2 - y1) * s + side * 0.2 * math.cos(angle), w, h), s, side)
                 for side in (1, -1) for s in SPOTS]
        box, e["pos"], e["side"] = min(boxes, key=lambda b: (
            round(sum(_overlap(b[0], p) for p in placed), 3), b[2] == -1, SPOTS.index(b[1])))
        placed.append(box)


def _box(x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
