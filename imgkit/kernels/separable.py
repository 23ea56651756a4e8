"""Separable filtering, row by row: the machinery shared by every separable kernel.

A separable filter applies a column kernel ``taps_y`` and a row kernel ``taps_x``. Here the
vertical pass comes first: output row ``y`` sums the source rows ``y - anchor_y + j`` (found
through a border index map, so no branch on the border inside the loops) into one *line*, whose
two ends are then padded through the border map along x, and the horizontal pass sums that line
at offsets ``i·C``. Channels stay interleaved, so a row is ``W·C`` contiguous values and one code
path serves any C.

Why this shape (measured at 3840×2160 uint8 on 2 cores, see STYLE.md):

- every inner loop is a plain ``for x in range(n)`` over slices, so LLVM vectorises it (indexing
  ``a[x + offset]`` instead of a slice costs 20×: the wrap-around check on a possibly negative
  index blocks vectorisation);
- a symmetric kernel is summed in pairs, ``t_j·(a_j + b_j)``, two pairs per sweep, which halves
  the multiplications and the traffic through the accumulator line;
- vertical-first needs no ring buffer of filtered rows: each output row reads its ``ky`` source
  rows straight from the image. For integer arithmetic without intermediate rounding (OpenCV's
  fixed-point Gaussian) the order of the passes does not change the exact sum, so it is free.

The arithmetic type of each pass is the dtype of its buffer and taps (``line_type``,
``acc_type``): uint16 lines and int32 accumulators give 16-lane and 8-lane vectors for uint8
images. Numba widens mixed integer arithmetic to int64, and LLVM narrows it back when the
result is stored into a narrower buffer; uint64 is avoided because uint64 with int64 gives float64.

Threads: the kernels are plain ``nogil`` functions of a strip of rows, run by
``strips.run_in_strips``.
"""

from functools import lru_cache

import numpy as np
from numba import njit, types
from numba.core import errors
from numba.extending import overload

from .border import border_map
from .strips import run_in_strips

def pairs_up(taps, anchor):
    """True when ``taps`` has odd length ≥ 3, is centred on ``anchor`` and reads the same
    backwards: it is then summed in pairs around its centre."""
    taps = np.asarray(taps)
    return (taps.size % 2 == 1 and taps.size > 1 and anchor == taps.size // 2
            and bool(np.array_equal(taps, taps[::-1])))


@njit(cache=True, nogil=True)
def pad_line(line, xmap, before, width, channels):
    """Fill the ``before`` pixels left of ``line``'s interior and the rest to its right.

    ``line`` holds ``width`` pixels of ``channels`` values starting at pixel ``before``;
    ``xmap`` is ``border_map(width, before, after, border)`` (-1: the constant 0).
    """
    C = channels
    interior = line[before * C: (before + width) * C]
    for j in range(xmap.size - width):      # one loop for both ends: its body is compiled once
        i = j if j < before else j + width
        sx = xmap[i]
        for c in range(C):
            line[i * C + c] = interior[sx * C + c] if sx >= 0 else 0


# --------------------------------------------------------------------------------------------
# Vertical pass: line[x] = Σ_j taps[j] · rows[ymap[y + j]][x]
#
# Rows outside the image under the constant border (ymap -1) are zeros, so they are skipped
# rather than read from a zero row: choosing between two arrays per tap makes Numba count
# references on both, ~30 ns a tap, which was most of the cost of a short row.
#
# The passes are functions of their own, compiled once per signature and called once a row:
# inlined (``inline="always"``), Numba copies and types them again at every call site, which
# cost the derivative kernels (two filters a row) ~1.5 s of their first compilation.
# --------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _add_pair(line, a, b, t):
    for x in range(line.size):
        line[x] += t * (a[x] + b[x])


@njit(cache=True, nogil=True, inline="always")
def _add_row(line, a, t):
    for x in range(line.size):
        line[x] += t * a[x]


@njit(cache=True, nogil=True)
def vertical_pairs(rows, ymap, y, taps, line):
    """``vertical_taps`` for taps that pair up (``pairs_up``; the centre row must fall inside the
    image, as it does for any centred kernel): the centre and the outer pair, then two pairs a sweep."""
    k = taps.size
    half = k // 2
    n = line.size
    p = rows[ymap[y + half]]            # the centre row is always inside the image
    c = taps[half]
    ia = ymap[y]
    ib = ymap[y + k - 1]
    j = 0
    if ia >= 0 and ib >= 0:
        a = rows[ia]
        b = rows[ib]
        t = taps[0]
        for x in range(n):
            line[x] = c * p[x] + t * (a[x] + b[x])
        j = 1
    else:
        for x in range(n):
            line[x] = c * p[x]
    while j < half:
        ia0 = ymap[y + j]
        ib0 = ymap[y + k - 1 - j]
        if j + 1 < half:
            ia1 = ymap[y + j + 1]
            ib1 = ymap[y + k - 2 - j]
            if min(min(ia0, ib0), min(ia1, ib1)) >= 0:
                a0 = rows[ia0]
                b0 = rows[ib0]
                a1 = rows[ia1]
                b1 = rows[ib1]
                t0 = taps[j]
                t1 = taps[j + 1]
                for x in range(n):
                    line[x] += t0 * (a0[x] + b0[x]) + t1 * (a1[x] + b1[x])
                j += 2
                continue
        if ia0 >= 0 and ib0 >= 0:
            _add_pair(line, rows[ia0], rows[ib0], taps[j])
        elif max(ia0, ib0) >= 0:        # one of the pair inside the image (the other is -1)
            _add_row(line, rows[max(ia0, ib0)], taps[j])
        j += 1


@njit(cache=True, nogil=True)
def vertical_taps(rows, ymap, y, taps, line):
    """``line[x] = Σ_j taps[j] · rows[ymap[y + j]][x]`` for any taps, one row at a time, in the
    arithmetic of ``line``'s dtype; ``ymap`` -1 is the constant border's 0."""
    n = line.size
    first = True
    for j in range(taps.size):
        i = ymap[y + j]
        if i < 0:
            continue
        t = taps[j]
        p = rows[i]
        if first:
            for x in range(n):
                line[x] = t * p[x]
            first = False
        else:
            for x in range(n):
                line[x] += t * p[x]
    if first:                           # every row outside the image (a kernel off to one side)
        line[:] = 0


# --------------------------------------------------------------------------------------------
# Horizontal pass: acc[x] = Σ_i taps[i] · line[x + i·C]
# --------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def horizontal_pairs(line, taps, C, acc):
    """``horizontal_taps`` for taps that pair up (``pairs_up``), two pairs a sweep."""
    k = taps.size
    half = k // 2
    n = acc.size
    p = line[half * C: half * C + n]
    a = line[0: n]
    b = line[(k - 1) * C: (k - 1) * C + n]
    c = taps[half]
    t = taps[0]
    for x in range(n):
        acc[x] = c * p[x] + t * (a[x] + b[x])
    j = 1
    while j + 1 < half:
        a0 = line[j * C: j * C + n]
        b0 = line[(k - 1 - j) * C: (k - 1 - j) * C + n]
        a1 = line[(j + 1) * C: (j + 1) * C + n]
        b1 = line[(k - 2 - j) * C: (k - 2 - j) * C + n]
        t0 = taps[j]
        t1 = taps[j + 1]
        for x in range(n):
            acc[x] += t0 * (a0[x] + b0[x]) + t1 * (a1[x] + b1[x])
        j += 2
    if j < half:
        a0 = line[j * C: j * C + n]
        b0 = line[(k - 1 - j) * C: (k - 1 - j) * C + n]
        t0 = taps[j]
        for x in range(n):
            acc[x] += t0 * (a0[x] + b0[x])


@njit(cache=True, nogil=True)
def horizontal_taps(line, taps, C, acc):
    """``acc[x] = Σ_i taps[i] · line[x + i·C]``, in the arithmetic of ``acc``'s dtype."""
    n = acc.size
    p = line[0: n]
    t = taps[0]
    for x in range(n):
        acc[x] = t * p[x]
    for i in range(1, taps.size):
        p = line[i * C: i * C + n]
        t = taps[i]
        for x in range(n):
            acc[x] += t * p[x]


# --------------------------------------------------------------------------------------------
# Finishing: fixed point back to pixels, or a plain conversion for floats
# --------------------------------------------------------------------------------------------

def finish_line(acc, out, shift):
    """``out = (acc + 2^(shift-1)) >> shift`` (round half up) for integers, a plain conversion
    for shift 0 and for floats. ``shift`` is a constant of the calling code: only its own
    loop is compiled."""
    raise NotImplementedError("only callable from jitted code")


@overload(finish_line, prefer_literal=True, jit_options={"cache": True, "nogil": True})
def _finish_line(acc, out, shift):
    if not isinstance(shift, types.IntegerLiteral):
        raise errors.RequireLiteralValue(shift)
    bits = shift.literal_value
    if isinstance(acc.dtype, types.Float) or bits == 0:
        def convert(acc, out, shift):
            for x in range(out.size):
                out[x] = acc[x]
        return convert
    if acc.dtype.bitwidth <= 32 and bits == 16:
        def narrow(acc, out, shift):
            # uint8's two 8-bit passes. A constant shift of an int32 lets LLVM keep this loop
            # 32 bits wide; Numba's int64 arithmetic would cost twice as much.
            for x in range(out.size):
                out[x] = np.int32(acc[x] + 32768) >> 16
        return narrow
    half = np.int64(1) << (bits - 1)

    def round_shift(acc, out, shift):
        for x in range(out.size):
            out[x] = (acc[x] + half) >> bits
    return round_shift


# --------------------------------------------------------------------------------------------
# The filter
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def filter_rows(pairs_x, pairs_y, shift):
    """The row kernel for taps summed in pairs or not along x and y (see ``pairs_up``), whose
    sums are finished with ``shift`` (see ``finish_line``).

    The three are constants of its code (closure variables, which Numba's cache keys on),
    so each kernel compiles only the passes it runs (0.5 s less for a first Gaussian blur).
    """
    @njit(cache=True, nogil=True)
    def kernel(rows, C, taps_x, taps_y, anchor_x, xmap, ymap, line_type, acc_type, dst, y0, y1):
        # rows, dst: the planes as H × W·C, reshaped in Python (here, ~0.07 s more to compile)
        WC = rows.shape[1]
        W = WC // C
        line = np.empty((W + taps_x.size - 1) * C, line_type.dtype)
        acc = np.empty(WC, acc_type.dtype)
        interior = line[anchor_x * C: anchor_x * C + WC]
        for y in range(y0, y1):
            if pairs_y:
                vertical_pairs(rows, ymap, y, taps_y, interior)
            else:
                vertical_taps(rows, ymap, y, taps_y, interior)
            pad_line(line, xmap, anchor_x, W, C)
            if pairs_x:
                horizontal_pairs(line, taps_x, C, acc)
            else:
                horizontal_taps(line, taps_x, C, acc)
            finish_line(acc, dst[y], shift)
    return kernel


def separable_filter(planes, taps_x, taps_y, anchor_x, anchor_y, border, line_type, acc_type,
                     shift, out):
    """Correlate ``planes`` with ``taps_y`` down the columns, then ``taps_x`` along the rows.

    ``out[y, x] = finish(Σ_i taps_x[i] · Σ_j taps_y[j] · P[y - anchor_y + j, x - anchor_x + i])``,
    with P extended past the edges by ``border`` (an ``options.BORDER_*`` code). The vertical
    sum is held in dtype ``line_type``, the horizontal sum in ``acc_type``, and ``finish``
    is ``(v + 2^(shift-1)) >> shift`` for integers (shift 0: none), a conversion for floats.
    The taps must already be in those dtypes. Returns ``out``, a C-contiguous array shaped
    like ``planes``.
    """
    H, W, C = planes.shape
    kx, ky = len(taps_x), len(taps_y)
    xmap = border_map(W, anchor_x, kx - 1 - anchor_x, border)
    ymap = border_map(H, anchor_y, ky - 1 - anchor_y, border)
    kernel = filter_rows(bool(pairs_up(taps_x, anchor_x)), bool(pairs_up(taps_y, anchor_y)), int(shift))
    run_in_strips(kernel, planes.shape, planes.reshape(H, W * C), C, taps_x, taps_y, anchor_x, xmap, ymap,
                  np.empty(0, line_type), np.empty(0, acc_type), out.reshape(H, W * C))
    return out
