"""Every rule's own value, through both interpreters: for each blank of sheets of every kind
(sigmoid, tanh, softmax with cross-entropy, ReLU with binary cross-entropy, a batch, the
matrix form), the right answer, its neighbours a unit away, the right answer to fewer
decimals and cut off, and every known mistake's value (a term's sign in a net, tanh's and
softmax's own mistakes among them), each typed into an otherwise right sheet, and the same
again from the student's own wrong answer one step back: Python's check and the page's script
in Chromium give the same verdicts, diagnoses and messages."""

import json
import math

import pytest

from symbackprop.cli import main
from symbackprop.marking import check, scheme

from . import browser
from .conftest import ROOT, WORKSHEETS

SHEETS = {"class-set-2-2-2": WORKSHEETS, "postnetwork-softmax-3-2-2": WORKSHEETS,
          "relu-bce-1-1-1": WORKSHEETS, "tanh-2-2-1": ROOT / "tests" / "examples",
          "batch-of-two-2-2-2": WORKSHEETS, "matrix-form-3-4-2": WORKSHEETS,
          "german-class-set-3-3-2": WORKSHEETS}
CLASS_SETS = ("class-set-2-2-2", "german-class-set-3-3-2")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("rules")
    for name, folder in SHEETS.items():
        extra = ["--versions", "1"] if name in CLASS_SETS else []
        assert main(["build", str(folder / f"{name}.yaml"), "--format", "html", "--out",
                     str(out), *extra]) == 0
    return out


def _stem(name: str) -> str:
    return f"{name}-v01" if name in CLASS_SETS else name


def _typed(blank: dict, values: dict, d: int) -> list[str]:
    """The numbers a rule is about, as a student types them."""
    t = blank["tolerance"]
    if not t["half"]:
        return [f"{blank['value'] + k:g}" for k in (-1, 1)]
    unit = 10.0 ** -d
    out = [f"{t['lo'] - unit:.{d}f}", f"{t['hi']:.{d}f}", f"{t['hi'] + unit:.{d}f}"]
    for p in (d - 1, d - 2):
        out.append(f"{blank['value']:.{p}f}")
    out += [f"{math.trunc(x * 10 ** d) / 10 ** d:.{d}f}" for x in (t["from"], t["to"])]
    for rule in blank["mistakes"]:
        for c in rule["candidates"]:
            v = scheme.evaluate(c, values.get)
            if v is not None and math.isfinite(v):
                out.append(f"{v:.{d}f}")
    return out


def _answer_sets(sch: dict) -> list[dict[str, str]]:
    d, values = sch["decimals"], sch["values"]
    right = {b["label"]: repr(b["value"]) for b in sch["blanks"]}
    sets = []
    for i, blank in enumerate(sch["blanks"]):
        for text in dict.fromkeys(_typed(blank, values, d)):
            sets.append(right | {blank["label"]: text})
            if i + 1 < len(sch["blanks"]):  # the next blank worked from this wrong one
                nxt = sch["blanks"][i + 1]
                own = {b["name"]: b["value"] for b in sch["blanks"]} | {
                    blank["name"]: float(text)}
                carried = None if nxt["recompute"] is None else scheme.evaluate(
                    nxt["recompute"], lambda n, own=own: own.get(n, values.get(n)))
                if carried is not None and math.isfinite(carried):
                    sets.append(right | {blank["label"]: text, nxt["label"]: f"{carried:.{d}f}"})
    return sets


def _python(sch: dict, typed: dict[str, str]):
    given = {k: check.parse_number(v) for k, v in typed.items()}
    return [[m.verdict, m.diagnosis, m.also, m.message] for m in scheme.mark(sch, given)]


@pytest.fixture(scope="module")
def driver():
    d = browser.start()
    yield d
    d.quit()


SEEN: dict[str, set] = {}
ALSO: dict[str, int] = {}  # marks naming a second mistake, by sheet


@pytest.mark.parametrize("name", list(SHEETS))
def test_each_rule_marks_alike_in_python_and_the_page(name, built, driver):
    page = built / f"{_stem(name)}-practice.html"
    sch = json.loads((built / f"{_stem(name)}-key.json").read_text())["scheme"]
    sets = _answer_sets(sch)
    browser.open_page(driver, page)
    script = driver.execute_script("""
        const [scheme, sets] = arguments;
        return sets.map(typed => {
          const given = {}, places = {};
          for (const [label, text] of Object.entries(typed)) {
            const parsed = parseNumber(text);
            given[label] = parsed.value; places[label] = parsed.places;
          }
          return mark(scheme, given, places).map(m => [m.verdict, m.diagnosis, m.also,
                                                       m.message]);
        });""", sch, sets)
    python = [_python(sch, typed) for typed in sets]
    for typed, js, py in zip(sets, script, python):
        assert js == py, typed
    SEEN[name] = {v for marks in python for v, _, _, _ in marks} | {
        d for marks in python for _, d, _, _ in marks if d}
    ALSO[name] = sum(bool(a) for marks in python for _, _, a, _ in marks)


def test_the_rules_reach_every_verdict_and_each_networks_own_diagnoses():
    if len(SEEN) < len(SHEETS):
        pytest.skip("needs every sheet's comparison run first")
    every = set().union(*SEEN.values())
    assert every >= {"correct", "too_few_decimals", "carried_forward", "incorrect", "cut_off",
                     "term_sign", "sign", "sign_here", "step_up", "opposite_sign",
                     "rounded_too_early",
                     "no_step", "one_path_only",
                     "updated_weights", "missing_activation_derivative", "net_for_out"}
    assert "sigmoid_of_negative" in SEEN["class-set-2-2-2"]
    assert "tanh_slope" in SEEN["tanh-2-2-1"] and "sigmoid_of_negative" not in SEEN["tanh-2-2-1"]
    assert "softmax_diagonal" in SEEN["postnetwork-softmax-3-2-2"]
    # a softmax output's own mistakes, never the tanh of the layer before it
    assert {"sigmoid_for_softmax", "softmax_own_term_left_out", "sigmoid_for_tanh"} <= \
        SEEN["german-class-set-3-3-2"]
    assert "delta_for_dout" in SEEN["relu-bce-1-1-1"]
    assert {"mean_for_sum", "one_example"} <= SEEN["batch-of-two-2-2-2"]
    assert all(ALSO.values()), ALSO  # each sheet has answers two mistakes explain
