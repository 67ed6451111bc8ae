"""Output drivers around the one worksheet model: HTML practice pages here (the LaTeX/PDF driver
is render.py with pdf.py).

>>> practice_page(object(), {}, None)
Traceback (most recent call last):
...
TypeError: no practice page for a object
"""

from __future__ import annotations

from functools import singledispatch


@singledispatch
def practice_page(sheet, scheme: dict, student: str | None) -> str:
    """The self-contained practice page of a worksheet or a lesson sheet."""
    raise TypeError(f"no practice page for a {type(sheet).__name__}")


def _register() -> None:
    from ..lessons import LessonSheet
    from ..worksheet import Worksheet
    from .html import worksheet_page
    from .lesson_html import lesson_page

    practice_page.register(Worksheet, lambda ws, scheme, student: worksheet_page(ws, scheme,
                                                                                student))
    practice_page.register(LessonSheet, lambda sheet, scheme, student: lesson_page(sheet, scheme))


_register()
