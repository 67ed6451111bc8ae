"""What a sixteenth hostile pass found at commit f3db91e, over the features of issue 20: `mark`
(a class CSV, folders of keys), practice pages, Moodle XML, SCORM, `train --epochs`, the digits
lesson, batches, the matrix form, the Python API, and the security classes (spreadsheet
formulas, terminal escapes, Moodle's Cloze syntax and filters, hangs, all-or-nothing writes,
roster names, the API's bounds, library warnings). About 540 command lines and calls were
tried; the cases here are the guards that hold (a few a class) and, marked xfail, the
twenty-three findings. A test marked xfail is a broken promise (it fails today and passes once the
promise is kept: remove the mark); the others pass and guard.

Most cases run as command lines of one bounded process (`runs`, through `_commands` of
test_hostile_pass15), each in its own folder; what `_commands` cannot write (a pipe, a UTF-16
file, a folder of keys) is made beforehand and named by its absolute path. The PDF cases run
`build` with a log of their own for the lines set past the margin (pdf.WATCH), so that the
suite's guard in conftest does not fail them in teardown."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import WORKSHEETS
from .hostile import FORMULA, Run, api_cases, assert_refused
from .test_hostile_pass15 import GIVEN, _bounded, _commands, _raw_controls
from .test_moodle import SUBQUESTION

BLOG = (WORKSHEETS / "blog-2-2-2.yaml").read_text(encoding="utf-8")
DRAWN = GIVEN.replace("values:", "#")  # a roster of n names is a set of n versions
TRAINING = (WORKSHEETS / "training" / "digits-64-16-10.yaml").read_text(encoding="utf-8")
BUILD = ["build", "s.yaml", "--format", "tex", "--out", "o"]
REFUSAL_SECONDS = 10.0


@pytest.fixture(scope="module")
def blog_keys(tmp_path_factory) -> Path:
    """The blog sheet's key, alone in a folder (as `mark` takes one), and its labels."""
    root = tmp_path_factory.mktemp("keys16")
    result = _commands(root, {"k": ({"s.yaml": BLOG}, BUILD)})["k"]
    assert result.code == 0, result.stderr[-1500:]
    keys = root / "k" / "o"
    (keys / "s-key.tex").unlink()
    (keys / "s-worksheet.tex").unlink()
    return keys


def _labels(keys: Path) -> list[str]:
    key = json.loads(next(keys.glob("*-key.json")).read_text(encoding="utf-8"))
    return [a["label"] for a in key["answers"]]


def _class_csv(labels: list[str], names: list[str], first: str = "0.3775") -> str:
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["name", "version", *labels])
    for name in names:
        writer.writerow([name, "", first, *[""] * (len(labels) - 1)])
    return table.getvalue()


# --- refusals: one line naming the file and the problem, escaped; nothing written --------------

def _refusals(keys: Path, fifo: Path) -> dict:
    labels = _labels(keys)
    header = "name,version," + ",".join(labels) + "\n"
    row = "Ann,,0.3775" + "," * (len(labels) - 1) + "\n"
    training = TRAINING.replace("../data/", str(WORKSHEETS / "data") + "/")
    mark = ["mark", str(keys), "a.csv", "--out", "o"]
    return {
        # terminal escapes: an option's value, an unknown option, a file's name
        "mark_option_escape": ({"a.csv": header + row}, mark + ["--points-rounded", "\x1b[2J"],
                               ["--points-rounded", "\\x1b[2J"]),
        "mark_unknown_option_escape": ({"a.csv": header + row}, mark + ["--o\x1b]0;x\x07"],
                                       ["\\x1b]0;x\\x07"]),
        "build_format_c1": ({"s.yaml": BLOG}, ["build", "s.yaml", "--format", "\x9b2J"],
                            ["--format", "\\x9b2J"]),
        "answers_named_with_escapes": ({}, ["mark", str(keys), "a\x1b[2J\u202e.csv"],
                                       ["a\\x1b[2J\\u202e.csv"]),
        # hangs: a pipe, a device, a folder as the answers; a header of 20,000 columns
        "answers_fifo": ({}, ["mark", str(keys), str(fifo), "--out", "o"], ["pipe"]),
        "answers_dev_zero": ({}, ["mark", str(keys), "/dev/zero", "--out", "o"], ["device"]),
        "check_answers_fifo": ({}, ["check", str(next(keys.glob("*-key.json"))), str(fifo)],
                               ["pipe"]),
        "answers_header_of_20000": ({"a.csv": header.strip() + ",x" * 20000 + "\n" + row},
                                    mark, ["a.csv", "line 1", "20,027 cells"]),
        "answers_9_mib": ({"a.csv": header + "A" * 9_000_000 + row}, mark, ["a.csv", "8 MiB"]),
        # train --epochs: the bounds before any work
        "epochs_past_the_work": ({"s.yaml": training}, ["train", "s.yaml", "--epochs", "2000",
                                                        "--batch-size", "1"],
                                 ["uci-digits.csv.gz", "2,000 epochs"]),
        "epochs_of_23_digits": ({"s.yaml": training}, ["train", "s.yaml", "--epochs", "9" * 23],
                                ["--epochs", "9" * 23]),
        "data_of_five_rows": ({"s.yaml": training.replace(
            str(WORKSHEETS / "data") + "/uci-digits.csv.gz", "x.csv"),
            "x.csv": "0" + ",0" * 64 + "\n" * 1 + ("1" + ",0" * 64 + "\n") * 4},
            ["train", "s.yaml", "--epochs", "1"], ["x.csv", "5 examples"]),
        "data_etc_passwd": ({"s.yaml": training.replace(
            str(WORKSHEETS / "data") + "/uci-digits.csv.gz", "/etc/passwd")},
            ["train", "s.yaml", "--epochs", "1"], ["/etc/passwd", "line 1"]),
    }


@pytest.fixture(scope="module")
def runs(blog_keys, tmp_path_factory) -> tuple[Path, dict, dict[str, Run]]:
    """Every case of this file that needs no earlier run, as command lines of one bounded
    process: the refusals, the markings, the builds of hostile titles, file names and
    rosters, and the trainings."""
    root = tmp_path_factory.mktemp("runs16")
    given = root / "given"  # what _commands cannot write: a pipe, UTF-16, a folder of keys
    given.mkdir()
    fifo = given / "answers.fifo"
    os.mkfifo(fifo)
    labels = _labels(blog_keys)
    (given / "utf16.csv").write_bytes(_class_csv(labels, ["Zoe"]).encode("utf-16"))
    copies = given / "copies"
    copies.mkdir()
    key = (blog_keys / "s-key.json").read_text(encoding="utf-8")
    (copies / "s-key.json").write_text(key, encoding="utf-8")
    (copies / "copy-key.json").write_text(key, encoding="utf-8")
    refusals = _refusals(blog_keys, fifo)
    refusals["answers_utf16"] = ({}, ["mark", str(blog_keys), str(given / "utf16.csv"),
                                      "--out", "o"], ["utf16.csv"])
    cases = {name: (files, argv) for name, (files, argv, _) in refusals.items()}
    cases.update(_others(blog_keys, copies))
    return root, refusals, _commands(root, cases)


@pytest.fixture(scope="module")
def refused(runs) -> tuple[Path, dict, dict[str, Run]]:
    return runs


CASES = ["mark_option_escape", "mark_unknown_option_escape", "build_format_c1",
         "answers_named_with_escapes", "answers_fifo", "answers_dev_zero", "check_answers_fifo",
         "answers_header_of_20000", "answers_utf16", "answers_9_mib", "epochs_past_the_work",
         "epochs_of_23_digits", "data_of_five_rows", "data_etc_passwd"]


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_input_is_refused_in_one_line(case, refused):
    """Guards: exit 2, one line naming the file or option and the problem, every control
    character and bidi override shown as its escape, no --out folder, within seconds, and
    nothing of /etc/passwd in the message."""
    root, cases, results = refused
    result = results[case]
    assert_refused(result, *cases[case][2])
    assert not _raw_controls(result.stderr + result.stdout), result.stderr
    assert not (root / case / "o").exists()
    assert result.seconds < REFUSAL_SECONDS, result.seconds
    assert "root:" not in result.stderr


# --- the gradebook: formulas neutralised, as a spreadsheet reads the file ---------------------

NEUTRALISED = ["\u2003=1+1", "\u2009=1+1", "\u2028=1+1", "\x85=1+1", "\u00a0=1",
               "=cmd|'/C calc'!A0", "Ann\n=1+1", "Ann\r=1+1", "Ann\t=1", "   @SUM(A1)", "+1",
               'a";=1+1', "\u202f=1+1", "\u1680=1+1"]
FULL_WIDTH = ["\uff1d1+1", "\uff0bcmd|' /C calc'!A0", "\uff0d2+3", "\uff20SUM(1,2)"]
LINE_NAMES = ["Bo\u2028b", "Ann\x0bLee", "Bo\x85b", "Cy\x0cDee", "Ed\u2029Fay"]


@pytest.fixture(scope="module")
def gradebook(runs) -> tuple[Path, Run]:
    root, _, results = runs
    return root / "gradebook" / "o", results["gradebook"]


def _cells(path: Path) -> list[list[str]]:
    """Every row as a spreadsheet's CSV import splits it, by each of the three separators."""
    text = path.read_text(encoding="utf-8-sig")
    rows = []
    for delimiter in ",;\t":
        rows += list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return rows


def _formula(cell: str) -> bool:
    """A cell a spreadsheet runs: a formula's first character, after what it strips."""
    return cell.lstrip(" \u00a0\u3000\ufeff\x00").startswith(FORMULA)


def test_names_behind_spaces_separators_and_line_ends_are_not_formulas(gradebook):
    """Guards: names with a formula behind an em space, a thin space, U+2028, NEL, NBSP, a
    newline, a CR, a tab, a semicolon or three spaces, a DDE call and '+1' are written so that
    no cell of gradebook.csv, split on ',', ';' or tab, starts a formula."""
    out, result = gradebook
    assert result.code == 0, result.stderr[-1500:]
    for row in _cells(out / "gradebook.csv"):
        for cell in row:
            if cell and cell[0] in "=+-@" and cell[1:].replace(".", "").isdigit():
                continue  # a number stays a number
            assert not _formula(cell), (row[0], cell)


def test_a_name_with_a_line_separator_inside_is_one_student(gradebook):
    """Guards: names holding U+2028, a vertical tab, NEL, a form feed or U+2029 in their CSV
    cell are one student each, one gradebook row and one feedback page apiece, the controls
    shown as U+FFFD."""
    out, result = gradebook
    assert result.code == 0, result.stderr[-1500:]
    with open(out / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    total = len(NEUTRALISED) + len(FULL_WIDTH) + len(LINE_NAMES)
    assert len(names) == total and len(list(out.glob("feedback-*.html"))) == total
    assert names[-len(LINE_NAMES):] == ["Bo\u2028b", "Ann\ufffdLee", "Bo\ufffdb", "Cy\ufffdDee",
                                        "Ed\u2029Fay"], names[-len(LINE_NAMES):]


def test_a_name_starting_with_a_full_width_formula_sign_is_neutralised(gradebook):
    """Finding 1: `mark keys a.csv` of names '＝1+1', '＋cmd|' /C calc'!A0', '－2+3' and
    '＠SUM(1,2)' (U+FF1D, U+FF0B, U+FF0D, U+FF20) writes them unchanged as the first cell of
    their rows in gradebook.csv. The brief of issue 20 names the full-width ＝ among the
    formula starts to neutralise: Excel in a Japanese or Chinese locale reportedly takes a
    full-width ＝ (and full-width digits) at a cell's start as the formula sign, converting
    them as its input method types them (not verified here: no spreadsheet is installed).
    Expected: such a name written with a leading apostrophe, as '=1+1' is."""
    out, result = gradebook
    assert result.code == 0, result.stderr[-1500:]
    with open(out / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    for name in FULL_WIDTH:
        assert "'" + name in names, (name, names[-4:])


# --- Moodle: Cloze syntax and the filters on a title ------------------------------------------

TITLE = (r"Cost $$x^2$$ and \(y\) {1:SA:=pwned} {#1} ~ :-) (y) {mlang fr}Oui{mlang} "
         "<span lang=fr class=multilang>x</span>")


INSTRUCTIONS = r"Use \[z\] and $$\frac{1}{2}$$ here"


@pytest.fixture(scope="module")
def moodle(runs) -> tuple[Path, Run]:
    root, _, results = runs
    return root / "moodle" / "o", results["moodle"]


def _question_texts(out: Path) -> list[str]:
    xml = (out / "s-moodle.xml").read_text(encoding="utf-8")
    return re.findall(r"<questiontext format=\"html\"><text><!\[CDATA\[(.*?)\]\]></text>", xml,
                      re.S)


def test_a_titles_cloze_syntax_is_inert_for_moodles_parser(moodle):
    """Guards: a title holding {1:SA:=pwned}, {#1}, ~ and a {mlang} tag: Moodle's Cloze regex
    finds exactly the key's subquestions, no {#1} and no tag of the title."""
    out, result = moodle
    assert result.code == 0, result.stderr[-1500:]
    answers = json.loads((out / "s-key.json").read_text(encoding="utf-8"))["answers"]
    texts = _question_texts(out)
    assert texts and all(len(SUBQUESTION.findall(t)) == len(answers) for t in texts)
    for text in texts:
        assert not re.search(r"\{#[0-9]*\}", text) and "{mlang" not in text
        assert "<span lang" not in text


def test_a_titles_tex_delimiters_do_not_reach_moodles_mathjax_filter(moodle):
    """Finding 2: a title 'Cost $$x^2$$ and \\(y\\) ...' and instructions 'Use \\[z\\] and
    $$\\frac{1}{2}$$ here' are written as typed into the Cloze question's text (inside
    <span class="nolink">). Moodle's MathJax filter, on by default
    (filter/mathjaxloader/db/install.php: TEXTFILTER_ON), looks for '$$', '\\(' with '\\)',
    or '\\[' with '\\]' anywhere in the stored text with strpos, ignores nolink, and wraps
    the whole text for MathJax, which typesets x^2 and \\frac{1}{2} as mathematics: the
    title is not shown as typed, as the README promises of {, }, # and ~. Expected: '$' and
    '\\' of user text written as character references (&#36;, &#92;), so that the filter
    finds no delimiter in the stored text."""
    out, result = moodle
    assert result.code == 0, result.stderr[-1500:]
    for text in _question_texts(out):
        assert "$$" not in text, text[:300]
        assert not ("\\(" in text and "\\)" in text), text[:300]
        assert not ("\\[" in text and "\\]" in text), text[:300]


# --- the Python API --------------------------------------------------------------------------

API = r"""
import dataclasses, json, os, sys, symbackprop
sheet = symbackprop.worksheet(sys.argv[1])
cases = {
    "parse_source_int": lambda: symbackprop.parse("title: x", source=5),
    "html_empty_path": lambda: sheet.html(""),
    "pdf_key_text": lambda: sheet.pdf(os.path.join(sys.argv[2], "w.pdf"), key="no"),
    "seed_float": lambda: symbackprop.derive(sys.argv[1], seed=5.0),
    "version_past_the_set": lambda: symbackprop.worksheet(sys.argv[3], version=31),
    "steps_past_the_bound": lambda: symbackprop.train(sys.argv[1], steps=10**6),
    "derivation_escape": lambda: symbackprop.derive(sys.argv[1]).derivation("w\x1b[2J"),
    "dict_self_reference": lambda: symbackprop.derive(SELF),
    "train_of_data": lambda: symbackprop.train(sys.argv[4], steps=3),
    "replaced_decimals": lambda: symbackprop.worksheet(
        dataclasses.replace(symbackprop.load(sys.argv[1]), decimals=10**6)),
    "replaced_rate_text": lambda: symbackprop.derive(
        dataclasses.replace(symbackprop.load(sys.argv[1]), learning_rate="0.5")),
    "replaced_title_escape": lambda: symbackprop.worksheet(
        dataclasses.replace(symbackprop.load(sys.argv[1]), title="a\x1b]0;x\x07")),
}
SELF = {"title": "x"}
SELF["self"] = SELF
try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 2))
    cases["bool_tensor_target"] = lambda: symbackprop.from_torch(
        model, torch.tensor([0.5, 0.25]), torch.tensor(True)).values.targets
"""  # then API_RUNNER (tests/hostile.py)


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> tuple[Path, dict[str, list[str]]]:
    root = tmp_path_factory.mktemp("api16")
    (root / "data.yaml").write_text(TRAINING.replace("../data/", str(WORKSHEETS / "data") + "/"),
                                    encoding="utf-8")
    return root, api_cases(API, [WORKSHEETS / "blog-2-2-2.yaml", root,
                                 WORKSHEETS / "class-set-2-2-2.yaml", root / "data.yaml"], root)


@pytest.mark.parametrize("case, kind, fragment", [
    ("seed_float", "TypeError", "seed"),
    ("version_past_the_set", "DefinitionError", "version 31"),
    ("steps_past_the_bound", "DefinitionError", "steps"),
    ("derivation_escape", "KeyError", "\\x1b[2J"),
    ("dict_self_reference", "DefinitionError", "self"),
    ("replaced_title_escape", "DefinitionError", "definition.title"),
])
def test_the_api_refuses_by_name(case, kind, fragment, api):
    """Guards: a float seed, version 31 of a 30-version set, a million steps, a parameter's
    name with an escape, a dict that holds itself: TypeError, DefinitionError or KeyError
    naming the argument, the escape shown."""
    said = api[1][case]
    assert said[0] == kind and fragment in said[1], said


@pytest.mark.parametrize("case", ["replaced_decimals", "replaced_rate_text"])
def test_a_definition_changed_with_dataclasses_replace_is_checked_by_name(case, api):
    """Finding 17: a Definition is a frozen dataclass, so a notebook changes one with
    `dataclasses.replace(defn, ...)`, which skips the reader's checks: `worksheet(replace(blog,
    decimals=10**6))` raises decimal.InvalidOperation '[<class 'decimal.InvalidOperation'>]'
    (decimals=-3: ValueError 'Format specifier missing precision'), and
    `derive(replace(blog, learning_rate="0.5"))` TypeError "can't multiply sequence by
    non-int of type 'float'", Python's words from inside the engine; a title with an escape
    made so is refused by name ('makes a key check would refuse (definition.title: control
    character U+001B ...)'). Expected: DefinitionError (or TypeError) naming decimals or
    learning_rate, as the reader refuses them."""
    kind, said = api[1][case]
    field = "decimals" if case == "replaced_decimals" else "learning_rate"
    assert kind in ("DefinitionError", "TypeError") and field in said, (kind, said)


def test_parse_with_a_source_that_is_no_text_names_the_argument(api):
    """Finding 3: `symbackprop.parse("title: x", source=5)` raises TypeError "'int' object is
    not subscriptable", from inside the reader; every other argument of the API of the wrong
    type is named ('text must be the definition's YAML as a str, got bytes'). Expected:
    TypeError naming source."""
    kind, said = api[1]["parse_source_int"]
    assert kind == "TypeError" and "source" in said, (kind, said)


def test_a_practice_page_to_an_empty_path_is_refused_naming_it(api):
    """Finding 4: `worksheet(blog).html("")` raises OSError '[Errno 16] Device or resource
    busy: '.'' (Path('') is '.', and the page written beside it is moved onto the current
    folder), where the command line refuses an empty --out ('an empty out folder is refused,
    not taken as the current folder', pass 12). Expected: TypeError or ValueError naming the
    empty path."""
    kind, said = api[1]["html_empty_path"]
    assert kind in ("TypeError", "ValueError") and "path" in said, (kind, said)


def test_a_key_flag_that_is_no_bool_is_refused(api):
    """Finding 5: `sheet.pdf('w.pdf', key="no")` writes the answer key (any non-empty text is
    true), which a teacher then hands out as the worksheet; the API raises TypeError for
    every other argument of the wrong type (title=5, learning_rate='0.5', seed=5.0).
    Expected: TypeError naming key."""
    kind, said = api[1]["pdf_key_text"]
    assert kind == "TypeError" and "key" in said, (kind, said)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_the_api_does_not_replace_a_device_with_a_file(tmp_path):
    """Finding 6: `sheet.html("/dev/null")` (or /dev/full, or pdf() to one) run as root, as
    in a notebook's container, replaces the device node with a regular file of the page
    (write_beside moves a file beside it onto the path with os.replace): every later write
    to /dev/null on the machine fills that file. Found with /dev/full here (and restored with
    mknod). The inputs refuse a device unread ('it is a device, not a file'). Expected: an
    error naming the path (a device, not a file), and the device left in place; here a
    private node (1, 3) in tmp_path stands for /dev/null (pdf() replaces it the same way)."""
    device = tmp_path / "null"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    blog = str(WORKSHEETS / "blog-2-2-2.yaml")
    script = (f"import symbackprop\nsheet = symbackprop.worksheet({blog!r})\n"
              f"try:\n    sheet.html({str(device)!r})\nexcept Exception as exc:\n"
              "    print(type(exc).__name__, exc)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, preexec_fn=_bounded, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert stat.S_ISCHR(device.stat().st_mode), "the device was replaced by a file"
    assert str(device) in proc.stdout or "device" in proc.stdout, proc.stdout


# --- a definition's file name: user text too ---------------------------------------------------

ESCAPED_STEM = "v\x1b]0;t\x07"


WEIRD_STEM = "x{1:SA:=y}$$a$$#~%&\\input"
UNDECODABLE_STEM = os.fsdecode(b"v\xff")  # 'v\udcff': a Latin-1 name on a UTF-8 system


@pytest.fixture(scope="module")
def stems(runs) -> tuple[Path, dict[str, Run]]:
    return runs[0], runs[2]


def test_a_file_name_of_cloze_and_tex_syntax_stays_out_of_the_question_text(stems):
    """Guards: a definition named 'x{1:SA:=y}$$a$$#~%&\\input.yaml' builds its .tex and Moodle
    files; its name is in each question's name and category, never in the question text, and
    the Cloze regex finds exactly the key's subquestions."""
    root, results = stems
    assert results["cloze"].code == 0, results["cloze"].stderr[-1500:]
    out = root / "cloze" / "o"
    xml = next(out.glob("*-moodle.xml")).read_text(encoding="utf-8")
    texts = re.findall(r"<questiontext format=\"html\"><text><!\[CDATA\[(.*?)\]\]></text>", xml,
                       re.S)
    answers = json.loads(next(out.glob("*-v01-key.json")).read_text(encoding="utf-8"))["answers"]
    assert len(texts) == 2 and all(len(SUBQUESTION.findall(t)) == len(answers) for t in texts)
    assert not any("SA:" in t or "$$" in t for t in texts)


def test_a_file_name_with_escapes_is_shown_escaped(stems):
    """Guards: the refusal of 'v<ESC>]0;t<BEL>.yaml' names the file with \\x1b and \\x07
    shown, and nothing is written."""
    root, results = stems
    result = results["escape"]
    assert not _raw_controls(result.stdout + result.stderr), result.stdout
    assert_refused(result, "v\\x1b]0;t\\x07.yaml", "U+001B")
    assert not list((root / "escape").glob("o/*"))


@pytest.mark.parametrize("case", ["escape", "noncharacter"])
def test_a_file_name_with_escapes_makes_moodle_xml_that_parses_or_is_refused(case, stems):
    """Finding 7: `build 'v<ESC>]0;t<BEL>.yaml' --versions 2 --format moodle` exits 0 and writes
    the stem raw into the category ($course$/top/symbackprop/v\\x1b]0;t\\x07/cloze), each
    question's <name> and <idnumber>: XML 1.0 has no ESC or BEL, so Moodle's importer (and
    ElementTree: 'not well-formed (invalid token): line 4') refuses the whole file, and `cat`
    of it retitles the terminal. The same with a name holding U+FFFF (or U+FFFE), which XML
    has not either (a title holding one is refused: 'not allowed in a definition'). The
    SCORM manifest of the same build is well-formed. Expected: the Moodle file well-formed
    (such characters left out or replaced, as the gradebook shows a control as U+FFFD), or
    the build refused in one line naming the file."""
    import xml.etree.ElementTree as ET

    root, results = stems
    result = results[case]
    if result.code == 2:
        assert_refused(result)
        return
    assert result.code == 0, result.stderr[-1500:]
    ET.fromstring(next((root / case / "o").glob("*-moodle.xml")).read_bytes())


@pytest.mark.parametrize("form", ["moodle", "scorm"])
def test_a_file_name_that_is_not_utf8_is_built_or_refused_in_one_line(form, stems):
    """Finding 8: a definition saved as b'v\\xff.yaml' (Latin-1 'vÿ.yaml' from an old system,
    or a zip's CP437 name), built with `--versions 2 --format moodle` (or scorm, scorm2004,
    moodle-numerical) ends in a traceback, UnicodeEncodeError: 'utf-8' codec can't encode
    character '\\udcff' ... surrogates not allowed (writing.py's quiz_start; zipfile's file
    name), exit 1; --format tex, pdf and html build it. Expected: built, or refused in one
    line, exit 2, naming the file."""
    result = stems[1][f"undecodable_{form}"]
    assert "Traceback" not in result.stderr, result.stderr[-800:]
    assert result.code in (0, 2), result.code
    if result.code == 2:
        assert_refused(result, "v\\xff.yaml", "not UTF-8")


# --- train --epochs: huge numbers ----------------------------------------------------------------

def test_a_diverging_training_prints_its_loss_in_a_bounded_form(runs):
    """Finding 9: `train digits.yaml --epochs 1` of the bundled digits definition with
    `learning_rate: 1.0e200` exits 0 and prints 'epoch 1/1: loss 3264406945772123...
    (201 digits).000000, train accuracy 0.097, ...' (the loss printed with '{:f}'); at 1e300,
    301 digits (here a 64-2-10 network on 100 of the digits, the same). `train --steps`
    prints J as 0.2613157595 and `derive` its steps as -4.38567734e+196. Expected: the loss
    in a bounded form (significant digits, or e-notation as derive prints it), or the run
    refused as diverging, naming learning_rate."""
    result = runs[2]["train_loss"]
    if result.code == 2:
        assert_refused(result, "learning_rate")
        return
    assert result.code == 0, result.stderr[-1500:]
    assert not re.search(r"[0-9]{30}", result.stdout), result.stdout[:300]


# --- all or nothing: a class set built again for a smaller class -------------------------------

@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> tuple[Path, dict[str, Run]]:
    """A set built for a roster of three (Ann, Bob, Cy), then into the same folder for a
    roster of two others (Dan, Eve); and a set of seed 1 rebuilt from seed 2 as a Moodle
    file."""
    root = tmp_path_factory.mktemp("rebuilt16")
    out = root / "set"
    formats = ["--format", "html", "--format", "tex", "--out", str(out)]
    first = _commands(root, {
        "three": ({"s.yaml": DRAWN, "r.txt": "Ann\nBob\nCy\n"},
                  ["build", "s.yaml", "--roster", "r.txt", *formats]),
        "seed1": ({"s.yaml": DRAWN}, ["build", "s.yaml", "--versions", "2", "--seed", "1",
                                      "--format", "html", "--out", str(root / "seeds")])})
    second = _commands(root / "three", {
        "two": ({"s.yaml": DRAWN, "r.txt": "Dan\nEve\n"},
                ["build", "s.yaml", "--roster", "r.txt", *formats]),
        "seed2": ({"s.yaml": DRAWN}, ["build", "s.yaml", "--versions", "2", "--seed", "2",
                                      "--format", "moodle", "--out", str(root / "seeds")])})
    return root, {**first, **second}


def test_another_seeds_whole_set_replaces_the_earlier_one_and_says_so(rebuilt):
    """Guards: `build --versions 2 --seed 2 --format moodle` into a folder holding seed 1's
    practice pages of the same sheet replaces that set whole: the pages are removed, and the
    closing line says so ('removed 2 files of an earlier build of s that this set does not
    hold')."""
    root, results = rebuilt
    assert results["seed1"].code == 0, results["seed1"].stderr[-1500:]
    result = results["seed2"]
    assert result.code == 0, result.stderr[-1500:]
    assert "removed 2 files of an earlier build" in result.stdout, result.stdout
    assert sorted(p.name for p in (root / "seeds").iterdir()) == [
        "s-moodle.log", "s-moodle.xml", "s-v01-key.json", "s-v02-key.json"]
    keys = [json.loads(p.read_text(encoding="utf-8")) for p in (root / "seeds").glob("*.json")]
    assert {k["seed"] for k in keys} == {2}


def test_a_set_rebuilt_for_a_smaller_class_leaves_no_sheet_of_the_earlier_one(rebuilt):
    """Finding 10: `build s.yaml --roster r.txt --format html --format tex --out set` for
    Ann, Bob, Cy, then for Dan, Eve into the same folder exits 0 ('wrote 4 .tex files, 2
    practice pages, 2 key.json files') and leaves s-v03-worksheet.tex, s-v03-key.tex,
    s-v03-practice.html (all with Cy's name) and s-v03-key.json beside the new class's two
    versions, with no word; `mark set class.csv` then takes a row of version 3. (The same
    with `--versions 3` then `--versions 2`.) A whole set of other numbers (another seed)
    is replaced whole and said, but these are of the same numbers. A marking into a folder
    that holds an earlier one replaces it whole ('no feedback page of a student no longer in
    the class is left behind'). Expected: the set replaced whole (the v03 files removed,
    and said), or the build refused in one line naming them."""
    root, results = rebuilt
    assert results["three"].code == 0, results["three"].stderr[-1500:]
    result = results["two"]
    if result.code == 2:
        assert_refused(result, "s-v03")
        return
    assert result.code == 0, result.stderr[-1500:]
    left = sorted(p.name for p in (root / "set").iterdir() if "-v03-" in p.name)
    assert not left, left


def test_from_torch_refuses_a_bool_tensor_as_a_class_index(api):
    """Finding 11: `from_torch(model, x, torch.tensor(True))` returns a definition with
    targets (0.0, 1.0): the bool read as class 1; `True`, `[True, False]` and
    `torch.tensor([True, False])` are all refused ('targets[0]: must be a number, got the
    yes/no value True'), and the README says a bool is no number. (The refusal of a plain
    True says 'a class index is a whole number: 1, not 1.0', of a value that is no 1.0.)
    Expected: DefinitionError naming targets."""
    if "bool_tensor_target" not in api[1]:
        pytest.skip("needs torch")
    kind, said = api[1]["bool_tensor_target"]
    assert kind == "DefinitionError" and "targets" in said, (kind, said)


# --- what a teacher prints: the bounds of a title and a name on the page -----------------------

LONG_URL = "https://moodle.example.edu/mod/assign/view.php?id=1234567&action=editsubmission"
PAGES = {
    # the longest realistic: a URL in a title and the instructions, a double-barrelled name
    "realistic": (DRAWN.replace("title: Given", "title: " + json.dumps(
        "Backpropagation: https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-"
        "example/")) + "print: {instructions: " + json.dumps(
        f"Hand in at {LONG_URL} by Friday.") + "}\n",
        "Maximilian-Alexander Schmidt-Wittgenstein-Hohenlohe-Schillingsfürst\n"),
    # the most each bound admits, one word: a title of 200 characters, a name of 100
    "one_word": (DRAWN.replace("title: Given", "title: " + "W" * 200), "W" * 100 + "\n"),
    # a given weight the reader admits, printed at the sheet's 4 decimals
    "tiny_weight": (GIVEN.replace("[[[0.1, 0.2]]]", "[[[1.0e-300, 0.2]]]"), None),
}


def _overfull(case: str, tmp_path: Path) -> tuple[Run, list[str]]:
    """`build --format pdf` (with `--roster r.txt`) of a page case, with its own log of lines
    past the margin (not the suite's: conftest's guard would fail the test in its teardown)."""
    from symbackprop.formats import pdf

    from .hostile import run

    if not pdf.available():
        pytest.skip("needs pdflatex")
    text, roster = PAGES[case]
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    argv = ["build", "s.yaml", "--format", "pdf", "--out", "o"]
    if roster:
        (tmp_path / "r.txt").write_text(roster, encoding="utf-8")
        argv += ["--roster", "r.txt"]
    log = tmp_path / "overfull.log"
    log.write_text("", encoding="utf-8")
    result = run(argv, tmp_path, env={pdf.WATCH: str(log), "PYTHONPATH": str(WORKSHEETS.parent)})
    return result, log.read_text(encoding="utf-8").splitlines()


def test_a_long_url_or_name_stays_within_the_margin(tmp_path):
    """Guards: a title that is mostly a URL, instructions with an 80-character URL and a
    double-barrelled name of 68 characters are set within the margin."""
    result, past = _overfull("realistic", tmp_path)
    assert result.code == 0, result.stderr[-1500:]
    assert not past, past[:3]


def test_a_title_or_name_within_its_bound_is_set_within_the_margin(tmp_path):
    """Finding 12: a title of 200 characters with no space (the most a title may have; 'at
    most 200 fit a page', from_torch says) is set 2,863 pt past the margin on the worksheet
    and the key, and a roster name of 100 (refused from 101: 'at most 100 fit the
    worksheet's name line') 682 pt past: the rest of the line is cut off the page. The
    longest realistic ones (a URL, a double-barrelled name) fit. Expected: such a title or
    name broken or shrunk to fit within the margin, or refused by a bound it fits."""
    result, past = _overfull("one_word", tmp_path)
    if result.code == 2:
        assert_refused(result)
        return
    assert result.code == 0, result.stderr[-1500:]
    assert not past, past[:3]


def test_a_tiny_given_number_is_printed_within_the_margin_or_refused(tmp_path):
    """Finding 18: `values: weights: [[[1.0e-300, 0.2]]]` (admitted: a finite number) builds
    a worksheet and key that print 'w11 = 0.000…0001' with 300 zeros, 1,204 pt past the
    margin (5.0e-324: 323 zeros, 1,336 pt past), and a practice page whose MathML number is
    about 300 characters long; a computed blank so small is refused ('rounds to 0.0000 at 4
    decimals, but it is 2.73e-272: the sheet would teach a zero that is not one').
    Expected: such a given number refused in one line naming values.weights[0][0][0] (or
    printed within the margin)."""
    result, past = _overfull("tiny_weight", tmp_path)
    if result.code == 2:
        assert_refused(result, "values.weights")
        return
    assert result.code == 0, result.stderr[-1500:]
    assert not past, past[:3]


# --- mark: a student who games the marking ----------------------------------------------------

def test_an_answer_sheet_of_zeros_earns_nothing_for_its_zeros(runs):
    """Finding 13: a student who writes 0 in every blank of the blog sheet (no working, no
    number of the sheet's) gets 12 of 25 points from `mark` (48 %, the same from `check`:
    '12 carried forward, 13 incorrect'), and so in the practice page's score that a SCORM
    package sends to the LMS gradebook: each product of their own zeros (∂out/∂net =
    out(1 − out) = 0, ∂J/∂w₅ = 0 · 0 · 0) is 'right from your own earlier answers'. On the
    bundled convolution sheet the zeros earn 25 of 32 (78 %), on the Adam two-step sheet 31
    of 40 (78 %): past the default pass mark of 50. Exam boards give no follow-through
    credit where the error makes the later work trivial. Expected: no carried-forward credit
    for a value that is zero because a factor the student wrote is zero (the blog's key has
    no blank whose value is 0, so the sheet earns 0 points)."""
    root, _, results = runs
    assert results["zeros"].code == 0, results["zeros"].stderr[-1500:]
    with open(root / "zeros" / "o" / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert float(row["total"]) == 0, row["total"]


def test_two_copies_of_a_single_sheets_key_are_refused_in_words(runs):
    """Finding 14: a key folder holding the blog sheet's key twice (s-key.json and a copy
    saved as copy-key.json, as a teacher's download folder does) is refused, 'k:
    copy-key.json and s-key.json are both keys for version None; give the folder of one
    class set': Python's None for a sheet that has no versions (the message for one such
    key's row was put in words in pass 11: 'the key is one sheet's, without versions').
    Expected: the same one line naming both files, in words (the same sheet's key twice),
    without None."""
    result = runs[2]["copies"]
    assert_refused(result, "copy-key.json", "s-key.json")
    assert "None" not in result.stderr, result.stderr


def test_train_epochs_refuses_a_version_it_does_not_use(runs):
    """Finding 15: `train digits-64-16-10.yaml --epochs 1 --version 999999` trains and exits 0,
    the same run as without --version (a definition with data: draws its start from its seed
    and builds no versions), while `train blog.yaml --steps 3 --version 2` is refused ('every
    number is given, so there are no versions; leave out --version') and `train --batch-size`
    without --epochs is refused as an option it does not use. Expected: refused in one line
    naming --version."""
    assert_refused(runs[2]["train_version"], "--version")


def test_the_apis_train_of_a_data_definition_is_refused_as_the_command_lines(api):
    """Finding 16: `symbackprop.train('digits-64-16-10.yaml', steps=3)` returns '<Training 3
    steps: J 3.29805 → 0.0554241>': three full steps on the numbers its seed draws, not on
    the data, while `train digits-64-16-10.yaml --steps 3` is refused ('a definition with
    data: trains with --epochs N (not --steps)'); with version=5 it trains yet another
    start (J 2.07845), a version of a definition that builds none. The README: 'The Python
    API takes the command line's bounds too'. Expected: DefinitionError naming the data (or
    steps), as the command line refuses it."""
    kind, said = api[1]["train_of_data"]
    assert kind == "DefinitionError", (kind, said)


# --- roster names: separators Python splits on, marks that hide or reorder ---------------------

ROSTER_NAMES = {
    "file_separator": "Ann\x1cLee", "group_separator": "Ann\x1dLee",
    "record_separator": "Ann\x1eLee", "unit_separator": "Ann\x1fLee",
    "paragraph_separator": "Ann\u2029Lee", "combining_mark_alone": "\u0301",
    "zero_width_joiner": "An\u200dn", "byte_order_mark_inside": "An\ufeffn",
    "tag_character": "Ann\U000e0041", "right_to_left_override": "Ann\u202eeeL",
    "hangul_filler": "\u3164", "braille_blank": "\u2800", "mongolian_separator": "Ann\u180eLee",
}


@pytest.fixture(scope="module")
def rosters(runs) -> tuple[Path, dict[str, Run]]:
    return runs[0], runs[2]


@pytest.mark.parametrize("case", sorted(ROSTER_NAMES))
def test_a_roster_name_with_a_separator_or_an_invisible_mark_is_refused_at_its_line(case,
                                                                                 rosters):
    """Guards: a name holding U+001C to U+001F (which Python's splitlines splits on),
    U+2029, a combining mark alone, a zero-width joiner, a BOM, a tag character, a bidi
    override, a Hangul filler, a Braille blank or U+180E is refused at line 2, the character
    shown escaped (never two students, never an invisible name), nothing written."""
    root, results = rosters
    result = results["roster_" + case]
    assert_refused(result, "r.txt", "line 2")
    assert not _raw_controls(result.stderr), result.stderr
    assert not (root / ("roster_" + case) / "o").exists()


def test_a_decomposed_name_is_one_student_as_typed(rosters):
    """Guards: 'Zoe' + U+0308 and 'Zoë' are read as two students of the same name (a class
    may have two), two versions, the name printed composed."""
    root, results = rosters
    result = results["roster_decomposed_twin"]
    assert result.code == 0, result.stderr[-1500:]
    pages = sorted((root / "roster_decomposed_twin" / "o").glob("*-practice.html"))
    assert len(pages) == 2
    assert all("Zo\u00eb Adams" in p.read_text(encoding="utf-8") for p in pages)


# --- the cases `runs` gathers besides the refusals ------------------------------------------

def _small_training(rate: str = "0.5") -> dict[str, str]:
    """A 64-2-10 network on the first 100 digits: the bundled definition's behaviour, fast."""
    with gzip.open(WORKSHEETS / "data" / "uci-digits.csv.gz", "rt", encoding="utf-8") as handle:
        rows = [line for line in handle.read().splitlines() if line and line[0] != "#"][:100]
    text = TRAINING.replace("[64, 16, 10]", "[64, 2, 10]").replace(
        "../data/uci-digits.csv.gz", "x.csv").replace("learning_rate: 0.5",
                                                      f"learning_rate: {rate}")
    return {"s.yaml": text, "x.csv": "\n".join(rows) + "\n"}


def _others(keys: Path, copies: Path) -> dict:
    labels = _labels(keys)
    mark = ["mark", str(keys), "a.csv", "--out", "o"]
    zeros = io.StringIO()
    csv.writer(zeros).writerows([["name", "version", *labels], ["Zero", "", *["0"] * len(labels)]])
    moodle = GIVEN.replace("title: Given", "title: " + json.dumps(TITLE)) + \
        "print: {instructions: " + json.dumps(INSTRUCTIONS) + "}\n"
    html = ["--format", "html", "--out", "o"]
    cases = {
        "gradebook": ({"a.csv": _class_csv(labels, NEUTRALISED + FULL_WIDTH + LINE_NAMES)}, mark),
        "zeros": ({"a.csv": zeros.getvalue()}, mark),
        "copies": ({"a.csv": _class_csv(labels, ["Ann"])},
                   ["mark", str(copies), "a.csv", "--out", "o"]),
        "train_loss": (_small_training("1.0e200"), ["train", "s.yaml", "--epochs", "1"]),
        "train_version": (_small_training(), ["train", "s.yaml", "--epochs", "1", "--version",
                                              "999999"]),
        "moodle": ({"s.yaml": moodle}, ["build", "s.yaml", "--format", "moodle", "--format",
                                        "tex", "--out", "o"]),
        "escape": ({ESCAPED_STEM + ".yaml": DRAWN},
                   ["build", ESCAPED_STEM + ".yaml", "--versions", "2", "--format", "moodle",
                    "--format", "scorm", "--format", "tex", "--out", "o"]),
        "noncharacter": ({"v\uffff.yaml": DRAWN},
                         ["build", "v\uffff.yaml", "--versions", "2", "--format", "moodle",
                          "--out", "o"]),
        "cloze": ({WEIRD_STEM + ".yaml": DRAWN},
                  ["build", WEIRD_STEM + ".yaml", "--versions", "2", "--format", "moodle",
                   "--format", "tex", "--out", "o"]),
        "roster_decomposed_twin": ({"s.yaml": DRAWN, "r.txt": "Zoe\u0308 Adams\nZo\u00eb Adams\n"},
                                   ["build", "s.yaml", "--roster", "r.txt", *html]),
    }
    cases["matrix_steps"] = ({"s.yaml": BLOG}, ["derive", "s.yaml", "--form", "matrix",
                                                 "--steps", "3"])
    cases["simplex_single_sheet"] = ({"s.yaml": BLOG}, ["build", "s.yaml", "--simplex",
                                                         "--format", "tex", "--out", "o"])
    cases["date_moodle_only"] = ({"s.yaml": BLOG}, ["build", "s.yaml", "--date", "DATE-MARK-16",
                                                     "--format", "moodle", "--out", "o"])
    cases["working_space_html_only"] = ({"s.yaml": BLOG}, ["build", "s.yaml", "--working-space",
                                                            "lines:4", "--format", "html",
                                                            "--out", "o"])
    cases["json_param"] = ({"s.yaml": BLOG}, ["derive", "s.yaml", "--json", "--param", "w1"])
    cases["json_whole"] = ({"s.yaml": BLOG}, ["derive", "s.yaml", "--json"])
    cases["plain_steps"] = ({"s.yaml": BLOG}, ["derive", "s.yaml", "--steps", "3"])
    cases["roster_romanian"] = ({"s.yaml": DRAWN, "r.txt": "\u0218tefan Mure\u0219an\n"
                                                           "Ioana \u021aurcanu\n"},
                                ["build", "s.yaml", "--roster", "r.txt", *html])
    for form in ("moodle", "scorm"):
        cases[f"undecodable_{form}"] = ({UNDECODABLE_STEM + ".yaml": DRAWN},
                                        ["build", UNDECODABLE_STEM + ".yaml", "--versions", "2",
                                         "--format", form, "--out", "o"])
    for name, text in ROSTER_NAMES.items():
        cases["roster_" + name] = ({"s.yaml": DRAWN, "r.txt": "Bob\n" + text + "\n"},
                                   ["build", "s.yaml", "--roster", "r.txt", *html])
    return cases


def test_a_romanian_name_with_a_comma_below_is_printed(rosters):
    """Finding 19: a roster of 'Ștefan Mureșan' and 'Ioana Țurcanu' (U+0218, U+0219, U+021A:
    Romanian's letters with a comma below, in most Romanian names) is refused, 'r.txt: line
    1: the character '̦' (U+0326 COMBINING COMMA BELOW) cannot be printed by pdflatex; use
    letters of the Latin, Greek or Cyrillic script (with their accents)': they are Latin
    letters with their accent, the message names a mark the teacher never typed (printed raw,
    on the quote before it), and pdflatex prints them with T1's \\textcommabelow (a document
    of T1 and utf8 with 'Ștefănescu Țurcanu șț' compiles here); a title with one is refused
    the same way. printable._ACCENTS has the cedilla (U+0327) but not the comma below.
    (Likewise refused, and printed by pdflatex with T1: the Sámi Ŋ ŋ and the Dutch Ĳ ĳ.)
    Expected: both names built (two versions), as 'Şerban' with a cedilla is."""
    root, results = rosters
    result = results["roster_romanian"]
    assert result.code == 0, result.stderr[-800:]
    assert len(list((root / "roster_romanian" / "o").glob("*-practice.html"))) == 2


def test_derive_in_matrix_form_shows_the_steps_asked_or_refuses_them(runs):
    """Finding 20: `derive blog.yaml --form matrix --steps 3` exits 0 and prints the same 29
    lines as `derive blog.yaml --form matrix`: no step at all, without a word (`derive
    blog.yaml --steps 3` prints 'After 3 gradient-descent steps' and each step), while
    `--form matrix --param w1` is refused ('--form matrix shows whole layers; leave out
    --param'); `derive adam-two-steps-2-1.yaml --form matrix` likewise leaves Adam's step
    out. Expected: the steps shown (in matrix form or as derive shows them), or the
    command refused in one line naming --steps."""
    plain, result = runs[2]["plain_steps"], runs[2]["matrix_steps"]
    assert plain.code == 0 and "After 3 gradient-descent steps" in plain.stdout, plain.stdout[:300]
    if result.code == 2:
        assert_refused(result, "--steps")
        return
    assert result.code == 0, result.stderr[-800:]
    assert "step" in result.stdout, result.stdout[:300]


@pytest.mark.parametrize("case, option", [("simplex_single_sheet", "--simplex"),
                                          ("date_moodle_only", "--date"),
                                          ("working_space_html_only", "--working-space")])
def test_a_print_option_the_build_prints_nowhere_is_refused(case, option, runs):
    """Finding 21: `build blog.yaml --simplex --format pdf` (or tex; one sheet: there is no
    class-set PDF to pad) writes files byte for byte the same as without --simplex; `build blog.yaml
    --date DATE-MARK-16 --format moodle` writes a Moodle file without the date, the same as
    without it; `build blog.yaml --working-space lines:4 --format html` a practice page the
    same as without it. All exit 0 without a word. The README: 'What a sheet would print
    nowhere is refused in one line naming the option or the key, never read and dropped',
    and `--pass-mark` without a SCORM package is refused so. Expected: refused in one line
    naming the option (or, for --date and --working-space, printed)."""
    result = runs[2][case]
    if result.code == 0 and case == "date_moodle_only":
        xml = (runs[0] / case / "o" / "s-moodle.xml").read_text(encoding="utf-8")
        assert "DATE-MARK-16" in xml
        return
    assert_refused(result, option)


def test_derive_json_with_a_param_narrows_it_or_refuses_it(runs):
    """Finding 22: `derive blog.yaml --json --param w1` prints JSON byte for byte the same as
    `derive blog.yaml --json` (every gradient of every layer), without a word, while
    `derive blog.yaml --param w1` prints only w1's δ's and chain (42 lines of 102) and
    `--form matrix --param w1` is refused ('--form matrix shows whole layers; leave out
    --param'). Expected: refused in one line naming --param (the JSON has one shape), or the
    JSON narrowed to w1."""
    narrowed, whole = runs[2]["json_param"], runs[2]["json_whole"]
    assert whole.code == 0, whole.stderr[-800:]
    if narrowed.code == 2:
        assert_refused(narrowed, "--param")
        return
    assert narrowed.code == 0 and narrowed.stdout != whole.stdout


@pytest.mark.slow
def test_check_of_a_page_of_shapes_is_refused_at_once(tmp_path):
    """Finding 23 (slow: 25 s of CPU today): `check matrix-form-digits-64-16-10.yaml a.txt`
    (the bundled 64-16-10 sheet that `build` prints in a second as one page of shapes, no
    numbers and no blanks) draws and verifies 25 instances in full for 27 s, then refuses:
    'no acceptable numbers after verifying 25 draws in full (the bound; draws rejected: 25 an
    answer rounds to zero or repeats, 274 saturated); give some values or relax the network'
    — advice for a sheet of blanks, which this is not. `check` of the training definition
    (64-16-10, too big to print: `build` refuses it at once) likewise derives for 22 s, and
    only then refuses an answers file that is /dev/null ('it is a device, not a file').
    Expected: refused in one line within seconds, naming the definition (a page of shapes,
    or a network too big for a worksheet, has no blanks to check)."""
    text = (WORKSHEETS / "matrix-form-digits-64-16-10.yaml").read_text(encoding="utf-8")
    result = _commands(tmp_path, {"c": ({"s.yaml": text, "a.txt": ""},
                                        ["check", "s.yaml", "a.txt"])}, limit=15)["c"]
    assert_refused(result, "s.yaml")
    assert result.seconds < REFUSAL_SECONDS, result.seconds
    assert "give some values" not in result.stderr, result.stderr
