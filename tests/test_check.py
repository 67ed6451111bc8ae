"""Marking hand calculations: every verdict and every diagnosis, each from a mistaken
calculation done the way a student does it (plain Python below, rounding every step)."""

import json
import math
import subprocess
import sys

import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import parse
from symbackprop.files import classset
from symbackprop.marking.check import MISTAKES, Key, mark, parse_answers, parse_number

from .conftest import WORKSHEETS

DEFINITION = """title: Check
network: {layers: [2, 2, 2], activation: sigmoid, loss: LOSS, bias: shared}
values:
  inputs: [0.5, 0.9]
  targets: [0.1, 0.8]
  weights: [[[0.6, -0.4], [0.3, 0.8]], [[0.7, -0.5], [0.9, 0.2]]]
  biases: [[0.1], [-0.2]]
learning_rate: 0.5
decimals: 4
"""


def make_key(loss="half_sse"):
    d = parse(DEFINITION.replace("LOSS", loss))
    (version,) = classset.make(d, "check")
    return Key.from_json(json.loads(json.dumps(version.key)))


def sig(z):
    return 1 / (1 + math.exp(-z))


def student(loss="half_sse", mistake=None, rate=0.5, decimals=4):
    """A hand calculation of the sheet, in the sheet's order, with one mistake made."""
    def r(v):
        return round(v, decimals)

    x, t = [0.5, 0.9], [0.1, 0.8]
    W1, W2, b1, b2 = [[0.6, -0.4], [0.3, 0.8]], [[0.7, -0.5], [0.9, 0.2]], 0.1, -0.2
    s = {}
    net1 = [r(W1[j][0] * x[0] + W1[j][1] * x[1] + b1) for j in range(2)]
    sign_in = -1 if mistake == "sigmoid_of_negative" else 1
    out1 = [r(sig(sign_in * n)) for n in net1]
    feed = net1 if mistake == "net_for_out" else out1
    net2 = [r(W2[i][0] * feed[0] + W2[i][1] * feed[1] + b2) for i in range(2)]
    out2 = [r(sig(n)) for n in net2]
    for j in range(2):
        s[f"net[1][{j + 1}]"], s[f"out[1][{j + 1}]"] = net1[j], out1[j]
        s[f"net[2][{j + 1}]"], s[f"out[2][{j + 1}]"] = net2[j], out2[j]
    two = {"half_sse": 1, "sse": 2}[loss]
    if mistake == "missing_factor_two":
        two = 1
    squares = sum((tt - o) ** 2 for tt, o in zip(t, out2))
    s["J"] = r(squares / 2 if loss == "half_sse" else squares)
    dJdo = [r(two * (o - tt)) for o, tt in zip(out2, t)]
    if mistake == "sign":
        dJdo = [r(two * (tt - o)) for o, tt in zip(out2, t)]
    if mistake == "extra_half":
        dJdo = [r((o - tt) / 2) for o, tt in zip(out2, t)]
    dodn = [r(o * (1 - o)) for o in out2]
    for i in range(2):
        s[f"dJ/dout[2][{i + 1}]"], s[f"dout[2][{i + 1}]/dnet[2][{i + 1}]"] = dJdo[i], dodn[i]
    s["dnet[2][1]/dW[2][1][1]"] = out1[0]
    chain = [dJdo[0], out1[0]] if mistake == "missing_activation_derivative" else \
        [dJdo[0], dodn[0], out1[0]]
    s["dJ/dW[2][1][1]"] = r(math.prod(chain))
    # the hidden neuron h1: one path through each output
    w_back = [W2[0][0], W2[1][0]]
    if mistake == "updated_weights":
        w_back = [W2[i][0] - rate * r(dJdo[i] * dodn[i] * out1[0]) for i in range(2)]
    paths = [r(dJdo[i] * dodn[i] * w_back[i]) for i in range(2)]
    s["dnet[2][1]/dout[1][1]"], s["dnet[2][2]/dout[1][1]"] = w_back
    s["dJ/dout[1][1] via net[2][1]"], s["dJ/dout[1][1] via net[2][2]"] = paths
    s["dJ/dout[1][1]"] = paths[0] if mistake == "one_path_only" else r(sum(paths))
    s["dout[1][1]/dnet[1][1]"] = r(out1[0] * (1 - out1[0]))
    s["dnet[1][1]/dW[1][1][1]"] = x[0]
    s["dJ/dW[1][1][1]"] = r(s["dJ/dout[1][1]"] * s["dout[1][1]/dnet[1][1]"] * x[0])
    step = -1 if mistake == "sign" else 1
    s["new W[2][1][1]"] = r(W2[0][0] - step * rate * s["dJ/dW[2][1][1]"])
    s["new W[1][1][1]"] = r(W1[0][0] - step * rate * s["dJ/dW[1][1][1]"])
    # what the sheet states, not asks: a weight the way back goes through, an input
    for stated in ("dnet[2][1]/dout[1][1]", "dnet[2][2]/dout[1][1]", "dnet[1][1]/dW[1][1][1]"):
        del s[stated]
    return s


def verdicts(key, answers):
    return {m.name: m for m in mark(key, answers)}


def test_an_honest_calculation_is_all_correct():
    key = make_key()
    marks = verdicts(key, student())
    assert all(m.verdict == "correct" for n, m in marks.items() if n in student()), \
        [(n, m.given, m.expected) for n, m in marks.items() if m.verdict != "correct"]
    assert {m.verdict for n, m in marks.items() if n not in student()} == {"missing"}


def test_labels_and_canonical_names_both_work():
    key = make_key()
    by_label = {key.by_name[n]["label"]: v for n, v in student().items()}
    assert [m.verdict for m in mark(key, by_label)] == [m.verdict for m in mark(key, student())]


@pytest.mark.parametrize("mistake, step", [
    ("sigmoid_of_negative", "out[1][1]"),
    ("sign", "dJ/dout[2][1]"),
    ("net_for_out", "net[2][1]"),
    ("missing_activation_derivative", "dJ/dW[2][1][1]"),
    ("extra_half", "dJ/dout[2][1]"),
    ("one_path_only", "dJ/dout[1][1]"),
    ("updated_weights", "dJ/dout[1][1] via net[2][1]"),
])
def test_each_mistake_is_named_and_later_steps_carry_forward(mistake, step):
    key = make_key()
    answers = student(mistake=mistake)
    marks = verdicts(key, answers)
    assert marks[step].verdict == "incorrect", (step, answers[step], marks[step].expected)
    assert marks[step].diagnosis == mistake, marks[step].message
    first_wrong = next(m for m in mark(key, answers) if m.verdict != "correct")
    assert first_wrong.name == step
    later = [m for m in mark(key, answers) if m.verdict == "carried_forward"]
    assert later, "a later step done right from the wrong value earns error carried forward"


def test_missing_factor_two_for_sse():
    key = make_key("sse")
    answers = student("sse", mistake="missing_factor_two")
    marks = verdicts(key, answers)
    assert marks["dJ/dout[2][1]"].diagnosis == "missing_factor_two"


def test_adding_the_gradient_step_is_a_step_up_the_gradient():
    """Its own mistake, told as a step's ('w − η·∂J/∂w, with a minus'), not the loss's sign."""
    key = make_key()
    answers = student()
    answers["new W[2][1][1]"] = round(0.7 + 0.5 * answers["dJ/dW[2][1][1]"], 4)
    m = verdicts(key, answers)["new W[2][1][1]"]
    assert m.diagnosis == "step_up" and "y − t" not in m.message and "minus" in m.message


def test_a_whole_answer_with_its_sign_flipped_is_told_so():
    """A forward-pass value negated (a pupil's slip anywhere in the working) is told its sign,
    where no method explains it: σ's out can never be negative."""
    key = make_key()
    s = student()
    m = verdicts(key, {"out[1][1]": -s["out[1][1]"]})["out[1][1]"]
    assert (m.verdict, m.diagnosis) == ("incorrect", "opposite_sign")
    assert "other sign" in m.message


def test_wrong_learning_rate():
    key = make_key()
    answers = student(rate=0.1)
    marks = verdicts(key, answers)
    assert marks["new W[2][1][1]"].diagnosis == "wrong_learning_rate"


def test_a_student_who_rounds_to_two_decimals():
    """Every value right but rounded to 2 decimals is too_few_decimals, not correct (1.11 for
    1.1059 was inside 0.5 %); where the early rounding moved a value off the right one it is
    rounded_too_early; and a step that copies the old weight (w − η · 0.00) is not carried
    forward."""
    key = make_key()
    answers = student(decimals=2)
    marks = verdicts(key, answers)
    right = student()
    for name, m in marks.items():
        if name not in answers:
            continue
        if answers[name] == right[name]:  # 0.51, 0.97, 0.7, 0.9, 0.5: what 4 decimals give
            assert m.verdict == "correct", name
        elif answers[name] == round(right[name], 2) and answers[name] not in (0, 0.6):
            assert m.verdict == "too_few_decimals", (name, answers[name], right[name])
    # ∂J/∂w1 = 0.02 · 0.25 · 0.5 = 0.0025, rounded to 2 decimals: 0.0 (the key: 0.0021)
    assert (answers["dJ/dW[1][1][1]"], right["dJ/dW[1][1][1]"]) == (0.0, 0.0021)
    m = marks["dJ/dW[1][1][1]"]
    assert (m.verdict, m.diagnosis) == ("incorrect", "rounded_too_early")
    # w1 − 0.5 · 0.0 = 0.6, the weight before the step copied: right from the student's own
    # gradient, but no arithmetic was done with it, so no follow-through (scheme.trivial)
    assert answers["new W[1][1][1]"] == 0.6 and marks["new W[1][1][1]"].verdict == \
        "incorrect"
    assert sum(m.verdict == "too_few_decimals" for m in marks.values()) == 16


def test_an_unexplained_value_is_incorrect_without_diagnosis():
    key = make_key()
    answers = student()
    answers["out[1][1]"] = 0.1234
    m = verdicts(key, answers)["out[1][1]"]
    assert (m.verdict, m.diagnosis) == ("incorrect", None)
    assert "expected" in m.message


@pytest.mark.parametrize("text", ["nan", "inf", "1_000", "１２", "0x10", "1/0", "3..4", "--1",
                                  "1e", "sympy.exp(1)", "__import__('os')"])
def test_strict_numbers_refuse_garbage(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_answer_file_with_garbage_still_marks_the_rest():
    answers, problems = parse_answers("a = 0.3775\nb = nan\nc: 3\n# comment\n\nd = 3/8\n")
    assert answers == {"a": 0.3775, "d": 0.375}
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3"]


@pytest.fixture
def key_file(tmp_path):
    key = make_key()
    path = tmp_path / "key.json"
    path.write_text(json.dumps({"definition": key.definition, "seed": key.seed,
                                "version": key.version, "answers": key.answers}))
    return path


def test_cli_json_report(key_file, tmp_path, capsys):
    answers = student(mistake="sigmoid_of_negative")
    path = tmp_path / "answers.txt"
    path.write_text("".join(f"{n} = {v}\n" for n, v in answers.items()) + "zz = 1\nq = abc\n")
    assert main(["check", str(key_file), str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"answers", "score"}
    first = report["answers"][1]
    assert set(first) == {"label", "name", "given", "expected", "verdict", "diagnosis",
                          "also", "message"}
    assert first["diagnosis"] == "sigmoid_of_negative"
    score = report["score"]
    assert sum(score.values()) == len(report["answers"])
    assert score["incorrect"] >= 1 and score["carried_forward"] >= 1


def test_cli_text_report_shows_first_wrong_step_with_working(key_file, tmp_path, capsys):
    answers = student(mistake="one_path_only")
    path = tmp_path / "answers.txt"
    path.write_text("".join(f"{n} = {v}\n" for n, v in answers.items()) + "q = abc\n")
    assert main(["check", str(key_file), str(path)]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("First wrong step"))
    # the quantity as the sheet prints it, never its canonical name
    assert "(r) ∂J/∂out⁽¹⁾₁:" in lines[first] and "dJ/dout[1][1]" not in out.out
    # the mistake in words, never its internal name
    said = "\n".join(lines[first:first + 3])
    assert MISTAKES["one_path_only"] in said and "one_path_only" not in out.out
    working = lines[first + 1]
    assert working.startswith("  working: ∂J/∂out⁽¹⁾₁ = (∂J/∂out⁽²⁾₁·") and " + (−" in working
    assert "line" in out.err and "'abc' is not a number" in out.err


def test_cli_text_report_counts_the_blanks_answered_and_lists_only_those(key_file, tmp_path,
                                                                         capsys):
    key = json.loads(key_file.read_text())
    first = key["answers"][:3]
    path = tmp_path / "answers.txt"
    path.write_text("".join(f"{a['label']} = {a['value']}\n" for a in first))
    assert main(["check", str(key_file), str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    n = len(key["answers"])
    assert lines[0] == (f"3 of {n} blanks answered: 3 correct, 0 too few decimals, "
                        "0 carried forward, 0 incorrect.")
    listed = [line for line in lines if line.startswith("(")]
    assert [line[:4] for line in listed] == ["(a) ", "(b) ", "(c) "]
    assert lines[-1] == f"{n - 3} not answered: (d) to ({key['answers'][-1]['label']}) " \
        "(check --all lists them)"
    assert main(["check", str(key_file), str(path), "--all"]) == 0
    every = [line for line in capsys.readouterr().out.splitlines() if line.startswith("(")]
    assert len(every) == n and every[3].rstrip().endswith("not answered")
    # labels line up: every quantity starts in the same column
    assert len({line.index(")") for line in every}) == 1


def test_cli_reads_standard_input(key_file, monkeypatch, capsys):
    import io
    monkeypatch.setattr(sys, "stdin", io.StringIO("a = 0.5\n"))
    assert main(["check", str(key_file), "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answers"][0]["given"] == 0.5


def test_cli_regenerates_key_from_definition(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("network: {layers: [2, 2, 1], activation: sigmoid, loss: half_sse}\n")
    (answers := tmp_path / "a.txt").write_text("a = 0.1\n")
    assert main(["check", str(path), str(answers), "--seed", "4", "--version", "2",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["answers"][0]["verdict"] in ("incorrect", "correct")
    (v,) = [v for v in classset.make(parse(path.read_text(), str(path)), "c", 2, 4)][1:]
    assert report["answers"][0]["expected"] == v.key["answers"][0]["value"]


def test_check_with_key_json_never_imports_sympy(key_file, tmp_path):
    (answers := tmp_path / "a.txt").write_text("a = 0.1\n")
    code = ("import sys; from symbackprop.cli import main; main(sys.argv[1:]); "
            "assert 'sympy' not in sys.modules, 'sympy imported'")
    subprocess.run([sys.executable, "-c", code, "check", str(key_file), str(answers)],
                   check=True, capture_output=True)


def test_bad_key_file_is_a_clear_error(tmp_path, capsys):
    (bad := tmp_path / "key.json").write_text("{not json")
    assert main(["check", str(bad), str(bad)]) == 2
    assert "key.json" in capsys.readouterr().err


def test_audit_of_the_bundled_examples(capsys):
    assert main(["audit", str(WORKSHEETS / "pixel-four-4-2-1.yaml"), "--json"]) == 0
    claims = {c["name"]: c for c in json.loads(capsys.readouterr().out)["claims"]}
    assert claims["out[1][1]"]["verdict"] == "inconsistent"
    assert claims["out[1][1]"]["diagnosis"] == "sigmoid_of_negative"
    assert claims["net[1][1]"]["verdict"] == "consistent"
    # ∂J/∂w9 = −0.033 follows from the paper's own wrong σ(0.376) = 0.407
    assert claims["dJ/dW[2][1][1]"]["verdict"] == "carried_forward"
    assert main(["audit", str(WORKSHEETS / "blog-2-2-2.yaml"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    claims = {c["name"]: c for c in report["claims"]}
    assert claims["J"]["verdict"] == "consistent"
    assert claims["loss after 1 step"]["verdict"] == "inconsistent"
    assert claims["loss after 1 step"]["diagnosis"] == "updated_weights"
    outputs = claims["outputs after 10000 steps"]
    assert (outputs["verdict"], outputs["diagnosis"]) == ("inconsistent", "updated_weights")
    assert "0.159121960 is 0.015912196 with the decimal point moved" in outputs["message"]
    assert claims["loss after 10000 steps"]["printed"] == "0.0000351085"
    assert claims["loss after 10000 steps"]["diagnosis"] is None  # even the mistake gives ...848


def test_cli_asks_for_each_blank_when_no_answers_file(key_file, monkeypatch, capsys):
    import io
    key = json.loads(key_file.read_text())
    first, second = key["answers"][0], key["answers"][1]
    # answer (a) right, retype a bad (b), skip the rest (Enter), then end of input
    typed = f"{first['value']}\nabc\n{second['value']}\n\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))
    assert main(["check", str(key_file), "--json"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert "(a) net[1][1] = " in out.err
    assert [a["verdict"] for a in report["answers"][:3]] == ["correct", "correct", "missing"]
    assert "'abc' is not a number" in out.err


def test_lesson_keys_are_marked_by_value(tmp_path, capsys):
    assert main(["build", str(WORKSHEETS / "loss-comparison.yaml"), "--format", "tex",
                 "--out", str(tmp_path)]) == 0
    key = json.loads((tmp_path / "loss-comparison-key.json").read_text())
    (answers := tmp_path / "a.txt").write_text(f"a = {key['answers'][0]['value']}\nb = 9\n")
    capsys.readouterr()
    assert main(["check", str(tmp_path / "loss-comparison-key.json"), str(answers),
                 "--json"]) == 0
    verdicts = [a["verdict"] for a in json.loads(capsys.readouterr().out)["answers"]]
    assert verdicts[:3] == ["correct", "incorrect", "missing"]


def test_updated_weights_inside_the_tolerance_is_not_correct():
    """The final new w1 of a student who backpropagated through the updated output weights is
    within 0.5 % of the key, but it is that mistake exactly, to the 4 decimals written."""
    key = make_key()
    mistaken = student(mistake="updated_weights")["new W[1][1][1]"]
    right = student()["new W[1][1][1]"]
    assert mistaken != right and abs(mistaken - right) <= 0.005 * abs(right)
    m = verdicts(key, {"new W[1][1][1]": mistaken})["new W[1][1][1]"]
    assert (m.verdict, m.diagnosis) == ("incorrect", "updated_weights"), m.message
    # the right value is still correct; the old weight, though within 0.5 % of the new one,
    # is not: a step is judged against the size of the step
    assert verdicts(key, {"new W[1][1][1]": right})["new W[1][1][1]"].verdict == "correct"
    old = key.definition["values"]["weights"][0][0][0]
    assert abs(old - right) <= 0.005 * abs(right)
    assert verdicts(key, {"new W[1][1][1]": old})["new W[1][1][1]"].verdict == "incorrect"


def test_delta_is_asked_and_marked(tmp_path):
    """δ = ∂J/∂net on a worksheet: worked by hand from the sheet's own rounded factors."""
    d = parse(DEFINITION.replace("LOSS", "half_sse") + 'ask: ["dJ/dnet[1][1]"]\n')
    (version,) = classset.make(d, "delta")
    key = Key.from_json(json.loads(json.dumps(version.key)))
    s = student()
    delta = round(s["dJ/dout[1][1]"] * s["dout[1][1]/dnet[1][1]"], 4)
    assert key.by_name["dJ/dnet[1][1]"]["value"] == pytest.approx(delta, abs=1e-12)
    marks = verdicts(key, {**s, "dJ/dnet[1][1]": delta})
    assert marks["dJ/dnet[1][1]"].verdict == "correct"
    assert verdicts(key, {"dJ/dnet[1][1]": -delta})["dJ/dnet[1][1]"].diagnosis == "sign"
    assert "δ" in version.worksheet_tex or r"\delta" in version.worksheet_tex


def test_a_key_written_before_the_rule_is_marked_by_it(tmp_path, capsys):
    """A KEY.json whose scheme is version 1 (the 0.5 % band of before) is not refused: its
    scheme is written again from its definition, and the answers marked by today's rule."""
    key = make_key()
    old = {"definition": key.definition, "answers": key.answers,
           "scheme": key.scheme | {"version": 1, "blanks": [
               {k: v for k, v in b.items() if k != "tolerance"}
               | {"tolerance": {"abs": 5e-5, "rel": 0.005}} for b in key.scheme["blanks"]]}}
    (path := tmp_path / "old-key.json").write_text(json.dumps(old))
    (answers := tmp_path / "a.txt").write_text("dJ/dout[2][1] = 0.35\n")  # 0.3488 to 2
    assert main(["check", str(path), str(answers), "--json"]) == 0
    marked = {m["name"]: m for m in json.loads(capsys.readouterr().out)["answers"]}
    assert marked["dJ/dout[2][1]"]["verdict"] == "too_few_decimals"


def _descent_key() -> dict:
    from symbackprop.definitions.definition import load
    from symbackprop.sheets import lessons

    defn = load(WORKSHEETS / "gradient-descent.yaml")
    return lessons.key_json(defn, lessons.build(defn))


@pytest.mark.parametrize("edit, said", [
    # a tree refers only to what the student has worked out before it
    (lambda b: b.__setitem__("recompute", ["ref", "start 1: settles at"]),
     "neither an earlier blank nor a value of the scheme"),
    (lambda b: b["mistakes"][0].__setitem__("candidates", [["ref", "C(w*9)"]]),
     "neither an earlier blank nor a value of the scheme"),
    # a power is a whole number 0..8 written in the tree, never a tree or a fraction
    (lambda b: b.__setitem__("recompute", ["pow", 0.5, 2.5]), "'pow' raises to a whole number"),
    (lambda b: b.__setitem__("recompute", ["pow", 0.5, 9]), "'pow' raises to a whole number"),
    (lambda b: b.__setitem__("recompute", ["pow", 0.5, ["ref", "w*1"]]),
     "'pow' raises to a whole number"),
    (lambda b: b.__setitem__("recompute", ["round", 1, 2]), "'round' takes 1 argument"),
])
def test_a_lessons_edited_trees_are_refused_by_name(edit, said, tmp_path, capsys):
    key = _descent_key()
    blank = next(b for b in key["scheme"]["blanks"] if b["name"] == "start 1: w2")
    edit(blank)
    (path := tmp_path / "key.json").write_text(json.dumps(key))
    (answers := tmp_path / "a.txt").write_text("a = 1\n")
    assert main(["check", str(path), str(answers)]) == 2
    err = capsys.readouterr().err
    assert said in err and "scheme.blanks[" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_lessons_own_key_is_read_and_marks_a_chain(tmp_path, capsys):
    """Unedited, the same key is read, and a second step worked from a wrong first is
    carried forward (C′(w) = 4w³ − 6w + 1 for the bundled cost, worked here)."""
    key = _descent_key()
    (path := tmp_path / "key.json").write_text(json.dumps(key))
    a = {x["name"]: x["label"] for x in key["answers"]}
    w1 = 0.59
    (answers := tmp_path / "a.txt").write_text(
        f"{a['start 1: w1']} = {w1}\n{a['start 1: w2']} = "
        f"{w1 - 0.05 * (4 * w1 ** 3 - 6 * w1 + 1):.4f}\n")
    assert main(["check", str(path), str(answers), "--json"]) == 0
    verdicts = {x["label"]: x["verdict"] for x in json.loads(capsys.readouterr().out)["answers"]}
    assert verdicts[a["start 1: w2"]] == "carried_forward"


def _deep_gradient(layers: int, w: float, x: float, t: float) -> float:
    """∂J/∂W[1][1][1] of a width-2 network of `layers` sigmoid layers, every weight w, no
    bias, both inputs x and targets t, loss ½Σ(t − out)²: NumPy's backward pass."""
    import numpy as np
    weights = [np.full((2, 2), w)] * layers
    outs = [np.full(2, x)]
    for m in weights:
        outs.append(1 / (1 + np.exp(-(m @ outs[-1]))))
    delta = (outs[-1] - t) * outs[-1] * (1 - outs[-1])
    for m, out in zip(weights[:0:-1], outs[-2:0:-1]):
        delta = (m.T @ delta) * out * (1 - out)
    return float(delta[0] * outs[0][0])


def test_a_key_without_a_scheme_of_an_eight_layer_network_marks_its_deep_gradient(tmp_path):
    """A key with no scheme (as an older build wrote it) asking ∂J/∂W[1][1][1] of a
    2-2-...-2 network of 8 layers: its scheme is written down when read, each ∂J/∂out worked
    once and shared by the 2^7 paths through it, and marks NumPy's gradient correct and a
    tenth more incorrect, in a few seconds (a copy a path: 2.1 s at 8 layers, 37 s at 10)."""
    from .hostile import run
    layers, decimals = 8, 9
    grad = _deep_gradient(layers, 0.9, 0.5, 0.1)
    assert abs(grad) > 1e-6  # a gradient that does not round away
    net = {"layers": [2] * (layers + 1), "activation": ["sigmoid"] * layers,
           "loss": "half_sse", "bias": "none"}
    values = {"inputs": [0.5] * 2, "targets": [0.1] * 2, "biases": None,
              "weights": [[[0.9] * 2] * 2] * layers}
    (tmp_path / "k.json").write_text(json.dumps(
        {"definition": {"network": net, "values": values, "learning_rate": 0.5,
                        "decimals": decimals},
         "answers": [{"label": "a", "name": "dJ/dW[1][1][1]", "value": round(grad, decimals),
                      "exact": grad}]}), encoding="utf-8")
    for answer, verdict in ((grad, "correct"), (grad * 1.1, "incorrect")):
        (tmp_path / "a.txt").write_text(f"a = {answer:.{decimals}f}\n", encoding="utf-8")
        result = run(["check", "k.json", "a.txt"], tmp_path, timeout=60)
        assert result.code == 0, result.stderr[-1500:]
        assert f"1 {verdict}" in result.stdout or f"  {verdict}" in result.stdout, result.stdout
        assert result.seconds < 10, result.seconds


def test_a_step_that_copies_by_its_nature_keeps_its_follow_through():
    """∂net₂/∂w = out₁ copies an earlier step by its nature (the key's value is that step's
    too): a wrong out₁ = 0.6 copied there is carried forward, while 1 copied there (a sheet's
    identity, the key's out₁ is not 1) and the weight copied unchanged after a gradient of 0 are
    not (scheme.trivial). An independent check: the key's own numbers."""
    key = make_key()
    names = {b["name"]: b for b in key.scheme["blanks"]}
    copy = next(n for n, b in names.items() if n.startswith("dnet[2]") and b["recompute"][0]
                == "ref")
    source = names[copy]["recompute"][1]
    assert abs(names[copy]["value"] - names[source]["value"]) < 1e-12
    for value, verdict in ((0.6, "carried_forward"), (1.0, "incorrect")):
        marks = verdicts(key, {**student(), source: value, copy: value})
        assert marks[copy].verdict == verdict, (value, marks[copy].message)
    update = next(n for n, b in names.items() if n.startswith("new ") and
                  b["recompute"][0] == "sub")
    gradient = names[update]["recompute"][2][2][1]
    old = names[update]["recompute"][1]
    marks = verdicts(key, {**student(), gradient: 0.0, update: old})
    assert marks[update].verdict == "incorrect", marks[update].message
    moved = old - names[update]["recompute"][2][1] * 0.01
    marks = verdicts(key, {**student(), gradient: 0.01, update: round(moved, 4)})
    assert marks[update].verdict == "carried_forward", marks[update].message


def test_the_step_alone_for_the_new_weight_is_named_and_a_coincidence_names_both():
    """−η·∂J/∂w written for the new weight is `step_alone`; where the old weight is that
    number too (w = −0.02 and a step of −0.02), the answer is also `no_step`, and the mark
    names both, the parameter before the step first."""
    key = make_key()
    answers = student()
    g = answers["dJ/dW[2][1][1]"]
    step = round(-0.5 * g, 4)  # by hand: the rate 0.5 times the student's own gradient
    m = verdicts(key, {**answers, "new W[2][1][1]": step})["new W[2][1][1]"]
    assert (m.verdict, m.diagnosis) == ("incorrect", "step_alone"), m.message
    # a sheet whose w₅ is −0.5·g: its old weight and the step alone are one number (g
    # depends on w₅: a few rounds of w₅ ← −0.5·g(w₅) settle it, to 4 decimals)
    w = -0.5 * g
    for _ in range(8):
        d = parse(DEFINITION.replace("LOSS", "half_sse").replace("[[0.7, -0.5]",
                                                                 f"[[{round(w, 4)!r}, -0.5]"))
        (version,) = classset.make(d, "check")
        both = Key.from_json(json.loads(json.dumps(version.key)))
        gradient = both.by_name["dJ/dW[2][1][1]"]["value"]
        w, before = -0.5 * gradient, w
        if round(w, 4) == round(before, 4):
            break
    scheme = next(b for b in both.scheme["blanks"] if b["name"] == "new W[2][1][1]")
    assert [r["diagnosis"] for r in scheme["mistakes"]][:2] == ["no_step", "step_alone"]
    given = {a["name"]: a["value"] for a in both.answers if a["name"] != "new W[2][1][1]"}
    typed = round(w, 4)
    m = verdicts(both, {**given, "new W[2][1][1]": typed})["new W[2][1][1]"]
    assert both.by_name["new W[2][1][1]"]["value"] != typed
    assert (m.diagnosis, m.also) == ("no_step", "step_alone"), m.message
    assert "either" in m.message, m.message
