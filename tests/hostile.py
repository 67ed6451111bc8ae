"""Running the command as a hostile user would: a separate process with a time and memory bound.

Every refusal must be exit code 2 and one line on stderr, with no traceback and nothing written.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

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
