r"""The sheet's LaTeX as MathML (drawn natively by browsers, read by screen readers) and SVG text.

The worksheet model carries its mathematics as LaTeX built by symbackprop itself; the HTML driver
shows the same expressions, converted at build time by latex2mathml (a well-kept converter), so
the page needs no script or font to draw them.

>>> math(r'\frac{\partial J}{\partial w_{5}}').startswith('<math')
True
>>> mixed(r'Shape of $W$: 8 $\times$ 64')  # doctest: +ELLIPSIS
'Shape of <math ...><mi>W</mi>...</math>: 8 <math ...><mo>&#x000D7;</mo>...</math> 64'
>>> print(svg_text(r'w^{(2)}_{11} = 0.4').replace('</tspan>', '</tspan>\n'))
w<tspan class="sup" dy="-0.45em">(2)</tspan>
<tspan class="sub" dx="-1.4em" dy="0.75em">11</tspan>
<tspan dy="-0.3em"> = 0.4</tspan>
<BLANKLINE>
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

__all__ = ["math", "mixed", "plain", "svg_text"]


def math(latex: str, display: bool = False) -> str:
    """One LaTeX formula as a <math> element."""
    return convert(_plain_names(latex), display="block" if display else "inline")


def _plain_names(latex: str) -> str:
    # \mathrm{out} would become three single letters; as text it is one word, read as a word
    return re.sub(r"\\mathrm\{([A-Za-z]+)\}", r"\\text{\1}", latex)


def mixed(latex_text: str, text=lambda part: html.escape(part, quote=False)) -> str:
    """Text with $...$ formulas (a lesson's row): text escaped (by `text`), formulas as
    MathML."""
    parts = re.split(r"(?<!\\)\$", latex_text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(math(part))
        else:
            out.append(text(_text_macros(part)))
    return "".join(out)


def plain(latex_text: str) -> str:
    """Text with $...$ formulas as plain words, for an accessible name: 'w_{5}' -> 'w5'.

    >>> plain(r'Gradient of J with respect to $w^{(2)}_{11}$')
    'Gradient of J with respect to w(2)11'
    """
    text = re.sub(r"\\(?:mathrm|text|operatorname)\{([^}]*)\}", r"\1", latex_text)
    text = re.sub(r"\\[A-Za-z]+", " ", text)
    return re.sub(r"\s+", " ", re.sub(r"[${}_^]", "", _text_macros(text))).strip()


def _text_macros(text: str) -> str:
    for macro, plain in ((r"\ldots{}", "…"), (r"\ldots", "…"), ("---", "—"), ("--", "–"),
                         (r"\%", "%"), (r"\&", "&"), (r"\_", "_"), ("~", "\u00a0")):
        text = text.replace(macro, plain)
    return text


_SVG_TOKEN = re.compile(r"\\mathrm\{([^}]*)\}|\^\{([^}]*)\}|_\{([^}]*)\}|([^\\^_]+)")


def svg_text(latex: str) -> str:
    """A diagram label (w_{5} = 0.4, n^{(1)}_{2}) as the content of an SVG <text>."""
    out, shift = [], 0.0  # shift: how far the baseline has moved, in em, to undo afterwards
    after_sup = False
    for m in _SVG_TOKEN.finditer(latex):
        word, sup, sub, plain = m.groups()
        if sup is not None:
            out.append(f'<tspan class="sup" dy="{-0.45 - shift:.2g}em">{html.escape(sup)}'
                       "</tspan>")
            shift, after_sup = -0.45, True
        elif sub is not None:
            back = f' dx="-{0.45 * len(_plain(out[-1])):.2g}em"' if after_sup else ""
            out.append(f'<tspan class="sub"{back} dy="{0.3 - shift:.2g}em">{html.escape(sub)}'
                       "</tspan>")
            shift, after_sup = 0.3, False
        else:  # a minus sign, not a hyphen, before a number
            text = html.escape(re.sub(r"-(?=\d)", "\u2212", word if word is not None else plain))
            if shift:
                out.append(f'<tspan dy="{-shift:.2g}em">{text}</tspan>')
            else:
                out.append(text)
            shift, after_sup = 0.0, False
    return "".join(out)


def _plain(fragment: str) -> str:
    return re.sub(r"<[^>]+>", "", fragment)
