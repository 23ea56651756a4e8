"""OpenCV's own decoding limits, set from ``--max-pixels``: a second line behind imgkit's header checks.

OpenCV refuses to decode an image whose decoder reports more than ``OPENCV_IO_MAX_IMAGE_PIXELS``
pixels, or a side longer than ``OPENCV_IO_MAX_IMAGE_WIDTH``/``HEIGHT`` (defaults 2³⁰ pixels and
2²⁰ per side). It reads these environment variables once, into static constants, when the cv2
module loads (``modules/imgcodecs/src/loadsave.cpp``), so they must be set before ``cv2`` is first
imported; worker processes started afterwards inherit them. This module imports nothing heavy.
"""

import os
import sys

DEFAULT_MAX_PIXELS = 10**8     # --max-pixels' default, and the API's
_VARIABLES = ("OPENCV_IO_MAX_IMAGE_PIXELS", "OPENCV_IO_MAX_IMAGE_WIDTH", "OPENCV_IO_MAX_IMAGE_HEIGHT")


def bound_opencv_decoding(max_pixels):
    """Make OpenCV refuse to decode images above ``max_pixels`` pixels; returns whether it will.

    The width and height limits are set to ``max_pixels`` as well, so that OpenCV accepts every
    shape imgkit's own check accepts (a 1 × ``max_pixels`` strip included) and nothing larger.
    ``None`` (no limit) leaves OpenCV's defaults. Returns False when cv2 is already imported:
    the values then take effect only in processes started later.
    """
    if max_pixels is not None:
        value = str(int(max_pixels))
        for name in _VARIABLES:
            os.environ[name] = value
    return "cv2" not in sys.modules
