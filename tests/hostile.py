"""Running the command as a hostile user would: a separate process with a time and memory bound.

Every refusal must be exit code 2 and one line on stderr, with no traceback and nothing written.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from symbackprop.formats import pdf

from .conftest import WORKSHEETS

CLASS_SET = WORKSHEETS / "class-set-2-2-2.yaml"
BLOG = WORKSHEETS / "blog-2-2-2.yaml"
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # OWASP: a cell a spreadsheet reads as a formula
needs_pdf_text = pytest.mark.skipif(not pdf.available() or not shutil.which("pdftotext"),
                                    reason="needs pdflatex and pdftotext")

# A 2-2-2 sheet whose weights are drawn, so that a roster of one name is a set of one version.
DRAWN = """\
title: TITLE
network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse, bias: shared}
values:
  inputs: [0.05, 0.10]
  targets: [0.01, 0.99]
  biases: [[0.35], [0.60]]
learning_rate: RATE
"""

MEMORY = 3 * 2**30  # address space a refused input may use (SymPy and NumPy loaded: ~1 GiB)
TIMEOUT = 60.0  # seconds before the test fails as a hang
REFUSED = 2


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _limit_memory_close_stdin() -> None:
    _limit_memory()
    os.close(0)  # as `symbackprop ... <&-` in a shell: Python then has sys.stdin None


def run(args: list[str], cwd: Path, stdin: bytes | None = b"", timeout: float = TIMEOUT,
        env: dict[str, str] | None = None) -> Run:
    """`symbackprop ARGS` in `cwd`, bounded in memory and time; stdin None closes it."""
    command = [sys.executable, "-m", "symbackprop.cli", *args]
    start = time.monotonic()
    proc = subprocess.run(
        command, cwd=cwd, input=stdin, capture_output=True, timeout=timeout,
        preexec_fn=_limit_memory if stdin is not None else _limit_memory_close_stdin,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})})
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"),
               proc.stderr.decode("utf-8", "replace"), time.monotonic() - start)


def files(folder: Path) -> set[Path]:
    """Every file and folder below `folder`, hidden ones too."""
    return set(folder.rglob("*"))


def assert_refused(result: Run, *fragments: str) -> None:
    """Exit code 2, one line on stderr naming each fragment, and no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.code == REFUSED, (result.code, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("symbackprop: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    """Two versions' keys of the bundled class set (a module imports this fixture by name)."""
    out = tmp_path_factory.mktemp("keys")
    assert run(["build", str(CLASS_SET), "--versions", "2", "--format", "tex", "--out",
                str(out)], out).code == 0
    return out


def pdf_text(path: Path) -> str:
    """A PDF's text as pdftotext copies it out, NFC: what a teacher's search finds."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         check=True, timeout=60)
    return unicodedata.normalize("NFC", out.stdout.decode("utf-8"))
