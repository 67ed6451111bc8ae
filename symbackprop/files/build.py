"""The `build` command's file side: write .tex and key.json files, compile PDFs in parallel.

Kept beside cli.py (the only other module, with pdf.py, that touches files) so that cli.py stays
a list of commands.

A build is all or nothing. Its files are made in a hidden staging folder inside --out and moved
into place only when every one is made, so a failure, a full disk, Ctrl-C, SIGTERM or SIGHUP
leaves --out as it was (a failed LaTeX run keeps only its log). The folder is locked for the
whole build, so two builds never mix their PDFs and keys (output.py).

A big set is built in parts, on one machine or many: `--first-version K --versions N` makes
versions K to K+N-1 with the bytes one build of the whole set gives them (.tex, key.json, PDFs),
because a version depends only on (seed, K+i), takes roster line K+i, and is named with its own
number padded to the digits of the set's last version. The set's size is what every part knows
alike: `versions:` in the definition, else the roster's length (a part needs one of them). Only
the class-set PDF of a part is its own: <name>-class-set-v0101-v0200.pdf.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from ..definitions import definition
from ..definitions.definition import MAX_BUILD_VERSIONS
from ..engine.sample import NoGoodDraw, seed_of
from ..formats import latex, pdf
from . import classset, previous, writing
from .output import (
    STOPPING,
    BuildError,
    Interrupted,
    Output,
    progress,
    reason,
    shown,
    signals_as_interrupts,
    signals_blocked,
)

PARALLEL_VERSIONS = 40  # from this many versions on, they are made on every core
ROSTER_BYTES = 2**23  # a roster of 100,000 students with long names
MAX_NAME = 100  # characters of one student's name


def sheet_stem(file: str) -> str:
    """The name every file of the sheet is given, the definition file's: it goes into file
    names, a Moodle category and its XML, a SCORM package and the terminal's lines, so it is
    text those can hold. A control character (an escape sequence), a byte that is not UTF-8
    (a Latin-1 or CP437 name, which Python holds as a surrogate), a noncharacter such as
    U+FFFF, or a bidi override (which turns the name around where it is shown) is refused.

    >>> sheet_stem("worksheets/blog-2-2-2.yaml"), sheet_stem("Übung 3 (Müller).yaml")
    ('blog-2-2-2', 'Übung 3 (Müller)')
    """
    stem = Path(file).stem
    for ch in stem:
        if _unfit_for_a_name(ch):
            what = (f"the byte \\x{ord(ch) - 0xDC00:02x}, which is not UTF-8"
                    if unicodedata.category(ch) == "Cs" else f"U+{ord(ch):04X}"
                    + (f" {unicodedata.name(ch)}" if unicodedata.name(ch, "") else ""))
            raise BuildError(f"{shown(file)}: the file's name holds {what}; the sheet's file "
                             "names, Moodle's XML and a terminal cannot carry it as it is: "
                             "rename the file")
    return stem


def _unfit_for_a_name(ch: str) -> bool:
    code = ord(ch)
    return (unicodedata.category(ch) in ("Cc", "Cs") or 0xFDD0 <= code <= 0xFDEF
            or code & 0xFFFE == 0xFFFE or 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069)


def main(args) -> int:
    only_for_scorm(args)
    sheet_stem(args.file)
    defn = definition.load(args.file)
    if getattr(args, "language", None) is not None:  # over the definition's (build --language)
        defn = definition.in_language(defn, args.language)
    if isinstance(defn, definition.Lesson):
        return lesson(defn, args)
    if defn.layered and defn.form == "matrix":  # a convolution's page of shapes
        return shapes(defn, args)
    try:
        classset.check_printable(defn)
    except classset.NotBuiltYet as exc:
        raise BuildError(str(exc)) from None
    except ValueError as exc:
        if defn.form == "matrix":
            return shapes(defn, args)
        raise BuildError(str(exc)) from None
    roster = read_roster(args.roster) if args.roster else None
    first, count, size = versions_asked(defn, args, roster)
    seed_of(defn, args.seed)
    defn = with_print_options(defn, args, sheet_kind(defn), class_set=bool(count))
    name = Path(args.file).stem

    def make() -> Iterator[classset.Version]:
        shown_count = f"versions {first} to {first + count - 1}" if count else "one version"
        progress(f"deriving and verifying {shown_count} of {name} ...")
        width = classset.number_width(size or first + (count or 1) - 1)
        try:
            with _workers(count or 1, args.jobs) as mapper:
                yield from classset.generate(defn, name, count, args.seed, roster, first=first,
                                             width=width, map=mapper)
        except (ValueError, NoGoodDraw) as exc:
            raise BuildError(str(exc)) from None
        except latex.UnprintableText as exc:
            raise BuildError(f"{args.roster or args.file}: {exc}") from None

    # the whole set: one unnumbered sheet, or every version from the first (not a part), or a
    # roster's: the whole class, whatever the definition's versions
    whole = first == 1 and (count is None or size is None or count == size
                            or (roster is not None and args.first_version is None))
    return run(make, args, name, with_class_set=bool(count), whole_set=whole)


def only_for_scorm(args) -> None:
    """--pass-mark goes into a SCORM package and nowhere else: refused without one."""
    formats = args.format or ["pdf"]
    if getattr(args, "pass_mark", None) is not None and not set(formats) & set(writing.SCORM):
        raise BuildError(f"--pass-mark: is for a SCORM package (--format scorm or scorm2004); "
                         f"this build makes {', '.join(dict.fromkeys(formats))}")


def sheet_kind(defn: definition.Definition) -> str:
    """Which worksheet a definition makes, as printing.TAKEN names it."""
    if defn.layered:
        return "convolution"
    return "backpropagation" if defn.optimizer.plain else "optimizer"


def with_print_options(defn, args, kind: str, sheet: str = "",
                       class_set: bool = False) -> definition.Definition:
    """The definition's print: setup with the build's --date, --proofs, --working-space and
    --simplex over it; what a sheet of `kind` (`sheet` in words, for a kind that takes none of
    them) would print nowhere, or the build's formats (a class set's PDF, with `class_set`),
    refused by name, in one place for every kind."""
    from dataclasses import replace

    from ..definitions import printing
    from ..definitions.reader import Reader

    setup = getattr(defn, "printing", printing.PrintSetup())  # a lesson has no print:
    said = sheet or f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} worksheet"
    printing.refuse_untaken(setup, args, kind, said, Reader(args.file),
                            args.format or ["pdf"], class_set)
    if kind not in printing.TAKEN:
        return defn
    setup = printing.from_command_line(setup, args, Reader("build"))
    return replace(defn, printing=setup) if setup != defn.printing else defn


@contextmanager
def _workers(count: int, jobs: int) -> Iterator:
    """A map over `jobs` processes for a big set (each version costs a tenth of a second of
    Python: 1,000 of them are minutes on one core), the plain map otherwise. The workers are
    forked (they start with everything imported), leave signals to this process, and are
    killed with it when the build is stopped.

    The pool's own code never sees a stop signal: it is made, waited on and ended with the
    signals blocked (its threads inherit that), and a pending Ctrl-C is let in only between two
    waits, in our code. A raise inside the pool's locks would leave it unable to end."""
    if count < PARALLEL_VERSIONS or jobs < 2 or "fork" not in mp.get_all_start_methods():
        yield map
        return
    with signals_blocked():
        pool = mp.get_context("fork").Pool(jobs, initializer=_worker_signals)
    try:
        yield partial(_mapped, pool)
    finally:
        with signals_blocked():
            pool.terminate()  # at once, whatever a worker is doing
            pool.join()


_WAITING = object()


def _mapped(pool, function, items) -> Iterator:
    """pool.imap, waited on in short steps with the stop signals blocked (one version a task:
    only imap's single-item iterator waits with a timeout)."""
    with signals_blocked():
        results = pool.imap(function, items)
    while True:
        with signals_blocked():
            try:
                item = results.next(timeout=0.2)
            except StopIteration:
                return
            except mp.TimeoutError:
                item = _WAITING
        # here, unblocked, a pending stop signal raises Interrupted
        if item is not _WAITING:
            yield item


def _worker_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the build, which stops us
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)  # forked with them blocked


def versions_asked(defn: definition.Definition, args, roster: list[str] | None
                   ) -> tuple[int, int | None, int | None]:
    """(first version, how many, size of the whole set or None) of this build.

    The set's size is the definition's `versions:`, else the roster's length: what every part
    of a set knows alike, so that version numbers are padded alike (v0007 in every part of a
    1,000-version set). Version v is printed with line v of the roster."""
    first = getattr(args, "first_version", None)
    size = defn.versions if defn.versions is not None else len(roster) if roster else None
    if first is not None and size is None:
        raise BuildError(f"{args.file}: --first-version: a build of part of a set needs the "
                         "size of the whole set, so that every part names its files alike; "
                         "give it as versions: N in the definition (or a --roster of the class)")
    start = first or 1
    count = args.versions
    if count is None and size is not None:
        count = size - start + 1
        if count < 1:
            raise BuildError(f"{args.file}: --first-version {start}: the set has versions 1 "
                             f"to {size}")
    last = start + (count or 1) - 1
    if size is not None and last > size:
        raise BuildError(f"{args.file}: versions {start} to {last}: the set has versions 1 to "
                         f"{size}")
    if roster and first is None and count != len(roster) and args.versions is None:
        raise BuildError(f"{args.roster}: {len(roster)} names for the {count} versions of "
                         f"{args.file} (its versions:); give --versions {len(roster)} for the "
                         f"first {len(roster)} of them, or one name a version")
    if roster and first is None and count != len(roster):
        raise BuildError(f"{args.roster}: {len(roster)} names for {count} versions; give as "
                         "many names as versions (or leave out --versions)")
    if roster and last > len(roster):
        raise BuildError(f"{args.roster}: {len(roster)} names for versions {start} to {last}; "
                         "give the roster of the whole class, one name a version")
    if count is not None and count > MAX_BUILD_VERSIONS:
        raise BuildError(f"{args.file}: {count:,} versions are more than one build makes (at "
                         f"most {MAX_BUILD_VERSIONS:,}); build the set in parts with "
                         "--first-version K --versions N")
    return first or 1, count, size


def lesson(defn: definition.Lesson, args) -> int:
    """One of seed 000's pages: a worksheet and its key, no versions."""
    from ..formats import lesson_tex
    from ..sheets import lessons

    if args.versions or args.roster or args.first_version:
        raise BuildError(f"{args.file}: a {defn.kind} worksheet has no versions or roster")
    with_print_options(defn, args, "lesson", f"a {defn.kind} lesson")

    def make() -> list[classset.Version]:
        sheet = lessons.build(defn)
        return [classset.Version(Path(args.file).stem, lesson_tex.lesson_document(sheet, key=False),
                                 lesson_tex.lesson_document(sheet, key=True),
                                 lessons.key_json(defn, sheet), sheet)]

    return run(make, args, Path(args.file).stem, with_class_set=False)


def shapes(defn: definition.Definition, args) -> int:
    """A network too big to work by hand, in matrix form: one page of its equations with every
    matrix's shape and no numbers (<name>-shapes.pdf), a picture of where each matrix goes."""
    from ..engine import matrixform
    from ..formats import lesson_tex
    from ..sheets import shapes as page

    with_print_options(defn, args, "shapes", "a page of shapes")
    formats = set(args.format or ["pdf"])
    if args.versions or args.roster or args.first_version or formats - {"pdf", "tex", "html"}:
        raise BuildError(f"{args.file}: network.layers: a network this big prints as one page "
                         "of its matrix equations' shapes (--format pdf or tex), with no "
                         "versions or roster")
    stem = Path(args.file).stem
    # a page of shapes has nothing to fill in: no practice page, and the line says so
    note = " (a page of shapes has no practice page)" if "html" in formats else ""

    def write(source: str, _args, out: Output, *_) -> tuple[int, str]:
        if not formats & {"pdf", "tex"}:
            raise BuildError(f"{args.file}: a network this big prints as one page of its "
                             "matrix equations' shapes: ask for --format pdf or tex")
        path = out.write(f"{stem}-shapes.tex", source)
        if "pdf" not in formats or not pdf.available():
            return int("pdf" in formats), "1 .tex file" + note
        try:
            writing.compile_all(iter([([source], [path.with_suffix(".pdf")])]), 1, out)
        except pdf.LatexError as exc:  # its log kept in --out: the staging folder goes
            raise pdf.LatexError(exc.problem, out.keep(exc.log) if exc.log else None) from None
        return 0, "1 PDF, 1 .tex file" + note

    if defn.layered:  # its image drawn (given, or drawn from the seed), its maps' shapes
        from ..engine import convshapes
        from ..engine.sample import instance

        try:
            equations = convshapes.shapes(defn.network)
        except ValueError as exc:
            raise BuildError(f"{args.file}: network.layers: {exc}") from None
        image = instance(defn, args.seed).values.image[0]
        from ..formats import convpage

        return run(lambda: convpage.conv_shapes_document(page.convolution(defn, equations,
                                                                          image)),
                   args, stem, with_class_set=False, emitter=write)
    return run(lambda: lesson_tex.shapes_document(page.dense(defn,
                                                             matrixform.shapes(defn.network))),
               args, stem, with_class_set=False, emitter=write)


def run(make, args, name: str, with_class_set: bool, whole_set: bool = True,
        emitter=None) -> int:
    """Lock and stage --out, make the versions, write and compile them, then move them in,
    in place of an earlier build's files of sheet `name` that disagree with them
    (previous.py).

    A signal ends the build cleanly: one line, exit code 128 + its number (130 for Ctrl-C)."""
    out = Output(args.out)
    try:
        with signals_as_interrupts() as caught, out:
            code, wrote = (emitter or writing.emit)(make(), args, out, with_class_set, whole_set)
            if caught:  # raised, but swallowed by a library's bare `except:` on the way out
                raise Interrupted(caught[0])
            stale = previous.stale(out.folder, name, out.stage, whole_set)
            out.commit(stale)
            if stale:
                wrote += (f"; removed {writing.count(len(stale), 'file')} of an earlier build of "
                          f"{name} that this set does not hold ({stale[0]}"
                          f"{', ...' if len(stale) > 1 else ''})")
    except Interrupted as exc:
        done = "its files were all written" if out.committed else "nothing was written"
        print(f"symbackprop: {shown(args.out)}: build stopped by "
              f"{signal.Signals(exc.signum).name}; {done}", file=sys.stderr)
        return 128 + exc.signum
    if code:
        print(f"symbackprop: {pdf.INSTALL_HINT}; the .tex files are in {shown(out.folder)}/",
              file=sys.stderr)
    else:
        _say(f"wrote {wrote} to {shown(out.folder)}/", out.folder)
    return code


def _say(line: str, folder: Path) -> None:
    """The closing line on standard output, which may be a full disk (> /dev/full)."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        raise  # the reader went away: cli.main stops quietly
    except OSError as exc:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush
        raise BuildError(f"standard output: cannot write ({reason(exc)}); the build itself "
                         f"is complete in {shown(folder)}/") from None


def read_roster(path: str) -> list[str]:
    """One name a line: lines end at a newline (or CR LF, or a lone CR) only, so that a line
    separator or a vertical tab inside a name is judged as part of that name, never a new
    student."""
    try:
        text = definition.read_text(path, ROSTER_BYTES)  # Notepad's BOM taken off there
        lines = definition.lines_of(text)
    except definition.Unreadable as exc:
        raise BuildError(f"{path}: cannot read the roster ({exc})") from None
    lines = [definition.printable.normal(line) for line in lines]  # é typed as e + U+0301
    names = [line.strip() for line in lines if line.strip()]
    if not names:
        raise BuildError(f"{path}: the roster has no names")
    for number, line in enumerate(lines, start=1):
        if len(line.strip()) > MAX_NAME:
            raise BuildError(f"{path}: line {number}: a name of {len(line.strip()):,} "
                             f"characters; at most {MAX_NAME} fit the worksheet's name line")
        try:
            latex.text(line.strip())
        except latex.UnprintableText as exc:
            raise BuildError(f"{path}: line {number}: {exc}") from None
    return names


