"""Canny edges, identical to ``cv2.Canny`` (OpenCV's integer rules, ``canny.cpp``).

The steps after smoothing, as OpenCV orders them (REFERENCE_NOTES §3):

1. Gradients with BORDER_REPLICATE: for aperture 3 with L1 (cv2.Canny's default)
   ``_sobel3_l1`` in int16, otherwise ``_sobel3`` (aperture 3, L2) or ``_wide_gradients`` (5
   and 7; 7 scaled by 1/16 and rounded half to even) in int32; the magnitude in integers (L1
   ``|dx|+|dy|`` or L2 ``dx²+dy²``) and, for colour, the channel with the largest magnitude at
   each pixel (the first one on a tie).
2. ``_suppress_l1`` / ``_non_max_suppression``: the direction is quantised with ``tan 22.5° ≈
   13573 / 2^15`` (``_sector``) and the pixel must beat its two neighbours across the edge,
   with OpenCV's exact ``>`` / ``>=`` rules; magnitudes outside the image are 0, so border
   pixels can be edges.
3. The double threshold, in the same loop: candidate if ``m > low``, strong if ``m > high``.
4. ``_hysteresis``: an 8-connected flood from the strong pixels through the candidates.

Why this shape (OpenCV's own): steps 1–3 run fused, row by row, on strips of rows shared
between threads (``strips.run_in_strips``). Each strip keeps a ring of three rows of
magnitudes and directions, so no full-size dx, dy or magnitude image is ever made: the only
full-size arrays are the edge map, one byte a pixel with a one-pixel frame, which the flood
fill needs, and the output. The suppression writes each output row (255 on the strong pixels)
and pushes the strong pixels on a stack; each strip then floods its own rows, setting the
output as it goes, so there is no final pass over the map. A flood that would cross into a
neighbouring strip stops there, and one sequential pass restarts it from the rows at the strip
edges once every strip is done (when more than one ran), so the result does not depend on how the rows were split. The
channel count, the aperture and the norm are constants of the strip kernel (``edge_strip``): a
first call compiles the gradient code of its own combination only, and Numba's cache keeps
each combination apart.

What made it fast (3840×2160 gray, aperture 3, L1, one thread: ~7 ms of CPU against ~18 ms
for cv2.Canny; colour ~14 ms against ~114 ms): int16 lanes (16 a 256-bit vector) where the
values fit, kept narrow by intrinsics (``_add16`` & co.; Numba widens integer arithmetic to
int64); the sector test as one ``mulhi``; inner loops without branches, and with no select
between loaded values (LLVM turned those into gathers of single lanes: the suppression tests
every direction and selects the result, colour takes the max of packed keys); border pixels
computed apart rather than by a loop that skips the rest of the row; rows indexed rather
than sliced (each view costs atomic reference counts); edge pixels found eight map bytes at
a time; no array reallocated inside a hot loop (Numba then counts references on every
iteration, 10–50× slower).
"""

from functools import lru_cache

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ..options import BORDER_REPLICATE
from .border import border_map
from .derivatives import sobel_taps
from .strips import run_in_strips

TG22 = 13573            # round(tan(22.5°) · 2^15), OpenCV's CANNY_SHIFT = 15
NOT_EDGE, CANDIDATE, EDGE = 0, 1, 2
HORIZONTAL, VERTICAL, DIAGONAL_SAME, DIAGONAL_OPPOSITE = (np.int16(code) for code in range(4))
MIN_VALUES_PER_STRIP = 1 << 17
FIRST_ROW, LAST_ROW = 1, 2      # a strip's marks in ``seams``


def integer_thresholds(low, high, aperture, l2):
    """OpenCV's integer thresholds: swapped if ``low > high``, divided by 16 for aperture 7,
    for L2 clamped to 32767 and squared, then floored (``_floor_int32``)."""
    low, high = float(low), float(high)
    if low > high:
        low, high = high, low
    if aperture == 7:
        low, high = low / 16.0, high / 16.0
    if l2:
        low, high = min(32767.0, low), min(32767.0, high)
        low = low * low if low > 0 else low
        high = high * high if high > 0 else high
    return _floor_int32(low), _floor_int32(high)


def _floor_int32(value):
    """``cvFloor``, saturated to the int32 range: a threshold above every gradient keeps no
    edge, one below every gradient keeps every local maximum. OpenCV 5.1 saturates too; up to
    5.0 an L1 threshold ≥ 2³¹ wrapped to INT_MIN and made every local maximum an edge (see
    ``reference.canny``)."""
    return int(min(max(np.floor(value), -2.0 ** 31), 2.0 ** 31 - 1))


def _int32_op(name):
    """An int32 ``add``/``sub``/``mul``/``shl`` that stays 32 bits wide: Numba widens integer
    arithmetic to int64, which halves the lanes of a vectorised loop."""
    def typer(typingctx, a, b):
        def codegen(context, builder, signature, args):
            return getattr(builder, name)(args[0], args[1], flags=["nsw"])
        return types.int32(types.int32, types.int32), codegen
    typer.__name__ = f"_{name}32"
    return intrinsic(typer)


_add32, _sub32, _mul32, _shl32 = (_int32_op(name) for name in ("add", "sub", "mul", "shl"))


def _int16_op(name, flags=("nsw",)):
    """The int16 twin of ``_int32_op``: aperture 3 with L1 fits int16 (|dx|, |dy| ≤ 1020, the
    magnitude ≤ 2040), so its loops run 16 pixels a 256-bit vector instead of 8."""
    def typer(typingctx, a, b):
        def codegen(context, builder, signature, args):
            return getattr(builder, name)(args[0], args[1], flags=list(flags))
        return types.int16(types.int16, types.int16), codegen
    typer.__name__ = f"_{name.strip('_')}16"
    return intrinsic(typer)


_add16, _sub16, _shl16 = (_int16_op(name) for name in ("add", "sub", "shl"))
_or16, _and16, _shr16 = (_int16_op(name, ()) for name in ("or_", "and_", "ashr"))


@intrinsic
def _mulhi16(typingctx, a, b):
    """``(a · b) >> 16`` of two int16 (one ``vpmulhw`` a vector)."""
    def codegen(context, builder, signature, args):
        wide = ir.IntType(32)
        product = builder.mul(builder.sext(args[0], wide), builder.sext(args[1], wide), flags=["nsw"])
        return builder.trunc(builder.ashr(product, ir.Constant(wide, 16)), ir.IntType(16))
    return types.int16(types.int16, types.int16), codegen


# --------------------------------------------------------------------------------------------
# 1. Gradients of one row
# --------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _vertical(rows, ymap, y, smooth, deriv, vs, vd):
    """``vs``: the column sums with the smoothing taps, ``vd``: with the derivative taps
    (antisymmetric, so summed as differences of the row pairs around the centre)."""
    k = smooth.size
    half = k // 2
    n = vs.size
    p = rows[ymap[y + half]]
    a = rows[ymap[y]]
    b = rows[ymap[y + k - 1]]
    c = smooth[half]
    t = smooth[0]
    d = deriv[k - 1]
    for x in range(n):
        ax = np.int32(a[x])
        bx = np.int32(b[x])
        vs[x] = c * np.int32(p[x]) + t * (ax + bx)
        vd[x] = d * (bx - ax)
    for j in range(1, half):
        a = rows[ymap[y + j]]
        b = rows[ymap[y + k - 1 - j]]
        t = smooth[j]
        d = deriv[k - 1 - j]
        for x in range(n):
            ax = np.int32(a[x])
            bx = np.int32(b[x])
            vs[x] += t * (ax + bx)
            vd[x] += d * (bx - ax)


@njit(cache=True, nogil=True, inline="always")
def _replicate_ends(vs, vd, half, width, C):
    """Pad ``half`` pixels on each side of the interiors of ``vs`` and ``vd`` by repeating their
    first / last pixel (both in one loop: an inlined body is compiled once per call)."""
    for i in range(half):
        for c in range(C):
            vs[i * C + c] = vs[half * C + c]
            vs[(half + width + i) * C + c] = vs[(half + width - 1) * C + c]
            vd[i * C + c] = vd[half * C + c]
            vd[(half + width + i) * C + c] = vd[(half + width - 1) * C + c]


@njit(cache=True, nogil=True, inline="always")
def _horizontal(vs, vd, smooth, deriv, C, scaled, l2, gx, gy, mag):
    """``gx``: the derivative taps along the smoothed columns ``vs``, ``gy``: the smoothing
    taps along the differentiated columns ``vd``, and their magnitude ``mag``.

    Apertures 5 and 7 (3 has ``_sobel3``): the inner tap pairs are summed first; the outer
    pair, the rounding of aperture 7 and the magnitude then take one sweep.
    """
    k = smooth.size
    half = k // 2
    n = gx.size
    pc = vd[half * C:half * C + n]
    c = smooth[half]
    a = vs[0:n]
    b = vs[(k - 1) * C:(k - 1) * C + n]
    pa = vd[0:n]
    pb = vd[(k - 1) * C:(k - 1) * C + n]
    d = deriv[k - 1]
    t = smooth[0]
    for j in range(1, half):
        ia = vs[j * C:j * C + n]
        ib = vs[(k - 1 - j) * C:(k - 1 - j) * C + n]
        ipa = vd[j * C:j * C + n]
        ipb = vd[(k - 1 - j) * C:(k - 1 - j) * C + n]
        id_ = deriv[k - 1 - j]
        it = smooth[j]
        if j == 1:
            for x in range(n):
                gx[x] = id_ * (ib[x] - ia[x])
                gy[x] = c * pc[x] + it * (ipa[x] + ipb[x])
        else:
            for x in range(n):
                gx[x] += id_ * (ib[x] - ia[x])
                gy[x] += it * (ipa[x] + ipb[x])
    if scaled:
        for x in range(n):
            _store(x, _round_sixteenth(_add32(gx[x], _mul32(d, _sub32(b[x], a[x])))),
                   _round_sixteenth(_add32(gy[x], _mul32(t, _add32(pa[x], pb[x])))), l2, gx, gy, mag)
    else:
        for x in range(n):
            _store(x, _add32(gx[x], _mul32(d, _sub32(b[x], a[x]))),
                   _add32(gy[x], _mul32(t, _add32(pa[x], pb[x]))), l2, gx, gy, mag)


@njit(cache=True, nogil=True, inline="always")
def _store(x, u, v, l2, gx, gy, mag):
    """dx, dy and the L1 or L2 magnitude at ``x``, all int32 as in OpenCV (Numba's int64
    ``abs`` would halve the vector lanes: it cannot be narrowed after the fact)."""
    gx[x] = u
    gy[x] = v
    if l2:
        mag[x] = _add32(_mul32(u, u), _mul32(v, v))
    else:
        mag[x] = _add32(abs(u), abs(v))


@njit(cache=True, nogil=True, inline="always")
def _round_sixteenth(v):
    """Aperture 7: ``cvRound(v / 16)``, half to even, as cv2.Sobel with ``scale=1/16``
    rounds its int16 result."""
    q = np.int32(v >> 4)
    return _add32(q, np.int32(((v & 15) + (q & 1)) > 8))


@njit(cache=True, nogil=True, inline="always")
def _sobel3(top, mid, bottom, C, l2, gx, gy, mag):
    """Aperture 3 straight from the three source rows, ``[1 2 1]ᵀ[-1 0 1]`` and its transpose:
    no intermediate column sums, which made the two-pass form a third slower. The first and
    last pixel take the replicated border."""
    n = gx.size
    inner = n - 2 * C
    if inner > 0:
        t0, t1, t2 = top[0:inner], top[C:C + inner], top[2 * C:2 * C + inner]
        m0, m2 = mid[0:inner], mid[2 * C:2 * C + inner]
        b0, b1, b2 = bottom[0:inner], bottom[C:C + inner], bottom[2 * C:2 * C + inner]
        ox, oy, om = gx[C:C + inner], gy[C:C + inner], mag[C:C + inner]
        two = np.int32(2)
        for x in range(inner):
            tl, tc, tr = np.int32(t0[x]), np.int32(t1[x]), np.int32(t2[x])
            bl, bc, br = np.int32(b0[x]), np.int32(b1[x]), np.int32(b2[x])
            u = _add32(_add32(_sub32(tr, tl), _sub32(br, bl)),
                       _mul32(two, _sub32(np.int32(m2[x]), np.int32(m0[x]))))
            v = _add32(_add32(_sub32(bl, tl), _sub32(br, tr)), _mul32(two, _sub32(bc, tc)))
            _store(x, u, v, l2, ox, oy, om)
    W = n // C
    for j in range(min(2 * C, n)):      # the first and the last pixel's values only
        i = j if j < C else n - 2 * C + j
        pixel, c = i // C, i % C
        left = max(pixel - 1, 0) * C + c
        right = min(pixel + 1, W - 1) * C + c
        u = (np.int32(top[right]) - np.int32(top[left]) + np.int32(bottom[right]) - np.int32(bottom[left])
             + 2 * (np.int32(mid[right]) - np.int32(mid[left])))
        v = (np.int32(bottom[left]) - np.int32(top[left]) + np.int32(bottom[right]) - np.int32(top[right])
             + 2 * (np.int32(bottom[i]) - np.int32(top[i])))
        _store(i, np.int32(u), np.int32(v), l2, gx, gy, mag)


@njit(cache=True, nogil=True, inline="always")
def _strongest_of_three(gx, gy, gm, dx, dy, mag):
    """Per pixel, the channel of the largest magnitude (the first on a tie), with selects
    rather than branches so that the loop vectorises."""
    for x in range(mag.size):
        m0, m1, m2 = gm[3 * x], gm[3 * x + 1], gm[3 * x + 2]
        x0, x1, x2 = gx[3 * x], gx[3 * x + 1], gx[3 * x + 2]
        y0, y1, y2 = gy[3 * x], gy[3 * x + 1], gy[3 * x + 2]
        one = m1 > m0
        m01 = m1 if one else m0
        x01 = x1 if one else x0
        y01 = y1 if one else y0
        two = m2 > m01
        mag[x] = m2 if two else m01
        dx[x] = x2 if two else x01
        dy[x] = y2 if two else y01


@njit(cache=True, nogil=True, inline="always")
def _wide_gradients(rows, ymap, y, smooth, deriv, C, scaled, l2, vs, vd, gx, gy, mag):
    """Apertures 5 and 7 (3 has ``_sobel3``): dx, dy and magnitude of image row ``y``, each
    channel, into ``gx``, ``gy`` and ``mag``."""
    half = smooth.size // 2
    W = gx.size // C
    n = W * C
    _vertical(rows, ymap, y, smooth, deriv, vs[half * C:half * C + n], vd[half * C:half * C + n])
    _replicate_ends(vs, vd, half, W, C)
    _horizontal(vs, vd, smooth, deriv, C, scaled, l2, gx, gy, mag)


@njit(cache=True, nogil=True)
def _abs16(v):
    """``|v|`` in int16. Like ``_sector``, a function of its own rather than ``inline="always"``:
    Numba then types and lowers it once, not once a call site, and LLVM still inlines it into
    the vector loops (the machine code is the same)."""
    return _sub16(np.int16(0), v) if v < 0 else v


@njit(cache=True, nogil=True)
def _sector(u, v):
    """OpenCV's direction of the gradient (u, v) as a code for ``_suppress_l1``: HORIZONTAL if
    ``|v|·2^15 < |u|·TG22``, VERTICAL if ``|v|·2^15 > |u|·(TG22 + 2^16)``, else DIAGONAL_SAME
    (u and v of one sign, 0 counting as positive) or DIAGONAL_OPPOSITE.

    In int16: ``|u|·TG22 / 2^15`` is never a whole number for 0 < |u| < 2^15 (TG22 is odd), so
    the tests become ``|v| ≤ t`` and ``|v| > 2|u| + t`` with ``t = ⌊|u|·TG22 / 2^15⌋`` (one
    ``mulhi`` by ``2·TG22``). Only u = v = 0 is sorted otherwise (horizontal, not diagonal),
    and its magnitude 0 is never a local maximum, so it cannot matter.

    Not ``inline="always"``: Numba inlined a copy (with two of ``_abs16``) at each of its four
    call sites in ``_sobel3_l1``, ~0.4 s of CPU in a first colour call; LLVM inlines the one
    compiled function all the same.
    """
    ax = _abs16(u)
    ay = _abs16(v)
    t = _mulhi16(ax, np.int16(2 * TG22))
    same = (u < 0) == (v < 0)
    diagonal = DIAGONAL_SAME if same else DIAGONAL_OPPOSITE
    return HORIZONTAL if ay <= t else (VERTICAL if ay > _add16(_add16(ax, ax), t) else diagonal)


@njit(cache=True, nogil=True, inline="always")
def _sobel3_l1(rows, top, mid, bottom, C, ranks, out, k, sectors):
    """Aperture 3 and L1 in int16, ``[1 2 1]ᵀ[-1 0 1]`` and its transpose straight from the
    source rows ``top``, ``mid``, ``bottom`` of ``rows`` (H × W·C). Gray (C = 1): the magnitude
    ``|dx| + |dy|`` into row ``k`` of the ring ``out`` (after its 0 column) and the ``_sector``
    into row ``k`` of ``sectors``. Colour: one key a channel into ``out[0]``, ``magnitude · 16 +
    rank + sector`` (``ranks``: 8, 4, 0 for the channels 0, 1, 2), so that the largest key of a
    pixel is its strongest channel, the first one on a tie (``_strongest_l1``); magnitudes
    ≤ 2040 leave the key below 2^15.

    Rows are indexed, never sliced: a view a row cost a pair of atomic reference counts each,
    ~0.4 µs a row in all (a fifth of a 1080p frame)."""
    n = rows.shape[1]
    inner = n - 2 * C
    for x in range(max(inner, 0)):
        tl, tc, tr = np.int16(rows[top, x]), np.int16(rows[top, x + C]), np.int16(rows[top, x + 2 * C])
        bl, bc, br = np.int16(rows[bottom, x]), np.int16(rows[bottom, x + C]), np.int16(rows[bottom, x + 2 * C])
        d = _sub16(np.int16(rows[mid, x + 2 * C]), np.int16(rows[mid, x]))
        u = _add16(_add16(_sub16(tr, tl), _sub16(br, bl)), _add16(d, d))
        e = _sub16(bc, tc)
        v = _add16(_add16(_sub16(bl, tl), _sub16(br, tr)), _add16(e, e))
        m = _add16(_abs16(u), _abs16(v))
        if C == 1:
            out[k, x + 2] = m
            sectors[k, x + 1] = _sector(u, v)
        else:
            out[0, x + C] = _or16(_or16(_shl16(m, np.int16(4)), ranks[x + C]), _sector(u, v))
    W = n // C
    for j in range(min(2 * C, n)):      # the first and the last pixel's values only
        i = j if j < C else n - 2 * C + j
        pixel, c = i // C, i % C
        left = max(pixel - 1, 0) * C + c
        right = min(pixel + 1, W - 1) * C + c
        u = np.int16(np.int32(rows[top, right]) - np.int32(rows[top, left]) + np.int32(rows[bottom, right])
                     - np.int32(rows[bottom, left]) + 2 * (np.int32(rows[mid, right]) - np.int32(rows[mid, left])))
        v = np.int16(np.int32(rows[bottom, left]) - np.int32(rows[top, left]) + np.int32(rows[bottom, right])
                     - np.int32(rows[top, right]) + 2 * (np.int32(rows[bottom, i]) - np.int32(rows[top, i])))
        m = _add16(_abs16(u), _abs16(v))
        if C == 1:
            out[k, i + 1] = m
            sectors[k, i] = _sector(u, v)
        else:
            out[0, i] = _or16(_or16(_shl16(m, np.int16(4)), ranks[i]), _sector(u, v))


@njit(cache=True, nogil=True, inline="always")
def _strongest_l1(keys, mags, k, sectors):
    """Colour: per pixel, the largest of its three keys (``_sobel3_l1``) gives the magnitude
    (into row ``k`` of the ring ``mags``) and sector of its strongest channel. A max rather
    than selects: a select between loaded values became a load from selected addresses, a
    gather of single lanes (4× slower)."""
    for x in range(sectors.shape[1]):
        key = max(max(keys[0, 3 * x], keys[0, 3 * x + 1]), keys[0, 3 * x + 2])
        mags[k, x + 1] = _shr16(key, np.int16(4))
        sectors[k, x] = _and16(key, np.int16(3))


# --------------------------------------------------------------------------------------------
# 2–3. Non-maximum suppression and the double threshold, one row
# --------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _double_threshold(m, low, high, local_max):
    """A local maximum above ``low`` is a CANDIDATE (1), above ``high`` an EDGE (2)."""
    candidate = np.int32(local_max & (m > low))
    return _add32(candidate, np.int32(candidate & (m > high)))


@njit(cache=True, nogil=True)
def _non_max_suppression(up, mid, down, dx, dy, low, high, flat, words, start, edges, at, stack, n):
    """Classify one row: ``flat[start:start + W]`` (a row of the edge map, whose frame is
    ``start - 1`` and ``start + W``) gets NOT_EDGE / CANDIDATE / EDGE, the same row of the
    output (``edges[at:at + W]``) 255 on EDGE and 0 elsewhere, and each edge pixel is pushed on
    ``stack`` (``_push_edges``).
    ``words``: the same map as uint64, for the push. ``up``, ``mid``, ``down``: magnitudes
    padded with a 0 at each end. Returns (stack, n).

    OpenCV's sector test: ``|dy|·2^15 < |dx|·TG22`` is horizontal (left/right neighbours),
    ``|dy|·2^15 > |dx|·(TG22 + 2^16)`` vertical (up/down), anything else diagonal, towards
    up-left/down-right when dx and dy have the same sign (0 counts as positive), else
    up-right/down-left. The pixel must be ``>`` its first neighbour, and ``>=`` its second
    along the axes but ``>`` on diagonals.

    Written without branches, in int32: every candidate neighbour is loaded and the right pair
    selected, so the loop runs 8 pixels a vector. A branch per pixel cost a misprediction for
    each of the ~10 % of pixels above ``low`` (4× slower), and Numba's int64 arithmetic halves
    the lanes (``_mul32`` and friends keep it in 32 bits; no value here exceeds 2^31).
    """
    W = dx.size
    flat[start - 1] = NOT_EDGE
    flat[start + W] = NOT_EDGE
    labels = flat[start:start + W]
    out = edges[at:at + W]
    up_l, up_c, up_r = up[0:W], up[1:W + 1], up[2:W + 2]
    mid_l, mid_c, mid_r = mid[0:W], mid[1:W + 1], mid[2:W + 2]
    down_l, down_c, down_r = down[0:W], down[1:W + 1], down[2:W + 2]
    strong = np.int32(0)
    for x in range(W):
        m = mid_c[x]
        xs = np.int32(dx[x])
        ys = np.int32(dy[x])
        ax = np.int32(abs(xs))
        ay = np.int32(abs(ys))
        tg22x = _mul32(ax, np.int32(TG22))
        horizontal = _shl32(ay, np.int32(15)) < tg22x
        # |dy|·2^15 > |dx|·(TG22 + 2^16), rearranged so that no term leaves int32
        vertical = _shl32(_sub32(ay, _shl32(ax, np.int32(1))), np.int32(15)) > tg22x
        same_sign = (xs ^ ys) >= 0
        left, right = mid_l[x], mid_r[x]
        above, below = up_c[x], down_c[x]
        up_left, up_right, down_left, down_right = up_l[x], up_r[x], down_l[x], down_r[x]
        diagonal_before = up_left if same_sign else up_right
        diagonal_after = down_right if same_sign else down_left
        before = left if horizontal else (above if vertical else diagonal_before)
        after = right if horizontal else (below if vertical else diagonal_after)
        local_max = (m > before) & ((m > after) | ((horizontal | vertical) & (m == after)))
        label = _double_threshold(m, low, high, local_max)
        strong = _add32(strong, np.int32(label == EDGE))
        labels[x] = label
        out[x] = 255 if label == EDGE else 0
    if strong:
        if n + strong > stack.size:
            stack = _grown(stack, n + strong)
        n = _push_edges(flat, words, start, start + W, start - at, stack, n)
    return stack, n


@njit(cache=True, nogil=True)
def _suppress_l1(mags, up, mid, down, sectors, low, high, grid, image, y, flat, words, stack, n):
    """``_non_max_suppression`` for aperture 3 and L1, in int16, of image row ``y``: rows
    ``up``, ``mid``, ``down`` of the ring ``mags`` (int16 magnitudes padded with a 0 at each
    end), the ``_sector`` codes in row ``mid`` of ``sectors``, ``low`` and ``high`` the
    thresholds clamped to int16 (the magnitudes are 0–2040). Labels go to row ``y + 1`` of the
    framed edge map ``grid`` (``flat`` and ``words`` are the same map in a line and as uint64,
    for the push), 0 or 255 to row ``y`` of the output ``image``.
    Sixteen pixels a vector; a row with no edge pixel is not scanned for the push.

    (Skipping runs of 32 pixels none of which is above ``low``, as OpenCV skips them, made it
    slower: the vector loop's set-up and overlap checks, run each time, cost more than 32
    pixels.)"""
    W = sectors.shape[1]
    grid[y + 1, 0] = NOT_EDGE
    grid[y + 1, W + 1] = NOT_EDGE
    any_strong = False
    for x in range(W):
        m = mags[mid, x + 1]
        d = sectors[mid, x]
        # the four tests, then the sector's: a select between loaded neighbours became a load
        # from selected addresses, a gather of single lanes (3× slower)
        across = (m > mags[mid, x]) & (m >= mags[mid, x + 2])
        along = (m > mags[up, x + 1]) & (m >= mags[down, x + 1])
        same = (m > mags[up, x]) & (m > mags[down, x + 2])
        opposite = (m > mags[up, x + 2]) & (m > mags[down, x])
        diagonal = same if d == DIAGONAL_SAME else opposite
        local_max = across if d == HORIZONTAL else (along if d == VERTICAL else diagonal)
        candidate = local_max & (m > low)
        strong = candidate & (m > high)
        grid[y + 1, x + 1] = np.uint8(EDGE) if strong else (np.uint8(CANDIDATE) if candidate else np.uint8(NOT_EDGE))
        image[y, x] = np.uint8(255) if strong else np.uint8(0)
        any_strong |= strong
    if any_strong:
        if n + W > stack.size:
            stack = _grown(stack, n + W)
        start = (y + 1) * (W + 2) + 1
        n = _push_edges(flat, words, start, start + W, start - y * W, stack, n)
    return stack, n


EDGE_BITS = np.uint64(0x0202020202020202)     # EDGE's bit in each byte of a word


@njit(cache=True, nogil=True, inline="always")
def _entry(q, o):
    """A stack entry: the map index ``q`` and the output index ``o`` of one pixel, packed in one
    int64 (both below 2^31), so the flood writes the output without dividing by a stride."""
    return (q << 32) | o


@njit(cache=True, nogil=True)
def _push_edges(flat, words, start, end, offset, stack, n):
    """Push every map index ``start ≤ i < end`` labelled EDGE (``stack`` has room) with its
    output index ``i - offset`` (one row), eight labels at a time: edges are sparse, and a
    byte-by-byte scan cost a third of the NMS. (Blocks of 64 labels gained nothing measurable
    and compiled 0.27 s more.)"""
    i = start
    while i < end and i & 7:
        if flat[i] == EDGE:
            stack[n] = _entry(i, i - offset)
            n += 1
        i += 1
    while i + 8 <= end:
        if words[i >> 3] & EDGE_BITS:
            for j in range(i, i + 8):
                if flat[j] == EDGE:
                    stack[n] = _entry(j, j - offset)
                    n += 1
        i += 8
    while i < end:
        if flat[i] == EDGE:
            stack[n] = _entry(i, i - offset)
            n += 1
        i += 1
    return n


@njit(cache=True, nogil=True)
def _grown(stack, need):
    bigger = np.empty(max(need, 2 * stack.size), stack.dtype)
    for i in range(stack.size):     # a loop: slice assignment compiles its shape-error message (~2 s)
        bigger[i] = stack[i]
    return bigger


# --------------------------------------------------------------------------------------------
# 4. Hysteresis
# --------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _hysteresis(flat, stride, edges, stack, n, lo, hi):
    """Flood from the EDGE pixels on ``stack`` through 8-connected CANDIDATEs, only into map
    indices ``lo ≤ q < hi`` (a strip's rows); the frame of NOT_EDGE stops it at the image edge.
    Each pixel reached is set to 255 in ``edges`` (the flat output) too. Returns the stack,
    grown if the flood needed it."""
    while True:
        n = _flood(flat, stride, edges, stack, n, lo, hi)
        if n == 0:
            return stack
        stack = _grown(stack, 2 * stack.size)


@njit(cache=True, nogil=True)
def _flood(flat, stride, edges, stack, n, lo, hi):
    """The flood itself, until the stack is empty or too full for one more pixel's neighbours.
    (Growing the stack inside this loop made Numba count references on every iteration: 10×
    slower.) A neighbour's output index is its map index's offset less 2 a row (the frame)."""
    width = stride - 2
    while n > 0 and n + 8 <= stack.size:
        n -= 1
        p = stack[n] >> 32
        o = stack[n] & 0xFFFFFFFF
        for q, r in ((p - stride - 1, o - width - 1), (p - stride, o - width), (p - stride + 1, o - width + 1),
                     (p - 1, o - 1), (p + 1, o + 1),
                     (p + stride - 1, o + width - 1), (p + stride, o + width), (p + stride + 1, o + width + 1)):
            if lo <= q < hi and flat[q] == CANDIDATE:     # rows of other strips: not read
                flat[q] = EDGE
                edges[r] = 255
                stack[n] = _entry(q, r)
                n += 1
    return n


# --------------------------------------------------------------------------------------------
# The passes
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def edge_strip(channels, aperture, l2):
    """The kernel of steps 1–3 for one channel count (1 or 3), aperture and norm, compiled alone.

    They are constants of its code (closure variables, which Numba's cache keys on), so Numba
    prunes the gradient code of the other eleven combinations before compiling it: a first
    call compiles one, not all of them (a cold canny: ~2 s of compilation less). Aperture 3
    with L1 (cv2.Canny's default) runs in int16 (``_strip_l1``), the others in int32.
    """
    if aperture == 3 and not l2:
        return _strip_l1(channels)

    @njit(cache=True, nogil=True)
    def kernel(rows, smooth, deriv, ymap, low, high, flat, words, edges, grid, image, seams, y0, y1):
        """Steps 1–3 for rows ``y0 ≤ y < y1`` of the planes (``rows``: H × W·C) into the edge map
        (padded by one, ``flat``: its values in a line; ``grid``: the same in 2-D, used by
        ``_strip_l1`` only, as ``image``) and the output (``edges``, flat), then
        the flood within those rows; ``seams`` marks the strip's first and last rows for the
        final flood. They come reshaped from Python: a reshape here compiled ~0.07 s each."""
        C = channels
        H, W = rows.shape[0], rows.shape[1] // C
        half = aperture // 2
        stride = W + 2
        vs = np.empty((W + 2 * half) * C, np.int32)
        vd = np.empty((W + 2 * half) * C, np.int32)
        gx = np.empty(W * C, np.int32)
        gy = np.empty(W * C, np.int32)
        gm = np.empty(W * C, np.int32)
        dxs = np.empty((3, W), np.int32)
        dys = np.empty((3, W), np.int32)
        mags = np.empty((3, W + 2), np.int32)
        for i in range(3):      # the padding columns stay 0; every row is written before it is read
            mags[i, 0] = 0
            mags[i, W + 1] = 0
        stack = np.empty(max(1024, 4 * W), np.int64)
        n = np.int64(0)     # not the literal 0, for which each callee would compile once more
        for r in range(y0 - 1, y1 + 1):
            k = (r + 3) % 3
            if 0 <= r < H:
                # the gradients of row r: gray straight into the ring, colour into per-channel
                # rows, then the channel with the largest magnitude (the first on a tie).
                # Branches on constants: Numba drops the others before compiling them.
                dx, dy, mag = dxs[k], dys[k], mags[k, 1:W + 1]
                if aperture == 3:   # a constant C lets LLVM fold the offsets (20 % faster)
                    top, mid, bottom = rows[ymap[r]], rows[ymap[r + 1]], rows[ymap[r + 2]]
                    if channels == 1:
                        _sobel3(top, mid, bottom, 1, l2, dx, dy, mag)
                    else:
                        _sobel3(top, mid, bottom, 3, l2, gx, gy, gm)
                elif channels == 1:
                    _wide_gradients(rows, ymap, r, smooth, deriv, 1, aperture == 7, l2, vs, vd, dx, dy, mag)
                else:
                    _wide_gradients(rows, ymap, r, smooth, deriv, 3, aperture == 7, l2, vs, vd, gx, gy, gm)
                if channels == 3:
                    _strongest_of_three(gx, gy, gm, dx, dy, mag)
            else:       # a loop: np.zeros and slice assignment compiled ~0.3 s more
                for x in range(1, W + 1):
                    mags[k, x] = 0
            y = r - 1
            if y >= y0:
                stack, n = _non_max_suppression(mags[(y + 2) % 3], mags[(y + 3) % 3], mags[k],
                                                dxs[(y + 3) % 3], dys[(y + 3) % 3], low, high,
                                                flat, words, (y + 1) * stride + 1, edges, y * W, stack, n)
        seams[y0] |= FIRST_ROW
        seams[y1 - 1] |= LAST_ROW
        _hysteresis(flat, stride, edges, stack, n, (y0 + 1) * stride, (y1 + 1) * stride)
    return kernel


def _strip_l1(channels):
    """``edge_strip`` for aperture 3 and L1, every step in int16: a ring of three rows of
    magnitudes and one of sectors (``_sector``), so the suppression reads no dx or dy."""
    @njit(cache=True, nogil=True)
    def kernel(rows, smooth, deriv, ymap, low, high, flat, words, edges, grid, image, seams, y0, y1):
        """As ``edge_strip``'s kernel (``smooth`` and ``deriv`` unused: the taps are [1 2 1]
        and [-1 0 1]), with the edge map and the output as 2-D arrays too (``grid``,
        ``image``); ``low`` and ``high`` are clamped to int16, which keeps every comparison
        with a magnitude of 0–2040 as it was."""
        C = channels
        H, W = rows.shape[0], rows.shape[1] // C
        stride = W + 2
        low16 = np.int16(min(max(low, -1), 32767))
        high16 = np.int16(min(max(high, -1), 32767))
        keys = np.empty((1, W * C), np.int16)
        ranks = np.empty(W * C, np.int16)
        for i in range(W * C):
            ranks[i] = 8 - 4 * (i % C)
        sectors = np.empty((3, W), np.int16)
        mags = np.empty((3, W + 2), np.int16)
        for i in range(3):      # the padding columns stay 0; every row is written before it is read
            mags[i, 0] = 0
            mags[i, W + 1] = 0
        stack = np.empty(max(1024, 4 * W), np.int64)
        n = np.int64(0)     # not the literal 0, for which each callee would compile once more
        for r in range(y0 - 1, y1 + 1):
            k = (r + 3) % 3
            if 0 <= r < H:
                if channels == 1:
                    _sobel3_l1(rows, ymap[r], ymap[r + 1], ymap[r + 2], 1, ranks, mags, k, sectors)
                else:
                    _sobel3_l1(rows, ymap[r], ymap[r + 1], ymap[r + 2], 3, ranks, keys, k, sectors)
                    _strongest_l1(keys, mags, k, sectors)
            else:       # a loop: np.zeros and slice assignment compiled ~0.3 s more
                for x in range(1, W + 1):
                    mags[k, x] = 0
            y = r - 1
            if y >= y0:
                stack, n = _suppress_l1(mags, (y + 2) % 3, (y + 3) % 3, k, sectors, low16, high16, grid, image, y,
                                        flat, words, stack, n)
        seams[y0] |= FIRST_ROW
        seams[y1 - 1] |= LAST_ROW
        _hysteresis(flat, stride, edges, stack, n, (y0 + 1) * stride, (y1 + 1) * stride)
    return kernel


def _join_strips(edge_map, words, edges, seams):
    """Restart the flood from every edge pixel on a strip's first or last row, now over the
    whole map: the parts of edges that cross from one strip into the next. In Python (a few
    calls: two rows a strip): jitted, it compiled the flood's code once more (0.4 s)."""
    stride = edge_map.shape[1]
    W = stride - 2
    flat = edge_map.reshape(edge_map.size)
    rows = np.flatnonzero(seams)
    stack = np.empty(max(1024, rows.size * stride), np.int64)
    n = 0
    for y in rows.tolist():
        start = (y + 1) * stride + 1
        n = _push_edges(flat, words, start, start + W, start - y * W, stack, n)
    _hysteresis(flat, stride, edges, stack, n, 0, flat.size)


def canny(planes, low, high, aperture=3, l2=False):
    """Edges of (H, W, C) uint8 ``planes`` (C = 1 or 3), identical to ``cv2.Canny``.

    ``low``/``high`` are the user's thresholds (``integer_thresholds`` applies OpenCV's rules).
    Returns an (H, W) uint8 array of 0 and 255: every row is written by the suppression (255 on
    the strong pixels) and the floods add the rest, so there is no final pass over the map.
    """
    H, W, _ = planes.shape
    low, high = integer_thresholds(low, high, aperture, l2)
    half = aperture // 2
    smooth = sobel_taps(0, aperture).astype(np.int32)
    deriv = sobel_taps(1, aperture).astype(np.int32)
    ymap = border_map(H, half, half, BORDER_REPLICATE)
    size = (H + 2) * (W + 2)
    if size >= 1 << 31:
        raise ValueError(f"canny: a {W}×{H} image is too large (the flood packs indices below 2^31)")
    buffer = np.empty((size + 7) // 8 * 8, np.uint8)      # whole uint64 words, for _push_edges
    edge_map = buffer[:size].reshape(H + 2, W + 2)
    edge_map[0] = NOT_EDGE
    edge_map[H + 1] = NOT_EDGE
    seams = np.zeros(H, np.uint8)
    out = np.empty((H, W), np.uint8)
    edges = out.reshape(H * W)
    run_in_strips(edge_strip(planes.shape[2], aperture, bool(l2)), planes.shape, planes.reshape(H, -1), smooth,
                  deriv, ymap, np.int32(low), np.int32(high), buffer[:size], buffer.view(np.uint64), edges, edge_map,
                  out, seams, min_values=MIN_VALUES_PER_STRIP)
    if (seams[1:] & FIRST_ROW).any():       # a strip began after row 0: more than one ran
        _join_strips(edge_map, buffer.view(np.uint64), edges, seams)     # ~0.15 ms
    return out
