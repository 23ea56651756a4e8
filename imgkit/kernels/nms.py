"""Greedy and soft non-maximum suppression of boxes given as (x, y, w, h) in double precision.

Every convention is OpenCV's (``cv2.dnn.NMSBoxes`` on ``Rect2d``, ``NMSBoxesBatched``,
``softNMSBoxes``; REFERENCE_NOTES §8), down to the rounding: the overlap of two boxes is
OpenCV's ``1 - (float)(1 - inter / union)`` in float32 from a double-precision intersection
computed as ``Rect_::operator&`` computes it, and two boxes whose areas add up to at most the
double epsilon (zero, negative or vanishing areas) overlap by exactly 1 wherever they are.

Greedy NMS is sequential by nature (each decision depends on the boxes kept before it), so it
runs on one thread; what makes it fast is that a candidate is tested only against the kept
boxes that can intersect it: each kept box is filed under the cells of a hashed uniform grid
(cells about one median box wide) that its extent covers, in slices sized beforehand for every
candidate, and a candidate looks only in its own cells. The result is the greedy result
exactly (a box that does not intersect a kept box has overlap 0 with it, and the epsilon rule is
checked against the smallest kept area), at a cost that grows like n·(boxes per cell) instead of
n·kept when boxes are spread over the image: 10⁵ detections take ~0.1–0.2 s where
``cv2.dnn.NMSBoxes`` takes ~23 s.
"""

import math

import numpy as np
from numba import njit

EPSILON = np.finfo(np.float64).eps     # std::numeric_limits<double>::epsilon(), OpenCV's "same box" rule
MAX_CELLS_PER_BOX = 16          # a kept box covering more cells is tested against every candidate instead
MAX_CELL_INDEX = 1 << 40        # cell coordinates are clamped (monotone, so overlapping boxes still share cells)


# ---------------------------------------------------------------- the overlap of two boxes

@njit(cache=True, nogil=True)
def _intersection_area(ax, ay, aw, ah, bx, by, bw, bh):
    """The area of ``Rect2d(a) & Rect2d(b)``, with OpenCV's operation order (it matters at IoU ≈ thr)."""
    if aw <= 0.0 or ah <= 0.0 or bw <= 0.0 or bh <= 0.0:
        return 0.0
    if ax < bx:
        left_x, left_w, right_x, right_w = ax, aw, bx, bw
    else:
        left_x, left_w, right_x, right_w = bx, bw, ax, aw
    if ay < by:
        top_y, top_h, bottom_y, bottom_h = ay, ah, by, bh
    else:
        top_y, top_h, bottom_y, bottom_h = by, bh, ay, ah
    if (left_x < 0.0 and left_x + left_w < right_x) or (top_y < 0.0 and top_y + top_h < bottom_y):
        return 0.0
    width = min(left_w - (right_x - left_x), right_w)
    height = min(top_h - (bottom_y - top_y), bottom_h)
    if width <= 0.0 or height <= 0.0:
        return 0.0
    return width * height


@njit(cache=True, nogil=True)
def overlap(x, y, w, h, a, b):
    """IoU of boxes ``a`` and ``b`` as OpenCV's ``rectOverlap`` returns it (float32)."""
    area_a = w[a] * h[a]
    area_b = w[b] * h[b]
    distance = 0.0
    if area_a + area_b > EPSILON:
        inter = _intersection_area(x[a], y[a], w[a], h[a], x[b], y[b], w[b], h[b])
        distance = 1.0 - inter / (area_a + area_b - inter)
    return np.float32(1.0) - np.float32(distance)


# ---------------------------------------------------------------- the steps of greedy NMS

def candidates(scores, score_threshold, top_k):
    """Indices of the scores above ``score_threshold`` (strictly), best first, ties in index
    order (a stable sort), truncated to ``top_k`` when it is positive. NumPy's sorts: nothing
    to compile (Numba's merge sort cost 0.9 s of a first call)."""
    passing = np.flatnonzero(scores > np.float32(score_threshold))
    order = passing[np.argsort(-scores[passing], kind="stable")]
    if 0 < top_k < order.size:
        order = order[:top_k]
    return order


def class_offsets(x, y, w, h, classes):
    """OpenCV's batched NMS: every box shifted along the diagonal by ``class·(max coordinate + 1)``
    in double, so that boxes of different classes (with non-negative coordinates) never meet."""
    largest = max(0.0, x.max(), y.max(), (x + w).max(), (y + h).max()) if x.size else 0.0
    offset = classes * (largest + 1.0)
    return x + offset, y + offset


def cell_size(w, h, order):
    """The grid's cell side: the median of the larger side of the candidates ``order`` that have
    an area, so that a typical box spans one or two cells each way (1 if none has)."""
    w, h = w[order], h[order]
    sides = np.maximum(w, h)[(w > 0.0) & (h > 0.0)]
    return float(np.median(sides)) if sides.size else 1.0


@njit(cache=True, nogil=True)
def _cell(value, origin, cell):
    position = (value - origin) / cell
    return np.int64(min(max(math.floor(position), -MAX_CELL_INDEX), MAX_CELL_INDEX))


@njit(cache=True, nogil=True)
def _bucket(cx, cy, mask):
    return ((cx * 73856093) ^ (cy * 19349663)) & mask


@njit(cache=True, nogil=True)
def _cell_ranges(x, y, w, h, order, cell):
    """For each candidate with an area, the cells its extent covers, widened by a margin far
    above the rounding of x + w, so that two boxes OpenCV sees intersecting share a cell:
    (first x, last x, first y, last y) per rank (last < first: no area, filed nowhere), for
    cells of side ``cell`` (``cell_size``)."""
    origin_x, origin_y, magnitude = np.inf, np.inf, 0.0
    for i in order:
        origin_x, origin_y = min(origin_x, x[i]), min(origin_y, y[i])
        magnitude = max(magnitude, abs(x[i]) + abs(w[i]), abs(y[i]) + abs(h[i]))
    margin = magnitude * 1e-12
    ranges = np.zeros((order.size, 4), np.int64)
    for rank in range(order.size):
        c = order[rank]
        if w[c] > 0.0 and h[c] > 0.0:
            ranges[rank, 0] = _cell(x[c] - margin, origin_x, cell)
            ranges[rank, 1] = _cell(x[c] + w[c] + margin, origin_x, cell)
            ranges[rank, 2] = _cell(y[c] - margin, origin_y, cell)
            ranges[rank, 3] = _cell(y[c] + h[c] + margin, origin_y, cell)
        else:
            ranges[rank, 1] = ranges[rank, 3] = -1
    return ranges, margin


@njit(cache=True, nogil=True)
def _spans(ranges, rank):
    """The cells a candidate covers, saturated past MAX_CELLS_PER_BOX (the product could overflow)."""
    across = ranges[rank, 1] - ranges[rank, 0] + 1
    down = ranges[rank, 3] - ranges[rank, 2] + 1
    if across <= 0 or down <= 0:
        return 0
    return min(across, MAX_CELLS_PER_BOX + 1) * min(down, MAX_CELLS_PER_BOX + 1)


@njit(cache=True, nogil=True)
def _grid(ranges):
    """An empty grid with room for every candidate under each cell it covers: the cells hashed
    to ``buckets`` (a power of two ≥ 2 × the candidates; a collision only costs a few extra
    tests), each bucket a slice of the entry arrays (``starts``), filled from its start
    (``filled``). An entry is a box's index and its bounds (x, y, x + w, y + h) side by side, so
    that a query streams through memory. Returns buckets, starts, filled, entries, bounds."""
    buckets = 1
    while buckets < 2 * ranges.shape[0]:
        buckets *= 2
    starts = np.zeros(buckets + 1, np.int64)
    for rank in range(ranges.shape[0]):
        if 0 < _spans(ranges, rank) <= MAX_CELLS_PER_BOX:
            for cy in range(ranges[rank, 2], ranges[rank, 3] + 1):
                for cx in range(ranges[rank, 0], ranges[rank, 1] + 1):
                    starts[_bucket(cx, cy, buckets - 1) + 1] += 1
    for b in range(buckets):
        starts[b + 1] += starts[b]
    return buckets, starts, np.zeros(buckets, np.int64), np.empty(starts[buckets], np.int64), np.empty((starts[buckets], 4))


@njit(cache=True, nogil=True)
def _file(x, y, w, h, box, cells, starts, filled, entry_box, bounds):
    """File ``box`` under each cell of ``cells`` (first x, last x, first y, last y)."""
    mask = filled.size - 1
    for cy in range(cells[2], cells[3] + 1):
        for cx in range(cells[0], cells[1] + 1):
            b = _bucket(cx, cy, mask)
            e = starts[b] + filled[b]
            filled[b] += 1
            entry_box[e] = box
            bounds[e, 0], bounds[e, 1] = x[box], y[box]
            bounds[e, 2], bounds[e, 3] = x[box] + w[box], y[box] + h[box]


@njit(cache=True, nogil=True)
def greedy(x, y, w, h, order, cell, iou_threshold, eta):
    """Keep each candidate of ``order`` (best first) whose overlap with every box kept before it
    is ≤ the threshold; after each keep, ``eta < 1`` lowers a threshold above 0.5 by that
    factor (OpenCV's adaptive NMS). Returns the kept indices in the order they were kept.

    Kept boxes are filed under the grid cells (of side ``cell``) they cover; a candidate looks
    only in its own.
    """
    n = order.size
    threshold = np.float32(iou_threshold)
    factor = np.float32(eta)
    ranges, margin = _cell_ranges(x, y, w, h, order, cell)
    buckets, starts, filled, entry_box, bounds = _grid(ranges)
    kept = np.empty(n, np.int64)
    count = 0
    large = np.empty(n, np.int64)       # kept boxes covering too many cells to be filed
    larges = 0
    seen = np.full(x.size, -1, np.int64)    # the candidate a kept box was last tested against
    smallest_area = np.inf              # of the kept boxes: OpenCV's epsilon rule
    for rank in range(n):
        c = order[rank]
        area = w[c] * h[c]
        keep = not (area + smallest_area <= EPSILON and np.float32(1.0) > threshold)
        spans = _spans(ranges, rank)
        if keep and spans > MAX_CELLS_PER_BOX:     # too many cells to walk: test every kept box
            for j in range(count):
                if overlap(x, y, w, h, c, kept[j]) > threshold:
                    keep = False
                    break
        elif keep and spans > 0:
            for j in range(larges):
                if overlap(x, y, w, h, c, large[j]) > threshold:
                    keep = False
                    break
        if keep and 0 < spans <= MAX_CELLS_PER_BOX:
            left, top = x[c] - margin, y[c] - margin
            right, bottom = x[c] + w[c] + margin, y[c] + h[c] + margin
            for cy in range(ranges[rank, 2], ranges[rank, 3] + 1):
                for cx in range(ranges[rank, 0], ranges[rank, 1] + 1):
                    b = _bucket(cx, cy, buckets - 1)
                    for e in range(starts[b], starts[b] + filled[b]):
                        if ((bounds[e, 0] < right) & (left < bounds[e, 2])
                                & (bounds[e, 1] < bottom) & (top < bounds[e, 3])):
                            k = entry_box[e]
                            if seen[k] == rank:
                                continue
                            seen[k] = rank
                            if overlap(x, y, w, h, c, k) > threshold:
                                keep = False
                                break
                    if not keep:
                        break
                if not keep:
                    break
        if not keep:
            continue
        kept[count] = c
        count += 1
        smallest_area = min(smallest_area, area)
        if spans > MAX_CELLS_PER_BOX:
            large[larges] = c
            larges += 1
        elif spans > 0:
            _file(x, y, w, h, c, ranges[rank], starts, filled, entry_box, bounds)
        if factor < 1.0 and threshold > 0.5:
            threshold = threshold * factor
    return kept[:count]


def nms(x, y, w, h, scores, classes, class_aware, score_threshold, iou_threshold, eta, top_k):
    """Greedy NMS, class-agnostic or (``class_aware``) OpenCV's batched form; kept indices, best
    first. Only the walk (``greedy``) is jitted: the sort and the shifts are NumPy's."""
    if class_aware:
        x, y = class_offsets(x, y, w, h, classes)
    order = candidates(scores, score_threshold, top_k)
    return greedy(x, y, w, h, order, cell_size(w, h, order), iou_threshold, eta)


# ---------------------------------------------------------------- soft NMS

@njit(cache=True, nogil=True)
def _before(current, i, j):
    """Whether box ``i`` is picked before box ``j``: higher score, or the same and lower index."""
    return current[i] > current[j] or (current[i] == current[j] and i < j)


@njit(cache=True, nogil=True)
def _sift_down(heap, place, current, slot, size):
    while True:
        child = 2 * slot + 1
        if child >= size:
            return
        if child + 1 < size and _before(current, heap[child + 1], heap[child]):
            child += 1
        if not _before(current, heap[child], heap[slot]):
            return
        heap[slot], heap[child] = heap[child], heap[slot]
        place[heap[slot]], place[heap[child]] = slot, child
        slot = child


@njit(cache=True, nogil=True)
def _rescore(x, y, w, h, current, pick, i, iou, sigma, linear, heap, place, size):
    """Lower box ``i``'s score for its overlap with ``pick``, as softNMSBoxes does, and restore
    the heap (scores only fall, so the box sinks)."""
    o = overlap(x, y, w, h, pick, i)
    if linear:
        if o > iou:
            current[i] = current[i] * (np.float32(1.0) - o)
    else:
        exponent = -(o * o) / sigma                 # float32 throughout, and expf: OpenCV's
        current[i] = current[i] * math.exp(exponent)    # exp(float), to the last bit
    _sift_down(heap, place, current, place[i], size)


def soft_nms(x, y, w, h, scores, score_threshold, iou_threshold, sigma, linear, top_k):
    """Soft-NMS as ``cv2.dnn.softNMSBoxes`` (``_soft_nms``), on a grid of cells one median box wide."""
    return _soft_nms(x, y, w, h, scores, score_threshold, iou_threshold, sigma, linear, top_k,
                     cell_size(w, h, np.arange(x.size)))


@njit(cache=True, nogil=True)
def _soft_nms(x, y, w, h, scores, score_threshold, iou_threshold, sigma, linear, top_k, cell):
    """Soft-NMS (Bodla et al. 2017) as ``cv2.dnn.softNMSBoxes``: repeatedly pick the highest
    current score (ties: the lowest index) while it is ≥ ``score_threshold``, then multiply the
    score of every remaining box still ≥ the threshold by ``exp(-IoU²/sigma)`` (Gaussian) or,
    where IoU > ``iou_threshold``, by ``1 - IoU`` (linear), in float32.

    A box whose overlap with the pick is 0 keeps its score exactly (a factor of 1), so each pick
    rescores only the boxes that intersect it, found in the grid cells it covers, and those
    whose areas add up with its own to at most the double epsilon (overlap 1), found as a
    prefix of the boxes sorted by area. The next pick is the top of a heap of the boxes left.

    Returns the picked indices and their scores at the time they were picked.
    """
    n = scores.size
    limit = n if top_k == 0 else min(top_k, n)
    picked = np.empty(limit, np.int64)
    picked_scores = np.empty(limit, np.float32)
    if n == 0:
        return picked, picked_scores
    current = scores.copy()
    threshold = np.float32(score_threshold)
    iou = np.float32(iou_threshold)
    sigma32 = np.float32(sigma)
    everyone = np.arange(n)
    ranges, margin = _cell_ranges(x, y, w, h, everyone, cell)
    buckets, starts, filled, entry_box, bounds = _grid(ranges)
    for i in range(n):
        if 0 < _spans(ranges, i) <= MAX_CELLS_PER_BOX:
            _file(x, y, w, h, i, ranges[i], starts, filled, entry_box, bounds)
    large = np.array([i for i in range(n) if _spans(ranges, i) > MAX_CELLS_PER_BOX], np.int64)
    areas = w * h
    by_area = np.argsort(areas)
    heap = np.arange(n)
    place = np.arange(n)
    for slot in range(n // 2 - 1, -1, -1):
        _sift_down(heap, place, current, slot, n)
    size = n
    done = np.zeros(n, np.bool_)
    seen = np.full(n, -1, np.int64)
    count = 0
    while count < limit and size > 0:
        pick = heap[0]
        if current[pick] < threshold:
            break
        picked[count] = pick
        picked_scores[count] = current[pick]
        count += 1
        done[pick] = True
        size -= 1
        heap[0] = heap[size]
        place[heap[0]] = 0
        _sift_down(heap, place, current, 0, size)
        seen[pick] = pick
        for j in range(by_area.size):       # OpenCV's epsilon rule: overlap 1, however far apart
            i = by_area[j]
            if areas[pick] + areas[i] > EPSILON:
                break
            if not done[i] and seen[i] != pick and current[i] >= threshold:
                seen[i] = pick
                _rescore(x, y, w, h, current, pick, i, iou, sigma32, linear, heap, place, size)
        spans = _spans(ranges, pick)
        if spans <= 0:
            continue                        # no area: intersects nothing
        left, top = x[pick] - margin, y[pick] - margin
        right, bottom = x[pick] + w[pick] + margin, y[pick] + h[pick] + margin
        if spans > MAX_CELLS_PER_BOX:
            neighbours = everyone           # too large to look up by cells: every box
        else:
            neighbours = large
            for cy in range(ranges[pick, 2], ranges[pick, 3] + 1):
                for cx in range(ranges[pick, 0], ranges[pick, 1] + 1):
                    b = _bucket(cx, cy, buckets - 1)
                    for e in range(starts[b], starts[b] + filled[b]):
                        i = entry_box[e]
                        if ((bounds[e, 0] < right) & (left < bounds[e, 2]) & (bounds[e, 1] < bottom)
                                & (top < bounds[e, 3])) and not done[i] and seen[i] != pick \
                                and current[i] >= threshold:
                            seen[i] = pick
                            _rescore(x, y, w, h, current, pick, i, iou, sigma32, linear, heap, place, size)
        for i in neighbours:
            if (not done[i] and seen[i] != pick and current[i] >= threshold and x[i] < right
                    and left < x[i] + w[i] and y[i] < bottom and top < y[i] + h[i]):
                seen[i] = pick
                _rescore(x, y, w, h, current, pick, i, iou, sigma32, linear, heap, place, size)
    return picked[:count], picked_scores[:count]
