"""Proofs of convolution's and pooling's rules, each checked entry by entry at several sizes,
strides and paddings (the first is shown): a kernel's gradient is the correlation of the
layer's input with δ; the input's gradient is the full convolution of δ with the kernel, that
is the correlation with the kernel turned 180°; a filter's bias adds δ over its map; max
pooling's gradient goes to the window's first maximum (PyTorch's choice at a tie), average
pooling's is shared equally.

Convolution is cross-correlation, as PyTorch's Conv2d: net[i][j] = Σ_(u,v) K[u][v]·
x[s(i−1) + u − p][s(j−1) + v − p] + b, a pixel in the zero padding adding nothing.

>>> p = _kernel_gradient()
>>> [s.reason.split(':')[0] for s in p.steps]
['∂net[i][j]/∂K[u][v] is the input under K[u][v] at (i, j)', 'name it']
"""

from __future__ import annotations

import sympy as sp

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


def _grid(letter: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{letter}_{i + 1}{j + 1}", real=True))


class _Layer:
    """A one-channel convolution of one size, its symbols, and its sums written out."""

    def __init__(self, h: int, w: int, kh: int, kw: int, s: int, p: int):
        self.h, self.w, self.kh, self.kw, self.s, self.p = h, w, kh, kw, s, p
        self.rows, self.cols = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
        self.x, self.k = _grid("x", h, w), _grid("K", kh, kw)
        self.delta = _grid("delta", self.rows, self.cols)
        self.b = sp.Symbol("b", real=True)

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
    """The valid cross-correlation of a with k: out[u][v] = Σ_(i,j) k[i][j]·a[u + i][v + j]."""
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
    out[a][b] = Σ_(u,v) k[u][v]·d[a − u][b − v], d taken as 0 outside."""
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
            "kernel_gradient", "A kernel's gradient is the correlation of the layer's input "
            "with δ: K[u][v] is in every net[i][j], so by the chain rule ∂J/∂K[u][v] = "
            "Σ_(i,j) δ[i][j]·∂net[i][j]/∂K[u][v] = Σ_(i,j) δ[i][j]·x[s(i−1) + u − p][s(j−1) + v "
            "− p], the input slid under δ (spread out by the stride); shown for stride 1, no "
            "padding",
            lambda: sp.Matrix(c.kh, c.kw, lambda u, v: sp.Add(*[
                c.delta[i, j] * derivative(c.net(i, j), c.k[u, v]) for i, j in c.outputs()])),
            lambda: corr,
            [(lambda: by_index, "∂net[i][j]/∂K[u][v] is the input under K[u][v] at (i, j): "
              "net is linear in the kernel, and the padding adds nothing"),
             (lambda: corr, "name it: entry (u, v) is the input, shifted by (u, v), times δ, "
              "added up: the correlation of x with δ, corr(x, δ)")],
            definitions=((corr, whole),))
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
            "input_gradient", "The gradient that goes back to a convolution's input (by the "
            "chain rule, Σ δ[i][j]·∂net[i][j]/∂x[r][q] over the nets whose window covers "
            "x[r][q]) is the full "
            "convolution of δ with the kernel, that is δ correlated with the kernel turned half "
            "a turn: "
            "∂J/∂x[r][q] = Σ δ[i][j]·K[r − s(i−1) + p][q − s(j−1) + p] over the outputs whose "
            "window covers x[r][q] (δ spread out by the stride); shown for stride 1, no padding",
            lambda: sp.Matrix(c.h, c.w, lambda r, q: sp.Add(*[
                c.delta[i, j] * derivative(c.net(i, j), c.x[r, q]) for i, j in c.outputs()])),
            lambda: full,
            [(lambda: by_index, "∂net[i][j]/∂x[r][q] is the kernel entry that lies on x[r][q] "
              "at (i, j), 0 where the window does not cover it"),
             (lambda: convolution, "that is the full convolution of δ with K, conv(δ, K): "
              "Σ_(u,v) K[u][v]·δ[r − u][q − v], δ taken as 0 outside (then the padding's rows "
              "cut away)"),
             (lambda: flipped, "and the same as δ, padded by the kernel's size less 1, "
              "correlated with the kernel turned half a turn (180 degrees)"),
             (lambda: full, "name it")],
            definitions=((full, convolution),))
    return _sizes(build)


def _convolution_bias() -> Proof:
    c = _Layer(3, 3, 2, 2, 1, 0)
    paths = [(i, j) for i, j in c.outputs()]
    return prove(
        "convolution_bias", "A filter's bias is in every pixel of its map: ∂J/∂b = "
        "Σ_(i,j) δ[i][j]", lambda: sp.Add(*[c.delta[i, j] * derivative(c.net(i, j), c.b)
                                              for i, j in paths]),
        lambda: sp.Add(*[c.delta[i, j] for i, j in paths]), [
            (lambda: sp.Add(*[c.delta[i, j] * 1 for i, j in paths]),
             "∂net[i][j]/∂b = 1 for every position: the bias is added to each net"),
            (lambda: sp.Add(*[c.delta[i, j] for i, j in paths]), "simplify")])


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
        "max_pool", "Max pooling's gradient goes to the window's maximum: ∂max(a1, a2, a3, a4)"
        "/∂a2 = 1 where a2 is the first maximum (larger than a1, at least a3 and a4), else 0; "
        "at a tie the first in reading order takes it all, as PyTorch does",
        lambda: derivative(window, a2), lambda: sp.Piecewise((1, _first(1)), (0, True)), [
            (lambda: derivative(_BY_CASES, a2), "max by cases: the value of the first of the "
             "largest (PyTorch's CPU kernel keeps the first of equal maxima, replacing its "
             "running maximum only by a strictly larger value)"),
            (lambda: sp.Piecewise((0, _first(0)), (1, _first(1)), (0, _first(2)), (0, True)),
             "differentiate each case: a2' = 1, and a1, a3, a4 do not depend on a2; where "
             "values are equal max has no derivative, and the case taken there decides"),
            (lambda: sp.Piecewise((1, _first(1)), (0, True)), "1 where a2 is the first "
             "maximum, 0 everywhere else")],
        definitions=((window, _BY_CASES),))


def _average_pool() -> Proof:
    a1, a2, a3, a4 = _A
    mean = (a1 + a2 + a3 + a4) / 4
    return prove(
        "average_pool", "Average pooling shares the gradient equally: ∂((a1 + a2 + a3 + a4)/4)"
        "/∂a2 = 1/4, for every pixel of the window", lambda: derivative(mean, a2),
        lambda: sp.Rational(1, 4), [
            (lambda: (derivative(a1, a2) + derivative(a2, a2) + derivative(a3, a2)
                      + derivative(a4, a2)) / 4, "constant factor 1/4, and sum rule"),
            (lambda: (0 + 1 + 0 + 0) / sp.Integer(4), "only a2 depends on a2"),
            (lambda: sp.Rational(1, 4), "simplify: 1/n for a window of n pixels")])
