"""Slow, obviously-correct Canny with OpenCV's integer rules (``canny.cpp``, REFERENCE_NOTES §3).

Pixel by pixel, in Python ints: the Sobel sums with the replicate border, the magnitude, the
sector test with TG22, the thresholds and a breadth-first hysteresis. No smoothing (the
Gaussian has its own oracle). Small images only.
"""

from collections import deque
from math import floor

import numpy as np

TG22 = 13573    # round(tan(22.5°) · 2^15)


def sobel_kernels(aperture):
    """(smoothing, derivative) 1-D taps: binomial, and the binomial of one size less convolved with [-1, 1]."""
    smooth = [1]
    for _ in range(aperture - 1):
        smooth = [a + b for a, b in zip(smooth + [0], [0] + smooth)]
    deriv = [1]
    for _ in range(aperture - 2):
        deriv = [a + b for a, b in zip(deriv + [0], [0] + deriv)]
    deriv = [b - a for a, b in zip(deriv + [0], [0] + deriv)]
    return smooth, deriv


def round_half_even(numerator, denominator):
    q, r = divmod(numerator, denominator)
    if 2 * r > denominator or (2 * r == denominator and q % 2 == 1):
        q += 1
    return q


def gradients(image, aperture):
    """int dx[y][x][c], dy[y][x][c] as ``cv2.Sobel(..., CV_16S, BORDER_REPLICATE)``; aperture 7
    scaled by 1/16 with round half to even."""
    H, W, C = image.shape
    smooth, deriv = sobel_kernels(aperture)
    half = aperture // 2

    def pixel(y, x, c):
        return int(image[min(max(y, 0), H - 1), min(max(x, 0), W - 1), c])

    dx = [[[0] * C for _ in range(W)] for _ in range(H)]
    dy = [[[0] * C for _ in range(W)] for _ in range(H)]
    for y in range(H):
        for x in range(W):
            for c in range(C):
                sx = sy = 0
                for j in range(aperture):
                    for i in range(aperture):
                        p = pixel(y + j - half, x + i - half, c)
                        sx += smooth[j] * deriv[i] * p
                        sy += deriv[j] * smooth[i] * p
                if aperture == 7:
                    sx, sy = round_half_even(sx, 16), round_half_even(sy, 16)
                dx[y][x][c], dy[y][x][c] = sx, sy
    return dx, dy


def thresholds(low, high, aperture, l2):
    if low > high:
        low, high = high, low
    if aperture == 7:
        low, high = low / 16, high / 16
    if l2:
        low, high = min(32767.0, low), min(32767.0, high)
        low = low * low if low > 0 else low
        high = high * high if high > 0 else high
    # cvFloor past the int32 range gives INT_MIN on x86 (cvttsd2si's "integer indefinite")
    return tuple(floor(t) if -2 ** 31 <= floor(t) < 2 ** 31 else -2 ** 31 for t in (low, high))


def canny(image, low, high, aperture=3, l2=False):
    """0/255 uint8 edges of a uint8 (H, W) or (H, W, C) image, as ``cv2.Canny``."""
    image = image[:, :, None] if image.ndim == 2 else image
    H, W, C = image.shape
    low, high = thresholds(low, high, aperture, l2)
    dx, dy = gradients(image, aperture)

    def norm(gx, gy):
        return gx * gx + gy * gy if l2 else abs(gx) + abs(gy)

    mag = [[0] * W for _ in range(H)]
    gx = [[0] * W for _ in range(H)]
    gy = [[0] * W for _ in range(H)]
    for y in range(H):
        for x in range(W):
            best = 0
            for c in range(1, C):       # the first channel of the largest magnitude
                if norm(dx[y][x][c], dy[y][x][c]) > norm(dx[y][x][best], dy[y][x][best]):
                    best = c
            gx[y][x], gy[y][x] = dx[y][x][best], dy[y][x][best]
            mag[y][x] = norm(gx[y][x], gy[y][x])

    def m_at(y, x):
        return mag[y][x] if 0 <= y < H and 0 <= x < W else 0

    candidate = [[False] * W for _ in range(H)]
    strong = []
    for y in range(H):
        for x in range(W):
            m = mag[y][x]
            if not m > low:
                continue
            ax, ay = abs(gx[y][x]), abs(gy[y][x]) << 15
            if ay < ax * TG22:                                   # horizontal gradient
                keep = m > m_at(y, x - 1) and m >= m_at(y, x + 1)
            elif ay > ax * TG22 + (ax << 16):                    # vertical gradient
                keep = m > m_at(y - 1, x) and m >= m_at(y + 1, x)
            else:                                                # diagonal
                s = -1 if (gx[y][x] < 0) != (gy[y][x] < 0) else 1
                keep = m > m_at(y - 1, x - s) and m > m_at(y + 1, x + s)
            if keep:
                candidate[y][x] = True
                if m > high:
                    strong.append((y, x))

    edges = np.zeros((H, W), np.uint8)
    queue = deque(strong)
    for y, x in strong:
        edges[y, x] = 255
    while queue:
        y, x = queue.popleft()
        for j in (-1, 0, 1):
            for i in (-1, 0, 1):
                v, u = y + j, x + i
                if 0 <= v < H and 0 <= u < W and candidate[v][u] and not edges[v, u]:
                    edges[v, u] = 255
                    queue.append((v, u))
    return edges
