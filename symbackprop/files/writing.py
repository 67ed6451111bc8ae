"""What a build writes, version by version as each is made: its key.json, its .tex files and
the PDFs compiled from them (in parallel, while the next versions are derived), its practice
page, its Moodle questions, streamed into the set's XML file, and its page in the set's SCORM
package, streamed into the zip. Nothing of a version is kept
once it is written, so a build's memory does not grow with its versions (1,000 versions with
pages and both Moodle files kept 2.7 GB of sheets before).
"""

from __future__ import annotations

import json
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ..formats import pdf
from . import classset
from .output import BuildError, Output, bar, progress

SCORM = ("scorm", "scorm2004")


def emit(made, args, out: Output, with_class_set: bool,
         whole_set: bool = True) -> tuple[int, str]:
    """Write every version's key.json and the formats asked for: practice pages (html), .tex
    files (tex), the PDFs compiled from them (pdf, the default), Moodle XML (moodle,
    moodle-numerical), SCORM packages (scorm, scorm2004).

    Returns the exit code (1: no pdflatex, the .tex files only) and what was written."""
    formats = set(args.format or ["pdf"])
    made = iter(made)
    stems: list[str] = []
    texs: list[Path] = []
    duplex = [True]  # the sheets' print.duplex (build --simplex): blank pages between versions
    quizzes = [MoodleFile(kind, out) for kind in ("moodle", "moodle-numerical")
               if kind in formats]
    packages = [ScormPackage(kind, out, getattr(args, "pass_mark", None))
                for kind in SCORM if kind in formats]
    if packages and (getattr(args, "first_version", None) not in (None, 1)
                     or getattr(args, "roster", None)):
        raise BuildError(f"{args.file}: --format {packages[0].kind}: a SCORM package holds the "
                         "set's versions from the first and gives each learner one by their LMS "
                         "id, so it is built in one build"
                         + (", without a roster (its names would be on other learners' pages)"
                            if getattr(args, "roster", None) else
                            " (not a part, --first-version)"))

    def sources():
        """Each version's files, written as it is made; its compile jobs."""
        for v in made:
            stems.append(v.stem)
            duplex[0] = getattr(getattr(v.sheet, "printing", None), "duplex", True)
            if formats & {"pdf", "tex"}:
                sources = [v.worksheet_tex, v.key_tex]
                paths = [out.write(f"{v.stem}-{kind}.tex", source)
                         for kind, source in zip(("worksheet", "key"), sources)]
                texs.extend(paths)
                yield sources, [path.with_suffix(".pdf") for path in paths]
            out.write(f"{v.stem}-key.json", key_text(v.key))
            page = practice(v) if "html" in formats or packages else None
            if "html" in formats:
                out.write(f"{v.stem}-practice.html", page)
            for package in packages:
                package.add(v, page)
            for quiz in quizzes:
                quiz.add(v)

    compiling = "pdf" in formats and pdf.available()
    try:
        if compiling:
            compile_all(sources(), args.jobs, out)
        else:
            for _ in sources():
                pass
        if compiling and with_class_set:
            class_set(stems, out, whole_set, duplex[0])
    except pdf.LatexError as exc:
        kept = out.keep(exc.log) if exc.log else None
        raise pdf.LatexError(exc.problem, kept) from None
    finally:
        getattr(made, "close", lambda: None)()  # a stopped build ends its workers now
    written = [count(len(stems), "key.json file")]
    if "html" in formats:
        written.insert(0, count(len(stems), "practice page"))
    for quiz in quizzes:
        written.insert(0, quiz.finish())
    for package in packages:
        written.insert(0, package.finish())
    if not formats & {"pdf", "tex"}:
        return 0, ", ".join(written)
    written.insert(0, count(len(texs), ".tex file"))
    if not compiling:
        return int("pdf" in formats), ", ".join(written)
    return 0, ", ".join([count(len(texs) + 2 * with_class_set, "PDF"), *written])


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def practice(v: classset.Version) -> str:
    """A version's self-contained practice page (DIR/<stem>-practice.html)."""
    from ..formats import practice_page

    return practice_page(v.sheet, v.key["scheme"], v.student)


class ScormPackage:
    """DIR/<name>-scorm.zip (SCORM 1.2) or DIR/<name>-scorm2004.zip: every version's practice
    page, each written into the zip as it is made, then the launch page and the manifest
    (formats/scorm.py). The zip's entries carry a fixed date, so that one definition and seed
    give the same bytes."""

    PASS_MARK = 50.0  # percent, unless build --pass-mark says otherwise

    def __init__(self, kind: str, out: Output, pass_mark: float | None):
        from ..formats import scorm

        self.kind, self.out = kind, out
        self.standard = scorm.STANDARDS[kind]
        self.pass_mark = self.PASS_MARK if pass_mark is None else pass_mark
        self.versions: list[dict] = []
        self.language = "en"  # the sheets' (their launch page says its words in it)
        self.files: list[str] = []
        self.zip: zipfile.ZipFile | None = None

    def _put(self, name: str, text: str) -> None:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self.zip.writestr(info, text.encode("utf-8"), compresslevel=9)
        self.files.append(name)

    def add(self, v: classset.Version, page: str) -> None:
        from ..formats import scorm

        if self.zip is None:
            numbered = v.key.get("version") is not None
            self.name = set_name([v.stem]) if numbered else v.stem
            self.title = str(getattr(v.sheet, "title", "") or self.name)
            self.language = getattr(v.sheet, "language", "en")
            self.zip = zipfile.ZipFile(self.out.open(f".{self.kind}.zip", binary=True), "w")
        self._put(scorm.page_name(v.stem), scorm.scorm_page(page))
        self.versions.append({"stem": v.stem, "id": v.key["scheme"]["id"],
                              "title": f"{self.title} ({v.stem})"})

    def finish(self) -> str:
        """The package under its name; what it holds."""
        from ..formats import scorm

        self._put(scorm.LAUNCH, scorm.launch_page(self.title, self.versions, self.standard,
                                                  self.pass_mark, self.language))
        self._put(scorm.MANIFEST, scorm.manifest(self.name, self.title, self.files,
                                                 self.standard, self.pass_mark))
        handle = self.zip.fp
        self.zip.close()
        handle.close()
        stem = f"{self.name}-{self.kind}"
        self.out.rename(f".{self.kind}.zip", f"{stem}.zip")
        return (f"{stem}.zip (SCORM {self.standard}, {count(len(self.versions), 'version')}, "
                f"pass mark {self.pass_mark:g} %)")


class MoodleFile:
    """DIR/<name>-moodle.xml (every version as a Cloze question) or DIR/<name>-moodle-numerical
    .xml (a numerical question per blank), for Moodle's question bank (each kind in a category of
    its own: .../<name>/cloze, .../<name>/numerical), each version's questions
    appended as it is made; mistakes left out of a blank (inside its right answer's band) are
    listed in DIR/<name>-<kind>.log. A later part of a set (--first-version 101) writes
    <name>-<kind>-v101-v200.xml, its questions in the set's category, so that the parts
    can share a folder."""

    def __init__(self, kind: str, out: Output):
        from ..formats.moodle import Left

        self.kind, self.out = kind, out
        self.stems: list[str] = []
        self.left = Left()
        self.questions = 0
        self.handle = None

    def add(self, v: classset.Version) -> None:
        from ..formats import moodle

        if self.handle is None:
            numbered = v.key.get("version") is not None
            self.name = set_name([v.stem]) if numbered else v.stem
            self.part = numbered and v.key["version"] != 1
            self.handle = self.out.open(f".{self.kind}.xml")
            self.handle.write(moodle.quiz_start(self.name, numerical=self.kind != "moodle"))
        questions = moodle.version_questions(v, self.left, numerical=self.kind != "moodle")
        for question in questions:
            self.handle.write(question + "\n")
        self.questions += len(questions)
        self.stems.append(v.stem)

    def finish(self) -> str:
        """The file under its name (a part's with the versions it holds); what it holds."""
        from ..formats import moodle

        self.handle.write(moodle.quiz_end())
        self.handle.close()
        stem = f"{self.name}-{self.kind}" + (version_range(self.stems) if self.part else "")
        self.out.rename(f".{self.kind}.xml", f"{stem}.xml")
        left = self.left
        if left.out or left.kept:
            self.out.write(f"{stem}.log", "\n".join(left.log()) + "\n")
        inside = f"; {count(len(left.out), 'mistake')} of {len(left.out) + left.kept:,} " \
            f"inside a right answer's band, listed in {stem}.log" if left.out else ""
        return f"{stem}.xml ({count(self.questions, 'question')}{inside})"


def key_text(key: dict) -> str:
    """key.json: indented for a reader, but the marking scheme's trees on one line (indented,
    they would triple the file's size)."""
    rest = json.dumps({k: v for k, v in key.items() if k != "scheme"}, indent=2,
                      allow_nan=False)
    if "scheme" not in key:
        return rest + "\n"
    scheme = json.dumps(key["scheme"], separators=(",", ":"), allow_nan=False)
    return f'{rest[:-2]},\n  "scheme": {scheme}\n}}\n'


def set_name(stems: list[str]) -> str:
    """'class-set-2-2-2' of versions named 'class-set-2-2-2-v07'."""
    return stems[0].rsplit("-v", 1)[0]


def version_range(stems: list[str]) -> str:
    """'-v0101-v0200': the versions a part of a set holds, as its file names show them."""
    return f"-{stems[0].rsplit('-', 1)[1]}-{stems[-1].rsplit('-', 1)[1]}"


def compile_all(jobs, workers: int, out: Output) -> None:
    """Compile (sources, pdfs) jobs on `workers` threads, with a progress line: the sources of
    a job (a version's worksheet and key) are compiled in one TeX run when they can be. `jobs`
    may be a generator that makes them as it goes: each is compiling while the next is made."""
    done = total = 0
    pool = ThreadPoolExecutor(max_workers=workers)
    futures = {}
    try:
        for sources, targets in jobs:
            futures[pool.submit(pdf.compile_together, sources, targets,
                                processes=out.processes)] = targets
            total += len(targets)
        for future in as_completed(futures):
            future.result()  # raises the first LaTeX error
            done += len(futures[future])
            progress(bar(done, total, futures[future][-1].name), end="\r")
    except BaseException:
        out.processes.stop()  # no TeX outlives the build, and no new one starts
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # the killed runs end at once
    progress("")


def class_set(stems: list[str], out: Output, whole_set: bool = True,
              duplex: bool = True) -> list[Path]:
    """<name>-class-set.pdf, every version's worksheet, to print for the class, and
    <name>-class-set-keys.pdf, every key, for the teacher: one file of both would hand the
    answers out with the sheets. A part of a set built on many machines names its own,
    <name>-class-set-v0101-v0200.pdf, so that the parts can share a folder. For duplex
    printing (the default) a blank page follows each PDF of an odd number of pages, so that
    every worksheet and key starts on the front of a sheet of paper."""
    part = "" if whole_set else version_range(stems)
    made = []
    for kind, name in (("worksheet", f"{set_name(stems)}-class-set{part}"),
                       ("key", f"{set_name(stems)}-class-set-keys{part}")):
        # TeX reads each PDF under a plain name: the user's file name never enters TeX source
        inputs = {f"{kind}-{i}.pdf": out.stage / f"{stem}-{kind}.pdf"
                  for i, stem in enumerate(stems, start=1)}
        progress(f"assembling {name}.pdf ...")
        made.append(pdf.compile_tex(classset.class_set_tex(list(inputs), [], duplex),
                                    out.stage / f"{name}.pdf", inputs=inputs,
                                    processes=out.processes))
    return made
