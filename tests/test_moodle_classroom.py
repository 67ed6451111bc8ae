"""Moodle as a class meets it: what its filters do to the exported text, how its numerical
questions read a number in each language, and where a quiz's random question draws from.

Each rule below is Moodle's own, restated from its code (Moodle 4.5):
filter/emoticon/classes/text_filter.php (replace_emoticons), lib/filterlib.php
(filter_phrases' ignored tags), lib/classes/emoticon_manager.php (the default emoticons),
question/type/numerical/questiontype.php (qtype_numerical_answer_processor::apply_units),
question/type/multianswer/renderer.php (a subquestion's place in the text) and
question/format.php (create_category_path).
"""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from symbackprop.cli import main

from .conftest import WORKSHEETS
from .test_moodle import SUBQUESTION

SHEETS = ["blog-2-2-2", "class-set-2-2-2", "relu-bce-1-1-1", "digits-forward",
          "batch-of-two-2-2-2", "matrix-form-3-4-2", "postnetwork-softmax-3-2-2",
          "gradient-descent", "loss-comparison", "han-kamber-3-2-1"]

# core\emoticon_manager::default_emoticons(), in its order
EMOTICONS = [":-)", ":)", ":-D", ";-)", ":-/", "V-.", ":-P", ":-p", "B-)", "^-)", "8-)", ":o)",
             ":-(", ":(", "8-.", ":-I", ":-X", "8-o", "P-|", "8-[", "(grr)", "xx-P", "|-.",
             "}-]", "(h)", "(heart)", "(y)", "(n)", "(martin)", "( )"]
_ZONES = re.compile(r"(</?(?:span|script|pre)[^>]*>)", re.I | re.S)
_EXCLUDE = [re.compile(p, re.I | re.S) for p in
            (r"^<script", r'^<span[^>]+class="nolink[^"]*"', r"^<pre")]


def emoticon_filter(text: str) -> tuple[str, list[str]]:
    """filter_emoticon's replace_emoticons, step for step: the text split at <span>, <script>
    and <pre> tags, a nesting count from a nolink span (or a script or pre) on, and PHP's
    str_replace of every emoticon in each fragment outside; the text as Moodle shows it (each
    emoticon an [icon]) and the emoticons it replaced."""
    fragments = [f for f in _ZONES.split(text) if f]
    out, found, exclude = [], [], 0
    for fragment in fragments:
        if exclude == 0 and any(p.search(fragment) for p in _EXCLUDE):
            exclude += 1
        if exclude > 0:
            if any(t in fragment for t in ("</span", "</script", "</pre")):
                exclude -= 1
                if exclude == 1:  # Moodle's own: the zone's first tag counted twice
                    exclude -= 1
            elif any(t in fragment for t in ("<span", "<script", "<pre")):
                exclude += 1
        elif "<span" not in fragment or "</span" not in fragment:
            for e in EMOTICONS:  # str_replace with arrays: each search in turn
                found += [e] * fragment.count(e)
                fragment = fragment.replace(e, f"[icon:{EMOTICONS.index(e)}]")
        out.append(fragment)
    return "".join(out), found


def test_the_emoticon_filter_restated_behaves_as_moodles_own_tests_say():
    """filter/emoticon/tests/text_filter_test.php's cases, and the labels before this fix."""
    assert emoticon_filter('<span class="nolink"><span>(n)</span>(n)</span>(n)')[1] == ["(n)"]
    assert emoticon_filter("<p>(h) out = 0.5 (y)</p>")[1] == ["(h)", "(y)"]
    assert emoticon_filter('<span class="x nolink">(n)</span>')[1] == ["(n)"]
    assert emoticon_filter('<pre>(y)</pre><script>(n)</script>:)')[1] == [":)"]


# lib/filterlib.php: what filter_phrases (glossary, activity names, ...) leaves alone
_IGNORED = [(r"<head>", r"</head>"), (r"<nolink>", r"</nolink>"),
            (r'<span(\s[^>]*?)?class="nolink"(\s[^>]*?)?>', r"</span>"),
            (r"<script(\s[^>]*?)?>", r"</script>"), (r"<textarea(\s[^>]*?)?>", r"</textarea>"),
            (r"<select(\s[^>]*?)?>", r"</select>"), (r"<a(\s[^>]*?)?>", r"</a>")]


def phrases_reach(text: str) -> str:
    """What a phrase filter can link: the text less filter_save_ignore_tags' zones (each
    '/open(.*?)close/is', the first close ending it) and less every tag (filter_save_tags)."""
    for open_, close in _IGNORED:
        text = re.sub(open_ + r"(.*?)" + close, " ", text, flags=re.I | re.S)
    return re.sub(r"<([^#%*].*?)>", " ", text, flags=re.S)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("classroom")
    for name in SHEETS:
        extra = ["--versions", "3"] if name == "class-set-2-2-2" else []
        assert main(["build", str(WORKSHEETS / f"{name}.yaml"), "--format", "moodle",
                     "--format", "moodle-numerical", "--out", str(out), *extra]) == 0
    return out


def _shown_texts(path) -> list[tuple[str, str]]:
    """Every text of a Moodle XML file that Moodle runs its filters over (format_text), as it
    runs them: (where, text). A Cloze question's text is filtered with each subquestion in its
    place as the renderer puts it (a nolink span), each subquestion's feedback by itself."""
    texts = []
    for q in ET.parse(path).getroot():
        if q.get("type") == "category":
            continue
        name = q.findtext("name/text")
        text = q.findtext("questiontext/text")
        if q.get("type") == "multianswer":
            marker = iter(range(1, 10**6))
            for sub in SUBQUESTION.finditer(text):
                for feedback in re.findall(r"#((?:[^~}\\]|\\.)*)", sub.group(9)):
                    texts.append((f"{name}: a subquestion's feedback", feedback))
            text = SUBQUESTION.sub(lambda _, n=marker: '<span class="nolink">qtypemultianswer'
                                   f"{next(n)}marker</span>", text)
        texts.append((f"{name}: question text", text))
        texts += [(f"{name}: feedback", a.findtext("feedback/text"))
                  for a in q.findall("answer")]
        if q.findtext("generalfeedback/text"):
            texts.append((f"{name}: general feedback", q.findtext("generalfeedback/text")))
    return texts


@pytest.mark.parametrize("kind", ["moodle", "moodle-numerical"])
@pytest.mark.parametrize("name", SHEETS)
def test_no_emoticon_is_made_of_a_label_or_the_mathematics(name, kind, exported):
    texts = _shown_texts(exported / f"{name}-{kind}.xml")
    assert len(texts) > 3
    for where, text in texts:
        shown, found = emoticon_filter(text)
        assert found == [] and shown == text, (where, found)


@pytest.mark.parametrize("kind", ["moodle", "moodle-numerical"])
@pytest.mark.parametrize("name", SHEETS)
def test_labels_and_mathematics_are_out_of_every_phrase_filters_reach(name, kind, exported):
    stem = f"{name}-v01" if name == "class-set-2-2-2" else name
    blanks = json.loads((exported / f"{stem}-key.json").read_text())["scheme"]["blanks"]
    own = re.compile("|".join(re.escape(f"({b['label']})") for b in blanks))
    labels = 0
    for where, text in _shown_texts(exported / f"{name}-{kind}.xml"):
        labels += len(re.findall(r'<span class="nolink">\([a-z]{1,3}\)</span>', text))
        reach = phrases_reach(text)
        # every <math> alone in a nolink span, which no phrase filter enters
        alone = re.findall(r'<span class="nolink"><math\b(?:(?!<span|</span).)*?</math></span>',
                           text, re.S)
        assert len(alone) == text.count("<math"), where
        assert not re.search(r"\b(?:mi|mn|mo)\b", reach) and "⁡" not in reach, where
        assert not own.search(reach), (where, own.search(reach))
    assert labels > 0


def test_a_label_outside_nolink_is_what_the_tests_would_catch():
    """The export as it was: a Cloze line's label and formula bare, found by both filters."""
    old = "<p>(h) <math><mi>out</mi></math> = {#1}</p>"
    assert emoticon_filter(old)[1] == ["(h)"] and "(h)" in phrases_reach(old)


# --- a number as Moodle reads it ----------------------------------------------------------

# langconfig.php's decsep and thousandssep: English, French, German
LANGUAGES = {"en": (".", ","), "fr": (",", "\u00a0"), "de": (",", ".")}
_MOODLE_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?")


def apply_units(response: str, decsep: str, thousandssep: str) -> tuple[float | None, str]:
    """qtype_numerical_answer_processor::apply_units (Moodle 4.5): the value and the rest (a
    unit). PHP's str_replace with arrays replaces each pair in turn."""
    response = response.replace(" ", "")
    response = re.sub(r"(?:e|E|(?:x|\*|×)10(?:\^|\*\*))([+-]?\d+)", r"e\1", response)
    if "." in response or response.count(",") > 1:
        response = response.replace(",", "")
    else:
        for search, replace in ((thousandssep, ""), (decsep, "."), (",", ".")):
            response = response.replace(search, replace)
    m = _MOODLE_NUMBER.match(response)
    return (float(m.group(0)), response[m.end():]) if m else (None, response)


def test_apply_units_restated_reads_a_comma_as_moodle_does():
    """An English site reads 0,3775 as 3775 (the comma a thousands separator): the trap."""
    assert apply_units("0,3775", *LANGUAGES["en"]) == (3775.0, "")
    assert apply_units("0,3775", *LANGUAGES["fr"]) == (0.3775, "")
    assert apply_units("0.3775", *LANGUAGES["de"]) == (0.3775, "")


def _answers(path):
    """Every number an XML file gives Moodle to store: (text, tolerance text)."""
    root = ET.parse(path).getroot()
    for q in root:
        if q.get("type") == "numerical":
            for a in q.findall("answer"):
                yield a.findtext("text"), a.findtext("tolerance")
        elif q.get("type") == "multianswer":
            for sub in SUBQUESTION.finditer(q.findtext("questiontext/text")):
                for alt in sub.group(9).split("~"):
                    number = re.sub(r"^(=|%-?[0-9.]+%)", "", alt).split("#", 1)[0]
                    yield tuple(number.split(":"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["moodle", "moodle-numerical"])
def test_every_answer_imports_as_written_whatever_the_sites_language(kind, language, exported):
    """Import stores each answer and tolerance through apply_unit, in the importing teacher's
    language: written with a point, each is the number written, in every language."""
    seen = 0
    for name in SHEETS:
        for value, tolerance in _answers(exported / f"{name}-{kind}.xml"):
            for text in (value, tolerance):
                assert "," not in text
                assert apply_units(text, *LANGUAGES[language]) == (float(text), ""), text
                seen += 1
    assert seen > 1000


@pytest.mark.parametrize("kind", ["moodle", "moodle-numerical"])
def test_the_question_says_which_separator_works_on_the_site(kind, exported):
    """The question says to type a point; a right answer typed so is read right in every
    language, where the same typed with a comma is 3775 on an English site."""
    root = ET.parse(exported / f"class-set-2-2-2-{kind}.xml").getroot()
    for q in root[1:]:
        text = q.findtext("questiontext/text")
        note = re.search(r"<p>(Type each answer with a decimal point \(0\.25\)[^<]*)</p>", text)
        assert note and "(0,25 would be 25)" in note.group(1), text[:300]
    assert apply_units("0.25", *LANGUAGES["en"])[0] == apply_units("0.25", *LANGUAGES["fr"])[0] \
        == apply_units("0.25", *LANGUAGES["de"])[0] == 0.25
    assert apply_units("0,25", *LANGUAGES["en"])[0] == 25


# --- categories ---------------------------------------------------------------------------


def create_category_path(path: str) -> list[str]:
    """question/format.php create_category_path: the context token dropped, 'top' put first
    only where it is missing or the path has fewer than three parts."""
    names = [n for n in re.split(r"(?<!/)/(?!/)", path) if n]
    if re.fullmatch(r"\$([a-z]+)\$", names[0]):
        names = names[1:]
    if names[0] != "top" or len(names) < 3:
        names.insert(0, "top")
    return names


def test_cloze_and_numerical_questions_go_into_categories_of_their_own(exported):
    """A random question from the Cloze category draws a whole version, never a blank: each
    file's one category, siblings under the sheet's."""
    paths = {}
    for kind in ("moodle", "moodle-numerical"):
        category, *questions = ET.parse(exported / f"class-set-2-2-2-{kind}.xml").getroot()
        assert category.get("type") == "category"
        assert all(q.get("type") != "category" for q in questions)
        paths[kind] = create_category_path(category.findtext("category/text"))
        assert {q.get("type") for q in questions} == (
            {"multianswer"} if kind == "moodle" else {"numerical"})
    assert paths["moodle"] == ["top", "symbackprop", "class-set-2-2-2", "cloze"]
    assert paths["moodle-numerical"] == ["top", "symbackprop", "class-set-2-2-2", "numerical"]
