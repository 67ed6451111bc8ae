"""What reaches the terminal: messages one line each, every control character in them shown
as its escape (a name holding ESC or BEL cannot retitle or clear it), no library's warning,
and standard output quieted when it is gone."""

from __future__ import annotations

import os
import sys
import warnings
from contextlib import contextmanager

from ..definitions.errors import one_line, terminal_safe

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C


def fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"symbackprop: {one_line(message, 1000)}", file=sys.stderr, flush=True)
    return code


def warnings_as_errors() -> None:
    """No library's warning reaches the user: a numerical one (an overflow, a mean of nothing)
    stops the command with one line, as the tests run it; notices meant for developers
    (deprecations) are not shown."""
    warnings.simplefilter("error", RuntimeWarning)
    warnings.simplefilter("error", UserWarning)
    for kind in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, FutureWarning):
        warnings.simplefilter("ignore", kind)


class _Shown:
    """A text stream that shows, never sends, what a terminal would act on: a name or a title
    holding ESC or BEL is printed as \\x1b, so it cannot retitle or clear the terminal.
    `unguarded` is the stream itself, for the progress bar's own line control."""

    def __init__(self, stream):
        self.unguarded = stream

    def write(self, text: str) -> int:
        return self.unguarded.write(terminal_safe(text))

    def __getattr__(self, name: str):
        return getattr(self.unguarded, name)


@contextmanager
def shown_streams():
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = (_Shown(s) if s is not None else s for s in saved)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def quiet_stdout() -> None:
    """Send what is still buffered for stdout nowhere, so that exit does not fail on it again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # stdout closed or not a file
        pass
