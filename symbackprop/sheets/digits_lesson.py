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

from dataclasses import dataclass

import numpy as np

from ..definitions import dataset
from ..definitions.dataset import Examples
from ..definitions.definition import Lesson, Network, Values
from ..definitions.errors import VerificationError
from ..engine import training
from ..engine.sample import Instance
from .forms import Number, Ops, Prose, Symbol
from .lesson_parts import Asker, ref
from .model import LessonSheet, Row
from .rules import loss_formula

THRESHOLDS = (0.9, 0.85, 0.95, 0.8, 0.75, 0.7, 0.65, 0.6)  # "above 90 %", by preference
MARGIN = 0.02  # no accuracy the questions count lies closer to their line than this: about
# 1 mm on the printed plot (0 to 1 over 4.5 cm), 5 px on the page's; what a pupil can read
LOSS_WORDS = {"half_sse": "the squared error", "sse": "the squared error",
              "mse": "the mean squared error"}  # each followed by its formula, as mathematics
_T, _Y = Symbol("t", sub="k"), Symbol("y", sub="k")


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
            loss: str, verify_first: bool = False) -> Measured:
    """One seeded run; with `verify_first`, its first mini-batch is derived by the engine and
    verified three ways before the first step (training.train: about 3 s on 64-16-10, so only
    the sheet's two main runs do it, not each run of the grid)."""
    net = network(hidden, loss)
    run = training.train(net, data, lesson.epochs, lesson.batch_size, rate, lesson.seed,
                         lesson.test_fraction, verify_first=verify_first)
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
    runs = 2 + 2 * len(lesson.grid_hidden) * len(lesson.grid_rates)  # counted before any
    training.check_work(network(max((lesson.hidden, *lesson.grid_hidden)), "half_sse"),
                        len(data.labels) - len(test.labels), lesson.epochs, lesson.batch_size,
                        lesson.data, runs)
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
    n_test = len(test.labels)
    sheet = LessonSheet(lesson.title, lesson.kind, lesson.decimals, lesson.seed,
                        _intro(lesson, len(data.labels) - n_test, n_test), [])
    asker = Asker(sheet)

    def ask(text: str, name: str, value: float, integer: bool = False, tree=None,
            mistakes=(), working=None) -> Row:
        return Row(Prose((text,)), asker(name, value, tree, mistakes, working, whole=integer))

    def share(m: Measured) -> tuple:  # its diagonal over the test digits, or its mistakes'
        return (["div", m.correct, n_test],
                [("errors_for_accuracy", ["div", n_test - m.correct, n_test])])

    se_words, runs = _words(lesson), {"se": se, "ce": ce}
    reading = [
        ask(f"Test accuracy of the {se_words} network after epoch {lesson.epochs}, from its "
            f"confusion matrix (its diagonal over the {n_test} test digits):",
            "test accuracy, squared error", se.correct / n_test, False, *share(se)),
        ask("The same for the cross-entropy network:", "test accuracy, cross-entropy",
            ce.correct / n_test, False, *share(ce))]
    # from the student's own accuracies: the share between them, in test digits
    gap = ["mul", ["sub", ref("test accuracy, cross-entropy"),
                   ref("test accuracy, squared error")], n_test]
    reading.append(ask("How many more test digits does cross-entropy get right than squared "
                       "error (negative if fewer)?", "more right with cross-entropy",
                       ce.correct - se.correct, True, ["round", gap],
                       [("opposite_sign", ["round", ["neg", gap]])],
                       # the key's line: the two diagonals' counts, as a teacher works it
                       Ops((Number(ce.correct), Number(se.correct)), ("−",))))
    for key, words in (("se", se_words), ("ce", "cross-entropy")):
        true, predicted = _most_confused(runs[key].run.confusion)
        if true is None:
            continue
        reading += [
            ask(f"The {words} network's most frequent mistake is the largest count off the "
                "diagonal of its matrix (if several are equal, the first in reading order). "
                "Which digit was it shown?",
                f"{_short(key)}: most confused, true digit", true, integer=True),
            ask(f"Which digit did the {words} network take it for, in that mistake?",
                f"{_short(key)}: most confused, predicted digit", predicted, integer=True)]
    curves = {key: [e.test_accuracy for e in m.run.epochs] for key, m in runs.items()}
    line = threshold(list(curves.values()))
    curve_rows = []
    if line is not None:  # else no line lies clear of both curves: nothing to read off them
        percent = f"{100 * line:g}\u00a0%"
        for key, words in (("se", se_words), ("ce", "cross-entropy")):
            curve_rows.append(ask(
                f"The {words} network: the first epoch after which its test accuracy is above "
                f"{percent}:", f"{_short(key)}: first epoch above {100 * line:g}%",
                _first_above(curves[key], line), integer=True))
        curve_rows.append(ask(
            f"The cross-entropy network: the number of epochs (of {lesson.epochs}) after which "
            f"its test accuracy is above {percent}:",
            f"cross-entropy: epochs above {100 * line:g}%",
            sum(a > line for a in curves["ce"]), integer=True))
    settings = len(lesson.grid_hidden) * len(lesson.grid_rates)
    not_worse = sum(s >= c for row in grid for s, c in row)
    table_rows = [ask(rf"At how many of the {settings} settings in the table is squared error at "
                      r"least as accurate on the test digits as cross-entropy?",
                      "settings where squared error is not worse", not_worse, integer=True)]
    sheet.sections = [(Prose(("Reading the two runs",)), reading),
                      *([(Prose(("Reading the curves",)), curve_rows)] if curve_rows else []),
                      (Prose(("Reading the table",)), table_rows)]
    sheet.figures |= {
        "runs": {key: {"accuracy": [e.test_accuracy for e in m.run.epochs],
                       "loss": [e.loss for e in m.run.epochs],
                       "train_accuracy": [e.train_accuracy for e in m.run.epochs],
                       "confusion": m.run.confusion} for key, m in runs.items()},
        "misclassified": _misclassified(lesson, test, se, ce),
        "grid": {"hidden": list(lesson.grid_hidden), "rates": list(lesson.grid_rates),
                 "accuracy": grid},
        "conclusion": conclusion(lesson, se, ce, grid, n_test, line),
        "threshold": line,
        "closing": {"heading": "Is the claim true?", "question": f"{CLAIM} What do these "
                    "measurements say about that claim? Use the numbers.",
                    "answer": conclusion(lesson, se, ce, grid, n_test, line), "space": "3cm"},
        "verified": {key: _verified(m.run) for key, m in runs.items()},
        "key_note": _key_note(se.run, ce.run),
        "se_words": se_words, "squared_error": lesson.squared_error,
        "test_size": n_test, "epochs": lesson.epochs, "hidden": lesson.hidden}
    return sheet


def _verified(run: training.Run) -> dict:
    """How the engine checked the first mini-batch's gradient the trainer stepped with."""
    first = run.first_batch
    return {"examples": len(first.examples), "of": run.batch_size,
            "numpy": first.numpy_max_abs_diff, "fd": first.fd_max_rel_err}


def _key_note(*runs: training.Run) -> str:
    firsts = [r.first_batch for r in runs]
    return ("every number was measured by training the networks from the seed and checked "
            "against their confusion matrices. The first mini-batch of each of the two runs "
            f"({len(firsts[0].examples)} of {runs[0].batch_size} examples) was derived by the "
            "engine and verified three ways before the first step: NumPy within "
            f"{max(f.numpy_max_abs_diff for f in firsts):.1e}, finite differences within "
            f"{max(f.fd_max_rel_err for f in firsts):.1e} (relative).")


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


CLAIM = ("A course on neural networks claims that a digit classifier learns worse with "
         "squared error than with cross-entropy.")


def _intro(lesson: Lesson, n_train: int, n_test: int) -> Prose:
    def formula(loss: str):  # J's right-hand side over the 10 outputs, as mathematics
        return loss_formula(loss, _T, _Y, Number(10)).sides[1]

    return Prose.of(
        f"{CLAIM} Is that so? Here it is measured. The same 64-{lesson.hidden}-10 network "
        f"(a sigmoid hidden layer) was trained twice, from the same random starting weights "
        f"and on the same mini-batches: once with sigmoid outputs and "
        f"{LOSS_WORDS[lesson.squared_error]} {{se}} over the 10 outputs, once with softmax "
        f"outputs and the cross-entropy {{ce}}. Data: the UCI 8 by 8 handwritten digits, "
        f"{n_train:,} to train on and {n_test:,} held out to test; {lesson.epochs} epochs of "
        f"mini-batches of {lesson.batch_size}, learning rate {lesson.learning_rate:g}. Test "
        "accuracy is measured after each epoch.",
        se=formula(lesson.squared_error), ce=formula("cross_entropy"))


def conclusion(lesson: Lesson, se: Measured, ce: Measured, grid, n_test: int,
               line: float | None = 0.9) -> list[str]:
    """What the measurement shows, in sentences worded from the numbers."""
    gap = ce.correct - se.correct
    main = (f"With hidden size {lesson.hidden} and learning rate {lesson.learning_rate:g}, "
            f"cross-entropy ends at a test accuracy of {ce.accuracy:.4f} and squared error at "
            f"{se.accuracy:.4f}: ")
    if gap > 0:
        main += (f"cross-entropy gets {gap} more of the {n_test} test digits right, so here "
                 "squared error is worse, as the course claims.")
    elif gap == 0:
        main += "both get the same number of test digits right: squared error is not worse here."
    else:
        main += (f"squared error gets {-gap} more of the {n_test} test digits right: here it is "
                 "not worse but better, contrary to the claim.")
    if line is None:
        speed = ("No accuracy line lies clear of both curves, so the sheet asks nothing about "
                 "them.")
    else:
        first_se, first_ce = (_first_above([e.test_accuracy for e in m.run.epochs], line)
                              for m in (se, ce))
        percent = f"{100 * line:g} %"
        speed = (f"Cross-entropy is above {percent} after epoch {first_ce}; "
                 if first_ce else f"Cross-entropy never gets above {percent}; ")
        speed += (f"squared error after epoch {first_se}." if first_se else
                  f"squared error never does in {lesson.epochs} epochs.")
    cells = [(h, r, s, c) for h, row in zip(lesson.grid_hidden, grid)
             for r, (s, c) in zip(lesson.grid_rates, row)]
    not_worse = [(h, r, s, c) for h, r, s, c in cells if s >= c]
    if not not_worse:
        table = (f"In the table squared error is worse at every one of the {len(cells)} "
                 "settings.")
    else:
        listed = "; ".join(f"hidden {h}, rate {r:g} ({s:.4f} against {c:.4f})"
                           for h, r, s, c in not_worse)
        table = (f"In the table squared error is not worse at {len(not_worse)} of the "
                 f"{len(cells)} settings: {listed}.")
    h, r, s, c = min(cells, key=lambda x: x[3] - x[2])
    closest = (f"The two losses are closest at hidden {h}, rate {r:g}, where cross-entropy is "
               f"ahead by {round((c - s) * n_test)} test digits" if c > s else
               f"Squared error is furthest ahead at hidden {h}, rate {r:g}, by "
               f"{round((s - c) * n_test)} test digits" if s > c else
               f"At hidden {h}, rate {r:g} the two are level")
    h, r, s, c = max(cells, key=lambda x: x[3] - x[2])
    widest = (f"; cross-entropy is furthest ahead at hidden {h}, rate {r:g} ({c:.4f} against "
              f"{s:.4f}, {round((c - s) * n_test)} test digits)." if c > s else ".")
    trend = ""
    rates = lesson.grid_rates
    if len(rates) > 1:
        lo, hi = rates.index(min(rates)), rates.index(max(rates))
        gaps = [(row[lo][1] - row[lo][0], row[hi][1] - row[hi][0]) for row in grid]
        if all(b < a for a, b in gaps):
            trend = (f" At every hidden size the gap is smaller at rate {max(rates):g} than at "
                     f"rate {min(rates):g}: squared error needs larger steps.")
        elif all(b > a for a, b in gaps):
            trend = (f" At every hidden size the gap is larger at rate {max(rates):g} than at "
                     f"rate {min(rates):g}.")
    return [main, speed, table, closest + widest + trend,
            f"One test digit is {1 / n_test:.4f} of the accuracy; every run starts from the "
            "same random seed, and another seed would give somewhat different numbers."]
