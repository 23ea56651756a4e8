"""``--depth 8|16|32f``: a result converted to another pixel type before it is encoded.

Integers are scaled between depths as ImageMagick and libvips scale them: 16 → 8 is ``x / 257``
rounded (65535 → 255, 32768 → 128; never clipped), 8 → 16 is ``x × 257`` (255 → 65535). Floats
hold values, not fractions of a range: imgkit's float results are in the units of the input's
integers (a Sobel of an 8-bit image), so 8 or 16 → 32f keeps each value (200 → 200.0), and
32f → 8 or 16 maps as the command maps a float result to 8 bits (``batch.to_8bit``): ``|v|``
rounded and saturated (to 255, or 65535), or min–max stretched where the command normalises.
"""

import numpy as np

from .options import DEPTHS


def convert(values, depth, normalize=False):
    """``values`` (uint8, uint16 or a float type) as the pixel type of ``depth`` (a DEPTHS key)."""
    target = np.dtype(DEPTHS[depth])
    if values.dtype == target:
        return values
    if target.kind == "f":
        return values.astype(np.float32)
    if values.dtype.kind == "f":
        return from_float(values, target, normalize)
    if target == np.uint8:          # 16 → 8, rounded: 257 is odd, so x / 257 is never a half
        return ((values.astype(np.uint32) + 128) // 257).astype(np.uint8)
    return values.astype(np.uint16) * np.uint16(257)    # 8 → 16


def from_float(values, dtype, normalize=False):
    """A real-valued result as ``dtype`` (uint8 or uint16).

    Default: ``|v|`` rounded and saturated to the type's range, as ``cv2.convertScaleAbs``.
    ``normalize``: min–max stretched to the whole range (a constant image gives 0); a (low, high)
    pair stretches from those bounds instead of ``values``' own (``tiles``: the whole image's).
    """
    top = float(np.iinfo(dtype).max)
    if normalize:
        low, high = (float(values.min()), float(values.max())) if normalize is True else normalize
        scale = top / (high - low) if high > low else 0.0
        return np.rint((values - low) * scale).astype(dtype)
    return np.clip(np.rint(np.abs(values)), 0, top).astype(dtype)
