"""Derivative kernels: Sobel, Scharr, Prewitt and Laplacian, as OpenCV computes them.

Every operator here is a separable correlation with integer taps (or the sum of two, for the
Laplacian), so integer images give exact integer sums and the float32 result is OpenCV's to the
bit. Every filter is a separable one, row by row as ``separable.separable_filter`` runs
(its vertical and horizontal passes are reused), with one addition: antisymmetric taps such as
``[-1, 0, 1]`` are summed in differences ``t·(a − b)`` as OpenCV sums them, which skips the zero
centre tap and keeps float32 derivatives of flat regions exactly 0. Two
derivatives combined per value (Laplacian's d²x + d²y, the gradient magnitude, its L1 norm or
its angle) run in one row-wise pass, ``two_filter_rows``: each output row is filtered twice
from the source rows and combined at once, so no full-size dx/dy is ever stored.

float32 images: OpenCV filters rows first and rounds each float32 step in its own order; this
engine runs columns first, so results may differ in the last bits (relative ≤ 1e-6).
"""

from functools import lru_cache

import numpy as np
from numba import njit

from .border import border_map
from .separable import horizontal_pairs, horizontal_taps, pad_line, vertical_pairs, vertical_taps
from .strips import run_in_strips


def sobel_taps(order, ksize):
    """1-D Sobel taps of derivative ``order`` for aperture ``ksize``, as ``cv::getSobelKernels``.

    ksize 1 gives ``[1]`` for order 0 and the 3-tap ``[-1, 0, 1]`` / ``[1, -2, 1]`` otherwise;
    larger apertures are binomial smoothing differentiated ``order`` times.
    """
    if ksize == 1 and order > 0:
        ksize = 3
    if ksize == 1:
        return np.array([1], np.int32)
    if ksize == 3:
        return np.array([[1, 2, 1], [-1, 0, 1], [1, -2, 1]][min(order, 2)], np.int32)
    taps = np.zeros(ksize + 1, np.int64)
    taps[0] = 1
    for _ in range(ksize - order - 1):      # binomial smoothing: convolve with [1, 1]
        taps[1:] = taps[1:] + taps[:-1]
    for _ in range(order):                  # differentiate: convolve with [-1, 1]
        taps[1:] = taps[:-1] - taps[1:]
        taps[0] = -taps[0]
    return taps[:ksize].astype(np.int32)


# Cross kernels of the operators beside Sobel: smoothing ⊗ difference, as OpenCV and the
# usual Prewitt (``cv2.filter2D`` with ``[[-1, 0, 1]] * 3``, a correlation) define them.
SCHARR_TAPS = (np.array([3, 10, 3], np.int32), np.array([-1, 0, 1], np.int32))
PREWITT_TAPS = (np.array([1, 1, 1], np.int32), np.array([-1, 0, 1], np.int32))
OPERATORS = ("sobel", "scharr", "prewitt")

# How ``two_filter_rows`` combines its two filtered rows a and b.
SUM = 0             # a + b: the Laplacian, d²x + d²y
MAGNITUDE = 1       # sqrt(a² + b²), as cv2.magnitude
L1 = 2              # |a| + |b|
ANGLE = 3           # atan2(b, a) in degrees, 0–360, as cv2.phase(..., angleInDegrees=True)

GENERAL, SYMMETRIC, ANTISYMMETRIC = 0, 1, 2      # see ``symmetry``

MIN_VALUES_PER_STRIP = 1 << 17      # two filters and a square root a value: ~2 ns


def derivative_taps(operator, dx, dy, ksize=3):
    """``(taps_x, taps_y)``: the row and column taps of derivative (dx, dy) of ``operator``.

    Sobel follows ``cv::getSobelKernels``; Scharr is ``[3, 10, 3] ⊗ [-1, 0, 1]`` and Prewitt
    ``[1, 1, 1] ⊗ [-1, 0, 1]``, first derivatives only (the caller checks the orders).
    """
    if operator == "sobel":
        return sobel_taps(dx, ksize), sobel_taps(dy, ksize)
    smooth, diff = SCHARR_TAPS if operator == "scharr" else PREWITT_TAPS
    return (diff, smooth) if dx == 1 else (smooth, diff)


def laplacian_taps(ksize):
    """The two separable terms of ``cv2.Laplacian``: ``((x₁, y₁), (x₂, y₂))``, d²x then d²y.

    ksize 1 and 3 are OpenCV's 3×3 kernels ``[[0,1,0],[1,-4,1],[0,1,0]]`` and
    ``[[2,0,2],[0,-8,0],[2,0,2]]`` split as ``[1]⊗[1,-2,1] + [1,-2,1]⊗[1]`` and the Sobel
    d²x + d²y of aperture 3; larger apertures are Sobel's d²x + d²y by definition.
    """
    aperture = 3 if ksize == 1 else ksize
    second, smooth = sobel_taps(2, aperture), sobel_taps(0, ksize)
    return (second, smooth), (smooth, second)


def arithmetic(dtype):
    """(column-sum type, row-sum type) that hold a derivative of ``dtype`` pixels exactly.

    uint8: any kernel here sums to at most 64 in absolute value along each axis, so a column
    sum fits int16 (|v| ≤ 255·64, 16 lanes a vector) and the result fits int32; uint16 sums
    fit int32. Integer results convert to float32 exactly up to 2^24 (every case but uint16
    with aperture 7, where the one rounding is the correctly rounded one). float32 stays float32.
    """
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return np.int16, np.int32
    if dtype == np.uint16:
        return np.int32, np.int32
    return np.float32, np.float32


def derivative(planes, taps_x, taps_y, border):
    """One separable derivative of (H, W, C) ``planes`` as float32, as ``cv2.sepFilter2D`` /
    ``cv2.Sobel`` with ``ddepth=CV_32F``: a correlation centred on each pixel."""
    line_type, acc_type = arithmetic(planes.dtype)
    H, W, _ = planes.shape
    pad = max(len(taps_x), len(taps_y)) // 2
    out = np.empty(planes.shape, np.float32)
    kind_x = symmetry(taps_x)
    # 3-tap rows (every aperture-3 dx, dy, Scharr and Prewitt): the horizontal sum is written
    # straight to the float32 output, one sweep fewer over the row
    direct = len(taps_x) == 3 and kind_x != GENERAL and pad == 1
    run_in_strips(derivative_rows(kind_x, symmetry(taps_y), direct), planes.shape, planes,
                  taps_x.astype(acc_type), taps_y.astype(line_type), pad,
                  border_map(W, pad, pad, border), border_map(H, pad, pad, border),
                  np.empty(0, line_type), np.empty(0, acc_type), out)
    return out


def symmetry(taps):
    """How a centred kernel is summed: ``SYMMETRIC`` in pairs ``t·(a + b)``, ``ANTISYMMETRIC``
    in pairs ``t·(a − b)`` (OpenCV's way, which also makes a derivative of equal pixels exactly
    0 in float32), ``GENERAL`` tap by tap."""
    taps = np.asarray(taps)
    if taps.size % 2 == 0 or taps.size < 3:
        return GENERAL
    if np.array_equal(taps, taps[::-1]):
        return SYMMETRIC
    if np.array_equal(taps, -taps[::-1]):
        return ANTISYMMETRIC
    return GENERAL


def combined(planes, first, second, combine, border):
    """Two separable derivatives ``first = (taps_x, taps_y)`` and ``second`` combined value
    by value (``SUM``, ``MAGNITUDE``, ``L1`` or ``ANGLE``) in one pass over the rows: each
    output row filters its source rows twice and never stores a full-size derivative."""
    line_type, acc_type = arithmetic(planes.dtype)
    H, W, _ = planes.shape
    pad = max(len(t) for t in (*first, *second)) // 2
    xmap = border_map(W, pad, pad, border)
    ymap = border_map(H, pad, pad, border)
    (ax, ay), (bx, by) = first, second
    out = np.empty(planes.shape, np.float32)
    kernel = two_filter_rows((symmetry(ax), symmetry(ay)), (symmetry(bx), symmetry(by)), combine)
    run_in_strips(kernel, planes.shape, planes,
                  ax.astype(acc_type), ay.astype(line_type), bx.astype(acc_type), by.astype(line_type),
                  pad, xmap, ymap, np.empty(0, line_type), np.empty(0, acc_type), out,
                  min_values=MIN_VALUES_PER_STRIP)
    return out


@njit(cache=True, nogil=True, inline="always")
def _filter_row(rows, ymap, y, taps_x, taps_y, kind_x, kind_y, line, xmap, pad, C, acc):
    """One output row of a separable filter whose taps are centred, into ``acc``; ``line``
    holds ``pad`` pixels either side of the row (``xmap``/``ymap`` are padded by ``pad``)."""
    W = xmap.size - 2 * pad
    interior = line[pad * C: (pad + W) * C]
    _vertical(kind_y, rows, ymap, y + pad - taps_y.size // 2, taps_y, interior)
    pad_line(line, xmap, pad, W, C)
    start = line[(pad - taps_x.size // 2) * C:]
    if kind_x == ANTISYMMETRIC:
        _horizontal_differences(start, taps_x, C, acc)
    elif kind_x == SYMMETRIC:
        horizontal_pairs(start, taps_x, C, acc)
    else:
        horizontal_taps(start, taps_x, C, acc)


@njit(cache=True, nogil=True, inline="always")
def _vertical(kind, rows, ymap, y, taps, line):
    """The vertical pass of taps of symmetry ``kind`` (a constant of the caller: Numba compiles
    the one branch taken)."""
    if kind == ANTISYMMETRIC:
        _vertical_differences(rows, ymap, y, taps, line)
    elif kind == SYMMETRIC:
        vertical_pairs(rows, ymap, y, taps, line)
    else:
        vertical_taps(rows, ymap, y, taps, line)


@njit(cache=True, nogil=True)
def _vertical_differences(rows, ymap, y, taps, line):
    """``line = Σ_k taps[h+k]·(rows[y+h+k] − rows[y+h−k])``, k = 1…h, from the centre out
    (rows at -1 are the constant border's zeros)."""
    n = line.size
    half = taps.size // 2
    line[:] = 0
    for k in range(1, half + 1):
        t = taps[half + k]
        ia = ymap[y + half + k]
        ib = ymap[y + half - k]
        if ia >= 0 and ib >= 0:
            a = rows[ia]
            b = rows[ib]
            for x in range(n):
                line[x] += t * (a[x] - b[x])
        elif ia >= 0:
            a = rows[ia]
            for x in range(n):
                line[x] += t * a[x]
        elif ib >= 0:
            b = rows[ib]
            for x in range(n):
                line[x] -= t * b[x]


@njit(cache=True, nogil=True)
def _horizontal_differences(line, taps, C, acc):
    """``acc[x] = Σ_k taps[h+k]·(line[x+(h+k)C] − line[x+(h−k)C])``, k = 1…h."""
    n = acc.size
    half = taps.size // 2
    a = line[(2 * half) * C: (2 * half) * C + n]
    b = line[0: n]
    t = taps[2 * half]
    if half == 1:
        for x in range(n):
            acc[x] = t * (a[x] - b[x])
        return
    for x in range(n):
        acc[x] = 0
    for k in range(1, half + 1):
        a = line[(half + k) * C: (half + k) * C + n]
        b = line[(half - k) * C: (half - k) * C + n]
        t = taps[half + k]
        for x in range(n):
            acc[x] += t * (a[x] - b[x])


@lru_cache(maxsize=None)
def derivative_rows(kind_x, kind_y, direct):
    """The row kernel of ``derivative`` for taps of symmetry ``kind_x`` and ``kind_y``;
    ``direct``: 3 centred taps along x, summed straight into the output. The three are constants
    of its code (closure variables, which Numba's cache keys on): a call compiles its own passes only."""
    @njit(cache=True, nogil=True)
    def kernel(planes, taps_x, taps_y, pad, xmap, ymap, line_type, acc_type, out, y0, y1):
        H, W, C = planes.shape
        WC = W * C
        rows = planes.reshape(H, WC)
        dst = out.reshape(H, WC)
        line = np.empty((W + 2 * pad) * C, line_type.dtype)
        acc = np.empty(WC, acc_type.dtype)
        t0 = taps_x[0]
        t1 = taps_x[min(1, taps_x.size - 1)]
        t2 = taps_x[min(2, taps_x.size - 1)]
        for y in range(y0, y1):
            row = dst[y]
            if not direct:
                _filter_row(rows, ymap, y, taps_x, taps_y, kind_x, kind_y, line, xmap, pad, C, acc)
                for x in range(WC):
                    row[x] = acc[x]
                continue
            _vertical(kind_y, rows, ymap, y + 1 - taps_y.size // 2, taps_y, line[C: C + WC])
            pad_line(line, xmap, 1, W, C)
            a = line[2 * C: 2 * C + WC]
            b = line[0: WC]
            if kind_x == ANTISYMMETRIC:
                for x in range(WC):
                    row[x] = t2 * (a[x] - b[x])
            else:
                p = line[C: C + WC]
                for x in range(WC):
                    row[x] = t1 * p[x] + t0 * (a[x] + b[x])
    return kernel


@lru_cache(maxsize=None)
def two_filter_rows(kinds_a, kinds_b, combine):
    """The row kernel of ``combined`` for filters a and b whose taps have symmetries
    ``kinds_a = (kind_x, kind_y)`` and ``kinds_b``, combined by ``combine``. These are constants
    of its code (closure variables, which Numba's cache keys on), so a call compiles its own
    passes and combination only: a first Sobel magnitude or Laplacian compiles ~2 s less."""
    (kind_ax, kind_ay), (kind_bx, kind_by) = kinds_a, kinds_b

    # error_model="numpy": the angle's division would otherwise test for zero and raise, a branch
    # that keeps the loop from vectorising (8× slower)
    @njit(cache=True, nogil=True, error_model="numpy")
    def kernel(planes, ax, ay, bx, by, pad, xmap, ymap, line_type, acc_type, out, y0, y1):
        H, W, C = planes.shape
        WC = W * C
        rows = planes.reshape(H, WC)
        dst = out.reshape(H, WC)
        line = np.empty((W + 2 * pad) * C, line_type.dtype)
        a = np.empty(WC, acc_type.dtype)
        b = np.empty(WC, acc_type.dtype)
        for y in range(y0, y1):
            _filter_row(rows, ymap, y, ax, ay, kind_ax, kind_ay, line, xmap, pad, C, a)
            _filter_row(rows, ymap, y, bx, by, kind_bx, kind_by, line, xmap, pad, C, b)
            row = dst[y]
            if combine == SUM:
                for x in range(WC):
                    row[x] = a[x] + b[x]
            elif combine == MAGNITUDE:
                _magnitude(a, b, row)
            elif combine == L1:
                for x in range(WC):
                    row[x] = abs(np.float32(a[x])) + abs(np.float32(b[x]))
            else:
                _angle(a, b, row)
    return kernel


@njit(cache=True, nogil=True, inline="always")
def _magnitude(a, b, out):
    # OpenCV's own cv::magnitude is sqrt(fma(x, x, y·y)) in float32. x² is exact in double
    # and so is the sum with the float32 y·y for integer-valued derivatives, so rounding the
    # double sum to float32 is that fma. (The IPP build's magnitude is an approximation
    # within 2 ulp; see reference/derivatives.py.)
    for x in range(out.size):
        gx = np.float32(a[x])
        gy = np.float32(b[x])
        gx2 = np.float64(gx) * np.float64(gx)
        out[x] = np.sqrt(np.float32(gx2 + np.float64(gy * gy)))


# cv::fastAtan32f: a degree-7 odd polynomial in min/max, its coefficients float32 products.
_DEG = np.float32(180 / np.pi)
_P1 = np.float32(np.float32(0.9997878412794807) * _DEG)
_P3 = np.float32(np.float32(-0.3258083974640975) * _DEG)
_P5 = np.float32(np.float32(0.1555786518463281) * _DEG)
_P7 = np.float32(np.float32(-0.04432655554792128) * _DEG)
_EPS = np.float32(np.finfo(np.float64).eps)


@njit(cache=True, nogil=True, inline="always")
def _fma32(a, b, c):
    """float32 fused multiply-add (OpenCV's vector v_fma): the product is exact in double."""
    return np.float32(np.float64(a) * np.float64(b) + np.float64(c))


@njit(cache=True, nogil=True, inline="always")
def _angle(a, b, out):
    # selects rather than branches, so the loop vectorises
    for x in range(out.size):
        gx = np.float32(a[x])
        gy = np.float32(b[x])
        ax = abs(gx)
        ay = abs(gy)
        c = min(ax, ay) / (max(ax, ay) + _EPS)
        c2 = c * c
        t = _fma32(_fma32(_fma32(c2, _P7, _P5), c2, _P3), c2, _P1) * c
        t = np.float32(90) - t if ax < ay else t
        t = np.float32(180) - t if gx < 0 else t
        out[x] = np.float32(360) - t if gy < 0 else t
