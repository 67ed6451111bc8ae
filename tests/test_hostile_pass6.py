"""What a sixth hostile pass found at commit dd99d0d, mostly in what changed last (the teacher's
cost grammar of gradient-descent lessons, roster names and header text in the Greek, Cyrillic
and Vietnamese scripts, check's printing of a key's working, the convolution and Adam
worksheets through Moodle): each test is one broken promise of the README or of the project's
rule for hostile input, written so that it fails on dd99d0d and passes once the promise is
kept. Every command runs as its own bounded process (tests/hostile.py)."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest

from .hostile import BLOG, DRAWN, assert_refused, needs_pdf_text, pdf_text, run

GIVEN = """\
title: Given
network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse, bias: shared}
values:
  inputs: [0.05, 0.10]
  targets: [0.01, 0.99]
  weights: [[[W, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
  biases: [[0.35], [0.60]]
learning_rate: 0.5
"""

CONV = """\
title: conv
network:
  input: {channels: 1, height: 3, width: 3}
  layers:
    - {kind: convolution, filters: 1, kernel: 2, activation: relu}
    - {kind: max_pool, size: 2}
    - {kind: flatten}
    - {kind: dense, size: 1, activation: sigmoid}
  loss: half_sse
values:
  image: [[[PIXEL, 0.5, 0.1], [0.2, 0.3, 0.4], [0.9, 0.8, 0.7]]]
  targets: [1]
  layers:
    - {kernels: [[[[0.3, -0.2], [0.4, 0.1]]]], biases: [0.05]}
    - {}
    - {}
    - {weights: [[0.7]], biases: [0.1]}
"""


def _lesson(tmp_path: Path, cost: str, starts: str = "[1]", rate: str = "0.1") -> Path:
    path = tmp_path / "gd.yaml"
    path.write_text(f"kind: gradient_descent\ntitle: GD\nlesson:\n  starts: {starts}\n"
                    f"  learning_rate: {rate}\n  cost: {json.dumps(cost)}\n", encoding="utf-8")
    return path


# --- the teacher's cost (lesson.cost) -----------------------------------------------------

@pytest.mark.parametrize("cost", ["w²", "w^²", "3w^2 + w³"])
def test_a_cost_with_a_superscript_digit_is_one_line_not_a_traceback(cost, tmp_path):
    """The grammar takes a digit by str.isdigit(), which is true of '²' and '³': 'w²' reaches
    Fraction('²') (ValueError: Invalid literal for Fraction) and 'w^²' int('²') (ValueError:
    invalid literal for int()), a traceback and exit code 1. A teacher types w² as often as
    w^2; it should be read as the power or refused in one line naming lesson.cost."""
    _lesson(tmp_path, cost)
    result = run(["build", "gd.yaml", "--format", "tex", "--out", "out"], tmp_path)
    assert "Traceback" not in result.stderr, result.stderr[-1500:]
    assert result.code in (0, 2), (result.code, result.stderr[-1500:])
    if result.code == 2:
        assert_refused(result, "gd.yaml", "lesson.cost")


def test_a_cost_with_a_huge_constant_is_one_line_not_an_overflow(tmp_path):
    """(99999999999^8)^8 w^2 is 21 characters, parentheses 2 deep, degree 2: every bound of
    the grammar holds, and its coefficient 10^704 is exact as a Fraction; then the walk's
    float(coefficient) raises OverflowError ('integer division result too large for a
    float'), a traceback and exit code 1. A coefficient past double precision should be
    refused naming lesson.cost."""
    _lesson(tmp_path, "(99999999999^8)^8 w^2")
    result = run(["build", "gd.yaml", "--format", "tex", "--out", "out"], tmp_path)
    assert_refused(result, "gd.yaml", "lesson.cost")
    assert not (tmp_path / "out").exists()


def test_a_cost_of_constant_powers_nested_eight_deep_is_refused_at_once(tmp_path):
    """((((((((99999999999)^8)^8)^8)^8)^8)^8)^8)^8 w^2 is 47 characters and 8 parentheses
    deep (the bound), degree 2: the grammar multiplies out 99999999999^(8^8), a number of
    184 million digits, by repeated multiplication of exact integers: still running after
    120 s (9 in place of 99999999999 takes 50 s). 'No input can hang or exhaust it': it
    should be refused in one line within seconds."""
    cost = "99999999999"
    for _ in range(8):
        cost = f"({cost})^8"
    _lesson(tmp_path, cost + " w^2")
    try:
        result = run(["build", "gd.yaml", "--format", "tex", "--out", "out"], tmp_path,
                     timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("a cost of 47 characters held the grammar past 30 s")
    assert_refused(result, "gd.yaml", "lesson.cost")


def test_a_cost_the_reader_admits_is_not_an_internal_verification_failure(tmp_path):
    """99999999999^8 (w^2 + w^8) from 1 at rate 1e-89: the reader's checks pass (degree 8,
    a lowest point, every walk settles), then the sheet's own check of C' against finite
    differences fails in floating point: 'symbackprop: refusing to print unverified
    numbers: C'(4.355614660806096e-15): 8.711229320915293e+73 vs finite differences
    8.71121775422756e+73', exit code 1, naming neither the file nor the key. A cost the
    sheet cannot work should be refused by the reader (exit 2, lesson.cost), or built."""
    _lesson(tmp_path, "99999999999^8 (w^2 + w^8)", rate="1e-89")
    result = run(["build", "gd.yaml", "--format", "tex", "--out", "out"], tmp_path)
    assert result.code in (0, 2), (result.code, result.stderr[-1500:])
    if result.code == 2:
        assert_refused(result, "gd.yaml", "lesson.")


@pytest.mark.parametrize("cost, start", [("w^4", "0.1"), ("w^8", "0.3"), ("(w - 1)^6", "1.5")])
def test_a_flat_bottomed_cost_is_not_refused_as_a_too_large_rate(cost, start, tmp_path):
    """w^4 from 0.1 at rate 1 is refused as 'lesson.learning_rate: 1 is too large for w^4:
    the walk from 0.1 does not settle in a valley; take a smaller one'. The walk does not
    overshoot: it creeps (w ← w − 4w³), and a smaller rate makes it creep slower, so the
    advice can never be followed; no rate in (0, 1] and no start is accepted for w^4, w^6
    or w^8, whose flat bottom the sheet itself counts as a valley (Descent._is_minimum). The
    refusal should name the real problem (the slope is too flat to settle in 5,000 steps),
    or the cost be built."""
    _lesson(tmp_path, cost, starts=f"[{start}]", rate="1")
    result = run(["build", "gd.yaml", "--format", "tex", "--out", "out"], tmp_path)
    assert result.code in (0, 2), (result.code, result.stderr[-1500:])
    if result.code == 2:
        assert_refused(result, "gd.yaml")
        assert "take a smaller one" not in result.stderr, result.stderr


# --- names and header text pdflatex cannot print -----------------------------------------

@needs_pdf_text
@pytest.mark.parametrize("name", ["Ѣѣ Ѳѳ", "Ԁԁ Komi", "Ҧ ҧ", "ϲϹ", "Ϣενουτε", "ϐϑ"])
def test_a_roster_name_of_letters_the_font_encodings_lack_is_refused_by_its_line(name,
                                                                                 tmp_path):
    """printable.check takes every letter of the Greek (U+0370-03FF) and Cyrillic
    (U+0400-052F) blocks as printable in LGR and T2A, but those encodings lack many of them
    (old Cyrillic ѣ ѳ, the Cyrillic Supplement's Komi Ԁ, Abkhaz Ҧ, lunate sigma ϲ, Coptic
    Ϣ, the beta symbol ϐ): the build runs pdflatex and stops with exit code 1, 'LaTeX failed
    on s-v01-worksheet.pdf: ./doc.tex:72: LaTeX Error: Unicode character Ѣ (U+0462)'. The
    README: 'a roster name pdflatex cannot print stops with exit code 2 and one line naming
    the file': the roster's line, before any compile, as for 李小龍."""
    (tmp_path / "s.yaml").write_text(DRAWN.replace("TITLE", "Roster").replace("RATE", "0.5"),
                                     encoding="utf-8")
    (tmp_path / "roster.txt").write_text(f"Ada\n{name}\n", encoding="utf-8")
    result = run(["build", "s.yaml", "--roster", "roster.txt", "--format", "pdf",
                  "--out", "out"], tmp_path, timeout=120)
    assert_refused(result, "roster.txt: line 2")


@needs_pdf_text
@pytest.mark.parametrize("key", ["title", "print.course"])
def test_a_title_or_header_of_letters_the_font_encodings_lack_is_refused_by_its_key(key,
                                                                                    tmp_path):
    """The same check guards a title and the print: header: title 'Ѣ' (or print.course)
    builds its .tex, then pdflatex fails with exit code 1 and 'LaTeX failed on
    s-worksheet.pdf: ... Unicode character Ѣ (U+0462)'. It should be exit 2 naming the key."""
    text = GIVEN.replace("W", "0.15")
    if key == "title":
        text = text.replace("title: Given", "title: Старая буква Ѣ")
    else:
        text += "print: {course: Старая буква Ѣ}\n"
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    result = run(["build", "s.yaml", "--format", "pdf", "--out", "out"], tmp_path,
                 timeout=120)
    assert_refused(result, "s.yaml", key)


@needs_pdf_text
@pytest.mark.parametrize("name", ["Đặng Văn Lâm", "Đỗ Mười", "Ἀριστοτέλης"])
def test_a_roster_name_copies_from_the_pdf_as_typed(name, tmp_path):
    """The README: names print as written, 'the PDF's text, for copying and searching, is the
    name as typed'. Vietnamese Đ (U+0110, D with stroke: Đặng, Đỗ, Đinh are among the
    commonest family names) is set as T1's \\DJ, which shares its slot with Icelandic Eth,
    so the PDF's text is 'Ðặng' (U+00D0): a search for the student's name finds nothing.
    Polytonic Greek loses its breathing the same way (Ἀ copies as '᾿Α')."""
    (tmp_path / "s.yaml").write_text(DRAWN.replace("TITLE", "Roster").replace("RATE", "0.5"),
                                     encoding="utf-8")
    (tmp_path / "roster.txt").write_text(name + "\n", encoding="utf-8")
    result = run(["build", "s.yaml", "--roster", "roster.txt", "--format", "pdf",
                  "--out", "out"], tmp_path, timeout=120)
    assert result.code == 0, result.stderr[-1500:]
    assert name in pdf_text(tmp_path / "out" / "s-v01-worksheet.pdf")


@needs_pdf_text
@pytest.mark.parametrize("typed", ["η << 1", "a >> b", "``quoted''", "!` and ?`", "x ,, y"])
def test_a_title_prints_its_characters_as_typed_not_as_ligatures(typed, tmp_path):
    """The README: a header or title is 'text as a title is: every character is printed as
    typed'. In T1, << and >> are ligatures for « and », `` and '' for “ ”, ,, for „, !` and
    ?` for ¡ and ¿: the title 'Learning rate η << 1' prints as 'Learning rate η « 1', and a
    course 'x << y >> z' as 'x«y»z'. Each should print as the characters typed."""
    text = GIVEN.replace("W", "0.15").replace("title: Given", f"title: {json.dumps(typed)}")
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    result = run(["build", "s.yaml", "--format", "pdf", "--out", "out"], tmp_path,
                 timeout=120)
    assert result.code == 0, result.stderr[-1500:]
    printed = pdf_text(tmp_path / "out" / "s-worksheet.pdf")
    for ligature in "«»“”„¡¿":
        assert ligature not in printed, (typed, printed[:200])


# --- a hand-edited key's working (the `shown` forms) ---------------------------------------

@pytest.fixture(scope="module")
def blog_key(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("blogkey")
    result = run(["build", str(BLOG), "--format", "tex", "--out", "out"], folder)
    assert result.code == 0, result.stderr
    return json.loads((folder / "out" / "blog-2-2-2-key.json").read_text(encoding="utf-8"))


SHOWN = {
    "a Partial of two texts": ["Partial", "top", "bottom"],
    "a Name that is a number": ["Equation", [["Name", 123], ["Number", 0.3775, 9, None]]],
    "a Name that is no quantity": ["Name", "zzz[9]"],
    "an Equation of no sides": ["Equation", []],
    "an Ops of no items": ["Ops", [], []],
    "an unknown operator": ["Ops", [["Name", "x[1]"], ["Name", "x[2]"]], ["%"]],
    "a Symbol without a letter": ["Symbol", None, None, None, False, False],
    "a Symbol with a list for its subscript": ["Symbol", "x", [1, 2], None, False, False],
    "a Number with true for its decimals": ["Number", 0.5, True, None],
    "a Neg of a number": ["Neg", 5],
    "a Power of texts": ["Power", "a", "b"],
}


@pytest.mark.parametrize("case", list(SHOWN))
def test_check_of_a_key_with_an_edited_working_is_one_line_or_marks(case, blog_key, tmp_path):
    """A key is 'checked against its schema ... before anything is marked', and a key's
    working is read back 'strictly (the key may have been edited)' (forms_json): but
    from_json takes any JSON for a form's fields, and check's printing of each quantity
    (cli/check.py _quantities) then fails with AttributeError ('PlainText' object has no
    attribute '_str'), IndexError, KeyError, TypeError or ValueError ('not a canonical name',
    'Format specifier missing precision'): a traceback, exit code 1. An edited working
    should be refused in one line naming answers[i].shown, or passed over as a key without
    working is."""
    key = copy.deepcopy(blog_key)
    for answer in key["answers"]:
        answer["shown"] = SHOWN[case]
    (tmp_path / "k.json").write_text(json.dumps(key), encoding="utf-8")
    (tmp_path / "answers.txt").write_text("a = 0.1\nb = 0.5933\n", encoding="utf-8")
    result = run(["check", "k.json", "answers.txt", "--all"], tmp_path)
    assert "Traceback" not in result.stderr, (case, result.stderr[-1500:])
    assert result.code in (0, 2), (case, result.code, result.stderr[-1500:])
    if result.code == 2:
        assert_refused(result, "k.json")


@pytest.mark.parametrize("case", ["a Partial of two texts", "a Name that is a number",
                                  "a Symbol without a letter"])
def test_mark_with_a_key_whose_working_was_edited_is_one_line_or_marks(case, blog_key,
                                                                       tmp_path):
    """The same edited working through mark: the feedback page's MathML printer fails
    ('MathML' object has no attribute '_str', 'int' object has no attribute 'partition',
    'NoneType' object has no attribute 'replace'), a traceback and exit code 1."""
    key = copy.deepcopy(blog_key)
    for answer in key["answers"]:
        answer["shown"] = SHOWN[case]
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "blog-2-2-2-key.json").write_text(json.dumps(key), encoding="utf-8")
    (tmp_path / "class.csv").write_text("name,version,a,b\nZoe,,0.1,0.5933\n",
                                        encoding="utf-8")
    result = run(["mark", "keys", "class.csv", "--out", "marks"], tmp_path)
    assert "Traceback" not in result.stderr, (case, result.stderr[-1500:])
    assert result.code in (0, 2), (case, result.code, result.stderr[-1500:])
    if result.code == 2:
        assert_refused(result)
        assert not (tmp_path / "marks").exists()


# --- extreme numbers through the worksheets -----------------------------------------------

@pytest.mark.parametrize("weight", ["1e300", "-1e308"])
def test_a_huge_given_weight_is_built_or_refused_not_a_json_traceback(weight, tmp_path):
    """derive verifies blog-2-2-2 with W[1][1][1] = 1e300 (exit 0, as test_hostile_batch
    holds for inputs of 1e308), but build of the same definition, any format, stops in
    writing the key: 'ValueError: Out of range float values are not JSON compliant', a
    traceback and exit code 1 (a tolerance or a mistake's value became inf). It should be
    built, or refused in one line naming the file."""
    (tmp_path / "g.yaml").write_text(GIVEN.replace("W", weight), encoding="utf-8")
    assert run(["derive", "g.yaml"], tmp_path).code == 0
    result = run(["build", "g.yaml", "--format", "tex", "--out", "out"], tmp_path)
    assert "Traceback" not in result.stderr, result.stderr[-1500:]
    assert result.code in (0, 2), (result.code, result.stderr[-1500:])
    if result.code == 2:
        assert_refused(result, "g.yaml")


def test_a_convolution_sheet_with_a_huge_pixel_exports_to_moodle_or_is_refused(tmp_path):
    """The convolution worksheet with a pixel of -1e308 (ReLU makes it 0 downstream) builds
    its .tex, key and practice page, but --format moodle stops with 'OverflowError: cannot
    convert float infinity to integer' in moodle.fewer_decimals, a traceback, exit code 1."""
    (tmp_path / "c.yaml").write_text(CONV.replace("PIXEL", "-1e308"), encoding="utf-8")
    result = run(["build", "c.yaml", "--format", "moodle", "--out", "out"], tmp_path)
    assert "Traceback" not in result.stderr, result.stderr[-1500:]
    assert result.code in (0, 2), (result.code, result.stderr[-1500:])
    if result.code == 2:
        assert_refused(result, "c.yaml")
        assert not (tmp_path / "out").exists()


def test_a_refused_convolution_draw_names_the_file_and_the_problem(tmp_path):
    """A convolution worksheet whose numbers are all given and whose output net is past 4
    (a pixel of 20) is refused with the whole line 'symbackprop: saturated': exit 2, but no
    file, no key and no sentence (what is saturated, what to change). The same given
    numbers on a dense sheet build. The refusal should name the file and say what is wrong."""
    (tmp_path / "c.yaml").write_text(CONV.replace("PIXEL", "20"), encoding="utf-8")
    result = run(["build", "c.yaml", "--format", "tex", "--out", "out"], tmp_path)
    assert_refused(result, "c.yaml")
    assert len(result.stderr.strip()) > len("symbackprop: c.yaml: saturated"), result.stderr


@pytest.mark.parametrize("rate", ["1e9", "1e15"])
def test_moodle_export_of_a_sheet_with_a_large_learning_rate_is_bounded(rate, tmp_path):
    """learning_rate has no upper bound, and a step's band of right answers grows with it
    (honest rounding of the gradient times η): moodle.fewer_decimals then lists every
    p-decimal number in the band one by one, (hi − lo)/10^−p of them. At η = 1e6 one version
    takes 10 s, at 1e9 it had not finished after 40 s (the .tex, key and practice page take
    under a second). It should finish in seconds or be refused in one line at once."""
    (tmp_path / "s.yaml").write_text(DRAWN.replace("TITLE", "Rate").replace("RATE", rate),
                                     encoding="utf-8")
    try:
        result = run(["build", "s.yaml", "--versions", "1", "--format", "moodle",
                      "--out", "out"], tmp_path, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"build --format moodle with learning_rate {rate} ran past 30 s")
    assert result.code in (0, 2), (result.code, result.stderr[-1500:])
    if result.code == 2:
        assert_refused(result, "s.yaml")
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
