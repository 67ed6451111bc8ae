"""Marking a whole class: one row of answers per student, each marked with their version's
scheme, into a gradebook, a feedback page per student and a summary of what the class got wrong.

Pure: rows and keys in, text out; `classroom.py` reads and writes the files.

>>> from symbackprop.marking.check import _EXAMPLE, Key
>>> rows, problems = read_rows("name,version,a,b,c\\nAda,,0.3775,0.4067,\\n")
>>> book = mark_class({None: Key.from_json(_EXAMPLE)}, rows)
>>> [(m.label, m.verdict, m.diagnosis) for m in book.students[0].marks]
[('a', 'correct', None), ('b', 'incorrect', 'sigmoid_of_negative'), ('c', 'missing', None)]
>>> book.students[0].points, book.total
(1.0, 3.0)
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ..definitions.records import MAX_VERSIONS
from . import check, scheme

MAX_ROWS = 10_000


@dataclass
class Row:
    line: int
    name: str
    version: int | None
    answers: dict[str, str]  # label -> text as typed


@dataclass
class Student:
    row: Row
    marks: list[scheme.Mark]
    points: float
    problems: list[str] = field(default_factory=list)
    key: check.Key | None = None  # the version's key the row was marked with


@dataclass
class Gradebook:
    labels: list[str]
    names: dict[str, str]  # label -> canonical name
    marks: dict[str, float]  # label -> what the blank is worth (the definition's points:)
    total: float
    students: list[Student]
    problems: list[str]  # 'line N: ...' for rows that could not be marked (in part or whole)
    carried_forward: float = 1.0  # the points a carried-forward answer earns
    rounded: float = 0.5  # ... and a right one with fewer decimals than the sheet asks
    title: str = "Worksheet"


# what a spreadsheet runs as a formula when a cell starts with it (OWASP's CSV injection rule)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = ",;\t"  # a spreadsheet saved as CSV: commas, or semicolons where ',' is a decimal


def delimiter_of(text: str) -> str:
    """What separates the cells: the one that makes the header read name, version.

    >>> delimiter_of("\\ufeffname;version;a\\nAda;1;0,5\\n"), delimiter_of("name,version,a")
    (';', ',')
    """
    header = re.split(r"\r\n|\r|\n", text.lstrip("\ufeff"), maxsplit=1)[0]
    for d in DELIMITERS:
        cells = next(csv.reader([header], delimiter=d), [])
        if [c.strip().lower() for c in cells[:2]] == ["name", "version"]:
            return d
    return ","


class BadHeader(ValueError):
    """The header row cannot be read: nothing in the file can be marked."""


def read_rows(text: str) -> tuple[list[Row], list[str]]:
    """`name,version,<label>,...` rows under a header row naming the labels (or the same with
    semicolons or tabs, as a spreadsheet saves them; a byte-order mark is ignored). A row with
    a cell longer than MAX_CELL characters is reported and left out; a header that is not one
    raises BadHeader.

    >>> read_rows("name,version,a\\nAda,1," + "9" * 2000 + "\\n")[1]
    ['line 2: a cell of 2,000 characters (at most 1,000 in a cell); the row was not marked']
    """
    text = text.lstrip("\ufeff")
    table = _cells(text)
    _, _, header = next(table, (1, 1, None))
    if header is None or [c.strip().lower() for c in header[:2]] != ["name", "version"]:
        raise BadHeader("line 1: the first row must be the header name,version,<label>,... "
                        "(cells separated by commas, semicolons or tabs)")
    if _longest(header) > MAX_CELL or len(header) > MAX_COLUMNS:
        raise BadHeader(f"line 1: a header of {len(header):,} cells, up to "
                        f"{_longest(header):,} characters long (at most {MAX_COLUMNS:,} cells "
                        f"of {MAX_CELL:,} characters)")
    labels = [c.strip() for c in header[2:]]
    twice = sorted(label for label, n in Counter(labels).items() if n > 1 and label)
    if twice:
        raise BadHeader(f"line 1: the column{'s' if len(twice) > 1 else ''} "
                        f"{_listed(twice)} appear{'' if len(twice) > 1 else 's'} twice")
    rows, problems = [], []
    for count, (number, last, cells) in enumerate(table, start=1):
        if count > MAX_ROWS:
            problems.append(f"line {number}: more than {MAX_ROWS:,} students; the rest were "
                            "not read")
            break
        problem = _row_problem(cells, labels)
        if problem and last > number and any("\n" in c or "\r" in c for c in cells):
            problem = (f"a quote opened on this line is not closed before line {last}: lines "
                       f"{number} to {last} were read as one row, and none of them was marked")
        if problem:
            problems.append(f"line {number}: {problem}")
            continue
        if not any(c.strip() for c in cells):
            continue
        version = cells[1].strip()
        rows.append(Row(number, cells[0].strip(), int(version) if version else None,
                        {label: c.strip() for label, c in zip(labels, cells[2:])}))
    return rows, problems


MAX_CELL = 1000  # characters: a name has at most 100, a number 40
MAX_COLUMNS = 2 + 10_000  # name, version and a sheet's blanks (a key has at most 10,000)


def _cells(text: str):
    """(first line, last line, cells) of each row of the table, whatever a cell's length (each
    is judged afterwards); a quoted cell may hold line ends, so a row may span lines."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # the file is bounded: so is a cell
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text))
    rows, line = [], 0
    try:
        for cells in reader:
            rows.append((line + 1, reader.line_num, cells))
            line = reader.line_num
    except csv.Error as exc:
        raise BadHeader(f"line {reader.line_num}: cannot be read as CSV ({exc})") from None
    finally:
        csv.field_size_limit(limit)
    return iter(rows)


def _row_problem(cells: list[str], labels: list[str]) -> str | None:
    if _longest(cells) > MAX_CELL:
        return (f"a cell of {_longest(cells):,} characters (at most {MAX_CELL:,} in a cell); "
                "the row was not marked")
    if not any(c.strip() for c in cells):
        return None
    if len(cells) != len(labels) + 2:
        return f"{len(cells):,} columns, the header has {len(labels) + 2:,}"
    version = cells[1].strip()  # a gathered faculty set's folder holds keys of 100,000 versions
    if version and not (version.isdigit() and version.isascii()
                        and len(version) <= len(str(MAX_VERSIONS))):
        return (f"version '{check._clip(version)}' is not a version: a whole number from 1 to "
                f"{MAX_VERSIONS:,}")
    return None


def _longest(cells: list[str]) -> int:
    return max(map(len, cells), default=0)


def _listed(items: list[str], most: int = 5) -> str:
    """'a', 'b', 'c' and 37,997 more."""
    shown = ", ".join(f"'{check._clip(i)}'" for i in items[:most])
    return shown + (f" and {len(items) - most:,} more" if len(items) > most else "")


def mark_class(keys: dict[int | None, check.Key], rows: list[Row],
               carried_forward: float = 1.0, rounded: float = 0.5) -> Gradebook:
    """Each row marked with its version's key; a carried-forward answer earns `carried_forward`
    of its blank's points (`points:` in the definition, 1 a blank by default), a right one
    with too few decimals `rounded`. Columns that name no blank of the sheet are said once, as
    the header's problem, and left out."""
    first = next(iter(keys.values()))
    labels = [a["label"] for a in first.answers]
    worth = {b["label"]: float(b.get("points", 1)) for b in check.scheme_for(first)["blanks"]}
    columns = list(rows[0].answers) if rows else []  # every row has the header's columns
    blanks = _blanks_of(first, columns) if rows else {}
    unknown = [c for c in columns if c and blanks[c] is None]
    problems = [f"line 1: {_count(len(unknown), 'column')} {_listed(unknown)} "
                f"{'name' if len(unknown) > 1 else 'names'} no blank of this sheet (its labels "
                f"are {labels[0]} to {labels[-1]}); left out"] if unknown else []
    students = []
    # a row of another version's answers (a neighbour's sheet) earns no follow-through
    others = scheme.other_values([check.scheme_for(k) for k in keys.values()]) \
        if len(keys) > 1 else None
    for row in rows:
        row = Row(row.line, row.name, row.version,  # each answer under its blank's label
                  {blanks[c]: text for c, text in row.answers.items() if blanks[c]})
        key = keys.get(row.version)
        if key is None and row.version == 1 and set(keys) == {None}:
            key = keys[None]  # a sheet without versions is version 1 too
        if key is None:
            numbered = sorted(k for k in keys if k is not None)
            which = "no version given" if row.version is None else \
                f"no key for version {row.version}"
            have = f"the keys are for versions {', '.join(map(str, numbered))}" if numbered \
                else ("the key is one sheet's, without versions: leave the version column empty, "
                      "or write 1")
            problems.append(f"line {row.line}: {row.name}: {which} ({have})")
            continue
        students.append(_mark(key, row, (carried_forward, rounded), worth, others))
        problems += students[-1].problems
    return Gradebook(labels, {a["label"]: a["name"] for a in first.answers}, worth,
                     sum(worth.values()), students, problems, carried_forward, rounded,
                     str(first.definition.get("title") or "Worksheet"))


def _blanks_of(key: check.Key, columns: list[str]) -> dict[str, str | None]:
    """The blank each column of the header names (Key.blanks: a, net[1][1], (a) or A), None
    for one that names none. A header none of whose columns names a blank, or two columns
    that name one blank, raise BadHeader: marked, every student would get 0 points."""
    blanks = key.blanks(columns)
    if not any(blanks.values()):  # name,version alone too: the blanks' columns lost in a copy
        labels = [a["label"] for a in key.answers]
        given = [c for c in columns if c]
        which = f"no column of the header names a blank of this sheet: {_listed(given)}" \
            if given else "the header has no column for a blank, only name and version"
        raise BadHeader(f"line 1: {which} (its labels are {labels[0]} to {labels[-1]}, as "
                        f"in ({labels[0]}), or the names check reads, such as "
                        f"{key.answers[0]['name']})")
    named = Counter(b for b in blanks.values() if b)
    twice = sorted(b for b, n in named.items() if n > 1)
    if twice:
        both = [c for c in columns if blanks[c] == twice[0]]
        raise BadHeader(f"line 1: the columns {_listed(both)} both name blank ({twice[0]})")
    return blanks


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _mark(key: check.Key, row: Row, credit: tuple[float, float], worth: dict[str, float],
          others: dict | None = None) -> Student:
    given, problems = {}, []
    for label, text in row.answers.items():
        if not text or label not in key.by_label:  # an unknown column: said once, above
            continue
        try:
            given[label] = check.parse_number(text)
        except check.AnswerError as exc:
            problems.append(f"line {row.line}: {row.name}: ({label}) {exc}; marked missing")
    marks = check.mark(key, given, others)
    return Student(row, marks, sum(worth[m.label] * share(m.verdict, *credit) for m in marks),
                   problems, key)


def share(verdict: str, carried_forward: float, rounded: float = 0.5) -> float:
    """The part of a blank's points a verdict earns."""
    return {"correct": 1.0, "carried_forward": carried_forward,
            "too_few_decimals": rounded}.get(verdict, 0.0)


def earned(book: Gradebook, m: scheme.Mark) -> float:
    """The points a mark earns in this gradebook."""
    return book.marks[m.label] * share(m.verdict, book.carried_forward, book.rounded)


def text_cell(text: str) -> str:
    """A cell of text (a name, a label) that no spreadsheet reads as a formula, whichever of
    ',', ';' or tab it splits on: a formula at the start, or after any of the three, gets an
    apostrophe, which spreadsheets show as text. A NUL is left out (LibreOffice drops one and
    runs the formula after it), a formula behind leading controls or spaces is one too, and
    other control characters (an escape sequence for whoever cats the file) are shown as \ufffd.

    >>> print(text_cell('=HYPERLINK("http://x/")'), text_cell("-2+3"), text_cell("Zoë Adams"))
    '=HYPERLINK("http://x/") '-2+3 Zoë Adams
    >>> print(text_cell("Bob;=2+2"), text_cell("Adams, Zoë"))
    Bob;'=2+2 Adams, Zoë
    """
    text = _CONTROLS.sub("\ufffd", text.replace("\x00", ""))
    text = _SEPARATED_FORMULA.sub(lambda m: m.group(1) + "'" + m.group(2), text)
    return "'" + text if _starts_formula(text) else text


_BLANKS = "".join(map(chr, range(33))) + "\x7f\u00a0\u3000\ufeff"
_CONTROLS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# a separator, then what a spreadsheet strips, then a formula's first character
_SIGNS = "=+\\-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b"  # and their wide forms
_SEPARATED_FORMULA = re.compile("([,;\t\r\n][" + re.escape(_BLANKS) + "]*)([" + _SIGNS + "])")


def _starts_formula(text: str) -> bool:
    # a full-width ＝ (or the small ﹦) is one as an East Asian input method types it
    folded = unicodedata.normalize("NFKC", text[:64])
    return any(t.startswith(FORMULA_STARTS) or t.lstrip(_BLANKS).startswith(FORMULA_STARTS)
               for t in (text, folded))


BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only with it: "Zoë" is "ZoÃ«" without


def _csv(rows: list[list], delimiter: str) -> str:
    """RFC 4180 rows after a byte-order mark, a cell quoted when it holds any of the three
    separators (not only this file's): a spreadsheet that splits on another one still keeps
    it one cell."""
    def cell(value) -> str:
        text = str(value)
        if any(c in text for c in ',;\t\r\n"'):
            return '"' + text.replace('"', '""') + '"'
        return text
    return BOM + "".join(delimiter.join(map(cell, row)) + "\r\n" for row in rows)


def gradebook_csv(book: Gradebook, delimiter: str = ",") -> str:
    """In the answers' own dialect: with semicolons, numbers get a decimal comma (as the
    spreadsheet that saved them writes them)."""
    comma = (lambda x: x.replace(".", ",")) if delimiter == ";" else (lambda x: x)  # noqa: E731
    rows = [["name", "version", *map(text_cell, book.labels), "total", "percent"]]
    for s in book.students:
        points = [comma(f"{earned(book, m):g}") for m in s.marks]
        version = "" if s.row.version is None else s.row.version
        rows.append([text_cell(s.row.name), version, *points,
                     comma(f"{s.points:g}"), comma(f"{100 * s.points / book.total:.1f}")])
    return _csv(rows, delimiter)


def counts(book: Gradebook) -> dict[str, Counter]:
    """Per label: how many of each verdict, and of each diagnosis."""
    tally = {label: Counter() for label in book.labels}
    for s in book.students:
        for m in s.marks:
            tally[m.label][m.verdict] += 1
            if m.diagnosis:
                tally[m.label][m.diagnosis] += 1
    return tally


def summary_csv(book: Gradebook, delimiter: str = ",") -> str:
    """Per blank, how many of each verdict and of each mistake the sheet's network can make
    (a dense sheet's summary has no kernel_flipped column) or someone made."""
    tally = counts(book)
    possible = {rule["diagnosis"] for s in book.students if s.key is not None
                for blank in s.key.scheme.get("blanks", []) for rule in blank.get("mistakes", [])}
    made = {d for t in tally.values() for d in t}
    diagnoses = [d for d in check.MISTAKES if d not in check.VERDICTS
                 and (d in possible or d in made or d == "cut_off")]
    rows = [["label", "name", *check.VERDICTS, *diagnoses]]
    for label in book.labels:
        t = tally[label]
        rows.append([text_cell(label), text_cell(book.names[label]),
                     *(t[v] for v in check.VERDICTS), *(t[d] for d in diagnoses)])
    return _csv(rows, delimiter)


def summary_text(book: Gradebook, shown: dict[str, str] | None = None) -> str:
    """The class in a few lines: the mean, then each mistake that several students made, its
    blank's quantity as the sheet prints it (`shown`, label -> ∂J/∂outₒ₁) and its words."""
    shown = shown or {}
    n = len(book.students)
    if not n:
        return "no student could be marked"
    mean = sum(s.points for s in book.students) / n
    lines = [f"{_count(n, 'student')} marked; mean {mean:.1f} of {book.total:g} points "
             f"({100 * mean / book.total:.0f} %)"]
    found, several = [], max(2, n // 10)
    for label, t in counts(book).items():
        for diagnosis in check.MISTAKES:  # too_few_decimals is a verdict: counted as one
            if t[diagnosis] >= several:
                name = shown.get(label, book.names[label])
                found.append((t[diagnosis], f"  {t[diagnosis]} of {n}: ({label}) {name}: "
                              f"{check.MISTAKES[diagnosis]}"))
    lines += [text for _, text in sorted(found, key=lambda f: -f[0])] or [
        f"  no mistake was made by {several} or more students"]
    return "\n".join(lines)
