"""Derivative kernels: Sobel, Scharr, Prewitt and Laplacian taps, as OpenCV builds them."""

import numpy as np


def sobel_taps(order, ksize):
    """1-D Sobel taps of derivative ``order`` for aperture ``ksize``, as ``cv::getSobelKernels``.

    ksize 1 gives ``[1]`` for order 0 and the 3-tap ``[-1, 0, 1]`` / ``[1, -2, 1]`` otherwise;
    larger apertures are binomial smoothing differentiated ``order`` times.
    """
    if ksize == 1 and order > 0:
        ksize = 3
    if ksize == 1:
        return np.array([1], np.int32)
    if ksize == 3:
        return np.array([[1, 2, 1], [-1, 0, 1], [1, -2, 1]][min(order, 2)], np.int32)
    taps = np.zeros(ksize + 1, np.int64)
    taps[0] = 1
    for _ in range(ksize - order - 1):      # binomial smoothing: convolve with [1, 1]
        taps[1:] = taps[1:] + taps[:-1]
    for _ in range(order):                  # differentiate: convolve with [-1, 1]
        taps[1:] = taps[:-1] - taps[1:]
        taps[0] = -taps[0]
    return taps[:ksize].astype(np.int32)
