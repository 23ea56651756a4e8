"""Smoothing filters: Gaussian, box, median and bilateral.

Each function matches one OpenCV function and, on the default Numba backend, follows its
fixed-point arithmetic so that the outputs are identical (see REFERENCE_NOTES §1). The output
has the input's dtype and shape, on both backends (cv2 drops a trailing channel axis of 1;
the reference results are reshaped back).
"""

from ..options import BLUR_METHODS, BORDERS, border_code
from ..registry import PIXEL_DTYPES, Param, Step, Tolerance, command, operation
from ..rules import ParameterError
from ._checks import as_planes, like_input

# Bounds on what an option can ask for, whatever the image (the reasons are in each check).
MAX_KSIZE = 8001            # a window side: twice a 4K frame's width, kernel work ≤ 16 000 taps a pixel
MAX_SIGMA = 1000.0          # the Gaussian σ whose derived kernel, round(8σ+1)|1, is MAX_KSIZE wide
SIGMA_DELTA = 0.02          # every σ up to here gives OpenCV's delta kernel: e^(−1/(2σ²)) is 0 in doubles
MAX_MEDIAN_KSIZE = 255      # the histogram median counts a window's pixels in 16 bits, as OpenCV's
MAX_BILATERAL_RADIUS = 200  # a 401-pixel round window: ~126 000 taps a pixel, minutes per megapixel


def gaussian_ksize(sigma, dtype):
    """OpenCV's kernel size for ``sigma``: ``round(6σ+1)|1`` for uint8, ``round(8σ+1)|1`` otherwise."""
    radius_sigmas = 3 if str(dtype) == "uint8" else 4
    return int(round(sigma * radius_sigmas * 2 + 1)) | 1


BORDER = Param("border", str, "How pixels beyond the edge are made up.", choices=tuple(BORDERS), metavar="BORDER")
SIGMA = Param("sigma", float, "Gaussian σ along x, 0–1000 (0: from --ksize; below 0.02 the image is unchanged, "
              "as OpenCV).", minimum=0, maximum=MAX_SIGMA, metavar="SIGMA")
SIGMA_Y = Param("sigma_y", float, "Gaussian σ along y, 0–1000 (default: --sigma).", minimum=0, maximum=MAX_SIGMA,
                metavar="SIGMA")


def gaussian_halo(params, dtype):
    """Rows a Gaussian result row reads above and below: half the vertical kernel ``gaussian_blur``
    derives (8σ wide but for uint8, so the wider one when the dtype is not known)."""
    if params["ksize"] is not None:
        return int(params["ksize"]) // 2
    sigma_y = params["sigma"] if params["sigma_y"] is None else params["sigma_y"]
    return gaussian_ksize(_delta_floor(float(sigma_y)), dtype or "float32") // 2


def _window_halo(params, dtype):
    """Half the window: a box (anchor ksize // 2) or median window's rows above and below."""
    return int(params["ksize"]) // 2


def _bilateral_halo(params, dtype):
    """The window radius; float32 weighs colours over the whole image's value range (OpenCV's LUT)."""
    if dtype is not None and str(dtype) == "float32":
        raise ValueError("bilateral_filter of a float32 image weighs colours over the whole image's value range, "
                         "which a band of rows does not see")
    return bilateral_radius(int(params["diameter"]), float(params["sigma_space"]) or 1.0)


def _gaussian_rules(sigma, sigma_y, ksize, border):
    """Each σ > 0 when ``ksize`` is not given."""
    if ksize is None:
        for name, value in (("sigma", sigma), ("sigma_y", sigma_y)):
            if value is not None and float(value) == 0:
                raise ParameterError(name, "must be > 0 when {ksize} is not given", ["ksize"])


@operation(params=(SIGMA, SIGMA_Y, Param("ksize", int, "Odd kernel side, 1–8001 (default: from σ, as OpenCV).",
                                        minimum=1, maximum=MAX_KSIZE, odd=True, metavar="N"), BORDER),
           rules=_gaussian_rules, reference="cv2.GaussianBlur", tolerance=Tolerance(max_abs=1),
           bench=({"sigma": 2.0},), peer="imgkit.peers:gaussian_blur", halo=gaussian_halo)
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


@operation(params=(Param("ksize", int, "Window side, 1–8001.", minimum=1, maximum=MAX_KSIZE), BORDER),
           reference="cv2.blur", tolerance=Tolerance(max_abs=1), bench=({"ksize": 5},),
           peer="imgkit.peers:box_blur", halo=_window_halo)
def box_blur(image, ksize=3, *, border="reflect101", backend="numba"):
    """Mean over a ``ksize``×``ksize`` window, as ``cv2.blur``; ``ksize`` 1 to 8001.

    An even ``ksize`` is allowed; its window reaches one pixel further up and left (OpenCV's
    anchor ``ksize // 2``). uint8 follows OpenCV's fixed-point division, so the result is
    identical, including its upward bias for power-of-two window areas.
    """
    code = border_code(border)
    ksize = int(ksize)
    if backend == "opencv":
        from ..reference import blur as reference
        return reference.box_blur(image, ksize, code).reshape(image.shape)
    from ..kernels import box
    return like_input(box.box_blur(as_planes(image), ksize, ksize, code), image)


MEDIAN_LARGE_KSIZE_DTYPES = ("uint8",)


def _median_dtypes(ksize=3, **_):
    """What cv2.medianBlur takes: any dtype for ksize 3 and 5, uint8 above (so a chain refuses a float
    stage before ``blur --method median --ksize 7`` at once, rather than on every image)."""
    return PIXEL_DTYPES if ksize <= 5 else MEDIAN_LARGE_KSIZE_DTYPES


@operation(params=(Param("ksize", int, "Odd window side, 1–255.", minimum=1, maximum=MAX_MEDIAN_KSIZE, odd=True),),
           reference="cv2.medianBlur", tolerance=Tolerance(max_abs=0, relative=0.0), dtypes=_median_dtypes,
           bench=({"ksize": 5},), peer="imgkit.peers:median_blur", halo=_window_halo)
def median_blur(image, ksize=3, *, backend="numba"):
    """Median over a ``ksize``×``ksize`` window, as ``cv2.medianBlur`` (border: replicate).

    ``ksize`` is odd, up to 255; 3 and 5 for any dtype, 7 and above for uint8 only (OpenCV's
    limits).
    """
    ksize = int(ksize)      # above 5: uint8 only, checked by the declaration (``_median_dtypes``)
    if backend == "opencv":
        from ..reference import blur as reference
        return reference.median_blur(image, ksize).reshape(image.shape)
    from ..kernels import median
    return like_input(median.median_blur(as_planes(image), ksize), image)


def bilateral_radius(diameter, sigma_space):
    """OpenCV's window radius: ``diameter // 2``, or ``round(1.5·σ_space)`` when diameter ≤ 0; at least 1."""
    radius = diameter // 2 if diameter > 0 else int(round(sigma_space * 1.5))
    return max(radius, 1)


def _bilateral_rules(diameter, sigma_color, sigma_space, border):
    """A window radius (``diameter // 2``, or ``round(1.5·sigma_space)`` when ``diameter`` ≤ 0) of
    at most 200."""
    top = MAX_BILATERAL_RADIUS / 1.5
    if diameter <= 0 and float(sigma_space) > top:
        raise ParameterError("sigma_space", f"must be ≤ {top:.1f} when {{diameter}} ≤ 0 (the window radius is "
                             f"round(1.5·σ), at most {MAX_BILATERAL_RADIUS}), got {float(sigma_space):g}",
                             ["diameter"])


@operation(params=(Param("diameter", int, "Window diameter, at most 401 (≤ 0: radius round(1.5·sigma_space), "
                                          "at most 200).", maximum=2 * MAX_BILATERAL_RADIUS + 1, metavar="N"),
                   Param("sigma_color", float, "Colour σ, in pixel units, ≥ 0 (0 = 1, as OpenCV).", minimum=0,
                         metavar="SIGMA"),
                   Param("sigma_space", float, "Spatial σ, in pixels, ≥ 0 (0 = 1, as OpenCV).", minimum=0,
                         metavar="SIGMA"),
                   BORDER),
           rules=_bilateral_rules, reference="cv2.bilateralFilter", tolerance=Tolerance(max_abs=1),
           # identical to OpenCV 5.0 and earlier; 5.1 rounds its weights otherwise: 1 level on a few pixels a million
           goal=Tolerance(max_abs=1),
           dtypes=("uint8", "float32"), bench=({"diameter": 9, "sigma_color": 75.0, "sigma_space": 75.0},),
           peer="imgkit.peers:bilateral_filter", halo=_bilateral_halo)
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


# ---------------------------------------------------------------- imgkit blur

_BLUR_OPS = {"gaussian": "gaussian_blur", "box": "box_blur", "median": "median_blur", "bilateral": "bilateral_filter"}


def _blur_step(method, sigma, sigma_y, ksize, diameter, sigma_color, sigma_space, border):
    """The operation ``--method`` names, with the options it takes."""
    if border is not None and method == "median" and border != "replicate":
        raise ParameterError("border", "must be replicate for median blur (cv2.medianBlur always replicates)")
    border = border or "reflect101"
    if method == "gaussian":
        params = {"sigma": sigma, "sigma_y": sigma_y, "ksize": ksize, "border": border}
    elif method == "box":
        params = {"ksize": 3 if ksize is None else ksize, "border": border}
    elif method == "median":
        params = {"ksize": 3 if ksize is None else ksize}
    else:
        params = {"diameter": diameter, "sigma_color": sigma_color, "sigma_space": sigma_space, "border": border}
    return Step(_BLUR_OPS[method], params)


command("blur", help="Smooth images: Gaussian (default), box, median or bilateral. Bit depth and channels are kept.",
        options=(Param("method", str, "The filter.", default="gaussian", choices=BLUR_METHODS, metavar="METHOD"),
                 *gaussian_blur.operation.params[:2],
                 Param("ksize", int, "Window side. Gaussian: odd, 1–8001, default from σ as OpenCV derives it "
                                     "(round(6σ+1)|1 for 8-bit, 8σ otherwise); box: 1–8001, default 3; median: odd, "
                                     "1–255, default 3 (≥ 7 needs 8-bit).", metavar="N"),
                 *bilateral_filter.operation.params[:3],
                 Param("border", str, "How pixels beyond the edge are made up (default reflect101; median always "
                                      "replicates, as cv2.medianBlur).", choices=tuple(BORDERS), metavar="BORDER")),
        step=_blur_step, ops=tuple(_BLUR_OPS.values()),
        examples=("imgkit blur photo.jpg --sigma 2 -o soft.jpg",
                  "imgkit blur photos/ --method median --ksize 5 -o clean/",
                  "imgkit blur photo.jpg --method bilateral --sigma-color 30 -o smooth.jpg"))
