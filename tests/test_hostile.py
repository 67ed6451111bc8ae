"""Hostile input, tried as a hostile user would: nothing may crash, hang or exhaust the program.

Each case ends in exit code 2 (or the right result, for a legal edge case) with one line on
stderr naming the file, the key and the problem, no traceback, nothing left in the working
folder, inside the harness's time and memory bounds. The cases that threaten memory or time
(endless files, alias bombs, deep nesting, huge networks, signals, full disks) run as separate
processes; the rest run in-process through `definition.parse` and `cli.main`, which tests the
same code without paying 0.7 s of start-up each.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from symbackprop.cli import commands as cli
from symbackprop.cli.common import strict_json
from symbackprop.cli.parser import parser as cli_parser
from symbackprop.definitions import definition
from symbackprop.definitions.definition import (
    MAX_BYTES,
    MAX_NESTING,
    MAX_PARAMETERS,
    MAX_SEED,
    MAX_VALUES,
    DefinitionError,
    parse,
)
from symbackprop.definitions.errors import UsageError, one_line
from symbackprop.engine import numeric
from tests.hostile import TIMEOUT, Run, _limit_memory, assert_refused, files, run

ROOT = Path(__file__).resolve().parent.parent
BLOG = str(ROOT / "worksheets" / "blog-2-2-2.yaml")
PIXEL = str(ROOT / "worksheets" / "pixel-four-4-2-1.yaml")
SECONDS = 20.0  # a refusal takes about 1 s; the rest is room for a loaded machine
NET = "network: {layers: [2, 1], activation: sigmoid, loss: half_sse}\n"
RELU_AT_CORNER = ("network: {layers: [1, 1], activation: relu, loss: half_sse, bias: none}\n"
                  "values: {inputs: [0], targets: [1], weights: [[[0.5]]]}\n")
LESSON = "kind: forward_matrix\ntitle: Digits\nlesson: {image: %s, digit: 4}\n"


def laughs(levels: int = 9, width: int = 9, key: str = "x") -> str:
    """The billion laughs: each level an anchored list of `width` aliases of the one below."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + f"\n{key}: *a{levels - 1}\n"


def nested(depth: int, kind: str = "list") -> str:
    return "[" * depth + "]" * depth if kind == "list" else "{a: " * depth + "1" + "}" * depth


def digits(n: int, sign: str = "") -> str:
    return sign + "9" * n


# --- separate processes: the cases that could hang or exhaust the machine ------------------


def refused(tmp_path: Path, args: list[str], *fragments: str) -> Run:
    """Run in `tmp_path`; exit 2, one line naming `fragments`, nothing written, in time."""
    before = files(tmp_path)
    result = run(args, tmp_path)
    assert_refused(result, *fragments)
    assert result.stdout == "", result.stdout[:500]
    assert files(tmp_path) == before
    assert result.seconds < SECONDS, result.seconds
    return result


def _definition(text: str | bytes):
    def setup(folder: Path) -> str:
        data = text.encode("utf-8") if isinstance(text, str) else text
        (folder / "def.yaml").write_bytes(data)
        return "def.yaml"
    return setup


def _sparse(size: int, name: str = "huge.yaml"):
    def setup(folder: Path) -> str:
        with open(folder / name, "wb") as handle:
            handle.truncate(size)  # takes no disk, but reads as `size` bytes of NULs
        return name
    return setup


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe.yaml")  # nobody ever writes to it: opening it must not wait
    return "pipe.yaml"


def _folder(folder: Path) -> str:
    (folder / "folder.yaml").mkdir()
    return "folder.yaml"


def _image(target) -> object:
    """A lesson whose image: is `target` (a path, or a setup that makes one)."""
    def setup(folder: Path) -> str:
        name = target(folder) if callable(target) else target
        (folder / "lesson.yaml").write_text(LESSON % json.dumps(str(name)), encoding="utf-8")
        return "lesson.yaml"
    return setup


def _plain(path: str):
    return lambda folder: path


HUGE_NETWORK = "network: {layers: [4096, 4096, 4096], activation: sigmoid, loss: half_sse}\n"

PROCESS_CASES = {
    # files that never end, are huge, or are not files at all
    "dev-zero": (_plain("/dev/zero"), ["derive"], ["/dev/zero", "a device"]),
    "dev-urandom": (_plain("/dev/urandom"), ["train", "--steps", "1"],
                    ["/dev/urandom", "a device"]),
    "dev-null": (_plain("/dev/null"), ["audit"], ["/dev/null", "a device"]),
    "fifo-without-writer": (_fifo, ["derive"], ["pipe.yaml", "a pipe"]),
    "folder": (_folder, ["derive"], ["folder.yaml", "a folder"]),
    "read-error": (_plain("/proc/self/mem"), ["derive"], ["/proc/self/mem", "Input/output"]),
    "sparse-4-GiB": (_sparse(4 * 2**30), ["derive"], ["huge.yaml", "larger than 16 MiB"]),
    "one-byte-over": (_definition(b"#" * MAX_BYTES + b"\n"), ["derive"],
                      ["def.yaml", "larger than 16 MiB"]),
    "name-too-long": (_plain("x" * 5000 + ".yaml"), ["derive"], ["File name too long"]),
    "not-utf8": (_definition(NET.encode() + b"title: caf\xe9\n"), ["derive"],
                 ["def.yaml", "not UTF-8", "line 2"]),
    "utf16": (_definition(NET.encode("utf-16")), ["derive"], ["def.yaml", "not UTF-8"]),
    "nul-byte": (_definition(NET + "title: a\x00b\n"), ["derive"],
                 ["def.yaml", "line 2", "U+0000"]),
    # YAML built to exhaust: aliases, nesting, keys that are not names
    "billion-laughs": (_definition(NET + laughs()), ["derive"],
                       ["def.yaml", f"more than {MAX_VALUES:,} values"]),
    "laughs-as-inputs": (_definition(NET.replace("}", "}\nvalues:") + "  " +
                                     laughs(key="inputs").replace("\n", "\n  ")),
                         ["train", "--steps", "1"], ["def.yaml", "values"]),
    "merge-key-bomb": (_definition(NET + "a0: &a0 {k0: 1, k1: 1, k2: 1, k3: 1}\n" + "".join(
        f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 8)}], k{i}x: 1}}\n"
        for i in range(1, 10))), ["derive"], ["def.yaml"]),
    "nested-20000-lists": (_definition(NET + "x: " + nested(20_000) + "\n"), ["derive"],
                           ["def.yaml", "line 2", f"nested more than {MAX_NESTING} deep"]),
    "nested-20000-maps": (_definition(NET + "x: " + nested(20_000, "map") + "\n"),
                          ["train", "--steps", "1"], ["def.yaml", "nested more than"]),
    "key-is-a-list": (_definition(NET + "? [a, b]\n: 1\n"), ["derive"],
                      ["def.yaml", "line 2", "a key must be a name or a number, not a list"]),
    # text a page cannot hold
    "title-200000": (_definition(NET + "title: " + "x" * 200_000 + "\n"), ["derive"],
                     ["def.yaml", "title", "200,000 characters", "at most 200"]),
    "emoji-title-build": (_definition(NET + "title: 'Backprop 😀'\n"),
                          ["build", "--format", "tex", "--out", "out"],
                          ["def.yaml", "title", "U+1F600"]),
    "emoji-title-derive": (_definition(NET + "title: '🧠 nets'\n"), ["derive"],
                           ["def.yaml", "title", "U+1F9E0"]),
    # numbers Python cannot read or a float cannot hold
    "int-400-digits": (_definition(NET + "learning_rate: " + digits(400) + "\n"), ["derive"],
                       ["def.yaml", "learning_rate", "400 digits"]),
    "int-5000-digits": (_definition(NET + "values: {weights: [[[1, " + digits(5000) + "]]]}\n"),
                        ["derive"], ["def.yaml", "values.weights[0][0][1]", "5,000 digits"]),
    # networks too big for the machine, and the ReLU corner
    "4096-4096-4096-derive": (_definition(HUGE_NETWORK), ["derive"],
                              ["def.yaml", "network.layers", f"{MAX_PARAMETERS:,}"]),
    "4096-4096-4096-train": (_definition(HUGE_NETWORK), ["train", "--steps", "1"],
                             ["def.yaml", "33,554,434 weights and biases"]),
    "4096-4096-4096-build": (_definition(HUGE_NETWORK),
                             ["build", "--format", "tex", "--out", "out"],
                             ["def.yaml", "network.layers"]),
    "relu-corner-derive": (_definition(RELU_AT_CORNER), ["derive"],
                           ["def.yaml: values: net[1][1]", "ReLU's corner"]),
    # a lesson's image
    "image-dev-zero": (_image("/dev/zero"), ["build", "--format", "tex", "--out", "out"],
                       ["lesson.yaml", "lesson.image", "/dev/zero", "a device"]),
    "image-dev-urandom": (_image("/dev/urandom"), ["build", "--format", "tex", "--out", "out"],
                          ["lesson.yaml", "lesson.image", "a device"]),
    "image-sparse-2-GiB": (_image(_sparse(2 * 2**30, "digits.csv")),
                           ["build", "--format", "tex", "--out", "out"],
                           ["lesson.image", "digits.csv", "larger than 1 MiB"]),
    "image-fifo": (_image(lambda f: (os.mkfifo(f / "p.csv"), "p.csv")[1]),
                   ["build", "--format", "tex", "--out", "out"], ["lesson.image", "a pipe"]),
    # counts on the command line
    "steps-10^9": (_plain(BLOG), ["train", "--steps", "1000000000"],
                   ["--steps", "from 0 to 100,000", "1000000000"]),
    "versions-10^5": (_plain(BLOG), ["build", "--versions", "100000"],
                      ["--versions", "from 1 to 1,000"]),
    "seed-5000-digits": (_plain(BLOG), ["derive", "--seed", digits(5000)],
                         ["--seed", f"to {MAX_SEED:,}"]),
}


@pytest.mark.parametrize("setup, command, fragments", PROCESS_CASES.values(),
                         ids=PROCESS_CASES.keys())
def test_hostile_files_and_counts_are_refused_in_a_bounded_process(tmp_path, setup, command,
                                                                   fragments):
    target = setup(tmp_path)
    result = refused(tmp_path, [command[0], target, *command[1:]], *fragments)
    assert len(result.stderr) < 1100  # quoting what the user wrote, but never all of it


def test_a_784_128_10_network_is_admitted_and_trains(tmp_path):
    (tmp_path / "mnist.yaml").write_text(
        "network: {layers: [784, 128, 10], activation: sigmoid, loss: half_sse, "
        "bias: per_neuron}\n", encoding="utf-8")
    result = run(["train", "mnist.yaml", "--steps", "2", "--json"], tmp_path)
    assert result.code == 0, result.stderr
    out = json.loads(result.stdout)
    assert [len(w) for w in out["W"]] == [128, 10] and len(out["W"][0][0]) == 784
    assert len(out["loss_history"]) == 3 and len(out["outputs"]) == 10
    assert files(tmp_path) == {tmp_path / "mnist.yaml"}


def test_unreadable_file_is_refused(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "secret.yaml"
    path.write_text(NET, encoding="utf-8")
    path.chmod(0)
    refused(tmp_path, ["derive", "secret.yaml"], "secret.yaml", "Permission denied")


def _run_into(output: str, args: list[str], cwd: Path) -> Run:
    """Like hostile.run, with standard output sent to `output` (e.g. /dev/full)."""
    start = time.monotonic()
    with open(output, "w") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "symbackprop.cli", *args], cwd=cwd, stdout=out,
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=TIMEOUT,
            preexec_fn=_limit_memory, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    return Run(proc.returncode, "", proc.stderr.decode("utf-8", "replace"),
               time.monotonic() - start)


@pytest.mark.parametrize("args", [
    ["derive", BLOG], ["derive", PIXEL, "--json"], ["train", BLOG, "--steps", "3"],
    ["train", BLOG, "--steps", "3", "--json"], ["audit", PIXEL], ["proof", "--list"],
    ["proof", "sigmoid", "--json"],
], ids=lambda a: " ".join(Path(x).name for x in a))
def test_output_to_a_full_disk_is_one_line(tmp_path, args):
    before = files(tmp_path)
    result = _run_into("/dev/full", args, tmp_path)
    assert_refused(result, "standard output", "No space left on device")
    assert files(tmp_path) == before and result.seconds < SECONDS


def test_ctrl_c_stops_training_with_one_line_and_exit_130(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "symbackprop.cli", "train", BLOG, "--steps", "100000"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        preexec_fn=_limit_memory, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    time.sleep(3.0)  # started and training: 100,000 steps take about 15 s
    assert proc.poll() is None, "finished before it could be interrupted"
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=TIMEOUT)
    lines = err.decode().strip().splitlines()
    assert proc.returncode == 130 and lines == ["symbackprop: interrupted"], err[-2000:]
    assert out == b"" and time.monotonic() - start < 5
    assert files(tmp_path) == set()


# --- in-process: the schema's refusals, through definition.parse ---------------------------

PARSE_CASES = {
    # keys that are not names
    "key-map": (NET + "? {a: 1}\n: 1\n", "line 2", "not a mapping"),
    "key-list-inside": ("network: {? [a]: 1, layers: [2, 1]}\n", "line 1", "not a list"),
    "key-long": (NET + "k" * 150 + ": 1\n", "kkkk", "unknown key"),
    "key-newline": (NET + '"a\\nb": 1\n', "a\\nb", "unknown key"),
    "key-twice": (NET + "title: a\ntitle: b\n", "line 3", "'title' appears twice"),
    "key-number": (NET + "7: 1\n", "7", "unknown key"),
    "key-5000-digits": (NET + "? " + digits(5000) + "\n: 1\n", "a whole number of 5,000",
                        "unknown key"),
    "key-set": (NET + "? !!set a\n: 1\n", "line 2", "a key must be a name or a number"),
    # explicit tags PyYAML cannot honour
    "tag-float": (NET + "learning_rate: !!float fast\n", "line 2", "cannot read this as float"),
    "tag-timestamp": (NET + "title: !!timestamp 2001-13-45\n", "line 2", "as timestamp"),
    "tag-python": (NET + "title: !!python/object/apply:os.system [ls]\n", "line 2",
                   "could not determine a constructor"),
    # aliases
    "alias-recursive": (NET + "x: &a [*a]\n", "line 2", "refers to the list"),
    "alias-undefined": (NET + "x: *nowhere\n", "line 2", "undefined alias"),
    "anchor-twice": (NET + "x: &a 1\ny: &a 2\n", "line 3", "duplicate anchor"),
    "laughs-in-layers": ("network: {activation: sigmoid, loss: half_sse, layers: [&a0 [1, 2, 3],"
                         + "".join(f" &a{i} [{', '.join([f'*a{i - 1}'] * 6)}]," for i in
                                   range(1, 6)) + "]}\n", "network.layers[0]", "got [1, 2, 3]"),
    "nested-33": (NET + "x: " + nested(MAX_NESTING + 1) + "\n", "line 2", "nested more than"),
    # characters YAML itself will not read
    "escape-char": (NET + "title: a\x1bb\n", "line 2", "U+001B"),
    "delete-char": (NET + "title: a\x7fb\n", "line 2", "U+007F"),
    "non-character": (NET + "title: a\ufffeb\n", "line 2", "U+FFFE"),
    # titles
    "title-201": (NET + "title: " + "t" * 201 + "\n", "title", "201 characters"),
    "title-nul-escape": (NET + 'title: "a\\0b"\n', "title", "U+0000"),
    "title-rtl-override": (NET + "title: 'abc\u202edef'\n", "title", "U+202E"),
    "title-zero-width": (NET + "title: 'a\u200bb'\n", "title", "U+200B"),
    "title-emoji-lesson": ("kind: gradient_descent\ntitle: 'Descent 🚀'\nlesson: {starts: [1]}\n",
                           "title", "U+1F680"),
    "title-list": (NET + "title: [a, b]\n", "title", "non-empty text, got ['a', 'b']"),
    "title-number": (NET + "title: 3\n", "title", "non-empty text, got 3"),
    # numbers of 400 and 5,000 digits anywhere a number goes
    "400-inputs": (NET + f"values: {{inputs: [{digits(400)}, 1]}}\n", "values.inputs[0]",
                   "400 digits"),
    "400-targets": (NET + f"values: {{targets: [{digits(400, '-')}]}}\n", "values.targets[0]",
                    "400 digits"),
    "400-biases": (NET + f"values: {{biases: [[{digits(400)}]]}}\n", "values.biases[0][0]",
                   "400 digits"),
    "400-layers": (f"network: {{layers: [2, {digits(400)}], activation: sigmoid, "
                   "loss: half_sse}\n", "network.layers[1]", "400 digits"),
    "400-seed": (NET + f"seed: {digits(400)}\n", "seed", "400 digits"),
    "400-versions": (NET + f"versions: {digits(400)}\n", "versions", "400 digits"),
    "400-decimals": (NET + f"decimals: {digits(400)}\n", "decimals", "400 digits"),
    "5000-layers": (f"network: {{layers: [{digits(5000)}, 1], activation: sigmoid, "
                    "loss: half_sse}\n", "network.layers[0]", "5,000 digits"),
    "5000-seed": (NET + f"seed: {digits(5000, '+')}\n", "seed", "5,000 digits"),
    "5000-lesson-digit": ("kind: forward_matrix\ntitle: D\nlesson: {image: x.csv, digit: "
                          f"{digits(5000)}}}\n", "lesson.digit", "5,000 digits"),
    "400-lesson-starts": ("kind: gradient_descent\ntitle: G\nlesson: {starts: "
                          f"[{digits(400)}]}}\n", "lesson.starts[0]", "400 digits"),
    "400-lesson-steps": ("kind: gradient_descent\ntitle: G\nlesson: {starts: [1], steps: "
                         f"{digits(400)}}}\n", "lesson.steps", "400 digits"),
    "400-probabilities": ("kind: loss_comparison\ntitle: L\nlesson: {probabilities: "
                          f"[{digits(400)}]}}\n", "lesson.probabilities[0]", "400 digits"),
    "20-digit-seed": (NET + "seed: 12345678901234567890\n", "seed", "20 digits"),
    "float-1e400": (NET + "learning_rate: 1e400\n", "learning_rate", "finite"),
    "float-400-digits": (NET + "learning_rate: 1" + "0" * 400 + ".5\n", "learning_rate",
                         "finite"),
    "float-minus-inf": (NET + "values: {inputs: [-.inf, 1]}\n", "values.inputs[0]", "finite"),
    # networks too big, too deep, or with names too long
    "layer-4097": ("network: {layers: [4097, 1], activation: sigmoid, loss: half_sse}\n",
                   "network.layers[0]", "from 1 to 4096"),
    "66-layer-sizes": ("network: {layers: [" + ", ".join(["2"] * 66) + "], activation: "
                       "sigmoid, loss: half_sse}\n", "network.layers", "2 to 65 layer sizes"),
    "just-over-parameters": ("network: {layers: [4096, 49, 1], activation: sigmoid, "
                             "loss: half_sse, bias: per_neuron}\n", "network.layers",
                             "200,803 weights and biases"),
    "ask-100000-characters": (NET + "ask: ['" + "W" * 100_000 + "']\n", "ask[0]",
                              "not a canonical name"),
    "text-for-a-number": (NET + "values: {inputs: ['" + "a" * 10_000 + "', 1]}\n",
                          "values.inputs[0]", "must be a number"),
    "top-level-list": ("[1, 2]\n", "(top level)", "mapping"),
    "empty-document": ("", "(top level)", "got nothing"),
}


@pytest.mark.parametrize("text, key, words", PARSE_CASES.values(), ids=PARSE_CASES.keys())
def test_hostile_definitions_name_file_key_and_problem_on_one_line(text, key, words):
    start = time.monotonic()
    with pytest.raises(DefinitionError) as err:
        parse(text, source="class.yaml")
    message = str(err.value)
    assert time.monotonic() - start < SECONDS
    assert message.startswith("class.yaml: ") and key in message, message
    assert words in message, message
    assert "\n" not in message and len(message) < 1100


@pytest.mark.parametrize("text, check", [
    # the largest of each bound is still admitted
    ("network: {layers: [784, 128, 10], activation: sigmoid, loss: half_sse, "
     "bias: per_neuron}\n", lambda d: definition.parameters(d.network) == 784 * 128 + 128 * 10
     + 128 + 10 == 101_770),
    ("network: {layers: [4096, 48, 1], activation: sigmoid, loss: half_sse, "
     "bias: per_neuron}\n", lambda d: definition.parameters(d.network) == 196_705),
    ("network: {layers: [" + ", ".join(["1"] * 65) + "], activation: tanh, loss: mse}\n",
     lambda d: d.network.depth == 64),
    (NET + f"seed: {MAX_SEED}\n", lambda d: d.seed == 2**63 - 1),
    (NET + "title: " + "t" * 200 + "\n", lambda d: len(d.title) == 200),
    (NET + "title: 'Zoë’s “net” — σ, η and ½'\n", lambda d: d.title.startswith("Zoë")),
    ("\ufeff" + NET, lambda d: d.network.layers == (2, 1)),  # a byte-order mark
    (NET + "values: {inputs: &x [0.5, 0.25], targets: [0.5]}\nask: []\n",
     lambda d: d.values.inputs == (0.5, 0.25)),
    ("network: &n {layers: [2, 1], activation: sigmoid, loss: half_sse}\n",
     lambda d: d.network.loss == "half_sse"),
])
def test_legal_edges_are_admitted(text, check):
    assert check(parse(text, source="edge.yaml"))


def test_aliases_below_the_bound_are_read():
    assert parse(NET + "values: {inputs: [&a 0.5, *a]}\n").values.inputs == (0.5, 0.5)


# --- in-process: files and the command line through cli.main ------------------------------


@pytest.mark.parametrize("argv, words", [
    (["train", BLOG, "--steps", "100001"], "from 0 to 100,000, got 100001"),
    (["train", BLOG, "--steps", "-1"], "--steps"),
    (["train", BLOG, "--steps", "1e3"], "got 1e3"),
    (["train", BLOG, "--steps", " 5"], "--steps"),
    (["train", BLOG, "--steps", "١٢"], "--steps"),  # digits, but not ASCII ones
    (["train", BLOG, "--steps", digits(5000)], "--steps"),
    (["build", BLOG, "--versions", "0"], "from 1 to 1,000"),
    (["build", BLOG, "--versions", "1001"], "from 1 to 1,000, got 1001"),
    (["build", BLOG, "--first-version", "1000001"], "from 1 to 1,000,000, got 1000001"),
    (["build", BLOG, "--versions", digits(5000)], "--versions"),
    (["build", BLOG, "--jobs", "0"], "--jobs"),
    (["build", BLOG, "--jobs", "65"], "from 1 to 64"),
    (["derive", BLOG, "--seed", str(2**63)], "--seed"),
    (["derive", BLOG, "--seed", "-1"], "--seed"),
    (["derive", BLOG, "--seed", "0x10"], "got 0x10"),
    (["derive", BLOG, "--version", "1000001"], "--version"),
    (["derive", BLOG, "--version", digits(400)], "--version"),
    (["check", BLOG, "--version", digits(5000)], "--version"),
    (["derive", BLOG, "--bogus"], "unrecognized arguments: --bogus"),
    ([], "required: COMMAND"),
    (["proof", "--json", "--list", "x", "y"], "unrecognized"),
])
def test_command_line_counts_are_bounded_and_refused_on_one_line(tmp_path, monkeypatch, capsys,
                                                                argv, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and err.startswith("symbackprop: ") and words in err, err
    assert len(err) < 400 and files(tmp_path) == set()


def test_train_without_a_count_says_which_to_give(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", BLOG]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "give --steps N (or, for a definition with data:, " \
        "--epochs N)" in err and files(tmp_path) == set()


def test_the_largest_counts_are_accepted():
    parser = cli_parser()
    args = parser.parse_args(["train", BLOG, "--steps", "100000", "--seed", str(2**63 - 1),
                              "--version", "1000000"])
    assert (args.steps, args.seed, args.version) == (100_000, 2**63 - 1, 1_000_000)
    assert parser.parse_args(["build", BLOG, "--versions", "1000"]).versions == 1000


@pytest.mark.parametrize("text, words", [
    (RELU_AT_CORNER, ["def.yaml: values: net[1][1]", "ReLU's corner"]),
    (NET + "title: 'Net 😀'\n", ["def.yaml: title:", "U+1F600"]),
    (NET + "versions: 1000001\n", ["def.yaml: versions:", "from 1 to 1000000"]),
])
def test_cli_names_the_file_and_key(tmp_path, monkeypatch, capsys, text, words):
    monkeypatch.chdir(tmp_path)
    Path("def.yaml").write_text(text, encoding="utf-8")
    assert cli.main(["derive", "def.yaml"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    for word in words:
        assert word in captured.err
    assert files(tmp_path) == {tmp_path / "def.yaml"}


def test_json_output_is_strict_or_refused(monkeypatch, capsys):
    assert json.loads(strict_json({"J": 0.25, "W": [[1.0]]}, "x.yaml")) == {"J": 0.25, "W": [[1.0]]}
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(UsageError, match="x.yaml: a result is not a finite number"):
            strict_json({"loss_history": [1.0, bad]}, "x.yaml")
    # the wire from `train --json`: an engine that ever let a NaN through is refused, not printed
    real = numeric.train
    monkeypatch.setattr(numeric, "train", lambda inst, steps: (
        lambda h, p: ([h[0], float("nan")], p))(*real(inst, steps)))
    assert cli.main(["train", BLOG, "--steps", "1", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "NaN" in captured.err


def test_a_file_at_the_byte_bound_is_read_and_one_byte_more_is_not(tmp_path):
    at = tmp_path / "at.yaml"
    at.write_bytes(NET.encode() + b"#" * (MAX_BYTES - len(NET) - 1) + b"\n")
    assert at.stat().st_size == MAX_BYTES
    assert definition.load(at).network.layers == (2, 1)
    over = tmp_path / "over.yaml"
    over.write_bytes(at.read_bytes() + b"\n")
    with pytest.raises(DefinitionError, match="larger than 16 MiB"):
        definition.load(over)


def test_one_line_keeps_messages_readable():
    assert one_line("a\nb\rc\x00d\u202ee") == "a\\nb\\rc\\x00d\\u202ee"
    assert one_line("x" * 5000, 100) == "x" * 100 + "…"
    assert one_line("Zoë 😀 σ") == "Zoë 😀 σ"  # printable text stays as written


def test_a_big_network_is_judged_on_few_draws_and_then_refused_by_name():
    from symbackprop.engine.sample import NoGoodDraw, instance

    defn = parse("network: {layers: [784, 128, 10], activation: sigmoid, loss: half_sse, "
                 "bias: per_neuron}\n", source="mnist.yaml")
    judged = []
    with pytest.raises(NoGoodDraw) as err:
        instance(defn, seed=1, accept=lambda inst: judged.append(inst) and False)
    assert len(judged) == 10  # the floor: 500,000 // 101,770 is 4; not 500 verifications
    assert isinstance(err.value, UsageError)  # one line and exit code 2 from any command
    assert str(err.value).startswith("mnist.yaml: no acceptable numbers in 10 draws")


def test_mutated_definitions_are_read_or_refused_on_one_line_never_crash():
    """A fixed sample of random edits (YAML tokens inserted, text cut and copied) of the shipped
    definitions: each parses, or fails with a DefinitionError of one line; no other exception.
    Explicit tags (`!!float shared`), sets as keys and stray directives were found this way."""
    import random

    rng = random.Random(14)
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "worksheets").glob("*.yaml"))]
    tokens = ["[", "]", "{", "}", ":", ",", "&a ", "*a", "!!set ", "!!binary ", "? ", "- ", "\n",
              "<<: ", "'", '"', "1e999", "9" * 30, "~", "!!float ", "!!int ", "!!omap ", "\t",
              "|", "\\", "\x85", "\u2028", "%YAML 1.1\n---\n", "---", "!!python/tuple "]
    outcomes = set()
    for _ in range(400):
        text = rng.choice(texts)
        for _ in range(rng.randint(1, 4)):
            at, other = rng.randrange(len(text) + 1), rng.randrange(len(text) + 1)
            text = rng.choice([text[:at] + rng.choice(tokens) + text[at:],
                               text[:at] + text[at + rng.randint(1, 20):],
                               text[:at] + text[other:other + rng.randint(1, 40)] + text[at:]])
        try:
            parse(text, source=str(ROOT / "worksheets" / "mutant.yaml"))
            outcomes.add("read")
        except DefinitionError as err:
            assert "\n" not in str(err) and len(str(err)) < 1100
            outcomes.add("refused")
    assert outcomes == {"read", "refused"}
