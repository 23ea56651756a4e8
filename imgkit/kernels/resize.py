"""Resizing with nearest, bilinear and area interpolation, identical to ``cv2.resize``.

OpenCV's conventions (imgproc/src/resize.cpp), reproduced here step by step:

- the scales are ``inv_scale = dst/src`` (given a ``dsize``) or ``fx``/``fy`` (given factors:
  the size is then ``round(src·fx)``, but the mapping uses ``fx`` itself; every kernel takes
  ``inv_scale=(fx, fy)``) and ``scale = 1/inv_scale``, all in double; every rule below,
  including the integer-factor tests, uses these scales, never the sizes;
- NEAREST (``resizeNN``) takes source pixel ``min(floor(dx·scale), W−1)``: top-left sampling;
- LINEAR (``resizeGeneric_`` with 2 taps) maps pixel centres,
  ``fx = (float)((dx+0.5)·scale − 0.5)``, ``sx = floor(fx)``, ``fx −= sx``; a column left of
  the image is (0, weight 0), one at or past the last is (W−1, weight 0); rows are clamped but
  keep their weights. uint8 rounds the weights to 11 bits (``INTER_RESIZE_COEF_BITS``, half to
  even), sums each row exactly in int32 and combines two rows as ``VResizeLinearVec_32s8u`` does,
  ``t = ((S0>>4)·b0 >> 16) + ((S1>>4)·b1 >> 16)``, then ``(t + 2) >> 2``, for every value of the
  row: the scalar ``(S0·b0 + S1·b1 + 2^21) >> 22`` of ``FixedPtCast`` (1 higher in ~10 % of
  values) is never taken by OpenCV 5.0, not even in row tails (checked). uint16 and float32 use
  float32 weights and sums, uint16 rounding half to even; this is OpenCV's native path, which
  its IPP path replaces by default for these two types (uint16: ±3 of 65535 at most);
- an exact 2× shrink on both axes with LINEAR is handed to AREA;
- AREA shrinking by integer factors (``resizeAreaFast_``) averages each block: the 2×2 blocks of
  1-, 3- and 4-channel integer images as ``(Σ + 2) >> 2``, every other block as
  ``Σ·(float)(1/area)`` rounded half to even; a block cut by the border (a size rounded up
  from a factor) is the mean of its pixels inside, ``(float)Σ / count``;
- AREA shrinking by other factors (``resizeArea_``) weighs each source pixel by its overlap with
  the destination cell (``computeResizeAreaTab``), summing in float32 in OpenCV's order;
- AREA enlarging (either axis) is LINEAR with another coordinate rule: ``sx = floor(dx·scale)``,
  ``fx = (float)((dx+1) − (sx+1)·inv_scale)``, 0 if ``fx ≤ 0``, else its fraction.

The tables (source offsets and weights per column and per row) are built in numpy, once per
geometry (``_nearest_tables``, ``_bilinear_tables``, ``_area_tables``; the integer-factor area
paths need none); the kernels run over strips of output rows (``strips.run_in_strips``),
except the 2×2 area average, which is so short that it runs under ``prange`` (see ``_area_2x2``).
"""

from functools import lru_cache

import numpy as np
from numba import get_num_threads, njit, prange

from .simd import compiles_for, load_apart, load_u32, store_apart, vectors_512, window_bytes, window_sums
from .strips import run_in_strips

COEF_BITS = 11                      # INTER_RESIZE_COEF_BITS
COEF_SCALE = 1 << COEF_BITS
DBL_EPSILON = np.finfo(np.float64).eps

MIN_VALUES_PER_STRIP = 1 << 18
# nearest copies a value in ~0.1-0.3 ns (4K gray x0.37: 1.1 M values in 0.09 ms from windows,
# 0.25 ms gathered, 1 thread): a strip worth handing to another thread (~0.1 ms) holds more
NEAREST_VALUES_PER_STRIP = 1 << 20
# empty window tables: ``_horizontal_fixed`` gathers (see ``_bilinear_windows``)
NO_BILINEAR_WINDOWS = (np.empty(0, np.uint32), np.empty(0, np.uint8), np.empty(0, np.int16))
NO_NEAREST_WINDOWS = (np.empty(0, np.uint32), np.empty(0, np.uint8), 0)     # (see ``_nearest_windows``)


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------

def _scales(src, dst, inv_scale=None):
    """``(scale, inv_scale)`` of one axis: ``inv_scale`` is ``cv2.resize``'s ``fx`` (or ``fy``)
    when given, else ``dst/src`` (a ``dsize``)."""
    inv_scale = dst / src if inv_scale is None else inv_scale
    return 1.0 / inv_scale, inv_scale


def _is_integer_scale(scale):
    whole = round(scale)
    return abs(scale - whole) < DBL_EPSILON, whole


def _linear_taps(src, dst, area_mode, inv_scale=None):
    """Source index and weight of the first tap for each destination index (the second tap is
    index + 1, weight 1 − first), before the border rule: float32 weights, int64 indices."""
    scale, inv_scale = _scales(src, dst, inv_scale)
    d = np.arange(dst, dtype=np.float64)
    if not area_mode:
        f = ((d + 0.5) * scale - 0.5).astype(np.float32)
        s = np.floor(f)
        f = (f - s).astype(np.float32)
    else:
        s = np.floor(d * scale)
        f = ((d + 1) - (s + 1) * inv_scale).astype(np.float32)
        f = np.where(f <= 0, np.float32(0), f - np.floor(f)).astype(np.float32)
    return s.astype(np.int64), f


def linear_columns(src_w, dst_w, channels, area_mode=False, fixed_point=False, inv_scale=None):
    """Per destination value (dx·C + c; ``channels`` 1: per pixel, as the resize kernels take
    it): the two source value offsets and their weights, by INTER_LINEAR's rule (AREA's when
    enlarging with ``area_mode``); 11-bit integer weights with ``fixed_point``, else float32.

    Columns: left of the image → (0, weight 0); at or past the last → (W−1, 0).
    The second offset is clamped too (its weight is 0 there) so every read stays inside the row.
    """
    sx, fx = _linear_taps(src_w, dst_w, area_mode, inv_scale)
    left = sx < 0
    right = sx >= src_w - 1
    fx[left | right] = 0
    sx = np.where(left, 0, np.where(right, src_w - 1, sx))
    sx1 = np.minimum(sx + 1, src_w - 1)
    c = np.arange(channels)
    ofs0 = (sx[:, None] * channels + c).ravel().astype(np.int32)
    ofs1 = (sx1[:, None] * channels + c).ravel().astype(np.int32)
    a0, a1 = _weights(fx, fixed_point)
    return ofs0, ofs1, np.repeat(a0, channels), np.repeat(a1, channels)


def _linear_rows(src_h, dst_h, area_mode, fixed_point, inv_scale=None):
    """Per destination row: the two source rows (clamped) and their weights (kept)."""
    sy, fy = _linear_taps(src_h, dst_h, area_mode, inv_scale)
    row0 = np.clip(sy, 0, src_h - 1).astype(np.int32)
    row1 = np.clip(sy + 1, 0, src_h - 1).astype(np.int32)
    b0, b1 = _weights(fy, fixed_point)
    return row0, row1, b0, b1


def _weights(f, fixed_point):
    w0 = np.float32(1) - f
    if not fixed_point:
        return w0, f
    # saturate_cast<short>(w · 2048): the product is exact, the rounding half to even
    return (np.rint(w0 * np.float32(COEF_SCALE)).astype(np.int32),
            np.rint(f * np.float32(COEF_SCALE)).astype(np.int32))


def _area_table(src, dst, scale):
    """``computeResizeAreaTab``: the source index and float32 weight of each entry, in OpenCV's
    order, and where each destination index's entries start (one more: the end).

    Destination cell d covers [d·scale, (d+1)·scale): a partial source pixel on the left if
    the cell starts inside one, the whole pixels, a partial one on the right (each edge only
    if it overlaps by more than 1e-3), every weight its overlap over the cell's width.
    """
    fs1 = np.arange(dst) * scale
    fs2 = fs1 + scale
    cell = np.minimum(scale, src - fs1)
    s2 = np.minimum(np.floor(fs2).astype(np.int64), src - 1)
    s1 = np.minimum(np.ceil(fs1).astype(np.int64), s2)
    left = (s1 - fs1 > 1e-3).astype(np.int64)
    right = (fs2 - s2 > 1e-3).astype(np.int64)
    count = left + (s2 - s1) + right
    starts = np.concatenate(([0], np.cumsum(count)))
    entry = np.arange(starts[-1]) - np.repeat(starts[:-1], count)  # position in its cell
    first = np.repeat(left, count)
    source = np.repeat(s1, count) + entry - first
    alpha = np.repeat(1.0 / cell, count)
    is_left = (entry == 0) & (first == 1)
    is_right = (entry == np.repeat(count, count) - 1) & np.repeat(right == 1, count)
    alpha[is_left] = ((s1 - fs1) / cell)[left == 1]
    alpha[is_right] = (np.minimum(np.minimum(fs2 - s2, 1.0), cell) / cell)[right == 1]
    return source.astype(np.int32), alpha.astype(np.float32), starts.astype(np.int32)


def _per_value(src, alpha, starts, channels):
    """An area table by pixel → by value: (destination value, source value, weight), the
    channels of each entry one after another, as OpenCV's loops for 3 and 4 channels take them."""
    c = np.tile(np.arange(channels), src.size)
    cell = np.repeat(np.arange(starts.size - 1), np.diff(starts))
    return ((np.repeat(cell, channels) * channels + c).astype(np.int32),
            (np.repeat(src, channels) * channels + c).astype(np.int32),
            np.repeat(alpha, channels))


# ---------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _nearest_rows(rows, xofs, yofs, value_size, step, words, shifts, starts, picks, group, dst, y0, y1):
    """Copy source pixels (``value_size`` bytes each) to the destination rows y0..y1, as
    ``resizeNN``: byte offsets per output pixel (``xofs``), and a row that reads the same source
    row as the one above it is a copy of it (enlarging: one contiguous, vectorised copy).
    ``step`` > 0: an integer shrink, ``xofs[x] = step·x``, read by a strided loop without the
    table (a constant stride 2 for gray x0.5, which LLVM vectorises with shuffles). With window
    tables (``_nearest_windows``: ``starts`` not empty), ``group`` pixels at a time picked from
    a 16-byte window of the source row (``simd.window_bytes``: one load, ``pshufb``, one 16-byte
    store that the next group overwrites past its pixels), as long as the store stays inside
    the row; 4K gray, 1 thread: x0.37 0.36×, x0.73 0.20× the time of the gathers. Otherwise
    1- and 3-byte pixels are read as 32-bit words (``simd.load_u32``: ``vpgatherdd`` of 16
    words, as OpenCV's ``v_lut``) for the first ``words`` words, each inside the row; the rest
    byte by byte. Gray reads a pair of pixels per word where no pair spans more than it
    (``shifts``: the second pixel's bit offset in its pair's word; empty: one pixel a word):
    half the gathers, which bound the loop (4K x0.37: 0.36 -> 0.29 ms)."""
    n = xofs.size
    m, b1, b2 = np.uint32(255), np.uint32(8), np.uint32(16)
    for y in range(y0, y1):
        out = dst[y]
        if y > y0 and yofs[y] == yofs[y - 1]:
            above = dst[y - 1]
            for x in range(out.size):
                out[x] = above[x]
            continue
        src = rows[yofs[y]]
        done = 0
        if starts.size > 0:
            width = group * value_size
            groups = (out.size - 16) // width + 1     # those whose 16-byte store fits in the row
            done = groups * group
            for g in range(groups):
                window_bytes(src, starts[g], picks, g, out, g * width)
        elif step == 2 and value_size == 1:       # x0.5 gray: a constant stride, vectorised with shuffles
            done = n
            for x in range(n):
                out[x] = src[2 * x]
        elif step > 0:
            done = n
            for x in range(n):
                for b in range(value_size):
                    out[x * value_size + b] = src[step * x + b]
        elif value_size == 1 and shifts.size > 0:
            done = 2 * words
            for k in range(words):
                v = load_u32(src, load_apart(xofs, 2 * k))
                store_apart(out, k, v & m, (v >> load_apart(shifts, k)) & m)
        elif value_size == 1:
            done = words
            for x in range(words):
                store_apart(out, x, load_u32(src, load_apart(xofs, x)) & m)
        elif value_size == 3:
            done = words
            for x in range(words):
                v = load_u32(src, load_apart(xofs, x))
                store_apart(out, x, v & m, (v >> b1) & m, (v >> b2) & m)
        for x in range(done, n):
            s = xofs[x]
            o = x * value_size
            for b in range(value_size):
                out[o + b] = src[s + b]


@njit(cache=True, nogil=True)       # called, not inlined: two call sites, one body to compile
def _horizontal_fixed(src, xo, a0, a1, xmax, C, starts, picks, pairs, line):
    """One source row's integer sums ``src[o]·a0 + src[o + C]·a1`` per output value, the table
    per output *pixel* (first tap's value offset ``o``, weights); past ``xmax`` the second tap
    lies outside the row with weight 0: one tap.

    With window tables (``_bilinear_windows``: ``starts`` not empty), 16 values at a time by
    ``simd.window_sums`` (four 16-byte loads, ``vpshufb``, ``vpmaddwd``: no gather), the last
    few from the same tables one by one. 4K, 1 thread, this pass alone: BGR x0.37 and x0.73
    0.57× the time of the gathers below, gray 0.35×.

    Else 1 and 3 channels read each pixel's taps as 32-bit words (``simd.load_u32``: bytes
    o…o+3, and o+2…o+5 for BGR), which LLVM turns into ``vpgatherdd`` of 16 pixels, as the
    look-ups of OpenCV's ``HResizeLinearVec_8u32s``; gray stops where a word would pass the
    row's end. Other channel counts (BGRA is filtered as BGR and alpha) take bytes one by one.
    Offsets are unsigned (uint32 table), so no read is tested for a negative index."""
    if starts.size > 0:
        blocks = line.size // 16
        for j in range(blocks):
            window_sums(src, starts, picks, pairs, line, j)
        for v in range(16 * blocks, line.size):
            at = np.int64(starts[v // 4])
            line[v] = (np.int32(src[at + picks[4 * v]]) * pairs[2 * v]
                       + np.int32(src[at + picks[4 * v + 2]]) * pairs[2 * v + 1])
        return
    n = xo.size
    m, b1, b2, b3 = np.uint32(255), np.uint32(8), np.uint32(16), np.uint32(24)
    done = 0
    if C == 1:
        done = xmax
        while done > 0 and np.int64(xo[done - 1]) + 4 > src.size:
            done -= 1
        for x in range(done):
            v = load_u32(src, load_apart(xo, x))
            store_apart(line, x, np.int32(v & m) * load_apart(a0, x)
                        + np.int32((v >> b1) & m) * load_apart(a1, x))
    elif C == 3:
        done = xmax
        two = np.uint32(2)
        for x in range(xmax):
            o, w0, w1 = load_apart(xo, x), load_apart(a0, x), load_apart(a1, x)
            v = load_u32(src, o)                # b g r b'
            w = load_u32(src, o + two)          # r b' g' r'
            store_apart(line, x, np.int32(v & m) * w0 + np.int32(v >> b3) * w1,
                        np.int32((v >> b1) & m) * w0 + np.int32((w >> b2) & m) * w1,
                        np.int32(w & m) * w0 + np.int32(w >> b3) * w1)
    for x in range(done, xmax):
        o, w0, w1 = np.uint64(xo[x]), a0[x], a1[x]
        for c in range(C):
            line[C * x + c] = (np.int32(src[o + np.uint64(c)]) * w0
                               + np.int32(src[o + np.uint64(C + c)]) * w1)
    for x in range(xmax, n):
        o, w0 = np.uint64(xo[x]), a0[x]
        for c in range(C):
            line[C * x + c] = np.int32(src[o + np.uint64(c)]) * w0


@njit(cache=True, nogil=True)       # called, not inlined: two call sites, one body to compile
def _horizontal_float(src, xo, a0, a1, xmax, C, line):
    """``_horizontal_fixed`` in float32."""
    n = xo.size
    u = np.uint64(1)
    if C == 1:
        for x in range(xmax):
            o = np.uint64(xo[x])
            line[x] = np.float32(src[o]) * a0[x] + np.float32(src[o + u]) * a1[x]
    elif C == 3:
        for x in range(xmax):
            o, d, w0, w1 = np.uint64(xo[x]), 3 * x, a0[x], a1[x]
            line[d] = np.float32(src[o]) * w0 + np.float32(src[o + 3 * u]) * w1
            line[d + 1] = np.float32(src[o + u]) * w0 + np.float32(src[o + 4 * u]) * w1
            line[d + 2] = np.float32(src[o + 2 * u]) * w0 + np.float32(src[o + 5 * u]) * w1
    else:
        for x in range(xmax):
            o, w0, w1 = np.uint64(xo[x]), a0[x], a1[x]
            for c in range(C):
                line[C * x + c] = (np.float32(src[o + np.uint64(c)]) * w0
                                   + np.float32(src[o + np.uint64(C + c)]) * w1)
    for x in range(xmax, n):
        o, w0 = np.uint64(xo[x]), a0[x]
        for c in range(C):
            line[C * x + c] = np.float32(src[o + np.uint64(c)]) * w0


@njit(cache=True, nogil=True, inline="always")
def _vertical_fixed(s0, s1, w0, w1):
    """Two rows' fixed-point sums (``S = Σ src·a``, exact integers) combined as
    ``VResizeLinearVec_32s8u``: ``((S0>>4)·b0 >> 16) + ((S1>>4)·b1 >> 16)``, then ``(t + 2) >> 2``."""
    # every step fits int32 (S>>4 ≤ 32640, b ≤ 2048): the casts keep
    # Numba from widening to int64, which halves the vector width
    t0 = np.int32(np.int32(np.int32(s0) >> 4) * w0) >> 16
    t1 = np.int32(np.int32(np.int32(s1) >> 4) * w1) >> 16
    return min(np.int32(t0 + t1 + 2) >> 2, 255)


@njit(cache=True, nogil=True, inline="always")
def _line_slots(r0, r1, tags):
    """Which of the two line buffers hold source rows r0 and r1 (consecutive output rows share
    source rows when enlarging), and whether each must be computed first."""
    s0 = 0 if tags[0] == r0 else (1 if tags[1] == r0 else -1)
    s1 = 0 if tags[0] == r1 else (1 if tags[1] == r1 else -1)
    new0 = s0 < 0
    new1 = s1 < 0
    if new0:
        s0 = 1 if s1 == 0 else 0
        tags[s0] = r0
    if new1:
        s1 = 1 if s0 == 0 else 0
        tags[s1] = r1
    return s0, s1, new0, new1


@njit(cache=True, nogil=True)
def _linear_u8_rows(rows, xo, a0, a1, xmax, C, starts, picks, pairs, row0, row1, b0, b1, dst, y0, y1):
    vectors_512()                   # the vertical pass: 16 lanes, not 8
    n = dst.shape[1]
    lines = np.empty((2, n), np.int32)
    tags = np.array([-1, -1])
    for y in range(y0, y1):
        s0, s1, new0, new1 = _line_slots(row0[y], row1[y], tags)
        if new0:
            _horizontal_fixed(rows[row0[y]], xo, a0, a1, xmax, C, starts, picks, pairs, lines[s0])
        if new1:
            _horizontal_fixed(rows[row1[y]], xo, a0, a1, xmax, C, starts, picks, pairs, lines[s1])
        l0 = lines[s0]
        l1 = lines[s1]
        w0 = np.int32(b0[y])
        w1 = np.int32(b1[y])
        out = dst[y]
        for x in range(n):
            out[x] = _vertical_fixed(l0[x], l1[x], w0, w1)


@njit(cache=True, nogil=True)
def _linear_float_rows(rows, xo, a0, a1, xmax, C, row0, row1, b0, b1, fixed, top, dst, y0, y1):
    """Float32 weights and sums; with ``fixed``, float32 rows holding 8-bit values are resized
    by the uint8 rule instead (11-bit weights held in float32: the row sums, below 2²⁴, are
    exact), the results kept in float32."""
    n = dst.shape[1]
    lines = np.empty((2, n), np.float32)
    tags = np.array([-1, -1])
    for y in range(y0, y1):
        s0, s1, new0, new1 = _line_slots(row0[y], row1[y], tags)
        if new0:
            _horizontal_float(rows[row0[y]], xo, a0, a1, xmax, C, lines[s0])
        if new1:
            _horizontal_float(rows[row1[y]], xo, a0, a1, xmax, C, lines[s1])
        l0 = lines[s0]
        l1 = lines[s1]
        w0 = b0[y]
        w1 = b1[y]
        out = dst[y]
        if fixed:
            v0 = np.int32(w0)
            v1 = np.int32(w1)
            for x in range(n):
                out[x] = _vertical_fixed(l0[x], l1[x], v0, v1)
        elif top > 0:
            for x in range(n):
                out[x] = min(max(np.rint(l0[x] * w0 + l1[x] * w1), 0.0), top)
        else:
            for x in range(n):
                out[x] = l0[x] * w0 + l1[x] * w1


@njit(cache=True, nogil=True)
def _area_2x2_rows(rows, channels, dst, y0, y1):
    """``(Σ + 2) >> 2`` over 2×2 blocks of an integer image of 1, 3 or 4 channels, each block
    read straight from its two source rows (one pass: 20 % faster than adding the rows first);
    gray uint8 reads each pair of pixels as one uint16 (contiguous, vectorised)."""
    C = channels
    pixels = dst.shape[1] // C
    for y in range(y0, y1):
        r0 = rows[2 * y]
        r1 = rows[2 * y + 1]
        out = dst[y]
        if C == 1 and rows.itemsize == 1:
            _gray_u8_pairs(r0[:2 * pixels].view(np.uint16), r1[:2 * pixels].view(np.uint16), out)
        elif C == 3:        # constant channel counts: the channel loop unrolls
            for x in range(pixels):
                _block_mean(r0, r1, 6 * x, 3, out, 3 * x, 3)
        elif C == 4:
            for x in range(pixels):
                _block_mean(r0, r1, 8 * x, 4, out, 4 * x, 4)
        else:
            for x in range(pixels):
                _block_mean(r0, r1, 2 * x, 1, out, x, 1)


@njit(cache=True, nogil=True, inline="always")
def _block_mean(r0, r1, i, step, out, o, channels):
    """``out[o + c]`` = the rounded mean of the 2×2 block whose top-left value is ``r0[i + c]``."""
    for c in range(channels):
        out[o + c] = (np.int32(r0[i + c]) + np.int32(r0[i + step + c]) + np.int32(r1[i + c])
                      + np.int32(r1[i + step + c]) + 2) >> 2


@njit(cache=True, nogil=True, inline="always")
def _gray_u8_pairs(pairs0, pairs1, out):
    """``(Σ + 2) >> 2`` of 2×2 uint8 blocks whose rows are read as uint16 pairs of pixels."""
    for x in range(out.size):
        a = pairs0[x]
        b = pairs1[x]
        out[x] = ((a & 255) + (a >> 8) + (b & 255) + (b >> 8) + 2) >> 2


@njit(cache=True, nogil=True, parallel=True)
def _area_2x2(rows, channels, dst, threads):
    """``_area_2x2_rows`` over the whole image, one strip per thread under ``prange``.

    A 4K → 1080p shrink is ~0.2 ms of memory traffic: ``run_in_strips``'s hand-off (a helper
    thread waking and taking the GIL, ~0.1 ms) would cost half as much as the work, while
    Numba's threads take their strips in ~6 µs (measured: 0.28 ms instead of 0.41 ms; see
    ``strips`` for how a busy core is kept from stalling it).
    """
    height = dst.shape[0]
    strips = min(threads, height)      # (get_num_threads() in here would defeat the disk cache)
    per_strip = (height + strips - 1) // strips
    for strip in prange(strips):
        _area_2x2_rows(rows, channels, dst, strip * per_strip, min(height, (strip + 1) * per_strip))


@njit(cache=True, nogil=True)
def _area_blocks_rows(rows, kx, ky, channels, scale, sums, top, quarter_up, dst, y0, y1):
    """Block means ``Σ·scale`` (float32), rounded half to even and clipped to ``top`` for
    integer images (``top`` 0: float32, as is). ``sums`` gives the accumulator type. The block's
    rows are added first over the whole row (contiguous, vectorised), then its columns.
    ``quarter_up``: 2×2 blocks of float32 rows holding 8-bit values, by the uint8 rule
    ``(Σ + 2) >> 2`` of ``_area_2x2_rows`` (exact in float32), the result kept in float32."""
    C = channels
    dst_w = dst.shape[1] // C
    line = np.empty(rows.shape[1], sums.dtype)
    block = np.empty(dst.shape[1], sums.dtype)
    for y in range(y0, y1):
        first = rows[ky * y]
        for x in range(line.size):
            line[x] = first[x]
        for j in range(1, ky):
            r = rows[ky * y + j]
            for x in range(line.size):
                line[x] += r[x]
        for d in range(dst_w):
            i = d * kx * C
            for c in range(C):
                total = line[i + c]
                for k in range(1, kx):
                    total += line[i + k * C + c]
                block[d * C + c] = total
        out = dst[y]                # the rounding outside the block loops: these vectorise
        if quarter_up:
            for x in range(block.size):
                out[x] = np.floor((np.float32(block[x]) + np.float32(2)) * np.float32(0.25))
        elif top > 0:
            for x in range(block.size):
                out[x] = min(max(np.rint(np.float32(block[x]) * scale), 0.0), top)
        else:
            for x in range(block.size):
                out[x] = np.float32(block[x]) * scale


@njit(cache=True, nogil=True)
def _weigh_row(acc, buf, beta, n, first):
    """One source row's share of an area output row, in float32: ``acc = beta·buf`` for the
    output row's first source row, ``acc += beta·buf`` for the others."""
    if first:
        for x in range(n):
            acc[x] = beta * buf[x]
    else:
        for x in range(n):
            acc[x] += beta * buf[x]


@njit(cache=True, nogil=True)
def _area_general_rows(rows, xdst, xsrc, xalpha, taps, C, ysrc, yalpha, ystarts, top, dst, y0, y1):
    """``resizeArea_``: each source row's overlap-weighted sums per destination value (``buf``),
    then the rows of a cell weighted and summed (``acc``), all float32 in OpenCV's order.

    The column table is either flat, one entry per (source value, destination value) pair, as
    OpenCV's (``taps`` 0), or ``taps`` entries per destination *pixel* (its first value's
    offset, weight), padded at the end with zero weights: a fixed inner loop summing into
    registers, without the read-modify-write of ``buf`` per entry (``_area_columns`` picks).
    Either sums each value's entries in OpenCV's order (a padded ``+ 0·w`` changes nothing).
    A source row shared by two destination rows keeps its ``buf`` (the same numbers)."""
    n = dst.shape[1]
    buf = np.empty(n, np.float32)
    acc = np.empty(n, np.float32)
    held = -1
    for y in range(y0, y1):
        for j in range(ystarts[y], ystarts[y + 1]):
            if ysrc[j] != held:
                held = ysrc[j]
                src = rows[held]
                if taps > 0:
                    _area_cells(src, xsrc, xalpha, taps, C, buf)
                else:
                    buf[:] = 0
                    for k in range(xdst.size):
                        buf[xdst[k]] += np.float32(src[xsrc[k]]) * xalpha[k]
            beta = yalpha[j]
            _weigh_row(acc, buf, beta, n, j == ystarts[y])
        out = dst[y]
        if top > 0:
            for x in range(n):
                out[x] = min(max(np.rint(acc[x]), 0.0), top)
        else:
            for x in range(n):
                out[x] = acc[x]


@njit(cache=True, nogil=True)
def _area_gray_u8_rows(rows, xs, xw, taps, words, ysrc, yalpha, ystarts, dst, y0, y1):
    """``_area_general_rows`` for gray uint8, the column table tap-major (``taps`` passes of
    one entry per destination pixel, padded with zero weights): each pass adds its tap to every
    pixel's sum in a loop that gathers 16 source pixels as 32-bit words (``simd.load_u32``),
    ping-ponging between two buffers, for the first ``words`` pixels (every word inside the
    row); the rest one by one. Each pixel's sum is the same float32 sequence as OpenCV's."""
    n = dst.shape[1]
    bufs = np.empty((2, n), np.float32)
    acc = np.empty(n, np.float32)
    m = np.uint32(255)
    last = (taps - 1) % 2
    held = -1
    for y in range(y0, y1):
        for j in range(ystarts[y], ystarts[y + 1]):
            if ysrc[j] != held:
                held = ysrc[j]
                src = rows[held]
                first = bufs[0]
                for d in range(words):
                    store_apart(first, d, np.float32(load_u32(src, load_apart(xs, d)) & m) * load_apart(xw, d))
                for t in range(1, taps):
                    before = bufs[(t - 1) % 2]
                    after = bufs[t % 2]
                    for d in range(words):
                        k = t * n + d
                        store_apart(after, d, load_apart(before, d) + np.float32(load_u32(src, load_apart(xs, k)) & m)
                                    * load_apart(xw, k))
                for d in range(words, n):
                    a = np.float32(src[xs[d]]) * xw[d]
                    for t in range(1, taps):
                        a += np.float32(src[xs[t * n + d]]) * xw[t * n + d]
                    bufs[last, d] = a
            buf = bufs[last]
            beta = yalpha[j]
            _weigh_row(acc, buf, beta, n, j == ystarts[y])
        out = dst[y]
        for x in range(n):
            out[x] = min(max(np.rint(acc[x]), 0.0), 255.0)


@njit(cache=True, nogil=True, inline="always")
def _area_cells(src, xs, xw, taps, C, buf):
    """``buf`` = one source row's sums per destination value, ``taps`` entries per destination
    pixel (uint32 value offsets, float32 weights), first to last, the channels in registers
    (colour images only: see ``_area_columns``)."""
    u = np.uint64(1)
    if C == 3:
        for d in range(buf.size // 3):
            a0 = a1 = a2 = np.float32(0)
            for j in range(d * taps, (d + 1) * taps):
                o, w = np.uint64(xs[j]), xw[j]
                a0 += np.float32(src[o]) * w
                a1 += np.float32(src[o + u]) * w
                a2 += np.float32(src[o + 2 * u]) * w
            buf[3 * d], buf[3 * d + 1], buf[3 * d + 2] = a0, a1, a2
    else:
        for d in range(buf.size // C):
            for c in range(C):
                a = np.float32(0)
                for j in range(d * taps, (d + 1) * taps):
                    a += np.float32(src[np.uint64(xs[j]) + np.uint64(c)]) * xw[j]
                buf[C * d + c] = a


def _area_columns(src, alpha, starts, channels):
    """The column table of ``_area_general_rows``: for colour, padded per pixel ``(empty,
    offsets, weights, taps)`` (4K BGR, 1 thread: 0.89× cv2's time at 0.37 where the flat loop
    took 1.15×, 0.81× at 0.73 where it took 1.0×); for gray (uint16, float32: gray uint8 has
    ``_area_gray_columns``), where the padded loop measured slower in the kernel (1.3× cv2's
    at 0.37, flat 1.16×), flat per value ``(destinations, sources, weights, 0)``."""
    if channels == 1:
        return _per_value(src, alpha, starts, channels) + (0,)
    offsets, weights, taps = _padded_cells(src, alpha, starts)
    return np.empty(0, np.int32), (offsets * channels).astype(np.uint32), weights, taps


def _padded_cells(src, alpha, starts):
    """An area table padded to the same number of entries per destination pixel, ``taps``:
    each cell's entries, then copies of its last source index with weight 0 → (source
    indices, float32 weights, taps), pixel by pixel."""
    counts = np.diff(starts)
    taps = int(counts.max())
    pad = taps - counts
    last = np.repeat(starts[1:] - 1, pad)
    at = np.insert(np.arange(src.size), np.repeat(starts[1:], pad), last)
    weights = np.insert(alpha, np.repeat(starts[1:], pad), np.float32(0))
    return src[at], weights.astype(np.float32), taps


def _area_gray_columns(src, alpha, starts, width):
    """The column table of ``_area_gray_u8_rows``: the padded entries (``_padded_cells``)
    stored tap by tap (uint32 offsets, float32 weights), the number of taps, and how many
    leading pixels have every tap's 32-bit word inside a row of ``width``. 4K gray, 1 thread,
    alternating with cv2 (loaded machine): x0.37 1.07× -> 0.42× cv2's time, x0.73 0.91× -> 0.41×
    (the flat table's read-modify-write per entry, below, is left to uint16 and float32)."""
    offsets, weights, taps = _padded_cells(src, alpha, starts)
    by_pixel = offsets.reshape(-1, taps)
    words = int(np.count_nonzero(by_pixel.max(axis=1).astype(np.int64) + 4 <= width))
    return (np.ascontiguousarray(by_pixel.T).ravel().astype(np.uint32),
            np.ascontiguousarray(weights.reshape(-1, taps).T).ravel(), taps, words)


# ---------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------

def _top(dtype):
    """The largest value of an integer dtype, to round and clip to; 0 for float32 (as is)."""
    return 0.0 if dtype == np.float32 else float(np.iinfo(dtype).max)


def _block_sum_type(dtype, area):
    """int32 as OpenCV (``resizeAreaFast_<T, int>``), int64 for blocks whose sum could overflow
    it (OpenCV's would wrap: blocks of over 8 million uint8 pixels), float32 for float32."""
    if dtype == np.float32:
        return np.float32
    return np.int32 if area * np.iinfo(dtype).max < 2**31 else np.int64


def _pair(inv_scale):
    """``(fx, fy)``: ``cv2.resize``'s factors when the size came from a scale, else (None, None)."""
    return (None, None) if inv_scale is None else inv_scale


def _check(planes, out_w, out_h):
    if planes.ndim != 3 or not planes.flags.c_contiguous:
        raise ValueError("planes must be a C-contiguous (H, W, C) array")
    if out_w < 1 or out_h < 1:
        raise ValueError(f"output size must be at least 1×1, got {out_w}×{out_h}")
    H, W, C = planes.shape
    return H, W, C, np.empty((out_h, out_w, C), planes.dtype)


def resize_nearest(planes, out_w, out_h, inv_scale=None):
    """Nearest-neighbour resize of (H, W, C) ``planes`` to ``out_w × out_h``, as
    ``cv2.resize(..., interpolation=cv2.INTER_NEAREST)`` (identical for every dtype).

    Pixels are copied as bytes, so one compiled kernel serves every dtype and channel count.
    """
    H, W, C, out = _check(planes, out_w, out_h)
    pixel = C * planes.itemsize
    xofs, yofs, step, words, shifts, windows = _nearest_tables(W, H, out_w, out_h, pixel, *_pair(inv_scale))
    rows = planes.view(np.uint8).reshape(H, W * pixel)
    dst = out.view(np.uint8).reshape(out_h, out_w * pixel)
    run_in_strips(_nearest_rows, out.shape, rows, xofs, yofs, pixel, step, words, shifts, *windows, dst,
                  min_values=NEAREST_VALUES_PER_STRIP)
    return out


@lru_cache(maxsize=16)
def _nearest_tables(W, H, out_w, out_h, pixel, fx, fy):
    """The tables of a nearest resize, kept for the next call of the same geometry (as
    ``_bilinear_tables``): each output pixel's source byte offset (uint32: no wraparound test),
    each output row's source row, the byte stride of an integer shrink (0: none), how many
    32-bit words can be read (1- and 3-byte pixels: each inside the row), for gray pixels
    paired in words, the second pixel's bit offset in each pair's word, and the window tables
    of ``_nearest_windows`` (none for an integer shrink: its strided loop is faster)."""
    scale_x, _ = _scales(W, out_w, fx)
    scale_y, _ = _scales(H, out_h, fy)
    sx = np.minimum(np.floor(np.arange(out_w) * scale_x).astype(np.int64), W - 1)
    sy = np.minimum(np.floor(np.arange(out_h) * scale_y).astype(np.int64), H - 1)
    fast_x, kx = _is_integer_scale(scale_x)
    # 3-byte pixels take windows (or gathers) even for an integer shrink: 4K BGR x0.5, 2 threads,
    # windows 0.7 ms, gathers 1.3-1.5 ms, strided 1.92 ms (measured before the windows)
    step = kx * pixel if fast_x and pixel != 3 and np.array_equal(sx, kx * np.arange(out_w)) else 0
    words = int(np.count_nonzero(sx * pixel + 4 <= W * pixel)) if pixel in (1, 3) else 0
    apart = sx[1::2] - sx[:-1:2]
    shifts = np.empty(0, np.uint32)
    if pixel == 1 and apart.size and apart.max() <= 3:     # every pair inside one word
        shifts = (8 * apart).astype(np.uint32)
        words = int(np.count_nonzero(sx[:-1:2] + 4 <= W))
    windows = _nearest_windows(sx * pixel, pixel, W * pixel) if step == 0 else NO_NEAREST_WINDOWS
    return (sx * pixel).astype(np.uint32), sy.astype(np.int32), step, words, shifts, windows


def _nearest_windows(offsets, pixel, row_bytes):
    """The tables of ``simd.window_bytes`` for ``_nearest_rows``: the most pixels a group (at
    most 16 bytes of them) such that every group's pixels lie in one 16-byte window of the
    source row, where each group's window begins (uint32), the picks of its bytes (uint8, 16 a
    group: the pixels' bytes, then 128) and the number of pixels a group.

    ``NO_NEAREST_WINDOWS`` (the kernel gathers or copies bytes instead) without SSSE3, for a
    row shorter than a window or an output row shorter than a store, or for pixels of more
    than 16 bytes."""
    n = offsets.size
    if row_bytes < 16 or n * pixel < 16 or pixel > 16 or not compiles_for("ssse3"):
        return NO_NEAREST_WINDOWS
    for group in range(16 // pixel, 0, -1):
        groups = -(-n // group)
        first = np.concatenate((offsets, np.repeat(offsets[-1:], groups * group - n))).reshape(groups, group)
        starts = np.minimum(first[:, 0], row_bytes - 16)
        if (first[:, -1] + pixel - starts).max() <= 16:
            break
    picks = np.full((groups, 16), 128, np.uint8)
    for b in range(pixel):
        picks[:, b:group * pixel:pixel] = first - starts[:, None] + b
    return starts.astype(np.uint32), picks.ravel(), group


def resize_linear(planes, out_w, out_h, eight_bit=False, inv_scale=None):
    """Bilinear resize of (H, W, C) ``planes`` to ``out_w × out_h``, as
    ``cv2.resize(..., interpolation=cv2.INTER_LINEAR)``: identical on uint8. uint16 and float32
    follow OpenCV's native path (identical with ``cv2.ipp.setUseIPP(False)``); its default IPP
    path differs by ±3 of 65535 at most on uint16, a few 1e-5 on float32.

    An exact 2× shrink on both axes is an area average, as in OpenCV.

    ``eight_bit``: float32 ``planes`` holding 8-bit values, resized as their uint8 image (the
    same numbers, kept in float32). The fast guided filter shrinks a float32 guide and a uint8
    image: so one compiled kernel serves both.
    """
    H, W, C, out = _check(planes, out_w, out_h)
    fx, fy = _pair(inv_scale)
    fast_x, ix = _is_integer_scale(_scales(W, out_w, fx)[0])
    fast_y, iy = _is_integer_scale(_scales(H, out_h, fy)[0])
    if fast_x and fast_y and ix == 2 and iy == 2:
        return _resize_area(planes, out, eight_bit, inv_scale)
    return _resize_bilinear(planes, out, False, eight_bit, inv_scale)


def resize_area(planes, out_w, out_h, inv_scale=None):
    """Area resize of (H, W, C) ``planes`` to ``out_w × out_h``, as
    ``cv2.resize(..., interpolation=cv2.INTER_AREA)``: identical on uint8 and uint16.

    Shrinking averages over each destination cell (integer factors: plain block means);
    enlarging on either axis is bilinear with OpenCV's area coordinate rule.
    """
    return _resize_area(planes, _check(planes, out_w, out_h)[3], inv_scale=inv_scale)


def _resize_area(planes, out, eight_bit=False, inv_scale=None):
    H, W, C = planes.shape
    out_h, out_w, _ = out.shape
    if (H, W) == (out_h, out_w):
        out[...] = planes
        return out
    fx, fy = _pair(inv_scale)
    scale_x, _ = _scales(W, out_w, fx)
    scale_y, _ = _scales(H, out_h, fy)
    if scale_x < 1 or scale_y < 1:
        return _resize_bilinear(planes, out, True, inv_scale=inv_scale)
    rows = planes.reshape(H, W * C)
    dst = out.reshape(out_h, out_w * C)
    fast_x, kx = _is_integer_scale(scale_x)
    fast_y, ky = _is_integer_scale(scale_y)
    if fast_x and fast_y:
        # a size from a scale (fx) may hold a last column or row of blocks cut by the border
        full_w, full_h = min(out_w, W // kx), min(out_h, H // ky)
        core = out if (full_w, full_h) == (out_w, out_h) else np.empty((full_h, full_w, C), planes.dtype)
        if full_w and full_h:
            _area_blocks(rows, kx, ky, C, core, eight_bit)
        if core is not out:
            out[:full_h, :full_w] = core
            _area_cut_blocks(planes, kx, ky, full_w, full_h, out, eight_bit)
        return out
    gray_u8 = C == 1 and planes.dtype == np.uint8
    columns, (ysrc, yalpha, ystarts) = _area_tables(W, H, out_w, out_h, C, gray_u8, scale_x, scale_y)
    if gray_u8:
        run_in_strips(_area_gray_u8_rows, out.shape, rows, *columns, ysrc, yalpha, ystarts, dst,
                      min_values=MIN_VALUES_PER_STRIP // 8)
        return out
    run_in_strips(_area_general_rows, out.shape, rows, *columns, C, ysrc, yalpha, ystarts,
                  _top(planes.dtype), dst, min_values=MIN_VALUES_PER_STRIP // 8)
    return out


@lru_cache(maxsize=16)
def _area_tables(W, H, out_w, out_h, C, gray_u8, scale_x, scale_y):
    """The column table (``_area_gray_columns`` for gray uint8, else ``_area_columns``) and
    the row table of an area resize by other factors than integers, kept for the next call of
    the same geometry, as ``_bilinear_tables`` (building them costs ~0.3 ms at 4K x0.37).
    Shared between calls: the kernels only read them."""
    x = _area_table(W, out_w, scale_x)
    columns = _area_gray_columns(*x, W) if gray_u8 else _area_columns(*x, C)
    return columns, _area_table(H, out_h, scale_y)


def _area_blocks(rows, kx, ky, C, core, eight_bit):
    """The means of whole ``kx × ky`` blocks into ``core``, ``resizeAreaFast_``'s main loop."""
    dst = core.reshape(core.shape[0], -1)
    quarter_up = kx == 2 and ky == 2 and C != 2 and (eight_bit or rows.dtype != np.float32)
    if quarter_up and rows.dtype != np.float32:
        _area_2x2(rows, C, dst, get_num_threads())
    else:
        sums = np.empty(0, _block_sum_type(rows.dtype, kx * ky))
        top = 255.0 if eight_bit else _top(rows.dtype)
        run_in_strips(_area_blocks_rows, core.shape, rows, kx, ky, C, np.float32(1.0 / (kx * ky)),
                      sums, top, quarter_up, dst, min_values=MIN_VALUES_PER_STRIP)


def _area_cut_blocks(planes, kx, ky, full_w, full_h, out, eight_bit):
    """``resizeAreaFast_``'s tail: a block cut by the right or bottom border is the mean of its
    pixels inside the image, ``(float)Σ / count``, rounded half to even for integer images
    (one column and one row at most, so in numpy). Summed row by row, left to right, in
    float32 (int64 for uint8, whose ``Σ`` is an int in OpenCV: the same numbers)."""
    H, W, C = planes.shape
    out_h, out_w, _ = out.shape
    acc = np.int64 if planes.dtype == np.uint8 else np.float32
    top = 255.0 if eight_bit else _top(planes.dtype)

    def mean(y0, y1, x0, x1):       # blocks of kx columns from x0 over rows y0..y1 (clipped)
        n = (min(x1 * kx, W) - x0 * kx + kx - 1) // kx
        total = np.zeros((y1 - y0, n, C), acc)
        count = np.zeros((y1 - y0, n, 1), np.float32)
        for sy in range(ky):
            ys = np.minimum(np.arange(y0, y1) * ky + sy, H)
            inside_y = (ys < H)[:, None, None]
            for sx in range(kx):
                xs = np.arange(x0, x0 + n) * kx + sx
                inside = inside_y & (xs < W)[None, :, None]
                values = planes[np.minimum(ys, H - 1)][:, np.minimum(xs, W - 1)]
                total += np.where(inside, values, 0).astype(acc)
                count += inside
        m = total.astype(np.float32) / count
        return np.clip(np.rint(m), 0, top) if top > 0 else m

    if out_w > full_w:
        out[:full_h, full_w:] = mean(0, full_h, full_w, out_w)
    if out_h > full_h:
        out[full_h:] = mean(full_h, out_h, 0, out_w)


def _resize_bilinear(planes, out, area_mode, eight_bit=False, inv_scale=None):
    H, W, C = planes.shape
    out_h, out_w, _ = out.shape
    fixed = eight_bit or planes.dtype == np.uint8
    float_weights = planes.dtype != np.uint8
    xo, a0, a1, xmax, windows, row0, row1, b0, b1 = _bilinear_tables(W, H, out_w, out_h, C, area_mode, fixed,
                                                                     float_weights, *_pair(inv_scale))
    rows = planes.reshape(H, W * C)
    dst = out.reshape(out_h, out_w * C)
    if planes.dtype == np.uint8:
        run_in_strips(_linear_u8_rows, out.shape, rows, xo, a0, a1, xmax, C, *windows, row0, row1, b0, b1,
                      dst, min_values=MIN_VALUES_PER_STRIP)
    else:
        run_in_strips(_linear_float_rows, out.shape, rows, xo, a0, a1, xmax, C, row0, row1, b0,
                      b1, fixed, _top(planes.dtype), dst, min_values=MIN_VALUES_PER_STRIP)
    return out


@lru_cache(maxsize=16)
def _bilinear_tables(W, H, out_w, out_h, C, area_mode, fixed, float_weights, fx, fy):
    """The column and row tables of a bilinear resize, kept for the next call of the same
    geometry (building them costs 0.2-0.4 ms, as much as a 4K gray x0.37 resize itself): the
    first tap's value offset per output pixel (both taps inside the row up to ``xmax``) and
    the weights; float32 weights with ``float_weights`` (``fixed``: 11-bit, held in float32);
    for uint8 (11-bit int32 weights) the window tables of ``_bilinear_windows`` too.
    Shared between calls: the kernels only read them."""
    ofs0, ofs1, a0, a1 = linear_columns(W, out_w, 1, area_mode, fixed, fx)
    xo = (ofs0 * C).astype(np.uint32)
    xmax = int(np.count_nonzero(ofs1 > ofs0))
    row0, row1, b0, b1 = _linear_rows(H, out_h, area_mode, fixed, fy)
    if float_weights:
        a0, a1, b0, b1 = (w.astype(np.float32, copy=False) for w in (a0, a1, b0, b1))
        return xo, a0, a1, xmax, NO_BILINEAR_WINDOWS, row0, row1, b0, b1
    return xo, a0, a1, xmax, _bilinear_windows(xo, a0, a1, xmax, C, W * C), row0, row1, b0, b1


def _bilinear_windows(xo, a0, a1, xmax, C, row_bytes):
    """The tables of ``simd.window_sums`` for ``_horizontal_fixed``'s uint8 row sums: per group
    of 4 output values, where a 16-byte window of the source row holding both taps of each
    begins (uint32), each value's taps as picks into it (uint8 ``tap, 128, tap, 128``: a
    zero-extended int16 pair) and its weights (int16 pairs), the last group padded with
    weight 0. A second tap past ``xmax`` (weight 0) is picked at the first, inside the window.

    ``NO_BILINEAR_WINDOWS`` (the kernel gathers instead) on a CPU without AVX-512BW, for a row
    shorter than a window, or where some group's taps span 16 bytes or more (shrinking by
    more than about 4×)."""
    if row_bytes < 16 or not compiles_for("avx512bw"):
        return NO_BILINEAR_WINDOWS
    n = xo.size * C
    pixel = np.arange(n) // C
    first = xo.astype(np.int64)[pixel] + np.arange(n) % C
    second = np.where(pixel < xmax, first + C, first)
    groups = -(-n // 4)
    pad = 4 * groups - n
    first = np.concatenate((first, np.repeat(first[-1:], pad)))
    second = np.concatenate((second, np.repeat(second[-1:], pad)))
    starts = np.minimum(first.reshape(groups, 4).min(axis=1), row_bytes - 16)
    if (second.reshape(groups, 4).max(axis=1) - starts).max() >= 16:
        return NO_BILINEAR_WINDOWS
    picks = np.full((4 * groups, 4), 128, np.uint8)
    picks[:, 0] = first - np.repeat(starts, 4)
    picks[:, 2] = second - np.repeat(starts, 4)
    pairs = np.zeros((4 * groups, 2), np.int16)
    pairs[:n, 0] = a0[pixel]
    pairs[:n, 1] = a1[pixel]
    return starts.astype(np.uint32), picks.ravel(), pairs.ravel()
