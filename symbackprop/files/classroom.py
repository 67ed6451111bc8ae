"""The `mark` command's file side: a folder of keys and a spreadsheet of answers in; a gradebook,
a summary and a feedback page per student out (all or nothing, as `build` writes)."""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from pathlib import Path

from ..definitions.errors import DefinitionError, UsageError, one_line
from ..definitions.yamlfile import Unreadable, read_text
from ..formats import feedback
from ..marking import gradebook, keys
from . import previous
from .output import Output, shown

MAX_KEYS = 501  # a class set of 500 versions, or one unnumbered sheet
ANSWERS_BYTES = 8 * 2**20  # 10,000 students' rows fit many times over
# students × the parts of a key's scheme: about a microsecond each, so at most ten minutes
# (10,000 students of a bundled class set are 44 million)
MAX_MARKING_WORK = 500_000_000


def main(args) -> int:
    book_keys = read_keys(args.keydir)
    try:
        text = read_text(args.answers, ANSWERS_BYTES)
    except Unreadable as exc:
        raise UsageError(f"{args.answers}: cannot read the answers ({exc})") from None
    try:
        rows, problems = gradebook.read_rows(text)
    except gradebook.BadHeader as exc:
        raise UsageError(f"{args.answers}: {exc}") from None
    work = len(rows) * max(k.nodes for k in book_keys.values())
    if work > MAX_MARKING_WORK:
        raise UsageError(f"{args.answers}: {len(rows):,} students against keys of "
                         f"{work // len(rows):,} parts each is more marking than one run does "
                         f"(at most {MAX_MARKING_WORK:,} students × parts); mark the class in "
                         "smaller spreadsheets")
    book = gradebook.mark_class(book_keys, rows, args.points_carried_forward,
                                args.points_rounded)
    problems = sorted(problems + book.problems, key=_line_number)
    if not book.students:  # one refusal, naming the first reason
        more = f" (and {len(problems) - 1:,} more problems)" if len(problems) > 1 else ""
        why = f": {problems[0]}{more}" if problems else ""
        raise UsageError(f"{args.answers}: no student could be marked{why}")
    for problem in problems:
        print(f"symbackprop: {one_line(args.answers)}: {one_line(problem, 1000)}",
              file=sys.stderr)
    with Output(args.out) as out:
        dialect = gradebook.delimiter_of(text)  # written back as the spreadsheet saved it
        out.write("gradebook.csv", gradebook.gradebook_csv(book, dialect))
        out.write("summary.csv", gradebook.summary_csv(book, dialect))
        for i, student in enumerate(book.students, start=1):
            out.write(feedback_name(i, student.row.name), feedback.student_page(book, student))
        stale = earlier_marks(out.folder, out.stage)
        out.commit(stale)
    print(gradebook.summary_text(book))
    replaced = f"; removed {len(stale)} file{'s' if len(stale) > 1 else ''} of an earlier " \
        "marking" if stale else ""
    print(f"wrote gradebook.csv, summary.csv and {len(book.students)} feedback pages to "
          f"{shown(out.folder)}/{replaced}")
    return 0


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
        if key.version in found:
            raise UsageError(f"{folder}: {where[key.version].name} and {file.name} are both keys "
                             f"for version {key.version}; give the folder of one class set")
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


def feedback_name(number: int, name: str) -> str:
    """'007-zoe-adams.html': sorted as the rows were, safe in any file system and mail merge."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()  # Zoë: zoe
    safe = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:40] or "student"
    return f"feedback-{number:03d}-{safe}.html"
