"""The image half of every public op's checks, and the plane layout kernels take.

The rules of parameters are in ``imgkit.rules`` (applied through each operation's declaration);
numpy is imported on first use, so that reading the declarations stays cheap.
"""

import functools

PIXEL_DTYPES = ("uint8", "uint16", "float32")


def check_image(image, name="image", dtypes=PIXEL_DTYPES):
    """A 2-D (gray) or 3-D (H, W, C) array of one of ``dtypes``; raises TypeError/ValueError.

    Where float32 is taken, float64 is too, and is returned as float32: each value rounded to the
    nearest float32 (``ndarray.astype``; beyond ±3.4e38, ±inf), so the call equals the float32 one.
    """
    import numpy as np
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if _dtype_name(image.dtype) == "float64" and "float32" in dtypes:
        image = image.astype(np.float32)
    if _dtype_name(image.dtype) not in dtypes:     # the name, whatever the byte order
        allowed = ", ".join(dtypes)
        raise TypeError(f"{name} dtype must be one of {allowed}, got {image.dtype}")
    if image.ndim not in (2, 3) or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty H×W or H×W×C array, got shape {image.shape}")
    if image.ndim == 3 and not 1 <= image.shape[2] <= 4:
        raise ValueError(f"{name} must have 1 to 4 channels, got {image.shape[2]}")
    return image


@functools.cache
def _dtype_name(dtype):
    """``dtype.name``, which NumPy builds anew each time (~4 µs, a tenth of a crop's checks)."""
    return dtype.name


def as_planes(image):
    """The (H, W, C) C-contiguous, writeable view kernels take; a gray image becomes C = 1.

    A read-only array is copied: Numba types it apart and would compile every kernel again.
    A big-endian one is converted to native order, which is all Numba compiles for.
    """
    import numpy as np
    planes = np.ascontiguousarray(image[:, :, None] if image.ndim == 2 else image, dtype=image.dtype.newbyteorder("="))
    return planes if planes.flags.writeable else planes.copy()


def like_input(planes, image):
    """Undo ``as_planes``: give the result the input's number of dimensions."""
    return planes[:, :, 0] if image.ndim == 2 else planes
