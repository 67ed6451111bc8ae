"""Cached LaTeX formats of shared preambles: where they live, how they are named and checked.

A format is the dumped state of pdfLaTeX after the package-loading lines of a preamble
(mylatexformat). It is made once per preamble and TeX installation and kept in the user's cache
folder ($XDG_CACHE_HOME/symbackprop/formats, else ~/.cache/symbackprop/formats) in a folder
named by a hash of those lines, of pdfTeX's version and of pdfLaTeX's own format:

    <key>/preamble.fmt   the format, stored uncompressed (it loads faster)
    <key>/sha256         its digest: a truncated or garbled format is seen and made again

A format is made in a hidden folder beside the others and renamed into place whole, so two
builds at once never see half of one (the first rename wins; the other build uses it).
Anything that goes wrong yields None and a one-line note: the caller compiles the plain way.

>>> split_preamble('\\\\documentclass{article}\\n\\\\usepackage{tikz}\\n\\\\begin{document}x\\n')
('\\\\documentclass{article}\\n\\\\usepackage{tikz}\\n', '\\\\begin{document}x\\n')
>>> split_preamble('\\\\documentclass{article}\\\\begin{document}x\\n') is None
True
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path

END_OF_DUMP = "\\endofdump\n"  # mylatexformat: the format ends here; a compile resumes after it
LAYOUT = "2"  # bump when the way formats are made changes: old ones are then never used
STALE = 3600  # seconds after which a '.making-' folder is one a killed build left
# Lines that only load packages, each alone on its line, so that no document text is dumped
# and the compile from the format skips exactly them.
_ARGUMENT = r"(?:\[[^\]\\%]*\])?\{[^}\\%]*\}"
# (a font encoding loaded where TeX Live has it: the installation is part of a format's key)
_SHARED_LINE = re.compile(
    rf"[ \t]*(?:\\(?:documentclass|usepackage|RequirePackage){_ARGUMENT}"
    rf"|\\IfFileExists\{{[^}}\\%]*\}}\{{\\usepackage{_ARGUMENT}\}}\{{\}}"
    rf"|\\usetikzlibrary\{{[^}}\\%]*\}}|\\pgfplotsset\{{compat=[^}}\\%]*\}})?[ \t]*\n")

_lock = threading.RLock()
_known: dict[str, Path | None] = {}  # per process: a checked format, or None (compile plain)
_noted: set[str] = set()


class NoFormat(RuntimeError):
    """The format could not be made: why, in a few words."""


def split_preamble(source: str) -> tuple[str, str] | None:
    """(the package-loading lines at the top, the rest), or None when there are none."""
    lines = source.splitlines(keepends=True)
    count = 0
    while count < len(lines) and _SHARED_LINE.fullmatch(lines[count]):
        count += 1
    shared = "".join(lines[:count])
    if "\\documentclass" not in shared:
        return None
    return shared, "".join(lines[count:])


def cache_folder() -> Path:
    """Where formats are kept; XDG_CACHE_HOME counts only when absolute, as its spec says."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "symbackprop" / "formats"


def get(shared: str, make: Callable[[Path, str, str], Path]) -> Path | None:
    """The checked format of `shared`, made with make(folder, jobname, text) when missing or
    corrupt; None (after a one-line note) when none can be had."""
    with _lock:
        try:
            key = _key(shared)
        except (NoFormat, OSError) as exc:
            return _without(f"no LaTeX format of the preamble ({_reason(exc)})")
        if key not in _known:
            try:
                _known[key] = _cached(cache_folder(), key, shared, make)
            except (NoFormat, OSError) as exc:
                _known[key] = _without(f"no LaTeX format of the preamble ({_reason(exc)})")
        return _known[key]


def distrust(shared: str, why: str) -> None:
    """Stop using the format of `shared` in this process (a compile from it failed)."""
    with _lock:
        try:
            key = _key(shared)
        except (NoFormat, OSError):
            return
        if _known.get(key) is not None:
            _known[key] = _without(f"LaTeX format {key[:12]} not used: {why}")


def forget() -> None:
    """Drop what this process knows of formats (tests change the cache under it)."""
    with _lock:
        _known.clear()
        _noted.clear()
        _installation.cache_clear()


def _cached(root: Path, key: str, shared: str, make) -> Path | None:
    folder = root / key
    if folder.exists():
        if _whole(folder):
            return folder / "preamble.fmt"
        _note(f"the cached LaTeX format {shown(folder)} is corrupt; making it again")
        _discard(root, folder)
    root.mkdir(parents=True, exist_ok=True)
    _clear_stale(root)
    making = Path(tempfile.mkdtemp(prefix=".making-", dir=root))
    try:
        fmt = make(making, "preamble", shared)
        _inflate(fmt)
        (making / "sha256").write_text(_digest(fmt) + "\n", encoding="ascii")
        for other in making.iterdir():  # only the format and its digest are kept
            if other.name not in ("preamble.fmt", "sha256"):
                other.unlink()
        try:
            os.rename(making, folder)  # whole or not at all
        except OSError:
            if not folder.exists():
                raise
            # another build got there first: use its format if it is whole
        return folder / "preamble.fmt" if _whole(folder) else None
    finally:
        shutil.rmtree(making, ignore_errors=True)


def _inflate(fmt: Path) -> None:
    """Store the format uncompressed: pdfTeX dumps it gzipped and reads either kind (zlib's
    gzread passes plain data through), and inflating 7 MB was a quarter of every compile
    (0.16 s of CPU against 0.21 s for a key); the PDF is the same to the byte."""
    with open(fmt, "rb") as handle:
        if handle.read(2) != b"\x1f\x8b":
            return
    plain = fmt.with_suffix(".plain")
    with gzip.open(fmt, "rb") as source, open(plain, "wb") as target:
        shutil.copyfileobj(source, target, 2**20)
    os.replace(plain, fmt)


def _whole(folder: Path) -> bool:
    try:
        stored = (folder / "sha256").read_text(encoding="ascii").strip()
        return stored == _digest(folder / "preamble.fmt")
    except (OSError, UnicodeDecodeError):
        return False


def _digest(path: Path) -> str:
    digest = hashlib.sha256()  # hashlib.file_digest is Python 3.11's; we run on 3.10
    with open(path, "rb") as handle:
        while chunk := handle.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def _discard(root: Path, folder: Path) -> None:
    """Move a bad format aside (one rename, so no build sees half of it), then delete it."""
    aside = Path(tempfile.mkdtemp(prefix=".making-", dir=root))
    try:
        os.rename(folder, aside / "bad")
    except OSError:
        pass  # another build moved it already
    shutil.rmtree(aside, ignore_errors=True)


def _clear_stale(root: Path) -> None:
    for making in root.glob(".making-*"):
        try:
            if time.time() - making.stat().st_mtime > STALE:
                shutil.rmtree(making, ignore_errors=True)
        except OSError:
            pass


def _key(shared: str) -> str:
    """The format's name: a hash of the preamble lines and of the TeX installation."""
    text = "\0".join([LAYOUT, _installation(), shared])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@cache
def _installation() -> str:
    """pdfTeX's version, and the path, size and time of pdfLaTeX's format and of
    mylatexformat.ltx: an update of TeX Live gives new keys, so old formats are never used."""
    try:
        version = subprocess.run(["pdftex", "--version"], capture_output=True, text=True,
                                 timeout=30, check=True).stdout.splitlines()[0]
        found = subprocess.run(["kpsewhich", "-engine=pdftex", "pdflatex.fmt",
                                "mylatexformat.ltx"], capture_output=True, text=True,
                               timeout=30).stdout.split()
    except (OSError, subprocess.SubprocessError, IndexError) as exc:
        raise NoFormat(f"cannot ask TeX for its version ({exc})") from None
    if not any(path.endswith("mylatexformat.ltx") for path in found):
        raise NoFormat("mylatexformat.ltx is not installed (Debian: texlive-latex-extra)")
    if not any(path.endswith("pdflatex.fmt") for path in found):
        raise NoFormat("pdflatex.fmt is not found")
    stamps = []
    for path in found:
        info = os.stat(path)
        stamps.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
    return "\0".join([version, *stamps])


def _without(message: str) -> None:
    _note(message + "; compiling without one (slower)")
    return None


def _note(message: str) -> None:
    """One line on stderr, once per process: a slower build is worth knowing, not failing."""
    if message not in _noted:
        _noted.add(message)
        print(f"symbackprop: note: {message}", file=sys.stderr, flush=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        where = f"{shown(exc.filename)}: " if exc.filename else ""
        return where + (exc.strerror or str(exc))
    return str(exc)


def shown(path) -> str:
    raw = os.fsencode(str(path))
    return raw.decode("utf-8", "backslashreplace")
