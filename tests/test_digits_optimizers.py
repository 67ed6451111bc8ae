"""The digits lesson with a second optimizer (worksheets/digits-sgd-vs-adam.yaml):
both runs against torch.optim trained here from the same start on the same batches, the key's
printed answers (pdftotext) against those torch runs, the practice page in Chromium at 390 and
1280 px, and bad settings refused in one line."""

import json
import re

import numpy as np
import pytest
import torch

from symbackprop.cli import main
from symbackprop.definitions import dataset
from symbackprop.definitions.definition import Network, load
from symbackprop.definitions.optimizer import Optimizer
from symbackprop.engine import training
from symbackprop.engine.sample import generator

from . import browser, shared_builds
from .conftest import WORKSHEETS
from .test_build import pdf_text
from .test_digits_lesson import refused_in_one_line

SHEET = WORKSHEETS / "digits-sgd-vs-adam.yaml"
DATA = WORKSHEETS / "data" / "uci-digits.csv.gz"
DIGITS = dataset.read(DATA)
LESSON = load(SHEET)
# the cross-entropy network, written out here rather than taken from digits_lesson
NET = Network((64, LESSON.hidden, 10), ("sigmoid", "softmax"), "cross_entropy", "per_neuron")


def torch_run(make_optimizer, rate: float, epochs: int) -> dict:
    """64-h-10 (sigmoid, softmax, cross-entropy) in float64 trained with torch.optim: the
    trainer's starting weights (its seeded draw) and its shuffle of each epoch, drawn from the
    same generator in the same order; each epoch's mean training loss and test accuracy."""
    train_set, test_set = DIGITS.split(LESSON.test_fraction, LESSON.seed)
    rng = generator(LESSON.seed, 0)
    start = training.initial(NET, rng)
    W1, W2 = (torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in start.W)
    b1, b2 = (torch.tensor(b, dtype=torch.float64, requires_grad=True) for b in start.b)
    opt = make_optimizer([W1, b1, W2, b2], rate)
    X, y = torch.tensor(train_set.inputs), torch.tensor(train_set.labels, dtype=torch.long)
    Xt, yt = torch.tensor(test_set.inputs), torch.tensor(test_set.labels, dtype=torch.long)

    def logits(x):
        return torch.sigmoid(x @ W1.T + b1) @ W2.T + b2

    losses, accuracies = [], []
    for _ in range(epochs):
        order = torch.tensor(rng.permutation(len(y)))
        for rows in order.split(LESSON.batch_size):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(logits(X[rows]), y[rows]).backward()
            opt.step()
        with torch.no_grad():
            losses.append(torch.nn.functional.cross_entropy(logits(X), y).item())
            accuracies.append((logits(Xt).argmax(1) == yt).double().mean().item())
    return {"loss": losses, "accuracy": accuracies, "n_test": len(yt),
            "params": [p.detach().numpy() for p in (W1, b1, W2, b2)]}


SGD = {"optimizer": Optimizer(), "torch": lambda ps, lr: torch.optim.SGD(ps, lr=lr)}
ADAM = {"optimizer": LESSON.compare,
        "torch": lambda ps, lr: torch.optim.Adam(ps, lr=lr, betas=(LESSON.compare.beta1,
                                                                    LESSON.compare.beta2),
                                                 eps=LESSON.compare.epsilon)}
OTHERS = {"nesterov": {"optimizer": Optimizer("momentum", momentum=0.9, nesterov=True),
                       "torch": lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9,
                                                               nesterov=True)},
          "rmsprop": {"optimizer": Optimizer("rmsprop", alpha=0.99, epsilon=1e-8),
                      "torch": lambda ps, lr: torch.optim.RMSprop(ps, lr=lr, alpha=0.99,
                                                                  eps=1e-8)}}


@pytest.fixture(scope="module")
def torch_runs():
    return {"sgd": torch_run(SGD["torch"], LESSON.learning_rate, LESSON.epochs),
            "adam": torch_run(ADAM["torch"], LESSON.compare_rate, LESSON.epochs)}


def _agree(ours: training.Run, theirs: dict) -> None:
    loss = np.array([e.loss for e in ours.epochs])
    assert np.abs(loss - theirs["loss"]).max() < 1e-12  # measured: 2e-16
    assert [e.test_accuracy for e in ours.epochs] == theirs["accuracy"]
    for a, b in zip([ours.params.W[0], ours.params.b[0], ours.params.W[1], ours.params.b[1]],
                    theirs["params"]):
        assert np.abs(a - b).max() < 1e-12  # measured: 3e-15 after 30 epochs


@pytest.mark.parametrize("which", ["sgd", "adam"])
def test_the_lessons_two_runs_are_torch_optims_over_every_epoch(which, torch_runs):
    setup, rate = (SGD, LESSON.learning_rate) if which == "sgd" else (ADAM, LESSON.compare_rate)
    assert LESSON.compare.name == "adam"
    ours = training.train(NET, DIGITS, LESSON.epochs, LESSON.batch_size, rate, LESSON.seed,
                          LESSON.test_fraction, verify_first=False, optimizer=setup["optimizer"])
    _agree(ours, torch_runs[which])


@pytest.mark.parametrize("which", list(OTHERS))
def test_the_other_optimizers_a_lesson_may_compare_are_torch_optims_too(which):
    setup = OTHERS[which]
    ours = training.train(NET, DIGITS, 3, LESSON.batch_size, 0.01, LESSON.seed,
                          LESSON.test_fraction, verify_first=False, optimizer=setup["optimizer"])
    _agree(ours, torch_run(setup["torch"], 0.01, 3))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The bundled sheet as `make worksheets` builds it: PDFs, key.json, practice page."""
    from symbackprop.formats import pdf

    if not pdf.available():
        pytest.skip("needs pdflatex")
    out = tmp_path_factory.mktemp("sgd-vs-adam")
    asked = {"sheet": (SHEET, ["--format", "pdf", "--format", "html"])}
    assert shared_builds.build_all(tmp_path_factory, asked, out) == {"sheet": 0}
    key = json.loads((out / "digits-sgd-vs-adam-key.json").read_text())
    return out, key, {a["name"]: a["label"] for a in key["answers"]}


def _printed(text: str, labels: dict[str, str], name: str) -> float:
    """The number a blank's line gives in the key's text: its row runs from '(label)' to the
    next row's label, or to the closing question; its value follows the last '=' (pdftotext
    sets a fraction's numerator apart from it), or, where nothing is worked, ends the row."""
    label = labels[name]
    row = text[text.index(f"({label})"):]
    following = [row.find(f"({chr(ord(label) + 1)})"), row.find("Is the claim true?")]
    row = row[:min(i for i in following if i > 0)]
    number = r"−?\d+(?:\.\d+)?"
    found = re.findall(rf"= ({number})", row) or re.findall(number, row)
    return float(found[-1].replace("−", "-"))


def test_the_keys_printed_answers_are_those_of_the_torch_runs(built, torch_runs):
    out, key, labels = built
    text, sheet = (" ".join(pdf_text(out / f"digits-sgd-vs-adam-{kind}.pdf", layout=False)
                            .split()) for kind in ("key", "worksheet"))
    n = torch_runs["sgd"]["n_test"]
    for e in LESSON.compare_epochs:
        for name, run in (("gradient descent", torch_runs["sgd"]), ("Adam", torch_runs["adam"])):
            right = round(run["accuracy"][e - 1] * n)  # the worksheet gives the count
            assert f"After epoch {e}, the cross-entropy network trained with " \
                   f"{'plain gradient descent' if name != 'Adam' else 'Adam'} gets {right} " \
                   f"of the {n} test digits right." in sheet
            value = _printed(text, labels, f"{name}: test accuracy after epoch {e}")
            assert value == round(right / n, 4)
    first = LESSON.compare_epochs[0]
    losses = [round(run["loss"][first - 1], 4) for run in torch_runs.values()]
    assert f"{losses[0]:.4f} with gradient descent and {losses[1]:.4f} with Adam" in sheet
    ratio = _printed(text, labels, f"Adam: loss after epoch {first}, times smaller")
    assert ratio == round(losses[0] / losses[1], 4)
    # the curves' line the sheet asks about, and where each torch curve first passes it
    percent = int(re.search(r"Adam: the first epoch after which its test accuracy is above "
                            r"(\d+) %", text).group(1))
    above = {k: next(i for i, a in enumerate(run["accuracy"], start=1) if a > percent / 100)
             for k, run in torch_runs.items()}
    for run in torch_runs.values():  # a line clear of every point, so the plot can be read
        assert min(abs(a - percent / 100) for a in run["accuracy"]) >= 0.02
    assert _printed(text, labels, f"Adam: first epoch above {percent}%") == above["adam"]
    sooner = _printed(text, labels, "Adam: epochs sooner than gradient descent")
    assert sooner == above["sgd"] - above["adam"]
    verdict = ("Adam learns faster here" if sooner > 0 else "Gradient descent learns faster"
               if sooner < 0 else "Both get above")
    assert verdict in text
    # the worksheet gives the counts and losses, never the answers
    assert "Gradient descent or Adam?" in sheet and "cross-entropy, Adam" in sheet
    assert f"= {ratio:.4f}" not in sheet and "Adam learns faster" not in sheet


def test_the_key_marks_its_own_answers_correct(built, tmp_path, capsys):
    out, key, _ = built
    answers = tmp_path / "answers.txt"
    answers.write_text("".join(f"{a['label']} = {a['value']}\n" for a in key["answers"]))
    capsys.readouterr()
    assert main(["check", str(out / "digits-sgd-vs-adam-key.json"), str(answers),
                 "--json"]) == 0
    assert {a["verdict"] for a in json.loads(capsys.readouterr().out)["answers"]} == {"correct"}
    assert key["definition"]["lesson"]["compare_optimizer"]["optimizer"]["name"] == "adam"


@pytest.mark.parametrize("width", [390, 1280])
def test_the_practice_page_compares_them_and_marks_them(built, width):
    """As a student sees it: the section's questions, the third curve on both plots, nothing
    wider than the window, axe clean; the key's answers right and known mistakes named."""
    out, key, labels = built
    values = {a["label"]: a["value"] for a in key["answers"]}
    d = browser.start(width=width, height=844, mobile=width == 390)
    try:
        browser.open_page(d, out / "digits-sgd-vs-adam-practice.html")
        seen = d.execute_script("return document.body.innerText")
        assert "Gradient descent or Adam?" in seen and "Which learns faster?" in seen
        legends = d.execute_script("""return Array.from(document.querySelectorAll('svg'))
            .map(s => s.textContent).filter(t => t.includes('cross-entropy, Adam')).length""")
        assert legends == 2  # the accuracy plot and the loss plot
        wide, window = d.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        assert wide <= window + 1
        assert browser.axe_violations(d) == []
        ratio = labels["Adam: loss after epoch 1, times smaller"]
        sooner = labels["Adam: epochs sooner than gradient descent"]
        accuracy = labels["Adam: test accuracy after epoch 1"]
        typed = {label: str(values[label]) for name, label in labels.items()
                 if name.startswith(("Adam:", "gradient descent:"))}
        browser.type_answers(d, typed)
        marks = browser.press_check(d)["marks"]
        assert {marks[label][0] for label in typed} == {"correct"}
        a, b = map(float, re.search(r"the mean training loss is (\S+) with gradient descent "
                                    r"and (\S+) with Adam", seen).groups())
        wrong = {ratio: f"{b / a:.4f}", accuracy: f"{1 - values[accuracy]:.4f}"}
        if values[sooner]:
            wrong[sooner] = str(-values[sooner])
        browser.type_answers(d, wrong)
        marks = browser.press_check(d)["marks"]
        assert marks[ratio][:2] == ["incorrect", "inverted_ratio"], marks[ratio]
        assert marks[accuracy][:2] == ["incorrect", "errors_for_accuracy"]
        if values[sooner]:
            assert marks[sooner][:2] == ["incorrect", "opposite_sign"]
        assert browser.console_errors(d) == []
    finally:
        d.quit()


BAD = {
    "compare_optimizer: adam": ("lesson.compare_optimizer", "must be a mapping"),
    "compare_optimizer: {learning_rate: 0.01}": ("lesson.compare_optimizer.optimizer",
                                                 "is required"),
    "compare_optimizer: {optimizer: {name: adam}}": ("lesson.compare_optimizer.learning_rate",
                                                     "is required"),
    "compare_optimizer: {optimizer: {name: sgd}, learning_rate: 0.1}":
        ("lesson.compare_optimizer.optimizer.name", "sgd is the first run's own step"),
    "compare_optimizer: {optimizer: {name: adagrad}, learning_rate: 0.1}":
        ("lesson.compare_optimizer.optimizer.name", "must be one of sgd, momentum"),
    "compare_optimizer: {optimizer: {name: adam, momentum: 0.9}, learning_rate: 0.1}":
        ("lesson.compare_optimizer.optimizer.momentum", "unknown key for adam"),
    "compare_optimizer: {optimizer: {name: adam, beta2: 1}, learning_rate: 0.1}":
        ("lesson.compare_optimizer.optimizer.beta2", "from 0 to less than 1"),
    "compare_optimizer: {optimizer: {name: adam}, learning_rate: 0}":
        ("lesson.compare_optimizer.learning_rate", "must be in (0, 10]"),
    "compare_optimizer: {optimizer: {name: adam}, learning_rate: 0.1, epochs_asked: [31]}":
        ("lesson.compare_optimizer.epochs_asked[0]", "from 1 to 30"),
    "compare_optimizer: {optimizer: {name: adam}, learning_rate: 0.1, epochs_asked: [5, 1]}":
        ("lesson.compare_optimizer.epochs_asked", "smallest first"),
    "compare_optimizer: {optimizer: {name: adam}, learning_rate: 0.1, epochs_asked: []}":
        ("lesson.compare_optimizer.epochs_asked", "1 to 3 epochs"),
    "compare_optimizer: {optimizer: {name: adam}, learning_rate: 0.1, steps: 3}":
        ("lesson.compare_optimizer.steps", "unknown key"),
    "epochs: 60, compare_optimizer: {optimizer: {name: adam}, learning_rate: 0.1}":
        ("lesson.epochs", "(3, and 2 for each"),
}


@pytest.mark.parametrize("option", list(BAD))
def test_bad_settings_name_the_file_the_key_and_the_problem(option, tmp_path, capsys):
    refused_in_one_line(f"lesson: {{{option}}}\n", *BAD[option], tmp_path, capsys)


def test_a_lesson_without_it_reads_as_before():
    plain = load(WORKSHEETS / "digits-classifier.yaml")
    assert plain.compare is None and plain.compare_epochs == () and plain.compare_rate == 0
    assert (LESSON.compare_epochs, LESSON.compare_rate) == ((1, 30), 0.01)


def _page_text(page) -> str:
    """A practice page's words as a reader sees them: tags and scripts out, entities read."""
    import html

    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page.read_text(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def test_a_french_comparison_is_worded_in_french_from_the_torch_runs(tmp_path, capsys):
    """The bundled comparison's settings, 3 epochs, `language: fr`: built (it was refused,
    'prints in English only'), every sentence of its section and conclusion in French with
    the counts and losses of the two torch.optim runs, its key's answers theirs and right."""
    (tmp_path / "fr.yaml").write_text(
        f"kind: digits_classifier\ntitle: Descente de gradient ou Adam\nlanguage: fr\n"
        f"seed: {LESSON.seed}\nlesson:\n  data: {DATA}\n  hidden: {LESSON.hidden}\n"
        f"  epochs: 3\n  learning_rate: {LESSON.learning_rate}\n"
        "  grid: {hidden: [16], learning_rates: [0.5]}\n"
        "  compare_optimizer: {optimizer: {name: adam}, learning_rate: 0.01}\n")
    assert main(["build", str(tmp_path / "fr.yaml"), "--format", "html", "--out",
                 str(tmp_path / "o")]) == 0
    runs = {"sgd": torch_run(SGD["torch"], LESSON.learning_rate, 3),
            "adam": torch_run(ADAM["torch"], LESSON.compare_rate, 3)}
    n = runs["sgd"]["n_test"]
    right = {k: [round(a * n) for a in run["accuracy"]] for k, run in runs.items()}
    comma = lambda v: f"{v:.4f}".replace(".", ",")  # noqa: E731 - a French decimal
    text = _page_text(tmp_path / "o" / "fr-practice.html")
    assert "Descente de gradient ou Adam ?" in text
    for e in (1, 3):  # epochs_asked: 1 and the last, by default
        for how, k in (("la descente de gradient simple", "sgd"), ("Adam", "adam")):
            assert (f"Après l’époque {e}, le réseau à entropie croisée entraîné avec {how} "
                    f"reconnaît {right[k][e - 1]} des {n} chiffres de test.") in text
    losses = [comma(run["loss"][0]) for run in runs.values()]
    assert (f"la perte moyenne d’entraînement est de {losses[0]} avec la descente de gradient "
            f"et de {losses[1]} avec Adam. Combien de fois plus petite") in text
    assert "entropie croisée, Adam" in text  # the third curve's legend
    gap = right["adam"][0] - right["sgd"][0]
    more = "de plus" if gap >= 0 else "de moins"
    assert re.search(rf"Après l’époque 1, Adam reconnaît {abs(gap)} chiffres? de test {more} "
                     rf"sur {n} que la descente de gradient simple ; après l’époque 3, il est "
                     rf"à {comma(right['adam'][2] / n)} contre {comma(right['sgd'][2] / n)}\.",
                     text), text[text.find("Adam reconnaît"):][:300]
    assert not re.search(r"After epoch|test digits|Gradient descent or|learns faster", text)
    key = json.loads((tmp_path / "o" / "fr-key.json").read_text())
    values = {a["name"]: a["value"] for a in key["answers"]}
    for e in (1, 3):
        assert values[f"Adam: test accuracy after epoch {e}"] == round(right["adam"][e - 1] / n,
                                                                       4)
    first = [round(run["loss"][0], 4) for run in runs.values()]
    assert values["Adam: loss after epoch 1, times smaller"] == round(first[0] / first[1], 4)
    (tmp_path / "a.txt").write_text("".join(f"{a['label']} = {a['value']}\n"
                                            for a in key["answers"]))
    capsys.readouterr()
    assert main(["check", str(tmp_path / "o" / "fr-key.json"), str(tmp_path / "a.txt"),
                 "--json"]) == 0
    assert {a["verdict"] for a in json.loads(capsys.readouterr().out)["answers"]} == {"correct"}
