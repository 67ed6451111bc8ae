"""The cached LaTeX format of the shared preamble, and class sets built in parts.

Every PDF is read back with pdftotext and must show the published figures of the blog's 2-2-2
example (J = 0.298371109, ∂J/∂w5 = 0.082167041, new w5 = 0.35891648, ∂J/∂w1 = 0.000438568),
whatever happened to the cache: a format that is missing, truncated, garbled, or cannot be made
only makes the compile slower, never wrong and never failed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from symbackprop.cli import main
from symbackprop.definitions.definition import load
from symbackprop.files import classset
from symbackprop.formats import formatcache, pdf

from .conftest import ROOT, WORKSHEETS
from .test_build import needs_tex, pdf_text

PUBLISHED = ("0.298371109", "0.082167041", "0.35891648", "0.000438568")  # the post's figures


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache folder, known to this process as empty."""
    folder = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    formatcache.forget()
    yield folder / "symbackprop" / "formats"
    formatcache.forget()


@pytest.fixture(scope="module")
def key_tex():
    [version] = classset.make(load(WORKSHEETS / "blog-2-2-2.yaml"), "blog")
    return version.key_tex


def formats(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if not p.name.startswith(".")) \
        if cache.exists() else []


def assert_published(path: Path) -> None:
    text = pdf_text(path)
    for figure in PUBLISHED:
        assert figure in text, (figure, text[:300])


@needs_tex
def test_format_is_made_once_and_gives_the_same_bytes(cache, key_tex, tmp_path):
    first = pdf.compile_tex(key_tex, tmp_path / "a.pdf")
    [made] = formats(cache)
    assert sorted(p.name for p in made.iterdir()) == ["preamble.fmt", "sha256"]
    stamp = (made / "preamble.fmt").stat().st_mtime_ns
    formatcache.forget()  # as a new process would
    second = pdf.compile_tex(key_tex, tmp_path / "b.pdf")
    assert formats(cache) == [made] and (made / "preamble.fmt").stat().st_mtime_ns == stamp
    assert first.read_bytes() == second.read_bytes()
    plain = pdf.compile_tex(key_tex, tmp_path / "plain.pdf", preamble_format=False)
    assert pdf_text(plain) == pdf_text(first)
    assert_published(first)


@needs_tex
def test_format_is_made_again_when_the_preamble_changes(cache, key_tex, tmp_path):
    pdf.compile_tex(key_tex, tmp_path / "a.pdf")
    [old] = formats(cache)
    changed = key_tex.replace("\\usepackage{xcolor}\n", "\\usepackage{xcolor}\n"
                              "\\usepackage{bm}\n")
    assert changed != key_tex
    assert_published(pdf.compile_tex(changed, tmp_path / "b.pdf"))
    assert len(formats(cache)) == 2 and old in formats(cache)


@needs_tex
@pytest.mark.parametrize("damage", ["truncate", "garble", "empty"])
def test_a_corrupt_cached_format_is_made_again(cache, key_tex, tmp_path, capsys, damage):
    pdf.compile_tex(key_tex, tmp_path / "a.pdf")
    [made] = formats(cache)
    fmt = made / "preamble.fmt"
    data = fmt.read_bytes()
    fmt.write_bytes({"truncate": data[:len(data) // 2],
                     "garble": data[:4096] + b"\xff" * 4096 + data[8192:],
                     "empty": b""}[damage])
    formatcache.forget()
    assert_published(pdf.compile_tex(key_tex, tmp_path / "b.pdf"))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is corrupt; making it again" in err
    assert fmt.read_bytes() == data  # made again, whole
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


@needs_tex
def test_a_bad_format_with_a_matching_digest_falls_back_to_the_plain_run(cache, key_tex,
                                                                         tmp_path, capsys):
    """Damage the digest cannot see (both rewritten): pdflatex refuses the format, the plain
    run makes the PDF, one note says so, and the rest of the build compiles the plain way."""
    pdf.compile_tex(key_tex, tmp_path / "a.pdf")
    [made] = formats(cache)
    (made / "preamble.fmt").write_bytes(b"not a format")
    (made / "sha256").write_text(formatcache._digest(made / "preamble.fmt"))
    formatcache.forget()
    assert_published(pdf.compile_tex(key_tex, tmp_path / "b.pdf"))
    assert_published(pdf.compile_tex(key_tex, tmp_path / "c.pdf"))
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not used: a compile from it failed" in err
    assert (tmp_path / "b.pdf").read_bytes() == (tmp_path / "c.pdf").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf", "b.pdf", "c.pdf", "xdg"]


@needs_tex
def test_no_writable_cache_compiles_the_plain_way(tmp_path, monkeypatch, key_tex, capsys):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    formatcache.forget()
    try:
        out = pdf.compile_tex(key_tex, tmp_path / "a.pdf")
        plain = pdf.compile_tex(key_tex, tmp_path / "plain.pdf", preamble_format=False)
    finally:
        formatcache.forget()
    assert out.read_bytes() == plain.read_bytes()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("symbackprop: note: no LaTeX format")
    assert "compiling without one" in err


@needs_tex
def test_a_format_that_cannot_be_made_leaves_nothing_half_written(cache, key_tex, tmp_path,
                                                                  capsys, monkeypatch):
    """A preamble pdfTeX -ini fails on (a package that does not exist): the plain run reports
    the document's own error, and the cache holds no format and no working folder."""
    broken = key_tex.replace("\\usepackage{xcolor}\n", "\\usepackage{nosuchpackage}\n")
    with pytest.raises(pdf.LatexError, match="nosuchpackage"):
        pdf.compile_tex(broken, tmp_path / "a.pdf")
    assert "pdftex -ini failed" in capsys.readouterr().err
    assert not (tmp_path / "a.pdf").exists()
    assert list(cache.iterdir()) == []


@needs_tex
def test_a_document_that_overruns_is_not_run_again_without_the_format(cache, key_tex,
                                                                      tmp_path, capsys):
    pdf.compile_tex(key_tex, tmp_path / "a.pdf")  # the format is made
    with pytest.raises(pdf.LatexTimeout, match="longer than 0.01 s"):
        pdf.compile_tex(key_tex, tmp_path / "b.pdf", timeout=0.01)
    assert capsys.readouterr().err == ""  # the format is not blamed
    assert not (tmp_path / "b.pdf").exists()


def test_the_cache_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert formatcache.cache_folder() == tmp_path / "symbackprop" / "formats"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the spec says: ignore it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert formatcache.cache_folder() == tmp_path / "home" / ".cache" / "symbackprop" / "formats"


def test_only_package_lines_go_into_the_format():
    source = ("\n\\documentclass[11pt]{article}\n\\usepackage[T1]{fontenc}\n"
              "\\usepackage{tikz}\\usepackage{x}\n\\begin{document}\n")
    shared, rest = formatcache.split_preamble(source)
    assert shared == "\n\\documentclass[11pt]{article}\n\\usepackage[T1]{fontenc}\n"
    assert shared + rest == source
    # a title or anything a user wrote never goes into a format
    assert formatcache.split_preamble("\\title{x}\n\\documentclass{article}\n") is None


CONCURRENT = """
import sys
from pathlib import Path
from symbackprop.formats import pdf
pdf.compile_tex(Path(sys.argv[1]).read_text(), Path(sys.argv[2]))
"""


@needs_tex
def test_two_builds_at_once_share_one_whole_format(cache, key_tex, tmp_path):
    (tmp_path / "key.tex").write_text(key_tex)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache.parent.parent)}
    runs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(tmp_path / "key.tex"),
                              str(tmp_path / f"{n}.pdf")], env=env, cwd=ROOT,
                             stderr=subprocess.PIPE, text=True) for n in range(3)]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0 and err == ""
    [made] = formats(cache)
    assert [p.name for p in cache.iterdir()] == [made.name]  # no working folder left
    assert formatcache._whole(made)
    pdfs = {(tmp_path / f"{n}.pdf").read_bytes() for n in range(3)}
    assert len(pdfs) == 1
    assert_published(tmp_path / "0.pdf")


# --- class sets in parts -----------------------------------------------------------------

SET = """title: Class set
network: {layers: [2, 2, 2], activation: sigmoid, loss: half_sse, bias: shared}
decimals: 4
seed: 7
"""


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@needs_tex
def test_a_set_built_in_parts_is_the_set_built_at_once(tmp_path):
    """Versions 1-2 and 3-5 on two 'machines' give, file by file, the bytes of one 5-version
    build; each version carries its own roster line and its global number."""
    (d := tmp_path / "set.yaml").write_text(SET)
    (roster := tmp_path / "class.txt").write_text("Ada\nBea\nCy\nDov\nEve\n")
    common = ["build", str(d), "--roster", str(roster)]
    assert main([*common, "--out", str(tmp_path / "all")]) == 0
    assert main([*common, "--first-version", "1", "--versions", "2",
                 "--out", str(tmp_path / "one")]) == 0
    assert main([*common, "--first-version", "3", "--out", str(tmp_path / "two")]) == 0
    whole, one, two = (files(tmp_path / n) for n in ("all", "one", "two"))
    for kind in ("class-set", "class-set-keys"):
        assert whole.pop(f"set-{kind}.pdf") and one.pop(f"set-{kind}-v01-v02.pdf")
        assert two.pop(f"set-{kind}-v03-v05.pdf")
    assert set(one) | set(two) == set(whole) and not set(one) & set(two)
    for name, data in {**one, **two}.items():
        assert data == whole[name], name
    assert len(whole) == 5 * 5  # worksheet and key, .tex and .pdf, and key.json
    assert "Dov" in pdf_text(tmp_path / "two" / "set-v04-worksheet.pdf")
    assert "Ada" in pdf_text(tmp_path / "one" / "set-v01-key.pdf")


def test_names_are_padded_to_the_size_of_the_whole_set(tmp_path):
    (d := tmp_path / "big.yaml").write_text(SET + "versions: 1000\n")
    assert main(["build", str(d), "--first-version", "999", "--format", "tex",
                 "--out", str(tmp_path / "o")]) == 0
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert names == [f"big-v{v}-{k}" for v in ("0999", "1000")
                     for k in ("key.json", "key.tex", "worksheet.tex")]
    whole = classset.make(load(d), "big", 2, None, first=999, width=4)
    assert (tmp_path / "o" / "big-v1000-key.tex").read_text() == whole[1].key_tex


@pytest.mark.parametrize("argv, words", [
    (["--first-version", "2"], "needs the size of the whole set"),
    (["--first-version", "6", "--roster", "R"], "the set has versions 1 to 5"),
    (["--first-version", "4", "--versions", "3", "--roster", "R"], "versions 4 to 6"),
])
def test_a_part_outside_the_set_is_refused(tmp_path, capsys, argv, words):
    (d := tmp_path / "set.yaml").write_text(SET)
    (tmp_path / "R").write_text("Ada\nBea\nCy\nDov\nEve\n")
    argv = [str(tmp_path / a) if a == "R" else a for a in argv]
    assert main(["build", str(d), "--out", str(tmp_path / "o"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
    assert not (tmp_path / "o").exists()


def test_more_versions_than_one_build_makes_are_refused(tmp_path, capsys):
    (d := tmp_path / "set.yaml").write_text(SET + "versions: 5000\n")
    assert main(["build", str(d), "--out", str(tmp_path / "o"), "--format", "tex"]) == 2
    assert "build the set in parts with --first-version" in capsys.readouterr().err


def test_a_part_prints_the_roster_lines_of_its_own_versions(tmp_path):
    (d := tmp_path / "set.yaml").write_text(SET + "versions: 5\n")
    (roster := tmp_path / "class.txt").write_text("Ada\nBea\nCy\nDov\nEve\n")
    assert main(["build", str(d), "--roster", str(roster), "--first-version", "4",
                 "--format", "tex", "--out", str(tmp_path / "o")]) == 0
    for v, student in ((4, "Dov"), (5, "Eve")):
        for kind in ("worksheet", "key"):
            tex = (tmp_path / "o" / f"set-v0{v}-{kind}.tex").read_text()
            assert f"Version {v}" in tex and student in tex
            assert all(other not in tex for other in ("Ada", "Bea", "Cy") if other != student)


def test_a_roster_too_short_for_the_part_is_refused(tmp_path, capsys):
    (d := tmp_path / "set.yaml").write_text(SET + "versions: 5\n")
    (roster := tmp_path / "class.txt").write_text("Ada\nBea\nCy\n")
    assert main(["build", str(d), "--roster", str(roster), "--first-version", "3",
                 "--versions", "2", "--format", "tex", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "3 names for versions 3 to 4" in err, err
