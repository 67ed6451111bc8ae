"""The loss's sign is blamed only where the student's own working leaves it possible (a review:
a student whose ∂J/∂out was right, with one later path's sign slipped, was told "the loss's
slope has the wrong sign"). Where a step a blank is worked from, itself worked from the loss,
was written with the key's sign, the sign slipped at this blank: so say check, `mark`'s
feedback page and summary, and the practice page in Chromium. The sheet's numbers are worked
here in NumPy as a student works them (4 decimals)."""

import csv
import html
import json
import re

import numpy as np
import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import parse
from symbackprop.files import classset
from symbackprop.marking.check import MISTAKES, Key

from . import browser
from .conftest import WORKSHEETS
from .test_check import verdicts

SHEET = WORKSHEETS / "class-set-2-2-2.yaml"
PATH = "dJ/db[2] via net[2][2]"


def _by_hand(definition: dict) -> dict[str, float]:
    """Version 1's forward pass and the second output's path to b⁽²⁾, rounded at each step."""
    v = definition["values"]
    x, t = np.array(v["inputs"]), np.array(v["targets"])
    W1, W2 = np.array(v["weights"][0]), np.array(v["weights"][1])
    b1, b2 = v["biases"][0][0], v["biases"][1][0]  # a shared bias a layer
    out1 = np.round(1 / (1 + np.exp(-np.round(W1 @ x + b1, 4))), 4)
    out2 = np.round(1 / (1 + np.exp(-np.round(W2 @ out1 + b2, 4))), 4)
    slope, dout = round(out2[1] - t[1], 4), round(out2[1] * (1 - out2[1]), 4)
    paths = [round(round(out2[j] - t[j], 4) * round(out2[j] * (1 - out2[j]), 4), 4)
             for j in (0, 1)]
    return {"dJ/dout[2][2]": slope, "dout[2][2]/dnet[2][2]": dout, PATH: paths[1],
            "dJ/db[2] via net[2][1]": paths[0], "dJ/db[2]": round(sum(paths), 4)}


@pytest.fixture(scope="module")
def key() -> Key:
    d = parse(SHEET.read_text(encoding="utf-8"), str(SHEET))
    return Key.from_json(json.loads(json.dumps(classset.key(d, 1, None))))


def test_check_says_the_sign_slipped_at_the_step_when_the_loss_slope_was_written_right(key):
    hand = _by_hand(key.definition)
    for name, value in hand.items():
        assert key.by_name[name]["value"] == pytest.approx(value), name
    path = hand[PATH]
    assert path < 0 and hand["dJ/dout[2][2]"] < 0
    # the loss's slope and the activation's written right, the path's sign slipped
    right = {n: hand[n] for n in ("dJ/dout[2][2]", "dout[2][2]/dnet[2][2]")}
    m = verdicts(key, right | {PATH: -path})[PATH]
    assert (m.verdict, m.diagnosis) == ("incorrect", "sign_here")
    assert m.message == f"expected {path:.4f}: {MISTAKES['sign_here']}"
    assert MISTAKES["sign"] not in m.message
    # both paths right and their sum's sign slipped: the sum's own slip
    paths = {n: hand[n] for n in (PATH, "dJ/db[2] via net[2][1]")}
    m = verdicts(key, paths | {"dJ/db[2]": -hand["dJ/db[2]"]})["dJ/db[2]"]
    assert m.diagnosis == "sign_here"
    # the loss's slope not written: its sign may be what slipped, and is said
    assert verdicts(key, {PATH: -path})[PATH].diagnosis == "sign"
    # the loss's slope written with the other sign: the path follows from it
    m = verdicts(key, right | {"dJ/dout[2][2]": -hand["dJ/dout[2][2]"], PATH: -path})
    assert m["dJ/dout[2][2]"].diagnosis == "sign" and m[PATH].verdict == "carried_forward"


def test_the_feedback_page_the_summary_and_the_page_say_the_sign_slipped_at_the_step(tmp_path):
    assert main(["build", str(SHEET), "--versions", "1", "--format", "html", "--out",
                 str(tmp_path)]) == 0
    data = json.loads((tmp_path / "class-set-2-2-2-v01-key.json").read_text(encoding="utf-8"))
    hand = _by_hand(data["definition"])
    by = {a["name"]: a["label"] for a in data["answers"]}
    typed = {by[n]: f"{v:.4f}" for n, v in hand.items() if n != "dJ/db[2]"}
    typed[by[PATH]] = f"{-hand[PATH]:.4f}"
    label = by[PATH]
    (keys := tmp_path / "keys").mkdir()
    (keys / "v01-key.json").write_text(json.dumps(data), encoding="utf-8")
    labels = [a["label"] for a in data["answers"]]
    (sheet := tmp_path / "class.csv").write_text(
        "name,version," + ",".join(labels) + "\nAda,1,"
        + ",".join(typed.get(x, "") for x in labels) + "\n", encoding="utf-8")
    assert main(["mark", str(keys), str(sheet), "--out", str(tmp_path / "marks")]) == 0
    (page,) = (tmp_path / "marks").glob("feedback-*.html")
    text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(
        r"<script.*?</script>", "", page.read_text(encoding="utf-8"), flags=re.S)))
    assert MISTAKES["sign_here"] in text and MISTAKES["sign"] not in text
    with open(tmp_path / "marks" / "summary.csv", encoding="utf-8-sig") as f:
        row = next(r for r in csv.DictReader(f) if r["label"] == label)
    assert (row["incorrect"], row["sign_here"], row["sign"]) == ("1", "1", "0")
    driver = browser.start()
    try:
        browser.open_page(driver, tmp_path / "class-set-2-2-2-v01-practice.html")
        browser.type_answers(driver, typed)
        marks = browser.press_check(driver)["marks"]
    finally:
        driver.quit()
    assert marks[label][:2] == ["incorrect", "sign_here"]
    assert marks[label][2] == "Incorrect: " + MISTAKES["sign_here"]
