"""The calculus rules of convolution, pooling and flatten, one small class each, as steps.py's
rules are: a leaf is one partial derivative (its general form, its form in this network's
symbols, the proof it rests on); a sum adds the paths by which a quantity reaches J.

>>> a, b = sp.symbols('a b', real=True)
>>> FirstMaximum(1, a, b), FirstMaximum(2, sp.Float(0.5), sp.Float(0.5))
(1 if a is the first maximum of (a, b), else 0, 0)
>>> FirstMaximum(1, sp.Float(0.5), sp.Float(0.5)), FirstMaximum(2, sp.Integer(1), sp.Integer(3))
(1, 1)
"""

from __future__ import annotations

import mpmath
import sympy as sp
from mpmath.libmp import mpf_gt

from .steps import Factor, PathSum

# generic symbols of the general forms: K a kernel entry, IN the input under it
K, IN, WINDOW = sp.symbols("K in window", real=True)


class FirstMaximum(sp.Function):
    """∂max(window)/∂a_k = 1 if a_k is the window's first maximum in reading order, else 0

    The first argument is k (1-based), the rest the window row by row. At a tie the maximum
    has no derivative; PyTorch's CPU kernel keeps the first of equal maxima (it replaces its
    running maximum only by a strictly larger value), so the whole gradient goes to it.
    """

    @classmethod
    def eval(cls, k, *window):
        if not all(a.is_number for a in window) or not k.is_Integer:
            return None
        first = 0
        for i, a in enumerate(window):
            if _larger(a, window[first]):  # strictly: an equal later value never wins
                first = i
        return sp.S.One if first == int(k) - 1 else sp.S.Zero

    @staticmethod
    def at(k: int, *window) -> mpmath.mpf:
        """Its value at numbers (mpmath ones), as eval gives it."""
        first = 0
        for i, a in enumerate(window):
            if a > window[first]:
                first = i
        return mpmath.mpf(1 if first == k - 1 else 0)

    def _sympystr(self, printer) -> str:
        k, *window = self.args
        if window == [WINDOW]:
            return "1 if in is its window's first maximum, else 0"
        shown = ", ".join(printer._print(a) for a in window)
        return f"1 if {printer._print(window[int(k) - 1])} is the first maximum of ({shown}), " \
               "else 0"


def _larger(a: sp.Expr, b: sp.Expr) -> bool:
    """a > b, exactly: two Floats (what substitution gives) compared as the binary numbers
    they are, without SymPy's relational machinery (a hundred times slower); others by it."""
    if a.is_Float and b.is_Float:
        return mpf_gt(a._mpf_, b._mpf_)
    return bool(a > b)


class KernelInput(Factor):
    """∂net[f][i][j]/∂K[f][c][u][v] = in[c][s(i−1) + u − p][s(j−1) + v − p], the input under
    the kernel entry at that position"""


class KernelWeight(Factor):
    """∂net[f][i][j]/∂in[c][r][s] = K[f][c][r − s(i−1) + p][s − s(j−1) + p], the kernel entry
    that lies on the input pixel there: the way back through a convolution"""


class MaxPoolGradient(Factor):
    """∂out[c][i][j]/∂in[c][r][s] = 1 if in[c][r][s] is window (i, j)'s first maximum, else 0"""


class AveragePoolGradient(Factor):
    """∂out[c][i][j]/∂in[c][r][s] = 1/(rows·columns of the window), for each pixel in it"""


class FlattenGradient(Factor):
    """∂out[k]/∂in[c][i][j] = 1 where k is (c, i, j)'s position: flatten only moves numbers"""


class KernelPaths(PathSum):
    """∂J/∂K[f][c][u][v] = Σ_(i,j) δ[f][i][j] · in[c][s(i−1) + u − p][s(j−1) + v − p]: the
    correlation of the input with δ (a kernel entry touches every output position)"""


class FilterBiasPaths(PathSum):
    """∂J/∂b[f] = Σ_(i,j) δ[f][i][j]: a filter's bias is in every pixel of its map"""


class InputPaths(PathSum):
    """∂J/∂in[c][r][s] = Σ_f Σ_(i,j) δ[f][i][j] · K[f][c][r − s(i−1) + p][s − s(j−1) + p]:
    the full convolution of δ with the kernel turned 180° (δ spread out by the stride)"""


class PoolPaths(PathSum):
    """∂J/∂in[c][r][s] = Σ over the windows holding it of ∂J/∂out[c][i][j] · ∂out/∂in"""
