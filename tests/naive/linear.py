"""Slow, obviously-correct linear filters: Gaussian and box blur, as OpenCV rounds them.

Plain Python loops over every output value and every tap, borders looked up one pixel at a
time, integer sums in Python ints (no overflow, no vector tricks) and the passes in OpenCV's
order (rows first, then columns). Small images only.
"""

import numpy as np

from imgkit.options import (BORDER_CONSTANT, BORDER_REFLECT, BORDER_REFLECT101,
                            BORDER_REPLICATE, BORDER_WRAP)


def border_interpolate(p, n, border):
    """``cv::borderInterpolate``: the source index of position ``p`` in a line of ``n``; None: 0."""
    if 0 <= p < n:
        return p
    if border == BORDER_CONSTANT:
        return None
    if border == BORDER_REPLICATE:
        return 0 if p < 0 else n - 1
    if border == BORDER_WRAP:
        return p % n
    if n == 1:
        return 0
    delta = 1 if border == BORDER_REFLECT101 else 0
    assert border in (BORDER_REFLECT, BORDER_REFLECT101)
    while not 0 <= p < n:
        p = -p - 1 + delta if p < 0 else n - 1 - (p - n) - delta
    return p


def _pixel(image, y, x, c, border):
    """Pixel (y, x, c) of an (H, W, C) image, extended past its edges by ``border``."""
    H, W, _ = image.shape
    sy = border_interpolate(y, H, border)
    sx = border_interpolate(x, W, border)
    if sy is None or sx is None:
        return 0
    return image[sy, sx, c].item()


def _as_hwc(image):
    return image[:, :, None] if image.ndim == 2 else image


def quantise_ed(kernel, bits):
    """Error-diffusion rounding of a symmetric kernel to integers summing to ``2^bits``."""
    n = len(kernel)
    taps = [0] * n
    err = 0.0
    for i in range(n // 2):
        adjusted = float(kernel[i]) * 2 ** bits + err
        taps[i] = taps[n - 1 - i] = round(adjusted)     # Python rounds half to even, as cvRound
        err = adjusted - taps[i]
    taps[n // 2] = 2 ** bits - 2 * sum(taps[: n // 2])
    return taps


def separable(image, taps_x, taps_y, anchor_x, anchor_y, border):
    """Exact ``Σ_j taps_y[j] · Σ_i taps_x[i] · P[y - ay + j, x - ax + i]`` in Python numbers."""
    img = _as_hwc(image)
    H, W, C = img.shape
    rows = [[[sum(t * _pixel(img, y, x - anchor_x + i, c, border) for i, t in enumerate(taps_x))
              for c in range(C)] for x in range(W)] for y in range(H)]

    def row(y):   # the row pass of image row y; rows past the edges are looked up like pixels
        sy = border_interpolate(y, H, border)
        return None if sy is None else rows[sy]

    out = [[[0] * C for _ in range(W)] for _ in range(H)]
    for y in range(H):
        for x in range(W):
            for c in range(C):
                total = 0
                for j, t in enumerate(taps_y):
                    r = row(y - anchor_y + j)
                    total += 0 if r is None else t * r[x][c]
                out[y][x][c] = total
    return out, (H, W, C)


def gaussian_blur(image, kernel_x, kernel_y, border):
    """``cv2.GaussianBlur`` given its two double kernels (``cv2.getGaussianKernel``'s values).

    uint8 / uint16: taps quantised to 8 / 16 fractional bits, exact integer sums, round half
    up at the end. float32: the float32 kernel summed in double (a close, not exact, oracle).
    """
    dtype = image.dtype
    if dtype == np.float32:
        taps_x = [float(np.float32(v)) for v in kernel_x]
        taps_y = [float(np.float32(v)) for v in kernel_y]
        sums, shape = separable(image, taps_x, taps_y, len(taps_x) // 2, len(taps_y) // 2, border)
        return np.array(sums, np.float64).reshape(shape).astype(np.float32).reshape(image.shape)
    bits = 8 if dtype == np.uint8 else 16
    taps_x, taps_y = quantise_ed(kernel_x, bits), quantise_ed(kernel_y, bits)
    sums, shape = separable(image, taps_x, taps_y, len(taps_x) // 2, len(taps_y) // 2, border)
    shift = 2 * bits
    out = [(v + (1 << (shift - 1))) >> shift for plane in sums for px in plane for v in px]
    return np.array(out, dtype).reshape(image.shape)


def box_blur(image, ksize, border):
    """``cv2.blur`` with a ``ksize × ksize`` window (anchor ``ksize // 2``), OpenCV's rounding.

    uint8, area ≤ 256: ``((s + dd)·ds) >> 23``; uint8 above and uint16: float32 ``s·(1/area)``
    rounded half to even, except the last ``W·C mod 8`` values of a row, done in double
    (OpenCV's scalar tail); float32: ``float(s · (1/area))`` in double.
    """
    img = _as_hwc(image)
    H, W, C = img.shape
    area = ksize * ksize
    ones = [1] * ksize
    sums, _ = separable(img, ones, ones, ksize // 2, ksize // 2, border)
    flat = [v for plane in sums for px in plane for v in px]
    row_len = W * C
    vector_end = row_len // 8 * 8
    out = []
    for index, s in enumerate(flat):
        if image.dtype == np.float32:
            out.append(s * (1.0 / area))
        elif area == 1:
            out.append(s)
        elif image.dtype == np.uint8 and area <= 256:
            ds = int((1 << 23) / area)
            dd = area // 2
            if (1 << 23) / area - ds < 0.5:
                dd += 1
            else:
                ds += 1
            out.append(((s + dd) * ds) >> 23)
        elif index % row_len < vector_end:
            out.append(int(np.rint(np.float32(s) * np.float32(1.0 / area))))
        else:
            out.append(int(np.rint(s * (1.0 / area))))
    return np.array(out, np.float64).astype(image.dtype).reshape(image.shape)
