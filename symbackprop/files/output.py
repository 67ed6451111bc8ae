"""The --out folder of a build (or of `mark`): checked, locked, and written through a hidden
staging folder whose files move into place only when every one is made; and the stop signals
(Ctrl-C, SIGTERM, SIGHUP) that end a build cleanly. Files are created new, never opened
through a name a link may hold, and get the same permissions: 0666 less the umask."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..definitions.errors import UsageError, terminal_safe
from ..definitions.yamlfile import file_kind
from ..formats import pdf

BuildError = UsageError  # bad input to the build: one line, exit code 2
STAGE = ".symbackprop-build-"  # the hidden staging folder's prefix, inside --out
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# file systems of the kernel, not of files: a build there fails with a misleading error
KERNEL_FILE_SYSTEMS = {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs",
                       "tracefs", "securityfs", "configfs", "pstore", "bpf", "efivarfs",
                       "fusectl", "mqueue", "binfmt_misc", "autofs", "hugetlbfs"}


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, SIGTERM or SIGHUP during a build."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class Output:
    """The --out folder of one build: checked, locked, and written through a staging folder.

    Nothing appears in the folder before `commit()`; leaving the `with` block without it removes
    the staging folder and any folder the build made. Every OSError becomes one line naming the
    folder and the problem."""

    def __init__(self, folder: str | Path, work: str = "build"):
        self.folder = Path(folder)
        self.work = work  # what the messages call it: 'build' or 'marking'
        self.made: list[Path] = []  # folders this build created, removed again on failure
        self.stage: Path | None = None
        self.processes = pdf.Processes()
        self.committed = False
        self._lock: int | None = None
        self._mode = 0o666 & ~_umask()

    def __enter__(self) -> Output:
        try:
            self._open()
        except OSError as exc:
            self._close(failed=True)
            raise BuildError(f"{shown(self.folder)}: cannot write the {self.work} there "
                             f"({reason(exc)})") from None
        except BaseException:
            self._close(failed=True)
            raise
        return self

    def __exit__(self, kind, exc, tb) -> None:
        self._close(failed=kind is not None)
        if isinstance(exc, OSError):  # a full disk, a file system gone read-only, ...
            name = Path(exc.filename).name if exc.filename else ""
            # a hidden name is a working folder (.tex-*), not one of the build's files
            what = f"cannot write the {self.work}" if name[:1] in ("", ".") else \
                f"cannot write {shown(name)}"
            raise BuildError(f"{shown(self.folder)}: {what} ({reason(exc)}); nothing was "
                             "written") from None

    def _open(self) -> None:
        if self.folder.exists() and not self.folder.is_dir():
            raise OSError(errno.ENOTDIR, "it is a file, not a folder")
        kernel = _kernel_file_system(self.folder)
        if kernel:
            raise OSError(errno.EACCES, f"it is on a {kernel} file system, the kernel's, "
                          "not one for files")
        self._make_folders()
        self._lock = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(f"{shown(self.folder)}: another build or marking is writing to "
                             "this folder; wait for it to finish, or choose another --out") \
                from None
        for stale in self.folder.glob(f"{STAGE}*"):  # of a build killed outright (SIGKILL)
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
        self.stage = Path(tempfile.mkdtemp(prefix=STAGE, dir=self.folder))

    def _make_folders(self) -> None:
        missing = []
        folder = self.folder.absolute()
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:  # another build made it meanwhile: not ours to remove
                continue
            self.made.append(folder)

    def write(self, name: str, text: str) -> Path:
        """A new file in the staging folder: O_EXCL and O_NOFOLLOW, so never through a link."""
        path = self.stage / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
            with open(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None  # name the file
        return path

    def open(self, name: str, binary: bool = False):
        """A new file in the staging folder to write bit by bit (a Moodle file of 1,000
        versions; binary=True, a zip): created as `write` creates one."""
        path = self.stage / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        return open(fd, "wb") if binary else open(fd, "w", encoding="utf-8")

    def rename(self, name: str, new: str) -> Path:
        """A staged file under its final name."""
        target = self.stage / new
        os.replace(self.stage / name, target)
        return target

    def keep(self, log: Path) -> Path:
        """Move a failed run's log into the folder (a rename: a planted link is replaced)."""
        kept = self.folder / log.name
        os.chmod(log, self._mode)
        os.replace(log, kept)
        return kept

    def commit(self, stale: tuple[str, ...] | list[str] = ()) -> None:
        """Move every staged file into the folder, and take the `stale` files (an earlier
        build's, which this one replaces) out of it, all or nothing: every destination is
        checked first, and a move that fails still puts back every file it had moved or
        replaced. No signal comes between the first move and the last."""
        staged = [p for p in sorted(self.stage.iterdir()) if p.is_file() and not p.is_symlink()]
        for path in staged:
            target = self.folder / path.name
            if target.is_dir() and not target.is_symlink():  # os.replace cannot go there
                raise OSError(errno.EISDIR, "a folder of that name is in the way", str(target))
        with signals_blocked():
            done: list[tuple[Path | None, Path, Path | None]] = []  # (moved in, where, aside)
            try:
                for name in stale:
                    original = self.folder / name
                    done.append((None, original, self._set_aside(original, len(done))))
                for path in staged:
                    target = self.folder / path.name
                    done.append((None, target, self._set_aside(target, len(done))))
                    os.chmod(path, self._mode)
                    os.replace(path, target)
                    done[-1] = (target, target, done[-1][2])
            except OSError:
                self._put_back(done)
                raise
            self.committed = True

    def _set_aside(self, target: Path, number: int) -> Path | None:
        """An existing file (or link) at `target` moved into the staging folder, which goes
        when the build ends; None when there is none."""
        if not os.path.lexists(target):
            return None
        aside = self.stage / f".replaced-{number}"
        os.replace(target, aside)
        return aside

    def _put_back(self, done: list[tuple[Path | None, Path, Path | None]]) -> None:
        for moved, original, aside in reversed(done):
            try:
                if moved is not None:
                    os.replace(moved, self.stage / moved.name)
                if aside is not None:
                    os.replace(aside, original)
            except OSError:
                continue  # as much as can be put back is

    def _close(self, failed: bool) -> None:
        with signals_blocked():  # a signal now is taken when the cleanup is done
            self._clean(failed)

    def _clean(self, failed: bool) -> None:
        self.processes.stop()
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
        if failed:
            for folder in reversed(self.made):
                try:
                    folder.rmdir()  # only if empty: a kept log stays
                except OSError:
                    break
        if self._lock is not None:
            os.close(self._lock)  # and with it the lock
            self._lock = None


def reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def destination(path) -> Path:
    """The file `path` a door writes to (the API's Sheet.pdf and Sheet.html), checked before
    anything is made: a regular file (replaced whole), a link (the link is replaced, never
    written through) or nothing yet. An empty path is refused, not taken as the current
    folder; a folder is refused as IsADirectoryError; a device, a pipe or a socket is refused
    unwritten, because os.replace would put a file in its place (as root, /dev/null).

    >>> destination("/dev/null")
    Traceback (most recent call last):
    ValueError: path '/dev/null': it is a device, not a file; give the path of a file to write
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file's path (a str or a Path), got "
                        f"{type(path).__name__}")
    if os.fspath(path) in ("", b""):  # Path('') is '.', and the file would replace the folder
        raise ValueError("path: an empty path is refused, not taken as the current folder; "
                         "give the name of the file to write")
    text = os.fsdecode(path)
    if text.endswith(("/", os.sep)):  # Path('pages/') is 'pages': a file where a folder was meant
        raise ValueError(f"path '{shown(text)}': it ends with '/', a folder's name; give the "
                         "path of a file to write (pages/sheet.html)")
    path = Path(text)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except ValueError:  # a NUL in the name, which no file's name holds
        raise ValueError(f"path '{shown(path)}': a file's name holds no NUL character") \
            from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder: give the file's name", str(path))
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise ValueError(f"path '{shown(path)}': it is {file_kind(mode)}, not a file; give "
                         "the path of a file to write")
    return path


def write_beside(path: str | Path, data: bytes) -> Path:
    """`data` as the file `path`, written as a build writes its files: into a new file beside
    it, then moved into place, so that a link at `path` is replaced, never written through,
    and a full disk leaves nothing half-written; a device, a pipe or a folder there is
    refused (`destination`). An OSError names `path`."""
    path = destination(path)
    name = None
    try:
        handle, name = tempfile.mkstemp(prefix=".symbackprop-", dir=path.parent)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(name, 0o666 & ~_umask())
        os.replace(name, path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    finally:
        if name is not None and os.path.exists(name):
            os.unlink(name)
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _kernel_file_system(path: Path) -> str | None:
    """'proc' for a path under /proc (and so on), from the mount table; None elsewhere."""
    existing = path.absolute()
    while not existing.exists():
        existing = existing.parent
    try:
        device = existing.stat().st_dev
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as handle:
            table = handle.read().splitlines()
    except OSError:
        return None
    kind = None
    for line in table:  # "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw"
        fields = line.split()
        major, minor = fields[2].split(":")
        if os.makedev(int(major), int(minor)) == device:
            kind = fields[fields.index("-") + 1]  # the last mount there is the one seen
    return kind if kind in KERNEL_FILE_SYSTEMS else None


def shown(path) -> str:
    """A path as text that any terminal can print on one line: bytes that are not UTF-8 as \\x
    escapes, and a newline, ESC or any other character that is not printable as its escape
    (a folder named 'o\\n' ends the closing line 'wrote ... to o\\n/' on one line).

    >>> print(shown("o" + chr(27) + "[31m" + chr(10)), shown(b"a" + bytes([255])))
    o\\x1b[31m\\n a\\xff
    """
    raw = os.fsencode(path if isinstance(path, bytes) else str(path)) if path is not None \
        else b""
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


@contextmanager
def signals_as_interrupts() -> Iterator[list[int]]:
    """Ctrl-C, SIGTERM and SIGHUP raise Interrupted in the main thread, once: the cleanup that
    follows is not interrupted again. The signal is also kept in the list it yields, for the
    build to stop before its commit even if some library's bare `except:` took the raise.
    Outside the main thread (a test's), signals stay as they are."""
    caught: list[int] = []

    def stop(signum, frame):
        for s in STOPPING:
            signal.signal(s, signal.SIG_IGN)
        caught.append(signum)
        raise Interrupted(signum)

    try:
        previous = {s: signal.signal(s, stop) for s in STOPPING}
    except ValueError:  # not the main thread
        yield caught
        return
    try:
        yield caught
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def signals_blocked() -> Iterator[None]:
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def bar(done: int, total: int, what: str) -> str:
    width = 30
    filled = width * done // total
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {what}"


def progress(message: str, end: str = "\n") -> None:
    """Progress for a person at a terminal only: a log or a script sees one line or none."""
    if sys.stderr.isatty():  # the line's own control, past cli's guard; the message shown safe
        stream = getattr(sys.stderr, "unguarded", sys.stderr)
        print(f"\r\033[K{terminal_safe(message)}", end=end, file=stream, flush=True)
