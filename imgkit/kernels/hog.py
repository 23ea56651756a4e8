"""HOG features (Dalal & Triggs 2005) in the two references' flavours, and their glyph picture.

``opencv_hog`` matches ``cv2.HOGDescriptor`` (``hog.cpp``): √-gamma LUT, ``[-1, 0, 1]`` gradients
with the reflect-101 border, the strongest channel (the lowest one on a tie), OpenCV's fastAtan
polynomial, a linear vote into two orientation bins, a Gaussian block window and bilinear votes
into the block's cells, L2-Hys, blocks column-major. OpenCV walks every pixel of every block
(each pixel 4 times for 2×2-cell blocks with a one-cell stride); here the window and the
bilinear weights are split into an x factor and a y factor, so a block histogram is a separable
sum: each image row is first reduced, per block column, to the block's cells along x
(``_row_votes``: the only scatter, ``block / stride`` blocks per pixel), then block rows add
those reduced rows times their y weights (``_block_row``: dense, contiguous, vectorised). A ring
of the last ``block·cell`` reduced rows lets overlapping block rows share them. The product of the
two window factors differs from OpenCV's ``exp(-(dx² + dy²)·s)`` by a float32 rounding, so the
features agree to ~2e-7, not bit for bit. The magnitude and the atan polynomial use fused
multiply-adds, as OpenCV's SIMD code does on x86 (without them: 5e-7, and 3e-6 for 1-pixel cells).

``skimage_cells`` / ``skimage_blocks`` match ``skimage.feature.hog``: central differences (zero
on the image's outer rows and columns), the channel of largest magnitude, float64 angles in
``[0, 180)`` binned against float32 edges, the float32 mean per cell, then each block normalised
in float64. The exact ``atan2`` (~30 ns) is only called for the few angles within 0.05° of a bin
edge; the others take their bin from OpenCV's vectorised polynomial (error < 0.01°). Magnitudes
are ``sqrt(gx² + gy²)`` (vectorised) where skimage calls ``hypot``: they differ in the last bit of
float64 now and then, which the float32 features hardly ever see (measured: ≤ 2e-8, the rounding
of skimage's float64 result to float32).

Both are fused: gradients, votes and histograms in one pass over strips of rows, no full-size
gradient image; block normalisation runs on strips of block rows in parallel
(``strips.run_in_strips``).
"""

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from .strips import run_in_strips

F32 = np.float32
ATAN_P1 = F32(F32(0.9997878412794807) * F32(180 / math.pi))    # OpenCV's fastAtan, in degrees
ATAN_P3 = F32(F32(-0.3258083974640975) * F32(180 / math.pi))
ATAN_P5 = F32(F32(0.1555786518463281) * F32(180 / math.pi))
ATAN_P7 = F32(F32(-0.04432655554792128) * F32(180 / math.pi))
ATAN_EPS = F32(2.220446049250313e-16)      # (float)DBL_EPSILON
TO_RADIANS = F32(math.pi / 180)
L2HYS_CLIP = F32(0.2)
NORMS = {"L1": 0, "L1-sqrt": 1, "L2": 2, "L2-Hys": 3}
SKIMAGE_EPS = 1e-5
MIN_VALUES_PER_STRIP = 1 << 15      # ~15 ns a pixel
GROUP_ROWS = 8      # block rows gathered before they are copied out in OpenCV's column-major order


# ------------------------------------------------------------------ OpenCV's flavour

@intrinsic
def _fma(typingctx, a, b, c):
    """``a·b + c`` rounded once, in float32: OpenCV's SIMD ``v_fma``/``v_muladd`` (x86 FMA3)."""
    def codegen(context, builder, signature, args):
        return builder.fma(*args)
    return types.float32(types.float32, types.float32, types.float32), codegen


def opencv_window_factors(cell, block):
    """Per offset into a block, its weight towards each cell of the block along one axis:
    the Gaussian window factor (σ = block size / 4, centred on pixel ``block size / 2``, as
    OpenCV's ``winSigma = -1``) times the bilinear weight, float32, shape (block·cell, block)."""
    size = block * cell
    sigma = F32(2 * size / 8)
    scale = F32(1) / (sigma * sigma * F32(2))
    factors = np.zeros((size, block), np.float32)
    for offset in range(size):
        d = F32(offset) - F32(size * 0.5)
        gauss = np.exp(-(d * d) * scale)
        position = F32((F32(offset) + F32(0.5)) / F32(cell) - F32(0.5))
        first = math.floor(position)
        fraction = F32(position - F32(first))
        for index, weight in ((first, F32(1) - fraction), (first + 1, fraction)):
            if 0 <= index < block:      # a neighbour outside the block takes its share away
                factors[offset, index] = gauss * weight
    return factors


def opencv_hog(planes, height, width, orientations, cell, block, stride, signed):
    """HOG of ``planes[:height, :width]`` (uint8, 1 or 3 channels; the sizes already whole
    block steps) as ``cv2.HOGDescriptor`` with that window; float32, 1-D."""
    size, step = block * cell, stride * cell
    blocks_x, blocks_y = (width - size) // step + 1, (height - size) // step + 1
    lut = np.sqrt(np.arange(256, dtype=np.float32))
    angle_scale = F32(orientations / (2 * math.pi)) if signed else F32(orientations / math.pi)
    factors = opencv_window_factors(cell, block)
    out = np.empty(blocks_x * blocks_y * block * block * orientations, np.float32)
    run_in_strips(_opencv_strip, (blocks_y, step * width, 1), planes, height, width, lut, angle_scale,
                  orientations, cell, block, stride, factors, out, min_values=MIN_VALUES_PER_STRIP)
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _opencv_strip(planes, height, width, lut, angle_scale, nbins, cell, block, stride, factors, out, by0, by1):
    """Block rows ``by0 ≤ by < by1``: their histograms, normalised, written in OpenCV's order."""
    size, step = block * cell, stride * cell
    blocks_x, blocks_y = (width - size) // step + 1, (height - size) // step + 1
    row_length = blocks_x * block * nbins * 2
    ring = np.zeros((size, row_length), np.float32)     # reduced votes of the last `size` rows
    sums = np.empty((block, row_length), np.float32)    # one block row: [cell y][block x][cell x][bin][2]
    m0 = np.empty(width, np.float32)
    m1 = np.empty(width, np.float32)
    h0 = np.empty(width, np.int64)
    histogram = np.empty(block * block * nbins, np.float32)
    # OpenCV's order is column-major: writing each block straight to `out` strides through it
    # (4 ms of 25 at 1080p); a group of block rows is kept here, then copied out in runs
    group = np.empty((GROUP_ROWS, blocks_x, histogram.size), np.float32)
    done = -1       # last image row reduced into the ring
    for by in range(by0, by1):
        top = by * step
        for y in range(max(top, done + 1), top + size):
            _opencv_votes(planes, y, height, width, lut, angle_scale, nbins, m0, m1, h0)
            _row_votes(m0, m1, h0, factors, step, blocks_x, block, nbins, ring[y % size])
        done = top + size - 1
        _block_row(ring, top, factors, sums)
        for bx in range(blocks_x):
            for cx in range(block):
                for cy in range(block):     # (no array slicing in here: each view costs a refcount)
                    votes = (bx * block + cx) * nbins * 2
                    target = (cx * block + cy) * nbins
                    histogram[target] = sums[cy, votes] + sums[cy, votes + 2 * nbins - 1]
                    for b in range(1, nbins):   # a bin's own votes and its lower neighbour's
                        histogram[target + b] = sums[cy, votes + 2 * b] + sums[cy, votes + 2 * b - 1]
            _l2_hys_opencv(histogram)
            for i in range(histogram.size):
                group[(by - by0) % GROUP_ROWS, bx, i] = histogram[i]
        if (by - by0) % GROUP_ROWS == GROUP_ROWS - 1 or by == by1 - 1:
            _write_group(group, (by - by0) % GROUP_ROWS + 1, by - (by - by0) % GROUP_ROWS, blocks_y, out)


@njit(cache=True, nogil=True, error_model="numpy")
def _write_group(group, rows, first, blocks_y, out):
    """Block rows ``first ≤ by < first + rows`` from ``group`` into ``out``, column-major."""
    blocks_x, length = group.shape[1], group.shape[2]
    for bx in range(blocks_x):
        start = (bx * blocks_y + first) * length
        for r in range(rows):
            for i in range(length):
                out[start + r * length + i] = group[r, bx, i]


@njit(cache=True, nogil=True, error_model="numpy")
def _opencv_votes(planes, y, height, width, lut, angle_scale, nbins, m0, m1, h0):
    """Row ``y``: each pixel's magnitude split between its two nearest bins, ``m0`` to bin
    ``h0`` and ``m1`` to the next one (bin 0 after the last).

    ``m0``/``m1`` first hold the gradient's x and y components (``_gradient_row``), then the
    loop below, written without branches so that it vectorises, turns them into the votes."""
    _gradient_row(planes, y, height, width, lut, m0, m1)
    for x in range(width):
        dx, dy = m0[x], m1[x]
        magnitude = np.sqrt(_fma(dx, dx, dy * dy))
        angle = _fast_atan_degrees(dy, dx) * TO_RADIANS * angle_scale - F32(0.5)
        floor = np.floor(angle)
        fraction = angle - floor
        m0[x] = magnitude * (F32(1) - fraction)
        m1[x] = magnitude * fraction
        bin0 = int(floor)
        bin0 = bin0 + nbins if bin0 < 0 else (bin0 - nbins if bin0 >= nbins else bin0)
        h0[x] = bin0


@njit(cache=True, nogil=True, error_model="numpy")
def _gradient_row(planes, y, height, width, lut, dx, dy):
    """``[-1, 0, 1]`` derivatives of the √-gamma row ``y`` (reflect-101; a 1-pixel side gives
    0), of the strongest channel where there are three (the lowest one on a tie)."""
    up = min(abs(y - 1), height - 1)
    down = max(height - 1 - abs(height - 2 - y), 0)
    last = width - 1
    if planes.shape[2] == 1:
        for x in range(1, last):
            dx[x] = lut[planes[y, x + 1, 0]] - lut[planes[y, x - 1, 0]]
            dy[x] = lut[planes[down, x, 0]] - lut[planes[up, x, 0]]
    else:
        for x in range(1, last):
            dx[x], dy[x] = _strongest_of_three(planes, y, up, down, x - 1, x, x + 1, lut)
    for x in (0, last):     # the two ends, through the reflected neighbours
        left, right = min(abs(x - 1), last), max(last - abs(last - 1 - x), 0)
        if planes.shape[2] == 1:
            dx[x] = lut[planes[y, right, 0]] - lut[planes[y, left, 0]]
            dy[x] = lut[planes[down, x, 0]] - lut[planes[up, x, 0]]
        else:
            dx[x], dy[x] = _strongest_of_three(planes, y, up, down, left, x, right, lut)


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _strongest_of_three(planes, y, up, down, left, x, right, lut):
    """(dx, dy) of the channel with the largest dx² + dy² (not fused, as OpenCV), the first on a tie."""
    dx = lut[planes[y, right, 0]] - lut[planes[y, left, 0]]
    dy = lut[planes[down, x, 0]] - lut[planes[up, x, 0]]
    strongest = dx * dx + dy * dy
    for c in (1, 2):        # a later channel must be strictly stronger
        cdx = lut[planes[y, right, c]] - lut[planes[y, left, c]]
        cdy = lut[planes[down, x, c]] - lut[planes[up, x, c]]
        magnitude2 = cdx * cdx + cdy * cdy
        better = magnitude2 > strongest
        dx = cdx if better else dx
        dy = cdy if better else dy
        strongest = magnitude2 if better else strongest
    return dx, dy


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _fast_atan_degrees(y, x):
    """OpenCV's ``fastAtan2``: a degree-7 polynomial in float32, 0 ≤ angle < 360 degrees."""
    ax, ay = abs(x), abs(y)
    c = min(ax, ay) / (max(ax, ay) + ATAN_EPS)     # branch-free, as OpenCV's SIMD path
    c2 = c * c
    a = _fma(_fma(_fma(c2, ATAN_P7, ATAN_P5), c2, ATAN_P3), c2, ATAN_P1) * c
    a = a if ax >= ay else F32(90) - a
    a = F32(180) - a if x < 0 else a
    return F32(360) - a if y < 0 else a


@njit(cache=True, nogil=True, error_model="numpy")
def _row_votes(m0, m1, h0, factors, step, blocks_x, block, nbins, reduced):
    """One row's votes summed, per block column, into the block's cells along x.

    A pixel's two votes are kept side by side, ``[bin h0][0] += m0`` and ``[bin h0][1] += m1``
    (one memory location for both), and only the block histogram moves ``[b][1]`` to bin b + 1."""
    reduced[:] = 0
    size = factors.shape[0]
    # Block columns innermost: consecutive updates hit different blocks, so they never wait on
    # each other (neighbouring pixels, mostly in the same bin, would chain through memory).
    for offset in range(size):
        for cx in range(block):
            w = factors[offset, cx]
            if w == 0:
                continue
            for bx in range(blocks_x):
                x = bx * step + offset
                at = ((bx * block + cx) * nbins + h0[x]) * 2
                reduced[at] += m0[x] * w
                reduced[at + 1] += m1[x] * w


@njit(cache=True, nogil=True, error_model="numpy")
def _block_row(ring, top, factors, sums):
    """The block row starting at image row ``top``: its rows' reduced votes times their y weights."""
    size, block = factors.shape
    sums[:] = 0
    for offset in range(size):
        row = ring[(top + offset) % size]
        for cy in range(block):
            w = factors[offset, cy]
            if w != 0:
                target = sums[cy]
                for k in range(row.size):
                    target[k] += w * row[k]


@njit(cache=True, nogil=True, error_model="numpy")
def _sum_squares(v):
    """Σ v² in float32 with OpenCV's four running partial sums, then the tail."""
    p0 = p1 = p2 = p3 = F32(0)
    n4 = v.size // 4 * 4
    for i in range(0, n4, 4):
        p0 += v[i] * v[i]
        p1 += v[i + 1] * v[i + 1]
        p2 += v[i + 2] * v[i + 2]
        p3 += v[i + 3] * v[i + 3]
    total = (p0 + p1) + (p2 + p3)
    for i in range(n4, v.size):
        total += v[i] * v[i]
    return total


@njit(cache=True, nogil=True, error_model="numpy")
def _l2_hys_opencv(v):
    """OpenCV's L2-Hys: ``v / (‖v‖ + 0.1·len)``, clipped at 0.2, then ``v / (‖v‖ + 1e-3)``."""
    scale = F32(1) / (np.sqrt(_sum_squares(v)) + F32(v.size) * F32(0.1))
    for i in range(v.size):
        v[i] = min(v[i] * scale, L2HYS_CLIP)
    scale = F32(1) / (np.sqrt(_sum_squares(v)) + F32(1e-3))
    for i in range(v.size):
        v[i] *= scale


# ------------------------------------------------------------------ scikit-image's flavour

def skimage_bin_edges(orientations):
    """skimage's bin edges: ``180 / n · i`` rounded to float32, compared in float64."""
    return np.array([np.float32(180.0 / orientations * i) for i in range(orientations + 1)], np.float64)


def skimage_cells(planes, orientations, cell):
    """Per cell, the float32 mean magnitude of its pixels in each orientation bin, as skimage
    (``planes``: 1 or 3 channels)."""
    if planes.shape[2] not in (1, 3):
        raise ValueError(f"skimage_cells takes 1 or 3 channels, got {planes.shape[2]}")
    rows, cols = planes.shape[0] // cell, planes.shape[1] // cell
    cells = np.empty((rows, cols, orientations), np.float32)
    run_in_strips(_skimage_cell_rows, (rows, cell * planes.shape[1], 1), planes, cell,
                  skimage_bin_edges(orientations), cells, min_values=MIN_VALUES_PER_STRIP)
    return cells


@njit(cache=True, nogil=True, error_model="numpy")
def _skimage_cell_rows(planes, cell, edges, cells, r0, r1):
    """Cell rows ``r0 ≤ r < r1``: gradients, bins and float32 sums row by row, then the means."""
    cols, nbins = cells.shape[1], cells.shape[2]
    span = cols * cell          # the columns that fall in whole cells
    gx = np.empty(span, np.float64)
    gy = np.empty(span, np.float64)
    magnitude = np.empty(span, np.float64)
    bins = np.empty(span, np.int64)
    totals = np.empty((cols, nbins), np.float32)
    area = F32(cell * cell)
    # the bins of gradients along an axis, whatever their length: right (and none), left, down, up
    axis_bins = np.array([_skimage_angle_bin(math.atan2(gy, gx), edges)
                          for gy, gx in ((0.0, 1.0), (0.0, -1.0), (1.0, 0.0), (-1.0, 0.0))])
    for r in range(r0, r1):
        totals[:] = 0
        for y in range(r * cell, (r + 1) * cell):
            _skimage_gradient_row(planes, y, gx, gy, magnitude)
            _skimage_likely_bins(gx, gy, nbins, axis_bins, bins)
            for x in range(span):
                if bins[x] < 0:
                    bins[x] = _skimage_angle_bin(math.atan2(gy[x], gx[x]), edges)
            # Cells innermost: consecutive sums go to different cells, so they do not wait on
            # each other; each cell still sums its pixels in skimage's order (row-major).
            for u in range(cell):
                for c in range(cols):
                    x = c * cell + u
                    b = bins[x]
                    if b < nbins:       # an angle rounded up to 180 falls in no bin, as in skimage
                        totals[c, b] = F32(totals[c, b] + magnitude[x])     # skimage sums in float32
        for c in range(cols):
            for b in range(nbins):
                cells[r, c, b] = totals[c, b] / area


@njit(cache=True, nogil=True, error_model="numpy")
def _skimage_gradient_row(planes, y, gx, gy, magnitude):
    """Central differences of row ``y`` (0 on the image's outer rows and columns), of the
    channel of largest magnitude (the first on a tie); the difference is taken in float32,
    exact for integer images and as skimage takes it for float32 ones."""
    height, width, channels = planes.shape
    up, down = max(y - 1, 0), min(y + 1, height - 1)
    rows = F32(1) if 0 < y < height - 1 else F32(0)      # 0: an outer row has no gy
    columns = F32(1)
    end = min(gx.size, width - 1)
    if channels == 1:
        for x in range(1, end):
            gx[x] = F32(planes[y, x + 1, 0]) - F32(planes[y, x - 1, 0])
            gy[x] = (F32(planes[down, x, 0]) - F32(planes[up, x, 0])) * rows + F32(0)   # + 0: no -0
            magnitude[x] = np.sqrt(gx[x] * gx[x] + gy[x] * gy[x])
    else:
        for x in range(1, end):
            gx[x], gy[x], magnitude[x] = _skimage_strongest(planes, y, up, down, x - 1, x, x + 1, rows, columns, 3)
    for x in (0, width - 1):        # the outer columns have no gx
        if x < gx.size:
            gx[x], gy[x], magnitude[x] = _skimage_strongest(planes, y, up, down, x, x, x, rows, F32(0), channels)


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _skimage_strongest(planes, y, up, down, left, x, right, rows, columns, channels):
    """(gx, gy, magnitude) of the channel of largest magnitude, the first on a tie (argmax);
    ``rows``/``columns`` 0 zero a component, as skimage does on the outer pixels. A literal
    ``channels`` lets the loop over x vectorise."""
    best_x = best_y = 0.0
    strongest = -1.0    # compared squared (exact for integer images): one square root, not three
    for c in range(channels):
        cgx = float((F32(planes[y, right, c]) - F32(planes[y, left, c])) * columns + F32(0))
        cgy = float((F32(planes[down, x, c]) - F32(planes[up, x, c])) * rows + F32(0))
        m2 = cgx * cgx + cgy * cgy
        better = m2 > strongest
        best_x = cgx if better else best_x
        best_y = cgy if better else best_y
        strongest = m2 if better else strongest
    return best_x, best_y, np.sqrt(strongest)


@njit(cache=True, nogil=True, error_model="numpy")
def _skimage_likely_bins(gx, gy, nbins, axis_bins, bins):
    """Each pixel's bin, or -1 where only the exact ``atan2`` can tell (``_skimage_angle_bin``).

    Gradients along an axis (flat pixels too: atan2(0, 0) = 0) are common and have their bins in
    ``axis_bins`` (right, left, down, up). The others take theirs from OpenCV's fast polynomial
    atan (error < 0.01°) unless the angle is within 0.05° of a bin edge."""
    per_degree = F32(nbins / 180)
    margin = F32(0.05) * per_degree
    for x in range(gx.size):
        angle = _fast_atan_degrees(F32(gy[x]), F32(gx[x]))
        angle = angle - F32(180) if angle >= F32(180) else angle
        position = angle * per_degree
        b = min(int(position), nbins - 1)
        fraction = position - F32(b)
        b = b if margin < fraction < F32(1) - margin else -1
        vertical = axis_bins[2] if gy[x] > 0 else axis_bins[3]
        b = vertical if gx[x] == 0 else b
        horizontal = axis_bins[0] if gx[x] >= 0 else axis_bins[1]
        bins[x] = horizontal if gy[x] == 0 else b


@njit(cache=True, nogil=True, error_model="numpy")
def _skimage_angle_bin(radians, edges):
    """skimage's bin: ``arctan2(gy, gx)·180/π mod 180`` in float64 against the float32 edges;
    ``len(edges) - 1`` (no bin) for an angle that rounds to 180."""
    nbins = edges.size - 1
    angle = (radians * (180 / math.pi)) % 180
    b = min(int(angle * nbins / 180), nbins - 1)
    while b > 0 and angle < edges[b]:
        b -= 1
    while b < nbins - 1 and angle >= edges[b + 1]:
        b += 1
    return b if angle < edges[nbins] else nbins


def skimage_blocks(cells, block, stride, norm):
    """Blocks of ``block``×``block`` cells every ``stride`` cells, each normalised with skimage's
    ``norm``, in its order (block row, block column, cell row, cell column, bin); float32, 1-D."""
    rows, cols, nbins = cells.shape
    blocks_y, blocks_x = (rows - block) // stride + 1, (cols - block) // stride + 1
    out = np.empty(blocks_y * blocks_x * block * block * nbins, np.float32)
    run_in_strips(_skimage_block_rows, (blocks_y, blocks_x * block * block * nbins, 1), cells, block,
                  stride, NORMS[norm], out, min_values=MIN_VALUES_PER_STRIP)
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _skimage_block_rows(cells, block, stride, norm, out, by0, by1):
    nbins = cells.shape[2]
    blocks_x = (cells.shape[1] - block) // stride + 1
    length = block * block * nbins
    v = np.empty(length, np.float64)
    for by in range(by0, by1):
        for bx in range(blocks_x):
            for cy in range(block):
                for cx in range(block):
                    for b in range(nbins):
                        v[(cy * block + cx) * nbins + b] = cells[by * stride + cy, bx * stride + cx, b]
            _skimage_normalise(v, norm)
            start = (by * blocks_x + bx) * length
            for i in range(length):
                out[start + i] = v[i]


@njit(cache=True, nogil=True, error_model="numpy")
def _skimage_normalise(v, norm):
    eps = SKIMAGE_EPS
    if norm <= 1:       # L1, L1-sqrt: v / (Σ|v| + eps), then the root for L1-sqrt
        total = _eightfold_sum(v, False) + eps
        for i in range(v.size):
            v[i] = v[i] / total
        if norm == 1:
            for i in range(v.size):
                v[i] = math.sqrt(v[i])
        return
    _divide_by_l2(v, eps)
    if norm == 3:       # L2-Hys: clip at 0.2 and renormalise
        for i in range(v.size):
            v[i] = min(v[i], 0.2)
        _divide_by_l2(v, eps)


@njit(cache=True, nogil=True, error_model="numpy")
def _divide_by_l2(v, eps):
    norm = math.sqrt(_eightfold_sum(v, True) + eps * eps)
    for i in range(v.size):
        v[i] = v[i] / norm


@njit(cache=True, nogil=True, error_model="numpy")
def _eightfold_sum(v, squared):
    """Σ v² or Σ |v| with eight running sums, as numpy sums a block of up to 128 values."""
    if v.size < 8:
        total = 0.0
        for i in range(v.size):
            total += v[i] * v[i] if squared else abs(v[i])
        return total
    sums = np.zeros(8)
    whole = v.size - v.size % 8
    for i in range(0, whole, 8):
        for j in range(8):
            sums[j] += v[i + j] * v[i + j] if squared else abs(v[i + j])
    total = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]))
    for i in range(whole, v.size):
        total += v[i] * v[i] if squared else abs(v[i])
    return total


# ------------------------------------------------------------------ the glyph picture

@njit(cache=True, nogil=True, error_model="numpy")
def draw_glyphs(cells, cell, picture):
    """Add to ``picture`` (float64, H×W), for ``cells`` (float64, rows × columns × bins), one line
    per cell and bin through the cell's centre, across the bin's middle direction, as bright as
    the cell's value for that bin: as ``skimage.feature.hog(visualize=True)`` draws them
    (Bresenham lines of radius cell/2 − 1)."""
    rows, cols, nbins = cells.shape
    radius = cell // 2 - 1
    for b in range(nbins):
        middle = math.pi * (b + 0.5) / nbins
        dr, dc = radius * math.sin(middle), radius * math.cos(middle)
        for r in range(rows):
            for c in range(cols):
                cr, cc = r * cell + cell // 2, c * cell + cell // 2
                _add_line(picture, int(cr - dc), int(cc + dr), int(cr + dc), int(cc - dr), cells[r, c, b])


@njit(cache=True, nogil=True, error_model="numpy")
def _add_line(picture, r0, c0, r1, c1, value):
    """Bresenham's line from (r0, c0) to (r1, c1), both ends included, each pixel once."""
    steep = abs(r1 - r0) > abs(c1 - c0)
    r, c = (c0, r0) if steep else (r0, c0)
    dr, dc = (abs(c1 - c0), abs(r1 - r0)) if steep else (abs(r1 - r0), abs(c1 - c0))
    sr = 1 if r1 - r0 > 0 else -1
    sc = 1 if c1 - c0 > 0 else -1
    if steep:
        sr, sc = sc, sr
    d = 2 * dr - dc
    for _ in range(dc):
        if steep:
            picture[c, r] += value
        else:
            picture[r, c] += value
        while d >= 0:
            r += sr
            d -= 2 * dc
        c += sc
        d += 2 * dr
    picture[r1, c1] += value
