"""Slow, obviously-correct geometry: frames, mirrors, quarter turns and rotation by any angle.

Plain Python loops over every output value, borders looked up one pixel at a time
(``linear.border_interpolate``); rotation maps each destination pixel back to the source in
float64 and weighs its taps in float64 (bilinear; Keys' cubic with a = −0.75, as OpenCV), so it
is the exact value that OpenCV's float32 arithmetic approximates. Small images only.
"""

import math

import numpy as np

from .linear import border_interpolate


def pad(image, top, bottom, left, right, border, value=0):
    rows, cols, channels = image.shape
    out = np.empty((rows + top + bottom, cols + left + right, channels), image.dtype)
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            sy, sx = border_interpolate(y - top, rows, border), border_interpolate(x - left, cols, border)
            for c in range(channels):
                out[y, x, c] = value if sy is None or sx is None else image[sy, sx, c]
    return out


def quarter_turn(image):
    """One quarter turn counter-clockwise: the top row becomes the left column, read upwards."""
    rows, cols, channels = image.shape
    out = np.empty((cols, rows, channels), image.dtype)
    for y in range(cols):
        for x in range(rows):
            out[y, x] = image[x, cols - 1 - y]
    return out


def _keys(t):
    """Keys' cubic convolution weights (a = −0.75, OpenCV's) of the taps at −1, 0, 1, 2 from floor."""
    a = -0.75

    def w(d):
        d = abs(d)
        if d <= 1:
            return (a + 2) * d**3 - (a + 3) * d**2 + 1
        if d < 2:
            return a * d**3 - 5 * a * d**2 + 8 * a * d - 4 * a
        return 0.0
    return [w(t + 1), w(t), w(1 - t), w(2 - t)]


def rotate(image, angle, interp, border):
    """The image turned ``angle`` degrees counter-clockwise about ((W−1)/2, (H−1)/2) into its
    bounding box (sides rounded), every value computed in float64 and rounded half to even."""
    rows, cols, channels = image.shape
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    width = max(1, round(cols * abs(cos) + rows * abs(sin)))
    height = max(1, round(cols * abs(sin) + rows * abs(cos)))
    out = np.empty((height, width, channels), np.float64)

    def tap(y, x, c):
        sy, sx = border_interpolate(y, rows, border), border_interpolate(x, cols, border)
        return 0.0 if sy is None or sx is None else float(image[sy, sx, c])

    for y in range(height):
        for x in range(width):
            # destination offset from its centre, turned back by the angle
            dx, dy = x - (width - 1) / 2, y - (height - 1) / 2
            sx = cos * dx - sin * dy + (cols - 1) / 2
            sy = sin * dx + cos * dy + (rows - 1) / 2
            ix, iy = math.floor(sx), math.floor(sy)
            for c in range(channels):
                if interp == "nearest":
                    value = tap(math.floor(sy + 0.5), math.floor(sx + 0.5), c)
                elif interp == "linear":
                    ax, ay = sx - ix, sy - iy
                    value = sum(wy * wx * tap(iy + i, ix + j, c)
                                for i, wy in enumerate((1 - ay, ay)) for j, wx in enumerate((1 - ax, ax)))
                else:
                    kx, ky = _keys(sx - ix), _keys(sy - iy)
                    value = sum(ky[i] * kx[j] * tap(iy - 1 + i, ix - 1 + j, c) for i in range(4) for j in range(4))
                out[y, x, c] = value
    if image.dtype.kind == "f":
        return out.astype(image.dtype)
    return np.clip(np.rint(out), 0, np.iinfo(image.dtype).max).astype(image.dtype)
