"""The HTML and Moodle drivers' printer of a sheet's mathematics: each form (sheets/forms.py) as
MathML Core, which browsers draw natively and screen readers read; a rule's SymPy form through
SymPy's MathML presentation printer, with this sheet's names for its symbols. No LaTeX is read.

>>> from symbackprop.sheets.forms import Apply, Name, Number, Ops, Partial, Symbol
>>> m = MathML("numbered", (2, 2, 2))
>>> print(m.inner(Partial(Name("J"), Name("b[1]"))))
<mfrac><mrow><mo>∂</mo><mi>J</mi></mrow><mrow><mo>∂</mo><msub><mi>b</mi><mn>1</mn></msub></mrow></mfrac>
>>> print(m.inner(Apply("f", (Symbol("x"),), prime=True)).replace(' stretchy="false"', ""))
<mrow><msup><mi>f</mi><mo>′</mo></msup><mo>&#x2061;</mo><mrow><mo>(</mo><mi>x</mi><mo>)</mo></mrow></mrow>
>>> print(m.inner(Ops((Number(0.1), Number(-0.25, 2)), ("·",))).replace(' stretchy="false"', ""))
<mrow><mn>0.1</mn><mo>·</mo><mrow><mo>(</mo><mrow><mo>−</mo><mn>0.25</mn></mrow><mo>)</mo></mrow></mrow>
"""

from __future__ import annotations

import html
import html.entities
import re
from functools import lru_cache

import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter

from ..definitions.canonical import at_example
from ..definitions.language import N_, Words, words
from ..sheets import forms
from ..sheets.notation import symbol_of

OPS = {"+": "+", "−": "−", "·": "·", "⊙": "⊙", "×": "×", ",": ",", "": "", "←": "←"}
FUNCTIONS = {"σ": "σ", "tanh": "tanh", "ln": "ln", "max": "max", "C": "C", "ReLU": "ReLU", "f": "f",
             "exp": "exp", "softmax": "softmax"}
GENERIC = ("out", "net", "in", "t", "w", "n")
_TOKEN = re.compile(r"[0-9]+|[A-Za-zα-ω]+|.")


def element(tag: str, *children: str, **attributes: str) -> str:
    attrs = "".join(f' {k.rstrip("_")}="{html.escape(v)}"' for k, v in attributes.items())
    return f"<{tag}{attrs}>{''.join(children)}</{tag}>"


def row(*children: str) -> str:
    return children[0] if len(children) == 1 else element("mrow", *children)


def token(text: str) -> str:
    """Index text ('11', '(2)', '[1]', 'h1', 'T') as MathML tokens."""
    parts = []
    for t in _TOKEN.findall(text):
        tag = "mn" if t.isdigit() else "mi" if t.isalpha() else "mo"
        # an index's brackets are a script's own, never stretched nor spaced: w⁽¹⁾ as a SymPy
        # expression's w⁽¹⁾ (a stretchy "(" in a script was set as "( 1 )")
        fixed = {"stretchy": "false"} if t in "()[]" else {}
        parts.append(element(tag, html.escape(t), **fixed))
    return row(*parts)


_GLUED = ".,;:!?)’”»"  # punctuation that stays on the line of the mathematics before it

class MathML:
    """Prints forms as MathML for one sheet (its notation and layer sizes)."""

    def __init__(self, notation: str = "matrix", layers: tuple[int, ...] | None = None,
                 decimal: str = "."):
        self.notation, self.layers, self.decimal = notation, layers, decimal
        self.comma = ";" if decimal == "," else ","  # max(0; 0,25) with a decimal comma

    def math(self, form: forms.Form, display: bool = False, full: bool = False) -> str:
        """A <math> element; `full`: its fractions at full size, as a line of working on its
        own is set (∂J/∂w₅ as a fraction a pupil can read, not in a script's size)."""
        return math_element(self.inner(form), display, displaystyle=full)

    def prose(self, prose: forms.Prose, text=lambda words: html.escape(words, quote=False),
              full: bool = False) -> str:
        """Words (escaped by `text`) with their mathematics as <math> elements (`full`: a
        question's line, whose fractions a pupil reads at full size)."""
        parts, out = list(prose.parts), []
        for i, p in enumerate(parts):
            if isinstance(p, str):
                out.append(text(p))
                continue
            math = self.math(p, full=full)
            after = parts[i + 1] if i + 1 < len(parts) and isinstance(parts[i + 1], str) else ""
            mark = after[:len(after) - len(after.lstrip(_GLUED))]
            if mark:  # "…+ 1.2². Its slope": the full stop never starts the next line
                parts[i + 1] = after[len(mark):]
                math = f'<span class="nowrap">{math}{text(mark)}</span>'
            out.append(math)
        return "".join(out)

    def inner(self, form: forms.Form) -> str:
        return getattr(self, f"_{type(form).__name__}")(form)

    def _script(self, part) -> str:
        return token(part) if isinstance(part, str) else self.inner(part)

    def _Name(self, f: forms.Name) -> str:
        return self.inner(symbol_of(f.canonical, self.notation, self.layers))

    def _Symbol(self, f: forms.Symbol) -> str:
        attributes = {"mathvariant": "bold"} if f.bold else {}
        base = element("mi", html.escape(f.letter), **attributes)
        return _scripted(base, None if f.sub is None else self._script(f.sub),
                         None if f.sup is None else self._script(f.sup))

    def _Scripted(self, f: forms.Scripted) -> str:
        return _scripted(row(self.inner(f.base)),
                         None if f.sub is None else self._script(f.sub),
                         None if f.sup is None else self._script(f.sup))

    def _Number(self, f: forms.Number) -> str:
        shown = f.shown().replace(".", self.decimal)
        if shown.startswith("-"):
            return element("mrow", element("mo", "−"), element("mn", shown[1:]))
        return element("mn", shown)

    def _Text(self, f: forms.Text) -> str:
        words = f.words.strip()
        space = element("mspace", width="0.3em")
        return row(*([space] if f.words[:1] == " " else []), element("mtext",
                   html.escape(words)), *([space] if f.words[-1:] == " " else []))

    def _Partial(self, f: forms.Partial) -> str:
        d = element("mo", "∂")
        return element("mfrac", element("mrow", d, self.inner(f.top)),
                       element("mrow", d, self.inner(f.bottom)))

    def _Frac(self, f: forms.Frac) -> str:
        return element("mfrac", self.inner(f.numerator), self.inner(f.denominator))

    def _Apply(self, f: forms.Apply) -> str:
        if f.function == "√":
            return element("msqrt", *(self.inner(a) for a in f.arguments))
        name = element("mi", FUNCTIONS[f.function])
        if f.prime:
            name = element("msup", name, element("mo", "′"))
        apply = element("mo", "&#x2061;")
        if f.function == "ln" and len(f.arguments) == 1 and isinstance(
                f.arguments[0], (forms.Name, forms.Symbol)):  # ln y, a thin space apart
            return element("mrow", name, element("mo", "&#x2061;", rspace="0.1667em"),
                           self.inner(f.arguments[0]))
        args = []
        for i, a in enumerate(f.arguments):
            args += ([element("mo", self.comma)] if i else []) + [self.inner(a)]
        return element("mrow", name, apply, _parens(row(*args), sized=forms.tall(f.arguments)))

    def _Ops(self, f: forms.Ops, first_in_parentheses: bool = False) -> str:
        first = self.inner(f.items[0])
        parts = [_parens(first) if first_in_parentheses and _negative(f.items[0]) else first]
        for op, item in zip(f.ops, f.items[1:]):
            shown = self.inner(item)
            if _negative(item) and OPS[op]:
                shown = _parens(shown)  # 0.1 · (−0.2367), never 0.1 · −0.2367
            elif OPS[op] and isinstance(item, forms.Ops) and _negative(item.items[0]):
                shown = self._Ops(item, first_in_parentheses=True)  # + (−0.37) · 0.75
            parts += ([element("mo", OPS[op])] if OPS[op] else []) + [shown]
        return element("mrow", *parts)

    def _Neg(self, f: forms.Neg) -> str:
        inner = self.inner(f.x)
        return element("mrow", element("mo", "−"), _parens(inner) if _negative(f.x) else inner)

    def _Power(self, f: forms.Power) -> str:
        base = self.inner(f.base)
        return element("msup", _parens(base) if _negative(f.base) else row(base),
                       row(self.inner(f.exponent)))

    def _Group(self, f: forms.Group) -> str:
        return _parens(self.inner(f.x), "[]" if f.square else "()", f.sized or forms.tall(f.x))

    def _Sigma(self, f: forms.Sigma) -> str:
        return element("mrow", element("msub", element("mo", "∑"), token(f.index)),
                       self.inner(f.body))

    def _Equation(self, f: forms.Equation) -> str:
        parts = []
        for i, side in enumerate(f.sides):
            parts += ([element("mo", "=")] if i else []) + [self.inner(side)]
        return element("mrow", *parts)

    def _Expr(self, f: forms.Expr) -> str:
        return expression(f.expr, self.notation, self.layers, f.example)


NAMESPACE = "http://www.w3.org/1998/Math/MathML"
CASES = (N_("for"), N_("otherwise"))  # a case's words, as SymPy's LaTeX printer writes them


def _negative(form) -> bool:
    return isinstance(form, forms.Number) and form.value < 0


def math_element(inner: str, display: bool = False, displaystyle: bool = False) -> str:
    """A <math> element (with its namespace: the page is HTML, a notebook's or Moodle's text may
    be read as XML); `displaystyle` sets its fractions at full size inside a line of text."""
    attributes = {"display": "block"} if display else {}
    if displaystyle:
        attributes["displaystyle"] = "true"
    return element("math", inner, xmlns=NAMESPACE, **attributes)


def _symbol(name: str) -> str:
    """A proof's symbol (x, w_1, y_2, f', δ) as MathML: its indices as tokens (2 a number),
    a prime as <mo>′</mo> in the superscript."""
    from sympy.printing.conventions import split_super_sub
    from sympy.printing.pretty.pretty_symbology import greek_unicode

    base, supers, subs = split_super_sub(name)
    primes = len(base) - len(base.rstrip("'"))
    letter = base.rstrip("'")
    mi = element("mi", html.escape(greek_unicode.get(letter, letter)))
    sup = [element("mo", "′" * primes)] if primes else []
    sup += [token(x) for x in supers]
    return _scripted(mi, row(*(token(x) for x in subs)) if subs else None,
                     row(*sup) if sup else None)


def _scripted(base: str, sub: str | None, sup: str | None) -> str:
    if sub is not None and sup is not None:
        return element("msubsup", base, sub, sup)
    if sub is not None:
        return element("msub", base, sub)
    if sup is not None:
        return element("msup", base, sup)
    return base


def _parens(inner: str, pair: str = "()", sized: bool = False) -> str:
    """Parentheses around `inner`: fixed in size unless `sized` (a tall fraction inside)."""
    stretch = {} if sized else {"stretchy": "false"}
    return element("mrow", element("mo", pair[0], **stretch), inner,
                   element("mo", pair[1], **stretch))


def expression(expr: sp.Expr, notation: str = "matrix", layers: tuple | None = None,
               example: int | None = None, order: str | None = None,
               language: str = "en") -> str:
    """A SymPy expression as MathML (a rule's form, a proof's step); a case's words
    (0 for x ≤ 0) in the sheet's language."""
    if isinstance(expr, sp.MatrixBase):  # a proof's matrix: kept, as every key, hashable
        expr = sp.ImmutableMatrix(expr)
    return _expression(expr, notation, layers, example, order, language)


@lru_cache(maxsize=4096)
def _expression(expr, notation, layers, example, order, language) -> str:
    """The same forms recur in every version of a set: each is printed once."""
    printer = _SympyMathML(MathML(notation, layers, words(language).decimal), example, order,
                           words(language))
    text = printer.doprint(expr)
    # a minus sign, not a hyphen; parentheses that do not stretch around one line
    for plain, shown in (("<mo>-</mo>", "<mo>−</mo>"), ("<mi>&ExponentialE;</mi>", "<mi>e</mi>"),
                         ("<mo>(</mo>", '<mo stretchy="false">(</mo>'),
                         ("<mo>)</mo>", '<mo stretchy="false">)</mo>')):
        text = text.replace(plain, shown)
    # a negative number's sign is a prefix, wherever it stands
    text = re.sub(r"<mn>-([^<]*)</mn>", r"<mrow><mo>−</mo><mn>\1</mn></mrow>", text)
    # HTML's named characters (&InvisibleTimes;) as characters: the text is XML too
    return re.sub(r"&([A-Za-z]+);", _character, text)


def _character(m: re.Match) -> str:
    if m.group(1) in ("lt", "gt", "amp", "quot", "apos"):
        return m.group(0)
    return html.entities.html5.get(m.group(1) + ";", m.group(0))


_FUNCTIONS = {"sigma": "σ", "relu": "ReLU", "step": "H", "ReLUPrime": "ReLU′", "log": "ln",
              "exp": "exp", "tanh": "tanh", "maximum": "max"}


def _sign(term) -> tuple[bool, sp.Expr]:
    """A term's leading minus and what it negates: −2x is (True, 2x), −(a + b) (True, a + b)."""
    if term.is_Number and term < 0:
        return True, -term
    if term.is_Mul and term.args and term.args[0].is_Number and term.args[0] < 0:
        first, *rest = term.args
        if first != -1:
            rest = [-first, *rest]
        return True, rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
    return False, term


class _SympyMathML(MathMLPresentationPrinter):
    """SymPy's presentation printer, writing this sheet's symbols as the sheet names them,
    products with a dot, ln for the natural log, primes as primes, d and ∂ as letters."""

    def __init__(self, sheet: MathML, example: int | None, order: str | None, said: Words):
        settings = {"mul_symbol": "dot", "ln_notation": True}
        if order:
            settings["order"] = order
        super().__init__(settings)
        self.sheet, self.example, self.said = sheet, example, said
        self.injected: list[str] = []

    # Sums, products and powers as they stand, each operand in parentheses where its sign or
    # its sum would otherwise be read into the operator next to it: SymPy's own printer drops
    # them in an unevaluated step, −(t/y + ...) printed as −t/y + ... (a proof's step wrong).

    def _m(self, e) -> str:
        return self._print(e).toxml()

    def _print_Add(self, e, order=None):
        parts = []
        for i, term in enumerate(self._as_ordered_terms(e, order=order)):
            negative, rest = _sign(term)
            shown = _parens(self._m(rest)) if isinstance(rest, sp.Add) else self._m(rest)
            if i == 0:
                parts += ([element("mo", "−")] if negative else []) + [shown]
            else:
                parts += [element("mo", "−" if negative else "+"), shown]
        return self._inject(row(*parts))

    def _print_Mul(self, e):
        negative, rest = _sign(e)
        if not negative:
            return self._inject(self._fraction(e))
        body = self._fraction(rest) if rest.is_Mul else self._m(rest)
        if isinstance(rest, sp.Add) or (rest.is_Number and rest < 0):
            body = _parens(body)
        return self._inject(row(element("mo", "−"), body))

    def _fraction(self, e: sp.Mul) -> str:
        """A product, its factors with a negative power under a fraction bar."""
        factors = list(e.args) if self._settings["order"] in ("old", "none") else \
            e.as_ordered_factors()
        top, under = [], []
        for a in factors:
            if a.is_Pow and a.exp.is_Rational and a.exp.is_negative:
                under.append(a.base if a.exp == -1 else sp.Pow(a.base, -a.exp, evaluate=False))
            else:
                top.append(a)
        if not under:
            return self._product(top, alone=False)
        return element("mfrac", self._product(top, alone=True),
                       self._product(under, alone=True))

    def _product(self, factors, alone: bool) -> str:
        if not factors:
            return element("mn", "1")
        if len(factors) == 1 and alone:  # a sum alone over or under a bar: no parentheses
            return self._m(factors[0])
        shown = []
        for f in factors:
            text = self._m(f)
            if isinstance(f, sp.Add) or (f.is_Number and f < 0) or (f.is_Mul and _sign(f)[0]):
                text = _parens(text)
            shown += ([element("mo", "·")] if shown else []) + [text]
        return row(*shown)

    def _print_Pow(self, e):
        base, power = e.base, e.exp
        if power.is_Rational and power.is_negative:
            under = base if power == -1 else sp.Pow(base, -power, evaluate=False)
            return self._inject(element("mfrac", element("mn", "1"), self._m(under)))
        if power == sp.Rational(1, 2):
            return self._inject(element("msqrt", self._m(base)))
        if isinstance(base, sp.Function) and not isinstance(base, sp.exp) and \
                power.is_Integer and power > 0:  # tanh²(x), as a textbook writes it
            name = _FUNCTIONS.get(type(base).__name__, type(base).__name__)
            args = [self._m(a) for a in base.args]
            return self._inject(row(element("msup", element("mi", name), self._m(power)),
                                    element("mo", "&#x2061;"), _parens(row(*args))))
        shown = self._m(base)
        if isinstance(base, (sp.Add, sp.Mul, sp.Pow)) or (base.is_Number and (
                base < 0 or not base.is_Integer)) or shown.startswith(("<msup", "<msubsup")):
            shown = _parens(shown)  # (out⁽¹⁾₁)², never out⁽¹⁾₁² nor −1²
        return self._inject(element("msup", shown, self._m(power)))

    def _print_Piecewise(self, e):
        """Cases: 0 for x ≤ 0, x otherwise, the words in the sheet's language."""
        rows = []
        for value, condition in e.args:
            when = element("mtext", self.said("otherwise")) if condition == sp.true else \
                row(element("mtext", self.said("for") + "\u00a0"), self._m(condition))
            rows.append(element("mtr", *(element("mtd", cell, columnalign="left",
                                                 style="text-align: left")
                                         for cell in (self._m(value), when))))
        return self._inject(row(element("mo", "{"), element("mtable", *rows)))

    def _inject(self, text: str):
        """Our own MathML in SymPy's tree: a placeholder element, replaced once printed (SymPy's
        text holds entities, such as &ExponentialE;, that no XML parser here knows)."""
        self.injected.append(text)
        node = self.dom.createElement("injected")
        node.setAttribute("n", str(len(self.injected) - 1))
        return node

    def doprint(self, expr) -> str:
        text = super().doprint(expr)
        while "<injected" in text:
            text = re.sub(r'<injected n="(\d+)"/>', lambda m: self.injected[int(m.group(1))],
                          text)
        return text

    def _print_Symbol(self, sym, style="plain"):
        name = sym.name
        if name in GENERIC:
            return self._inject(element("mi", name))
        if re.fullmatch(r"(W|b|net|out|x|t)(\[\d+\])+|J", name):
            at = name if self.example is None else at_example(name, self.example)
            return self._inject(self.sheet.inner(forms.Name(at)))
        return self._inject(_symbol(name))

    _print_MatrixSymbol = _print_Symbol

    def _print_Function(self, e):
        """f(x), with the function application between, as a reader hears it; ln, σ, ReLU′."""
        name = _FUNCTIONS.get(type(e).__name__, type(e).__name__)
        args = [self._print(a).toxml() for a in e.args]
        listed = [part for a in args for part in (element("mo", self.sheet.comma), a)][1:]
        return self._inject(element("mrow", element("mi", name), element("mo", "&#x2061;"),
                                    _parens(row(*listed))))

    def _print_Derivative(self, e):
        """d/dx f or ∂/∂x f, with f in parentheses when it is a sum."""
        from sympy.printing.conventions import requires_partial

        d = element("mo", "∂") if requires_partial(e.expr) or getattr(e, "partial", False) else \
            element("mi", "d", mathvariant="normal")
        below, total = [], 0
        for variable, count in e.variable_count:
            total += count
            x = self._print(variable).toxml()
            below += [d, element("msup", x, element("mn", str(count))) if count > 1 else x]
        above = element("msup", d, element("mn", str(total))) if total > 1 else d
        body = self._print(e.expr).toxml()
        if isinstance(e.expr, sp.Add):
            body = _parens(body)
        return self._inject(element("mrow", element("mfrac", above, element("mrow", *below)),
                                    body))
