"""Several documents with one preamble as one TeX run, and its PDF split into theirs.

A TeX run's fixed cost (loading the format, the fonts, drawing the network once) is most of a
small document's time, so a version's worksheet and key are compiled as one document and its
pages are split afterwards (pikepdf, qpdf's library): each part starts on a new page at page 1
and the pages are the ones each document gives alone (tests/test_pdfparts.py compares them
as pictures). TeX records where each part ends in the PDF's information dictionary; the split
removes the record and writes each part with an ID computed from its content, so the same
sources give the same bytes.

>>> doc = '\\\\documentclass{article}\\n\\\\begin{document}\\nA\\n\\\\end{document}\\n'
>>> join([doc, doc.replace('A', 'B')]).count('\\\\clearpage')
2
>>> join([doc, doc.replace('article', 'book')]) is None
True
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import threading
from pathlib import Path

from ..definitions.errors import one_line

BEGIN = "\\begin{document}\n"
END = "\\end{document}"
RECORD = "/SymbackpropParts"  # in the joined PDF's /Info: the pages shipped at each part's end
# after a part: its last page out, the count of pages so far noted, the next part's page 1
_BREAK = ("\\clearpage\\xdef\\symbackpropparts{\\symbackpropparts"
          "\\the\\ReadonlyShipoutCounter\\space}\\setcounter{page}{1}\n")


class Unsplittable(RuntimeError):
    """The joined PDF does not say where its parts end (or cannot be read)."""


_distrusted: list[str] = []  # why joining failed, once it has: this process stops joining
_lock = threading.Lock()  # versions compile on many threads


def usable() -> bool:
    """pikepdf is installed and joining has not failed in this process."""
    if _distrusted:
        return False
    try:
        import pikepdf  # noqa: F401
    except ImportError:
        return False
    return True


def distrust(why: str) -> None:
    """A joined run failed where its documents compile alone: join nothing more, and say so
    once (each version then costs two TeX runs)."""
    with _lock:
        if _distrusted:
            return
        _distrusted.append(why)
        print(f"symbackprop: note: compiling a worksheet and its key as one TeX run failed "
              f"({one_line(why)}); compiling each alone (slower)", file=sys.stderr,
              flush=True)


def join(sources: list[str]) -> str | None:
    """One document of `sources` when they are two or more with the same preamble (what comes
    before \\begin{document}), each part on new pages numbered from 1; else None."""
    parts = [_parts(source) for source in sources]
    if len(parts) < 2 or None in parts or len({head for head, _ in parts}) != 1:
        return None
    head = parts[0][0]
    bodies = _BREAK.join(body for _, body in parts)
    return (f"{head}{BEGIN}\\gdef\\symbackpropparts{{}}%\n{bodies}{_BREAK}"
            f"\\pdfinfo{{{RECORD} (\\symbackpropparts)}}\n{END}\n")


def _parts(source: str) -> tuple[str, str] | None:
    head, begun, rest = source.partition(BEGIN)
    body, ended, tail = rest.rpartition(END)
    if not begun or not ended or tail.strip():
        return None
    return head, body


def split(whole: Path, targets: list[Path]) -> None:
    """Write each part of the joined PDF `whole` to its target, whole or not at all."""
    import pikepdf

    try:
        with pikepdf.open(whole) as pdf:
            ends = _ends(pdf, len(targets))
            del pdf.docinfo[RECORD]
            for target, first, last in zip(targets, [0, *ends], ends):
                _write(pdf, range(first, last), target)
    except (pikepdf.PdfError, ValueError, KeyError) as exc:
        raise Unsplittable(f"{whole.name}: {exc}") from None


def _ends(pdf, count: int) -> list[int]:
    """The page count at the end of each part, as TeX recorded it."""
    ends = [int(n) for n in str(pdf.docinfo.get(RECORD, "")).split()]
    if len(ends) != count or ends != sorted(set(ends)) or ends[0] < 1 \
            or ends[-1] != len(pdf.pages):
        raise ValueError(f"the parts end at pages {ends}, of {len(pdf.pages)}, for {count} "
                         "documents")
    return ends


def _write(pdf, pages: range, target: Path) -> None:
    import pikepdf

    part = pikepdf.new()
    part.pages.extend(pdf.pages[pages.start:pages.stop])
    part.trailer.Info = part.copy_foreign(pdf.trailer.Info)
    # qpdf writes into memory and Python to the disk: qpdf's own file writing, with
    # deterministic_id, aborts the whole process on a full disk instead of raising
    data = io.BytesIO()
    part.save(data, deterministic_id=True, min_version=pdf.pdf_version,
              object_stream_mode=pikepdf.ObjectStreamMode.generate)
    handle, name = tempfile.mkstemp(prefix=".part-", suffix=".pdf", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data.getbuffer())
        os.replace(name, target)
    finally:
        if os.path.exists(name):
            os.unlink(name)
