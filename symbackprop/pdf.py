"""The only module that runs TeX: pdflatex, hardened, with a timeout and atomic output.

TeX may read and write only inside its own build folder (openin_any=p, openout_any=p), never
runs shell commands, and is killed with its whole process group when it overruns. A PDF
appears at its destination whole or not at all; dates and IDs are pinned so that the same
source gives the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 120  # seconds for one document
INSTALL_HINT = ("pdflatex not found; install TeX Live (Debian: apt-get install "
                "texlive-latex-extra texlive-pictures latexmk), or run 'make worksheets'")


class LatexMissing(RuntimeError):
    """No TeX on this machine."""


class LatexError(RuntimeError):
    """TeX failed: the first error and where its full log is."""

    def __init__(self, message: str, log: Path | None = None):
        self.log = log
        super().__init__(message + (f" (log: {log})" if log else ""))


def available() -> bool:
    return bool(shutil.which("pdflatex"))


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(openin_any="p", openout_any="p", shell_escape="f",
               SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1", TEXMFOUTPUT="")
    return env


def compile_tex(source: str, pdf: Path, timeout: float = TIMEOUT,
                inputs: dict[str, Path] | None = None) -> Path:
    """Compile LaTeX `source` to `pdf`; on failure raise LatexError and leave no PDF behind.

    `inputs` are copied into the build folder under their keys: TeX reads nothing else.
    """
    if not available():
        raise LatexMissing(INSTALL_HINT)
    pdf = Path(pdf)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    # the build folder sits beside the target so that os.replace is atomic (same file system)
    with tempfile.TemporaryDirectory(prefix=".tex-", dir=pdf.parent) as build:
        build = Path(build)
        (build / "doc.tex").write_text(source, encoding="utf-8")
        for name, path in (inputs or {}).items():
            shutil.copyfile(path, build / name)
        (build / "out").mkdir()
        # Our documents have no cross-references, so one pass is enough; latexmk would make
        # it two (it reruns whenever the .aux file is new). If TeX asks for a rerun, we do one.
        command = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                   "-file-line-error", "-output-directory=out", "doc.tex"]
        _run(command, build, timeout, pdf)
        if "Rerun to get" in (build / "out" / "doc.log").read_text(errors="replace"):
            _run(command, build, timeout, pdf)
        os.replace(build / "out" / "doc.pdf", pdf)
    return pdf


def _run(command: list[str], cwd: Path, timeout: float, pdf: Path) -> None:
    proc = subprocess.Popen(command, cwd=cwd, env=_environment(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # and anything TeX started
        proc.communicate()
        raise LatexError(f"LaTeX took longer than {timeout:g} s for {pdf.name}") from None
    if proc.returncode != 0 or not (cwd / "out" / "doc.pdf").exists():
        log = _keep_log(cwd / "out" / "doc.log", pdf)
        raise LatexError(f"LaTeX failed on {pdf.name}: {first_error(log)}", log)


def _keep_log(log: Path, pdf: Path) -> Path | None:
    if not log.exists():
        return None
    kept = pdf.with_suffix(".log")
    shutil.copyfile(log, kept)
    return kept


def first_error(log: Path | None) -> str:
    """The first error line of a TeX log ('file:line: message' or '! message')."""
    if log is None:
        return "no log was written"
    text = log.read_text(encoding="utf-8", errors="replace")
    match = re.search(r"^(?:\S+:\d+: |! )(.+)$", text, flags=re.MULTILINE)
    return match.group(0).strip() if match else "unknown error (see the log)"
