"""Proofs of convolution's and pooling's rules, each checked entry by entry at several sizes,
strides and paddings (the first is shown): a kernel's gradient is the correlation of the
layer's input with δ; the input's gradient is the full convolution of δ with the kernel, that
is the correlation with the kernel turned 180°; a filter's bias adds δ over its map; max
pooling's gradient goes to the window's first maximum (PyTorch's choice at a tie), average
pooling's is shared equally.

Convolution is cross-correlation, as PyTorch's Conv2d: with stride 1 and no padding, the
map's entry zᵢⱼ = Σᵤᵥ Kᵤᵥ · x(i + u − 1, j + v − 1) + b, and δᵢⱼ = ∂J/∂zᵢⱼ. The statements
are written as a lecturer writes them, in letters a worksheet does not use for something
else (a sheet's p is its pooled map: stride and padding are said in words).

>>> p = _kernel_gradient()
>>> [s.reason.split(':')[0] for s in p.steps]  # doctest: +ELLIPSIS
['∂zᵢⱼ/∂Kᵤᵥ = x(i + u − 1, j + v − 1), the pixel under Kᵤᵥ...', 'name it']
"""

from __future__ import annotations

import sympy as sp

from ..definitions.language import N_
from .proofcheck import Proof, derivative, prove

# (input rows, columns, kernel rows, columns, stride, padding): square and not, strides of 1
# and 2, with and without padding; the first, small enough to read, is the one shown
_SIZES = ((2, 3, 2, 2, 1, 0), (4, 4, 3, 3, 1, 1), (5, 4, 2, 3, 2, 0), (4, 5, 3, 2, 2, 1))


_TEX = {"corr(x, δ)": r"\operatorname{corr}(x, \delta)",
        "conv(δ, K)": r"\operatorname{conv}(\delta, K)"}


class Named(sp.MatrixSymbol):
    """A matrix the proof names (corr(x, δ), conv(δ, K)); its definition is substituted
    when the steps are checked."""

    def _latex(self, printer):
        return _TEX[self.name]


class Partial(sp.Derivative):
    """∂z/∂x of a named entry z: written with ∂ as a lecturer writes it (SymPy writes d/dx
    for a symbol alone), differentiated when its definition is substituted."""

    partial = True  # the MathML printer's mark

    def _latex(self, printer):
        (variable, _), = self.variable_count
        return r"\frac{\partial %s}{\partial %s}" % (printer._print(self.expr),
                                                     printer._print(variable))

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm

        (variable, _), = self.variable_count
        above, below = (prettyForm(*printer._print(e).left("∂")) for e in (self.expr, variable))
        return above / below

    def _sympyrepr(self, printer):  # proof --json: plain SymPy's Derivative, for any reader
        return printer._print(sp.Derivative(*self.args))


def _grid(letter: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{letter}_{i + 1}{j + 1}", real=True))


class _Layer:
    """A one-channel convolution of one size, its symbols, and its sums written out."""

    def __init__(self, h: int, w: int, kh: int, kw: int, s: int, p: int):
        self.h, self.w, self.kh, self.kw, self.s, self.p = h, w, kh, kw, s, p
        self.rows, self.cols = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
        self.x, self.k = _grid("x", h, w), _grid("K", kh, kw)
        self.delta = _grid("delta", self.rows, self.cols)
        self.z = _grid("z", self.rows, self.cols)  # the map, named: its sums are substituted
        self.b = sp.Symbol("b", real=True)

    def named(self) -> tuple:
        """What each zᵢⱼ stands for, substituted when the steps are checked."""
        return tuple((self.z[i, j], self.net(i, j)) for i, j in self.outputs())

    def under(self, i: int, j: int, u: int, v: int):
        """The input under kernel entry (u, v) at output (i, j), 0-based; 0 in the padding."""
        r, c = self.s * i + u - self.p, self.s * j + v - self.p
        return self.x[r, c] if 0 <= r < self.h and 0 <= c < self.w else sp.Integer(0)

    def net(self, i: int, j: int) -> sp.Expr:
        return sp.Add(*[self.k[u, v] * self.under(i, j, u, v) for u in range(self.kh)
                        for v in range(self.kw)]) + self.b

    def outputs(self):
        return [(i, j) for i in range(self.rows) for j in range(self.cols)]

    def spread(self) -> sp.Matrix:
        """δ with s − 1 zeros between its entries (a stride's outputs, back on the input's
        grid), padded on the bottom and right to what the padded input's windows cover."""
        height = self.h + 2 * self.p - self.kh + 1
        width = self.w + 2 * self.p - self.kw + 1
        out = sp.zeros(height, width)
        for i, j in self.outputs():
            out[self.s * i, self.s * j] = self.delta[i, j]
        return out


def correlate(a: sp.Matrix, k: sp.Matrix) -> sp.Matrix:
    """The valid cross-correlation of a with k: entry (u, v) is Σᵢⱼ k(i, j) · a(u + i, v + j)
    (0-based)."""
    rows, cols = a.rows - k.rows + 1, a.cols - k.cols + 1
    return sp.Matrix(rows, cols, lambda u, v: sp.Add(*[
        k[i, j] * a[u + i, v + j] for i in range(k.rows) for j in range(k.cols)]))


def _pad(a: sp.Matrix, rows: int, cols: int | None = None) -> sp.Matrix:
    """a with `rows` rows of zeros above and below and `cols` columns left and right."""
    cols = rows if cols is None else cols
    out = sp.zeros(a.rows + 2 * rows, a.cols + 2 * cols)
    out[rows:rows + a.rows, cols:cols + a.cols] = a
    return out


def convolve_full(d: sp.Matrix, k: sp.Matrix) -> sp.Matrix:
    """The full convolution of d with k (the kernel turned, as textbooks define it):
    entry (m, n) is Σᵤᵥ k(u, v) · d(m − u, n − v) (0-based), d taken as 0 outside."""
    def entry(a, b):
        return sp.Add(*[k[u, v] * d[a - u, b - v] for u in range(k.rows) for v in range(k.cols)
                        if 0 <= a - u < d.rows and 0 <= b - v < d.cols])
    return sp.Matrix(d.rows + k.rows - 1, d.cols + k.cols - 1, entry)


def turned(k: sp.Matrix) -> sp.Matrix:
    """The kernel turned 180°: its rows and its columns in reverse."""
    return sp.Matrix(k.rows, k.cols, lambda u, v: k[k.rows - 1 - u, k.cols - 1 - v])


def _sizes(build) -> Proof:
    built = [build(_Layer(*size)) for size in _SIZES]
    return built[0]


def _kernel_gradient() -> Proof:
    def build(c: _Layer) -> Proof:
        corr = Named("corr(x, δ)", c.kh, c.kw)
        by_index = sp.Matrix(c.kh, c.kw, lambda u, v: sp.Add(*[
            c.delta[i, j] * c.under(i, j, u, v) for i, j in c.outputs()]))
        # the padded input correlated with δ spread out by the stride
        whole = correlate(_pad(c.x, c.p), c.spread())
        return prove(
            "kernel_gradient", N_("A kernel's gradient is the input correlated with δ: "
            "∂J/∂Kᵤᵥ = Σᵢⱼ δᵢⱼ · x(i + u − 1, j + v − 1), where zᵢⱼ = Σᵤᵥ Kᵤᵥ · x(i + u − 1, "
            "j + v − 1) + b is the map before its activation and δᵢⱼ = ∂J/∂zᵢⱼ (Kᵤᵥ is in "
            "every zᵢⱼ). Shown for stride 1 and no padding; with a larger stride δ is spread "
            "out by it, and zero padding adds nothing"),
            lambda: sp.Matrix(c.kh, c.kw, lambda u, v: sp.Add(*[
                c.delta[i, j] * Partial(c.z[i, j], c.k[u, v]) for i, j in c.outputs()])),
            lambda: corr,
            [(lambda: by_index, N_("∂zᵢⱼ/∂Kᵤᵥ = x(i + u − 1, j + v − 1), the pixel "
              "under Kᵤᵥ when the kernel sits at (i, j): z is linear in the kernel")),
             (lambda: corr, N_("name it: entry (u, v) adds up δ times the image shifted by "
              "(u − 1, v − 1), the correlation of x with δ, corr(x, δ)"))],
            definitions=((corr, whole),) + c.named())
    return _sizes(build)


def _input_gradient() -> Proof:
    def build(c: _Layer) -> Proof:
        full = Named("conv(δ, K)", c.h, c.w)
        by_index = sp.Matrix(c.h, c.w, lambda r, q: sp.Add(*[
            c.delta[i, j] * c.k[u, v] for i, j in c.outputs() for u in range(c.kh)
            for v in range(c.kw) if (c.s * i + u - c.p, c.s * j + v - c.p) == (r, q)]))
        # both on the padded input's grid, (h + 2p) × (w + 2p); then the padding cut away
        cut = slice(c.p, c.p + c.h), slice(c.p, c.p + c.w)
        convolution = convolve_full(c.spread(), c.k)[cut]
        flipped = correlate(_pad(c.spread(), c.kh - 1, c.kw - 1), turned(c.k))[cut]
        return prove(
            "input_gradient", N_("The gradient back to a convolution's input is the full "
            "convolution of δ with the kernel, that is δ correlated with the kernel turned half "
            "a turn: ∂J/∂xₘₙ = Σᵢⱼ δᵢⱼ · K(m − i + 1, n − j + 1), over the positions (i, j) "
            "whose window covers xₘₙ. Shown for stride 1 and no padding; with a larger stride "
            "δ is spread out by it, and zero padding's rows and columns are cut away"),
            lambda: sp.Matrix(c.h, c.w, lambda r, q: sp.Add(*[
                c.delta[i, j] * Partial(c.z[i, j], c.x[r, q]) for i, j in c.outputs()])),
            lambda: full,
            [(lambda: by_index, N_("∂zᵢⱼ/∂xₘₙ is the kernel entry that lies on xₘₙ when the "
              "kernel sits at (i, j), 0 where its window does not cover xₘₙ")),
             (lambda: convolution, N_("that is the full convolution of δ with K, conv(δ, K): "
              "Σᵤᵥ Kᵤᵥ · δ(m − u + 1, n − v + 1), δ taken as 0 outside its map")),
             (lambda: flipped, N_("and the same as δ, padded by the kernel's size less 1, "
              "correlated with the kernel turned half a turn (180 degrees)")),
             (lambda: full, N_("name it"))],
            definitions=((full, convolution),) + c.named())
    return _sizes(build)


def _convolution_bias() -> Proof:
    c = _Layer(3, 3, 2, 2, 1, 0)
    paths = [(i, j) for i, j in c.outputs()]
    return prove(
        "convolution_bias", N_("A filter's bias is in every entry of its map: ∂J/∂b = "
        "Σᵢⱼ δᵢⱼ"), lambda: sp.Add(*[c.delta[i, j] * Partial(c.z[i, j], c.b)
                                   for i, j in paths]),
        lambda: sp.Add(*[c.delta[i, j] for i, j in paths]), [
            (lambda: sp.Add(*[c.delta[i, j] * 1 for i, j in paths]),
             N_("∂zᵢⱼ/∂b = 1 at every position: b is added to each zᵢⱼ")),
            (lambda: sp.Add(*[c.delta[i, j] for i, j in paths]), N_("simplify"))],
        definitions=c.named())


_A = sp.symbols("a_1 a_2 a_3 a_4", real=True)


class maximum(sp.Function):  # noqa: N801 - prints as the mathematics does
    """max of a window, kept whole in the proof (its definition by cases is substituted
    when the steps are checked)."""

    def _latex(self, printer):
        return r"\max\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)

    def _sympystr(self, printer):
        return "max(%s)" % ", ".join(printer._print(a) for a in self.args)

    def _pretty(self, printer):
        return printer._print_Function(self, func_name="max")


def _first(k: int):
    """a_k is the first maximum: larger than every earlier a, at least every later one."""
    return sp.And(*[_A[k] > _A[j] for j in range(k)],
                  *[_A[k] >= _A[j] for j in range(k + 1, len(_A))])


_BY_CASES = sp.Piecewise(*[(_A[k], _first(k)) for k in range(len(_A) - 1)], (_A[-1], True))


def _max_pool() -> Proof:
    a1, a2, a3, a4 = _A
    window = maximum(*_A)
    return prove(
        "max_pool", N_("Max pooling's gradient goes to the window's maximum: for a window a₁, "
        "a₂, a₃, a₄ read row by row, ∂max(a₁, a₂, a₃, a₄)/∂a₂ = 1 where a₂ is the first "
        "maximum (a₂ > a₁, a₂ ≥ a₃ and a₂ ≥ a₄), else 0; at a tie the first in reading "
        "order takes it all, as PyTorch does"),
        lambda: derivative(window, a2), lambda: sp.Piecewise((1, _first(1)), (0, True)), [
            (lambda: derivative(_BY_CASES, a2), N_("max by cases: the value of the first of the "
             "largest (read row by row, a value replaces the largest so far only if it is "
             "strictly larger, so of equal maxima the first is kept)")),
            (lambda: sp.Piecewise((0, _first(0)), (1, _first(1)), (0, _first(2)), (0, True)),
             N_("differentiate each case: ∂a₂/∂a₂ = 1, and a₁, a₃, a₄ do not depend on a₂; where "
             "values are equal max has no derivative, and the case taken there decides")),
            (lambda: sp.Piecewise((1, _first(1)), (0, True)), N_("1 where a₂ is the first "
             "maximum, 0 everywhere else"))],
        definitions=((window, _BY_CASES),))


def _average_pool() -> Proof:
    a1, a2, a3, a4 = _A
    mean = (a1 + a2 + a3 + a4) / 4
    return prove(
        "average_pool", N_("Average pooling shares the gradient equally: ∂((a₁ + a₂ + a₃ + a₄)/4)"
        "/∂a₂ = 1/4, for every entry of the window"), lambda: derivative(mean, a2),
        lambda: sp.Rational(1, 4), [
            (lambda: (derivative(a1, a2) + derivative(a2, a2) + derivative(a3, a2)
                      + derivative(a4, a2)) / 4, N_("constant factor 1/4, and sum rule")),
            (lambda: (0 + 1 + 0 + 0) / sp.Integer(4), N_("only a₂ depends on a₂")),
            (lambda: sp.Rational(1, 4), N_("simplify: 1/n for a window of n pixels"))])
