"""OpenCV derivatives: ``cv2.Sobel``, ``cv2.Scharr``, ``cv2.Laplacian``, ``cv2.filter2D`` (Prewitt),
``cv2.magnitude`` and ``cv2.phase``, all with ``ddepth=cv2.CV_32F``.

These functions refuse BORDER_WRAP; ``border.with_border`` rebuilds it from ``cv2.copyMakeBorder``.

``cv2.magnitude`` on this x86 wheel goes through IPP, whose square root is an approximation
within 2 ulp of the correctly rounded one (OpenCV's own code, ``cv2.ipp.setUseIPP(False)``,
is ``sqrt(fma(x, x, y·y))``); the float32 tolerance of SPEC §5 covers the difference.
"""

import cv2
import numpy as np

from .border import with_border

# Prewitt as people compute it with OpenCV: cv2.filter2D with this kernel (a correlation).
PREWITT_X = np.array([[-1, 0, 1]] * 3, np.float32)
PREWITT_Y = np.ascontiguousarray(PREWITT_X.T)


def sobel(image, dx, dy, ksize, border):
    pad = max(ksize, 3) // 2
    return with_border(lambda src, b: cv2.Sobel(src, cv2.CV_32F, dx, dy, ksize=ksize, borderType=b),
                       image, pad, pad, border, "cv2.Sobel")


def scharr(image, dx, dy, border):
    return with_border(lambda src, b: cv2.Scharr(src, cv2.CV_32F, dx, dy, borderType=b), image, 1, 1, border, "cv2.Scharr")


def prewitt(image, dx, dy, border):
    kernel = PREWITT_X if dx == 1 else PREWITT_Y
    return with_border(lambda src, b: cv2.filter2D(src, cv2.CV_32F, kernel, borderType=b), image, 1, 1, border,
                       "cv2.filter2D")


def laplacian(image, ksize, border):
    pad = max(ksize, 3) // 2
    return with_border(lambda src, b: cv2.Laplacian(src, cv2.CV_32F, ksize=ksize, borderType=b),
                       image, pad, pad, border, "cv2.Laplacian")


def _gradients(image, operator, ksize, border):
    if operator == "sobel":
        return sobel(image, 1, 0, ksize, border), sobel(image, 0, 1, ksize, border)
    derivative = scharr if operator == "scharr" else prewitt
    return derivative(image, 1, 0, border), derivative(image, 0, 1, border)


def gradient_magnitude(image, operator, ksize, l1, border):
    gx, gy = _gradients(image, operator, ksize, border)
    if l1:
        # an array, not the scalar 0: OpenCV 5.1's bindings read a 1×1 or 4×1 image beside a
        # scalar as the scalar, and return a 4×1 result
        zero = np.zeros_like(gx)
        return cv2.add(cv2.absdiff(gx, zero), cv2.absdiff(gy, zero))
    return cv2.magnitude(gx, gy)


def gradient_angle(image, operator, ksize, border):
    gx, gy = _gradients(image, operator, ksize, border)
    return cv2.phase(gx, gy, angleInDegrees=True)
