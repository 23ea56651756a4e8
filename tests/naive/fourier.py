"""Slow, obviously-correct Fourier transforms: the DFT sum written out, one bin at a time.

F(u, v) = Σ_y Σ_x f(y, x)·exp(−2πi(u·y/H + v·x/W)); the inverse divides by H·W. Shifts,
padding and gains loop over indices; nothing here comes from imgkit. For images of a few
dozen pixels only.
"""

import cmath
import math

import numpy as np


def _planes(image):
    return image[:, :, None] if image.ndim == 2 else image


def _like(planes, image):
    return planes[:, :, 0] if image.ndim == 2 else planes


def dft2(image, inverse=False):
    """The DFT (or the inverse, scaled by 1/(H·W)) of each channel, complex128."""
    planes = _planes(image)
    height, width, channels = planes.shape
    sign = 1 if inverse else -1
    out = np.zeros(planes.shape, np.complex128)
    for c in range(channels):
        for u in range(height):
            for v in range(width):
                total = 0j
                for y in range(height):
                    for x in range(width):
                        turns = u * y / height + v * x / width
                        total += complex(planes[y, x, c]) * cmath.exp(sign * 2j * math.pi * turns)
                out[u, v, c] = total / (height * width) if inverse else total
    return _like(out, image)


def centred(values):
    """Zero frequency moved to (H // 2, W // 2): out[(u + H//2) mod H, (v + W//2) mod W] = in[u, v]."""
    height, width = values.shape[:2]
    out = np.empty_like(values)
    for u in range(height):
        for v in range(width):
            out[(u + height // 2) % height, (v + width // 2) % width] = values[u, v]
    return out


def reflect101_pad(image, rows, columns):
    """Extended to rows × columns at the bottom and right: gfedcb|abcdefgh|gfedcba."""
    def source(p, n):
        return p if p < n else 2 * (n - 1) - p
    height, width = image.shape[:2]
    out = np.empty((rows, columns) + image.shape[2:], image.dtype)
    for y in range(rows):
        for x in range(columns):
            out[y, x] = image[source(y, height), source(x, width)]
    return out


def gain(distance, kind, shape, cutoff, width, order):
    """Gonzalez & Woods' filters at distance D from the centre of the spectrum."""
    if kind in ("low", "high"):
        if shape == "ideal":
            low = 1.0 if distance <= cutoff else 0.0
        elif shape == "gaussian":
            low = math.exp(-distance ** 2 / (2 * cutoff ** 2))
        else:
            low = 1.0 / (1.0 + (distance / cutoff) ** (2 * order))
        return low if kind == "low" else 1.0 - low
    # the band-reject filter of centre C0 = cutoff and width W …
    if shape == "ideal":
        reject = 0.0 if cutoff - width / 2 <= distance <= cutoff + width / 2 else 1.0
    elif distance == 0:
        reject = 1.0                                    # the limit of both formulas
    elif distance ** 2 == cutoff ** 2:
        reject = 0.0
    elif shape == "gaussian":
        reject = 1.0 - math.exp(-((distance ** 2 - cutoff ** 2) / (distance * width)) ** 2)
    else:
        reject = 1.0 / (1.0 + abs(distance * width / (distance ** 2 - cutoff ** 2)) ** (2 * order))
    return reject if kind == "notch" else 1.0 - reject   # … and its complement, the band-pass


def frequency_filter(image, rows, columns, kind, shape, cutoff, width, order):
    """Pad to rows × columns, transform, multiply bin (u, v) by the gain at its distance from
    zero frequency in cycles per image, transform back, crop, round half to even, saturate."""
    height, image_width = image.shape[:2]
    spectrum = _planes(dft2(reflect101_pad(image, rows, columns).astype(np.float64))).copy()
    for u in range(rows):
        for v in range(columns):
            fu = u if u <= rows // 2 else u - rows           # signed frequency of the bin
            fv = v if v <= columns // 2 else v - columns
            distance = math.hypot(fu * height / rows, fv * image_width / columns)
            spectrum[u, v] *= gain(distance, kind, shape, cutoff, width, order)
    real = _planes(dft2(spectrum, inverse=True)).real[:height, :image_width]
    if image.dtype.kind == "u":
        real = np.clip(np.rint(real), 0, np.iinfo(image.dtype).max)
    return _like(real.astype(image.dtype), image)
