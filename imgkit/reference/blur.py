"""OpenCV smoothing: ``cv2.GaussianBlur``, ``cv2.blur``, ``cv2.medianBlur``, ``cv2.bilateralFilter``."""

import cv2

from ..options import BORDER_WRAP


def _wrapped(filter_, image, pad_x, pad_y):
    """``filter_`` with BORDER_WRAP, built from ``cv2.copyMakeBorder``: ``cv2.blur`` rejects WRAP
    and ``cv2.GaussianBlur`` rejects it for float32. The filter runs on the padded image and the
    centre is cut out, so the filter's own border rule never reaches the result."""
    padded = cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, BORDER_WRAP)
    return filter_(padded)[pad_y:pad_y + image.shape[0], pad_x:pad_x + image.shape[1]]


def gaussian_blur(image, ksize_x, ksize_y, sigma_x, sigma_y, border):
    def blur(src):
        return cv2.GaussianBlur(src, (ksize_x, ksize_y), sigma_x, sigmaY=sigma_y,
                                borderType=cv2.BORDER_REFLECT_101 if border == BORDER_WRAP else border)
    return _wrapped(blur, image, ksize_x // 2, ksize_y // 2) if border == BORDER_WRAP else blur(image)


def box_blur(image, ksize, border):
    def blur(src):
        return cv2.blur(src, (ksize, ksize), borderType=cv2.BORDER_REFLECT_101 if border == BORDER_WRAP else border)
    return _wrapped(blur, image, ksize // 2, ksize // 2) if border == BORDER_WRAP else blur(image)


def median_blur(image, ksize):
    return cv2.medianBlur(image, ksize)


def bilateral_filter(image, diameter, sigma_color, sigma_space, border):
    return cv2.bilateralFilter(image, diameter, sigma_color, sigma_space, borderType=border)
