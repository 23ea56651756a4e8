"""Canny edge detection (Canny 1986), identical to ``cv2.GaussianBlur`` + ``cv2.Canny``.

The smoothing is imgkit's bit-exact Gaussian blur; the rest follows OpenCV's integer rules
(REFERENCE_NOTES §3), so the edge maps are the same pixel for pixel.
"""

from ..options import NORMS
from ..registry import Param, Step, Tolerance, command, operation
from ..rules import ParameterError, check_number
from ._checks import as_planes, check_image
from .blur import MAX_SIGMA, gaussian_halo

APERTURES = (3, 5, 7)
AUTO_SPREAD = 0.33      # --auto: thresholds (1 ∓ 0.33) × the median


def _canny_halo(params, dtype):
    """The rows a result row's edge map reads: the pre-blur's half kernel, the aperture's half
    and the suppression's neighbours (1). Hysteresis and ``--auto``'s median are global: ``tiles``
    resolves them apart."""
    sigma = float(params["sigma"])
    blur = gaussian_halo({"sigma": sigma, "sigma_y": None, "ksize": None}, "uint8") if sigma > 0 else 0
    return blur + int(params["aperture"]) // 2 + 1


@operation(params=(Param("low", float, "Lower hysteresis threshold on the gradient magnitude (swapped with "
                                      "--high if larger, as OpenCV does).", optional=True, metavar="THRESHOLD"),
                   Param("high", float, "Upper threshold: edges start at pixels above it.", optional=True,
                         metavar="THRESHOLD"),
                   Param("sigma", float, "Gaussian pre-blur σ, 0–1000 (kernel round(6σ+1)|1, as cv2.GaussianBlur); "
                                         "0 = none, as cv2.Canny alone.", minimum=0, maximum=MAX_SIGMA,
                         metavar="SIGMA"),
                   Param("aperture", int, "Sobel aperture: 3, 5 or 7 (7 scales gradients and thresholds by 1/16, "
                                          "as OpenCV).", choices=APERTURES, option="--ksize", metavar="N",
                         aliases=("--aperture",)),
                   Param("l2", bool, "Magnitude sqrt(dx²+dy²) instead of |dx|+|dy|.")),
           reference="cv2.GaussianBlur + cv2.Canny", tolerance=Tolerance(identical=0.999, f1=0.995),
           goal=Tolerance(identical=1.0, f1=1.0), dtypes=("uint8",), channels_kept=False, premultiply=False, binary=True,
           bench=({"low": 50, "high": 150, "sigma": 0.0},), peer="imgkit.peers:canny", halo=_canny_halo)
def canny(image, low=50, high=150, *, sigma=1.0, aperture=3, l2=False, backend="numba"):
    """Edges found by the Canny detector, as ``cv2.Canny`` after ``cv2.GaussianBlur``.

    Parameters
    ----------
    image : ndarray, uint8, H×W or H×W×C
        Colour is handled as OpenCV does: at each pixel, the channel with the strongest
        gradient (the first one on a tie). An alpha channel (the 2nd or 4th) is ignored.
    low, high : float or None
        Hysteresis thresholds on the gradient magnitude (for ``l2``, on its square root).
        Swapped if ``low > high``, as OpenCV does. ``None`` for either: both from the median
        of the smoothed image (``auto_thresholds``).
    sigma : float
        Standard deviation of the Gaussian pre-blur, 0 to 1000; 0 skips it (plain ``cv2.Canny``).
        The kernel size is OpenCV's for uint8, ``round(6σ+1)|1``.
    aperture : {3, 5, 7}
        Sobel aperture. For 7, OpenCV scales the gradients and the thresholds by 1/16.
    l2 : bool
        Magnitude ``sqrt(dx² + dy²)`` (compared squared, in integers) instead of ``|dx| + |dy|``.
    backend : {'numba', 'opencv'}

    Returns
    -------
    ndarray, uint8, H×W
        255 on edges, 0 elsewhere.

    Notes
    -----
    The steps, each a private function:

    1. ``_smooth``: Gaussian blur with σ = ``sigma`` (bit-exact with ``cv2.GaussianBlur``).
    2. ``_sobel3_l1`` (aperture 3, L1) / ``_sobel3`` / ``_wide_gradients``: int16 Sobel dx and
       dy (border: replicate) and the L1 or L2 magnitude.
    3. ``_suppress_l1`` / ``_non_max_suppression``: the gradient direction is quantised to 0°,
       45°, 90° or 135° with the integer test ``|dy|·2^15 < |dx|·13573`` (tan 22.5°) and its
       67.5° twin; a pixel survives if it beats its two neighbours along that direction
       (OpenCV's strict and non-strict comparisons).
    4. The double threshold: a survivor is a candidate if its magnitude is above ``low``,
       an edge if above ``high``.
    5. ``_hysteresis``: candidates 8-connected to an edge become edges.

    Steps 2–4 are fused in one pass over strips of rows, which also writes the output; see
    ``imgkit.kernels.canny``.

    References
    ----------
    J. Canny, "A Computational Approach to Edge Detection", IEEE Transactions on Pattern
    Analysis and Machine Intelligence 8(6), 679–698, 1986, doi:10.1109/TPAMI.1986.4767851.
    """
    sigma, aperture = float(sigma), int(aperture)
    low = None if low is None else float(low)
    high = None if high is None else float(high)
    smoothed = smooth(image, sigma, backend)
    if low is None or high is None:
        low, high = _auto_from_smoothed(smoothed)
    if backend == "opencv":
        from ..reference import canny as reference
        return reference.canny(smoothed, float(low), float(high), aperture, bool(l2))
    from ..kernels import canny as kernels
    return kernels.canny(as_planes(smoothed), float(low), float(high), aperture, bool(l2))


def _colour_channels(image):
    """1 or 3 channels, as ``cv2.Canny`` takes them: drop an alpha channel."""
    if image.ndim == 3 and image.shape[2] in (2, 4):
        return image[:, :, :image.shape[2] - 1]
    return image


def smooth(image, sigma, backend="numba"):
    """Step 1: the Gaussian pre-blur (none for σ = 0) of the channels Canny reads (no alpha)."""
    image = _colour_channels(image)
    if sigma == 0:
        return image
    from .blur import gaussian_blur
    return gaussian_blur(image, sigma, backend=backend)


def auto_thresholds(image, sigma=1.0):
    """Thresholds for ``--auto``, from the median ``v`` of the smoothed image:

    ``low = max(0, (1 − 0.33)·v)``, ``high = min(255, (1 + 0.33)·v)``.

    The median is over every value of the image smoothed as ``canny`` smooths it (all colour
    channels together; an alpha channel is ignored), as ``numpy.median`` defines it.
    """
    check_image(image, dtypes=("uint8",))
    sigma = check_number("sigma", sigma, 0, MAX_SIGMA)
    return _auto_from_smoothed(smooth(image, sigma))


def _auto_from_smoothed(smoothed):
    import numpy as np
    return thresholds_from_histogram(np.bincount(smoothed.ravel(), minlength=256))


def thresholds_from_histogram(histogram):
    """``auto_thresholds`` from the 256-bin histogram of the smoothed image (``tiles`` sums it
    over bands of rows)."""
    import numpy as np
    counts = np.cumsum(histogram)
    total = int(counts[-1])
    # numpy.median: the mean of the values at ranks (n−1)//2 and n//2
    lower = int(np.searchsorted(counts, (total - 1) // 2 + 1))
    upper = int(np.searchsorted(counts, total // 2 + 1))
    median = (lower + upper) / 2
    return max(0.0, (1 - AUTO_SPREAD) * median), min(255.0, (1 + AUTO_SPREAD) * median)


# ---------------------------------------------------------------- imgkit canny

def _canny_step(low, high, sigma, aperture, norm, auto):
    """The thresholds as given (each ≥ 0 on the command line: below 0 is a slip), swapped with a
    note where ``low`` is above ``high``, or from the image with ``--auto``."""
    notes = ()
    for name, value in (("low", low), ("high", high)):
        if value < 0:       # the API takes it, as OpenCV; on the command line it is a slip
            raise ParameterError(name, f"must be ≥ 0, got {value:g}")
    if auto:
        low = high = None
    elif low > high:
        notes = (f"--low {low:g} is above --high {high:g}: swapped, as OpenCV does",)
        low, high = high, low
    return Step("canny", {"low": low, "high": high, "sigma": sigma, "aperture": aperture, "l2": norm == "l2"},
                notes=notes)


command("canny", help="Canny edges (Gaussian blur, Sobel gradient, non-maximum suppression, double threshold, "
                      "hysteresis), identical to cv2.GaussianBlur + cv2.Canny. Output: one channel, uint8, 255 on "
                      "edges and 0 elsewhere. Colour is handled as OpenCV does: at each pixel, the channel with the "
                      "strongest gradient; an alpha channel is ignored.",
        options=(*canny.operation.params[:4],
                 Param("norm", str, "The gradient magnitude: l1 |dx|+|dy| (cv2.Canny's default) or l2 "
                                    "sqrt(dx²+dy²).", default="l1", choices=NORMS, metavar="NORM",
                       aliases=("--l2=l2",)),
                 Param("auto", bool, "Thresholds per image from the median v of the smoothed image: low = max(0, "
                                     "0.67·v), high = min(255, 1.33·v); --low/--high are ignored.", default=False)),
        step=_canny_step, ops=("canny",),
        examples=("imgkit canny photo.jpg -o edges.png",
                  "imgkit canny photo.jpg --low 30 --high 90 --norm l2 -o fine_edges.png",
                  "imgkit canny 'photos/*.jpg' --auto -o auto_edges/"))
