"""Validation and layout helpers shared by every public op.

Messages are written for people: they name the argument and the allowed values.
"""

import math

import numpy as np

PIXEL_DTYPES = (np.uint8, np.uint16, np.float32)


def check_image(image, name="image", dtypes=PIXEL_DTYPES):
    """A 2-D (gray) or 3-D (H, W, C) array of one of ``dtypes``; raises TypeError/ValueError."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.dtype.type not in dtypes:
        allowed = ", ".join(np.dtype(d).name for d in dtypes)
        raise TypeError(f"{name} dtype must be one of {allowed}, got {image.dtype}")
    if image.ndim not in (2, 3) or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty H×W or H×W×C array, got shape {image.shape}")
    if image.ndim == 3 and not 1 <= image.shape[2] <= 4:
        raise ValueError(f"{name} must have 1 to 4 channels, got {image.shape[2]}")
    return image


def as_planes(image):
    """The (H, W, C) C-contiguous, writeable view kernels take; a gray image becomes C = 1.

    A read-only array is copied: Numba types it apart and would compile every kernel again.
    """
    planes = np.ascontiguousarray(image[:, :, None] if image.ndim == 2 else image)
    return planes if planes.flags.writeable else planes.copy()


def like_input(planes, image):
    """Undo ``as_planes``: give the result the input's number of dimensions."""
    return planes[:, :, 0] if image.ndim == 2 else planes


def check_odd(name, value, minimum=1):
    """An odd integer ≥ ``minimum``."""
    check_int(name, value, minimum)
    if value % 2 == 0:
        raise ValueError(f"{name} must be odd, got {value}")
    return value


def check_int(name, value, minimum=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}, got {value}")
    return int(value)


def check_positive(name, value, allow_zero=False):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value}")
    return value


def check_backend(backend):
    if backend not in ("numba", "opencv"):
        raise ValueError(f"backend must be 'numba' or 'opencv', got {backend!r}")
    return backend
