"""What a teacher prints: a backpropagation worksheet's `print:` key, read strictly.

The header (institution, course, date, instructions, a student-number field), the working space
under each section, where the proofs go, whether a class set is made for duplex printing, and
whether each blank's points stand in the margin. Every text is checked as a title is
(printable.check), so that pdflatex prints it and the drivers escape it; the build command line
overrides the options that change from one build to the next (build --date, --proofs,
--working-space, --simplex).

>>> from symbackprop.definitions.reader import Reader
>>> p = read({"course": "COMP 3611", "working_space": {"lines": 4}, "proofs": "key"},
...          Reader("w.yaml"))
>>> p.header.course, p.working_space, p.proofs, p.duplex
('COMP 3611', ('lines', 4.0), 'key', True)
>>> read({"working_space": {"box": 40}}, Reader("w.yaml"))  # doctest: +ELLIPSIS
Traceback (most recent call last):
symbackprop.definitions.errors.DefinitionError: w.yaml: print.working_space.box: must be ...
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from . import printable
from .yamlfile import plain_number

PROOF_PLACES = ("worksheet", "key", "none")
MAX_HEADER = 120  # characters of one header line (institution, course, date)
MAX_INSTRUCTIONS = 1000  # characters: a paragraph
MAX_LINES, MAX_BOX = 30, 25.0  # lines of working space, or a box's height in cm: a page


@dataclass(frozen=True)
class Header:
    institution: str = ""
    course: str = ""
    date: str = ""
    instructions: str = ""
    student_number: bool = False  # a field for it beside the name

    @property
    def given(self) -> bool:
        return bool(self.institution or self.course or self.date)


@dataclass(frozen=True)
class PrintSetup:
    header: Header = field(default_factory=Header)
    working_space: tuple[str, float] | None = None  # ("lines", 4.0) or ("box", 5.0) cm
    proofs: str | None = None  # worksheet | key | none; None: the default (see proofs_on)
    duplex: bool = True  # a class set: every version starts on an odd page
    points: bool = True  # each blank's points in the margin, the total in the header

    def proofs_on(self, key: bool, class_set: bool) -> bool:
        """Whether a worksheet (key=False) or a key prints the proofs. By default a single
        sheet carries them (a student working alone learns the rules from them) and a class
        set's keys only: on a test, a proof of σ′ = σ(1 − σ) gives the answer to half of a
        chain away, and it doubles the pages a class prints."""
        place = self.proofs or ("key" if class_set else "worksheet")
        return place == "worksheet" or (place == "key" and key)


def read(value, reader) -> PrintSetup:
    """The `print:` mapping, each refusal naming its key (print.header, ...)."""
    top = reader.mapping(value, "print", (
        "institution", "course", "date", "instructions", "student_number", "working_space",
        "proofs", "duplex", "points"))
    header = Header(**{k: text(top[k], f"print.{k}", reader) for k in (
        "institution", "course", "date", "instructions") if k in top},
        student_number=flag(top, "student_number", False, reader))
    return PrintSetup(
        header=header,
        working_space=working_space(top["working_space"], "print.working_space", reader)
        if "working_space" in top else None,
        proofs=reader.choice(top["proofs"], "print.proofs", PROOF_PLACES)
        if "proofs" in top else None,
        duplex=flag(top, "duplex", True, reader), points=flag(top, "points", True, reader))


def text(value, key: str, reader) -> str:
    """One line of the header (or the instructions' paragraph) that pdflatex can print."""
    limit = MAX_INSTRUCTIONS if key.endswith("instructions") else MAX_HEADER
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key.endswith("date"):
        value = str(value)  # date: 2026 is a year
    if isinstance(value, datetime.date) and key.endswith("date"):
        value = value.isoformat()  # date: 2026-12-08, which YAML reads as a date, as written
    if not isinstance(value, str) or not value.strip():
        reader.fail(key, f"must be non-empty text, got {reader.show(value)}")
    if len(value) > limit:
        reader.fail(key, f"has {len(value):,} characters; at most {limit} fit the header")
    if any(ch in value for ch in "\n\r\v\f\u2028\u2029") and not key.endswith("instructions"):
        reader.fail(key, "must be one line")
    try:
        printable.check(value)
    except printable.UnprintableText as exc:
        reader.fail(key, str(exc))
    return printable.normal(value).strip()


def flag(top: dict, key: str, default: bool, reader) -> bool:
    value = top.get(key, default)
    if not isinstance(value, bool):
        reader.fail(f"print.{key}", f"must be true or false, got {reader.show(value)}")
    return value


def working_space(value, key: str, reader) -> tuple[str, float] | None:
    """`none`, `{lines: N}` (ruled lines, 0.8 cm apart) or `{box: H}` (a frame H cm high)."""
    if value == "none":
        return None
    spec = reader.mapping(value, key, ("lines", "box"))
    if len(spec) != 1:
        reader.fail(key, "must be none, {lines: N} or {box: H} (centimetres), "
                    f"got {reader.show(value)}")
    kind, size = next(iter(spec.items()))
    if kind == "lines":
        return ("lines", float(reader.whole(size, f"{key}.lines", 1, MAX_LINES)))
    height = reader.number(size, f"{key}.box")
    if not 0.5 <= height <= MAX_BOX:
        reader.fail(f"{key}.box", f"must be a height from 0.5 to {MAX_BOX:g} cm, got {height:g}")
    return ("box", height)


def from_command_line(setup: PrintSetup, args, reader) -> PrintSetup:
    """The options a build gives (--date, --proofs, --working-space, --simplex) over the
    definition's."""
    header = setup.header
    if getattr(args, "date", None) is not None:
        header = replace(header, date=text(args.date, "--date", reader))
    changes = {"header": header}
    if getattr(args, "proofs", None) is not None:
        changes["proofs"] = args.proofs
    if getattr(args, "working_space", None) is not None:
        changes["working_space"] = working_space(
            _spec(args.working_space), "--working-space", reader)
    if getattr(args, "simplex", False):
        changes["duplex"] = False
    return replace(setup, **changes)


def _spec(option: str):
    """--working-space lines:4 | box:5 | none, as the definition's mapping."""
    kind, colon, size = option.partition(":")
    if not colon:
        return option
    number = plain_number(size)  # as the definition's YAML reads it: never '1_0' or a '৪'
    return {kind.strip(): size if number is None else number}
