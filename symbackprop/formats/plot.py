"""Small SVG plots for the practice pages: curves, tangents, dots, a legend, and a moving ball.

The same figures as the PDF's pgfplots, drawn as inline SVG so the page needs nothing else.
Motion (the ball rolling downhill) is a CSS animation that runs only for a reader who has not
asked for reduced motion.

>>> p = Plot((0, 1), (0, 1), "x", "y")
>>> p.curve(lambda x: x * x, "#1f4e9e", "x squared")
>>> '<polyline' in p.svg("a parabola")
True
"""

from __future__ import annotations

import html
import zlib
from collections.abc import Callable

WIDTH, HEIGHT = 480, 320
MARGIN = {"left": 58, "right": 14, "top": 14, "bottom": 46}


class Plot:
    def __init__(self, xs: tuple[float, float], ys: tuple[float, float], xlabel: str,
                 ylabel: str, decimal: str = "."):
        self.xs, self.ys, self.xlabel, self.ylabel = xs, ys, xlabel, ylabel
        self.decimal = decimal  # the axes' numbers as the page's language writes them
        self.parts: list[str] = []
        self.labels: list[str] = []  # drawn over the plot, never clipped by it
        self.legend: list[tuple[str, str]] = []
        self.legend_low = False  # the legend at the bottom right, where the curves are not

    def x(self, v: float) -> float:
        span = WIDTH - MARGIN["left"] - MARGIN["right"]
        return MARGIN["left"] + (v - self.xs[0]) / (self.xs[1] - self.xs[0]) * span

    def y(self, v: float) -> float:
        span = HEIGHT - MARGIN["top"] - MARGIN["bottom"]
        return HEIGHT - MARGIN["bottom"] - (v - self.ys[0]) / (self.ys[1] - self.ys[0]) * span

    def points(self, pairs) -> str:
        return " ".join(f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in pairs
                        if self.ys[0] - 1 <= b <= self.ys[1] + 1)

    def curve(self, f: Callable[[float], float], color: str, label: str = "",
              domain: tuple[float, float] | None = None, width: float = 2.2,
              dash: str = "") -> None:
        lo, hi = domain or self.xs
        pairs = [(lo + (hi - lo) * i / 200, f(lo + (hi - lo) * i / 200)) for i in range(201)]
        style = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="{width}"{style}'
                          f' points="{self.points(pairs)}"/>')
        if label:
            self.legend.append((color, label))

    def line(self, pairs, color: str, label: str = "", dash: str = "") -> None:
        """A polyline through measured points (a curve of numbers, not of a function)."""
        style = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2"{style}'
                          f' points="{self.points(pairs)}"/>')
        if label:
            self.legend.append((color, label))

    def dots(self, pairs, color: str, label: str = "") -> None:
        self.parts += [f'<circle cx="{self.x(a):.1f}" cy="{self.y(b):.1f}" r="4" '
                       f'fill="{color}"/>' for a, b in pairs]
        if label:
            self.legend.append((color, label))

    def ball(self, pairs, color: str, title: str = "a ball rolling downhill") -> None:
        """A ball that rolls along `pairs` (CSS motion; still for reduced motion)."""
        path = "M" + " L".join(f"{self.x(a):.1f},{self.y(b) - 7:.1f}" for a, b in pairs)
        a, b = pairs[0]
        self.parts.append(f'<circle class="moving" r="7" fill="{color}" stroke="#000" '
                          f'style="offset-path: path(\'{path}\'); offset-rotate: 0deg" '
                          f'cx="0" cy="0"><title>{html.escape(title)}</title></circle>'
                          f'<circle class="still" r="7" fill="{color}" stroke="#000" '
                          f'cx="{self.x(a):.1f}" cy="{self.y(b) - 7:.1f}"/>')

    def note(self, at: tuple[float, float], text: str, anchor: str = "middle") -> None:
        # kept inside the axes by about half its width (12 px type: some 6.6 px a letter),
        # so that a longer word (« pente négative ») does not run onto the axis
        half = max(45.0, 3.4 * len(text) + 6)
        x = min(max(self.x(at[0]), self.x(self.xs[0]) + half), self.x(self.xs[1]) - half)
        self.labels.append(f'<text x="{x:.1f}" y="{self.y(at[1]):.1f}" text-anchor="{anchor}" '
                           f'class="note label">{html.escape(text)}</text>')

    def svg(self, description: str) -> str:
        x0, x1, y0, y1 = self.x(self.xs[0]), self.x(self.xs[1]), self.y(self.ys[1]), \
            self.y(self.ys[0])
        clip = f"clip{zlib.crc32(description.encode()):08x}"  # stable across runs
        return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
                f'aria-label="{html.escape(description)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
                f'width="{WIDTH}" height="{HEIGHT}"><defs><clipPath id="{clip}"><rect '
                f'x="{x0:.1f}" y="{y0 - 8:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0 + 8:.1f}"'
                f'/></clipPath></defs>{self._axes()}<g clip-path="url(#{clip})">'
                f'{"".join(self.parts)}</g>{"".join(self.labels)}{self._legend()}</svg>')

    def _axes(self) -> str:
        x0, x1 = self.x(self.xs[0]), self.x(self.xs[1])
        y0, y1 = self.y(self.ys[0]), self.y(self.ys[1])
        out = [f'<path d="M{x0:.1f},{y1:.1f} V{y0:.1f} H{x1:.1f}" fill="none" stroke="#333"/>']
        for v in _ticks(*self.xs):
            out.append(f'<text class="note" x="{self.x(v):.1f}" y="{y0 + 16:.1f}" '
                       f'text-anchor="middle">{self.tick(v)}</text>')
        for v in _ticks(*self.ys):
            out.append(f'<text class="note" x="{x0 - 6:.1f}" y="{self.y(v) + 4:.1f}" '
                       f'text-anchor="end">{self.tick(v)}</text>')
        out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                   f'{html.escape(self.xlabel)}</text>')
        out.append(f'<text transform="translate(14,{(y0 + y1) / 2:.1f}) rotate(-90)" '
                   f'text-anchor="middle">{html.escape(self.ylabel)}</text>')
        return "".join(out)

    def tick(self, v: float) -> str:
        """A tick's number as the sheet prints it: the mathematics' minus sign −, not a hyphen."""
        return f"{v:g}".replace(".", self.decimal).replace("-", "−")

    def _legend(self) -> str:
        out = []
        for i, (color, label) in enumerate(self.legend):
            y = MARGIN["top"] + 8 + 18 * i
            if self.legend_low:
                y += HEIGHT - MARGIN["top"] - MARGIN["bottom"] - 18 * len(self.legend) - 4
            x = WIDTH - MARGIN["right"] - 200
            out.append(f'<rect x="{x}" y="{y - 6}" width="14" height="4" fill="{color}"/>'
                       f'<text class="note" x="{x + 20}" y="{y}">{html.escape(label)}</text>')
        return "".join(out)


def _ticks(lo: float, hi: float) -> list[float]:
    """At most 9 round ticks from lo to hi (a teacher's cost may span thousands).

    >>> _ticks(-1.05, 0.05), _ticks(-250.0, 4100.0)
    ([-1.0, -0.8, -0.6, -0.4, -0.2, 0.0], [0.0, 1000.0, 2000.0, 3000.0, 4000.0])
    """
    steps = (0.1, 0.2, 0.25, 0.5, *(m * 10 ** k for k in range(16) for m in (1, 2, 5)))
    step = next(s for s in steps if (hi - lo) / s <= 8)
    first = -(-lo // step) * step
    return [round(first + i * step, 6) for i in range(int((hi - first) / step + 1e-9) + 1)]


class Surface:
    """A cost of two weights as a wire mesh seen from above and in front (an oblique view:
    w₁ across, w₂ into the page, the cost up), with balls that roll along paths on it (CSS
    motion; still for reduced motion) and curves drawn on it (the slices through a point)."""

    def __init__(self, f: Callable[[float, float], float], w1: tuple[float, float],
                 w2: tuple[float, float], top: float):
        self.f, self.w1, self.w2, self.top = f, w1, w2, top
        self.bottom = min(f(w1[0] + (w1[1] - w1[0]) * i / 40, w2[0] + (w2[1] - w2[0]) * j / 40)
                          for i in range(41) for j in range(41))
        self.parts: list[str] = []

    def at(self, a: float, b: float, c: float) -> tuple[float, float]:
        u = (a - self.w1[0]) / (self.w1[1] - self.w1[0])  # 0..1 across
        v = (b - self.w2[0]) / (self.w2[1] - self.w2[0])  # 0..1 into the page
        h = (min(c, self.top) - self.bottom) / (self.top - self.bottom)
        return 40 + 300 * u + 110 * v, HEIGHT - 40 - 90 * v - 170 * h

    def _line(self, pts, color: str, width: float, extra: str = "") -> str:
        return (f'<polyline fill="none" stroke="{color}" stroke-width="{width}"{extra} points="'
                + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')

    def _cut(self, pts) -> list[list[tuple[float, float]]]:
        """A line on the surface as the pieces of it below the top, each ending where it
        crosses the top: the surface is cut off there, not flattened into a shelf."""
        pieces, piece = [], []
        for before, p in zip([None, *pts], pts):
            if before is not None and (before[2] <= self.top) != (p[2] <= self.top):
                t = (self.top - before[2]) / (p[2] - before[2])  # where it crosses the top
                cross = self.at(*(b + t * (q - b) for b, q in zip(before, p)))
                piece.append(cross)
                if p[2] > self.top:
                    pieces.append(piece)
                    piece = []
                else:
                    piece = [cross]
            if p[2] <= self.top:
                piece.append(self.at(*p))
        return [q for q in [*pieces, piece] if len(q) > 1]

    def _lines(self, pts, color: str, width: float, extra: str = "") -> None:
        self.parts += [self._line(piece, color, width, extra) for piece in self._cut(pts)]

    def mesh(self) -> None:
        for j in range(11):  # lines of constant w₂, back to front, then of constant w₁
            b = self.w2[1] - (self.w2[1] - self.w2[0]) * j / 10
            self._lines([(a, b, self.f(a, b)) for a in _steps(self.w1)], "#7a9cc6", 1)
        for i in range(11):
            a = self.w1[0] + (self.w1[1] - self.w1[0]) * i / 10
            self._lines([(a, b, self.f(a, b)) for b in _steps(self.w2)], "#b0c4de", 1)

    def curve(self, pts, color: str, dash: str = "") -> None:
        self._lines(list(pts), color, 2.6, f' stroke-dasharray="{dash}"' if dash else "")

    def ball(self, path, color: str, label: str) -> None:
        pts = [self.at(*p) for p in path]
        d = "M" + " L".join(f"{x:.1f},{y - 6:.1f}" for x, y in pts)
        (x0, y0), (x1, y1) = pts[0], pts[-1]
        self.parts.append(
            self._line(pts, color, 1.4, ' stroke-dasharray="2 3"')
            + f'<circle class="moving" r="6" fill="{color}" stroke="#000" style="offset-path: '
            f'path(\'{d}\'); offset-rotate: 0deg" cx="0" cy="0"><title>{html.escape(label)}'
            f'</title></circle><circle class="still" r="6" fill="{color}" stroke="#000" '
            f'cx="{x1:.1f}" cy="{y1 - 6:.1f}"/><circle r="3" fill="{color}" cx="{x0:.1f}" '
            f'cy="{y0:.1f}"/>')

    def point(self, p, color: str) -> None:
        x, y = self.at(*p)
        self.parts.append(f'<circle r="7" fill="{color}" stroke="#000" cx="{x:.1f}" '
                          f'cy="{y - 7:.1f}"/>')

    def svg(self, description: str) -> str:
        (ax, ay), (bx, _by) = self.at(self.w1[0], self.w2[0], self.bottom), \
            self.at(self.w1[1], self.w2[0], self.bottom)
        cx, cy = self.at(self.w1[0], self.w2[1], self.bottom)
        axes = (f'<path d="M{ax:.1f},{ay:.1f} H{bx:.1f} M{ax:.1f},{ay:.1f} L{cx:.1f},{cy:.1f}" '
                f'stroke="#333" fill="none"/><text x="{(ax + bx) / 2:.1f}" y="{ay + 22:.1f}" '
                f'text-anchor="middle">w₁</text><text x="{(ax + cx) / 2 - 14:.1f}" '
                f'y="{(ay + cy) / 2 + 4:.1f}" text-anchor="end">w₂</text>'
                f'<text x="{ax - 8:.1f}" y="{ay - 120:.1f}" text-anchor="end">C</text>')
        return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
                f'aria-label="{html.escape(description)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
                f'width="{WIDTH}" height="{HEIGHT}">{axes}{"".join(self.parts)}</svg>')


def _steps(span: tuple[float, float], n: int = 40) -> list[float]:
    return [span[0] + (span[1] - span[0]) * i / n for i in range(n + 1)]
