"""The reference geometry: a region-of-interest copy, ``cv2.copyMakeBorder``, ``cv2.flip``,
``cv2.rotate`` and ``cv2.warpAffine``."""

import cv2
import numpy as np

FLAGS = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC}
ROTATE_CODES = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}


def crop(image, x0, y0, width, height):
    """A copy of the region of interest (OpenCV's ``Mat(image, Rect)``, copied)."""
    return image[y0:y0 + height, x0:x0 + width].copy()


def pad(image, top, bottom, left, right, border, value):
    return cv2.copyMakeBorder(image, top, bottom, left, right, border, value=(value,) * 4)


def flip(image, code):
    return cv2.flip(image, code)


def quarter_turns(image, turns):
    return cv2.rotate(image, ROTATE_CODES[turns])


def warp(image, matrix, width, height, interp, border):
    """``cv2.warpAffine`` with the forward ``matrix`` (six doubles), border value 0."""
    return cv2.warpAffine(image, np.asarray(matrix, np.float64).reshape(2, 3), (width, height),
                          flags=FLAGS[interp], borderMode=border, borderValue=(0, 0, 0, 0))
