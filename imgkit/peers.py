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
