"""Non-maximum suppression of detection boxes: greedy (class-aware or not) and Soft-NMS.

``nms`` matches ``cv2.dnn.NMSBoxes`` (on ``Rect2d`` boxes, as the Python binding passes float
arrays) and, given ``classes``, ``cv2.dnn.NMSBoxesBatched``; ``soft_nms`` matches
``cv2.dnn.softNMSBoxes`` (Bodla et al., "Soft-NMS: improving object detection with one line of
code", ICCV 2017, https://doi.org/10.1109/ICCV.2017.593). Kept indices are identical, in the same
order (REFERENCE_NOTES §8): IoU without the +1 pixel convention, suppression when IoU > ``iou``,
scores strictly above ``score`` (Soft-NMS: at least ``score``, as OpenCV), a stable sort so
that tied scores keep input order, ``top_k`` truncating the candidates (Soft-NMS: the picks).
"""

import numpy as np

from ._checks import check_backend, check_choice, check_int, check_number

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")
SOFT_METHODS = ("gaussian", "linear")


def check_nms(*, iou=0.5, score=0.0, top_k=0, eta=1.0, box_format="xyxy"):
    """The rules of ``nms``'s parameters (the boxes aside): iou in [0, 1]; score finite and ≥ 0;
    top_k ≥ 0; eta in (0, 1]; a known box format."""
    check_number("iou", iou, 0, 1)
    check_number("score", score, 0)
    check_int("top_k", top_k, minimum=0)
    check_number("eta", eta, 0, 1, above=True)
    check_choice("box_format", box_format, BOX_FORMATS)


def check_soft_nms(*, sigma=0.5, method="gaussian", iou=0.3, score=0.001, top_k=0, box_format="xyxy"):
    """The rules of ``soft_nms``'s parameters (the boxes aside): sigma finite and > 0; a known
    method; iou in [0, 1]; score finite and ≥ 0; top_k ≥ 0; a known box format."""
    check_number("sigma", sigma, 0, above=True)
    check_choice("method", method, SOFT_METHODS)
    check_number("iou", iou, 0, 1)
    check_number("score", score, 0)
    check_int("top_k", top_k, minimum=0)
    check_choice("box_format", box_format, BOX_FORMATS)


def nms(boxes, scores, *, iou=0.5, score=0.0, classes=None, top_k=0, eta=1.0, box_format="xyxy",
        backend="numba"):
    """Greedy non-maximum suppression.

    Parameters
    ----------
    boxes : (N, 4) array of numbers, in ``box_format`` (``xyxy``: corners; ``xywh``: top-left
        corner and size; ``cxcywh``: centre and size). Boxes of zero or negative size are kept
        as OpenCV treats them (they overlap nothing, except one another: see the Notes).
    scores : (N,) array; compared as float32, as OpenCV takes them.
    iou : a box whose IoU with a kept box is above this is suppressed, in [0, 1].
    score : only boxes scoring strictly above this take part, ≥ 0.
    classes : (N,) integer class ids: each class is suppressed on its own (OpenCV's batched
        NMS); None: all boxes together.
    top_k : if > 0, only the ``top_k`` best-scoring candidates take part.
    eta : in (0, 1]; below 1, each keep multiplies a threshold above 0.5 by ``eta``.

    Returns
    -------
    int64 array of the kept indices, best score first (ties: input order).

    Notes
    -----
    1. Convert the boxes to (x, y, w, h) in double precision.
    2. Keep the scores above ``score``; sort them, best first, stably; truncate to ``top_k``.
    3. With ``classes``, shift each box along the diagonal by class·(largest coordinate + 1).
    4. Walk the candidates, keeping each whose IoU with every kept box is ≤ the threshold.
    Two boxes whose areas add up to at most the double epsilon count as identical (IoU 1), as
    in OpenCV's ``jaccardDistance``.
    """
    check_nms(iou=iou, score=score, top_k=top_k, eta=eta, box_format=box_format)
    check_backend(backend)
    x, y, w, h = as_xywh(boxes, box_format)
    scores = _check_scores(scores, x.size)
    iou, score, top_k, eta = float(iou), float(score), int(top_k), float(eta)
    class_ids = None if classes is None else _check_classes(classes, x.size)
    if x.size == 0:
        return np.empty(0, np.int64)
    if backend == "opencv":
        from ..reference import nms as reference
        return reference.nms(x, y, w, h, scores, class_ids, score, iou, eta, top_k)
    from ..kernels import nms as kernels
    aware = class_ids is not None
    return kernels.nms(x, y, w, h, scores, class_ids if aware else np.zeros(0, np.int64), aware,
                       score, iou, eta, top_k)


def soft_nms(boxes, scores, *, sigma=0.5, method="gaussian", iou=0.3, score=0.001, top_k=0,
             box_format="xyxy", classes=None, backend="numba"):
    """Soft-NMS: instead of removing the boxes that overlap a pick, lower their scores.

    Parameters
    ----------
    boxes, scores, box_format : as for ``nms``.
    sigma : > 0; Gaussian method: scores are multiplied by ``exp(-IoU² / sigma)``.
    method : ``"gaussian"`` or ``"linear"`` (scores multiplied by ``1 - IoU`` where IoU > ``iou``).
    iou : the linear method's threshold, in [0, 1] (unused by the Gaussian one, as in OpenCV).
    score : picking stops when the best remaining score is below this (≥ 0; a score equal to
        it is still picked, as in OpenCV).
    top_k : if > 0, at most this many picks.
    classes : (N,) integer class ids: each class on its own, the picks of all classes then
        merged by score, best first (OpenCV has no batched Soft-NMS); None: all together.

    Returns
    -------
    (int64 indices, float32 scores): the picks in the order they were made, with their scores
    when picked.

    Notes
    -----
    ``backend="opencv"`` calls ``cv2.dnn.softNMSBoxes``, which takes integer rectangles only:
    it needs integer coordinates within ±32767.
    """
    check_soft_nms(sigma=sigma, method=method, iou=iou, score=score, top_k=top_k, box_format=box_format)
    check_backend(backend)
    x, y, w, h = as_xywh(boxes, box_format)
    scores = _check_scores(scores, x.size)
    sigma, iou, score, top_k = float(sigma), float(iou), float(score), int(top_k)
    if classes is None:
        return _soft_nms(x, y, w, h, scores, score, iou, sigma, method, top_k, backend)
    class_ids = _check_classes(classes, x.size)
    picks, picked_scores = [], []
    for label in np.unique(class_ids):
        members = np.flatnonzero(class_ids == label)
        indices, values = _soft_nms(x[members], y[members], w[members], h[members], scores[members],
                                    score, iou, sigma, method, top_k, backend)
        picks.append(members[indices])
        picked_scores.append(values)
    indices, values = np.concatenate(picks), np.concatenate(picked_scores)
    order = np.lexsort((indices, -values))       # best score first, ties by index
    if top_k:
        order = order[:top_k]
    return indices[order], values[order]


def _soft_nms(x, y, w, h, scores, score, iou, sigma, method, top_k, backend):
    if x.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    if backend == "opencv":
        from ..reference import nms as reference
        return reference.soft_nms(x, y, w, h, scores, score, iou, sigma, method, top_k)
    from ..kernels import nms as kernels
    return kernels.soft_nms(x, y, w, h, scores, score, iou, sigma, method == "linear", top_k)


def as_xywh(boxes, box_format="xyxy"):
    """``boxes`` (N, 4) in ``box_format`` as four float64 arrays x, y, w, h (OpenCV's Rect2d)."""
    check_choice("box_format", box_format, BOX_FORMATS)
    array = np.asarray(boxes)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"boxes must be numbers, got dtype {array.dtype}")
    array = array.astype(np.float64).reshape(-1, 4) if array.size == 0 else array.astype(np.float64)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"boxes must have shape (N, 4), got {array.shape}")
    if not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise ValueError(f"boxes must be finite, box {row} is {array[row].tolist()}")
    a, b, c, d = (np.ascontiguousarray(array[:, i]) for i in range(4))
    if box_format == "xyxy":
        return a, b, c - a, d - b
    if box_format == "cxcywh":
        return a - c / 2, b - d / 2, c, d
    return a, b, c, d


def _check_scores(scores, n):
    array = np.asarray(scores)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"scores must be numbers, got dtype {array.dtype}")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if array.shape != (n,):
        raise ValueError(f"scores must have shape ({n},), one per box, got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"scores must be finite, score {int(np.flatnonzero(~np.isfinite(array))[0])} is not")
    return array


def _check_classes(classes, n):
    array = np.asarray(classes)
    if array.dtype.kind == "f" and np.isfinite(array).all() and (array == np.round(array)).all():
        array = array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"classes must be integers, got dtype {array.dtype}")
    if array.shape != (n,):
        raise ValueError(f"classes must have shape ({n},), one per box, got {array.shape}")
    if array.size and (array.min() < np.iinfo(np.int32).min or array.max() > np.iinfo(np.int32).max):
        raise ValueError("classes must fit in 32 bits (OpenCV's int class ids)")
    return np.ascontiguousarray(array, dtype=np.int64)


def batched_nms(boxes, scores, classes, **options):
    """``nms`` with ``classes`` given positionally: each class suppressed on its own."""
    return nms(boxes, scores, classes=classes, **options)


# ---------------------------------------------------------------- bench inputs

BENCH_COUNTS = (1_000, 10_000, 100_000)
SLOW_RUNS = {10_000: 5, 100_000: 1}       # timed runs where OpenCV is slow


def detections(count, seed=0, width=3840, height=2160, classes=80, integer=False):
    """``count`` boxes shaped like a detector's raw output on a ``width``×``height`` image: about
    two jittered boxes around each object, objects of 8 to 64 pixels spread over the image,
    random scores. Returns (xyxy boxes float64, scores float32, class ids int64)."""
    rng = np.random.default_rng(seed)
    objects = max(1, count // 2)
    sizes = rng.uniform(8, 64, (objects, 2))
    centres = rng.uniform((0, 0), (width, height), (objects, 2))
    owner = rng.integers(0, objects, count)
    jitter = rng.normal(0, 0.1, (count, 4))
    centre = centres[owner] + jitter[:, :2] * sizes[owner]
    size = sizes[owner] * np.exp(jitter[:, 2:])
    boxes = np.hstack([centre - size / 2, centre + size / 2])
    if integer:
        boxes = np.round(boxes)
    labels = rng.integers(0, classes, objects)[owner]
    return boxes, rng.random(count).astype(np.float32), labels


def bench_workload(sizes):
    """``imgkit bench`` inputs for ``nms``: 1k, 10k and 100k boxes whatever image sizes are asked
    for (``("sample",)``, from ``imgkit warmup``: one small set)."""
    return _workload(sizes, "agnostic", lambda n: detections(n)[:2], BENCH_COUNTS)


def batched_bench_workload(sizes):
    """The same for ``batched_nms``, the boxes spread over 80 classes."""
    return _workload(sizes, "80 classes", detections, BENCH_COUNTS)


def soft_bench_workload(sizes):
    """The same for ``soft_nms``: 1k and 10k boxes with integer coordinates (OpenCV's Soft-NMS
    takes integer rectangles, and is quadratic)."""
    return _workload(sizes, "agnostic", lambda n: detections(n, integer=True)[:2], BENCH_COUNTS[:2])


def _workload(sizes, kind, make, counts):
    if sizes == ("sample",):
        return [("200 boxes", kind, make(200))]
    # OpenCV takes seconds from 10k boxes on (23 s for greedy NMS of 100k): fewer timed runs there
    return [(f"{n // 1000}k boxes", kind, make(n), *((SLOW_RUNS[n],) if n in SLOW_RUNS else ())) for n in counts]
