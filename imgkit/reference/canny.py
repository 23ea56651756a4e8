"""OpenCV's Canny: ``cv2.Canny`` on an image already smoothed (by ``cv2.GaussianBlur`` in ops)."""

import cv2


def canny(image, low, high, aperture, l2):
    return cv2.Canny(image, low, high, apertureSize=aperture, L2gradient=l2)
