"""Seed 000's question, measured (worksheets/digits-classifier.yaml): the key's numbers against an
independent re-run and plain NumPy, the confusion matrices against the test split, the PDFs'
text against the key, the conclusion against the sign of what was measured, and bad options."""

import gzip
import json

import numpy as np
import pytest

from symbackprop.cli import main
from symbackprop.definitions import dataset
from symbackprop.definitions.definition import DefinitionError, Network, load, parse
from symbackprop.engine import training
from symbackprop.engine.sample import generator
from symbackprop.files.writing import key_text
from symbackprop.formats import lesson_tex, pdf, practice_page
from symbackprop.sheets import digits_lesson, lessons

from .conftest import WORKSHEETS
from .test_build import pdf_text

SHEET = WORKSHEETS / "digits-classifier.yaml"
DATA = WORKSHEETS / "data" / "uci-digits.csv.gz"
DIGITS = dataset.read(DATA)
LESSON = load(SHEET)


def nets(hidden: int) -> dict[str, Network]:
    """The two networks, written out here rather than taken from digits_lesson."""
    return {"squared error": Network((64, hidden, 10), ("sigmoid", "sigmoid"), "half_sse",
                                     "per_neuron"),
            "cross-entropy": Network((64, hidden, 10), ("sigmoid", "softmax"), "cross_entropy",
                                     "per_neuron")}


def plain_predictions(params, inputs: np.ndarray) -> np.ndarray:
    """argmax of the output layer's net, by hand: sigmoid and softmax keep its order."""
    hidden = 1 / (1 + np.exp(-(inputs @ params.W[0].T + params.b[0])))
    return (hidden @ params.W[1].T + params.b[1]).argmax(axis=1)


def most_confused(confusion) -> tuple[int, int]:
    best = (-1, None)
    for true, row in enumerate(confusion):
        for predicted, count in enumerate(row):
            if true != predicted and count > best[0]:  # strictly: the first in reading order
                best = (count, (true, predicted))
    return best[1]


@pytest.fixture(scope="module")
def sheet():
    return lessons.build(LESSON)


@pytest.fixture(scope="module")
def rerun():
    """The shipped sheet's two runs, trained again here, with plain-NumPy predictions."""
    _, test = DIGITS.split(LESSON.test_fraction, LESSON.seed)
    out = {}
    for name, net in nets(LESSON.hidden).items():
        run = training.train(net, DIGITS, LESSON.epochs, LESSON.batch_size,
                             LESSON.learning_rate, LESSON.seed, LESSON.test_fraction,
                             verify_first=False)
        predicted = plain_predictions(run.params, test.inputs)
        confusion = np.zeros((10, 10), dtype=int)
        np.add.at(confusion, (test.labels, predicted), 1)
        out[name] = {"run": run, "predicted": predicted, "confusion": confusion,
                     "correct": int((predicted == test.labels).sum())}
    return test, out


def _without_heads(text: str, title: str) -> str:
    """Each page's text without its running head (the title, its first line) and its page
    number (its last)."""
    pages = []
    for page in text.split("\f"):
        lines = [line for line in page.splitlines() if line.strip()]
        if lines and lines[-1].strip().isdigit():
            lines.pop()
        if lines and lines[0].strip() == title:
            lines.pop(0)
        pages.append("\n".join(lines))
    return "\n".join(pages)


@pytest.fixture(scope="module")
def built(sheet, tmp_path_factory):
    """The sheet's worksheet and key as `build` makes them (the same functions; training once
    for the whole module), key.json, and the PDFs' text. `symbackprop build` itself builds it
    in test_practice.py and `make worksheets`."""
    if not pdf.available():
        pytest.skip("needs pdflatex")
    out = tmp_path_factory.mktemp("digits")
    text = {}
    for kind in ("worksheet", "key"):
        target = out / f"digits-classifier-{kind}.pdf"
        pdf.compile_tex(lesson_tex.lesson_document(sheet, key=kind == "key"), target)
        # one space for any whitespace; a paragraph read across a page's foot and the next
        # page's head as a reader reads it
        text[kind] = " ".join(_without_heads(pdf_text(target), LESSON.title).split())
    key = lessons.key_json(LESSON, sheet)
    (out / "digits-classifier-key.json").write_text(key_text(key))
    (out / "digits-classifier-practice.html").write_text(practice_page(sheet, key["scheme"]))
    return out, key, text


def test_both_runs_start_from_the_same_weights_and_batches():
    start = [training.initial(net, generator(LESSON.seed, 0)) for net in nets(16).values()]
    for a, b in zip(start[0].W + start[0].b, start[1].W + start[1].b):
        assert np.array_equal(a, b)


def test_key_accuracies_are_those_of_an_independent_run(sheet, rerun):
    test, runs = rerun
    answers = {a.name: a for a in sheet.answers}
    n = len(test.labels)
    assert n == 359
    for name, r in runs.items():
        accuracy = float((r["predicted"] == test.labels).mean())
        assert accuracy == pytest.approx(r["run"].epochs[-1].test_accuracy, abs=1e-15)
        assert answers[f"test accuracy, {name}"].exact == pytest.approx(accuracy, abs=1e-15)
        assert answers[f"test accuracy, {name}"].value == round(accuracy, 4)
    gap = runs["cross-entropy"]["correct"] - runs["squared error"]["correct"]
    assert answers["more right with cross-entropy"].exact == gap
    # what the benchmark reports for this network and seed (bench_train.py, README)
    assert runs["squared error"]["correct"] / n == pytest.approx(0.900, abs=0.0005)
    assert runs["cross-entropy"]["correct"] / n == pytest.approx(0.961, abs=0.0005)


def test_confusion_matrices_count_every_test_digit_once(sheet, rerun):
    test, runs = rerun
    answers = {a.name: a.exact for a in sheet.answers}
    classes = np.bincount(test.labels, minlength=10)
    for key, name in (("se", "squared error"), ("ce", "cross-entropy")):
        confusion = np.array(sheet.figures["runs"][key]["confusion"])
        assert confusion.shape == (10, 10)
        assert np.array_equal(confusion.sum(axis=1), classes)  # each row: that digit's count
        assert np.array_equal(confusion, runs[name]["confusion"])
        assert np.trace(confusion) == runs[name]["correct"]
        true, predicted = most_confused(runs[name]["confusion"])
        assert answers[f"{name}: most confused, true digit"] == true
        assert answers[f"{name}: most confused, predicted digit"] == predicted
        assert runs[name]["confusion"][true, predicted] == max(
            runs[name]["confusion"][i, j] for i in range(10) for j in range(10) if i != j)


def test_curves_and_their_questions_come_from_the_runs(sheet, rerun):
    _, runs = rerun
    answers = {a.name: a.exact for a in sheet.answers}
    line = sheet.figures["threshold"]
    assert line is not None
    curves = {}
    for key, name in (("se", "squared error"), ("ce", "cross-entropy")):
        epochs = runs[name]["run"].epochs
        assert len(epochs) == LESSON.epochs
        figure = sheet.figures["runs"][key]
        assert figure["accuracy"] == [e.test_accuracy for e in epochs]
        assert figure["loss"] == [e.loss for e in epochs]
        curves[name] = [e.test_accuracy for e in epochs]
        # a pupil reads the answers off the plot: no point lies within 0.02 of the line
        assert min(abs(a - line) for a in curves[name]) >= 0.02
        first = next(i for i, a in enumerate(curves[name], start=1) if a > line)
        assert answers[f"{name}: first epoch above {100 * line:g}%"] == first
        assert curves[name][first - 1] > line >= max(curves[name][:first - 1], default=0)
    assert answers[f"cross-entropy: epochs above {100 * line:g}%"] == sum(
        a > line for a in curves["cross-entropy"])
    # seed 2026: squared error ends at 0.8997, a hair under 90 %: that line is not asked about
    assert 0 < 0.9 - curves["squared error"][-1] < 0.02 and line != 0.9


def test_no_curve_question_hinges_on_a_difference_too_small_to_read():
    """The line is the first of the preferred ones every curve crosses clear of it."""
    assert digits_lesson.threshold([[0.5, 0.95], [0.3, 0.96]]) == 0.9
    assert digits_lesson.threshold([[0.5, 0.8997], [0.3, 0.96]]) == 0.85
    assert digits_lesson.threshold([[0.5, 0.91], [0.3, 0.96]]) == 0.85  # 0.91: 0.01 over
    assert digits_lesson.threshold([[0.5, 0.55], [0.3, 0.96]]) is None  # crosses none of them
    for curves in ([[0.5, 0.8997], [0.3, 0.96]], [[0.61, 0.79, 0.9], [0.7, 0.97]]):
        line = digits_lesson.threshold(curves)
        if line is not None:
            assert all(abs(a - line) >= digits_lesson.MARGIN for c in curves for a in c)
            assert all(max(c) > line for c in curves)


def test_misclassified_digits_are_test_digits_cross_entropy_gets_wrong(sheet, rerun):
    test, runs = rerun
    shown = sheet.figures["misclassified"]
    assert len(shown) == LESSON.misclassified
    wrong = np.flatnonzero(runs["cross-entropy"]["predicted"] != test.labels)
    for m, i in zip(shown, wrong):
        assert m["pixels"] == [round(16 * v) for v in test.inputs[i]]
        assert m["true"] == test.labels[i] != m["ce"] == runs["cross-entropy"]["predicted"][i]
        assert m["se"] == runs["squared error"]["predicted"][i]


def test_grid_is_seeded_runs_and_the_conclusion_follows_it(sheet, rerun):
    _, runs = rerun
    grid = sheet.figures["grid"]
    assert grid["hidden"] == [8, 16, 32] and grid["rates"] == [0.1, 0.5, 2.0, 5.0]
    cell = dict(zip(((h, r) for h in grid["hidden"] for r in grid["rates"]),
                    (c for row in grid["accuracy"] for c in row)))
    n = 359
    assert cell[16, 0.5] == (runs["squared error"]["correct"] / n,
                             runs["cross-entropy"]["correct"] / n)
    # one more cell, trained and predicted here
    _, test = DIGITS.split(0.2, LESSON.seed)
    for i, net in enumerate(nets(8).values()):
        run = training.train(net, DIGITS, 30, 32, 5.0, LESSON.seed, verify_first=False)
        assert cell[8, 5.0][i] == float((plain_predictions(run.params, test.inputs)
                                         == test.labels).mean())
    not_worse = [k for k, (s, c) in cell.items() if s >= c]
    answers = {a.name: a.exact for a in sheet.answers}
    assert answers["settings where squared error is not worse"] == len(not_worse)
    text = " ".join(sheet.figures["conclusion"])
    if not_worse:
        assert f"squared error is not worse at {len(not_worse)} of the 12 settings" in text
        for h, r in not_worse:
            assert f"hidden {h}, rate {r:g} ({cell[h, r][0]:.4f} against" in text
    else:
        assert "squared error is worse at every one of the 12 settings" in text


def test_the_sheets_conclusion_has_the_sign_of_its_measured_difference(sheet, rerun):
    _, runs = rerun
    gap = runs["cross-entropy"]["correct"] - runs["squared error"]["correct"]
    assert gap > 0  # seed 2026, hidden 16, rate 0.5: cross-entropy ahead
    first = sheet.figures["conclusion"][0]
    assert f"cross-entropy gets {gap} more of the 359" in first
    assert "so here squared error is worse" in first and "not worse" not in first


@pytest.mark.parametrize("hidden, rate", [(16, 0.5), (8, 5.0), (16, 5.0)])
def test_the_conclusion_follows_the_sign_wherever_it_falls(hidden, rate):
    """At (16, 0.5) cross-entropy wins, at (8, 5.0) squared error does, at (16, 5.0) they tie
    (seed 2026): whichever it is, the first sentence says it, and the table's sentence too."""
    lesson = parse(f"kind: digits_classifier\ntitle: D\nlesson: {{data: {DATA}, hidden: "
                   f"{hidden}, learning_rate: {rate}, grid: {{hidden: [{hidden}], "
                   f"learning_rates: [{rate}]}}}}\n")
    _, test = DIGITS.split(0.2, lesson.seed)
    se, ce = (digits_lesson.measure(lesson, DIGITS, test, hidden, rate, loss)
              for loss in ("half_sse", "cross_entropy"))
    correct = [int((plain_predictions(m.run.params, test.inputs) == test.labels).sum())
               for m in (se, ce)]
    gap = correct[1] - correct[0]
    assert gap == ce.correct - se.correct
    sentences = digits_lesson.conclusion(lesson, se, ce, [[(se.accuracy, ce.accuracy)]], 359)
    first, table = sentences[0], " ".join(sentences[1:])
    if gap > 0:
        assert f"cross-entropy gets {gap} more" in first and "squared error is worse" in first
        assert "squared error is worse at every one of the 1 settings" in table
    elif gap == 0:
        assert "squared error is not worse here" in first
    else:
        assert f"squared error gets {-gap} more" in first and "not worse but better" in first
    if gap <= 0:
        assert "squared error is not worse at 1 of the 1 settings" in table
    assert {(16, 0.5): 1, (8, 5.0): -1, (16, 5.0): 0}[hidden, rate] == (gap > 0) - (gap < 0)


def test_same_seed_same_sheet():
    text = (f"kind: digits_classifier\ntitle: D\nseed: 1\nlesson: {{data: {DATA}, hidden: 2, "
            "epochs: 2, grid: {hidden: [2], learning_rates: [1]}}\n")
    a, b = (lessons.build(parse(text)) for _ in range(2))
    assert a.answers == b.answers and a.figures == b.figures
    other = training.train(nets(2)["cross-entropy"], DIGITS, 2, 32, 0.5, 2, verify_first=False)
    assert [e.test_accuracy for e in other.epochs] != a.figures["runs"]["ce"]["accuracy"]


def test_the_first_batch_of_each_run_was_verified(sheet):
    for verified in sheet.figures["verified"].values():
        assert verified["examples"] == verified["of"] == 32
        assert verified["numpy"] < 1e-12 and verified["fd"] < 1e-6
    assert "verified three ways before the first step" in sheet.figures["key_note"]


def test_pdfs_show_the_measured_numbers(built, sheet):
    out, key, text = built
    answers = {a["name"]: a for a in key["answers"]}
    for a in sheet.answers:
        assert answers[a.name]["value"] == a.value
        shown = f"{a.value:.4f}" if a.label not in sheet.figures["whole"] else f"{a.value:.0f}"
        assert f"({a.label}) " in text["key"] and shown in text["key"], a
    for name in ("test accuracy, squared error", "test accuracy, cross-entropy"):
        assert f"{answers[name]['value']:.4f}" not in text["worksheet"]
    for kind in ("worksheet", "key"):
        page = text[kind]
        assert "test accuracy" in page and "mean training loss (log scale)" in page
        assert "squared error" in page and "cross-entropy" in page
        for h, row in zip(sheet.figures["grid"]["hidden"], sheet.figures["grid"]["accuracy"]):
            assert f"{h} " + " ".join(f"{100 * s:.1f} / {100 * c:.1f}" for s, c in row) in page
        for run in sheet.figures["runs"].values():
            for true, row in enumerate(run["confusion"]):
                assert f"{true} " + " ".join(map(str, row)) in page
        for m in sheet.figures["misclassified"]:
            assert f"true {m['true']}" in page and f"CE: {m['ce']}, SE: {m['se']}" in page
    conclusion = " ".join(sheet.figures["conclusion"])
    assert " ".join(conclusion.split()) in text["key"]
    assert sheet.figures["conclusion"][0][:60] not in text["worksheet"]
    assert "Every epoch (for checking)" in text["key"]
    page = (out / "digits-classifier-practice.html").read_text()
    assert "90.0 / 96.1" in page and "<svg" in page


def test_the_key_marks_its_own_answers_correct(built, tmp_path, capsys):
    out, key, _ = built
    answers = tmp_path / "answers.txt"
    answers.write_text("".join(f"{a['label']} = {a['value']}\n" for a in key["answers"]))
    capsys.readouterr()
    assert main(["check", str(out / "digits-classifier-key.json"), str(answers), "--json"]) == 0
    verdicts = {a["verdict"] for a in json.loads(capsys.readouterr().out)["answers"]}
    assert verdicts == {"correct"}


BAD = {
    "epochs: 0": ("lesson.epochs", "from 1 to 100"),
    "epochs: 60, grid: {hidden: [8, 16, 32], learning_rates: [0.1, 0.5, 2, 5]}":
        ("lesson.epochs", "at most 1,200"),
    "batch_size: 2": ("lesson.batch_size", "from 8 to 512"),
    "learning_rate: -1": ("lesson.learning_rate", "must be in (0, 10]"),
    "learning_rate: '0.5'": ("lesson.learning_rate", "must be a number"),
    "test_fraction: 0.9": ("lesson.test_fraction", "from 0.05 to 0.5"),
    "squared_error: l1": ("lesson.squared_error", "half_sse, sse, mse"),
    "hidden: 100": ("lesson.hidden", "from 1 to 64"),
    "grid: {hidden: [8, 8]}": ("lesson.grid.hidden", "twice"),
    "grid: {learning_rates: []}": ("lesson.grid.learning_rates", "1 to 4 values"),
    "grid: {rates: [1]}": ("lesson.grid.rates", "unknown key"),
    "misclassified: 9": ("lesson.misclassified", "from 0 to 8"),
    "data: nowhere.csv.gz": ("lesson.data", "cannot read"),
    "data: digits.yaml": ("lesson.data", "must hold a label and 64 pixels"),
    "rate: 1": ("lesson.rate", "unknown key"),
}


@pytest.mark.parametrize("option", list(BAD))
def test_bad_options_name_the_file_the_key_and_the_problem(option, tmp_path, capsys):
    refused_in_one_line(f"lesson: {{{option}}}\n", *BAD[option], tmp_path, capsys)


def refused_in_one_line(lines: str, key: str, problem: str, tmp_path, capsys) -> None:
    """A digits lesson (its kind and title, then `lines`) beside its data is refused by load and
    by build alike, in one line naming the file, the key and the problem; nothing written."""
    path = tmp_path / "digits.yaml"
    path.write_text(f"kind: digits_classifier\ntitle: D\n{lines}")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "uci-digits.csv.gz").write_bytes(DATA.read_bytes())
    with pytest.raises(DefinitionError) as caught:
        load(path)
    assert caught.value.key == key and problem in caught.value.problem
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and key in err and problem in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_a_data_file_too_small_to_split_is_refused(tmp_path):
    lines = gzip.decompress(DATA.read_bytes()).decode().splitlines()
    few = [line for line in lines if line and not line.startswith("#")][:30]
    (tmp_path / "few.csv").write_text("\n".join(few) + "\n")
    (tmp_path / "d.yaml").write_text("kind: digits_classifier\ntitle: D\n"
                                     "lesson: {data: few.csv}\n")
    with pytest.raises(DefinitionError, match="lesson.data: .*has 30 digits: too few"):
        load(tmp_path / "d.yaml")
