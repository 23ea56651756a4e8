"""A toy operation declared the way every imgkit operation is: one declaration, and the command
line, the API, compare, bench, warmup and chains have it (tests/test_declaration.py)."""

import numba
import numpy as np

from imgkit.registry import Param, Tolerance, command, operation


@numba.njit(nogil=True)
def _invert(planes, top):
    out = np.empty_like(planes)
    flat, result = planes.ravel(), out.ravel()
    for i in range(flat.size):
        result[i] = top - flat[i] if flat[i] < top else 0
    return out


@operation(params=(Param("top", int, "The value black becomes; values above it become 0.", minimum=1, maximum=255),),
           reference="cv2.subtract(top, image)", tolerance=Tolerance(max_abs=0, relative=0.0), dtypes=("uint8",),
           bench=({"top": 200},))
def invert(image, *, top=255, backend="numba"):
    """``top − image``, saturated at 0, as ``cv2.subtract(top, image)``."""
    if backend == "opencv":
        import cv2
        return cv2.subtract(np.full_like(image, top), image)
    return _invert(image, np.uint8(top))


command("invert", help="Invert 8-bit images: top − value, saturated at 0.", options=invert.operation.params, op="invert",
        examples=("imgkit invert photo.png -o negative.png",))
