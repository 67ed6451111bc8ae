"""A version's worksheet and key compiled as one TeX run and split (formats/pdfparts.py).

What a reader sees must not change: every page of the split PDFs is drawn with pdftoppm and
compared, pixel for pixel, with the same page of the document compiled alone, and the text
pdftotext reads from them is the same."""

import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symbackprop.definitions.definition import load
from symbackprop.files import classset
from symbackprop.formats import pdf, pdfparts

from .conftest import ROOT, WORKSHEETS
from .test_build import needs_tex, pdf_text

needs_parts = pytest.mark.skipif(not pdfparts.usable() or not shutil.which("pdftoppm"),
                                 reason="needs pikepdf and pdftoppm")


@pytest.fixture(scope="module")
def version():
    """A drawn class-set version with a student's name: the worksheet and key a build joins."""
    [v] = classset.make(load(WORKSHEETS / "class-set-2-2-2.yaml"), "set", 1, 11,
                        roster=["Ada Lovelace"])
    return v


def pictures(path: Path, folder: Path) -> list[bytes]:
    """Each page of the PDF drawn at 100 dpi in grey, as the bytes of its image."""
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "100", "-gray", str(path), str(folder / "page")],
                   check=True)
    return [page.read_bytes() for page in sorted(folder.iterdir())]


@pytest.fixture(autouse=True)
def trusted(monkeypatch):
    """Each test starts with joining trusted, whatever an earlier one did."""
    monkeypatch.setattr(pdfparts, "_distrusted", [])


def runs(monkeypatch, timeouts: list | None = None) -> list[str]:
    """The sources of every TeX run from here on (and their timeouts, into `timeouts`)."""
    seen = []
    compile_tex = pdf.compile_tex

    def counting(source, target, timeout=pdf.TIMEOUT, *args, **kwargs):
        seen.append(source)
        if timeouts is not None:
            timeouts.append(timeout)
        return compile_tex(source, target, timeout, *args, **kwargs)

    monkeypatch.setattr(pdf, "compile_tex", counting)
    return seen


@needs_tex
@needs_parts
def test_joined_pages_are_the_pages_of_each_document_alone(version, tmp_path, monkeypatch):
    timeouts = []
    seen = runs(monkeypatch, timeouts)
    targets = [tmp_path / "worksheet.pdf", tmp_path / "key.pdf"]
    pdf.compile_together([version.worksheet_tex, version.key_tex], targets, timeout=50)
    assert len(seen) == 1 and seen[0].count("\\begin{document}") == 1  # one run for both
    assert timeouts == [100]  # each document's time, together
    for source, split in zip([version.worksheet_tex, version.key_tex], targets):
        alone = pdf.compile_tex(source, tmp_path / f"alone-{split.name}")
        drawn, expected = (pictures(p, tmp_path / f"pix-{p.stem}") for p in (split, alone))
        assert len(drawn) == len(expected) >= 3  # the sheet, and the proofs on their own pages
        for number, (page, want) in enumerate(zip(drawn, expected), start=1):
            assert page == want, f"{split.name}: page {number} differs from the PDF alone"
        assert pdf_text(split) == pdf_text(alone)
    assert "Ada Lovelace" in pdf_text(targets[0]) and "Answer key" in pdf_text(targets[1])
    assert "Answer key" not in pdf_text(targets[0])
    # a class set's proofs are on its keys only (print: proofs): one page more
    assert pdf_text(targets[1]).count("\f") == pdf_text(targets[0]).count("\f") + 1
    assert "The rules used" in pdf_text(targets[1]) and "The rules used" not in pdf_text(
        targets[0])


@needs_tex
@needs_parts
def test_the_same_sources_give_the_same_bytes(version, tmp_path):
    made = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        targets = [tmp_path / run / "worksheet.pdf", tmp_path / run / "key.pdf"]
        made.append([p.read_bytes() for p in pdf.compile_together(
            [version.worksheet_tex, version.key_tex], targets)])
    assert made[0] == made[1] and made[0][0] != made[0][1]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["key.pdf", "worksheet.pdf"]
    info = subprocess.run(["pdfinfo", str(tmp_path / "a" / "key.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert "Producer:        pdfTeX" in info and "Symbackprop" not in info


@needs_tex
@needs_parts
def test_a_failing_document_is_named_after_the_joined_run_fails(version, tmp_path, capsys):
    broken = version.key_tex.replace("\\end{document}", "\\undefinedcommand\n\\end{document}")
    targets = [tmp_path / "worksheet.pdf", tmp_path / "key.pdf"]
    with pytest.raises(pdf.LatexError) as caught:
        pdf.compile_together([version.worksheet_tex, broken], targets)
    assert "key.pdf" in caught.value.problem and "Undefined control sequence" in str(caught.value)
    # the worksheet alone compiled; nothing of the joined run is left beside them
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.log", "worksheet.pdf"]
    assert "Ada Lovelace" in pdf_text(targets[0])


@needs_tex
def test_documents_that_cannot_be_joined_are_compiled_one_by_one(version, tmp_path,
                                                                  monkeypatch):
    seen = runs(monkeypatch)
    other = version.key_tex.replace("\\rhead{\\small Version 1}", "\\rhead{\\small Other}")
    assert other != version.key_tex
    targets = [tmp_path / "worksheet.pdf", tmp_path / "key.pdf"]
    pdf.compile_together([version.worksheet_tex, other], targets)
    assert seen == [version.worksheet_tex, other]
    assert "Other" in pdf_text(targets[1]) and "Answer key" in pdf_text(targets[1])
    monkeypatch.setattr(pdfparts, "usable", lambda: False)  # no pikepdf: one by one too
    seen.clear()
    pdf.compile_together([version.worksheet_tex, version.key_tex], targets)
    assert len(seen) == 2


@needs_tex
@needs_parts
def test_a_pdf_that_does_not_say_where_its_parts_end_is_not_split(version, tmp_path):
    plain = pdf.compile_tex(version.key_tex, tmp_path / "plain.pdf")
    targets = [tmp_path / "a.pdf", tmp_path / "b.pdf"]
    with pytest.raises(pdfparts.Unsplittable, match="parts end at pages"):
        pdfparts.split(plain, targets)
    (tmp_path / "junk.pdf").write_bytes(b"%PDF-1.5\nnot a pdf\n")
    with pytest.raises(pdfparts.Unsplittable):
        pdfparts.split(tmp_path / "junk.pdf", targets)
    assert not targets[0].exists() and not targets[1].exists()


def test_only_documents_with_one_preamble_are_joined():
    doc = "\\documentclass{article}\n\\begin{document}\nA\n\\end{document}\n"
    joined = pdfparts.join([doc, doc.replace("A", "B"), doc.replace("A", "C")])
    assert joined.count("\\begin{document}") == 1 and joined.count("\\end{document}") == 1
    assert joined.index("\nA\n") < joined.index("\nB\n") < joined.index("\nC\n")
    assert joined.count("\\setcounter{page}{1}") == 3
    assert pdfparts.join([doc]) is None
    assert pdfparts.join([doc, "\\documentclass{article}\nno document\n"]) is None
    assert pdfparts.join([doc, doc + "text after the end"]) is None


@needs_tex
@needs_parts
def test_joining_is_given_up_once_a_joined_run_fails_where_each_alone_passes(
        version, tmp_path, monkeypatch, capsys):
    """As on a LaTeX older than 2020-10 (no \\ReadonlyShipoutCounter): one note, then every
    version is compiled alone at once, not joined first and failed again."""
    monkeypatch.setattr(pdfparts, "_BREAK", pdfparts._BREAK.replace(
        "ReadonlyShipoutCounter", "NoSuchCounter"))
    seen = runs(monkeypatch)
    sources = [version.worksheet_tex, version.key_tex]
    for run in ("a", "b", "c"):
        (tmp_path / run).mkdir()
        pdf.compile_together(sources, [tmp_path / run / "worksheet.pdf", tmp_path / run /
                                       "key.pdf"])
        assert "Answer key" in pdf_text(tmp_path / run / "key.pdf")
    assert len(seen) == 3 + 2 + 2  # joined and failed, then each alone; then alone only
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "one TeX run failed" in err, err
    assert "Undefined control sequence" in err and "log:" not in err, err
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["key.pdf", "worksheet.pdf"]


def _limited(kilobytes: int):
    """For a child process: files of at most `kilobytes` (ulimit -f)."""
    def limit():
        size = kilobytes * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


SPLIT = """
import errno, sys
from pathlib import Path
from symbackprop.formats import pdfparts
try:
    pdfparts.split(Path(sys.argv[1]), [Path(sys.argv[2]), Path(sys.argv[3])])
except OSError as exc:
    print(errno.errorcode[exc.errno])
"""


@needs_tex
@needs_parts
def test_a_part_too_big_for_the_disk_is_an_error_not_an_abort(version, tmp_path):
    """qpdf writing a file itself, with a content-made ID, aborted the whole build on a full
    disk (SIGABRT, a C++ message, TeX orphaned); the parts are written by Python."""
    whole = pdf.compile_tex(pdfparts.join([version.worksheet_tex, version.key_tex]),
                            tmp_path / "joined.pdf")
    targets = [tmp_path / "w.pdf", tmp_path / "k.pdf"]
    run = subprocess.run([sys.executable, "-c", SPLIT, whole, *targets], cwd=ROOT,
                         capture_output=True, text=True, preexec_fn=_limited(64))
    assert (run.returncode, run.stdout.strip()) == (0, "EFBIG"), run.stderr[-500:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joined.pdf"]


@needs_tex
def test_a_file_size_limit_names_the_file_and_writes_nothing(tmp_path):
    """pdflatex past `ulimit -f` is killed by SIGXFSZ: reported as the file that could not be
    written (exit 2), not as a LaTeX failure, and joining is not given up for it."""
    run = subprocess.run([sys.executable, "-m", "symbackprop.cli", "build",
                          str(WORKSHEETS / "blog-2-2-2.yaml"), "--out", str(tmp_path / "o")],
                         cwd=ROOT, capture_output=True, text=True, preexec_fn=_limited(150))
    last = run.stderr.strip().splitlines()[-1]
    assert run.returncode == 2, run.stderr
    assert "cannot write blog-2-2-2-worksheet.pdf (File too large); nothing was written" in last
    assert "one TeX run failed" not in run.stderr and not (tmp_path / "o").exists()
