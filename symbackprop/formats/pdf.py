"""The only module that runs TeX: pdflatex, hardened, with a timeout and atomic output.

TeX may read and write only inside its own build folder (openin_any=p, openout_any=p), never
runs shell commands, and is killed with its whole process group when it overruns or when the
build is stopped (`Processes.stop`). A PDF appears at its destination whole or not at all;
dates and IDs are pinned so that the same source gives the same bytes.

Loading the preamble (TikZ, pgfplots, fonts) is most of a compile, so the lines that load
packages are dumped once into a LaTeX format (pdfTeX's -ini with mylatexformat), cached in the
user's cache folder under a hash of those lines and of the TeX installation; every document
with that preamble then starts from the format (formatcache.py). When no format can be had
(no mylatexformat, no writable cache, a format run that fails) or a compile from one fails, the
document is compiled the plain way, with a one-line note on stderr: never a failed build.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from ..definitions.errors import LatexError, LatexMissing, LatexTimeout  # noqa: F401 - raised here

TIMEOUT = 120  # seconds for one document
INSTALL_HINT = ("pdflatex not found; install TeX Live (Debian: apt-get install "
                "texlive-latex-extra texlive-pictures latexmk), or run 'make worksheets'")
# what pdflatex prints when the disk, not the document, is at fault: reported as the OSError
_DISK_ERRORS = {os.strerror(e): e for e in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG,
                                            errno.EROFS, errno.EIO)}


class Stopped(RuntimeError):
    """The build was stopped: no more TeX runs start."""


class Processes:
    """The pdflatex runs of one build: `stop()` kills every running one (with anything it
    started) and lets no new one start, so that no TeX outlives an interrupted build."""

    def __init__(self):
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self._stopped = False

    def start(self, command: list[str], cwd: Path) -> subprocess.Popen:
        with self._lock:
            if self._stopped:
                raise Stopped("the build was stopped")
            proc = subprocess.Popen(command, cwd=cwd, env=_environment(),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            self._running.add(proc)
            return proc

    @property
    def stopped(self) -> bool:
        return self._stopped

    def finished(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._running.discard(proc)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for proc in self._running:
                _kill(proc)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: TeX and anything it started
    except ProcessLookupError:
        pass


def available() -> bool:
    return bool(shutil.which("pdflatex"))


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(openin_any="p", openout_any="p", shell_escape="f",
               SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1", TEXMFOUTPUT="")
    return env


def compile_tex(source: str, pdf: Path, timeout: float = TIMEOUT,
                inputs: dict[str, Path] | None = None,
                processes: Processes | None = None, preamble_format: bool = True) -> Path:
    """Compile LaTeX `source` to `pdf`; on failure raise LatexError and leave no PDF behind.

    `inputs` are copied into the build folder under their keys (plain names that TeX reads as
    written): TeX reads nothing else. A full disk is raised as the OSError it is. With
    `preamble_format`, the package-loading lines come from a cached format when one can be had.
    """
    from . import formatcache  # here, not above: `check` imports this module and must start fast

    if not available():
        raise LatexMissing(INSTALL_HINT)
    pdf = Path(pdf)
    try:
        pdf.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _naming(exc, pdf) from None
    if pdf.is_dir():  # said before TeX runs, and of the path given, not of our doc.pdf
        raise IsADirectoryError(errno.EISDIR, "is a folder: give the PDF's file name",
                                str(pdf))
    processes = processes or Processes()
    split = formatcache.split_preamble(source) if preamble_format else None
    fmt = None
    if split is not None:
        fmt = formatcache.get(split[0], lambda folder, job, text: _make_format(
            folder, job, text, timeout, processes))
    if fmt is not None:
        try:
            return _compile(split[0] + formatcache.END_OF_DUMP + split[1], pdf, timeout,
                            inputs, processes, fmt)
        except LatexTimeout:
            raise  # a document that overran would overrun again: not the format's fault
        except LatexError as exc:
            failed = exc  # the plain run below decides: if it passes, the format was at fault
    else:
        failed = None
    result = _compile(source, pdf, timeout, inputs, processes, None)
    if failed is not None:
        if failed.log is not None:
            failed.log.unlink(missing_ok=True)  # the log of the run that did not count
        formatcache.distrust(split[0], f"a compile from it failed ({failed.problem})")
    return result


def compile_together(sources: list[str], pdfs: list[Path], timeout: float = TIMEOUT,
                     processes: Processes | None = None) -> list[Path]:
    """Compile documents that share a preamble (a version's worksheet and key) in one TeX run
    and split its PDF into `pdfs` (pdfparts.py): a run's fixed cost is paid once. Documents
    that cannot be joined, or whose joined run fails, are compiled one by one, so that an error
    names its own document; when they then compile, joining is given up for the rest of the
    build (an older LaTeX, say), with a one-line note."""
    from . import pdfparts

    processes = processes or Processes()
    joined = pdfparts.join(sources) if len(sources) > 1 and pdfparts.usable() else None
    failed = _joined(joined, pdfs, timeout, processes) if joined is not None else None
    if joined is not None and failed is None:
        return pdfs
    made = [compile_tex(source, pdf, timeout, processes=processes)
            for source, pdf in zip(sources, pdfs)]
    if failed is not None:
        pdfparts.distrust(failed)
    return made


def _joined(joined: str, pdfs: list[Path], timeout: float, processes: Processes) -> str | None:
    """Compile the joined document and split it into `pdfs`: None, or why it failed."""
    from . import pdfparts

    pdfs[0].parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".joined-", dir=pdfs[0].parent) as folder:
        whole = Path(folder) / "joined.pdf"
        try:
            compile_tex(joined, whole, timeout * len(pdfs), processes=processes)
            pdfparts.split(whole, pdfs)
        except LatexTimeout:
            names = " and ".join(pdf.name for pdf in pdfs)
            raise LatexTimeout(f"LaTeX took longer than {timeout * len(pdfs):g} s for "
                               f"{names}") from None
        except LatexError as exc:
            return exc.problem  # its log goes with the folder
        except pdfparts.Unsplittable as exc:
            return str(exc)
        except OSError as exc:  # a full disk: the file the user knows of, not ours
            raise OSError(exc.errno, exc.strerror, str(pdfs[0])) from None
    return None


def _compile(source: str, pdf: Path, timeout: float, inputs: dict[str, Path] | None,
             processes: Processes, fmt: Path | None) -> Path:
    # the build folder sits beside the target so that os.replace is atomic (same file system)
    try:
        folder = tempfile.TemporaryDirectory(prefix=".tex-", dir=pdf.parent)
    except OSError as exc:  # /proc, a read-only folder: the file asked for, not our folder
        raise _naming(exc, pdf) from None
    with folder as build:
        build = Path(build)
        (build / "doc.tex").write_text(source, encoding="utf-8")
        for name, path in (inputs or {}).items():
            shutil.copyfile(path, build / name)
        (build / "out").mkdir()
        # Our documents have no cross-references, so one pass is enough; latexmk would make
        # it two (it reruns whenever the .aux file is new). If TeX asks for a rerun, we do one.
        command = ["pdflatex", *([f"-fmt={fmt}"] if fmt else []), "-no-shell-escape",
                   "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
                   "-output-directory=out", "doc.tex"]
        _run(command, build, timeout, pdf, processes)
        if "Rerun to get" in (build / "out" / "doc.log").read_text(errors="replace"):
            _run(command, build, timeout, pdf, processes)
        _watch_overfull(build / "out" / "doc.log", pdf)
        try:
            os.replace(build / "out" / "doc.pdf", pdf)
        except OSError as exc:  # the file asked for, not the staging doc.pdf
            raise _naming(exc, pdf) from None
    return pdf


OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)(.*)$", re.M)
WATCH = "SYMBACKPROP_OVERFULL_LOG"  # a file to note every line set past the margin in


def overfull(log: str, slack: float = 1.0) -> list[str]:
    """The lines TeX set wider than the margin by more than `slack` points, as its log says."""
    return [m.group(0) for m in OVERFULL.finditer(log) if float(m.group(1)) > slack]


def _watch_overfull(log: Path, pdf: Path) -> None:
    # the tests' guard that nothing runs past the margin: every compile, in any process
    watch = os.environ.get(WATCH)
    if not watch:
        return
    lines = overfull(log.read_text(encoding="utf-8", errors="replace"))
    if lines:
        with open(watch, "a", encoding="utf-8") as out:
            out.writelines(f"{pdf.name}: {line}\n" for line in lines)


def _naming(exc: OSError, pdf: Path) -> OSError:
    return OSError(exc.errno, exc.strerror, str(pdf))


def _make_format(folder: Path, job: str, text: str, timeout: float,
                 processes: Processes) -> Path:
    """Dump `text` (package-loading lines) as folder/job.fmt: pdfTeX -ini from pdflatex's own
    format, hardened as every compile is (no shell, reads and writes only inside `folder`,
    the timeout, killed with the build)."""
    from . import formatcache

    (folder / "preamble.tex").write_text(text + formatcache.END_OF_DUMP, encoding="utf-8")
    command = ["pdftex", "-ini", f"-jobname={job}", "-no-shell-escape",
               "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
               "&pdflatex", "mylatexformat.ltx", "preamble.tex"]
    proc = processes.start(command, folder)
    if _wait(proc, processes, timeout) is None:
        raise formatcache.NoFormat(f"making it took longer than {timeout:g} s")
    if processes.stopped:
        raise Stopped("the build was stopped")  # not the format's fault: no note
    fmt = folder / f"{job}.fmt"
    if proc.returncode != 0 or not fmt.is_file():
        log = folder / f"{job}.log"
        reason = first_error(log if log.exists() else None)
        raise formatcache.NoFormat(f"pdftex -ini failed: {reason}")
    return fmt


def _run(command: list[str], cwd: Path, timeout: float, pdf: Path,
         processes: Processes) -> None:
    proc = processes.start(command, cwd)
    output = _wait(proc, processes, timeout)
    if output is None:
        raise LatexTimeout(f"LaTeX took longer than {timeout:g} s for {pdf.name}")
    if proc.returncode > 0:
        _raise_disk_error(output.decode("utf-8", "replace"), cwd, pdf)
    if proc.returncode == -signal.SIGXFSZ:  # past the file-size limit (ulimit -f)
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(pdf))
    if proc.returncode < 0:
        raise LatexError(f"pdflatex was stopped by {signal.Signals(-proc.returncode).name} "
                         f"while making {pdf.name}")
    if proc.returncode != 0 or not _whole_pdf(cwd / "out" / "doc.pdf"):
        log = _keep_log(cwd / "out" / "doc.log", pdf)
        raise LatexError(f"LaTeX failed on {pdf.name}: {first_error(log)}", log)


def _wait(proc: subprocess.Popen, processes: Processes, timeout: float) -> bytes | None:
    """What a TeX run printed, or None when it overran its time (it is killed then)."""
    try:
        return proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        return None
    finally:
        processes.finished(proc)


def _raise_disk_error(output: str, cwd: Path, pdf: Path) -> None:
    """pdflatex failed to write: raise that as the OSError it is, not as a LaTeX error."""
    for message, code in _DISK_ERRORS.items():
        if f"({message})" in output:  # "fflush() failed (No space left on device)"
            raise OSError(code, message, str(pdf))
    if re.search(r"\b(fwrite|fflush|fclose|fputs|putc)\(\) failed", output):
        # said without the reason: a full disk is the one we know of
        code = errno.ENOSPC if shutil.disk_usage(cwd).free < 2**20 else errno.EIO
        raise OSError(code, os.strerror(code), str(pdf))


def _whole_pdf(path: Path) -> bool:
    """A PDF that ends as a PDF ends: a short write would otherwise pass for one."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - 1024))
            return b"%%EOF" in handle.read()
    except OSError:
        return False


def _keep_log(log: Path, pdf: Path) -> Path | None:
    if not log.exists():
        return None
    kept = pdf.with_suffix(".log")
    os.replace(log, kept)  # a rename replaces a link planted at `kept`, never writes through it
    return kept


def first_error(log: Path | None) -> str:
    """The first error line of a TeX log ('file:line: message' or '! message')."""
    if log is None:
        return "no log was written"
    text = log.read_text(encoding="utf-8", errors="replace")
    match = re.search(r"^(?:\S+:\d+: |! )(.+)$", text, flags=re.MULTILINE)
    return match.group(0).strip() if match else "unknown error (see the log)"
