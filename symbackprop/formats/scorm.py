"""The SCORM driver: a sheet's practice pages as one SCORM package that any LMS imports (SCORM
1.2, which every LMS takes, or SCORM 2004 4th Edition), whose score reaches the LMS's
gradebook.

One package for the whole set, not one a version: an LMS activity is one package, one upload and
one gradebook column, so a class of 200 gets one activity in which each learner gets their own
version, as a Moodle quiz's random question gives. The package's launch page (index.html,
scorm-launch.js) opens the LMS's session, takes the version an earlier session of the learner
kept in its suspend data, else the one their LMS id chooses (`version_for`: FNV-1a of the id,
the same in every session and attempt), and shows that version's practice page in a frame. The
page (with scorm.js) keeps the learner's answers in the suspend data and reports each Check:
the score (raw, 0 to 100: a blank's points for a right or carried-forward answer, half of them
for too few decimals, as `mark` counts by default) and the status by the pass mark. Each page is
also an ordinary practice page: opened on its own, offline, it works as any does.
"""

from __future__ import annotations

from functools import cache
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

from .html import _environment, script_json
from .tex import template_dir

LAUNCH = "index.html"
MANIFEST = "imsmanifest.xml"
STANDARDS = {"scorm": "1.2", "scorm2004": "2004"}
# where the page's own data starts: scorm.js goes just before it, so that its hooks are there
# when practice.js reads them
_BEFORE = '<script type="application/json" id="scheme">'


def version_for(learner_id: str, count: int) -> int:
    """The index (0 to count-1) of the version a learner's LMS id chooses, as the launch page
    chooses it: FNV-1a (32 bits) of the id's UTF-8 bytes, modulo the number of versions.

    >>> version_for("2", 30), version_for("student-a", 30), version_for("", 1)
    (1, 12, 0)
    """
    h = 0x811C9DC5
    for byte in learner_id.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h % count


@cache
def _script(name: str) -> str:
    return (template_dir() / name).read_text(encoding="utf-8")


def scorm_page(page: str) -> str:
    """A practice page for a package: the same page with scorm.js before its data."""
    if page.count(_BEFORE) != 1:
        raise ValueError("a practice page without its one scheme script")
    script = _script("scorm.js").replace("</", "<\\/")
    return page.replace(_BEFORE, f"<script>\n{script}</script>\n{_BEFORE}")


def page_name(stem: str) -> str:
    return f"{stem}-practice.html"


def href(name: str) -> str:
    """A file of the package as a relative URL that opens it: every byte but letters, digits
    and `-._~` percent-encoded, so that a `#`, `?` or `%` in a definition's file name is part of
    the name, not a fragment, a query or an escape.

    >>> href("week#3-practice.html"), href("set%41 b?.html")
    ('week%233-practice.html', 'set%2541%20b%3F.html')
    """
    return quote(name, safe="")


def launch_page(title: str, versions: list[dict], standard: str, pass_mark: float,
                language: str = "en") -> str:
    """index.html: `versions` are {stem, id (the scheme's), title} in the set's order; its
    words in the sheets' language."""
    listed = [{"stem": v["stem"], "id": v["id"], "title": v["title"],
               "file": href(page_name(v["stem"]))} for v in versions]
    data = script_json({"standard": standard, "passMark": pass_mark, "versions": listed},
                       ensure_ascii=False, separators=(",", ":"))
    return _environment(language).get_template("scorm-launch.html.j2").render(
        title=title, versions=listed, package_json=data, language=language,
        script=Markup(_script("scorm-launch.js")))


def manifest(name: str, title: str, files: list[str], standard: str, pass_mark: float) -> str:
    """imsmanifest.xml: one organization, one item, one SCO (the launch page) listing every
    file of the package; the pass mark as the LMS holds it (1.2's masteryscore, 2004's primary
    objective satisfied by a normalized measure, which the LMS gives the page as
    cmi.scaled_passing_score)."""
    ident = "symbackprop-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    heading = escape(title)
    listed = "".join(f"      <file href={quoteattr(href(f))}/>\n" for f in files)
    if standard == "1.2":
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<manifest identifier={quoteattr(ident)} version="1"\n'
                '    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"\n'
                '    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"\n'
                '    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
                '    xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 '
                'imscp_rootv1p1p2.xsd http://www.adlnet.org/xsd/adlcp_rootv1p2 '
                'adlcp_rootv1p2.xsd">\n'
                "  <metadata>\n    <schema>ADL SCORM</schema>\n"
                "    <schemaversion>1.2</schemaversion>\n  </metadata>\n"
                '  <organizations default="organization">\n'
                '    <organization identifier="organization">\n'
                f"      <title>{heading}</title>\n"
                '      <item identifier="item" identifierref="sco" isvisible="true">\n'
                f"        <title>{heading}</title>\n"
                f"        <adlcp:masteryscore>{_mark(pass_mark)}</adlcp:masteryscore>\n"
                "      </item>\n    </organization>\n  </organizations>\n"
                "  <resources>\n"
                f'    <resource identifier="sco" type="webcontent" adlcp:scormtype="sco" '
                f'href="{LAUNCH}">\n{listed}    </resource>\n  </resources>\n</manifest>\n')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<manifest identifier={quoteattr(ident)} version="1"\n'
            '    xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"\n'
            '    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"\n'
            '    xmlns:imsss="http://www.imsglobal.org/xsd/imsss"\n'
            '    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
            '    xsi:schemaLocation="http://www.imsglobal.org/xsd/imscp_v1p1 imscp_v1p1.xsd '
            'http://www.adlnet.org/xsd/adlcp_v1p3 adlcp_v1p3.xsd '
            'http://www.imsglobal.org/xsd/imsss imsss_v1p0.xsd">\n'
            "  <metadata>\n    <schema>ADL SCORM</schema>\n"
            "    <schemaversion>2004 4th Edition</schemaversion>\n  </metadata>\n"
            '  <organizations default="organization">\n'
            '    <organization identifier="organization">\n'
            f"      <title>{heading}</title>\n"
            '      <item identifier="item" identifierref="sco">\n'
            f"        <title>{heading}</title>\n"
            "        <imsss:sequencing>\n          <imsss:objectives>\n"
            '            <imsss:primaryObjective objectiveID="pass-mark" '
            'satisfiedByMeasure="true">\n'
            f"              <imsss:minNormalizedMeasure>{_mark(pass_mark / 100)}"
            "</imsss:minNormalizedMeasure>\n"
            "            </imsss:primaryObjective>\n          </imsss:objectives>\n"
            "        </imsss:sequencing>\n"
            "      </item>\n    </organization>\n  </organizations>\n"
            "  <resources>\n"
            f'    <resource identifier="sco" type="webcontent" adlcp:scormType="sco" '
            f'href="{LAUNCH}">\n{listed}    </resource>\n  </resources>\n</manifest>\n')


def _mark(value: float) -> str:
    """50.0 as 50, 0.625 as 0.625: a decimal as the schemas' types read one."""
    return f"{value:.6f}".rstrip("0").rstrip(".")
