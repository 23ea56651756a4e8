"""Oracles for the colour conversions and thresholds, from the textbook definitions in float64.

No fixed point, no tables, nothing from OpenCV: a uint8 result of imgkit may differ from these
by the rounding of OpenCV's integer arithmetic (the tests say by how much).
"""

import numpy as np


def _bgr(image):
    planes = image.astype(np.float64)
    if planes.ndim == 2:
        planes = np.repeat(planes[:, :, None], 3, axis=2)
    return planes[:, :, 0], planes[:, :, 1], planes[:, :, 2]


def gray(image):
    """Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601)."""
    b, g, r = _bgr(image)
    return 0.299 * r + 0.587 * g + 0.114 * b


def ycrcb(image, delta):
    """Y, Cr = (R − Y)·0.713 + δ, Cb = (B − Y)·0.564 + δ."""
    b, g, r = _bgr(image)
    y = 0.299 * r + 0.587 * g + 0.114 * b
    return np.stack([y, (r - y) * 0.713 + delta, (b - y) * 0.564 + delta], axis=-1)


def hsv(image):
    """Hue in degrees [0, 360), saturation (max − min)/max (0 for black), value = max."""
    b, g, r = _bgr(image)
    value, least = np.maximum(np.maximum(b, g), r), np.minimum(np.minimum(b, g), r)
    spread = value - least
    safe = np.where(spread == 0, 1, spread)
    hue = np.where(value == r, (g - b) / safe, np.where(value == g, 2 + (b - r) / safe, 4 + (r - g) / safe))
    hue = np.where(spread == 0, 0, hue * 60) % 360
    return np.stack([hue, np.where(value == 0, 0, spread / np.where(value == 0, 1, value)), value], axis=-1)


def lab(image):
    """CIE L*a*b* of 8-bit sRGB under D65 (the sRGB transfer curve, the sRGB→XYZ matrix, the
    CIE f(t)), scaled as OpenCV's 8-bit Lab: L·255/100, a + 128, b + 128."""
    b, g, r = _bgr(image)
    rgb = np.stack([r, g, b], axis=-1) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    matrix = np.array([[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169],
                       [0.019334, 0.119193, 0.950227]])
    xyz = linear @ matrix.T / np.array([0.950456, 1.0, 1.088754])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    lightness = np.where(xyz[..., 1] > 0.008856, 116 * f[..., 1] - 16, 903.3 * xyz[..., 1])
    return np.stack([lightness * 255 / 100, 500 * (f[..., 0] - f[..., 1]) + 128,
                     200 * (f[..., 1] - f[..., 2]) + 128], axis=-1)


def threshold(image, level, top):
    """``top`` where a value is above ``level``, 0 elsewhere."""
    return np.where(image > level, top, 0)


def between_class_variance(values):
    """Otsu's criterion for every level t of 8-bit ``values``: w₀w₁(μ₀ − μ₁)², with class 0 the
    values ≤ t; 0 where a class is empty."""
    counts = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256.0)
    variances = np.zeros(256)
    for t in range(256):
        low, high = counts[:t + 1], counts[t + 1:]
        if low.sum() == 0 or high.sum() == 0:
            continue
        w0, w1 = low.sum() / counts.sum(), high.sum() / counts.sum()
        mu0 = (levels[:t + 1] * low).sum() / low.sum()
        mu1 = (levels[t + 1:] * high).sum() / high.sum()
        variances[t] = w0 * w1 * (mu0 - mu1) ** 2
    return variances
