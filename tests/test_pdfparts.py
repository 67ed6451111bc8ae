"""A version's worksheet and key compiled as one TeX run and split (formats/pdfparts.py).

What a reader sees must not change: every page of the split PDFs is drawn with pdftoppm and
compared, pixel for pixel, with the same page of the document compiled alone, and the text
pdftotext reads from them is the same."""

import shutil
import subprocess
from pathlib import Path

import pytest

from symbackprop import classset
from symbackprop.definition import load
from symbackprop.formats import pdf, pdfparts

from .conftest import WORKSHEETS
from .test_build import needs_tex, pdf_text

needs_parts = pytest.mark.skipif(not pdfparts.available() or not shutil.which("pdftoppm"),
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


def runs(monkeypatch) -> list[str]:
    """The sources of every TeX run from here on."""
    seen = []
    compile_tex = pdf.compile_tex

    def counting(source, target, *args, **kwargs):
        seen.append(source)
        return compile_tex(source, target, *args, **kwargs)

    monkeypatch.setattr(pdf, "compile_tex", counting)
    return seen


@needs_tex
@needs_parts
def test_joined_pages_are_the_pages_of_each_document_alone(version, tmp_path, monkeypatch):
    seen = runs(monkeypatch)
    targets = [tmp_path / "worksheet.pdf", tmp_path / "key.pdf"]
    pdf.compile_together([version.worksheet_tex, version.key_tex], targets)
    assert len(seen) == 1 and seen[0].count("\\begin{document}") == 1  # one run for both
    for source, split in zip([version.worksheet_tex, version.key_tex], targets):
        alone = pdf.compile_tex(source, tmp_path / f"alone-{split.name}")
        drawn, expected = (pictures(p, tmp_path / f"pix-{p.stem}") for p in (split, alone))
        assert len(drawn) == len(expected) >= 3  # the sheet, and the proofs on their own pages
        for number, (page, want) in enumerate(zip(drawn, expected), start=1):
            assert page == want, f"{split.name}: page {number} differs from the PDF alone"
        assert pdf_text(split) == pdf_text(alone)
    assert "Ada Lovelace" in pdf_text(targets[0]) and "Answer key" in pdf_text(targets[1])
    assert "Answer key" not in pdf_text(targets[0])
    assert pdf_text(targets[1]).count("\f") == pdf_text(targets[0]).count("\f")


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
    monkeypatch.setattr(pdfparts, "available", lambda: False)  # no pikepdf: one by one too
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
