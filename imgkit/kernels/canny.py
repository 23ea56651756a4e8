"""Canny edges, identical to ``cv2.Canny`` (OpenCV's integer rules, ``canny.cpp``).

The steps after smoothing, as OpenCV orders them (REFERENCE_NOTES §3):

1. ``_sobel3`` (aperture 3) or ``_wide_gradients`` (5 and 7): int16 Sobel dx and dy with
   BORDER_REPLICATE (aperture 7: scaled by 1/16 and rounded half to even), the magnitude in
   integers (L1 ``|dx|+|dy|`` or L2 ``dx²+dy²``) and, for colour, the channel with the largest
   magnitude at each pixel (the first one on a tie).
2. ``_non_max_suppression``: the direction is quantised with ``tan 22.5° ≈ 13573 / 2^15`` and
   the pixel must beat its two neighbours across the edge, with OpenCV's exact ``>`` / ``>=``
   rules; magnitudes outside the image are 0, so border pixels can be edges.
3. ``_double_threshold``: candidate if ``m > low``, strong if ``m > high``.
4. ``_hysteresis``: an 8-connected flood from the strong pixels through the candidates.

Why this shape: steps 1–3 run fused, row by row, on strips of rows shared between threads
(``strips.run_in_strips``). Each strip keeps a ring of three rows of magnitudes and
gradients (as OpenCV does), so no full-size dx, dy or magnitude image is ever made: the only
full-size array is the edge map, one byte a pixel with a one-pixel frame, which the flood fill
needs. Each strip then floods its own rows; a flood that would cross into a neighbouring
strip stops there, and one sequential pass restarts it from the rows at the strip edges once
every strip is done, so the result does not depend on how the rows were split. The channel
count, the aperture and the norm are constants of the strip kernel (``edge_strip``): a first call
compiles the gradient code of its own combination only (2 s instead of 4.6 s), and Numba's cache
keeps each combination apart.

What made it fast (3840×2160 gray, aperture 3, 2 threads: ~6 ms against ~10–16 ms for
cv2.Canny): inner loops without branches (the sector test selects its neighbours instead of
branching on them), arithmetic kept in int32 where Numba would widen it to int64 and halve
the vector lanes (``_add32`` & co.), aperture 3 computed straight from the three source rows,
edge pixels found eight map bytes at a time, and no array reallocated inside a hot loop
(Numba then counts references on every iteration, 10–50× slower).
"""

from functools import lru_cache

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from ..options import BORDER_REPLICATE
from .border import border_map
from .derivatives import sobel_taps
from .strips import run_in_strips

TG22 = 13573            # round(tan(22.5°) · 2^15), OpenCV's CANNY_SHIFT = 15
NOT_EDGE, CANDIDATE, EDGE = 0, 1, 2
MIN_VALUES_PER_STRIP = 1 << 17


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
    for i in range(n):
        if C <= i < n - C:
            continue
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


# --------------------------------------------------------------------------------------------
# 2–3. Non-maximum suppression and the double threshold, one row
# --------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _double_threshold(m, low, high, local_max):
    """A local maximum above ``low`` is a CANDIDATE (1), above ``high`` an EDGE (2)."""
    candidate = np.int32(local_max & (m > low))
    return _add32(candidate, np.int32(candidate & (m > high)))


@njit(cache=True, nogil=True)
def _non_max_suppression(up, mid, down, dx, dy, low, high, flat, words, start, stack, n):
    """Classify one row: ``flat[start:start + W]`` (a row of the edge map, whose frame is
    ``start - 1`` and ``start + W``) gets NOT_EDGE / CANDIDATE / EDGE, and the flat index of
    each edge pixel is pushed on ``stack``. ``words``: the same map as uint64, for the push.
    ``up``, ``mid``, ``down``: magnitudes padded with a 0 at each end. Returns (stack, n).

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
    if strong:
        if n + strong > stack.size:
            stack = _grown(stack, n + strong)
        n = _push_edges(flat, words, start, start + W, stack, n)
    return stack, n


EDGE_BITS = np.uint64(0x0202020202020202)     # EDGE's bit in each byte of a word


@njit(cache=True, nogil=True)
def _push_edges(flat, words, start, end, stack, n):
    """Push every flat index ``start ≤ i < end`` labelled EDGE (``stack`` has room), eight
    labels at a time: edges are sparse, and a byte-by-byte scan cost a third of the NMS."""
    i = start
    while i < end and i & 7:
        if flat[i] == EDGE:
            stack[n] = i
            n += 1
        i += 1
    while i + 8 <= end:
        if words[i >> 3] & EDGE_BITS:
            for j in range(i, i + 8):
                if flat[j] == EDGE:
                    stack[n] = j
                    n += 1
        i += 8
    while i < end:
        if flat[i] == EDGE:
            stack[n] = i
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
def _hysteresis(flat, stride, stack, n, lo, hi):
    """Flood from the EDGE pixels on ``stack`` through 8-connected CANDIDATEs, only into flat
    indices ``lo ≤ q < hi`` (a strip's rows); the frame of NOT_EDGE stops it at the image edge.
    Returns the stack, grown if the flood needed it."""
    while True:
        n = _flood(flat, stride, stack, n, lo, hi)
        if n == 0:
            return stack
        stack = _grown(stack, 2 * stack.size)


@njit(cache=True, nogil=True)
def _flood(flat, stride, stack, n, lo, hi):
    """The flood itself, until the stack is empty or too full for one more pixel's neighbours.
    (Growing the stack inside this loop made Numba count references on every iteration: 10×
    slower.)"""
    while n > 0 and n + 8 <= stack.size:
        n -= 1
        p = stack[n]
        for q in (p - stride - 1, p - stride, p - stride + 1, p - 1, p + 1,
                  p + stride - 1, p + stride, p + stride + 1):
            if lo <= q < hi and flat[q] == CANDIDATE:     # rows of other strips: not read
                flat[q] = EDGE
                stack[n] = q
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
    call compiles one, not all of them (a cold canny: ~2 s of compilation less).
    """
    @njit(cache=True, nogil=True)
    def kernel(rows, smooth, deriv, ymap, low, high, flat, words, seams, y0, y1):
        """Steps 1–3 for rows ``y0 ≤ y < y1`` of the planes (``rows``: H × W·C) into the edge map
        (padded by one, ``flat``: its values in a line), then the flood within those rows;
        ``seams`` marks the strip's first and last rows for the final flood. Both come reshaped
        from Python: a reshape here compiled ~0.07 s each."""
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
                                                flat, words, (y + 1) * stride + 1, stack, n)
        seams[y0] = 1
        seams[y1 - 1] = 1
        _hysteresis(flat, stride, stack, n, (y0 + 1) * stride, (y1 + 1) * stride)
    return kernel


def _join_strips(edge_map, words, seams):
    """Restart the flood from every edge pixel on a strip's first or last row, now over the
    whole map: the parts of edges that cross from one strip into the next. In Python (a few
    calls: two rows a strip): jitted, it compiled the flood's code once more (0.4 s)."""
    stride = edge_map.shape[1]
    flat = edge_map.reshape(edge_map.size)
    rows = np.flatnonzero(seams)
    stack = np.empty(max(1024, rows.size * stride), np.int64)
    n = 0
    for y in rows.tolist():
        n = _push_edges(flat, words, (y + 1) * stride + 1, (y + 2) * stride - 1, stack, n)
    _hysteresis(flat, stride, stack, n, 0, flat.size)


@njit(cache=True, nogil=True)
def _to_edges(edge_map, out, y0, y1):
    """EDGE → 255, anything else → 0."""
    W = out.shape[1]
    for y in range(y0, y1):
        row = edge_map[y + 1, 1:W + 1]
        dst = out[y]
        for x in range(W):
            dst[x] = (row[x] >> 1) * 255


def canny(planes, low, high, aperture=3, l2=False):
    """Edges of (H, W, C) uint8 ``planes`` (C = 1 or 3), identical to ``cv2.Canny``.

    ``low``/``high`` are the user's thresholds (``integer_thresholds`` applies OpenCV's rules).
    Returns an (H, W) uint8 array of 0 and 255.
    """
    H, W, _ = planes.shape
    low, high = integer_thresholds(low, high, aperture, l2)
    half = aperture // 2
    smooth = sobel_taps(0, aperture).astype(np.int32)
    deriv = sobel_taps(1, aperture).astype(np.int32)
    ymap = border_map(H, half, half, BORDER_REPLICATE)
    size = (H + 2) * (W + 2)
    buffer = np.empty((size + 7) // 8 * 8, np.uint8)      # whole uint64 words, for _push_edges
    edge_map = buffer[:size].reshape(H + 2, W + 2)
    edge_map[0] = NOT_EDGE
    edge_map[H + 1] = NOT_EDGE
    seams = np.zeros(H, np.uint8)
    run_in_strips(edge_strip(planes.shape[2], aperture, bool(l2)), planes.shape, planes.reshape(H, -1), smooth,
                  deriv, ymap, np.int32(low), np.int32(high), buffer[:size], buffer.view(np.uint64), seams,
                  min_values=MIN_VALUES_PER_STRIP)
    _join_strips(edge_map, buffer.view(np.uint64), seams)     # ~30 µs at 4K: always
    out = np.empty((H, W), np.uint8)
    run_in_strips(_to_edges, (H, W, 1), edge_map, out, min_values=1 << 20)
    return out
