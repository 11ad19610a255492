"""Taylor-series arithmetic for the primitives' Taylor rules.

A series is the list ``[c0, c1, ..., cK]`` of normalised coefficients of
``x(t) = c0 + c1 t + ... + cK t^K`` (``c0`` the primal; ``None`` for a zero
coefficient). A Taylor rule (``extend.deftaylor``) receives each operand's
``[c1..cK]`` or ``None``, and returns the output's ``[c1..cK]``; the helpers here
build the classic recurrences (Griewank and Walther, *Evaluating Derivatives*,
ch. 13) in O(K^2) products, written with operators so that they work on plain
arrays and on traced values alike (``grad`` of a Taylor coefficient).

Example:
    >>> from funcad.numpy._series import exp_series
    >>> [float(c) for c in exp_series([0.0, 1.0, 0.0, 0.0], 1.0)]    # exp(t): 1/k!
    [1.0, 1.0, 0.5, 0.16666666666666666]
"""

from __future__ import annotations

from ..extend import ops, shape_of


def full(primal, s, K: int) -> list:
    """``[c0, c1, ..., cK]`` of an operand (``s`` None: a constant)."""
    return [primal] + (list(s) if s is not None else [None] * K)


def fit(terms: list, ans) -> list:
    """Broadcast each coefficient to the output's shape (None stays None). Coefficients with
    extra leading axes (one per direction, in collapsed Taylor mode) keep them."""
    shp = shape_of(ans)
    out = []
    for c in terms:
        if c is not None:
            cs = shape_of(c)
            want = cs[:len(cs) - len(shp)] + shp if len(cs) > len(shp) else shp
            if cs != want:
                c = ops.broadcast_to(c, want)
        out.append(c)
    return out


def _acc(acc, term):
    return term if acc is None else acc + term


def scaled_conv(x: list, z: list, k: int):
    """``(1/k) sum_{j=1..k} j x_j z_{k-j}``: coefficient k of y from ``y' = z x'``."""
    acc = None
    for j in range(1, k + 1):
        if x[j] is None or z[k - j] is None:
            continue
        acc = _acc(acc, x[j] * z[k - j] if j == 1 else (j * x[j]) * z[k - j])
    return None if acc is None else acc / k


def conv(a: list, b: list, k: int, lo: int = 0, hi: int | None = None):
    """``sum_{j=lo..hi} a_j b_{k-j}`` (hi defaults to k)."""
    acc = None
    for j in range(lo, (k if hi is None else hi) + 1):
        if a[j] is None or b[k - j] is None:
            continue
        acc = _acc(acc, a[j] * b[k - j])
    return acc


def exp_series(x: list, y0) -> list:
    """The series of ``exp(x)`` (``y0 = exp(x0)``): ``y' = y x'``."""
    y = [y0]
    for k in range(1, len(x)):
        y.append(scaled_conv(x, y, k))
    return y


def sin_cos_series(x: list, s0, c0) -> tuple[list, list]:
    """The series of ``sin(x)`` and ``cos(x)`` together: ``s' = c x'``, ``c' = -s x'``."""
    s, c = [s0], [c0]
    for k in range(1, len(x)):
        sk = scaled_conv(x, c, k)
        ck = scaled_conv(x, s, k)
        s.append(sk)
        c.append(None if ck is None else -ck)
    return s, c


def sinh_cosh_series(x: list, s0, c0) -> tuple[list, list]:
    """The series of ``sinh(x)`` and ``cosh(x)``: ``s' = c x'``, ``c' = s x'``."""
    s, c = [s0], [c0]
    for k in range(1, len(x)):
        s.append(scaled_conv(x, c, k))
        c.append(scaled_conv(x, s, k))
    return s, c


def _minus(a, acc):
    """``a - acc`` with None for zero."""
    if acc is None:
        return a
    return -acc if a is None else a - acc


def quotient_series(a: list, b: list, y0) -> list:
    """The series of ``a / b``: ``y_k = (a_k - sum_{j<k} y_j b_{k-j}) / b_0``."""
    y = [y0]
    for k in range(1, len(b)):
        num = _minus(a[k], conv(y, b, k, 0, k - 1))
        y.append(None if num is None else num / b[0])
    return y


def log_series(x: list, y0) -> list:
    """The series of ``log(x)`` (x0 may be shifted: log1p passes ``1 + x0``)."""
    y = [y0]
    for k in range(1, len(x)):
        # x y' = x'  =>  y_k = (x_k - (1/k) sum_{j=1..k-1} j y_j x_{k-j}) / x_0
        acc = None
        for j in range(1, k):
            if y[j] is None or x[k - j] is None:
                continue
            acc = _acc(acc, (j * y[j]) * x[k - j])
        num = _minus(x[k], None if acc is None else acc / k)
        y.append(None if num is None else num / x[0])
    return y


def sqrt_series(x: list, y0) -> list:
    """The series of ``sqrt(x)``: ``y^2 = x``, ``y_k = (x_k - sum_{j=1..k-1} y_j y_{k-j}) / 2y_0``."""
    y = [y0]
    for k in range(1, len(x)):
        num = _minus(x[k], conv(y, y, k, 1, k - 1))
        y.append(None if num is None else num / (2 * y0))
    return y


def power_series(x: list, p: float, y0) -> list:
    """The series of ``x ** p`` for a constant p, x0 nonzero:
    ``y_k = (1 / (k x0)) sum_{j=0..k-1} (p (k - j) - j) x_{k-j} y_j``."""
    y = [y0]
    for k in range(1, len(x)):
        acc = None
        for j in range(k):
            if x[k - j] is None or y[j] is None:
                continue
            w = p * (k - j) - j
            if w == 0:
                continue
            acc = _acc(acc, (w * x[k - j]) * y[j])
        y.append(None if acc is None else acc / (k * x[0]))
    return y


def ode_series(x: list, y0, z_of) -> list:
    """The series of y with ``y' = z x'``, where ``z_of(y, m)`` gives coefficient m of z from
    the known ``y[0..m]`` (tanh: z = 1 - y^2; the logistic: z = y - y^2)."""
    y = [y0]
    z: list = []
    for k in range(1, len(x)):
        z.append(z_of(y, k - 1))
        y.append(scaled_conv(x, z, k))
    return y
