"""A real browser for the practice pages: Debian's Chromium, driven by Selenium through
Debian's ChromeDriver, with its console and network logged so tests can assert on them."""

from __future__ import annotations

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


def start(width: int = 1280, height: int = 900, reduced_motion: bool = False,
          mobile: bool = False) -> webdriver.Chrome:
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


def open_page(driver, path: Path) -> None:
    driver.get(path.resolve().as_uri())
    driver.get_log("performance")  # start each page with an empty network log
    driver.execute_script("localStorage.clear()")
    driver.refresh()


def type_answers(driver, answers: dict[str, str]) -> None:
    for label, text in answers.items():
        box = driver.find_element(By.CSS_SELECTOR, f'input[data-label="{label}"]')
        box.clear()
        if text:
            box.send_keys(text)


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
