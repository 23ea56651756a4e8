"""Resizing with OpenCV's five interpolations, and Pillow-style anti-aliased shrinking.

``resize`` matches ``cv2.resize`` (its fixed-point paths on uint8, REFERENCE_NOTES §6): given a
size (width/height/fit) as ``cv2.resize(image, dsize)``, given a scale as ``cv2.resize(image,
None, fx=scale, fy=scale)``, which maps pixels by the factor, not by the rounded size's ratio. ``antialias=True`` widens the linear, cubic or Lanczos filter with the
shrink factor, as Pillow's ``Image.resize`` does, instead of OpenCV's fixed 2/4/8 taps that
alias when shrinking.
"""

from ..options import INTERPOLATIONS
from ..registry import Param, Tolerance, command, operation
from ..rules import ParameterError, check_int, check_number
from ._checks import as_planes, like_input

ANTIALIASED = ("linear", "cubic", "lanczos")
# cv2.resize takes an output of fewer than 2³¹ pixels (its Size::area() is an int); the same
# bound for both backends. A factor above √(2³¹ − 1) exceeds it even for a 1×1 image.
MAX_OUTPUT_PIXELS = 2**31 - 1
MAX_SCALE = 46340
FIT_FLAGS = (">", "^")
SHRINK_MARGIN = 2     # a reduced decode stays at least twice the output on both sides, as libvips's


def _resize_rules(width, height, scale, fit, interp, antialias):
    """Exactly one way of giving the size; width × height below 2³¹; antialias for the
    interpolations that widen."""
    given = [name for name, value in (("{width}/{height}", width if width is not None else height),
                                      ("{scale}", scale), ("{fit}", fit)) if value is not None]
    if len(given) != 1:
        raise ParameterError(None, "give exactly one of {width}/{height}, {scale} or {fit}"
                             + (f", not {' and '.join(given)}" if given else ""),
                             ["width", "height", "scale", "fit"])
    if width is not None and height is not None and width * height > MAX_OUTPUT_PIXELS:
        raise ParameterError("width", f"× {{height}} must be below 2³¹ pixels (what cv2.resize takes), "
                             f"got {width}×{height}", ["height"])
    if antialias and interp not in ANTIALIASED + ("auto",):
        raise ParameterError("antialias", f"applies to {', '.join(ANTIALIASED)}, not {{interp}} {interp}",
                             ["interp"])


def parse_fit(name, fit):
    """ImageMagick's geometry: ``"WxH"`` (the largest size inside the box), ``"WxH>"`` (the same,
    but only to shrink) or ``"WxH^"`` (the smallest size that covers the box), or a (width,
    height[, flag]) tuple → (width, height, flag), the sides from 1 to 2³¹ − 1."""
    if isinstance(fit, str):
        text = fit.strip()
        flag = text[-1] if text[-1:] in FIT_FLAGS else ""
        parts = text[:len(text) - len(flag)].lower().split("x")
        try:
            fit = tuple(int(p) for p in parts) + (flag,)
        except ValueError:
            fit = ()
        if len(fit) != 3:
            raise ParameterError(name, f"must look like WIDTHxHEIGHT, WIDTHxHEIGHT> or WIDTHxHEIGHT^, "
                                       f"e.g. 1024x768, got {text!r}")
    width, height, *flag = fit
    flag = flag[0] if flag else ""
    for side in (width, height):
        check_int(name, side, 1, MAX_OUTPUT_PIXELS)
    if flag not in FIT_FLAGS + ("",):
        raise ParameterError(name, f"flag must be '>' (only shrink) or '^' (fill), got {flag!r}")
    return int(width), int(height), flag


def parse_scale(name, scale):
    """A factor, or a percentage as ImageMagick's ``50%`` → a float in (0, 46340]."""
    if isinstance(scale, str):
        text = scale.strip()
        try:
            scale = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ParameterError(name, f"must be a factor or a percentage (0.5 or 50%), got {text!r}") from None
    return check_number(name, scale, 0, MAX_SCALE, above=True)


def output_size(shape, width=None, height=None, scale=None, fit=None):
    """(width, height) of the result for an image of ``shape``; one side alone keeps the aspect."""
    rows, cols = shape[:2]
    if fit is not None:
        flag = fit[2] if len(fit) > 2 else ""
        factor = (max if flag == "^" else min)(fit[0] / cols, fit[1] / rows)
        factor = min(factor, 1.0) if flag == ">" else factor
        size = (round(cols * factor), round(rows * factor))
    elif scale is not None:
        size = (round(cols * scale), round(rows * scale))
    elif width is not None and height is not None:
        size = (width, height)
    elif width is not None:
        size = (width, round(rows * width / cols))
    else:
        size = (round(cols * height / rows), height)
    if min(size) < 1:
        raise ValueError(f"the result would be {size[0]}×{size[1]} pixels, under 1 pixel (image {cols}×{rows})")
    if size[0] * size[1] > MAX_OUTPUT_PIXELS:
        raise ValueError(f"the result would be {size[0]}×{size[1]} pixels, 2³¹ or more, above what cv2.resize "
                         f"takes (image {cols}×{rows})")
    return size


def resolve_interp(interp, shape, size):
    """``auto``: area to shrink, cubic to enlarge (either side growing counts as enlarging)."""
    if interp != "auto":
        return interp
    return "area" if size[0] <= shape[1] and size[1] <= shape[0] else "cubic"


def shrink_on_load(params, size):
    """Shrink-on-load (the declaration's ``reduce``, libvips's idea): for this resize of an image
    of ``size`` (width, height), the largest JPEG decode reduction, 8, 4 or 2
    (``cv2.IMREAD_REDUCED_*``), that leaves the decoded image at least SHRINK_MARGIN times the
    output on both sides, for an area resize only (1: none); and the parameters that give the
    same output size from the reduced image."""
    full = {**{p.name: p.default for p in resize.operation.params}, **params}
    fit = None if full["fit"] is None else parse_fit("fit", full["fit"])
    scale = None if full["scale"] is None else parse_scale("scale", full["scale"])
    out = output_size((size[1], size[0]), full["width"], full["height"], scale, fit)
    if full["antialias"] or resolve_interp(full["interp"], (size[1], size[0]), out) != "area":
        return 1, params
    factor = next((f for f in (8, 4, 2) if min(-(-size[0] // f) / out[0], -(-size[1] // f) / out[1]) >= SHRINK_MARGIN), 1)
    return factor, {**full, "width": out[0], "height": out[1], "scale": None, "fit": None, "interp": "area"}


@operation(params=(Param("width", int, "Output width; alone, the height follows the aspect ratio. Every output "
                                        "has fewer than 2³¹ pixels (cv2.resize's limit).", minimum=1,
                         maximum=MAX_OUTPUT_PIXELS, metavar="PIXELS"),
                   Param("height", int, "Output height; alone, the width follows the aspect ratio.", minimum=1,
                         maximum=MAX_OUTPUT_PIXELS, metavar="PIXELS"),
                   Param("scale", str, "Both sides times this factor, or N% (50% = 0.5), rounded, pixels mapped by "
                                       "the factor (cv2.resize's fx/fy); above 0 and at most 46340 (a 1×1 image "
                                       "then stays below 2³¹ pixels).", parse=parse_scale,
                         metavar="FACTOR"),
                   Param("fit", str, "WxH: the largest size inside this box, aspect ratio kept; WxH> the same, "
                                     "but an image already inside keeps its size; WxH^ the smallest size "
                                     "covering the box (ImageMagick's geometry).", parse=parse_fit,
                         metavar="WxH"),
                   Param("interp", str, "The interpolation (auto: area to shrink, cubic to enlarge).",
                         choices=INTERPOLATIONS, metavar="METHOD"),
                   Param("antialias", bool, "Linear, cubic or Lanczos whose support widens with the shrink factor, "
                                            "as Pillow (no aliasing when shrinking).")),
           rules=_resize_rules, reference="cv2.resize (antialias: Pillow's Image.resize)",
           tolerance=Tolerance(max_abs=1),
           # identical, but for uint8 cubic, which the x86 wheel sends through IPP: 1 level on ~1 pixel in 10⁷
           goal=Tolerance(max_abs=1),
           bench=tuple({"scale": factor, "interp": interp} for interp, factor in
                       (("linear", 0.5), ("area", 0.5), ("nearest", 0.5), ("cubic", 2.0), ("lanczos", 2.0))),
           peer="imgkit.peers:resize", reduce=shrink_on_load)
def resize(image, *, width=None, height=None, scale=None, fit=None, interp="auto", antialias=False,
           backend="numba"):
    """Resize as ``cv2.resize(image, (width, height), interpolation=...)``.

    Parameters
    ----------
    image : ndarray, uint8, uint16 or float32, H×W or H×W×C
    width, height : int, optional
        Output size; one alone keeps the aspect ratio. The result must have fewer than 2³¹
        pixels, as for ``cv2.resize``.
    scale : float or "N%", optional
        Both sides times ``scale`` (rounded), in (0, 46340]; ``"50%"`` is 0.5. Pixels are mapped
        by the factor, as ``cv2.resize(image, None, fx=scale, fy=scale)``.
    fit : "WxH", "WxH>", "WxH^" or (width, height[, flag]), optional
        The largest size inside that box with the image's aspect ratio; ``>``: only to shrink
        (an image inside the box keeps its size); ``^``: the smallest size covering the box.
    interp : {'auto', 'nearest', 'linear', 'cubic', 'area', 'lanczos'}
        ``auto``: area to shrink, cubic to enlarge.
    antialias : bool
        Linear, cubic or Lanczos with the support widened by the shrink factor, as Pillow's
        ``Image.resize`` (reference: Pillow); ``auto`` then means cubic.

    Notes
    -----
    The output size is resolved here, once, and both backends get it, with the factor when it
    came from ``scale``: OpenCV then maps by ``1/scale``, not by the size ratio (on a 741×500
    image, ``scale=0.5`` gives 370×250, read from every 2nd pixel, not every 741/370th).
    Anti-aliased resizing is Pillow's, which takes a size only: the factor is not used there.
    """
    fit = None if fit is None else parse_fit("fit", fit)
    scale = None if scale is None else parse_scale("scale", scale)
    size = output_size(image.shape, width, height, scale, fit)
    interp = "cubic" if antialias and interp == "auto" else resolve_interp(interp, image.shape, size)
    if size == (image.shape[1], image.shape[0]):
        result = image.copy()       # as cv2.resize (and Pillow) give an image its own size
    elif backend == "opencv":
        from ..reference import resize as reference
        result = reference.resize(image, size, interp, antialias, scale)
    else:
        from ..kernels import resample, resize as kernels
        planes = as_planes(image)
        if antialias:
            result = like_input(resample.resize_antialias(planes, size[0], size[1], interp), image)
        else:
            kernel = {"nearest": kernels.resize_nearest, "linear": kernels.resize_linear,
                      "area": kernels.resize_area, "cubic": resample.resize_cubic,
                      "lanczos": resample.resize_lanczos}[interp]
            inv_scale = None if scale is None else (scale, scale)
            result = like_input(kernel(planes, size[0], size[1], inv_scale=inv_scale), image)
    return result.reshape((size[1], size[0]) + image.shape[2:])



command("resize", help="Resize images (cv2.resize; --antialias: Pillow-style filters that widen when shrinking). Give "
                       "exactly one of --width/--height, --scale or --fit. Bit depth and channels are kept; 4-channel "
                       "images are resized with premultiplied alpha.",
        options=resize.operation.params, op="resize",
        examples=("imgkit resize photo.jpg --width 1024 -o small.jpg", "imgkit resize 'photos/**/*.jpg' --scale 0.5 -o half/",
                  "imgkit resize photo.jpg --fit 64x64 --interp lanczos --antialias -o thumb.png"))
