"""`check` given hostile keys, answers and versions: one line and exit code 2, or the right marks.

Each case runs the command as its own bounded process (tests/hostile.py)."""

import copy
import json
import os
from pathlib import Path

import pytest

from symbackprop.definitions.definition import load
from symbackprop.files import classset

from .conftest import WORKSHEETS
from .hostile import assert_refused, files, run

CLASS_SET = str(WORKSHEETS / "class-set-2-2-2.yaml")


@pytest.fixture(scope="module")
def good_key() -> dict:
    (version,) = classset.make(load(WORKSHEETS / "blog-2-2-2.yaml"), "blog")
    return json.loads(json.dumps(version.key))


def _edit(key: dict, path: str, value):
    """A copy of `key` with the item at a dotted path ('a.b.0.c') set, or deleted (value ...)."""
    key = copy.deepcopy(key)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    holder = key
    for p in parents:
        holder = holder[p]
    if value is ...:
        del holder[last]
    else:
        holder[last] = value
    return key


BAD_KEYS = {  # what is wrong -> (dotted path, new value), and a fragment of the message
    "no definition": (("definition", ...), "definition: is required"),
    "no answers": (("answers", ...), "answers: is required"),
    "answers empty": (("answers", []), "answers: must be a list of 1 to"),
    "answers a mapping": (("answers", {"a": 1}), "answers: must be a list"),
    "string for a weight": (("definition.values.weights.0.0.0", "0.15"),
                            "definition.values.weights[0][0][0]: must be a number"),
    "unknown activation": (("definition.network.activation.0", "swish"),
                           "definition.network.activation[0]: must be one of"),
    "decimals -1": (("definition.decimals", -1), "definition.decimals: must be a whole number"),
    "decimals 10**9": (("definition.decimals", 10**9), "definition.decimals"),
    "a layer of 10**6 neurons": (("definition.network.layers.1", 10**6),
                                 "definition.network.layers[1]"),
    "a value of 1e308": (("answers.0.value", 1e308), "answers[0].value"),
    "a string value": (("answers.0.value", "0.3775"), "answers[0].value: must be a number"),
    "no exact value": (("answers.0.exact", ...), "answers[0].exact: is required"),
    "a duplicate label": (("answers.1.label", "a"), "answers[1].label"),
    "a label that is a number": (("answers.1.label", 7), "answers[1].label"),
    "an unknown name": (("answers.0.name", "import os"), "answers[0].name"),
    "a neuron that is not there": (("answers.0.name", "net[9][1]"), "answers[0].name"),
    "a path via an output": (("answers.5.name", "dJ/dout[1][1] via out[2][1]"),
                             "answers[5].name"),
    "no biases for a shared bias": (("definition.values.biases", None), "definition.values"),
    "a negative learning rate": (("definition.learning_rate", -0.5),
                                 "definition.learning_rate: must be positive"),
    "bias style unknown": (("definition.network.bias", "some"), "definition.network.bias"),
    "a negative version": (("version", -3), "version: must be a whole number"),
    "an unknown top-level key": (("extra", 1), "extra: unknown key"),
    "a scheme with an unknown operation": (("scheme.blanks.1.recompute", ["system", "rm"]),
                                           "scheme.blanks[1].recompute: not an expression"),
    "a scheme 300 deep": (("scheme.blanks.1.recompute", json.loads("[\"neg\", " * 300 + "1"
                                                                   + "]" * 300)),
                            "more than 200 deep"),
    "a scheme with a blank too few": (("scheme.blanks.3", ...), "one blank per answer"),
    "a scheme with a negative tolerance": (("scheme.blanks.0.tolerance.half", -1.0),
                                           "must not be negative"),
    "a scheme whose band is upside down": (("scheme.blanks.0.tolerance.lo", 99.0),
                                           "'lo' must not be above 'hi'"),
    "a scheme with an unknown diagnosis": (("scheme.blanks.1.mistakes.0.diagnosis", "magic"),
                                           "diagnosis: must be one of"),
    "a scheme reference that is a number": (("scheme.blanks.1.recompute", ["ref", 7]),
                                            "a reference is"),
}


@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_a_corrupted_key_is_refused_before_marking(case, good_key, tmp_path):
    (path, value), fragment = BAD_KEYS[case]
    (key := tmp_path / "key.json").write_text(json.dumps(_edit(good_key, path, value)))
    (answers := tmp_path / "a.txt").write_text("a = 0.3775\n")
    before = files(tmp_path)
    result = run(["check", str(key), str(answers)], tmp_path)
    assert_refused(result, "key.json", fragment)
    assert files(tmp_path) == before and result.seconds < 30


RAW_KEYS = {  # file contents -> fragment of the message
    "not JSON": (b"{not json", "is not JSON"),
    "NaN": (b'{"definition": {}, "answers": [{"value": NaN}]}', "NaN is not a number"),
    "Infinity": (b'{"answers": [Infinity]}', "Infinity is not a number"),
    "a top-level list": (b"[1, 2]", "must be a mapping"),
    "not UTF-8": (b'{"definition": "\xff\xfe"}', "is not UTF-8"),
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "empty": (b"", "is not JSON"),
}


@pytest.mark.parametrize("case", sorted(RAW_KEYS))
def test_a_key_that_is_not_a_key_is_refused(case, tmp_path):
    content, fragment = RAW_KEYS[case]
    (key := tmp_path / "key.json").write_bytes(content)
    result = run(["check", str(key), "-"], tmp_path, stdin=b"a = 1\n")
    assert_refused(result, "key.json", fragment)


def test_a_huge_key_is_refused_without_reading_it_all(tmp_path):
    (key := tmp_path / "key.json").write_bytes(b" " * (17 * 2**20))
    assert_refused(run(["check", str(key), "-"], tmp_path), "larger than 16 MiB")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_key_that_never_ends_is_refused(device, tmp_path):
    os.symlink(device, tmp_path / "key.json")
    result = run(["check", str(tmp_path / "key.json"), "-"], tmp_path)
    assert_refused(result, "key.json")
    assert result.seconds < 20


@pytest.mark.parametrize("where", ["a folder", "missing"])
def test_a_key_that_cannot_be_read(where, tmp_path):
    key = tmp_path / "key.json"
    if where == "a folder":
        key.mkdir()
    assert_refused(run(["check", str(key), "-"], tmp_path), "key.json", "cannot read the key")


# --- answers ----------------------------------------------------------------------------


@pytest.fixture
def key_file(good_key, tmp_path) -> Path:
    (path := tmp_path / "key.json").write_text(json.dumps(good_key))
    return path


@pytest.mark.parametrize("number, problem", [
    ("1" * 400, "longer than 40 characters"),
    ("1" * 5000, "longer than 40 characters"),
    ("1" + "0" * 400 + "/3", "longer than 40 characters"),
    ("1e999", "too large"),
    ("-1e400", "too large"),
    ("1e16", "too large"),
    ("12345678901234567/1", "too large"),
    ("nan", "is not a number"),
    ("inf", "is not a number"),
])
def test_an_answer_too_large_is_a_problem_and_the_rest_is_marked(number, problem, key_file,
                                                                  good_key):
    right = good_key["answers"][0]
    answers = f"a = {right['value']}\nb = {number}\n".encode()
    result = run(["check", str(key_file), "-", "--json"], key_file.parent, stdin=answers)
    assert result.code == 0 and "Traceback" not in result.stderr
    assert "line 2" in result.stderr and problem in result.stderr
    assert len(result.stderr) < 300  # the 5,000 digits are not echoed back
    verdicts = [a["verdict"] for a in json.loads(result.stdout)["answers"][:2]]
    assert verdicts == ["correct", "missing"]


def test_answers_that_are_not_utf8_are_refused(key_file):
    (answers := key_file.parent / "a.txt").write_bytes(b"a = 0.3775\nb = \xff\n")
    assert_refused(run(["check", str(key_file), str(answers)], key_file.parent),
                   "a.txt", "not UTF-8")


def test_answers_that_never_end_are_refused(key_file):
    result = run(["check", str(key_file), "/dev/zero"], key_file.parent)
    assert_refused(result, "/dev/zero", "a device, not a file")
    assert result.seconds < 20


def test_an_answers_folder_is_refused(key_file):
    assert_refused(run(["check", str(key_file), str(key_file.parent)], key_file.parent),
                   "cannot read the answers")


def test_thousands_of_bad_lines_are_counted_not_all_printed(key_file):
    answers = b"".join(b"x%d\n" % i for i in range(5000)) + b"a = 0.3\n"  # and one answer
    result = run(["check", str(key_file), "-"], key_file.parent, stdin=answers)
    assert result.code == 0 and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 21 and "4980 more" in result.stderr


@pytest.mark.parametrize("answers", ["-", None])
def test_closed_standard_input_is_refused(answers, key_file):
    args = ["check", str(key_file)] + ([answers] if answers else [])
    assert_refused(run(args, key_file.parent, stdin=None), "standard input is closed")


@pytest.mark.parametrize("answers", ["-", None])
def test_standard_input_that_is_not_utf8_is_refused(answers, key_file):
    args = ["check", str(key_file)] + ([answers] if answers else [])
    result = run(args, key_file.parent, stdin=b"\xff\xfe = 1\n")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("symbackprop: standard input")
    assert "UTF-8" in result.stderr


# --- the right version ----------------------------------------------------------------


@pytest.fixture(scope="module")
def version_7() -> dict:
    return classset.key(load(CLASS_SET), 7)


def _answers(key: dict) -> bytes:
    return "".join(f"{a['label']} = {a['value']}\n" for a in key["answers"]).encode()


def test_a_class_set_needs_its_version(version_7, tmp_path):
    result = run(["check", CLASS_SET, "-"], tmp_path, stdin=_answers(version_7))
    assert_refused(result, "class-set-2-2-2.yaml", "give --version (1 to 30")


@pytest.mark.parametrize("version, fragments", [
    ("31", ["--version 31", "versions 1 to 30"]), ("0", ["--version 0", "versions 1 to 30"]),
    ("1000001", ["--version", "from 0 to 1,000,000, got 1000001"])])
def test_a_version_outside_the_set_is_refused_at_once(version, fragments, tmp_path):
    result = run(["check", CLASS_SET, "-", "--version", version], tmp_path, stdin=b"a = 1\n")
    assert_refused(result, *fragments)
    assert result.seconds < 10


def test_a_version_beyond_any_set_is_refused(tmp_path):
    (d := tmp_path / "d.yaml").write_text(
        "network: {layers: [2, 2, 1], activation: sigmoid, loss: half_sse}\n")
    result = run(["check", str(d), "-", "--version", "1000001"], tmp_path, stdin=b"a = 1\n")
    assert_refused(result, "--version", "from 0 to 1,000,000")


def test_no_version_on_a_fully_given_definition(tmp_path):
    result = run(["check", str(WORKSHEETS / "blog-2-2-2.yaml"), "-", "--version", "3"],
                 tmp_path, stdin=b"a = 1\n")
    assert_refused(result, "blog-2-2-2.yaml", "every number is given")


def test_a_key_json_takes_no_version(key_file):
    result = run(["check", str(key_file), "-", "--version", "3"], key_file.parent)
    assert_refused(result, "key.json", "one version already")


def test_the_right_version_marks_every_answer_correct(version_7, tmp_path):
    result = run(["check", CLASS_SET, "-", "--version", "7", "--json"], tmp_path,
                 stdin=_answers(version_7))
    assert result.code == 0, result.stderr
    score = json.loads(result.stdout)["score"]
    assert score["correct"] == len(version_7["answers"]) and result.stderr == ""


def test_answers_for_another_version_are_recognized(version_7, tmp_path):
    result = run(["check", CLASS_SET, "-", "--version", "3", "--json"], tmp_path,
                 stdin=_answers(version_7))
    assert result.code == 0
    assert json.loads(result.stdout)["score"]["correct"] < len(version_7["answers"]) / 2
    assert "every one is right for version 7" in result.stderr


def test_regenerating_a_version_computes_no_other(monkeypatch):
    """Version 7 comes from (seed, 7) alone, and is the one the class set printed."""
    from symbackprop.engine import sample

    drawn = []
    real = sample.instance

    def spy(defn, seed=None, version=None, *rest, **kw):
        drawn.append(version)
        return real(defn, seed, version, *rest, **kw)

    monkeypatch.setattr(classset, "instance", spy)
    defn = load(CLASS_SET)
    alone = classset.key(defn, 7)
    assert drawn == [7]
    whole_set = classset.make(defn, "set", 7)
    assert whole_set[-1].key == alone
