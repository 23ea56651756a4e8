"""Image derivatives: Sobel, Scharr, Prewitt, the Laplacian, and the gradient's magnitude and angle.

Each function matches an OpenCV function with ``ddepth=cv2.CV_32F`` and returns float32 of the
input's shape. The kernels are integer, so for uint8 and uint16 images the sums are exact and
the result is OpenCV's to the bit (uint16 with aperture 7 can exceed float32's 24 bits: then
the result is the correctly rounded value, OpenCV's within 1e-7 relative). Colour images are
filtered channel by channel, as OpenCV does; the magnitude and angle are per channel too,
which is what ``cv2.magnitude`` / ``cv2.phase`` give on OpenCV's colour derivatives.
See REFERENCE_NOTES §2.
"""

from ..options import BORDERS, border_code
from ._checks import (ParameterError, as_planes, check_backend, check_choice, check_image, check_int,
                      like_input)

SOBEL_KSIZES = (1, 3, 5, 7)
LAPLACIAN_KSIZES = (1, 3, 5, 7)
OPERATORS = ("sobel", "scharr", "prewitt")


def check_ksize(ksize, allowed):
    return check_choice("ksize", check_int("ksize", ksize), allowed)


def check_orders(dx, dy, ksize=None):
    """Derivative orders as ``cv2.Sobel`` accepts them: dx, dy ≥ 0, dx + dy ≥ 1, each below
    the aperture (ksize 1 counts as 3). ``ksize=None``: first derivatives, (1, 0) or (0, 1)."""
    dx, dy = check_int("dx", dx, minimum=0), check_int("dy", dy, minimum=0)
    if ksize is None:
        if (dx, dy) not in ((1, 0), (0, 1)):
            raise ParameterError("dx", f"and {{dy}} must be 1 and 0, or 0 and 1 (first derivatives), got {dx} and {dy}",
                                 ["dy"])
        return dx, dy
    if dx + dy == 0:
        raise ParameterError("dx", "and {dy} cannot both be 0", ["dy"])
    top = max(ksize, 3) - 1
    for name, order in (("dx", dx), ("dy", dy)):
        if order > top:
            raise ParameterError(name, f"must be ≤ {top} for {{ksize}} {ksize}, got {order}", ["ksize"])
    return dx, dy


def check_sobel(dx=1, dy=0, *, ksize=3, border="reflect101"):
    """The rules of ``sobel``'s parameters (see ``check_orders``); ksize 1, 3, 5 or 7."""
    check_orders(dx, dy, check_ksize(ksize, SOBEL_KSIZES))
    check_choice("border", border, tuple(BORDERS))


def check_first_derivative(dx=1, dy=0, *, border="reflect101"):
    """The rules of ``scharr``'s and ``prewitt``'s parameters: (dx, dy) is (1, 0) or (0, 1)."""
    check_orders(dx, dy)
    check_choice("border", border, tuple(BORDERS))


def check_laplacian(*, ksize=1, border="reflect101"):
    """The rules of ``laplacian``'s parameters: ksize 1, 3, 5 or 7."""
    check_ksize(ksize, LAPLACIAN_KSIZES)
    check_choice("border", border, tuple(BORDERS))


def check_gradient(*, operator="sobel", ksize=3, l1=False, border="reflect101"):
    """The rules of ``gradient_magnitude``'s and ``gradient_angle``'s parameters (``l1``: the
    magnitude's only)."""
    if check_choice("operator", operator, OPERATORS) == "sobel":
        check_ksize(ksize, SOBEL_KSIZES)
    check_choice("border", border, tuple(BORDERS))


def _derivative(image, operator, dx, dy, ksize, code):
    from ..kernels import derivatives
    taps_x, taps_y = derivatives.derivative_taps(operator, dx, dy, ksize)
    return like_input(derivatives.derivative(as_planes(image), taps_x, taps_y, code), image)


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
    check_sobel(dx, dy, ksize=ksize, border=border)
    check_image(image)
    check_backend(backend)
    code = border_code(border)
    dx, dy, ksize = int(dx), int(dy), int(ksize)
    if backend == "opencv":
        from ..reference import derivatives as reference
        return reference.sobel(image, dx, dy, ksize, code).reshape(image.shape)
    return _derivative(image, "sobel", dx, dy, ksize, code)


def scharr(image, dx=1, dy=0, *, border="reflect101", backend="numba"):
    """Scharr first derivative, as ``cv2.Scharr(image, cv2.CV_32F, dx, dy)``.

    The kernel is ``[3, 10, 3]ᵀ ⊗ [-1, 0, 1]`` for dx (its transpose for dy): more
    rotation-invariant than the 3×3 Sobel. ``(dx, dy)`` is ``(1, 0)`` or ``(0, 1)``.
    Float32 result of the input's shape.
    """
    return _first_derivative(image, "scharr", dx, dy, border, backend)


def prewitt(image, dx=1, dy=0, *, border="reflect101", backend="numba"):
    """Prewitt first derivative, as ``cv2.filter2D(image, cv2.CV_32F, kernel)``.

    OpenCV has no Prewitt function; this is the usual way of computing it with OpenCV, a
    correlation (no kernel flip) with ``[[-1, 0, 1]] * 3`` for dx, its transpose for dy, so
    a brightness rising to the right or downwards is positive, as with ``cv2.Sobel``.
    ``(dx, dy)`` is ``(1, 0)`` or ``(0, 1)``. Float32 result of the input's shape.
    """
    return _first_derivative(image, "prewitt", dx, dy, border, backend)


def _first_derivative(image, operator, dx, dy, border, backend):
    """Scharr or Prewitt: validate, then OpenCV's function or the shared derivative kernel."""
    check_first_derivative(dx, dy, border=border)
    check_image(image)
    check_backend(backend)
    code = border_code(border)
    dx, dy = int(dx), int(dy)
    if backend == "opencv":
        from ..reference import derivatives as reference
        return getattr(reference, operator)(image, dx, dy, code).reshape(image.shape)
    return _derivative(image, operator, dx, dy, None, code)


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
    check_laplacian(ksize=ksize, border=border)
    check_image(image)
    check_backend(backend)
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


def _check_gradient(image, operator, ksize, backend, border):
    check_gradient(operator=operator, ksize=ksize, border=border)
    check_image(image)
    check_backend(backend)
    return (int(ksize) if operator == "sobel" else 3), border_code(border)


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
    ksize, code = _check_gradient(image, operator, ksize, backend, border)
    if backend == "opencv":
        from ..reference import derivatives as reference
        return reference.gradient_magnitude(image, operator, ksize, bool(l1), code).reshape(image.shape)
    from ..kernels import derivatives
    return _gradient(image, operator, ksize, derivatives.L1 if l1 else derivatives.MAGNITUDE, code)


def gradient_angle(image, *, operator="sobel", ksize=3, border="reflect101", backend="numba"):
    """Gradient direction ``atan2(gy, gx)`` in degrees, 0 ≤ angle < 360, per channel.

    Matches ``cv2.phase(gx, gy, angleInDegrees=True)`` on the derivatives of
    ``gradient_magnitude``: OpenCV's polynomial arctangent (``cv::fastAtan32f``, accurate to
    ~0.01°), reproduced to the bit. Parameters as ``gradient_magnitude``.
    """
    ksize, code = _check_gradient(image, operator, ksize, backend, border)
    if backend == "opencv":
        from ..reference import derivatives as reference
        return reference.gradient_angle(image, operator, ksize, code).reshape(image.shape)
    from ..kernels import derivatives
    return _gradient(image, operator, ksize, derivatives.ANGLE, code)
