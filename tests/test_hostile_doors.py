"""The doors added since the first hostile pass, tried as a hostile user would: text from a
roster, a title or a spreadsheet that could reach another program (a spreadsheet's formulas,
the terminal's escapes, Moodle's Cloze parser), files that never end or are in the way, an
earlier build's files, and the Python API's arguments.

Each command runs as its own bounded process (tests/hostile.py); what is exported is read as
the receiving program reads it: gradebook.csv by a CSV reader, the Moodle question by Moodle's
own Cloze regexes (tests/test_moodle.py)."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest

import symbackprop
from symbackprop.formats import pdf

from . import hostile
from .hostile import BLOG, CLASS_SET, FORMULA, assert_refused, files, run
from .test_moodle import SUBQUESTION

keys = hostile.keys  # the class set's keys: a fixture the hostile suites share

needs_tex = pytest.mark.skipif(not pdf.available(), reason="needs pdflatex")
ESCAPES = "\x1b]0;pwned\x07\x1b[2J"  # retitles the terminal, then clears it


def _answers(keys: Path, rows: list[tuple[str, str]], header_extra: str = "",
             delimiter: str = ",") -> str:
    """A class's CSV: each (name, version) with the first answer of that version's key."""
    key = json.loads((keys / "class-set-2-2-2-v01-key.json").read_text())
    labels = [a["label"] for a in key["answers"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", delimiter=delimiter)
    writer.writerow(["name", "version", *labels] + ([header_extra] if header_extra else []))
    for name, version in rows:
        first = json.loads((keys / f"class-set-2-2-2-v0{min(int(version), 2)}-key.json")
                           .read_text())
        writer.writerow([name, version, first["answers"][0]["value"],
                         *[""] * (len(labels) - 1)] + ([""] if header_extra else []))
    return out.getvalue()


# --- security: text that reaches another program ---------------------------------------------

HOSTILE_NAMES = ['=HYPERLINK("http://127.0.0.1/?"&A1,"open")', "+cmd|' /C calc'!A0",
                 "@SUM(1,2)", "-2+3", "\t=1+1", "=1+1\r", "Zoë Adams"]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_no_gradebook_cell_is_a_formula_and_numbers_stay_numbers(keys, tmp_path, delimiter):
    text = _answers(keys, [(n, "1") for n in HOSTILE_NAMES], delimiter=delimiter)
    (tmp_path / "class.csv").write_text(text, encoding="utf-8")
    result = run(["mark", str(keys), str(tmp_path / "class.csv"), "--out",
                  str(tmp_path / "m")], tmp_path)
    assert result.code == 0, result.stderr
    for name in ("gradebook.csv", "summary.csv"):
        with open(tmp_path / "m" / name, encoding="utf-8-sig", newline="") as handle:
            table = list(csv.reader(handle, delimiter=delimiter))
        for row in table:
            for cell in row:
                assert not cell.startswith(FORMULA), (name, cell)
    with open(tmp_path / "m" / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
        book = list(csv.DictReader(handle, delimiter=delimiter))
    shown = [r["name"] for r in book]
    assert shown == ["'" + n.strip() if n.strip().startswith(FORMULA) else n.strip()
                     for n in HOSTILE_NAMES]
    for r in book:  # every points cell reads as a number, as it did
        assert float(r["total"].replace(",", ".")) == 1.0 and float(r["a"].replace(",", "."))


def _no_escape_reaches_the_terminal(result) -> None:
    for stream in (result.stdout, result.stderr):
        assert "\x1b" not in stream and "\x07" not in stream, stream[:300]


def test_terminal_escapes_in_a_spreadsheets_names_and_labels_are_shown_not_sent(keys,
                                                                                  tmp_path):
    text = _answers(keys, [(f"Ann{ESCAPES}", "7"), ("Bob", "1")], header_extra=f"x{ESCAPES}")
    (tmp_path / "class.csv").write_text(text, encoding="utf-8")
    result = run(["mark", str(keys), str(tmp_path / "class.csv"), "--out",
                  str(tmp_path / "m")], tmp_path)
    assert result.code == 0
    _no_escape_reaches_the_terminal(result)
    assert "Ann\\x1b]0;pwned\\x07\\x1b[2J: no key for version 7" in result.stderr
    assert "'x\\x1b]0;pwned\\x07\\x1b[2J'" in result.stderr


def test_terminal_escapes_in_a_file_name_a_roster_and_a_key_are_shown_not_sent(tmp_path):
    named = tmp_path / f"net{ESCAPES}.yaml"
    named.write_text("network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
                     "values: {inputs: [1, 2, 3]}\n")
    derived = run(["derive", str(named)], tmp_path)
    assert derived.code == 2 and "net\\x1b]0;pwned" in derived.stderr
    roster = tmp_path / "class.txt"
    roster.write_text(f"Ada\nBo{ESCAPES}b\n")
    built = run(["build", str(CLASS_SET), "--roster", str(roster), "--versions", "2",
                 "--format", "tex", "--out", str(tmp_path / f"o{ESCAPES}")], tmp_path)
    assert_refused(built, "line 2")
    # a key edited to carry escapes in its messages: check prints them shown, not sent
    key = json.loads(json.dumps(symbackprop.worksheet(BLOG).key))
    key["scheme"]["messages"]["sign"] = f"sign {ESCAPES}"
    for blank in key["scheme"]["blanks"]:
        blank["working"] = f"work {ESCAPES}"
    for answer in key["answers"]:  # without its forms, check prints the scheme's working
        answer.pop("shown", None)
    (tmp_path / "k.json").write_text(json.dumps(key))
    (tmp_path / "a.txt").write_text("a = -0.3775\nc = 17\n")
    for args in (["check", "k.json", "a.txt"], ["check", "k.json", "a.txt", "--json"]):
        checked = run(args, tmp_path)
        assert checked.code == 0, checked.stderr
        _no_escape_reaches_the_terminal(checked)
    assert "work \\x1b]0;pwned" in run(["check", "k.json", "a.txt"], tmp_path).stdout
    # and a line's forms, which it prints where the key has them, are shown, not sent, too
    key["answers"][0]["shown"] = ["Equation", [["Text", f"x {ESCAPES}"], ["Number", 1, 4, None]]]
    (tmp_path / "k.json").write_text(json.dumps(key))
    forms = run(["check", "k.json", "a.txt"], tmp_path)
    _no_escape_reaches_the_terminal(forms)
    assert "x \\x1b]0;pwned" in forms.stdout
    for result in (derived, built):
        _no_escape_reaches_the_terminal(result)


CLOZE_TITLES = ["Quiz {1:SHORTANSWER:=pwned} and {#1}", "a ~ b # c = d {2:NM:=1:0}",
                "{1:MULTICHOICE:=yes~no}"]


@pytest.mark.parametrize("title", CLOZE_TITLES)
def test_a_title_with_cloze_syntax_is_text_in_moodle(title, tmp_path):
    text = BLOG.read_text().replace("title:", "old_title:")
    sheet = tmp_path / "cloze.yaml"
    sheet.write_text(f"title: {json.dumps(title)}\n" + "\n".join(
        line for line in text.splitlines() if not line.startswith("old_title:")) + "\n")
    out = tmp_path / "o"
    assert run(["build", str(sheet), "--format", "moodle", "--format", "moodle-numerical",
                "--out", str(out)], tmp_path).code == 0
    key = json.loads((out / "cloze-key.json").read_text())
    for xml_name, per_question in (("cloze-moodle.xml", len(key["answers"])),
                                   ("cloze-moodle-numerical.xml", 0)):
        xml = (out / xml_name).read_text()
        texts = re.findall(r"<questiontext format=\"html\"><text><!\[CDATA\[(.*?)\]\]></text>",
                           xml, re.S)
        assert texts
        for text in texts:
            # Moodle's parser finds exactly the sheet's subquestions, and no {#N} placeholder
            assert len(SUBQUESTION.findall(text)) == per_question
            assert re.search(r"\{#[^\s}]*\}", text) is None
            # shown as typed, out of the filters' reach (its own nolink span)
            first = re.match(r'<p><span class="nolink">(.*?)</span></p>', text).group(1)
            assert html.unescape(first) == title


# --- hangs, crashes and memory ----------------------------------------------------------------

def test_a_key_that_is_a_pipe_is_refused_at_once(keys, tmp_path):
    os.mkfifo(tmp_path / "k.json")
    result = run(["check", str(tmp_path / "k.json"), "-"], tmp_path, timeout=20)
    assert_refused(result, "k.json", "a pipe")
    folder = tmp_path / "class"
    shutil.copytree(keys, folder)
    os.mkfifo(folder / "zz-key.json")
    (tmp_path / "a.csv").write_text(_answers(keys, [("Ada", "1")]))
    marked = run(["mark", str(folder), str(tmp_path / "a.csv"), "--out", str(tmp_path / "m")],
                 tmp_path, timeout=20)
    assert_refused(marked, "zz-key.json", "a pipe")
    assert not (tmp_path / "m").exists()


def test_a_huge_cell_is_one_rows_problem_and_the_rest_is_marked(keys, tmp_path):
    text = _answers(keys, [("Ada", "1"), ("Bob", "2")])
    lines = text.splitlines()
    lines.insert(2, "Eve,1," + "9" * 200_000)
    (tmp_path / "a.csv").write_text("\n".join(lines) + "\n")
    result = run(["mark", str(keys), str(tmp_path / "a.csv"), "--out", str(tmp_path / "m")],
                 tmp_path)
    assert result.code == 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"symbackprop: {tmp_path / 'a.csv'}: line 3: a cell of 200,000 characters (at most "
        "1,000 in a cell); the row was not marked"]
    with open(tmp_path / "m" / "gradebook.csv", encoding="utf-8-sig") as handle:
        assert [r["name"] for r in csv.DictReader(handle)] == ["Ada", "Bob"]


@pytest.mark.parametrize("count, refused", [(5_000, False), (40_000, True)])
def test_a_header_of_unknown_labels_is_said_once(keys, tmp_path, count, refused):
    text = _answers(keys, [("Ada", "1")])
    header, *rest = text.splitlines()
    extra = [f"x{i}" for i in range(count)]
    rows = [header + "," + ",".join(extra)] + [r + "," * count for r in rest]
    (tmp_path / "a.csv").write_text("\n".join(rows) + "\n")
    result = run(["mark", str(keys), str(tmp_path / "a.csv"), "--out", str(tmp_path / "m")],
                 tmp_path)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines[:3]
    if refused:
        cells = len(header.split(",")) + count
        assert_refused(result, "line 1", f"a header of {cells:,} cells", "at most 10,002 cells")
    else:
        assert result.code == 0
        assert f"line 1: {count:,} columns 'x0', 'x1', 'x2', 'x3', 'x4' and 4,995 more name " \
               "no blank of this sheet" in lines[0]


@pytest.mark.parametrize("text, said", [
    ("", "line 1: the first row must be the header"),
    ("name,version,a\n", "no student could be marked"),
    ("name,version,a,a\nAda,1,1,1\n", "line 1: the column 'a' appears twice")])
def test_an_answers_file_with_nothing_to_mark_is_one_line(keys, tmp_path, text, said):
    (tmp_path / "a.csv").write_text(text)
    result = run(["mark", str(keys), str(tmp_path / "a.csv"), "--out", str(tmp_path / "m")],
                 tmp_path)
    assert_refused(result, said)
    assert not (tmp_path / "m").exists()


def test_from_torch_refuses_a_huge_layer_from_its_shape_alone():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    for model, said in [(nn.Sequential(nn.Linear(8000, 8000, device="meta")),
                         "model[0]: nn.Linear(8000, 8000) has more than 4,096"),
                        (nn.Sequential(nn.Linear(4000, 4000, device="meta")),
                         "model: has 16,004,000 weights and biases; at most 200,000")]:
        # meta tensors hold no numbers: reading one weight would fail another way
        with pytest.raises(symbackprop.DefinitionError, match=re.escape(said)):
            symbackprop.from_torch(model, [0.0] * model[0].in_features,
                                   [0.0] * model[0].out_features, loss="mse")


def _full_precision_definition(sizes: list[int], indent: int) -> str:
    """Every weight written out as PyTorch prints a float64, in block YAML."""
    import numpy as np

    rng = np.random.default_rng(0)
    pad = " " * indent

    def block(rows, depth):
        lines = []
        for row in rows:
            if isinstance(row, list):
                inner = block(row, depth + 1)
                lines.append(pad * depth + "-\n" + inner)
            else:
                lines.append(f"{pad * depth}- {row!r}")
        return "\n".join(lines)

    weights = [(rng.normal(size=(b, a)) * 1e-3).tolist() for a, b in zip(sizes, sizes[1:])]
    return ("network:\n  layers: " + json.dumps(sizes) + "\n  activation: sigmoid\n"
            "  loss: half_sse\n  bias: none\nvalues:\n  inputs: "
            + json.dumps(rng.random(sizes[0]).tolist()) + "\n  targets: "
            + json.dumps(rng.random(sizes[-1]).tolist()) + "\n  weights:\n"
            + block(weights, 2) + "\n")


def test_a_784_128_10_definition_in_full_precision_is_read(tmp_path):
    text = _full_precision_definition([784, 128, 10], indent=2)
    assert len(text) > 2**20 * 2  # the old bound of 1 MiB refused it
    (tmp_path / "mnist.yaml").write_text(text)
    result = run(["derive", "mnist.yaml", "--param", "W[2][1][1]"], tmp_path)
    assert result.code == 0, result.stderr
    assert "dJ/dW[2][1][1]" in result.stdout


# --- all or nothing, really -------------------------------------------------------------------

def test_a_folder_in_the_way_of_the_gradebook_leaves_nothing(keys, tmp_path):
    (tmp_path / "a.csv").write_text(_answers(keys, [("Ada", "1"), ("Bob", "2")]))
    (tmp_path / "m" / "gradebook.csv").mkdir(parents=True)
    before = files(tmp_path)
    result = run(["mark", str(keys), str(tmp_path / "a.csv"), "--out", str(tmp_path / "m")],
                 tmp_path)
    assert_refused(result, "gradebook.csv", "nothing was written")
    assert files(tmp_path) == before


def test_a_folder_in_the_way_of_a_practice_page_leaves_nothing(tmp_path):
    (tmp_path / "o" / "blog-2-2-2-practice.html").mkdir(parents=True)
    before = files(tmp_path)
    result = run(["build", str(BLOG), "--format", "html", "--out", str(tmp_path / "o")],
                 tmp_path)
    assert_refused(result, "blog-2-2-2-practice.html", "nothing was written")
    assert files(tmp_path) == before


def test_marking_again_leaves_no_feedback_page_of_the_earlier_class(keys, tmp_path):
    (tmp_path / "a.csv").write_text(_answers(keys, [("Ada", "1"), ("Bob", "2"), ("Cy", "1")]))
    assert run(["mark", str(keys), "a.csv", "--out", "m"], tmp_path).code == 0
    (tmp_path / "m" / "notes.txt").write_text("the teacher's own")
    (tmp_path / "a.csv").write_text(_answers(keys, [("Ada", "1"), ("Bob", "2")]))
    again = run(["mark", str(keys), "a.csv", "--out", "m"], tmp_path)
    assert again.code == 0 and "removed 1 file of an earlier marking" in again.stdout
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "feedback-001-ada.html", "feedback-002-bob.html", "gradebook.csv", "notes.txt",
        "summary.csv"]


@needs_tex
def test_a_build_with_other_numbers_replaces_the_sheets_whole_set(tmp_path):
    sheet = tmp_path / "r.yaml"
    sheet.write_text(CLASS_SET.read_text().replace("versions: 30", "") + "\n")
    first = run(["build", str(sheet), "--versions", "3", "--seed", "1", "--out", "o"],
                tmp_path)
    assert first.code == 0, first.stderr
    pdfs = sorted(p.name for p in (tmp_path / "o").glob("*.pdf"))
    assert len(pdfs) == 8  # three worksheets, three keys, the class set and its keys
    (tmp_path / "o" / "mine.pdf").write_bytes(b"%PDF the teacher's")
    # a practice page of the same numbers is one set with the PDFs: nothing is removed
    same = run(["build", str(sheet), "--versions", "3", "--seed", "1", "--format", "html",
                "--out", "o"], tmp_path)
    assert same.code == 0 and "removed" not in same.stdout
    assert sorted(p.name for p in (tmp_path / "o").glob("*.pdf")) == sorted(pdfs + ["mine.pdf"])
    other = run(["build", str(sheet), "--versions", "3", "--seed", "2", "--format", "tex",
                 "--out", "o"], tmp_path)
    assert other.code == 0 and "removed 11 files of an earlier build of r" in other.stdout
    left = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert left == ["mine.pdf"] + sorted(f"r-v0{v}-{kind}" for v in (1, 2, 3) for kind in (
        "key.json", "key.tex", "worksheet.tex"))
    for v in (1, 2, 3):
        assert json.loads((tmp_path / "o" / f"r-v0{v}-key.json").read_text())["seed"] == 2


def test_a_part_of_a_set_beside_another_builds_files_is_refused(tmp_path):
    sheet = tmp_path / "r.yaml"
    sheet.write_text(CLASS_SET.read_text())  # versions: 30
    assert run(["build", str(sheet), "--versions", "2", "--seed", "1", "--format", "tex",
                "--out", "o"], tmp_path).code == 0
    # the next part of the same set is welcome beside the first
    assert run(["build", str(sheet), "--first-version", "3", "--versions", "2", "--seed", "1",
                "--format", "tex", "--out", "o"], tmp_path).code == 0
    before = files(tmp_path)
    result = run(["build", str(sheet), "--first-version", "5", "--versions", "2", "--seed",
                  "2", "--format", "tex", "--out", "o"], tmp_path)
    assert_refused(result, "holds files of another build of r", "r-v01-key.json")
    assert files(tmp_path) == before


@pytest.mark.parametrize("name, said", [("Bo\u2028b", "U+2028"), ("Ann\x0bLee", "U+000B"),
                                        ("Bo\x85b", "U+0085")])
def test_a_separator_inside_a_roster_name_is_never_a_new_student(tmp_path, name, said):
    (tmp_path / "class.txt").write_text(f"Ada\n{name}\r\nCy\n", encoding="utf-8")
    result = run(["build", str(CLASS_SET), "--roster", "class.txt", "--format", "tex",
                  "--out", "o"], tmp_path)
    assert_refused(result, "class.txt: line 2", said)
    assert not (tmp_path / "o").exists()


# --- smaller, from the same pass ---------------------------------------------------------------

@pytest.mark.parametrize("data, said", [
    (b"", "holds 0 examples (every line is empty or a # comment)"),
    (b"# a comment\n# another\n", "holds 0 examples (every line is empty"),
    (b"3," + b"0," * 63 + b"0\n", "holds 1 examples; training and testing on a split of it "
     "need at least 20")])
def test_a_data_set_too_small_to_split_is_refused_without_a_warning(tmp_path, data, said):
    (tmp_path / "d.csv").write_bytes(data)
    (tmp_path / "t.yaml").write_text(
        "network: {layers: [64, 4, 10], activation: [sigmoid, softmax], loss: cross_entropy}\n"
        "data: {file: d.csv}\n")
    result = run(["train", "t.yaml", "--epochs", "1"], tmp_path)
    assert_refused(result, "d.csv", said)
    assert "Warning" not in result.stderr


@pytest.mark.parametrize("call, error, said", [
    (lambda: symbackprop.derive(BLOG, seed=2**70), symbackprop.DefinitionError, "seed: must"),
    (lambda: symbackprop.derive(BLOG, seed=-1), symbackprop.DefinitionError, "seed: must"),
    (lambda: symbackprop.worksheet(CLASS_SET, version=0), symbackprop.DefinitionError,
     "version: must be a whole number from 1"),
    (lambda: symbackprop.worksheet(CLASS_SET, version=31), symbackprop.DefinitionError,
     "version: version 31: this set builds versions 1 to 30"),
    (lambda: symbackprop.worksheet(CLASS_SET, version="3"), TypeError, "version must be"),
    (lambda: symbackprop.train(BLOG, steps=10**9), symbackprop.DefinitionError, "steps: must"),
    (lambda: symbackprop.derive(None), TypeError, "defn must be"),
    (lambda: symbackprop.derive(5), TypeError, "defn must be"),
    (lambda: symbackprop.derive(BLOG).derivation(5), TypeError, "param must be")])
def test_the_api_applies_the_command_lines_bounds(call, error, said):
    with pytest.raises(error, match=re.escape(said)):
        call()


@needs_tex
def test_a_pdf_that_cannot_be_written_names_the_file_asked_for():
    sheet = symbackprop.worksheet(BLOG)
    with pytest.raises(OSError) as caught:
        sheet.pdf("/proc/x.pdf")
    assert caught.value.filename == "/proc/x.pdf"


def test_keys_of_two_sheets_with_the_same_labels_are_not_one_class(keys, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(CLASS_SET.read_text().replace("learning_rate: 0.5", "learning_rate: 0.4"))
    assert "learning_rate: 0.4" in other.read_text()
    assert run(["build", str(other), "--first-version", "3", "--versions", "1", "--format",
                "tex", "--out", "mixed"], tmp_path).code == 0
    for key in keys.glob("*-key.json"):
        shutil.copy(key, tmp_path / "mixed" / key.name)
    (tmp_path / "a.csv").write_text(_answers(keys, [("Ada", "1")]))
    result = run(["mark", "mixed", "a.csv", "--out", "m"], tmp_path)
    assert_refused(result, "are keys of different sheets")
    assert not (tmp_path / "m").exists()


def test_every_control_and_invisible_mark_of_unicode_is_shown_not_sent():
    """Held to Unicode's own categories (Cc, Cf, Zl, Zp), read from unicodedata here: the
    message guard is written out by hand so that `check` starts fast."""
    import unicodedata

    from symbackprop.definitions.errors import terminal_safe

    acting = [chr(c) for c in range(0x110000)
              if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp") and chr(c) not in "\t\n"]
    assert len(acting) > 200
    missed = [f"U+{ord(c):04X}" for c in acting if terminal_safe(f"a{c}b") == f"a{c}b"]
    assert missed == []
    assert terminal_safe("Zoë\tÅsa\nη = 0.5") == "Zoë\tÅsa\nη = 0.5"  # text stays text
