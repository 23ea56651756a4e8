"""A slow, obviously-correct guided filter (He, Sun & Tang 2013, Algorithm 1).

Every window mean is an explicit loop over the (2r+1)² pixels around each pixel, borders
looked up one pixel at a time (BORDER_REFLECT, as ``cv2.ximgproc.guidedFilter``); the colour
guide's 3×3 system is solved with ``numpy.linalg.solve``; everything in float64. Small images only.
"""

import numpy as np

from imgkit.options import BORDER_REFLECT

from .linear import border_interpolate


def window_mean(values, y, x, r):
    """Mean of ``values`` (H×W) over the (2r+1)² window centred on (y, x), borders reflected."""
    H, W = values.shape
    total = 0.0
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            sy = border_interpolate(y + dy, H, BORDER_REFLECT)
            sx = border_interpolate(x + dx, W, BORDER_REFLECT)
            total += values[sy, sx]
    return total / (2 * r + 1) ** 2


def box_mean(values, r):
    H, W = values.shape
    return np.array([[window_mean(values, y, x, r) for x in range(W)] for y in range(H)])


def guided_filter(image, guide, radius, eps):
    """q for every channel of ``image`` (H×W or H×W×C), steered by ``guide`` (H×W, or H×W×3 / ×4 of
    which the first three channels are used), ``eps`` in the guide's units squared. Unrounded float64."""
    p_all = np.asarray(image, np.float64).reshape(image.shape[0], image.shape[1], -1)
    I = np.asarray(guide, np.float64).reshape(guide.shape[0], guide.shape[1], -1)
    I = I[:, :, :1] if I.shape[2] == 1 else I[:, :, :3]
    n = I.shape[2]
    H, W = I.shape[:2]
    mean_I = [box_mean(I[:, :, i], radius) for i in range(n)]
    mean_II = [[box_mean(I[:, :, i] * I[:, :, j], radius) for j in range(n)] for i in range(n)]
    out = np.empty(p_all.shape)
    for c in range(p_all.shape[2]):
        p = p_all[:, :, c]
        mean_p = box_mean(p, radius)
        mean_Ip = [box_mean(I[:, :, i] * p, radius) for i in range(n)]
        a = np.empty((H, W, n))
        b = np.empty((H, W))
        for y in range(H):
            for x in range(W):
                sigma = np.array([[mean_II[i][j][y, x] - mean_I[i][y, x] * mean_I[j][y, x] for j in range(n)]
                                  for i in range(n)])
                cov = np.array([mean_Ip[i][y, x] - mean_I[i][y, x] * mean_p[y, x] for i in range(n)])
                a[y, x] = np.linalg.solve(sigma + eps * np.eye(n), cov)
                b[y, x] = mean_p[y, x] - sum(a[y, x, i] * mean_I[i][y, x] for i in range(n))
        mean_a = [box_mean(a[:, :, i], radius) for i in range(n)]
        mean_b = box_mean(b, radius)
        out[:, :, c] = sum(mean_a[i] * I[:, :, i] for i in range(n)) + mean_b
    return out.reshape(image.shape)
