"""The `build` command's file side: write .tex and key.json files, compile PDFs in parallel.

Kept beside cli.py (the only other module, with pdf.py, that touches files) so that cli.py stays
a list of commands.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import classset, definition, latex, pdf
from .errors import UsageError
from .sample import NoGoodDraw

BuildError = UsageError  # bad input to the build: one line, exit code 2


def main(args) -> int:
    defn = definition.load(args.file)
    if isinstance(defn, definition.Lesson):
        return lesson(defn, args)
    roster = read_roster(args.roster) if args.roster else None
    count = args.versions or defn.versions
    if roster and count is None:
        count = len(roster)
    if roster and count != len(roster):
        raise BuildError(f"{args.roster}: {len(roster)} names for {count} versions; give as many "
                         "names as versions (or leave out --versions)")
    name = Path(args.file).stem
    _progress(f"deriving and verifying {count or 1} version(s) of {name} ...")
    try:
        versions = classset.make(defn, name, count, args.seed, roster)
    except (ValueError, NoGoodDraw) as exc:
        raise BuildError(str(exc)) from None
    except latex.UnprintableText as exc:
        raise BuildError(f"{args.roster or args.file}: {exc}") from None
    return emit(versions, args, with_class_set=bool(count))


def lesson(defn: definition.Lesson, args) -> int:
    """One of seed 000's pages: a worksheet and its key, no versions."""
    from . import lessons, render

    if args.versions or args.roster:
        raise BuildError(f"{args.file}: a {defn.kind} worksheet has no versions or roster")
    sheet = lessons.build(defn)
    version = classset.Version(Path(args.file).stem, render.lesson_document(sheet, key=False),
                               render.lesson_document(sheet, key=True),
                               lessons.key_json(defn, sheet))
    return emit([version], args, with_class_set=False)


def emit(versions: list[classset.Version], args, with_class_set: bool) -> int:
    """Write the .tex and key.json files, then compile the PDFs (unless --format tex)."""
    out = Path(args.out)
    texs = write_sources(versions, out)
    if args.format == "tex":
        print(f"wrote {len(texs)} .tex files and {len(versions)} key.json files to {out}/")
        return 0
    if not pdf.available():
        print(f"symbackprop: {pdf.INSTALL_HINT}; the .tex files are in {out}/", file=sys.stderr)
        return 1
    jobs = [(tex.read_text(encoding="utf-8"), tex.with_suffix(".pdf"), None) for tex in texs]
    compile_all(jobs, args.jobs)
    if with_class_set:
        class_set(versions, out)
    print(f"wrote {len(jobs) + with_class_set} PDFs, their .tex and {len(versions)} "
          f"key.json files to {out}/")
    return 0


def read_roster(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: cannot read the roster ({exc})") from None
    names = [line.strip() for line in lines if line.strip()]
    if not names:
        raise BuildError(f"{path}: the roster has no names")
    for number, line in enumerate(lines, start=1):
        try:
            latex.text(line.strip())
        except latex.UnprintableText as exc:
            raise BuildError(f"{path}: line {number}: {exc}") from None
    return names


def write_sources(versions: list[classset.Version], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    texs = []
    for v in versions:
        for kind, source in (("worksheet", v.worksheet_tex), ("key", v.key_tex)):
            texs.append(_atomic_write(out / f"{v.stem}-{kind}.tex", source))
        _atomic_write(out / f"{v.stem}-key.json", json.dumps(v.key, indent=2) + "\n")
    return texs


def _atomic_write(path: Path, text: str) -> Path:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     prefix=f".{path.name}.") as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)
    return path


def compile_all(jobs, workers: int) -> None:
    """Compile (source, pdf, inputs) jobs on `workers` threads, with a progress line."""
    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(pdf.compile_tex, src, target, inputs=inputs): target
                   for src, target, inputs in jobs}
        try:
            for future in as_completed(futures):
                future.result()  # raises the first LaTeX error
                done += 1
                _progress(_bar(done, len(jobs), futures[future].name), end="\r")
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    _progress("")


def class_set(versions: list[classset.Version], out: Path) -> Path:
    name = versions[0].stem.rsplit("-v", 1)[0]
    sheets = [f"{v.stem}-worksheet.pdf" for v in versions]
    keys = [f"{v.stem}-key.pdf" for v in versions]
    _progress(f"assembling {name}-class-set.pdf ...")
    inputs = {n: out / n for n in sheets + keys}
    return pdf.compile_tex(classset.class_set_tex(sheets, keys), out / f"{name}-class-set.pdf",
                           inputs=inputs)


def _bar(done: int, total: int, what: str) -> str:
    width = 30
    filled = width * done // total
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {what}"


def _progress(message: str, end: str = "\n") -> None:
    if sys.stderr.isatty():
        print(f"\r\033[K{message}", end=end, file=sys.stderr, flush=True)
    elif message and end == "\n" or message.startswith("["):
        print(message, file=sys.stderr, flush=True)
