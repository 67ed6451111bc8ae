"""Practice pages in a real browser: built by `build --format html`, they mark as `check` does.

Debian's Chromium through Selenium: answers typed into the page's inputs, Check pressed, the
verdicts read back and compared with `check`'s; the console has no errors and no request leaves
the page; axe-core finds no accessibility violations.
"""

import json
import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selenium.webdriver.common.by import By

from symbackprop.cli import main
from symbackprop.marking import check, scheme

from . import browser
from .conftest import WORKSHEETS

SHEETS = ["blog-2-2-2", "pixel-four-4-2-1", "class-set-2-2-2", "digits-forward",
          "gradient-descent", "loss-comparison", "batch-of-two-2-2-2", "matrix-form-3-4-2",
          "digits-classifier"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every bundled worksheet as a practice page (one version of the class set)."""
    out = tmp_path_factory.mktemp("practice")
    for name in SHEETS:
        args = ["build", str(WORKSHEETS / f"{name}.yaml"), "--format", "html", "--out",
                str(out)] + (["--versions", "2"] if name == "class-set-2-2-2" else [])
        assert main(args) == 0
    return out


@pytest.fixture(scope="module")
def driver():
    d = browser.start()
    yield d
    d.quit()


def _page_and_key(built, name):
    stem = f"{name}-v01" if name == "class-set-2-2-2" else name
    return built / f"{stem}-practice.html", json.loads((built / f"{stem}-key.json").read_text())


def _embedded_scheme(page) -> dict:
    text = page.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="scheme">(.*?)</script>', text, re.S)
    return json.loads(found.group(1).replace("<\\/", "</"))


@pytest.mark.parametrize("name", SHEETS)
def test_a_page_is_one_small_self_contained_file(name, built):
    page, key = _page_and_key(built, name)
    text = page.read_text(encoding="utf-8")
    assert page.stat().st_size < 2**20
    assert "<math" in text and "<svg" in text or "<math" in text
    # no other host: no src or href that leaves the page, no @import or url() fetch
    assert not re.search(r'(?:src|href)\s*=\s*"(?!#|data:)', text)
    assert "@import" not in text and not re.search(r"url\((?!#)", text)
    assert _embedded_scheme(page) == key["scheme"]
    labels = re.findall(r'<input [^>]*data-label="([a-z]+)"', text, re.S)
    assert labels == [a["label"] for a in key["answers"]]


@pytest.mark.parametrize("name", SHEETS)
def test_right_answers_pasted_into_the_page_are_all_correct(name, built, driver):
    page, key = _page_and_key(built, name)
    browser.open_page(driver, page)
    browser.paste_answers(driver, {a["label"]: f"{a['value']}" for a in key["answers"]})
    shown = browser.press_check(driver)
    assert shown["score"] == {"correct": len(key["answers"]), "too_few_decimals": 0,
                              "carried_forward": 0, "incorrect": 0, "missing": 0}
    assert {v for v, _, _ in shown["marks"].values()} == {"correct"}
    assert browser.console_errors(driver) == []
    assert browser.requests_out(driver) == []


def test_a_student_with_mistakes_is_marked_as_check_marks(built, driver, tmp_path, capsys):
    page, key = _page_and_key(built, "blog-2-2-2")
    answers = {a["label"]: a["value"] for a in key["answers"]}
    first = key["answers"][1]  # out[1][1]: σ(−net) instead of σ(net)
    answers[first["label"]] = round(1 / (1 + math.exp(key["answers"][0]["value"])), 9)
    typed = {label: f"{v}".replace(".", ",") if i % 3 == 0 else f"{v}"
             for i, (label, v) in enumerate(answers.items())}
    typed[key["answers"][-1]["label"]] = ""  # one left blank
    browser.open_page(driver, page)
    browser.type_answers(driver, typed)
    shown = browser.press_check(driver)
    (answer_file := tmp_path / "a.txt").write_text(
        "".join(f"{k} = {v}\n" for k, v in typed.items() if v))
    assert main(["check", str(built / "blog-2-2-2-key.json"), str(answer_file), "--json"]) == 0
    marked = json.loads(capsys.readouterr().out)
    for m in marked["answers"]:
        assert shown["marks"][m["label"]][:2] == [m["verdict"], m["diagnosis"]], m
    assert shown["score"] == marked["score"]
    assert marked["answers"][1]["diagnosis"] == "sigmoid_of_negative"


def test_a_batch_page_carries_errors_across_examples_as_check_does(built, driver, tmp_path,
                                                                    capsys):
    page, key = _page_and_key(built, "batch-of-two-2-2-2")
    by_name = {a["name"]: a for a in key["answers"]}
    typed = {a["label"]: a["value"] for a in key["answers"]}
    places = key["definition"]["decimals"]
    typed[by_name["J@1"]["label"]] = round(by_name["J@1"]["value"] + 0.05, places)
    typed[by_name["J"]["label"]] = round(typed[by_name["J@1"]["label"]]
                                         + by_name["J@2"]["value"], places)
    typed[by_name["dJ/dW[2][1][1]"]["label"]] = round(
        by_name["dJ/dW[2][1][1]"]["exact"] / 2, places)
    typed = {label: f"{v}" for label, v in typed.items()}
    browser.open_page(driver, page)
    browser.type_answers(driver, typed)
    shown = browser.press_check(driver)
    (answer_file := tmp_path / "a.txt").write_text("".join(f"{k} = {v}\n"
                                                           for k, v in typed.items()))
    assert main(["check", str(built / "batch-of-two-2-2-2-key.json"), str(answer_file),
                 "--json"]) == 0
    marked = {m["name"]: m for m in json.loads(capsys.readouterr().out)["answers"]}
    for m in marked.values():
        assert shown["marks"][m["label"]][:2] == [m["verdict"], m["diagnosis"]], m
    assert marked["J"]["verdict"] == "carried_forward"
    assert marked["dJ/dW[2][1][1]"]["diagnosis"] == "mean_for_sum"
    assert browser.console_errors(driver) == []


def test_answers_survive_a_reload_and_working_is_revealed(built, driver):
    page, key = _page_and_key(built, "blog-2-2-2")
    browser.open_page(driver, page)
    browser.type_answers(driver, {"a": "0.3775", "b": "0.1"})
    driver.refresh()
    assert driver.execute_script(
        "return [document.querySelector('[data-label=a]').value,"
        " document.querySelector('[data-label=b]').value]") == ["0.3775", "0.1"]
    browser.press_check(driver)
    reveal = driver.find_element("css selector", 'button.reveal[data-for="b"]')
    assert reveal.is_displayed()
    reveal.click()
    working = driver.find_element("id", "working-b")
    assert working.is_displayed() and "0.593269992" in working.text and \
        "0.377500000" in working.text  # the number put in, then the value
    before = _verdicts(driver)
    assert before["a"][0] == "correct" and before["b"][0] == "incorrect"
    driver.refresh()  # checked once: the verdicts come back with the answers
    assert _verdicts(driver) == before


def _verdicts(driver) -> dict:
    return driver.execute_script("""
        const out = {};
        for (const el of document.querySelectorAll('[data-verdict-for]')) {
          if (el.dataset.verdict) out[el.dataset.verdictFor] = [el.dataset.verdict, el.textContent];
        }
        return out;""")


def test_garbage_is_refused_with_checks_message(built, driver):
    page, _ = _page_and_key(built, "blog-2-2-2")
    browser.open_page(driver, page)
    browser.type_answers(driver, {"a": "abc", "b": "1" * 50, "c": "٣"})
    shown = browser.press_check(driver)
    for label, text in (("a", "abc"), ("b", "1" * 50), ("c", "٣")):
        try:
            check.parse_number(text)
        except check.AnswerError as exc:
            assert str(exc) in shown["marks"][label][2]
        else:
            pytest.fail(f"{text!r} was accepted")


@pytest.mark.parametrize("name", ["blog-2-2-2", "gradient-descent", "batch-of-two-2-2-2",
                                  "matrix-form-3-4-2", "digits-classifier"])
def test_pages_have_no_accessibility_violations(name, built, driver):
    page, _ = _page_and_key(built, name)
    browser.open_page(driver, page)
    assert browser.axe_violations(driver) == []


PHONE = ["blog-2-2-2", "batch-of-two-2-2-2", "matrix-form-3-4-2", "digits-classifier",
         "gradient-descent"]


def test_pages_on_a_phone_have_no_accessibility_violations(built):
    """At 390 px the diagram, long formulas and proof lines scroll sideways; each is reachable
    by keyboard (axe: scrollable-region-focusable), and the page itself does not scroll."""
    d = browser.start(width=390, height=844, mobile=True)
    try:
        for name in PHONE:
            page, _ = _page_and_key(built, name)
            browser.open_page(d, page)
            assert browser.axe_violations(d) == [], name
            sizes = d.execute_script("""return [document.documentElement.scrollWidth,
                window.innerWidth, document.querySelectorAll('[data-scrolls]').length]""")
            assert sizes[0] <= sizes[1] + 1, (name, sizes)
            if name == "blog-2-2-2":
                assert sizes[2] > 0  # its diagram scrolls: the test saw a phone's page
                # a wrong answer's working, revealed, wraps between its sides; one still
                # wider than the phone (a sum of paths) scrolls and is reachable as well
                labels = d.execute_script("return Array.from(document.querySelectorAll("
                                          "'input[data-label]'), i => i.dataset.label)")
                browser.type_answers(d, {label: "0.6" for label in labels})
                browser.press_check(d)
                for button in d.find_elements(By.CSS_SELECTOR, "button.reveal:not([hidden])"):
                    d.execute_script("arguments[0].click()", button)
                stops = d.execute_script("""return Array.from(document.querySelectorAll(
                    '.working:not([hidden])'), w => [w.scrollWidth > w.clientWidth + 1,
                    w.tabIndex === 0])""")
                assert [tab for wide, tab in stops] == [wide for wide, tab in stops]
                assert any(wide for wide, _ in stops) and not all(wide for wide, _ in stops)
                assert browser.axe_violations(d) == []
    finally:
        d.quit()


def _resized(driver, width: int) -> None:
    """The window at `width`, once the page has answered its resize."""
    driver.set_window_size(width, 900)
    driver.execute_async_script("""const done = arguments[arguments.length - 1];
        window.dispatchEvent(new Event('resize'));
        requestAnimationFrame(() => requestAnimationFrame(done));""")


def test_a_region_takes_a_tab_stop_only_while_it_scrolls(built, driver):
    page, _ = _page_and_key(built, "blog-2-2-2")
    browser.open_page(driver, page)
    stops = """return Array.from(document.querySelectorAll('[data-scrolls]')).map(
        el => [el.tabIndex, el.scrollWidth > el.clientWidth])"""
    diagram = "return document.querySelector('figure.diagram').tabIndex"
    wide = driver.execute_script(stops)
    try:
        _resized(driver, 420)
        narrow = driver.execute_script(stops)
        assert len(narrow) > len(wide) and all(t == 0 and s for t, s in narrow), narrow
        assert driver.execute_script(diagram) == 0
    finally:
        _resized(driver, 1280)
    assert driver.execute_script(stops) == wide and driver.execute_script(diagram) == -1


def test_the_ball_stays_still_for_reduced_motion(built):
    page, _ = _page_and_key(built, "gradient-descent")
    for reduced, moving_shown in ((True, "none"), (False, "inline")):
        d = browser.start(reduced_motion=reduced)
        try:
            browser.open_page(d, page)
            assert d.execute_script(
                "return getComputedStyle(document.querySelector('svg .moving')).display"
            ) == moving_shown
        finally:
            d.quit()


# --- the two interpreters agree: Python's check and the page's script ---------------------

GARBAGE = ["abc", "1..2", "٣", "1/0", "1" * 45, "1e999", "nan", "inf", "0x10", "--1", "1,2,3",
           "½", "1 000", "+", "1e", ".", "3/-4"]


def _answer_sets(sch: dict):
    """Answers as typed: right ones in several spellings, each known mistake, values nudged
    (carried forward), rounded to other decimals, garbage, and blanks."""
    blanks = sch["blanks"]

    def mistakes(b):
        out = []
        for rule in b["mistakes"]:
            for c in rule["candidates"]:
                v = scheme.evaluate(c, sch["values"].get)
                if v is not None:
                    out.append(v)
        return out

    def spell(draw, v: float) -> str:
        form = draw(st.sampled_from(["repr", "fixed", "comma", "sci"]))
        d = draw(st.integers(0, 9))
        return {"repr": repr(v), "fixed": f"{v:.{d}f}", "comma": f"{v:.{d}f}".replace(".", ","),
                "sci": f"{v:.{d}e}"}[form]

    @st.composite
    def one(draw):
        typed = {b["label"]: spell(draw, b["value"]) for b in blanks}
        for b in draw(st.lists(st.sampled_from(blanks), max_size=5)):
            choice = draw(st.sampled_from(["mistake", "nudge", "blank", "far", "garbage"]))
            wrong = mistakes(b)
            if choice == "mistake" and wrong:
                typed[b["label"]] = spell(draw, draw(st.sampled_from(wrong)))
            elif choice == "nudge":
                typed[b["label"]] = spell(draw, b["value"] * draw(st.floats(0.8, 1.2)))
            elif choice == "blank":
                typed.pop(b["label"], None)
            elif choice == "far":
                typed[b["label"]] = spell(draw, draw(st.floats(-1e6, 1e6)))
            else:
                typed[b["label"]] = draw(st.sampled_from(GARBAGE))
        later = [b for b in blanks if b["recompute"] is not None
                 and any(n in by_name for n in scheme.refs(b["recompute"]))]
        if later and draw(st.booleans()):  # an earlier answer wrong, a later one right from it
            b = draw(st.sampled_from(later))
            earlier = by_name[next(n for n in scheme.refs(b["recompute"]) if n in by_name)]
            typed[earlier["label"]] = repr(earlier["value"] * draw(st.floats(1.1, 1.5)) + 0.01)
            carried = scheme.evaluate(b["recompute"], lambda n: _own(typed, by_name, sch, n))
            if carried is not None:
                typed[b["label"]] = repr(carried)
        return typed

    by_name = {b["name"]: b for b in blanks}
    return one()


def _own(typed: dict[str, str], by_name: dict, sch: dict, name: str) -> float | None:
    """A name's value as the student has it: their own answer where the name is a blank."""
    if name not in by_name:
        return sch["values"].get(name)
    try:
        return float(check.parse_number(typed[by_name[name]["label"]]))
    except (KeyError, check.AnswerError):
        return None


def _python_marks(sch: dict, typed: dict[str, str]):
    given, problems = {}, {}
    for label, text in typed.items():
        try:
            given[label] = check.parse_number(text)
        except check.AnswerError as exc:
            problems[label] = str(exc)
    return [[m.verdict, m.diagnosis] for m in scheme.mark(sch, given)], problems


@pytest.mark.parametrize("name", ["blog-2-2-2", "pixel-four-4-2-1", "class-set-2-2-2",
                                  "loss-comparison", "gradient-descent", "digits-forward",
                                  "digits-classifier"])
def test_python_and_the_page_give_the_same_verdicts(name, built, driver):
    """At least 1,000 answer sets in all, through both interpreters, the page's in Chromium."""
    page, key = _page_and_key(built, name)
    sch = key["scheme"]
    sets = []

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(_answer_sets(sch))
    def collect(typed):
        sets.append(typed)

    collect()
    assert len(sets) >= 250
    browser.open_page(driver, page)
    script = driver.execute_script("""
        const [scheme, sets] = arguments;
        return sets.map(typed => {
          const given = {}, places = {}, problems = {};
          for (const [label, text] of Object.entries(typed)) {
            const parsed = parseNumber(text);
            if ('error' in parsed) problems[label] = parsed.error;
            else { given[label] = parsed.value; places[label] = parsed.places; }
          }
          return [mark(scheme, given, places).map(m => [m.verdict, m.diagnosis]), problems];
        });""", sch, sets)
    python = [list(_python_marks(sch, typed)) for typed in sets]
    assert script == python
    verdicts = {v for marks, _ in python for v, _ in marks}
    assert verdicts >= {"correct", "incorrect", "missing"}  # the sets reach every branch
    if name not in LESSON_PAGES:  # a lesson's chains are short: tested by themselves below
        assert "carried_forward" in verdicts
    # the digits' mistakes are on 3 of its 14 blanks, reached by few sets: tested by themselves
    assert len({d for marks, _ in python for _, d in marks if d}) >= (
        1 if name == "digits-classifier" else 3)


def test_each_version_has_its_page_with_the_students_name(tmp_path):
    (roster := tmp_path / "class.txt").write_text("Zoë Adams\nNguyễn Van A\n", encoding="utf-8")
    assert main(["build", str(WORKSHEETS / "class-set-2-2-2.yaml"), "--versions", "2",
                 "--roster", str(roster), "--format", "html", "--format", "tex",
                 "--out", str(tmp_path / "out")]) == 0
    for version, student in ((1, "Zoë Adams"), (2, "Nguyễn Van A")):
        page = (tmp_path / "out" / f"class-set-2-2-2-v0{version}-practice.html").read_text(
            encoding="utf-8")
        key = json.loads((tmp_path / "out" / f"class-set-2-2-2-v0{version}-key.json").read_text())
        assert f"Version {version} · {student}" in page
        assert _embedded_scheme(tmp_path / "out" / f"class-set-2-2-2-v0{version}-practice.html"
                                ) == key["scheme"]
    assert (tmp_path / "out" / "class-set-2-2-2-v01-worksheet.tex").exists()


def test_the_sheets_own_minus_sign_is_a_minus(built, driver):
    """A student copies −0.2171 from the sheet (U+2212) or a phone turns a hyphen into a dash
    (U+2013): the page reads both as check does, as a minus."""
    page, key = _page_and_key(built, "blog-2-2-2")
    negative = [a for a in key["answers"] if a["value"] < 0][:2]
    browser.open_page(driver, page)
    typed = {a["label"]: dash + f"{abs(a['value']):.9f}" for a, dash in zip(negative, "−–")}
    browser.type_answers(driver, typed)
    marks = browser.press_check(driver)["marks"]
    for label, text in typed.items():
        assert marks[label][0] == "correct", (label, text, marks[label])
        assert check.parse_number(text) < 0


def test_an_answer_changed_after_check_loses_its_old_verdict(built, driver):
    page, key = _page_and_key(built, "blog-2-2-2")
    browser.open_page(driver, page)
    first = key["answers"][0]
    browser.type_answers(driver, {first["label"]: f"{first['value']:.9f}"})
    assert browser.press_check(driver)["marks"][first["label"]][0] == "correct"
    browser.type_answers(driver, {first["label"]: "0.1"})  # typed, Check not pressed yet
    stale = driver.execute_script(
        f"""const v = document.querySelector('[data-verdict-for="{first["label"]}"]');
        return [v.dataset.verdict, v.textContent, document.getElementById('score').textContent];""")
    assert stale[:2] == ["", ""] and "press Check again" in stale[2]
    assert browser.press_check(driver)["marks"][first["label"]][0] == "incorrect"


# --- the lessons: carried-forward credit and their own mistakes, in check and the page alike --

LESSON_PAGES = ["gradient-descent", "digits-forward", "loss-comparison", "digits-classifier"]


def _fixed(x: float) -> str:
    return f"{x:.4f}"


def _both(driver, built, name, typed: dict[str, str]) -> tuple[dict, dict]:
    """{label: (verdict, diagnosis)} from check (the key file, as a student runs it) and from
    the page in Chromium, for the same typed answers."""
    page, key = _page_and_key(built, name)
    marks = check.mark(check.Key.from_json(key), {k: check.parse_number(v)
                                                  for k, v in typed.items()})
    python = {m.label: (m.verdict, m.diagnosis) for m in marks if m.label in typed}
    browser.open_page(driver, page)
    browser.type_answers(driver, typed)
    shown = browser.press_check(driver)["marks"]
    return python, {label: (shown[label][0], shown[label][1]) for label in typed}


def _by_name(key: dict) -> dict[str, dict]:
    return {a["name"]: a for a in key["answers"]}


def test_a_walk_worked_from_a_wrong_first_step_is_carried_forward(built, driver):
    """C(w*) from the student's own w*, the second step from their own first: each worked
    here with SymPy from the definition's cost, not by the scheme's interpreters."""
    import sympy as sp

    _, key = _page_and_key(built, "gradient-descent")
    lesson, a = key["definition"]["lesson"], _by_name(key)
    w = sp.Symbol("w")
    cost = sp.sympify(lesson["cost"].replace("^", "**"))
    slope = sp.lambdify(w, sp.diff(cost, w))
    eta = lesson["learning_rate"]
    first = round(a["start 1: w1"]["value"] + 0.0123, 4)  # a wrong first step
    second = first - eta * slope(first)
    bottom = round(a["w*1"]["value"] + 0.0321, 4)  # a wrong bottom of valley 1
    typed = {a["start 1: w1"]["label"]: _fixed(first), a["start 1: w2"]["label"]: _fixed(second),
             a["w*1"]["label"]: _fixed(bottom),
             a["C(w*1)"]["label"]: _fixed(float(cost.subs(w, bottom)))}
    python, page = _both(driver, built, "gradient-descent", typed)
    assert python == page
    assert python[a["start 1: w2"]["label"]] == ("carried_forward", None)
    assert python[a["C(w*1)"]["label"]] == ("carried_forward", None)
    assert python[a["start 1: w1"]["label"]][0] == "incorrect"
    # worked from the key's first step instead, the same second step is not the key's: wrong
    python, page = _both(driver, built, "gradient-descent", {
        a["start 1: w2"]["label"]: _fixed(second)})
    assert python == page and python[a["start 1: w2"]["label"]][0] == "incorrect"


def test_a_lessons_own_mistakes_are_named_by_check_and_the_page(built, driver):
    """Each mistake worked here from the sheet's given numbers: a step uphill, η forgotten,
    the cost for its slope; −log₁₀ y, ∂J/∂y for ∂J/∂net; σ(−net), the bias left out."""
    import sympy as sp

    _, key = _page_and_key(built, "gradient-descent")
    lesson = key["definition"]["lesson"]
    w = sp.Symbol("w")
    cost = sp.sympify(lesson["cost"].replace("^", "**"))
    C, slope = sp.lambdify(w, cost), sp.lambdify(w, sp.diff(cost, w))
    start, eta = lesson["starts"][1], lesson["learning_rate"]
    cases = {"gradient-descent": [
        ("start 2: w1", start + eta * slope(start), "step_uphill"),
        ("start 2: w1", start - slope(start), "no_learning_rate"),
        ("C'(-2)", C(-2.0), "cost_for_slope"),
        ("C'(-2)", -slope(-2.0), "opposite_sign")]}
    _, losses = _page_and_key(built, "loss-comparison")
    y = min(losses["definition"]["lesson"]["probabilities"])
    cases["loss-comparison"] = [(f"CE({y:g})", -math.log10(y), "log10_for_ln"),
                                (f"dSE/dnet({y:g})", -(1 - y), "slope_of_y_only"),
                                (f"dSE/dnet({y:g})", -2 * (1 - y) ** 2 * y, "half_not_cancelled"),
                                (f"dCE/dnet({y:g})", -1 / y, "slope_of_y_only"),
                                (f"SE({y:g})", (1 - y) / 2, "square_missing"),
                                (f"SE({y:g})", (1 - y) ** 2, "half_missing")]
    _, forward = _page_and_key(built, "digits-forward")
    f = _by_name(forward)
    net, bias = f["net[1][1]"]["value"], forward["definition"]["lesson"]["biases"][0]
    cases["digits-forward"] = [("out[1][1]", 1 / (1 + math.exp(net)), "sigmoid_of_negative"),
                               ("out[1][1]", net, "net_for_out"),
                               ("net[1][1]", net - bias, "no_bias")]
    for name, rows in cases.items():
        _, k = _page_and_key(built, name)
        by = _by_name(k)
        for quantity, value, diagnosis in rows:
            typed = {by[quantity]["label"]: _fixed(value)}
            python, page = _both(driver, built, name, typed)
            assert python == page == {by[quantity]["label"]: ("incorrect", diagnosis)}, (
                name, quantity, diagnosis)


def test_a_lessons_chain_carries_its_errors_as_check_does(built, driver):
    """out from the student's own net (σ worked here with math.exp), net from their own
    row sum; the digits' count from their own accuracies."""
    _, key = _page_and_key(built, "digits-forward")
    a = _by_name(key)
    row = next(n for n in a if n.startswith("net[1][1] row"))
    rest_and_bias = a["net[1][1]"]["value"] - a[row]["value"]  # what the sheet adds to it
    wrong_row = round(a[row]["value"] - 0.05, 4)
    net = round(wrong_row + rest_and_bias, 4)
    typed = {a[row]["label"]: _fixed(wrong_row), a["net[1][1]"]["label"]: _fixed(net),
             a["out[1][1]"]["label"]: _fixed(1 / (1 + math.exp(-net)))}
    python, page = _both(driver, built, "digits-forward", typed)
    assert python == page
    assert [python[a[n]["label"]][0] for n in (row, "net[1][1]", "out[1][1]")] == [
        "incorrect", "carried_forward", "carried_forward"]
    page, key = _page_and_key(built, "digits-classifier")
    a = _by_name(key)
    se, ce = a["test accuracy, squared error"], a["test accuracy, cross-entropy"]
    tests = int(re.search(r"over the (\d+) test digits", page.read_text()).group(1))
    wrong = round(ce["value"] + 5 / tests, 4)  # five more digits read off the diagonal
    typed = {ce["label"]: _fixed(wrong),
             a["more right with cross-entropy"]["label"]: str(round((wrong - se["value"])
                                                                    * tests))}
    python, page = _both(driver, built, "digits-classifier", typed)
    assert python == page
    assert python[a["more right with cross-entropy"]["label"]] == ("carried_forward", None)


def test_a_lessons_working_is_shown_with_its_numbers(built, driver):
    """After a wrong answer the page shows the line with the numbers put in, as the key does."""
    page, key = _page_and_key(built, "gradient-descent")
    a = _by_name(key)["start 1: w2"]
    browser.open_page(driver, page)
    browser.type_answers(driver, {a["label"]: "0.1"})
    browser.press_check(driver)
    button = driver.find_element(By.CSS_SELECTOR, f'button.reveal[data-for="{a["label"]}"]')
    assert button.text == "Show the working"
    button.click()
    shown = driver.find_element(By.ID, f"working-{a['label']}").text
    first = _by_name(key)["start 1: w1"]["value"]
    assert f"{first:g}" in shown and _fixed(a["value"]) in shown and "0.05" in shown
    assert not driver.find_elements(By.CSS_SELECTOR, ".yours")  # their first step is the key's
    # a wrong first step, and a second worked right from it: the working is shown with the
    # student's own first step put in too, and what it gives (the chain rule of C′ by hand)
    w1 = round(first + 0.0062, 4)
    w2 = w1 - 0.05 * (4 * w1 ** 3 - 6 * w1 + 1)  # the bundled cost's C′(w) = 4w³ − 6w + 1
    browser.type_answers(driver, {_by_name(key)["start 1: w1"]["label"]: _fixed(w1),
                                  a["label"]: _fixed(w2)})
    browser.press_check(driver)
    driver.find_element(By.CSS_SELECTOR, f'button.reveal[data-for="{a["label"]}"]').click()
    yours = driver.find_element(By.CSS_SELECTOR, f"#working-{a['label']} .yours").text
    assert yours.startswith("With your own earlier answers")
    assert f"{w1:g}" in yours and re.sub(r"\s+", "", yours).endswith(f"={_fixed(w2)}"), yours


def _trivial_sheet(key: dict, fill: str) -> dict[str, str]:
    """A sheet of 0 or 1 in every blank, or of 0 with each new weight the old one copied from
    the sheet (w − η · 0 = w: the first number its step is worked from)."""
    blanks = key["scheme"]["blanks"] if "scheme" in key else key["answers"]
    answers = {b["label"]: "1" if fill == "ones" else "0" for b in blanks}
    if fill == "copied":
        for b in key["scheme"]["blanks"]:
            if b["name"].startswith("new ") and b["recompute"] and b["recompute"][0] == "sub":
                answers[b["label"]] = repr(b["recompute"][1])
    return answers


@pytest.mark.parametrize("fill", ["zeros", "ones", "copied"])
@pytest.mark.parametrize("name", ["blog-2-2-2", "batch-of-two-2-2-2"])
def test_a_trivial_sheet_earns_no_follow_through_in_the_page_or_check(name, fill, built, driver):
    """0 or 1 in every blank, or zeros with the old weights copied into the new weights' blanks:
    each later step of the student's own numbers does no arithmetic (0 · 0, 1 · 1, w − η · 0),
    which is no work carried forward (the key's values are not 0, 1 or the given weights): the
    page and check give no carried-forward mark, and agree blank by blank."""
    page, key = _page_and_key(built, name)
    sheet = _trivial_sheet(key, fill)
    assert fill != "copied" or set(sheet.values()) != {"0"}
    browser.open_page(driver, page)
    browser.paste_answers(driver, sheet)
    shown = browser.press_check(driver)
    python = {m.label: m.verdict for m in check.mark(check.Key.from_json(key), {
        label: float(v) for label, v in sheet.items()})}
    page_verdicts = {label: v for label, (v, _d, _t) in shown["marks"].items()}
    assert page_verdicts == python
    assert "carried_forward" not in python.values(), python
    assert shown["score"]["carried_forward"] == 0
