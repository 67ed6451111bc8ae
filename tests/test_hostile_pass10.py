"""What a tenth hostile pass found at commit cd60024, over the features of issue 20 (SCORM
packages, the cluster scripts, check's answers, a definition's print and points keys, the
Python API, train on a data set, keys that build writes): each test is one broken promise of
the README, written so that it fails on cd60024 and passes once the promise is kept. Every
command runs as its own bounded process (tests/hostile.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from .conftest import ROOT, WORKSHEETS
from .hostile import BLOG, MEMORY, assert_refused, run

CLUSTER = ROOT / "cluster"

GIVEN = """\
title: Given
network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse, bias: shared}
values:
  inputs: [0.05, 0.10]
  targets: [0.01, 0.99]
  weights: [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
  biases: [[0.35], [0.60]]
learning_rate: 0.5
"""


# --- a SCORM package of a definition whose file name holds # ? or % --------------------------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def _resolves_to(href: str) -> str:
    """The file inside the package a browser opens for `href` (relative to index.html): the
    URL's path, percent-decoded; what follows # or ? is not part of it."""
    return unquote(urlsplit(urljoin("http://lms.example/pkg/index.html", href)).path
                   ).removeprefix("/pkg/")


@pytest.mark.parametrize("stem", ["week#3", "quiz?b", "set%41"])
def test_a_scorm_packages_links_open_its_pages_whatever_the_file_name(stem, tmp_path):
    """The README: the launch page 'lists the versions, and each is a practice page', and in
    an LMS it opens the learner's version (scorm-launch.js: frame.src = version.file). The
    file names are written into the links, the frame's src and the manifest's <file href>
    as they are, not as URLs: for a definition saved as 'week#3.yaml' a browser reads
    'week#3-practice.html' as the file 'week' with a fragment, 'quiz?b-practice.html' as
    'quiz' with a query, and 'set%41-practice.html' as 'setA-practice.html': the package
    opens nothing (Chromium shows a missing file, no blank to answer). Every link must open
    the file it names."""
    shutil.copy(BLOG, tmp_path / f"{stem}.yaml")
    result = run(["build", f"{stem}.yaml", "--format", "scorm", "--out", "out"], tmp_path)
    assert result.code == 0, result.stderr[-1500:]
    with zipfile.ZipFile(tmp_path / "out" / f"{stem}-scorm.zip") as z:
        names = set(z.namelist())
        launch = z.read("index.html").decode("utf-8")
        manifest = z.read("imsmanifest.xml").decode("utf-8")
    links = _Links()
    links.feed(launch)
    page = f"{stem}-practice.html"
    assert page in names
    hrefs = [h for h in links.hrefs if "practice" in h]
    assert hrefs, launch[:500]
    for href in hrefs:
        assert _resolves_to(href) in names, (href, _resolves_to(href))
    for href in re.findall(r'<file href="([^"]*)"', manifest):
        assert _resolves_to(href.replace("&amp;", "&")) in names, href
    files = [json.loads(f'"{f}"') for f in re.findall(r'"file":\s*"((?:[^"\\]|\\.)*)"', launch)]
    assert files, launch[:500]
    for file in files:  # the frame's src
        assert _resolves_to(file) in names, (file, _resolves_to(file))


# --- the cluster scripts ---------------------------------------------------------------------

def _fake_build(tmp_path: Path) -> Path:
    """A stand-in for symbackprop build that writes one file into its --out folder."""
    fake = tmp_path / "fake-symbackprop"
    fake.write_text('#!/bin/sh\nout=""\nwhile [ $# -gt 0 ]; do [ "$1" = --out ] && out=$2; '
                    'shift; done\nmkdir -p "$out" && echo x > "$out/made-$(basename "$out").txt"\n')
    fake.chmod(0o755)
    return fake


@pytest.mark.parametrize("out", ["faculty[2026]", "faculty\\spring"])
def test_gnu_parallel_gathers_the_parts_of_an_out_folder_with_brackets(out, tmp_path):
    """The README: when every part is done, build-with-parallel.sh 'gathers the parts into
    OUT/set/'. It gathers with `find "$out" -path "$out/part-*"`, where OUT is read as a
    pattern: an OUT holding '[...]' or a backslash matches no path of its own, so every
    part's files stay in OUT/part-NNNNN/, OUT/set/ is empty, and the script exits 0 with no
    word. The parts' files must be in OUT/set/ (or such an OUT refused in one line, exit 2,
    as one holding '{' is)."""
    if not shutil.which("parallel"):
        pytest.skip("GNU parallel is missing: make test installs it")
    shutil.copy(WORKSHEETS / "class-set-2-2-2.yaml", tmp_path / "set.yaml")
    proc = subprocess.run([str(CLUSTER / "build-with-parallel.sh"), "set.yaml", "4", "2", out],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=os.environ | {"SYMBACKPROP": str(_fake_build(tmp_path)),
                                            "PARALLEL_JOBS": "1"})
    if proc.returncode == 2:
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        return
    assert proc.returncode == 0, proc.stderr[-1500:]
    gathered = sorted(p.name for p in (tmp_path / out / "set").iterdir())
    assert gathered == ["made-part-00000.txt", "made-part-00001.txt"], (
        gathered, sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("made-*")))


def test_a_part_index_past_the_shells_arithmetic_is_refused_not_another_part(tmp_path):
    """build-part.sh refuses a part that starts past the set's end ('part 7 of 2 versions
    starts at version 15, past the set's 8'), but computes INDEX × PART + 1 in the shell's
    64-bit arithmetic, which wraps: index 4611686018427387904 of parts of 4 is version 1,
    so the script execs `build --first-version 1 --versions 4 --out
    out/part-4611686018427387904`, part 0's versions a second time under another part's
    name, exit 0. An index whose part lies past the set must be refused in one line."""
    fake = tmp_path / "fake-symbackprop"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done >> "$RECORD"\n')
    fake.chmod(0o755)
    record = tmp_path / "record.txt"
    proc = subprocess.run([str(CLUSTER / "build-part.sh"), "4611686018427387904", "set.yaml",
                           "8", "4", "out"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env=os.environ | {"SYMBACKPROP": str(fake),
                                                        "RECORD": str(record)})
    assert not record.exists(), record.read_text()
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


# --- check: one blank answered twice ---------------------------------------------------------

@pytest.fixture(scope="module")
def blog_key(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("key10")
    assert run(["build", str(BLOG), "--format", "tex", "--out", "out"], folder).code == 0
    return folder / "out" / "blog-2-2-2-key.json"


@pytest.mark.parametrize("lines", [["a = 0.3775", "a = 0.3"],
                                   ["net[1][1] = 0.3", "a = 0.3775"]],
                         ids=["label-twice", "name-then-label"])
def test_a_blank_answered_twice_is_said_not_marked_in_silence(lines, blog_key, tmp_path):
    """The README: an answers file holds 'label = value' lines, and 'a line that is not gets
    its own message and the rest is still marked'; mark refuses a column named twice. But
    check takes a blank given twice without a word: two lines 'a = ...' are marked by the
    last, and 'net[1][1] = 0.3' before 'a = 0.3775' is dropped (a label always beats a name,
    whatever the order), so a student's correction or a slip decides the mark unseen. The
    second answer for a blank should be a problem of its own, naming its line."""
    (tmp_path / "a.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(["check", str(blog_key), "a.txt"], tmp_path)
    assert result.code in (0, 2), result.stderr[-1500:]
    assert "Traceback" not in result.stderr
    said = result.stderr.strip().splitlines()
    assert said and all(line.startswith("symbackprop: ") for line in said), result.stderr
    assert "line 2" in said[0], said


# --- a definition's keys named in its messages -----------------------------------------------

@pytest.mark.parametrize("points, problem", [('{"J": 0}', "from 1 to 100"),
                                             ('{"J": 1.5}', "from 1 to 100")])
def test_a_points_entry_is_named_by_its_key(points, problem, tmp_path):
    """The README: a refusal is one line 'naming the file, the key and the problem', as
    `claimed.Q:` and `names.h:` are named. A points: entry is named by the description of
    its key's type instead: 'symbackprop: c.yaml: points.the text 'J': must be a whole
    number from 1 to 100, got 0'. It should be 'points.J'."""
    (tmp_path / "c.yaml").write_text(GIVEN + f"points: {points}\n", encoding="utf-8")
    result = run(["build", "c.yaml", "--format", "tex", "--out", "out"], tmp_path)
    assert_refused(result, "c.yaml: points.J: ", problem)


# --- --working-space reads its numbers as Python does ----------------------------------------

@pytest.mark.parametrize("space, typed", [("lines:1_0", "1_0"), ("lines:\u09ea", "\u09ea"),
                                          ("box:1_0.5", "1_0.5"), ("lines:\uff14", "\uff14")])
def test_working_space_reads_a_number_as_the_definition_does(space, typed, tmp_path):
    """The README: YAML is read strictly, and the command line's counts are whole numbers
    (`--epochs 1_0` and `--epochs ٣` are refused, naming what was typed). --working-space
    reads its number with Python's int() and float(): 'lines:1_0' is refused as 'must be a
    whole number from 1 to 30, got 10.0' (10 is from 1 to 30: the message is false of
    what was typed), while 'lines:৪' (a Bengali 4), 'lines:４' (full width) and 'box:1_0.5'
    build with 4 lines and a 10.5 cm box. Each should be refused in one line naming the
    text typed, as `print: {working_space: {lines: '১'}}` is."""
    (tmp_path / "c.yaml").write_text(GIVEN, encoding="utf-8")
    result = run(["build", "c.yaml", f"--working-space={space}", "--format", "tex",
                  "--out", "out"], tmp_path)
    assert_refused(result, "--working-space", repr(typed)[1:-1])
    assert not (tmp_path / "out").exists()


# --- a key that build writes and check refuses -----------------------------------------------

@pytest.mark.parametrize("change", ["learning_rate: 1.0e16", "inputs: [1.0e16, 0.10]"],
                         ids=["learning-rate", "input"])
def test_a_key_that_build_writes_is_one_check_reads(change, tmp_path):
    """Issue 20: 'the API takes what the CLI refuses: derive(D, seed=2**70) makes a key that
    check then refuses'. build does the same with a definition: a learning rate of 1e16
    (or an input of 1e16) builds with exit 0, its key asking for new W[2][1][1] ≈ -3e15,
    and `check` of that key refuses the key itself: 'answers[...].shown: 1e+16 is larger
    than any worksheet number' (check's LARGEST, 1e15). build should refuse such a
    definition in one line naming the key, or write a key check reads."""
    key, value = change.split(": ", 1)
    text = re.sub(rf"^(\s*){key}: .*$", lambda m: f"{m.group(1)}{key}: {value}", GIVEN,
                  count=1, flags=re.M)
    assert text != GIVEN
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    built = run(["build", "c.yaml", "--format", "tex", "--out", "out"], tmp_path)
    if built.code == 2:
        assert_refused(built, "c.yaml")
        return
    assert built.code == 0, built.stderr[-1500:]
    (tmp_path / "a.txt").write_text("a = 0.5\n", encoding="utf-8")
    checked = run(["check", "out/c-key.json", "a.txt", "--json"], tmp_path)
    assert checked.code == 0, checked.stderr[-1500:]


# --- a refusal after a note ------------------------------------------------------------------

ADAM_HUGE = """\
title: T
network: {layers: [2, 1], activation: identity, loss: half_sse, bias: per_neuron}
optimizer: {name: adam}
learning_rate: 1.0e308
decimals: 8
seed: 23
"""


def test_train_refuses_a_diverging_adam_in_one_line_naming_itself(tmp_path):
    """Bad input stops with one line. `train a.yaml --steps 3` of an Adam definition with
    learning_rate 1e308 prints two: a note 'no acceptable numbers in 500 draws (seed 23,
    version None; ...) ... No worksheet prints this definition, so derive shows its first
    draw.' (under train, of derive; and Python's None as the version), then the refusal
    'learning_rate: the loss is no longer a finite number by step 1'. The SGD definition of
    the same rate says the second line alone."""
    (tmp_path / "a.yaml").write_text(ADAM_HUGE, encoding="utf-8")
    result = run(["train", "a.yaml", "--steps", "3"], tmp_path)
    assert_refused(result, "a.yaml", "learning_rate")


def test_a_note_never_says_version_none(tmp_path):
    """derive's note about the draws of a definition that is no class set reads 'seed 23,
    version None;': Python's None in a sentence for the teacher."""
    (tmp_path / "a.yaml").write_text(ADAM_HUGE, encoding="utf-8")
    result = run(["derive", "a.yaml"], tmp_path)
    assert result.code in (0, 2), result.stderr[-1500:]
    assert "None" not in result.stderr, result.stderr


# --- a data set saved with a byte-order mark -------------------------------------------------

def test_a_data_set_saved_with_a_byte_order_mark_is_read(tmp_path):
    """mark reads a spreadsheet saved with a BOM (a spreadsheet's 'CSV UTF-8'; pass 4's fix),
    but train's data file is refused for it: 'd.csv: line 1: the text '\\ufeff0' is not a
    number' of rows that are right. The BOM should be read as what it is, as mark reads it."""
    import gzip
    rows = [line for line in gzip.decompress(
        (WORKSHEETS / "data" / "uci-digits.csv.gz").read_bytes()).decode().splitlines()
        if line and not line.startswith("#")][:200]
    (tmp_path / "d.csv").write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "t.yaml").write_text(
        "title: T\nnetwork: {layers: [64, 4, 10], activation: [sigmoid, softmax], "
        "loss: cross_entropy, bias: per_neuron}\ndata: {file: d.csv, test_fraction: 0.2}\n"
        "learning_rate: 0.5\nseed: 1\n", encoding="utf-8")
    result = run(["train", "t.yaml", "--epochs", "1"], tmp_path)
    assert result.code == 0, result.stderr[-1500:]


# --- the Python API --------------------------------------------------------------------------

def _python(code: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    import resource

    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limited,
                          env=os.environ | {"OPENBLAS_NUM_THREADS": "1"})


def test_a_practice_page_written_to_a_pipe_does_not_hang(tmp_path):
    """Sheet.pdf(path) writes the PDF beside the path and moves it into place (a FIFO there
    is replaced, as build replaces what is planted in --out); Sheet.html(path) opens the
    path and writes through it (Path.write_text): a FIFO with no reader blocks it forever,
    and a full disk leaves half a page. It should write the page as pdf() writes the PDF."""
    os.mkfifo(tmp_path / "page.html")
    code = (f"import symbackprop; s = symbackprop.worksheet({str(BLOG)!r}); "
            "print(s.html('page.html'))")
    try:
        done = _python(code, tmp_path, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("Sheet.html blocked on a FIFO for 60 s")
    assert done.returncode == 0 or "Traceback" in done.stderr, done.stderr[-1500:]
    if done.returncode == 0:
        assert (tmp_path / "page.html").is_file()


def test_from_torch_refuses_a_sparse_tensor_naming_the_argument(tmp_path):
    """The README: the API raises TypeError or DefinitionError naming the argument. A sparse
    input tensor raises PyTorch's own RuntimeError from inside the bridge ('reshape is not
    implemented for sparse tensors')."""
    pytest.importorskip("torch")
    code = ("import torch, symbackprop\nfrom torch import nn\n"
            "m = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())\n"
            "try:\n"
            "    symbackprop.from_torch(m, torch.tensor([0.05, 0.1]).to_sparse(),"
            " torch.tensor([0.01, 0.99]), loss='half_sse')\n"
            "except (TypeError, symbackprop.DefinitionError) as exc:\n"
            "    print('refused', exc)\n")
    done = _python(code, tmp_path)
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.startswith("refused") and "inputs" in done.stdout, done.stdout


# --- mark's message of a version that is a number --------------------------------------------

@pytest.mark.parametrize("version", ["-1", "1.0"])
def test_a_version_that_is_a_number_is_not_called_not_a_number(version, tmp_path):
    """mark names a row whose version it cannot use: 'line 2: version '-1' is not a number'
    and 'version '1.0' is not a number'. Both are numbers; the message should say what is
    wrong (a version is a whole number from 1), as 'no key for version 0' does for 0."""
    folder = tmp_path / "keys"
    assert run(["build", str(BLOG), "--format", "tex", "--out", str(folder)],
               tmp_path).code == 0
    (tmp_path / "c.csv").write_text(f"name,version,a\nAnn,{version},0.3775\nBo,,0.3775\n",
                                    encoding="utf-8")
    result = run(["mark", "keys", "c.csv", "--out", "marks"], tmp_path)
    said = [line for line in result.stderr.splitlines() if "line 2" in line]
    assert said, result.stderr
    assert "is not a number" not in said[0], said[0]


@pytest.mark.parametrize("option, typed", [("--pass-mark", "\u0665\u0660"),
                                           ("--pass-mark", "5_0"),
                                           ("--points-carried-forward", "\u0660.\u0665"),
                                           ("--points-rounded", "\u0660.\u0665")])
def test_a_number_option_is_read_as_the_counts_are(option, typed, tmp_path):
    """The command line's counts refuse what a person would not type as a number
    (`--versions ٢`, `--seed ٥`, `--epochs 1_0`: 'must be a whole number ..., got ٢'), and
    check refuses Arabic-Indic digits in an answer ('has characters that are not plain
    digits'). --pass-mark, --points-carried-forward and --points-rounded are read by
    Python's float(): `--pass-mark ٥٠` and `--pass-mark 5_0` build a package whose pass mark
    is 50, `--points-carried-forward ٠.٥` marks with 0.5. Each should be refused in one
    line naming the option and what was typed."""
    shutil.copy(BLOG, tmp_path / "s.yaml")
    if option == "--pass-mark":
        result = run(["build", "s.yaml", "--format", "scorm", option, typed, "--out", "out"],
                     tmp_path)
        target = tmp_path / "out"
    else:
        assert run(["build", "s.yaml", "--format", "tex", "--out", "keys"], tmp_path).code == 0
        (tmp_path / "c.csv").write_text("name,version,a\nAnn,,0.3775\n", encoding="utf-8")
        result = run(["mark", "keys", "c.csv", option, typed, "--out", "out"], tmp_path)
        target = tmp_path / "out"
    assert_refused(result, option, typed)
    assert not target.exists()


def test_an_out_folder_named_like_an_option_is_a_folder_to_build_part(tmp_path):
    """Pass five made build-part.sh read a DEFINITION named like an option ('-h') as the file
    './-h'. OUT is passed as `--out "$out/part-NNNNN"`, so an OUT of '-out' (a Slurm job's
    OUT=-out, or a Kubernetes volume path written so) reaches build as `--out
    -out/part-00000`, which argparse reads as an option: 'symbackprop: build: argument
    --out: expected one argument', of a folder that is a folder. build should get it as the
    folder it is (./-out/..., or --out=...)."""
    from symbackprop.cli.parser import parser

    record = tmp_path / "record.txt"
    fake = tmp_path / "fake-symbackprop"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done >> "$RECORD"\n')
    fake.chmod(0o755)
    proc = subprocess.run([str(CLUSTER / "build-part.sh"), "0", "set.yaml", "4", "2", "-out"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=os.environ | {"SYMBACKPROP": str(fake), "RECORD": str(record)})
    assert proc.returncode == 0, proc.stderr
    args = record.read_text().splitlines()
    try:
        parsed = parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"build cannot read the arguments build-part.sh gives it: {args}")
    assert Path(parsed.out) in (Path("-out/part-00000"), Path("./-out/part-00000")), parsed.out
