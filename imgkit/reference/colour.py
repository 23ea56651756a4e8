"""OpenCV colour spaces and thresholds: ``cv2.cvtColor``, ``cv2.threshold``."""

import cv2
import numpy as np

_CODES = {  # (channels, space) → the cv2.cvtColor codes, in turn
    (1, "bgr"): (cv2.COLOR_GRAY2BGR,), (1, "hsv"): (cv2.COLOR_GRAY2BGR, cv2.COLOR_BGR2HSV),
    (1, "ycrcb"): (cv2.COLOR_GRAY2BGR, cv2.COLOR_BGR2YCrCb), (1, "lab"): (cv2.COLOR_GRAY2BGR, cv2.COLOR_BGR2Lab),
    (3, "lab"): (cv2.COLOR_BGR2Lab,), (4, "lab"): (cv2.COLOR_BGR2Lab,),
    (3, "gray"): (cv2.COLOR_BGR2GRAY,), (3, "hsv"): (cv2.COLOR_BGR2HSV,), (3, "ycrcb"): (cv2.COLOR_BGR2YCrCb,),
    (4, "gray"): (cv2.COLOR_BGRA2GRAY,), (4, "bgr"): (cv2.COLOR_BGRA2BGR,), (4, "hsv"): (cv2.COLOR_BGR2HSV,),
    (4, "ycrcb"): (cv2.COLOR_BGR2YCrCb,),
}


def convert(image, to):
    channels = image.shape[2] if image.ndim == 3 else 1
    result = image.reshape(image.shape[:2]) if channels == 1 else image
    for code in _CODES.get((channels, to), ()):
        result = cv2.cvtColor(result, code)
    return result.copy() if result is image or result.base is image else result


def threshold(image, levels, maximum, invert):
    """``cv2.threshold`` with each channel's level (one call when they are all the same)."""
    kind = cv2.THRESH_BINARY_INV if invert else cv2.THRESH_BINARY
    if len(set(levels)) == 1:
        return cv2.threshold(image, levels[0], maximum, kind)[1]
    planes = [cv2.threshold(plane, level, maximum, kind)[1] for plane, level in zip(cv2.split(image), levels)]
    return cv2.merge(planes)


def otsu_levels(image):
    """The level ``cv2.threshold(..., THRESH_OTSU)`` chooses for each plane of ``image``."""
    planes = cv2.split(image) if image.ndim == 3 else [image]
    return [cv2.threshold(np.ascontiguousarray(plane), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
            for plane in planes]
