"""SCORM packages (`build --format scorm`, `--format scorm2004`): the manifest valid by the
SCORM schemas kept in tests/schemas (lxml, offline), and the package driven in Chromium inside a
test LMS frame that provides the run-time API and records every call, whose values are then
read by the data model's own rules (Moodle's mod/scorm datamodels for 1.2, the SCORM 2004 RTE
book's types for 2004)."""

import functools
import http.server
import json
import re
import threading
import urllib.parse
import zipfile

import pytest
from lxml import etree
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from symbackprop.cli import main
from symbackprop.formats.scorm import version_for
from symbackprop.marking import check
from symbackprop.marking.gradebook import share

from . import browser
from .conftest import ROOT, WORKSHEETS

SCHEMAS = ROOT / "tests" / "schemas"
SET = "class-set-2-2-2"
VERSIONS = 3
PASS_MARK = 60


# --- the manifest against the schemas -----------------------------------------------------


class _LocalXml(etree.Resolver):
    """imscp_v1p1.xsd imports xml.xsd from the W3C's address: the copy beside it instead."""

    def resolve(self, url, pubid, context):
        if url.endswith("/2001/xml.xsd"):
            return self.resolve_filename(str(SCHEMAS / "scorm2004" / "xml.xsd"), context)
        return None


@functools.cache
def schema(standard: str) -> etree.XMLSchema:
    """The SCORM schemas of a standard, imported by one wrapper schema; nothing fetched."""
    imports = {"1.2": [("http://www.imsproject.org/xsd/imscp_rootv1p1p2", "imscp_rootv1p1p2.xsd"),
                       ("http://www.adlnet.org/xsd/adlcp_rootv1p2", "adlcp_rootv1p2.xsd")],
               "2004": [("http://www.imsglobal.org/xsd/imscp_v1p1", "imscp_v1p1.xsd"),
                        ("http://www.adlnet.org/xsd/adlcp_v1p3", "adlcp_v1p3.xsd"),
                        ("http://www.adlnet.org/xsd/adlseq_v1p3", "adlseq_v1p3.xsd"),
                        ("http://www.adlnet.org/xsd/adlnav_v1p3", "adlnav_v1p3.xsd"),
                        ("http://www.imsglobal.org/xsd/imsss", "imsss_v1p0.xsd")]}[standard]
    folder = SCHEMAS / ("scorm12" if standard == "1.2" else "scorm2004")
    wrapper = ('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">' + "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{loc}"/>' for ns, loc in imports)
        + "</xs:schema>")
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalXml())
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser,
                                            base_url=str(folder / "wrapper.xsd")))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("scorm")
    assert main(["build", str(WORKSHEETS / f"{SET}.yaml"), "--versions", str(VERSIONS),
                 "--format", "scorm", "--format", "scorm2004", "--pass-mark", str(PASS_MARK),
                 "--out", str(out)]) == 0
    for name in ("blog-2-2-2", "gradient-descent"):  # one sheet, and a lesson page
        assert main(["build", str(WORKSHEETS / f"{name}.yaml"), "--format", "scorm",
                     "--format", "scorm2004", "--out", str(out)]) == 0
    return out


PACKAGES = [(name, kind) for name in (SET, "blog-2-2-2", "gradient-descent")
            for kind in ("scorm", "scorm2004")]


@pytest.mark.parametrize("name, kind", PACKAGES)
def test_the_manifest_is_valid_and_lists_every_file(name, kind, built):
    standard = "1.2" if kind == "scorm" else "2004"
    with zipfile.ZipFile(built / f"{name}-{kind}.zip") as z:
        names = z.namelist()
        manifest = etree.fromstring(z.read("imsmanifest.xml"))
    assert schema(standard).validate(manifest), schema(standard).error_log.last_error
    ns = {"cp": manifest.nsmap[None]}
    (resource,) = manifest.findall("cp:resources/cp:resource", ns)
    assert resource.get("href") == "index.html" and resource.get("type") == "webcontent"
    scorm_type = {k.split("}")[1].lower(): v for k, v in resource.attrib.items() if "}" in k}
    assert scorm_type["scormtype"] == "sco"
    listed = [f.get("href") for f in resource.findall("cp:file", ns)]
    assert sorted(listed + ["imsmanifest.xml"]) == sorted(names)
    pages = [n for n in names if n.endswith("-practice.html")]
    assert len(pages) == (VERSIONS if name == SET else 1)
    mark = manifest.find(".//{http://www.adlnet.org/xsd/adlcp_rootv1p2}masteryscore") \
        if standard == "1.2" else manifest.find(".//{http://www.imsglobal.org/xsd/imsss}"
                                                "minNormalizedMeasure")
    want = (PASS_MARK if name == SET else 50) / (1 if standard == "1.2" else 100)
    assert float(mark.text) == want


def test_the_schemas_refuse_what_the_standard_does_not_allow(built):
    """The validation can fail: 1.2's scormtype is 'sco' or 'asset', nothing else, and a 2004
    manifest has one metadata element, before its organizations."""
    with zipfile.ZipFile(built / f"{SET}-scorm.zip") as z:
        text = z.read("imsmanifest.xml")
    assert not schema("1.2").validate(etree.fromstring(
        text.replace(b'adlcp:scormtype="sco"', b'adlcp:scormtype="SCO"')))
    with zipfile.ZipFile(built / f"{SET}-scorm2004.zip") as z:
        text = z.read("imsmanifest.xml")
    assert not schema("2004").validate(etree.fromstring(
        text.replace(b"<organizations ", b"<metadata/><organizations ")))
    assert not schema("2004").validate(etree.fromstring(
        text.replace(b'satisfiedByMeasure="true"', b'satisfiedByMeasure="yes"')))


def test_one_definition_and_seed_give_the_same_package(built, tmp_path):
    assert main(["build", str(WORKSHEETS / f"{SET}.yaml"), "--versions", str(VERSIONS),
                 "--format", "scorm", "--pass-mark", str(PASS_MARK), "--out",
                 str(tmp_path)]) == 0
    assert (tmp_path / f"{SET}-scorm.zip").read_bytes() == (built / f"{SET}-scorm.zip"
                                                            ).read_bytes()


@pytest.mark.parametrize("extra, problem", [
    (["--first-version", "2", "--versions", "2"], "built in one build"),
    (["--roster", "ROSTER"], "without a roster"),
    (["--pass-mark", "101"], "from 0 to 100"), (["--pass-mark", "x"], "from 0 to 100")])
def test_a_package_that_cannot_be_built_is_refused_in_one_line(extra, problem, tmp_path,
                                                               capsys):
    roster = tmp_path / "roster.txt"
    roster.write_text("Ada\nBob\n" * 15, encoding="utf-8")
    extra = [str(roster) if e == "ROSTER" else e for e in extra]
    try:
        code = main(["build", str(WORKSHEETS / f"{SET}.yaml"), "--format", "scorm", "--out",
                     str(tmp_path / "o"), *extra])
    except SystemExit as exc:  # the arguments' own refusals
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert problem in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.zip"))


# --- the package in a browser, inside a test LMS --------------------------------------------

# A test LMS: the run-time API of one standard on the top window, recording every call with
# its result; the data model it starts from in the address's fragment; the package in a frame.
FRAME = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>LMS</title>
<link rel="icon" href="data:,"></head>
<body><script>
"use strict";
window.calls = [];
const start = JSON.parse(decodeURIComponent(location.hash.slice(1)));
const standard = start.standard;
window.model = start.model;
const model = window.model;
const record = (name, args, result) => {
  window.calls.push([name, ...args, result]);
  return result;
};
const get = (name, k) => record(name, [k], k in model ? String(model[k]) : "");
const set = (name, k, v) => { model[k] = String(v); return record(name, [k, String(v)], "true"); };
if (standard === "1.2") {
  window.API = {
    LMSInitialize: (a) => record("LMSInitialize", [a], "true"),
    LMSFinish: (a) => record("LMSFinish", [a], "true"),
    LMSGetValue: (k) => get("LMSGetValue", k), LMSSetValue: (k, v) => set("LMSSetValue", k, v),
    LMSCommit: (a) => record("LMSCommit", [a], "true"),
    LMSGetLastError: () => record("LMSGetLastError", [], "0"),
    LMSGetErrorString: (c) => record("LMSGetErrorString", [c], ""),
    LMSGetDiagnostic: (c) => record("LMSGetDiagnostic", [c], ""),
  };
} else {
  window.API_1484_11 = {
    Initialize: (a) => record("Initialize", [a], "true"),
    Terminate: (a) => record("Terminate", [a], "true"),
    GetValue: (k) => get("GetValue", k), SetValue: (k, v) => set("SetValue", k, v),
    Commit: (a) => record("Commit", [a], "true"),
    GetLastError: () => record("GetLastError", [], "0"),
    GetErrorString: (c) => record("GetErrorString", [c], ""),
    GetDiagnostic: (c) => record("GetDiagnostic", [c], ""),
  };
}
</script>
<iframe id="sco" title="the package" style="width:1200px;height:800px"></iframe>
<script>document.getElementById("sco").src = start.package + "/index.html";</script>
</body></html>"""

# What each standard lets a SCO write, and each value's type: SCORM 1.2 as Moodle's
# mod/scorm/datamodels/scorm_12.js checks it (CMIDecimal, CMIStatus, CMITimespan, CMIString),
# SCORM 2004 by the RTE book's data model (as mod/scorm/datamodels/scorm_13.js has it)
DECIMAL_12 = r"-?([0-9]{0,3})(\.[0-9]*)?"
WRITABLE = {
    "1.2": {"cmi.core.lesson_status": r"passed|completed|failed|incomplete|browsed",
            "cmi.core.score.raw": DECIMAL_12, "cmi.core.score.min": DECIMAL_12,
            "cmi.core.score.max": DECIMAL_12, "cmi.core.lesson_location": r"[\s\S]{0,255}",
            "cmi.core.exit": r"time-out|suspend|logout|",
            "cmi.core.session_time": r"([0-9]{2,4}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,2})?",
            "cmi.suspend_data": r"[\s\S]{0,4096}"},
    "2004": {"cmi.completion_status": r"completed|incomplete|not attempted|unknown",
             "cmi.success_status": r"passed|failed|unknown",
             "cmi.score.scaled": r"-?[0-9]+(\.[0-9]+)?", "cmi.score.raw": r"-?[0-9]+(\.[0-9]+)?",
             "cmi.score.min": r"-?[0-9]+(\.[0-9]+)?", "cmi.score.max": r"-?[0-9]+(\.[0-9]+)?",
             "cmi.progress_measure": r"[0-9]+(\.[0-9]+)?", "cmi.location": r"[\s\S]{0,1000}",
             "cmi.exit": r"time-out|suspend|logout|normal|",
             "cmi.session_time": r"P(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?"
                                 r"(?:\d+(?:\.\d{1,2})?S)?)?",
             "cmi.suspend_data": r"[\s\S]{0,64000}"}}
NAMES = {"1.2": ("LMSInitialize", "LMSGetValue", "LMSSetValue", "LMSCommit", "LMSFinish"),
         "2004": ("Initialize", "GetValue", "SetValue", "Commit", "Terminate")}


@pytest.fixture(scope="module")
def lms(built, tmp_path_factory):
    """Each package unzipped under one folder, beside the test LMS, served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("lms")
    (root / "frame.html").write_text(FRAME, encoding="utf-8")
    for path in built.glob("*.zip"):
        with zipfile.ZipFile(path) as z:
            z.extractall(root / path.stem)
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def driver():
    d = browser.start()
    yield d
    d.quit()


def _keys(built) -> dict[str, dict]:
    return {f"{SET}-v0{v}": json.loads((built / f"{SET}-v0{v}-key.json").read_text())
            for v in range(1, VERSIONS + 1)} | {
        "blog-2-2-2": json.loads((built / "blog-2-2-2-key.json").read_text())}


_LAUNCHES = iter(range(1, 10**6))


def _launch(driver, lms, package: str, standard: str, model: dict) -> None:
    """The test LMS with the package; the driver left inside the version's page."""
    base, _ = lms
    start = urllib.parse.quote(json.dumps({"standard": standard, "model": model,
                                           "package": package}))
    driver.get(f"{base}/frame.html?launch={next(_LAUNCHES)}#{start}")  # a new document each
    driver.switch_to.frame(driver.find_element(By.ID, "sco"))
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "const f = document.getElementById('page');"
        "return !f.hidden && f.contentDocument && f.contentDocument.readyState === 'complete'"
        " && f.contentDocument.querySelector('#check') !== null"))
    driver.switch_to.frame(driver.find_element(By.ID, "page"))


def _end(driver) -> list[list]:
    """Leave the package (the LMS takes its frame away) and return every call it made."""
    driver.switch_to.default_content()
    driver.execute_script("document.getElementById('sco').src = 'about:blank'")
    WebDriverWait(driver, 10).until(lambda d: any(
        c[0] in ("LMSFinish", "Terminate") for c in d.execute_script("return window.calls")))
    return driver.execute_script("return window.calls")


def _sets(calls) -> dict[str, str]:
    """The last value set of each element."""
    return {c[1]: c[2] for c in calls if c[0] in ("LMSSetValue", "SetValue")}


def _conforms(calls: list[list], standard: str) -> None:
    """Every call is the standard's, in its order (initialize first, finish last, nothing
    after it); every value set is of an element a SCO may write, of its type; every result
    was "true" or a value."""
    start, get, set_, commit, finish = NAMES[standard]
    assert calls[0][:2] == [start, ""] and calls[-1][:2] == [finish, ""]
    assert [c[0] for c in calls].count(start) == 1 and [c[0] for c in calls].count(finish) == 1
    for c in calls:
        assert c[0] in NAMES[standard], c
        if c[0] == set_:
            pattern = WRITABLE[standard].get(c[1])
            assert pattern is not None, f"{c[1]} is not writable by a SCO"
            assert re.fullmatch(pattern, c[2]), c
            assert c[3] == "true"
    sets = _sets(calls)
    if standard == "2004":
        assert -1 <= float(sets["cmi.score.scaled"]) <= 1
        assert 0 <= float(sets["cmi.progress_measure"]) <= 1
    commits = [i for i, c in enumerate(calls) if c[0] == commit]
    assert commits and commits[-1] == len(calls) - 2  # committed just before the end


def _expected(key: dict, typed: dict[str, str]) -> tuple[float, int]:
    """What the page should report: the score out of 100 (mark's default credit: carried
    forward 1, too few decimals 0.5, as check marks the same answers) and how many are
    missing."""
    k = check.Key.from_json(key)
    marks = check.mark(k, {label: check.parse_number(t) for label, t in typed.items() if t})
    worth = {b["label"]: b.get("points", 1) for b in key["scheme"]["blanks"]}
    earned = sum(worth[m.label] * share(m.verdict, 1.0, 0.5) for m in marks)
    return round(100 * earned / sum(worth.values()), 2), sum(m.verdict == "missing"
                                                             for m in marks)


def _answers(key: dict, kind: str) -> dict[str, str]:
    answers = key["answers"]
    if kind == "right":
        return {a["label"]: f"{a['value']}" for a in answers}
    if kind == "partly":  # every blank answered: the first half right, the rest 1 too big
        half = len(answers) // 2
        return {a["label"]: f"{a['value'] + (0 if i < half else 1):.4f}"
                for i, a in enumerate(answers)}
    return {}


@pytest.mark.parametrize("standard", ["1.2", "2004"])
@pytest.mark.parametrize("kind", ["right", "partly", "empty"])
def test_each_check_reports_the_score_and_the_status(kind, standard, lms, built, driver):
    package = f"{SET}-{'scorm' if standard == '1.2' else 'scorm2004'}"
    learner = f"learner-{kind}"
    stem = f"{SET}-v0{version_for(learner, VERSIONS) + 1}"
    key = _keys(built)[stem]
    model = ({"cmi.core.student_id": learner, "cmi.core.lesson_status": "not attempted",
              "cmi.core.entry": "ab-initio", "cmi.student_data.mastery_score": str(PASS_MARK)}
             if standard == "1.2" else
             {"cmi.learner_id": learner, "cmi.completion_status": "not attempted",
              "cmi.success_status": "unknown", "cmi.entry": "ab-initio",
              "cmi.scaled_passing_score": str(PASS_MARK / 100)})
    _launch(driver, lms, package, standard, model)
    page_scheme = json.loads(driver.find_element(By.ID, "scheme").get_attribute("textContent"))
    assert page_scheme["id"] == key["scheme"]["id"]  # the version the learner's id chose
    typed = _answers(key, kind)
    browser.type_answers(driver, typed)
    shown = browser.press_check(driver)
    assert driver.execute_script("return localStorage.length") == 0  # the LMS keeps them
    assert browser.console_errors(driver) == []
    calls = _end(driver)
    _conforms(calls, standard)
    sets = _sets(calls)
    score, missing = _expected(key, typed)
    passed = score >= PASS_MARK
    if kind == "right":
        assert score == 100 and shown["score"]["correct"] == len(key["answers"])
    elif kind == "partly":
        assert 0 < score < PASS_MARK and missing == 0 and shown["score"]["incorrect"] > 0
    else:
        assert score == 0 and missing == len(key["answers"])
    prefix = "cmi.core." if standard == "1.2" else "cmi."
    assert float(sets[prefix + "score.raw"]) == pytest.approx(score, abs=0.005)
    assert (sets[prefix + "score.min"], sets[prefix + "score.max"]) == ("0", "100")
    if standard == "1.2":
        want = "passed" if passed else "incomplete" if missing else "failed"
        assert sets["cmi.core.lesson_status"] == want
        # the first thing set: the attempt has begun
        first = next(c for c in calls if c[0] == "LMSSetValue")
        assert first[1:3] == ["cmi.core.lesson_status", "incomplete"]
    else:
        assert sets["cmi.success_status"] == ("passed" if passed else "failed")
        assert sets["cmi.completion_status"] == ("incomplete" if missing else "completed")
        assert float(sets["cmi.score.scaled"]) == pytest.approx(score / 100, abs=5e-5)
    assert sets[prefix + "exit"] == "suspend"
    assert sets[prefix + ("lesson_location" if standard == "1.2" else "location")] == stem
    kept = json.loads(sets["cmi.suspend_data"])
    assert kept == {"v": stem, "i": key["scheme"]["id"], "a": {k: v for k, v in typed.items()
                                                               if v}, "c": 1}


@pytest.mark.parametrize("standard", ["1.2", "2004"])
def test_a_resumed_attempt_shows_the_same_numbers_and_answers(standard, lms, built, driver):
    """The first session types some answers and checks; the next, with the suspend data the
    LMS kept (and a learner id that would choose another version), shows the same version,
    the same answers and their verdicts, and reports the same score."""
    package = f"{SET}-{'scorm' if standard == '1.2' else 'scorm2004'}"
    ids = ("cmi.core.student_id", "cmi.core.lesson_status") if standard == "1.2" else (
        "cmi.learner_id", "cmi.completion_status")
    learner = "ada"
    stem = f"{SET}-v0{version_for(learner, VERSIONS) + 1}"
    key = _keys(built)[stem]
    typed = {a["label"]: f"{a['value']}" for a in key["answers"][:5]}
    _launch(driver, lms, package, standard, {ids[0]: learner, ids[1]: "not attempted"})
    browser.type_answers(driver, typed)
    first = browser.press_check(driver)
    browser.type_answers(driver, {key["answers"][6]["label"]: "0.5"})  # typed, not checked
    sets = _sets(_end(driver))
    other = next(n for n in (f"x{i}" for i in range(100))
                 if version_for(n, VERSIONS) != version_for(learner, VERSIONS))
    _launch(driver, lms, package, standard, {ids[0]: other, ids[1]: sets[ids[1]],
                                             "cmi.suspend_data": sets["cmi.suspend_data"]})
    page_scheme = json.loads(driver.find_element(By.ID, "scheme").get_attribute("textContent"))
    assert page_scheme["id"] == key["scheme"]["id"]
    values = driver.execute_script(
        "const o = {}; for (const i of document.querySelectorAll('input[data-label]'))"
        " { if (i.value) o[i.dataset.label] = i.value; } return o;")
    assert values == typed | {key["answers"][6]["label"]: "0.5"}
    verdicts = driver.execute_script(
        "const o = {}; for (const e of document.querySelectorAll('[data-verdict-for]'))"
        " { o[e.dataset.verdictFor] = e.dataset.verdict; } return o;")
    assert all(verdicts[label] == first["marks"][label][0] for label in typed)
    _conforms(_end(driver), standard)


def test_the_lms_pass_mark_is_the_one_that_counts(lms, built, driver):
    """A teacher who changes the mastery score in the LMS changes what passes: partly right
    answers under a mastery score of 40 pass."""
    learner = "bob"
    stem = f"{SET}-v0{version_for(learner, VERSIONS) + 1}"
    key = _keys(built)[stem]
    typed = _answers(key, "partly")
    score, _ = _expected(key, typed)
    assert 40 <= score < PASS_MARK
    _launch(driver, lms, f"{SET}-scorm", "1.2", {"cmi.core.student_id": learner,
                                                 "cmi.student_data.mastery_score": "40"})
    browser.type_answers(driver, typed)
    browser.press_check(driver)
    assert _sets(_end(driver))["cmi.core.lesson_status"] == "passed"


def test_every_learner_gets_the_version_their_id_chooses(lms, built, driver):
    keys = _keys(built)
    seen = set()
    for learner in ("2", "17", "student-a", "Zoë"):
        _launch(driver, lms, f"{SET}-scorm", "1.2", {"cmi.core.student_id": learner})
        page_id = json.loads(driver.find_element(By.ID, "scheme").get_attribute("textContent"))[
            "id"]
        stem = f"{SET}-v0{version_for(learner, VERSIONS) + 1}"
        assert page_id == keys[stem]["scheme"]["id"]
        seen.add(stem)
        _end(driver)
    assert len(seen) > 1


def test_offline_the_package_lists_its_versions_and_each_page_works(built, tmp_path, driver):
    """Opened from disk, with no LMS: the launch page lists the versions, and a version's page
    marks as any practice page does, with no call to anything."""
    with zipfile.ZipFile(built / f"{SET}-scorm.zip") as z:
        z.extractall(tmp_path)
    browser.open_page(driver, tmp_path / "index.html")
    links = driver.execute_script(
        "return [document.getElementById('page').hidden,"
        " Array.from(document.querySelectorAll('#offline a')).map(a => a.getAttribute('href'))]")
    assert links == [True, [f"{SET}-v0{v}-practice.html" for v in range(1, VERSIONS + 1)]]
    assert browser.axe_violations(driver) == []
    key = _keys(built)[f"{SET}-v02"]
    browser.open_page(driver, tmp_path / f"{SET}-v02-practice.html")
    browser.type_answers(driver, {a["label"]: f"{a['value']}" for a in key["answers"]})
    shown = browser.press_check(driver)
    assert shown["score"]["correct"] == len(key["answers"])
    assert browser.console_errors(driver) == [] and browser.requests_out(driver) == []
    assert driver.execute_script("return localStorage.length") > 0  # as a page on its own


def test_the_largest_bundled_sheet_resumes_whole_within_scorm_12s_suspend_data(tmp_path):
    """4,096 characters (SCORM 1.2's CMIString4096): every answer of the sheet with the most
    blanks of the bundled ones (51)
    typed to 8 significant figures, as the page keeps them, fits."""
    assert main(["build", str(WORKSHEETS / "matrix-form-3-4-2.yaml"), "--format", "tex",
                 "--out", str(tmp_path)]) == 0
    key = json.loads((tmp_path / "matrix-form-3-4-2-key.json").read_text())
    kept = {"v": "matrix-form-3-4-2", "i": key["scheme"]["id"],
            "a": {a["label"]: f"{a['value']:.8g}" for a in key["answers"]}, "c": 1}
    assert len(json.dumps(kept, separators=(",", ":"))) <= 4096
