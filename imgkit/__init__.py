"""imgkit: image processing with Numba kernels that match OpenCV.

``import imgkit`` is cheap: each function is imported on first use.
"""

__version__ = "0.1.0"

_API = {
    "imread": "io", "imwrite": "io",
    "gaussian_blur": "ops.blur", "box_blur": "ops.blur",
    "median_blur": "ops.blur", "bilateral_filter": "ops.blur",
    "sobel": "ops.derivatives", "scharr": "ops.derivatives", "prewitt": "ops.derivatives",
    "laplacian": "ops.derivatives", "gradient_magnitude": "ops.derivatives",
    "gradient_angle": "ops.derivatives",
    "canny": "ops.canny",
    "resize": "ops.resize",
    "guided_filter": "ops.guided",
    "nms": "ops.nms", "soft_nms": "ops.nms",
    "fft2": "ops.fourier", "ifft2": "ops.fourier", "spectrum": "ops.fourier", "phase": "ops.fourier",
    "frequency_filter": "ops.fourier",
    "hog": "ops.hog", "hog_image": "ops.hog",
}

__all__ = sorted(_API)


def __getattr__(name):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'imgkit' has no attribute {name!r}")
    from importlib import import_module
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_API))
