"""Colour spaces and thresholds: ``cv2.cvtColor`` from BGR, and ``cv2.threshold`` (binary, Otsu).

Integer images follow OpenCV's fixed-point arithmetic, so uint8 and uint16 results are identical
to OpenCV's (every one of the 2^24 8-bit colours is checked in the tests); float32 results
differ from OpenCV's vector code by an ulp or two (its fused multiply-adds).

Threshold (Otsu 1979): N. Otsu, "A Threshold Selection Method from Gray-Level Histograms",
IEEE Transactions on Systems, Man, and Cybernetics 9(1), 62–66, 1979, doi:10.1109/TSMC.1979.4310076.
"""

from ..registry import PIXEL_DTYPES, Param, Step, Tolerance, command, operation
from ..rules import ParameterError
from ._checks import as_planes, like_input

SPACES = ("gray", "bgr", "hsv", "lab", "ycrcb")
EIGHT_BIT_AND_FLOAT = ("uint8", "float32")      # cv2.cvtColor's HSV takes no 16-bit image
EIGHT_BIT = ("uint8",)      # Lab: OpenCV's float32 Lab interpolates a 33³ table; not followed here
THRESHOLD_METHODS = ("binary", "otsu")
OTSU_DTYPES = ("uint8",)


def _pointwise(params, dtype):
    """A pixel's result is its own value's: no rows above or below."""
    return 0


def _threshold_halo(params, dtype):
    """Pointwise for a given level; Otsu's level is the whole image's."""
    if params["method"] == "otsu":
        raise ValueError("threshold --method otsu takes its level from the whole image's histogram")
    return 0


def _convert_dtypes(to="gray", **_):
    """What ``to`` takes: HSV has no 16-bit conversion in OpenCV; Lab is 8-bit only here."""
    return {"hsv": EIGHT_BIT_AND_FLOAT, "lab": EIGHT_BIT}.get(to, PIXEL_DTYPES)


@operation(params=(Param("to", str, "The colour space of the result.", choices=SPACES, metavar="SPACE"),),
           reference="cv2.cvtColor", tolerance=Tolerance(max_abs=0, relative=1e-6),
           goal=Tolerance(max_abs=0, relative=1e-6), dtypes=_convert_dtypes, channels_kept=False,
           premultiply=False, bench=({"to": "gray"}, {"to": "hsv"}, {"to": "lab"}, {"to": "ycrcb"}), halo=_pointwise)
def convert(image, to="gray", *, backend="numba"):
    """The image in colour space ``to``, as ``cv2.cvtColor`` from BGR.

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32, H×W (gray), H×W×3 (BGR) or H×W×4 (BGRA)
        A gray image is first replicated to BGR; the alpha channel of BGRA is dropped, as
        ``cv2.cvtColor`` drops it. 2-channel images are refused.
    to : {'gray', 'bgr', 'hsv', 'lab', 'ycrcb'}
        ``gray``: Y = 0.299 R + 0.587 G + 0.114 B, one channel (``COLOR_BGR2GRAY``).
        ``bgr``: three channels (``COLOR_GRAY2BGR``, ``COLOR_BGRA2BGR``).
        ``hsv``: uint8 H = degrees / 2 (0–179), S and V 0–255; float32 H in degrees [0, 360),
        S in [0, 1], V as given (``COLOR_BGR2HSV``). uint8 and float32 only, as OpenCV.
        ``lab``: CIE L*a*b* of sRGB under D65, 8-bit as OpenCV scales it: L·255/100, a + 128,
        b + 128 (``COLOR_BGR2Lab``). uint8 only (OpenCV's float32 Lab interpolates a table).
        ``ycrcb``: Y, Cr = (R − Y)·0.713 + δ, Cb = (B − Y)·0.564 + δ, δ = 128 (uint8), 32768
        (uint16), 0.5 (float32) (``COLOR_BGR2YCrCb``).

    Returns
    -------
    ndarray of the input's dtype: H×W for ``gray``, H×W×3 otherwise.
    """
    channels = image.shape[2] if image.ndim == 3 else 1
    if channels == 2:
        raise ValueError("convert takes 1 (gray), 3 (BGR) or 4 (BGRA) channels, got 2")
    if backend == "opencv":
        from ..reference import colour as reference
        return reference.convert(image, to)
    if to == "gray" and channels == 1:     # one copy, native and C-contiguous: nothing else to do
        import numpy as np
        return np.array(image if image.ndim == 2 else image[:, :, 0], dtype=image.dtype.newbyteorder("="))
    from ..kernels import colour as kernels
    planes = as_planes(image)
    if channels == 1 and to in ("hsv", "ycrcb") and image.dtype.kind == "u":
        return kernels.gray_to(to, planes)  # (float32 rounds Y = 0.114 v + 0.587 v + 0.299 v: as BGR)
    if channels != 3:
        planes = kernels.to_bgr(planes)     # the kernels read BGR: gray replicated, alpha dropped
    elif to == "bgr":
        planes = planes.copy()              # never the input itself
    if to == "bgr":
        return planes
    if to == "gray":
        return kernels.to_gray(planes)[:, :, 0]
    return {"hsv": kernels.to_hsv, "lab": kernels.to_lab, "ycrcb": kernels.to_ycrcb}[to](planes)


command("convert", help="Convert BGR (or gray, or BGRA) images to another colour space with OpenCV's "
                        "coefficients (cv2.cvtColor). Gray to bgr replicates; alpha is dropped. Bit depth kept.",
        options=convert.operation.params, op="convert",
        examples=("imgkit convert photo.jpg --to gray -o convert-gray.png",
                  "imgkit convert photo.jpg --to hsv -o convert-hsv.npy"))
def _gray_step():
    """``gray`` is ``convert --to gray``: the same operation, one option fewer to type."""
    return Step("convert", {"to": "gray"})


command("gray", help="Convert images to gray: Y = 0.299 R + 0.587 G + 0.114 B, as cv2.cvtColor's "
                     "COLOR_BGR2GRAY (same as convert --to gray).",
        options=(), step=_gray_step, ops=("convert",),
        examples=("imgkit gray photo.jpg -o gray.png", "imgkit gray photos/ -o gray/"))


# ---------------------------------------------------------------- threshold

def _threshold_dtypes(method="binary", **_):
    """Otsu's histogram is over 256 levels: uint8 only (as OpenCV up to 5.0)."""
    return OTSU_DTYPES if method == "otsu" else PIXEL_DTYPES


def _threshold_rules(method, value, maximum, invert):
    """``value`` is Otsu's to choose."""
    if method == "otsu" and value is not None:
        raise ParameterError("value", "is not used by {method} otsu, which chooses the level itself", ["method"])


@operation(params=(Param("method", str, "binary: the level --value; otsu: the level that best splits each "
                                        "channel's histogram (8-bit only).", choices=THRESHOLD_METHODS,
                         metavar="METHOD"),
                   Param("value", float, "The level: values above it become --max (default: 127, 32767, "
                                         "0.5 by bit depth).", optional=True, metavar="T"),
                   Param("maximum", float, "The value above the level (default: 255, 65535, 1.0 by bit "
                                           "depth).", option="--max", optional=True, metavar="V"),
                   Param("invert", bool, "Values above the level become 0, the others --max.")),
           rules=_threshold_rules, reference="cv2.threshold (THRESH_BINARY[_INV], THRESH_OTSU per channel)",
           tolerance=Tolerance(max_abs=0, relative=0.0), dtypes=_threshold_dtypes, premultiply=False, binary=True,
           halo=_threshold_halo,
           bench=({"method": "binary", "value": 127.0}, {"method": "otsu"}))
def threshold(image, method="binary", *, value=None, maximum=None, invert=False, backend="numba"):
    """A two-level map, as ``cv2.threshold``: ``maximum`` where a value is above the level, 0
    elsewhere (``THRESH_BINARY``; swapped with ``invert``, ``THRESH_BINARY_INV``).

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32 (Otsu: uint8), H×W or H×W×C
        Every channel is thresholded, alpha included, as ``cv2.threshold`` does.
    method : {'binary', 'otsu'}
        ``otsu``: each channel's level is Otsu's, the one maximising the between-class variance
        of its 256-bin histogram, computed in OpenCV's double arithmetic (``THRESH_OTSU``), so the
        level is OpenCV's. OpenCV takes one channel only; a colour image gets one level per
        channel here (OpenCV's on each plane of ``cv2.split``). ``otsu_levels`` gives them.
    value : float, optional
        The level for ``binary`` (default 127 for uint8, 32767 for uint16, 0.5 for float32).
        Integer images compare with ``floor(value)``, float32 with ``float32(value)``, as OpenCV.
    maximum : float, optional
        The value above the level (default: 255, 65535, 1.0), rounded half to even and saturated
        for integer images, as OpenCV.
    invert : bool
    """
    import math

    import numpy as np
    channels = image.shape[2] if image.ndim == 3 else 1
    if method == "otsu":
        levels = otsu_levels(image, backend=backend)
    else:
        levels = [_default(image.dtype, value, (127, 32767, 0.5))] * channels
    top = _default(image.dtype, maximum, (255, 65535, 1.0))
    if backend == "opencv":
        from ..reference import colour as reference
        return reference.threshold(image, levels, top, invert).reshape(image.shape)
    from ..kernels import colour as kernels
    above, below = _two_values(image.dtype, top)
    if invert:
        above, below = below, above
    above, below = [above] * channels, [below] * channels
    if image.dtype != np.float32:
        bound = np.iinfo(image.dtype).max
        levels = [min(max(math.floor(level), -1), bound) for level in levels]
        for c, level in enumerate(levels):
            if level < 0:                   # every value is above: compare with 0, and 0 is above too
                levels[c], below[c] = 0, above[c]
    return like_input(kernels.threshold(as_planes(image), levels, above, below), image)


def _two_values(dtype, top):
    """The value above the level and 0, in ``dtype``: an integer ``top`` rounded half to even and
    saturated, as OpenCV's ``saturate_cast<T>(cvRound(maxval))``. In Python numbers (numpy's
    scalar arithmetic took 7 µs a call, 2 % of a 4K gray threshold); ``top`` is finite."""
    import numpy as np
    if dtype == np.float32:
        return np.float32(top), np.float32(0)
    return min(max(round(top), 0), np.iinfo(dtype).max), 0


def _default(dtype, value, defaults):
    if value is not None:
        return float(value)
    return defaults[("uint8", "uint16", "float32").index(dtype.name)]


def otsu_levels(image, *, backend="numba"):
    """Otsu's level of each channel of a uint8 image (a list), as ``cv2.threshold`` with
    ``THRESH_OTSU`` returns it for each plane."""
    from ._checks import check_image
    check_image(image, dtypes=OTSU_DTYPES)
    if backend == "opencv":
        from ..reference import colour as reference
        return reference.otsu_levels(image)
    from ..kernels import colour as kernels
    return [float(kernels.otsu_level(counts)) for counts in kernels.histograms(as_planes(image))]


command("threshold", help="Threshold images to two levels, as cv2.threshold: --max above the level, 0 elsewhere. "
                          "Otsu chooses the level of each channel from its histogram (8-bit).",
        options=threshold.operation.params, op="threshold",
        examples=("imgkit threshold photo.jpg --value 100 -o threshold-ink.png",
                  "imgkit threshold photo.jpg --method otsu -o threshold-otsu.png",
                  "imgkit run 'gray | threshold --method otsu' photo.jpg -o gray-otsu.png"))
