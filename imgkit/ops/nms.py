"""Non-maximum suppression of detection boxes: greedy (class-aware or not) and Soft-NMS.

``nms`` matches ``cv2.dnn.NMSBoxes`` (on ``Rect2d`` boxes, as the Python binding passes float
arrays) and, given ``classes``, ``cv2.dnn.NMSBoxesBatched``; ``soft_nms`` matches
``cv2.dnn.softNMSBoxes`` (Bodla et al., "Soft-NMS: improving object detection with one line of
code", ICCV 2017, https://doi.org/10.1109/ICCV.2017.593). Kept indices are identical, in the same
order (REFERENCE_NOTES §8): IoU without the +1 pixel convention, suppression when IoU > ``iou``,
scores strictly above ``score`` (Soft-NMS: at least ``score``, as OpenCV), a stable sort so
that tied scores keep input order, ``top_k`` truncating the candidates (Soft-NMS: the picks).
"""

from dataclasses import replace

from ..registry import Param, Step, Tolerance, command, operation
from ..rules import ParameterError, check_choice

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")
SOFT_METHODS = ("gaussian", "linear")


IOU = Param("iou", float, "Suppress a box whose IoU with a kept one is above this, in [0, 1].", minimum=0, maximum=1,
            metavar="IOU")
SCORE = Param("score", float, "Only boxes scoring above this take part, ≥ 0.", minimum=0, metavar="SCORE")
TOP_K = Param("top_k", int, "Only the K best-scoring boxes are candidates (0: all).", minimum=0, metavar="K")
BOX_FORMAT = Param("box_format", str, "How a box's four numbers are given (xyxy: corners; xywh: corner and size; "
                                      "cxcywh: centre and size).", choices=BOX_FORMATS, metavar="FORMAT")
BOXES = dict(tolerance=Tolerance(max_abs=0, relative=0.0), takes="boxes", dtypes=("float64",), premultiply=False)


@operation(params=(IOU, SCORE, TOP_K,
                   Param("eta", float, "Adaptive NMS: after each keep, a threshold above 0.5 is multiplied by this, "
                                       "in (0, 1].", minimum=0, maximum=1, above=True, metavar="FACTOR"),
                   BOX_FORMAT),
           reference="cv2.dnn.NMSBoxes (with classes: NMSBoxesBatched)", bench=({"iou": 0.5},), **BOXES)
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
    import numpy as np
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


@operation(params=(Param("sigma", float, "Gaussian method: scores are multiplied by exp(-IoU²/sigma), > 0.",
                         minimum=0, above=True, metavar="SIGMA"),
                   Param("method", str, "How overlapping scores are lowered.", choices=SOFT_METHODS, metavar="METHOD"),
                   IOU, SCORE, TOP_K, BOX_FORMAT),
           reference="cv2.dnn.softNMSBoxes", bench=({"sigma": 0.5},),
           workload={"integer": True, "counts": (1_000, 10_000)},    # OpenCV's takes integer boxes, and is quadratic
           **BOXES)
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
    import numpy as np
    x, y, w, h = as_xywh(boxes, box_format)
    scores = _check_scores(scores, x.size)
    sigma, iou, score, top_k = float(sigma), float(iou), float(score), int(top_k)
    class_ids = None if classes is None else _check_classes(classes, x.size)
    if x.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    if backend == "opencv":
        from ..reference import nms as reference
        if class_ids is None:
            return reference.soft_nms(x, y, w, h, scores, score, iou, sigma, method, top_k)
        picks, picked_scores = [], []
        for label in np.unique(class_ids):
            members = np.flatnonzero(class_ids == label)
            indices, values = reference.soft_nms(x[members], y[members], w[members], h[members], scores[members],
                                                 score, iou, sigma, method, top_k)
            picks.append(members[indices])
            picked_scores.append(values)
        indices, values = np.concatenate(picks), np.concatenate(picked_scores)
    else:
        from ..kernels import nms as kernels
        indices, values = kernels.soft_nms(x, y, w, h, scores, class_ids, score, iou, sigma, method == "linear",
                                           top_k)       # classes: merged best first, ties by index
        return (indices[:top_k], values[:top_k]) if top_k and class_ids is not None else (indices, values)
    order = np.lexsort((indices, -values))       # best score first, ties by index
    if top_k:
        order = order[:top_k]
    return indices[order], values[order]


def as_xywh(boxes, box_format="xyxy"):
    """``boxes`` (N, 4) in ``box_format`` as four float64 arrays x, y, w, h (OpenCV's Rect2d)."""
    import numpy as np
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
    import numpy as np
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
    import numpy as np
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


# ---------------------------------------------------------------- imgkit nms

def _nms_step(box_format, iou, score, top_k, eta, sigma, method):
    """Greedy NMS, or Soft-NMS when ``--soft-sigma`` or ``--soft-method`` is given; the options left
    unset take the operation's own defaults."""
    given = {name: value for name, value in (("iou", iou), ("score", score)) if value is not None}
    if sigma is None and method is None:
        return Step("nms", {**given, "top_k": top_k, "eta": eta, "box_format": box_format})
    if eta != 1.0:
        raise ParameterError("eta", "applies to greedy NMS, not Soft-NMS")
    return Step("soft_nms", {**given, "top_k": top_k, "sigma": 0.5 if sigma is None else sigma,
                             "method": method or "gaussian", "box_format": box_format})


command("nms", help="Non-maximum suppression of detection boxes (cv2.dnn.NMSBoxes / NMSBoxesBatched / softNMSBoxes, "
                    "identical kept indices). Inputs: JSON, CSV with a header, or YOLO .txt files, or folders of "
                    "them; each output holds the kept detections, best first, in the input's format.",
        options=(replace(BOX_FORMAT, default="xyxy", help=BOX_FORMAT.help + " YOLO files are always cxcywh."),
                 replace(IOU, help="Suppress a box whose IoU with a kept one is above this, in [0, 1] (default 0.5; "
                                   "Soft-NMS linear: 0.3)."),
                 replace(SCORE, help="Drop boxes scoring at most this, ≥ 0 (default 0.0; Soft-NMS: stop below it, "
                                     "default 0.001)."),
                 replace(TOP_K, default=0, help="Only the K best-scoring boxes are candidates (0: all); Soft-NMS: at "
                                                "most K picks."),
                 nms.operation.param("eta"),
                 replace(soft_nms.operation.param("sigma"), default=None, option="--soft-sigma",
                         help="Soft-NMS, Gaussian: lower overlapping scores by exp(-IoU²/sigma) instead of removing "
                              "the boxes, > 0 (0.5 is usual)."),
                 replace(soft_nms.operation.param("method"), default=None, option="--soft-method",
                         help="Soft-NMS: how overlapping scores are lowered (gaussian, the default with --soft-sigma; "
                              "linear: scores × (1 − IoU) where IoU > --iou).")),
        step=_nms_step, ops=("nms", "soft_nms"),
        examples=("imgkit nms detections.json -o kept.json", "imgkit nms labels/ --iou 0.45 --agnostic -o kept/",
                  "imgkit nms detections.json --draw photo.jpg -o kept.png"))
