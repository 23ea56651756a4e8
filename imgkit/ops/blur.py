"""Smoothing filters: Gaussian, box, median and bilateral.

Each function matches one OpenCV function and, on the default Numba backend, follows its
fixed-point arithmetic so that the outputs are identical (see REFERENCE_NOTES §1). The output
has the input's dtype and shape, on both backends (cv2 drops a trailing channel axis of 1;
the reference results are reshaped back).
"""

import numpy as np

from ..options import border_code
from ._checks import (as_planes, check_backend, check_image, check_int, check_odd,
                      check_positive, like_input)


def gaussian_ksize(sigma, dtype):
    """OpenCV's kernel size for ``sigma``: ``round(6σ+1)|1`` for uint8, ``round(8σ+1)|1`` otherwise."""
    radius_sigmas = 3 if np.dtype(dtype) == np.uint8 else 4
    return int(round(sigma * radius_sigmas * 2 + 1)) | 1


def gaussian_blur(image, sigma=1.0, *, sigma_y=None, ksize=None, border="reflect101",
                  backend="numba"):
    """Blur with a separable Gaussian kernel, as ``cv2.GaussianBlur``.

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32, H×W or H×W×C
    sigma : float
        Standard deviation along x. 0 derives it from ``ksize`` as OpenCV does.
    sigma_y : float, optional
        Standard deviation along y (default: ``sigma``).
    ksize : int, optional
        Odd kernel width and height. Default: from each sigma, ``round(6σ+1)|1`` for uint8
        and ``round(8σ+1)|1`` otherwise (OpenCV's rule).
    border : {'reflect101', 'reflect', 'replicate', 'constant', 'wrap'}

    Notes
    -----
    uint8 and uint16 use OpenCV's bit-exact fixed-point path (8 / 16 fractional bits per
    pass, error-diffused kernel quantisation), so the result is identical to OpenCV's.
    """
    check_image(image)
    check_backend(backend)
    code = border_code(border)
    sigma_x = check_positive("sigma", sigma, allow_zero=True)
    sigma_y = sigma_x if sigma_y is None else check_positive("sigma_y", sigma_y, allow_zero=True)
    if ksize is None:
        if sigma_x == 0 or sigma_y == 0:
            raise ValueError("sigma must be > 0 when ksize is not given")
        ksize_x, ksize_y = gaussian_ksize(sigma_x, image.dtype), gaussian_ksize(sigma_y, image.dtype)
    else:
        ksize_x = ksize_y = check_odd("ksize", ksize)
    if backend == "opencv":
        from ..reference import blur as reference
        return reference.gaussian_blur(image, ksize_x, ksize_y, sigma_x, sigma_y, code).reshape(image.shape)
    from ..kernels import gaussian
    planes = gaussian.gaussian_blur(as_planes(image), ksize_x, ksize_y, sigma_x, sigma_y, code)
    return like_input(planes, image)


def box_blur(image, ksize=3, *, border="reflect101", backend="numba"):
    """Mean over a ``ksize``×``ksize`` window, as ``cv2.blur``.

    An even ``ksize`` is allowed; its window reaches one pixel further up and left (OpenCV's
    anchor ``ksize // 2``). uint8 follows OpenCV's fixed-point division, so the result is
    identical, including its upward bias for power-of-two window areas.
    """
    check_image(image)
    check_backend(backend)
    code = border_code(border)
    ksize = check_int("ksize", ksize, minimum=1)
    if backend == "opencv":
        from ..reference import blur as reference
        return reference.box_blur(image, ksize, code).reshape(image.shape)
    from ..kernels import box
    return like_input(box.box_blur(as_planes(image), ksize, ksize, code), image)


MEDIAN_LARGE_KSIZE_DTYPES = (np.uint8,)


def median_blur(image, ksize=3, *, backend="numba"):
    """Median over a ``ksize``×``ksize`` window, as ``cv2.medianBlur`` (border: replicate).

    ``ksize`` is odd; 3 and 5 for any dtype, 7 and above for uint8 only (OpenCV's limits).
    """
    check_image(image)
    check_backend(backend)
    ksize = check_odd("ksize", ksize)
    if ksize > 5 and image.dtype.type not in MEDIAN_LARGE_KSIZE_DTYPES:
        raise ValueError(f"median ksize above 5 needs a uint8 image, got {image.dtype} with ksize {ksize}")
    if backend == "opencv":
        from ..reference import blur as reference
        return reference.median_blur(image, ksize).reshape(image.shape)
    from ..kernels import median
    return like_input(median.median_blur(as_planes(image), ksize), image)


def bilateral_radius(diameter, sigma_space):
    """OpenCV's window radius: ``diameter // 2``, or ``round(1.5·σ_space)`` when diameter ≤ 0; at least 1."""
    radius = diameter // 2 if diameter > 0 else int(round(sigma_space * 1.5))
    return max(radius, 1)


def bilateral_filter(image, diameter=9, sigma_color=75.0, sigma_space=75.0, *,
                     border="reflect101", backend="numba"):
    """Edge-preserving smoothing (Tomasi & Manduchi 1998), as ``cv2.bilateralFilter``.

    The window is circular; the colour distance is the L1 sum over channels, as in OpenCV.
    uint8 or float32, 1 or 3 channels.

    References
    ----------
    C. Tomasi and R. Manduchi, "Bilateral filtering for gray and color images", ICCV 1998,
    doi:10.1109/ICCV.1998.710815.
    """
    check_image(image, dtypes=(np.uint8, np.float32))
    check_backend(backend)
    code = border_code(border)
    diameter = check_int("diameter", diameter)
    sigma_color = float(sigma_color) if float(sigma_color) > 0 else 1.0   # OpenCV: σ ≤ 0 → 1
    sigma_space = float(sigma_space) if float(sigma_space) > 0 else 1.0
    if image.ndim == 3 and image.shape[2] not in (1, 3):
        raise ValueError(f"bilateral filter takes 1 or 3 channels, got {image.shape[2]}")
    if backend == "opencv":
        from ..reference import blur as reference
        return reference.bilateral_filter(image, diameter, sigma_color, sigma_space, code).reshape(image.shape)
    from ..kernels import bilateral
    radius = bilateral_radius(diameter, sigma_space)
    planes = bilateral.bilateral_filter(as_planes(image), radius, sigma_color, sigma_space, code)
    return like_input(planes, image)
