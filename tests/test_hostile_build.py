"""`build` under hostile conditions, each run as a separate bounded process (tests/hostile.py).

Every refusal is exit code 2 and one line naming the folder or file, with nothing left behind:
no partial PDF, no hidden staging or .tex-* folder, no temp file, no folder the build made.
Read-only and full disks are real tmpfs mounts (skipped where mounting is not allowed) and, for
a full disk, also RLIMIT_FSIZE, which needs no privileges. Signals are real signals sent to the
running process while pdflatex runs; the process table is read afterwards.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from symbackprop.formats import pdf

from .hostile import MEMORY, Run, assert_refused, files, run

needs_tex = pytest.mark.skipif(not pdf.available() or not shutil.which("pdfinfo"),
                               reason="needs pdflatex and pdfinfo")

SHEET = """title: Hostile
network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse, bias: shared}
decimals: 4
"""
QUICK = 20.0  # seconds: a refusal comes before any real work
BUILD = 60.0  # seconds: a small class set with PDFs on 2 shared cores


@pytest.fixture
def sheet(tmp_path) -> Path:
    path = tmp_path / "sheet.yaml"
    path.write_text(SHEET)
    return path


def _mount(folder: Path, options: str) -> None:
    folder.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")


@pytest.fixture
def mounts(tmp_path):
    """mount(name, options): a tmpfs at tmp_path/name, unmounted after the test."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    made = []

    def mount(name: str, options: str) -> Path:
        folder = tmp_path / name
        _mount(folder, options)
        made.append(folder)
        return folder

    yield mount
    for folder in reversed(made):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _nothing_left(before: set[Path], folder: Path) -> None:
    assert files(folder) == before, sorted(map(str, files(folder) - before))


# --- --out that cannot hold a build ----------------------------------------------------------

def test_out_is_a_file(tmp_path, sheet):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    before = files(tmp_path)
    result = run(["build", str(sheet), "--out", str(target), "--format", "tex"], tmp_path)
    assert_refused(result, "notes.txt", "is a file, not a folder")
    assert result.seconds < QUICK
    assert target.read_text() == "mine"
    _nothing_left(before, tmp_path)


def test_out_below_a_file(tmp_path, sheet):
    (tmp_path / "notes.txt").write_text("mine")
    before = files(tmp_path)
    result = run(["build", str(sheet), "--out", "notes.txt/build", "--format", "tex"], tmp_path)
    assert_refused(result, "notes.txt/build", "Not a directory")
    _nothing_left(before, tmp_path)


@pytest.mark.parametrize("out", ["/proc/symbackprop-build", "/proc/self", "/proc/sys/kernel"])
def test_out_under_proc(tmp_path, sheet, out):
    before = files(tmp_path)
    result = run(["build", str(sheet), "--out", out, "--format", "tex"], tmp_path)
    assert_refused(result, out, "proc file system")
    assert result.seconds < QUICK
    assert not Path("/proc/symbackprop-build").exists()
    _nothing_left(before, tmp_path)


def test_out_under_sys(tmp_path, sheet):
    if not os.path.ismount("/sys"):
        pytest.skip("no /sys here")
    result = run(["build", str(sheet), "--out", "/sys/kernel", "--format", "tex"], tmp_path)
    assert_refused(result, "/sys/kernel", "sysfs file system")


def test_out_on_a_read_only_mount(tmp_path, sheet, mounts):
    ro = mounts("ro", "size=1m,ro")
    result = run(["build", str(sheet), "--out", str(ro), "--format", "tex"], tmp_path)
    assert_refused(result, str(ro), "Read-only file system")
    assert files(ro) == set()


def test_out_below_a_read_only_mount_makes_no_folder(tmp_path, sheet, mounts):
    ro = mounts("ro", "size=1m,ro")
    result = run(["build", str(sheet), "--out", str(ro / "a" / "b")], tmp_path)
    assert_refused(result, "ro/a/b", "Read-only file system")
    assert files(ro) == set()


def test_full_disk_while_writing_sources(tmp_path, sheet, mounts):
    """A worksheet's .tex is about 16 kB: a 20 kB disk fills on the second file."""
    full = mounts("full", "size=20k")
    result = run(["build", str(sheet), "--out", str(full / "out"), "--format", "tex"], tmp_path)
    assert_refused(result, "full/out", "No space left on device", "nothing was written")
    assert files(full) == set()  # not even the folder the build made


@needs_tex
def test_full_disk_while_pdflatex_writes(tmp_path, sheet, mounts):
    """Room for the sources and one PDF (about 250 kB), not for both."""
    full = mounts("full", "size=400k")
    result = run(["build", str(sheet), "--out", str(full / "out"), "--jobs", "1"], tmp_path,
                 timeout=BUILD)
    assert_refused(result, "full/out", "No space left on device", "nothing was written")
    assert files(full) == set()
    assert "LaTeX" not in result.stderr


def _file_size_limit(limit: int):
    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limited


def test_file_size_limit_without_privileges(tmp_path, sheet):
    """RLIMIT_FSIZE: a write past 10 kB fails as on a full disk (Python ignores SIGXFSZ)."""
    before = files(tmp_path)
    result = _spawn_and_wait(["build", str(sheet), "--out", "out", "--format", "tex"], tmp_path,
                             preexec=_file_size_limit(10_000))
    assert_refused(result, "out", "File too large", "nothing was written")
    _nothing_left(before, tmp_path)


def test_out_named_with_bytes_that_are_not_utf8(tmp_path, sheet):
    target = tmp_path / os.fsdecode(b"out\xff\xfe")
    target.write_text("a file")
    result = run(["build", str(sheet), "--out", str(target), "--format", "tex"], tmp_path)
    assert_refused(result, "out\\xff\\xfe", "is a file")


# --- networks no draw can print ----------------------------------------------------------

def test_784_128_10_is_refused_at_once(tmp_path):
    (tmp_path / "mnist.yaml").write_text(
        "network: {layers: [784, 128, 10], activation: sigmoid, loss: half_sse}\n")
    before = files(tmp_path)
    result = run(["build", "mnist.yaml", "--out", "out"], tmp_path, timeout=QUICK)
    assert_refused(result, "mnist.yaml", "784-128-10", "too big to print",
                   "at most 16 neurons a layer and 600 weights and biases",
                   f"{784 * 128 + 128 * 10 + 2:,}")
    _nothing_left(before, tmp_path)


def test_every_draw_rejected_ends_at_the_stated_bound(tmp_path):
    """0 decimals: every gradient rounds to 0, so every verified draw is rejected."""
    (tmp_path / "zero.yaml").write_text(SHEET.replace("decimals: 4", "decimals: 0"))
    before = files(tmp_path)
    result = run(["build", "zero.yaml", "--out", "out", "--format", "tex"], tmp_path,
                 timeout=BUILD)
    assert_refused(result, "zero.yaml", "after verifying 25 draws in full (the bound",
                   "rounds to zero")
    _nothing_left(before, tmp_path)


def test_every_draw_saturated_is_rejected_without_verifying(tmp_path):
    """Inputs of 1000: every hidden neuron saturates; the NumPy judge rejects all 500 draws."""
    (tmp_path / "hot.yaml").write_text(SHEET.replace("[2, 2, 2]", "[3, 2, 2]") +
                                       "values: {inputs: [1000, 1000, 1000]}\n")
    before = files(tmp_path)
    result = run(["build", "hot.yaml", "--out", "out", "--format", "tex"], tmp_path,
                 timeout=QUICK)
    assert_refused(result, "hot.yaml", "no acceptable numbers in 500 draws")
    _nothing_left(before, tmp_path)


# --- file names TeX must never see -----------------------------------------------------------

def test_a_file_name_that_is_not_utf8_is_refused_naming_its_byte(tmp_path):
    """A Latin-1 name (h\\xff\\xfei.yaml) cannot be carried into Moodle's XML, a SCORM
    package or a terminal as it is: refused before anything is read, the byte shown."""
    name = os.fsdecode(b"h\xff\xfei.yaml")
    (tmp_path / name).write_text(SHEET)
    before = files(tmp_path)
    result = run(["build", name, "--versions", "2", "--out", "out"], tmp_path, timeout=BUILD)
    assert_refused(result, "h\\xff\\xfei.yaml", "the byte \\xff, which is not UTF-8")
    _nothing_left(before, tmp_path)


@needs_tex
@pytest.mark.parametrize("name", ["a#b%c.yaml", "d~e}f\\g.yaml"],
                         ids=["hash-percent", "tilde-brace-backslash"])
def test_class_set_of_a_hostile_file_name(tmp_path, name):
    name = os.fsdecode(name)
    (tmp_path / name).write_text(SHEET)
    result = run(["build", name, "--versions", "2", "--out", "out"], tmp_path, timeout=BUILD)
    assert result.code == 0, result.stderr
    assert result.stderr == "" and "Traceback" not in result.stderr
    stem = name[:-len(".yaml")]
    out = tmp_path / "out"
    made = {p.name for p in out.iterdir()}
    parts = [f"{stem}-v0{v}-{k}.pdf" for k in ("worksheet", "key") for v in (1, 2)]
    assert made == {f"{stem}-class-set.pdf", f"{stem}-class-set-keys.pdf"} | set(parts) | {
        f"{stem}-v0{v}-{k}" for v in (1, 2) for k in ("worksheet.tex", "key.tex", "key.json")}
    for kind, file in (("worksheet", "class-set"), ("key", "class-set-keys")):
        pages = [_pages(out / p) for p in parts if p.endswith(f"-{kind}.pdf")]
        # duplex: a PDF of an odd number of pages is followed by a blank one
        assert _pages(out / f"{stem}-{file}.pdf") == sum(n + n % 2 for n in pages)


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in info.stdout.splitlines()
                    if line.startswith("Pages:")))


# --- signals: Ctrl-C, SIGTERM, SIGHUP ----------------------------------------------------------

def _spawn(args: list[str], cwd: Path, preexec=None) -> subprocess.Popen:
    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    return subprocess.Popen([sys.executable, "-m", "symbackprop.cli", *args], cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=preexec or limited,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})


def _finish(proc: subprocess.Popen, start: float, timeout: float = BUILD) -> Run:
    out, err = proc.communicate(timeout=timeout)
    return Run(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
               time.monotonic() - start)


def _spawn_and_wait(args, cwd, preexec=None) -> Run:
    start = time.monotonic()
    return _finish(_spawn(args, cwd, preexec), start)


def _tex_below(folder: Path) -> list[int]:
    """pdflatex processes working below `folder`, from the process table."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "pdflatex":
                continue
            if Path(os.readlink(entry / "cwd")).is_relative_to(folder.resolve()):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def _staging(out: Path) -> list[Path]:
    return list(out.glob(".symbackprop-build-*"))


def _wait_for(condition, seconds: float = BUILD) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.02)


@needs_tex
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["ctrl-c", "sigterm", "sighup"])
def test_signal_while_pdflatex_runs(tmp_path, sheet, signum):
    before = files(tmp_path)
    start = time.monotonic()
    proc = _spawn(["build", str(sheet), "--versions", "3", "--out", "out"], tmp_path)
    _wait_for(lambda: _tex_below(tmp_path) or proc.poll() is not None)
    assert proc.poll() is None, "the build ended before pdflatex ran"
    proc.send_signal(signum)
    result = _finish(proc, start)
    assert result.code == 128 + signum, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"build stopped by {signal.Signals(signum).name}; nothing was written" in lines[0]
    assert _tex_below(tmp_path) == []  # no TeX outlives its build
    _nothing_left(before, tmp_path)  # no PDF, no staging or .tex-* folder, not even out/


def test_ctrl_c_while_deriving(tmp_path):
    """Before any file: still one line, exit 130, and the folder it had made is gone."""
    (tmp_path / "big.yaml").write_text(SHEET.replace("[2, 2, 2]", "[16, 16, 4]"))
    before = files(tmp_path)
    start = time.monotonic()
    proc = _spawn(["build", "big.yaml", "--versions", "20", "--out", "out", "--format", "tex"],
                  tmp_path)
    _wait_for(lambda: _staging(tmp_path / "out") or proc.poll() is not None)
    proc.send_signal(signal.SIGINT)
    result = _finish(proc, start)
    assert result.code == 130, result.stderr
    assert result.stderr.strip() == ("symbackprop: out: build stopped by SIGINT; nothing was "
                                     "written")
    _nothing_left(before, tmp_path)


def _processes_of(folder: Path) -> list[int]:
    """Processes whose command line names `folder`: a build and any worker it forked."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(folder).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_ctrl_c_while_deriving_on_every_core(tmp_path):
    """A big set is made by worker processes: Ctrl-C still ends the build on one line, and no
    worker outlives it."""
    (tmp_path / "big.yaml").write_text(SHEET.replace("[2, 2, 2]", "[16, 16, 4]"))
    before = files(tmp_path)
    start = time.monotonic()
    proc = _spawn(["build", "big.yaml", "--versions", "200", "--out", str(tmp_path / "out"),
                   "--format", "tex", "--jobs", "2"], tmp_path)
    _wait_for(lambda: len(_processes_of(tmp_path / "out")) >= 3 or proc.poll() is not None)
    assert proc.poll() is None, "the build ended before its workers started"
    proc.send_signal(signal.SIGINT)
    result = _finish(proc, start)
    assert result.code == 130, result.stderr
    assert result.stderr.strip() == (f"symbackprop: {tmp_path / 'out'}: build stopped by "
                                     "SIGINT; nothing was written")
    _wait_for(lambda: not _processes_of(tmp_path / "out"), 10)
    _nothing_left(before, tmp_path)


# --- what is written, and how ------------------------------------------------------------

@needs_tex
@pytest.mark.parametrize("umask", [0o022, 0o002], ids=["umask-022-pdf", "umask-002-tex"])
def test_every_output_has_one_mode(tmp_path, sheet, umask):
    """0666 less the umask for keys, sources and PDFs alike: a co-teacher can read the keys."""
    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        os.umask(umask)
    result = _spawn_and_wait(["build", str(sheet), "--out", "out", "--jobs", "1"] +
                             (["--format", "tex"] if umask == 0o002 else []), tmp_path, limited)
    assert result.code == 0 and result.stderr == "", result.stderr
    made = list((tmp_path / "out").iterdir())
    assert len(made) == (5 if umask == 0o022 else 3)
    assert {oct(p.stat().st_mode & 0o777) for p in made} == {oct(0o666 & ~umask)}


@needs_tex
def test_links_planted_in_the_output_folder_are_replaced_not_written_through(tmp_path, sheet):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    names = [f"sheet-{k}" for k in ("worksheet.tex", "key.tex", "key.json", "worksheet.pdf",
                                    "key.pdf", "worksheet.log", "key.log")]
    for name in names:
        (out / name).symlink_to(victim)
    result = run(["build", str(sheet), "--out", "out"], tmp_path, timeout=BUILD)
    assert result.code == 0, result.stderr
    assert victim.read_text() == "precious"
    for name in names[:5]:
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0, name
    assert json.loads((out / "sheet-key.json").read_text())["answers"]


@needs_tex
def test_two_builds_on_one_folder(tmp_path, sheet):
    """The second is refused while the first holds the folder; the keys match the PDFs."""
    start = time.monotonic()
    first = _spawn(["build", str(sheet), "--versions", "4", "--seed", "1", "--out", "out",
                    "--jobs", "1"], tmp_path)  # 9 PDFs one after another: the folder stays held
    _wait_for(lambda: _staging(tmp_path / "out") or first.poll() is not None)
    second = run(["build", str(sheet), "--versions", "2", "--seed", "2", "--out", "out",
                  "--format", "tex"], tmp_path)
    assert_refused(second, "out", "another build or marking is writing to this folder")
    assert _finish(first, start).code == 0
    out = tmp_path / "out"
    for v in (1, 2, 3, 4):
        key = json.loads((out / f"sheet-v0{v}-key.json").read_text())
        assert key["seed"] == 1
        tex = (out / f"sheet-v0{v}-key.tex").read_text()
        assert f"{key['definition']['values']['inputs'][0]}" in tex
    assert not list(out.glob(".*"))


def test_staging_left_by_a_killed_build_is_cleared(tmp_path, sheet):
    """SIGKILL leaves no chance to clean up: the next build on the folder does it."""
    start = time.monotonic()
    first = _spawn(["build", str(sheet), "--versions", "20", "--out", "out", "--format", "tex"],
                   tmp_path)
    _wait_for(lambda: _staging(tmp_path / "out") or first.poll() is not None)
    first.kill()
    _finish(first, start)
    assert _staging(tmp_path / "out")
    result = run(["build", str(sheet), "--out", "out", "--format", "tex"], tmp_path)
    assert result.code == 0 and result.stderr == "", result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "sheet-key.json", "sheet-key.tex", "sheet-worksheet.tex"]


def test_standard_output_on_a_full_disk(tmp_path, sheet):
    """> /dev/full: the build is complete, and the one line says so instead of a traceback."""
    with open("/dev/full", "w") as full:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "symbackprop.cli", "build", str(sheet),
                                 "--out", "out", "--format", "tex"], cwd=tmp_path,
                                stdout=full, stderr=subprocess.PIPE)
        _, err = proc.communicate(timeout=BUILD)
    assert time.monotonic() - start < BUILD
    assert proc.returncode == 2
    assert err.decode().strip() == ("symbackprop: standard output: cannot write (No space left "
                                    "on device); the build itself is complete in out/")
    assert len(list((tmp_path / "out").iterdir())) == 3
