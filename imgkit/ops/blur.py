"""Smoothing filters: Gaussian, box, median and bilateral.

Each function matches one OpenCV function and, on the default Numba backend, follows its
fixed-point arithmetic so that the outputs are identical (see REFERENCE_NOTES §1). The output
has the input's dtype and shape, on both backends (cv2 drops a trailing channel axis of 1;
the reference results are reshaped back).
"""

import numpy as np

from ..options import BORDERS, border_code
from ._checks import (ParameterError, as_planes, check_backend, check_choice, check_image, check_int,
                      check_number, check_odd, like_input)

# Bounds on what an option can ask for, whatever the image (the reasons are in each check).
MAX_KSIZE = 8001            # a window side: twice a 4K frame's width, kernel work ≤ 16 000 taps a pixel
MAX_SIGMA = 1000.0          # the Gaussian σ whose derived kernel, round(8σ+1)|1, is MAX_KSIZE wide
SIGMA_DELTA = 0.02          # every σ up to here gives OpenCV's delta kernel: e^(−1/(2σ²)) is 0 in doubles
MAX_MEDIAN_KSIZE = 255      # the histogram median counts a window's pixels in 16 bits, as OpenCV's
MAX_BILATERAL_RADIUS = 200  # a 401-pixel round window: ~126 000 taps a pixel, minutes per megapixel


def gaussian_ksize(sigma, dtype):
    """OpenCV's kernel size for ``sigma``: ``round(6σ+1)|1`` for uint8, ``round(8σ+1)|1`` otherwise."""
    radius_sigmas = 3 if np.dtype(dtype) == np.uint8 else 4
    return int(round(sigma * radius_sigmas * 2 + 1)) | 1


def check_gaussian_blur(sigma=1.0, *, sigma_y=None, ksize=None, border="reflect101"):
    """The rules of ``gaussian_blur``'s parameters: each σ a finite number in [0, 1000], > 0 when
    ``ksize`` is not given; ``ksize`` odd, 1 to 8001; a known border."""
    check_number("sigma", sigma, 0, MAX_SIGMA)
    if sigma_y is not None:
        check_number("sigma_y", sigma_y, 0, MAX_SIGMA)
    if ksize is None:
        for name, value in (("sigma", sigma), ("sigma_y", sigma_y)):
            if value is not None and float(value) == 0:
                raise ParameterError(name, "must be > 0 when {ksize} is not given", ["ksize"])
    else:
        check_odd("ksize", ksize, 1, MAX_KSIZE)
    check_choice("border", border, tuple(BORDERS))


def gaussian_blur(image, sigma=1.0, *, sigma_y=None, ksize=None, border="reflect101",
                  backend="numba"):
    """Blur with a separable Gaussian kernel, as ``cv2.GaussianBlur``.

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32, H×W or H×W×C
    sigma : float
        Standard deviation along x, 0 to 1000. 0 derives it from ``ksize`` as OpenCV does; below
        0.02 the kernel is a delta (the image is unchanged), as OpenCV's.
    sigma_y : float, optional
        Standard deviation along y (default: ``sigma``).
    ksize : int, optional
        Odd kernel width and height, 1 to 8001. Default: from each sigma, ``round(6σ+1)|1`` for
        uint8 and ``round(8σ+1)|1`` otherwise (OpenCV's rule).
    border : {'reflect101', 'reflect', 'replicate', 'constant', 'wrap'}

    Notes
    -----
    uint8 and uint16 use OpenCV's bit-exact fixed-point path (8 / 16 fractional bits per
    pass, error-diffused kernel quantisation), so the result is identical to OpenCV's.
    """
    check_gaussian_blur(sigma, sigma_y=sigma_y, ksize=ksize, border=border)
    check_image(image)
    check_backend(backend)
    code = border_code(border)
    sigma_x = _delta_floor(float(sigma))
    sigma_y = sigma_x if sigma_y is None else _delta_floor(float(sigma_y))
    if ksize is None:
        ksize_x, ksize_y = gaussian_ksize(sigma_x, image.dtype), gaussian_ksize(sigma_y, image.dtype)
    else:
        ksize_x = ksize_y = int(ksize)
    if backend == "opencv":
        from ..reference import blur as reference
        return reference.gaussian_blur(image, ksize_x, ksize_y, sigma_x, sigma_y, code).reshape(image.shape)
    from ..kernels import gaussian
    planes = gaussian.gaussian_blur(as_planes(image), ksize_x, ksize_y, sigma_x, sigma_y, code)
    return like_input(planes, image)


def _delta_floor(sigma):
    """σ in (0, SIGMA_DELTA) as SIGMA_DELTA: the same delta kernel, without σ² underflowing to 0."""
    return SIGMA_DELTA if 0 < sigma < SIGMA_DELTA else sigma


def check_box_blur(ksize=3, *, border="reflect101"):
    """The rules of ``box_blur``'s parameters: ``ksize`` 1 to 8001; a known border."""
    check_int("ksize", ksize, 1, MAX_KSIZE)
    check_choice("border", border, tuple(BORDERS))


def box_blur(image, ksize=3, *, border="reflect101", backend="numba"):
    """Mean over a ``ksize``×``ksize`` window, as ``cv2.blur``; ``ksize`` 1 to 8001.

    An even ``ksize`` is allowed; its window reaches one pixel further up and left (OpenCV's
    anchor ``ksize // 2``). uint8 follows OpenCV's fixed-point division, so the result is
    identical, including its upward bias for power-of-two window areas.
    """
    check_box_blur(ksize, border=border)
    check_image(image)
    check_backend(backend)
    code = border_code(border)
    ksize = int(ksize)
    if backend == "opencv":
        from ..reference import blur as reference
        return reference.box_blur(image, ksize, code).reshape(image.shape)
    from ..kernels import box
    return like_input(box.box_blur(as_planes(image), ksize, ksize, code), image)


MEDIAN_LARGE_KSIZE_DTYPES = (np.uint8,)


def check_median_blur(ksize=3):
    """The rule of ``median_blur``'s ``ksize``: odd, 1 to 255."""
    check_odd("ksize", ksize, 1, MAX_MEDIAN_KSIZE)


def median_blur(image, ksize=3, *, backend="numba"):
    """Median over a ``ksize``×``ksize`` window, as ``cv2.medianBlur`` (border: replicate).

    ``ksize`` is odd, up to 255; 3 and 5 for any dtype, 7 and above for uint8 only (OpenCV's
    limits).
    """
    check_median_blur(ksize)
    check_image(image)
    check_backend(backend)
    ksize = int(ksize)
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


def check_bilateral_filter(diameter=9, sigma_color=75.0, sigma_space=75.0, *, border="reflect101"):
    """The rules of ``bilateral_filter``'s parameters: the σs finite and ≥ 0; a window radius
    (``diameter // 2``, or ``round(1.5·sigma_space)`` when ``diameter`` ≤ 0) of at most 200; a
    known border."""
    check_number("sigma_color", sigma_color, 0)
    check_number("sigma_space", sigma_space, 0)
    diameter = check_int("diameter", diameter, maximum=2 * MAX_BILATERAL_RADIUS + 1)
    top = MAX_BILATERAL_RADIUS / 1.5
    if diameter <= 0 and float(sigma_space) > top:
        raise ParameterError("sigma_space", f"must be ≤ {top:.1f} when {{diameter}} ≤ 0 (the window radius is "
                             f"round(1.5·σ), at most {MAX_BILATERAL_RADIUS}), got {float(sigma_space):g}",
                             ["diameter"])
    check_choice("border", border, tuple(BORDERS))


def bilateral_filter(image, diameter=9, sigma_color=75.0, sigma_space=75.0, *,
                     border="reflect101", backend="numba"):
    """Edge-preserving smoothing (Tomasi & Manduchi 1998), as ``cv2.bilateralFilter``.

    The window is circular; the colour distance is the L1 sum over channels, as in OpenCV.
    uint8 or float32, 1 or 3 channels. ``diameter`` up to 401; ≤ 0 takes the radius from
    ``sigma_space`` (at most 200). Each σ is finite and ≥ 0; 0 means 1, as in OpenCV.

    References
    ----------
    C. Tomasi and R. Manduchi, "Bilateral filtering for gray and color images", ICCV 1998,
    doi:10.1109/ICCV.1998.710815.
    """
    check_bilateral_filter(diameter, sigma_color, sigma_space, border=border)
    check_image(image, dtypes=(np.uint8, np.float32))
    check_backend(backend)
    code = border_code(border)
    diameter = int(diameter)
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
