"""Moodle XML: every bundled worksheet exports as Moodle's XML importer reads it, and every Cloze
subquestion, parsed by the syntax Moodle documents, carries the key's values."""

import base64
import html
import json
import math
import re
import xml.etree.ElementTree as ET

import pytest

from symbackprop.cli import main
from symbackprop.formats import diagram
from symbackprop.formats.plaintext import term_words
from symbackprop.marking import check, scheme
from symbackprop.marking.scheme import decimals_of

from .conftest import ROOT, WORKSHEETS

SHEETS = ["blog-2-2-2", "pixel-four-4-2-1", "han-kamber-3-2-1", "class-set-2-2-2",
          "digits-forward", "gradient-descent", "loss-comparison", "batch-of-two-2-2-2",
          "matrix-form-3-4-2", "postnetwork-softmax-3-2-2", "relu-bce-1-1-1"]
EXAMPLES = ROOT / "tests" / "examples"  # test sheets: tanh's own mistakes

# Moodle's own regexes (question/type/multianswer/questiontype.php), as PCRE reads them
FRACTION = r"=|%(-?[0-9]+)%"
ANSWER = r".+?(?<!\\|&)(?<!&amp;)(?=[~#}]|$)"  # PCRE's (?<!\\|&|&amp;), split for Python
FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALTERNATIVE = f"({FRACTION})?({ANSWER})(#({FEEDBACK}))?"
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL = f"^({NUMBER})(:{NUMBER})?$"
TYPES = (r"(NUMERICAL|NM)|(MULTICHOICE|MC)|(MULTICHOICE_V|MCV)|(MULTICHOICE_H|MCH)|"
         r"(SHORTANSWER|SA|MW)|(SHORTANSWER_C|SAC|MWC)")
START = r"\{([0-9]*):(" + TYPES + "):"
SUBQUESTION = re.compile(START + "(" + ALTERNATIVE + "(~" + ALTERNATIVE + ")*)\\}", re.S)


def _two(said: str) -> tuple[str, str]:
    """A feedback's first explanation and the second it names in the same sentence ('' where
    there is none): 'X — either a rounding slip, or Y' or 'either X, or Y'."""
    head, _, both = said.partition(" — either a rounding slip, or ")
    if both:
        return head, both
    if said.startswith("either "):
        first, _, second = said.removeprefix("either ").partition(", or ")
        return first, second
    return said, ""

def _subquestions(text: str) -> list[list[tuple[float, float, float, str]]]:
    """Each subquestion's answers as (fraction %, value, tolerance, feedback), read the way
    qtype_multianswer_extract_question reads them: the first match, then the text after it."""
    out = []
    while (m := SUBQUESTION.search(text)):
        assert m.group(1) == "1" and m.group(3), m.group(0)[:80]  # one point, NUMERICAL
        answers, rest = [], m.group(9)
        while (alt := re.match("~?" + ALTERNATIVE, rest, re.S)):
            fraction = 100.0 if alt.group(1) == "=" else float(alt.group(2) or 0)
            number = re.match(NUMERICAL, alt.group(3), re.S)
            assert number, alt.group(3)
            feedback = _words(html.unescape(alt.group(5) or "").replace("\\}", "}")
                              .replace("\\#", "#"))
            answers.append((fraction, float(number.group(1).replace(",", ".")),
                            float(number.group(6) or 0), feedback))  # Moodle's group 6
            rest = rest[alt.end():]
        out.append(answers)
        text = text[m.end():]
    return out

NOLINK = re.compile(r'<span class="nolink">([^<]*)</span>')


def _words(feedback: str) -> str:
    """A feedback's words, which are written inside a nolink span (out of Moodle's filters)."""
    inside = NOLINK.fullmatch(feedback)
    assert inside, feedback
    return html.unescape(inside.group(1))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("moodle")
    for name in SHEETS:
        # 9 versions: v08 and v09 hold mistakes that coincide with the right answer
        extra = ["--versions", "9"] if name == "class-set-2-2-2" else []
        assert main(["build", str(WORKSHEETS / f"{name}.yaml"), "--format", "moodle",
                     "--out", str(out), *extra]) == 0
    assert main(["build", str(EXAMPLES / "tanh-2-2-1.yaml"), "--format", "moodle", "--out",
                 str(out)]) == 0
    return out

@pytest.mark.parametrize("name", SHEETS)
def test_every_subquestion_carries_the_keys_values(name, exported):
    root = ET.parse(exported / f"{name}-moodle.xml").getroot()
    assert root.tag == "quiz"
    category, *questions = list(root)
    assert category.get("type") == "category"
    assert category.findtext("category/text") == f"$course$/top/symbackprop/{name}/cloze"
    stems = ([f"{name}-v0{v}" for v in range(1, 10)] if name == "class-set-2-2-2" else [name])
    assert [q.findtext("idnumber") for q in questions] == stems
    for q, stem in zip(questions, stems):
        assert q.get("type") == "multianswer" and q.findtext("name/text").startswith(stem)
        assert q.find("questiontext").get("format") == "html"
        key = json.loads((exported / f"{stem}-key.json").read_text())
        subs = _subquestions(q.findtext("questiontext/text"))
        assert len(subs) == len(key["answers"])
        for answers, blank in zip(subs, key["scheme"]["blanks"]):
            (fraction, value, tol, _), *wrong = answers
            t = blank["tolerance"]  # Moodle's one answer is lo..hi, half a unit either way
            assert fraction == 100 and value == pytest.approx((t["lo"] + t["hi"]) / 2, abs=1e-12)
            assert tol == pytest.approx((t["hi"] - t["lo"]) / 2 + t["half"], rel=1e-9, abs=1e-15)
            candidates = {}  # a diagnosis may have several rules (one_path_only, one a path)
            notation = key["definition"].get("notation", "matrix")
            layers = tuple(key["definition"].get("network", {}).get("layers", ()))
            for r in blank["mistakes"]:  # a term as the sheet writes it (w₁·i₁)
                feedback = check.MISTAKES[r["diagnosis"]] + (
                    f": {term_words(r['term'], notation, layers)}" if "term" in r else "")
                candidates.setdefault(feedback, []).extend(
                    scheme.evaluate(c, key["scheme"]["values"].get) for c in r["candidates"])
            overlaps = []  # answers naming two mistakes, before the first one's own
            for fraction, v, t, said in wrong:
                feedback, also = _two(said)
                if also:  # a second mistake gives these numbers too: it is one of the blank's
                    assert also in candidates and also != feedback
                if fraction == 50:  # the right answer to fewer decimals, exactly
                    assert feedback == check.MISTAKES["too_few_decimals"] and t == 0
                    assert decimals_of(v) < key["scheme"]["decimals"]
                elif feedback == check.MISTAKES["cut_off"]:
                    assert fraction == 0 and t == 0
                elif also:  # where two mistakes' reaches overlap: just before the first's own
                    assert fraction == 0
                    overlaps.append((feedback, v - t, v + t))
                else:  # within reach of a rounding, or a rate's 2 % of its step
                    for said_first, lo, hi in overlaps:  # inside this one's reach
                        assert said_first == feedback and v - t - 1e-12 <= lo <= hi <= v + t + 1e-12
                    overlaps = []
                    assert fraction == 0 and t >= blank["tolerance"]["near"] * (1 - 1e-9)
                    assert t == pytest.approx(blank["tolerance"]["near"]) or \
                        feedback == check.MISTAKES["wrong_learning_rate"]
                    assert any(c is not None and abs(c - v) < 1e-9 * max(1, abs(c))
                               for c in candidates[feedback])
            assert overlaps == []
        assert q.findtext("generalfeedback/text")  # the worked key

def test_a_sigmoid_of_negative_answer_gets_its_feedback(exported):
    key = json.loads((exported / "blog-2-2-2-key.json").read_text())
    root = ET.parse(exported / "blog-2-2-2-moodle.xml").getroot()
    subs = _subquestions(root[1].findtext("questiontext/text"))
    out_h1 = subs[1]  # (b) out[1][1] = σ(net[1][1]); σ(−net) worked out here by hand
    import math

    wrong = 1 / (1 + math.exp(key["answers"][0]["value"]))
    hit = [f for _, v, t, f in out_h1[1:] if abs(v - wrong) <= t]
    assert hit and hit[0] == check.MISTAKES["sigmoid_of_negative"]

# grades Moodle offers for an answer (question_bank::fraction_options_full), in percent
MOODLE_FRACTIONS = {100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20,
                    16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0}

def test_numerical_questions_one_per_blank(tmp_path):
    assert main(["build", str(WORKSHEETS / "class-set-2-2-2.yaml"), "--versions", "2",
                 "--format", "moodle-numerical", "--out", str(tmp_path)]) == 0
    root = ET.parse(tmp_path / "class-set-2-2-2-moodle-numerical.xml").getroot()
    category, *questions = list(root)
    assert category.findtext("category/text") == \
        "$course$/top/symbackprop/class-set-2-2-2/numerical"
    keys = [json.loads((tmp_path / f"class-set-2-2-2-v0{v}-key.json").read_text())
            for v in (1, 2)]
    blanks = [b for k in keys for b in k["scheme"]["blanks"]]
    assert len(questions) == len(blanks)
    for q, blank in zip(questions, blanks):
        assert q.get("type") == "numerical" and f"({blank['label']})" in q.findtext("name/text")
        (right, *wrong) = q.findall("answer")
        t = blank["tolerance"]
        middle, band = (t["lo"] + t["hi"]) / 2, (t["hi"] - t["lo"]) / 2 + t["half"]
        assert right.get("fraction") == "100"
        assert float(right.findtext("text")) == pytest.approx(middle, abs=1e-12)
        assert float(right.findtext("tolerance")) == pytest.approx(band, rel=1e-9)
        for a in wrong:
            assert float(a.get("fraction")) in MOODLE_FRACTIONS
            feedback = _two(_words(a.findtext("feedback/text")))[0]
            assert feedback in check.MISTAKES.values() or any(
                feedback.startswith(m + ": ") for m in check.MISTAKES.values()), feedback
            if a.get("fraction") == "50":  # the right answer to fewer decimals, outside the band
                assert feedback == check.MISTAKES["too_few_decimals"]
                assert abs(float(a.findtext("text")) - middle) > band

def test_points_weigh_a_blank_in_moodle_and_in_the_gradebook(tmp_path):
    text = (WORKSHEETS / "blog-2-2-2.yaml").read_text(encoding="utf-8")
    (defn := tmp_path / "weighted.yaml").write_text(
        text + '\npoints: {"dJ/dW[2][1][1]": 3, "J": 2}\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(defn), "--format", "moodle", "--format", "moodle-numerical",
                 "--out", str(out)]) == 0
    key = json.loads((out / "weighted-key.json").read_text())
    label = {a["name"]: a["label"] for a in key["answers"]}
    weights = {b["label"]: b["points"] for b in key["scheme"]["blanks"]}
    assert weights[label["dJ/dW[2][1][1]"]] == 3 and weights[label["J"]] == 2
    assert sum(weights.values()) == len(weights) + 3
    cloze = ET.parse(out / "weighted-moodle.xml").getroot()[1].findtext("questiontext/text")
    found = [m.group(1) for m in SUBQUESTION.finditer(cloze)]
    assert found == [str(weights[a["label"]]) for a in key["answers"]]
    numerical = ET.parse(out / "weighted-moodle-numerical.xml").getroot()[1:]
    assert [q.findtext("defaultgrade") for q in numerical] == [str(weights[a["label"]])
                                                               for a in key["answers"]]
    (answers := tmp_path / "class.csv").write_text(
        "name,version," + ",".join(label.values()) + "\n"
        + "Ada,," + ",".join(str(a["value"]) for a in key["answers"]) + "\n"
        + "Bob,," + ",".join("" if a["name"] == "dJ/dW[2][1][1]" else str(a["value"])
                             for a in key["answers"]) + "\n", encoding="utf-8")
    assert main(["mark", str(out), str(answers), "--out", str(tmp_path / "marks")]) == 0
    book = (tmp_path / "marks" / "gradebook.csv").read_text(encoding="utf-8-sig").splitlines()
    total = len(weights) + 3
    assert book[1].endswith(f",{total},100.0") and book[2].endswith(
        f",{total - 3},{100 * (total - 3) / total:.1f}")

@pytest.mark.parametrize("points, problem", [
    ('{"W[9][1][1]": 2}', "names nothing"), ('{"J": 0}', "from 1 to 100"),
    ('{"J": 101}', "from 1 to 100"), ('{"J": 1.5}', "whole number"), ("[1, 2]", "must map")])
def test_bad_points_are_refused(points, problem, tmp_path, capsys):
    text = (WORKSHEETS / "blog-2-2-2.yaml").read_text(encoding="utf-8")
    (defn := tmp_path / "bad.yaml").write_text(text + f"\npoints: {points}\n", encoding="utf-8")
    assert main(["build", str(defn), "--format", "tex", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml: points" in err and problem in err and len(err.splitlines()) == 1

def _flat(values) -> list[float]:
    if values is None:  # a network without biases
        return []
    return [x for v in values for x in _flat(v)] if isinstance(values, list) else [values]

def _numbers(markup: str) -> set[float]:
    """The sizes of the numbers written in a text (MathML puts a minus sign in its own <mo>)."""
    return {float(n) for n in re.findall(r"[0-9]+(?:\.[0-9]+)?", markup)}

@pytest.mark.parametrize("name", ["blog-2-2-2", "pixel-four-4-2-1", "class-set-2-2-2"])
def test_the_diagram_travels_as_a_file_with_the_given_numbers_beside_it(name, exported):
    """Moodle's HTML cleaning strips inline <svg> but keeps <img>: the diagram is the question's
    own file, styled by itself, and every given number is also in the text."""
    stem = f"{name}-v01" if name == "class-set-2-2-2" else name
    key = json.loads((exported / f"{stem}-key.json").read_text())
    network, values = key["definition"]["network"], key["definition"]["values"]
    question = ET.parse(exported / f"{name}-moodle.xml").getroot()[1]
    (file,) = question.findall("questiontext/file")
    assert (file.get("name"), file.get("path"), file.get("encoding")) == (
        "diagram.svg", "/", "base64")
    svg = ET.fromstring(base64.b64decode(file.text, validate=True))
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{ns}svg" and svg.get("aria-label")
    circles = [c.get("class") for c in svg.findall(f".//{ns}circle")]
    assert len([c for c in circles if "bias" not in c]) == sum(network["layers"])
    biases = len(network["layers"]) - 1 if network.get("bias", "shared") != "none" else 0
    assert circles.count("neuron bias") == biases  # a bias of its own for each layer it feeds
    assert ".neuron{fill:#fff" in svg.findtext(f".//{ns}style")  # no page CSS reaches an image
    text = question.findtext("questiontext/text")
    img = re.search(r'<img src="@@PLUGINFILE@@/diagram\.svg" alt="([^"]+)"', text)
    assert img and "network" in img.group(1)
    given = {abs(x) for x in _flat([values["inputs"], values["targets"], values["weights"],
                                    values["biases"]])}
    assert given <= _numbers(html.unescape(text))
    # the picture carries the weights of the layers whose arrows have room for a label
    sizes = network["layers"]
    labelled = sum(a * b for a, b in zip(sizes, sizes[1:])) <= diagram.LABELLED_WEIGHTS
    drawn = [W for W, a, b in zip(values["weights"], sizes, sizes[1:])
             if labelled and a * b <= diagram.CROWDED]
    pictured = {abs(x) for x in _flat([values["inputs"], values["targets"], drawn,
                                       values["biases"]])}
    svg_text = " ".join(t.strip() for t in svg.itertext())
    assert pictured <= _numbers(svg_text)

def test_a_numerical_question_asks_its_line_with_the_givens(tmp_path):
    assert main(["build", str(WORKSHEETS / "blog-2-2-2.yaml"), "--format", "moodle-numerical",
                 "--out", str(tmp_path)]) == 0
    key = json.loads((tmp_path / "blog-2-2-2-key.json").read_text())
    questions = ET.parse(tmp_path / "blog-2-2-2-moodle-numerical.xml").getroot()[1:]
    values = key["definition"]["values"]
    given = {abs(x) for x in _flat([values["inputs"], values["weights"]])}
    for q, answer in zip(questions, key["answers"]):
        text = q.findtext("questiontext/text")
        # each side of the line a <math> of its own (html.chain), each inside Moodle's nolink
        assert text.endswith(" = ?</p>") and re.search(
            rf'<p><span class="nolink">\({answer["label"]}\)</span> (<span class="side">)?'
            r'<span class="nolink"><math', text)
        assert given <= _numbers(html.unescape(text)) and q.find("questiontext/file") is not None
        assert [q.findtext(k) for k in ("unitgradingtype", "showunits", "unitsleft")] == [
            "0", "3", "0"]  # a plain number, no units asked

def test_a_roster_names_each_version_and_the_category_is_the_sheets(tmp_path):
    (roster := tmp_path / "roster.txt").write_text("Zoë Adams\nBob <b> & Co\n", encoding="utf-8")
    assert main(["build", str(WORKSHEETS / "class-set-2-2-2.yaml"), "--versions", "2",
                 "--roster", str(roster), "--format", "moodle", "--out", str(tmp_path / "o")]) == 0
    category, *questions = ET.parse(tmp_path / "o" / "class-set-2-2-2-moodle.xml").getroot()
    assert category.findtext("category/text") == "$course$/top/symbackprop/class-set-2-2-2/cloze"
    assert [(q.findtext("name/text"), q.findtext("idnumber")) for q in questions] == [
        ("class-set-2-2-2-v01 (Zoë Adams)", "class-set-2-2-2-v01"),
        ("class-set-2-2-2-v02 (Bob <b> & Co)", "class-set-2-2-2-v02")]

@pytest.mark.parametrize("name", ["class-set-2-2-2", "batch-of-two-2-2-2"])
def test_the_log_counts_in_one_line_the_mistakes_that_coincide_with_the_right_answer(
        name, exported):
    """A mistake whose value is inside a blank's right answer is marked correct, by Moodle and by
    check alike: the log's first line counts them against all the mistakes the export holds,
    and each line under it names one, whose value is inside its blank's band."""
    logged = (exported / f"{name}-moodle.log").read_text(encoding="utf-8").splitlines()
    head = re.fullmatch(r"(\d+) of (\d+) mistake answers coincide with the right one: .*; "
                        r"(\d+) tell a mistake from the right answer", logged[0])
    assert head, logged[0]
    inside, total, kept = (int(g) for g in head.groups())
    assert inside == len(logged) - 1 and inside + kept == total
    mistakes, found = 0, 0
    for question in ET.parse(exported / f"{name}-moodle.xml").getroot()[1:]:
        stem = question.findtext("idnumber")
        key = json.loads((exported / f"{stem}-key.json").read_text())
        blanks = {b["label"]: b for b in key["scheme"]["blanks"]}
        for answers in _subquestions(question.findtext("questiontext/text")):
            mistakes += sum(f == 0 and not fb.startswith(check.MISTAKES["cut_off"])
                            and not _two(fb)[1]  # two mistakes' overlap: no third
                            for f, _, _, fb in answers)
        for line in logged[1:]:
            said = re.fullmatch(rf"{stem}: \((\w+)\) (.+?): (\w+) gives (\S+), inside the "
                                r"right answer's band", line)
            if said:
                found += 1
                t = blanks[said.group(1)]["tolerance"]
                assert said.group(2) == blanks[said.group(1)]["name"]
                assert said.group(3) in check.MISTAKES
                assert t["lo"] - t["half"] <= float(said.group(4)) <= t["hi"] + t["half"]
    assert mistakes == total and found == inside
    assert inside >= (1 if name.startswith("class-set") else 0)

def test_parts_of_a_set_write_their_own_files_into_the_sets_one_category(tmp_path):
    sheet = str(WORKSHEETS / "class-set-2-2-2.yaml")
    for first, count in ((1, 2), (3, 1)):
        assert main(["build", sheet, "--first-version", str(first), "--versions", str(count),
                     "--format", "moodle", "--out", str(tmp_path)]) == 0
    parts = sorted(p.name for p in tmp_path.glob("*-moodle*.xml"))
    assert parts == ["class-set-2-2-2-moodle-v03-v03.xml", "class-set-2-2-2-moodle.xml"]
    parts.reverse()
    ids = []
    for part in parts:
        category, *questions = ET.parse(tmp_path / part).getroot()
        assert category.findtext("category/text") == \
            "$course$/top/symbackprop/class-set-2-2-2/cloze"
        ids += [q.findtext("idnumber") for q in questions]
    assert ids == [f"class-set-2-2-2-v0{v}" for v in (1, 2, 3)]

# --- Moodle grades as check marks ---------------------------------------------------------

EPSILON = 1e-14  # 10^-precision, PHP's precision 14: qtype_numerical_answer's own epsilon

def _moodle_grade(answers, value: float):
    """The first answer whose nominal tolerance interval holds `value` (Moodle's
    qtype_numerical_answer::get_tolerance_interval and within_tolerance): (fraction, feedback)."""
    for fraction, v, tol, feedback in answers:
        t = tol + EPSILON * max(tol, abs(v), EPSILON)
        if v - t <= value <= v + t:
            return fraction, feedback
    return None, None

def _probes(blank: dict, values: dict, decimals: int) -> list[str]:
    """Numbers as a student types them: every d-decimal number from 3 units below the right
    answers to 3 above, the right answer to fewer decimals and cut off, every mistake's value
    to d decimals and to two more."""
    t, unit = blank["tolerance"], 10.0 ** -decimals
    if not t["half"]:  # a whole number
        return [f"{blank['value'] + k:g}" for k in (-1, 0, 1)]
    low, high = round(t["lo"] / unit) - 3, round(t["hi"] / unit) + 3
    typed = [f"{k * unit:.{decimals}f}" for k in range(low, high + 1)]
    for p in range(decimals - 1, 0, -1):
        typed += [f"{x:.{p}f}" for x in (t["lo"], t["hi"], t["from"], t["to"])]
        typed += [f"{math.trunc(x * 10 ** p) / 10 ** p:.{p}f}" for x in (t["from"], t["to"])]
    typed += [f"{math.trunc(x * 10 ** decimals) / 10 ** decimals:.{decimals}f}"
              for x in (t["from"], t["to"])]
    for rule in blank["mistakes"]:
        for c in rule["candidates"]:
            v = scheme.evaluate(c, values.get)
            if v is not None:
                typed += [f"{v:.{decimals}f}", f"{v:.{decimals + 2}f}"]
    return typed

@pytest.mark.parametrize("name", ["class-set-2-2-2", "blog-2-2-2", "pixel-four-4-2-1",
                                  "han-kamber-3-2-1", "batch-of-two-2-2-2", "matrix-form-3-4-2",
                                  "postnetwork-softmax-3-2-2", "relu-bce-1-1-1", "tanh-2-2-1"])
def test_moodle_grades_every_number_as_check_marks_it(name, exported):
    """Each blank's answers read with Moodle's regexes and matched as Moodle matches them give
    check's verdict and diagnosis for the same number (where the student's earlier answers are
    the key's, as Moodle assumes): correct is 100 %, too few decimals 50 %, each diagnosis its
    own feedback, no diagnosis no answer."""

    compared = 0
    seen = {"correct": 0, "too_few_decimals": 0, "cut_off": 0, "mistake": 0, "none": 0,
            "also": 0}
    for question in ET.parse(exported / f"{name}-moodle.xml").getroot()[1:]:
        key = json.loads((exported / f"{question.findtext('idnumber')}-key.json").read_text())
        sch = key["scheme"]
        d = sch["decimals"]
        for answers, blank in zip(_subquestions(question.findtext("questiontext/text")),
                                  sch["blanks"]):
            for text in _probes(blank, sch["values"], d):
                given = check.parse_number(text)
                if decimals_of(given) != decimals_of(float(given)):
                    continue  # 0.2470 and 0.247 are one number to Moodle, not to check
                m = scheme.judge(sch, blank, given, sch["values"].get)

                def as_sheet(text: str, blank=blank, key=key) -> str:  # a term as the sheet
                    #                                                      writes it (w₁·i₁)
                    for r in blank["mistakes"]:
                        if r.get("term"):
                            text = text.replace(f": {r['term']}", ": " + term_words(
                                r["term"], key["definition"].get("notation", "matrix"),
                                tuple(key["definition"]["network"]["layers"])))
                    return text
                # check's message names a second mistake after the first: so does the feedback
                head, _, both = m.message.partition(" — either ")
                first, _, second = both.partition(", or ")
                said = first if both else head
                if m.verdict == "correct":
                    want, seen["correct"] = (100, "Correct"), seen["correct"] + 1
                elif m.verdict == "too_few_decimals":
                    want = (50, as_sheet(check.MISTAKES["too_few_decimals"] + (
                        f" — either a rounding slip, or {second}" if second else "")))
                    seen["too_few_decimals"] += 1
                    seen["also"] += bool(second)
                elif m.diagnosis:
                    term = next((r.get("term") for r in blank["mistakes"]
                                 if r["diagnosis"] == m.diagnosis and r.get("term")
                                 and said.endswith(r["term"])), None)
                    named = check.MISTAKES[m.diagnosis] + (f": {term}" if term else "")
                    want = (0, as_sheet(f"either {named}, or {second}" if second else named))
                    seen["cut_off" if m.diagnosis == "cut_off" else "mistake"] += 1
                    seen["also"] += bool(second)
                else:
                    want, seen["none"] = (None, None), seen["none"] + 1
                assert _moodle_grade(answers, given) == want, (blank["name"], text, m.verdict,
                                                               m.diagnosis)
                compared += 1
    assert compared > 100 and all(seen.values()), seen
