"""The convolution sheet's way back: δ through the dense output, the pooling (max to its first
largest entry, average shared) and the activation, then ∂J/∂K entry by entry, each a sum over
the positions the kernel entry touched; and the small forms both ways write with."""

from __future__ import annotations

from itertools import product

from ..definitions.language import N_
from .forms import (
    Apply,
    Frac,
    Group,
    Number,
    Ops,
    Partial,
    Power,
    Prose,
    Symbol,
    Text,
)
from .model import Grid, Section
from .worked import ref


class _Rejected(ValueError):
    pass


def _sym(letter: str, *index: int, word: bool = False) -> Symbol:
    return Symbol(letter, sub=",".join(map(str, index)) if index else None, word=word)


def _dJ(letter: str, *index: int) -> Partial:
    return Partial(Symbol("J"), _sym(letter, *index))


def _sum(terms) -> Ops:
    """Products joined by +, a negative first factor after a + in parentheses."""
    shown = [t if i == 0 or not isinstance(t, Ops) or not _negative(t.items[0]) else
             Ops((Group(t.items[0]),) + t.items[1:], t.ops) for i, t in enumerate(terms)]
    return Ops.joined(shown, "+")


def _negative(f) -> bool:
    return isinstance(f, Number) and f.value < 0


def _times(*items) -> Ops:
    return Ops(tuple(items), ("·",) * (len(items) - 1))


class ConvBackward:
    """The backward half of _ConvSheet (convsheet.py), which holds the forward half and the
    state both read: the layers, the worked blanks (self.w), the sections."""

    def back_output(self):
        s = Section(Prose((self._("Back through the output"),)), self._(
            "δ is ∂J/∂net of an output; ∂J/∂p sums over every output the pooled entry feeds."))
        act, loss = self.dense.activation, self.defn.network.loss
        for j, (t, o) in enumerate(zip(self.t, self.out), start=1):
            err = ["sub", o, t]
            diff = Group(Ops((self._outname(j), _sym("t", j)), ("−",)))
            o_j = self._outname(j)
            if act == "sigmoid" and loss == "half_sse":
                tree = ["mul", err, o, ["sub", 1, o]]
                form = _times(diff, o_j, Group(Ops((Number(1), o_j), ("−",))))
            elif act == "tanh":
                tree = ["mul", err, ["sub", 1, ["mul", o, o]]]
                form = _times(diff, Group(Ops((Number(1), Power(o_j, Number(2))), ("−",))))
            else:
                tree = err
                form = diff.x
            mistakes = [("sign", ["neg", tree])]
            if tree is not err:
                mistakes.append(("missing_activation_derivative", err))
            s.lines.append(self.w.blank(f"delta[{j}]", tree, _sym("δ", j), (form,),
                                        mistakes=mistakes))
        letter = self.flat
        for k, at in enumerate(self.pooled, start=1):
            if self.F > 1 and at[0] not in self.back:
                continue  # a filter whose way back is not asked
            terms = [["mul", row[k - 1], ref(f"delta[{j}]")]
                     for j, row in enumerate(self.V, start=1)]
            general = [_times(_sym("v", j, k), _sym("δ", j)) for j in range(1, len(self.V) + 1)]
            numbers = [_times(Number(row[k - 1]), Number(self.w.key[f"delta[{j}]"]))
                       for j, row in enumerate(self.V, start=1)]
            s.lines.append(self.w.blank(self.named(f"dJ/d{letter}", at), ["add", *terms],
                                        _dJ(letter, *at), (_sum(general),), _sum(numbers),
                                        mistakes=[("sign", ["neg", ["add", *terms]])]))
        self.sections.append(s)

    def back_pooling(self, f):
        if not self.pool:
            return
        kind = self.pool.kind
        _ = self._
        intro = (_("Max pooling passes each window's gradient to its largest entry only (the "
                   "others get 0); where two entries tie, the first of them reading row by row "
                   "gets it, as PyTorch does.") if kind == "max_pool" else
                 _("Average pooling shares each window's gradient equally: each of its n "
                   "entries gets ∂J/∂p divided by n."))
        s = Section(self.heading(N_("Back through the pooling"),
                                 N_("Back through the pooling, filter {f}"), f), intro)
        for r, c in self.positions(self.M, self.N):
            cell = self.at(f, r, c)
            windows = [w for w, cells in self.windows.items() if cell in cells]
            parts = []
            every = [ref(self.named("dJ/dp", w)) for w in windows]
            for w in windows:
                g = ref(self.named("dJ/dp", w))
                if kind == "max_pool":
                    if self._first_max(self.windows[w]) == cell:
                        parts.append(g)
                else:
                    parts.append(["mul", 1 / len(self.windows[w]), g])
            tree = ["add", *parts] if parts else 0
            diagnosis = "every_window_position" if kind == "max_pool" else "average_not_divided"
            mistakes = [(diagnosis, ["add", *every])] if every else []
            form, working = self._routed(cell, windows, kind)
            s.lines.append(self.w.blank(self.named(f"dJ/d{self.a}", cell), tree,
                                        _dJ(self.a, *cell), form, working,
                                        mistakes=mistakes))
        s.grid = Grid(Partial(Symbol("J"), _sym(self.a, *self.filter_of(f))),
                      Text(_("each window's gradient, passed on as above")), self.M, self.N, 0)
        self.sections.append(s)

    def _routed(self, cell, windows, kind):
        """How a pooled entry's gradient reaches `cell`, as a teacher writes it: through each
        window it is in, times ∂p/∂a (1 where it is the window's first largest entry, else
        0), or divided by the window's size; with the key's numbers. A cell in no window
        gets nothing: said in words."""
        if not windows:  # past the last window a stride reaches
            return (), Text(self._("0, as it is in no pooling window"))
        general, numbers = [], []
        for w in windows:
            dp = _dJ("p", *w)
            g = Number(self.w.key[self.named("dJ/dp", w)])
            if kind == "max_pool":
                one = Number(1.0 if self._first_max(self.windows[w]) == cell else 0.0)
                general.append(_times(dp, Partial(_sym("p", *w), _sym(self.a, *cell))))
                numbers.append(_times(g, one))
            else:
                n = Number(len(self.windows[w]))
                general.append(Frac(dp, n))
                numbers.append(Frac(g, n))
        return (Ops.joined(general, "+"),), _sum(numbers)

    def _first_max(self, cells):
        """PyTorch's argmax of a window: the first largest, reading row by row (of the exact
        values; a draw whose rounded values order them otherwise is not printed)."""
        exact = [self.w.exact[self.named(self.a, at)] for at in cells]
        key = [self.w.key[self.named(self.a, at)] for at in cells]
        best = exact.index(max(exact))
        if key.index(max(key)) != best or sorted(key)[-2] == max(key):
            raise _Rejected("two entries of a max-pool window tie at the sheet's decimals")
        return cells[best]

    def back_activation(self, f):
        if self.act == "identity":
            return
        s = Section(self.heading(N_("Back through the activation"),
                                 N_("Back through the activation, filter {f}"), f), "")
        for r, c in self.positions(self.M, self.N):
            at = self.at(f, r, c)
            g = ref(self.named("dJ/da", at))
            a, z = ref(self.named("a", at)), ref(self.named("z", at))
            slope = {"relu": ["step", z], "sigmoid": ["mul", a, ["sub", 1, a]],
                     "tanh": ["sub", 1, ["mul", a, a]]}[self.act]
            working = None
            if self.act == "tanh":  # 1 − a², as the rule is written, not 1 − a·a
                shown = Number(self.w.key[self.named("a", at)])
                working = _times(Number(self.w.key[self.named("dJ/da", at)]), Group(Ops(
                    (Number(1), Power(Group(shown) if shown.value < 0 else shown,
                                      Number(2))), ("−",))))
            s.lines.append(self.w.blank(
                self.named("dJ/dz", at), ["mul", g, slope], _dJ("z", *at),
                (_times(_dJ("a", *at), Apply("f", (_sym("z", *at),), prime=True)),), working,
                mistakes=[("missing_activation_derivative", g)]))
        whole = self.filter_of(f)
        s.grid = Grid(Partial(Symbol("J"), _sym("z", *whole)),
                      _times(Partial(Symbol("J"), _sym("a", *whole)),
                             Apply("f", (_sym("z", *whole),), prime=True)), self.M, self.N, 0)
        self.sections.append(s)

    def kernel_gradient(self, f):
        _ = self._
        s = Section(self.heading(N_("The kernel's gradient"),
                                 N_("The kernel's gradient, filter {f}"), f),
                    _("Each kernel entry over each channel touched every position of the "
                      "feature map: add ∂J/∂z there times the pixel it covered.") if self.C > 1
                    else _("Each kernel entry touched every position of the feature map: add "
                           "∂J/∂z there times the pixel it covered."))
        where = [self.at(f, i, j) for i, j in self.positions(self.M, self.N)]
        for c, u, v in product(range(1, self.C + 1), range(1, self.kh + 1),
                               range(1, self.kw + 1)):
            def term(at, du=u, dv=v, c=c):
                i, j = at[-2:]
                return ["mul", ref(self.named("dJ/dz", at)), self.x[c - 1][i - 2 + du][j - 2 + dv]]
            terms = [term(at) for at in where]
            flipped = [term(at, self.kh + 1 - u, self.kw + 1 - v) for at in where]
            general = [_times(_dJ("z", *at), _sym("x", *self.pixel(c, at[-2] + u - 1,
                                                                    at[-1] + v - 1)))
                       for at in where]
            numbers = [_times(Number(self.w.key[self.named("dJ/dz", at)]),
                              Number(self.x[c - 1][at[-2] - 2 + u][at[-1] - 2 + v]))
                       for at in where]
            entry = self.entry(f, c, u, v)
            s.lines.append(self.w.blank(
                self.named("dJ/dK", entry), ["add", *terms], _dJ("K", *entry),
                (_sum(general),), _sum(numbers),
                mistakes=[("kernel_flipped", ["add", *flipped]),
                          ("sign", ["neg", ["add", *terms]])]))
        if self.b is not None:
            refs = [ref(self.named("dJ/dz", at)) for at in where]
            s.lines.append(self.w.blank(
                self.named("dJ/db", self.filter_of(f)), ["add", *refs],
                Partial(Symbol("J"), _sym("b", *self.filter_of(f))),
                (_sum([_dJ("z", *at) for at in where]),),
                _sum([Number(self.w.key[self.named("dJ/dz", at)]) for at in where]),
                mistakes=[("sign", ["neg", ["add", *refs]])]))
        self.sections.append(s)
