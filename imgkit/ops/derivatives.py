"""Image derivatives: Sobel, Scharr, Prewitt, the Laplacian, and the gradient's magnitude and angle.

Each function matches an OpenCV function with ``ddepth=cv2.CV_32F`` and returns float32 of the
input's shape. The kernels are integer, so for uint8 and uint16 images the sums are exact and
the result is OpenCV's to the bit (uint16 with aperture 7 can exceed float32's 24 bits: then
the result is the correctly rounded value, OpenCV's within 1e-7 relative). Colour images are
filtered channel by channel, as OpenCV does; the magnitude and angle are per channel too,
which is what ``cv2.magnitude`` / ``cv2.phase`` give on OpenCV's colour derivatives.
See REFERENCE_NOTES §2.
"""

from dataclasses import replace

from ..options import BORDERS, GRADIENT_COMPONENTS, NORMS, OPERATORS, border_code
from ..registry import Param, Step, Tolerance, command, operation
from ..rules import ParameterError
from ._checks import as_planes, like_input

SOBEL_KSIZES = (1, 3, 5, 7)
LAPLACIAN_KSIZES = (1, 3, 5, 7)
EXACT = Tolerance(max_abs=0, relative=1e-5)     # SPEC §5: identical integer sums, ≤ 1e-5 relative for float32


def _aperture_halo(params, dtype):
    """Half the aperture: Sobel's ``ksize`` (1 is 3 rows tall for dy = 2), 3 for the others."""
    ksize = params.get("ksize", 3) if params.get("operator", "sobel") == "sobel" else 3
    return max(int(ksize), 3) // 2


DERIVATIVE = dict(tolerance=EXACT, result_dtype="float32", premultiply=False,   # alpha is a channel, as in OpenCV
                  halo=_aperture_halo)


def check_orders(dx, dy, ksize=None):
    """Derivative orders as ``cv2.Sobel`` accepts them: dx + dy ≥ 1, each below the aperture
    (ksize 1 counts as 3). ``ksize=None``: first derivatives, (1, 0) or (0, 1)."""
    dx, dy = int(dx), int(dy)
    if ksize is None:
        if (dx, dy) not in ((1, 0), (0, 1)):
            raise ParameterError("dx", f"and {{dy}} must be 1 and 0, or 0 and 1 (first derivatives), got {dx} and {dy}",
                                 ["dy"])
        return
    if dx + dy == 0:
        raise ParameterError("dx", "and {dy} cannot both be 0", ["dy"])
    top = max(ksize, 3) - 1
    for name, order in (("dx", dx), ("dy", dy)):
        if order > top:
            raise ParameterError(name, f"must be ≤ {top} for {{ksize}} {ksize}, got {order}", ["ksize"])


def _first_derivative_rules(dx, dy, border):
    check_orders(dx, dy)


def _sobel_rules(dx, dy, ksize, border):
    check_orders(dx, dy, ksize)


DX = Param("dx", int, "Derivative order along x (with --dy: one derivative instead of the gradient).", minimum=0,
           metavar="ORDER")
DY = Param("dy", int, "Derivative order along y.", minimum=0, metavar="ORDER")
BORDER = Param("border", str, "How pixels beyond the edge are made up.", choices=tuple(BORDERS), metavar="BORDER")
SOBEL_KSIZE = Param("ksize", int, "Aperture: 1, 3, 5 or 7; orders must be below it (1 allows 2).",
                    choices=SOBEL_KSIZES, metavar="N")
OPERATOR = Param("operator", str, "The first-derivative filter.", choices=OPERATORS)
L1 = Param("l1", bool, "Magnitude as |gx| + |gy| instead of sqrt(gx² + gy²).")
NORMALIZE = Param("normalize", bool, "For 8-bit formats: stretch min–max to 0–255 instead of |value| saturated.",
                  default=False)

def _derivative(image, operator, dx, dy, ksize, code):
    from ..kernels import derivatives
    taps_x, taps_y = derivatives.derivative_taps(operator, dx, dy, ksize)
    return like_input(derivatives.derivative(as_planes(image), taps_x, taps_y, code), image)


@operation(params=(DX, DY, SOBEL_KSIZE, BORDER), rules=_sobel_rules, reference="cv2.Sobel", **DERIVATIVE,
           bench=({"dx": 1, "dy": 0},), peer="imgkit.peers:sobel")
def sobel(image, dx=1, dy=0, *, ksize=3, border="reflect101", backend="numba"):
    """Sobel derivative of orders ``dx``, ``dy``, as ``cv2.Sobel(image, cv2.CV_32F, dx, dy, ksize)``.

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32, H×W or H×W×C
    dx, dy : int
        Derivative orders along x and y; at least one is > 0, each below the aperture
        (ksize 1 allows up to 2).
    ksize : {1, 3, 5, 7}
        Aperture. 1 is ``[-1, 0, 1]`` (or ``[1, -2, 1]``) with no smoothing.
    border : {'reflect101', 'reflect', 'replicate', 'constant', 'wrap'}

    Returns
    -------
    ndarray, float32, the input's shape

    Notes
    -----
    The 2-D kernel is binomial smoothing along one axis times the differentiated binomial
    along the other (``cv::getSobelKernels``), applied as a correlation:
    ``ksize=3, dx=1`` is ``[1, 2, 1]ᵀ ⊗ [-1, 0, 1]``.
    """
    code = border_code(border)
    dx, dy, ksize = int(dx), int(dy), int(ksize)
    if backend == "opencv":
        from ..reference import derivatives as reference
        return reference.sobel(image, dx, dy, ksize, code).reshape(image.shape)
    return _derivative(image, "sobel", dx, dy, ksize, code)


@operation(params=(DX, DY, BORDER), rules=_first_derivative_rules, reference="cv2.Scharr", **DERIVATIVE,
           bench=({"dx": 1, "dy": 0},), peer="imgkit.peers:scharr")
def scharr(image, dx=1, dy=0, *, border="reflect101", backend="numba"):
    """Scharr first derivative, as ``cv2.Scharr(image, cv2.CV_32F, dx, dy)``.

    The kernel is ``[3, 10, 3]ᵀ ⊗ [-1, 0, 1]`` for dx (its transpose for dy): more
    rotation-invariant than the 3×3 Sobel. ``(dx, dy)`` is ``(1, 0)`` or ``(0, 1)``.
    Float32 result of the input's shape.
    """
    return _first_derivative(image, "scharr", dx, dy, border, backend)


@operation(params=(DX, DY, BORDER), rules=_first_derivative_rules, reference="cv2.filter2D", **DERIVATIVE,
           bench=({"dx": 1, "dy": 0},), peer="imgkit.peers:prewitt")
def prewitt(image, dx=1, dy=0, *, border="reflect101", backend="numba"):
    """Prewitt first derivative, as ``cv2.filter2D(image, cv2.CV_32F, kernel)``.

    OpenCV has no Prewitt function; this is the usual way of computing it with OpenCV, a
    correlation (no kernel flip) with ``[[-1, 0, 1]] * 3`` for dx, its transpose for dy, so
    a brightness rising to the right or downwards is positive, as with ``cv2.Sobel``.
    ``(dx, dy)`` is ``(1, 0)`` or ``(0, 1)``. Float32 result of the input's shape.
    """
    return _first_derivative(image, "prewitt", dx, dy, border, backend)


def _first_derivative(image, operator, dx, dy, border, backend):
    """Scharr or Prewitt: OpenCV's function or the shared derivative kernel."""
    code = border_code(border)
    dx, dy = int(dx), int(dy)
    if backend == "opencv":
        from ..reference import derivatives as reference
        return getattr(reference, operator)(image, dx, dy, code).reshape(image.shape)
    return _derivative(image, operator, dx, dy, None, code)


@operation(params=(Param("ksize", int, "Aperture: 1 ([[0,1,0],[1,-4,1],[0,1,0]]), 3, 5 or 7.",
                         choices=LAPLACIAN_KSIZES), BORDER),
           reference="cv2.Laplacian", **DERIVATIVE, bench=({"ksize": 1},), peer="imgkit.peers:laplacian")
def laplacian(image, *, ksize=1, border="reflect101", backend="numba"):
    """Laplacian d²/dx² + d²/dy², as ``cv2.Laplacian(image, cv2.CV_32F, ksize=ksize)``.

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32, H×W or H×W×C
    ksize : {1, 3, 5, 7}
        1: ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]``; 3: ``[[2, 0, 2], [0, -8, 0], [2, 0, 2]]``;
        5 and 7: the sum of Sobel's d²x and d²y of that aperture.
    border : {'reflect101', 'reflect', 'replicate', 'constant', 'wrap'}

    Notes
    -----
    Computed as two separable filters summed in one pass over the rows.
    """
    code = border_code(border)
    ksize = int(ksize)
    if backend == "opencv":
        from ..reference import derivatives as reference
        return reference.laplacian(image, ksize, code).reshape(image.shape)
    from ..kernels import derivatives
    first, second = derivatives.laplacian_taps(ksize)
    planes = derivatives.combined(as_planes(image), first, second, derivatives.SUM, code)
    return like_input(planes, image)


def _gradient(image, operator, ksize, combine, code):
    from ..kernels import derivatives
    first = derivatives.derivative_taps(operator, 1, 0, ksize)
    second = derivatives.derivative_taps(operator, 0, 1, ksize)
    return like_input(derivatives.combined(as_planes(image), first, second, combine, code), image)


def _resolved(operator, ksize, border):
    return (int(ksize) if operator == "sobel" else 3), border_code(border)


@operation(params=(OPERATOR, SOBEL_KSIZE, L1, BORDER), reference="cv2.magnitude of cv2.Sobel (Scharr, filter2D)",
           tolerance=EXACT, goal=Tolerance(max_abs=0, relative=1e-6), result_dtype="float32", premultiply=False,
           bench=({"operator": "sobel", "ksize": 3},), peer="imgkit.peers:gradient_magnitude", halo=_aperture_halo)
def gradient_magnitude(image, *, operator="sobel", ksize=3, l1=False, border="reflect101",
                       backend="numba"):
    """Gradient magnitude ``sqrt(gx² + gy²)`` (or ``|gx| + |gy|`` with ``l1``), per channel.

    Matches ``cv2.magnitude(cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=ksize),
    cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=ksize))`` (Scharr / ``cv2.filter2D`` Prewitt for the
    other operators); ``l1``: ``cv2.absdiff(gx, 0) + cv2.absdiff(gy, 0)``.

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32, H×W or H×W×C
    operator : {'sobel', 'scharr', 'prewitt'}
    ksize : {1, 3, 5, 7}
        Sobel aperture (ignored by Scharr and Prewitt, which are 3×3).
    l1 : bool
        The L1 norm instead of the Euclidean one.
    border : {'reflect101', 'reflect', 'replicate', 'constant', 'wrap'}

    Returns
    -------
    ndarray, float32, the input's shape: a colour image gives one magnitude per channel.

    Notes
    -----
    1. gx and gy of a row strip, from the same source rows;
    2. combined value by value as they are produced, so no full-size gx or gy is stored.

    The square root is OpenCV's own ``sqrt(fma(gx, gx, gy·gy))`` in float32; the IPP build of
    ``cv2.magnitude`` approximates it within 2 ulp, so against it the result agrees to ~1e-7
    relative rather than to the bit.
    """
    ksize, code = _resolved(operator, ksize, border)
    if backend == "opencv":
        from ..reference import derivatives as reference
        return reference.gradient_magnitude(image, operator, ksize, bool(l1), code).reshape(image.shape)
    from ..kernels import derivatives
    return _gradient(image, operator, ksize, derivatives.L1 if l1 else derivatives.MAGNITUDE, code)


@operation(params=(OPERATOR, SOBEL_KSIZE, BORDER), reference="cv2.phase of cv2.Sobel (Scharr, filter2D)",
           **DERIVATIVE, bench=({"operator": "sobel", "ksize": 3},), peer="imgkit.peers:gradient_angle")
def gradient_angle(image, *, operator="sobel", ksize=3, border="reflect101", backend="numba"):
    """Gradient direction ``atan2(gy, gx)`` in degrees, 0 ≤ angle < 360, per channel.

    Matches ``cv2.phase(gx, gy, angleInDegrees=True)`` on the derivatives of
    ``gradient_magnitude``: OpenCV's polynomial arctangent (``cv::fastAtan32f``, accurate to
    ~0.01°), reproduced to the bit. Parameters as ``gradient_magnitude``.
    """
    ksize, code = _resolved(operator, ksize, border)
    if backend == "opencv":
        from ..reference import derivatives as reference
        return reference.gradient_angle(image, operator, ksize, code).reshape(image.shape)
    from ..kernels import derivatives
    return _gradient(image, operator, ksize, derivatives.ANGLE, code)


# ---------------------------------------------------------------- imgkit sobel | scharr | prewitt | laplacian

OUTPUT_NOTE = ("Results are float32: npy and tiff keep them; other formats get |value| rounded and "
               "saturated to 0–255 (as cv2.convertScaleAbs), or a min–max stretch with --normalize.")
COLOUR_NOTE = ("Colour images are differentiated channel by channel, as OpenCV does (the magnitude and "
               "angle too: one per channel, as cv2.magnitude on cv2.Sobel's colour output); use --gray "
               "for one channel.")


def _gradient_step(operator, dx, dy, ksize, component, norm, normalize, border):
    """One derivative (``--dx``/``--dy``, or ``--component x|y``), the magnitude or the angle."""
    ksize, l1 = 3 if ksize is None else ksize, norm == "l1"
    sobel_params = {"ksize": ksize} if operator == "sobel" else {}
    if dx is not None or dy is not None:
        if component is not None:
            raise ParameterError(None, "give either {dx}/{dy} (one derivative) or {component}, not both",
                                 ["dx", "dy", "component"])
        if l1:
            raise ParameterError("norm", "applies to the magnitude, not to {dx}/{dy}", ["dx", "dy"])
        return Step(operator, {"dx": dx or 0, "dy": dy or 0, **sobel_params, "border": border}, normalize=normalize)
    component = component or "magnitude"
    if l1 and component != "magnitude":
        raise ParameterError("norm", "applies to the magnitude only")
    if component in ("x", "y"):
        dx, dy = (1, 0) if component == "x" else (0, 1)
        return Step(operator, {"dx": dx, "dy": dy, **sobel_params, "border": border}, normalize=normalize)
    params = {"operator": operator, "ksize": ksize, "border": border}
    if component == "angle":
        return Step("gradient_angle", params, normalize=normalize)
    return Step("gradient_magnitude", {**params, "l1": l1}, normalize=normalize)


def _gradient_command(operator, help, examples):
    own = (DX, DY, *((replace(SOBEL_KSIZE, help=SOBEL_KSIZE.help + " Default 3."),) if operator == "sobel" else ()),
           Param("component", str, "Which part of the gradient (angle: degrees, 0–360, as cv2.phase); default "
                                   "magnitude.", choices=GRADIENT_COMPONENTS, metavar="PART"),
           Param("norm", str, "The magnitude: l2 sqrt(gx² + gy²) or l1 |gx| + |gy|.", default="l2", choices=NORMS,
                 metavar="NORM", aliases=("--l1=l1",)),
           NORMALIZE, replace(BORDER, default="reflect101"))

    def step(dx, dy, component, norm, normalize, border, ksize=None):
        return _gradient_step(operator, dx, dy, ksize, component, norm, normalize, border)
    command(operator, help=f"{help} {COLOUR_NOTE} {OUTPUT_NOTE}", options=own, step=step,
            ops=(operator, "gradient_magnitude", "gradient_angle"), examples=examples)


_gradient_command("sobel", "Sobel derivatives (cv2.Sobel): the gradient magnitude by default, or one derivative "
                           "with --dx/--dy.",
                  ("imgkit sobel photo.jpg -o gradient.png", "imgkit sobel photo.jpg --dx 1 -o gx.tif",
                   "imgkit sobel photos/ --component angle --normalize -o angles/"))
_gradient_command("scharr", "Scharr first derivatives (cv2.Scharr, [3,10,3]⊗[-1,0,1]): the gradient magnitude by "
                            "default, or --dx 1 / --dy 1.",
                  ("imgkit scharr photo.jpg -o scharr.png", "imgkit scharr photo.jpg --component y -o gy.npy"))
_gradient_command("prewitt", "Prewitt first derivatives (cv2.filter2D with [1,1,1]⊗[-1,0,1], a correlation): the "
                             "gradient magnitude by default, or --dx 1 / --dy 1.",
                  ("imgkit prewitt photo.jpg -o prewitt.png",
                   "imgkit prewitt photo.jpg --norm l1 --normalize -o prewitt_l1.png"))


def _laplacian_step(ksize, normalize, border):
    return Step("laplacian", {"ksize": ksize, "border": border}, normalize=normalize)


command("laplacian", help="Laplacian d²x + d²y (cv2.Laplacian). Colour images are filtered channel by channel, as "
                          f"OpenCV does. {OUTPUT_NOTE}",
        options=(*laplacian.operation.params[:1], NORMALIZE, laplacian.operation.params[1]), step=_laplacian_step,
        ops=("laplacian",), examples=("imgkit laplacian photo.jpg -o lap.png",
                                      "imgkit laplacian photo.jpg --ksize 3 -o lap.tif"))
