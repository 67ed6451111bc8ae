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
from .forms import Prose
from .model import LessonSheet, Row

THRESHOLD = 0.9  # "above 90 %": the accuracy the questions ask about
LOSS_WORDS = {"half_sse": "squared error ½·Σ(t − y)²", "sse": "squared error Σ(t − y)²",
              "mse": "mean squared error (1/10)·Σ(t − y)²"}


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
    whole = sheet.figures.setdefault("whole", set())

    def ask(text: str, name: str, value: float, integer: bool = False) -> Row:
        a = sheet.add(name, value)
        if integer:
            whole.add(a.label)
        return Row(Prose((text,)), a)

    se_words, runs = _words(lesson), {"se": se, "ce": ce}
    reading = [
        ask(rf"Test accuracy of the {se_words} network after epoch {lesson.epochs}, from its "
            rf"confusion matrix (its diagonal over the {n_test} test digits):",
            "test accuracy, squared error", se.correct / n_test),
        ask(r"The same for the cross-entropy network:", "test accuracy, cross-entropy",
            ce.correct / n_test),
        ask(r"How many more test digits does cross-entropy get right than squared error "
            r"(negative if fewer)?", "more right with cross-entropy", ce.correct - se.correct,
            integer=True)]
    for key, words in (("se", se_words), ("ce", "cross-entropy")):
        true, predicted = _most_confused(runs[key].run.confusion)
        if true is None:
            continue
        reading += [
            ask(rf"The {words} network's most frequent mistake (the largest count off the "
                r"diagonal; if several are equal, the first in reading order): the true digit",
                f"{_short(key)}: most confused, true digit", true, integer=True),
            ask("and the digit it was taken for:",
                f"{_short(key)}: most confused, predicted digit", predicted, integer=True)]
    curves = []
    for key, words in (("se", se_words), ("ce", "cross-entropy")):
        accs = [e.test_accuracy for e in runs[key].run.epochs]
        curves.append(ask(rf"After how many of the {lesson.epochs} epochs is the {words} "
                          "network's test accuracy above 90\u00a0%?",
                          f"{_short(key)}: epochs above 90%",
                          sum(a > THRESHOLD for a in accs), integer=True))
        first = _first_above(accs)
        if key == "ce" and first is not None:
            curves.append(ask("The first epoch after which the cross-entropy network's test "
                              "accuracy is above 90\u00a0%:", "cross-entropy: first epoch above "
                              "90%", first, integer=True))
    settings = len(lesson.grid_hidden) * len(lesson.grid_rates)
    not_worse = sum(s >= c for row in grid for s, c in row)
    table_rows = [ask(rf"At how many of the {settings} settings in the table is squared error at "
                      r"least as accurate on the test digits as cross-entropy?",
                      "settings where squared error is not worse", not_worse, integer=True)]
    sheet.sections = [(Prose(("Reading the two runs",)), reading),
                      (Prose(("Reading the curves",)), curves),
                      (Prose(("Reading the table",)), table_rows)]
    sheet.figures |= {
        "runs": {key: {"accuracy": [e.test_accuracy for e in m.run.epochs],
                       "loss": [e.loss for e in m.run.epochs],
                       "train_accuracy": [e.train_accuracy for e in m.run.epochs],
                       "confusion": m.run.confusion} for key, m in runs.items()},
        "misclassified": _misclassified(lesson, test, se, ce),
        "grid": {"hidden": list(lesson.grid_hidden), "rates": list(lesson.grid_rates),
                 "accuracy": grid},
        "conclusion": conclusion(lesson, se, ce, grid, n_test),
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


def _first_above(accuracies: list[float]) -> int | None:
    return next((i for i, a in enumerate(accuracies, start=1) if a > THRESHOLD), None)


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


def _intro(lesson: Lesson, n_train: int, n_test: int) -> str:
    return (f"Seed 000 says that a digit classifier learns worse with squared error than with "
            f"cross-entropy. Here it is measured. The same 64-{lesson.hidden}-10 network (a "
            f"sigmoid hidden layer) was trained twice from seed {lesson.seed}, from the same "
            f"starting weights and on the same mini-batches: once with sigmoid outputs and "
            f"{LOSS_WORDS[lesson.squared_error]} over the 10 outputs ({lesson.squared_error}), "
            f"once with softmax outputs and cross-entropy. Data: the UCI 8 by 8 digits, "
            f"{n_train} to train on and "
            f"{n_test} held out to test; {lesson.epochs} epochs of mini-batches of "
            f"{lesson.batch_size}, learning rate {lesson.learning_rate:g}.")


def conclusion(lesson: Lesson, se: Measured, ce: Measured, grid, n_test: int) -> list[str]:
    """What the measurement shows, in sentences worded from the numbers."""
    gap = ce.correct - se.correct
    main = (f"With hidden size {lesson.hidden} and learning rate {lesson.learning_rate:g}, "
            f"cross-entropy ends at a test accuracy of {ce.accuracy:.4f} and squared error at "
            f"{se.accuracy:.4f}: ")
    if gap > 0:
        main += (f"cross-entropy gets {gap} more of the {n_test} test digits right, so here "
                 "squared error is worse, as seed 000 says.")
    elif gap == 0:
        main += "both get the same number of test digits right: squared error is not worse here."
    else:
        main += (f"squared error gets {-gap} more of the {n_test} test digits right: here it is "
                 "not worse but better, contrary to what seed 000 says.")
    first_se, first_ce = (_first_above([e.test_accuracy for e in m.run.epochs])
                          for m in (se, ce))
    speed = (f"Cross-entropy is above 90 % after epoch {first_ce}; "
             if first_ce else "Cross-entropy never gets above 90 %; ")
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
            f"One test digit is {1 / n_test:.4f} of the accuracy; every run uses seed "
            f"{lesson.seed}, so another seed would give somewhat different numbers."]
