"""Canny in bands of rows: local candidates, hysteresis resolved over the whole image.

Gradients, non-maximum suppression and the double threshold are local (the halo covers them);
hysteresis is not: a chain of candidates can carry an edge from any band into any other. So:

1. ``_components``: in each band, the candidates (local maxima above ``low``) and the strong
   pixels (above ``high``) come from the same ``canny`` run with both thresholds at ``low``,
   then both at ``high`` (with equal thresholds the flood adds nothing: the result is exactly
   the surviving pixels above the threshold); the candidates' 8-connected components are
   labelled (``scipy.ndimage.label``), and each band reports the labels of its first and last
   rows and which of its components hold a strong pixel;
2. ``_resolve``: the client joins the components that touch across each boundary between bands
   (8-connected: a pixel and the three below it), as connected components of a graph of labels
   (``scipy.sparse.csgraph``); a joined component is an edge if any piece holds a strong pixel;
3. ``_edges``: each band is labelled again and its edge components written, 255 on 0.

That is exactly OpenCV's hysteresis (a flood from the strong pixels through 8-connected
candidates reaches their components, and nothing else), so the map is identical to the whole
image's. Each band runs ``canny`` four times (twice in each pass). With ``--auto`` the
thresholds come first from the median of the whole smoothed image: the 256-bin histograms of
the bands' smoothed rows, summed (``_with_thresholds``).
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class _Summary:
    top: object         # labels of the band's first row
    bottom: object      # … and of its last row
    strong: object      # per label (0: not a candidate), whether the component holds a strong pixel


def edge_bands(job, plan, read, runner, finish):
    """The edge map of ``job`` (its last stage ``canny``), band by band of ``plan``, in order."""
    bands = list(plan.bands())
    job = _with_thresholds(job, bands, read, runner)
    summaries = list(runner(_summary, ((read(start, stop), job, first, count) for start, stop, first, count in bands)))
    edges = _resolve(summaries)
    return runner(_edges, ((read(start, stop), job, first, count, flags, finish)
                           for (start, stop, first, count), flags in zip(bands, edges)))


def _with_thresholds(job, bands, read, runner):
    """``job`` with ``--auto``'s thresholds (the median of the whole smoothed image, from the
    bands' histograms summed), or as it is when they are given."""
    from dataclasses import replace

    from .batch import steps
    from .ops.canny import thresholds_from_histogram
    canny_step = steps(job)[-1]
    if canny_step.params.get("low", 50) is not None and canny_step.params.get("high", 150) is not None:
        return job
    histogram = sum(runner(_histogram, ((read(start, stop), job, first, count) for start, stop, first, count in bands)))
    low, high = thresholds_from_histogram(histogram)
    thresholded = replace(canny_step, params={**canny_step.params, "low": low, "high": high})
    return replace(job, jobs=job.jobs[:-1] + (thresholded,)) if hasattr(job, "jobs") else thresholded


def _histogram(band, job, first, count):
    from .ops.canny import smooth
    image, canny_step = _before_canny(band, job)
    smoothed = smooth(image, float(canny_step.params.get("sigma", 1.0)), job.backend)[first:first + count]
    return np.bincount(smoothed.ravel(), minlength=256)


def _before_canny(band, job):
    """A band's rows after the stages before canny, and the canny stage."""
    from .batch import Chain, apply, steps
    from .tiles import _rows_of
    image = _rows_of(band)
    *before, canny_step = steps(job)
    if before:
        image = apply(Chain(tuple(before), backend=job.backend), image)
    return image, canny_step


def _components(band, job, first, count):
    """The labelled candidates of one band's kept rows, and its strong pixels."""
    from scipy import ndimage

    from . import registry
    image, canny_step = _before_canny(band, job)
    canny = registry.get("canny").function
    params = dict(canny_step.params)
    low, high = sorted((float(params.pop("low")), float(params.pop("high"))))
    kept = slice(first, first + count)
    candidates = canny(image, low, low, **params, backend=job.backend)[kept] > 0
    strong = canny(image, high, high, **params, backend=job.backend)[kept] > 0
    labels, _ = ndimage.label(candidates, structure=np.ones((3, 3), bool))
    return labels, strong


def _summary(band, job, first, count):
    labels, strong = _components(band, job, first, count)
    flags = np.zeros(int(labels.max()) + 1, bool)
    flags[labels[strong]] = True
    flags[0] = False
    return _Summary(labels[0].copy(), labels[-1].copy(), flags)


def _resolve(summaries):
    """Per band, whether each of its labels is an edge once components are joined across bands."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    sizes = [s.strong.size for s in summaries]
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    above, below = [], []
    for k in range(len(summaries) - 1):
        upper, lower = summaries[k].bottom, summaries[k + 1].top
        width = upper.size
        for shift in (-1, 0, 1):    # the pixel x of the upper row touches x + shift below
            a = upper[max(0, -shift):width - max(0, shift)]
            b = lower[max(0, shift):width - max(0, -shift)]
            touching = (a > 0) & (b > 0)
            above.append(offsets[k] + a[touching])
            below.append(offsets[k + 1] + b[touching])
    total = int(offsets[-1])
    pairs = (np.concatenate(above), np.concatenate(below)) if above else (np.empty(0, int), np.empty(0, int))
    graph = coo_matrix((np.ones(pairs[0].size, np.int8), pairs), shape=(total, total))
    count, component = connected_components(graph, directed=False)
    strong = np.zeros(count, bool)
    strong[component[np.flatnonzero(np.concatenate([s.strong for s in summaries]))]] = True
    edge = strong[component]
    return [edge[offsets[k]:offsets[k + 1]] for k in range(len(summaries))]


def _edges(band, job, first, count, flags, finish):
    labels, _ = _components(band, job, first, count)
    return finish(flags[labels].astype(np.uint8) * np.uint8(255))
