"""Each optimizer's update on a sheet of steps worked by hand (sheets/stepsheet.py), as
torch.optim computes it: plain gradient descent, momentum (no dampening) and Nesterov momentum
(torch.optim.SGD), RMSprop and Adam (ε outside the square root). Each quantity is a blank, a
tree over earlier blanks, with the mistakes a student is known to make in it.

Weight decay (L2) is in the gradient's blank (stepsheet), g = ∂J/∂w + λ·w, as torch.optim adds
it before the update; the update below starts from that g.
"""

from __future__ import annotations

from ..definitions.language import N_
from .forms import Apply, Frac, Group, Number, Ops, Power, Prose, Symbol
from .model import Section

# each optimizer's sentences whole, so that a language puts its name where its grammar wants
# it (« d'Adam », « de la descente de gradient »)
UPDATES = {"sgd": N_("Step {t}: the gradient descent update"),
           "momentum": N_("Step {t}: the momentum update"),
           "nesterov": N_("Step {t}: the Nesterov momentum update"),
           "rmsprop": N_("Step {t}: the RMSprop update"), "adam": N_("Step {t}: the Adam update")}
TWO_STEPS = {"sgd": N_("Two steps of gradient descent"), "momentum": N_("Two steps of momentum"),
             "nesterov": N_("Two steps of Nesterov momentum"),
             "rmsprop": N_("Two steps of RMSprop"), "adam": N_("Two steps of Adam")}


def name_of(opt) -> str:
    """The optimizer's key in UPDATES and TWO_STEPS: 'nesterov', 'rmsprop', ..."""
    return "nesterov" if opt.name == "momentum" and opt.nesterov else opt.name


def _s(letter: str, sub=None, sup=None, word=False) -> Symbol:
    return Symbol(letter, sub=sub, sup=sup, word=word)


def _times(*items) -> Ops:
    return Ops(tuple(items), ("·",) * (len(items) - 1))


def _sqrt(tree):
    """√x in the scheme's operations: e^(½·ln x), x > 0 (a moment of a gradient squared)."""
    return ["exp", ["mul", 0.5, ["log", tree]]]


def _less(x: float) -> float:
    """1 − x as a sheet writes it: 0.01 for 1 − 0.99, not the binary 0.010000000000000009
    (the difference, 1e-17, is far below any sheet's decimals and torch's own rounding)."""
    return float(f"{1 - x:.12g}")


def _ref(name: str) -> list:
    return ["ref", name]


class UpdateRules:
    """The update blanks of step t for each parameter; the sheet provides w (its Worked),
    opt, lr, params, w0 and b0, its words _, and the symbols _param(p, t) and _g(p, t)."""

    def update(self, t: int) -> None:
        s = Section(Prose((self._(UPDATES[name_of(self.opt)]).format(t=t),)), "")
        rule = {"sgd": self._sgd, "momentum": self._momentum, "rmsprop": self._rmsprop,
                "adam": self._adam}[self.opt.name]
        for p in self.params:
            rule(s, p, t)
        self.sections.append(s)

    def _old(self, p: str, t: int):
        return _ref(f"new@{t - 1} {p}") if t > 1 else dict(
            zip(self.params, self.w0 + [self.b0]))[p]

    def _sgd(self, s: Section, p: str, t: int) -> None:
        g, old = _ref(f"g@{t} {p}"), self._old(p, t)
        self._new(s, p, t, ["sub", old, ["mul", self.lr, g]],
                  Ops((self._param(p, t), _times(Symbol("η"), self._g(p, t))), ("−",)),
                  [("sign", ["add", old, ["mul", self.lr, g]])])

    def _momentum(self, s: Section, p: str, t: int) -> None:
        w, mu, g = self.w, self.opt.momentum, _ref(f"g@{t} {p}")
        vel = _s("v", f"{p},{t}")
        if t == 1:
            tree, forms, wrong = g, (self._g(p, t),), []
        else:
            before = _ref(f"velocity@{t - 1} {p}")
            tree = ["add", ["mul", mu, before], g]
            forms = (Ops((_times(Symbol("μ"), _s("v", f"{p},{t - 1}")), self._g(p, t)),
                         ("+",)),)
            wrong = [("no_momentum", g),
                     ("old_gradient", ["add", ["mul", mu, before], _ref(f"g@{t - 1} {p}")])]
        s.lines.append(w.blank(f"velocity@{t} {p}", tree, vel, forms, mistakes=wrong))
        old, v = self._old(p, t), _ref(f"velocity@{t} {p}")
        if not self.opt.nesterov:
            self._new(s, p, t, ["sub", old, ["mul", self.lr, v]],
                      Ops((self._param(p, t), _times(Symbol("η"), vel)), ("−",)),
                      [("sign", ["add", old, ["mul", self.lr, v]])])
            return
        # Nesterov, as torch.optim.SGD(nesterov=True): the step is along g + μ·v, with this
        # step's velocity and the gradient at the weights the step starts from (the look-ahead
        # taken with the previous velocity, g + μ·v_{t−1}, is v itself: plain momentum's step)
        along = ["add", g, ["mul", mu, v]]
        wrong = [("no_lookahead", ["sub", old, ["mul", self.lr, v]])]
        self._new(s, p, t, ["sub", old, ["mul", self.lr, along]], Ops((
            self._param(p, t), _times(Symbol("η"), Group(Ops((
                self._g(p, t), _times(Symbol("μ"), vel)), ("+",))))), ("−",)),
            wrong + [("sign", ["add", old, ["mul", self.lr, along]])])

    def _rmsprop(self, s: Section, p: str, t: int) -> None:
        w, o, g = self.w, self.opt, _ref(f"g@{t} {p}")
        alpha, eps = o.alpha, o.epsilon
        before = _ref(f"s@{t - 1} {p}") if t > 1 else 0.0
        kept, fresh = ["mul", alpha, before], _less(alpha)
        tree = ["add", kept, ["mul", fresh, ["mul", g, g]]]
        wrong = [("gradient_not_squared", ["add", kept, ["mul", fresh, g]])]
        if t > 1:
            g_prev = _ref(f"g@{t - 1} {p}")
            wrong.append(("old_gradient", ["add", kept, ["mul", fresh, ["mul", g_prev, g_prev]]]))
        gs, sq = self._g(p, t), _s("s", f"{p},{t}")
        s.lines.append(w.blank(f"s@{t} {p}", tree, sq, (Ops((
            _times(Symbol("α"), _s("s", f"{p},{t - 1}")),
            _times(Group(Ops((Number(1), Symbol("α")), ("−",))), Power(gs, Number(2)))),
            ("+",)),), mistakes=wrong))
        old, avg = self._old(p, t), _ref(f"s@{t} {p}")
        step = ["div", ["mul", self.lr, g], ["add", _sqrt(avg), eps]]
        self._new(s, p, t, ["sub", old, step], Ops((self._param(p, t), Frac(
            _times(Symbol("η"), gs), Ops((Apply("√", (sq,)), Symbol("ε")), ("+",)))), ("−",)),
            [("no_square_root", ["sub", old, ["div", ["mul", self.lr, g], ["add", avg, eps]]]),
             ("epsilon_inside_root", ["sub", old, ["div", ["mul", self.lr, g],
                                                   _sqrt(["add", avg, eps])]]),
             ("sign", ["add", old, step])])

    def _adam(self, s: Section, p: str, t: int) -> None:
        w, o, g = self.w, self.opt, _ref(f"g@{t} {p}")
        b1, b2, eps = o.beta1, o.beta2, o.epsilon
        sub, old = f"{p},{t}", f"{p},{t - 1}"
        m_prev = _ref(f"m@{t - 1} {p}") if t > 1 else 0.0
        v_prev = _ref(f"v@{t - 1} {p}") if t > 1 else 0.0
        g_prev = _ref(f"g@{t - 1} {p}") if t > 1 else None
        m_tree = ["add", ["mul", b1, m_prev], ["mul", _less(b1), g]]
        v_tree = ["add", ["mul", b2, v_prev], ["mul", _less(b2), ["mul", g, g]]]
        old_m = [("old_gradient", ["add", ["mul", b1, m_prev], ["mul", _less(b1), g_prev]])] \
            if g_prev else []
        old_v = [("old_gradient", ["add", ["mul", b2, v_prev],
                                   ["mul", _less(b2), ["mul", g_prev, g_prev]]])] if g_prev else []
        gs = self._g(p, t)
        m, v = _s("m", sub), _s("v", sub)
        beta = lambda k: Symbol("β", sub=str(k))  # noqa: E731
        s.lines.append(w.blank(f"m@{t} {p}", m_tree, m, (Ops((
            _times(beta(1), _s("m", old)), _times(Group(Ops((Number(1), beta(1)), ("−",))),
                                                   gs)), ("+",)),), mistakes=old_m))
        s.lines.append(w.blank(f"v@{t} {p}", v_tree, v, (Ops((
            _times(beta(2), _s("v", old)), _times(Group(Ops((Number(1), beta(2)), ("−",))),
                                                   Power(gs, Number(2)))), ("+",)),),
            mistakes=old_v))
        mhat, vhat = _ref(f"mhat@{t} {p}"), _ref(f"vhat@{t} {p}")
        m_hat_tree = ["div", _ref(f"m@{t} {p}"), _less(b1 ** t)]
        v_hat_tree = ["div", _ref(f"v@{t} {p}"), _less(b2 ** t)]
        corrected = lambda x, k: Frac(x, Ops((Number(1), Power(beta(k), Number(t))),  # noqa
                                             ("−",)))
        s.lines.append(w.blank(f"mhat@{t} {p}", m_hat_tree, _s("m̂", sub), (corrected(m, 1),),
                               mistakes=[("no_bias_correction", _ref(f"m@{t} {p}"))]))
        s.lines.append(w.blank(f"vhat@{t} {p}", v_hat_tree, _s("v̂", sub), (corrected(v, 2),),
                               mistakes=[("no_bias_correction", _ref(f"v@{t} {p}"))]))
        old_w = self._old(p, t)
        step = ["div", ["mul", self.lr, mhat], ["add", _sqrt(vhat), eps]]
        raw = ["div", ["mul", self.lr, _ref(f"m@{t} {p}")],
               ["add", _sqrt(_ref(f"v@{t} {p}")), eps]]
        inside = ["div", ["mul", self.lr, mhat], _sqrt(["add", vhat, eps])]
        self._new(s, p, t, ["sub", old_w, step], Ops((self._param(p, t), Frac(
            _times(Symbol("η"), _s("m̂", sub)), Ops((Apply("√", (_s("v̂", sub),)),
                                                     Symbol("ε")), ("+",)))), ("−",)),
            [("no_bias_correction", ["sub", old_w, raw]),
             ("epsilon_inside_root", ["sub", old_w, inside]),
             ("sign", ["add", old_w, step])])

    def _new(self, s: Section, p: str, t: int, tree, form, mistakes) -> None:
        letter, sub = p[0], p[1:] or None
        s.lines.append(self.w.blank(f"new@{t} {p}", tree, _s(letter, sub, f"({t})"), (form,),
                                    mistakes=[("no_step", self._old(p, t))] + mistakes))

