"""OpenCV's Canny: ``cv2.Canny`` on an image already smoothed (by ``cv2.GaussianBlur`` in ops)."""

import cv2

from . import note

# cv2.Canny floors its thresholds to int. OpenCV 5.1 saturates them; 5.0 and earlier wrapped
# an L1 threshold ≥ 2³¹ to INT_MIN (every local maximum an edge). Thresholds clamped to the
# int32 range mean the same to every version: above every gradient, or below.
_INT32 = (-2.0 ** 31, 2.0 ** 31 - 1)


def canny(image, low, high, aperture, l2):
    clamped = [min(max(t, _INT32[0]), _INT32[1]) for t in (low, high)]
    if clamped != [low, high]:
        note("thresholds clamped to the int32 range that cv2.Canny floors them to")
    return cv2.Canny(image, *clamped, apertureSize=aperture, L2gradient=l2)
