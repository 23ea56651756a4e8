"""Oracles for the non-linear smoothing filters: median and bilateral.

Written straight from the definitions, in float64, with numpy's own padding: slow, and
independent of both imgkit's kernels and OpenCV. Use them on small images.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# cv2.BORDER_* code → numpy.pad mode (REFLECT_101 is numpy's "reflect", REFLECT its "symmetric").
PAD_MODES = {0: "constant", 1: "edge", 2: "symmetric", 3: "wrap", 4: "reflect"}


def _channels(image):
    """(H, W, C) view of a gray or colour image."""
    return image[:, :, None] if image.ndim == 2 else image


def median_blur(image, ksize):
    """Median of each ksize × ksize window, the border replicated (as cv2.medianBlur)."""
    planes = _channels(image)
    r = ksize // 2
    padded = np.pad(planes, ((r, r), (r, r), (0, 0)), mode="edge")
    windows = sliding_window_view(padded, (ksize, ksize), axis=(0, 1))   # H, W, C, k, k
    flat = windows.reshape(windows.shape[:3] + (-1,))
    out = np.sort(flat, axis=-1)[..., ksize * ksize // 2]                # the middle value
    return out.reshape(image.shape).astype(image.dtype)


def bilateral_radius(diameter, sigma_space):
    """OpenCV's rule: diameter // 2, or round(1.5 σ_space) when diameter ≤ 0; at least 1."""
    radius = diameter // 2 if diameter > 0 else int(round(1.5 * sigma_space))
    return max(radius, 1)


def bilateral_filter(image, diameter, sigma_color, sigma_space, border=4):
    """Tomasi & Manduchi's bilateral filter as OpenCV defines it: a circular window
    (dy² + dx² ≤ r²), Gaussian space weight exp(−(dy² + dx²) / 2σs²), Gaussian colour weight
    of the L1 colour distance Σ_c |I_c(q) − I_c(p)|, weighted mean rounded half to even for
    uint8. Exact exponentials in float64 (OpenCV uses float32 look-up tables)."""
    planes = _channels(image).astype(np.float64)
    h, w, _ = planes.shape
    r = bilateral_radius(diameter, sigma_space)
    padded = np.pad(planes, ((r, r), (r, r), (0, 0)), mode=PAD_MODES[border])
    centre = padded[r:r + h, r:r + w]
    total = np.zeros_like(planes)
    weights = np.zeros((h, w, 1))
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dy * dy + dx * dx > r * r:
                continue
            tap = padded[r + dy:r + dy + h, r + dx:r + dx + w]
            distance = np.abs(tap - centre).sum(axis=2, keepdims=True)
            weight = (np.exp(-(dy * dy + dx * dx) / (2 * sigma_space ** 2))
                      * np.exp(-distance ** 2 / (2 * sigma_color ** 2)))
            total += weight * tap
            weights += weight
    out = total / weights
    if image.dtype == np.uint8:
        out = np.clip(np.rint(out), 0, 255)
    return out.reshape(image.shape).astype(image.dtype)
