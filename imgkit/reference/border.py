"""BORDER_WRAP for OpenCV filters that refuse it.

``cv2.Sobel``, ``cv2.Scharr``, ``cv2.Laplacian``, ``cv2.filter2D`` and ``cv2.blur`` (uint8,
uint16) refuse BORDER_WRAP, and ``cv2.GaussianBlur`` refuses it for float32 (OpenCV 5.0 and
5.1 alike). Its documented meaning (``cdefgh|abcdefgh|abcdefg``) is rebuilt from primitives:
``cv2.copyMakeBorder`` pads the image with the wrapped pixels, the filter runs on the padded
image, and the centre is cut out, so the filter's own border rule never reaches the result.
"""

import cv2

from ..options import BORDER_REFLECT101, BORDER_WRAP
from . import note


def with_border(filter_, image, pad_y, pad_x, border, function):
    """``filter_(image, border)``; for BORDER_WRAP, through a wrapped copy padded by
    ``pad_y``, ``pad_x`` (the filter's radii), noted under the name ``function``."""
    if border != BORDER_WRAP:
        return filter_(image, border)
    note(f"border wrap rebuilt: cv2.copyMakeBorder(BORDER_WRAP), then {function} on the padded image, "
         "centre cut out")
    padded = cv2.copyMakeBorder(image, pad_y, pad_y, pad_x, pad_x, BORDER_WRAP)
    return filter_(padded, BORDER_REFLECT101)[pad_y:pad_y + image.shape[0], pad_x:pad_x + image.shape[1]]
