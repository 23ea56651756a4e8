"""Slow, obviously-correct derivatives: a 2-D correlation with every border pixel looked up.

The kernels are written out or built from their definition (binomial smoothing, differenced),
not taken from imgkit; sums are exact Python numbers, turned into float32 at the end.
"""

import math

import numpy as np

from .linear import border_interpolate


def _binomial(n):
    """Row ``n - 1`` of Pascal's triangle: n taps of binomial smoothing."""
    return [math.comb(n - 1, i) for i in range(n)]


def _differenced(taps, times):
    """``taps`` differenced ``times``: ``d[i] = taps[i - 1] - taps[i]`` (so [1, 1] gives the
    central difference [-1, 0, 1]: brightness rising to the right is positive)."""
    for _ in range(times):
        taps = [(taps[i - 1] if i > 0 else 0) - (taps[i] if i < len(taps) else 0) for i in range(len(taps) + 1)]
    return taps


def sobel_1d(order, ksize):
    """Sobel's 1-D taps: binomial smoothing of ``ksize - order`` taps differenced ``order`` times."""
    if ksize == 1:
        return [1] if order == 0 else ([-1, 0, 1] if order == 1 else [1, -2, 1])
    return _differenced(_binomial(ksize - order), order)


def kernel_2d(taps_x, taps_y):
    return [[ty * tx for tx in taps_x] for ty in taps_y]


SCHARR_X = kernel_2d([-1, 0, 1], [3, 10, 3])
PREWITT_X = [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]
LAPLACIAN_1 = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
LAPLACIAN_3 = [[2, 0, 2], [0, -8, 0], [2, 0, 2]]


def transpose(kernel):
    return [list(col) for col in zip(*kernel)]


def sobel_kernel(dx, dy, ksize):
    return kernel_2d(sobel_1d(dx, ksize), sobel_1d(dy, ksize))


def laplacian_kernel(ksize):
    if ksize == 1:
        return LAPLACIAN_1
    if ksize == 3:
        return LAPLACIAN_3
    d2x, d2y = sobel_kernel(2, 0, ksize), sobel_kernel(0, 2, ksize)
    return [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(d2x, d2y)]


def correlate(image, kernel, border):
    """``Σ_ij kernel[j][i] · P[y - ky//2 + j, x - kx//2 + i]`` per channel, exact, as float32.

    ``border`` is an ``options.BORDER_*`` code; the constant border is 0.
    """
    img = image[:, :, None] if image.ndim == 2 else image
    H, W, C = img.shape
    ky, kx = len(kernel), len(kernel[0])
    out = np.zeros(img.shape, np.float64)
    for y in range(H):
        for x in range(W):
            for c in range(C):
                total = 0
                for j in range(ky):
                    sy = border_interpolate(y - ky // 2 + j, H, border)
                    for i in range(kx):
                        sx = border_interpolate(x - kx // 2 + i, W, border)
                        if sy is not None and sx is not None and kernel[j][i]:
                            total += kernel[j][i] * img[sy, sx, c].item()
                out[y, x, c] = total
    return out.astype(np.float32).reshape(image.shape)


def magnitude(gx, gy):
    """OpenCV's own ``cv::magnitude`` arithmetic, ``sqrt(fma(gx, gx, gy·gy))`` in float32, from
    float64: gy² rounded to float32, then gx² + that sum taken exactly and rounded once (exact
    for the integer gradients of uint8 images, whose squares and sums stay below 2⁵³)."""
    gx = gx.astype(np.float64)
    gy_squared = (gy.astype(np.float64) ** 2).astype(np.float32).astype(np.float64)
    return np.sqrt((gx * gx + gy_squared).astype(np.float32))
