"""OpenCV's guided filter: ``cv2.ximgproc.guidedFilter`` (opencv-contrib), and its fast variant
through the same function's ``scale``."""

import cv2
import numpy as np


def guided_filter(image, guide, radius, eps, subsample, enhance):
    """``image`` filtered with ``guide`` (same size), ``eps`` in the guide's units squared.

    ``cv2.ximgproc.guidedFilter`` takes 8-bit and float32 sources only: a 16-bit source is
    filtered as float32 and rounded back here, as OpenCV rounds its own results (half to even,
    saturated). ``enhance`` K ≠ 0 is p + K·(p − q) on OpenCV's unrounded float32 q. A 4-channel
    guide is given as its first three channels (OpenCV documents that it uses those, but asserts).
    """
    if guide.ndim == 3 and guide.shape[2] == 4:
        guide = np.ascontiguousarray(guide[:, :, :3])
    src = image.astype(np.float32) if image.dtype == np.uint16 else image
    depth = cv2.CV_32F if (enhance or image.dtype == np.uint16) else -1
    q = cv2.ximgproc.guidedFilter(guide, src, radius, eps, dDepth=depth, scale=1.0 / subsample)
    q = q.reshape(image.shape)
    if enhance:
        p = image.astype(np.float32)
        q = p + np.float32(enhance) * (p - q)
    if image.dtype.kind == "u" and q.dtype != image.dtype:
        q = np.clip(np.rint(q), 0, np.iinfo(image.dtype).max).astype(image.dtype)
    return q
