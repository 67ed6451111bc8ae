"""How a sheet rounds: to its decimals, a half away from zero, on the decimal number the
working means. A computer's binary number is a shade off the decimal one (−0.41 + 0.24075 is
−0.16924999999999998 to it), so Python's round() would take −0.16925 down to −0.1692 and
−1.17505 up to −1.1751; a student with a pencil rounds both away from zero. The number is
first read to 15 significant digits, which drops the binary shade and keeps the working.

>>> rounded(-0.41 + 0.24075, 4), rounded(-0.0628125, 6), rounded(0.17625, 4)
(-0.1693, -0.062813, 0.1763)
>>> rounded(2.675, 2), rounded(-0.0, 3), rounded(1e300, 4)  # 2.675 is 2.67499... in binary
(2.68, 0.0, 1e+300)
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

WHOLE = 1e15  # from here on a double has no decimals left to round


def rounded(value: float, decimals: int) -> float:
    if not math.isfinite(value) or abs(value) >= WHOLE:
        return value
    # 15 digits drop a double's binary shade; a number of 1,000 or more keeps as many more as
    # its decimals need (a double holds 17)
    whole = len(str(int(abs(value)))) if abs(value) >= 1 else 0
    exact = Decimal(f"{value:.{min(17, max(15, whole + decimals + 1))}g}")
    return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)) + 0.0
