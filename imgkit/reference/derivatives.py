"""OpenCV derivatives: ``cv2.Sobel``, ``cv2.Scharr``, ``cv2.Laplacian``, ``cv2.filter2D`` (Prewitt),
``cv2.magnitude`` and ``cv2.phase``, all with ``ddepth=cv2.CV_32F``.

These functions reject BORDER_WRAP; for it the image is padded with ``cv2.copyMakeBorder``
first and the centre cut out of the result, as ``reference/blur.py`` does for the box filter.

``cv2.magnitude`` on this x86 wheel goes through IPP, whose square root is an approximation
within 2 ulp of the correctly rounded one (OpenCV's own code, ``cv2.ipp.setUseIPP(False)``,
is ``sqrt(fma(x, x, y·y))``); the float32 tolerance of SPEC §5 covers the difference.
"""

import cv2
import numpy as np

from ..options import BORDER_REFLECT101, BORDER_WRAP

# Prewitt as people compute it with OpenCV: cv2.filter2D with this kernel (a correlation).
PREWITT_X = np.array([[-1, 0, 1]] * 3, np.float32)
PREWITT_Y = np.ascontiguousarray(PREWITT_X.T)


def _with_border(filter_, image, pad, border):
    """``filter_(src, border)`` on ``image``; WRAP through a padded copy, cropped back."""
    if border != BORDER_WRAP:
        return filter_(image, border)
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, BORDER_WRAP)
    result = filter_(padded, BORDER_REFLECT101)
    return result[pad:pad + image.shape[0], pad:pad + image.shape[1]]


def sobel(image, dx, dy, ksize, border):
    return _with_border(lambda src, b: cv2.Sobel(src, cv2.CV_32F, dx, dy, ksize=ksize, borderType=b),
                        image, max(ksize, 3) // 2, border)


def scharr(image, dx, dy, border):
    return _with_border(lambda src, b: cv2.Scharr(src, cv2.CV_32F, dx, dy, borderType=b), image, 1, border)


def prewitt(image, dx, dy, border):
    kernel = PREWITT_X if dx == 1 else PREWITT_Y
    return _with_border(lambda src, b: cv2.filter2D(src, cv2.CV_32F, kernel, borderType=b), image, 1, border)


def laplacian(image, ksize, border):
    return _with_border(lambda src, b: cv2.Laplacian(src, cv2.CV_32F, ksize=ksize, borderType=b),
                        image, max(ksize, 3) // 2, border)


def _gradients(image, operator, ksize, border):
    if operator == "sobel":
        return sobel(image, 1, 0, ksize, border), sobel(image, 0, 1, ksize, border)
    derivative = scharr if operator == "scharr" else prewitt
    return derivative(image, 1, 0, border), derivative(image, 0, 1, border)


def gradient_magnitude(image, operator, ksize, l1, border):
    gx, gy = _gradients(image, operator, ksize, border)
    if l1:
        return cv2.add(cv2.absdiff(gx, 0), cv2.absdiff(gy, 0))
    return cv2.magnitude(gx, gy)


def gradient_angle(image, operator, ksize, border):
    gx, gy = _gradients(image, operator, ksize, border)
    return cv2.phase(gx, gy, angleInDegrees=True)
