"""The `mark` command's file side: a folder of keys and a spreadsheet of answers in; a gradebook,
a summary and a feedback page per student out (all or nothing, as `build` writes)."""

from __future__ import annotations

import os
import re
import signal
import sys
import unicodedata
from pathlib import Path

from anyascii import anyascii

from ..definitions.errors import DefinitionError, UsageError, one_line
from ..definitions.yamlfile import Unreadable, read_text
from ..formats import feedback
from ..marking import gradebook, keys
from . import previous
from .output import Interrupted, Output, shown, signals_as_interrupts
from .writing import count

MAX_KEYS = 501  # a class set of 500 versions, or one unnumbered sheet
ANSWERS_BYTES = 8 * 2**20  # 10,000 students' rows fit many times over
# students × the parts of a key's scheme: about a microsecond each, so at most ten minutes
# (10,000 students of a bundled class set are 44 million)
MAX_MARKING_WORK = 500_000_000
# what the feedback pages copy of the keys' working and title, all pages together: 10,000
# students of a bundled class set are 150 million
MAX_FEEDBACK_CHARS = 2_000_000_000


def main(args) -> int:
    book_keys = read_keys(args.keydir)
    try:
        text = read_text(args.answers, ANSWERS_BYTES)
    except Unreadable as exc:
        raise UsageError(f"{args.answers}: cannot read the answers ({exc})") from None
    try:
        rows, problems = gradebook.read_rows(text)
        _check_size(args.answers, len(rows), book_keys)
        book = gradebook.mark_class(book_keys, rows, args.points_carried_forward,
                                    args.points_rounded)  # the header read against the keys
    except gradebook.BadHeader as exc:
        raise UsageError(f"{args.answers}: {exc}") from None
    problems = sorted(problems + book.problems, key=_line_number)
    if not book.students:  # one refusal, naming the first reason
        more = f" (and {count(len(problems) - 1, 'more problem')})" if len(problems) > 1 else ""
        why = f": {problems[0]}{more}" if problems else ""
        raise UsageError(f"{args.answers}: no student could be marked{why}")
    out = Output(args.out, "marking")
    try:
        with signals_as_interrupts() as caught, out:
            for problem in problems:  # once the folder is known to take the marking
                print(f"symbackprop: {one_line(args.answers)}: {one_line(problem, 1000)}",
                      file=sys.stderr)
            stale = _write(out, book, gradebook.delimiter_of(text))
            if caught:  # raised, but swallowed on the way out
                raise Interrupted(caught[0])
            out.commit(stale)
    except Interrupted as exc:
        done = "its files were all written" if out.committed else "nothing was written"
        print(f"symbackprop: {shown(args.out)}: marking stopped by "
              f"{signal.Signals(exc.signum).name}; {done}", file=sys.stderr)
        return 128 + exc.signum
    print(gradebook.summary_text(book, _shown(book)))
    replaced = f"; removed {len(stale)} file{'s' if len(stale) > 1 else ''} of an earlier " \
        "marking" if stale else ""
    print(f"wrote gradebook.csv, summary.csv and {count(len(book.students), 'feedback page')} to "
          f"{shown(out.folder)}/{replaced}")
    return 0


def _check_size(answers: str, students: int, book_keys: dict) -> None:
    """The marking's work and what its pages copy from the keys, bounded before any of it."""
    work = students * max(k.nodes for k in book_keys.values())
    if work > MAX_MARKING_WORK:
        raise UsageError(f"{answers}: {students:,} students against keys of "
                         f"{work // students:,} parts each is more marking than one run does "
                         f"(at most {MAX_MARKING_WORK:,} students × parts); mark the class in "
                         "smaller spreadsheets")
    page = max(k.copied for k in book_keys.values())
    if students * page > MAX_FEEDBACK_CHARS:
        raise UsageError(f"{answers}: {students:,} feedback pages, each copying "
                         f"{page:,} characters of its key's working, are more than one "
                         f"marking writes (at most {MAX_FEEDBACK_CHARS:,}); mark the class in "
                         "smaller spreadsheets")


def _write(out: Output, book, dialect: str) -> list[str]:
    """The gradebook, the summary and the pages into the staging folder; the earlier
    marking's files this one replaces."""
    out.write("gradebook.csv", gradebook.gradebook_csv(book, dialect))  # as it was saved
    out.write("summary.csv", gradebook.summary_csv(book, dialect))
    width = max(3, len(str(len(book.students))))
    for i, student in enumerate(book.students, start=1):
        out.write(feedback_name(i, student.row.name, width), feedback.student_page(book, student))
    return earlier_marks(out.folder, out.stage)


_MARKING = re.compile(r"gradebook\.csv|summary\.csv|feedback-[0-9]{3,}-[a-z0-9-]+\.html")


def earlier_marks(folder: Path, stage: Path) -> list[str]:
    """The files of an earlier marking into the same folder that this one does not write
    again (a class of 30 marked again as 29 leaves no thirtieth feedback page behind)."""
    written = {p.name for p in stage.iterdir()}
    return sorted(name for name in os.listdir(folder) if _MARKING.fullmatch(name)
                  and name not in written and (folder / name).is_file())


def _line_number(problem: str) -> int:
    """'line 14: ...' sorts by 14, so the teacher reads the spreadsheet's problems in its order."""
    found = re.match(r"line ([0-9]+):", problem)
    return int(found.group(1)) if found else 0


def read_keys(folder: str) -> dict:
    """Every *-key.json in the folder, by version; two keys for one version are refused."""
    path = Path(folder)
    if not path.is_dir():
        raise UsageError(f"{folder}: not a folder of keys (the --out folder of 'symbackprop "
                         "build')")
    files = sorted(path.glob("*-key.json"))[:MAX_KEYS + 1]
    if not files:
        raise UsageError(f"{folder}: holds no *-key.json files")
    if len(files) > MAX_KEYS:
        raise UsageError(f"{folder}: more than {MAX_KEYS} keys; give the folder of one class set")
    found, where = {}, {}
    for file in files:
        try:
            key = keys.read(str(file))
        except DefinitionError as exc:
            raise UsageError(str(exc)) from None
        if key.version in found:  # a sheet without versions has version None: said in words
            which = "the same sheet (one without versions); keep one of them in the folder" \
                if key.version is None else \
                f"version {key.version}; give the folder of one class set"
            raise UsageError(f"{folder}: {where[key.version].name} and {file.name} are both keys "
                             f"for {which}")
        found[key.version], where[key.version] = key, file
    labels = {tuple(a["label"] for a in k.answers) for k in found.values()}
    if len(labels) > 1:
        raise UsageError(f"{folder}: its keys are for different sheets (their blanks differ); "
                         "give the folder of one class set")
    sets = {}
    for version, key in found.items():  # one sheet: versions share seed and definition
        sets.setdefault(previous.set_of({"definition": key.definition, "seed": key.seed}),
                        where[version].name)
    if len(sets) > 1:
        a, b = list(sets.values())[:2]
        raise UsageError(f"{folder}: {a} and {b} are keys of different sheets (another seed "
                         "or definition); give the folder of one class set")
    return found


def feedback_name(number: int, name: str, width: int = 3) -> str:
    """'feedback-007-zoe-adams.html': sorted as the rows were (numbered as wide as the class
    needs), safe in any file system and mail merge.

    >>> feedback_name(7, "Zoë Adams"), feedback_name(12, "Søren Łukasz Strauß", 4)
    ('feedback-007-zoe-adams.html', 'feedback-0012-soren-lukasz-strauss.html')
    >>> feedback_name(3, "Σωκράτης Παπαδόπουλος"), feedback_name(4, "Жанна Ёлкина")
    ('feedback-003-sokratis-papadopoylos.html', 'feedback-004-zhanna-elkina.html')
    """
    plain = anyascii(unicodedata.normalize("NFC", name))  # every script, letter by letter
    safe = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:40] or "student"
    return f"feedback-{number:0{width}d}-{safe}.html"


def _shown(book) -> dict[str, str]:
    """Each blank's quantity as the sheets print it (every version names its blanks alike)."""
    from ..formats.markwords import quantities

    key = next((s.key for s in book.students if s.key is not None), None)
    return quantities(key)[0] if key is not None else {}
