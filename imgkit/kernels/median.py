"""Median filter, as ``cv2.medianBlur``: a ksize × ksize window, border REPLICATE.

The median is an order statistic, so any correct method gives OpenCV's output exactly; the
methods are chosen for speed, as OpenCV chooses them:

- ksize 3 and 5 (uint8, uint16, float32): a min/max selection network applied element-wise
  along whole rows, so that the loop over x holds the entire network with no branches and
  LLVM vectorises it. Each output row first sorts the ksize values of every column once
  (``_sorted_columns*``), since a column is shared by ksize horizontally adjacent windows;
  the per-pixel network then only has to merge ksize sorted columns.
- ksize ≥ 7 (uint8): Perreault & Hébert's constant-time median: per column a 256-bin
  histogram updated by one pixel in and one out per row, a 16-bin coarse histogram of the
  window slid along the row, and a fine search inside the one coarse bin holding the median.

References
----------
S. Perreault and P. Hébert, "Median filtering in constant time", IEEE Transactions on Image
Processing 16(9), 2007, doi:10.1109/TIP.2007.902329.
K. E. Batcher, "Sorting networks and their applications", AFIPS 1968 (odd–even merge).
"""

import numpy as np
from numba import carray, njit

from ..options import BORDER_REPLICATE
from .border import border_map
from .scratch import stack_buffer
from .strips import run_in_strips

_COARSE = 16            # coarse histogram bins of 16 grey levels each


# --------------------------------------------------------------------------- ksize 3 and 5


@njit(cache=True, nogil=True, error_model="numpy")
def _sort2(a, b):
    return min(a, b), max(a, b)


@njit(cache=True, nogil=True, error_model="numpy")
def _median3(a, b, c):
    """Median of three values with four min/max operations."""
    return max(min(a, b), min(max(a, b), c))


@njit(cache=True, nogil=True, error_model="numpy")
def _sorted_columns3(r0, r1, r2, s0, s1, s2):
    """s0 ≤ s1 ≤ s2: the three rows sorted element-wise."""
    for j in range(r0.size):
        a, b = _sort2(r0[j], r1[j])
        b, c = _sort2(b, r2[j])
        a, b = _sort2(a, b)
        s0[j] = a
        s1[j] = b
        s2[j] = c


@njit(cache=True, nogil=True, error_model="numpy")
def _sorted_columns5(r0, r1, r2, r3, r4, s0, s1, s2, s3, s4):
    """The five rows sorted element-wise (a 9-comparator sorting network)."""
    for j in range(r0.size):
        a, b, c, d, e = r0[j], r1[j], r2[j], r3[j], r4[j]
        a, b = _sort2(a, b)
        d, e = _sort2(d, e)
        c, e = _sort2(c, e)
        c, d = _sort2(c, d)
        b, e = _sort2(b, e)
        a, d = _sort2(a, d)
        a, c = _sort2(a, c)
        b, d = _sort2(b, d)
        b, c = _sort2(b, c)
        s0[j] = a
        s1[j] = b
        s2[j] = c
        s3[j] = d
        s4[j] = e


@njit(cache=True, nogil=True, error_model="numpy")
def _median9_of_columns(s0, s1, s2, out, step):
    """Median of each 3 × 3 window from its three sorted columns: the median of the largest
    column minimum, the median of the column middles and the smallest column maximum (checked
    exhaustively under the 0-1 principle in tests/test_median.py). Columns of one channel are
    ``step`` elements apart."""
    n = out.size
    # One view per column of the window, so that the loop reads each at index j: contiguous
    # loads that LLVM vectorises (an offset index would look like a gather to it).
    a0, a1, a2 = s0[:n], s0[step:step + n], s0[2 * step:2 * step + n]
    b0, b1, b2 = s1[:n], s1[step:step + n], s1[2 * step:2 * step + n]
    c0, c1, c2 = s2[:n], s2[step:step + n], s2[2 * step:2 * step + n]
    for j in range(n):
        lo = max(max(a0[j], a1[j]), a2[j])
        mid = _median3(b0[j], b1[j], b2[j])
        hi = min(min(c0[j], c1[j]), c2[j])
        out[j] = _median3(lo, mid, hi)


@njit(cache=True, nogil=True, error_model="numpy")
def _median25_of_columns(s, out, step):
    """Median of each 5 × 5 window from its five sorted columns (rows of ``s``).

    c<col><rank> is rank ``rank`` of column ``col``. The compare-exchanges are Batcher's
    odd–even merges of the sorted columns in the order ((c0 ⋈ c1) ⋈ c2) ⋈ (c3 ⋈ c4), keeping
    only those that reach the rank-12 output (124 min/max instead of 214); the network is
    checked exhaustively under the 0-1 principle in tests/test_median.py.
    """
    # Unsigned indices: numba then skips its negative-index wrap-around, so LLVM sees 25
    # plain contiguous loads from one array and vectorises the loop (with signed offsets it
    # falls back to element-by-element gathers).
    d1 = np.uint64(step)
    d2 = d1 + d1
    d3 = d2 + d1
    d4 = d3 + d1
    for i in range(out.size):
        j = np.uint64(i)
        c00, c01, c02, c03, c04 = s[0, j], s[1, j], s[2, j], s[3, j], s[4, j]
        k = j + d1
        c10, c11, c12, c13, c14 = s[0, k], s[1, k], s[2, k], s[3, k], s[4, k]
        k = j + d2
        c20, c21, c22, c23, c24 = s[0, k], s[1, k], s[2, k], s[3, k], s[4, k]
        k = j + d3
        c30, c31, c32, c33, c34 = s[0, k], s[1, k], s[2, k], s[3, k], s[4, k]
        k = j + d4
        c40, c41, c42, c43, c44 = s[0, k], s[1, k], s[2, k], s[3, k], s[4, k]
        c00, c10 = min(c00, c10), max(c00, c10)
        c04, c14 = min(c04, c14), max(c04, c14)
        c04, c10 = min(c04, c10), max(c04, c10)
        c02, c12 = min(c02, c12), max(c02, c12)
        c02, c04 = min(c02, c04), max(c02, c04)
        c12, c10 = min(c12, c10), max(c12, c10)
        c01, c11 = min(c01, c11), max(c01, c11)
        c03, c13 = min(c03, c13), max(c03, c13)
        c03, c11 = min(c03, c11), max(c03, c11)
        c01, c02 = min(c01, c02), max(c01, c02)
        c03, c04 = min(c03, c04), max(c03, c04)
        c11, c12 = min(c11, c12), max(c11, c12)
        c13, c10 = min(c13, c10), max(c13, c10)
        c00, c20 = min(c00, c20), max(c00, c20)
        c10, c20 = min(c10, c20), max(c10, c20)
        c04, c24 = min(c04, c24), max(c04, c24)
        c04, c10 = min(c04, c10), max(c04, c10)
        c24, c20 = min(c24, c20), max(c24, c20)
        c02, c22 = min(c02, c22), max(c02, c22)
        c12, c22 = min(c12, c22), max(c12, c22)
        c02, c04 = min(c02, c04), max(c02, c04)
        c12, c10 = min(c12, c10), max(c12, c10)
        c22, c24 = min(c22, c24), max(c22, c24)
        c01, c21 = min(c01, c21), max(c01, c21)
        c14, c21 = min(c14, c21), max(c14, c21)
        c11, c14 = min(c11, c14), max(c11, c14)
        c03, c23 = min(c03, c23), max(c03, c23)
        c13, c23 = min(c13, c23), max(c13, c23)
        c03, c11 = min(c03, c11), max(c03, c11)
        c13, c14 = min(c13, c14), max(c13, c14)
        c23, c21 = min(c23, c21), max(c23, c21)
        c01, c02 = min(c01, c02), max(c01, c02)
        c03, c04 = min(c03, c04), max(c03, c04)
        c11, c12 = min(c11, c12), max(c11, c12)
        c13, c10 = min(c13, c10), max(c13, c10)
        c14, c22 = min(c14, c22), max(c14, c22)
        c23, c24 = min(c23, c24), max(c23, c24)
        c21 = min(c21, c20)
        c30, c40 = min(c30, c40), max(c30, c40)
        c34, c44 = min(c34, c44), max(c34, c44)
        c34, c40 = min(c34, c40), max(c34, c40)
        c32, c42 = min(c32, c42), max(c32, c42)
        c32, c34 = min(c32, c34), max(c32, c34)
        c42, c40 = min(c42, c40), max(c42, c40)
        c31, c41 = min(c31, c41), max(c31, c41)
        c33, c43 = min(c33, c43), max(c33, c43)
        c33, c41 = min(c33, c41), max(c33, c41)
        c31, c32 = min(c31, c32), max(c31, c32)
        c33, c34 = min(c33, c34), max(c33, c34)
        c41, c42 = min(c41, c42), max(c41, c42)
        c43, c40 = min(c43, c40), max(c43, c40)
        c30 = max(c00, c30)
        c10 = min(c10, c40)
        c30 = max(c10, c30)
        c34 = max(c04, c34)
        c24 = min(c24, c34)
        c24 = min(c24, c30)
        c32 = max(c02, c32)
        c22 = min(c22, c32)
        c12 = min(c12, c42)
        c22 = max(c12, c22)
        c24 = max(c22, c24)
        c31 = max(c01, c31)
        c14 = min(c14, c44)
        c31 = max(c14, c31)
        c41 = max(c11, c41)
        c21 = min(c21, c41)
        c21 = min(c21, c31)
        c33 = max(c03, c33)
        c23 = min(c23, c33)
        c13 = min(c13, c43)
        c23 = max(c13, c23)
        c23 = min(c23, c21)
        c24 = max(c23, c24)
        out[i] = c24


@njit(cache=True, nogil=True, error_model="numpy")
def _replicate_ends(sorted_rows, radius, width, cn):
    """Extend each sorted-column row by ``radius`` columns at both ends (BORDER_REPLICATE)."""
    left = radius * cn
    right = (radius + width - 1) * cn
    for s in sorted_rows:
        for p in range(radius):
            for c in range(cn):
                s[p * cn + c] = s[left + c]
                s[right + (p + 1) * cn + c] = s[right + c]


@njit(cache=True, nogil=True, error_model="numpy")
def _median_network(planes, ksize, out, y0, y1):
    """ksize 3 or 5, rows y0 … y1 − 1: sort the columns of the row's window (rows clamped to
    the image: REPLICATE), replicate the sorted columns at both ends, merge them per pixel.
    Channels stay interleaved: a pixel's horizontal neighbours are C elements apart."""
    h, w, cn = planes.shape
    radius = ksize // 2
    rows = planes.reshape(h, w * cn)
    out_rows = out.reshape(h, w * cn)
    padded = (w + 2 * radius) * cn
    s = np.empty((ksize, padded), planes.dtype)
    inner = slice(radius * cn, (radius + w) * cn)
    for y in range(y0, y1):
        if ksize == 3:
            _sorted_columns3(rows[max(y - 1, 0)], rows[y], rows[min(y + 1, h - 1)],
                             s[0, inner], s[1, inner], s[2, inner])
            _replicate_ends(s, radius, w, cn)
            _median9_of_columns(s[0], s[1], s[2], out_rows[y], cn)
        else:
            _sorted_columns5(rows[max(y - 2, 0)], rows[max(y - 1, 0)], rows[y],
                             rows[min(y + 1, h - 1)], rows[min(y + 2, h - 1)],
                             s[0, inner], s[1, inner], s[2, inner], s[3, inner], s[4, inner])
            _replicate_ends(s, radius, w, cn)
            _median25_of_columns(s, out_rows[y], cn)


# --------------------------------------------------------------------------- ksize ≥ 7, uint8


@njit(cache=True, nogil=True, error_model="numpy")
def _add_row(fine, coarse, row, cols, cn, sign):
    """Add (sign = 1) or remove (sign = −1) one image row from every column histogram."""
    for j in range(cols.size):
        x = cols[j]
        for c in range(cn):
            v = row[x, c]
            fine[c, v >> 4, j, v & 15] += sign
            coarse[c, j, v >> 4] += sign


@njit(cache=True, nogil=True, error_model="numpy")
def _median_row(fine, coarse, out_row, c, ksize, rank):
    """Slide the window along one row of channel c.

    The window's 16-bin coarse histogram moves by one column in and one out per pixel; a
    cumulative scan finds the coarse bin holding the median. The window's fine histogram is
    kept per coarse bin and brought up to date only when that bin is needed (Perreault &
    Hébert): by the columns that entered and left since its last use, or from scratch when
    that was more than a window ago. On real images the median's coarse bin rarely changes
    between neighbours, so a pixel costs a few 16-bin vector operations whatever ksize is.
    """
    # Plain indexing throughout: slicing views inside the per-pixel loop costs reference
    # counting on every view, which would dominate the run time.
    w = out_row.shape[0]
    window = carray(stack_buffer(16, np.int32), _COARSE)
    window_fine = carray(stack_buffer(256, np.int32), (_COARSE, 16))
    updated = carray(stack_buffer(16, np.int64), _COARSE)   # x at which window_fine[b] was valid
    for b in range(_COARSE):
        window[b] = 0
        updated[b] = -ksize - 1
    for j in range(ksize):
        for b in range(_COARSE):
            window[b] += coarse[c, j, b]
    for x in range(w):
        if x > 0:
            for b in range(_COARSE):
                window[b] += np.int32(coarse[c, x + ksize - 1, b]) - np.int32(coarse[c, x - 1, b])
        below = 0
        b = 0
        while below + window[b] <= rank:
            below += window[b]
            b += 1
        if x - updated[b] >= ksize:
            for v in range(16):
                window_fine[b, v] = 0
            for j in range(x, x + ksize):
                for v in range(16):
                    window_fine[b, v] += fine[c, b, j, v]
        else:
            for xs in range(updated[b] + 1, x + 1):
                entering, leaving = xs + ksize - 1, xs - 1
                for v in range(16):
                    window_fine[b, v] += np.int32(fine[c, b, entering, v]) - np.int32(fine[c, b, leaving, v])
        updated[b] = x
        v = 0
        while below + window_fine[b, v] <= rank:
            below += window_fine[b, v]
            v += 1
        out_row[x, c] = b * 16 + v


@njit(cache=True, nogil=True, error_model="numpy")
def _median_histogram(planes, ksize, out, y0, y1):
    """Perreault & Hébert over rows y0 … y1 − 1: the strip keeps its own column histograms
    and moves them down one row at a time."""
    h, w, cn = planes.shape
    radius = ksize // 2
    rank = ksize * ksize // 2
    cols = border_map(w, radius, radius, BORDER_REPLICATE)
    fine = np.zeros((cn, _COARSE, cols.size, 16), np.uint16)
    coarse = np.zeros((cn, cols.size, _COARSE), np.uint16)
    for dy in range(-radius, radius + 1):
        _add_row(fine, coarse, planes[min(max(y0 + dy, 0), h - 1)], cols, cn, 1)
    for y in range(y0, y1):
        if y > y0:
            _add_row(fine, coarse, planes[max(y - radius - 1, 0)], cols, cn, -1)
            _add_row(fine, coarse, planes[min(y + radius, h - 1)], cols, cn, 1)
        for c in range(cn):
            _median_row(fine, coarse, out[y], c, ksize, rank)


# --------------------------------------------------------------------------- public


def median_blur(planes, ksize):
    """Median of every ksize × ksize window of (H, W, C) ``planes``, border REPLICATE, as
    ``cv2.medianBlur``. ksize is odd; 3 and 5 take uint8, uint16 or float32, larger sizes
    uint8 (checked by the caller). Returns new planes."""
    if ksize == 1:
        return planes.copy()
    out = np.empty_like(planes)
    kernel = _median_network if ksize <= 5 else _median_histogram
    run_in_strips(kernel, planes.shape, planes, ksize, out)
    return out
