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

# Extension (lower case, no dot) → encoding: the image formats outputs can take.
FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp", "tiff": "tiff", "tif": "tiff",
           "bmp": "bmp", "npy": "npy"}


def border_code(name):
    """The code of border ``name``; ValueError naming the allowed values otherwise."""
    try:
        return BORDERS[name]
    except (KeyError, TypeError):
        raise ValueError(f"border must be one of {', '.join(BORDERS)}, got {name!r}") from None
