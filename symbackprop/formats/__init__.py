"""Output drivers around the one worksheet model: the LaTeX/PDF driver (`latex` escaping and
symbols, `tex` the Jinja templates, `pdf` the only module that runs TeX) and the HTML practice
pages (`html`, `lesson_html`, with `mathml` and `plot`).

>>> practice_page(object(), {}, None)
Traceback (most recent call last):
...
TypeError: no practice page for a object
"""

from __future__ import annotations


def practice_page(sheet, scheme: dict, student: str | None = None) -> str:
    """The self-contained practice page of a worksheet or a lesson sheet."""
    from . import worked
    from .html import worksheet_page  # imported here: reading a definition needs none of it
    from .lesson_html import lesson_page

    pages = {"Worksheet": lambda: worksheet_page(sheet, scheme, student),
             "LessonSheet": lambda: lesson_page(sheet, scheme),
             "WorkedSheet": lambda: worked.page(sheet, scheme, student)}
    if type(sheet).__name__ not in pages:
        raise TypeError(f"no practice page for a {type(sheet).__name__}")
    return pages[type(sheet).__name__]()
