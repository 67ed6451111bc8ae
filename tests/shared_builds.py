"""Builds shared by every test process of a run: each definition is built once per run with the
same arguments, whichever process asks first, while the others build the rest of their list.

Several modules build the same bundled worksheets (every one of them in the classroom guards), and
pytest-xdist runs a module's tests, and so its fixtures, on more than one process: without this,
each process built each sheet again. A test gets the files as links in a folder of its own, and
must not change them."""
import fcntl
import hashlib
import os
import time
from pathlib import Path

from symbackprop.cli import main


def _root(tmp_path_factory) -> Path:
    # the folder every process of one xdist run shares; a run without xdist has its own base
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    (root := shared / "shared-builds").mkdir(exist_ok=True)
    return root


def _key(path: Path, args: list[str]) -> str:
    digest = hashlib.sha256(path.read_bytes() + "\0".join(args).encode())
    return f"{path.stem}-{digest.hexdigest()[:12]}"


def _try_build(folder: Path, path: Path, args: list[str]) -> bool:
    """Build into folder unless another process holds it; True when its outcome is known."""
    folder.mkdir(exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if not (folder / ".code").exists():
            code = main(["build", str(path), *args, "--out", str(folder / "out")])
            (folder / ".code-new").write_text(str(code))
            (folder / ".code-new").rename(folder / ".code")  # whole, or not there
        return True


def build_all(tmp_path_factory, sheets: dict[str, tuple[Path, list[str]]], into: Path,
              wait: float = 1800) -> dict[str, int]:
    """Build each name's (definition, arguments) once per run and link its files into `into`;
    returns each name's exit code."""
    root, codes = _root(tmp_path_factory), {}
    folders = {name: root / _key(path, args) for name, (path, args) in sheets.items()}
    deadline = time.monotonic() + wait
    while len(codes) < len(sheets):
        for name, folder in folders.items():
            if name not in codes and ((folder / ".code").exists()
                                      or _try_build(folder, *sheets[name])):
                codes[name] = int((folder / ".code").read_text())
        if len(codes) < len(sheets):
            assert time.monotonic() < deadline, "another process's build never finished"
            time.sleep(0.2)
    into.mkdir(parents=True, exist_ok=True)
    for name, folder in folders.items():
        if codes[name] == 0:
            _link(folder / "out", into)
    return codes


def _link(source: Path, into: Path) -> None:
    for item in source.iterdir():
        target = into / item.name
        if not target.exists():
            target.symlink_to(item, target_is_directory=item.is_dir())
