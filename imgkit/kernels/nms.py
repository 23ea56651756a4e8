"""Greedy and soft non-maximum suppression of boxes given as (x, y, w, h) in double precision.

Every convention is OpenCV's (``cv2.dnn.NMSBoxes`` on ``Rect2d``, ``NMSBoxesBatched``,
``softNMSBoxes``; REFERENCE_NOTES §8), down to the rounding: the overlap of two boxes is
OpenCV's ``1 - (float)(1 - inter / union)`` in float32 from a double-precision intersection
computed as ``Rect_::operator&`` computes it, and two boxes whose areas add up to at most the
double epsilon (zero, negative or vanishing areas) overlap by exactly 1 wherever they are.

Both walks are sequential by nature (each decision depends on the ones before it); what makes
them fast is an index (``_index``) that hands a box only the boxes that can overlap it enough
to matter. Two facts bound those on any layout:

- IoU > t needs the intersection wider than t times the larger width and higher than t times
  the larger height (``overlap``), so the two widths within a factor t of each other, and the
  two heights too: boxes are grouped by *scale*, the binary exponents of their width and
  height, and a query at threshold t reads only the groups whose scales it admits (3 × 3 at
  t = 0.5);
- it also needs the centres within (1 − t) times the mean side of each other (the intersection
  is at most the mean side less the centres' distance): each group has a uniform grid of its
  own, with cells half as large as its largest box (or about two members a cell where it is
  sparser), each box is filed once, under the cell of its centre, and a query reads the cells
  its centre reaches.

Long thin boxes that cross one another, whose extents overlap almost everywhere, fall into
different groups (lying and standing, short and long), so a crossing layout costs what a random
one does: 10⁵ crossing boxes take ~0.15 s (CPU), where ``cv2.dnn.NMSBoxes`` is quadratic (20k
took it 2.9 s). With classes, the groups are per class as well (OpenCV's diagonal shift keeps
classes apart when no coordinate is negative). Soft-NMS with a Gaussian penalty (t = 0) reads
every group of the pick's class (groups of coarser scales), and in them the boxes that
intersect the pick.
"""

import math

import numpy as np
from numba import njit

EPSILON = np.finfo(np.float64).eps     # std::numeric_limits<double>::epsilon(), OpenCV's "same box" rule
SCALES = 64             # a side's scale is its binary exponent, clamped to [-SCALES, SCALES]
SCALE_SPAN = 2 * SCALES + 1
SMALLEST_SCALE, LARGEST_SCALE = 2.0 ** -SCALES, 2.0 ** SCALES
# The float32 overlap can exceed the intersection's share by one float32 rounding of 1 − IoU
# (~6e-8): an overlap above t needs ratios above t − RATIO_SLACK.
RATIO_SLACK = 1e-6
CELL = 0.5              # a group's cells, as a fraction of its largest box's sides
# Gaussian Soft-NMS reads every group (any intersection counts): its groups only shape the
# grids, and scales a factor 8 apart make fewer of them to visit for each pick.
GAUSSIAN_COARSENESS = np.int64(3)
FINE = np.int64(1)      # int64s, not literals: one compilation of each helper for every caller
ACROSS, DOWN = np.int64(0), np.int64(1)     # the axes of _reach
LABEL_BIAS = 1 << 31    # class ids are int32: biased, they are non-negative hash keys

# A helper that only jitted code calls: without the CPython and C entry points (~35 ms of
# compilation each, as kernels/guided.inner).
helper = njit(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)


# ---------------------------------------------------------------- the overlap of two boxes

@helper
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


@helper
def overlap(ax, ay, aw, ah, bx, by, bw, bh):
    """IoU of boxes a and b as OpenCV's ``rectOverlap`` returns it (float32).

    As computed, the intersection's width and height never exceed the smaller width and height,
    and the union is at least the larger area (to a few ulps), so the result exceeds t only if
    the intersection is wider than (t − RATIO_SLACK) times the larger width and higher than
    (t − RATIO_SLACK) times the larger height: what ``_near`` and the index rely on.
    """
    area_a = aw * ah
    area_b = bw * bh
    distance = 0.0
    if area_a + area_b > EPSILON:
        inter = _intersection_area(ax, ay, aw, ah, bx, by, bw, bh)
        distance = 1.0 - inter / (area_a + area_b - inter)
    return np.float32(1.0) - np.float32(distance)


# ---------------------------------------------------------------- the index

@helper
def _scale(side, coarseness):
    """floor(log2(side)), exactly (frexp), clamped to [-SCALES, SCALES], floor-divided by
    ``coarseness`` (scales a factor 2^coarseness apart): monotone in ``side``."""
    if not side >= SMALLEST_SCALE:
        return -SCALES // coarseness
    if side >= LARGEST_SCALE:
        return SCALES // coarseness
    return (math.frexp(side)[1] - 1) // coarseness


@helper
def _least_ratio(threshold):
    """The least ratio of the sides (the intersection's to the larger box's, and so the smaller
    box's to the larger's) that an overlap above ``threshold`` needs; 0: none."""
    return max(np.float64(threshold) - RATIO_SLACK, 0.0)


@helper
def _scale_range(side, ratio, coarseness):
    """The scales of the sides within a factor ``ratio`` of ``side`` (every scale for ratio 0)."""
    if ratio <= 0.0:
        return -SCALES, SCALES
    return _scale(side * ratio * (1.0 - 1e-12), coarseness), _scale(side / ratio * (1.0 + 1e-12), coarseness)


@helper
def _intern(keys, ids, key, count):
    """The id of the non-negative ``key`` in the open-addressing table ``keys``/``ids`` (a power of
    two long, -1 where free), added as ``count`` if absent. Returns (id, ids handed out)."""
    mask = keys.size - 1
    slot = (key ^ (key >> 16) ^ (key >> 33)) & mask
    while keys[slot] != key:
        if keys[slot] < 0:
            keys[slot] = key
            ids[slot] = count
            return count, count + 1
        slot = (slot + 1) & mask
    return ids[slot], count


@helper
def _cell_of(value, origin, inverse, cells):
    """The cell (0 … cells − 1) along one axis that ``value`` falls in: monotone, clamped."""
    q = (value - origin) * inverse
    if not q > 0.0:
        return 0
    if q >= cells - 1:
        return cells - 1
    return int(q)


@helper
def _reach(geometry, shape, group, centre, side, keep, margin, axis):
    """The cells of ``group`` along ``axis`` (0: x, 1: y) holding the centres of its boxes that can
    overlap enough a box of this centre and side: (first, last), last < first when none. Such
    centres lie within keep · (side + the group's largest side) / 2 of it, keep = 1 − the least
    ratio (the intersection is at most the mean side less the centres' distance)."""
    origin, inverse, largest = geometry[group, axis], geometry[group, 2 + axis], geometry[group, 4 + axis]
    cells = shape[group, axis]
    half = keep * 0.5 * (side + largest) + 2.0 * margin
    first = (centre - half - origin) * inverse
    last = (centre + half - origin) * inverse
    if last < 0.0 or first >= cells:
        return 1, 0
    return (int(first) if first > 0.0 else 0), (int(last) if last < cells - 1 else cells - 1)


@helper
def _index(x, y, w, h, members, labels, coarseness):
    """The index of the boxes ``members`` (a rank each) that have an area, by group: (label, width
    scale, height scale; scales floor-divided by ``coarseness``), ``labels`` per box (empty: one
    label).

    Each group's grid has cells CELL times its largest box, or squares large enough for about
    two members each where its boxes are sparser than that (a query then reads a few full cells
    rather than many empty ones, whatever its shape). Returns

    - ``member_group``, ``member_cell`` per rank (-1: no area, filed nowhere);
    - ``group_label``, ``label_start``, ``label_groups``: each group's label, and the groups of
      each label, label after label;
    - ``scales`` (G, 2): each group's width and height scale;
    - ``geometry`` (G, 6): origin x and y, inverse cell width and height, largest width and height;
    - ``shape`` (G, 3): cells across, down, and the group's first cell in the cell arrays;
    - ``cell_start``: each cell's first slot (cells + 1; the caller fills the slots);
    - ``margin``: a slack far above the rounding of x + w, by which a query widens a box.
    """
    n = members.size
    table = 2
    while table < 2 * n:
        table *= 2
    label_keys, label_ids = np.empty(table, np.int64), np.empty(table, np.int64)
    group_keys, group_ids = np.empty(table, np.int64), np.empty(table, np.int64)
    for i in range(table):
        label_keys[i] = group_keys[i] = -1
    member_group = np.empty(n, np.int64)
    group_label = np.empty(n, np.int64)
    scales = np.empty((n, 2), np.int64)
    extent = np.empty((n, 6))            # min cx, max cx, min cy, max cy, max w, max h
    members_of = np.empty(n, np.int64)
    labels_seen, groups = 0, 0
    magnitude = 0.0
    for rank in range(n):
        i = members[rank]
        magnitude = max(magnitude, abs(x[i]) + abs(w[i]), abs(y[i]) + abs(h[i]))
        member_group[rank] = -1
        if not (w[i] > 0.0 and h[i] > 0.0):
            continue
        label, labels_seen = _intern(label_keys, label_ids, (labels[i] + LABEL_BIAS) if labels.size else 0,
                                     labels_seen)
        sw, sh = _scale(w[i], coarseness), _scale(h[i], coarseness)
        g, added = _intern(group_keys, group_ids, (label * SCALE_SPAN + sw + SCALES) * SCALE_SPAN + sh + SCALES,
                           groups)
        cx, cy = x[i] + 0.5 * w[i], y[i] + 0.5 * h[i]
        if added > groups:
            groups = added
            group_label[g] = label
            scales[g, 0], scales[g, 1] = sw, sh
            extent[g, 0] = extent[g, 1] = cx
            extent[g, 2] = extent[g, 3] = cy
            extent[g, 4], extent[g, 5] = w[i], h[i]
            members_of[g] = 0
        else:
            extent[g, 0], extent[g, 1] = min(extent[g, 0], cx), max(extent[g, 1], cx)
            extent[g, 2], extent[g, 3] = min(extent[g, 2], cy), max(extent[g, 3], cy)
            extent[g, 4], extent[g, 5] = max(extent[g, 4], w[i]), max(extent[g, 5], h[i])
        members_of[g] += 1
        member_group[rank] = g
    geometry = np.empty((groups, 6))
    shape = np.empty((groups, 3), np.int64)
    cells = 0
    for g in range(groups):
        span_x, span_y = extent[g, 1] - extent[g, 0], extent[g, 3] - extent[g, 2]
        most = 2.0 * members_of[g] + 2.0
        least_side = math.sqrt(span_x * span_y / (0.5 * members_of[g] + 0.5))
        cell_w, cell_h = max(CELL * extent[g, 4], least_side), max(CELL * extent[g, 5], least_side)
        across, down = span_x / cell_w, span_y / cell_h
        if not across <= most:          # a group spread along a line (or a span that overflowed)
            cell_w, across = max(cell_w, span_x / most), most
        if not down <= most:
            cell_h, down = max(cell_h, span_y / most), most
        geometry[g, 0], geometry[g, 1] = extent[g, 0], extent[g, 2]
        geometry[g, 2], geometry[g, 3] = 1.0 / cell_w, 1.0 / cell_h
        geometry[g, 4], geometry[g, 5] = extent[g, 4], extent[g, 5]
        shape[g, 0], shape[g, 1], shape[g, 2] = int(across) + 1, int(down) + 1, cells
        cells += shape[g, 0] * shape[g, 1]
    member_cell = np.empty(n, np.int64)
    cell_start = np.empty(cells + 1, np.int64)
    for c in range(cells + 1):
        cell_start[c] = 0
    for rank in range(n):
        g = member_group[rank]
        member_cell[rank] = -1
        if g >= 0:
            i = members[rank]
            column = _cell_of(x[i] + 0.5 * w[i], geometry[g, 0], geometry[g, 2], shape[g, 0])
            row = _cell_of(y[i] + 0.5 * h[i], geometry[g, 1], geometry[g, 3], shape[g, 1])
            member_cell[rank] = shape[g, 2] + row * shape[g, 0] + column
            cell_start[member_cell[rank] + 1] += 1
    for c in range(cells):
        cell_start[c + 1] += cell_start[c]
    label_start = np.empty(labels_seen + 1, np.int64)
    for label in range(labels_seen + 1):
        label_start[label] = 0
    for g in range(groups):
        label_start[group_label[g] + 1] += 1
    for label in range(labels_seen):
        label_start[label + 1] += label_start[label]
    label_groups = np.empty(groups, np.int64)
    placed = np.empty(labels_seen, np.int64)
    for label in range(labels_seen):
        placed[label] = label_start[label]
    for g in range(groups):
        label_groups[placed[group_label[g]]] = g
        placed[group_label[g]] += 1
    return (member_group, member_cell, group_label, label_start, label_groups, scales[:groups], geometry, shape,
            cell_start, magnitude * 1e-12)


@helper
def _file(slot, entry, box, x, y, w, h, slot_box, slots):
    """Put ``entry`` (the box, or its rank) and box ``box``'s x, y, w, h in ``slot``: a query reads
    the slots of a cell in a row, never the box arrays."""
    slot_box[slot] = entry
    slots[slot, 0], slots[slot, 1], slots[slot, 2], slots[slot, 3] = x[box], y[box], w[box], h[box]


@helper
def _near(slots, slot, left, top, width, height, ratio, slack):
    """Whether the box in ``slot`` and the box (left, top, width, height) meet with an intersection
    wider than ``ratio`` times the larger width and higher than ``ratio`` times the larger height,
    give or take ``slack`` (``overlap``: an overlap above the threshold needs both; ratio 0: they
    intersect)."""
    sx, sy, sw, sh = slots[slot, 0], slots[slot, 1], slots[slot, 2], slots[slot, 3]
    across = min(sx + sw, left + width) - max(sx, left)
    down = min(sy + sh, top + height) - max(sy, top)
    return (across > ratio * max(sw, width) - slack) & (down > ratio * max(sh, height) - slack)


# ---------------------------------------------------------------- greedy NMS

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
    in double, so that boxes of different classes (with non-negative coordinates) never meet.
    Returns the shifted x and y, and whether the classes are kept apart so (no box with an area
    has a negative coordinate, and the shifts stay far within double precision, so that the gap
    of 1 between classes outlasts their rounding): then the index groups boxes by class too."""
    largest = max(0.0, x.max(), y.max(), (x + w).max(), (y + h).max()) if x.size else 0.0
    offset = classes * (largest + 1.0)
    solid = (w > 0.0) & (h > 0.0)
    apart = (not solid.any() or (x[solid].min() >= 0.0 and y[solid].min() >= 0.0)) and \
        (largest + 1.0) * (np.abs(classes).max(initial=0) + 2.0) < 2.0 ** 40
    return x + offset, y + offset, apart


@njit(cache=True, nogil=True)
def greedy(x, y, w, h, order, labels, iou_threshold, eta):
    """Keep each candidate of ``order`` (best first) whose overlap with every box kept before it
    is ≤ the threshold; after each keep, ``eta < 1`` lowers a threshold above 0.5 by that
    factor (OpenCV's adaptive NMS). ``labels``: per box, the class the index groups it by (empty:
    one class). Returns the kept indices in the order they were kept.

    Every candidate has a slot in the index (``_index``); a kept box fills it, and a candidate
    reads the filled slots of its neighbourhood, in the loop itself (a helper taking the index's
    tuple cost ~0.2 µs a call: each of its arrays counted in and out). OpenCV's epsilon rule
    (overlap 1 for areas adding up to at most the double epsilon, wherever the boxes are) is
    checked against the smallest kept area, across classes as OpenCV's one pass over shifted
    boxes does.
    """
    n = order.size
    threshold = np.float32(iou_threshold)
    factor = np.float32(eta)
    member_group, member_cell, group_label, label_start, label_groups, scales, geometry, shape, cell_start, \
        margin = _index(x, y, w, h, order, labels, FINE)
    filled = np.empty(cell_start.size - 1, np.int64)
    for cell in range(filled.size):
        filled[cell] = 0
    slots = np.empty((cell_start[-1], 4))
    kept = np.empty(n, np.int64)
    count = 0
    smallest_area = np.inf              # of the kept boxes: OpenCV's epsilon rule
    for rank in range(n):
        c = order[rank]
        area = w[c] * h[c]
        if area + smallest_area <= EPSILON and np.float32(1.0) > threshold:
            continue
        group = member_group[rank]
        suppressed = False
        if group >= 0:
            # the groups whose scales admit an overlap above the threshold, its own first (where
            # a duplicate detection is): in each, the cells its centre reaches, and of their
            # kept boxes those _near enough
            ratio = _least_ratio(threshold)
            low_w, high_w = _scale_range(w[c], ratio, FINE)
            low_h, high_h = _scale_range(h[c], ratio, FINE)
            cx, cy = x[c] + 0.5 * w[c], y[c] + 0.5 * h[c]
            label = group_label[group]
            for k in range(label_start[label] - 1, label_start[label + 1]):
                g = group if k < label_start[label] else label_groups[k]
                if k >= label_start[label] and (g == group or not (low_w <= scales[g, 0] <= high_w
                                                                   and low_h <= scales[g, 1] <= high_h)):
                    continue
                first_x, last_x = _reach(geometry, shape, g, cx, w[c], 1.0 - ratio, margin, ACROSS)
                first_y, last_y = _reach(geometry, shape, g, cy, h[c], 1.0 - ratio, margin, DOWN)
                for row in range(first_y, last_y + 1):
                    cell_row = shape[g, 2] + row * shape[g, 0]
                    for cell in range(cell_row + first_x, cell_row + last_x + 1):
                        for slot in range(cell_start[cell], cell_start[cell] + filled[cell]):
                            if _near(slots, slot, x[c], y[c], w[c], h[c], ratio, 2.0 * margin) and \
                                    overlap(x[c], y[c], w[c], h[c], slots[slot, 0], slots[slot, 1],
                                            slots[slot, 2], slots[slot, 3]) > threshold:
                                suppressed = True
                                break
                        if suppressed:
                            break
                    if suppressed:
                        break
                if suppressed:
                    break
        if suppressed:
            continue
        kept[count] = c
        count += 1
        smallest_area = min(smallest_area, area)
        if group >= 0:
            cell = member_cell[rank]
            slot = cell_start[cell] + filled[cell]
            slots[slot, 0], slots[slot, 1], slots[slot, 2], slots[slot, 3] = x[c], y[c], w[c], h[c]
            filled[cell] += 1
        if factor < 1.0 and threshold > 0.5:
            threshold = threshold * factor
    return kept[:count]


NO_LABELS = np.empty(0, np.int64)


def nms(x, y, w, h, scores, classes, class_aware, score_threshold, iou_threshold, eta, top_k):
    """Greedy NMS, class-agnostic or (``class_aware``) OpenCV's batched form; kept indices, best
    first. Only the walk (``greedy``) is jitted: the sort and the shifts are NumPy's."""
    labels = NO_LABELS
    if class_aware:
        x, y, apart = class_offsets(x, y, w, h, classes)
        labels = classes if apart else NO_LABELS
    order = candidates(scores, score_threshold, top_k)
    return greedy(x, y, w, h, order, labels, iou_threshold, eta)


# ---------------------------------------------------------------- soft NMS

@helper
def _before(key, i, j):
    """Whether rank ``i`` comes before rank ``j``: a higher key, or the same and a lower rank
    (ranks follow the box indices within a class)."""
    return key[i] > key[j] or (key[i] == key[j] and i < j)


@helper
def _sift_down(heap, key, base, slot, size):
    """Restore the heap ``heap[base:base + size]`` below ``slot``."""
    while True:
        child = 2 * slot + 1
        if child >= size:
            return
        if child + 1 < size and _before(key, heap[base + child + 1], heap[base + child]):
            child += 1
        if not _before(key, heap[base + child], heap[base + slot]):
            return
        heap[base + slot], heap[base + child] = heap[base + child], heap[base + slot]
        slot = child


@helper
def _unfile(member, slot_of, member_cell, cell_start, filled, slot_box, slots):
    """Take ``member`` out of its cell: the cell's last slot moves into its place."""
    slot, cell = slot_of[member], member_cell[member]
    last = cell_start[cell] + filled[cell] - 1
    moved = slot_box[last]
    slot_box[slot] = moved
    for k in range(4):
        slots[slot, k] = slots[last, k]
    slot_of[moved] = slot
    slot_of[member] = -1
    filled[cell] -= 1


@helper
def _rescore(score, o, iou, sigma, linear):
    """A score lowered for an overlap ``o`` with the pick, as softNMSBoxes does."""
    if linear:
        return score * (np.float32(1.0) - o) if o > iou else score
    exponent = -(o * o) / sigma             # float32 throughout, and expf: OpenCV's
    return score * math.exp(exponent)       # exp(float), to the last bit


@njit(cache=True, nogil=True)
def _soft_nms(x, y, w, h, scores, members, labels, ends, score_threshold, iou_threshold, sigma, linear, top_k):
    """Soft-NMS (Bodla et al. 2017) as ``cv2.dnn.softNMSBoxes``, on each run of ``members`` (the
    boxes of a class, in index order; ``ends``: where each run ends, ``labels`` the classes, or
    empty for one run) on its own: repeatedly pick the highest current score (ties: the lowest
    index) while it is ≥ ``score_threshold``, then multiply the score of every remaining box
    still ≥ the threshold by ``exp(-IoU²/sigma)`` (Gaussian) or, where IoU > ``iou_threshold``,
    by ``1 - IoU`` (linear), in float32. Returns the picks (at most ``top_k`` a run, if
    positive) and their scores when picked: in the order made for one run, merged best first
    (ties by index) for several.

    A box whose overlap with the pick is 0 keeps its score exactly (a factor of 1), so each pick
    rescores only the boxes of its class that intersect it (linear: that overlap it by more than
    the threshold), found in one index of every class, and those whose areas add up with its
    own to at most the double epsilon (overlap 1). A box leaves the index once picked or once
    its score falls below the threshold (OpenCV skips it from then on). The next pick comes
    from a lazy heap: scores only fall, so a box's key there is an upper bound of its score,
    brought down to it only when the box reaches the top.
    """
    n = members.size
    threshold = np.float32(score_threshold)
    iou = np.float32(iou_threshold)
    sigma32 = np.float32(sigma)
    coarseness = FINE if linear else GAUSSIAN_COARSENESS
    index = _index(x, y, w, h, members, labels, coarseness)
    member_group, member_cell, group_label, label_start, label_groups, scales, geometry, shape, cell_start, \
        margin = index
    ratio = _least_ratio(iou) if linear else 0.0
    current = np.empty(n, np.float32)
    key = np.empty(n, np.float32)
    areas = np.empty(n)
    heap = np.empty(n, np.int64)
    slot_of = np.empty(n, np.int64)
    seen = np.empty(n, np.int64)
    done = np.empty(n, np.bool_)
    vanishing = np.empty(n, np.int64)       # a run's boxes that the epsilon rule can ever apply to
    filled = np.empty(cell_start.size - 1, np.int64)
    for cell in range(filled.size):
        filled[cell] = 0
    slot_box = np.empty(cell_start[-1], np.int64)
    slots = np.empty((cell_start[-1], 4))
    for r in range(n):
        i = members[r]
        current[r] = key[r] = scores[i]
        areas[r] = w[i] * h[i]
        heap[r] = r
        seen[r] = -1
        done[r] = False
        slot_of[r] = -1
        cell = member_cell[r]
        if cell >= 0 and current[r] >= threshold:
            slot_of[r] = cell_start[cell] + filled[cell]
            _file(slot_of[r], r, i, x, y, w, h, slot_box, slots)
            filled[cell] += 1
    picked = np.empty(n, np.int64)
    picked_scores = np.empty(n, np.float32)
    run_ends = np.empty(ends.size, np.int64)
    count, start = 0, 0
    for run, end in enumerate(ends):
        size = end - start
        limit = count + (size if top_k == 0 else min(top_k, size))
        smallest_area = np.inf
        for r in range(start, end):
            smallest_area = min(smallest_area, areas[r])
        vanishings = 0
        for r in range(start, end):
            if areas[r] + smallest_area <= EPSILON:
                vanishing[vanishings] = r
                vanishings += 1
        for slot in range(size // 2 - 1, -1, -1):
            _sift_down(heap, key, start, slot, size)
        while count < limit and size > 0:
            p = heap[start]
            if current[p] < key[p]:             # a stale key: sink the box with its score
                key[p] = current[p]
                _sift_down(heap, key, start, 0, size)
                continue
            if current[p] < threshold:
                break
            pick = members[p]
            picked[count] = pick
            picked_scores[count] = current[p]
            count += 1
            size -= 1
            heap[start] = heap[start + size]
            _sift_down(heap, key, start, 0, size)
            done[p] = True
            if slot_of[p] >= 0:
                _unfile(p, slot_of, member_cell, cell_start, filled, slot_box, slots)
            px, py, pw, ph = x[pick], y[pick], w[pick], h[pick]
            if areas[p] + smallest_area <= EPSILON:     # OpenCV's epsilon rule: overlap 1, however far apart
                for j in range(vanishings):
                    r = vanishing[j]
                    if not done[r] and areas[p] + areas[r] <= EPSILON and current[r] >= threshold:
                        seen[r] = p
                        i = members[r]
                        current[r] = _rescore(current[r], overlap(px, py, pw, ph, x[i], y[i], w[i], h[i]), iou,
                                              sigma32, linear)
                        if current[r] < threshold and slot_of[r] >= 0:
                            _unfile(r, slot_of, member_cell, cell_start, filled, slot_box, slots)
            group = member_group[p]
            if group < 0:
                continue                        # no area: intersects nothing
            low_w, high_w = _scale_range(pw, ratio, coarseness)
            low_h, high_h = _scale_range(ph, ratio, coarseness)
            cx, cy = px + 0.5 * pw, py + 0.5 * ph
            label = group_label[group]
            for k in range(label_start[label], label_start[label + 1]):
                g = label_groups[k]
                if scales[g, 0] < low_w or scales[g, 0] > high_w or scales[g, 1] < low_h or scales[g, 1] > high_h:
                    continue
                first_x, last_x = _reach(geometry, shape, g, cx, pw, 1.0 - ratio, margin, ACROSS)
                first_y, last_y = _reach(geometry, shape, g, cy, ph, 1.0 - ratio, margin, DOWN)
                for row in range(first_y, last_y + 1):
                    cell_row = shape[g, 2] + row * shape[g, 0]
                    for cell in range(cell_row + first_x, cell_row + last_x + 1):
                        slot = cell_start[cell]
                        while slot < cell_start[cell] + filled[cell]:
                            r = slot_box[slot]
                            if _near(slots, slot, px, py, pw, ph, ratio, 2.0 * margin) and seen[r] != p:
                                current[r] = _rescore(current[r], overlap(px, py, pw, ph, slots[slot, 0],
                                                                          slots[slot, 1], slots[slot, 2],
                                                                          slots[slot, 3]),
                                                      iou, sigma32, linear)
                                if current[r] < threshold:
                                    _unfile(r, slot_of, member_cell, cell_start, filled, slot_box, slots)
                                    continue    # the cell's last box is in this slot now
                            slot += 1
        start = end
        run_ends[run] = count
    if ends.size == 1:
        return picked[:count], picked_scores[:count]
    return _merge_runs(picked, picked_scores, run_ends)


@helper
def _ahead(picked, picked_scores, a, b):
    """Whether pick ``a`` comes before pick ``b``: a higher score, or the same and a lower index."""
    return picked_scores[a] > picked_scores[b] or (picked_scores[a] == picked_scores[b] and picked[a] < picked[b])


@helper
def _merge_runs(picked, picked_scores, run_ends):
    """The picks of every run (each best first, ``run_ends``: where each ends) merged best first,
    ties by index, as ``np.lexsort((indices, -scores))`` orders them: a heap of the runs' heads."""
    runs = run_ends.size
    head, end, heap = np.empty(runs, np.int64), np.empty(runs, np.int64), np.empty(runs, np.int64)
    size = 0
    for run in range(runs):
        head[run], end[run] = run_ends[run - 1] if run else 0, run_ends[run]
        if head[run] < end[run]:
            heap[size] = run
            size += 1
    merged = np.empty(run_ends[-1], np.int64)
    merged_scores = np.empty(run_ends[-1], np.float32)
    for first in range(size // 2 - 1, -1, -1):
        _sift_runs(heap, head, picked, picked_scores, first, size)
    for k in range(merged.size):
        run = heap[0]
        merged[k], merged_scores[k] = picked[head[run]], picked_scores[head[run]]
        head[run] += 1
        if head[run] == end[run]:
            size -= 1
            heap[0] = heap[size]
        _sift_runs(heap, head, picked, picked_scores, 0, size)
    return merged, merged_scores


@helper
def _sift_runs(heap, head, picked, picked_scores, slot, size):
    """Restore the heap of runs (by their heads' picks, ``_ahead``) below ``slot``."""
    while True:
        child = 2 * slot + 1
        if child >= size:
            return
        if child + 1 < size and _ahead(picked, picked_scores, head[heap[child + 1]], head[heap[child]]):
            child += 1
        if not _ahead(picked, picked_scores, head[heap[child]], head[heap[slot]]):
            return
        heap[slot], heap[child] = heap[child], heap[slot]
        slot = child


def soft_nms(x, y, w, h, scores, classes, score_threshold, iou_threshold, sigma, linear, top_k):
    """Soft-NMS as ``cv2.dnn.softNMSBoxes``, on all boxes together (``classes`` None: the picks in
    the order made) or on each class's boxes apart (the picks of every class merged, best first,
    ties by index); the picks and their scores when picked."""
    if classes is None:
        members, labels, ends = np.arange(x.size), NO_LABELS, np.array([x.size])
    else:
        members = np.argsort(classes, kind="stable")
        labels, ends = classes, np.append(np.flatnonzero(np.diff(classes[members])) + 1, x.size)
    return _soft_nms(x, y, w, h, scores, members, labels, ends, score_threshold, iou_threshold, sigma, linear, top_k)
