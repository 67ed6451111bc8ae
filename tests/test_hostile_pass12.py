"""What a twelfth hostile pass found at commit d2b3452, over the features of issue 20 and
those added since (languages and the decimal comma, SCORM, the lessons, the optimizer and
convolution sheets, the two-mistake messages, the feedback pages): each test is one broken
promise of the README, written so that it fails on d2b3452 and passes once the promise is
kept. Every command runs as its own bounded process (tests/hostile.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from .conftest import WORKSHEETS
from .hostile import BLOG, assert_refused, files, run

CLASS_SET = WORKSHEETS / "class-set-2-2-2.yaml"


def _two_versions(tmp_path: Path, name: str = "a") -> Path:
    """The bundled class set as `name`.yaml with 2 versions."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(CLASS_SET.read_text(encoding="utf-8").replace("versions: 30",
                                                                  "versions: 2"),
                    encoding="utf-8")
    return path


# --- a build into a folder that holds another sheet's files of the same names ----------------

def test_a_sheet_named_like_a_version_of_a_set_does_not_overwrite_that_version(tmp_path):
    """A teacher builds the class set a.yaml (2 versions: a-v01-*, a-v02-*) and then, into the
    same folder, a single sheet whose file is a-v01.yaml (a week's sheet, say). The second
    build exits 0 and silently replaces a-v01-key.json, a-v01-worksheet.tex and
    a-v01-key.tex with the other sheet's: the folder now holds version 1 of nothing and
    version 2 of the set, and `mark` of it says the keys are of different sheets. The README:
    'A build into a folder that holds another build's files ... must replace that sheet's
    whole set or refuse, saying which files disagree'; a file another sheet's build wrote is
    not this build's to replace. Expected: refused in one line naming a-v01-key.json (exit 2),
    the set's files left as they were."""
    _two_versions(tmp_path)
    (tmp_path / "a-v01.yaml").write_text(BLOG.read_text(encoding="utf-8"), encoding="utf-8")
    assert run(["build", "a.yaml", "--format", "tex", "--out", "o"], tmp_path,
               timeout=180).code == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir()}
    result = run(["build", "a-v01.yaml", "--format", "tex", "--out", "o"], tmp_path,
                 timeout=180)
    after = {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir()}
    assert {n: b for n, b in after.items() if n in before} == before, \
        "a-v01.yaml's build replaced files of a.yaml's set"
    assert_refused(result, "a-v01")
