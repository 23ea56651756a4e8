"""The vocabulary shared by every command, op and kernel.

Border codes are OpenCV's ``cv2.BORDER_*`` values, so a kernel, the reference path and the
CLI all speak of the same rule by the same number.
"""

BORDER_CONSTANT = 0     # iiiiii|abcdefgh|iiiiiii, i = 0
BORDER_REPLICATE = 1    # aaaaaa|abcdefgh|hhhhhhh
BORDER_REFLECT = 2      # fedcba|abcdefgh|hgfedcb
BORDER_WRAP = 3         # cdefgh|abcdefgh|abcdefg
BORDER_REFLECT101 = 4   # gfedcb|abcdefgh|gfedcba  (OpenCV's BORDER_DEFAULT)

BORDERS = {
    "reflect101": BORDER_REFLECT101,
    "reflect": BORDER_REFLECT,
    "replicate": BORDER_REPLICATE,
    "constant": BORDER_CONSTANT,
    "wrap": BORDER_WRAP,
}

BLUR_METHODS = ("gaussian", "box", "median", "bilateral")
OPERATORS = ("sobel", "scharr", "prewitt")                  # first-derivative filters
GRADIENT_COMPONENTS = ("magnitude", "x", "y", "angle")
INTERPOLATIONS = ("auto", "nearest", "linear", "cubic", "area", "lanczos")
NORMS = ("l1", "l2")                                        # a gradient's magnitude: |gx|+|gy|, sqrt(gx²+gy²)

# Extension (lower case, no dot) → encoding: the image formats outputs can take. ``--format``
# takes these names too, whatever their case (``JPEG`` → ``jpg``): ``format_name``.
FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp", "tiff": "tiff", "tif": "tiff",
           "bmp": "bmp", "npy": "npy"}
TABLE_FORMATS = {"csv": "csv"}   # results that are numbers, not pictures (HOG features): 1-D or 2-D arrays

# --depth: the pixel type an output is converted to before it is encoded (``imgkit.depth``).
DEPTHS = {"8": "uint8", "16": "uint16", "32f": "float32"}


def border_code(name):
    """The code of border ``name``; ValueError naming the allowed values otherwise."""
    try:
        return BORDERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"border must be one of {', '.join(BORDERS)}, got {name!r}") from None


def format_name(name):
    """The encoding ``--format NAME`` names (``JPEG`` → ``jpg``, ``tif`` → ``tiff``), case-insensitive;
    ValueError naming the allowed values otherwise."""
    key = str(name).lower().lstrip(".")
    if key in FORMATS or key in TABLE_FORMATS:
        return FORMATS.get(key) or TABLE_FORMATS[key]
    raise ValueError(f"{name!r} is not a format imgkit writes; use one of {', '.join([*FORMATS, *TABLE_FORMATS])}")
