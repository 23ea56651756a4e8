"""Geometry: crop, pad, flip and rotate, as OpenCV does them (a region-of-interest copy,
``cv2.copyMakeBorder``, ``cv2.flip``, ``cv2.rotate`` and ``cv2.warpAffine``).

Conventions, each chosen once here and documented in the README:

- ``crop``: a box partly outside the image is clipped to it, as ImageMagick's ``-crop`` does; a
  box wholly outside is an error;
- ``flip --axis``: the axis mirrored *around*, as ``cv2.flip``: ``x`` turns the image upside down
  (code 0, ImageMagick's ``-flip``), ``y`` mirrors left and right (code 1, ``-flop``), ``both``
  does both (code -1, a half turn);
- ``rotate --angle``: degrees counter-clockwise, as ``cv2.getRotationMatrix2D`` (ImageMagick's
  ``-rotate`` turns clockwise: negate its angle). Multiples of 90 are exact quarter turns
  (``cv2.rotate``: width and height swap for 90 and 270). Other angles turn about the pixel
  centre ((W − 1)/2, (H − 1)/2) into the bounding box of the turned image, as ImageMagick does,
  rounded to whole pixels; the corners come from ``--border`` (constant: 0, transparent for
  BGRA). Alpha is interpolated as a channel, as ``cv2.warpAffine`` does.
"""

import math

from ..options import BORDERS, INTERPOLATIONS, border_code
from ..registry import Param, Tolerance, command, operation
from ..rules import ParameterError, check_int
from ._checks import as_planes, like_input

WARP_INTERPOLATIONS = tuple(name for name in INTERPOLATIONS if name in ("nearest", "linear", "cubic"))
FLIP_CODES = {"x": 0, "y": 1, "both": -1}
MAX_PAD = 65535
MAX_OUTPUT_PIXELS = 2**31 - 1       # as cv2.resize: the result's area is an int
COPY = dict(tolerance=Tolerance(max_abs=0, relative=0.0), premultiply=False)   # pixels moved, never mixed


def _required(name, value, what):
    if value is None:
        raise ParameterError(name, f"must be given ({what})")


def parse_box(name, box):
    """``"X,Y,W,H"`` or four ints → (x, y, width, height); width and height ≥ 1."""
    if isinstance(box, str):
        try:
            box = tuple(int(part) for part in box.split(","))
        except ValueError:
            box = ()
        if len(box) != 4:
            raise ParameterError(name, f"must look like X,Y,WIDTH,HEIGHT, e.g. 10,20,640,480, got {box!r}")
    try:
        x, y, width, height = box
    except (TypeError, ValueError):
        raise ParameterError(name, f"must be X,Y,WIDTH,HEIGHT, got {box!r}") from None
    check_int(name, x, -MAX_OUTPUT_PIXELS, MAX_OUTPUT_PIXELS)
    check_int(name, y, -MAX_OUTPUT_PIXELS, MAX_OUTPUT_PIXELS)
    check_int(name, width, 1, MAX_OUTPUT_PIXELS)
    check_int(name, height, 1, MAX_OUTPUT_PIXELS)
    return int(x), int(y), int(width), int(height)


def clip_box(shape, box):
    """The part of ``box`` inside an image of ``shape``: (x0, y0, width, height)."""
    rows, cols = shape[:2]
    x, y, width, height = box
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + width, cols), min(y + height, rows)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"the box {x},{y},{width},{height} lies outside the image ({cols}×{rows})")
    return x0, y0, x1 - x0, y1 - y0


def _crop_rules(box):
    _required("box", box, "X,Y,WIDTH,HEIGHT")


@operation(params=(Param("box", str, "X,Y,WIDTH,HEIGHT: the region kept, top-left corner at X,Y; the part outside "
                                     "the image is left out.", parse=parse_box, metavar="X,Y,W,H"),),
           rules=_crop_rules, reference="image[y:y+h, x:x+w] (an OpenCV ROI, copied)", **COPY,
           bench=({"box": "16,8,1280,720"},))
def crop(image, *, box=None, backend="numba"):
    """The region ``box`` = (x, y, width, height) of ``image``, clipped to the image.

    A box partly outside keeps the part inside, as ImageMagick's ``-crop``; one wholly outside
    raises ValueError.
    """
    x0, y0, width, height = clip_box(image.shape, parse_box("box", box))
    if backend == "opencv":
        from ..reference import geometry as reference
        return reference.crop(image, x0, y0, width, height)
    from ..kernels import geometry as kernels
    return like_input(kernels.crop(as_planes(image), x0, y0, width, height), image)


def _pad_rules(top, bottom, left, right, border, value):
    if value != 0 and border != "constant":
        raise ParameterError("value", "applies to {border} constant only", ["border"])


def constant_value(value, dtype):
    """``value`` as OpenCV converts a Scalar to ``dtype``: rounded half to even and saturated for
    integers (``saturate_cast``), as is for float32."""
    import numpy as np
    if dtype.kind == "f":
        return value
    return float(min(round(value), np.iinfo(dtype).max))


def _side(name):
    return Param(name, int, f"Pixels added at the {name}, 0–{MAX_PAD}.", minimum=0, maximum=MAX_PAD, metavar="N")


@operation(params=(_side("top"), _side("bottom"), _side("left"), _side("right"),
                   Param("border", str, "How the added pixels are made up (blur's border modes).",
                         choices=tuple(BORDERS), metavar="BORDER"),
                   Param("value", float, "The constant border's value, ≥ 0 (saturated to the image's "
                                         "range).", minimum=0, metavar="V")),
           rules=_pad_rules, reference="cv2.copyMakeBorder", **COPY,
           bench=({"top": 16, "bottom": 16, "left": 16, "right": 16, "border": "reflect101"},))
def pad(image, *, top=0, bottom=0, left=0, right=0, border="constant", value=0.0, backend="numba"):
    """The image inside a frame, as ``cv2.copyMakeBorder(image, top, bottom, left, right, border,
    value=value)``; ``border`` is one of blur's modes (``constant``: ``value`` everywhere)."""
    import numpy as np
    code = border_code(border)
    rows, cols = image.shape[:2]
    if (rows + top + bottom) * (cols + left + right) > MAX_OUTPUT_PIXELS:
        raise ValueError(f"the result would be {cols + left + right}×{rows + top + bottom} pixels, 2³¹ or more")
    fill = constant_value(float(value), image.dtype)
    if backend == "opencv":
        from ..reference import geometry as reference
        result = reference.pad(image, top, bottom, left, right, code, fill)
        return result.reshape(result.shape[:2] + image.shape[2:])     # cv2 drops a single channel
    from ..kernels import geometry as kernels
    planes = kernels.pad(as_planes(image), top, bottom, left, right, code, np.array(fill, image.dtype)[()])
    return like_input(planes, image)


def _flip_rules(axis):
    _required("axis", axis, "x, y or both")


@operation(params=(Param("axis", str, "The axis mirrored around: x upside down (ImageMagick -flip), y left–right "
                                      "(-flop), both (a half turn).", choices=tuple(FLIP_CODES), metavar="AXIS"),),
           rules=_flip_rules, reference="cv2.flip (x: code 0, y: 1, both: -1)", **COPY,
           bench=({"axis": "y"},))
def flip(image, *, axis=None, backend="numba"):
    """``cv2.flip(image, code)``: ``axis`` x is code 0 (upside down), y is 1 (mirrored left–right),
    both is -1."""
    code = FLIP_CODES[axis]
    if backend == "opencv":
        from ..reference import geometry as reference
        return reference.flip(image, code).reshape(image.shape)
    from ..kernels import geometry as kernels
    return like_input(kernels.flip(as_planes(image), code), image)


def quarter_turns(angle):
    """How many quarter turns counter-clockwise ``angle`` is (0–3), or None if it is not a
    multiple of 90°."""
    return int(angle % 360 // 90) if angle % 90 == 0 else None


def rotation(shape, angle):
    """The forward map of a turn by ``angle`` degrees about the pixel centre, into the bounding
    box: (six doubles, as ``cv2.getRotationMatrix2D`` then shifted, width, height)."""
    rows, cols = shape[:2]
    radians = angle * math.pi / 180
    alpha, beta = math.cos(radians), math.sin(radians)
    width = max(1, round(cols * abs(alpha) + rows * abs(beta)))
    height = max(1, round(cols * abs(beta) + rows * abs(alpha)))
    if width * height > MAX_OUTPUT_PIXELS:
        raise ValueError(f"the result would be {width}×{height} pixels, 2³¹ or more")
    cx, cy = (cols - 1) / 2, (rows - 1) / 2
    matrix = (alpha, beta, (1 - alpha) * cx - beta * cy + (width - cols) / 2,
              -beta, alpha, beta * cx + (1 - alpha) * cy + (height - rows) / 2)
    return matrix, width, height


def invert_affine(m):
    """The inverse of the affine map ``m`` (six doubles), as ``cv2.warpAffine`` computes it."""
    det = m[0] * m[4] - m[1] * m[3]
    det = 1.0 / det if det != 0 else 0.0
    a11, a12, a21, a22 = m[4] * det, -m[1] * det, -m[3] * det, m[0] * det
    return (a11, a12, -a11 * m[2] - a12 * m[5], a21, a22, -a21 * m[2] - a22 * m[5])


def _rotate_rules(angle, interp, border):
    _required("angle", angle, "degrees counter-clockwise")


@operation(params=(Param("angle", float, "Degrees counter-clockwise (negative: clockwise, as ImageMagick's "
                                         "-rotate). Multiples of 90 are exact.", metavar="DEGREES"),
                   Param("interp", str, "The interpolation for angles that are not multiples of 90.",
                         choices=WARP_INTERPOLATIONS, metavar="NAME"),
                   Param("border", str, "How the corners are made up for other angles (constant: 0, "
                                        "transparent for BGRA).", choices=tuple(BORDERS), metavar="BORDER")),
           rules=_rotate_rules,
           reference="cv2.rotate (multiples of 90°); cv2.getRotationMatrix2D + cv2.warpAffine (others)",
           # linear and cubic: within 1 level of cv2.warpAffine (identical on all but ~0.01–0.1 % of values,
           # which OpenCV rounds otherwise near x.5); nearest takes the other neighbour at some positions
           # within float rounding of a half-pixel tie (~0.1 % of pixels at 30°), whatever their difference
           tolerance=Tolerance(max_abs=255 * 257, relative=1e-4, within_1=0.995),
           goal=Tolerance(max_abs=1, relative=1e-4),
           premultiply=False,   # alpha is a channel, as in cv2.warpAffine; quarter turns stay exact
           bench=({"angle": 90.0}, {"angle": 30.0, "interp": "linear"}, {"angle": 30.0, "interp": "cubic"}))
def rotate(image, *, angle=None, interp="linear", border="constant", backend="numba"):
    """The image turned ``angle`` degrees counter-clockwise.

    Multiples of 90° are ``cv2.rotate`` (exact; width and height swap for 90° and 270°). Other
    angles are ``cv2.warpAffine`` with ``cv2.getRotationMatrix2D`` about ((W − 1)/2, (H − 1)/2),
    shifted into the bounding box of the turned image (its sides rounded), with ``interp``
    (nearest, linear or cubic) and ``border`` (constant: 0).
    """
    angle = float(angle)
    turns = quarter_turns(angle)
    code = border_code(border)
    if turns is not None:
        if backend == "opencv":
            from ..reference import geometry as reference
            if turns == 0:
                return image.copy()
            result = reference.quarter_turns(image, turns)
            return result.reshape(result.shape[:2] + image.shape[2:])
        from ..kernels import geometry as kernels
        return like_input(kernels.quarter_turns(as_planes(image), turns), image)
    matrix, width, height = rotation(image.shape, angle)
    if backend == "opencv":
        from ..reference import geometry as reference
        return reference.warp(image, matrix, width, height, interp, code).reshape((height, width) + image.shape[2:])
    from ..kernels import geometry as kernels
    planes = kernels.warp(as_planes(image), invert_affine(matrix), width, height, interp, code)
    return like_input(planes, image)


command("crop", help="Crop images to a box (X,Y,WIDTH,HEIGHT; a box partly outside the image is clipped to it, as "
                     "ImageMagick's -crop). Bit depth and channels are kept.",
        options=crop.operation.params, op="crop",
        examples=("imgkit crop photo.jpg --box 100,50,640,480 -o part.jpg",
                  "imgkit crop 'photos/*.png' --box 0,0,512,512 -o corners/"))
command("pad", help="Add a frame around images (cv2.copyMakeBorder), made up by one of blur's border modes.",
        options=pad.operation.params, op="pad",
        examples=("imgkit pad photo.jpg --top 20 --bottom 20 -o framed.jpg",
                  "imgkit pad photo.jpg --left 8 --right 8 --border reflect101 -o wide.jpg",
                  "imgkit pad photo.jpg --top 10 --left 10 --value 255 -o matted.jpg"))
command("flip", help="Mirror images around an axis (cv2.flip): x upside down (ImageMagick -flip), y left–right "
                     "(-flop), both.",
        options=flip.operation.params, op="flip",
        examples=("imgkit flip photo.jpg --axis y -o mirrored.jpg", "imgkit flip 'photos/*.png' --axis x -o upside/"))
command("rotate", help="Turn images counter-clockwise by --angle degrees: multiples of 90 exactly (cv2.rotate), "
                       "others by cv2.warpAffine into the bounding box.",
        options=rotate.operation.params, op="rotate",
        examples=("imgkit rotate photo.jpg --angle 90 -o portrait.jpg",
                  "imgkit rotate photo.jpg --angle -3.5 --interp cubic -o level.jpg"))
