"""A real browser for the practice pages: Debian's Chromium, driven by Selenium through
Debian's ChromeDriver, with its console and network logged so tests can assert on them."""

from __future__ import annotations

import atexit
import json
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--disable-extensions"]


def _launch(width: int, height: int, reduced_motion: bool, mobile: bool) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS + [f"--window-size={width},{height}"]:
        options.add_argument(flag)
    if reduced_motion:
        options.add_argument("--force-prefers-reduced-motion")
    if mobile:
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {
            "width": width, "height": height, "pixelRatio": 2.0}})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


# A Chromium takes 1-3 s of a core to start, and the suite asks for one more than a hundred
# times: each test process keeps one browser of each kind, and a test's quit() hands it back
# on a blank page with its logs read, so the next test starts as on a fresh browser.
_IDLE: dict[tuple, webdriver.Chrome] = {}
_SIZE: dict[tuple, dict] = {}  # each kind's window as it was launched


class _Lent:
    """A kept browser, lent to one test: everything is the driver's but quit()."""

    def __init__(self, kind: tuple, driver: webdriver.Chrome):
        self._kind, self._driver = kind, driver

    def __getattr__(self, name):
        return getattr(self._driver, name)

    def quit(self) -> None:
        driver, self._driver = self._driver, None
        if driver is None:
            return
        try:
            if driver.current_url.startswith("file:"):  # the next test's pages start empty
                driver.execute_script("localStorage.clear()")
            driver.get("about:blank")
            size = _SIZE[self._kind]
            if driver.get_window_size() != size:
                driver.set_window_size(size["width"], size["height"])
            driver.get_log("browser")
            driver.get_log("performance")
        except Exception:  # a browser a test left broken is not lent again
            driver.quit()
            return
        if self._kind in _IDLE:  # another of its kind came back first: one is kept
            driver.quit()
        else:
            _IDLE[self._kind] = driver


def start(width: int = 1280, height: int = 900, reduced_motion: bool = False,
          mobile: bool = False):
    kind = (width, height, reduced_motion, mobile)
    driver = _IDLE.pop(kind, None)
    if driver is None:
        driver = _launch(*kind)
        _SIZE.setdefault(kind, driver.get_window_size())
    return _Lent(kind, driver)


@atexit.register
def _quit_kept() -> None:
    for driver in _IDLE.values():
        driver.quit()
    _IDLE.clear()


def open_page(driver, path: Path) -> None:
    """The page as a student first opens it: no answers stored, the network log its own.

    Every file:// page shares one store, so the answers are forgotten on the page being left
    and the page is loaded once; only a store found full (left from another page) costs a
    second load."""
    if driver.current_url.startswith("file:"):
        driver.execute_script("localStorage.clear()")
    driver.get_log("performance")
    driver.get(path.resolve().as_uri())
    if driver.execute_script("return localStorage.length"):
        driver.execute_script("localStorage.clear()")
        driver.get_log("performance")
        driver.refresh()


def type_answers(driver, answers: dict[str, str]) -> None:
    for label, text in answers.items():
        box = driver.find_element(By.CSS_SELECTOR, f'input[data-label="{label}"]')
        box.clear()
        if text:
            box.send_keys(text)


def paste_answers(driver, answers: dict[str, str]) -> None:
    """The answers as a student pastes them: each box's value and its input event, in one call
    for the page. Typing them key by key costs ~130 ms a blank; the tests about typing itself
    (keys, Enter, a reload) type with type_answers."""
    missing = driver.execute_script("""
        const missing = [];
        for (const [label, text] of Object.entries(arguments[0])) {
          const box = document.querySelector(`input[data-label="${CSS.escape(label)}"]`);
          if (!box) { missing.push(label); continue; }
          box.focus();
          box.value = text;
          box.dispatchEvent(new InputEvent("input", {bubbles: true, inputType: "insertFromPaste",
                                                     data: text}));
          box.dispatchEvent(new Event("change", {bubbles: true}));
        }
        return missing;""", answers)
    assert missing == [], f"no box for {missing}"


def press_check(driver) -> dict:
    """Press Check; every blank's verdict and diagnosis, and the score, as the page shows them."""
    driver.find_element(By.ID, "check").click()
    return driver.execute_script("""
        const out = {};
        for (const el of document.querySelectorAll('[data-verdict-for]')) {
          out[el.dataset.verdictFor] = [el.dataset.verdict, el.dataset.diagnosis || null,
                                        el.textContent];
        }
        const s = document.getElementById('score').dataset;
        return {marks: out, score: {correct: +s.correct, too_few_decimals: +s.tooFewDecimals,
                                     carried_forward: +s.carriedForward,
                                     incorrect: +s.incorrect, missing: +s.missing}};""")


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def requests_out(driver) -> list[str]:
    """URLs the page asked for that are not the page itself or inline data."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(("file:", "data:", "about:")):
                urls.append(url)
    return urls


def axe_violations(driver) -> list[tuple[str, str, str]]:
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    return [tuple(v) for v in driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(
            v => [v.id, v.impact, v.nodes.map(n => n.html).join(' | ').slice(0, 300)])));""")]


# The page's diagrams as drawn: a pair of texts whose boxes intersect (each box measured in its
# own turned frame, a label sitting along its arrow), and a weight's label that meets an arrow
# other than its own (its own are the lines in its group). Points of each line are taken 1 px
# apart and carried into the label's frame.
DIAGRAM_CLASHES = """
const clashes = [];
const frame = t => { const b = t.getBBox(), m = t.getCTM();
  return {b, m, inv: m.inverse(), text: t.textContent}; };
const inside = (f, x, y) => { const p = new DOMPoint(x, y).matrixTransform(f.inv);
  return p.x > f.b.x + 0.5 && p.x < f.b.x + f.b.width - 0.5 && p.y > f.b.y + 0.5 &&
         p.y < f.b.y + f.b.height - 0.5; };
const corners = f => [[0, 0], [1, 0], [1, 1], [0, 1]].map(([i, j]) =>
  new DOMPoint(f.b.x + i * f.b.width, f.b.y + j * f.b.height).matrixTransform(f.m));
const edgePoints = f => { const c = corners(f), out = [];
  for (let k = 0; k < 4; k++) { const [p, q] = [c[k], c[(k + 1) % 4]];
    const n = Math.max(2, Math.ceil(Math.hypot(q.x - p.x, q.y - p.y)));
    for (let i = 0; i <= n; i++) out.push([p.x + (q.x - p.x) * i / n, p.y + (q.y - p.y) * i / n]); }
  return out; };
for (const svg of document.querySelectorAll('figure.diagram svg')) {
  const texts = Array.from(svg.querySelectorAll('text')).map(frame);
  for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
    const [a, b] = [texts[i], texts[j]];
    if (edgePoints(a).some(([x, y]) => inside(b, x, y)) ||
        edgePoints(b).some(([x, y]) => inside(a, x, y))) clashes.push(a.text + ' / ' + b.text);
  }
  const lines = Array.from(svg.querySelectorAll('line.edge'));
  for (const t of svg.querySelectorAll('text.weight')) {
    const f = frame(t), own = Array.from(t.parentNode.querySelectorAll('line.edge'));
    for (const line of lines) {
      if (own.includes(line)) continue;
      const m = line.getCTM(), x1 = +line.getAttribute('x1'), y1 = +line.getAttribute('y1'),
            x2 = +line.getAttribute('x2'), y2 = +line.getAttribute('y2');
      const n = Math.ceil(Math.hypot(x2 - x1, y2 - y1));
      for (let i = 0; i <= n; i++) {
        const p = new DOMPoint(x1 + (x2 - x1) * i / n, y1 + (y2 - y1) * i / n).matrixTransform(m);
        if (inside(f, p.x, p.y)) { clashes.push(f.text + ' on another arrow'); break; }
      }
    }
  }
}
return clashes;
"""


def marks_comma_answers(driver, page: Path, key_file: Path, code: str) -> None:
    """A page in language `code` (its <html lang>), every key answer typed with a decimal comma
    marked correct and one wrong answer incorrect, its verdict and the Check button in words of
    that language."""
    from symbackprop.definitions.language import words

    assert f'<html lang="{code}">' in page.read_text(encoding="utf-8")
    key = json.loads(key_file.read_text(encoding="utf-8"))
    d = key["definition"]["decimals"]
    answers = {a["label"]: f"{a['value']:.{d}f}".replace(".", ",") for a in key["answers"]}
    wrong = list(answers)[0]
    answers[wrong] = "9,5"
    open_page(driver, page)
    paste_answers(driver, answers)
    marks = press_check(driver)["marks"]
    _ = words(code)
    assert {label: v for label, (v, _d, _t) in marks.items() if label != wrong} == {
        label: "correct" for label in answers if label != wrong}
    assert marks[wrong][0] == "incorrect"
    assert marks[list(answers)[1]][2] == _("Correct")
    assert driver.find_element("id", "check").text == _("Check")
