"""OpenCV smoothing: ``cv2.GaussianBlur``, ``cv2.blur``, ``cv2.medianBlur``, ``cv2.bilateralFilter``."""

import cv2

from .border import with_border


def gaussian_blur(image, ksize_x, ksize_y, sigma_x, sigma_y, border):
    return with_border(lambda src, b: cv2.GaussianBlur(src, (ksize_x, ksize_y), sigma_x, sigmaY=sigma_y, borderType=b),
                       image, ksize_y // 2, ksize_x // 2, border, "cv2.GaussianBlur")


def box_blur(image, ksize, border):
    return with_border(lambda src, b: cv2.blur(src, (ksize, ksize), borderType=b),
                       image, ksize // 2, ksize // 2, border, "cv2.blur")


def median_blur(image, ksize):
    return cv2.medianBlur(image, ksize)


def bilateral_filter(image, diameter, sigma_color, sigma_space, border):
    return cv2.bilateralFilter(image, diameter, sigma_color, sigma_space, borderType=border)
