"""Seed 000's question, measured: does squared error do worse than cross-entropy on the digits?

The same 64-h-10 network (sigmoid hidden layer) is trained from the same seed twice with the
one trainer (training.train: the same start, the same batches): sigmoid outputs with squared
error, and softmax outputs with cross-entropy. The sheet's questions are answered from those two
runs, and its conclusion is worded from the numbers, never written in advance. A small grid of
hidden sizes and learning rates, both losses, every run from the same seed, says whether the
answer holds beyond one setting.

>>> from symbackprop.definitions.definition import parse
>>> lesson = parse('''kind: digits_classifier
... title: Digits
... lesson: {data: worksheets/data/uci-digits.csv.gz, hidden: 2, epochs: 2, misclassified: 1,
...          grid: {hidden: [2], learning_rates: [0.5]}}''')
>>> sheet = build(lesson)
>>> [a.name for a in sheet.answers][:3]
['test accuracy, squared error', 'test accuracy, cross-entropy', 'more right with cross-entropy']
>>> sum(map(sum, sheet.figures["runs"]["ce"]["confusion"]))  # every test digit, once
359
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..definitions import dataset
from ..definitions.dataset import Examples
from ..definitions.definition import Lesson, Network, Values
from ..definitions.errors import VerificationError
from ..definitions.language import ENGLISH, N_, Words, words
from ..definitions.optimizer import Optimizer
from ..engine import training
from ..engine.sample import Instance
from . import digits_optimizers
from .forms import Number, Ops, Prose, Symbol
from .lesson_parts import Asker, ref
from .model import LessonSheet, Row
from .rules import loss_formula

THRESHOLDS = (0.9, 0.85, 0.95, 0.8, 0.75, 0.7, 0.65, 0.6)  # "above 90 %", by preference
MARGIN = 0.02  # no accuracy the questions count lies closer to their line than this: about
# 1 mm on the printed plot (0 to 1 over 4.5 cm), 5 px on the page's; what a pupil can read
# each loss as the intro names it, followed by its formula ({formula}) as mathematics
LOSS_WORDS = {"half_sse": N_("the squared error {formula}"),
              "sse": N_("the squared error {formula}"),
              "mse": N_("the mean squared error {formula}")}
_T, _Y = Symbol("t", sub="k"), Symbol("y", sub="k")
# each network as the sheet names it: whole phrases, so that a language may inflect them
NETWORKS = {"half_sse": N_("the squared-error network"), "sse": N_("the squared-error network"),
            "mse": N_("the mean-squared-error network"), "ce": N_("the cross-entropy network")}


@dataclass(frozen=True)
class Measured:
    """One training run, with what the sheet reads from it (checked against the run itself)."""

    run: training.Run
    predicted: np.ndarray  # each test digit's predicted class

    @property
    def correct(self) -> int:
        return int(np.trace(np.array(self.run.confusion)))

    @property
    def accuracy(self) -> float:
        return self.run.epochs[-1].test_accuracy


def network(hidden: int, loss: str) -> Network:
    """64-h-10 with a sigmoid hidden layer; `loss` a squared error (sigmoid outputs) or
    cross_entropy (softmax outputs).

    >>> network(16, "half_sse").activations, network(16, "cross_entropy").activations
    (('sigmoid', 'sigmoid'), ('sigmoid', 'softmax'))
    """
    out = "softmax" if loss == "cross_entropy" else "sigmoid"
    return Network((64, hidden, 10), ("sigmoid", out), loss, "per_neuron")


def measure(lesson: Lesson, data: Examples, test: Examples, hidden: int, rate: float,
            loss: str, verify_first: bool = False,
            optimizer: Optimizer = training.PLAIN) -> Measured:
    """One seeded run; with `verify_first`, its first mini-batch is derived by the engine and
    verified three ways before the first step (training.train: about 3 s on 64-16-10, so only
    the sheet's two main runs do it, not each run of the grid, nor the second optimizer's,
    whose first gradient is the cross-entropy run's: the same start, the same batch)."""
    net = network(hidden, loss)
    run = training.train(net, data, lesson.epochs, lesson.batch_size, rate, lesson.seed,
                         lesson.test_fraction, verify_first=verify_first, optimizer=optimizer)
    inst = Instance(net, Values((0.0,) * 64, (0.0,) * 10, None, None), rate, True)
    predicted = training.predictions(inst, run.params, test)
    # what the sheet prints must agree with itself: the matrix, the predictions, the accuracy
    table = np.zeros((10, 10), dtype=int)
    np.add.at(table, (test.labels, predicted), 1)
    if table.tolist() != run.confusion:
        raise VerificationError("the confusion matrix disagrees with the test predictions")
    if int(np.trace(table)) != round(run.epochs[-1].test_accuracy * len(test.labels)):
        raise VerificationError("the test accuracy disagrees with the confusion matrix")
    return Measured(run, predicted)


def build(lesson: Lesson) -> LessonSheet:
    data = dataset.read(lesson.data)
    _, test = data.split(lesson.test_fraction, lesson.seed)
    runs = 2 + bool(lesson.compare) + 2 * len(lesson.grid_hidden) * len(lesson.grid_rates)
    training.check_work(network(max((lesson.hidden, *lesson.grid_hidden)), "half_sse"),
                        len(data.labels) - len(test.labels), lesson.epochs, lesson.batch_size,
                        lesson.data, runs)  # counted before any
    done: dict[tuple[int, float, str], Measured] = {}

    def get(hidden: int, rate: float, loss: str, verify_first: bool = False) -> Measured:
        if (hidden, rate, loss) not in done:  # the main pair is also a cell of the grid
            done[hidden, rate, loss] = measure(lesson, data, test, hidden, rate, loss,
                                               verify_first)
        return done[hidden, rate, loss]

    se = get(lesson.hidden, lesson.learning_rate, lesson.squared_error, verify_first=True)
    ce = get(lesson.hidden, lesson.learning_rate, "cross_entropy", verify_first=True)
    grid = [[(get(h, r, lesson.squared_error).accuracy, get(h, r, "cross_entropy").accuracy)
             for r in lesson.grid_rates] for h in lesson.grid_hidden]
    other = measure(lesson, data, test, lesson.hidden, lesson.compare_rate, "cross_entropy",
                    optimizer=lesson.compare) if lesson.compare else None
    n_test, _ = len(test.labels), words(lesson.language)
    intro = _intro(lesson, len(data.labels) - n_test, n_test, _)
    if other is not None:
        intro = Prose((*intro.parts, " ", *digits_optimizers.intro(lesson, _).parts))
    sheet = LessonSheet(lesson.title, lesson.kind, lesson.decimals, lesson.seed, intro, [],
                        language=lesson.language)
    asker = Asker(sheet)

    def ask(text: str, name: str, value: float, integer: bool = False, tree=None,
            mistakes=(), working=None) -> Row:
        return Row(Prose((text,)), asker(name, value, tree, mistakes, working, whole=integer))

    def share(m: Measured) -> tuple:  # its diagonal over the test digits, or its mistakes'
        return (["div", m.correct, n_test],
                [("errors_for_accuracy", ["div", n_test - m.correct, n_test])])

    named = {"se": _(NETWORKS[lesson.squared_error]), "ce": _(NETWORKS["ce"])}
    se_words, runs = _words(lesson), {"se": se, "ce": ce}
    reading = [
        ask(_("Test accuracy of {network} after epoch {epochs}, from its confusion matrix (its "
              "diagonal over the {n} test digits):").format(network=named["se"],
                                                            epochs=lesson.epochs, n=n_test),
            "test accuracy, squared error", se.correct / n_test, False, *share(se)),
        ask(_("The same for the cross-entropy network:"), "test accuracy, cross-entropy",
            ce.correct / n_test, False, *share(ce))]
    # from the student's own accuracies: the share between them, in test digits
    gap = ["mul", ["sub", ref("test accuracy, cross-entropy"),
                   ref("test accuracy, squared error")], n_test]
    reading.append(ask(_("How many more test digits does cross-entropy get right than squared "
                         "error (negative if fewer)?"), "more right with cross-entropy",
                       ce.correct - se.correct, True, ["round", gap],
                       [("opposite_sign", ["round", ["neg", gap]])],
                       # the key's line: the two diagonals' counts, as a teacher works it
                       Ops((Number(ce.correct), Number(se.correct)), ("−",))))
    for key in ("se", "ce"):
        true, predicted = _most_confused(runs[key].run.confusion)
        if true is None:
            continue
        reading += [
            ask(_("The most frequent mistake of {network} is the largest count off the "
                  "diagonal of its matrix (if several are equal, the first in reading order). "
                  "Which digit was it shown?").format(network=named[key]),
                f"{_short(key)}: most confused, true digit", true, integer=True),
            ask(_("Which digit did {network} take it for, in that mistake?").format(
                network=named[key]),
                f"{_short(key)}: most confused, predicted digit", predicted, integer=True)]
    curves = {key: [e.test_accuracy for e in m.run.epochs] for key, m in runs.items()}
    # with a second optimizer its curve too: one line the questions of both sections read
    line = threshold(list(curves.values()) + (
        [[e.test_accuracy for e in other.run.epochs]] if other else []))
    curve_rows = []
    if line is not None:  # else no line lies clear of both curves: nothing to read off them
        percent = _.number(f"{100 * line:g}") + "\u00a0%"
        for key in ("se", "ce"):
            curve_rows.append(ask(
                _("{network}: the first epoch after which its test accuracy is above "
                  "{percent}:").format(network=_capital(named[key]), percent=percent),
                f"{_short(key)}: first epoch above {100 * line:g}%",
                _first_above(curves[key], line), integer=True))
        curve_rows.append(ask(
            _("The cross-entropy network: the number of epochs (of {epochs}) after which its "
              "test accuracy is above {percent}:").format(epochs=lesson.epochs,
                                                         percent=percent),
            f"cross-entropy: epochs above {100 * line:g}%",
            sum(a > line for a in curves["ce"]), integer=True))
    settings = len(lesson.grid_hidden) * len(lesson.grid_rates)
    not_worse = sum(s >= c for row in grid for s, c in row)
    table_rows = [ask(_("At how many of the {n} settings in the table is squared error at least "
                        "as accurate on the test digits as cross-entropy?").format(n=settings),
                      "settings where squared error is not worse", not_worse, integer=True)]
    sheet.sections = [(Prose((_("Reading the two runs"),)), reading),
                      *([(Prose((_("Reading the curves"),)), curve_rows)] if curve_rows else []),
                      (Prose((_("Reading the table"),)), table_rows),
                      *([(Prose((_("Gradient descent or {optimizer}?").format(
                          optimizer=digits_optimizers.name(lesson.compare, _)),)),
                          digits_optimizers.rows(lesson, ce, other, ask, line, n_test, _))]
                        if other else [])]
    said = conclusion(lesson, se, ce, grid, n_test, line, _)
    if other is not None:  # after the two losses' sentences, before the seed's caveat
        said.insert(-1, digits_optimizers.conclusion(lesson, ce, other, line, n_test, _))
    sheet.figures |= {
        "runs": {key: {"accuracy": [e.test_accuracy for e in m.run.epochs],
                       "loss": [e.loss for e in m.run.epochs],
                       "train_accuracy": [e.train_accuracy for e in m.run.epochs],
                       "confusion": m.run.confusion} for key, m in runs.items()},
        "misclassified": _misclassified(lesson, test, se, ce),
        "grid": {"hidden": list(lesson.grid_hidden), "rates": list(lesson.grid_rates),
                 "accuracy": grid},
        "conclusion": said,
        "threshold": line,
        "closing": {"heading": _("Is the claim true?"), "question": _(CLAIM) + " " + _(
                    "What do these measurements say about that claim? Use the numbers."),
                    "answer": said, "space": "3cm"},
        "verified": {key: _verified(m.run) for key, m in runs.items()},
        "key_note": _key_note(_, se.run, ce.run),
        "se_words": se_words, "squared_error": lesson.squared_error,
        "test_size": n_test, "epochs": lesson.epochs, "hidden": lesson.hidden}
    if other is not None:
        sheet.figures["compare"] = {
            "name": digits_optimizers.name(lesson.compare, _),
            "accuracy": [e.test_accuracy for e in other.run.epochs],
            "loss": [e.loss for e in other.run.epochs],
            "correct": [digits_optimizers.correct(other, e) for e in range(1, lesson.epochs + 1)]}
    return sheet


def _verified(run: training.Run) -> dict:
    """How the engine checked the first mini-batch's gradient the trainer stepped with."""
    first = run.first_batch
    return {"examples": len(first.examples), "of": run.batch_size,
            "numpy": first.numpy_max_abs_diff, "fd": first.fd_max_rel_err}


def _key_note(_: Words, *runs: training.Run) -> str:
    firsts = [r.first_batch for r in runs]
    return _("every number was measured by training the networks from their random starting "
             "weights and checked against their confusion matrices. The gradient of the first "
             "mini-batch of each of the two runs ({n} of {batch} examples) was derived "
             "symbolically and verified three ways before the first step: an independent "
             "numerical evaluation agreed to {numpy} decimal places, finite differences to "
             "{fd} significant figures.").format(
        n=len(firsts[0].examples), batch=runs[0].batch_size,
        numpy=_agreed_digits(max(f.numpy_max_abs_diff for f in firsts)),
        fd=_agreed_digits(max(f.fd_max_rel_err for f in firsts)))


def _agreed_digits(difference: float) -> int:
    """The digits two computations share, said as a teacher says it (a difference below
    10^-n agrees to n places), not 4.2e-17; float64 holds no more than 16."""
    return 16 if difference <= 0 else max(0, min(16, math.floor(-math.log10(difference))))


def _capital(text: str) -> str:
    """A phrase that begins a sentence: 'the cross-entropy network' → 'The cross-entropy ...'."""
    return text[:1].upper() + text[1:]


def _short(key: str) -> str:
    return {"se": "squared error", "ce": "cross-entropy"}[key]


def _words(lesson: Lesson) -> str:
    return {"half_sse": "squared-error", "sse": "squared-error", "mse": "mean-squared-error"}[
        lesson.squared_error]


def _first_above(accuracies: list[float], line: float) -> int | None:
    return next((i for i, a in enumerate(accuracies, start=1) if a > line), None)


def threshold(curves: list[list[float]]) -> float | None:
    """The line the curve questions ask about: the first of THRESHOLDS that every curve
    crosses (so each has a first epoch above it) and that no point of any curve comes within
    MARGIN of (so which points lie above it can be read off the plot); None if none does.

    >>> threshold([[0.5, 0.8, 0.8997], [0.7, 0.95, 0.96]])  # 0.9 is 0.0003 from a point
    0.85
    >>> threshold([[0.5, 0.6], [0.7, 0.95]]) is None  # the first curve crosses none clearly
    True
    """
    for line in THRESHOLDS:
        if all(any(a > line for a in c) and all(abs(a - line) >= MARGIN for a in c)
               for c in curves):
            return line
    return None


def _most_confused(confusion: list[list[int]]) -> tuple[int | None, int | None]:
    """(true digit, predicted digit) of the largest count off the diagonal, the first in
    reading order; (None, None) when the network made no mistake.

    >>> _most_confused([[5, 1, 2], [3, 4, 0], [0, 3, 9]])
    (1, 0)
    """
    off = np.array(confusion)
    np.fill_diagonal(off, 0)
    if not off.any():
        return None, None
    true, predicted = np.unravel_index(int(off.argmax()), off.shape)
    return int(true), int(predicted)


def _misclassified(lesson: Lesson, test: Examples, se: Measured, ce: Measured) -> list[dict]:
    """The first test digits the cross-entropy network gets wrong, as 0..16 pixels."""
    wrong = np.flatnonzero(ce.predicted != test.labels)[:lesson.misclassified]
    return [{"pixels": [int(v) for v in np.round(test.inputs[i] * dataset.DARKEST)],
             "true": int(test.labels[i]), "ce": int(ce.predicted[i]), "se": int(se.predicted[i])}
            for i in wrong]


CLAIM = N_("A course on neural networks claims that a digit classifier learns worse with "
         "squared error than with cross-entropy.")


def _intro(lesson: Lesson, n_train: int, n_test: int, _: Words = ENGLISH) -> Prose:
    def formula(loss: str):  # J's right-hand side over the 10 outputs, as mathematics
        return loss_formula(loss, _T, _Y, Number(10)).sides[1]

    return Prose.of(_(CLAIM) + " " + _(
        "Is that so? Here it is measured. The same 64-{hidden}-10 network (64 inputs, one "
        "per pixel; a sigmoid hidden layer of {hidden} neurons; 10 outputs, one per digit) was "
        "trained twice, from the same random starting weights and on the same mini-batches "
        "(small groups of training digits, one step of gradient descent each): once with "
        "sigmoid outputs and {loss} over the 10 outputs, once with softmax outputs and the "
        "cross-entropy {ce}. Data: the UCI 8 by 8 handwritten digits, {train} to train on "
        "and {test} held out to test (never trained on); {epochs} epochs (an epoch is one "
        "pass through all the training digits) of mini-batches of {batch}, learning rate "
        "{rate}. Test accuracy, the share of the test digits a network classifies "
        "correctly, is measured after each epoch."), hidden=lesson.hidden,
        loss=Prose.of(_(LOSS_WORDS[lesson.squared_error]),
                      formula=formula(lesson.squared_error)),
        ce=formula("cross_entropy"), train=_whole(n_train, _), test=_whole(n_test, _),
        epochs=lesson.epochs, batch=lesson.batch_size,
        rate=_.number(f"{lesson.learning_rate:g}"))


def _whole(n: int, _: Words) -> str:
    """A count as the sheet writes it: 1,438 in English; with a decimal comma, no point or
    comma between its thousands (1.438 reads as a decimal), but a narrow no-break space from
    five digits on, as SI and the Spanish Academy write them (14 380; 1438).

    >>> from symbackprop.definitions.language import words
    >>> _whole(1438, words("en")), _whole(1438, words("es")), _whole(14380, words("de"))
    ('1,438', '1438', '14\u202f380')
    """
    if _.decimal == ".":
        return f"{n:,}"
    return f"{n:,}".replace(",", "\u202f") if n >= 10_000 else str(n)


def conclusion(lesson: Lesson, se: Measured, ce: Measured, grid, n_test: int,
               line: float | None = 0.9, _: Words = ENGLISH) -> list[str]:
    """What the measurement shows, in sentences worded from the numbers."""
    def num(v: float, spec: str) -> str:
        return _.number(format(v, spec))

    gap = ce.correct - se.correct
    main = _("With hidden size {hidden} and learning rate {rate}, cross-entropy ends at a test "
             "accuracy of {ce} and squared error at {se}:").format(
        hidden=lesson.hidden, rate=num(lesson.learning_rate, "g"), ce=num(ce.accuracy, ".4f"),
        se=num(se.accuracy, ".4f")) + " "
    if gap > 0:
        main += _("cross-entropy gets {gap} more of the {n} test digits right, so here squared "
                  "error is worse, as the course claims.").format(gap=gap, n=n_test)
    elif gap == 0:
        main += _("both get the same number of test digits right: squared error is not worse "
                  "here.")
    else:
        main += _("squared error gets {gap} more of the {n} test digits right: here it is not "
                  "worse but better, contrary to the claim.").format(gap=-gap, n=n_test)
    return [main, _speed(lesson, se, ce, line, _), *_grid_words(lesson, grid, n_test, _),
            _("One test digit is {share} of the accuracy; every run starts from the same random "
              "weights, and other starting weights would give somewhat different "
              "numbers.").format(
                share=num(1 / n_test, ".4f"))]


def _speed(lesson: Lesson, se: Measured, ce: Measured, line: float | None, _: Words) -> str:
    """How soon each curve crosses the line the sheet asks about."""
    if line is None:
        return _("No accuracy line lies clear of both curves, so the sheet asks nothing about "
                 "them.")
    first_se, first_ce = (_first_above([e.test_accuracy for e in m.run.epochs], line)
                          for m in (se, ce))
    percent = _.number(f"{100 * line:g}") + " %"
    speed = (_("Cross-entropy is above {percent} after epoch {epoch};").format(
        percent=percent, epoch=first_ce) if first_ce else
        _("Cross-entropy never gets above {percent};").format(percent=percent))
    return speed + " " + (_("squared error after epoch {epoch}.").format(epoch=first_se)
                          if first_se else
                          _("squared error never does in {epochs} epochs.").format(
                              epochs=lesson.epochs))


def _grid_words(lesson: Lesson, grid, n_test: int, _: Words) -> list[str]:
    """What the table of settings shows: where squared error is not worse, where the two are
    closest and furthest apart, and how the gap moves with the rate."""
    def num(v: float, spec: str) -> str:
        return _.number(format(v, spec))

    cells = [(h, r, s, c) for h, row in zip(lesson.grid_hidden, grid)
             for r, (s, c) in zip(lesson.grid_rates, row)]
    not_worse = [(h, r, s, c) for h, r, s, c in cells if s >= c]
    if not not_worse:
        table = _("In the table squared error is worse at every one of the {n} settings.").format(
            n=len(cells))
    else:
        listed = _("; ").join(_("hidden {h}, rate {r} ({s} against {c})").format(
            h=h, r=num(r, "g"), s=num(s, ".4f"), c=num(c, ".4f")) for h, r, s, c in not_worse)
        table = _("In the table squared error is not worse at {k} of the {n} settings: "
                  "{listed}.").format(k=len(not_worse), n=len(cells), listed=listed)
    h, r, s, c = min(cells, key=lambda x: x[3] - x[2])
    at = {"h": h, "r": num(r, "g")}
    closest = (_("The two losses are closest at hidden {h}, rate {r}, where cross-entropy is "
                 "ahead by {d} test digits").format(d=round((c - s) * n_test), **at) if c > s
               else _("Squared error is furthest ahead at hidden {h}, rate {r}, by {d} test "
                      "digits").format(d=round((s - c) * n_test), **at) if s > c
               else _("At hidden {h}, rate {r} the two are level").format(**at))
    h, r, s, c = max(cells, key=lambda x: x[3] - x[2])
    widest = (_("; cross-entropy is furthest ahead at hidden {h}, rate {r} ({c} against {s}, "
                "{d} test digits).").format(h=h, r=num(r, "g"), c=num(c, ".4f"),
                                            s=num(s, ".4f"), d=round((c - s) * n_test))
              if c > s else ".")
    return [table, closest + widest + _trend(lesson, grid, _)]


def _trend(lesson: Lesson, grid, _: Words) -> str:
    """Whether the gap shrinks or grows from the smallest rate to the largest, everywhere."""
    rates = lesson.grid_rates
    if len(rates) < 2:
        return ""
    lo, hi = rates.index(min(rates)), rates.index(max(rates))
    gaps = [(row[lo][1] - row[lo][0], row[hi][1] - row[hi][0]) for row in grid]
    big, small = _.number(f"{max(rates):g}"), _.number(f"{min(rates):g}")
    if all(b < a for a, b in gaps):
        return " " + _("At every hidden size the gap is smaller at rate {big} than at rate "
                       "{small}: squared error needs larger steps.").format(big=big, small=small)
    if all(b > a for a, b in gaps):
        return " " + _("At every hidden size the gap is larger at rate {big} than at rate "
                       "{small}.").format(big=big, small=small)
    return ""
