"""scikit-image counterparts of imgkit's operations, timed beside it by ``imgkit bench``.

Each takes the same image and parameters as the imgkit function and calls the closest
scikit-image function with its arguments translated (σ, window size, value range).
"""

import numpy as np


def _channel_axis(image):
    return -1 if image.ndim == 3 else None


def gaussian_blur(image, sigma=1.0, **_):
    from skimage.filters import gaussian
    return gaussian(image, sigma=sigma, mode="mirror", truncate=3.0, preserve_range=True,
                    channel_axis=_channel_axis(image))


def box_blur(image, ksize=3, **_):
    from skimage.filters.rank import mean
    footprint = np.ones((ksize, ksize), bool)
    if image.ndim == 2:
        return mean(image, footprint)
    return np.dstack([mean(image[:, :, c], footprint) for c in range(image.shape[2])])


def median_blur(image, ksize=3, **_):
    from skimage.filters import median
    footprint = np.ones((ksize, ksize), bool)
    if image.ndim == 2:
        return median(image, footprint, mode="nearest")
    return np.dstack([median(image[:, :, c], footprint, mode="nearest") for c in range(image.shape[2])])


def bilateral_filter(image, diameter=9, sigma_color=75.0, sigma_space=75.0, **_):
    from skimage.restoration import denoise_bilateral
    scale = 255.0 if image.dtype == np.uint8 else 1.0   # skimage works on [0, 1] values
    return denoise_bilateral(image, win_size=diameter, sigma_color=sigma_color / scale,
                             sigma_spatial=sigma_space, channel_axis=_channel_axis(image))


# Derivatives. scikit-image works on img_as_float values (uint8/255) with normalised smoothing
# and BORDER_REFLECT by default (REFERENCE_NOTES §2); only the timing matters in bench, but each
# call computes the same quantity as imgkit's up to a constant factor.

def _per_channel(function, image):
    from skimage.util import img_as_float
    image = img_as_float(image)
    if image.ndim == 2:
        return function(image)
    return np.dstack([function(image[:, :, c]) for c in range(image.shape[2])])


def _first_derivative(name, dx, dy):
    import skimage.filters as filters
    return getattr(filters, f"{name}_v" if dx else f"{name}_h")


def sobel(image, dx=1, dy=0, **_):
    return _per_channel(_first_derivative("sobel", dx, dy), image)


def scharr(image, dx=1, dy=0, **_):
    return _per_channel(_first_derivative("scharr", dx, dy), image)


def prewitt(image, dx=1, dy=0, **_):
    return _per_channel(_first_derivative("prewitt", dx, dy), image)


def laplacian(image, ksize=1, **_):
    from skimage.filters import laplace
    return _per_channel(lambda plane: laplace(plane, ksize=3), image)


def gradient_magnitude(image, operator="sobel", **_):
    import skimage.filters as filters
    return _per_channel(getattr(filters, operator), image)


def gradient_angle(image, operator="sobel", **_):
    def angle(plane):
        gx = _first_derivative(operator, 1, 0)(plane)
        gy = _first_derivative(operator, 0, 1)(plane)
        return np.degrees(np.arctan2(gy, gx)) % 360
    return _per_channel(angle, image)


def canny(image, low=50, high=150, sigma=1.0, aperture=3, l2=False, **_):
    """``skimage.feature.canny`` on the same threshold scale (for uint8 it divides them by 255,
    as it does the image); colour is converted to gray first. Returns 0/255 uint8."""
    from skimage.color import rgb2gray
    from skimage.feature import canny as sk_canny
    from skimage.util import img_as_ubyte
    if image.ndim == 3:
        image = img_as_ubyte(rgb2gray(image[:, :, 2::-1]))
    low, high = (0.1 * 255, 0.2 * 255) if low is None or high is None else sorted((low, high))
    edges = sk_canny(image, sigma=sigma, low_threshold=low, high_threshold=high)
    return edges.astype(np.uint8) * 255


def resize(image, *, scale=None, interp="linear", **_):
    """``skimage.transform.resize`` at the matching spline order (area: order 1 with its
    anti-aliasing; Lanczos: order 3, the nearest it has)."""
    from skimage.transform import resize as sk_resize
    order = {"nearest": 0, "linear": 1, "area": 1, "cubic": 3, "lanczos": 3}[interp]
    shape = (round(image.shape[0] * scale), round(image.shape[1] * scale)) + image.shape[2:]
    return sk_resize(image, shape, order=order, anti_aliasing=interp == "area", preserve_range=True)


def frequency_filter(image, *, kind="low", cutoff=30.0, order=2, **_):
    """``skimage.filters.butterworth``, its only frequency-domain filter (whatever the shape
    asked: the same work, a transform, a gain and an inverse); the cutoff from cycles per
    image to its ratio of the sampling frequency, on the longer side."""
    from skimage.filters import butterworth
    return butterworth(image, cutoff_frequency_ratio=cutoff / max(image.shape[:2]), high_pass=kind == "high",
                       order=order, channel_axis=_channel_axis(image))


def hog(image, *, style="opencv", orientations=9, cell=8, block=2, block_stride=1, block_norm="L2-Hys", **_):
    """``skimage.feature.hog`` with the same geometry (it has no block stride: every block)."""
    from skimage.feature import hog as sk_hog
    return sk_hog(image, orientations, (cell, cell), (block, block), block_norm, channel_axis=_channel_axis(image))
