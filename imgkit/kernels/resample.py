"""Separable resampling with tap tables: ``cv2.resize`` CUBIC and LANCZOS4, and Pillow's
anti-aliased ``Image.resize``.

Every mode is the same two passes. Along each axis an output position reads ``taps`` source
positions with a weight each; the tables (built here in numpy, once per call) hold, per output
value, the clamped source index of every tap and its weight, so the hot loops have no border
branch. The horizontal pass turns a source row into a *line* of ``out_w·C`` values; a strip of
output rows keeps the last ``taps`` lines in a ring, indexed by source row, so a line is
computed once however many output rows read it (OpenCV's ``resizeGeneric`` does the same). The
vertical pass then sums ``taps`` lines, contiguous and vectorised. The horizontal taps are
gathers, which LLVM leaves scalar; uint8 LANCZOS4 (exact: its sums are integers), and the
IPP-like uint8 CUBIC when shrinking vertically, therefore run the vertical pass first, BLOCK
output rows at a time stored transposed, so that the horizontal taps become contiguous
BLOCK-wide loads; but where the taps fit 16-byte windows of the row (AVX-512BW), one or two
per 4 values, the IPP-like uint8 CUBIC picks them from these (``simd.window_taps``,
``simd.window_taps_split``, ``_rows_cubic_windows``), faster.

The arithmetic follows each reference (REFERENCE_NOTES §6):

- OpenCV CUBIC and LANCZOS4 map ``fx = (dx + 0.5)·scale − 0.5`` (rounded to float32), take
  ``sx = floor(fx)`` and weights of ``fx − sx`` in float32 (``interpolateCubic``, Keys
  a = −0.75; ``interpolateLanczos4``, sinc·sinc(x/4) normalised), source indices clamped into
  the image, weights kept. uint8 uses 11-bit weights (``saturate_cast<short>(w·2048)``) and
  exact integer lines. LANCZOS4 then sums the 8 lines in integers, ``(Σ + 2^21) >> 22``. The
  native CUBIC vertical pass converts the lines to float32 and sums ``line_k·(β_k/2^22)`` from
  the last tap to the first (``VResizeCubicVec_32s8u``), rounding half to even. The *default*
  uint8 CUBIC path is IPP's, which is closest to plain float arithmetic with float weights and
  rounding (see ``resize_cubic``). uint16 and float32: float32 weights and sums (uint16 rounded
  half to even).
- Pillow (``libImaging/Resample.c``) centres ``(x + 0.5)·scale``, widens the support by the
  downscale factor, normalises the weights, and for uint8 quantises them to 22 bits
  (``(int)(w·2^22 ± 0.5)``), rounding and clipping to uint8 after *each* pass; its mode "F"
  sums in float64 with float32 between the passes. Its tables have a variable number of taps;
  here they are padded with zero weights to the longest one.
"""

import math
from functools import lru_cache

import numpy as np
from numba import carray, njit, types
from numba.extending import overload

from .scratch import stack_buffer
from .simd import compiles_for, window_taps, window_taps_split
from .strips import run_in_strips

COEF_BITS = 11                      # OpenCV INTER_RESIZE_COEF_BITS
PIL_PRECISION_BITS = 32 - 8 - 2     # Pillow PRECISION_BITS
LANCZOS4_TAPS = 8
CUBIC_TAPS = 4

# A resampled value costs ~taps ns: a strip should hold ~0.2 ms of work (strips.py).
MIN_VALUES_PER_STRIP = 1 << 16


# --- weights --------------------------------------------------------------------------------

def opencv_positions(n_in, n_out, inv_scale=None):
    """``(sx, fx)`` of ``resizeGeneric``: ``fx = float((d + 0.5)·scale − 0.5)``, ``sx = floor(fx)``,
    ``fx −= sx`` in float32, with ``scale = 1 / inv_scale`` in double; ``inv_scale`` is
    ``cv2.resize``'s ``fx`` (or ``fy``) when given, else ``n_out / n_in`` (a ``dsize``)."""
    scale = 1.0 / (n_out / n_in if inv_scale is None else inv_scale)
    fx = ((np.arange(n_out) + 0.5) * scale - 0.5).astype(np.float32)
    sx = np.floor(fx)
    return sx.astype(np.int64), (fx - sx).astype(np.float32)


def cubic_weights(fx):
    """``interpolateCubic``: Keys a = −0.75 in float32, the last weight 1 minus the others."""
    f = np.float32
    A, x, one = f(-0.75), fx.astype(np.float32), f(1)
    w0 = ((A * (x + one) - f(5) * A) * (x + one) + f(8) * A) * (x + one) - f(4) * A
    w1 = ((A + f(2)) * x - (A + f(3))) * x * x + one
    w2 = ((A + f(2)) * (one - x) - (A + f(3))) * (one - x) * (one - x) + one
    w3 = one - w0 - w1 - w2
    return np.stack([w0, w1, w2, w3], axis=1)


_S45 = 0.70710678118654752440084436210485
_LANCZOS_CS = np.array([(1, 0), (-_S45, -_S45), (0, 1), (_S45, -_S45),
                        (-1, 0), (_S45, _S45), (0, -1), (-_S45, _S45)])


def lanczos4_weights(fx):
    """``interpolateLanczos4``: sin/cos of one angle in double (the eight sines follow from it),
    each weight rounded to float32, summed in float32, scaled by ``1/sum`` in float32; a phase
    below FLT_EPSILON gives the identity."""
    x = fx.astype(np.float64)[:, None]
    y0 = -(x + 3) * math.pi * 0.25
    s0, c0 = np.sin(y0), np.cos(y0)
    y = -(x + 3 - np.arange(8)) * math.pi * 0.25
    with np.errstate(divide="ignore", invalid="ignore"):    # phase 0: replaced below
        w = ((_LANCZOS_CS[:, 0] * s0 + _LANCZOS_CS[:, 1] * c0) / (y * y)).astype(np.float32)
    total = np.zeros(len(fx), np.float32)
    for i in range(8):                  # float32, left to right, as OpenCV's loop
        total += w[:, i]
    with np.errstate(divide="ignore", invalid="ignore"):
        w *= (np.float32(1) / total)[:, None]
    identity = fx < np.finfo(np.float32).eps
    w[identity] = 0
    w[identity, 3] = 1
    return w


def opencv_axis(n_in, n_out, weights_of, taps, inv_scale=None):
    """First source index (unclamped) and float32 weights per output position (``inv_scale``
    as in ``opencv_positions``)."""
    sx, fx = opencv_positions(n_in, n_out, inv_scale)
    return sx - (taps // 2 - 1), weights_of(fx)


def fixed_point(weights, bits=COEF_BITS):
    """``saturate_cast<short>(w·2^bits)``: round half to even."""
    return np.rint(weights * np.float32(1 << bits)).astype(np.int32)


def _pil_bilinear(x):
    x = np.abs(x)
    return np.where(x < 1.0, 1.0 - x, 0.0)


def _pil_bicubic(x):
    a = -0.5
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _sinc(x):
    with np.errstate(invalid="ignore", divide="ignore"):
        px = x * math.pi
        return np.where(x == 0.0, 1.0, np.sin(px) / px)


def _pil_lanczos(x):
    return np.where((-3.0 <= x) & (x < 3.0), _sinc(x) * _sinc(x / 3), 0.0)


PIL_FILTERS = {"linear": (_pil_bilinear, 1.0), "cubic": (_pil_bicubic, 2.0), "lanczos": (_pil_lanczos, 3.0)}


def pillow_axis(n_in, n_out, filter):
    """``precompute_coeffs``: first source index and normalised float64 weights per output
    position, padded with zero weights to Pillow's ``ksize``. As Pillow: the kernel at
    ``(x + xmin − center + 0.5)·(1/filterscale)``, each row divided by its sum taken left to right."""
    kernel, support = PIL_FILTERS[filter]
    scale = n_in / n_out
    filterscale = max(scale, 1.0)
    support *= filterscale
    ksize = int(math.ceil(support)) * 2 + 1
    center = (np.arange(n_out) + 0.5) * scale
    xmin = np.maximum((center - support + 0.5).astype(np.int64), 0)        # C casts truncate
    xmax = np.minimum((center + support + 0.5).astype(np.int64), n_in) - xmin
    k = np.arange(ksize)
    w = kernel((k + xmin[:, None] - center[:, None] + 0.5) * (1.0 / filterscale))
    w[k >= xmax[:, None]] = 0
    total = np.cumsum(w, axis=1)[:, -1:]
    w = np.divide(w, total, out=w, where=total != 0)
    return xmin, w


def pillow_fixed_point(weights):
    """``normalize_coeffs_8bpc``: ``(int)(w·2^22 ± 0.5)``, i.e. half away from zero."""
    scaled = weights * (1 << PIL_PRECISION_BITS)
    return np.trunc(np.where(scaled < 0, scaled - 0.5, scaled + 0.5)).astype(np.int32)


def column_table(first, weights, n_in, channels):
    """The horizontal tables for interleaved channels, per output value (pixel × channel):
    the offset of its first tap in a row padded by ``left`` pixels, and the tap weights.
    Returns ``(base, weights, left, padded_width)``."""
    taps = weights.shape[1]
    left = max(0, -int(first.min()))
    right = max(0, int(first.max()) + taps - n_in)
    base = ((first + left)[:, None] * channels + np.arange(channels)).reshape(-1)
    return (base.astype(np.int32), np.ascontiguousarray(np.repeat(weights, channels, axis=0)),
            left, (left + n_in + right) * channels)


# --- kernels --------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _pad_ends(row, padded, left, channels, head, tail):
    """The padded row's ends only, ``padded[:head]`` and ``padded[tail:]``: the first and last
    pixels of ``row`` repeated, channel by channel, as ``_pad_row`` pads (the windows at a row's
    ends read no other padded bytes)."""
    C, n = channels, row.size
    for i in range(head):
        padded[i] = row[min(max(i - left * C, i % C), n - C + i % C)]
    for i in range(tail, padded.size):
        padded[i] = row[min(max(i - left * C, i % C), n - C + i % C)]


@njit(cache=True, nogil=True)
def _pad_row(row, padded, left, channels):
    """``row`` with its first and last pixels repeated ``left`` times before it and up to the
    end of ``padded`` after it: the clamped reads of every tap become plain offsets."""
    C, n = channels, row.size
    for x in range(n):          # loops: slice assignment compiles its shape-error message (~1 s)
        padded[left * C + x] = row[x]
    _pad_ends(row, padded, left, C, left * C, left * C + n)


@njit(cache=True, nogil=True)
def _line(padded, base, weights, channels, line):
    """One padded source row through the horizontal taps ``padded[base + k·C]``, summed from
    the first tap to the last."""
    taps = weights.shape[1]
    C = channels
    for x in range(line.size):
        at = base[x]
        acc = padded[at] * weights[x, 0]
        for k in range(1, taps):
            acc += padded[at + k * C] * weights[x, k]
        line[x] = acc


@njit(cache=True, nogil=True)
def _line_u8(padded, base, weights, channels, line, shift):
    """Pillow's horizontal pass: the sum rounded (half up), shifted and clipped to uint8."""
    taps = weights.shape[1]
    C = channels
    half = 1 << (shift - 1)
    for x in range(line.size):
        at = base[x]
        acc = half
        for k in range(taps):
            acc += np.int32(padded[at + k * C]) * weights[x, k]
        line[x] = min(max(acc >> shift, 0), 255)


@njit(cache=True, nogil=True)
def _stale_slot(have, v, taps):
    """The ring slot of virtual source row ``v`` (``v mod taps``; ``v`` may lie outside the
    image, its line is then the clamped row's), or -1 when the slot already holds it."""
    slot = (v + 4 * taps) % taps
    if have[slot] == v:
        return -1
    have[slot] = v
    return slot


@njit(cache=True, nogil=True)
def _fill_ring(src, ring, have, first, padded, left, channels, index, weights):
    """Make sure the ring holds the lines of source rows ``first ≤ v < first + taps``."""
    taps, H = ring.shape[0], src.shape[0]
    for v in range(first, first + taps):
        slot = _stale_slot(have, v, taps)
        if slot >= 0:
            _pad_row(src[min(max(v, 0), H - 1)], padded, left, channels)
            _line(padded, index, weights, channels, ring[slot])


@njit(cache=True, nogil=True)
def _fill_ring_u8(src, ring, have, first, padded, left, channels, index, weights, shift):
    """``_fill_ring`` with Pillow's lines, rounded and clipped to uint8."""
    taps, H = ring.shape[0], src.shape[0]
    for v in range(first, first + taps):
        slot = _stale_slot(have, v, taps)
        if slot >= 0:
            _pad_row(src[min(max(v, 0), H - 1)], padded, left, channels)
            _line_u8(padded, index, weights, channels, ring[slot], shift)


@njit(cache=True, nogil=True)
def _rows_fixed(src, out, padded_width, left, channels, index, weights, first_y, weights_y, h_shift, v_shift, y0, y1):
    """Pillow's uint8: lines rounded to uint8 (``h_shift`` 22, held as int32) and an integer
    vertical sum ``(Σ + 2^(s−1)) >> s`` clipped to uint8."""
    taps = weights_y.shape[1]
    n = out.shape[1]
    ring = np.empty((taps, n), np.int32)
    padded = np.empty(padded_width, src.dtype)
    have = np.full(taps, -(1 << 30), np.int64)
    acc = np.empty(n, np.int32)
    half = np.int32(1 << (v_shift - 1))
    for y in range(y0, y1):
        first = first_y[y]
        _fill_ring_u8(src, ring, have, first, padded, left, channels, index, weights, h_shift)
        acc[:] = half
        for k in range(taps):
            line = ring[(first + k + 4 * taps) % taps]
            b = weights_y[y, k]
            for x in range(n):
                acc[x] += line[x] * b
        dst = out[y]
        for x in range(n):
            dst[x] = min(max(acc[x] >> v_shift, 0), 255)


@njit(cache=True, nogil=True)
def _rows_float(src, out, padded_width, left, channels, index, weights, first_y, weights_y, line_proto, rounded, hi, y0, y1):
    """Lines of ``line_proto``'s type, a float32 vertical sum (taps first to last), then
    rounded half to even and clipped to ``[0, hi]`` when ``rounded``: OpenCV's uint16/float32
    LANCZOS4 (CUBIC has ``_rows_cubic``, Pillow's float mode ``_rows_pillow_float``)."""
    taps = weights_y.shape[1]
    n = out.shape[1]
    ring = np.empty((taps, n), line_proto.dtype)
    padded = np.empty(padded_width, src.dtype)
    have = np.full(taps, -(1 << 30), np.int64)
    acc = np.empty(n, np.float32)
    for y in range(y0, y1):
        first = first_y[y]
        _fill_ring(src, ring, have, first, padded, left, channels, index, weights)
        dst = out[y]
        acc[:] = 0
        for k in range(taps):
            line = ring[(first + k + 4 * taps) % taps]
            b = weights_y[y, k]
            for x in range(n):
                acc[x] += np.float32(line[x]) * b
        if rounded:
            for x in range(n):
                dst[x] = min(max(np.rint(acc[x]), np.float32(0)), np.float32(hi))
        else:
            for x in range(n):
                dst[x] = acc[x]


@njit(cache=True, nogil=True)
def _pillow_line(padded, base, weights, channels, line, lo, hi):
    """Pillow's float horizontal pass: a float64 sum, first tap to last, clamped to ``[lo, hi]``
    before it is stored as float32."""
    taps = weights.shape[1]
    C = channels
    for x in range(line.size):
        at = base[x]
        acc = np.float64(padded[at]) * weights[x, 0]
        for k in range(1, taps):
            acc += np.float64(padded[at + k * C]) * weights[x, k]
        line[x] = min(max(acc, lo), hi)


@njit(cache=True, nogil=True)
def _rows_pillow_float(src, out, padded_width, left, channels, index, weights, first_y, weights_y, rounded, hi,
                       y0, y1):
    """Pillow's mode "F" (``_ImagingResample*_32bpc``): float64 weights normalised to sum 1,
    float64 sums in both passes, float32 lines between them, so a flat image stays exactly
    flat. Both sums are clamped to the float32 range (Pillow overflows to inf); uint16
    (``rounded``) is then rounded as float32 (as Pillow's result would be), half to even, and
    clipped to ``[0, hi]``."""
    taps = weights_y.shape[1]
    n = out.shape[1]
    H = src.shape[0]
    big = np.float64(np.finfo(np.float32).max)
    ring = np.empty((taps, n), np.float32)
    padded = np.empty(padded_width, src.dtype)
    have = np.full(taps, -(1 << 30), np.int64)
    acc = np.empty(n, np.float64)
    for y in range(y0, y1):
        first = first_y[y]
        for v in range(first, first + taps):
            slot = _stale_slot(have, v, taps)
            if slot >= 0:
                _pad_row(src[min(max(v, 0), H - 1)], padded, left, channels)
                _pillow_line(padded, index, weights, channels, ring[slot], -big, big)
        acc[:] = 0
        for k in range(taps):
            line = ring[(first + k + 4 * taps) % taps]
            b = weights_y[y, k]
            for x in range(n):
                acc[x] += np.float64(line[x]) * b
        dst = out[y]
        if rounded:
            for x in range(n):
                dst[x] = min(max(np.rint(np.float32(min(acc[x], big))), np.float32(0)), np.float32(hi))
        else:
            for x in range(n):
                dst[x] = min(max(acc[x], -big), big)


@njit(cache=True, nogil=True)
def _cubic_line(padded, base, w0, w1, w2, w3, channels, line):
    """``_line`` for 4 taps, one table entry per output *pixel* (``base`` in pixels, weights
    tap-major): the same sum, first tap to last, with the taps unrolled and the weights
    loaded once for all channels."""
    C = channels
    if C == 1:
        for x in range(base.size):
            at = base[x]
            line[x] = padded[at] * w0[x] + padded[at + 1] * w1[x] + padded[at + 2] * w2[x] + padded[at + 3] * w3[x]
        return
    if C == 3:          # the channel loop written out: LLVM keeps all in registers
        for x in range(base.size):
            at = base[x] * 3
            a, b, c, d = w0[x], w1[x], w2[x], w3[x]
            o = x * 3
            line[o] = padded[at] * a + padded[at + 3] * b + padded[at + 6] * c + padded[at + 9] * d
            line[o + 1] = padded[at + 1] * a + padded[at + 4] * b + padded[at + 7] * c + padded[at + 10] * d
            line[o + 2] = padded[at + 2] * a + padded[at + 5] * b + padded[at + 8] * c + padded[at + 11] * d
        return
    if C == 4:
        for x in range(base.size):
            at = base[x] * 4
            a, b, c, d = w0[x], w1[x], w2[x], w3[x]
            o = x * 4
            line[o] = padded[at] * a + padded[at + 4] * b + padded[at + 8] * c + padded[at + 12] * d
            line[o + 1] = padded[at + 1] * a + padded[at + 5] * b + padded[at + 9] * c + padded[at + 13] * d
            line[o + 2] = padded[at + 2] * a + padded[at + 6] * b + padded[at + 10] * c + padded[at + 14] * d
            line[o + 3] = padded[at + 3] * a + padded[at + 7] * b + padded[at + 11] * c + padded[at + 15] * d
        return
    for x in range(base.size):
        at = base[x] * C
        a, b, c, d = w0[x], w1[x], w2[x], w3[x]
        o = x * C
        for ch in range(C):
            line[o + ch] = (padded[at + ch] * a + padded[at + C + ch] * b
                            + padded[at + 2 * C + ch] * c + padded[at + 3 * C + ch] * d)


@njit(cache=True, nogil=True)
def _cubic_line_phased(padded, phase_base, phase_weights, channels, phases, line):
    """``_cubic_line`` for an integer upscale by ``k``: output pixel ``k·i + r`` reads source
    pixels from ``phase_base[r] + i`` with the weights of phase ``r``, so each phase is one
    contiguous loop over source values (vectorised), interleaved into the line afterwards."""
    C = channels
    k, m = phases.shape
    for r in range(k):
        o = phase_base[r] * C
        a, b = phase_weights[0, r], phase_weights[1, r]
        c, d = phase_weights[2, r], phase_weights[3, r]
        p0 = padded[o:o + m]
        p1 = padded[o + C:o + C + m]
        p2 = padded[o + 2 * C:o + 2 * C + m]
        p3 = padded[o + 3 * C:o + 3 * C + m]
        t = phases[r]
        for j in range(m):
            t[j] = p0[j] * a + p1[j] * b + p2[j] * c + p3[j] * d
    if C == 1 and k == 2:
        t0, t1 = phases[0], phases[1]
        for i in range(m):
            line[2 * i] = t0[i]
            line[2 * i + 1] = t1[i]
        return
    if C == 3 and k == 2:
        t0, t1 = phases[0], phases[1]
        for i in range(m // 3):
            s, o = 3 * i, 6 * i
            line[o], line[o + 1], line[o + 2] = t0[s], t0[s + 1], t0[s + 2]
            line[o + 3], line[o + 4], line[o + 5] = t1[s], t1[s + 1], t1[s + 2]
        return
    n = m // C
    for i in range(n):
        for r in range(k):
            o = (i * k + r) * C
            for ch in range(C):
                line[o + ch] = phases[r, i * C + ch]


@njit(cache=True, nogil=True)
def _rows_cubic(src, out, padded_width, left, channels, base, wx, phase_base, first_y, weights_y, padded_proto,
                line_proto, reverse, rounded, hi, y0, y1):
    """``_rows_float`` for OpenCV CUBIC: the 4-tap horizontal pass by ``_cubic_line``, or by
    ``_cubic_line_phased`` when ``phase_base`` is not empty (``wx`` then holds one column per
    phase), and the same fused vertical sum. ``padded_proto``'s type is the padded row's."""
    n = out.shape[1]
    C = channels
    H = src.shape[0]
    ring = np.empty((4, n), line_proto.dtype)
    # uint8 rows converted to the line type once (exact), not at every tap read
    padded = np.empty(padded_width, padded_proto.dtype)
    have = np.full(4, -(1 << 30), np.int64)
    k = phase_base.size
    phases = np.empty((k, (n // max(k, 1)) if k > 0 else 0), line_proto.dtype)
    w0, w1, w2, w3 = wx[0], wx[1], wx[2], wx[3]
    for y in range(y0, y1):
        first = first_y[y]
        for v in range(first, first + 4):
            slot = _stale_slot(have, v, 4)
            if slot >= 0:
                _pad_row(src[min(max(v, 0), H - 1)], padded, left, C)
                if k > 0:
                    _cubic_line_phased(padded, phase_base, wx, C, phases, ring[slot])
                else:
                    _cubic_line(padded, base, w0, w1, w2, w3, C, ring[slot])
        _cubic_vertical(ring, first, weights_y[y], reverse, rounded, hi, out[y])


@njit(cache=True, nogil=True)
def _cubic_vertical(ring, first, weights, reverse, rounded, hi, dst):
    """CUBIC's vertical sum of one output row from the ring's four lines (source rows
    ``first…first + 3``), in float32 from the first tap to the last (the last first when
    ``reverse``), then rounded half to even and clipped to ``[0, hi]`` when ``rounded``."""
    n = dst.size
    ks = (3, 2, 1, 0) if reverse else (0, 1, 2, 3)
    l0, l1 = ring[(first + ks[0] + 16) % 4], ring[(first + ks[1] + 16) % 4]
    l2, l3 = ring[(first + ks[2] + 16) % 4], ring[(first + ks[3] + 16) % 4]
    b0, b1, b2, b3 = weights[ks[0]], weights[ks[1]], weights[ks[2]], weights[ks[3]]
    if rounded:
        for x in range(n):
            v = (np.float32(l0[x]) * b0 + np.float32(l1[x]) * b1
                 + np.float32(l2[x]) * b2 + np.float32(l3[x]) * b3)
            dst[x] = min(max(np.rint(v), np.float32(0)), np.float32(hi))
    else:
        for x in range(n):
            dst[x] = (np.float32(l0[x]) * b0 + np.float32(l1[x]) * b1
                      + np.float32(l2[x]) * b2 + np.float32(l3[x]) * b3)


@njit(cache=True, nogil=True)
def _rows_cubic_windows(src, out, padded_width, left, channels, starts, picks, weights, inner, head, tail,
                        first_y, weights_y, y0, y1):
    """``_rows_cubic`` for IPP-like uint8 CUBIC with window tables (``_cubic_windows``): the
    horizontal pass 16 values at a time by ``simd.window_taps`` (four 16-byte windows, a
    ``vpshufb`` per tap: no gather), or ``simd.window_taps_split`` where the tables hold two
    windows per 4 values (eight a block), the same float32 products and sums as ``_cubic_line``,
    so the same lines. The blocks ``inner[0] ≤ j < inner[1]`` read the source row itself; only
    the others, at the ends, read a padded copy, of which only the ``head`` and ``tail`` bytes
    they read are written (padding the whole row cost more than the taps: 1080p gray x1.6,
    1 thread, 0.7 of 1.2 ms). Lines are rounded up to whole blocks (the tables repeat the last
    value)."""
    C = channels
    H = src.shape[0]
    blocks = weights.size // 64
    split = starts.size > 4 * blocks        # two windows per 4 values: window_taps_split's tables
    lo, hi = inner[0], inner[1]
    ring = np.empty((4, 16 * blocks), np.float32)
    padded = np.empty(padded_width, np.uint8)
    have = np.full(4, -(1 << 30), np.int64)
    for y in range(y0, y1):
        first = first_y[y]
        for v in range(first, first + 4):
            slot = _stale_slot(have, v, 4)
            if slot >= 0:
                row = src[min(max(v, 0), H - 1)]
                _pad_ends(row, padded, left, C, head, tail)
                line = ring[slot]
                for j in range(blocks):
                    source = row if lo <= j < hi else padded
                    if split:
                        window_taps_split(source, starts, picks, C, weights, line, j)
                    else:
                        window_taps(source, starts, picks, C, weights, line, j)
        _cubic_vertical(ring, first, weights_y[y], False, True, 255.0, out[y])


BLOCK = 32      # output rows per block of the vertical-first passes: LLVM's vector loop step
CHUNK = 128     # source values per tile of their transposition: BLOCK × CHUNK on the stack, in L1
TILE = BLOCK * CHUNK


@njit(cache=True, nogil=True)
def _vertical_block(src, first_y, weights_y, y0, count, columns, left, channels):
    """The vertical pass first, for ``count ≤ BLOCK`` output rows from ``y0``, stored
    transposed: ``columns[p·BLOCK + r]`` for padded source value ``p`` and row ``r``, the
    clamped border values repeated into the padding. Per tile of CHUNK source values, each
    row's taps are summed over contiguous source rows (vectorised) into a stack tile, which is
    then transposed while it sits in L1 (storing each value straight to its column, BLOCK·4
    bytes from the last, cost ~4× more)."""
    H, n = src.shape
    taps = weights_y.shape[1]
    C = channels
    o = left * C
    tile = carray(stack_buffer(TILE, columns), TILE)
    for x0 in range(0, n, CHUNK):
        m = min(CHUNK, n - x0)
        for r in range(count):
            y = y0 + r
            first = first_y[y]
            t = tile[r * CHUNK:r * CHUNK + m]
            row = src[min(max(first, 0), H - 1)][x0:x0 + m]    # src[i][a:b] is contiguous, src[i, a:b] not
            b = weights_y[y, 0]
            for x in range(m):
                t[x] = row[x] * b
            for k in range(1, taps):
                row = src[min(max(first + k, 0), H - 1)][x0:x0 + m]
                b = weights_y[y, k]
                for x in range(m):
                    t[x] += row[x] * b
        for x in range(m):
            column = columns[(o + x0 + x) * BLOCK:(o + x0 + x + 1) * BLOCK]
            for r in range(count):
                column[r] = tile[r * CHUNK + x]
    for p in range(o):
        q = (o + p % C) * BLOCK
        for r in range(BLOCK):
            columns[p * BLOCK + r] = columns[q + r]
    for p in range(o + n, columns.size // BLOCK):
        q = (o + n - C + (p - o - n) % C) * BLOCK
        for r in range(BLOCK):
            columns[p * BLOCK + r] = columns[q + r]


def _to_u8(value, half, shift):
    """A sum to uint8: ``(Σ + half) >> shift`` clipped for integer sums (OpenCV's fixed point),
    rounded half to even and clipped for float32 ones."""


@overload(_to_u8)
def _to_u8_of(value, half, shift):
    if isinstance(value, types.Integer):
        return lambda value, half, shift: min(max((value + half) >> shift, 0), 255)
    return lambda value, half, shift: min(max(np.rint(value), np.float32(0)), np.float32(255))


@njit(cache=True, nogil=True)
def _horizontal_block(columns, index, weights, channels, half, shift, block, lanes):
    """The horizontal taps of every output value over the transposed columns, first tap to
    last: ``weights[k, j]`` times the BLOCK-wide column ``index[j] + k·C``, contiguous loads (a
    slice per tap: a signed ``a + r`` index would make LLVM gather), summed in a stack
    accumulator (no alias with the columns) and stored as uint8 (``_to_u8``) in
    ``block[j·BLOCK + r]`` for the first ``lanes`` rows. ``lanes`` is the block's row count,
    known only at run time: a constant trip count was unrolled into scalars, while a run-time
    BLOCK = 32 is one step of LLVM's vector loop (4 × 8 float32 lanes)."""
    taps = weights.shape[0]
    s = channels * BLOCK
    acc = carray(stack_buffer(BLOCK, columns), BLOCK)
    w0, w1, w2, w3 = weights[0], weights[1], weights[2], weights[3]
    if taps == 4:
        for j in range(index.size):
            a = index[j] * BLOCK
            v0, v1, v2, v3 = columns[a:a + BLOCK], columns[a + s:a + s + BLOCK], \
                columns[a + 2 * s:a + 2 * s + BLOCK], columns[a + 3 * s:a + 3 * s + BLOCK]
            c0, c1, c2, c3 = w0[j], w1[j], w2[j], w3[j]
            for r in range(lanes):
                acc[r] = v0[r] * c0 + v1[r] * c1 + v2[r] * c2 + v3[r] * c3
            t = block[j * BLOCK:j * BLOCK + BLOCK]
            for r in range(lanes):
                t[r] = _to_u8(acc[r], half, shift)
        return
    w4, w5, w6, w7 = weights[4], weights[5], weights[6], weights[7]
    for j in range(index.size):
        a = index[j] * BLOCK
        v0, v1, v2, v3 = columns[a:a + BLOCK], columns[a + s:a + s + BLOCK], \
            columns[a + 2 * s:a + 2 * s + BLOCK], columns[a + 3 * s:a + 3 * s + BLOCK]
        v4, v5, v6, v7 = columns[a + 4 * s:a + 4 * s + BLOCK], columns[a + 5 * s:a + 5 * s + BLOCK], \
            columns[a + 6 * s:a + 6 * s + BLOCK], columns[a + 7 * s:a + 7 * s + BLOCK]
        c0, c1, c2, c3, c4, c5, c6, c7 = w0[j], w1[j], w2[j], w3[j], w4[j], w5[j], w6[j], w7[j]
        for r in range(lanes):
            acc[r] = (v0[r] * c0 + v1[r] * c1 + v2[r] * c2 + v3[r] * c3
                      + v4[r] * c4 + v5[r] * c5 + v6[r] * c6 + v7[r] * c7)
        t = block[j * BLOCK:j * BLOCK + BLOCK]
        for r in range(lanes):
            t[r] = _to_u8(acc[r], half, shift)


@njit(cache=True, nogil=True)
def _rows_vertical_first(src, out, padded_width, left, channels, index, weights, first_y, weights_y, columns_proto,
                         shift, y0, y1):
    """uint8 LANCZOS4, and CUBIC when shrinking vertically: the vertical pass first, BLOCK rows
    at a time (``_vertical_block``), then the horizontal taps on contiguous columns
    (``_horizontal_block``: no gathers), then the uint8 block transposed into the rows
    8×8 bytes at a time (``_untranspose``). (Enlarging, CUBIC is faster horizontal pass first, ``_rows_cubic``:
    there the vertical-first pass sums more rows than the source has.)

    LANCZOS4 (``columns_proto`` int32, ``shift`` 22): 11-bit weights and integer sums, exact in
    any order (|Σ| < 255·(Σ|w|·2^11)² < 2^31, the bound of OpenCV's own int32 lines), so the
    result is OpenCV's. CUBIC (float32): float32 weights and sums rounded half to even, IPP's
    arithmetic (``resize_cubic``), whose summation order is not OpenCV's native one either."""
    nv = out.shape[1]
    nw = (nv + 7) // 8
    columns = np.zeros(padded_width * BLOCK, columns_proto.dtype)
    block = np.zeros(nw * 8 * BLOCK, np.uint8)
    rows = np.empty(BLOCK * nw * 8, np.uint8)
    half = np.int32(1 << (shift - 1)) if shift > 0 else np.int32(0)
    for yb in range(y0, y1, BLOCK):
        count = min(BLOCK, y1 - yb)
        _vertical_block(src, first_y, weights_y, yb, count, columns, left, channels)
        _horizontal_block(columns, index, weights, channels, half, shift, block, count)
        _untranspose(block.view(np.uint64), rows.view(np.uint64), nw, (count + 7) // 8)
        for r in range(count):
            out[yb + r][:] = rows[r * nw * 8:r * nw * 8 + nv]


M4 = np.uint64(0x00000000FFFFFFFF)
M2 = np.uint64(0x0000FFFF0000FFFF)
M1 = np.uint64(0x00FF00FF00FF00FF)


@njit(cache=True, nogil=True)
def _swap(a, b, m, s):
    """One stage of an 8×8 byte transpose in two uint64 rows: the ``m`` bytes of ``b``
    shifted up by ``s`` bits into ``a``, ``a``'s upper ones down into ``b``."""
    return (a & m) | ((b & m) << s), ((a >> s) & m) | (b & ~m)


@njit(cache=True, nogil=True)
def _untranspose(block, rows, nw, groups):
    """The uint8 block ``block[j·BLOCK + r]`` into row order ``rows[r·8·nw + j]``, 8×8 bytes
    at a time in eight uint64 words (three stages of masked shifts, ~1.5 instructions a
    byte where the byte loop took 11)."""
    g4 = BLOCK // 8
    s4, s2, s1 = np.uint64(32), np.uint64(16), np.uint64(8)
    for g in range(groups):
        for q in range(nw):
            b = q * 8 * g4 + g
            w0, w1, w2, w3 = block[b], block[b + g4], block[b + 2 * g4], block[b + 3 * g4]
            w4, w5, w6, w7 = block[b + 4 * g4], block[b + 5 * g4], block[b + 6 * g4], block[b + 7 * g4]
            w0, w4 = _swap(w0, w4, M4, s4)
            w1, w5 = _swap(w1, w5, M4, s4)
            w2, w6 = _swap(w2, w6, M4, s4)
            w3, w7 = _swap(w3, w7, M4, s4)
            w0, w2 = _swap(w0, w2, M2, s2)
            w1, w3 = _swap(w1, w3, M2, s2)
            w4, w6 = _swap(w4, w6, M2, s2)
            w5, w7 = _swap(w5, w7, M2, s2)
            w0, w1 = _swap(w0, w1, M1, s1)
            w2, w3 = _swap(w2, w3, M1, s1)
            w4, w5 = _swap(w4, w5, M1, s1)
            w6, w7 = _swap(w6, w7, M1, s1)
            o = g * 8 * nw + q
            rows[o], rows[o + nw], rows[o + 2 * nw], rows[o + 3 * nw] = w0, w1, w2, w3
            rows[o + 4 * nw], rows[o + 5 * nw], rows[o + 6 * nw], rows[o + 7 * nw] = w4, w5, w6, w7


# --- public kernels -------------------------------------------------------------------------

def _run(kernel, planes, out_w, out_h, left, padded_width, *args):
    H, W, C = planes.shape
    out = np.empty((out_h, out_w, C), planes.dtype)
    src = planes.reshape(H, W * C)
    flat = out.reshape(out_h, out_w * C)
    run_in_strips(kernel, out.shape, src, flat, padded_width, left, C, *args, min_values=MIN_VALUES_PER_STRIP)
    return out


def _check(planes, out_w, out_h):
    if planes.ndim != 3 or not planes.flags.c_contiguous:
        raise ValueError("planes must be a C-contiguous (H, W, C) array")
    if out_w < 1 or out_h < 1:
        raise ValueError(f"output size must be at least 1×1, got {out_w}×{out_h}")


def cubic_column_table(first, weights, n_in):
    """The 4-tap horizontal table per output *pixel*: ``(base, weights, phase_base, left,
    padded_width)``, ``base`` the first tap's pixel in a row padded by ``left`` pixels and
    ``weights`` tap-major (4, n_out). For an upscale by an integer ``k`` whose taps repeat
    exactly every ``k`` pixels (base + 1, the same float weights), ``phase_base`` holds the
    ``k`` phases' first bases and ``weights`` only their ``k`` columns; otherwise it is empty."""
    n_out = first.size
    left = max(0, -int(first.min()))
    right = max(0, int(first.max()) + CUBIC_TAPS - n_in)
    base = (first + left).astype(np.int32)
    weights = np.ascontiguousarray(weights.T)
    k = n_out // n_in
    if k >= 2 and n_out == k * n_in:
        by_phase = base.reshape(n_in, k)
        w = weights.reshape(CUBIC_TAPS, n_in, k)
        if (np.array_equal(by_phase, by_phase[:1] + np.arange(n_in, dtype=np.int32)[:, None])
                and np.array_equal(w, np.broadcast_to(w[:, :1], w.shape))):
            return base, np.ascontiguousarray(w[:, 0]), by_phase[0].copy(), left, (left + n_in + right)
    return base, weights, np.empty(0, np.int32), left, (left + n_in + right)


NO_CUBIC_WINDOWS = (np.empty(0, np.uint32), np.empty(0, np.uint8), np.empty(0, np.float32), np.zeros(2, np.int64),
                    0, 0)


def _cubic_windows(base, weights, channels, left, row_bytes, padded_bytes):
    """The tables of ``simd.window_taps`` for ``_rows_cubic_windows``, from ``cubic_column_table``'s
    ``base`` (pixels of a row of ``row_bytes`` padded by ``left`` pixels) and tap-major ``weights``: per group of 4
    output values the start of its 16-byte window (uint32), per value the offset of its first
    tap in the window (then 3 × 128: the zero bytes that widen it to 32 bits), and per block of
    16 values the weights of each tap (float32, tap-major); the values are rounded up to whole
    blocks by repeating the last one. Then the blocks ``inner`` (a range) whose windows all lie
    inside the source row, their starts counted from the row's first byte (the others' from the
    padded row's), and the padded bytes the others read: ``[0, head)`` and ``[tail, end)``.

    Where some group's taps do not fit one window (4 values' taps span up to 3 source steps + 4
    pixels: gray shrinking by more than ~x0.27, BGR by more than x0.5; BGRA's 4 values are one
    pixel, which always fits), the tables are those of ``simd.window_taps_split``: two windows
    per group, the second from its first value past the first window's reach (per block the 4
    first windows, then the 4 second; per value a pick in each, 128 in the one it is not read
    from). ``NO_CUBIC_WINDOWS`` (``_rows_cubic`` instead) without AVX-512BW, for a padded row
    shorter than a window, or when even two do not fit (gray shrinking by more than ~x0.09)."""
    C = channels
    n = base.size * C
    if padded_bytes < 16 or not compiles_for("avx512bw"):
        return NO_CUBIC_WINDOWS
    blocks = -(-n // 16)
    v = np.minimum(np.arange(16 * blocks), n - 1)
    offsets = base[v // C].astype(np.int64) * C + v % C
    groups = offsets.reshape(-1, 4)
    reach = 15 - 3 * C              # the last first-tap offset whose 4 taps fit in a window
    starts = np.minimum(groups.min(axis=1), padded_bytes - 16)[:, None]
    picks = groups - starts
    if picks.max() > reach:
        # the offsets never decrease in a group: the values past the first window form its tail
        second = picks > reach
        later = np.where(second, groups, np.iinfo(np.int64).max).min(axis=1)
        starts = np.stack((starts[:, 0], np.minimum(np.where(second.any(axis=1), later, starts[:, 0]),
                                                    padded_bytes - 16)), axis=1)
        picks = np.stack((np.where(second, 128, picks), np.where(second, groups - starts[:, 1:], 128)), axis=1)
        if (np.where(picks < 128, picks, 0) > reach).any():     # the second clamped at the row's end
            return NO_CUBIC_WINDOWS
        starts = starts.reshape(blocks, 4, 2).transpose(0, 2, 1)        # per block: the 4 first, the 4 second
        picks = picks.reshape(blocks, 4, 2, 4).transpose(0, 2, 1, 3)
    spread = np.full(picks.shape + (4,), 128, np.uint8)
    spread[..., 0] = picks
    taps = weights[:, v // C].reshape(CUBIC_TAPS, blocks, 16).transpose(1, 0, 2)
    starts = starts.reshape(blocks, -1)
    first_byte = left * C
    inside = ((starts >= first_byte) & (starts + 16 <= first_byte + row_bytes)).all(axis=1)
    inner = np.flatnonzero(inside)        # one range: the starts never decrease
    lo, hi = (int(inner[0]), int(inner[-1]) + 1) if inner.size else (0, 0)
    head = int(starts[:lo].max()) + 16 if lo > 0 else 0
    tail = int(starts[hi:].min()) if hi < blocks else padded_bytes
    starts[lo:hi] -= first_byte
    return (starts.reshape(-1).astype(np.uint32), spread.reshape(-1),
            np.ascontiguousarray(taps, dtype=np.float32).reshape(-1), np.array([lo, hi], np.int64), head, tail)


@lru_cache(maxsize=16)
def _cubic_u8_tables(W, H, out_w, out_h, C, fx, fy):
    """The tables of IPP-like uint8 CUBIC's windowed rows, kept for the next call of the same
    geometry (building them costs 0.15-0.6 ms, a quarter of a 1080p BGR x1.6 resize on 2
    threads): ``(left, padded_bytes, windows, first_y, weights_y)``, the windows those of
    ``_cubic_windows`` (``NO_CUBIC_WINDOWS``: none; nor for an integer enlargement, whose
    phases are faster). Shared between calls: the kernel only reads them."""
    first_x, wx = opencv_axis(W, out_w, cubic_weights, CUBIC_TAPS, fx)
    first_y, wy = opencv_axis(H, out_h, cubic_weights, CUBIC_TAPS, fy)
    base, wx, phase_base, left, padded_px = cubic_column_table(first_x, wx, W)
    windows = (_cubic_windows(base, wx, C, left, W * C, padded_px * C) if phase_base.size == 0
               else NO_CUBIC_WINDOWS)
    return left, padded_px * C, windows, first_y.astype(np.int64), wy


def _opencv_resize(planes, out_w, out_h, weights_of, taps, native_u8, inv_scale=None):
    _check(planes, out_w, out_h)
    H, W, C = planes.shape
    fx, fy = (None, None) if inv_scale is None else inv_scale
    ipp_u8 = taps == CUBIC_TAPS and planes.dtype == np.uint8 and not native_u8
    if ipp_u8:
        # windows, where the taps fit, before the vertical-first pass even when shrinking: 4K
        # x0.37-0.73, 2 threads, gray 0.35-0.5x, BGR x0.5 and x0.73 0.3-0.35x its time, BGR
        # x0.37 (two windows per 4 values) 0.35-0.4x; other roundings (the sums in another
        # order), as close to IPP (tests/test_resample18.py)
        left, padded_bytes, windows, first_y, wy = _cubic_u8_tables(W, H, out_w, out_h, C, fx, fy)
        if windows[0].size > 0:
            return _run(_rows_cubic_windows, planes, out_w, out_h, left, padded_bytes, *windows, first_y, wy)
    first_x, wx = opencv_axis(W, out_w, weights_of, taps, fx)
    first_y, wy = opencv_axis(H, out_h, weights_of, taps, fy)
    first_y = first_y.astype(np.int64)
    if ipp_u8 and out_h < H:
        index, wx, left, padded_width = column_table(first_x, wx, W, C)
        return _run(_rows_vertical_first, planes, out_w, out_h, left, padded_width, index,
                    np.ascontiguousarray(wx.T), first_y, wy, np.empty(0, np.float32), 0)
    if taps == CUBIC_TAPS:
        base, wx, phase_base, left, padded_px = cubic_column_table(first_x, wx, W)
        if planes.dtype == np.uint8 and native_u8:
            # native CUBIC: 11-bit integer lines; VResizeCubicVec_32s8u sums in float32 with
            # β/2^22, last tap first
            wx, wy = fixed_point(wx), fixed_point(wy)
            wy = (wy * np.float32(1.0 / (1 << 2 * COEF_BITS))).astype(np.float32)
            line, reverse, rounded, hi = np.empty(0, np.int32), True, True, 255.0
        elif planes.dtype == np.float32:
            line, reverse, rounded, hi = np.empty(0, np.float32), False, False, 0.0
        else:
            line, reverse, rounded, hi = np.empty(0, np.float32), False, True, float(np.iinfo(planes.dtype).max)
        # uint8 · float32 is float32 but uint16 · float32 float64 in Numba: only uint8 rows
        # are converted ahead (to the line type), so the sums keep their precision
        padded = line if planes.dtype == np.uint8 else np.empty(0, planes.dtype)
        return _run(_rows_cubic, planes, out_w, out_h, left, padded_px * C, base, wx, phase_base, first_y, wy,
                    padded, line, reverse, rounded, hi)
    index, wx, left, padded_width = column_table(first_x, wx, W, C)
    if planes.dtype == np.uint8 and native_u8:
        wx, wy = fixed_point(wx), fixed_point(wy)
        return _run(_rows_vertical_first, planes, out_w, out_h, left, padded_width, index,
                    np.ascontiguousarray(wx.T), first_y, wy, np.empty(0, np.int32), 2 * COEF_BITS)
    if planes.dtype == np.float32:
        return _run(_rows_float, planes, out_w, out_h, left, padded_width, index, wx, first_y, wy,
                    np.empty(0, np.float32), False, 0.0)
    hi = float(np.iinfo(planes.dtype).max)
    return _run(_rows_float, planes, out_w, out_h, left, padded_width, index, wx, first_y, wy,
                np.empty(0, np.float32), True, hi)


def resize_cubic(planes, out_w, out_h, ipp=True, inv_scale=None):
    """``cv2.resize(..., interpolation=INTER_CUBIC)`` of (H, W, C) ``planes``; ``inv_scale``
    is ``cv2.resize``'s ``(fx, fy)`` when the size came from a scale (None: a ``dsize``).

    uint8: with ``ipp`` (OpenCV's default, IPP on) float32 weights and sums, rounded half to
    even, which matched 99.99 % of IPP's pixels (max diff 1); ``ipp=False`` reproduces
    ``cv2.ipp.setUseIPP(False)`` (11-bit weights), identical in tests. uint16/float32:
    float32 arithmetic as OpenCV's native path.
    """
    return _opencv_resize(planes, out_w, out_h, cubic_weights, CUBIC_TAPS, not ipp, inv_scale)


def resize_lanczos(planes, out_w, out_h, inv_scale=None):
    """``cv2.resize(..., interpolation=INTER_LANCZOS4)`` of (H, W, C) ``planes``: 8×8 taps,
    11-bit weights and an integer sum for uint8 (identical), float32 otherwise; ``inv_scale``
    as in ``resize_cubic``."""
    return _opencv_resize(planes, out_w, out_h, lanczos4_weights, LANCZOS4_TAPS, True, inv_scale)


def resize_antialias(planes, out_w, out_h, filter="cubic"):
    """Pillow's ``Image.resize`` with BILINEAR / BICUBIC (a = −0.5) / LANCZOS (3 lobes):
    ``filter`` is "linear", "cubic" or "lanczos". The support widens with the downscale
    factor, so shrinking anti-aliases. uint8 in Pillow's 22-bit fixed point, rounded to uint8
    after each pass; uint16 and float32 as Pillow's mode "F" (float64 sums, float32 between
    the passes, value-preserving), clamped to float32's range, uint16 rounded at the end.
    """
    _check(planes, out_w, out_h)
    if filter not in PIL_FILTERS:
        raise ValueError(f"filter must be one of {', '.join(PIL_FILTERS)}, got {filter!r}")
    H, W, C = planes.shape
    first_x, wx = pillow_axis(W, out_w, filter)
    first_y, wy = pillow_axis(H, out_h, filter)
    index, wx, left, padded_width = column_table(first_x, wx, W, C)
    first_y = first_y.astype(np.int64)
    if planes.dtype == np.uint8:
        return _run(_rows_fixed, planes, out_w, out_h, left, padded_width, index, pillow_fixed_point(wx), first_y,
                    pillow_fixed_point(wy), PIL_PRECISION_BITS, PIL_PRECISION_BITS)
    rounded = planes.dtype != np.float32
    hi = float(np.iinfo(planes.dtype).max) if rounded else 0.0
    return _run(_rows_pillow_float, planes, out_w, out_h, left, padded_width, index, wx, first_y, wy, rounded, hi)
