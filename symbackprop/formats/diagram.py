"""The network diagram's layout, shared by the TeX picture and the SVG of the practice page:
columns of neurons, arrows between them, the given numbers beside them. Positions are in
centimetres of the printed page; every label is a form, which each driver prints.

A weight's label sits on its own arrow (the arrow runs into it and out of it) where no other
arrow, neuron or label comes near it, so a reader never has to guess which arrow it belongs
to; a bias is a neuron of its own below the layer before, with an arrow to each neuron it feeds.

>>> from types import SimpleNamespace as NS
>>> ws = NS(layers=(1, 1), notation="matrix", examples=0, bias="shared",
...         values={"x[1]": 0.5, "W[1][1][1]": 0.2, "t[1]": 1.0, "b[1]": 0.1})
>>> view = layout(ws)
>>> [n["id"] for n in view["nodes"]], [(e["source"], e["kind"]) for e in view["edges"]]
(['n0x1', 'n1x1', 'b1'], [('n0x1', 'weight'), ('b1', 'bias')])
>>> len(view["notes"])  # the input's value, the target, the bias's value
3
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
from types import SimpleNamespace

from ..engine.graph import name
from ..sheets.forms import Equation, Name, Number
from ..sheets.notation import neuron_label, symbol_of
from .geometry import Box
from .svgtext import SCRIPT, SvgText

COLUMN = 4.2  # cm between layers
WIDER = (5.0, 5.8, 6.6)  # the widths a column is given, in turn, until its labels fit


# a layer's bias sits under the gap before it, this far in, tried in turn: its arrows, short and
# steep, cross the weights' only near the neurons they feed
BIAS_AT = (0.3, 0.5)
ROWS = (1.7, 2.1, 2.5, 2.9)  # cm between neurons of a column, tried in turn
PICTURE = 13.0  # cm the columns may span: with the notes either side, the printed text width
LABELLED_WEIGHTS = 12  # a dozen weights' labels fit on the arrows; more would crowd the page
CROWDED = 6  # weights between two layers beyond which their labels are listed only
RADIUS = 0.45  # a neuron's circle (TeX's minimum size 0.9 cm)
EM = 0.225  # cm an em of the labels: TeX's 7 pt sets them a little wider than the page's 12 px
CLEAR = 0.08  # cm kept free round a label
APART = 0.13  # cm round each of two labels: either side of a crossing they never run together
# where along its arrow a label may sit, the most readable first: nearer the arrow's start
SPOTS = sorted((k / 50 for k in range(6, 45)), key=lambda s: abs(s - 0.35))


def layout(ws) -> dict:
    """The diagram of a worksheet (see _layout): a copy, as the drivers of one sheet each ask
    for it and its search for clear spots takes a fraction of a second."""
    values = tuple(sorted(ws.values.items()))
    return copy.deepcopy(_layout(tuple(ws.layers), ws.notation, bool(ws.examples), ws.bias,
                                 values))


@functools.lru_cache(maxsize=64)
def _layout(layers, notation, examples, bias, values) -> dict:
    ws = SimpleNamespace(layers=layers, notation=notation, examples=examples, bias=bias,
                         values=dict(values))
    return _layout_of(ws)


def _layout_of(ws) -> dict:
    """Nodes (id, x, y, label, input, bias), edges (source, target, kind, gap, label or
    None, pos, box) and notes (x, y, anchor, label): the diagram of a worksheet. Its rows are
    spread and its columns widened, in turn, until every label finds a clear spot."""
    sizes = ws.layers
    wanted = [sum(a * b for a, b in zip(sizes, sizes[1:])) <= LABELLED_WEIGHTS
              and a * b <= CROWDED for a, b in zip(sizes, sizes[1:])]
    fallback = None
    for row, bias_at in itertools.product(ROWS if max(sizes) <= 4 else (1.1,), BIAS_AT):
        view, labelled = _fitted(ws, row, bias_at, list(wanted))
        if labelled == wanted:
            return view
        fallback = fallback or view
    return fallback


def _fitted(ws, row: float, bias_at: float, labelled: list[bool]) -> tuple[dict, list[bool]]:
    """The diagram with rows `row` apart, each gap widened until its labels fit, or where
    the page has no room for that, its labels left to the list below the picture."""
    widths = [COLUMN] * (len(ws.layers) - 1)
    while True:
        view = _draw(ws, row, bias_at, widths, labelled)
        failed = _place_labels(view)
        if not failed:
            return view, labelled
        for gap in failed:
            wider = [w for w in WIDER if w > widths[gap]]
            if wider and sum(widths) - widths[gap] + wider[0] <= PICTURE:
                widths[gap] = wider[0]
            else:  # no room on the page: this gap's weights are listed below the picture
                labelled[gap], widths[gap] = False, COLUMN


def _draw(ws, gap: float, bias_at: float, widths: list[float], labelled: list[bool]) -> dict:
    """Every node, arrow and note at its place, rows `gap` apart; the labels not yet placed."""
    sizes, values = ws.layers, ws.values
    columns = [0.0] + [sum(widths[:i + 1]) for i in range(len(widths))]
    floor = round(-((max(sizes) + 1) / 2) * gap, 3)  # the biases' row, under every column

    def given(canonical: str) -> Equation:
        return Equation((Name(canonical), Number(values[canonical])))

    nodes, edges, notes = [], [], []
    for l, n in enumerate(sizes):
        for j in range(1, n + 1):
            x, y, ident = columns[l], round(((n + 1) / 2 - j) * gap, 3), f"n{l}x{j}"
            if l == 0:
                label = symbol_of(name("x", j), ws.notation, ws.layers)
                if not ws.examples:  # a batch's inputs are in its table, one row an example
                    notes.append(_note(x - 0.55, y, "east", Number(values[name("x", j)])))
            else:
                label = neuron_label(l, j, len(sizes) - 1, ws.notation)
            nodes.append({"id": ident, "x": x, "y": y, "label": label, "input": l == 0,
                          "bias": False})
            for k in range(1, sizes[l - 1] + 1) if l else ():
                edges.append(_edge(f"n{l - 1}x{k}", ident, "weight", l - 1,
                                   given(name("W", l, j, k)) if labelled[l - 1] else None))
            if l == len(sizes) - 1 and not ws.examples:
                notes.append(_note(x + 0.55, y, "west", given(name("t", j))))
            if l and ws.bias == "per_neuron":  # its own number on its own arrow
                edges.append(_edge(f"b{l}", ident, "bias", l - 1,
                                   given(name("b", l, j)) if labelled[l - 1] else None))
            elif l and ws.bias == "shared":  # one number for every arrow: beside the bias
                edges.append(_edge(f"b{l}", ident, "bias", l - 1, None))
        if l and ws.bias != "none":
            bias_x = columns[l - 1] + bias_at * widths[l - 1]
            shared = ws.bias == "shared"
            nodes.append({"id": f"b{l}", "x": bias_x, "y": floor, "input": False,
                          "bias": True, "label": symbol_of(name("b", l), ws.notation, ws.layers)
                          if shared else Number(1)})
            if shared:
                notes.append(_note(bias_x - 0.55, floor, "east",
                                   Number(values[name("b", l)])))
    return {"nodes": nodes, "edges": edges, "notes": notes, "tall": max(sizes),
            "notation": ws.notation, "layers": ws.layers}


def _edge(source: str, target: str, kind: str, gap: int, label) -> dict:
    return {"source": source, "target": target, "kind": kind, "gap": gap, "label": label,
            "pos": 0.35, "box": None}


def _note(x: float, y: float, anchor: str, label) -> dict:
    return {"x": x, "y": y, "anchor": anchor, "label": label}


def label_size(label, notation: str, layers) -> tuple[float, float]:
    """A label's width and height in cm, as the larger of its two printings sets it: a
    script's characters over one another count once (svgtext moves a subscript back under
    its superscript)."""
    width, script = 0.0, 0
    for kind, text in SvgText(notation, layers).runs(label):
        if kind == "text":
            width += SCRIPT * script + 0.58 * len(text)
            script = 0
        else:
            script = max(script, len(text))
    return (width + SCRIPT * script) * EM, 1.6 * EM


def arrow(view: dict, edge: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    """An arrow's ends: from the edge of its source's circle to the edge of its target's."""
    at = {n["id"]: (n["x"], n["y"]) for n in view["nodes"]}
    (x1, y1), (x2, y2) = at[edge["source"]], at[edge["target"]]
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    return (x1 + ux * RADIUS, y1 + uy * RADIUS), (x2 - ux * RADIUS, y2 - uy * RADIUS)


def note_box(view: dict, note: dict) -> Box:
    """A note's rectangle: its anchor is the middle of its east or west side."""
    w, h = label_size(note["label"], view["notation"], view["layers"])
    shift = {"east": -w / 2, "west": w / 2}[note["anchor"]]
    return Box(note["x"] + shift, note["y"], w, h, 0.0)


def _place_labels(view: dict) -> set[int]:
    """Each label at a spot of its arrow where its box meets no other arrow, no neuron, no
    note and no label placed before it, the labels with fewest such spots placed first; the
    gaps (between columns, counted from 0) where some label found none."""
    centres = [(n["x"], n["y"]) for n in view["nodes"]]
    arrows = [(e, arrow(view, e)) for e in view["edges"]]
    notes = [note_box(view, a) for a in view["notes"]]

    def free(e, p, q) -> list[Box]:
        w, h = label_size(e["label"], view["notation"], view["layers"])
        angle = math.atan2(q[1] - p[1], q[0] - p[0])
        boxes = []
        for s in SPOTS:  # along the arrow as drawn, circle to circle, as TikZ's pos is
            box = Box(p[0] + (q[0] - p[0]) * s, p[1] + (q[1] - p[1]) * s, w, h, angle)
            clear = box.grown(CLEAR)
            if not (any(clear.meets_segment(*ends) for f, ends in arrows if f is not e)
                    or any(clear.meets_circle(c, RADIUS) for c in centres)
                    or any(clear.meets_box(b) for b in notes)):
                boxes.append((s, box))
        return boxes

    spots = [(e, free(e, *ends)) for e, ends in arrows if e["label"] is not None]
    taken, failed = [], set()
    for e, boxes in sorted(spots, key=lambda es: len(es[1])):
        fit = [(s, b) for s, b in boxes if not any(b.grown(APART).meets_box(t) for t in taken)]
        if fit:
            e["pos"], e["box"] = fit[0]
            taken.append(e["box"].grown(APART))
        else:
            failed.add(e["gap"])
    return failed
