"""OpenCV smoothing: ``cv2.GaussianBlur``, ``cv2.blur``, ``cv2.medianBlur``, ``cv2.bilateralFilter``."""

import cv2

from ..options import BORDER_WRAP


def _with_padding(filter_, image, pad_x, pad_y, border):
    """Run ``filter_`` on an image padded by ``cv2.copyMakeBorder``: how OpenCV functions that
    reject a border mode (WRAP) still compute it from OpenCV primitives."""
    padded = cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, border)
    return filter_(padded)[pad_y:pad_y + image.shape[0], pad_x:pad_x + image.shape[1]]


def gaussian_blur(image, ksize_x, ksize_y, sigma_x, sigma_y, border):
    return cv2.GaussianBlur(image, (ksize_x, ksize_y), sigma_x, sigmaY=sigma_y, borderType=border)


def box_blur(image, ksize, border):
    if border == BORDER_WRAP:   # cv2.blur rejects WRAP
        return _with_padding(lambda src: cv2.blur(src, (ksize, ksize)), image, ksize // 2, ksize // 2, border)
    return cv2.blur(image, (ksize, ksize), borderType=border)


def median_blur(image, ksize):
    return cv2.medianBlur(image, ksize)


def bilateral_filter(image, diameter, sigma_color, sigma_space, border):
    return cv2.bilateralFilter(image, diameter, sigma_color, sigma_space, borderType=border)
