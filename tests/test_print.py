"""What a teacher prints: the header, working space, where the proofs go, points in the margin,
duplex class sets; user text escaped for LaTeX, HTML and Moodle's Cloze parser; roster names
in the Latin, Greek and Cyrillic scripts printed as typed."""

import json
import re
from pathlib import Path

import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import DefinitionError, parse

from .test_build import needs_tex, pdf_text

NET = """title: Backpropagation, step by step
network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse}
values:
  inputs: [0.05, 0.10]
  targets: [0.01, 0.99]
  weights: [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
  biases: [[0.35], [0.60]]
notation: numbered
points: {"dJ/dW[2][1][1]": 3}
"""
HOSTILE = r"\input{/etc/passwd} #1 ~ 50% $x$ {1:SHORTANSWER:=x} <b>&amp;"
HEADER = f"""print:
  institution: "Université de Montréal"
  course: '{HOSTILE}'
  date: 14 March 2026
  instructions: "Calculators are allowed. \\\\write18{{ls}} stays text."
  student_number: true
"""


def pages(path: Path) -> int:
    import pikepdf

    with pikepdf.open(path) as doc:
        return len(doc.pages)


def worked_sections(tex: str) -> int:
    """The sections a student works (the network's is not; the proofs have their own)."""
    return tex.split(r"\section*{The rules used")[0].count(r"\subsection*{") - 1


def build(tmp_path, text: str, *options: str, name="sheet") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(path), "--out", str(out), *options]) == 0
    return out


# --- the definition's print: key ------------------------------------------------------------

def test_print_key_read_with_every_option():
    d = parse(NET + HEADER + "  working_space: {box: 4.5}\n  proofs: none\n  duplex: false\n")
    p = d.printing
    assert (p.header.institution, p.header.date, p.header.student_number) == (
        "Université de Montréal", "14 March 2026", True)
    assert p.header.course == HOSTILE
    assert (p.working_space, p.proofs, p.duplex, p.points) == (("box", 4.5), "none", False, True)


def test_a_date_as_yaml_reads_it_is_printed_as_written():
    assert parse(NET + "print: {date: 2026-12-08}\n").printing.header.date == "2026-12-08"


@pytest.mark.parametrize("extra, key, words", [
    ("print: {proofs: appendix}", "print.proofs", "must be one of worksheet, key, none"),
    ("print: {working_space: {lines: 0}}", "print.working_space.lines", "from 1 to 30"),
    ("print: {working_space: {box: 40}}", "print.working_space.box", "0.5 to 25 cm"),
    ("print: {working_space: {lines: 2, box: 3}}", "print.working_space", "{lines: N}"),
    ("print: {course: '🧠 club'}", "print.course", "U+1F9E0"),
    ("print: {date: ''}", "print.date", "non-empty text"),
    ("print: {student_number: 1}", "print.student_number", "true or false"),
    ("print: {colour: red}", "print.colour", "unknown key"),
    ("print: {institution: \"a\\nb\"}", "print.institution", "one line"),
])
def test_print_key_refusals_name_the_key(extra, key, words):
    with pytest.raises(DefinitionError) as err:
        parse(NET + extra + "\n", source="w.yaml")
    message = str(err.value)
    assert message.startswith(f"w.yaml: {key}: ") and words in message
    assert "\n" not in message


def test_a_lesson_refuses_print_options(tmp_path, capsys):
    path = Path(__file__).parents[1] / "worksheets" / "gradient-descent.yaml"
    assert main(["build", str(path), "--out", str(tmp_path / "o"), "--date", "1 May"]) != 0
    assert ("--date: is for backpropagation, convolution and optimizer worksheets; a "
            "gradient_descent lesson has no print options") in capsys.readouterr().err


def test_a_date_typed_as_a_number_is_kept_as_typed():
    """YAML reads 14.10 as the float 14.1; the date keeps the digits typed."""
    assert parse(NET + "print: {date: 14.10}\n").printing.header.date == "14.10"
    assert parse(NET + "print: {date: 2026}\n").printing.header.date == "2026"


@pytest.mark.parametrize("date, words", [
    ("2026-12-08 10:30:00", "as a date and time, which would not print as typed; write the "
     "date in quotes"),
    ("true", "non-empty text, got the yes/no value True"),
])
def test_a_date_yaml_would_print_otherwise_is_refused(date, words):
    with pytest.raises(DefinitionError) as err:
        parse(NET + f"print: {{date: {date}}}\n", source="w.yaml")
    assert str(err.value).startswith("w.yaml: print.date: ") and words in str(err.value)


def test_a_date_given_from_python_as_a_float_is_refused():
    from symbackprop.definitions.definition import Definition

    with pytest.raises(DefinitionError, match=r"print\.date: got the number 14\.1; write the "
                       "date as text"):
        Definition.from_dict({"network": {"layers": [2, 1], "activation": "sigmoid",
                                          "loss": "half_sse"}, "print": {"date": 14.1}})


# --- which sheets take which options: refused by name where nothing would print them ---------

STEPS = """title: Adam
network: {layers: [2, 1], activation: identity, loss: half_sse, bias: per_neuron}
optimizer: {name: adam}
learning_rate: 0.1
decimals: 8
seed: 23
"""
CONV = """title: c
network:
  input: {channels: 1, height: 4, width: 4}
  layers:
    - {kind: convolution, filters: 1, kernel: 2, activation: relu}
    - {kind: max_pool, size: 2}
    - {kind: flatten}
    - {kind: dense, size: 1, activation: sigmoid}
  loss: half_sse
seed: 23
"""


@pytest.mark.parametrize("text, options, key, words", [
    (STEPS, ["--proofs", "key"], "--proofs", "is for backpropagation and convolution "
     "worksheets; an optimizer worksheet prints no proofs"),
    (STEPS + "print: {proofs: none}\n", [], "print.proofs", "an optimizer worksheet prints "
     "no proofs"),
    (CONV + "form: matrix\n", ["--date", "1 May"], "--date", "is for backpropagation, "
     "convolution and optimizer worksheets; a page of shapes has no print options"),
    (CONV + "form: matrix\nprint: {course: X}\n", [], "print.course", "a page of shapes"),
    (CONV + "form: matrix\n", ["--simplex"], "--simplex", "a page of shapes"),
    (STEPS + 'points: {"J": 2}\n', [], "points.J", "the sheet asks no J"),
])
def test_an_option_a_sheet_prints_nowhere_is_refused_by_name(tmp_path, capsys, text, options,
                                                             key, words):
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    code = main(["build", str(tmp_path / "s.yaml"), "--format", "tex", "--out",
                 str(tmp_path / "o"), *options])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert f"s.yaml: {key}: " in err and words in err, err
    assert not (tmp_path / "o").exists()


def test_a_pass_mark_is_refused_without_a_scorm_package(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(NET, encoding="utf-8")
    code = main(["build", str(tmp_path / "s.yaml"), "--format", "html", "--pass-mark", "60",
                 "--out", str(tmp_path / "o")])
    assert code == 2 and not (tmp_path / "o").exists()
    assert capsys.readouterr().err == ("symbackprop: --pass-mark: is for a SCORM package "
                                       "(--format scorm or scorm2004); this build makes html\n")


def test_points_of_an_optimizer_sheet_weigh_both_steps_blanks(tmp_path):
    out = build(tmp_path, STEPS + 'points: {"dJ/dW[1][1][1]": 5, "new b[1][1]": 3}\n',
                "--format", "tex", "--format", "moodle")
    key = json.loads((out / "sheet-key.json").read_text(encoding="utf-8"))
    worth = {b["name"]: b["points"] for b in key["scheme"]["blanks"]}
    assert [worth[n] for n in ("g@1 w1", "g@2 w1", "new@1 b", "new@2 b", "g@1 w2",
                               "m@1 w1")] == [5, 5, 3, 3, 1, 1]
    total = sum(worth.values())
    assert f"of {total} points" in (out / "sheet-worksheet.tex").read_text(encoding="utf-8")
    xml = (out / "sheet-moodle.xml").read_text(encoding="utf-8")
    assert xml.count("{5:NUMERICAL:") == 2 and xml.count("{3:NUMERICAL:") == 2


@pytest.mark.parametrize("text", [STEPS, CONV], ids=["optimizer", "convolution"])
def test_a_worked_sheet_takes_the_header_space_and_points_of_print(tmp_path, text):
    """An optimizer's or a convolution's sheet prints print: as a dense sheet does: the
    header and instructions, a student-number field, working space under each section of
    the worksheet (none on the key), no points with points: false; the practice page shows
    the header, Moodle's question the instructions."""
    setup = ("print:\n  course: 'COMP 3611 #1'\n  date: 14.10\n  instructions: Show your "
             "working.\n  student_number: true\n  working_space: {lines: 2}\n  points: false\n")
    out = build(tmp_path, text + setup, "--format", "tex", "--format", "html", "--format",
                "moodle")
    sheet = (out / "sheet-worksheet.tex").read_text(encoding="utf-8")
    key = (out / "sheet-key.tex").read_text(encoding="utf-8")
    for tex in (sheet, key):
        assert r"COMP 3611 \#1" in tex and "14.10" in tex and "Show your working." in tex
        assert "Student number:" in tex and "Total:" not in tex and r"\points{" not in tex
    sections = worked_sections(sheet)
    assert sections > 2 and sheet.count(r"\rule{\linewidth}{0.3pt}") == 2 * sections
    assert r"\rule{\linewidth}{0.3pt}" not in key
    page = (out / "sheet-practice.html").read_text(encoding="utf-8")
    assert "COMP 3611 #1 · 14.10" in page
    assert "Show your working." in (out / "sheet-moodle.xml").read_text(encoding="utf-8")


def test_proofs_of_a_convolution_sheet_go_where_the_teacher_says(tmp_path):
    out = build(tmp_path, CONV + "print: {proofs: key}\n", "--format", "tex")
    assert "with proofs" not in (out / "sheet-worksheet.tex").read_text(encoding="utf-8")
    assert "with proofs" in (out / "sheet-key.tex").read_text(encoding="utf-8")


# --- the printed sheet ----------------------------------------------------------------------

@needs_tex
def test_header_points_and_working_space_as_printed(tmp_path):
    out = build(tmp_path, NET + HEADER + "  working_space: {lines: 3}\n", "--date", "2 May 2026")
    sheet, key = pdf_text(out / "sheet-worksheet.pdf"), pdf_text(out / "sheet-key.pdf")
    tex = (out / "sheet-worksheet.tex").read_text(encoding="utf-8")
    # the user's text reaches the page as typed, and no command of it runs
    assert HOSTILE in " ".join(sheet.split())
    assert r"\write18{ls} stays text" in sheet
    assert r"\input{" not in tex and r"\textbackslash{}input\{/etc/passwd\}" in tex
    assert "2 May 2026" in sheet and "14 March" not in sheet  # --date over print: date
    assert re.search(r"Name:\s+Student number:", sheet)
    # 25 blanks of 1 point and dJ/dw5 of 3: 28, the margin says each
    assert "of 28 points" in sheet and "Total: 28 points" in key
    assert sheet.count("1 pt") == 25 and sheet.count("3 pts") == 1
    # three ruled lines under each of the sheet's sections, none on the key
    sections = worked_sections(tex)
    assert tex.count(r"\rule{\linewidth}{0.3pt}") == 3 * sections
    assert r"\rule{\linewidth}{0.3pt}" not in (out / "sheet-key.tex").read_text()
    # nothing past the margin: every compile of the tests is watched (tests/conftest.py)
    assert (out / "sheet-worksheet.pdf").is_file() and (out / "sheet-key.pdf").is_file()


@needs_tex
@pytest.mark.parametrize("place, on_sheet, on_key", [
    ("worksheet", True, True), ("key", False, True), ("none", False, False)])
def test_proofs_go_where_the_teacher_says(tmp_path, place, on_sheet, on_key):
    out = build(tmp_path, NET, "--proofs", place)
    heading = "The rules used, with proofs"
    assert (heading in pdf_text(out / "sheet-worksheet.pdf")) == on_sheet
    assert (heading in pdf_text(out / "sheet-key.pdf")) == on_key


@needs_tex
def test_a_box_of_working_space_fits_the_text_width(tmp_path):
    out = build(tmp_path, NET + "print: {working_space: {box: 3}}\n")
    tex = (out / "sheet-worksheet.tex").read_text()
    assert tex.count(r"\parbox[t][3.00cm][t]") == worked_sections(tex) == 6
    assert (out / "sheet-worksheet.pdf").is_file()  # compiled: watched by tests/conftest.py


@needs_tex
def test_class_set_versions_start_on_odd_pages(tmp_path):
    """Duplex: no student's first page on the back of another's last. A class set's
    worksheets carry no proofs by default (3 pages), its keys do."""
    text = NET.split("values:")[0] + "seed: 7\nversions: 3\n"
    out = build(tmp_path, text)
    sheets = [out / f"sheet-v0{v}-{kind}.pdf" for kind in ("worksheet", "key")
              for v in (1, 2, 3)]
    counts = [pages(p) for p in sheets]
    assert counts == [3, 3, 3, 4, 4, 4]
    starts, page = [], 1
    for n in counts:
        starts.append(page)
        page += n + n % 2
    assert all(s % 2 == 1 for s in starts)
    # the class's worksheets and the teacher's keys in two files: never the answers handed out
    assert pages(out / "sheet-class-set.pdf") + pages(out / "sheet-class-set-keys.pdf") == \
        page - 1 == 24
    assert pages(out / "sheet-class-set.pdf") == 12
    # --simplex: the pages as they are, one after another
    out2 = tmp_path / "simplex"
    assert main(["build", str(tmp_path / "sheet.yaml"), "--out", str(out2), "--simplex"]) == 0
    assert pages(out2 / "sheet-class-set.pdf") == 9
    assert pages(out2 / "sheet-class-set-keys.pdf") == 12


def test_practice_page_and_moodle_carry_the_header_inert(tmp_path):
    out = build(tmp_path, NET + HEADER, "--format", "html", "--format", "moodle")
    page = (out / "sheet-practice.html").read_text(encoding="utf-8")
    assert "<b>&amp;" not in page and "&lt;b&gt;&amp;amp;" in page
    assert "Université de Montréal · " in page
    assert "Calculators are allowed" not in page  # the printed sheet's, not a page's online
    xml = (out / "sheet-moodle.xml").read_text(encoding="utf-8")
    assert r"&#92;write18&#123;ls&#125; stays text" in xml  # \ and { as references
    assert "{ls}" not in xml


# --- names in the Latin, Greek and Cyrillic scripts -----------------------------------------

ROSTER = ["Adébáyọ̀ Ọlálékàn", "Nguyễn Thị Minh Khai", "Trương Phương Thủy",
          "Σωκράτης Παπαδόπουλος", "Жанна Ёлкина-Щербакова", "Zoe\u0308 Ørsted-Łukasik"]


@needs_tex
def test_roster_names_print_as_typed(tmp_path):
    """NFC first (Zoë typed as e + U+0308), then each script in a font that carries it; the
    PDF's text is the name as typed, so a teacher's search finds it."""
    roster = tmp_path / "class.txt"
    roster.write_text("\n".join(ROSTER) + "\n", encoding="utf-8")
    text = NET.split("values:")[0] + "seed: 7\n"
    out = build(tmp_path, text, "--roster", str(roster))
    import unicodedata

    for v, name in enumerate(ROSTER, start=1):
        page = pdf_text(out / f"sheet-v{v:02d}-worksheet.pdf")
        typed = unicodedata.normalize("NFC", name)
        assert f"Name: {typed}" in page
        assert (out / f"sheet-v{v:02d}-worksheet.pdf").is_file()  # watched: conftest.py


def test_unprintable_names_are_still_refused():
    from symbackprop.formats.latex import UnprintableText, text

    for bad in ("🧠", "a\u20dd", "\u05d0\u05d1"):  # emoji, a combining circle, Hebrew
        with pytest.raises(UnprintableText):
            text(bad)


@needs_tex
@pytest.mark.parametrize("text", [STEPS, CONV], ids=["optimizer", "convolution"])
def test_a_worked_sheets_header_compiles_within_the_margin(tmp_path, text):
    """The hostile header and a box of working space on an optimizer's and a convolution's
    sheet: both PDFs made, the text as typed, nothing past the margin (conftest.py)."""
    out = build(tmp_path, text + HEADER + "  working_space: {box: 3}\n")
    sheet = pdf_text(out / "sheet-worksheet.pdf")
    assert HOSTILE in " ".join(sheet.split()) and "14 March 2026" in sheet
    assert re.search(r"Name:\s+Student number:", sheet)
    assert (out / "sheet-key.pdf").is_file()
