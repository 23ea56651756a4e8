"""Premultiplied alpha around filtering and resizing, for 4-channel images in the CLI.

Filtering straight (unassociated) BGRA lets the colour of transparent pixels bleed into
visible ones, darkening edges; filtering premultiplied colour does not (Porter & Duff 1984,
doi:10.1145/964965.808606; ImageMagick does the same). Both backends share this wrapper, so
``--reference`` and ``compare`` see identical handling. Arithmetic stays in the image's own
dtype (uint8 colour is premultiplied with rounding), so the wrapped filter runs its usual path.
"""

import numpy as np


def premultiplied(filter_, image):
    """``filter_`` applied to premultiplied BGR and to alpha separately, then un-premultiplied."""
    if image.dtype == np.float64:       # as every operation takes it (``ops._checks.check_image``)
        image = image.astype(np.float32)
    colour, alpha = image[:, :, :3], image[:, :, 3]
    if image.dtype.kind == "f":
        filtered_alpha = filter_(np.ascontiguousarray(alpha))
        filtered = filter_(np.ascontiguousarray(colour * alpha[:, :, None]))
        with np.errstate(divide="ignore", invalid="ignore"):
            colour = np.where(filtered_alpha[:, :, None] > 0, filtered / filtered_alpha[:, :, None], 0)
        return np.dstack([colour.astype(image.dtype), filtered_alpha])
    top = np.iinfo(image.dtype).max
    wide = np.uint32 if image.dtype == np.uint8 else np.uint64
    a = alpha.astype(wide)[:, :, None]
    premult = ((colour.astype(wide) * a + top // 2) // top).astype(image.dtype)
    filtered = filter_(premult).astype(wide)
    filtered_alpha = filter_(np.ascontiguousarray(alpha))
    fa = filtered_alpha.astype(wide)[:, :, None]
    straight = np.where(fa > 0, np.minimum((filtered * top + fa // 2) // np.maximum(fa, 1), top), 0)
    return np.dstack([straight.astype(image.dtype), filtered_alpha])
