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
from .yamlfile import Printed, plain_number

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
    if key.endswith("date"):
        value = date_as_typed(value, key, reader)
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


def date_as_typed(value, key: str, reader):
    """A date YAML read as something else, as the author typed it: `date: 2026` (a year) and
    `date: 2026-12-08` (a date, printed back in the same ISO form), and `date: 14.10` by the
    text a float keeps (yamlstrict.Printed: 14.10, not 14.1). A float without its text (from
    Python) or a date with a time would print otherwise than typed: refused, asked in quotes."""
    if isinstance(value, bool):
        return value  # refused by text() as no text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if isinstance(value, Printed):
            return value.text
        reader.fail(key, f"got the number {value!r}; write the date as text, in quotes")
    if isinstance(value, datetime.datetime):
        reader.fail(key, f"YAML reads {value.isoformat(sep=' ')} as a date and time, which "
                    "would not print as typed; write the date in quotes")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


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


# What each kind of sheet prints of print: and of build's options (README, "What a teacher
# prints"): the options of a kind not listed, or a key it does not take, are refused by name
# rather than read and dropped. An optimizer's steps follow no rule a proof is printed for.
KEYS = ("institution", "course", "date", "instructions", "student_number", "working_space",
        "proofs", "duplex", "points")
TAKEN = {"backpropagation": KEYS, "convolution": KEYS,
         "optimizer": tuple(k for k in KEYS if k != "proofs")}
OPTIONS = (("--date", "date"), ("--proofs", "proofs"), ("--working-space", "working_space"),
           ("--simplex", "duplex"))  # each build option, and the print: key it overrides


# Which --format prints each build option (a lesson's kind aside): the date in a worksheet's
# header and a practice page's course line (a SCORM package's pages too), the working space and
# a class set's blank pages on paper only; Moodle's questions print none of them.
PRINTED_BY = {"date": ("pdf", "tex", "html", "scorm", "scorm2004"),
              "proofs": ("pdf", "tex", "html", "scorm", "scorm2004"),
              "working_space": ("pdf", "tex"),
              "duplex": ("pdf",)}  # and only with a class set: its PDF of every version


def given(setup: PrintSetup) -> list[str]:
    """The print: keys set otherwise than by default, in KEYS' order."""
    default, header = PrintSetup(), setup.header
    changed = {k for k in KEYS[:5] if getattr(header, k) != getattr(default.header, k)}
    changed |= {k for k in KEYS[5:] if getattr(setup, k) != getattr(default, k)}
    return [k for k in KEYS if k in changed]


def refuse_untaken(setup: PrintSetup, args, kind: str, sheet: str, reader,
                   formats: list[str] | None = None, class_set: bool = False) -> None:
    """Refuse, naming the option or the key, what a sheet of `kind` (`sheet` in words: 'a
    loss_comparison lesson') would not print: a lesson or a page of shapes takes none of
    them, an optimizer's steps no proofs. With the build's `formats`, a build option none of
    them prints (PRINTED_BY) is refused too, and --simplex without a class set's PDF; a
    print: key stays, as the definition is built in other formats too."""
    taken = TAKEN.get(kind, ())
    options = [(option, key) for option, key in OPTIONS
               if getattr(args, option[2:].replace("-", "_"), None)]  # argparse's attribute
    for named, key in options + [(f"print.{key}", key) for key in given(setup)]:
        if key not in taken:
            takers = [k for k in TAKEN if key in TAKEN[k]]
            listed = " and ".join(filter(None, (", ".join(takers[:-1]), takers[-1])))
            what = "prints no proofs" if taken else "has no print options"
            reader.fail(named, f"is for {listed} worksheets; {sheet} {what}")
    if formats is None:
        return
    made = list(dict.fromkeys(formats))
    for named, key in options:
        if key == "duplex" and not (class_set and "pdf" in made):
            sheets = "a class set" if class_set else "one sheet"
            reader.fail(named, "is for a class set's PDF (--format pdf, with --versions N, a "
                        f"--roster or versions:); this build makes {sheets} as "
                        f"{', '.join(made)}")
        if not set(made) & set(PRINTED_BY[key]):
            reader.fail(named, f"is printed by --format {' or '.join(PRINTED_BY[key])} only; "
                        f"this build makes {', '.join(made)}")


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
