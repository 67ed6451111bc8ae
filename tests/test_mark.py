"""`symbackprop mark`: a class's answer sheets, written out here with real mistakes, marked into
a gradebook, a summary and feedback pages."""

import csv
import json
import math

import pytest

from symbackprop.cli import main
from symbackprop.marking import check

from .conftest import WORKSHEETS
from .hostile import assert_refused, files, run


@pytest.fixture(scope="module")
def class_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("keys")
    assert main(["build", str(WORKSHEETS / "class-set-2-2-2.yaml"), "--versions", "3",
                 "--format", "tex", "--out", str(out)]) == 0
    return out, {v: json.loads((out / f"class-set-2-2-2-v0{v}-key.json").read_text())
                 for v in (1, 2, 3)}


def _table(path) -> list[dict]:
    with open(path, encoding="utf-8-sig") as handle:  # after Excel's byte-order mark
        return list(csv.DictReader(handle))


def _by_name(key: dict) -> dict[str, float]:
    return {a["name"]: a["value"] for a in key["answers"]}


def _sigmoid_of_negative_student(key: dict) -> dict[str, float]:
    """σ(−net) for out[1][1], then the next net worked on from that wrong value (by hand:
    net[2][1] = w5·out[1][1] + w6·out[1][2] + b2, rounded to the sheet's 4 decimals)."""
    d = key["definition"]
    values = _by_name(key)
    wrong = round(1 / (1 + math.exp(values["net[1][1]"])), 4)
    (w5, w6), b2 = d["values"]["weights"][1][0], d["values"]["biases"][1][0]
    values["out[1][1]"] = wrong
    values["net[2][1]"] = round(w5 * wrong + w6 * values["out[1][2]"] + b2, 4)
    return values


def _sheet(class_set, rows) -> str:
    _, keys = class_set
    labels = [a["label"] for a in keys[1]["answers"]]
    label_of = {v: {a["name"]: a["label"] for a in k["answers"]} for v, k in keys.items()}
    lines = ["name,version," + ",".join(labels)]
    for name, version, values in rows:
        by_label = {label_of[version][n]: v for n, v in values.items()}
        lines.append(f'"{name}",{version},' + ",".join(str(by_label.get(x, "")) for x in labels))
    return "\n".join(lines) + "\n"


def test_a_class_is_marked_into_a_gradebook(class_set, tmp_path, capsys):
    keydir, keys = class_set
    rows = [("Ada Lovelace", 1, _by_name(keys[1])),
            ("Zoë Adams", 2, _sigmoid_of_negative_student(keys[2])),
            ("Nguyễn Van A", 3, _sigmoid_of_negative_student(keys[3])),
            ("Bob", 1, {n: v for n, v in _by_name(keys[1]).items() if n.startswith("net")})]
    (answers := tmp_path / "class.csv").write_text(_sheet(class_set, rows), encoding="utf-8")
    out = tmp_path / "marks"
    assert main(["mark", str(keydir), str(answers), "--out", str(out),
                 "--points-carried-forward", "0.5"]) == 0
    book = _table(out / "gradebook.csv")
    n = len(keys[1]["answers"])
    label = {a["name"]: a["label"] for a in keys[2]["answers"]}
    assert [r["name"] for r in book] == ["Ada Lovelace", "Zoë Adams", "Nguyễn Van A", "Bob"]
    assert book[0]["total"] == str(n) and book[0]["percent"] == "100.0"
    zoe = book[1]
    assert zoe[label["out[1][1]"]] == "0"  # σ(−net): incorrect
    assert zoe[label["net[2][1]"]] == "0.5"  # right from her own out[1][1]: carried forward
    # the rest of her sheet is the key's, right against the key: one point each
    points = [float(zoe[x]) for x in label.values()]
    assert float(zoe["total"]) == sum(points) == n - 2 + 0.5
    assert book[3]["total"] == str(sum(1 for name in label if name.startswith("net")))
    summary = {r["label"]: r for r in _table(out / "summary.csv")}
    assert summary[label["out[1][1]"]]["sigmoid_of_negative"] == "2"
    # only the mistakes this sheet's network can make: no convolution's, Adam's or tanh's
    columns = set(summary[label["out[1][1]"]])
    assert not columns & {"kernel_flipped", "no_bias_correction", "tanh_slope"}
    assert summary[label["net[2][1]"]]["carried_forward"] == "2"
    said = capsys.readouterr().out
    assert "4 students marked" in said
    # the blank as the sheet prints it, and the mistake in words, not their codes
    assert f"2 of 4: ({label['out[1][1]']}) outₕ₁: {check.MISTAKES['sigmoid_of_negative']}" \
        in said, said
    assert "sigmoid_of_negative" not in said and "out[1][1]" not in said
    pages = sorted(p.name for p in out.glob("feedback-*.html"))
    assert pages == ["feedback-001-ada-lovelace.html", "feedback-002-zoe-adams.html",
                     "feedback-003-nguyen-van-a.html", "feedback-004-bob.html"]
    _zoes_page_as_she_reads_it(out / pages[1], zoe, label, _by_name(keys[2])["out[1][1]"])


def _zoes_page_as_she_reads_it(page, zoe: dict, label: dict, expected: float) -> None:
    """Her feedback page in a real browser: the text she sees in each row, and no barrier."""
    from . import browser

    driver = browser.start()
    try:
        browser.open_page(driver, page)
        seen = driver.execute_script("""
            const rows = {};
            for (const tr of document.querySelectorAll('tr[data-label], tr[data-working-for]')) {
              const label = tr.dataset.label || tr.dataset.workingFor;  // its working's row too
              rows[label] = ((rows[label] || '') + ' ' + tr.innerText).replace(/\\s+/g, ' ');
            }
            return {title: document.title, header: document.querySelector('header').innerText,
                    score: document.getElementById('score').innerText, rows,
                    body: document.body.innerText};""")
        violations = browser.axe_violations(driver)
    finally:
        driver.quit()
    assert seen["title"].startswith("Zoë Adams: ") and "Zoë Adams · version 2" in seen["header"]
    assert seen["score"].startswith(f"{zoe['total']} of ") and f"({zoe['percent']} %)" in \
        seen["score"] and "1 incorrect" in seen["score"] and "1 carried forward" in seen["score"]
    wrong, carried = seen["rows"][label["out[1][1]"]], seen["rows"][label["net[2][1]"]]
    assert "0 of 1" in wrong and "Incorrect" in wrong and "this is σ(−net)" in wrong
    # the working in the sheet's mathematics, the numbers put in, never canonical names
    assert "Working: out" in wrong and "𝜎" in wrong and "out[1][1]" not in wrong
    assert f"= {expected:.4f}" in wrong
    assert "0.5 of 1" in carried and "Carried forward" in carried
    assert "A carried-forward answer earns 0.5 of its blank's points." in seen["body"]
    assert violations == []


def test_bad_rows_are_reported_and_the_rest_is_marked(class_set, tmp_path):
    keydir, keys = class_set
    good = _sheet(class_set, [("Ada", 1, _by_name(keys[1]))])
    bad = good + "Eve,9," + ",".join(["1"] * len(keys[1]["answers"])) + "\nMallory,1,abc\n"
    bad += "Trudy,2," + ",".join(["oops"] + ["1"] * (len(keys[1]["answers"]) - 1)) + "\n"
    (answers := tmp_path / "class.csv").write_text(bad, encoding="utf-8")
    result = run(["mark", str(keydir), str(answers), "--out", str(tmp_path / "m")], tmp_path)
    assert result.code == 0 and "Traceback" not in result.stderr
    assert "line 3: Eve: no key for version 9 (the keys are for versions 1, 2, 3)" in \
        result.stderr
    assert "line 4: 3 columns" in result.stderr
    assert "line 5: Trudy: (a) 'oops' is not a number" in result.stderr
    names = [r["name"] for r in _table(tmp_path / "m" / "gradebook.csv")]
    assert names == ["Ada", "Trudy"]


@pytest.mark.parametrize("case", ["no folder", "no keys", "two keys for a version", "no rows",
                                  "unreadable answers"])
def test_nothing_is_written_when_the_inputs_cannot_be_read(case, class_set, tmp_path):
    keydir, keys = class_set
    answers = tmp_path / "class.csv"
    answers.write_text(_sheet(class_set, [("Ada", 1, _by_name(keys[1]))]), encoding="utf-8")
    folder = str(keydir)
    if case == "no folder":
        folder = str(tmp_path / "missing")
    elif case == "no keys":
        (tmp_path / "empty").mkdir()
        folder = str(tmp_path / "empty")
    elif case == "two keys for a version":
        (tmp_path / "two").mkdir()
        for name in ("a", "b"):
            (tmp_path / "two" / f"{name}-key.json").write_text(
                (keydir / "class-set-2-2-2-v01-key.json").read_text())
        folder = str(tmp_path / "two")
    elif case == "no rows":
        answers.write_text("name,version,a\n")
    else:
        answers = "/dev/zero"
    before = files(tmp_path)
    result = run(["mark", folder, str(answers), "--out", str(tmp_path / "marks")], tmp_path)
    assert_refused(result)
    assert files(tmp_path) == before


def test_a_spreadsheet_saved_with_semicolons_and_decimal_commas(class_set, tmp_path):
    """As a spreadsheet in a decimal-comma locale saves CSV: byte-order mark, semicolons,
    0,3775, CRLF; marked as the comma version is, written back in the same dialect."""
    keydir, keys = class_set
    rows = [("Zoë Adams", 2, _sigmoid_of_negative_student(keys[2])),
            ("Ada", 1, _by_name(keys[1]))]
    plain = _sheet(class_set, rows)
    european = "\ufeff" + "\r\n".join(
        ";".join(cell.replace(".", ",") for cell in next(csv.reader([line])))
        for line in plain.splitlines()) + "\r\n"
    (tmp_path / "plain.csv").write_text(plain, encoding="utf-8")
    (tmp_path / "eu.csv").write_bytes(european.encode("utf-8"))
    for name in ("plain", "eu"):
        assert main(["mark", str(keydir), str(tmp_path / f"{name}.csv"), "--out",
                     str(tmp_path / f"m-{name}")]) == 0
    with open(tmp_path / "m-eu" / "gradebook.csv", encoding="utf-8-sig") as handle:
        eu = list(csv.DictReader(handle, delimiter=";"))
    ours = _table(tmp_path / "m-plain" / "gradebook.csv")
    assert [r["name"] for r in eu] == ["Zoë Adams", "Ada"]
    for a, b in zip(ours, eu):
        assert {k: v.replace(".", ",") for k, v in a.items()} == b
    assert eu[0]["percent"] == ours[0]["percent"].replace(".", ",") and "," in eu[0]["percent"]


def test_a_sheet_without_versions_is_marked_as_version_1(tmp_path):
    """A review: one unversioned sheet's key with a spreadsheet whose version column says 1
    dropped the student ('no key for version 1 … leave the version column empty'). A sheet
    without versions is version 1 too; any other number is still refused."""
    keydir = tmp_path / "keys"
    assert main(["build", str(WORKSHEETS / "relu-bce-1-1-1.yaml"), "--format", "tex",
                 "--out", str(keydir)]) == 0
    (key_path,) = keydir.glob("*-key.json")
    key = json.loads(key_path.read_text(encoding="utf-8"))
    assert key.get("version") is None
    labels = [a["label"] for a in key["answers"]]
    right = [repr(a["value"]) for a in key["answers"]]
    wrong = [repr(a["value"] + 1) for a in key["answers"][:1]] + right[1:]  # (a) off by one
    (answers := tmp_path / "class.csv").write_text(
        "name,version," + ",".join(labels) + "\nAda,1," + ",".join(right) + "\nBen,,"
        + ",".join(wrong) + "\nEve,2," + ",".join(right) + "\n", encoding="utf-8")
    result = run(["mark", str(keydir), str(answers), "--out", str(tmp_path / "m")], tmp_path)
    assert result.code == 0 and "Traceback" not in result.stderr
    book = {r["name"]: r for r in _table(tmp_path / "m" / "gradebook.csv")}
    assert list(book) == ["Ada", "Ben"]
    assert float(book["Ada"]["total"]) == len(labels) and book["Ada"]["version"] == "1"
    assert book["Ben"][labels[0]] == "0" and book["Ben"]["version"] == ""
    assert "line 4: Eve: no key for version 2" in result.stderr


def test_the_gradebook_opens_in_excel_as_utf_8(class_set, tmp_path):
    """Excel reads a CSV without a byte-order mark in the machine's code page (Zoë becomes
    ZoÃ«): gradebook.csv and summary.csv start with one, and a CSV reader that honours it (as
    Excel, LibreOffice and Google Sheets do) reads the name as typed and the header 'name'."""
    keydir, keys = class_set
    (answers := tmp_path / "class.csv").write_text(
        _sheet(class_set, [("Zoë Ørsted", 1, _by_name(keys[1]))]), encoding="utf-8")
    result = run(["mark", str(keydir), str(answers), "--out", str(tmp_path / "m")], tmp_path)
    assert result.code == 0, result.stderr
    for name in ("gradebook.csv", "summary.csv"):
        raw = (tmp_path / "m" / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1, name
    book = _table(tmp_path / "m" / "gradebook.csv")
    assert [r["name"] for r in book] == ["Zoë Ørsted"] and float(book[0]["percent"]) == 100
    assert "label" in _table(tmp_path / "m" / "summary.csv")[0]


@pytest.mark.parametrize("n, slipped, several", [(4, 1, 2), (30, 2, 3)])
def test_the_summary_says_how_many_students_make_a_mistake_common(class_set, tmp_path, capsys,
                                                                   n, slipped, several):
    """A mistake is listed when `several` students made it (two, or one in ten of a large
    class); below that the summary says so in the class's own numbers, true for 4 as for 30."""
    keydir, keys = class_set
    rows = [(f"S{i}", 1 + i % 3, _sigmoid_of_negative_student(keys[1 + i % 3]) if i < slipped
             else _by_name(keys[1 + i % 3])) for i in range(n)]
    (answers := tmp_path / "class.csv").write_text(_sheet(class_set, rows), encoding="utf-8")
    assert main(["mark", str(keydir), str(answers), "--out", str(tmp_path / "m")]) == 0
    said = capsys.readouterr().out
    made = max(int(r["sigmoid_of_negative"]) for r in _table(tmp_path / "m" / "summary.csv"))
    assert made == slipped < several
    assert f"{n} students marked" in said
    assert f"no mistake was made by {several} or more students" in said, said
    assert "one student in ten" not in said
