"""What a twelfth hostile pass found at commit d2b3452, over the features of issue 20 and
those added since (languages and the decimal comma, SCORM, the lessons, the optimizer and
convolution sheets, the two-mistake messages, the feedback pages): each test is one broken
promise of the README, written so that it fails on d2b3452 and passes once the promise is
kept. Every command runs as its own bounded process (tests/hostile.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from .conftest import WORKSHEETS
from .hostile import BLOG, assert_refused, run

CLASS_SET = WORKSHEETS / "class-set-2-2-2.yaml"


def _two_versions(tmp_path: Path, name: str = "a") -> Path:
    """The bundled class set as `name`.yaml with 2 versions."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(CLASS_SET.read_text(encoding="utf-8").replace("versions: 30",
                                                                  "versions: 2"),
                    encoding="utf-8")
    return path


# --- a build into a folder that holds another sheet's files of the same names ----------------

def test_a_sheet_named_like_a_version_of_a_set_does_not_overwrite_that_version(tmp_path):
    """A teacher builds the class set a.yaml (2 versions: a-v01-*, a-v02-*) and then, into the
    same folder, a single sheet whose file is a-v01.yaml (a week's sheet, say). The second
    build exits 0 and silently replaces a-v01-key.json, a-v01-worksheet.tex and
    a-v01-key.tex with the other sheet's: the folder now holds version 1 of nothing and
    version 2 of the set, and `mark` of it says the keys are of different sheets. The README:
    'A build into a folder that holds another build's files ... must replace that sheet's
    whole set or refuse, saying which files disagree'; a file another sheet's build wrote is
    not this build's to replace. Expected: refused in one line naming a-v01-key.json (exit 2),
    the set's files left as they were."""
    _two_versions(tmp_path)
    (tmp_path / "a-v01.yaml").write_text(BLOG.read_text(encoding="utf-8"), encoding="utf-8")
    assert run(["build", "a.yaml", "--format", "tex", "--out", "o"], tmp_path,
               timeout=180).code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir()}
    result = run(["build", "a-v01.yaml", "--format", "tex", "--out", "o"], tmp_path,
                 timeout=180)
    after = {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir()}
    assert {n: b for n, b in after.items() if n in before} == before, \
        "a-v01.yaml's build replaced files of a.yaml's set"
    assert_refused(result, "a-v01")


# --- the Python API ---------------------------------------------------------------------------

def _python(code: str, tmp_path: Path, timeout: float = 180):
    """`python -c CODE` in its own process, bounded as the command line is (tests/hostile.py):
    its exit code, its stdout and its stderr."""
    import os
    import subprocess
    import sys

    from .hostile import _limit_memory
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          timeout=timeout, preexec_fn=_limit_memory,
                          env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), \
        proc.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("sheet", ["convolution-4x4-3x3-maxpool", "adam-two-steps-2-1",
                                   "rmsprop-two-steps-2-1", "nesterov-two-steps-2-1",
                                   "weight-decay-two-steps-2-1"])
def test_the_apis_worksheet_of_a_convolution_or_optimizer_sheet_is_made(sheet, tmp_path):
    """`symbackprop build` makes these bundled worksheets (their PDFs, keys, practice pages),
    and the README's Python API is 'the same pipeline': `symbackprop.worksheet(path)` returns
    the sheet (`sheet.pdf(path)`, `sheet.html(path)`), and for a network on an image 'build
    and check work on such a definition when it is one a student works by hand ... as
    `symbackprop.worksheet` raises it' otherwise. Today `symbackprop.worksheet(...)` of every
    bundled convolution worksheet dies with AttributeError: 'ImageValues' object has no
    attribute 'inputs' (marking/keys.definition_json), and of every optimizer worksheet with
    AttributeError: 'WorkedSheet' object has no attribute 'asked'. Expected: a Sheet whose key
    has the blanks `build`'s key.json has (or, at the least, DefinitionError or TypeError
    naming what the API does not make, never an AttributeError)."""
    code = ("import symbackprop\n"
            f"sheet = symbackprop.worksheet({str(WORKSHEETS / (sheet + '.yaml'))!r})\n"
            "print(len(sheet.key['answers']))\n")
    returncode, stdout, stderr = _python(code, tmp_path)
    assert "AttributeError" not in stderr, stderr[-1500:]
    assert returncode == 0, stderr[-1500:]
    assert int(stdout.split()[-1]) > 0


def test_from_torch_refuses_a_batch_past_the_bound_from_its_shape(tmp_path):
    """A batch is at most 100 examples (`values.examples`), but from_torch converts every
    example to Python lists before the definition refuses the count: inputs of shape
    (1,000,000, 2) take 29 s and 1.3 GB before 'values.examples: must be a list of 1 to 100
    examples', and (10,000,000, 2) dies with RuntimeError: std::bad_alloc under 3 GiB. The
    issue's rule for the weights ('check shapes and counts first') holds for the inputs and
    targets too. Expected: DefinitionError naming the inputs' or examples' count, at once."""
    pytest.importorskip("torch")
    code = ("import time, torch, torch.nn as nn, symbackprop\n"
            "start = time.monotonic()\n"
            "try:\n"
            "    symbackprop.from_torch(nn.Sequential(nn.Linear(2, 2)), torch.zeros(10**7, 2),"
            " torch.zeros(10**7, 2), loss='mse')\n"
            "except symbackprop.DefinitionError as exc:\n"
            "    print('refused', round(time.monotonic() - start, 1), exc)\n")
    returncode, stdout, stderr = _python(code, tmp_path)
    assert returncode == 0 and stdout.startswith("refused"), stderr[-1500:]
    assert float(stdout.split()[1]) < 5, stdout


def test_the_apis_pdf_into_a_folder_names_the_folder_not_a_temporary_file(tmp_path):
    """Issue 20: '`worksheet(B).pdf('/proc/x.pdf')` names a temporary file; name x.pdf'. Given
    a folder's path (a teacher who means 'into this folder'), `sheet.pdf(folder)` raises
    IsADirectoryError: [Errno 21] Is a directory: '/tmp/.../.tex-fpsvdilk/out/doc.pdf' ->
    '/tmp/.../o': the staging file's name comes first. Expected: an error that names only the
    path given (or the PDF written into that folder), never the temporary doc.pdf."""
    from symbackprop.formats import pdf

    if not pdf.available():
        pytest.skip("needs pdflatex")
    (tmp_path / "o").mkdir()
    code = ("import symbackprop\n"
            f"sheet = symbackprop.worksheet({str(BLOG)!r})\n"
            "try:\n"
            "    print(sheet.pdf('o'))\n"
            "except OSError as exc:\n"
            "    print('error', exc)\n")
    returncode, stdout, stderr = _python(code, tmp_path)
    assert returncode == 0, stderr[-1500:]
    assert "doc.pdf" not in stdout and ".tex-" not in stdout, stdout


# --- terminal messages ------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["build", "mark"])
def test_an_out_folder_with_a_newline_is_shown_escaped_in_the_closing_line(command, tmp_path):
    """The README: 'What a user typed is shown in a message, never sent to the terminal: a
    control character ... prints as its escape'. build's and mark's closing line ('wrote ...
    to DIR/') shows an ESC in the --out folder's name as \\x1b, but a newline in it raw: `build
    blog.yaml --out $'o\\x1b[31m\\n'` prints 'wrote 2 .tex files, 1 key.json file to
    o\\x1b[31m' and then a second line '/'; mark's the same ('... to m' / '\\x1b/'). A newline
    is a control character like ESC, and the refusals of the same commands print it as
    \\n. Expected: the closing line is one line, the newline shown as \\n."""
    folder = "o\x1b[31m\n"
    built = run(["build", str(BLOG), "--format", "tex", "--out", folder], tmp_path,
                timeout=180)
    assert built.code == 0, built.stderr[-1500:]
    if command == "build":
        out = built.stdout
    else:
        key = json.loads(next((tmp_path / folder).glob("*-key.json")).read_text())
        with open(tmp_path / "c.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["name", "version", *[a["label"] for a in key["answers"]]])
            writer.writerow(["Ann", "", *[a["value"] for a in key["answers"]]])
        marked = run(["mark", folder, "c.csv", "--out", "m\n\x1b"], tmp_path)
        assert marked.code == 0, marked.stderr[-1500:]
        out = marked.stdout
    closing = [line for line in out.splitlines() if "wrote" in line]
    assert closing and "\x1b" not in out, out
    assert closing[-1].rstrip().endswith("/"), out


def test_one_student_marked_is_said_in_the_singular(tmp_path):
    """Pass eleven had mark's '1 more problems' corrected to English; mark of a class of one
    student still prints '1 students marked; mean 25.0 of 25 points (100 %)'
    (marking/gradebook.py). Expected: '1 student marked'."""
    built = run(["build", str(BLOG), "--format", "tex", "--out", "k"], tmp_path, timeout=180)
    assert built.code == 0, built.stderr[-1500:]
    key = json.loads((tmp_path / "k" / "blog-2-2-2-key.json").read_text(encoding="utf-8"))
    with open(tmp_path / "c.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "version", *[a["label"] for a in key["answers"]]])
        writer.writerow(["Ann", "", *[a["value"] for a in key["answers"]]])
    result = run(["mark", "k", "c.csv", "--out", "m"], tmp_path)
    assert result.code == 0, result.stderr[-1500:]
    assert "1 students" not in result.stdout, result.stdout


def test_a_bad_language_on_the_command_line_is_named_once(tmp_path):
    """`build blog.yaml --language xx` is refused in one line, exit 2, but the line names the
    option twice: 'symbackprop: --language: --language: must be one of en, de, es, fr, got the
    text 'xx'' (and for a lesson 'symbackprop: --language: language: the sheets of a lesson
    are printed in English only so far ...', the option and the key both, as if the
    definition's `language:` were at fault). Expected: the option named once, as every other
    option's refusal is ('symbackprop: build: argument --pass-mark: must be a number ...')."""
    result = run(["build", str(BLOG), "--language", "xx", "--format", "tex", "--out", "o"],
                 tmp_path)
    assert_refused(result, "--language", "'xx'")
    assert result.stderr.count("--language") == 1, result.stderr
    assert not (tmp_path / "o").exists()


# --- mark: a header that names no blank --------------------------------------------------------

@pytest.mark.parametrize("spelling", ["name", "parenthesised", "upper"])
def test_a_header_that_names_no_blank_is_not_a_class_of_zeros(spelling, tmp_path):
    """`check` reads `dJ/dout[2][1] = 0.7414` as it reads `j = 0.7414` (the README: 'label =
    value lines (c = 0.7414, or dJ/dout[2][1] = 0.7414)'), and mark marks each row 'exactly
    as check marks'. A spreadsheet whose header names the blanks by their quantities
    (net[1][1], out[1][1], ...), or as the sheet prints its labels ('(a)', '(b)', ...), or in
    a spreadsheet's capitals (A, B, ...) is read with every column 'left out' (one warning)
    and then marked, exit 0: gradebook.csv gives every student 0 of 25 points, with the right
    answers in every cell. Expected: the columns read as the blanks they name (the names as
    check reads them; '(a)' and 'A' as the labels), or, when no column names a blank, the
    spreadsheet refused in one line (exit 2, nothing written), never a gradebook of zeros."""
    built = run(["build", str(CLASS_SET), "--versions", "1", "--format", "tex", "--out", "k"],
                tmp_path, timeout=180)
    assert built.code == 0, built.stderr[-1500:]
    key = json.loads(next((tmp_path / "k").glob("*-key.json")).read_text(encoding="utf-8"))
    header = {"name": [a["name"] for a in key["answers"]],
              "parenthesised": [f"({a['label']})" for a in key["answers"]],
              "upper": [a["label"].upper() for a in key["answers"]]}[spelling]
    with open(tmp_path / "c.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "version", *header])
        writer.writerow(["Ann", "1", *[a["value"] for a in key["answers"]]])
    result = run(["mark", "k", "c.csv", "--out", "m"], tmp_path)
    if result.code == 0:
        with open(tmp_path / "m" / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
            (row,) = list(csv.DictReader(handle))
        assert float(row["total"]) == len(key["answers"]), row
    else:
        assert_refused(result, "c.csv")
        assert not (tmp_path / "m").exists()


# --- check: an answer file's lines ----------------------------------------------------------

def test_an_answer_files_lines_end_at_a_newline_only(tmp_path):
    """Issue 20 had roster names split on \\n (and \\r\\n) only, since Python's splitlines also
    ends a line at U+2028, \\x0b, \\x0c, \\x1c-\\x1e and \\x85; check's answer file is still
    read with splitlines (marking/check.parse_answers). A comment pasted from a web page,
    '# note<U+2028> ok', becomes two lines, and check says 'line 2: expected 'label =
    value', got 'ok'' about text inside a comment, and every later line is numbered one past
    the line an editor shows it on ('b = abc' on line 3 is reported as 'line 4'). Expected:
    the comment is a comment, and the bad number is reported at line 3."""
    built = run(["build", str(BLOG), "--format", "tex", "--out", "k"], tmp_path, timeout=180)
    assert built.code == 0, built.stderr[-1500:]
    (tmp_path / "a.txt").write_text("# note\u2028 ok\na = 0.3775\nb = abc\n", encoding="utf-8")
    result = run(["check", "k/blog-2-2-2-key.json", "a.txt"], tmp_path)
    problems = [line for line in result.stderr.splitlines() if line.startswith("symbackprop:")]
    assert problems == ["symbackprop: a.txt: line 3: 'abc' is not a number (write 0.25, "
                        "2.5e-3 or 1/4)"], result.stderr


# --- what a library says ---------------------------------------------------------------------

def test_a_key_with_a_5000_digit_number_is_refused_without_pythons_advice(tmp_path):
    """A key.json whose answer's value is a whole number of 5,000 digits is refused in one
    line, exit 2, but the line is Python's own: 'is not JSON (Exceeds the limit (4300 digits)
    for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to
    increase the limit)': advice to the programmer, which a teacher cannot follow (the issue:
    no library's words reach the user; the README: 'whole numbers have at most 19 digits').
    Expected: one line naming the file and the too-long number, without
    sys.set_int_max_str_digits."""
    built = run(["build", str(BLOG), "--format", "tex", "--out", "k"], tmp_path, timeout=180)
    assert built.code == 0, built.stderr[-1500:]
    key = json.loads((tmp_path / "k" / "blog-2-2-2-key.json").read_text(encoding="utf-8"))
    text = json.dumps(key).replace(json.dumps(key["answers"][0]["value"]), "9" * 5000, 1)
    (tmp_path / "big-key.json").write_text(text, encoding="utf-8")
    (tmp_path / "a.txt").write_text("a = 0.3775\n", encoding="utf-8")
    result = run(["check", "big-key.json", "a.txt"], tmp_path)
    assert_refused(result, "big-key.json")
    assert "set_int_max_str_digits" not in result.stderr, result.stderr


def test_too_few_examples_to_train_are_refused_before_any_work(tmp_path):
    """A data file of 2 digits: `train --epochs 2` prints 'first mini-batch: deriving its
    gradient and verifying it three ways...' on stdout, derives and verifies that batch (3 s
    on 64-16-10), and only then refuses: 'symbackprop: two.csv: holds 2 examples; training
    and testing on a split of it need at least 20', exit 2. The count is known from the file
    before any step (the README: bounds 'counted before the first step'). Expected: the
    refusal alone, nothing on stdout."""
    import gzip
    rows = [line for line in gzip.open(WORKSHEETS / "data" / "uci-digits.csv.gz", "rt")
            if not line.startswith("#")][:2]
    (tmp_path / "two.csv").write_text("".join(rows), encoding="utf-8")
    (tmp_path / "t.yaml").write_text(
        "title: T\nnetwork: {layers: [64, 16, 10], activation: [sigmoid, softmax], "
        "loss: cross_entropy, bias: per_neuron}\ndata: {file: two.csv, test_fraction: 0.2}\n"
        "learning_rate: 0.5\nseed: 2026\n", encoding="utf-8")
    result = run(["train", "t.yaml", "--epochs", "2"], tmp_path)
    assert_refused(result, "two.csv", "2 examples")
    assert result.stdout == "", result.stdout


# --- noted in the report's section 12, fixed and tested since ---------------------------------

@pytest.mark.parametrize("command", ["build", "mark"])
def test_an_empty_out_folder_is_refused_not_taken_as_the_current_folder(command, tmp_path):
    """Section 12: `build ... --out ''` (an unset $OUT) wrote into the current folder without a
    word. Expected: refused in one line naming --out, nothing written where the command ran."""
    args = {"build": ["build", str(BLOG), "--format", "tex", "--out", ""],
            "mark": ["mark", "k", "c.csv", "--out", ""]}[command]
    (tmp_path / "k").mkdir()
    (tmp_path / "c.csv").write_text("name,version,a\nAnn,,1\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(args, tmp_path)
    assert_refused(result, "--out", "''")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("argument", ["title=5", "learning_rate='0.5'", "loss=None",
                                      "reduction=1"])
def test_from_torch_raises_type_error_for_an_argument_of_the_wrong_type(argument, tmp_path):
    """Section 12: `from_torch(title=5)` and `learning_rate='0.5'` raised DefinitionError, while
    the README says an argument of the wrong type raises TypeError. Expected: TypeError naming
    the argument."""
    pytest.importorskip("torch")
    name = argument.split("=")[0]
    arguments = argument if name == "loss" else f"loss='mse', {argument}"
    code = ("import torch, torch.nn as nn, symbackprop\n"
            "try:\n"
            "    symbackprop.from_torch(nn.Sequential(nn.Linear(2, 1)), torch.zeros(2),"
            f" torch.zeros(1), {arguments})\n"
            "except TypeError as exc:\n    print('TypeError', exc)\n")
    returncode, stdout, stderr = _python(code, tmp_path)
    assert returncode == 0 and stdout.startswith(f"TypeError {name} must be"), \
        (stdout, stderr[-1500:])


def test_two_columns_naming_one_blank_are_refused(tmp_path):
    """Once a header's column may name a blank by its label, its printed label or its name,
    two columns can name the same blank ('a' and '(A)'): which one is the student's answer?
    Expected: refused in one line naming both columns, nothing written."""
    built = run(["build", str(BLOG), "--format", "tex", "--out", "k"], tmp_path, timeout=180)
    assert built.code == 0, built.stderr[-1500:]
    (tmp_path / "c.csv").write_text("name,version,a,(A)\nAnn,,0.3775,0.3775\n",
                                    encoding="utf-8")
    result = run(["mark", "k", "c.csv", "--out", "m"], tmp_path)
    assert_refused(result, "c.csv", "'a', '(A)'", "blank (a)")
    assert not (tmp_path / "m").exists()


def test_a_key_that_gives_a_name_twice_is_refused(tmp_path):
    """Section 12: a key.json edited by hand with "answers" given twice was read with the last
    one, in silence (JSON's readers keep the last). No key build writes holds a name twice.
    Expected: refused in one line naming the file and the name given twice."""
    built = run(["build", str(BLOG), "--format", "tex", "--out", "k"], tmp_path, timeout=180)
    assert built.code == 0, built.stderr[-1500:]
    text = (tmp_path / "k" / "blog-2-2-2-key.json").read_text(encoding="utf-8")
    (tmp_path / "twice-key.json").write_text(text.replace('"answers":', '"answers": [], '
                                                          '"answers":', 1), encoding="utf-8")
    (tmp_path / "a.txt").write_text("a = 0.3775\n", encoding="utf-8")
    result = run(["check", "twice-key.json", "a.txt"], tmp_path)
    assert_refused(result, "twice-key.json", '"answers" twice')
