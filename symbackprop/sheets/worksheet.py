"""A worksheet as data: the lines of working, the labelled answers, the given numbers and the
proofs they rely on, built from a verified result (sheets/working.py, sheets/matrices.py).
Values are rounded as a student rounds (each intermediate to the definition's decimals before
it is used), and every answer keeps its exact, verified value too. A line's mathematics is held
as forms (sheets/forms.py), which each output driver prints.

>>> from symbackprop.definitions.definition import load
>>> from symbackprop.engine.sample import instance
>>> from symbackprop.engine.verify import run
>>> d = load('worksheets/blog-2-2-2.yaml')
>>> ws = build(d, run(d, instance(d)))
>>> [(a.label, a.name, a.value) for a in ws.answers[:2]]
[('a', 'net[1][1]', 0.3775), ('b', 'out[1][1]', 0.593269992)]
>>> next(a for a in ws.answers if a.name == 'dJ/dW[2][1][1]').value
0.082167041
>>> ws.givens[0].caption, len(ws.givens[0].groups[0])
('Inputs', 2)
"""

from __future__ import annotations

from dataclasses import asdict

from ..definitions.canonical import example_of
from ..definitions.definition import Definition
from ..definitions.language import ENGLISH, Words, words
from ..engine import proofs
from ..engine.graph import name
from ..engine.steps import Factor, Step, flatten, leaves
from ..engine.verify import Verified
from ..marking.keys import definition_json, markable
from ..marking.scheme_writer import with_scheme
from .forms import Equation, Name, Number
from .forms_json import to_json
from .matrices import MatrixWorking
from .model import Answer, Given, Grid, Line, Section, Worksheet, label, unasked_points  # noqa: F401 - the model
from .notation import answer_decimals, given_number
from .rules import network_words
from .working import Working
from .zeros import snapped


def default_ask(defn: Definition) -> tuple[str, ...]:
    """Seed 003's w5 and w1 and the output bias, as far as the network has them."""
    net = defn.network
    L = net.depth
    asked = [name("W", L, 1, 1)] + ([name("W", 1, 1, 1)] if L > 1 else [])
    if net.bias == "shared":
        asked.append(name("b", L))
    elif net.bias == "per_neuron":
        asked.append(name("b", L, 1))
    return tuple(asked)


def chain_lines(defn: Definition) -> int:
    """How many lines the asked chains take on a sheet (of a batch, every example's), counted
    from the derivation's shape alone, without numbers. A chain writes every path to J out in
    full, as a student works it, so in a deep network it grows as the product of the later
    layers' widths: 12 layers of 2 neurons write 16,380 lines for w1. A matrix sheet has no
    chains."""
    if defn.form == "matrix":
        return 0
    from ..engine.derivation import derive_all
    from ..engine.graph import build as build_graph

    d = derive_all(build_graph(defn.network))
    counted: dict[int, int] = {}
    total = 0
    for asked in defn.ask or default_ask(defn):
        bare = example_of(asked)[0]  # a batch's δ is one example's: dJ@e/dnet[l][j]@e
        step = d.deltas[bare] if _is_delta(bare) else d.grads[bare]
        parts = list(flatten(step))  # a sum of paths stays one factor
        lines = sum(_lines(f, counted) for f in parts) + (len(parts) > 1)  # and their product
        total += lines if _is_delta(bare) else lines * max(1, defn.examples)  # every example's
    return total


def _lines(f: Step, counted: dict[int, int]) -> int:
    """The length of Working.factor_lines(f), each shared δ counted once and reused."""
    if isinstance(f, Factor):
        return 1
    if id(f) not in counted:  # each path's factors and its product; one path, no product
        paths = len(f.terms) > 1
        counted[id(f)] = 1 + sum(paths + sum(_lines(g, counted) for g in flatten(term))
                                 for term in f.terms)
    return counted[id(f)]


def build(defn: Definition, result: Verified) -> Worksheet:
    asked = defn.ask or default_ask(defn)
    if defn.form == "matrix":
        sheet = MatrixWorking(defn, result)
        sections = [sheet.forward_section(), sheet.loss_section()] + sheet.matrix_sections()
        answers, asked = sheet.answers, tuple(result.derivation.grads)
    elif result.examples:
        sections, answers = _batch_sections(defn, result, asked)
    else:
        sheet = Working(defn, result)
        sections = [sheet.forward_section(), sheet.loss_section()]
        sections += [sheet.delta_section(p) if _is_delta(p) else sheet.gradient_section(p)
                     for p in asked]
        params = [p for p in asked if not _is_delta(p)]
        if params:
            sections.append(sheet.update_section(params, sheet.rounded_grads(params)))
        answers = sheet.answers
    steps = result.derivation.deltas | result.derivation.grads
    used = {f.rule for p in asked for f in leaves(steps[example_of(p)[0]])}
    net = defn.network
    if defn.form == "matrix":
        used |= {"delta_hidden", "weight_gradient_matrix"} if net.depth > 1 else \
            {"weight_gradient_matrix"}
        used |= set() if net.bias == "none" else {"bias_gradient_vector"}
        used |= set() if net.activations[-1] == "softmax" else {"delta_output"}
    unasked_points(dict(defn.points), {a.name for a in answers}, defn)
    answers = snapped(answers, sections, result)
    values = _given(result)
    examples = len(result.examples)
    _ = words(defn.language)
    return Worksheet(
        title=defn.title, notation=defn.notation, decimals=defn.decimals,
        learning_rate=defn.learning_rate, sections=sections, answers=answers,
        proofs=proofs.for_rules(sorted(used)), values=values,
        layers=net.layers, activations=net.activations, loss=net.loss, bias=net.bias,
        seed=result.instance.seed, version=result.instance.version, asked=tuple(asked),
        examples=examples, batch_loss=result.instance.batch_loss,
        givens=givens(values, net.layers, examples, _),
        network_words=network_words(net.layers, net.activations, net.bias,
                                    given_number(defn.learning_rate), examples,
                                    result.instance.batch_loss, _),
        points=dict(defn.points), printing=defn.printing, language=defn.language)


def givens(values: dict[str, float], layers: tuple[int, ...], examples: int,
           _: Words = ENGLISH) -> list[Given]:
    """The given numbers as a sheet lists them: inputs and targets (of each example), the
    weights into each layer, the biases."""
    def given(keys) -> tuple[Equation, ...]:
        return tuple(Equation((Name(k), Number(values[k]))) for k in keys)

    rows = []
    for e in range(1, examples + 1) if examples else (None,):
        mine = [k for k in values if k[0] in "xt" and k.endswith(f"@{e}") == bool(e)]
        inputs = given(k for k in mine if k[0] == "x")
        targets = given(k for k in mine if k[0] == "t")
        if e is None:
            rows += [Given(_.ngettext("Input", "Inputs", len(inputs)), (inputs,)),
                     Given(_.ngettext("Target", "Targets", len(targets)), (targets,))]
        else:
            rows.append(Given(_("Example {e}").format(e=e), (inputs, targets)))
    for l in range(1, len(layers)):
        rows.append(Given(_("Weights into layer {l}").format(l=l), (
            given(k for k in values if k.startswith(f"W[{l}]")),)))
    biases = given(k for k in values if k[0] == "b")
    if biases:
        rows.append(Given(_.ngettext("Bias", "Biases", len(biases)), (biases,)))
    return rows


def _batch_sections(defn: Definition, result: Verified, asked) -> tuple[list, list]:
    """Each example's forward pass, loss and asked chains, as a sheet of one example with its
    names carrying '@e'; then the batch's loss and gradients as sums over the examples, and
    one step with them. A δ asked of a batch is one example's (dJ@e/dnet[l][j]@e)."""
    answers: list[Answer] = []
    by_name: dict[str, Answer] = {}
    sheets = [Working(defn, one, e, answers, by_name)
              for e, one in enumerate(result.examples, start=1)]
    params = [p for p in asked if p[0] in "Wb"]
    sections = []
    for e, sheet in enumerate(sheets, start=1):
        sections += [sheet.forward_section(), sheet.loss_section()]
        sections += [sheet.gradient_section(p) for p in params]
        sections += [sheet.delta_section(example_of(p)[0]) for p in asked
                     if example_of(p)[1] == e]
    total = Working(defn, result, None, answers, by_name)
    grads = total.batch_grads(sheets, params)
    sections.append(total.batch_section(sheets, grads))
    if params:
        sections.append(total.update_section(params, grads))
    return sections, answers


def key_json(defn: Definition, ws: Worksheet, result: Verified) -> dict:
    definition = {"title": defn.title, **definition_json(defn, result.instance),
                  "notation": ws.notation, "decimals": ws.decimals, "ask": list(ws.asked),
                  "points": dict(defn.points)} | ({"form": "matrix"} if defn.form == "matrix"
                                                   else {}) | (
        {"language": defn.language} if defn.language != "en" else {})
    shown = key_lines(ws)
    answers = [asdict(a) | ({"shown": shown[a.label]} if a.label in shown else {})
               for a in ws.answers]
    return markable(with_scheme({"definition": definition, "seed": ws.seed,
                                 "version": ws.version, "answers": answers}), defn.source)


def key_lines(ws: Worksheet) -> dict[str, list]:
    """Each blank's line as the key writes it (its forms, the numbers put in, the value), as
    data: a page made from the key alone (a marked student's feedback) shows the working in
    the sheet's own mathematics."""
    shown = {}
    for s in ws.sections:
        for line in s.lines:
            a = line.answer
            if a is None or not line.first:
                continue
            value = Number(a.value, answer_decimals(a.name, a.value, ws.decimals))
            worked = (line.working,) if line.working is not None else ()
            shown[a.label] = to_json(Equation((line.quantity, *line.forms, *worked, value)))
    return shown


def _given(result: Verified) -> dict[str, float]:
    return {k: v for k, v in result.values.items() if k[0] in "xtWb"}


def _is_delta(name: str) -> bool:
    return name.startswith("dJ/dnet")
