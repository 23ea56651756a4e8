"""Box blur (normalised box filter), identical to ``cv2.blur`` for uint8 and uint16.

``cv2.blur`` sums each ``kx × ky`` window exactly (``RowSum``/``ColumnSum`` in
box_filter.simd.hpp) and then divides by the area; only the division rounds, in one of these
ways (``getColumnSumFilter``):

- uint8, area ≤ 256: ``((s + dd)·ds) >> 23`` with ``ds ≈ 2^23/area``. That equals
  ``floor((s + h)/area)`` for a fixed ``h``: ``area//2`` (round half up) for most areas, but
  ``area/2 + 1`` for powers of two, OpenCV's upward bias (see ``division_offset``). For a
  1×2 or 2×1 window two 255s give 256, which OpenCV saturates in its vector loop but wraps to
  0 in its scalar tail (the last ``W·C mod 16`` values of a row);
- uint8 with a larger area, and uint16 (area ≤ 2^15): ``s·(1/area)`` in float32, rounded half
  to even, except in the last ``W·C mod 8`` values of each row, which OpenCV's scalar tail
  loop computes in double;
- larger areas: double everywhere; float32 images: double sums, ``(float)(s·(1/area))``.

The window anchor is ``k // 2``, so an even window reaches one pixel further left/up. Sums run
vertical first (a running column sum per row strip: two operations per value whatever the
height), then horizontal (a direct sum, vectorised over the row), in strips of rows shared by
the threads (``strips.run_in_strips``).
"""

from functools import lru_cache

import numpy as np
from numba import njit

from ..options import BORDER_WRAP
from .border import border_map
from .separable import pad_line
from .strips import run_in_strips

# How the window sum becomes a pixel (see the module docstring).
FIXED_DIVISION = 0      # uint8, area ≤ 256
FIXED_DIVISION_2 = 1    # the same for area 2, the one area whose quotient can reach 256
FLOAT32_SCALE = 2       # float32 s·(1/area), rounded half to even; scalar tail in double
DOUBLE_SCALE = 3        # double s·(1/area), rounded half to even
DOUBLE_CAST = 4         # double s·(1/area), converted to float32 as is

# OpenCV's vector loops stop at the last multiple of this many values of a row; a scalar loop
# does the rest, and for these two modes it computes something slightly different.
SIMD_GROUP = {FIXED_DIVISION: 16, FIXED_DIVISION_2: 16, FLOAT32_SCALE: 8}

MIN_VALUES_PER_STRIP = 1 << 19      # ~0.2 ns a value, see strips.run_in_strips: 512×512
                                    # runs on one thread, 1920×1080 gray on three strips

FIXED_MAX_AREA = 256                            # uint8 sums fit ushort (createBoxFilter)
INT_MAX_AREA = {np.dtype(np.uint8): 1 << 23, np.dtype(np.uint16): 1 << 15}


@lru_cache(maxsize=None)
def division_offset(area):
    """The ``h`` with ``floor((s + h)/area) == ((s + dd)·ds) >> 23`` for every uint8 window sum s.

    ``ds``/``dd`` as in ``ColumnSum<ushort, uchar>``: ``ds = floor(2^23/area)``, ``dd = area//2``,
    then +1 to ``dd`` if the fraction of ``2^23/area`` is below one half, else +1 to ``ds``.
    Found by checking every reachable sum, so the rule needs no proof.
    """
    if area == 1:
        return 0            # OpenCV skips the division altogether
    scale = (1 << 23) / area
    ds = int(scale)
    dd = area // 2
    if scale - ds < 0.5:
        dd += 1
    else:
        ds += 1
    sums = np.arange(255 * area + 1, dtype=np.int64)
    expected = ((sums + dd) * ds) >> 23
    for h in range(area // 2 - 1, area // 2 + 3):
        if np.array_equal((sums + h) // area, expected):
            return h
    raise AssertionError(f"no floor((s + h)/{area}) matches OpenCV's division")


@njit(cache=True, nogil=True, inline="always")
def _column_sum(rows, ymap, y, k, line):
    """``line[x] = Σ_{j<k} rows[ymap[y + j]][x]``, from scratch (rows at -1 are zeros)."""
    n = line.size
    line[:] = 0
    for j in range(k):
        i = ymap[y + j]
        if i >= 0:
            a = rows[i]
            for x in range(n):
                line[x] = line[x] + a[x]


@njit(cache=True, nogil=True, inline="always")
def _slide_column_sum(rows, ymap, y, k, line):
    """Move the column sums of output row ``y - 1`` down to row ``y``: add the new bottom row,
    drop the old top one. Exact in integers (modular arithmetic for unsigned sums). Rows at
    -1 (constant border) are zeros and skipped: picking a zero row instead would make Numba
    count references on both arrays, which costs more than the loop on a short row."""
    n = line.size
    i_add = ymap[y + k - 1]
    i_sub = ymap[y - 1]
    if i_add >= 0 and i_sub >= 0:
        add = rows[i_add]
        sub = rows[i_sub]
        for x in range(n):
            line[x] = line[x] + add[x] - sub[x]     # in the sum's type, not the pixels'
    elif i_add >= 0:
        add = rows[i_add]
        for x in range(n):
            line[x] = line[x] + add[x]
    elif i_sub >= 0:
        sub = rows[i_sub]
        for x in range(n):
            line[x] = line[x] - sub[x]


@njit(cache=True, nogil=True, inline="always")
def _window_sum(line, k, C, acc):
    """``acc[x] = Σ_{i<k} line[x + i·C]`` (k ≥ 0), up to four terms per sweep."""
    n = acc.size
    if k >= 4:
        a0 = line[0:n]
        a1 = line[C: C + n]
        a2 = line[2 * C: 2 * C + n]
        a3 = line[3 * C: 3 * C + n]
        for x in range(n):
            acc[x] = (a0[x] + a1[x]) + (a2[x] + a3[x])
        i = 4
    elif k >= 2:
        a0 = line[0:n]
        a1 = line[C: C + n]
        for x in range(n):
            acc[x] = a0[x] + a1[x]
        i = 2
    else:
        acc[:] = 0
        i = 0
    while i + 3 < k:
        a0 = line[i * C: i * C + n]
        a1 = line[(i + 1) * C: (i + 1) * C + n]
        a2 = line[(i + 2) * C: (i + 2) * C + n]
        a3 = line[(i + 3) * C: (i + 3) * C + n]
        for x in range(n):
            acc[x] += (a0[x] + a1[x]) + (a2[x] + a3[x])
        i += 4
    while i < k:
        a0 = line[i * C: i * C + n]
        for x in range(n):
            acc[x] += a0[x]
        i += 1


@njit(cache=True, nogil=True, inline="always")
def _divide(acc, last, out, mode, offset32, scale32, scale64, vector_end):
    """Window sums ``acc + last`` to pixels, rounding as OpenCV does (see the modes).

    The window's last column is added here rather than in ``_window_sum``: one pass fewer.
    """
    n = out.size
    if mode == FIXED_DIVISION:
        # floor((s + h)/area) as floor((s + h + 0.5)·(1/area)) in float32: the +0.5 keeps
        # exact multiples off the floor, and float32's error (< 4e-5 here) is far below
        # 0.5/area. s ≤ 255·256 fits uint16, which keeps the add 16 lanes wide.
        for x in range(n):
            s = np.float32(np.uint16(acc[x] + last[x]))
            out[x] = np.int32((s + offset32) * scale32)
    elif mode == FIXED_DIVISION_2:
        # Two 255s make (510 + 2)/2 = 256: OpenCV's vector loop saturates it to 255, its
        # scalar tail wraps it to 0 (a plain uchar cast).
        for x in range(vector_end):
            s = np.float32(np.uint16(acc[x] + last[x]))
            out[x] = min(np.int32((s + offset32) * scale32), 255)
        for x in range(vector_end, n):
            s = np.float32(np.uint16(acc[x] + last[x]))
            out[x] = np.int32((s + offset32) * scale32) & 255
    elif mode == FLOAT32_SCALE:
        # no saturation needed: a mean never exceeds the largest pixel by a rounding step
        for x in range(vector_end):
            out[x] = np.rint(np.float32(acc[x] + last[x]) * scale32)
        for x in range(vector_end, n):
            out[x] = np.rint(np.float64(acc[x] + last[x]) * scale64)
    elif mode == DOUBLE_SCALE:
        for x in range(n):
            out[x] = np.rint(np.float64(acc[x] + last[x]) * scale64)
    else:
        for x in range(n):
            out[x] = (acc[x] + last[x]) * scale64


@njit(cache=True, nogil=True)
def _box_rows(planes, kx, ky, xmap, ymap, sum_type, mode, offset32, scale32, scale64, vector_end,
              out, y0, y1):
    H, W, C = planes.shape
    WC = W * C
    ax = kx // 2
    rows = planes.reshape(H, WC)
    dst = out.reshape(H, WC)
    line = np.empty((W + kx - 1) * C, sum_type.dtype)
    acc = np.empty(WC, sum_type.dtype)
    columns = line[ax * C: ax * C + WC]
    for y in range(y0, y1):
        if y == y0:
            _column_sum(rows, ymap, y, ky, columns)
        else:
            _slide_column_sum(rows, ymap, y, ky, columns)
        pad_line(line, xmap, ax, W, C)
        _window_sum(line, kx - 1, C, acc)
        _divide(acc, line[(kx - 1) * C: (kx - 1) * C + WC], dst[y], mode, offset32, scale32,
                scale64, vector_end)


def box_blur(planes, ksize_x, ksize_y, border):
    """Mean over a ``ksize_x × ksize_y`` window of (H, W, C) ``planes``, as ``cv2.blur``.

    Anchor ``k // 2``; ``border`` is an ``options.BORDER_*`` code (WRAP included, which
    ``cv2.blur`` itself rejects). Identical to OpenCV for uint8 and uint16.
    """
    area = ksize_x * ksize_y
    dtype = planes.dtype
    offset = 0.0
    if dtype == np.float32:
        mode, sum_type = DOUBLE_CAST, np.float64
    elif dtype == np.uint8 and area <= FIXED_MAX_AREA:
        # ≤ 255·256: the sums fit uint16, so both passes run 16 lanes wide
        mode = FIXED_DIVISION_2 if area == 2 else FIXED_DIVISION
        sum_type, offset = np.uint16, division_offset(area) + 0.5
    elif area <= INT_MAX_AREA[dtype]:
        mode, sum_type = FLOAT32_SCALE, np.int64
    else:
        mode, sum_type = DOUBLE_SCALE, np.int64
    scale = 1.0 / area
    H, W, C = planes.shape
    xmap = border_map(W, ksize_x // 2, ksize_x - 1 - ksize_x // 2, border)
    ymap = border_map(H, ksize_y // 2, ksize_y - 1 - ksize_y // 2, border)
    out = np.empty_like(planes)
    run_in_strips(_box_rows, planes.shape, planes, ksize_x, ksize_y, xmap, ymap,
                  np.empty(0, sum_type), mode, np.float32(offset), np.float32(scale), scale,
                  vector_end(W, C, ksize_x, border, SIMD_GROUP.get(mode, 1)), out,
                  min_values=MIN_VALUES_PER_STRIP)
    return out


def vector_end(width, channels, ksize_x, border, group):
    """Where OpenCV's vector loops end in a row of ``width·channels`` values, ``group`` at a time:
    after it, FLOAT32_SCALE rounds in double and FIXED_DIVISION_2 wraps rather than saturates.

    ``cv2.blur`` rejects WRAP; the reference (and anyone using OpenCV) pads the image by
    ``ksize_x // 2`` on each side with ``copyMakeBorder`` first, which shifts that boundary.
    """
    if border != BORDER_WRAP:
        return width * channels // group * group
    pad = ksize_x // 2
    padded_end = (width + 2 * pad) * channels // group * group
    return min(max(padded_end - pad * channels, 0), width * channels)
