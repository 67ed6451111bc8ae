"""What a student reads of a diagnosis (a review by people playing a lecturer and a student):
a two-mistake hint names only mistakes of that blank; the loss's sign is said once, in words
that fit any sheet's names for its output; no message shows source notation (δ_j, e^(−net))
or an undefined δ; no internal mode name reaches `check`'s text or a page; and a mark that
earns part of its blank's points says how many, as the key holds them (check, the practice
page in Chromium, `mark`'s feedback page)."""

import html
import json
import re

import numpy as np
import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import parse
from symbackprop.definitions.language import words
from symbackprop.files import classset
from symbackprop.marking.check import MISTAKES, Key

from . import browser
from .conftest import WORKSHEETS
from .test_check import make_key, verdicts
from .test_diagnoses import ONE_HOT, _key_of

# a tanh sheet whose dJ/dW[2][1][1] is worth 2 points (tests/examples/tanh-2-2-1.yaml)
TANH = """title: A tanh network
network: {layers: [2, 2, 1], activation: tanh, loss: half_sse, bias: per_neuron}
values:
  inputs: [0.6, -0.4]
  targets: [0.5]
  weights: [[[0.3, -0.7], [0.5, 0.2]], [[0.8, -0.6]]]
  biases: [[0.1, -0.2], [0.05]]
learning_rate: 0.5
decimals: 4
points: {"dJ/dW[2][1][1]": 2}
"""
# a mode's name as a student could meet it: an underscored one anywhere, any one in brackets
MODE_NAMES = re.compile("|".join(
    [re.escape(k) for k in MISTAKES if "_" in k] + [re.escape(f"[{k}]") for k in MISTAKES]))


def test_a_hidden_blank_s_two_mistake_hint_names_no_softmax_rule():
    """With one-hot targets, softmax's diagonal Jacobian gives a hidden ∂J/∂out the number of
    one path kept. The δ's are blanks of their own, so at the hidden blank only the path is
    named: the hint joined a sentence about softmax's Jacobian to it (German class set, every
    version of three)."""
    d = parse(ONE_HOT, "one-hot.yaml")
    key = Key.from_json(json.loads(json.dumps(classset.key(d, 2, None))))
    by = {a["name"]: a["value"] for a in key.answers}
    answered = {n: v for n, v in by.items() if n.startswith(("net", "out", "J", "dJ/dnet"))}
    m = verdicts(key, answered | {"dJ/dout[1][1]": by["dJ/dout[1][1] via net[2][1]"]})[
        "dJ/dout[1][1]"]
    assert (m.diagnosis, m.also) == ("one_path_only", None)
    assert "softmax" not in m.message.lower()
    german = WORKSHEETS / "german-class-set-3-3-2.yaml"
    d = parse(german.read_text(encoding="utf-8"), german.name)
    for version in (1, 2, 3):
        key = Key.from_json(json.loads(json.dumps(classset.key(d, version, None))))
        names = {b["name"]: b for b in key.scheme["blanks"]}
        hidden = {n for n in names if n.startswith(("dJ/dout[1]", "dJ/dW[1]", "new W[1]"))}
        for name in hidden:
            paths = [r for r in names[name]["mistakes"] if r["diagnosis"] == "one_path_only"]
            for rule in paths:
                for number in (c for c in rule["candidates"] if isinstance(c, float)):
                    m = verdicts(key, {name: number})[name]
                    assert m.also != "softmax_diagonal", (version, name, m.message)


def test_the_loss_sign_is_said_once():
    """∂J/∂out⁽²⁾₁ with its sign reversed: the loss's words, not those and 'the right number
    has the other sign' as a second explanation of the same number."""
    key = make_key()
    value = key.by_name["dJ/dout[2][1]"]["value"]
    m = verdicts(key, {"dJ/dout[2][1]": -value})["dJ/dout[2][1]"]
    assert (m.verdict, m.diagnosis, m.also) == ("incorrect", "sign", None)
    assert m.message == f"expected {value:.4f}: {MISTAKES['sign']}"


def test_the_loss_sign_names_no_symbol_of_its_own_on_a_sheet_with_its_author_s_names():
    """PostNetwork's sheet writes its outputs ŷ₁, ŷ₂ (names:): δ of the output with its sign
    reversed, −(ŷ₁ − t₁), is told in words (the output, its target), in every language, with
    no out or t that the sheet does not write."""
    key = _key_of(WORKSHEETS / "postnetwork-softmax-3-2-2.yaml")
    y, t = key.by_name["out[2][1]"]["value"], key.definition["values"]["targets"][0]
    right = key.by_name["dJ/dnet[2][1]"]["value"]
    assert right == pytest.approx(round(y - t, 4), abs=1e-4)
    m = verdicts(key, {"dJ/dnet[2][1]": -right})["dJ/dnet[2][1]"]
    assert m.diagnosis == "sign"
    for language in ("en", "fr", "de", "es"):
        said = words(language)(MISTAKES["sign"])
        assert not re.search(r"\bout\b|\bt\b|\by\b", said), (language, said)


@pytest.mark.parametrize("language", ["en", "fr", "de", "es"])
def test_no_message_shows_source_notation_or_an_undefined_delta(language):
    """A page sets a message as text: δ_j = Σ_i ∂J/∂out_i showed as typed, and δ was never
    said to be ∂J/∂net. No message carries _, ^, a backslash or δ."""
    _ = words(language)
    for mode, text in MISTAKES.items():
        said = _(text)
        assert not re.search(r"[_^\\δ]", said), (mode, said)


def test_check_says_a_tanh_mistake_in_words_with_no_mode_name_and_a_partial_mark_s_points(
        tmp_path, capsys):
    """check's text for σ at a tanh neuron, 1 − out for its slope, the loss's sign reversed and
    a right gradient with too few decimals: each mistake in words, no mode name, and the
    gradient's half of its 2 points."""
    (path := tmp_path / "tanh.yaml").write_text(TANH, encoding="utf-8")
    assert main(["build", str(path), "--format", "tex", "--out", str(tmp_path)]) == 0
    key = json.loads((tmp_path / "tanh-key.json").read_text(encoding="utf-8"))
    by = {a["name"]: a for a in key["answers"]}
    net = 0.3 * 0.6 - 0.7 * -0.4 + 0.1
    out2 = by["out[2][1]"]["value"]
    answers = {"out[1][1]": round(float(1 / (1 + np.exp(-net))), 4),   # σ for tanh
               "dout[2][1]/dnet[2][1]": round(1 - out2, 4),             # 1 − out
               "dJ/dout[2][1]": -by["dJ/dout[2][1]"]["value"],          # the loss's sign
               "dJ/dW[2][1][1]": round(by["dJ/dW[2][1][1]"]["exact"], 3)}
    assert answers["dJ/dW[2][1][1]"] != by["dJ/dW[2][1][1]"]["value"]
    (typed := tmp_path / "answers.txt").write_text(
        "".join(f"{by[n]['label']} = {v}\n" for n, v in answers.items()), encoding="utf-8")
    capsys.readouterr()
    assert main(["check", str(tmp_path / "tanh-key.json"), str(typed)]) == 0
    out = capsys.readouterr().out
    assert not MODE_NAMES.search(out), MODE_NAMES.search(out)
    for mode in ("sigmoid_for_tanh", "tanh_slope_unsquared", "sign"):
        assert MISTAKES[mode] in out
    line = next(x for x in out.splitlines() if x.startswith(f"({by['dJ/dW[2][1][1]']['label']})"))
    assert "too few decimals (1 of 2 points)" in line
    line = next(x for x in out.splitlines() if x.startswith(f"({by['out[1][1]']['label']})"))
    assert "point" not in line  # incorrect: no part of a point to say


def test_the_page_and_the_feedback_page_say_it_in_words_and_points(tmp_path):
    """The practice page in Chromium (its innerText after Check) and `mark`'s feedback page
    for the same answers: the tanh mistake in words, no mode name, the 2-point gradient with
    too few decimals earning 1 of 2."""
    (path := tmp_path / "tanh.yaml").write_text(TANH, encoding="utf-8")
    assert main(["build", str(path), "--format", "html", "--out", str(tmp_path)]) == 0
    key = json.loads((tmp_path / "tanh-key.json").read_text(encoding="utf-8"))
    by = {a["name"]: a for a in key["answers"]}
    net = 0.3 * 0.6 - 0.7 * -0.4 + 0.1
    sigma = f"{float(1 / (1 + np.exp(-net))):.4f}"
    short = f"{by['dJ/dW[2][1][1]']['exact']:.3f}"
    typed = {by["net[1][1]"]["label"]: f"{net:.2f}", by["out[1][1]"]["label"]: sigma,
             by["dJ/dW[2][1][1]"]["label"]: short,
             by["out[1][2]"]["label"]: f"{by['out[1][2]']['value']:.4f}"}
    driver = browser.start()
    try:
        browser.open_page(driver, tmp_path / "tanh-practice.html")
        browser.type_answers(driver, typed)
        marks = browser.press_check(driver)["marks"]
        seen = driver.execute_script("return document.body.innerText")
    finally:
        driver.quit()
    out1, grad = by["out[1][1]"]["label"], by["dJ/dW[2][1][1]"]["label"]
    assert marks[out1][:2] == ["incorrect", "sigmoid_for_tanh"]
    assert marks[out1][2] == "Incorrect: " + MISTAKES["sigmoid_for_tanh"]
    assert marks[grad][0] == "too_few_decimals"
    assert marks[grad][2].startswith("Too few decimals (1 of 2 points): ")
    assert not MODE_NAMES.search(seen), MODE_NAMES.search(seen)
    # the same answers marked by `mark`: the feedback page's row says 1 of 2
    labels = [a["label"] for a in key["answers"]]
    (keys := tmp_path / "keys").mkdir()
    (keys / "tanh-key.json").write_text(json.dumps(key), encoding="utf-8")
    (sheet := tmp_path / "class.csv").write_text(
        "name,version," + ",".join(labels) + "\nAda,,"
        + ",".join(typed.get(x, "") for x in labels)
        + "\n", encoding="utf-8")
    assert main(["mark", str(keys), str(sheet), "--out", str(tmp_path / "marks")]) == 0
    (page,) = (tmp_path / "marks").glob("feedback-*.html")
    source = page.read_text(encoding="utf-8")
    row = re.search(rf'<tr data-label="{grad}" data-verdict="too_few_decimals">(.*?)</tr>',
                    source, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", row, re.S)]
    assert cells[1:3] == [short, "1 of 2"] and cells[3].startswith("Too few decimals: ")
    text = html.unescape(re.sub(r"<[^>]+>", " ", source))
    assert MISTAKES["sigmoid_for_tanh"] in text
    assert not MODE_NAMES.search(re.sub(r"<script.*?</script>", "", text, flags=re.S))
