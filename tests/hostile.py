"""Running the command as a hostile user would: a separate process with a time and memory bound.

Every refusal must be exit code 2 and one line on stderr, with no traceback and nothing written.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
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
    """`symbackprop ARGS` in `cwd`, a process of its own bounded in memory and time (forked
    from tests/forkserver.py, whose imports are done); stdin None closes it."""
    if env is None:
        return _forked(args, cwd, stdin, timeout)
    return _started(args, cwd, stdin, timeout, env)


def _started(args: list[str], cwd: Path, stdin: bytes | None, timeout: float,
             env: dict[str, str]) -> Run:
    """As `run`, a fresh interpreter: an environment variable is read as a process starts."""
    command = [sys.executable, "-m", "symbackprop.cli", *args]
    start = time.monotonic()
    proc = subprocess.run(
        command, cwd=cwd, input=stdin, capture_output=True, timeout=timeout,
        preexec_fn=_limit_memory if stdin is not None else _limit_memory_close_stdin,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1", **env})
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"),
               proc.stderr.decode("utf-8", "replace"), time.monotonic() - start)


_SERVER: list[subprocess.Popen] = []


def _server() -> subprocess.Popen:
    if _SERVER and _SERVER[0].poll() is None:
        return _SERVER[0]
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("forkserver.py"))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd="/",
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert "ready" in json.loads(server.stdout.readline())
    _SERVER[:] = [server]
    return server


@atexit.register
def _stop_server() -> None:
    for server in _SERVER:
        server.stdin.close()
        server.wait(timeout=10)


def _forked(args: list[str], cwd: Path, stdin: bytes | None, timeout: float) -> Run:
    with tempfile.TemporaryDirectory() as streams:
        folder = Path(streams)
        if stdin is not None:
            (folder / "in").write_bytes(stdin)
        server = _server()
        server.stdin.write(json.dumps({
            "argv": args, "cwd": str(cwd), "stdin": None if stdin is None else str(folder / "in"),
            "out": str(folder / "out"), "err": str(folder / "err"), "timeout": timeout,
            "memory": MEMORY, "env": {}}) + "\n")
        server.stdin.flush()
        answer = json.loads(server.stdout.readline())
        if answer["code"] is None:
            raise subprocess.TimeoutExpired(["symbackprop", *args], timeout)
        return Run(answer["code"], (folder / "out").read_bytes().decode("utf-8", "replace"),
                   (folder / "err").read_bytes().decode("utf-8", "replace"), answer["seconds"])


# the end of an API script (its `cases`: name -> a call): each call's value, or the exception
# it raised, as one JSON line
API_RUNNER = r"""
out = {}
for name, case in cases.items():
    try:
        out[name] = ["ok", repr(case())]
    except (symbackprop.DefinitionError, TypeError, KeyError, ValueError) as exc:
        out[name] = [type(exc).__name__, str(exc)]
    except BaseException as exc:
        out[name] = ["other " + type(exc).__name__, str(exc)]
print(json.dumps(out))
"""


def api_cases(script: str, args: list, cwd: Path) -> dict[str, list[str]]:
    """`script` (the Python API's calls as `cases`) with API_RUNNER, in one process bounded
    as a command is: each case's ["ok", repr] or [exception, message]."""
    proc = subprocess.run([sys.executable, "-c", script + API_RUNNER, *map(str, args)],
                          capture_output=True, text=True, timeout=300, preexec_fn=_limit_memory,
                          cwd=cwd, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


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
