"""The Bessel functions BESSELI, BESSELJ, BESSELK and BESSELY as Excel computes them.

Excel does not return the exact values: it evaluates the classic polynomial and rational
approximations of Abramowitz & Stegun (chapter 9) and Hart's *Computer Approximations* for the
orders 0 and 1 (about 8 significant digits), and reaches higher orders by recurrence (upward
for Y and K, and for J when x exceeds the order; Miller's downward recurrence otherwise). The
exact values (SciPy, ``formulas``) therefore differ from Excel's in the 8th digit, so the
approximations are used here too.

The order is truncated; a negative order is #NUM!, as is x <= 0 for K and Y; a logical
argument is #VALUE!.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from addin.engine.functions import register
from addin.engine.values import NUM, VALUE, ExcelError, to_number

_TWO_OVER_PI = 0.636619772
_START_TERMS = 40.0  # Miller's recurrence starts about sqrt(40 n) orders above n
_BIG, _SMALL = 1.0e10, 1.0e-10


def _poly(x: float, coefficients: Sequence[float]) -> float:
    """c0 + c1 x + c2 x^2 + ... (Horner)."""
    total = 0.0
    for c in reversed(coefficients):
        total = total * x + c
    return total


def _i0(x: float) -> float:
    ax = abs(x)
    if ax < 3.75:
        t = (x / 3.75) ** 2
        return _poly(t, (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813))
    y = 3.75 / ax
    tail = (
        0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281,
        -0.02057706, 0.02635537, -0.01647633, 0.00392377,
    )  # fmt: skip
    return math.exp(ax) / math.sqrt(ax) * _poly(y, tail)


def _i1(x: float) -> float:
    ax = abs(x)
    if ax < 3.75:
        t = (x / 3.75) ** 2
        coefficients = (0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411)
        value = ax * _poly(t, coefficients)
    else:
        y = 3.75 / ax
        tail = (
            0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555,
            0.02282967, -0.02895312, 0.01787654, -0.00420059,
        )  # fmt: skip
        value = math.exp(ax) / math.sqrt(ax) * _poly(y, tail)
    return -value if x < 0 else value


def _k0(x: float) -> float:
    if x <= 2.0:
        y = x * x / 4.0
        series = (
            -0.57721566,
            0.42278420,
            0.23069756,
            0.03488590,
            0.00262698,
            0.00010750,
            0.0000074,
        )
        return -math.log(x / 2.0) * _i0(x) + _poly(y, series)
    y = 2.0 / x
    tail = (1.25331414, -0.07832358, 0.02189568, -0.01062446, 0.00587872, -0.00251540, 0.00053208)
    return math.exp(-x) / math.sqrt(x) * _poly(y, tail)


def _k1(x: float) -> float:
    if x <= 2.0:
        y = x * x / 4.0
        series = (1.0, 0.15443144, -0.67278579, -0.18156897, -0.01919402, -0.00110404, -0.00004686)
        return math.log(x / 2.0) * _i1(x) + _poly(y, series) / x
    y = 2.0 / x
    tail = (1.25331414, 0.23498619, -0.03655620, 0.01504268, -0.00780353, 0.00325614, -0.00068245)
    return math.exp(-x) / math.sqrt(x) * _poly(y, tail)


# Hankel's asymptotic forms for x >= 8: P and Q of orders 0 and 1.
_P0 = (1.0, -0.1098628627e-2, 0.2734510407e-4, -0.2073370639e-5, 0.2093887211e-6)
_Q0 = (-0.1562499995e-1, 0.1430488765e-3, -0.6911147651e-5, 0.7621095161e-6, -0.934935152e-7)
_P1 = (1.0, 0.183105e-2, -0.3516396496e-4, 0.2457520174e-5, -0.240337019e-6)
_Q1 = (0.04687499995, -0.2002690873e-3, 0.8449199096e-5, -0.88228987e-6, 0.105787412e-6)


def _hankel(ax: float, shift: float, p: Sequence[float], q: Sequence[float]) -> tuple[float, float]:
    """(J, Y) of order 0 or 1 for ax >= 8."""
    z = 8.0 / ax
    y = z * z
    xx = ax - shift
    big_p, big_q = _poly(y, p), _poly(y, q)
    scale = math.sqrt(_TWO_OVER_PI / ax)
    j = scale * (math.cos(xx) * big_p - z * math.sin(xx) * big_q)
    yv = scale * (math.sin(xx) * big_p + z * math.cos(xx) * big_q)
    return j, yv


def _j0(x: float) -> float:
    ax = abs(x)
    if ax < 8.0:
        y = x * x
        top = (57568490574.0, -13362590354.0, 651619640.7, -11214424.18, 77392.33017, -184.9052456)
        bottom = (57568490411.0, 1029532985.0, 9494680.718, 59272.64853, 267.8532712, 1.0)
        return _poly(y, top) / _poly(y, bottom)
    return _hankel(ax, 0.785398164, _P0, _Q0)[0]


def _j1(x: float) -> float:
    ax = abs(x)
    if ax < 8.0:
        y = x * x
        top = (72362614232.0, -7895059235.0, 242396853.1, -2972611.439, 15704.48260, -30.16036606)
        bottom = (144725228442.0, 2300535178.0, 18583304.74, 99447.43394, 376.9991397, 1.0)
        return x * _poly(y, top) / _poly(y, bottom)
    value = _hankel(ax, 2.356194491, _P1, _Q1)[0]
    return -value if x < 0 else value


def _y0(x: float) -> float:
    if x < 8.0:
        y = x * x
        top = (-2957821389.0, 7062834065.0, -512359803.6, 10879881.29, -86327.92757, 228.4622733)
        bottom = (40076544269.0, 745249964.8, 7189466.438, 47447.26470, 226.1030244, 1.0)
        return _poly(y, top) / _poly(y, bottom) + _TWO_OVER_PI * _j0(x) * math.log(x)
    return _hankel(x, 0.785398164, _P0, _Q0)[1]


def _y1(x: float) -> float:
    if x < 8.0:
        y = x * x
        top = (
            -0.4900604943e13, 0.1275274390e13, -0.5153438139e11,
            0.7349264551e9, -0.4237922726e7, 0.8511937935e4,
        )  # fmt: skip
        bottom = (
            0.2499580570e14, 0.4244419664e12, 0.3733650367e10,
            0.2245904002e8, 0.1020426050e6, 0.3549632885e3, 1.0,
        )  # fmt: skip
        return x * _poly(y, top) / _poly(y, bottom) + _TWO_OVER_PI * (
            _j1(x) * math.log(x) - 1.0 / x
        )
    return _hankel(x, 2.356194491, _P1, _Q1)[1]


def _upward(n: int, x: float, first: float, second: float, sign: float) -> float:
    """Order ``n`` from orders 0 and 1 by f(k+1) = (2k/x) f(k) + sign * f(k-1)."""
    previous, current = first, second
    for k in range(1, n):
        previous, current = current, (2.0 * k / x) * current + sign * previous
    return current


def _j(n: int, x: float) -> float:
    if n == 0:
        return _j0(x)
    if n == 1:
        return _j1(x)
    ax = abs(x)
    if ax == 0.0:
        return 0.0
    if ax > n:
        value = _upward(n, ax, _j0(ax), _j1(ax), -1.0)
    else:  # Miller: downward from an order well above n, normalised by J0 + 2 J2 + 2 J4 ...
        tox = 2.0 / ax
        start = 2 * ((n + int(math.sqrt(_START_TERMS * n))) // 2)
        add, total, value = False, 0.0, 0.0
        above, current = 0.0, 1.0
        for k in range(start, 0, -1):
            below = k * tox * current - above
            above, current = current, below
            if abs(current) > _BIG:
                current, above, value, total = (v * _SMALL for v in (current, above, value, total))
            if add:
                total += current
            add = not add
            if k == n:
                value = above
        value /= 2.0 * total - current
    return -value if x < 0 and n % 2 else value


def _i(n: int, x: float) -> float:
    if n == 0:
        return _i0(x)
    if n == 1:
        return _i1(x)
    if x == 0.0:
        return 0.0
    tox = 2.0 / abs(x)
    value, above, current = 0.0, 0.0, 1.0
    for k in range(2 * (n + int(math.sqrt(_START_TERMS * n))), 0, -1):
        below = above + k * tox * current
        above, current = current, below
        if abs(current) > _BIG:
            value, current, above = value * _SMALL, current * _SMALL, above * _SMALL
        if k == n:
            value = above
    value *= _i0(x) / current
    return -value if x < 0 and n % 2 else value


def _k(n: int, x: float) -> float:
    if n == 0:
        return _k0(x)
    return _k1(x) if n == 1 else _upward(n, x, _k0(x), _k1(x), 1.0)


def _y(n: int, x: float) -> float:
    if n == 0:
        return _y0(x)
    return _y1(x) if n == 1 else _upward(n, x, _y0(x), _y1(x), -1.0)


def _bessel(fn: Callable[[int, float], float], x: Any, n: Any, positive: bool) -> float:
    if isinstance(x, bool) or isinstance(n, bool):
        raise ExcelError(VALUE, "a logical is not a number here")
    value, order = to_number(x), math.trunc(to_number(n))
    if order < 0:
        raise ExcelError(NUM, "the order must not be negative")
    if positive and value <= 0:
        raise ExcelError(NUM, "x must be positive")
    try:
        result = fn(order, value)
    except (OverflowError, ZeroDivisionError, ValueError) as exc:
        raise ExcelError(NUM, str(exc)) from exc
    if not math.isfinite(result):
        raise ExcelError(NUM, "the result is too large")
    return result


@register("BESSELI", elementwise=True)
def BESSELI(x: Any, n: Any) -> float:
    """The modified Bessel function I_n(x)."""
    return _bessel(_i, x, n, False)


@register("BESSELJ", elementwise=True)
def BESSELJ(x: Any, n: Any) -> float:
    """The Bessel function J_n(x)."""
    return _bessel(_j, x, n, False)


@register("BESSELK", elementwise=True)
def BESSELK(x: Any, n: Any) -> float:
    """The modified Bessel function K_n(x) (x > 0)."""
    return _bessel(_k, x, n, True)


@register("BESSELY", elementwise=True)
def BESSELY(x: Any, n: Any) -> float:
    """The Bessel function Y_n(x) (x > 0)."""
    return _bessel(_y, x, n, True)
