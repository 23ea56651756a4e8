"""He's guided filter as two passes of running box sums, fused per strip of rows.

The filter (He, Sun & Tang 2013) is, with means over (2r+1)² windows (BORDER_REFLECT, as
``cv2.ximgproc.guidedFilter``):

1. the window means of the guide I and the source p: of I, I·Iᵀ, p and I·p (the *statistics*);
2. per pixel, a = (Σ + εU)⁻¹ cov(I, p) and b = mean p − a·mean I (Σ: the guide's covariance);
3. q = mean(a)·I + mean(b).

OpenCV computes this with ~30 full-size float32 images and as many box filters. Here each strip
of output rows keeps running *column* sums of the statistics (per row, one image row added and
one dropped: two operations a value whatever r), runs a window along each row of them (again
two operations a value), solves every pixel's coefficients, and keeps the coefficient rows in a
ring of 2r + 2 rows whose own running column and row sums give step 3. No full-size temporary
exists; a strip recomputes the 2r coefficient rows it shares with its neighbours, so strips are
made at least ``ROWS_PER_RADIUS``·r rows tall.

Everything is stored *statistic-major* (one row of W values per statistic or coefficient), so
the column sums, the solve and the output run as plain vectorised loops over x; only the row
windows are serial in x.

Statistics are summed in float64: exact for 8- and 16-bit images (integer sums below 2⁵³), and
free of the float32 cancellation in E[I²] − E[I]² that makes OpenCV's result differ from the
exact one by up to ~1e-2 on 0–255 data. Coefficient rows are kept in float32 (as OpenCV keeps
them), their sums in float64.

Statistics: [I, I², p₀, I·p₀, p₁, I·p₁, …] for a gray guide; [I₀, I₁, I₂, I₀², I₀I₁, I₀I₂, I₁²,
I₁I₂, I₂², p₀, I₀p₀, I₁p₀, I₂p₀, p₁, …] for a colour one, fewer when the image guides itself
(``statistics_plan``). Coefficients:
[a₀, b₀, a₁, b₁, …] and [a₀₀, a₀₁, a₀₂, b₀, a₁₀, …], one group per source channel.
"""

import numpy as np
from numba import carray, njit

from .resize import linear_columns
from .scratch import stack_buffer
from .strips import run_in_strips

MIN_PIXELS_PER_STRIP = 1 << 15      # ~20 ns a pixel: a strip of ≥ 0.7 ms
ROWS_PER_RADIUS = 16                # a strip recomputes 2r coefficient rows: keep that ≤ 1/8 of it
BLOCK = 256                         # pixels a stack buffer holds (see _solve_colour)


def inner(**options):
    """``njit`` for a helper that only jitted code calls: without the CPython and C entry points
    that Numba builds for every jitted function by default (~35 ms of compilation each)."""
    return njit(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, **options)


def statistics_plan(guide_channels, src_channels, self_guided):
    """Which statistics to sum and where the solve finds them.

    Returns ``factors`` (2, K): for each statistic the two channels it multiplies (-1: none, the
    plain value), channels numbered guide first (0 … cg−1), then source (cg + c); and ``where``
    (cp, cg + 1): for each source channel c, the rows of p_c and of I_i·p_c. When the image is
    its own guide (``self_guided``) its first channels *are* the guide's, so p_c and I_i·p_c are
    statistics of the guide already: a colour image then sums 9 statistics instead of 21, a gray
    one 2 instead of 4.
    """
    cg = guide_channels
    pairs = [(i, -1) for i in range(cg)] + [(i, j) for i in range(cg) for j in range(i, cg)]
    where = np.empty((src_channels, cg + 1), np.int64)
    for c in range(src_channels):
        channel = c if self_guided and c < cg else cg + c
        wanted = [(channel, -1)] + [(min(i, channel), max(i, channel)) for i in range(cg)]
        for slot, pair in enumerate(wanted):
            if pair not in pairs:
                pairs.append(pair)
            where[c, slot] = pairs.index(pair)
    return np.array(pairs, np.int64).T.copy(), where


def coefficients_count(guide_channels, src_channels):
    return src_channels * (guide_channels + 1)


# ---------------------------------------------------------------------------------------------
# Rows in, statistic-major
# ---------------------------------------------------------------------------------------------

@inner()
def _channels(guide, src, cg, row, with_source, values):
    """Row ``row`` of the guide's first ``cg`` channels and, if ``with_source``, of every source
    channel, as float64 rows of ``values`` (channel-major)."""
    W = src.shape[1]
    for i in range(cg):
        g = guide[row, :, i]
        v = values[i]
        for x in range(W):
            v[x] = g[x]
    for c in range(src.shape[2] if with_source else 0):
        p = src[row, :, c]
        v = values[cg + c]
        for x in range(W):
            v[x] = p[x]


@inner()
def _slide_statistics(first, second, entering, leaving, columns, r):
    """Column sums one row down: statistics of ``entering`` added, of ``leaving`` dropped (zeros:
    nothing dropped, as while the first window is summed; one function less to compile)."""
    W = entering.shape[1]
    for k in range(first.size):
        out = columns[k, r:r + W]
        u, u_old = entering[first[k]], leaving[first[k]]
        if second[k] < 0:
            for x in range(W):
                out[x] += u[x] - u_old[x]
        else:
            v, v_old = entering[second[k]], leaving[second[k]]
            for x in range(W):
                out[x] += u[x] * v[x] - u_old[x] * v_old[x]


# ---------------------------------------------------------------------------------------------
# Windows along a row
# ---------------------------------------------------------------------------------------------

@inner()
def _pad(lines, xmap, r):
    """Fill the r values each side of every padded row of ``lines`` (W + 2r values, and one
    spare that the running sums read past the last pixel) by reflection."""
    W = lines.shape[1] - 2 * r - 1
    for k in range(lines.shape[0]):
        line = lines[k]
        for i in range(r):
            line[i] = line[r + xmap[i]]
            line[r + W + i] = line[r + xmap[r + W + i]]


@inner()
def _row_means(lines, r, scale, means):
    """``means[k][x] = scale · Σ_{i ≤ 2r} lines[k][x + i]`` by a running sum along each row.

    (Four running sums at a time, pieces of rows interleaved to keep four adds in flight, ran
    no faster here, 0.5 ns a value either way, and cost 0.5 s more to compile.)"""
    n = 2 * r + 1
    W = means.shape[1]
    for k in range(means.shape[0]):
        line, m = lines[k], means[k]
        s = 0.0
        for i in range(n):
            s += line[i]
        for x in range(W):
            m[x] = s * scale
            s += line[x + n] - line[x]


# ---------------------------------------------------------------------------------------------
# Step 2: the coefficients of one row
# ---------------------------------------------------------------------------------------------

@inner(error_model="numpy")   # no zero-division branch: the divisions vectorise
def _solve_gray(m, where, eps, coefficients):
    """a = cov(I, p) / (var I + ε), b = mean p − a·mean I, from the window means ``m``."""
    mean_i, mean_ii = m[0], m[1]
    W = m.shape[1]
    for c in range(where.shape[0]):
        mean_p, mean_ip = m[where[c, 0]], m[where[c, 1]]
        a_row, b_row = coefficients[2 * c], coefficients[2 * c + 1]
        for x in range(W):
            a = (mean_ip[x] - mean_i[x] * mean_p[x]) / (mean_ii[x] - mean_i[x] * mean_i[x] + eps)
            a_row[x] = a
            b_row[x] = mean_p[x] - a * mean_i[x]


@inner(error_model="numpy")   # no zero-division branch: the divisions vectorise
def _solve_colour(m, where, eps, coefficients):
    """a = (Σ + εU)⁻¹ cov(I, p) by the adjugate over the determinant (as OpenCV), b = mean p − a·mean I.

    OpenCV replaces a determinant below 1e-6 by 1 when ε < 1e-2: a guard against ε = 0, which
    is not allowed here (Σ + εU is then positive definite, its determinant ≥ ε³ > 0). Copying it
    would only spoil the result where a nearly singular Σ meets a small ε (float32 guides in 0–1).

    Blocks of ``BLOCK`` pixels go through stack buffers: LLVM then knows that what a loop
    writes aliases nothing it reads, and vectorises each step (with a dozen rows in and out of
    the heap, the run-time overlap checks are too many and it would not)."""
    W = m.shape[1]
    n00 = carray(stack_buffer(BLOCK, np.float64), BLOCK)
    n01 = carray(stack_buffer(BLOCK, np.float64), BLOCK)
    n02 = carray(stack_buffer(BLOCK, np.float64), BLOCK)
    n11 = carray(stack_buffer(BLOCK, np.float64), BLOCK)
    n12 = carray(stack_buffer(BLOCK, np.float64), BLOCK)
    n22 = carray(stack_buffer(BLOCK, np.float64), BLOCK)
    a0 = carray(stack_buffer(BLOCK, np.float64), BLOCK)
    a1 = carray(stack_buffer(BLOCK, np.float64), BLOCK)
    a2 = carray(stack_buffer(BLOCK, np.float64), BLOCK)
    b = carray(stack_buffer(BLOCK, np.float64), BLOCK)
    for x0 in range(0, W, BLOCK):
        n = BLOCK if W - x0 > BLOCK else W - x0
        m0, m1, m2 = m[0, x0:x0 + n], m[1, x0:x0 + n], m[2, x0:x0 + n]
        m00, m01, m02 = m[3, x0:x0 + n], m[4, x0:x0 + n], m[5, x0:x0 + n]
        m11, m12, m22 = m[6, x0:x0 + n], m[7, x0:x0 + n], m[8, x0:x0 + n]
        for x in range(n):
            s00 = m00[x] - m0[x] * m0[x] + eps
            s01 = m01[x] - m0[x] * m1[x]
            s02 = m02[x] - m0[x] * m2[x]
            s11 = m11[x] - m1[x] * m1[x] + eps
            s12 = m12[x] - m1[x] * m2[x]
            s22 = m22[x] - m2[x] * m2[x] + eps
            j00 = s11 * s22 - s12 * s12
            j01 = s02 * s12 - s01 * s22
            j02 = s01 * s12 - s02 * s11
            d = 1.0 / (s00 * j00 + s01 * j01 + s02 * j02)
            n00[x] = j00 * d
            n01[x] = j01 * d
            n02[x] = j02 * d
            n11[x] = (s00 * s22 - s02 * s02) * d
            n12[x] = (s01 * s02 - s00 * s12) * d
            n22[x] = (s00 * s11 - s01 * s01) * d
        for c in range(where.shape[0]):
            mean_p, e0 = m[where[c, 0], x0:x0 + n], m[where[c, 1], x0:x0 + n]
            e1, e2 = m[where[c, 2], x0:x0 + n], m[where[c, 3], x0:x0 + n]
            for x in range(n):
                c0 = e0[x] - m0[x] * mean_p[x]
                c1 = e1[x] - m1[x] * mean_p[x]
                c2 = e2[x] - m2[x] * mean_p[x]
                a0[x] = n00[x] * c0 + n01[x] * c1 + n02[x] * c2
                a1[x] = n01[x] * c0 + n11[x] * c1 + n12[x] * c2
                a2[x] = n02[x] * c0 + n12[x] * c1 + n22[x] * c2
                b[x] = mean_p[x] - a0[x] * m0[x] - a1[x] * m1[x] - a2[x] * m2[x]
            _store(a0, coefficients[4 * c, x0:x0 + n])
            _store(a1, coefficients[4 * c + 1, x0:x0 + n])
            _store(a2, coefficients[4 * c + 2, x0:x0 + n])
            _store(b, coefficients[4 * c + 3, x0:x0 + n])


@inner()
def _store(block, row):
    for x in range(row.size):
        row[x] = block[x]


# ---------------------------------------------------------------------------------------------
# Step 3: the output row
# ---------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def apply_row(means, guide, src, row, cg, enhance, top, values, q, out_row):
    """q = mean(a)·I + mean(b) from the coefficients' means ``means`` ((cg+1)·cp rows of W) for
    image row ``row``; with ``enhance`` K ≠ 0, p + K·(p − q); rounded half to even and saturated
    to ``top`` for integer outputs (``top`` = 0: float32, kept as is)."""
    cp = src.shape[2]
    W = src.shape[1]
    _channels(guide, src, cg, row, enhance != 0.0, values)
    for c in range(cp):
        if cg == 1:
            ma, mb, g = means[2 * c], means[2 * c + 1], values[0]
            for x in range(W):
                q[x] = ma[x] * g[x] + mb[x]
        else:
            k = 4 * c
            ma0, ma1, ma2, mb = means[k], means[k + 1], means[k + 2], means[k + 3]
            g0, g1, g2 = values[0], values[1], values[2]
            for x in range(W):
                q[x] = ma0[x] * g0[x] + ma1[x] * g1[x] + ma2[x] * g2[x] + mb[x]
        if enhance != 0.0:
            p = values[cg + c]
            for x in range(W):
                q[x] = p[x] + enhance * (p[x] - q[x])
        if top > 0.0:
            for x in range(W):
                out_row[x, c] = min(max(np.rint(q[x]), 0.0), top)
        else:
            for x in range(W):
                out_row[x, c] = q[x]


# ---------------------------------------------------------------------------------------------
# One strip
# ---------------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _guided_rows(guide, src, cg, first, second, with_source, gray_where, colour_where, r, eps, enhance, top,
                 xmap, ymap, out, means_out, y0, y1):
    """Rows y0 ≤ y < y1 of the filtered image (``out``) or of the window means of the
    coefficients ((H, L, W) ``means_out``, for the fast filter): the other one is None, and
    Numba compiles only the branch that writes the given one. ``with_source``: some statistics
    are the source's (not all the guide's). ``gray_where`` or ``colour_where`` (the other None,
    as ``cg`` is 1 or 3) locates p and I·p for the solve (``statistics_plan``): only that solve
    is compiled."""
    H, W, cp = src.shape
    K = first.size
    L = (cg + 1) * cp
    n = 2 * r + 1
    scale = 1.0 / (n * n)
    ring_rows = 2 * r + 2
    ring = np.empty((ring_rows, L, W), np.float32)
    entering = np.empty((cg + cp, W))
    leaving = np.zeros((cg + cp, W))      # zeros while the first window is summed
    columns = np.zeros((K, W + 2 * r + 1))  # the statistics' column sums, padded for the row window
    statistics = np.empty((K, W))           # … their window means
    sums = np.zeros((L, W + 2 * r + 1))     # the coefficients' column sums, padded alike
    means = np.empty((L, W))                # … their window means
    nothing = np.zeros((L, W), np.float32)  # the coefficient rows dropped while the first window is summed
    q = np.empty(W)
    lo = y0 - r if y0 > r else 0
    made = lo - 1                           # the last coefficient row computed
    for i in range(n):                      # the statistics' window of row lo, from scratch
        _channels(guide, src, cg, ymap[lo + i], with_source, entering)
        _slide_statistics(first, second, entering, leaving, columns, r)
    for y in range(y0, y1):
        last = y + r if y + r < H else H - 1
        while made < last:                  # coefficient rows up to y + r, in order
            made += 1
            if made > lo:                   # slide the statistics' window down one row
                _channels(guide, src, cg, ymap[made + 2 * r], with_source, entering)
                _channels(guide, src, cg, ymap[made - 1], with_source, leaving)
                _slide_statistics(first, second, entering, leaving, columns, r)
            _pad(columns, xmap, r)
            _row_means(columns, r, scale, statistics)
            if gray_where is not None:
                _solve_gray(statistics, gray_where, eps, ring[made % ring_rows])
            if colour_where is not None:
                _solve_colour(statistics, colour_where, eps, ring[made % ring_rows])
        fresh = y == y0                     # the coefficients' window of row y0, from scratch
        if fresh:
            sums[:] = 0.0
        for i in range(n if fresh else 1):  # (then one row down: one loop to compile, not two)
            add = ring[ymap[y + i if fresh else y + 2 * r] % ring_rows]
            drop = nothing if fresh else ring[ymap[y - 1] % ring_rows]
            for m in range(L):
                s, a, d = sums[m, r:r + W], add[m], drop[m]
                for x in range(W):
                    s[x] += np.float64(a[x]) - np.float64(d[x])
        _pad(sums, xmap, r)
        _row_means(sums, r, scale, means)
        if means_out is not None:   # (a test of an argument that is None is pruned: one per branch)
            for m in range(L):      # loops: array assignment compiles its shape-error message (~3 s)
                for x in range(W):
                    means_out[y, m, x] = means[m, x]
        if out is not None:
            apply_row(means, guide, src, y, cg, enhance, top, entering, q, out[y])


def reflect_map(n, before, after):
    """``border.border_map(n, before, after, BORDER_REFLECT)`` (fedcba|abcdef|fedcba, repeated
    as far as it goes), which is NumPy's "symmetric" padding: one jitted function less to compile
    (0.2 s)."""
    return np.pad(np.arange(n), (before, after), mode="symmetric")


def _setup(guide, src, radius):
    H, W, cp = src.shape
    cg = 1 if guide.shape[2] == 1 else 3
    (first, second), where = statistics_plan(cg, cp, guide is src)
    with_source = max(first.max(), second.max()) >= cg
    xmap = reflect_map(W, radius, radius)
    ymap = reflect_map(H, radius, radius + 1)
    min_pixels = max(MIN_PIXELS_PER_STRIP, W * ROWS_PER_RADIUS * radius)
    wheres = (where, None) if cg == 1 else (None, where)
    return cg, first, second, with_source, wheres, xmap, ymap, min_pixels


def guided_filter(guide, src, radius, eps, enhance=0.0):
    """He's guided filter of (H, W, C) ``src`` by (H, W, 1 | 3 | 4) ``guide`` (a fourth channel
    is not used, as in OpenCV), radius ``radius``, ``eps`` in the guide's own units squared.

    ``enhance`` K ≠ 0 returns p + K·(p − q) instead of q. Integer sources are rounded half to
    even and saturated; float32 is kept as is. The output has ``src``'s dtype and shape.
    """
    cg, first, second, with_source, wheres, xmap, ymap, min_pixels = _setup(guide, src, radius)
    out = np.empty_like(src)
    top = float(np.iinfo(src.dtype).max) if src.dtype.kind == "u" else 0.0
    run_in_strips(_guided_rows, (src.shape[0], src.shape[1], 1), guide, src, cg, first, second, with_source,
                  *wheres, radius, eps, float(enhance), top, xmap, ymap, out, None, min_values=min_pixels)
    return out


def coefficient_means(guide, src, radius, eps):
    """The window means of the coefficients, (H, L, W) float32 (L = (1 | 3 + 1)·C, in the order
    of the module docstring): the low-resolution half of the fast guided filter."""
    cg, first, second, with_source, wheres, xmap, ymap, min_pixels = _setup(guide, src, radius)
    H, W, cp = src.shape
    means = np.empty((H, coefficients_count(cg, cp), W), np.float32)
    run_in_strips(_guided_rows, (H, W, 1), guide, src, cg, first, second, with_source, *wheres, radius, eps,
                  0.0, 0.0, xmap, ymap, None, means, min_values=min_pixels)
    return means


# ---------------------------------------------------------------------------------------------
# The fast filter's second half: the coefficients' means enlarged and applied
# ---------------------------------------------------------------------------------------------

@inner()
def _widened(means, row, other, xs0, xs1, xw0, xw1, lines, tags):
    """The slot of ``lines`` holding low-resolution row ``row`` enlarged along x, computing it into
    the slot that does not hold ``other`` if it is not there yet: consecutive output rows share
    their two source rows, so each is widened once per strip, not once per output row."""
    for slot in range(2):
        if tags[slot] == row:
            return slot
    slot = 1 if tags[0] == other else 0
    tags[slot] = row
    L, W = lines.shape[1], lines.shape[2]
    for m in range(L):
        a, line = means[row, m], lines[slot, m]
        for x in range(W):
            line[x] = xw0[x] * a[xs0[x]] + xw1[x] * a[xs1[x]]
    return slot


@njit(cache=True, nogil=True)
def _enlarged_rows(means, xs0, xs1, xw0, xw1, ys0, ys1, yw0, yw1, guide, src, cg, enhance, top, out,
                   y0, y1):
    L = means.shape[1]
    W = src.shape[1]
    lines = np.empty((2, L, W))
    tags = np.empty(2, np.int64)            # (np.full would be one more function to compile)
    tags[0] = tags[1] = -1
    row = np.empty((L, W))
    values = np.empty((cg + src.shape[2], W))
    q = np.empty(W)
    for y in range(y0, y1):
        upper = lines[_widened(means, ys0[y], ys1[y], xs0, xs1, xw0, xw1, lines, tags)]
        lower = lines[_widened(means, ys1[y], ys0[y], xs0, xs1, xw0, xw1, lines, tags)]
        w0, w1 = yw0[y], yw1[y]
        for m in range(L):
            u, d, out_m = upper[m], lower[m], row[m]
            for x in range(W):
                out_m[x] = w0 * u[x] + w1 * d[x]
        apply_row(row, guide, src, y, cg, enhance, top, values, q, out[y])


def apply_enlarged(means, guide, src, enhance=0.0, dtype=None):
    """q = mean(a)·I + mean(b) at full resolution, the (h, L, w) low-resolution ``means``
    (``coefficient_means``) enlarged bilinearly as ``cv2.resize`` does; ``enhance`` and
    rounding as ``guided_filter``, the output of ``dtype`` (default ``src``'s: the fast filter
    passes the image's values in float32 and its own dtype)."""
    h, _, w = means.shape
    H, W, _ = src.shape
    # cv2.resize's INTER_LINEAR taps; for rows too: where OpenCV clamps a row and keeps its
    # weight, both taps are the same row, so the value is the same as with weight 0
    xs0, xs1, xw0, xw1 = linear_columns(w, W, 1)
    ys0, ys1, yw0, yw1 = linear_columns(h, H, 1)
    cg = 1 if guide.shape[2] == 1 else 3
    out = np.empty(src.shape, src.dtype if dtype is None else dtype)
    top = float(np.iinfo(out.dtype).max) if out.dtype.kind == "u" else 0.0
    run_in_strips(_enlarged_rows, (H, W, 1), means, xs0, xs1, xw0, xw1, ys0, ys1, yw0, yw1, guide, src,
                  cg, float(enhance), top, out, min_values=MIN_PIXELS_PER_STRIP)
    return out
