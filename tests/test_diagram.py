"""The network diagram read as a reader reads it (issue 24): a weight's label sits on its own
arrow and no other arrow, neuron, label or note comes within it, so no label can be taken for
another arrow's; each bias is drawn with an arrow to every neuron it feeds. Measured from the
layout's geometry, by sampling points of the arrows and the labels' edges (an account of its
own, not the layout's separating axes), over every bundled worksheet with a network and random
definitions up to 4-4-4."""

from __future__ import annotations

import math
import shutil

import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import Definition, load, parse
from symbackprop.engine.sample import instance
from symbackprop.engine.verify import run
from symbackprop.formats import diagram
from symbackprop.sheets import worksheet as sheet

from . import browser
from .conftest import WORKSHEETS
from .test_classroom_guards import _random_definitions

STEP = 0.01  # cm between the points sampled along an arrow or a label's edge


def _networks():
    for path in sorted(WORKSHEETS.glob("*.yaml")):
        d = load(path)
        layers = getattr(getattr(d, "network", None), "layers", None)
        if isinstance(d, Definition) and all(isinstance(n, int) for n in layers or ["?"]):
            yield path.stem, d
    for stem, _, text in _random_definitions(40, seed=2024):
        yield stem, parse(text)


NETWORKS = list(_networks())


def _worksheet(d):
    return sheet.build(d, run(d, instance(d)))


def _ends(view, e):
    """The arrow as drawn: from the rim of its source's circle to the rim of its target's."""
    at = {n["id"]: (n["x"], n["y"]) for n in view["nodes"]}
    (x1, y1), (x2, y2) = at[e["source"]], at[e["target"]]
    d = math.dist((x1, y1), (x2, y2))
    r = diagram.RADIUS
    return ((x1 + (x2 - x1) * r / d, y1 + (y2 - y1) * r / d),
            (x2 - (x2 - x1) * r / d, y2 - (y2 - y1) * r / d))


def _label_rectangle(view, e):
    """(centre, half-length, half-height, direction) of a label, from its arrow and its spot."""
    p, q = _ends(view, e)
    centre = (p[0] + (q[0] - p[0]) * e["pos"], p[1] + (q[1] - p[1]) * e["pos"])
    w, h = diagram.label_size(e["label"], view["notation"], view["layers"])
    angle = math.atan2(q[1] - p[1], q[0] - p[0])
    return centre, w / 2, h / 2, angle


def _note_rectangle(view, a):
    w, h = diagram.label_size(a["label"], view["notation"], view["layers"])
    x = a["x"] - w / 2 if a["anchor"] == "east" else a["x"] + w / 2
    return (x, a["y"]), w / 2, h / 2, 0.0


def _near(rect, p, q) -> bool:
    """Whether the segment comes within reach of the rectangle at all (a quick look first)."""
    (cx, cy), a, b, _ = rect
    reach = math.hypot(a, b)
    return (min(p[0], q[0]) - reach < cx < max(p[0], q[0]) + reach
            and min(p[1], q[1]) - reach < cy < max(p[1], q[1]) + reach)


def _crosses(rect, p, q) -> bool:
    return _near(rect, p, q) and any(_inside(rect, pt) for pt in _points(p, q))


def _inside(rect, point) -> bool:
    (cx, cy), a, b, angle = rect
    dx, dy = point[0] - cx, point[1] - cy
    u = dx * math.cos(angle) + dy * math.sin(angle)
    v = -dx * math.sin(angle) + dy * math.cos(angle)
    return abs(u) < a and abs(v) < b


def _points(p, q):
    n = max(2, int(math.dist(p, q) / STEP))
    return [(p[0] + (q[0] - p[0]) * i / n, p[1] + (q[1] - p[1]) * i / n) for i in range(n + 1)]


def _outline(rect):
    (cx, cy), a, b, angle = rect
    c, s = math.cos(angle), math.sin(angle)
    corners = [(cx + i * a * c - j * b * s, cy + i * a * s + j * b * c)
               for i, j in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    return [pt for k in range(4) for pt in _points(corners[k], corners[(k + 1) % 4])]


def _meet(r1, r2) -> bool:
    return any(_inside(r2, pt) for pt in _outline(r1)) or any(_inside(r1, pt)
                                                              for pt in _outline(r2))


@pytest.mark.parametrize("stem,d", NETWORKS, ids=[s for s, _ in NETWORKS])
def test_every_label_sits_on_its_own_arrow_alone_and_every_bias_has_its_arrows(stem, d):
    ws = _worksheet(d)
    view = diagram.layout(ws)
    labelled = [e for e in view["edges"] if e["label"] is not None]
    labels = [(e, _label_rectangle(view, e)) for e in labelled]
    notes = [_note_rectangle(view, a) for a in view["notes"]]
    problems = []
    for e, rect in labels:
        name = e["label"].sides[0].canonical
        for f in view["edges"]:
            if f is not e and _crosses(rect, *_ends(view, f)):
                problems.append(f"{name} meets the arrow {f['source']}→{f['target']}")
        for n in view["nodes"]:
            centre = (n["x"], n["y"])
            if _inside(rect, centre) or any(math.dist(pt, centre) < diagram.RADIUS
                                            for pt in _outline(rect)):
                problems.append(f"{name} meets the neuron {n['id']}")
        problems += [f"{name} meets a note" for note in notes if _meet(rect, note)]
        problems += [f"{name} meets {g['label'].sides[0].canonical}" for g, other in labels
                     if g is not e and _meet(rect, other)]
    for note in notes:
        for f in view["edges"]:
            if _crosses(note, *_ends(view, f)):
                problems.append(f"a note meets the arrow {f['source']}→{f['target']}")
    assert problems == []
    _biases_have_their_arrows(ws, view)


def _biases_have_their_arrows(ws, view) -> None:
    """Every neuron past the inputs is fed by an arrow from its layer's bias, and the bias's
    number is on that arrow (one per neuron) or beside the bias (one per layer)."""
    if ws.bias == "none":
        assert not any(n["bias"] for n in view["nodes"])
        return
    bias_nodes = {n["id"]: n for n in view["nodes"] if n["bias"]}
    fed = {e["target"]: e for e in view["edges"] if e["source"] in bias_nodes}
    for l, size in enumerate(ws.layers[1:], start=1):
        for j in range(1, size + 1):
            e = fed[f"n{l}x{j}"]
            assert e["source"] == f"b{l}"
            if ws.bias == "per_neuron" and e["label"] is not None:
                assert e["label"].sides[0].canonical == f"b[{l}][{j}]"
        if ws.bias == "shared":
            b = bias_nodes[f"b{l}"]
            beside = [a for a in view["notes"] if (a["x"], a["y"]) == (b["x"] - 0.55, b["y"])]
            assert [a["label"].value for a in beside] == [ws.values[f"b[{l}]"]]


def test_the_sheets_the_reviews_named_carry_every_weight_on_its_arrow():
    """2-3-1 and 2-2-2: the sheets whose crossing labels a reader could not tell apart."""
    for stem in ("spanish-class-set-2-3-1", "class-set-2-2-2", "han-kamber-3-2-1"):
        d = load(WORKSHEETS / f"{stem}.yaml")
        view = diagram.layout(_worksheet(d))
        weights = [e for e in view["edges"] if e["kind"] == "weight"]
        assert all(e["label"] is not None for e in weights), stem
        assert len(weights) == sum(a * b for a, b in zip(d.network.layers,
                                                         d.network.layers[1:]))


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The practice pages of every bundled network sheet small enough to have one, and of a few
    random ones (a class set's first version: every version is drawn by the same layout)."""
    out = tmp_path_factory.mktemp("diagrams")
    paths = [WORKSHEETS / f"{stem}.yaml" for stem, d in NETWORKS
             if not stem.startswith("random") and max(d.network.layers) <= 4]  # a page's size
    for stem, _, text in _random_definitions(6, seed=7):
        (path := out / f"{stem}.yaml").write_text(text, encoding="utf-8")
        paths.append(path)
    for path in paths:
        versions = ["--versions", "1"] if "versions:" in path.read_text() else []
        assert main(["build", str(path), "--format", "html", "--out", str(out / "set"),
                     *versions]) == 0, path.name
    return sorted((out / "set").glob("*-practice.html"))


@pytest.mark.skipif(not shutil.which("chromedriver"), reason="needs Chromium and chromedriver")
@pytest.mark.parametrize("width", [390, 1280])
def test_in_the_browser_no_label_meets_another_or_another_arrow(width, pages):
    driver = browser.start(width=width, height=900, mobile=width < 500)
    try:
        clashes, drawn = {}, 0
        for page in pages:
            browser.open_page(driver, page)
            drawn += driver.execute_script(
                "return document.querySelectorAll('figure.diagram text.weight').length")
            if found := driver.execute_script(browser.DIAGRAM_CLASHES):
                clashes[page.name] = found
    finally:
        driver.quit()
    assert clashes == {}
    assert drawn > 60  # the labels were there to measure
