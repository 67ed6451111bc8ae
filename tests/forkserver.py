"""A hostile case's command as its own process, without paying for Python's imports each time.

Each case is `symbackprop ARGS` in a process of its own with its own memory bound (tests/hostile.py
`run`). Started fresh, every one of them spent most of a second importing SymPy, NumPy and Jinja
before it read its first byte, and the suite ran hundreds of them. A server, started once per
test process as a plain `python` (no pytest, no threads, no warnings filters of the suite), imports
the package and then forks one child per case: the child is a new process that starts where a
fresh one would have arrived after its imports. It sets its bound, changes folder, takes its
stdin and two output files as fds 0, 1 and 2, runs `main`, and ends with `main`'s code, as
`python -m symbackprop.cli` would. Run as `python tests/forkserver.py`, it reads one JSON request
a line on stdin and answers each with one JSON line on stdout."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

# what every command line imports anyway, loaded once in the server: the children share it
PRELOAD = ("symbackprop.cli.commands", "symbackprop.files.build", "symbackprop.engine.verify",
           "symbackprop.formats.tex", "symbackprop.formats.html", "symbackprop.marking.check")


def _child(request: dict, out: str, err: str) -> None:
    import io
    import resource
    import traceback

    stdin = request["stdin"]
    if stdin is None:
        os.close(0)
    else:
        fd = os.open(stdin, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
    for path, target in ((out, 1), (err, 2)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, target)
        os.close(fd)
    # Python's own standard streams on the new fds, as a process's start makes them
    sys.stdin = None if stdin is None else open(0, encoding="utf-8", closefd=False)
    sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), encoding="utf-8",
                                  line_buffering=False)
    sys.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), encoding="utf-8",
                                  errors="backslashreplace", line_buffering=True)
    os.chdir(request["cwd"])
    os.environ.update(request["env"])
    resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
    sys.argv = ["symbackprop", *request["argv"]]
    try:
        from symbackprop.cli.commands import main
        code = main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # as the interpreter does with an exception nothing caught
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # what Python exits with when it cannot flush stdout
    os._exit(code)


def _wait(pid: int, timeout: float) -> int | None:
    """The child's exit code (negative: its signal), or None when it ran past `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.005)


def _answer(request: dict) -> dict:
    out, err = request["out"], request["err"]
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            _child(request, out, err)
        finally:
            os._exit(101)
    code = _wait(pid, request["timeout"])
    return {"code": code, "seconds": time.monotonic() - start}


def serve() -> None:
    import importlib
    import warnings

    warnings.simplefilter("ignore")  # the imports' own; main sets its own filters
    for name in PRELOAD:
        importlib.import_module(name)
    warnings.resetwarnings()
    for kind in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", kind)  # a fresh interpreter's defaults
    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        print(json.dumps(_answer(json.loads(line))), flush=True)


if __name__ == "__main__":
    serve()
